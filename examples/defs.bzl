# SPDX-License-Identifier: Apache-2.0
"""Macros of //examples, so that each library and test says only what is its own.

    load("//examples:defs.bzl", "example_library", "example_test")

    example_library(
        name = "serve",
        path = "servers/serve",   # servers/serve.cc + servers/serve.h
        deps = [":frame", "//gssx"],
    )
    example_test(
        name = "e2e_test",        # tests/e2e_test.cc
        data = [":prefork_server"],
        deps = [":client_lib"],
    )
"""

_ABSL = "//third_party/system:absl"

def example_library(name, path, deps = [], **kwargs):
    """A cc_library of <path>.cc and <path>.h, with Abseil."""
    native.cc_library(
        name = name,
        srcs = [path + ".cc"],
        hdrs = [path + ".h"],
        deps = deps + [_ABSL],
        **kwargs
    )

def example_test(name, deps = [], size = "small", **kwargs):
    """A cc_test of tests/<name>.cc with gtest, Abseil, //testing and its
    main (which checks every test for leaked fds)."""
    native.cc_test(
        name = name,
        size = size,
        srcs = ["tests/" + name + ".cc"],
        deps = deps + [
            "//testing",
            "//testing:test_main",
            _ABSL,
            "//third_party/system:gtest",
        ],
        **kwargs
    )
