// SPDX-License-Identifier: Apache-2.0
// <gssx/live_upgrade.h>: live upgrade from C, on transport/upgrade.h and
// gssx/upgrade.h (docs/upgrade.md). An offered context stays registered
// under its handle, emptied (so the handle answers GSS_S_NO_CONTEXT while
// parked); the restore callback puts the context back into the same
// entry, so the caller's gss_ctx_id_t is live again after a return.
#include <gssx/gssx.h>
#include <gssx/live_upgrade.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gssx/capi/internal/common.h"
#include "gssx/capi/internal/handle_table.h"
#include "gssx/context.h"
#include "gssx/status.h"
#include "gssx/upgrade.h"
#include "transport/base/errors.h"
#include "transport/base/secret_buffer.h"
#include "transport/base/unique_fd.h"
#include "transport/channel.h"
#include "transport/upgrade.h"

using gssx::Context;
using gssx::ErrorKind;
using gssx::Minor;
using gssx::capi::internal::CallingError;
using gssx::capi::internal::ClearNewContext;
using gssx::capi::internal::ContextEntry;
using gssx::capi::internal::Contexts;
using gssx::capi::internal::Entry;
using gssx::capi::internal::FindContext;
using gssx::capi::internal::HandleOf;
using gssx::capi::internal::HandleTable;
using gssx::capi::internal::KeyOf;
using gssx::capi::internal::NewContextHandle;
using gssx::capi::internal::ReadBuffer;
using gssx::capi::internal::ReleaseBuffer;
using gssx::capi::internal::SetSecretBuffer;
using gssx::capi::internal::Translate;
namespace transport = gssx::transport;

struct gssx_upgrade_struct {};
struct gssx_upgrade_target_struct {};

