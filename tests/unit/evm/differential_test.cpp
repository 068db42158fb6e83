// Differential test: our transaction signing/encoding and EIP-712 vote signing against ethers on
// seeded random cases written by evm_oracle.mjs (ctest fixture evm.differential.generate).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/evm/tx.hpp"
#include "adapters/evm/vote_signer.hpp"
#include "tests/support/vectors.hpp"

namespace causeway::test {
namespace {

using nlohmann::json;

json load_oracle() {
  const char* dir = std::getenv("CAUSEWAY_EVM_DIFFERENTIAL_DIR");
  if (dir == nullptr || *dir == '\0') {
    FAIL("CAUSEWAY_EVM_DIFFERENTIAL_DIR is not set: run through ctest, or run "
         "tests/unit/evm/evm_oracle.mjs <dir> and point the variable at <dir>");
  }
  std::ifstream in(std::filesystem::path(dir) / "evm.json");
  if (!in.good()) FAIL("evm.json not found in " << dir);
  return json::parse(in);
}

evm::U256 u256_hex(const json& value) { return evm::U256::from(hex(value.get<std::string>())).value(); }

std::uint64_t u64_dec(const json& value) { return std::stoull(value.get<std::string>()); }

std::optional<Address> to_of(const json& value) {
  if (value.is_null()) return std::nullopt;
  return fixed_from_hex<Address>(value.get<std::string>()).value();
}

evm::UnsignedTx tx_of(const json& c) {
  if (c.at("type").get<int>() == 0) {
    evm::LegacyTx tx;
    tx.chain_id = u64_dec(c.at("chain_id"));
    tx.nonce = c.at("nonce").get<std::uint64_t>();
    tx.gas_price = u256_hex(c.at("gas_price"));
    tx.gas_limit = u64_dec(c.at("gas_limit"));
    tx.to = to_of(c.at("to"));
    tx.value = u256_hex(c.at("value"));
    tx.data = hex(c.at("data").get<std::string>());
    return tx;
  }
  evm::Eip1559Tx tx;
  tx.chain_id = u64_dec(c.at("chain_id"));
  tx.nonce = c.at("nonce").get<std::uint64_t>();
  tx.max_fee_per_gas = u256_hex(c.at("max_fee_per_gas"));
  tx.max_priority_fee_per_gas = u256_hex(c.at("max_priority_fee_per_gas"));
  tx.gas_limit = u64_dec(c.at("gas_limit"));
  tx.to = to_of(c.at("to"));
  tx.value = u256_hex(c.at("value"));
  tx.data = hex(c.at("data").get<std::string>());
  for (const auto& entry : c.at("access_list")) {
    evm::AccessListEntry e{fixed_from_hex<Address>(entry.at("address").get<std::string>()).value(), {}};
    for (const auto& key : entry.at("storage_keys")) e.storage_keys.push_back(fixed_from_hex<Hash32>(key.get<std::string>()).value());
    tx.access_list.push_back(std::move(e));
  }
  return tx;
}

template <typename Fixed>
Fixed fixed(const json& value) {
  return fixed_from_hex<Fixed>(value.get<std::string>()).value();
}

TEST_CASE("transactions: signing, encoding, hash and decoding agree with ethers", "[.][differential]") {
  const json file = load_oracle();
  std::size_t compared = 0;
  std::size_t overflows = 0;
  std::size_t disagreements = 0;
  const auto disagree = [&](const std::string& what) {
    if (++disagreements <= 5) FAIL_CHECK(what);
  };
  for (const auto& c : file.at("txs")) {
    ++compared;
    const std::string where = "tx " + std::to_string(compared) + " (type " + std::to_string(c.at("type").get<int>()) + "): ";
    const evm::UnsignedTx tx = tx_of(c);
    const Bytes theirs = hex(c.at("raw").get<std::string>());
    if (to_hex(evm::signing_hash(tx)) != c.at("signing_hash").get<std::string>()) disagree(where + "signing hash");
    auto key = PrivateKey::from_hex(c.at("private_key").get<std::string>());
    REQUIRE(key.ok());
    auto ours = evm::sign(tx, core::LocalSigner(std::move(*key)));
    if (!ours) {
      disagree(where + "sign failed: " + ours.error().message());
      continue;
    }
    if (ours->raw != theirs) disagree(where + "raw ours " + to_hex(ours->raw) + ", ethers " + to_hex(theirs));
    if (to_hex(ours->hash) != c.at("hash").get<std::string>()) disagree(where + "hash");
    if (to_hex(ours->sender) != c.at("sender").get<std::string>()) disagree(where + "sender");
    auto decoded = evm::decode_signed(theirs, evm::DecodeOptions{u64_dec(c.at("chain_id")), false});
    if (c.at("fee_product_overflows").get<bool>()) {
      ++overflows;
      if (decoded || decoded.error().reason() != evm::reason::tx::kFeeProductOverflow) {
        disagree(where + "gas × price overflows 256 bits but the decoder did not say so");
      }
      continue;
    }
    if (!decoded) {
      disagree(where + "decoding ethers' bytes failed: " + decoded.error().message());
      continue;
    }
    if (!(decoded->tx == tx)) disagree(where + "decoded fields differ");
    if (to_hex(decoded->sender) != c.at("sender").get<std::string>()) disagree(where + "recovered sender");
  }
  CHECK(disagreements == 0);
  CHECK(overflows < compared / 2);  // most cases must reach the field comparison
  report_cases("differential.evm_tx (seed " + file.at("seed").get<std::string>() + ")", compared);
}

TEST_CASE("votes: EIP-712 digests and signatures agree with ethers signTypedData", "[.][differential]") {
  const json file = load_oracle();
  const Address unrelated_gas_key = fixed_from_hex<Address>("0x000000000000000000000000000000000000dead").value();
  std::size_t compared = 0;
  std::size_t disagreements = 0;
  for (const auto& c : file.at("votes")) {
    ++compared;
    const auto& d = c.at("domain");
    const Eip712Domain domain = causeway_domain(u64_dec(d.at("chain_id")), fixed<Address>(d.at("verifying_contract")),
                                                fixed<ChainIdentity>(d.at("salt")));
    auto signer = evm::VoteSigner::create(
        core::LocalSigner::make(PrivateKey::from_hex(c.at("private_key").get<std::string>()).value()), unrelated_gas_key);
    REQUIRE(signer.ok());
    const auto& v = c.at("value");
    const std::string kind = c.at("kind").get<std::string>();
    core::Result<evm::VoteSignature> sig = core::Error(core::Reason{"test.unknown_kind"});
    if (kind == "Deliver") {
      sig = signer->sign(domain, DeliverVote{fixed<MessageId>(v.at("id")), fixed<Claim>(v.at("claim")), Epoch{u64_dec(v.at("epoch"))}});
    } else if (kind == "Ack") {
      sig = signer->sign(domain, AckVote{fixed<MessageId>(v.at("id")), static_cast<ExecStatus>(v.at("status").get<int>()),
                                         fixed<Claim>(v.at("claim")), Epoch{u64_dec(v.at("epoch"))}});
    } else if (kind == "Skip") {
      sig = signer->sign(domain, SkipVote{fixed<MessageId>(v.at("id")), Epoch{u64_dec(v.at("epoch"))}});
    } else if (kind == "Rotate") {
      RotateVote vote;
      for (const auto& a : v.at("attesters")) vote.attesters.push_back(fixed<Address>(a));
      vote.threshold = v.at("threshold").get<std::uint16_t>();
      vote.new_epoch = Epoch{u64_dec(v.at("newEpoch"))};
      sig = signer->sign(domain, vote);
    } else if (kind == "Configure") {
      sig = signer->sign(domain, ConfigureVote{fixed<ChainIdentity>(v.at("srcChain")), fixed<Word32>(v.at("srcGateway")),
                                               v.at("trusted").get<bool>(), v.at("maxPayload").get<std::uint32_t>(),
                                               u64_dec(v.at("maxGas")), Epoch{u64_dec(v.at("epoch"))}});
    }
    REQUIRE(sig.ok());
    const bool same = to_hex(sig->digest) == c.at("digest").get<std::string>() &&
                      to_hex(ByteView(sig->rsv)) == c.at("signature").get<std::string>() &&
                      to_hex(sig->signer) == c.at("signer").get<std::string>();
    if (!same && ++disagreements <= 5) {
      FAIL_CHECK(kind << " vote " << compared << ": digest ours " << to_hex(sig->digest) << ", ethers "
                      << c.at("digest").get<std::string>() << "; signature ours " << to_hex(ByteView(sig->rsv))
                      << ", ethers " << c.at("signature").get<std::string>());
    }
  }
  CHECK(disagreements == 0);
  report_cases("differential.evm_vote (seed " + file.at("seed").get<std::string>() + ")", compared);
}

}  // namespace
}  // namespace causeway::test
