// A small strict protobuf wire-format reader (https://protobuf.dev/programming-guides/encoding/):
// just what the Hyperledger Fabric messages need, so the verifier builds without protoc.
#pragma once

#include <cstddef>
#include <cstdint>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::verify::protobuf {

namespace reason {
inline constexpr core::Reason kTruncated{"protobuf.truncated"};
// More than 10 bytes, a value above 2^64-1, or redundant trailing zero groups: one value has one
// encoding here, so a signed byte string cannot be re-read as a different message.
inline constexpr core::Reason kOverlongVarint{"protobuf.overlong_varint"};
// Groups (wire types 3 and 4) and the undefined types 6 and 7.
inline constexpr core::Reason kBadWireType{"protobuf.bad_wire_type"};
// A known field arrived with a wire type its .proto declaration does not allow.
inline constexpr core::Reason kWrongWireType{"protobuf.wrong_wire_type"};
inline constexpr core::Reason kBadFieldNumber{"protobuf.bad_field_number"};
inline constexpr core::Reason kTooDeep{"protobuf.too_deep"};
}  // namespace reason

enum class WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Deeper than any Fabric message we read (Block → Envelope → … → ChaincodeEvent is 9 levels).
inline constexpr int kMaxDepth = 16;

// One field as it appears on the wire. `value` holds varint and fixed values; `bytes` the payload
// of a length-delimited field (a view into the input).
struct Field {
  std::uint32_t number = 0;
  WireType type = WireType::kVarint;
  std::uint64_t value = 0;
  core::ByteView bytes;
};

// Reads the fields of one message in order. Unknown fields are returned like known ones; the
// caller decides whether to skip them.
class Reader {
 public:
  // A top-level message (depth 0).
  explicit Reader(core::ByteView message) noexcept : rest_(message) {}

  bool done() const noexcept { return rest_.empty(); }
  core::Result<Field> next() noexcept;
  // A reader over a length-delimited field holding a nested message, one level deeper.
  core::Result<Reader> nested(const Field& field) const noexcept;
  // The same for a message held in a bytes field read earlier (kept as a view into this one).
  core::Result<Reader> nested(core::ByteView message) const noexcept;

 private:
  Reader(core::ByteView message, int depth) noexcept : rest_(message), depth_(depth) {}
  core::ByteView rest_;
  int depth_ = 0;
};

// Reads a varint from the front of `input` and advances past it.
core::Result<std::uint64_t> read_varint(core::ByteView& input) noexcept;

// Typed access for a known field; kWrongWireType otherwise.
core::Result<std::uint64_t> as_varint(const Field& field) noexcept;
core::Result<core::ByteView> as_bytes(const Field& field) noexcept;

}  // namespace causeway::verify::protobuf
