// Message encoding, id and strict decoding; see message.hpp.
#include "relay/core/message.hpp"

#include <limits>
#include <string>
#include <vector>

#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"

namespace causeway::core {
namespace {

// Head slots of the Message tuple: eleven static fields and the payload's offset.
constexpr std::size_t kMessageHeadWords = 12;

template <typename Fixed>
Fixed retag(const Word32& w) noexcept {
  Fixed out;
  out.bytes = w.bytes;
  return out;
}

Result<Message> read_message(abi::Reader& r, const MessageLimits& limits) noexcept {
  Message m;
  CW_TRY(const auto version, r.uint(8));
  CW_TRY(const auto src_chain, r.word());
  CW_TRY(m.src_gateway, r.word());
  CW_TRY(const auto dst_chain, r.word());
  CW_TRY(m.dst_gateway, r.word());
  CW_TRY(m.receiver, r.word());
  CW_TRY(m.sequence.value, r.uint(64));
  CW_TRY(m.sender, r.word());
  CW_TRY(m.timeout, r.uint(64));
  CW_TRY(m.gas_limit, r.uint(64));
  CW_TRY(const auto flags, r.uint(8));
  auto payload = r.bytes(limits.max_payload);
  if (!payload) return std::move(payload).error().with_context("message.payload");
  m.version = static_cast<std::uint8_t>(version);
  m.src_chain = retag<ChainIdentity>(src_chain);
  m.dst_chain = retag<ChainIdentity>(dst_chain);
  m.flags = static_cast<std::uint8_t>(flags);
  m.payload = std::move(payload).value();
  CW_CHECK(check_message_fields(m));
  return m;
}

// The encoded size of a message whose payload has max_payload bytes, saturating.
std::size_t max_encoded_message(std::size_t max_payload) noexcept {
  constexpr std::size_t kFixed = abi::kWordSize * (1 + kMessageHeadWords + 1);
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  if (max_payload > kMax - kFixed - abi::kWordSize) return kMax;
  return kFixed + (max_payload + abi::kWordSize - 1) / abi::kWordSize * abi::kWordSize;
}

}  // namespace

MessageId message_id(const Message& m) {
  const Hash32 payload_hash = keccak256(m.payload);
  const Bytes encoded = abi::encode({
      abi::uint(m.version), abi::word(m.src_chain), abi::word(m.src_gateway), abi::word(m.dst_chain),
      abi::word(m.dst_gateway), abi::word(m.receiver), abi::uint(m.sequence.value), abi::word(m.sender),
      abi::uint(m.timeout), abi::uint(m.gas_limit), abi::uint(m.flags), abi::word(payload_hash)});
  MessageId id;
  id.bytes = keccak256(encoded).bytes;
  return id;
}

Bytes encode_message(const Message& m) { return abi::encode({message_tuple(m)}); }

abi::Value message_tuple(const Message& m) {
  std::vector<abi::Value> fields;
  fields.reserve(kMessageHeadWords);
  fields.push_back(abi::uint(m.version));
  fields.push_back(abi::word(m.src_chain));
  fields.push_back(abi::word(m.src_gateway));
  fields.push_back(abi::word(m.dst_chain));
  fields.push_back(abi::word(m.dst_gateway));
  fields.push_back(abi::word(m.receiver));
  fields.push_back(abi::uint(m.sequence.value));
  fields.push_back(abi::word(m.sender));
  fields.push_back(abi::uint(m.timeout));
  fields.push_back(abi::uint(m.gas_limit));
  fields.push_back(abi::uint(m.flags));
  fields.push_back(abi::bytes(m.payload));
  return abi::tuple(std::move(fields));
}

Result<void> check_message_fields(const Message& m) noexcept {
  if (m.version != kProtocolVersion) {
    return Error(reason::message::kBadVersion, "version " + std::to_string(m.version));
  }
  if ((m.flags & ~kKnownFlags) != 0) {
    return Error(reason::message::kUnknownFlags, "flags " + std::to_string(m.flags));
  }
  return ok();
}

Result<Message> decode_message(ByteView encoded, const MessageLimits& limits) noexcept {
  return abi::decode(encoded, 1, [&](abi::Reader& outer) {
    return outer.dynamic_tuple(kMessageHeadWords, [&](abi::Reader& r) { return read_message(r, limits); });
  });
}

Result<Message> decode_message_sent_data(ByteView log_data, const MessageLimits& limits) noexcept {
  auto message = abi::decode(log_data, 1, [&](abi::Reader& r) {
    return r.bytes(max_encoded_message(limits.max_payload));
  });
  if (!message) return std::move(message).error().with_context("MessageSent.message");
  return decode_message(*message, limits);
}

Result<Outcome> decode_outcome_data(ByteView log_data) noexcept {
  return abi::decode(log_data, 2, [](abi::Reader& r) -> Result<Outcome> {
    CW_TRY(const auto status, r.uint(8));
    if (status < static_cast<std::uint8_t>(ExecStatus::kOk) || status > static_cast<std::uint8_t>(ExecStatus::kSkipped)) {
      return Error(reason::message::kBadStatus, "status " + std::to_string(status));
    }
    CW_TRY(const auto claim, r.word());
    return Outcome{static_cast<ExecStatus>(status), retag<Claim>(claim)};
  });
}

}  // namespace causeway::core
