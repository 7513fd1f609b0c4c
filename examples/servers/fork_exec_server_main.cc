// SPDX-License-Identifier: Apache-2.0
// fork_exec_server: authenticates each client, then fork+execs a separate
// session binary that inherits only a channel fd, and hands it the GSS
// context and the client socket (see fork_exec.h). As root with --user,
// sessions run as that user and the server verifies it before handing
// anything over.
//
//   bazel run //examples:fork_exec_server -- --keytab server.keytab
//       --trust server.trust [--user nobody]
//   bazel run //examples:client -- --connect 127.0.0.1:PORT
//       --keytab client.keytab --trust client.trust
//
// The session binary: --session, else `session` next to this program
// (also found through its runfiles tree under `bazel run` and in tests).
// SIGTERM or Ctrl-C stops the server and its sessions.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "examples/common/cli.h"
#include "examples/servers/fork_exec.h"
#include "examples/servers/server_flags.h"
#include "examples/servers/server_util.h"
#include "gssx/status.h"

ABSL_FLAG(std::string, keytab, "", "the server's keytab (gssx keygen)");
ABSL_FLAG(std::string, trust, "", "trust file naming the clients");
ABSL_FLAG(std::string, session, "",
          "the session binary (default: `session` beside this program or in "
          "its runfiles)");
ABSL_FLAG(std::string, user, "",
          "run sessions as this user (the server must be root); they drop "
          "privileges before importing the context");

namespace {

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The session binary, as an absolute path with symlinks resolved, or "".
std::string FindSession(const std::string& flag, const char* argv0) {
  std::vector<std::string> candidates;
  if (!flag.empty()) {
    candidates.push_back(flag);
  } else {
    const std::string self = argv0;
    candidates.push_back(Dirname(self) + "/session");
    // `bazel run` and tests: the runfiles tree of this binary.
    for (const char* env : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
      if (const char* dir = std::getenv(env)) {
        candidates.push_back(absl::StrCat(dir, "/gssx/examples/session"));
      }
    }
    candidates.push_back(self + ".runfiles/gssx/examples/session");
    char exe[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) candidates.push_back(Dirname(std::string(exe, n)) + "/session");
  }
  for (const std::string& c : candidates) {
    char real[PATH_MAX];
    if (::realpath(c.c_str(), real) != nullptr && ::access(real, X_OK) == 0) {
      return real;
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "fork/exec server: authenticate each client, then fork+exec a session "
      "binary that\ninherits only a channel fd and receives the GSS context "
      "and the client socket.\nUsage: fork_exec_server --keytab FILE --trust "
      "FILE [--listen 127.0.0.1:0] [--user NAME] [--session PATH]");
  // Whatever we inherited stays with us: sessions get only their channel.
  if (absl::Status s = gssx::examples::MarkInheritedFdsCloseOnExec(); !s.ok()) {
    std::fprintf(stderr, "fork_exec_server: %s\n", gssx::StatusText(s).c_str());
    return 1;
  }
  gssx::examples::ParseCommandLine(argc, argv);
  gssx::examples::ForkExecOptions o;
  gssx::examples::ApplyServerFlags(&o);  // --listen --port_fd --stats_fd --verbose
  o.keytab = absl::GetFlag(FLAGS_keytab);
  o.trust = absl::GetFlag(FLAGS_trust);
  o.user = absl::GetFlag(FLAGS_user);
  if (o.keytab.empty() || o.trust.empty()) {
    std::fprintf(stderr, "fork_exec_server: --keytab and --trust are required (--help)\n");
    return 2;
  }
  o.session_binary = FindSession(absl::GetFlag(FLAGS_session), argv[0]);
  if (o.session_binary.empty()) {
    std::fprintf(stderr, "fork_exec_server: cannot find the session binary; "
                         "pass --session PATH\n");
    return 2;
  }
  // Sessions start with our privileges: as root, refuse a binary that
  // anyone but its owner could have replaced.
  struct stat st;
  if (::geteuid() == 0 &&
      (::stat(o.session_binary.c_str(), &st) != 0 || (st.st_mode & 022) != 0)) {
    std::fprintf(stderr, "fork_exec_server: %s is group- or world-writable; "
                         "refusing to exec it as root\n", o.session_binary.c_str());
    return 2;
  }
  return gssx::examples::RunForkExecServer(o);
}
