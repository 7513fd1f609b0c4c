# SPDX-License-Identifier: Apache-2.0
"""What a Bazel workspace that uses gssx must declare: gssx_dependencies().

In the consumer's WORKSPACE:

    local_repository(name = "gssx", path = "/path/to/gssx")
    # (your own rules_cc / rules_java / remote_coverage_tools, if any, here)
    load("@gssx//:repositories.bzl", "gssx_dependencies")
    gssx_dependencies()

Bazel 4.2.3 (Debian's bazel-bootstrap) would download rules_cc, rules_java
and remote_coverage_tools for any C++ build. gssx ships small offline
stand-ins for them (third_party/rules_cc, third_party/rules_java,
third_party/remote_coverage_tools), and gssx_dependencies() declares each
one only if the workspace has no repository of that name yet: a consumer
with its own (real) rules_cc keeps it. Declare yours before the call.

The system libraries (libsodium, Abseil, GoogleTest, MIT Kerberos) are not
repositories: gssx links the Debian packages through the targets in
@gssx//third_party/system. Each is a label_flag, so a consumer that builds
these libraries itself points gssx at its own targets, e.g. in .bazelrc:

    build --@gssx//third_party/system:sodium=//third_party:my_sodium
    build --@gssx//third_party/system:absl=//third_party:my_absl
    build --@gssx//third_party/system:gtest=@com_google_googletest//:gtest

(the absl target must provide what third_party/system/BUILD lists: a
cc_library depending on the Abseil targets gssx uses). Without the flags,
the system packages are used (tools/setup installs them).
"""

def _stand_in_impl(rctx):
    # The directory of gssx's own WORKSPACE file, wherever the consumer put
    # gssx (the label resolves in the repository this file belongs to).
    root = rctx.path(Label("//:WORKSPACE")).dirname
    src = root.get_child("third_party").get_child(rctx.attr.directory)
    if not src.exists:
        fail("gssx: no stand-in directory " + str(src))
    for entry in src.readdir():
        rctx.symlink(entry, entry.basename)

_gssx_stand_in = repository_rule(
    implementation = _stand_in_impl,
    attrs = {"directory": attr.string(mandatory = True)},
    local = True,
    doc = "A repository made of one of gssx's third_party stand-ins.",
)

# Repository name -> gssx's stand-in directory under third_party/.
_STAND_INS = {
    "rules_cc": "rules_cc",
    "rules_java": "rules_java",
    "remote_coverage_tools": "remote_coverage_tools",
}

def gssx_dependencies():
    """Declares the repositories gssx needs that the workspace lacks.

    Each of rules_cc, rules_java and remote_coverage_tools is declared (as
    gssx's offline stand-in) only if native.existing_rule() finds no
    repository of that name: declarations made before this call win.
    """
    for name, directory in _STAND_INS.items():
        if not native.existing_rule(name):
            _gssx_stand_in(name = name, directory = directory)
