// SPDX-License-Identifier: Apache-2.0
#include "testing/krb5/test_kdc.h"

#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "transport/base/unique_fd.h"

namespace gssx::testing {
namespace {

using transport::UniqueFd;

struct Tool {
  const char* path;
  const char* package;
};
constexpr Tool kKdb5Util = {"/usr/sbin/kdb5_util", "krb5-kdc"};
constexpr Tool kKdc = {"/usr/sbin/krb5kdc", "krb5-kdc"};
constexpr Tool kKadminLocal = {"/usr/sbin/kadmin.local", "krb5-admin-server"};
constexpr Tool kKinit = {"/usr/bin/kinit", "krb5-user"};

absl::Status CheckTool(const Tool& tool) {
  if (::access(tool.path, X_OK) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(tool.path, " not found: install Debian's ", tool.package,
                   " (tools/setup does)"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// A loopback TCP port nobody is bound to right now. The KDC binds it a
// moment later; a loser of that race fails to start and StartKdc retries.
absl::StatusOr<int> FreeLoopbackPort() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return absl::ErrnoToStatus(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    ::close(s);
    return absl::ErrnoToStatus(e, "bind 127.0.0.1:0");
  }
  ::close(s);
  return ntohs(addr.sin_port);
}

// argv/envp for execve, built before fork (nothing is allocated after it).
struct ExecArgs {
  std::vector<std::string> storage;
  std::vector<char*> argv, envp;
  ExecArgs(const std::vector<std::string>& args,
           const std::vector<std::string>& env) {
    storage.reserve(args.size() + env.size());
    for (const std::string& a : args) storage.push_back(a);
    for (const std::string& e : env) storage.push_back(e);
    for (size_t i = 0; i < args.size(); ++i) argv.push_back(storage[i].data());
    argv.push_back(nullptr);
    for (size_t i = args.size(); i < storage.size(); ++i) {
      envp.push_back(storage[i].data());
    }
    envp.push_back(nullptr);
  }
};

// Starts argv[0] with stdin /dev/null and stdout+stderr appended to `log`,
// killed when the thread that started it exits (PR_SET_PDEATHSIG).
absl::StatusOr<ForkedChild> Spawn(const std::vector<std::string>& args,
                                  const std::vector<std::string>& env,
                                  const std::string& log) {
  ExecArgs exec(args, env);
  UniqueFd out(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!out.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("open ", log));
  UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return absl::ErrnoToStatus(errno, "open /dev/null");
  const pid_t parent = ::getpid();
  // The child only makes async-signal-safe calls until exec (everything
  // was built above).
  return ForkedChild::Start([&]() -> int {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) return 127;
    ::dup2(in.get(), 0);
    ::dup2(out.get(), 1);
    ::dup2(out.get(), 2);
    ::execve(exec.argv[0], exec.argv.data(), exec.envp.data());
    return 127;
  });
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  ::remove(path);
  return 0;
}

}  // namespace

TestRealm::~TestRealm() {
  StopKdc();
  const char* keep = ::getenv("GSSX_KEEP_KRB5_DIR");
  if (!dir_.empty() && options_.remove_dir && !(keep && *keep == '1')) {
    ::nftw(dir_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
  }
}

std::string TestRealm::client() const {
  return absl::StrCat(options_.client, "@", options_.realm);
}

std::string TestRealm::service() const {
  return absl::StrCat(options_.service, "@", options_.realm);
}

std::string TestRealm::KdcLog() const {
  return ReadFile(dir_ + "/kdc.log") + ReadFile(dir_ + "/kdc.stderr");
}

std::vector<std::string> TestRealm::Environment() const {
  return {
      absl::StrCat("KRB5_CONFIG=", dir_, "/krb5.conf"),
      absl::StrCat("KRB5_KDC_PROFILE=", dir_, "/kdc.conf"),
      absl::StrCat("KRB5CCNAME=FILE:", ccache()),
      absl::StrCat("KRB5_KTNAME=FILE:", service_keytab()),
      absl::StrCat("KRB5RCACHEDIR=", dir_),
  };
}

absl::Status TestRealm::Run(const std::vector<std::string>& argv) {
  std::vector<std::string> env = Environment();
  env.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
  std::string log = dir_ + "/tools.log";
  size_t before = ReadFile(log).size();
  absl::StatusOr<ForkedChild> tool = Spawn(argv, env, log);
  if (!tool.ok()) return tool.status();
  absl::StatusOr<int> code = tool->Wait(absl::Seconds(60));
  if (code.ok() && *code == 0) return absl::OkStatus();
  std::string output = ReadFile(log).substr(before);
  return absl::InternalError(absl::StrCat(
      absl::StrJoin(argv, " "), " failed (",
      code.ok() ? absl::StrCat("exit ", *code) : code.status().ToString(),
      "): ", output));
}

absl::Status TestRealm::WriteConfig() {
  const std::string& r = options_.realm;
  std::string krb5_conf = absl::StrCat(
      "[libdefaults]\n"
      " default_realm = ", r, "\n"
      " dns_lookup_kdc = false\n"
      " dns_lookup_realm = false\n"
      " dns_canonicalize_hostname = false\n"
      " rdns = false\n"
      " udp_preference_limit = 1\n"   // TCP: no UDP retransmit timers
      "[realms]\n"
      " ", r, " = {\n"
      "  kdc = 127.0.0.1:", port_, "\n"
      " }\n");
  std::string kdc_conf = absl::StrCat(
      "[kdcdefaults]\n"
      " kdc_listen = 127.0.0.1:", port_, "\n"
      " kdc_tcp_listen = 127.0.0.1:", port_, "\n"
      "[realms]\n"
      " ", r, " = {\n"
      "  database_name = ", dir_, "/principal\n"
      "  key_stash_file = ", dir_, "/stash\n"
      "  acl_file = ", dir_, "/kadm5.acl\n"
      "  kdc_listen = 127.0.0.1:", port_, "\n"
      "  kdc_tcp_listen = 127.0.0.1:", port_, "\n"
      " }\n"
      "[logging]\n"
      " kdc = FILE:", dir_, "/kdc.log\n"
      " admin_server = FILE:", dir_, "/kadmin.log\n"
      " default = FILE:", dir_, "/krb5lib.log\n");
  if (absl::Status s = WriteFile(dir_ + "/krb5.conf", krb5_conf); !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteFile(dir_ + "/kdc.conf", kdc_conf); !s.ok()) {
    return s;
  }
  return WriteFile(dir_ + "/kadm5.acl", "");
}

absl::Status TestRealm::AddPrincipal(absl::string_view principal,
                                     const std::string& keytab) {
  std::string full = absl::StrCat(principal, "@", options_.realm);
  if (absl::Status s = Run({kKadminLocal.path, "-r", options_.realm, "-q",
                            absl::StrCat("addprinc -randkey ", full)});
      !s.ok()) {
    return s;
  }
  return Run({kKadminLocal.path, "-r", options_.realm, "-q",
              absl::StrCat("ktadd -k ", keytab, " ", full)});
}

absl::Status TestRealm::Kinit(absl::string_view principal,
                              const std::string& keytab,
                              const std::string& ccache) {
  return Run({kKinit.path, "-k", "-t", keytab, "-c",
              absl::StrCat("FILE:", ccache),
              absl::StrCat(principal, "@", options_.realm)});
}

absl::Status TestRealm::StartKdc() {
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    port_ = *port;
    if (absl::Status s = WriteConfig(); !s.ok()) return s;
    // The log tells when the KDC serves ("commencing operation") and why
    // it did not; start each attempt with an empty one.
    ::unlink((dir_ + "/kdc.log").c_str());
    std::vector<std::string> env = Environment();
    absl::StatusOr<ForkedChild> kdc =
        Spawn({kKdc.path, "-n", "-r", options_.realm}, env, dir_ + "/kdc.stderr");
    if (!kdc.ok()) return kdc.status();
    kdc_.emplace(std::move(*kdc));
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    for (;;) {
      if (kdc_->Exited().has_value()) {
        kdc_.reset();  // failed to start (e.g. the port was taken)
        last_error = KdcLog();
        break;
      }
      if (ReadFile(dir_ + "/kdc.log").find("commencing operation") !=
          std::string::npos) {
        return absl::OkStatus();
      }
      if (absl::Now() > deadline) {
        StopKdc();
        return absl::DeadlineExceededError(
            absl::StrCat("krb5kdc did not start in 30 s: ", KdcLog()));
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  return absl::InternalError(
      absl::StrCat("krb5kdc failed to start 5 times; last: ", last_error));
}

void TestRealm::StopKdc() {
  if (!kdc_ || kdc_->pid() <= 0) return;
  ::kill(kdc_->pid(), SIGTERM);
  (void)kdc_->Wait(absl::Seconds(10));  // killed at the deadline
  kdc_.reset();
}

absl::StatusOr<std::unique_ptr<TestRealm>> TestRealm::Create(
    const TestRealmOptions& options) {
  for (const Tool* tool : {&kKdb5Util, &kKdc, &kKadminLocal, &kKinit}) {
    if (absl::Status s = CheckTool(*tool); !s.ok()) return s;
  }
  std::unique_ptr<TestRealm> realm(new TestRealm(options));
  std::string parent = options.parent_dir;
  if (parent.empty()) {
    const char* t = ::getenv("TEST_TMPDIR");
    parent = (t && *t) ? t : "/tmp";
  }
  std::string templ = parent + "/krb5-realm-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdtemp ", templ));
  }
  realm->dir_ = templ;
  // A first config for kdb5_util and kadmin.local (they read the database
  // location from it); StartKdc rewrites it with the KDC's port.
  if (absl::Status s = realm->WriteConfig(); !s.ok()) return s;
  // -P: the master password, stashed (-s) so the KDC starts unattended.
  if (absl::Status s = realm->Run({kKdb5Util.path, "-r", options.realm, "-P",
                                   "gssx-test-master-password", "create",
                                   "-s"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = realm->AddPrincipal(options.client,
                                           realm->client_keytab());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = realm->AddPrincipal(options.service,
                                           realm->service_keytab());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = realm->StartKdc(); !s.ok()) return s;
  for (const std::string& var : realm->Environment()) {
    size_t eq = var.find('=');
    ::setenv(var.substr(0, eq).c_str(), var.substr(eq + 1).c_str(), 1);
  }
  if (absl::Status s = realm->Kinit(options.client, realm->client_keytab(),
                                    realm->ccache());
      !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat(s.message(), "; KDC log: ", realm->KdcLog()));
  }
  return realm;
}

}  // namespace gssx::testing
