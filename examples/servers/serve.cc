// SPDX-License-Identifier: Apache-2.0
#include "examples/servers/serve.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/common/frame.h"

namespace gssx::examples {

absl::StatusOr<Context> AuthenticateClient(const Credentials& cred, int client) {
  absl::StatusOr<std::vector<uint8_t>> init = ReadFrame(client, kHandshakeTimeout);
  if (!init.ok()) return init.status();
  return AnswerClient(cred, client, *init);
}

absl::StatusOr<Context> AnswerClient(const Credentials& cred, int client,
                                     const std::vector<uint8_t>& init) {
  AcceptOptions accept;
  accept.required_flags = kDefaultRequiredFlags;  // replay, sequence, conf, integ
  absl::StatusOr<HandshakeStep> acc = Context::Accept(cred, init, accept);
  if (!acc.ok()) return acc.status();
  if (absl::Status s = WriteFrame(client, acc->output_token); !s.ok()) return s;
  // One message from the authenticating process, so that whoever serves
  // the connection next visibly continues its sequence numbers.
  static constexpr uint8_t kWelcome[] = {'w', 'e', 'l', 'c', 'o', 'm', 'e'};
  absl::StatusOr<WrapResult> hello = acc->context.Wrap(kWelcome, /*confidential=*/true);
  if (!hello.ok()) return hello.status();
  if (absl::Status s = WriteFrame(client, hello->token); !s.ok()) return s;
  return std::move(acc->context);
}

absl::Status ServeOneRequest(Context& ctx, int client) {
  absl::StatusOr<std::vector<uint8_t>> frame = ReadFrame(client, kRequestTimeout);
  if (!frame.ok()) return frame.status();
  return AnswerRequest(ctx, client, *frame);
}

absl::StatusOr<bool> ServeRequestIfArrived(Context& ctx, int client) {
  absl::StatusOr<std::optional<std::vector<uint8_t>>> frame =
      ReadFrameIfStarted(client, kRequestTimeout);
  if (!frame.ok()) return frame.status();
  if (!frame->has_value()) return false;
  if (absl::Status s = AnswerRequest(ctx, client, **frame); !s.ok()) return s;
  return true;
}

absl::Status AnswerRequest(Context& ctx, int client,
                           const std::vector<uint8_t>& frame) {
  absl::StatusOr<UnwrapResult> req = ctx.Unwrap(frame);
  if (!req.ok()) return req.status();
  if (req->supplementary != 0) {
    return absl::DataLossError(
        absl::StrCat("request with supplementary bits ", req->supplementary));
  }
  std::string reply = absl::StrCat(
      "re: ", std::string(req->message.begin(), req->message.end()));
  absl::StatusOr<WrapResult> w = ctx.Wrap(
      std::vector<uint8_t>(reply.begin(), reply.end()), /*confidential=*/true);
  if (!w.ok()) return w.status();
  return WriteFrame(client, w->token);
}

}  // namespace gssx::examples
