// Tests for relay/verify/inclusion: strict receipt decoding and receipt-proof inclusion on the real
// anvil bundles, with the THREATS classes of Merkle-Patricia proofs and event meaning by name.
#include <catch2/catch.hpp>

#include "relay/core/hash.hpp"
#include "relay/verify/inclusion.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

using namespace causeway;
using namespace causeway::verify;
using namespace causeway::test::bundle_fixtures;

namespace {

// The header a bundle's inclusion hangs from, as finality would return it (hash and number checked
// by the verify tests; here only the receiptsRoot of the hashed header bytes matters).
FinalizedHeader header_of(const Bundle& b) {
  auto h = decode_evm_header(b.source.header);
  REQUIRE(h.ok());
  return FinalizedHeader{plain_hash(*h), h->number, to_hash32(h->state_root), to_hash32(h->receipts_root), {}, {}};
}

ReceiptProofInput input_of(const Bundle& b) {
  return ReceiptProofInput{b.inclusion.tx_index, b.inclusion.log_index, b.inclusion.receipt, b.inclusion.proof};
}

const ChainAnchor& chain_a() {
  static const TrustAnchors a = anchors();
  return a.chains[0];
}

// A receipt re-encoded from its decoded parts with one part replaced.
struct ReceiptParts {
  std::uint8_t type = 0;
  core::Bytes status;
  core::Bytes gas_item;  // encoded
  core::Bytes bloom;
  std::vector<core::Bytes> logs;  // encoded log items
};
ReceiptParts parts_of(const core::Bytes& receipt) {
  ReceiptParts p;
  core::ByteView body = receipt;
  if (receipt[0] < 0xc0) {
    p.type = receipt[0];
    body = body.subspan(1);
  }
  auto fields = items_of(body);
  REQUIRE(fields.size() == 4);
  auto status = core::rlp::decode_exact(fields[0]);
  p.status.assign(status->payload.begin(), status->payload.end());
  p.gas_item = fields[1];
  auto bloom = core::rlp::decode_exact(fields[2]);
  p.bloom.assign(bloom->payload.begin(), bloom->payload.end());
  p.logs = items_of(fields[3]);
  return p;
}
core::Bytes encode(const ReceiptParts& p) {
  std::vector<core::Bytes> fields{core::rlp::encode_string(p.status), p.gas_item, core::rlp::encode_string(p.bloom),
                                  core::rlp::encode_list(p.logs)};
  core::Bytes out;
  if (p.type != 0) out.push_back(p.type);
  core::append(out, core::rlp::encode_list(fields));
  return out;
}

}  // namespace

TEST_CASE("real receipts decode: types, status, logs and their emitters", "[derived]") {
  const auto b = bundle("a_sent_tx1_log3");
  auto r = decode_receipt(b.inclusion.receipt);
  REQUIRE(r.ok());
  CHECK(r->type == 2);
  CHECK(r->status == ReceiptStatus::kSuccess);
  REQUIRE(r->logs.size() == 6);  // Noise, MessageSent, Noise, MessageSent, Noise, MessageSent
  const auto multi = *core::fixed_from_hex<core::Address>(data()["blocks"][0]["multi_send_contract"].get<std::string>());
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK((r->logs[i].address == (i % 2 == 0 ? multi : chain_a().gateway)));
  }
  CHECK(r->logs[3].topics[0] == core::kMessageSentTopic);
  // Encoding back from the parts gives the same bytes: nothing is dropped by decoding.
  CHECK(encode(parts_of(b.inclusion.receipt)) == b.inclusion.receipt);
}