namespace {

// What the restore callbacks saw (abort reports from it).
struct RestoreLog {
  absl::Mutex mu;
  std::vector<uint64_t> returned ABSL_GUARDED_BY(mu);
  std::vector<uint64_t> lost ABSL_GUARDED_BY(mu);
};

struct ParkedHandle {
  uint64_t id = 0;
  uintptr_t key = 0;  // the context handle
};

struct SourceEntry {
  absl::Mutex mu;
  std::optional<transport::UpgradeSource> source ABSL_GUARDED_BY(mu);
  std::vector<ParkedHandle> parked ABSL_GUARDED_BY(mu);
  absl::flat_hash_set<uint64_t> ids ABSL_GUARDED_BY(mu);
  std::shared_ptr<RestoreLog> log = std::make_shared<RestoreLog>();
};

struct TargetEntry {
  absl::Mutex mu;
  std::optional<transport::UpgradeTarget> target ABSL_GUARDED_BY(mu);
};

HandleTable<SourceEntry>& Sources() {
  static auto* table = new HandleTable<SourceEntry>();
  return *table;
}
HandleTable<TargetEntry>& Targets() {
  static auto* table = new HandleTable<TargetEntry>();
  return *table;
}

absl::Status BadArgument(absl::string_view what) {
  return gssx::MakeError(ErrorKind::kFailure, Minor::kBadArgument, what);
}

absl::Duration TimeoutOf(int timeout_ms) {
  return timeout_ms < 0 ? absl::InfiniteDuration()
                        : absl::Milliseconds(timeout_ms);
}

transport::ChannelOptions ChannelOptionsFor(int timeout_ms) {
  transport::ChannelOptions options;  // default policy: same uid
  options.open_timeout = TimeoutOf(timeout_ms);
  options.send_timeout = TimeoutOf(timeout_ms);
  return options;
}

void ClearReport(gssx_upgrade_report* report) {
  if (report != nullptr) *report = gssx_upgrade_report{};
}

void ClearBatch(gssx_upgrade_batch* batch) {
  if (batch != nullptr) *batch = gssx_upgrade_batch{};
}

// A malloc()ed copy of `ids` (nullptr when empty). bad_alloc if out of
// memory (Entry reports it).
unsigned long* IdArray(const std::vector<uint64_t>& ids) {  // NOLINT(runtime/int)
  if (ids.empty()) return nullptr;
  auto* out = static_cast<unsigned long*>(  // NOLINT(runtime/int)
      std::calloc(ids.size(), sizeof(unsigned long)));  // NOLINT(runtime/int)
  if (out == nullptr) throw std::bad_alloc();
  std::copy(ids.begin(), ids.end(), out);
  return out;
}

void FillReport(const transport::UpgradeReport& r,
                gssx_upgrade_report* report) {
  if (report == nullptr) return;
  gssx_upgrade_report out{};
  switch (r.outcome) {
    case transport::UpgradeReport::Outcome::kNothingMoved:
      out.outcome = GSSX_UPGRADE_NOTHING_MOVED;
      break;
    case transport::UpgradeReport::Outcome::kCommitted:
      out.outcome = GSSX_UPGRADE_COMMITTED;
      break;
    case transport::UpgradeReport::Outcome::kReturned:
      out.outcome = GSSX_UPGRADE_RETURNED;
      break;
    case transport::UpgradeReport::Outcome::kUnknown:
      out.outcome = GSSX_UPGRADE_UNKNOWN;
      break;
  }
  try {
    out.committed = IdArray(r.committed);
    out.committed_count = r.committed.size();
    out.returned = IdArray(r.returned);
    out.returned_count = r.returned.size();
    out.lost = IdArray(r.lost);
    out.lost_count = r.lost.size();
  } catch (...) {
    std::free(out.committed);
    std::free(out.returned);
    std::free(out.lost);
    throw;
  }
  out.listener_calls = r.listener_messages;
  *report = out;
}

// After the upgrade ended: the handles of sessions that are not coming
// back (committed, lost) are deleted; returned ones are live already.
void ForgetParked(const std::vector<ParkedHandle>& parked,
                  const transport::UpgradeReport& r) {
  for (const ParkedHandle& p : parked) {
    if (std::find(r.returned.begin(), r.returned.end(), p.id) ==
        r.returned.end()) {
      Contexts().Remove(p.key);
    }
  }
}

// The restore callback of one parked session: imports the token back into
// the same handle entry, if the handle is still registered.
transport::SessionRestoreFn RestoreInto(std::shared_ptr<ContextEntry> entry,
                                        uintptr_t key, uint64_t id,
                                        std::shared_ptr<RestoreLog> log) {
  return [entry = std::move(entry), key, id,
          log = std::move(log)](transport::SecretBuffer back) -> absl::Status {
    absl::Status result;
    if (Contexts().Find(key) != entry) {
      result = gssx::MakeError(ErrorKind::kNoContext, Minor::kContextDeleted,
                               "the parked context handle was deleted");
    } else {
      absl::StatusOr<Context> again = Context::Import(back.span());
      if (again.ok()) {
        absl::MutexLock lock(&entry->mu);
        entry->context = *std::move(again);
      } else {
        result = again.status();
      }
    }
    absl::MutexLock lock(&log->mu);
    (result.ok() ? log->returned : log->lost).push_back(id);
    return result;
  };
}

// The outcome of a failed HELLO/VERDICT exchange: a status of kind
// `refused` (the VERDICT said no) as GSSX_MINOR_UPGRADE_REFUSED with its
// reason, anything else as it is.
OM_uint32 TranslateRefusal(const absl::Status& status,
                           transport::ErrorKind refused,
                           OM_uint32* minor_status) {
  if (transport::IsError(status, refused)) {
    return Translate(gssx::MakeError(ErrorKind::kFailure,
                                     Minor::kUpgradeRefused, status.message()),
                     minor_status);
  }
  return Translate(status, minor_status);
}

// Ends the upgrade of `entry` (its lock held) without a commit, and
// reports what came back.
transport::UpgradeReport AbortLocked(SourceEntry& e)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(e.mu) {
  const bool had_parked = !e.parked.empty();
  e.source.reset();  // gives every parked session back (restore)
  transport::UpgradeReport r;
  {
    absl::MutexLock lock(&e.log->mu);
    r.returned = e.log->returned;
    r.lost = e.log->lost;
  }
  r.outcome = had_parked ? transport::UpgradeReport::Outcome::kReturned
                         : transport::UpgradeReport::Outcome::kNothingMoved;
  ForgetParked(e.parked, r);
  e.parked.clear();
  return r;
}

}  // namespace

