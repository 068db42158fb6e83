// Chain identity, claims and audit-log leaves of wire protocol v1; see protocol.hpp.
#include "relay/core/protocol.hpp"

#include <iterator>
#include <string>

#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/merkle_log.hpp"

namespace causeway::core {
namespace {

template <typename Out>
Out retag(const Hash32& h) noexcept {
  Out out;
  out.bytes = h.bytes;
  return out;
}

}  // namespace

ChainIdentity chain_identity(ChainFamily family, const ChainKey& key, const Hash32& genesis_hash) {
  const Bytes encoded = abi::encode({abi::uint(static_cast<std::uint8_t>(family)), abi::word(key),
                                     abi::word(genesis_hash)});
  return retag<ChainIdentity>(keccak256(encoded));
}

ChainKey evm_chain_key(std::uint64_t chain_id) noexcept {
  ChainKey key;
  key.bytes = abi::uint_word(chain_id).bytes;
  return key;
}

ChainKey evm_chain_key(const Word32& chain_id_be) noexcept {
  ChainKey key;
  key.bytes = chain_id_be.bytes;
  return key;
}

ChainKey named_chain_key(std::string_view utf8_name) noexcept {
  return retag<ChainKey>(keccak256(as_bytes(utf8_name)));
}

ChainKey fisco_chain_key(std::string_view chain_id, std::string_view group_id) {
  std::string name;
  name.reserve(chain_id.size() + 1 + group_id.size());
  name.append(chain_id).append("/").append(group_id);
  return named_chain_key(name);
}

Claim claim_hash(const MessageId& id, const Hash32& src_block_hash, std::uint64_t src_block_number,
                 std::uint32_t tx_index, std::uint32_t log_index_in_receipt) {
  const Bytes encoded = abi::encode({abi::word(id), abi::word(src_block_hash), abi::uint(src_block_number),
                                     abi::uint(tx_index), abi::uint(log_index_in_receipt)});
  return retag<Claim>(keccak256(encoded));
}

Bytes encode_audit_leaf(AuditKind kind, const MessageId& id, const Claim& claim, const Hash32& detail,
                        std::uint64_t unix_time) {
  return abi::encode({abi::uint(static_cast<std::uint8_t>(kind)), abi::word(id), abi::word(claim),
                      abi::word(detail), abi::uint(unix_time)});
}

Hash32 audit_leaf_hash(ByteView leaf) noexcept { return leaf_hash(leaf); }

std::string_view audit_kind_name(AuditKind kind) noexcept {
  static constexpr std::string_view kNames[] = {"verified",  "rejected", "voted",        "executed_ok", "executed_failed",
                                                "timed_out", "skipped",  "acknowledged", "parked",      "orphaned"};
  const auto index = static_cast<std::size_t>(kind);
  return index >= 1 && index <= std::size(kNames) ? kNames[index - 1] : "unknown";
}

}  // namespace causeway::core
