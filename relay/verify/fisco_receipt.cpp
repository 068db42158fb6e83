// FISCO BCOS receipt decoding, receipt inclusion and the 3.x receipt hash (see fisco_receipt.hpp).
#include "relay/verify/fisco_receipt.hpp"

#include <array>
#include <string>

#include "relay/core/rlp.hpp"
#include "relay/verify/evm_header.hpp"

namespace causeway::verify {
namespace {

namespace rlp = core::rlp;

constexpr std::size_t kFieldsBefore290 = 7;
constexpr std::size_t kFieldsWithRemainGas = 8;

core::Error malformed(std::string what) { return core::Error(reason::fisco::kReceiptMalformed, std::move(what)); }

core::Error field_error(std::string_view field, std::string what) {
  return core::Error(reason::fisco::kReceiptFieldSize, std::string(field) + ": " + std::move(what));
}

core::Result<core::ByteView> fixed_field(const rlp::Item& item, std::string_view field, std::size_t size) {
  if (item.is_list) return field_error(field, "a list");
  if (item.payload.size() != size) {
    return field_error(field, std::to_string(item.payload.size()) + " bytes, expected " + std::to_string(size));
  }
  return item.payload;
}

core::Result<std::uint64_t> u64_field(const rlp::Item& item, std::string_view field) {
  auto value = rlp::read_uint64(item);
  if (!value) return field_error(field, value.error().message());
  return *value;
}

void append_be(core::Bytes& out, std::uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void append_text(core::Bytes& out, std::string_view text) { out.insert(out.end(), text.begin(), text.end()); }

}  // namespace

core::Result<Fisco2Receipt> decode_fisco2_receipt(core::ByteView input) {
  auto tree = rlp::decode_tree(input);
  if (!tree) return malformed(tree.error().message());
  if (!tree->is_list) return malformed("not a list");
  std::array<rlp::Item, kFieldsWithRemainGas + 1> fields;
  auto count = rlp::split_list(tree->payload, fields);
  if (!count || (*count != kFieldsBefore290 && *count != kFieldsWithRemainGas)) {
    return malformed(count ? std::to_string(*count) + " fields, expected 7 or 8" : "more than 8 fields");
  }

  Fisco2Receipt receipt;
  receipt.raw = input;
  CW_TRY(const core::ByteView state_root, fixed_field(fields[0], "stateRoot", 32));
  receipt.state_root = to_hash32(state_root);
  CW_TRY(receipt.gas_used, u64_field(fields[1], "gasUsed"));
  CW_TRY(const core::ByteView contract, fixed_field(fields[2], "contractAddress", 20));
  receipt.contract_address = to_address(contract);
  CW_TRY(receipt.logs_bloom, fixed_field(fields[3], "logsBloom", 256));
  CW_TRY(receipt.status, u64_field(fields[4], "status"));
  if (fields[5].is_list) return field_error("output", "a list");
  receipt.output = fields[5].payload;
  if (*count == kFieldsWithRemainGas) {
    CW_TRY(const std::uint64_t remain, u64_field(fields[6], "remainGas"));
    receipt.remain_gas = remain;
  }
  const rlp::Item& logs = fields[*count - 1];
  if (!logs.is_list) return malformed("logs are not a list");
  rlp::ListReader reader(logs.payload);
  while (!reader.done()) {
    if (receipt.logs.size() == kMaxReceiptLogs) {
      return malformed("more than " + std::to_string(kMaxReceiptLogs) + " logs");
    }
    auto item = reader.next();
    if (!item) return malformed("logs: " + item.error().message());
    auto log = decode_receipt_log(*item, receipt.logs.size());
    if (!log) return malformed(log.error().detail());
    receipt.logs.push_back(std::move(log).value());
  }
  return receipt;
}

core::Hash32 fisco2_receipt_hash(FiscoCrypto crypto, core::ByteView rlp) noexcept { return fisco_hash(crypto, rlp); }

core::Result<void> require_fisco_success(const Fisco2Receipt& receipt) {
  if (receipt.status != 0) {
    return core::Error(reason::fisco::kTransactionFailed, "status " + std::to_string(receipt.status));
  }
  return core::ok();
}

core::Result<FiscoProvenLog> prove_fisco2_log(FiscoCrypto crypto, const core::Hash32& receipts_root,
                                              const FiscoReceiptProofInput& input) {
  // The leaf is built here from the index and the hash of the very bytes decoded below, so the
  // proof binds both the position and the content the event is read from (B.2).
  CW_CHECK(verify_fisco2_proof(crypto, input.receipt_index, fisco2_receipt_hash(crypto, input.receipt), input.proof,
                               receipts_root));
  CW_TRY(Fisco2Receipt receipt, decode_fisco2_receipt(input.receipt));
  CW_CHECK(require_fisco_success(receipt));
  if (input.log_index >= receipt.logs.size()) {
    return core::Error(reason::kLogIndexOutOfRange, "log " + std::to_string(input.log_index) + " of " +
                                                        std::to_string(receipt.logs.size()));
  }
  ReceiptLog log = receipt.logs[input.log_index];
  return FiscoProvenLog{std::move(receipt), std::move(log), input.receipt_index, input.log_index};
}

core::Bytes fisco3_receipt_preimage(const Fisco3Receipt& r) {
  // Sized up front: besides saving reallocations, g++ 12 at -O3 otherwise reports a false
  // stringop-overflow on the first append to the empty vector.
  std::size_t size = 4 + r.gas_used.size() + r.contract_address.size() + 4 + r.output.size() +
                     r.effective_gas_price.size() + 8;
  for (const auto& log : r.logs) size += log.address.size() + 32 * log.topics.size() + log.data.size();
  core::Bytes out;
  out.reserve(size);
  append_be(out, r.version, 4);
  append_text(out, r.gas_used);
  append_text(out, r.contract_address);
  append_be(out, static_cast<std::uint32_t>(r.status), 4);  // int32 as its two's complement
  out.insert(out.end(), r.output.begin(), r.output.end());
  if (r.version >= 1) append_text(out, r.effective_gas_price);
  for (const auto& log : r.logs) {
    append_text(out, log.address);
    for (const auto& topic : log.topics) out.insert(out.end(), topic.bytes.begin(), topic.bytes.end());
    out.insert(out.end(), log.data.begin(), log.data.end());
  }
  append_be(out, r.block_number, 8);
  return out;
}

core::Hash32 fisco3_receipt_hash(const Fisco3Receipt& receipt, FiscoCrypto crypto) {
  return fisco_hash(crypto, fisco3_receipt_preimage(receipt));
}

core::Result<Fisco3ProvenLog> prove_fisco3_log(FiscoCrypto crypto, const core::Hash32& receipts_root,
                                               std::uint64_t block_number, const Fisco3ReceiptProofInput& input) {
  const Fisco3Receipt& receipt = *input.receipt;
  // The leaf is the hash of the very fields the log is read from below (B.3; the WeCross stub
  // trusts the RPC's receiptHash instead).
  CW_CHECK(verify_fisco3_proof(crypto, input.receipt_index, fisco3_receipt_hash(receipt, crypto), input.proof,
                               receipts_root));
  if (receipt.block_number != block_number) {
    return core::Error(reason::fisco::kReceiptBlockMismatch, "receipt of block " +
                                                                 std::to_string(receipt.block_number) + " under block " +
                                                                 std::to_string(block_number));
  }
  if (receipt.status != 0) {
    return core::Error(reason::fisco::kTransactionFailed, "status " + std::to_string(receipt.status));
  }
  if (input.log_index >= receipt.logs.size()) {
    return core::Error(reason::kLogIndexOutOfRange, "log " + std::to_string(input.log_index) + " of " +
                                                        std::to_string(receipt.logs.size()));
  }
  const Fisco3Log& log = receipt.logs[input.log_index];
  // Nodes store the emitter as hex text; the hash bound the text, the gateway check needs the bytes.
  auto address = core::fixed_from_hex<core::Address>(log.address);
  if (!address) {
    // Appended piecewise: g++ 12 at -O3 reports a false -Wrestrict on "literal" + std::string&&.
    std::string shown = "\"";
    shown.append(log.address, 0, 64).push_back('"');
    return core::Error(reason::fisco::kLogAddress, std::move(shown));
  }
  return Fisco3ProvenLog{ReceiptLog{*address, log.topics, log.data}, input.receipt_index, input.log_index};
}

}  // namespace causeway::verify
