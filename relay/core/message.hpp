// The cross-chain Message envelope (PROTOCOL.md section 2), its id, its ABI encoding as carried in
// `MessageSent`, and strict decoding of the event data the relay reads from chains (section 3).
#pragma once

#include <cstddef>
#include <cstdint>

#include "relay/core/abi.hpp"  // decoders report abi::reason values
#include "relay/core/bytes.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"

namespace causeway::core {

namespace reason::message {
inline constexpr Reason kBadVersion{"message.bad_version"};
inline constexpr Reason kUnknownFlags{"message.unknown_flags"};
// An event's status outside 1..4.
inline constexpr Reason kBadStatus{"message.bad_status"};
}  // namespace reason::message

// Bit 0 of Message::flags: the message travels on its lane's ordered sub-lane.
inline constexpr std::uint8_t kFlagOrdered = 0x01;
inline constexpr std::uint8_t kKnownFlags = kFlagOrdered;

// Field for field the Solidity struct; EVM addresses are left-padded into the Word32 fields.
struct Message {
  std::uint8_t version = kProtocolVersion;
  ChainIdentity src_chain;
  Word32 src_gateway;
  ChainIdentity dst_chain;
  Word32 dst_gateway;
  Word32 receiver;
  Sequence sequence;  // per lane, from 1
  Word32 sender;
  std::uint64_t timeout = 0;  // destination block timestamp (seconds) after which it must not run; 0 = none
  std::uint64_t gas_limit = 0;
  std::uint8_t flags = 0;
  Bytes payload;

  bool ordered() const noexcept { return (flags & kFlagOrdered) != 0; }
  friend bool operator==(const Message&, const Message&) = default;
};

// Bounds applied while decoding, before anything is allocated for the payload (THREATS 24).
struct MessageLimits {
  std::size_t max_payload = 0;
};

// keccak256(abi.encode(version, srcChain, srcGateway, dstChain, dstGateway, receiver, sequence,
// sender, timeout, gasLimit, flags, keccak256(payload))): twelve static words, so every field,
// the payload through its hash, reaches the id (THREATS 11).
MessageId message_id(const Message& message);

// abi.encode(message) with the struct as a tuple. Because the tuple is dynamic (it holds
// `bytes`), the encoding opens with the 0x20 offset word of the single parameter, followed by the
// 12-slot tuple head and the payload; this is what the gateway's `abi.encode(msg)` emits as the
// `message` of MessageSent (checked against ethers' AbiCoder in schemas/vectors, and once against
// solc 0.8.30's abi.encode(m) of a calldata struct run on anvil).
Bytes encode_message(const Message& message);
// The Message as the ABI tuple of encode_message (for calldata such as `deliver(Message[], ...)`).
abi::Value message_tuple(const Message& message);

// The inverse of encode_message, accepting only its exact output: canonical offsets, zero
// padding, uint widths, no trailing bytes; version 1, no unknown flag bits, payload within
// limits.max_payload.
Result<Message> decode_message(ByteView encoded, const MessageLimits& limits) noexcept;

// The data of a MessageSent log, abi.encode(bytes message), decoded down to the Message.
Result<Message> decode_message_sent_data(ByteView log_data, const MessageLimits& limits) noexcept;

// The data of a MessageExecuted or Acknowledged log: abi.encode(uint8 status, bytes32 claim).
struct Outcome {
  ExecStatus status = ExecStatus::kOk;
  Claim claim;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};
Result<Outcome> decode_outcome_data(ByteView log_data) noexcept;

// Rejects what the ABI layer cannot: a version other than 1 and unknown flag bits. Shared by the
// ABI and JSON decoders so both accept the same messages.
Result<void> check_message_fields(const Message& message) noexcept;

}  // namespace causeway::core
