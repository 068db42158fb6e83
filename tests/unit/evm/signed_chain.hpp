// A derived signed chain (gen_bft_chains.mjs "sent_chains": QBFT, IBFT 2.0 or Clique sealed by
// ethers) served by FakeChain with both its events, the verifier's anchors pinned at its genesis,
// and an EVM source configured as the engine configures one: for the relay-kept checkpoint tests
// (evm_tests and audit_scan_tests).
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/evm/header_json.hpp"
#include "adapters/evm/source.hpp"
#include "relay/verify/checkpoints.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "tests/unit/evm/fake_chain.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

namespace causeway::test {

struct SignedChain {
  const nlohmann::json& data;
  verify::ConsensusMode mode;
  FakeChain chain;
  boost::asio::io_context io;
  std::unique_ptr<evm::EvmSource> source;

  // `later_event`: FakeChain also serves the chain's second event (later_event.block).
  explicit SignedChain(const char* name, bool later_event = true)
      : data(verify_util::derived_chains()["sent_chains"][name]),
        mode(mode_of(data["engine"].get<std::string>())),
        chain(data, later_event) {}

  static verify::ConsensusMode mode_of(const std::string& engine) {
    if (engine == "qbft") return verify::ConsensusMode::kQbft;
    if (engine == "ibft2") return verify::ConsensusMode::kIbft2;
    REQUIRE(engine == "clique");
    return verify::ConsensusMode::kClique;
  }

  // The chain has no votes: this set seals every block.
  verify::ValidatorSet validators(std::uint64_t from_height) const {
    return verify_util::set_of(data["validators"], from_height);
  }

  verify::TrustAnchors anchors() const {
    verify::ChainAnchor a;
    a.name = data["engine"].get<std::string>();
    a.chain_id = FakeChain::kChainId;
    a.genesis_hash = chain.hash(0);
    a.chain_identity = chain.identity();
    a.gateway = chain.gateway();
    a.consensus.mode = mode;
    a.consensus.checkpoint = {0, chain.hash(0)};
    a.consensus.validator_sets = {validators(1)};
    if (data.contains("epoch")) a.consensus.clique_epoch = data["epoch"].get<std::uint64_t>();
    a.checkpoint_pinned = true;
    a.limits.max_payload = 1u << 20;
    return verify::TrustAnchors{{a}};
  }

  // What the engine's source_config() sets for a signed mode.
  evm::SourceConfig config() const {
    evm::SourceConfig c = chain.config();
    c.hash_rule = evm::hash_rule_for(mode);
    c.segment_from = 0;
    if (mode == verify::ConsensusMode::kClique) {
      c.descendants = static_cast<std::uint32_t>(data["validators"].size() / 2);
    }
    return c;
  }

  // A fresh source, started (with config() unless told otherwise).
  void start() { start(config()); }
  void start(evm::SourceConfig c) {
    auto created = evm::EvmSource::create(chain, std::move(c));
    REQUIRE(created.ok());
    source = std::move(created).value();
    auto started = run_task(io, source->start());
    INFO((started.ok() ? std::string() : started.error().message()));
    REQUIRE(started.ok());
  }

  // The bundles of both events (blocks event.block and later_event.block), in block order.
  std::vector<verify::Bundle> poll_both() {
    auto polled = run_task(io, source->poll());
    INFO((polled.ok() ? std::string() : polled.error().message()));
    REQUIRE(polled.ok());
    CHECK(polled->rejected.empty());
    REQUIRE(polled->bundles.size() == 2);
    REQUIRE(polled->bundles[0].source.block_number == data["event"]["block"].get<std::uint64_t>());
    REQUIRE(polled->bundles[1].source.block_number == data["later_event"]["block"].get<std::uint64_t>());
    return std::move(polled->bundles);
  }

  // The header RLP of block n (0 is the checkpoint).
  core::Bytes header_rlp(std::uint64_t n) const {
    const nlohmann::json& rlp = n == 0 ? data["checkpoint"]["header_rlp"] : data["headers"][n - 1]["rlp"];
    return *core::from_hex(rlp.get<std::string>());
  }
};

// The derived chain's headers as an auditor's node serves them (verify::HeaderSource), optionally
// with one header's bytes replaced; records what it was asked.
struct DerivedHeaders final : verify::HeaderSource {
  const SignedChain& h;
  std::optional<std::pair<std::uint64_t, core::Bytes>> replaced;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> asked;  // (from, to) per call

  explicit DerivedHeaders(const SignedChain& chain) : h(chain) {}
  bool serves(const core::ChainIdentity& chain) const override { return chain == h.chain.identity(); }
  core::Result<std::vector<core::Bytes>> headers(const core::ChainIdentity&, std::uint64_t from, std::uint64_t to,
                                                 std::uint32_t descendants) override {
    asked.emplace_back(from, to);
    std::vector<core::Bytes> out;
    for (std::uint64_t n = from + 1; n <= to + descendants; ++n) {
      out.push_back(replaced && replaced->first == n ? replaced->second : h.header_rlp(n));
    }
    return out;
  }
};

}  // namespace causeway::test
