// `causeway verify --rpc` (relay/app/verify_command.cpp) with the live-node fetch stood in for:
// run_verify asks it for exactly the unsigned chains' blocks the bundles stand on, and what it
// answers decides finality (a node's other hash fails, a shallow head fails, no fetch is a usage
// error; --rpc and --canonical exclude each other).
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/app/verify_command.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using causeway::test::TempDir;
using causeway::app::CanonicalFetch;
using causeway::app::Console;
using causeway::app::VerifyOptions;
using causeway::app::WantedBlock;
namespace fixtures = causeway::test::bundle_fixtures;
namespace core = causeway::core;
namespace verify = causeway::verify;

// One recorded anvil bundle of an unsigned (confirmations) chain and the anchors.
struct Inputs {
  TempDir dir;
  std::string trust = dir.write("anchors.json", fixtures::data()["anchors"].dump());
  std::string bundle = dir.write("bundle.json", fixtures::bundle_json("a_sent_tx0_log0").dump());
  verify::Bundle parsed = verify::bundle_from_json(fixtures::bundle_json("a_sent_tx0_log0")).value();
};

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

Run run(const VerifyOptions& options, const CanonicalFetch& fetch) {
  std::ostringstream out;
  std::ostringstream err;
  Run r;
  r.code = causeway::app::run_verify(options, Console{false, false}, out, err, fetch);
  r.out = out.str();
  r.err = err.str();
  INFO(r.out << r.err);
  return r;
}

// A fetch answering `hash` for every wanted block and `head` as each chain's head, recording what
// it was asked.
CanonicalFetch node(std::vector<WantedBlock>& asked, std::optional<core::Hash32> hash, std::uint64_t head_offset) {
  return [&asked, hash, head_offset](const std::vector<std::string>& rpc, const verify::TrustAnchors&,
                                     const std::vector<WantedBlock>& wanted) -> core::Result<verify::CanonicalHashMap> {
    REQUIRE(rpc == std::vector<std::string>{"http://127.0.0.1:8545"});
    asked = wanted;
    verify::CanonicalHashMap map;
    for (const auto& block : wanted) {
      if (hash) map.add(block.chain, block.number, *hash);
      map.set_head(block.chain, block.number + head_offset);
    }
    return map;
  };
}

}  // namespace

TEST_CASE("verify --rpc checks the bundle's block against the node's canonical hash", "[audit]") {
  Inputs in;
  std::vector<WantedBlock> asked;
  const VerifyOptions options{.inputs = {in.bundle}, .trust = in.trust, .rpc = {"http://127.0.0.1:8545"}};

  const Run valid = run(options, node(asked, in.parsed.source.block_hash, 10));
  CHECK(valid.code == 0);
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].chain == in.parsed.source.chain_identity);
  CHECK(asked[0].number == in.parsed.source.block_number);
  CHECK(valid.out.find("from 1 live node (--rpc)") != std::string::npos);

  core::Hash32 other = in.parsed.source.block_hash;
  other.bytes[0] ^= 0x01;
  const Run forked = run(options, node(asked, other, 10));
  CHECK(forked.code == 1);

  // The node knows the block but it is not yet deep enough for the anchors' confirmations.
  const Run shallow = run(options, node(asked, in.parsed.source.block_hash, 0));
  CHECK(shallow.code == 1);
  CHECK(shallow.out.find("verify.header_not_final") != std::string::npos);

  // A node without the block: finality stays unverifiable, never guessed.
  const Run unknown = run(options, node(asked, std::nullopt, 10));
  CHECK(unknown.code == 3);
}

TEST_CASE("verify --rpc needs the full binary's fetch and excludes --canonical", "[audit]") {
  Inputs in;
  std::vector<WantedBlock> asked;
  const VerifyOptions options{.inputs = {in.bundle}, .trust = in.trust, .rpc = {"http://127.0.0.1:8545"}};
  const Run minimal = run(options, {});
  CHECK(minimal.code == 2);
  CHECK(minimal.err.find("--rpc needs the full causeway binary") != std::string::npos);

  VerifyOptions both = options;
  both.canonical = in.dir.write("canonical.json", R"({"version":1,"chains":{}})");
  const Run excluded = run(both, node(asked, in.parsed.source.block_hash, 10));
  CHECK(excluded.code == 2);
  CHECK(asked.empty());

  const CanonicalFetch unreachable = [](const std::vector<std::string>&, const verify::TrustAnchors&,
                                        const std::vector<WantedBlock>&) -> core::Result<verify::CanonicalHashMap> {
    return core::Error(core::Reason{"net.connect_failed"}, "127.0.0.1:8545");
  };
  const Run down = run(options, unreachable);
  CHECK(down.code == 2);
  CHECK(down.err.find("net.connect_failed: --rpc: 127.0.0.1:8545") != std::string::npos);
}