TEST_CASE("receipt decoding refuses unknown types, bad status forms and extra fields by name", "[unit]") {
  const auto good = bundle("a_sent_tx0_log0").inclusion.receipt;
  auto typed = good;
  typed[0] = 0x05;
  CHECK(decode_receipt(typed).error().reason() == reason::kReceiptBadType);
  typed[0] = 0x00;
  CHECK(decode_receipt(typed).error().reason() == reason::kReceiptBadType);
  CHECK(decode_receipt({}).error().reason() == reason::kReceiptBadType);

  auto p = parts_of(good);
  p.status = {0x00};  // failure is the empty string, never 0x00
  CHECK(decode_receipt(encode(p)).error().reason() == reason::kReceiptBadStatus);
  p.status = {0x01, 0x00};
  CHECK(decode_receipt(encode(p)).error().reason() == reason::kReceiptBadStatus);

  auto extra = good;
  extra.push_back(0x80);  // trailing byte after the list
  CHECK(decode_receipt(extra).error().reason() == reason::kReceiptMalformed);

  p = parts_of(good);
  p.bloom.pop_back();
  CHECK(decode_receipt(encode(p)).error().reason() == reason::kReceiptMalformed);

  p = parts_of(good);
  auto log = items_of(p.logs[0]);
  log.push_back(core::rlp::encode_string({}));  // a fourth log field
  p.logs[0] = core::rlp::encode_list(log);
  CHECK(decode_receipt(encode(p)).error().reason() == reason::kReceiptMalformed);

  p = parts_of(good);
  log = items_of(p.logs[0]);
  auto topics = items_of(log[1]);
  while (topics.size() < 5) topics.push_back(topics[0]);  // five topics: no EVM log has more than four
  log[1] = core::rlp::encode_list(topics);
  p.logs[0] = core::rlp::encode_list(log);
  CHECK(decode_receipt(encode(p)).error().reason() == reason::kReceiptMalformed);
}

TEST_CASE("the real bundles' events are read back with id and claim recomputed", "[derived]") {
  for (const auto& entry : data()["bundles"]) {
    const std::string name = entry["name"];
    if (name.rfind("a_", 0) != 0) continue;
    INFO(name);
    const auto b = bundle(name);
    const auto header = header_of(b);
    auto sent = verify_message_sent(header, input_of(b), chain_a().gateway, chain_a().limits);
    REQUIRE(sent.ok());
    CHECK(sent->message == b.message);
    CHECK(sent->claim == b.claim);
    CHECK(sent->id == core::message_id(b.message));
  }
}

TEST_CASE("acknowledgement bundles: MessageExecuted read back with status and delivery claim", "[derived]") {
  const TrustAnchors a = anchors();
  for (const std::string name : {"b_executed_tx0_log0", "b_executed_tx0_log1", "b_executed_tx0_log2"}) {
    INFO(name);
    const auto b = bundle(name);
    auto executed = verify_message_executed(header_of(b), input_of(b), a.chains[1].gateway);
    REQUIRE(executed.ok());
    CHECK(executed->id == core::message_id(b.message));
    CHECK(executed->outcome.status == core::ExecStatus::kOk);
    CHECK(executed->claim == b.claim);
    CHECK(executed->src_chain == b.message.src_chain);
    CHECK(executed->sequence == b.message.sequence);
    // The delivery claim it records is the claim of the message bundle for the same event.
    bool matched = false;
    for (const auto& entry : data()["bundles"]) {
      const std::string other = entry["name"];
      if (other.rfind("a_sent_tx1", 0) == 0 && bundle(other).message == b.message) {
        CHECK(executed->outcome.claim == bundle(other).claim);
        matched = true;
      }
    }
    CHECK(matched);
    // A MessageExecuted is not a MessageSent.
    CHECK(verify_message_sent(header_of(b), input_of(b), a.chains[1].gateway, a.chains[1].limits).error().reason() ==
          reason::kWrongEvent);
  }
}

TEST_CASE("nomad: zero receiptsRoot is rejected", "[derived]") {
  const auto b = bundle("a_sent_tx0_log0");
  auto header = header_of(b);
  header.receipts_root = core::Hash32{};
  CHECK(prove_log(header, input_of(b)).error().reason() == core::mpt::reason::kZeroRoot);
  // And through a whole bundle whose header really carries the zero root.
  auto fields = items_of(b.source.header);
  fields[5] = core::rlp::encode_string(core::Hash32{}.view());
  Bundle forged = b;
  forged.source.header = core::rlp::encode_list(fields);
  forged.source.block_hash = core::keccak256(forged.source.header);
  CanonicalHashMap canonical;
  canonical.add(b.source.chain_identity, b.source.block_number, forged.source.block_hash);
  const auto v = verify_bundle(forged, anchors(), canonical);
  CHECK(v.outcome == Outcome::kInvalid);
  CHECK(v.first_problem()->name == check::kInclusion);
  CHECK(v.first_problem()->reason == core::mpt::reason::kZeroRoot);
}

