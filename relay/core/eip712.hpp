// EIP-712 digests of the attester votes (PROTOCOL.md section 5). The domain carries name, version,
// chain id, gateway and chain identity, so a vote binds to one protocol, one contract on one chain
// (THREATS 7); the salt keeps twin chains with equal chain ids and addresses apart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/protocol.hpp"

namespace causeway::core {

struct EpochTag {};
using Epoch = StrongU64<EpochTag>;

inline constexpr std::string_view kDomainName = "Causeway";
inline constexpr std::string_view kDomainVersion = "1";

inline constexpr std::string_view kDomainType =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)";
inline constexpr std::string_view kDeliverType = "Deliver(bytes32 id,bytes32 claim,uint64 epoch)";
inline constexpr std::string_view kAckType = "Ack(bytes32 id,uint8 status,bytes32 claim,uint64 epoch)";
inline constexpr std::string_view kSkipType = "Skip(bytes32 id,uint64 epoch)";
inline constexpr std::string_view kRotateType = "Rotate(address[] attesters,uint16 threshold,uint64 newEpoch)";
inline constexpr std::string_view kConfigureType =
    "Configure(bytes32 srcChain,bytes32 srcGateway,bool trusted,uint32 maxPayload,uint64 maxGas,uint64 epoch)";

// keccak256 of each type string above (the unit tests recompute them).
inline constexpr Hash32 kDomainTypeHash =
    fixed_literal<Hash32>("0xd87cd6ef79d4e2b95e15ce8abf732db51ec771f1ca2edccf22a46c729ac56472");
inline constexpr Hash32 kDeliverTypeHash =
    fixed_literal<Hash32>("0xe0cf1951d036b52491e755fba0c3d566d389a879fcece104265caaa44fbf2571");
inline constexpr Hash32 kAckTypeHash =
    fixed_literal<Hash32>("0x1b7c39f45548b0d468d4be0dea3fbc489b531742b78b90c11ab074ed74b30617");
inline constexpr Hash32 kSkipTypeHash =
    fixed_literal<Hash32>("0x8346f9d801728e2717f1fc4c7dfdd91ac098b432e02264428080cfad04a4f9ce");
inline constexpr Hash32 kRotateTypeHash =
    fixed_literal<Hash32>("0x8baf53a5254654b3d3abf80ffcc74923ff4a2a964ef5d56d3d338e0d41ca4121");
inline constexpr Hash32 kConfigureTypeHash =
    fixed_literal<Hash32>("0x1cab940a0ed33747e38bc8b2815923f8d8f3e78e902bede68c971f315f47b9a6");

// The domain as EIP-712 defines it; name and version are fields (not constants) only so tests can
// show that each one reaches the separator.
struct Eip712Domain {
  std::string name{kDomainName};
  std::string version{kDomainVersion};
  Word32 chain_id;  // uint256, big-endian
  Address verifying_contract;
  ChainIdentity salt;
};

// The protocol's domain for the gateway at `gateway` on the chain with EVM id `evm_chain_id` and
// identity `identity`.
Eip712Domain causeway_domain(std::uint64_t evm_chain_id, const Address& gateway, const ChainIdentity& identity);

Hash32 domain_separator(const Eip712Domain& domain) noexcept;

struct DeliverVote {
  MessageId id;
  Claim claim;
  Epoch epoch;
};
struct AckVote {
  MessageId id;
  ExecStatus status = ExecStatus::kOk;
  Claim claim;
  Epoch epoch;
};
struct SkipVote {
  MessageId id;
  Epoch epoch;
};
struct RotateVote {
  std::vector<Address> attesters;  // in the order the gateway receives them
  std::uint16_t threshold = 0;
  Epoch new_epoch;
};
struct ConfigureVote {
  ChainIdentity src_chain;
  Word32 src_gateway;
  bool trusted = false;
  std::uint32_t max_payload = 0;
  std::uint64_t max_gas = 0;
  Epoch epoch;
};

// hashStruct(vote) = keccak256(typeHash || encodeData(vote)).
Hash32 struct_hash(const DeliverVote& vote);
Hash32 struct_hash(const AckVote& vote);
Hash32 struct_hash(const SkipVote& vote);
// address[] is encoded as keccak256 of the concatenated left-padded addresses.
Hash32 struct_hash(const RotateVote& vote);
Hash32 struct_hash(const ConfigureVote& vote);

// keccak256(0x19 0x01 || domainSeparator || structHash): what an attester signs.
Hash32 eip712_digest(const Hash32& separator, const Hash32& hashed_struct) noexcept;

template <typename Vote>
Hash32 vote_digest(const Hash32& separator, const Vote& vote) {
  return eip712_digest(separator, struct_hash(vote));
}

}  // namespace causeway::core
