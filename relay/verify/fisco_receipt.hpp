// FISCO BCOS receipts (PROOF_FORMATS.md B.2, B.3): strict decoding of the 2.x 7-field (node < 2.9.0)
// and 8-field (with remainGas) receipt RLP, the receipt hash the 16-ary receiptsRoot commits to, a
// log proven under a sealed header's receiptsRoot; and the 3.x receipt hash over its fields.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/fisco_header.hpp"
#include "relay/verify/fisco_merkle.hpp"
#include "relay/verify/inclusion.hpp"

namespace causeway::verify {

namespace reason::fisco {
// Not an RLP list of 7 or 8 items, or a log that is not [address(20), [topic(32)...], data]
// (any RLP-level fault is reported in the detail).
inline constexpr core::Reason kReceiptMalformed{"fisco.receipt_malformed"};
// A field of the wrong RLP kind or size: a 31-byte state root, a 19-byte contract address, a
// status wider than 64 bits.
inline constexpr core::Reason kReceiptFieldSize{"fisco.receipt_field_size"};
// A 3.x receipt's blockNumber is not the number of the header whose receiptsRoot proves it.
inline constexpr core::Reason kReceiptBlockMismatch{"fisco.receipt_block_mismatch"};
// A 3.x log address that is not 20 bytes of hex (40 digits, optionally 0x-prefixed).
inline constexpr core::Reason kLogAddress{"fisco.log_address"};
// A non-zero status: FISCO's TransactionException code, 0 being None. A failed transaction's
// events never count (THREATS 18).
inline constexpr core::Reason kTransactionFailed{"fisco.transaction_failed"};
}  // namespace reason::fisco

// A decoded 2.x receipt. Views point into `raw`, which the caller keeps alive.
struct Fisco2Receipt {
  core::ByteView raw;
  core::Hash32 state_root;
  std::uint64_t gas_used = 0;  // this transaction's gas; FISCO has no cumulative gas
  core::Address contract_address;
  core::ByteView logs_bloom;  // 256
  std::uint64_t status = 0;   // 0 success, else the TransactionException code
  core::ByteView output;
  std::optional<std::uint64_t> remain_gas;  // the 8-field form of nodes >= 2.9.0
  std::vector<ReceiptLog> logs;
};

// Strict: canonical RLP, 7 or 8 fields of the right kinds and sizes, at most kMaxReceiptLogs logs,
// no trailing bytes. The field count tells the two layouts apart unambiguously (the last field is
// always the log list), and the hash binds whichever the node wrote. Does not judge the status.
core::Result<Fisco2Receipt> decode_fisco2_receipt(core::ByteView rlp);
// H(receipt RLP): the hash in the receipt's leaf rlp(index) ‖ hash.
core::Hash32 fisco2_receipt_hash(FiscoCrypto crypto, core::ByteView rlp) noexcept;
// kTransactionFailed or ok.
core::Result<void> require_fisco_success(const Fisco2Receipt& receipt);

// What a FISCO bundle offers for one log.
struct FiscoReceiptProofInput {
  std::uint32_t receipt_index = 0;  // the transaction's index in the block
  std::uint32_t log_index = 0;      // within the receipt
  core::ByteView receipt;           // the receipt RLP
  std::span<const Fisco2ProofUnit> proof;
};

struct FiscoProvenLog {
  Fisco2Receipt receipt;
  ReceiptLog log;
  std::uint32_t receipt_index = 0;
  std::uint32_t log_index = 0;
};

// Hashes the receipt bytes, proves rlp(receipt_index) ‖ hash under `receipts_root` (taken only from
// a header whose seals were checked, THREATS 15), decodes the receipt, requires success and picks
// the log. The result views input.receipt.
core::Result<FiscoProvenLog> prove_fisco2_log(FiscoCrypto crypto, const core::Hash32& receipts_root,
                                              const FiscoReceiptProofInput& input);

// A 3.x receipt's data fields (TransactionReceiptData). 3.x has no canonical wire bytes to decode
// (TARS or JSON), so the caller fills this from its transport and the hash is recomputed from it.
// String fields are hashed as the node stores them (B.3 caveat: the RPC may add 0x to a non-empty
// contractAddress); no 3.x receipt from a live node has been checked yet.
struct Fisco3Log {
  std::string address;  // as stored
  std::vector<core::Hash32> topics;
  core::Bytes data;
};
struct Fisco3Receipt {
  std::uint32_t version = 0;
  std::string gas_used;  // decimal ASCII
  std::string contract_address;
  std::int32_t status = 0;
  core::Bytes output;
  std::string effective_gas_price;  // hashed from version 1 on only
  std::vector<Fisco3Log> logs;
  std::uint64_t block_number = 0;
};

// be32(version) ‖ gasUsed ‖ contractAddress ‖ be32(status) ‖ output ‖ [effectiveGasPrice] ‖
// (address ‖ topics ‖ data per log) ‖ be64(blockNumber), with no length prefixes; and its hash,
// the 3.x receipt tree's leaf.
core::Bytes fisco3_receipt_preimage(const Fisco3Receipt& receipt);
core::Hash32 fisco3_receipt_hash(const Fisco3Receipt& receipt, FiscoCrypto crypto);

// What a 3.x bundle offers for one log: the receipt's fields and its flat binary-tree proof.
struct Fisco3ReceiptProofInput {
  std::uint32_t receipt_index = 0;  // the transaction's index in the block: bound by the proof
  std::uint32_t log_index = 0;      // within the receipt
  const Fisco3Receipt* receipt = nullptr;
  std::span<const core::Hash32> proof;
};

struct Fisco3ProvenLog {
  ReceiptLog log;  // its data views the input receipt's log
  std::uint32_t receipt_index = 0;
  std::uint32_t log_index = 0;
};

// Recomputes the receipt hash from the fields, proves it as entry receipt_index under
// `receipts_root` of block `block_number` (both taken only from a header whose seals were checked,
// THREATS 15), requires the receipt to name that block and to have succeeded, and reads the log
// with its address decoded from the stored text. The result views *input.receipt.
core::Result<Fisco3ProvenLog> prove_fisco3_log(FiscoCrypto crypto, const core::Hash32& receipts_root,
                                               std::uint64_t block_number, const Fisco3ReceiptProofInput& input);

}  // namespace causeway::verify