TEST_CASE("polygon: the trie key is derived from the tx index, no other encoding proves the event", "[derived]") {
  const auto b = bundle("a_sent_tx1_log3");
  const auto header = header_of(b);
  REQUIRE(prove_log(header, input_of(b)).ok());
  // Other indices whose keys could be confused with rlp(1) in a non-canonical encoding (0x8101,
  // 0x820001 ...) are different indices to the verifier; the proof of tx 1 proves none of them.
  for (std::uint32_t other : {0u, 2u, 3u, 0x81u, 0x101u, 0x10001u, 0x01000001u}) {
    INFO(other);
    auto input = input_of(b);
    input.tx_index = other;
    CHECK_FALSE(prove_log(header, input).ok());
  }
  // A hand-made non-canonical key fails at the MPT layer as well.
  const core::Bytes non_canonical{0x81, 0x01};
  CHECK_FALSE(core::mpt::verify_inclusion(header.receipts_root, non_canonical, b.inclusion.proof).ok());
}

TEST_CASE("absence never reads as inclusion", "[derived]") {
  const auto b = bundle("a_sent_tx0_log0");
  const auto receipts = block_receipts(b.source.chain_identity);
  const auto trie = core::mpt::indexed_trie(receipts);
  for (std::uint32_t missing : {static_cast<std::uint32_t>(receipts.size()), 9u, 200u}) {
    INFO(missing);
    const auto proof = trie.prove(core::mpt::receipt_key(missing));
    ReceiptProofInput input{missing, 0, b.inclusion.receipt, proof};
    auto proven = prove_log(header_of(b), input);
    REQUIRE_FALSE(proven.ok());
    CHECK(proven.error().reason() == core::mpt::reason::kKeyAbsent);
  }
}

TEST_CASE("non-canonical RLP in a proven receipt is refused", "[derived]") {
  const auto b = bundle("a_sent_tx0_log0");
  auto p = parts_of(b.inclusion.receipt);
  // cumulativeGasUsed with a leading zero byte: same number, another encoding.
  auto gas = core::rlp::decode_exact(p.gas_item);
  core::Bytes padded{0x00};
  padded.insert(padded.end(), gas->payload.begin(), gas->payload.end());
  p.gas_item = core::rlp::encode_string(padded);
  const auto forged = reforge_receipt(b, encode(p), core::message_id(b.message));
  const auto v = verify_bundle(forged.bundle, anchors(), forged.canonical);
  CHECK(v.first_problem()->name == check::kInclusion);
  CHECK(v.first_problem()->reason == reason::kReceiptMalformed);

  // Trailing bytes after the receipt list, proven by a rebuilt trie.
  auto trailing = b.inclusion.receipt;
  trailing.push_back(0x00);
  const auto forged2 = reforge_receipt(b, trailing, core::message_id(b.message));
  const auto v2 = verify_bundle(forged2.bundle, anchors(), forged2.canonical);
  CHECK(v2.first_problem()->name == check::kInclusion);
  CHECK(v2.first_problem()->reason == reason::kReceiptMalformed);
}

TEST_CASE("receiptsRoot is taken only from the hashed header", "[derived]") {
  const auto b = bundle("a_sent_tx0_log0");
  const TrustAnchors a = anchors();
  // A receipt rebuilt into another trie: its root is nowhere in the hashed header, so no bundle
  // field can make the verifier use it.
  auto p = parts_of(b.inclusion.receipt);
  p.gas_item = core::rlp::encode_uint(1);
  auto receipts = block_receipts(b.source.chain_identity);
  receipts[0] = encode(p);
  const auto trie = core::mpt::indexed_trie(receipts);
  Bundle forged = b;
  forged.inclusion.receipt = receipts[0];
  forged.inclusion.proof = trie.prove(core::mpt::receipt_key(0));
  auto v = verify_bundle(forged, a, canonical());
  CHECK(v.first_problem()->name == check::kInclusion);
  CHECK(v.first_problem()->reason == core::mpt::reason::kRootMismatch);

  // The header's receiptsRoot swapped for the new root without re-hashing: the header check fails.
  auto fields = items_of(b.source.header);
  fields[5] = core::rlp::encode_string(trie.root().view());
  forged.source.header = core::rlp::encode_list(fields);
  v = verify_bundle(forged, a, canonical());
  CHECK(v.first_problem()->name == check::kHeader);
  CHECK(v.first_problem()->reason == reason::kBlockHashMismatch);

  // Re-hashed too: it is no longer the canonical block.
  forged.source.block_hash = core::keccak256(forged.source.header);
  v = verify_bundle(forged, a, canonical());
  CHECK(v.first_problem()->name == check::kFinality);
  CHECK(v.first_problem()->reason == reason::kCanonicalHashMismatch);
}

