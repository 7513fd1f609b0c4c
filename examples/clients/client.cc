// SPDX-License-Identifier: Apache-2.0
#include "examples/clients/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "examples/common/frame.h"
#include "examples/servers/server_util.h"
#include "gssx/context.h"
#include "transport/base/unique_fd.h"

namespace gssx::examples {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

}  // namespace

absl::StatusOr<ClientSession> ClientSession::Open(const Credentials& cred,
                                                  const ClientOptions& options) {
  absl::StatusOr<transport::UniqueFd> fd = Connect(options.connect);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<Name> target = Name::Import(options.service, NameType::kHostBasedService);
  if (!target.ok()) return target.status();
  InitOptions init;
  init.target = *target;
  absl::StatusOr<HandshakeStep> step = Context::Initiate(cred, init);
  if (!step.ok()) return step.status();
  if (absl::Status s = WriteFrame(fd->get(), step->output_token); !s.ok()) return s;
  absl::StatusOr<std::vector<uint8_t>> reply =
      ReadFrame(fd->get(), options.reply_timeout);
  if (!reply.ok()) return reply.status();
  Context& ctx = step->context;
  if (absl::StatusOr<std::vector<uint8_t>> more = ctx.Continue(*reply); !more.ok()) {
    return more.status();
  }
  absl::StatusOr<std::vector<uint8_t>> welcome =
      ReadFrame(fd->get(), options.reply_timeout);
  if (!welcome.ok()) return welcome.status();
  absl::StatusOr<UnwrapResult> w = ctx.Unwrap(*welcome);
  if (!w.ok()) return w.status();
  if (std::string(w->message.begin(), w->message.end()) != "welcome") {
    return absl::DataLossError("unexpected welcome message");
  }
  return ClientSession(std::move(*fd), std::move(ctx), options.reply_timeout);
}

absl::Status ClientSession::Request(int n) {
  std::string text = absl::StrCat("request ", n);
  absl::StatusOr<WrapResult> req = ctx_.Wrap(Bytes(text), /*confidential=*/true);
  if (!req.ok()) return req.status();
  if (absl::Status s = WriteFrame(fd_.get(), req->token); !s.ok()) return s;
  absl::StatusOr<std::vector<uint8_t>> frame = ReadFrame(fd_.get(), timeout_);
  if (!frame.ok()) {
    return absl::Status(frame.status().code(),
                        absl::StrCat("reply ", n, ": ", frame.status().message()));
  }
  absl::StatusOr<UnwrapResult> resp = ctx_.Unwrap(*frame);
  if (!resp.ok()) return resp.status();
  if (resp->supplementary != 0) {
    return absl::DataLossError(absl::StrCat("reply ", n, ": supplementary bits ",
                                            resp->supplementary));
  }
  if (std::string(resp->message.begin(), resp->message.end()) !=
      absl::StrCat("re: ", text)) {
    return absl::DataLossError(absl::StrCat("reply ", n, ": wrong content"));
  }
  return absl::OkStatus();
}

absl::Status RunClientConnection(const Credentials& cred,
                                 const ClientOptions& options,
                                 int* requests_ok) {
  *requests_ok = 0;
  absl::StatusOr<ClientSession> session = ClientSession::Open(cred, options);
  if (!session.ok()) return session.status();
  for (int i = 0; i < options.requests; ++i) {
    if (options.before_request) options.before_request(i);
    if (absl::Status s = session->Request(i); !s.ok()) return s;
    ++*requests_ok;
  }
  return absl::OkStatus();
}

}  // namespace gssx::examples
