// The offline verifier behind both `causeway verify` and the standalone `causeway-verify`: reads
// bundles, trust anchors and canonical hashes from files, verifies, prints, returns the exit code.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/result.hpp"
#include "relay/verify/checkpoints.hpp"
#include "relay/verify/verify.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

namespace reason {
// A bundle (or anchors, or canonical-hash) file that cannot be used before parsing even starts.
inline constexpr core::Reason kInputNotFound{"input.not_found"};
inline constexpr core::Reason kInputUnreadable{"input.unreadable"};
inline constexpr core::Reason kInputTooLarge{"input.too_large"};
// A directory given as input that holds no *.json file.
inline constexpr core::Reason kInputEmptyDirectory{"input.empty_directory"};
// The command line lacks what verification cannot do without (--trust, a bundle).
inline constexpr core::Reason kUsage{"usage"};
inline constexpr core::Reason kCanonicalUnsupportedVersion{"canonical.unsupported_version"};
}  // namespace reason

// What the command line asked for; add_verify_options fills it, tests build it directly (every
// member has an initializer so designated initializers may leave any out).
struct VerifyOptions {
  std::vector<std::string> inputs{};  // bundle files or directories (every *.json in it, sorted)
  std::string trust{};                // trust anchors file; empty when not given (an error)
  std::string canonical{};            // canonical-hashes file; empty when not given
  std::vector<std::string> rpc{};     // live nodes ("URL" or "NAME=URL"); the full causeway only
  bool json = false;
  bool quiet = false;
  bool ascii = false;
  unsigned jobs = 0;  // 0: one per hardware thread
};

// What the terminal can show, decided once by the binary so the output logic stays testable.
struct Console {
  bool unicode = true;    // ✓ ✗ – ? marks; else + x - ?
  bool progress = false;  // stderr is a terminal: a progress line for many bundles
};

// UTF-8 when the effective locale (LC_ALL, else LC_CTYPE, else LANG) names it; progress when
// stderr is a TTY.
Console detect_console();

// The options both binaries accept, so their command lines cannot drift apart.
void add_verify_options(CLI::App& command, VerifyOptions& options);

// A block whose canonical hash an unsigned chain's bundle needs.
struct WantedBlock {
  core::ChainIdentity chain;
  std::uint64_t number = 0;
};
// Canonical hashes (and heads) of `wanted` from the live nodes of options.rpc. Given only by the
// full `causeway` binary (live_chain.hpp), so the minimal causeway-verify links no network code.
using CanonicalFetch = std::function<core::Result<verify::CanonicalHashMap>(
    const std::vector<std::string>& rpc, const verify::TrustAnchors& anchors, const std::vector<WantedBlock>& wanted)>;
// The live nodes of options.rpc as a header source (verify/checkpoints.hpp), for a signed chain's
// bundle that starts at a checkpoint no given bundle established: the relay kept it from headers
// alone. Given only by the full `causeway` binary, like CanonicalFetch.
using HeaderSourceOpen = std::function<core::Result<std::unique_ptr<verify::HeaderSource>>(
    const std::vector<std::string>& rpc, const verify::TrustAnchors& anchors)>;

// Runs the verification: human or JSON report on `out`, problems with the command itself and the
// progress line on `err`. Returns DESIGN.md section 5's exit code, the worst over all bundles.
// With options.rpc, `fetch` supplies the canonical hashes (a usage error without one).
// With options.rpc and `open_headers`, a signed chain's bundle starting at a checkpoint no given
// bundle established is verified from there after following the chain's headers to it; without a
// node for that chain its finality detail says so.
int run_verify(const VerifyOptions& options, const Console& console, std::ostream& out, std::ostream& err,
               const CanonicalFetch& fetch = {}, const HeaderSourceOpen& open_headers = {});

// The canonical-hashes file (schemas/canonical-hashes.schema.json), read strictly.
struct CanonicalHashLimits {
  std::size_t max_json_bytes = 64u << 20;
  std::size_t max_depth = 8;
  std::size_t max_chains = 256;
  std::size_t max_blocks = 1u << 20;  // over all chains
};
struct CanonicalHashes {
  verify::CanonicalHashMap map;
  std::size_t chains = 0;
  std::size_t blocks = 0;
};
core::Result<CanonicalHashes> parse_canonical_hashes(std::string_view text, const CanonicalHashLimits& limits = {});

// Reads a whole file of at most max_bytes (also pipes and special files, read in bounded pieces);
// errors name the path and are one of the input.* reasons.
core::Result<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace causeway::app
