// Transaction encodings of PROOF_FORMATS.md A.3 (geth core/types tx_*.go) and the strict decoder.
#include "adapters/evm/tx.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"

namespace causeway::evm {
namespace {

namespace rlp = core::rlp;
namespace sec = core::reason::secp256k1;

constexpr std::uint8_t kAccessListType = 0x01;
constexpr std::uint8_t kDynamicFeeType = 0x02;

// Legacy v = recid + 35 + 2·chainId must fit 64 bits.
constexpr std::uint64_t kMaxLegacyChainId = (std::numeric_limits<std::uint64_t>::max() - 36) / 2;

void add_to(rlp::Encoder& enc, const std::optional<Address>& to) {
  if (to) {
    enc.add_string(to->view());
  } else {
    enc.add_string({});
  }
}

void add_access_list(rlp::Encoder& enc, const AccessList& list) {
  enc.begin_list();
  for (const auto& entry : list) {
    enc.begin_list();
    enc.add_string(entry.address.view());
    enc.begin_list();
    for (const auto& key : entry.storage_keys) enc.add_string(key.view());
    enc.end_list();
    enc.end_list();
  }
  enc.end_list();
}

// The fields shared by the signing payload and the signed encoding, without the list header.
void add_body(rlp::Encoder& enc, const LegacyTx& tx) {
  enc.add_uint(tx.nonce).add_uint_bytes(minimal(tx.gas_price)).add_uint(tx.gas_limit);
  add_to(enc, tx.to);
  enc.add_uint_bytes(minimal(tx.value)).add_string(tx.data);
}

void add_body(rlp::Encoder& enc, const AccessListTx& tx) {
  enc.add_uint(tx.chain_id).add_uint(tx.nonce).add_uint_bytes(minimal(tx.gas_price)).add_uint(tx.gas_limit);
  add_to(enc, tx.to);
  enc.add_uint_bytes(minimal(tx.value)).add_string(tx.data);
  add_access_list(enc, tx.access_list);
}

void add_body(rlp::Encoder& enc, const Eip1559Tx& tx) {
  enc.add_uint(tx.chain_id)
      .add_uint(tx.nonce)
      .add_uint_bytes(minimal(tx.max_priority_fee_per_gas))
      .add_uint_bytes(minimal(tx.max_fee_per_gas))
      .add_uint(tx.gas_limit);
  add_to(enc, tx.to);
  enc.add_uint_bytes(minimal(tx.value)).add_string(tx.data);
  add_access_list(enc, tx.access_list);
}

ByteView strip_leading_zeros(ByteView bytes) noexcept {
  std::size_t i = 0;
  while (i < bytes.size() && bytes[i] == 0) ++i;
  return bytes.subspan(i);
}

template <typename Tx>
Bytes typed_signed(std::uint8_t type, const Tx& tx, const core::RecoverableSignature& sig) {
  rlp::Encoder enc;
  enc.begin_list();
  add_body(enc, tx);
  enc.add_uint(sig.recovery_id)
      .add_uint_bytes(strip_leading_zeros(sig.r))
      .add_uint_bytes(strip_leading_zeros(sig.s));
  enc.end_list();
  Bytes out;
  out.reserve(enc.bytes().size() + 1);
  out.push_back(type);
  core::append(out, enc.bytes());
  return out;
}

template <typename Tx>
Hash32 typed_signing_hash(std::uint8_t type, const Tx& tx) {
  rlp::Encoder enc;
  enc.begin_list();
  add_body(enc, tx);
  enc.end_list();
  const std::array<std::uint8_t, 1> prefix{type};
  return core::keccak256({ByteView(prefix), ByteView(enc.bytes())});
}

// gasLimit × price overflows 256 bits? Schoolbook multiplication on 32-bit limbs.
bool product_overflows(const U256& price, std::uint64_t gas) noexcept {
  std::array<std::uint32_t, 8> a{};  // little-endian limbs
  for (std::size_t i = 0; i < 8; ++i) {
    const std::size_t base = 32 - 4 * (i + 1);
    a[i] = static_cast<std::uint32_t>(price.bytes[base]) << 24 | static_cast<std::uint32_t>(price.bytes[base + 1]) << 16 |
           static_cast<std::uint32_t>(price.bytes[base + 2]) << 8 | price.bytes[base + 3];
  }
  const std::array<std::uint32_t, 2> g{static_cast<std::uint32_t>(gas), static_cast<std::uint32_t>(gas >> 32)};
  std::array<std::uint32_t, 10> res{};
  for (std::size_t j = 0; j < 2; ++j) {
    std::uint64_t carry = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      const std::uint64_t t = static_cast<std::uint64_t>(a[i]) * g[j] + res[i + j] + carry;
      res[i + j] = static_cast<std::uint32_t>(t);
      carry = t >> 32;
    }
    res[j + 8] = static_cast<std::uint32_t>(carry);
  }
  return res[8] != 0 || res[9] != 0;
}

bool less_than(const U256& a, const U256& b) noexcept { return a.bytes < b.bytes; }

// ---- decoding helpers ----

Result<std::uint64_t> field_u64(const rlp::Item& item, const char* name) noexcept {
  auto value = rlp::read_uint64(item);
  if (!value) return std::move(value).error().with_context(name);
  return *value;
}

Result<U256> field_u256(const rlp::Item& item, const char* name) noexcept {
  auto bytes = rlp::read_uint_bytes(item, 32);
  if (!bytes) return std::move(bytes).error().with_context(name);
  U256 out;
  std::copy(bytes->begin(), bytes->end(), out.bytes.end() - static_cast<std::ptrdiff_t>(bytes->size()));
  return out;
}

Result<std::optional<Address>> field_to(const rlp::Item& item) noexcept {
  auto bytes = rlp::read_string(item);
  if (!bytes) return std::move(bytes).error().with_context("to");
  if (bytes->empty()) return std::optional<Address>{};
  if (bytes->size() != Address::kSize) return Error(reason::tx::kBadTo, "to must be empty or 20 bytes");
  return std::optional<Address>{Address::from(*bytes).value()};
}

Result<Bytes> field_data(const rlp::Item& item) noexcept {
  auto bytes = rlp::read_string(item);
  if (!bytes) return std::move(bytes).error().with_context("data");
  return Bytes(bytes->begin(), bytes->end());
}

Result<AccessList> field_access_list(const rlp::Item& item) noexcept {
  if (!item.is_list) return Error(reason::tx::kBadAccessList, "not a list");
  AccessList list;
  rlp::ListReader entries(item.payload);
  while (!entries.done()) {
    CW_TRY(const rlp::Item entry, entries.next());
    if (!entry.is_list) return Error(reason::tx::kBadAccessList, "entry is not a list");
    std::array<rlp::Item, 2> parts;
    auto count = rlp::split_list(entry.payload, parts);
    if (!count || *count != 2) return Error(reason::tx::kBadAccessList, "entry must be [address, keys]");
    auto address = rlp::read_string(parts[0]);
    if (!address || address->size() != Address::kSize) {
      return Error(reason::tx::kBadAccessListAddress, "access-list address must be 20 bytes");
    }
    if (!parts[1].is_list) return Error(reason::tx::kBadAccessList, "storage keys are not a list");
    AccessListEntry out{Address::from(*address).value(), {}};
    rlp::ListReader keys(parts[1].payload);
    while (!keys.done()) {
      CW_TRY(const rlp::Item key_item, keys.next());
      auto key = rlp::read_string(key_item);
      if (!key || key->size() != Hash32::kSize) {
        return Error(reason::tx::kBadStorageKey, "storage key must be 32 bytes");
      }
      out.storage_keys.push_back(Hash32::from(*key).value());
    }
    list.push_back(std::move(out));
  }
  return list;
}

// r or s as a left-padded 32-byte value; longer is an overflow (≥ 2^256 > n).
Result<std::array<std::uint8_t, 32>> field_scalar(const rlp::Item& item, const char* name) noexcept {
  auto bytes = rlp::read_string(item);
  if (!bytes) return std::move(bytes).error().with_context(name);
  if (!bytes->empty() && (*bytes)[0] == 0) return Error(rlp::reason::kLeadingZero, name);
  if (bytes->size() > 32) return Error(reason::tx::kSignatureOverflow, name);
  std::array<std::uint8_t, 32> out{};
  std::copy(bytes->begin(), bytes->end(), out.end() - static_cast<std::ptrdiff_t>(bytes->size()));
  return out;
}

// Splits a transaction list into exactly `expected` fields.
template <std::size_t N>
Result<std::array<rlp::Item, N>> split_fields(const rlp::Item& list) noexcept {
  std::array<rlp::Item, N + 1> items;  // one spare to tell "too many" from other errors
  auto count = rlp::split_list(list.payload, items);
  if (!count) {
    if (count.error().reason() == rlp::reason::kTooManyItems) return Error(reason::tx::kTooManyFields);
    return std::move(count).error();
  }
  if (*count < N) return Error(reason::tx::kTooFewFields, "expected " + std::to_string(N));
  if (*count > N) return Error(reason::tx::kTooManyFields, "expected " + std::to_string(N));
  std::array<rlp::Item, N> out;
  std::copy_n(items.begin(), N, out.begin());
  return out;
}

Result<void> check_fees(const U256& price, std::uint64_t gas) noexcept {
  if (product_overflows(price, gas)) return Error(reason::tx::kFeeProductOverflow);
  return core::ok();
}

Result<SignedTx> finish(UnsignedTx tx, core::RecoverableSignature sig, ByteView raw) {
  const Hash32 digest = signing_hash(tx);
  CW_TRY(const Address sender, core::recover_address(digest, sig));
  SignedTx out{std::move(tx), sig, sender, Bytes(raw.begin(), raw.end()), core::keccak256(raw)};
  return out;
}

Result<SignedTx> decode_legacy(ByteView raw, const DecodeOptions& options) {
  CW_TRY(const rlp::Item list, rlp::decode_exact(raw));
  if (!list.is_list) return Error(reason::tx::kUnsupportedType, "not an RLP list");
  CW_TRY(const auto f, split_fields<9>(list));
  LegacyTx tx;
  CW_TRY(tx.nonce, field_u64(f[0], "nonce"));
  CW_TRY(tx.gas_price, field_u256(f[1], "gasPrice"));
  CW_TRY(tx.gas_limit, field_u64(f[2], "gasLimit"));
  CW_TRY(tx.to, field_to(f[3]));
  CW_TRY(tx.value, field_u256(f[4], "value"));
  CW_TRY(tx.data, field_data(f[5]));
  auto v_bytes = rlp::read_uint_bytes(f[6], 32);
  if (!v_bytes) return std::move(v_bytes).error().with_context("v");
  if (v_bytes->size() > 8) return Error(reason::tx::kWrongChainId, "v beyond 64 bits");
  std::uint64_t v = 0;
  for (auto b : *v_bytes) v = (v << 8) | b;
  core::RecoverableSignature sig;
  if (v == 27 || v == 28) {
    if (!options.allow_unprotected_legacy) return Error(reason::tx::kUnprotected);
    sig.recovery_id = static_cast<std::uint8_t>(v - 27);
  } else if (v >= 35) {
    const std::uint64_t chain = (v - 35) / 2;
    if (chain != options.chain_id) return Error(reason::tx::kWrongChainId, "v encodes chain " + std::to_string(chain));
    tx.chain_id = chain;
    sig.recovery_id = static_cast<std::uint8_t>((v - 35) & 1);
  } else {
    return Error(reason::tx::kBadV, "v = " + std::to_string(v));
  }
  CW_TRY(sig.r, field_scalar(f[7], "r"));
  CW_TRY(sig.s, field_scalar(f[8], "s"));
  CW_CHECK(check_fees(tx.gas_price, tx.gas_limit));
  return finish(std::move(tx), sig, raw);
}

Result<void> read_chain_and_parity(const rlp::Item& chain_item, const rlp::Item& parity_item,
                                   const DecodeOptions& options, std::uint64_t& chain_id,
                                   std::uint8_t& recovery_id) noexcept {
  auto chain = rlp::read_uint_bytes(chain_item, 32);
  if (!chain) return std::move(chain).error().with_context("chainId");
  std::uint64_t value = 0;
  if (chain->size() > 8) return Error(reason::tx::kWrongChainId, "chain id beyond 64 bits");
  for (auto b : *chain) value = (value << 8) | b;
  if (value != options.chain_id) return Error(reason::tx::kWrongChainId, "chain " + std::to_string(value));
  chain_id = value;
  auto parity = rlp::read_uint_bytes(parity_item, 32);
  if (!parity) return std::move(parity).error().with_context("yParity");
  if (parity->size() > 1 || (parity->size() == 1 && (*parity)[0] != 1)) {
    return Error(reason::tx::kBadV, "yParity must be 0 or 1");
  }
  recovery_id = parity->empty() ? 0 : 1;
  return core::ok();
}

Result<SignedTx> decode_access_list_tx(ByteView raw, const DecodeOptions& options) {
  CW_TRY(const rlp::Item list, rlp::decode_exact(raw.subspan(1)));
  if (!list.is_list) return Error(reason::tx::kUnsupportedType, "typed payload is not a list");
  CW_TRY(const auto f, split_fields<11>(list));
  AccessListTx tx;
  core::RecoverableSignature sig;
  CW_CHECK(read_chain_and_parity(f[0], f[8], options, tx.chain_id, sig.recovery_id));
  CW_TRY(tx.nonce, field_u64(f[1], "nonce"));
  CW_TRY(tx.gas_price, field_u256(f[2], "gasPrice"));
  CW_TRY(tx.gas_limit, field_u64(f[3], "gasLimit"));
  CW_TRY(tx.to, field_to(f[4]));
  CW_TRY(tx.value, field_u256(f[5], "value"));
  CW_TRY(tx.data, field_data(f[6]));
  CW_TRY(tx.access_list, field_access_list(f[7]));
  CW_TRY(sig.r, field_scalar(f[9], "r"));
  CW_TRY(sig.s, field_scalar(f[10], "s"));
  CW_CHECK(check_fees(tx.gas_price, tx.gas_limit));
  return finish(std::move(tx), sig, raw);
}

Result<SignedTx> decode_dynamic_fee_tx(ByteView raw, const DecodeOptions& options) {
  CW_TRY(const rlp::Item list, rlp::decode_exact(raw.subspan(1)));
  if (!list.is_list) return Error(reason::tx::kUnsupportedType, "typed payload is not a list");
  CW_TRY(const auto f, split_fields<12>(list));
  Eip1559Tx tx;
  core::RecoverableSignature sig;
  CW_CHECK(read_chain_and_parity(f[0], f[9], options, tx.chain_id, sig.recovery_id));
  CW_TRY(tx.nonce, field_u64(f[1], "nonce"));
  CW_TRY(tx.max_priority_fee_per_gas, field_u256(f[2], "maxPriorityFeePerGas"));
  CW_TRY(tx.max_fee_per_gas, field_u256(f[3], "maxFeePerGas"));
  CW_TRY(tx.gas_limit, field_u64(f[4], "gasLimit"));
  CW_TRY(tx.to, field_to(f[5]));
  CW_TRY(tx.value, field_u256(f[6], "value"));
  CW_TRY(tx.data, field_data(f[7]));
  CW_TRY(tx.access_list, field_access_list(f[8]));
  CW_TRY(sig.r, field_scalar(f[10], "r"));
  CW_TRY(sig.s, field_scalar(f[11], "s"));
  CW_CHECK(check_fees(tx.max_fee_per_gas, tx.gas_limit));
  if (less_than(tx.max_fee_per_gas, tx.max_priority_fee_per_gas)) return Error(reason::tx::kPriorityFeeAboveMaxFee);
  return finish(std::move(tx), sig, raw);
}

}  // namespace

