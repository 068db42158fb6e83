// Tests for adapters/evm/tx.cpp: the EIP-155 worked example, the 107 ethereum/tests signature and
// encoding cases, and one-field mutations of a valid transaction.
#include <catch2/catch.hpp>

#include <string>

#include "adapters/evm/tx.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"
#include "tests/support/vectors.hpp"

namespace causeway::test {
namespace {

using evm::DecodeOptions;
using evm::U256;

U256 u256_dec(const std::string& text) {
  // Decimal to big-endian: multiply-by-ten on bytes (test helper for the EIP's decimal values).
  U256 out;
  for (char c : text) {
    unsigned carry = static_cast<unsigned>(c - '0');
    for (std::size_t i = 32; i-- > 0;) {
      const unsigned v = out.bytes[i] * 10u + carry;
      out.bytes[i] = static_cast<std::uint8_t>(v & 0xff);
      carry = v >> 8;
    }
  }
  return out;
}

evm::Eip1559Tx sample_1559() {
  evm::Eip1559Tx tx;
  tx.chain_id = 1337;
  tx.nonce = 7;
  tx.max_priority_fee_per_gas = evm::u256(1'500'000'000);
  tx.max_fee_per_gas = evm::u256(30'000'000'000);
  tx.gas_limit = 210'000;
  tx.to = fixed_from_hex<Address>("0x1111111111111111111111111111111111111111").value();
  tx.value = evm::u256(12345);
  tx.data = hex("0xdeadbeef");
  tx.access_list.push_back({fixed_from_hex<Address>("0x2222222222222222222222222222222222222222").value(),
                            {Hash32{}, keccak256(as_bytes("slot"))}});
  return tx;
}

PrivateKey test_key() { return PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646").value(); }

TEST_CASE("eip-155 worked example: signing hash, signature, encoding and sender", "[vectors][unit]") {
  const auto file = load_json_vector("evm/eip155_example.json");
  if (!file) return;
  const auto& j = *file;
  evm::LegacyTx tx;
  tx.chain_id = j.at("chain_id").get<std::uint64_t>();
  tx.nonce = j.at("tx").at("nonce").get<std::uint64_t>();
  tx.gas_price = u256_dec(j.at("tx").at("gasPrice").get<std::string>());
  tx.gas_limit = j.at("tx").at("gasLimit").get<std::uint64_t>();
  tx.to = fixed_from_hex<Address>(j.at("tx").at("to").get<std::string>()).value();
  tx.value = u256_dec(j.at("tx").at("value").get<std::string>());
  tx.data = hex(j.at("tx").at("data").get<std::string>());

  CHECK(to_hex(evm::signing_hash(tx)) == j.at("signing_hash").get<std::string>());
  auto key = PrivateKey::from_hex(j.at("private_key").get<std::string>());
  REQUIRE(key.ok());
  auto signed_tx = evm::sign(tx, core::LocalSigner(std::move(*key)));
  REQUIRE(signed_tx.ok());
  CHECK(to_hex(signed_tx->raw) == j.at("signed_tx_rlp").get<std::string>());
  CHECK(to_hex(signed_tx->hash) == j.at("tx_hash").get<std::string>());
  CHECK(to_hex(signed_tx->sender) == j.at("sender").get<std::string>());
  CHECK(to_hex(ByteView(signed_tx->signature.r)) == j.at("r").get<std::string>());
  CHECK(to_hex(ByteView(signed_tx->signature.s)) == j.at("s").get<std::string>());

  auto decoded = evm::decode_signed(hex(j.at("signed_tx_rlp").get<std::string>()), DecodeOptions{1, false});
  REQUIRE(decoded.ok());
  const auto* legacy = std::get_if<evm::LegacyTx>(&decoded->tx);
  REQUIRE(legacy != nullptr);
  CHECK(*legacy == tx);
  CHECK(legacy->chain_id == std::optional<std::uint64_t>(1));  // (v − 35) / 2 with v = 37
  CHECK(decoded->signature.recovery_id == j.at("recovery_id").get<int>());
  CHECK(to_hex(decoded->sender) == j.at("sender").get<std::string>());
  report_cases("evm/eip155_example", 1);
}

TEST_CASE("ethereum/tests transaction vectors: valid ones decode to sender and hash, invalid ones are rejected",
          "[vectors][unit]") {
  const auto file = load_json_vector("evm/tx_signature_vectors.json");
  if (!file) return;
  const DecodeOptions options{file->at("chain_id").get<std::uint64_t>(), /*allow_unprotected_legacy=*/true};
  std::size_t executed = 0;
  std::size_t valid = 0;
  for (const auto& c : file->at("cases")) {
    const std::string id = c.at("source_path").get<std::string>();
    INFO(id);
    const Bytes raw = hex(c.at("txbytes").get<std::string>());
    auto decoded = evm::decode_signed(raw, options);
    if (c.at("valid").get<bool>()) {
      ++valid;
      if (!decoded) FAIL_CHECK("rejected: " << decoded.error().message());
      if (!decoded) continue;
      CHECK(to_hex(decoded->sender) == c.at("sender").get<std::string>());
      CHECK(to_hex(keccak256(raw)) == c.at("hash").get<std::string>());
      CHECK(decoded->hash == keccak256(raw));
      CHECK(to_hex(evm::signing_hash(decoded->tx)) == c.at("signing_hash").get<std::string>());
      CHECK(evm::tx_type(decoded->tx) == c.at("tx_type").get<int>());
      auto again = evm::encode_signed(decoded->tx, decoded->signature);
      REQUIRE(again.ok());
      CHECK(*again == raw);
    } else {
      if (decoded) FAIL_CHECK("accepted an invalid transaction (" << c.at("exception").get<std::string>() << ")");
    }
    ++executed;
  }
  CHECK(executed == 107);
  CHECK(valid == 31);
  report_cases("evm/tx_signature_vectors", executed);
}

TEST_CASE("signed transactions of each type decode back to the same fields and sender", "[unit]") {
  const auto key = test_key();
  const Address me = address_of(key);
  const DecodeOptions options{1337, false};

  const auto dynamic = sample_1559();
  auto s2 = evm::sign(dynamic, core::LocalSigner(key.clone()));
  REQUIRE(s2.ok());
  CHECK(s2->raw.front() == 0x02);
  auto d2 = evm::decode_signed(s2->raw, options);
  REQUIRE(d2.ok());
  CHECK(std::get<evm::Eip1559Tx>(d2->tx) == dynamic);
  CHECK(d2->sender == me);
  CHECK(d2->hash == s2->hash);

  evm::AccessListTx t1;
  t1.chain_id = 1337;
  t1.nonce = 1;
  t1.gas_price = evm::u256(1);
  t1.gas_limit = 50'000;
  t1.data = hex("0x6000");  // contract creation: to is empty
  auto s1 = evm::sign(t1, core::LocalSigner(key.clone()));
  REQUIRE(s1.ok());
  auto d1 = evm::decode_signed(s1->raw, options);
  REQUIRE(d1.ok());
  CHECK(std::get<evm::AccessListTx>(d1->tx) == t1);
  CHECK(d1->sender == me);

  evm::LegacyTx t0;
  t0.chain_id = 1337;
  t0.nonce = 0;
  t0.gas_price = evm::u256(1'000'000'000);
  t0.gas_limit = 21'000;
  t0.to = me;
  auto s0 = evm::sign(t0, core::LocalSigner(key.clone()));
  REQUIRE(s0.ok());
  auto d0 = evm::decode_signed(s0->raw, options);
  REQUIRE(d0.ok());
  CHECK(std::get<evm::LegacyTx>(d0->tx) == t0);
  CHECK(d0->sender == me);
}

TEST_CASE("sign refuses a legacy transaction without replay protection", "[unit]") {
  evm::LegacyTx tx;
  tx.gas_limit = 21'000;
  auto signed_tx = evm::sign(tx, core::LocalSigner(test_key()));
  REQUIRE_FALSE(signed_tx.ok());
  CHECK(signed_tx.error().reason() == evm::reason::tx::kUnprotected);
}

TEST_CASE("decoder rejects a transaction for another chain", "[unit]") {
  auto s = evm::sign(sample_1559(), core::LocalSigner(test_key()));
  REQUIRE(s.ok());
  auto d = evm::decode_signed(s->raw, DecodeOptions{1, false});
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().reason() == evm::reason::tx::kWrongChainId);
}

TEST_CASE("decoder rejects an unprotected legacy transaction unless allowed", "[unit]") {
  const auto file = load_json_vector("evm/tx_signature_vectors.json");
  if (!file) return;
  for (const auto& c : file->at("cases")) {
    if (c.at("source_path").get<std::string>() != "TransactionTests/ttSignature/RightVRSTest.json") continue;
    const Bytes raw = hex(c.at("txbytes").get<std::string>());
    auto strict = evm::decode_signed(raw, DecodeOptions{1, false});
    REQUIRE_FALSE(strict.ok());
    CHECK(strict.error().reason() == evm::reason::tx::kUnprotected);
    CHECK(evm::decode_signed(raw, DecodeOptions{1, true}).ok());
    report_cases("evm/unprotected legacy", 1);
  }
}

// Rebuilds a signed type-2 transaction with one field replaced by `replacement` (already RLP).
Bytes mutate_1559(const Bytes& raw, std::size_t field, const Bytes& replacement) {
  auto list = rlp::decode_exact(ByteView(raw).subspan(1)).value();
  std::array<rlp::Item, 12> items;
  REQUIRE(rlp::split_list(list.payload, items).value() == 12);
  rlp::Encoder enc;
  enc.begin_list();
  for (std::size_t i = 0; i < items.size(); ++i) enc.add_raw(i == field ? ByteView(replacement) : items[i].encoded);
  enc.end_list();
  Bytes out{0x02};
  append(out, enc.bytes());
  return out;
}

TEST_CASE("decoder names the one mutated field of a valid type-2 transaction", "[unit]") {
  auto s = evm::sign(sample_1559(), core::LocalSigner(test_key()));
  REQUIRE(s.ok());
  const DecodeOptions options{1337, false};
  REQUIRE(evm::decode_signed(s->raw, options).ok());
  const auto reason_of = [&](std::size_t field, const Bytes& replacement) {
    auto d = evm::decode_signed(mutate_1559(s->raw, field, replacement), options);
    REQUIRE_FALSE(d.ok());
    return d.error().reason();
  };
  CHECK(reason_of(1, hex("0x820007")) == rlp::reason::kLeadingZero);                        // nonce 0x0007
  CHECK(reason_of(3, hex("0x8405f5e100")) == evm::reason::tx::kPriorityFeeAboveMaxFee);       // max fee < tip
  CHECK(reason_of(5, hex("0x9500112233445566778899aabbccddeeff0011223344")) == evm::reason::tx::kBadTo);
  CHECK(reason_of(9, hex("0x02")) == evm::reason::tx::kBadV);
  CHECK(reason_of(10, hex("0x80")) == core::reason::secp256k1::kZeroR);
  CHECK(reason_of(11, hex("0xa1" "01" "0000000000000000000000000000000000000000000000000000000000000000")) ==
        evm::reason::tx::kSignatureOverflow);
  // s = n − 1 is high-s.
  CHECK(reason_of(11, hex("0xa0fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140")) ==
        core::reason::secp256k1::kHighS);
  // Trailing byte after the list, unknown type, empty input.
  Bytes trailing = s->raw;
  trailing.push_back(0x00);
  CHECK(evm::decode_signed(trailing, options).error().reason() == rlp::reason::kTrailingBytes);
  Bytes type3 = s->raw;
  type3[0] = 0x03;
  CHECK(evm::decode_signed(type3, options).error().reason() == evm::reason::tx::kUnsupportedType);
  CHECK(evm::decode_signed({}, options).error().reason() == evm::reason::tx::kEmpty);
}

}  // namespace
}  // namespace causeway::test
