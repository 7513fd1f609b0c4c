# SPDX-License-Identifier: Apache-2.0
"""gssx_fuzz_target: one libFuzzer target, and its seed corpus as a test.

    load("//testing/fuzz:fuzz.bzl", "gssx_fuzz_target")

    gssx_fuzz_target(
        name = "token_fuzzer",          # defines LLVMFuzzerTestOneInput
        srcs = ["token_fuzzer.cc"],
        deps = ["//gssx"],
    )

with its seed files checked in under fuzz_corpus/token_fuzzer/ (the one
corpus convention: <package>/fuzz_corpus/<fuzzer name>/), makes
  :token_fuzzer              the fuzzer. With --config=fuzz (clang) it links
                             libFuzzer (-fsanitize=fuzzer); otherwise a replay
                             main that runs the files named on its command
                             line. Tagged "manual" and "gssx_fuzz" (and
                             "gssx_fuzz_corpus=<seed dir>"): tools/fuzz, which
                             tools/test runs, finds every fuzzer by that tag
                             and runs it for a bounded time from its seeds.
  :token_fuzzer_corpus_test  a cc_test (any compiler) that replays every seed
                             file as one gtest case; it runs in every
                             `bazel test //...`, under ASan and TSan too.
"""

def gssx_fuzz_target(name, srcs, deps = [], size = "small", **kwargs):
    corpus = "fuzz_corpus/" + name
    corpus_files = native.glob([corpus + "/**"])
    corpus_path = native.package_name() + "/" + corpus
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        deps = deps + ["//testing/fuzz:fuzz_util"] + select({
            "//testing/fuzz:fuzzing": [],
            "//conditions:default": ["//testing/fuzz:replay_main"],
        }),
        linkopts = select({
            "//testing/fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = corpus_files,
        # tools/fuzz finds fuzzers by the first tag, their seeds by the second.
        tags = ["manual", "gssx_fuzz", "gssx_fuzz_corpus=" + corpus_path],
        **kwargs
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = size,
        srcs = srcs,
        deps = deps + [
            "//testing/fuzz:fuzz_util",
            "//testing/fuzz:replay_main",
        ],
        data = corpus_files,
        args = [corpus_path],
        **kwargs
    )