U256 u256(std::uint64_t value) noexcept {
  U256 out;
  for (std::size_t i = 0; i < 8; ++i) out.bytes[31 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  return out;
}

std::optional<std::uint64_t> to_u64(const U256& value) noexcept {
  for (std::size_t i = 0; i < 24; ++i) {
    if (value.bytes[i] != 0) return std::nullopt;
  }
  std::uint64_t out = 0;
  for (std::size_t i = 24; i < 32; ++i) out = (out << 8) | value.bytes[i];
  return out;
}

ByteView minimal(const U256& value) noexcept { return strip_leading_zeros(value.view()); }

std::uint8_t tx_type(const UnsignedTx& tx) noexcept {
  switch (tx.index()) {
    case 1: return kAccessListType;
    case 2: return kDynamicFeeType;
    default: return 0;
  }
}

std::uint64_t tx_nonce(const UnsignedTx& tx) noexcept {
  return std::visit([](const auto& t) { return t.nonce; }, tx);
}

Hash32 signing_hash(const LegacyTx& tx) {
  rlp::Encoder enc;
  enc.begin_list();
  add_body(enc, tx);
  if (tx.chain_id) enc.add_uint(*tx.chain_id).add_uint(0).add_uint(0);
  enc.end_list();
  return core::keccak256(enc.bytes());
}

Hash32 signing_hash(const AccessListTx& tx) { return typed_signing_hash(kAccessListType, tx); }
Hash32 signing_hash(const Eip1559Tx& tx) { return typed_signing_hash(kDynamicFeeType, tx); }
Hash32 signing_hash(const UnsignedTx& tx) {
  return std::visit([](const auto& t) { return signing_hash(t); }, tx);
}

Result<Bytes> encode_signed(const UnsignedTx& tx, const core::RecoverableSignature& signature) {
  if (signature.recovery_id > 1) return Error(sec::kBadRecoveryId);
  if (const auto* legacy = std::get_if<LegacyTx>(&tx)) {
    std::uint64_t v = 27u + signature.recovery_id;
    if (legacy->chain_id) {
      if (*legacy->chain_id > kMaxLegacyChainId) return Error(reason::tx::kChainIdTooLarge);
      v = signature.recovery_id + 35 + 2 * *legacy->chain_id;
    }
    rlp::Encoder enc;
    enc.begin_list();
    add_body(enc, *legacy);
    enc.add_uint(v).add_uint_bytes(strip_leading_zeros(signature.r)).add_uint_bytes(strip_leading_zeros(signature.s));
    enc.end_list();
    return std::move(enc).take();
  }
  if (const auto* t1 = std::get_if<AccessListTx>(&tx)) return typed_signed(kAccessListType, *t1, signature);
  return typed_signed(kDynamicFeeType, std::get<Eip1559Tx>(tx), signature);
}

Result<SignedTx> sign(const UnsignedTx& tx, const core::Secp256k1Signer& key) {
  if (const auto* legacy = std::get_if<LegacyTx>(&tx); legacy != nullptr && !legacy->chain_id) {
    return Error(reason::tx::kUnprotected, "refusing to sign a legacy transaction without a chain id");
  }
  CW_TRY(const core::RecoverableSignature sig, key.sign(signing_hash(tx)));
  CW_TRY(Bytes raw, encode_signed(tx, sig));
  const Hash32 hash = core::keccak256(raw);
  SignedTx out{tx, sig, key.address(), std::move(raw), hash};
  return out;
}

Result<SignedTx> decode_signed(ByteView raw, const DecodeOptions& options) noexcept {
  if (raw.empty()) return Error(reason::tx::kEmpty);
  const std::uint8_t first = raw[0];
  if (first >= 0xc0) return decode_legacy(raw, options);
  if (first == kAccessListType) return decode_access_list_tx(raw, options);
  if (first == kDynamicFeeType) return decode_dynamic_fee_tx(raw, options);
  return Error(reason::tx::kUnsupportedType, "type byte " + std::to_string(first));
}

}  // namespace causeway::evm
