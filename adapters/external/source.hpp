// A source chain served by an out-of-process adapter (DESIGN.md section 3): the same
// engine-facing calls as evm::EvmSource (start, restore_cursor, cursor, poll, find_sent), over
// the adapter protocol. Parse, never trust: each bundle is read with relay/verify's strict parser
// and its limits and checked for shape (family, chain, kind, block within the reported range),
// not verified; the engine verifies it with its own trust anchors, so an adapter can withhold
// messages but never forge one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "adapters/evm/source.hpp"
#include "adapters/external/process.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/bundle.hpp"

namespace causeway::external {

struct ExternalSourceConfig {
  core::ChainIdentity chain_identity;  // the configured chain; hello and every bundle must name it
  // Accepts an adapter of family external and its bundles of family external (255), which no
  // verifier of the core can check: the engine must then treat the chain as `trusted`
  // (insecure: true) and say so loudly. Off: such an adapter or bundle is kWrongFamily.
  bool trusted_insecure = false;
  verify::BundleLimits bundle_limits;
  std::size_t max_bundles = 65'536;  // per reply
};

// One source chain. Not thread-safe: the engine runs it on one strand, like EvmSource.
class ExternalSource {
 public:
  // kWrongChain if the process is configured for another chain; kWrongFamily for family external
  // without trusted_insecure.
  static core::Result<std::unique_ptr<ExternalSource>> create(AdapterProcess& process, ExternalSourceConfig config);

  // Starts the process (adapter.hello, checked) and sends source.start with the restored cursor,
  // if any; the cursor is then the adapter's starting point (the restored one, when given).
  boost::asio::awaitable<core::Result<void>> start();
  // A cursor persisted by the store; before start(). The adapter checks it is still canonical on
  // the next poll and reports an orphan range if not.
  void restore_cursor(const evm::BlockRef& cursor) { restored_ = cursor; }
  // source.poll from the cursor. The adapter is stateless between polls (the cursor travels with
  // each request), so a restarted process carries on where the last one stopped.
  boost::asio::awaitable<core::Result<evm::PollResult>> poll();
  // source.find_sent: bundles (already proven, unlike EvmSource's located events) of
  // `sequences` towards dst_chain in [from, to]. The cursor does not move.
  boost::asio::awaitable<core::Result<evm::ProveResult>> find_sent(evm::FindSentRequest request);

  const evm::BlockRef& cursor() const noexcept { return cursor_; }
  const ExternalSourceConfig& config() const noexcept { return config_; }

 private:
  ExternalSource(AdapterProcess& process, ExternalSourceConfig config)
      : process_(process), config_(std::move(config)) {}

  // One bundle of a reply, read strictly: family, chain and kind checked, nothing verified.
  core::Result<verify::Bundle> read_bundle(const Json& json, std::string_view path, verify::BundleKind kind) const;
  // `bundles` and `tx_hashes` of a reply, one for one.
  core::Result<void> read_bundles(const Json& result, std::vector<verify::Bundle>& bundles,
                                  std::vector<core::Hash32>& tx_hashes) const;
  core::Result<std::vector<evm::ObservedExecution>> read_executions(const Json& executions) const;

  AdapterProcess& process_;
  ExternalSourceConfig config_;
  bool started_ = false;
  std::optional<evm::BlockRef> restored_;
  evm::BlockRef cursor_;
};

// The protocol's cursor form {"number": "<decimal>", "hash": "0x..."}.
Json block_ref_to_json(const evm::BlockRef& block);
core::Result<evm::BlockRef> block_ref_from_json(const Json& json, std::string_view path);

}  // namespace causeway::external
