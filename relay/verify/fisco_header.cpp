// FISCO BCOS header decoding and hashing (see fisco_header.hpp).
#include "relay/verify/fisco_header.hpp"

#include <array>
#include <string>

#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"
#include "relay/verify/evm_header.hpp"

namespace causeway::verify {
namespace {

namespace rlp = core::rlp;

constexpr std::size_t kFisco2HeaderFields = 13;

core::Error field_error(std::size_t index, std::string what) {
  return core::Error(reason::fisco::kHeaderFieldSize, "field " + std::to_string(index) + ": " + std::move(what));
}

core::Result<core::ByteView> fixed_field(const rlp::Item& item, std::size_t index, std::size_t size) {
  if (item.is_list) return field_error(index, "a list");
  if (item.payload.size() != size) {
    return field_error(index, std::to_string(item.payload.size()) + " bytes, expected " + std::to_string(size));
  }
  return item.payload;
}

core::Result<std::uint64_t> u64_field(const rlp::Item& item, std::size_t index) {
  auto value = rlp::read_uint64(item);
  if (!value) return field_error(index, std::string(value.error().reason().name));
  return *value;
}

// A list of byte strings, each of `size` bytes when size is non-zero.
core::Result<std::vector<core::ByteView>> string_list_field(const rlp::Item& item, std::size_t index,
                                                            std::size_t size) {
  if (!item.is_list) return field_error(index, "not a list");
  std::vector<core::ByteView> out;
  rlp::ListReader reader(item.payload);
  while (!reader.done()) {
    auto element = reader.next();
    if (!element) return field_error(index, std::string(element.error().reason().name));
    if (size != 0) {
      CW_TRY(auto bytes, fixed_field(*element, index, size));
      out.push_back(bytes);
    } else {
      if (element->is_list) return field_error(index, "a nested list");
      out.push_back(element->payload);
    }
  }
  return out;
}

void append_be32(core::Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void append_be64(core::Bytes& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// One integer of the preimage. The release candidates stored host_to_network_long(x) in an
// 8-byte long, so the low 32 bits come out big-endian followed by four zero bytes.
void append_integer(core::Bytes& out, std::uint64_t value, Fisco3Layout layout) {
  if (layout == Fisco3Layout::kReleaseCandidate) {
    append_be32(out, static_cast<std::uint32_t>(value));
    append_be32(out, 0);
  } else {
    append_be64(out, value);
  }
}

}  // namespace

core::Hash32 fisco_hash(FiscoCrypto crypto, core::ByteView data) noexcept {
  return crypto == FiscoCrypto::kSm ? core::sm3(data) : core::keccak256(data);
}

core::Result<Fisco2Header> decode_fisco2_header(core::ByteView input) {
  if (input.size() > kMaxFiscoHeaderBytes) {
    return core::Error(reason::fisco::kHeaderTooLarge, std::to_string(input.size()) + " bytes");
  }
  auto tree = rlp::decode_tree(input);
  if (!tree) return core::Error(reason::fisco::kHeaderMalformed, std::string(tree.error().reason().name));
  if (!tree->is_list) return core::Error(reason::fisco::kHeaderMalformed, "not a list");
  std::array<rlp::Item, kFisco2HeaderFields + 1> fields;
  auto count = rlp::split_list(tree->payload, fields);
  if (!count || *count != kFisco2HeaderFields) {
    return core::Error(reason::fisco::kHeaderMalformed,
                       count ? std::to_string(*count) + " fields, expected 13" : "more than 13 fields");
  }

  Fisco2Header header;
  header.raw = input;
  CW_TRY(auto parent, fixed_field(fields[0], 0, 32));
  CW_TRY(auto state, fixed_field(fields[1], 1, 32));
  CW_TRY(auto txs, fixed_field(fields[2], 2, 32));
  CW_TRY(auto receipts, fixed_field(fields[3], 3, 32));
  CW_TRY(auto db, fixed_field(fields[4], 4, 32));
  header.parent_hash = to_hash32(parent);
  header.state_root = to_hash32(state);
  header.transactions_root = to_hash32(txs);
  header.receipts_root = to_hash32(receipts);
  header.db_hash = to_hash32(db);
  CW_TRY(header.logs_bloom, fixed_field(fields[5], 5, 256));
  CW_TRY(header.number, u64_field(fields[6], 6));
  CW_TRY(header.gas_limit, u64_field(fields[7], 7));
  CW_TRY(header.gas_used, u64_field(fields[8], 8));
  CW_TRY(header.timestamp, u64_field(fields[9], 9));
  CW_TRY(header.extra_data, string_list_field(fields[10], 10, 0));
  CW_TRY(header.sealer, u64_field(fields[11], 11));
  CW_TRY(header.sealer_list, string_list_field(fields[12], 12, kFiscoNodeIdSize));
  if (header.sealer_list.empty()) return field_error(12, "empty sealer list");
  if (header.sealer >= header.sealer_list.size()) {
    return core::Error(reason::fisco::kBadSealerIndex, "sealer " + std::to_string(header.sealer) + " of " +
                                                           std::to_string(header.sealer_list.size()));
  }
  return header;
}

core::Hash32 fisco2_header_hash(const Fisco2Header& header, FiscoCrypto crypto) noexcept {
  return fisco_hash(crypto, header.raw);
}

core::Result<void> validate_fisco3_header(const Fisco3Header& header) {
  if (header.sealer_list.empty()) return core::Error(reason::fisco::kHeaderFieldSize, "empty sealer list");
  for (std::size_t i = 0; i < header.sealer_list.size(); ++i) {
    if (header.sealer_list[i].size() != kFiscoNodeIdSize) {
      return core::Error(reason::fisco::kHeaderFieldSize,
                         "sealerList[" + std::to_string(i) + "]: " + std::to_string(header.sealer_list[i].size()) +
                             " bytes, expected 64");
    }
  }
  if (header.sealer >= header.sealer_list.size()) {
    return core::Error(reason::fisco::kBadSealerIndex, "sealer " + std::to_string(header.sealer) + " of " +
                                                           std::to_string(header.sealer_list.size()));
  }
  if (header.consensus_weights.size() != header.sealer_list.size()) {
    return core::Error(reason::fisco::kWeightsMismatch,
                       std::to_string(header.consensus_weights.size()) + " weights for " +
                           std::to_string(header.sealer_list.size()) + " sealers");
  }
  if (header.gas_used.empty() || header.gas_used.find_first_not_of("0123456789") != std::string::npos) {
    return core::Error(reason::fisco::kHeaderFieldSize, "gasUsed is not a decimal string");
  }
  return core::ok();
}

core::Bytes fisco3_header_preimage(const Fisco3Header& header, Fisco3Layout layout) {
  core::Bytes out;
  out.reserve(256 + header.sealer_list.size() * (kFiscoNodeIdSize + 8) + header.extra_data.size());
  if (layout == Fisco3Layout::kReleaseCandidate) {
    append_integer(out, header.version, layout);
  } else {
    append_be32(out, header.version);
  }
  for (const auto& parent : header.parent_info) {
    append_integer(out, parent.number, layout);
    core::append(out, parent.hash.view());
  }
  core::append(out, header.txs_root.view());
  core::append(out, header.receipts_root.view());
  core::append(out, header.state_root.view());
  append_integer(out, header.number, layout);
  core::append(out, core::as_bytes(header.gas_used));
  append_integer(out, header.timestamp, layout);
  append_integer(out, header.sealer, layout);
  for (const auto& id : header.sealer_list) core::append(out, id);
  core::append(out, header.extra_data);
  for (auto weight : header.consensus_weights) append_integer(out, weight, layout);
  return out;
}

core::Hash32 fisco3_header_hash(const Fisco3Header& header, Fisco3Layout layout, FiscoCrypto crypto) {
  return fisco_hash(crypto, fisco3_header_preimage(header, layout));
}

}  // namespace causeway::verify
