// SPDX-License-Identifier: Apache-2.0
// <gssx/handoff_upgrade.h>: live upgrade of MIT sessions from C, on
// transport/upgrade.h and the bridge's gssx/krb5_bridge/upgrade.h
// (OfferMitSession, MitContextTokenValidator, ImportUpgradedMitContext).
// Each parked session's MitContext lives in its upgrade (a std::list:
// stable addresses for OfferMitSession's restore) and goes back to the
// caller's gss_ctx_id_t when the session returns.
#include <gssx/handoff.h>
#include <gssx/handoff_upgrade.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gssx/krb5_bridge/c/internal.h"
#include "gssx/krb5_bridge/mit_context.h"
#include "gssx/krb5_bridge/upgrade.h"
#include "transport/base/errors.h"
#include "transport/base/secret_buffer.h"
#include "transport/channel.h"
#include "transport/upgrade.h"

namespace transport = gssx::transport;
using gssx::krb5::MitContext;
using gssx::krb5::c_internal::FailStatus;

namespace {

struct Parked {
  uint64_t id = 0;
  gss_ctx_id_t* where = nullptr;  // the caller's
  MitContext ctx;                 // empty while parked
  bool returned = false;
};

}  // namespace

struct gssx_handoff_upgrade_s {
  std::optional<transport::UpgradeSource> source;
  std::list<Parked> parked;
  absl::flat_hash_set<uint64_t> ids;
};

struct gssx_handoff_upgrade_target_s {
  std::optional<transport::UpgradeTarget> target;
};

namespace {

OM_uint32 Set(OM_uint32* minor, OM_uint32 major, OM_uint32 code) {
  *minor = code;
  return major;
}

OM_uint32 BadArgument(OM_uint32* minor) {
  return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_BAD_ARGUMENT);
}

absl::Duration TimeoutOf(int timeout_ms) {
  return timeout_ms < 0 ? absl::InfiniteDuration()
                        : absl::Milliseconds(timeout_ms);
}

transport::ChannelOptions ChannelOptionsFor(int timeout_ms) {
  transport::ChannelOptions options;  // same uid
  options.open_timeout = TimeoutOf(timeout_ms);
  options.send_timeout = TimeoutOf(timeout_ms);
  return options;
}

// The exception barrier: nothing throws across extern "C".
template <typename Body>
OM_uint32 Guard(OM_uint32* minor, Body&& body) noexcept {
  if (minor == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
  *minor = 0;
  try {
    return body();
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
    return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_OS);
  } catch (...) {
    return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_INTERNAL);
  }
}

unsigned long* IdArray(const std::vector<uint64_t>& ids) {  // NOLINT
  if (ids.empty()) return nullptr;
  auto* out = static_cast<unsigned long*>(  // NOLINT
      std::calloc(ids.size(), sizeof(unsigned long)));  // NOLINT
  if (out == nullptr) throw std::bad_alloc();
  std::copy(ids.begin(), ids.end(), out);
  return out;
}

int OutcomeOf(transport::UpgradeReport::Outcome o) {
  switch (o) {
    case transport::UpgradeReport::Outcome::kNothingMoved:
      return GSSX_HANDOFF_UPGRADE_NOTHING_MOVED;
    case transport::UpgradeReport::Outcome::kCommitted:
      return GSSX_HANDOFF_UPGRADE_COMMITTED;
    case transport::UpgradeReport::Outcome::kReturned:
      return GSSX_HANDOFF_UPGRADE_RETURNED;
    case transport::UpgradeReport::Outcome::kUnknown:
      return GSSX_HANDOFF_UPGRADE_UNKNOWN;
  }
  return GSSX_HANDOFF_UPGRADE_UNKNOWN;
}

