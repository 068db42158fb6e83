// Receipt decoding, receipt-proof verification and gateway event reading (see inclusion.hpp).
#include "relay/verify/inclusion.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "relay/core/rlp.hpp"

namespace causeway::verify {
namespace {

namespace rlp = core::rlp;

core::Error malformed(std::string what) { return core::Error(reason::kReceiptMalformed, std::move(what)); }

// Wraps a lower-level decoding error so the reason says "receipt" while the detail keeps the cause.
core::Error malformed(std::string where, const core::Error& cause) {
  return core::Error(reason::kReceiptMalformed, std::move(where) + ": " + cause.message());
}

bool equal_bytes(core::ByteView a, core::ByteView b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

core::Result<ReceiptLog> decode_receipt_log(const rlp::Item& item, std::size_t index) {
  const std::string where = "log " + std::to_string(index);
  if (!item.is_list) return malformed(where + " is not a list");
  std::array<rlp::Item, 3> fields;
  auto count = rlp::split_list(item.payload, fields);
  if (!count) return malformed(where, count.error());
  if (*count != 3) return malformed(where + " has " + std::to_string(*count) + " fields, expected 3");
  ReceiptLog log;
  auto address = rlp::read_string(fields[0]);
  if (!address || address->size() != 20) return malformed(where + ": address is not 20 bytes");
  log.address = to_address(*address);
  if (!fields[1].is_list) return malformed(where + ": topics are not a list");
  std::array<rlp::Item, kMaxLogTopics> topics;
  auto topic_count = rlp::split_list(fields[1].payload, topics);
  if (!topic_count) return malformed(where + ": topics", topic_count.error());
  for (std::size_t t = 0; t < *topic_count; ++t) {
    auto topic = rlp::read_string(topics[t]);
    if (!topic || topic->size() != 32) return malformed(where + ": topic " + std::to_string(t) + " is not 32 bytes");
    log.topics.push_back(to_hash32(*topic));
  }
  auto data = rlp::read_string(fields[2]);
  if (!data) return malformed(where + ": data", data.error());
  log.data = *data;
  return log;
}

core::Result<Receipt> decode_receipt(core::ByteView encoding) noexcept {
  if (encoding.empty()) return core::Error(reason::kReceiptBadType, "empty receipt");
  Receipt receipt;
  core::ByteView payload = encoding;
  // EIP-2718: a typed receipt is one type byte then the RLP list; a legacy one is the list itself.
  if (encoding[0] >= 0x01 && encoding[0] <= 0x04) {
    receipt.type = encoding[0];
    payload = encoding.subspan(1);
  } else if (encoding[0] < 0xc0) {
    return core::Error(reason::kReceiptBadType, "first byte " + core::to_hex(encoding.first(1)));
  }
  auto list = rlp::decode_tree(payload);
  if (!list) return malformed("receipt", list.error());
  if (!list->is_list) return malformed("receipt payload is not a list");
  std::array<rlp::Item, 4> fields;
  auto count = rlp::split_list(list->payload, fields);
  if (!count) return malformed("receipt", count.error());
  if (*count != 4) return malformed("receipt has " + std::to_string(*count) + " fields, expected 4");

  auto status = rlp::read_string(fields[0]);
  if (!status) return malformed("status", status.error());
  if (status->empty()) {
    receipt.status = ReceiptStatus::kFailed;
  } else if (status->size() == 1 && (*status)[0] == 0x01) {
    receipt.status = ReceiptStatus::kSuccess;
  } else if (status->size() == 32) {
    receipt.status = ReceiptStatus::kPreByzantiumRoot;
  } else {
    return core::Error(reason::kReceiptBadStatus, "status " + core::to_hex(*status));
  }
  auto gas = rlp::read_uint64(fields[1]);
  if (!gas) return malformed("cumulativeGasUsed", gas.error());
  receipt.cumulative_gas_used = *gas;
  auto bloom = rlp::read_string(fields[2]);
  if (!bloom || bloom->size() != 256) return malformed("logsBloom is not 256 bytes");
  receipt.logs_bloom = *bloom;
  if (!fields[3].is_list) return malformed("logs are not a list");
  rlp::ListReader logs(fields[3].payload);
  while (!logs.done()) {
    if (receipt.logs.size() == kMaxReceiptLogs) return malformed("more than " + std::to_string(kMaxReceiptLogs) + " logs");
    auto item = logs.next();
    if (!item) return malformed("logs", item.error());
    CW_TRY(ReceiptLog log, decode_receipt_log(*item, receipt.logs.size()));
    receipt.logs.push_back(std::move(log));
  }
  return receipt;
}

core::Result<void> require_success(const Receipt& receipt) noexcept {
  switch (receipt.status) {
    case ReceiptStatus::kSuccess: return core::ok();
    case ReceiptStatus::kFailed: return core::Error(reason::kTransactionFailed, "receipt status 0");
    case ReceiptStatus::kPreByzantiumRoot:
      return core::Error(reason::kReceiptPreByzantium, "the receipt holds a post-state root, not a status");
  }
  return core::Error(reason::kReceiptBadStatus);
}

namespace {

// A successful transaction's receipt, decoded from `encoding` (whose bytes it views) and shared.
core::Result<std::shared_ptr<const Receipt>> decode_successful(core::ByteView encoding) {
  CW_TRY(Receipt decoded, decode_receipt(encoding));
  CW_CHECK(require_success(decoded));
  return std::make_shared<const Receipt>(std::move(decoded));
}

}  // namespace

std::shared_ptr<const Receipt> ProvenReceipts::find(const core::Hash32& root, const ReceiptProofInput& input,
                                                    const core::mpt::ProofLimits& limits) const {
  const std::lock_guard lock(mutex_);
  for (const Entry& e : entries_) {
    if (e.tx_index != input.tx_index || e.root != root || e.limits != limits) continue;
    if (!equal_bytes(e.receipt, input.receipt) ||
        !std::equal(e.proof.begin(), e.proof.end(), input.proof.begin(), input.proof.end())) {
      continue;
    }
    ++hits_;
    return e.decoded;
  }
  return nullptr;
}

core::Result<std::shared_ptr<const Receipt>> ProvenReceipts::add(const core::Hash32& root,
                                                                 const ReceiptProofInput& input,
                                                                 const core::mpt::ProofLimits& limits) {
  Entry e{root, input.tx_index, limits, {input.proof.begin(), input.proof.end()},
          {input.receipt.begin(), input.receipt.end()}, nullptr};
  CW_TRY(e.decoded, decode_successful(e.receipt));  // views e.receipt's buffer, which moves with it
  std::shared_ptr<const Receipt> out = e.decoded;
  const std::lock_guard lock(mutex_);
  entries_.push_back(std::move(e));
  return out;
}

std::size_t ProvenReceipts::hits() const {
  const std::lock_guard lock(mutex_);
  return hits_;
}

core::Result<ProvenLog> prove_log(const FinalizedHeader& header, const ReceiptProofInput& input,
                                  const core::mpt::ProofLimits& limits, ProvenReceipts* proven_before) {
  std::shared_ptr<const Receipt> receipt =
      proven_before != nullptr ? proven_before->find(header.receipts_root, input, limits) : nullptr;
  if (receipt == nullptr) {
    // The key is derived inside verify_receipt_proof from the index alone (THREATS 12); a zero root
    // is refused there too (THREATS 8), and absence is an error, never an empty value (THREATS 13).
    CW_TRY(const core::ByteView proven, core::mpt::verify_receipt_proof(header.receipts_root, input.tx_index,
                                                                        input.proof, limits));
    if (!equal_bytes(proven, input.receipt)) {
      return core::Error(reason::kReceiptMismatch, "the proof proves " + std::to_string(proven.size()) +
                                                       " bytes that differ from the " +
                                                       std::to_string(input.receipt.size()) + "-byte receipt");
    }
    if (proven_before != nullptr) {
      CW_TRY(receipt, proven_before->add(header.receipts_root, input, limits));
    } else {
      CW_TRY(receipt, decode_successful(input.receipt));
    }
  }
  if (input.log_index >= receipt->logs.size()) {
    return core::Error(reason::kLogIndexOutOfRange, "log " + std::to_string(input.log_index) + " of " +
                                                        std::to_string(receipt->logs.size()));
  }
  ReceiptLog log = receipt->logs[input.log_index];
  return ProvenLog{*receipt, std::move(log), input.tx_index, input.log_index};
}

core::Result<void> check_event_origin(const ReceiptLog& log, const core::Address& gateway, const core::Hash32& topic0,
                                      std::size_t topic_count) noexcept {
  if (log.address != gateway) {
    return core::Error(reason::kWrongEmitter, "emitted by " + core::to_hex(log.address) + ", gateway is " +
                                                  core::to_hex(gateway));
  }
  if (log.topics.empty() || log.topics[0] != topic0) {
    return core::Error(reason::kWrongEvent,
                       log.topics.empty() ? std::string("anonymous log") : "topic0 " + core::to_hex(log.topics[0]));
  }
  if (log.topics.size() != topic_count) {
    return core::Error(reason::kWrongTopicCount, std::to_string(log.topics.size()) + " topics, expected " +
                                                     std::to_string(topic_count));
  }
  return core::ok();
}

core::Result<std::uint64_t> topic_uint64(const core::Hash32& topic) noexcept {
  for (std::size_t i = 0; i < 24; ++i) {
    if (topic.bytes[i] != 0) return core::Error(reason::kTopicMismatch, "uint64 topic with high bytes set");
  }
  std::uint64_t value = 0;
  for (std::size_t i = 24; i < 32; ++i) value = value << 8 | topic.bytes[i];
  return value;
}

core::Result<SentEvent> read_message_sent(const ProvenLog& proven, const FinalizedHeader& header,
                                          const core::Address& gateway, const core::MessageLimits& limits) {
  const ReceiptLog& log = proven.log;
  CW_CHECK(check_event_origin(log, gateway, core::kMessageSentTopic, 4));
  auto message = core::decode_message_sent_data(log.data, limits);
  if (!message) return core::Error(reason::kBadEventData, std::move(message).error().message());
  // Topics are indexed copies; they must agree with the fields the id is computed from.
  if (core::Hash32{log.topics[2].bytes} != core::Hash32{message->dst_chain.bytes}) {
    return core::Error(reason::kTopicMismatch, "dstChain topic differs from the message's dstChain");
  }
  CW_TRY(const std::uint64_t sequence, topic_uint64(log.topics[3]));
  if (sequence != message->sequence.value) {
    return core::Error(reason::kTopicMismatch, "sequence topic " + std::to_string(sequence) + ", message " +
                                                   std::to_string(message->sequence.value));
  }
  const core::MessageId id = core::message_id(*message);
  if (core::Hash32{log.topics[1].bytes} != core::Hash32{id.bytes}) {
    return core::Error(reason::kMessageIdMismatch, "event id " + core::to_hex(log.topics[1]) + ", recomputed " +
                                                       core::to_hex(id));
  }
  const core::Claim claim = core::claim_hash(id, header.hash, header.number, proven.tx_index, proven.log_index);
  return SentEvent{std::move(message).value(), id, claim};
}

core::Result<ExecutedEvent> read_message_executed(const ProvenLog& proven, const FinalizedHeader& header,
                                                  const core::Address& gateway) {
  const ReceiptLog& log = proven.log;
  CW_CHECK(check_event_origin(log, gateway, core::kMessageExecutedTopic, 4));
  auto outcome = core::decode_outcome_data(log.data);
  if (!outcome) return core::Error(reason::kBadEventData, std::move(outcome).error().message());
  CW_TRY(const std::uint64_t sequence, topic_uint64(log.topics[3]));
  ExecutedEvent out;
  out.id = core::MessageId{log.topics[1].bytes};
  out.src_chain = core::ChainIdentity{log.topics[2].bytes};
  out.sequence = core::Sequence{sequence};
  out.outcome = *outcome;
  out.claim = core::claim_hash(out.id, header.hash, header.number, proven.tx_index, proven.log_index);
  return out;
}

core::Result<SentEvent> verify_message_sent(const FinalizedHeader& header, const ReceiptProofInput& input,
                                            const core::Address& gateway, const core::MessageLimits& limits,
                                            ProvenReceipts* proven_before) {
  CW_TRY(const ProvenLog proven, prove_log(header, input, {}, proven_before));
  return read_message_sent(proven, header, gateway, limits);
}

core::Result<ExecutedEvent> verify_message_executed(const FinalizedHeader& header, const ReceiptProofInput& input,
                                                    const core::Address& gateway, ProvenReceipts* proven_before) {
  CW_TRY(const ProvenLog proven, prove_log(header, input, {}, proven_before));
  return read_message_executed(proven, header, gateway);
}

}  // namespace causeway::verify
