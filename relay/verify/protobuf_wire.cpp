// Strict protobuf wire reading: every length is checked against the bytes that remain.
#include "relay/verify/protobuf_wire.hpp"

#include <string>

namespace causeway::verify::protobuf {

core::Result<std::uint64_t> read_varint(core::ByteView& input) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i >= input.size()) return core::Error(reason::kTruncated, "varint");
    const std::uint8_t byte = input[i];
    // The tenth byte carries bit 63 only.
    if (i == 9 && byte > 1) return core::Error(reason::kOverlongVarint, "above 2^64-1");
    value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (byte == 0 && i > 0) return core::Error(reason::kOverlongVarint, "trailing zero group");
      input = input.subspan(i + 1);
      return value;
    }
  }
  return core::Error(reason::kOverlongVarint, "more than 10 bytes");
}

core::Result<Field> Reader::next() noexcept {
  CW_TRY(const std::uint64_t key, read_varint(rest_));
  const std::uint64_t number = key >> 3;
  // Field numbers are 1 .. 2^29-1 (protobuf language guide).
  if (number == 0 || number > 0x1fffffff) {
    return core::Error(reason::kBadFieldNumber, std::to_string(number));
  }
  Field field;
  field.number = static_cast<std::uint32_t>(number);
  const auto fixed = [&](std::size_t width) -> core::Result<Field> {
    if (rest_.size() < width) return core::Error(reason::kTruncated, "fixed field " + std::to_string(number));
    for (std::size_t i = 0; i < width; ++i) field.value |= static_cast<std::uint64_t>(rest_[i]) << (8 * i);
    rest_ = rest_.subspan(width);
    return field;
  };
  switch (key & 7) {
    case 0: {
      field.type = WireType::kVarint;
      CW_TRY(field.value, read_varint(rest_));
      return field;
    }
    case 1: field.type = WireType::kFixed64; return fixed(8);
    case 5: field.type = WireType::kFixed32; return fixed(4);
    case 2: {
      field.type = WireType::kLengthDelimited;
      CW_TRY(const std::uint64_t length, read_varint(rest_));
      if (length > rest_.size()) {
        return core::Error(reason::kTruncated, "field " + std::to_string(number) + " declares " +
                                                   std::to_string(length) + " bytes");
      }
      field.bytes = rest_.first(static_cast<std::size_t>(length));
      rest_ = rest_.subspan(static_cast<std::size_t>(length));
      return field;
    }
    default:
      return core::Error(reason::kBadWireType, "field " + std::to_string(number) + " wire type " +
                                                   std::to_string(key & 7));
  }
}

core::Result<Reader> Reader::nested(const Field& field) const noexcept {
  CW_TRY(const core::ByteView bytes, as_bytes(field));
  return nested(bytes);
}

core::Result<Reader> Reader::nested(core::ByteView message) const noexcept {
  if (depth_ + 1 > kMaxDepth) return core::Error(reason::kTooDeep, "depth " + std::to_string(depth_ + 1));
  return Reader(message, depth_ + 1);
}

core::Result<std::uint64_t> as_varint(const Field& field) noexcept {
  if (field.type != WireType::kVarint) {
    return core::Error(reason::kWrongWireType, "field " + std::to_string(field.number) + " is not a varint");
  }
  return field.value;
}

core::Result<core::ByteView> as_bytes(const Field& field) noexcept {
  if (field.type != WireType::kLengthDelimited) {
    return core::Error(reason::kWrongWireType,
                       "field " + std::to_string(field.number) + " is not length-delimited");
  }
  return field.bytes;
}

}  // namespace causeway::verify::protobuf
