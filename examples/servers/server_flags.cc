// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/server_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "HOST:PORT (PORT 0: any free port, printed) or unix:PATH");
ABSL_FLAG(int, port_fd, -1, "write the bound port to this fd (for harnesses)");
ABSL_FLAG(int, stats_fd, -1, "write the statistics line to this fd at exit");
ABSL_FLAG(bool, verbose, false, "log every connection");

namespace gssx::examples {

ServerFlags ReadServerFlags() {
  ServerFlags f;
  f.listen = absl::GetFlag(FLAGS_listen);
  f.port_fd = absl::GetFlag(FLAGS_port_fd);
  f.stats_fd = absl::GetFlag(FLAGS_stats_fd);
  f.verbose = absl::GetFlag(FLAGS_verbose);
  return f;
}

}  // namespace gssx::examples
