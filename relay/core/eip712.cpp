// EIP-712 domain separator, struct hashes and digests of the votes; see eip712.hpp.
#include "relay/core/eip712.hpp"

#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"

namespace causeway::core {
namespace {

Hash32 hash_encoded(std::initializer_list<abi::Value> words) { return keccak256(abi::encode(words)); }

}  // namespace

Eip712Domain causeway_domain(std::uint64_t evm_chain_id, const Address& gateway, const ChainIdentity& identity) {
  Eip712Domain domain;
  domain.chain_id = abi::uint_word(evm_chain_id);
  domain.verifying_contract = gateway;
  domain.salt = identity;
  return domain;
}

Hash32 domain_separator(const Eip712Domain& d) noexcept {
  // Every member is static (strings enter as their hashes), so this is five words after the
  // type hash; built in place to stay allocation-free.
  const Hash32 name = keccak256(as_bytes(d.name));
  const Hash32 version = keccak256(as_bytes(d.version));
  const Word32 contract = address_word(d.verifying_contract);
  return keccak256({kDomainTypeHash.view(), name.view(), version.view(), d.chain_id.view(), contract.view(),
                    d.salt.view()});
}

Hash32 struct_hash(const DeliverVote& v) {
  return hash_encoded({abi::word(kDeliverTypeHash), abi::word(v.id), abi::word(v.claim), abi::uint(v.epoch.value)});
}

Hash32 struct_hash(const AckVote& v) {
  return hash_encoded({abi::word(kAckTypeHash), abi::word(v.id), abi::uint(static_cast<std::uint8_t>(v.status)),
                       abi::word(v.claim), abi::uint(v.epoch.value)});
}

Hash32 struct_hash(const SkipVote& v) {
  return hash_encoded({abi::word(kSkipTypeHash), abi::word(v.id), abi::uint(v.epoch.value)});
}

Hash32 struct_hash(const RotateVote& v) {
  // EIP-712 encodes an array as the hash of its members' encodings concatenated; for addresses
  // that is each address left-padded to a word (not abi.encode's length-prefixed form).
  Bytes members;
  members.reserve(v.attesters.size() * abi::kWordSize);
  for (const auto& a : v.attesters) append(members, address_word(a).view());
  return hash_encoded({abi::word(kRotateTypeHash), abi::word(keccak256(members)), abi::uint(v.threshold),
                       abi::uint(v.new_epoch.value)});
}

Hash32 struct_hash(const ConfigureVote& v) {
  return hash_encoded({abi::word(kConfigureTypeHash), abi::word(v.src_chain), abi::word(v.src_gateway),
                       abi::boolean(v.trusted), abi::uint(v.max_payload), abi::uint(v.max_gas),
                       abi::uint(v.epoch.value)});
}

Hash32 eip712_digest(const Hash32& separator, const Hash32& hashed_struct) noexcept {
  static constexpr std::uint8_t kPrefix[2] = {0x19, 0x01};
  return keccak256({ByteView(kPrefix), separator.view(), hashed_struct.view()});
}

}  // namespace causeway::core
