// Strict EVM header decoding and extraData substitution (see evm_header.hpp).
#include "relay/verify/evm_header.hpp"

#include <array>
#include <cstring>
#include <string>

#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"

namespace causeway::verify {
namespace {

namespace rlp = core::rlp;

core::Error field_error(std::size_t index, std::string what) {
  return core::Error(reason::kHeaderFieldSize, "field " + std::to_string(index) + ": " + std::move(what));
}

core::Result<core::ByteView> fixed_field(const rlp::Item& item, std::size_t index, std::size_t size) noexcept {
  if (item.is_list) return field_error(index, "a list");
  if (item.payload.size() != size) {
    return field_error(index, std::to_string(item.payload.size()) + " bytes, expected " + std::to_string(size));
  }
  return item.payload;
}

core::Result<core::ByteView> big_uint_field(const rlp::Item& item, std::size_t index) noexcept {
  auto value = rlp::read_uint_bytes(item, 32);
  if (!value) return field_error(index, std::string(value.error().reason().name));
  return *value;
}

core::Result<std::uint64_t> u64_field(const rlp::Item& item, std::size_t index) noexcept {
  auto value = rlp::read_uint64(item);
  if (!value) return field_error(index, std::string(value.error().reason().name));
  return *value;
}

// The list header and the extraData string header for a header whose extraData is replaced, in
// one small buffer (core's rlp::append_header is the one encoder of RLP headers).
struct Reencoding {
  core::Bytes headers;
  std::size_t list_header_size = 0;
  core::ByteView list() const noexcept { return core::ByteView(headers).first(list_header_size); }
  core::ByteView extra() const noexcept { return core::ByteView(headers).subspan(list_header_size); }
};

Reencoding reencoding(const EvmHeader& header, core::ByteView extra_data) {
  // A single byte below 0x80 is its own encoding, with no header.
  const bool bare = extra_data.size() == 1 && extra_data[0] < 0x80;
  const std::size_t extra_header_size = bare ? 0 : rlp::header_size(extra_data.size());
  const std::size_t payload = header.fields_before_extra.size() + extra_header_size + extra_data.size() +
                              header.fields_after_extra.size();
  Reencoding parts;
  parts.headers.reserve(18);
  rlp::append_header(parts.headers, true, payload);
  parts.list_header_size = parts.headers.size();
  if (!bare) rlp::append_header(parts.headers, false, extra_data.size());
  return parts;
}

}  // namespace

core::Hash32 to_hash32(core::ByteView exact32) noexcept {
  core::Hash32 out;
  std::memcpy(out.data(), exact32.data(), core::Hash32::kSize);
  return out;
}

core::Address to_address(core::ByteView exact20) noexcept {
  core::Address out;
  std::memcpy(out.data(), exact20.data(), core::Address::kSize);
  return out;
}

core::Result<EvmHeader> decode_evm_header(core::ByteView input) noexcept {
  if (input.size() > kMaxHeaderBytes) {
    return core::Error(reason::kHeaderTooLarge, std::to_string(input.size()) + " bytes");
  }
  CW_TRY(const rlp::Item list, rlp::decode_exact(input));
  if (!list.is_list) return core::Error(reason::kHeaderNotList);

  // One slot more than the last known field, so an unknown trailing field is seen, not truncated.
  std::array<rlp::Item, kMaxHeaderFields + 1> items{};
  auto count = rlp::split_list(list.payload, items);
  if (!count) {
    if (count.error().reason() == rlp::reason::kTooManyItems) {
      return core::Error(reason::kHeaderUnknownFields, "more than " + std::to_string(kMaxHeaderFields + 1) + " fields");
    }
    return std::move(count).error();
  }
  const std::size_t n = *count;
  if (n < kBaseHeaderFields) return core::Error(reason::kHeaderTooFewFields, std::to_string(n) + " fields");
  if (n > kMaxHeaderFields) return core::Error(reason::kHeaderUnknownFields, std::to_string(n) + " fields");
  if (n == 18 || n == 19) return core::Error(reason::kHeaderFieldGap, std::to_string(n) + " fields (Cancun adds 17-19 together)");

  EvmHeader h;
  h.raw = input;
  h.field_count = n;
  CW_TRY(h.parent_hash, fixed_field(items[0], 0, 32));
  CW_TRY(h.ommers_hash, fixed_field(items[1], 1, 32));
  CW_TRY(h.coinbase, fixed_field(items[2], 2, 20));
  CW_TRY(h.state_root, fixed_field(items[3], 3, 32));
  CW_TRY(h.transactions_root, fixed_field(items[4], 4, 32));
  CW_TRY(h.receipts_root, fixed_field(items[5], 5, 32));
  CW_TRY(h.logs_bloom, fixed_field(items[6], 6, 256));
  CW_TRY(h.difficulty, big_uint_field(items[7], 7));
  CW_TRY(h.number, u64_field(items[8], 8));
  CW_TRY(h.gas_limit, u64_field(items[9], 9));
  CW_TRY(h.gas_used, u64_field(items[10], 10));
  CW_TRY(h.timestamp, u64_field(items[11], 11));
  if (items[12].is_list) return field_error(12, "a list");
  h.extra_data = items[12].payload;
  CW_TRY(h.mix_hash, fixed_field(items[13], 13, 32));
  CW_TRY(h.nonce, fixed_field(items[14], 14, 8));
  if (n > 15) { CW_TRY(h.base_fee, big_uint_field(items[15], 15)); }
  if (n > 16) { CW_TRY(h.withdrawals_root, fixed_field(items[16], 16, 32)); }
  if (n > 17) {
    CW_TRY(h.blob_gas_used, u64_field(items[17], 17));
    CW_TRY(h.excess_blob_gas, u64_field(items[18], 18));
    CW_TRY(h.parent_beacon_block_root, fixed_field(items[19], 19, 32));
  }
  if (n > 20) { CW_TRY(h.requests_hash, fixed_field(items[20], 20, 32)); }

  // The items are consecutive views of the payload, so the parts around extraData are spans.
  const std::uint8_t* payload_begin = list.payload.data();
  const std::uint8_t* extra_begin = items[12].encoded.data();
  const std::uint8_t* after_begin = extra_begin + items[12].encoded.size();
  h.fields_before_extra = core::ByteView(payload_begin, static_cast<std::size_t>(extra_begin - payload_begin));
  h.fields_after_extra = core::ByteView(
      after_begin, static_cast<std::size_t>(list.payload.data() + list.payload.size() - after_begin));
  return h;
}

core::Hash32 plain_hash(const EvmHeader& header) noexcept { return core::keccak256(header.raw); }

core::Hash32 hash_with_extra(const EvmHeader& header, core::ByteView extra_data) {
  const Reencoding parts = reencoding(header, extra_data);
  return core::keccak256({parts.list(), header.fields_before_extra, parts.extra(), extra_data,
                          header.fields_after_extra});
}

core::Bytes encode_with_extra(const EvmHeader& header, core::ByteView extra_data) {
  const Reencoding parts = reencoding(header, extra_data);
  core::Bytes out;
  out.reserve(parts.headers.size() + header.fields_before_extra.size() + extra_data.size() +
              header.fields_after_extra.size());
  core::append(out, parts.list());
  core::append(out, header.fields_before_extra);
  core::append(out, parts.extra());
  core::append(out, extra_data);
  core::append(out, header.fields_after_extra);
  return out;
}

}  // namespace causeway::verify
