// Solidity ABI encoding and strict decoding; see abi.hpp.
#include "relay/core/abi.hpp"

#include <cstdlib>
#include <string>

namespace causeway::core::abi {
namespace {

std::size_t padded(std::size_t length) noexcept { return (length + kWordSize - 1) / kWordSize * kWordSize; }

void append_word(Bytes& out, const Word32& w) { out.insert(out.end(), w.bytes.begin(), w.bytes.end()); }

void append_length(Bytes& out, std::size_t length) { append_word(out, uint_word(static_cast<std::uint64_t>(length))); }

void encode_tuple(Bytes& out, std::span<const Value> members) {
  std::size_t head = 0;
  for (const auto& m : members) head += m.head_size();
  Bytes tail;
  for (const auto& m : members) {
    if (m.is_dynamic()) {
      append_length(out, head + tail.size());
      m.encode_into(tail);
    } else {
      m.encode_into(out);
    }
  }
  append(out, tail);
}

// The value of a word that must fit in `bytes` bytes (its high 32 - bytes bytes are zero).
bool fits(const Word32& w, std::size_t bytes) noexcept {
  for (std::size_t i = 0; i < kWordSize - bytes; ++i) {
    if (w.bytes[i] != 0) return false;
  }
  return true;
}

std::uint64_t low_u64(const Word32& w) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = kWordSize - 8; i < kWordSize; ++i) v = (v << 8) | w.bytes[i];
  return v;
}

std::string at(std::size_t position) { return "at byte " + std::to_string(position); }

}  // namespace

