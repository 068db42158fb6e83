// run_verify (relay/app/verify_command.cpp) on bundles resting on a checkpoint the relay kept: the
// derived QBFT chain's second bundle starts at the first one's block, so it verifies when the
// first is given too (in any order) and not alone; a bundle from a checkpoint kept from headers
// alone verifies once --rpc gives a node to follow them with.
#include <catch2/catch.hpp>

#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "relay/app/verify_command.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/app/verify_run.hpp"
#include "tests/unit/evm/signed_chain.hpp"

using namespace causeway;
using test::verify_run::contains;
using test::verify_run::run;

TEST_CASE("causeway verify follows a checkpoint the relay kept from the bundle that established it", "[unit]") {
  test::SignedChain h("qbft");
  h.start();
  h.source->set_segment_from(h.data["event"]["block"].get<std::uint64_t>());
  const auto bundles = h.poll_both();
  const test::TempDir dir;
  const std::string anchors = dir.write("anchors.json", verify::trust_anchors_to_json(h.anchors()).dump(1));
  // Named so the directory order puts the later block first.
  const std::string later = dir.write("bundles/a-later.json", verify::bundle_to_json(bundles[1]).dump(1));
  dir.write("bundles/b-first.json", verify::bundle_to_json(bundles[0]).dump(1));

  const auto both = run({.inputs = {dir.file("bundles")}, .trust = anchors});
  INFO(both.out);
  CHECK(both.code == 0);
  CHECK(contains(both.out, "2 bundles: 2 valid"));
  CHECK(contains(both.out, "final over 2 headers from checkpoint 4"));

  const auto alone = run({.inputs = {later}, .trust = anchors});
  INFO(alone.out);
  CHECK(alone.code == 1);
  CHECK(contains(alone.out, "verify.target_not_in_segment"));
}

namespace {

// run_verify with --rpc stood in for: no canonical hashes (the chain is signed), and `node` as the
// header source the full binary would open.
test::verify_run::Run run_with_node(app::VerifyOptions options, verify::HeaderSource* node) {
  options.rpc = {"http://node.invalid"};
  const app::CanonicalFetch fetch = [](const std::vector<std::string>&, const verify::TrustAnchors&,
                                       const std::vector<app::WantedBlock>&) -> core::Result<verify::CanonicalHashMap> {
    return verify::CanonicalHashMap{};
  };
  struct Borrowed final : verify::HeaderSource {
    verify::HeaderSource& inner;
    explicit Borrowed(verify::HeaderSource& source) : inner(source) {}
    bool serves(const core::ChainIdentity& chain) const override { return inner.serves(chain); }
    core::Result<std::vector<core::Bytes>> headers(const core::ChainIdentity& chain, std::uint64_t from,
                                                   std::uint64_t to, std::uint32_t descendants) override {
      return inner.headers(chain, from, to, descendants);
    }
  };
  const app::HeaderSourceOpen open = [node](const std::vector<std::string>&, const verify::TrustAnchors&)
      -> core::Result<std::unique_ptr<verify::HeaderSource>> {
    return std::unique_ptr<verify::HeaderSource>(std::make_unique<Borrowed>(*node));
  };
  std::ostringstream out;
  std::ostringstream err;
  test::verify_run::Run r;
  r.code = app::run_verify(options, app::Console{true, false}, out, err, fetch, open);
  r.out = out.str() + err.str();
  return r;
}

}  // namespace

TEST_CASE("causeway verify follows a quiet chain's headers with --rpc to a checkpoint the relay kept from them",
          "[unit]") {
  test::SignedChain h("qbft");
  h.start();
  // Kept at block 5 from headers alone: no bundle of block 5 exists to establish it.
  h.source->set_segment_from(5);
  const auto bundles = h.poll_both();
  const test::TempDir dir;
  const std::string anchors = dir.write("anchors.json", verify::trust_anchors_to_json(h.anchors()).dump(1));
  const std::string later = dir.write("later.json", verify::bundle_to_json(bundles[1]).dump(1));

  const auto without = run({.inputs = {later}, .trust = anchors});
  INFO(without.out);
  CHECK(without.code == 1);
  CHECK(contains(without.out, "verify.target_not_in_segment"));
  CHECK(contains(without.out, "segment starts at block 5"));
  CHECK(contains(without.out, "--rpc"));

  test::DerivedHeaders node(h);
  const auto followed = run_with_node({.inputs = {later}, .trust = anchors}, &node);
  INFO(followed.out);
  CHECK(followed.code == 0);
  CHECK(contains(followed.out, "1 bundle: 1 valid"));
  REQUIRE(node.asked.size() == 1);
  CHECK(node.asked.front() == std::pair<std::uint64_t, std::uint64_t>{0, 5});

  // A node whose header 5 is off the anchored chain: nothing is learned, and the bundle's input
  // (the node's answer) is unusable.
  test::DerivedHeaders off(h);
  off.replaced.emplace(5, test::verify_util::with_field(h.header_rlp(5), 0, h.chain.hash(3).view()));
  const auto refused = run_with_node({.inputs = {later}, .trust = anchors}, &off);
  INFO(refused.out);
  CHECK(refused.code == 2);
  CHECK(contains(refused.out, "following the chain's headers to block 5"));
  CHECK(contains(refused.out, "verify.parent_mismatch"));
}