TEST_CASE("pnetwork: event from another contract is rejected", "[derived]") {
  const auto b = bundle("a_sent_tx1_log3");
  const TrustAnchors a = anchors();
  // The same MessageSent bytes, emitted by the MultiSend contract instead of the gateway.
  auto p = parts_of(b.inclusion.receipt);
  auto log = items_of(p.logs[3]);
  log[0] = core::rlp::encode_string(*core::from_hex(data()["blocks"][0]["multi_send_contract"].get<std::string>()));
  p.logs[3] = core::rlp::encode_list(log);
  const auto forged = reforge_receipt(b, encode(p), core::message_id(b.message));
  auto v = verify_bundle(forged.bundle, a, forged.canonical);
  CHECK(v.outcome == Outcome::kInvalid);
  CHECK(v.first_problem()->name == check::kEvent);
  CHECK(v.first_problem()->reason == reason::kWrongEmitter);

  // The other contract's real log in the same receipt (Noise, log 2).
  Bundle noise = b;
  noise.inclusion.log_index = 2;
  v = verify_bundle(noise, a, canonical());
  CHECK(v.first_problem()->name == check::kEvent);
  CHECK(v.first_problem()->reason == reason::kWrongEmitter);

  // A gateway event presented as another gateway's: the anchors name the gateway, not the bundle.
  TrustAnchors other = a;
  other.chains[0].gateway = *core::fixed_from_hex<core::Address>(data()["blocks"][0]["multi_send_contract"].get<std::string>());
  v = verify_bundle(b, other, canonical());
  CHECK(v.first_problem()->name == check::kIdentity);
  CHECK(v.first_problem()->reason == reason::kGatewayMismatch);
}

TEST_CASE("qubit: several events in one tx are identified by the log index in the receipt", "[derived]") {
  const TrustAnchors a = anchors();
  const auto source = canonical();
  std::vector<core::Claim> claims;
  for (const std::string name : {"a_sent_tx1_log1", "a_sent_tx1_log3", "a_sent_tx1_log5"}) {
    INFO(name);
    const auto b = bundle(name);
    std::int64_t global = -1;
    for (const auto& entry : data()["bundles"]) {
      if (entry["name"] == name) global = entry["global_log_index"].get<std::int64_t>();
    }
    REQUIRE(global != static_cast<std::int64_t>(b.inclusion.log_index));  // the block-global index differs
    const auto v = verify_bundle(b, a, source);
    CHECK(v.outcome == Outcome::kValid);
    claims.push_back(*v.claim);
    // The block-global JSON logIndex names another log (or none) in this receipt.
    Bundle global_index = b;
    global_index.inclusion.log_index = static_cast<std::uint32_t>(global);
    const auto wrong = verify_bundle(global_index, a, source);
    CHECK(wrong.outcome == Outcome::kInvalid);
    const bool expected = wrong.first_problem()->reason == reason::kWrongEmitter ||
                          wrong.first_problem()->reason == reason::kLogIndexOutOfRange ||
                          wrong.first_problem()->reason == reason::kBundleMessageMismatch;
    CHECK(expected);
  }
  CHECK(claims[0] != claims[1]);
  CHECK(claims[1] != claims[2]);
  CHECK(claims[0] != claims[2]);
}

TEST_CASE("failed transaction's events do not count", "[derived]") {
  const TrustAnchors a = anchors();
  // The block's real reverted send: status 0, proven by the real trie.
  const auto b = bundle("a_sent_tx0_log0");
  const auto receipts = block_receipts(b.source.chain_identity);
  const auto failed_tx = data()["blocks"][0]["failed_tx"].get<std::uint32_t>();
  Bundle failed = b;
  failed.inclusion.tx_index = failed_tx;
  failed.inclusion.receipt = receipts[failed_tx];
  failed.inclusion.proof = core::mpt::indexed_trie(receipts).prove(core::mpt::receipt_key(failed_tx));
  auto v = verify_bundle(failed, a, canonical());
  CHECK(v.first_problem()->name == check::kInclusion);
  CHECK(v.first_problem()->reason == reason::kTransactionFailed);

  // A successful receipt with its status flipped to failure, in a rebuilt trie and header.
  auto p = parts_of(b.inclusion.receipt);
  p.status = {};
  auto forged = reforge_receipt(b, encode(p), core::message_id(b.message));
  v = verify_bundle(forged.bundle, a, forged.canonical);
  CHECK(v.first_problem()->name == check::kInclusion);
  CHECK(v.first_problem()->reason == reason::kTransactionFailed);

  // A pre-Byzantium post-state root in place of the status is refused by name.
  p.status = core::Bytes(32, 0x11);
  forged = reforge_receipt(b, encode(p), core::message_id(b.message));
  v = verify_bundle(forged.bundle, a, forged.canonical);
  CHECK(v.first_problem()->reason == reason::kReceiptPreByzantium);
}

