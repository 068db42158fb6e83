// Prints what relay/verify/fabric_block decodes from each common.Block file given on the command
// line, as one JSON document, for fabric_compare.mjs to check against @hyperledger/fabric-protos.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/verify/fabric_block.hpp"

namespace {

using namespace causeway;
using nlohmann::json;

std::string hx(core::ByteView bytes) { return core::to_hex(bytes, false); }

json dump_block(core::ByteView bytes) {
  auto block = verify::fabric::decode_block(bytes);
  if (!block) return json{{"error", block.error().message()}};
  json txs = json::array();
  for (const core::ByteView envelope : block->envelopes) {
    auto tx = verify::fabric::decode_envelope(envelope);
    if (!tx) {
      txs.push_back(json{{"error", tx.error().message()}});
      continue;
    }
    json actions = json::array();
    for (const verify::fabric::Action& action : tx->actions) {
      json endorsers = json::array();
      for (const auto& e : action.endorsements) endorsers.push_back(e.msp_id);
      actions.push_back(json{{"chaincode_name", action.chaincode_name},
                             {"chaincode_version", action.chaincode_version},
                             {"response_status", action.response_status},
                             {"endorsers", endorsers},
                             {"event_name", action.event ? json(action.event->event_name) : json(nullptr)}});
    }
    txs.push_back(json{{"type", tx->header_type},
                       {"channel_id", tx->channel_id},
                       {"tx_id", tx->tx_id},
                       {"creator_mspid", tx->creator_msp_id},
                       {"actions", actions}});
  }
  return json{{"number", block->header.number},
              {"previous_hash", hx(block->header.previous_hash)},
              {"data_hash", hx(block->header.data_hash)},
              {"envelope_count", block->envelopes.size()},
              {"metadata_count", block->metadata.size()},
              {"transactions", txs}};
}

}  // namespace

int main(int argc, char** argv) {
  json out = json::object();
  for (int i = 1; i < argc; ++i) {
    std::ifstream file(argv[i], std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "fabric_dump: cannot read %s\n", argv[i]);
      return 2;
    }
    const core::Bytes bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    out[argv[i]] = dump_block(bytes);
  }
  std::printf("%s\n", out.dump(1).c_str());
  return 0;
}
