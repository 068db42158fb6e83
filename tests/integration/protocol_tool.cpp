// Test tool: exposes the C++ protocol code (message id, claim, EIP-712 Deliver votes signed with
// libsecp256k1) to the Node.js integration tests, so a real gateway can be shown to accept what
// the C++ side computes. Reads one JSON request on stdin and writes one JSON answer on stdout.
//   {"op":"message_id","message":{...schemas/message.schema.json...}}
//     -> {"id":"0x..","encoded":"0x.."}
//   {"op":"claim","id":"0x..","block_hash":"0x..","block_number":"N","tx_index":N,"log_index":N}
//     -> {"claim":"0x.."}
//   {"op":"sign_deliver","chain_id":"N","gateway":"0x..","chain_identity":"0x..","id":"0x..",
//    "claim":"0x..","epoch":"N","key_files":["path",...]}
//     -> {"digest":"0x..","signatures":["0x..",...]}   (sorted by increasing signer address)
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/eip712.hpp"
#include "relay/core/message.hpp"
#include "relay/core/message_json.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/secp256k1.hpp"

using namespace causeway::core;
using nlohmann::json;

namespace {

// The gateway's own send bound (Gateway.MAX_PAYLOAD).
constexpr MessageLimits kLimits{32 * 1024};

template <typename Fixed>
Result<Fixed> field(const json& request, const char* name) {
  if (!request.contains(name) || !request[name].is_string()) {
    return Error(Reason{"tool.bad_request"}, std::string("missing string field ") + name);
  }
  auto value = fixed_from_hex<Fixed>(request[name].get<std::string>());
  if (!value) return std::move(value).error().with_context(name);
  return value;
}

std::uint64_t decimal(const json& request, const char* name) {
  const auto& v = request.at(name);
  return v.is_string() ? std::stoull(v.get<std::string>()) : v.get<std::uint64_t>();
}

Result<json> message_id_op(const json& request) {
  CW_TRY(Message message, message_from_json(request.at("message"), kLimits));
  return json{{"id", to_hex(message_id(message))}, {"encoded", to_hex(encode_message(message))}};
}

Result<json> claim_op(const json& request) {
  CW_TRY(MessageId id, field<MessageId>(request, "id"));
  CW_TRY(Hash32 block_hash, field<Hash32>(request, "block_hash"));
  const Claim claim = claim_hash(id, block_hash, decimal(request, "block_number"),
                                 static_cast<std::uint32_t>(decimal(request, "tx_index")),
                                 static_cast<std::uint32_t>(decimal(request, "log_index")));
  return json{{"claim", to_hex(claim)}};
}

Result<json> sign_deliver_op(const json& request) {
  CW_TRY(Address gateway, field<Address>(request, "gateway"));
  CW_TRY(ChainIdentity identity, field<ChainIdentity>(request, "chain_identity"));
  CW_TRY(MessageId id, field<MessageId>(request, "id"));
  CW_TRY(Claim claim, field<Claim>(request, "claim"));
  const Hash32 separator = domain_separator(causeway_domain(decimal(request, "chain_id"), gateway, identity));
  const Hash32 digest = vote_digest(separator, DeliverVote{id, claim, Epoch{decimal(request, "epoch")}});

  std::vector<std::pair<Address, std::string>> signed_by;
  for (const auto& path : request.at("key_files")) {
    std::ifstream in(path.get<std::string>());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    CW_TRY(PrivateKey key, PrivateKey::from_hex(text));
    CW_TRY(RecoverableSignature signature, sign_recoverable(digest, key));
    signed_by.emplace_back(address_of(key), to_hex(ByteView(signature.to_rsv())));
  }
  std::sort(signed_by.begin(), signed_by.end());
  json signatures = json::array();
  for (const auto& [address, signature] : signed_by) signatures.push_back(signature);
  return json{{"digest", to_hex(digest)}, {"signatures", signatures}};
}

}  // namespace

int main() {
  try {
    const json request = json::parse(std::cin);
    const std::string op = request.at("op").get<std::string>();
    Result<json> answer = op == "message_id"     ? message_id_op(request)
                          : op == "claim"        ? claim_op(request)
                          : op == "sign_deliver" ? sign_deliver_op(request)
                                                 : Result<json>(Error(Reason{"tool.unknown_op"}, op));
    if (!answer) {
      std::fprintf(stderr, "protocol_tool: %s\n", answer.error().message().c_str());
      return 1;
    }
    std::cout << answer->dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "protocol_tool: bad request: %s\n", e.what());
    return 2;
  }
}
