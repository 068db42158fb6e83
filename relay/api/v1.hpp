// The REST API /v1 (DESIGN.md section 5; schemas/openapi.yaml is its contract): chains, lanes,
// messages, bundles and the audit log to read; retry, park, pause, resume and the log level behind
// a bearer token; and the /v1/stream WebSocket of transitions.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "relay/api/http_server.hpp"
#include "relay/api/transition_stream.hpp"
#include "relay/engine/engine.hpp"
#include "relay/store/store.hpp"

namespace causeway::api {

struct V1Options {
  // The bearer token admin endpoints require (compared in constant time). Empty, with no
  // admin_client_certs either: they answer 403.
  std::string admin_token;
  // SHA-256 fingerprints (64 lower-case hex digits) of client certificates that may call admin
  // endpoints without the token: a caller needs the token OR one of these certificates, verified
  // by the server's TLS client CA (ClientCertificate::fingerprint).
  std::vector<std::string> admin_client_certs;
  // Reads need no token; false makes every /v1 request need the admin token.
  bool public_reads = true;
  // The largest page /v1/messages and /v1/audit/leaves serve; the default page is smaller.
  std::size_t page_limit_max = 500;
  // Sets the log level by name (trace, debug, info, warn, error); false if it was not set.
  // Unset: POST /v1/log-level answers 501.
  std::function<bool(std::string)> set_log_level;
  // Signs and stores a checkpoint of the audit log now — the function relay.checkpoint_every
  // calls — and returns it, or the latest one when the log has not grown since. Unset (the relay
  // has no relay.log_key): POST /v1/audit/checkpoint answers 503.
  std::function<core::Result<store::Checkpoint>()> sign_checkpoint;
  // The transitions /v1/stream serves (the caller feeds it from EngineOptions::on_transition).
  // Unset: no /v1/stream.
  std::shared_ptr<TransitionStream> stream;
  // Told about failures behind a 500 (store errors), for the log. Messages hold no secret.
  std::function<void(std::string_view)> on_error;
};

// Adds the /v1 routes to a server that is not started yet. The handlers call the engine and the
// store directly, so the server must run on the engine's io_context with one thread; both must
// outlive the server.
void install_v1_routes(HttpServer& server, engine::Engine& engine, store::Store& store, V1Options options);

}  // namespace causeway::api
