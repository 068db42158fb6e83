// EVM event inclusion (PROOF_FORMATS.md A.4, A.5): a gateway event proven by a receipt MPT proof
// under the receiptsRoot of a finality-checked header, decoded strictly down to the Message or the
// execution outcome, with the id and claim recomputed here (PROTOCOL.md sections 2-4).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/message.hpp"
#include "relay/core/mpt.hpp"
#include "relay/core/rlp.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/consensus.hpp"
#include "relay/verify/evm_header.hpp"

namespace causeway::verify {

namespace reason {
// The value the proof yields differs from the receipt bytes the event would be read from.
inline constexpr core::Reason kReceiptMismatch{"verify.receipt_mismatch"};
// Neither a legacy receipt (an RLP list) nor type 1..4 followed by one.
inline constexpr core::Reason kReceiptBadType{"verify.receipt_bad_type"};
// Not [status, cumulativeGasUsed, bloom(256), [log...]] with log = [address(20), [topic(32)...], data].
inline constexpr core::Reason kReceiptMalformed{"verify.receipt_malformed"};
// A pre-Byzantium receipt carries a post-state root instead of a status: success cannot be read.
inline constexpr core::Reason kReceiptPreByzantium{"verify.receipt_pre_byzantium"};
// Status 0: a failed transaction's events never count (THREATS 18).
inline constexpr core::Reason kTransactionFailed{"verify.transaction_failed"};
// A status that is neither the empty string (failure) nor the single byte 0x01 (success).
inline constexpr core::Reason kReceiptBadStatus{"verify.receipt_bad_status"};
inline constexpr core::Reason kLogIndexOutOfRange{"verify.log_index_out_of_range"};
// The log was emitted by a contract other than the configured gateway (THREATS 16; pNetwork).
inline constexpr core::Reason kWrongEmitter{"verify.wrong_emitter"};
// topic0 is not the expected event's signature hash.
inline constexpr core::Reason kWrongEvent{"verify.wrong_event"};
inline constexpr core::Reason kWrongTopicCount{"verify.wrong_topic_count"};
// The event data does not decode as the event's ABI layout demands.
inline constexpr core::Reason kBadEventData{"verify.bad_event_data"};
// An indexed topic disagrees with the fields it indexes (id, chain, sequence).
inline constexpr core::Reason kTopicMismatch{"verify.topic_mismatch"};
// The id the event carries is not the id recomputed from the message fields.
inline constexpr core::Reason kMessageIdMismatch{"verify.message_id_mismatch"};
}  // namespace reason

// Sanity bound on logs per receipt, checked while decoding (THREATS 24).
inline constexpr std::size_t kMaxReceiptLogs = 4096;
inline constexpr std::size_t kMaxLogTopics = 4;

enum class ReceiptStatus : std::uint8_t { kFailed, kSuccess, kPreByzantiumRoot };

struct ReceiptLog {
  core::Address address;
  std::vector<core::Hash32> topics;
  core::ByteView data;  // views the receipt bytes
};

// A receipt in its consensus encoding, decoded. Views point into the caller's bytes.
struct Receipt {
  std::uint8_t type = 0;  // 0 legacy, 1..4 typed
  ReceiptStatus status = ReceiptStatus::kFailed;
  std::uint64_t cumulative_gas_used = 0;
  core::ByteView logs_bloom;
  std::vector<ReceiptLog> logs;
};

// One log item [address(20), [topic(32)...], data] of a receipt's log list, strictly; `index` names it
// in errors (kReceiptMalformed). Shared by every receipt layout that nests Ethereum-shaped logs.
core::Result<ReceiptLog> decode_receipt_log(const core::rlp::Item& item, std::size_t index);

// Strict: canonical RLP, exactly four fields of the right kinds and sizes, no trailing bytes.
// Does not judge the status; see require_success.
core::Result<Receipt> decode_receipt(core::ByteView consensus_encoding) noexcept;
// kTransactionFailed, kReceiptPreByzantium, or ok.
core::Result<void> require_success(const Receipt& receipt) noexcept;

// What a bundle offers for one log. The verifier derives the trie key rlp(tx_index) itself.
struct ReceiptProofInput {
  std::uint32_t tx_index = 0;
  std::uint32_t log_index = 0;  // within the receipt, not the block-global JSON logIndex (THREATS 17)
  core::ByteView receipt;       // consensus encoding (typed: type byte then RLP)
  std::span<const core::Bytes> proof;
};

// A log whose receipt is proven under a finalized header and belongs to a successful transaction.
struct ProvenLog {
  Receipt receipt;
  ReceiptLog log;
  std::uint32_t tx_index = 0;
  std::uint32_t log_index = 0;
};

// Receipts already proven, so the events of one transaction (twenty or two hundred messages of one
// multicall, or a deliver's executions) hash its proof and decode its receipt once, not once per
// event. An entry is reused only for the same receipts root, transaction index and proof limits with
// every proof node and the receipt byte-equal to the ones proven, so a hit is exactly what proving
// again would give. Thread-safe: a poll's bundles share one across the verify pool.
class ProvenReceipts {
 public:
  // The decoded receipt proven with exactly these inputs and limits, if any.
  std::shared_ptr<const Receipt> find(const core::Hash32& root, const ReceiptProofInput& input,
                                      const core::mpt::ProofLimits& limits) const;
  // Records the receipt of `input`, proven under `root` within `limits`, if it decodes and its
  // transaction succeeded: decoded from the entry's own copy of the bytes, so its views stay valid
  // while this object lives, however soon the bundle that brought it goes.
  core::Result<std::shared_ptr<const Receipt>> add(const core::Hash32& root, const ReceiptProofInput& input,
                                                   const core::mpt::ProofLimits& limits);
  std::size_t hits() const;