extern "C" {

OM_uint32 gssx_upgrade_start(OM_uint32* minor_status, const char* path,
                             char* const args[], const char* app_tag,
                             OM_uint32 app_version, int timeout_ms,
                             pid_t* successor_pid, gssx_upgrade_t* upgrade) {
  if (successor_pid != nullptr) *successor_pid = -1;
  if (upgrade != nullptr) *upgrade = GSSX_NO_UPGRADE;
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (successor_pid == nullptr || upgrade == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (path == nullptr || app_tag == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (std::strlen(app_tag) > transport::kMaxUpgradeNameSize ||
        timeout_ms < -1) {
      return Translate(
          BadArgument("gssx_upgrade_start: app_tag longer than 64 bytes, or "
                      "timeout_ms < -1"),
          minor_status);
    }
    std::vector<std::string> argv;
    for (size_t i = 0; args != nullptr && args[i] != nullptr; ++i) {
      argv.emplace_back(args[i]);
    }
    absl::StatusOr<transport::Successor> started =
        transport::StartSuccessor(path, argv);
    if (!started.ok()) return Translate(started.status(), minor_status);
    *successor_pid = started->pid;
    absl::StatusOr<transport::Channel> channel = transport::Channel::Open(
        std::move(started->channel_socket), ChannelOptionsFor(timeout_ms));
    if (!channel.ok()) return Translate(channel.status(), minor_status);
    transport::UpgradeHello hello;
    hello.app_tag = app_tag;
    hello.app_version = app_version;
    transport::UpgradeOptions options;
    options.step_timeout = TimeoutOf(timeout_ms);
    absl::StatusOr<transport::UpgradeSource> source =
        transport::UpgradeSource::Begin(*std::move(channel), hello, options);
    if (!source.ok()) {
      // The channel is open (both policies passed): a refusal here is
      // the new binary's VERDICT.
      return TranslateRefusal(source.status(),
                              transport::ErrorKind::kRefusedByPeer,
                              minor_status);
    }
    auto entry = std::make_shared<SourceEntry>();
    {
      absl::MutexLock lock(&entry->mu);
      entry->source.emplace(*std::move(source));
    }
    *upgrade = HandleOf<gssx_upgrade_t>(Sources().Insert(std::move(entry)));
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_upgrade_offer_listeners(OM_uint32* minor_status,
                                       gssx_upgrade_t upgrade,
                                       const char* const names[],
                                       const int fds[], size_t count) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (count > 0 && (names == nullptr || fds == nullptr)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    std::shared_ptr<SourceEntry> e = Sources().Find(KeyOf(upgrade));
    if (e == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    std::vector<std::pair<std::string, int>> listeners;
    for (size_t i = 0; i < count; ++i) {
      if (names[i] == nullptr) {
        return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
      }
      listeners.emplace_back(names[i], fds[i]);
    }
    if (count == 0 || count > transport::kMaxUpgradeListeners) {
      return Translate(BadArgument("gssx_upgrade_offer_listeners: 1 to 16 "
                                   "listeners per call"),
                       minor_status);
    }
    for (const auto& [name, fd] : listeners) {
      if (name.size() > transport::kMaxUpgradeNameSize || fd < 0) {
        return Translate(BadArgument("gssx_upgrade_offer_listeners: a name "
                                     "longer than 64 bytes, or an fd < 0"),
                         minor_status);
      }
    }
    absl::MutexLock lock(&e->mu);
    if (!e->source.has_value()) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    if (e->source->failed()) {
      return Translate(gssx::MakeError(ErrorKind::kFailure,
                                       Minor::kUpgradeFailed,
                                       "gssx_upgrade_offer_listeners"),
                       minor_status);
    }
    return Translate(e->source->OfferListeners(listeners), minor_status);
  });
}

OM_uint32 gssx_upgrade_offer_session(OM_uint32* minor_status,
                                     gssx_upgrade_t upgrade,
                                     unsigned long session_id,  // NOLINT
                                     gss_ctx_id_t context_handle,
                                     int client_fd,
                                     const gss_buffer_t state) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    absl::Span<const uint8_t> blob;
    if (!ReadBuffer(state, /*optional=*/true, &blob)) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    std::shared_ptr<SourceEntry> e = Sources().Find(KeyOf(upgrade));
    if (e == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    if (client_fd < 0 || blob.size() > transport::kMaxUpgradeState) {
      return Translate(BadArgument("gssx_upgrade_offer_session: fd < 0, or "
                                   "state larger than 64 KiB"),
                       minor_status);
    }
    absl::MutexLock lock(&e->mu);
    if (!e->source.has_value()) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    if (e->ids.contains(session_id)) {
      return Translate(
          BadArgument("gssx_upgrade_offer_session: session id reused"),
          minor_status);
    }
    if (e->source->failed()) {
      return Translate(gssx::MakeError(ErrorKind::kFailure,
                                       Minor::kUpgradeFailed,
                                       "gssx_upgrade_offer_session: the "
                                       "session was not offered"),
                       minor_status);
    }
    absl::StatusOr<std::shared_ptr<ContextEntry>> ctx =
        FindContext(context_handle);
    if (!ctx.ok()) return Translate(ctx.status(), minor_status);
    absl::StatusOr<transport::SecretBuffer> token;
    {
      absl::MutexLock context_lock(&(*ctx)->mu);
      // Leaves the context untouched on every error (context.h).
      token = std::move((*ctx)->context).Export();
    }
    if (!token.ok()) return Translate(token.status(), minor_status);
    const uintptr_t key = KeyOf(context_handle);
    e->ids.insert(session_id);
    e->parked.push_back(ParkedHandle{session_id, key});
    transport::OutgoingSession session;
    session.id = session_id;
    session.client_fd = client_fd;
    session.context_token = *std::move(token);
    session.state = blob;
    session.restore = RestoreInto(*ctx, key, session_id, e->log);
    absl::Status offered = e->source->OfferSession(std::move(session));
    if (transport::IsError(offered, transport::ErrorKind::kBadArgument)) {
      // Given back at once (restored into the handle): not parked.
      e->parked.pop_back();
      e->ids.erase(session_id);
      absl::MutexLock log_lock(&e->log->mu);
      auto& back = e->log->returned;
      back.erase(std::remove(back.begin(), back.end(), session_id),
                 back.end());
    }
    return Translate(offered, minor_status);
  });
}

OM_uint32 gssx_upgrade_commit(OM_uint32* minor_status,
                              gssx_upgrade_t* upgrade,
                              gssx_upgrade_report* report) {
  ClearReport(report);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (upgrade == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    std::shared_ptr<SourceEntry> e = Sources().Remove(KeyOf(*upgrade));
    if (e == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    *upgrade = GSSX_NO_UPGRADE;
    absl::MutexLock lock(&e->mu);
    if (!e->source.has_value()) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    transport::UpgradeReport r = e->source->Commit();
    e->source.reset();
    ForgetParked(e->parked, r);
    e->parked.clear();
    FillReport(r, report);
    if (r.outcome == transport::UpgradeReport::Outcome::kCommitted) {
      return Translate(absl::OkStatus(), minor_status);
    }
    absl::Status why = r.status;
    if (why.ok()) {
      why = gssx::MakeError(ErrorKind::kFailure, Minor::kUpgradeFailed,
                            "the upgrade did not commit");
    }
    return Translate(why, minor_status);
  });
}

OM_uint32 gssx_upgrade_abort(OM_uint32* minor_status, gssx_upgrade_t* upgrade,
                             gssx_upgrade_report* report) {
  ClearReport(report);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (upgrade == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    std::shared_ptr<SourceEntry> e = Sources().Remove(KeyOf(*upgrade));
    if (e == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    *upgrade = GSSX_NO_UPGRADE;
    absl::MutexLock lock(&e->mu);
    transport::UpgradeReport r = AbortLocked(*e);
    FillReport(r, report);
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_upgrade_release_report(OM_uint32* minor_status,
                                      gssx_upgrade_report* report) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (report == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    std::free(report->committed);
    std::free(report->returned);
    std::free(report->lost);
    *report = gssx_upgrade_report{};
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_upgrade_accept(OM_uint32* minor_status, const char* app_tag,
                              OM_uint32 app_version,
                              gssx_upgrade_accept_fn accept, void* arg,
                              int timeout_ms,
                              gssx_upgrade_target_t* target) {
  if (target != nullptr) *target = GSSX_NO_UPGRADE_TARGET;
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (target == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    if (app_tag == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_READ);
    }
    if (std::strlen(app_tag) > transport::kMaxUpgradeNameSize ||
        timeout_ms < -1) {
      return Translate(
          BadArgument("gssx_upgrade_accept: app_tag longer than 64 bytes, "
                      "or timeout_ms < -1"),
          minor_status);
    }
    if (std::getenv(transport::kUpgradeFdEnv) == nullptr) {
      return Translate(
          gssx::MakeError(ErrorKind::kUnavailable, Minor::kNotUpgrading,
                          "GSSX_UPGRADE_FD is not set"),
          minor_status);
    }
    absl::StatusOr<transport::Channel> channel =
        transport::InheritedUpgradeChannel(ChannelOptionsFor(timeout_ms));
    if (!channel.ok()) return Translate(channel.status(), minor_status);
    transport::UpgradeTargetOptions options;
    options.self.app_tag = app_tag;
    options.self.app_version = app_version;
    options.step_timeout = TimeoutOf(timeout_ms);
    options.validate_context = gssx::ContextTokenValidator();
    if (accept != nullptr) {
      options.accept =
          [accept, arg](const transport::UpgradeHello& source) -> absl::Status {
        const char* reason =
            accept(arg, source.app_tag.c_str(), source.app_version);
        if (reason == nullptr) return absl::OkStatus();
        return absl::FailedPreconditionError(reason);
      };
    }
    absl::StatusOr<transport::UpgradeTarget> accepted =
        transport::UpgradeTarget::Accept(*std::move(channel), options);
    if (!accepted.ok()) {
      // The channel is open: a "not allowed" here is our own VERDICT.
      return TranslateRefusal(accepted.status(),
                              transport::ErrorKind::kPeerNotAllowed,
                              minor_status);
    }
    auto entry = std::make_shared<TargetEntry>();
    {
      absl::MutexLock lock(&entry->mu);
      entry->target.emplace(*std::move(accepted));
    }
    *target =
        HandleOf<gssx_upgrade_target_t>(Targets().Insert(std::move(entry)));
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_upgrade_receive(OM_uint32* minor_status,
                               gssx_upgrade_target_t* target,
                               gssx_upgrade_batch* batch) {
  ClearBatch(batch);
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (target == nullptr || batch == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    std::shared_ptr<TargetEntry> e = Targets().Remove(KeyOf(*target));
    if (e == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    *target = GSSX_NO_UPGRADE_TARGET;
    absl::MutexLock lock(&e->mu);
    if (!e->target.has_value()) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    absl::StatusOr<transport::UpgradeBatch> received =
        e->target->ReceiveBatch();
    e->target.reset();
    if (!received.ok()) return Translate(received.status(), minor_status);
    // Everything below is ours now: held in C++ owners until the C batch
    // is complete, so that running out of memory midway leaks nothing.
    gssx_upgrade_batch out{};
    auto free_out = [&out] {
      for (size_t i = 0; i < out.listener_count; ++i) {
        std::free(out.listeners[i].name);
      }
      std::free(out.listeners);
      std::free(out.sessions);
    };
    const size_t nl = received->listeners.size();
    const size_t ns = received->sessions.size();
    if (nl > 0) {
      out.listeners = static_cast<gssx_upgrade_listener*>(
          std::calloc(nl, sizeof(gssx_upgrade_listener)));
      if (out.listeners == nullptr) throw std::bad_alloc();
      for (size_t i = 0; i < nl; ++i) {
        out.listeners[i].name =
            strdup(received->listeners[i].name.c_str());
        out.listeners[i].fd = -1;
        out.listener_count = i + 1;
        if (out.listeners[i].name == nullptr) {
          free_out();
          throw std::bad_alloc();
        }
      }
    }
    if (ns > 0) {
      out.sessions = static_cast<gssx_upgrade_session*>(
          std::calloc(ns, sizeof(gssx_upgrade_session)));
      if (out.sessions == nullptr) {
        free_out();
        throw std::bad_alloc();
      }
    }
    // No allocation can fail below but registering handles (bad_alloc,
    // with every fd still in `received`, closed by its destructor).
    std::vector<gss_ctx_id_t> handles(ns, GSS_C_NO_CONTEXT);
    try {
      for (size_t i = 0; i < ns; ++i) {
        absl::StatusOr<Context> ctx =
            gssx::ImportUpgradedContext(received->sessions[i]);
        if (ctx.ok()) handles[i] = NewContextHandle(*std::move(ctx));
      }
    } catch (...) {
      for (gss_ctx_id_t h : handles) {
        if (h != GSS_C_NO_CONTEXT) Contexts().Remove(KeyOf(h));
      }
      free_out();
      throw;
    }
    for (size_t i = 0; i < nl; ++i) {
      out.listeners[i].fd = received->listeners[i].fd.Release();
    }
    for (size_t i = 0; i < ns; ++i) {
      transport::IncomingSession& s = received->sessions[i];
      out.sessions[i].id = static_cast<unsigned long>(s.id);  // NOLINT
      out.sessions[i].context = handles[i];
      out.sessions[i].fd = s.client.Release();
      SetSecretBuffer(&out.sessions[i].state, std::move(s.state));
    }
    out.session_count = ns;
    *batch = out;
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_upgrade_target_close(OM_uint32* minor_status,
                                    gssx_upgrade_target_t* target) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (target == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    std::shared_ptr<TargetEntry> e = Targets().Remove(KeyOf(*target));
    if (e == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_BAD_STRUCTURE);
    }
    *target = GSSX_NO_UPGRADE_TARGET;
    absl::MutexLock lock(&e->mu);
    e->target.reset();  // the channel closes: the source gets all back
    return Translate(absl::OkStatus(), minor_status);
  });
}

OM_uint32 gssx_upgrade_release_batch(OM_uint32* minor_status,
                                     gssx_upgrade_batch* batch) {
  return Entry(minor_status, [&]() -> OM_uint32 {
    if (batch == nullptr) {
      return CallingError(minor_status, GSS_S_CALL_INACCESSIBLE_WRITE);
    }
    for (size_t i = 0; i < batch->listener_count; ++i) {
      if (batch->listeners[i].fd >= 0) ::close(batch->listeners[i].fd);
      std::free(batch->listeners[i].name);
    }
    for (size_t i = 0; i < batch->session_count; ++i) {
      gssx_upgrade_session& s = batch->sessions[i];
      if (s.fd >= 0) ::close(s.fd);
      if (s.context != GSS_C_NO_CONTEXT) Contexts().Remove(KeyOf(s.context));
      ReleaseBuffer(&s.state);
    }
    std::free(batch->listeners);
    std::free(batch->sessions);
    *batch = gssx_upgrade_batch{};
    return Translate(absl::OkStatus(), minor_status);
  });
}

}  // extern "C"
