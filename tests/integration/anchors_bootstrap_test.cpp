// `causeway anchors bootstrap` (relay/app/anchors_command.cpp) against a live devnet chain: the
// checkpoint it shows is the node's block, the file is written only after the right typed digits
// (or --yes, said loudly), and a wrong confirmation, another chain id, a gateway without code, a
// wrong consensus mode and an existing file are refused by name with nothing written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/evm/rpc_json.hpp"
#include "relay/app/anchors_command.hpp"
#include "relay/core/bytes.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "tests/integration/devnet_fixture.hpp"

using namespace causeway;
using causeway::test::Devnet;

namespace {

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

Outcome bootstrap(const app::AnchorsOptions& options, const std::string& typed) {
  std::istringstream in(typed + "\n");
  std::ostringstream out;
  std::ostringstream err;
  Outcome o;
  o.code = app::run_anchors_command(options, in, out, err);
  o.out = out.str();
  o.err = err.str();
  INFO(o.out << o.err);
  return o;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

TEST_CASE("anchors bootstrap reads a devnet chain's checkpoint and writes it only when confirmed", "[integration]") {
  Devnet devnet("anchors");
  const auto& a = devnet.chain(0);
  const auto dir = devnet.state_dir();
  // One devnet for every step (each makes its own file); the chain mines only on transactions,
  // so the head stays where it is.
  app::AnchorsOptions base;
  base.bootstrap = true;
  base.rpc = a["rpc"]["http"].get<std::string>();
  base.chain_id = std::stoull(a["chainId"].get<std::string>());
  base.gateway = lower(a["gateway"].get<std::string>());
  base.mode = "confirmations";
  base.confirmations = 1;
  base.depth = 1;
  base.name = "a";

  // What the node itself says the checkpoint is.
  auto client = net::SyncClient::create({net::EndpointConfig{base.rpc}});
  REQUIRE(client.ok());
  const auto head = evm::quantity_u64((*client)->call("eth_blockNumber").value(), "head").value();
  REQUIRE(head >= 1);
  const auto block = (*client)->call("eth_getBlockByNumber", nlohmann::json::array({evm::to_quantity(head - 1), false}));
  REQUIRE(block.ok());
  const std::string hash = (*block)["hash"].get<std::string>();

  {  // the typed digits confirm and the file is what the verifier reads
    app::AnchorsOptions options = base;
    options.out = (dir / "anchors.json").string();
    const auto o = bootstrap(options, hash.substr(2, 8));
    REQUIRE(o.code == 0);
    CHECK(o.out.find(hash) != std::string::npos);
    CHECK(o.out.find("block " + std::to_string(head - 1)) != std::string::npos);
    CHECK(o.out.find("NOTHING WAS CONFIRMED") == std::string::npos);
    std::ifstream file(options.out);
    std::stringstream text;
    text << file.rdbuf();
    auto anchors = verify::parse_trust_anchors(text.str());
    REQUIRE(anchors.ok());
    REQUIRE(anchors->chains.size() == 1);
    const auto& chain = anchors->chains[0];
    CHECK(core::to_hex(chain.chain_identity) == a["chainIdentity"].get<std::string>());
    CHECK(core::to_hex(chain.gateway) == options.gateway);
    CHECK(chain.consensus.checkpoint.number == head - 1);
    CHECK(core::to_hex(chain.consensus.checkpoint.hash) == hash);
    CHECK(chain.consensus.mode == verify::ConsensusMode::kConfirmations);
    CHECK(chain.consensus.confirmations == 1);

    // Never over an existing file.
    const auto again = bootstrap(options, hash.substr(2, 8));
    CHECK(again.code == 1);
    CHECK(again.err.find("anchors.output_exists") != std::string::npos);
  }
  {  // --yes writes without a human, and says so
    app::AnchorsOptions options = base;
    options.out = (dir / "anchors-yes.json").string();
    options.yes = true;
    const auto o = bootstrap(options, "");
    REQUIRE(o.code == 0);
    CHECK(o.out.find("NOTHING WAS CONFIRMED BY A HUMAN") != std::string::npos);
    CHECK(std::filesystem::exists(options.out));
  }
  {  // a wrong typed confirmation writes nothing
    app::AnchorsOptions options = base;
    options.out = (dir / "anchors-wrong.json").string();
    std::string wrong = hash.substr(2, 8);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    for (const auto& typed : {wrong, std::string(), std::string("yes")}) {
      const auto o = bootstrap(options, typed);
      CHECK(o.code == 1);
      CHECK(o.err.find("anchors.not_confirmed") != std::string::npos);
      CHECK_FALSE(std::filesystem::exists(options.out));
    }
  }
  {  // another chain id is refused
    app::AnchorsOptions options = base;
    options.out = (dir / "anchors-id.json").string();
    options.chain_id += 1;
    const auto o = bootstrap(options, hash.substr(2, 8));
    CHECK(o.code == 1);
    CHECK(o.err.find("anchors.chain_id_mismatch") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(options.out));
  }
  {  // an address without code is not a gateway
    app::AnchorsOptions options = base;
    options.out = (dir / "anchors-code.json").string();
    options.gateway = "0x000000000000000000000000000000000000dead";
    const auto o = bootstrap(options, hash.substr(2, 8));
    CHECK(o.code == 1);
    CHECK(o.err.find("anchors.no_gateway_code") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(options.out));
  }
  {  // a BFT mode on a chain that is not BFT is refused, not anchored
    app::AnchorsOptions options = base;
    options.out = (dir / "anchors-qbft.json").string();
    options.mode = "qbft";
    const auto o = bootstrap(options, hash.substr(2, 8));
    CHECK(o.code == 2);
    CHECK_FALSE(std::filesystem::exists(options.out));
  }
  {  // without --depth the node's finalized block is the checkpoint
    app::AnchorsOptions options = base;
    options.depth.reset();
    // anvil finalizes the head minus 64: so far that is before the gateway was deployed, and a
    // checkpoint at which the gateway has no code is refused.
    auto early = app::fetch_anchor(**client, options);
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().reason() == app::reason::anchors::kNoGatewayCode);
    REQUIRE((*client)->call("anvil_mine", nlohmann::json::array({"0x50"})).ok());
    auto anchor = app::fetch_anchor(**client, options);
    INFO((anchor.ok() ? std::string() : anchor.error().message()));
    REQUIRE(anchor.ok());
    const auto finalized = (*client)->call("eth_getBlockByNumber", nlohmann::json::array({"finalized", false}));
    REQUIRE(finalized.ok());
    CHECK(core::to_hex(anchor->consensus.checkpoint.hash) == (*finalized)["hash"].get<std::string>());
    CHECK(anchor->consensus.checkpoint.number > head - 1);
  }
}
