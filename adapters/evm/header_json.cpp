// Header JSON -> consensus RLP. The field table below is the single statement of A.2's order.
#include "adapters/evm/header_json.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/evm/rpc_json.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"

namespace causeway::evm {
namespace {

using core::Error;

enum class Kind {
  kHash32,   // DATA, 32 bytes
  kAddress,  // DATA, 20 bytes
  kBloom,    // DATA, 256 bytes
  kNonce,    // DATA, 8 bytes (fixed width, not a quantity)
  kBytes,    // DATA, any length (extraData)
  kUint64,   // QUANTITY within 64 bits
  kUint256,  // QUANTITY within 256 bits
};

struct Field {
  std::string_view name;
  Kind kind;
};

// PROOF_FORMATS.md A.2, indices 0..20. The first kBaseFields are always present.
constexpr std::size_t kBaseFields = 15;
constexpr std::array<Field, 21> kFields{{
    {"parentHash", Kind::kHash32},
    {"sha3Uncles", Kind::kHash32},
    {"miner", Kind::kAddress},
    {"stateRoot", Kind::kHash32},
    {"transactionsRoot", Kind::kHash32},
    {"receiptsRoot", Kind::kHash32},
    {"logsBloom", Kind::kBloom},
    {"difficulty", Kind::kUint256},
    {"number", Kind::kUint64},
    {"gasLimit", Kind::kUint64},
    {"gasUsed", Kind::kUint64},
    {"timestamp", Kind::kUint64},
    {"extraData", Kind::kBytes},
    {"mixHash", Kind::kHash32},
    {"nonce", Kind::kNonce},
    {"baseFeePerGas", Kind::kUint256},          // London
    {"withdrawalsRoot", Kind::kHash32},         // Shanghai
    {"blobGasUsed", Kind::kUint64},             // Cancun
    {"excessBlobGas", Kind::kUint64},           // Cancun
    {"parentBeaconBlockRoot", Kind::kHash32},   // Cancun
    {"requestsHash", Kind::kHash32},            // Prague
}};
constexpr std::size_t kCancunFirst = 17;
constexpr std::size_t kCancunLast = 19;

// Keys of a block JSON that are derived or belong to the body, not the header.
constexpr std::array<std::string_view, 6> kDerivedKeys{"hash", "size", "totalDifficulty", "transactions",
                                                       "uncles", "withdrawals"};
// Header fields of forks that are not final; encoding them by guesswork would be worse than
// refusing the block by name.
constexpr std::array<std::string_view, 2> kUnsupportedKeys{"blockAccessListHash", "slotNumber"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view key) {
  for (auto k : list) {
    if (k == key) return true;
  }
  return false;
}

bool is_header_field(std::string_view key) {
  for (const auto& f : kFields) {
    if (f.name == key) return true;
  }
  return false;
}

std::string label(std::string_view name) { return "block." + std::string(name); }

// Appends one field to the encoder, after checking its form and size.
core::Result<void> encode_field(core::rlp::Encoder& out, const Field& field, const Json& value,
                                RebuiltHeader& header, std::size_t index) {
  const std::string name = label(field.name);
  switch (field.kind) {
    case Kind::kHash32: {
      CW_TRY(const auto bytes, data_exact(value, name, 32));
      out.add_string(bytes);
      if (index == 0) header.parent_hash = *core::Hash32::from(bytes);
      if (index == 5) header.receipts_root = *core::Hash32::from(bytes);
      return core::ok();
    }
    case Kind::kAddress: {
      CW_TRY(const auto bytes, data_exact(value, name, 20));
      out.add_string(bytes);
      return core::ok();
    }
    case Kind::kBloom: {
      CW_TRY(const auto bytes, data_exact(value, name, 256));
      out.add_string(bytes);
      return core::ok();
    }
    case Kind::kNonce: {
      CW_TRY(const auto bytes, data_exact(value, name, 8));
      out.add_string(bytes);
      return core::ok();
    }
    case Kind::kBytes: {
      CW_TRY(const auto bytes, data_any(value, name));
      if (bytes.size() > kMaxExtraDataBytes) {
        return Error(reason::header_json::kExtraDataTooLarge, name + ": " + std::to_string(bytes.size()) + " bytes");
      }
      out.add_string(bytes);
      return core::ok();
    }
    case Kind::kUint64: {
      CW_TRY(const auto number, quantity_u64(value, name));
      out.add_uint(number);
      if (index == 8) header.number = number;
      if (index == 11) header.timestamp = number;
      return core::ok();
    }
    case Kind::kUint256: {
      CW_TRY(const auto bytes, quantity_bytes(value, name, 32));
      out.add_uint_bytes(bytes);
      return core::ok();
    }
  }
  return core::ok();
}

}  // namespace

core::Result<RebuiltHeader> header_from_json(const HeaderFromJsonRequest& request) {
  const Json& block = request.block;
  if (!block.is_object()) return Error(reason::rpc_json::kNotObject, "block");

  for (const auto& [key, value] : block.items()) {
    if (is_header_field(key) || contains(kDerivedKeys, key)) continue;
    if (contains(kUnsupportedKeys, key)) return Error(reason::header_json::kUnsupportedField, label(key));
    if (!request.allow_unknown_keys) return Error(reason::header_json::kUnknownField, label(key));
  }

  // The fields to encode: the base ones, then the optional ones present. Without allow_gaps those
  // must be exactly 15..count-1.
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (i < kBaseFields || json_present(block, kFields[i].name)) indices.push_back(i);
  }
  const std::size_t count = indices.size();
  if (!request.allow_gaps) {
    for (std::size_t i = kBaseFields; i < count; ++i) {
      if (indices[i] != i) {
        return Error(reason::header_json::kFieldGap, label(kFields[indices[i]].name) + " is present but " +
                                                         label(kFields[i].name) + " is missing");
      }
    }
    if (count > kCancunFirst && count <= kCancunLast) {
      return Error(reason::header_json::kFieldGap, label(kFields[kCancunFirst].name) + " is present but " +
                                                       label(kFields[count].name) + " is missing (Cancun adds three fields)");
    }
  }

  RebuiltHeader header;
  header.field_count = count;
  core::rlp::Encoder out(640);
  out.begin_list();
  for (const std::size_t i : indices) {
    CW_TRY(const Json* value, json_member(block, kFields[i].name, "block"));
    CW_CHECK(encode_field(out, kFields[i], *value, header, i));
  }
  out.end_list();
  header.rlp = std::move(out).take();

  CW_TRY(const Json* hash_json, json_member(block, "hash", "block"));
  CW_TRY(header.hash, data_fixed<core::Hash32>(*hash_json, "block.hash"));
  if (request.hash_rule == HeaderHashRule::kPlainKeccak) {
    const core::Hash32 computed = core::keccak256(header.rlp);
    if (computed != header.hash) {
      return Error(reason::header_json::kHashMismatch, "block " + std::to_string(header.number) + ": keccak(rlp) " +
                                                           core::to_hex(computed) + " != block.hash " +
                                                           core::to_hex(header.hash));
    }
    header.hash_checked = true;
  }
  return header;
}

}  // namespace causeway::evm
