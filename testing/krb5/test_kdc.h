// SPDX-License-Identifier: Apache-2.0
// A throwaway Kerberos realm for tests: a real MIT KDC (Debian krb5-kdc)
// on a loopback port, everything inside one directory of the test's own.
//
//   absl::StatusOr<std::unique_ptr<TestRealm>> realm = TestRealm::Create();
//   // KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, KRB5RCACHEDIR now point into
//   // (*realm)->dir(): the client holds a TGT for (*realm)->client(), the
//   // keytab holds the keys of (*realm)->service().
//
// Create() writes krb5.conf and kdc.conf, creates the database with
// kdb5_util, adds the principals with kadmin.local (random keys, exported
// to keytabs), starts krb5kdc -n (listening on 127.0.0.1 only, on a port
// that was free: if another process takes it first, the KDC fails to bind
// and Create retries with another), waits until the KDC says it is serving,
// and obtains the client's ticket with kinit. Nothing system-wide is
// written, and the Kerberos configuration read is the realm's own (the
// tools get an environment naming only the realm's files; MIT's GSS-API
// still reads its mechanism list, /etc/gss/mech, if one exists).
//
// The destructor stops the KDC (SIGTERM, then SIGKILL) and removes the
// directory. The KDC is also killed when the thread that called Create
// exits (PR_SET_PDEATHSIG is tied to the forking thread): call Create from
// the main thread, or a thread that outlives the realm.
//
// Every failure says which step failed and includes the tools' output.
// The tools are those of Debian's krb5-kdc, krb5-admin-server and
// krb5-user packages (tools/setup installs them); if one is missing the
// error names the package.
//
// Thread safety: Create and destruction from one thread. Create changes
// this process's environment (setenv): call it before starting threads.
#ifndef GSSX_TESTING_KRB5_TEST_KDC_H_
#define GSSX_TESTING_KRB5_TEST_KDC_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "testing/child.h"

namespace gssx::testing {

struct TestRealmOptions {
  std::string realm = "GSSX.TEST";
  // Client principal (without realm): gets a keytab and, via kinit, a TGT.
  std::string client = "alice";
  // Service principal (without realm): its keys go to the default keytab.
  std::string service = "echo/localhost";
  // Parent of the realm's directory; empty: $TEST_TMPDIR, else /tmp.
  std::string parent_dir;
  // Remove the directory when done (set GSSX_KEEP_KRB5_DIR=1 to keep it).
  bool remove_dir = true;
};

class TestRealm {
 public:
  ~TestRealm();
  TestRealm(const TestRealm&) = delete;
  TestRealm& operator=(const TestRealm&) = delete;

  static absl::StatusOr<std::unique_ptr<TestRealm>> Create(
      const TestRealmOptions& options = {});

  const std::string& dir() const { return dir_; }
  const std::string& realm() const { return options_.realm; }
  int port() const { return port_; }
  pid_t kdc_pid() const { return kdc_ ? kdc_->pid() : -1; }
  // Full principal names, e.g. "alice@GSSX.TEST".
  std::string client() const;
  std::string service() const;
  std::string client_keytab() const { return dir_ + "/client.keytab"; }
  std::string service_keytab() const { return dir_ + "/service.keytab"; }
  std::string ccache() const { return dir_ + "/ccache"; }
  // The KDC's log (kdc.log) as it is now, for failure messages.
  std::string KdcLog() const;

  // "NAME=value" for each variable Create set, for a child's environment.
  std::vector<std::string> Environment() const;

  // Adds a principal with a random key and exports it to `keytab`.
  absl::Status AddPrincipal(absl::string_view principal,
                            const std::string& keytab);
  // kinit -k -t keytab principal, into `ccache`.
  absl::Status Kinit(absl::string_view principal, const std::string& keytab,
                     const std::string& ccache);

 private:
  explicit TestRealm(const TestRealmOptions& options) : options_(options) {}
  absl::Status WriteConfig();
  absl::Status StartKdc();
  void StopKdc();
  // Runs a tool with the realm's environment; its output goes to
  // tools.log, and into the error if it fails.
  absl::Status Run(const std::vector<std::string>& argv);

  TestRealmOptions options_;
  std::string dir_;
  int port_ = 0;
  std::optional<ForkedChild> kdc_;
};

}  // namespace gssx::testing

#endif  // GSSX_TESTING_KRB5_TEST_KDC_H_
