// SPDX-License-Identifier: Apache-2.0
// The flags every example server takes (prefork_server, krb5_server,
// fork_exec_server), defined once: linking this library gives a server
// --listen, --port_fd, --stats_fd and --verbose.
//
//   gssx::examples::ParseCommandLine(argc, argv);
//   ServerFlags f = ReadServerFlags();
//   o.listen = f.listen; ...
#ifndef GSSX_EXAMPLES_SERVERS_SERVER_FLAGS_H_
#define GSSX_EXAMPLES_SERVERS_SERVER_FLAGS_H_

#include <string>

namespace gssx::examples {

struct ServerFlags {
  std::string listen;  // HOST:PORT or unix:PATH
  int port_fd = -1;    // the bound port is written here (harnesses)
  int stats_fd = -1;   // the statistics line, at exit
  bool verbose = false;
};

// The flags' values (after ParseCommandLine).
ServerFlags ReadServerFlags();

// Copies them into a server's options struct (listen, port_fd, stats_fd,
// verbose members).
template <typename Options>
void ApplyServerFlags(Options* o) {
  ServerFlags f = ReadServerFlags();
  o->listen = f.listen;
  o->port_fd = f.port_fd;
  o->stats_fd = f.stats_fd;
  o->verbose = f.verbose;
}

}  // namespace gssx::examples

#endif  // GSSX_EXAMPLES_SERVERS_SERVER_FLAGS_H_
