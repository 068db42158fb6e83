// Reading the relay's configuration (schemas/config.schema.json) from YAML or JSON into
// engine::Config, strictly: unknown fields refused, every error naming its field path
// ("chains[1].endpoints[0].url: ..."), and the checks that keep an operator from running an
// unsafe or self-contradicting relay.
//
// YAML is read by one rule, so a YAML file and its JSON twin always mean the same:
//   - yaml-cpp parses; one document per file; maps become objects, sequences arrays.
//   - Keys are scalars taken as their text; a key given twice is refused.
//   - A quoted scalar is always a string ("1001", "true", "~" stay strings).
//   - A plain scalar is: `true` / `false` a bool; `null`, `Null`, `NULL`, `~` or nothing a null
//     (yaml-cpp's null forms); an integer literal (an optional '-', then 0 or digits not starting
//     with 0) a number if its magnitude is at most 2^53, otherwise an error asking to quote it
//     (JSON readers lose precision beyond 2^53); a decimal float (integer part, then a fraction
//     and/or an exponent: 1.5, 2e3) a number; anything else a string (yes, on, True, 0x10, 0755,
//     1_000, .5 are strings).
//   - Anchors, aliases and tags are refused: each would let one line mean something the reader of
//     that line cannot see.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/result.hpp"
#include "relay/engine/config.hpp"
#include "relay/store/postgres.hpp"

namespace causeway::app {

namespace reason::config {
// YAML or JSON that does not parse, or YAML outside the rule above (several documents, nesting
// too deep).
inline constexpr core::Reason kSyntax{"config.syntax"};
// An anchor, alias or tag in YAML.
inline constexpr core::Reason kYamlFeature{"config.yaml_feature"};
inline constexpr core::Reason kDuplicateKey{"config.duplicate_key"};
// An integer beyond 2^53 written as a number (a plain YAML scalar or a JSON number).
inline constexpr core::Reason kBigInteger{"config.big_integer"};
inline constexpr core::Reason kUnknownField{"config.unknown_field"};
inline constexpr core::Reason kMissingField{"config.missing_field"};
// A value of the wrong type or form, out of its bounds, or contradicting another field.
inline constexpr core::Reason kBadField{"config.bad_field"};
inline constexpr core::Reason kUnsupportedVersion{"config.unsupported_version"};
// A setting that gives up a safety property without saying so: mode trusted without
// `insecure: true`, TLS verification off without `relay.allow_insecure_tls: true`, a vote key
// that is also a gas key.
inline constexpr core::Reason kUnsafe{"config.unsafe"};
// Two chains with one name or one chain identity.
inline constexpr core::Reason kDuplicateChain{"config.duplicate_chain"};
// chain_identity is not keccak256(abi.encode(1, chain_id, genesis_hash)).
inline constexpr core::Reason kIdentityMismatch{"config.identity_mismatch"};
// A lane naming a chain the config does not define.
inline constexpr core::Reason kUnknownChain{"config.unknown_chain"};
// Two lanes with one name or one (from, to) pair.
inline constexpr core::Reason kDuplicateLane{"config.duplicate_lane"};
}  // namespace reason::config

// A config file is small; anything larger is a mistake (or an attack on the parser).
inline constexpr std::size_t kMaxConfigBytes = 4u << 20;

// YAML if the extension is .yaml or .yml, JSON otherwise. Errors from reading the file carry the
// input.* reasons of read_bounded_file; all others a reason::config one.
core::Result<engine::Config> load_config_file(const std::filesystem::path& path);
// The whole config document; ChainSettings::anchor of each chain is built and checked by
// verify::trust_anchors_from_json.
core::Result<engine::Config> config_from_json(const nlohmann::json& document);
// The YAML rule above; errors name the field path and the line and column.
core::Result<nlohmann::json> yaml_to_json(std::string_view text);

// Where the PostgreSQL store of relay.store.postgres lives, its password read from the environment
// or a file now (never logged: libpq errors are scrubbed of it by the store). For the relay and for
// the commands that read its store.
core::Result<store::PostgresTarget> postgres_target(const engine::PostgresStoreSettings& settings);

// What a relay must announce loudly when it starts with this config: single-operator mode,
// insecure trust, TLS verification off, unencrypted key files. One sentence each.
std::vector<std::string> config_warnings(const engine::Config& config);

}  // namespace causeway::app