 private:
  struct Entry {
    core::Hash32 root;
    std::uint32_t tx_index = 0;
    core::mpt::ProofLimits limits;  // a hit under other limits could skip a tighter bound
    std::vector<core::Bytes> proof;
    core::Bytes receipt;
    std::shared_ptr<const Receipt> decoded;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  mutable std::size_t hits_ = 0;
};

// Verifies the receipt proof under header.receipts_root (taken only from the finality-checked
// header, THREATS 15), requires the proven value to equal the receipt bytes, decodes the receipt,
// requires success and picks the log. With `proven`, a receipt proven before is taken from it and
// a newly proven one added.
core::Result<ProvenLog> prove_log(const FinalizedHeader& header, const ReceiptProofInput& input,
                                  const core::mpt::ProofLimits& limits = {}, ProvenReceipts* proven = nullptr);

// A MessageSent event from the gateway, fully checked: topics are (signature, recomputed id,
// dstChain, sequence), the message decodes within limits, and the claim is recomputed.
struct SentEvent {
  core::Message message;
  core::MessageId id;
  core::Claim claim;
};

// A MessageExecuted event from the gateway: (signature, id, srcChain, sequence) topics and
// (status, delivery claim) data. `claim` is the claim over this event itself (section 6), the
// one an acknowledgement carries; `outcome.claim` is the delivery's claim the event recorded.
struct ExecutedEvent {
  core::MessageId id;
  core::ChainIdentity src_chain;
  core::Sequence sequence;
  core::Outcome outcome;
  core::Claim claim;
};

// Checks emitter and topic0 against the expected event (kWrongEmitter, kWrongEvent, kWrongTopicCount).
core::Result<void> check_event_origin(const ReceiptLog& log, const core::Address& gateway, const core::Hash32& topic0,
                                      std::size_t topic_count) noexcept;

// Decodes the log of a proven MessageSent (origin checked first) and checks its topics.
core::Result<SentEvent> read_message_sent(const ProvenLog& proven, const FinalizedHeader& header,
                                          const core::Address& gateway, const core::MessageLimits& limits);
core::Result<ExecutedEvent> read_message_executed(const ProvenLog& proven, const FinalizedHeader& header,
                                                  const core::Address& gateway);

// prove_log then read_message_sent / read_message_executed: the whole inclusion in one call.
core::Result<SentEvent> verify_message_sent(const FinalizedHeader& header, const ReceiptProofInput& input,
                                            const core::Address& gateway, const core::MessageLimits& limits,
                                            ProvenReceipts* proven = nullptr);
core::Result<ExecutedEvent> verify_message_executed(const FinalizedHeader& header, const ReceiptProofInput& input,
                                                    const core::Address& gateway, ProvenReceipts* proven = nullptr);

// The uint64 an indexed `uint64` topic holds, or kTopicMismatch if its high bytes are not zero.
core::Result<std::uint64_t> topic_uint64(const core::Hash32& topic) noexcept;

}  // namespace causeway::verify
