// `causeway relay --config FILE`: the daemon. The composition root: config, keys, store, engine,
// HTTP server, signals.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "relay/core/result.hpp"
#include "relay/core/secp256k1_signer.hpp"
#include "relay/engine/config.hpp"

namespace causeway::app {

struct RelayOptions {
  std::string config_path;
};

void add_relay_options(CLI::App& command, RelayOptions& options);
// The exit status of a relay on a PostgreSQL store that lost the store's lease (another relay
// took it over) or its store connection while active: it stopped at once, wrote nothing more and
// did not mark the store cleanly closed. A supervisor restarts it; it comes back as a standby.
inline constexpr int kExitLeaseLost = 75;

// Runs until SIGTERM or SIGINT. 0 after a clean shutdown; 2 for an unusable config;
// kExitLeaseLost after losing the lease; 1 otherwise. On a PostgreSQL store it first waits as a
// standby (/readyz 503) until it holds the lease.
int run_relay(const RelayOptions& options);

// The signer a config key reference names: a V3 keystore unlocked with its password from a file or
// the environment, (development) a 0600 raw key file, or a session with the PKCS#11 token holding
// the key (which then never enters this process). Errors never contain key material or PINs.
core::Result<core::SignerPtr> load_signer(const engine::KeyRef& ref, const std::string& what);

}  // namespace causeway::app