TEST_CASE("event topics must agree with the message they index", "[derived]") {
  const auto b = bundle("a_sent_tx0_log0");
  const TrustAnchors a = anchors();
  struct Case {
    std::size_t topic;
    core::Reason expected;
  };
  for (const Case c : {Case{1, reason::kMessageIdMismatch}, Case{2, reason::kTopicMismatch},
                       Case{3, reason::kTopicMismatch}}) {
    INFO(c.topic);
    auto p = parts_of(b.inclusion.receipt);
    auto log = items_of(p.logs[0]);
    auto topics = items_of(log[1]);
    const auto topic_view = *core::rlp::read_string(*core::rlp::decode_exact(topics[c.topic]));
    core::Bytes topic(topic_view.begin(), topic_view.end());
    topic[31] ^= 0x01;
    topics[c.topic] = core::rlp::encode_string(topic);
    log[1] = core::rlp::encode_list(topics);
    p.logs[0] = core::rlp::encode_list(log);
    const auto forged = reforge_receipt(b, encode(p), core::message_id(b.message));
    const auto v = verify_bundle(forged.bundle, a, forged.canonical);
    CHECK(v.first_problem()->reason == c.expected);
    CHECK(v.first_problem()->name == (c.topic == 1 ? check::kMessageId : check::kEvent));
  }
}

// Three events of one transaction (tx 1 of chain a): proven once, read three times; only inputs
// byte-equal to the proven ones reuse it, so a changed receipt or proof node is judged afresh.
TEST_CASE("proven receipts: one transaction's receipt is proven once for all its events", "[derived]") {
  ProvenReceipts proven;
  std::vector<core::MessageId> ids;
  for (const std::string name : {"a_sent_tx1_log1", "a_sent_tx1_log3", "a_sent_tx1_log5"}) {
    INFO(name);
    const auto b = bundle(name);
    auto sent = verify_message_sent(header_of(b), input_of(b), chain_a().gateway, chain_a().limits, &proven);
    REQUIRE(sent.ok());
    auto alone = verify_message_sent(header_of(b), input_of(b), chain_a().gateway, chain_a().limits);
    REQUIRE(alone.ok());
    CHECK(sent->claim == alone->claim);  // the same answer as proving again
    CHECK(sent->claim == b.claim);
    ids.push_back(sent->id);
  }
  CHECK(proven.hits() == 2);
  CHECK(ids[0] != ids[1]);

  const auto b = bundle("a_sent_tx1_log3");
  // A receipt that differs from the proven one: no reuse; the proof still names the mismatch.
  Bundle other_receipt = b;
  other_receipt.inclusion.receipt.back() ^= 0x01;
  CHECK(prove_log(header_of(b), input_of(other_receipt), {}, &proven).error().reason() == reason::kReceiptMismatch);
  // The same receipt under a changed proof node: no reuse; the proof fails by its own reason.
  Bundle other_proof = b;
  other_proof.inclusion.proof.front().back() ^= 0x01;
  auto changed = prove_log(header_of(b), input_of(other_proof), {}, &proven);
  REQUIRE_FALSE(changed.ok());
  CHECK(changed.error().reason().name.rfind("mpt.", 0) == 0);
  // Another root (another block) with the same bytes: no reuse.
  FinalizedHeader elsewhere = header_of(b);
  elsewhere.receipts_root.bytes[0] ^= 0x01;
  CHECK_FALSE(prove_log(elsewhere, input_of(b), {}, &proven).ok());
  // Tighter proof limits than the ones it was proven under: no reuse; the bound applies.
  core::mpt::ProofLimits one_node;
  one_node.max_nodes = 1;
  auto bounded = prove_log(header_of(b), input_of(b), one_node, &proven);
  REQUIRE_FALSE(bounded.ok());
  CHECK(bounded.error().reason().name.rfind("mpt.", 0) == 0);
  CHECK(proven.hits() == 2);
  // A log index beyond the receipt is refused on a reused receipt as on a fresh one.
  Bundle beyond = b;
  beyond.inclusion.log_index = 1000;
  CHECK(prove_log(header_of(b), input_of(beyond), {}, &proven).error().reason() == reason::kLogIndexOutOfRange);
  CHECK(proven.hits() == 3);
}
