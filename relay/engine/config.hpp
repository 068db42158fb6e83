// What a relay runs (schemas/config.schema.json): the chains it watches and writes to, the lanes
// between them, and the relay's own settings. Plain data: relay/app loads and validates it from
// YAML or JSON; the engine only reads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/trust_anchors.hpp"

namespace causeway::engine {

inline constexpr std::uint32_t kConfigVersion = 1;

// A secp256k1 key on a PKCS#11 token (an HSM): it never leaves the token, which signs for us.
struct Pkcs11KeyRef {
  std::string module;             // path of the PKCS#11 module (.so)
  std::string token;              // the token's label
  std::string key;                // CKA_LABEL of the key pair
  std::string pin_file;           // first line is the user PIN
  std::string pin_env;            // or the environment variable holding it
};

// Where a secret key comes from. Exactly one of keystore (with a password file or environment
// variable), raw_file (development: a 0600 file holding a hex key) or pkcs11.
struct KeyRef {
  std::string keystore;           // path of an Ethereum V3 keystore file
  std::string password_file;      // first line is the password
  std::string password_env;       // name of the environment variable holding the password
  std::string raw_file;           // development only
  std::optional<Pkcs11KeyRef> pkcs11;
};

struct EndpointSettings {
  std::string url;                   // http, https, ws or wss
  int priority = 0;
  std::string ca_file;               // PEM CA bundle instead of the system store
  bool insecure_skip_tls_verify = false;  // refused unless relay.allow_insecure_tls is true
};

struct FeeSettings {
  std::string mode = "detect";       // detect | legacy | eip1559
  std::uint64_t max_fee_cap = 500'000'000'000;
  std::uint64_t min_priority_fee = 1'000'000'000;
  std::uint64_t max_priority_fee = 50'000'000'000;
  std::uint32_t bump_percent = 12;
  std::chrono::milliseconds bump_after{30'000};  // a submission unmined this long is re-priced
};

// An out-of-process adapter (adapters/external) serving a chain's source side (its events, instead
// of the built-in EVM source) or its sink side (its writes, instead of the built-in EVM sink and
// the relay's gas key). The chain's gateway reads and endpoints stay the relay's own either way.
struct ExternalAdapterSettings {
  std::vector<std::string> command;  // argv; argv[0] is looked up in the PATH of `env`
  // The adapter's whole environment: the relay's own (tokens, key passwords) is never passed on.
  std::map<std::string, std::string> env;
  std::chrono::milliseconds call_timeout{30'000};
  std::chrono::milliseconds health_interval{10'000};
};

struct ChainSettings {
  std::string name;                  // unique; lanes refer to chains by it
  std::string family = "evm";
  std::uint64_t chain_id = 0;
  core::Hash32 genesis_hash;
  core::ChainIdentity chain_identity;  // checked against family, chain id and genesis hash at load
  core::Address gateway;
  std::uint64_t start_height = 1;      // the first block scanned on a fresh store
  // The trust-anchor entry of this chain, exactly in the form of one element of
  // schemas/trust-anchors.schema.json "chains" (name, family, chain_id, genesis_hash,
  // chain_identity, gateway, consensus, limits, insecure), built by the loader from the config's
  // fields so relay/verify reads it with its own strict reader.
  nlohmann::json anchor;
  std::vector<EndpointSettings> endpoints;
  std::size_t quorum = 1;              // k of the endpoints that must agree on a block hash
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds request_timeout{10'000};
  std::uint64_t max_range = 1000;      // blocks per eth_getLogs
  std::uint64_t reorg_window = 256;    // heights kept to detect and rewind reorgs
  std::uint64_t gas_cap = 15'000'000;  // per transaction
  FeeSettings fees;
  KeyRef gas_key;                      // pays for deliver and acknowledge on this chain
  // The attester threshold this chain's gateway is expected to have; start-up compares it with
  // the gateway's. 1 is single-operator mode.
  std::uint32_t threshold = 1;
  // Below this many wei (a uint256, big-endian) in the gas account, causeway_gas_balance_low{chain}
  // is 1 and a warning is logged; unset: the alert rules' own threshold applies
  // (deploy/prometheus/causeway-alerts.yml).
  std::optional<core::Word32> gas_balance_warn;
  // Set: the watcher and reconciliation read this chain's messages from this adapter.
  std::optional<ExternalAdapterSettings> external_source;
  // Set: deliveries, acknowledgements and skips on this chain are handed to this adapter, which
  // sends them with its own account; the relay's gas key for the chain is then unused. One
  // process serves both sides when both name the same command and environment.
  std::optional<ExternalAdapterSettings> external_sink;
};

struct BatchSettings {
  std::size_t max_messages = 50;
  std::size_t max_bytes = 96 * 1024;   // ABI payload bytes per deliver transaction
  std::uint64_t max_gas = 10'000'000;  // the sum of the messages' gas limits per transaction
  std::chrono::milliseconds flush_after{200};  // a partial batch waits at most this long
};

struct RateLimitSettings {
  double messages_per_second = 0;  // 0 = unlimited
  double burst = 0;                // bucket size; 0 = messages_per_second
};

struct BreakerSettings {
  std::uint32_t failures = 5;  // consecutive failed submissions that open the breaker
  std::chrono::milliseconds cool_down{30'000};
};

struct RetrySettings {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{300'000};
  std::uint32_t max_attempts = 20;  // then the message is parked with its last reason
};

// A direction of travel: messages sent on `from` to `to` (both ordered and unordered lanes of the
// pair). Acknowledgements travel back along it.
struct LaneSettings {
  std::string name;  // "<from>-><to>" unless given
  std::string from;
  std::string to;
  BatchSettings batch;
  RateLimitSettings rate_limit;
  BreakerSettings breaker;
  RetrySettings retry;
  bool acknowledge = true;  // prove executions back and call acknowledge on `from`
};

// TLS for relay.listen. The key file must be its owner's alone, like every key file.
struct ApiTlsSettings {
  std::string cert_file;       // PEM: certificate, then intermediates
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CA(s) of client certificates; needed unless client_auth is none
  std::string client_auth = "none";  // none | optional | required
};

// The REST API (/v1) on relay.listen. The admin token is read at start from a file or an
// environment variable, never from the config itself, and is never logged.
struct ApiSettings {
  std::string admin_token_file;  // first line is the token
  std::string admin_token_env;   // name of the environment variable holding it
  // Reads (/v1 GETs and the stream) need no token; false makes them need the admin token too.
  bool public_reads = true;
  std::optional<ApiTlsSettings> tls;  // unset: plain HTTP
  // SHA-256 fingerprints (64 lower-case hex digits) of client certificates that may use the admin
  // endpoints instead of the token; needs tls with client_auth optional or required.
  std::vector<std::string> admin_client_certs;
  // Requests per second each client address may make on average, and in one burst; more answer
  // 429. 0 requests_per_second: no limit.
  double requests_per_second = 50;
  double burst = 100;
};

// How long the store keeps what it no longer needs (relay.retention).
struct RetentionSettings {
  // Bundles of acknowledged messages are deleted this many days after the acknowledgement; their
  // audit leaves, messages and executions stay. 0 keeps them forever.
  std::uint32_t bundles_days = 0;
};

// relay.store as {"postgres": {...}}: the store on PostgreSQL (store::Store::open_postgres). Only
// where the password comes from is kept here; the relay reads it at start.
struct PostgresStoreSettings {
  std::string conninfo;       // libpq keywords or URI, never with a password
  std::string password_env;   // at most one of password_env and password_file; neither: trust/peer
  std::string password_file;
  std::string schema = "causeway";
  // relay.store.postgres.lease: relays with this config share the store as active and standbys;
  // the active one renews its grant every lease_renew (below lease_ttl / 2), a standby tries as
  // often (relay/store/lease.hpp).
  std::chrono::milliseconds lease_ttl{10'000};
  std::chrono::milliseconds lease_renew{3'333};
};

struct RelaySettings {
  std::string store = "causeway.db";  // SQLite file; a lock file sits beside it; empty with postgres
  std::optional<PostgresStoreSettings> postgres;  // relay.store given as a PostgreSQL object
  std::string listen = "127.0.0.1:9464";  // /healthz, /readyz, /metrics
  KeyRef vote_key;                    // the attester key; never a gas key
  std::optional<KeyRef> log_key;      // Ed25519 key signing audit checkpoints
  // Witnesses whose cosignatures of our checkpoints the API accepts and serves: cosignature/v1
  // (type 0x04) verifier keys, checked by the loader.
  std::vector<std::string> witnesses;
  std::chrono::milliseconds reconcile_every{60'000};
  std::chrono::milliseconds checkpoint_every{60'000};
  std::size_t verify_threads = 2;
  std::size_t max_pending = 100'000;  // observed-not-delivered messages held before the source pauses
  bool allow_insecure_tls = false;    // must be true for any endpoint with insecure_skip_tls_verify
  std::string log_format = "text";    // text | json
  std::string log_level = "info";
  ApiSettings api;
  RetentionSettings retention;
};

struct Config {
  std::uint32_t version = kConfigVersion;
  RelaySettings relay;
  std::vector<ChainSettings> chains;
  std::vector<LaneSettings> lanes;

  // The chain named `name`, or nullptr.
  const ChainSettings* chain(std::string_view name) const noexcept {
    for (const auto& c : chains) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
  // The chains' anchors as one trust-anchor document, at the indexes of their chains, so the
  // reader's error paths are the config's and it refuses duplicate names and identities.
  core::Result<verify::TrustAnchors> trust_anchors() const {
    nlohmann::json document = {{"version", verify::kTrustAnchorsVersion}, {"chains", nlohmann::json::array()}};
    for (const auto& c : chains) document["chains"].push_back(c.anchor);
    return verify::trust_anchors_from_json(document);
  }
  // Single-operator mode: some chain's gateway needs one vote (DESIGN.md section 3).
  bool single_operator() const noexcept {
    for (const auto& c : chains) {
      if (c.threshold == 1) return true;
    }
    return false;
  }
  // Some chain trusts unsigned headers (`trusted` mode with insecure: true).
  bool insecure_trust() const noexcept {
    for (const auto& c : chains) {
      if (c.anchor.is_object() && c.anchor.value("insecure", false)) return true;
    }
    return false;
  }
};

}  // namespace causeway::engine
