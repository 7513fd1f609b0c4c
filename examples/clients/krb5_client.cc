// SPDX-License-Identifier: Apache-2.0
#include "examples/clients/krb5_client.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "examples/common/frame.h"
#include "examples/servers/server_util.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/mit_handshake.h"

namespace gssx::examples {

absl::StatusOr<Krb5ClientResult> RunKrb5Client(const Krb5ClientOptions& options) {
  constexpr absl::Duration kTimeout = absl::Seconds(30);
  absl::StatusOr<transport::UniqueFd> fd = Connect(options.connect);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<krb5::MitInitiator> init = krb5::MitInitiator::Create(options.service);
  if (!init.ok()) return init.status();
  absl::StatusOr<std::vector<uint8_t>> token = init->Step({});
  if (!token.ok()) return token.status();
  for (;;) {
    if (!token->empty()) {
      if (absl::Status s = WriteFrame(fd->get(), *token); !s.ok()) return s;
    }
    if (init->done()) break;
    absl::StatusOr<std::vector<uint8_t>> in = ReadFrame(fd->get(), kTimeout);
    if (!in.ok()) return in.status();
    token = init->Step(*in);
    if (!token.ok()) return token.status();
  }
  krb5::MitContext ctx = init->TakeContext();

  Krb5ClientResult result;
  for (int i = 0; i < options.requests; ++i) {
    if (options.before_request) options.before_request(i);
    std::string request = absl::StrCat("request ", i);
    absl::StatusOr<std::vector<uint8_t>> wrapped =
        ctx.Wrap(std::vector<uint8_t>(request.begin(), request.end()));
    if (!wrapped.ok()) return wrapped.status();
    if (absl::Status s = WriteFrame(fd->get(), *wrapped); !s.ok()) return s;
    absl::StatusOr<std::vector<uint8_t>> frame = ReadFrame(fd->get(), kTimeout);
    if (!frame.ok()) return frame.status();
    absl::StatusOr<std::vector<uint8_t>> reply = ctx.Unwrap(*frame);
    if (!reply.ok()) return reply.status();
    // "worker <pid>: re: <request>"
    std::string text(reply->begin(), reply->end());
    std::string suffix = absl::StrCat(": re: ", request);
    int pid = 0;
    if (!absl::StartsWith(text, "worker ") || !absl::EndsWith(text, suffix) ||
        !absl::SimpleAtoi(text.substr(7, text.size() - 7 - suffix.size()), &pid)) {
      return absl::DataLossError(absl::StrCat("unexpected reply: ", text));
    }
    result.worker_pids.insert(pid);
    result.answered_by.push_back(pid);
    ++result.requests_ok;
  }
  return result;
}

}  // namespace gssx::examples