void FillReport(const transport::UpgradeReport& r,
                gssx_handoff_upgrade_report* report) {
  if (report == nullptr) return;
  gssx_handoff_upgrade_report out{};
  out.outcome = OutcomeOf(r.outcome);
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

// The upgrade ended: returned contexts go back to the caller's variables.
void HandBack(gssx_handoff_upgrade_s& up) {
  for (Parked& p : up.parked) {
    if (p.returned && p.where != nullptr) *p.where = p.ctx.release();
  }
  up.parked.clear();
}

// Commit and abort end a source handle: checks it and takes it from the
// caller (*upgrade set to NULL). GSS_S_COMPLETE, or the error to return.
OM_uint32 TakeSource(OM_uint32* minor, gssx_handoff_upgrade_t* upgrade,
                     std::unique_ptr<gssx_handoff_upgrade_s>* up) {
  if (upgrade == nullptr) {
    return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
               GSSX_HANDOFF_E_BAD_ARGUMENT);
  }
  if (*upgrade == nullptr || !(*upgrade)->source.has_value()) {
    return BadArgument(minor);
  }
  up->reset(*upgrade);
  *upgrade = nullptr;
  return GSS_S_COMPLETE;
}

}  // namespace

extern "C" {

OM_uint32 gssx_handoff_upgrade_start(OM_uint32* minor, const char* path,
                                     char* const args[], const char* app_tag,
                                     OM_uint32 app_version, int timeout_ms,
                                     pid_t* successor_pid,
                                     gssx_handoff_upgrade_t* upgrade) {
  if (successor_pid != nullptr) *successor_pid = -1;
  if (upgrade != nullptr) *upgrade = nullptr;
  return Guard(minor, [&]() -> OM_uint32 {
    if (successor_pid == nullptr || upgrade == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    if (path == nullptr || app_tag == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    if (std::strlen(app_tag) > transport::kMaxUpgradeNameSize ||
        timeout_ms < -1) {
      return BadArgument(minor);
    }
    std::vector<std::string> argv;
    for (size_t i = 0; args != nullptr && args[i] != nullptr; ++i) {
      argv.emplace_back(args[i]);
    }
    absl::StatusOr<transport::Successor> started =
        transport::StartSuccessor(path, argv);
    if (!started.ok()) return FailStatus(minor, started.status());
    *successor_pid = started->pid;
    absl::StatusOr<transport::Channel> channel = transport::Channel::Open(
        std::move(started->channel_socket), ChannelOptionsFor(timeout_ms));
    if (!channel.ok()) return FailStatus(minor, channel.status());
    transport::UpgradeHello hello;
    hello.app_tag = app_tag;
    hello.app_version = app_version;
    transport::UpgradeOptions options;
    options.step_timeout = TimeoutOf(timeout_ms);
    absl::StatusOr<transport::UpgradeSource> source =
        transport::UpgradeSource::Begin(*std::move(channel), hello, options);
    if (!source.ok()) {
      // The channel is open (both policies passed): this is the VERDICT.
      if (transport::IsError(source.status(),
                             transport::ErrorKind::kRefusedByPeer)) {
        return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_UPGRADE_REFUSED);
      }
      return FailStatus(minor, source.status());
    }
    auto up = std::make_unique<gssx_handoff_upgrade_s>();
    up->source.emplace(*std::move(source));
    *upgrade = up.release();
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_handoff_upgrade_offer_listeners(OM_uint32* minor,
                                               gssx_handoff_upgrade_t upgrade,
                                               const char* const names[],
                                               const int fds[], size_t count) {
  return Guard(minor, [&]() -> OM_uint32 {
    if (count > 0 && (names == nullptr || fds == nullptr)) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    if (upgrade == nullptr || !upgrade->source.has_value() || count == 0 ||
        count > transport::kMaxUpgradeListeners) {
      return BadArgument(minor);
    }
    std::vector<std::pair<std::string, int>> listeners;
    for (size_t i = 0; i < count; ++i) {
      if (names[i] == nullptr) {
        return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
                   GSSX_HANDOFF_E_BAD_ARGUMENT);
      }
      if (std::strlen(names[i]) > transport::kMaxUpgradeNameSize ||
          fds[i] < 0) {
        return BadArgument(minor);
      }
      listeners.emplace_back(names[i], fds[i]);
    }
    if (upgrade->source->failed()) {
      return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_UPGRADE_FAILED);
    }
    absl::Status s = upgrade->source->OfferListeners(listeners);
    return s.ok() ? GSS_S_COMPLETE : FailStatus(minor, s);
  });
}

OM_uint32 gssx_handoff_upgrade_offer_session(OM_uint32* minor,
                                             gssx_handoff_upgrade_t upgrade,
                                             unsigned long session_id,  // NOLINT
                                             gss_ctx_id_t* ctx, int client_fd,
                                             const gss_buffer_t state) {
  return Guard(minor, [&]() -> OM_uint32 {
    if (ctx == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    if (state != GSS_C_NO_BUFFER && state->length > 0 &&
        state->value == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    absl::Span<const uint8_t> blob;
    if (state != GSS_C_NO_BUFFER && state->length > 0) {
      blob = absl::MakeConstSpan(static_cast<const uint8_t*>(state->value),
                                 state->length);
    }
    if (upgrade == nullptr || !upgrade->source.has_value() ||
        client_fd < 0 || blob.size() > transport::kMaxUpgradeState ||
        upgrade->ids.contains(session_id)) {
      return BadArgument(minor);
    }
    if (upgrade->source->failed()) {
      return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_UPGRADE_FAILED);
    }
    if (*ctx == GSS_C_NO_CONTEXT) {
      return Set(minor, GSS_S_NO_CONTEXT, GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    Parked& p = upgrade->parked.emplace_back();
    p.id = session_id;
    p.where = ctx;
    p.ctx = MitContext(*ctx);
    *ctx = GSS_C_NO_CONTEXT;  // ours from here (given back below on error)
    Parked* pp = &p;
    absl::Status s = gssx::krb5::OfferMitSession(
        *upgrade->source, session_id, p.ctx, client_fd, blob,
        [pp] { pp->returned = true; });
    // Parked: offered (the export succeeded, so p.ctx is empty), whether
    // or not the upgrade then failed. Not parked: the export failed (MIT's
    // codes, or p.ctx untouched / re-imported), or the session was given
    // back at once (a bad argument: restored into p.ctx).
    const bool parked =
        s.ok() || (!p.ctx.valid() && !gssx::krb5::MitCodesOf(s).has_value() &&
                   !transport::IsError(s, transport::ErrorKind::kBadArgument));
    if (parked) {
      upgrade->ids.insert(session_id);
      return s.ok() ? GSS_S_COMPLETE : FailStatus(minor, s);
    }
    // The caller's again (as MitContext::Export left it, or restored).
    *ctx = p.ctx.release();
    upgrade->parked.pop_back();
    return FailStatus(minor, s);
  });
}

OM_uint32 gssx_handoff_upgrade_commit(OM_uint32* minor,
                                      gssx_handoff_upgrade_t* upgrade,
                                      gssx_handoff_upgrade_report* report) {
  if (report != nullptr) *report = gssx_handoff_upgrade_report{};
  return Guard(minor, [&]() -> OM_uint32 {
    std::unique_ptr<gssx_handoff_upgrade_s> up;
    if (OM_uint32 bad = TakeSource(minor, upgrade, &up); bad != GSS_S_COMPLETE) {
      return bad;
    }
    transport::UpgradeReport r = up->source->Commit();
    up->source.reset();
    HandBack(*up);
    FillReport(r, report);
    if (r.outcome == transport::UpgradeReport::Outcome::kCommitted) {
      return GSS_S_COMPLETE;
    }
    if (r.status.ok()) {
      return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_UPGRADE_FAILED);
    }
    return FailStatus(minor, r.status);
  });
}

OM_uint32 gssx_handoff_upgrade_abort(OM_uint32* minor,
                                     gssx_handoff_upgrade_t* upgrade,
                                     gssx_handoff_upgrade_report* report) {
  if (report != nullptr) *report = gssx_handoff_upgrade_report{};
  return Guard(minor, [&]() -> OM_uint32 {
    std::unique_ptr<gssx_handoff_upgrade_s> up;
    if (OM_uint32 bad = TakeSource(minor, upgrade, &up); bad != GSS_S_COMPLETE) {
      return bad;
    }
    up->source.reset();  // every parked session is given back (restore)
    transport::UpgradeReport r;
    for (const Parked& p : up->parked) {
      (p.returned ? r.returned : r.lost).push_back(p.id);
    }
    r.outcome = up->parked.empty()
                    ? transport::UpgradeReport::Outcome::kNothingMoved
                    : transport::UpgradeReport::Outcome::kReturned;
    HandBack(*up);
    FillReport(r, report);
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_handoff_upgrade_release_report(
    OM_uint32* minor, gssx_handoff_upgrade_report* report) {
  return Guard(minor, [&]() -> OM_uint32 {
    if (report == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    std::free(report->committed);
    std::free(report->returned);
    std::free(report->lost);
    *report = gssx_handoff_upgrade_report{};
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_handoff_upgrade_accept(OM_uint32* minor, const char* app_tag,
                                      OM_uint32 app_version,
                                      gssx_handoff_upgrade_accept_fn accept,
                                      void* arg, OM_uint32 required_flags,
                                      int timeout_ms,
                                      gssx_handoff_upgrade_target_t* target) {
  if (target != nullptr) *target = nullptr;
  return Guard(minor, [&]() -> OM_uint32 {
    if (target == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    if (app_tag == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_READ,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    if (std::strlen(app_tag) > transport::kMaxUpgradeNameSize ||
        timeout_ms < -1) {
      return BadArgument(minor);
    }
    if (std::getenv(transport::kUpgradeFdEnv) == nullptr) {
      return Set(minor, GSS_S_UNAVAILABLE, GSSX_HANDOFF_E_NOT_UPGRADING);
    }
    absl::StatusOr<transport::Channel> channel =
        transport::InheritedUpgradeChannel(ChannelOptionsFor(timeout_ms));
    if (!channel.ok()) return FailStatus(minor, channel.status());
    transport::UpgradeTargetOptions options;
    options.self.app_tag = app_tag;
    options.self.app_version = app_version;
    options.step_timeout = TimeoutOf(timeout_ms);
    gssx::krb5::MitUpgradeImportOptions import;
    import.required_services = required_flags;
    options.validate_context = gssx::krb5::MitContextTokenValidator(import);
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
      if (transport::IsError(accepted.status(),
                             transport::ErrorKind::kPeerNotAllowed)) {
        return Set(minor, GSS_S_FAILURE, GSSX_HANDOFF_E_UPGRADE_REFUSED);
      }
      return FailStatus(minor, accepted.status());
    }
    auto t = std::make_unique<gssx_handoff_upgrade_target_s>();
    t->target.emplace(*std::move(accepted));
    *target = t.release();
    return GSS_S_COMPLETE;
  });
}

}  // extern "C"

namespace {

// What a C batch owns besides its arrays: the states in locked memory.
struct BatchInternal {
  std::vector<transport::SecretBuffer> states;
};

}  // namespace

extern "C" {

OM_uint32 gssx_handoff_upgrade_receive(OM_uint32* minor,
                                       gssx_handoff_upgrade_target_t* target,
                                       gssx_handoff_upgrade_batch* batch) {
  if (batch != nullptr) *batch = gssx_handoff_upgrade_batch{};
  return Guard(minor, [&]() -> OM_uint32 {
    if (target == nullptr || batch == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    if (*target == nullptr || !(*target)->target.has_value()) {
      return BadArgument(minor);
    }
    std::unique_ptr<gssx_handoff_upgrade_target_s> t(*target);
    *target = nullptr;
    absl::StatusOr<transport::UpgradeBatch> received = t->target->ReceiveBatch();
    t->target.reset();
    if (!received.ok()) return FailStatus(minor, received.status());
    const size_t nl = received->listeners.size();
    const size_t ns = received->sessions.size();
    // Built in C++ owners first, so that running out of memory midway
    // leaks nothing (the fds close with `received`).
    auto internal = std::make_unique<BatchInternal>();
    std::vector<MitContext> contexts;
    contexts.reserve(ns);
    for (size_t i = 0; i < ns; ++i) {
      absl::StatusOr<MitContext> ctx =
          gssx::krb5::ImportUpgradedMitContext(received->sessions[i]);
      contexts.push_back(ctx.ok() ? *std::move(ctx) : MitContext());
    }
    gssx_handoff_upgrade_batch out{};
    struct Arrays {
      gssx_handoff_upgrade_batch* b;
      ~Arrays() {
        if (b == nullptr) return;
        for (size_t i = 0; i < b->listener_count; ++i) {
          std::free(b->listeners[i].name);
        }
        std::free(b->listeners);
        std::free(b->sessions);
      }
    } arrays{&out};
    if (nl > 0) {
      out.listeners = static_cast<gssx_handoff_upgrade_listener*>(
          std::calloc(nl, sizeof(gssx_handoff_upgrade_listener)));
      if (out.listeners == nullptr) throw std::bad_alloc();
      for (size_t i = 0; i < nl; ++i) {
        out.listeners[i].fd = -1;
        out.listeners[i].name = strdup(received->listeners[i].name.c_str());
        out.listener_count = i + 1;
        if (out.listeners[i].name == nullptr) throw std::bad_alloc();
      }
    }
    if (ns > 0) {
      out.sessions = static_cast<gssx_handoff_upgrade_session*>(
          std::calloc(ns, sizeof(gssx_handoff_upgrade_session)));
      if (out.sessions == nullptr) throw std::bad_alloc();
    }
    internal->states.reserve(ns);
    // Nothing below allocates.
    for (size_t i = 0; i < nl; ++i) {
      out.listeners[i].fd = received->listeners[i].fd.Release();
    }
    for (size_t i = 0; i < ns; ++i) {
      transport::IncomingSession& s = received->sessions[i];
      gssx_handoff_upgrade_session& c = out.sessions[i];
      c.id = static_cast<unsigned long>(s.id);  // NOLINT
      c.context = contexts[i].release();
      c.fd = s.client.Release();
      internal->states.push_back(std::move(s.state));
      transport::SecretBuffer& st = internal->states.back();
      c.state.length = st.size();
      c.state.value = st.size() > 0 ? st.data() : nullptr;
    }
    out.session_count = ns;
    out.internal = internal.release();
    arrays.b = nullptr;
    *batch = out;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_handoff_upgrade_target_close(
    OM_uint32* minor, gssx_handoff_upgrade_target_t* target) {
  return Guard(minor, [&]() -> OM_uint32 {
    if (target == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    if (*target == nullptr) return BadArgument(minor);
    delete *target;  // the channel closes: the old binary gets all back
    *target = nullptr;
    return GSS_S_COMPLETE;
  });
}

OM_uint32 gssx_handoff_upgrade_release_batch(
    OM_uint32* minor, gssx_handoff_upgrade_batch* batch) {
  return Guard(minor, [&]() -> OM_uint32 {
    if (batch == nullptr) {
      return Set(minor, GSS_S_CALL_INACCESSIBLE_WRITE,
                 GSSX_HANDOFF_E_BAD_ARGUMENT);
    }
    for (size_t i = 0; i < batch->listener_count; ++i) {
      if (batch->listeners[i].fd >= 0) ::close(batch->listeners[i].fd);
      std::free(batch->listeners[i].name);
    }
    for (size_t i = 0; i < batch->session_count; ++i) {
      gssx_handoff_upgrade_session& s = batch->sessions[i];
      if (s.fd >= 0) ::close(s.fd);
      MitContext drop(s.context);  // gss_delete_sec_context
    }
    std::free(batch->listeners);
    std::free(batch->sessions);
    delete static_cast<BatchInternal*>(batch->internal);  // wipes the states
    *batch = gssx_handoff_upgrade_batch{};
    return GSS_S_COMPLETE;
  });
}

}  // extern "C"