Word32 uint_word(std::uint64_t value) noexcept {
  Word32 w;
  for (std::size_t i = 0; i < 8; ++i) w.bytes[kWordSize - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  return w;
}

Word32 bool_word(bool value) noexcept { return uint_word(value ? 1 : 0); }

bool Value::is_dynamic() const noexcept {
  switch (kind_) {
    case Kind::kWord: return false;
    case Kind::kBytes:
    case Kind::kAddressArray:
    case Kind::kArray: return true;
    case Kind::kTuple:
      for (const auto& m : members_) {
        if (m.is_dynamic()) return true;
      }
      return false;
  }
  return true;
}

std::size_t Value::head_size() const noexcept {
  if (is_dynamic()) return kWordSize;
  if (kind_ == Kind::kWord) return kWordSize;
  std::size_t size = 0;  // a static tuple sits inline in its parent's head
  for (const auto& m : members_) size += m.head_size();
  return size;
}

void Value::encode_into(Bytes& out) const {
  switch (kind_) {
    case Kind::kWord:
      append_word(out, word_);
      return;
    case Kind::kBytes:
      append_length(out, bytes_.size());
      append(out, bytes_);
      out.resize(out.size() + padded(bytes_.size()) - bytes_.size(), 0);
      return;
    case Kind::kAddressArray:
      append_length(out, addresses_.size());
      for (const auto& a : addresses_) append_word(out, address_word(a));
      return;
    case Kind::kTuple:
      encode_tuple(out, members_);
      return;
    case Kind::kArray:
      append_length(out, members_.size());
      encode_tuple(out, members_);
      return;
  }
}

Value word(const Word32& w) {
  Value v;
  v.kind_ = Value::Kind::kWord;
  v.word_ = w;
  return v;
}

Value bytes(ByteView data) {
  Value v;
  v.kind_ = Value::Kind::kBytes;
  v.bytes_.assign(data.begin(), data.end());
  return v;
}

Value address_array(std::span<const Address> addresses) {
  Value v;
  v.kind_ = Value::Kind::kAddressArray;
  v.addresses_.assign(addresses.begin(), addresses.end());
  return v;
}

Value tuple(std::vector<Value> members) {
  Value v;
  v.kind_ = Value::Kind::kTuple;
  v.members_ = std::move(members);
  return v;
}

Value array(std::vector<Value> elements) {
  Value v;
  v.kind_ = Value::Kind::kArray;
  v.members_ = std::move(elements);
  return v;
}

Bytes encode(std::span<const Value> params) {
  Bytes out;
  encode_tuple(out, params);
  return out;
}

// ---- Reader ---------------------------------------------------------------------------------

Result<Reader> Reader::open(ByteView region, std::size_t head_words) noexcept {
  if (region.size() / kWordSize < head_words) {
    return Error(reason::kTooShort, "tuple head needs " + std::to_string(head_words * kWordSize) +
                                        " bytes, have " + std::to_string(region.size()));
  }
  return Reader(region, head_words);
}

Word32 Reader::next_slot() noexcept {
  // Reading past the declared head is a bug in the caller's layout, not bad input.
  if (slot_ >= head_words_) std::abort();
  Word32 w;
  const auto* p = region_.data() + slot_ * kWordSize;
  for (std::size_t i = 0; i < kWordSize; ++i) w.bytes[i] = p[i];
  ++slot_;
  return w;
}

Result<Word32> Reader::word() noexcept { return next_slot(); }

Result<std::uint64_t> Reader::uint(unsigned bits) noexcept {
  if (bits == 0 || bits > 64 || bits % 8 != 0) std::abort();
  const std::size_t position = slot_ * kWordSize;
  const Word32 w = next_slot();
  if (!fits(w, bits / 8)) {
    return Error(reason::kUintOverflow, "uint" + std::to_string(bits) + " " + at(position));
  }
  return low_u64(w);
}

Result<Address> Reader::address() noexcept {
  const std::size_t position = slot_ * kWordSize;
  const Word32 w = next_slot();
  if (!fits(w, Address::kSize)) return Error(reason::kNonZeroPadding, "address " + at(position));
  Address a;
  for (std::size_t i = 0; i < Address::kSize; ++i) a.bytes[i] = w.bytes[kWordSize - Address::kSize + i];
  return a;
}

Result<bool> Reader::boolean() noexcept {
  const std::size_t position = slot_ * kWordSize;
  const Word32 w = next_slot();
  if (!fits(w, 1) || w.bytes[kWordSize - 1] > 1) return Error(reason::kBadBool, at(position));
  return w.bytes[kWordSize - 1] == 1;
}

Result<std::size_t> Reader::next_offset() noexcept {
  const std::size_t position = slot_ * kWordSize;
  const Word32 w = next_slot();
  // Canonical means equal to the running tail position, which also makes it in bounds of what
  // was already checked and a multiple of 32; anything else is a second encoding of one value.
  if (!fits(w, 8) || low_u64(w) != tail_) {
    return Error(reason::kBadOffset, at(position) + ": expected offset " + std::to_string(tail_));
  }
  if (tail_ > region_.size()) return Error(reason::kBadOffset, at(position) + ": past the end");
  return tail_;
}

Result<Bytes> Reader::bytes(std::size_t max_length) noexcept {
  CW_TRY(const std::size_t offset, next_offset());
  const ByteView rest = region_.subspan(offset);
  if (rest.size() < kWordSize) return Error(reason::kTooShort, "bytes length " + at(offset));
  Word32 length_word;
  for (std::size_t i = 0; i < kWordSize; ++i) length_word.bytes[i] = rest[i];
  const std::size_t available = rest.size() - kWordSize;
  // Compare before padding so a huge length cannot overflow the arithmetic.
  if (!fits(length_word, 8) || low_u64(length_word) > available) {
    return Error(reason::kLengthPastEnd, "bytes length " + at(offset));
  }
  const auto length = static_cast<std::size_t>(low_u64(length_word));
  if (length > max_length) {
    return Error(reason::kBytesTooLong,
                 std::to_string(length) + " bytes, limit " + std::to_string(max_length));
  }
  const std::size_t body = padded(length);
  if (body > available) return Error(reason::kLengthPastEnd, "bytes padding " + at(offset));
  for (std::size_t i = length; i < body; ++i) {
    if (rest[kWordSize + i] != 0) return Error(reason::kNonZeroPadding, "bytes " + at(offset + kWordSize + i));
  }
  tail_ += kWordSize + body;
  const auto data = rest.subspan(kWordSize, length);
  return Bytes(data.begin(), data.end());
}

Result<Reader> Reader::enter_tuple(std::size_t head_words) noexcept {
  CW_TRY(const std::size_t offset, next_offset());
  return open(region_.subspan(offset), head_words);
}

std::size_t Reader::finish() const noexcept {
  if (slot_ != head_words_) std::abort();  // the caller's layout skipped members
  return tail_;
}

}  // namespace causeway::core::abi
