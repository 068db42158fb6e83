// The adapter protocol (schemas/adapter-protocol.schema.json, version 1): JSON-RPC 2.0 requests
// and replies, one per line, between the relay and an out-of-process adapter. Pure (no I/O) so
// every framing and reply rule is unit-tested with canned bytes; process.hpp does the talking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::external {

using Json = nlohmann::json;

// Every failure of an external adapter, named once here (STYLE habit 3).
namespace reason {
// A process or source configuration that cannot work (no command, a zero timeout).
inline constexpr core::Reason kBadConfig{"external.bad_config"};
// posix_spawn failed: no such program, not executable, no such working directory.
inline constexpr core::Reason kSpawnFailed{"external.spawn_failed"};
// The process closed its stdout or died; the detail carries its exit status when known.
inline constexpr core::Reason kExited{"external.exited"};
// No reply within the per-call timeout: the process is killed and restarted on the next call.
inline constexpr core::Reason kTimeout{"external.timeout"};
// A line on stdout that is not JSON, or JSON that is not a JSON-RPC 2.0 reply to our request.
inline constexpr core::Reason kBadJson{"external.bad_json"};
// A line longer than the configured bound: the stream is abandoned, never buffered further.
inline constexpr core::Reason kLineTooLong{"external.line_too_long"};
// adapter.hello offered no protocol version this relay speaks.
inline constexpr core::Reason kProtocolVersion{"external.protocol_version"};
// The adapter answered with a JSON-RPC error object; the detail carries its code, message and
// the `reason` string from its data.
inline constexpr core::Reason kRpcError{"external.rpc_error"};
// The adapter serves another family than configured, returned a bundle of a family the core does
// not verify, or declared family external without trusted_insecure.
inline constexpr core::Reason kWrongFamily{"external.wrong_family"};
// The adapter serves another chain than configured, or returned a bundle of another chain.
inline constexpr core::Reason kWrongChain{"external.wrong_chain"};
// A result whose shape or content breaks the protocol (a cursor that moves backwards without an
// orphan report, tx_hashes not matching bundles one for one).
inline constexpr core::Reason kBadReply{"external.bad_reply"};
// A source method other than start() was called before start() succeeded.
inline constexpr core::Reason kNotStarted{"external.not_started"};
}  // namespace reason

inline constexpr std::uint32_t kProtocolVersion = 1;

// The chain families of PROTOCOL.md section 1 an adapter may declare. kExternal (255) is a chain
// the core cannot verify: only in trusted_insecure mode.
enum class Family : std::uint8_t { kEvm, kFisco, kFabric, kExternal };

std::string_view family_name(Family family) noexcept;
core::Result<Family> family_from_name(std::string_view name);

// Splits a byte stream into newline-terminated lines. A partial line growing beyond max_line_bytes
// is an error before more of it is kept (THREATS 24: measured before it is parsed).
class LineFramer {
 public:
  explicit LineFramer(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // kLineTooLong once a line exceeds the bound; the framer is then unusable.
  core::Result<void> feed(std::string_view bytes);
  // The next complete line without its '\n' (and without a '\r' before it), if one is buffered.
  std::optional<std::string> next_line();

 private:
  std::size_t max_line_bytes_;
  std::string partial_;
  std::deque<std::string> lines_;
};

// {"jsonrpc":"2.0","id":id,"method":...,"params":...} and a '\n'. params must be an object.
std::string encode_request(std::uint64_t id, std::string_view method, const Json& params);

// One line of the adapter's stdout read as the reply to request `expected_id`: kBadJson unless it
// is a JSON-RPC 2.0 reply with that id and exactly one of result and error; an error object
// becomes kRpcError. Nesting is bounded before the recursive parser runs.
core::Result<Json> read_reply(std::string_view line, std::uint64_t expected_id, std::size_t max_depth = 64);

// What adapter.hello returns.
struct Hello {
  std::uint32_t protocol = 0;
  std::string name;
  std::string version;
  Family family = Family::kEvm;
  core::ChainIdentity chain_identity;
  bool source = false;  // serves source.*
  bool sink = false;    // serves sink.*
};

// The params of adapter.hello: the protocol versions this relay speaks.
Json hello_params();
// Strict: kProtocolVersion unless `protocol` is one we offered; json.* reasons for other fields.
core::Result<Hello> read_hello(const Json& result);
// kWrongFamily / kWrongChain unless the adapter serves what the relay was configured for.
core::Result<void> check_hello(const Hello& hello, Family family, const core::ChainIdentity& chain_identity);

}  // namespace causeway::external
