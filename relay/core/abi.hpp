// The subset of the Solidity contract ABI the wire protocol needs (PROTOCOL.md): an encoder for
// static words, `bytes`, `address[]` and tuples, and a strict decoder that accepts only what the
// encoder itself produces, so one value has exactly one encoding (THREATS 11, 24).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <utility>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::core::abi {

inline constexpr std::size_t kWordSize = 32;

namespace reason {
inline constexpr Reason kTooShort{"abi.too_short"};
// An offset that is not exactly where the encoder would put the tail: out of bounds, not a
// multiple of 32, overlapping, or leaving a gap.
inline constexpr Reason kBadOffset{"abi.bad_offset"};
inline constexpr Reason kNonZeroPadding{"abi.nonzero_padding"};
// A uintN word with bits set above N (e.g. a uint64 word with any of its 24 high bytes set).
inline constexpr Reason kUintOverflow{"abi.uint_overflow"};
inline constexpr Reason kBadBool{"abi.bad_bool"};
inline constexpr Reason kLengthPastEnd{"abi.length_past_end"};
inline constexpr Reason kBytesTooLong{"abi.bytes_too_long"};
inline constexpr Reason kTrailingBytes{"abi.trailing_bytes"};
}  // namespace reason

// ---- Encoding -------------------------------------------------------------------------------

// uintN for N <= 64, big-endian in the low bytes of the word.
Word32 uint_word(std::uint64_t value) noexcept;
Word32 bool_word(bool value) noexcept;

// One ABI value: a static word, dynamic `bytes`, dynamic `address[]`, or a tuple (dynamic when
// any member is). Build with the factory functions below.
class Value {
 public:
  enum class Kind : std::uint8_t { kWord, kBytes, kAddressArray, kTuple, kArray };

  Kind kind() const noexcept { return kind_; }
  bool is_dynamic() const noexcept;
  // Bytes this value takes in its enclosing tuple's head: 32 for a dynamic value (its offset).
  std::size_t head_size() const noexcept;
  // Appends the value's own encoding (for a dynamic value: what its offset points at).
  void encode_into(Bytes& out) const;

  friend Value word(const Word32& w);
  friend Value bytes(ByteView data);
  friend Value address_array(std::span<const Address> addresses);
  friend Value tuple(std::vector<Value> members);
  friend Value array(std::vector<Value> elements);

 private:
  Value() = default;
  Kind kind_ = Kind::kWord;
  Word32 word_{};
  Bytes bytes_;
  std::vector<Address> addresses_;
  std::vector<Value> members_;
};

// bytes32, uint256 (already big-endian) and any other 32-byte word, taken as is.
Value word(const Word32& w);
template <typename Tag>
Value word(const FixedBytes<32, Tag>& w) {
  return word(Word32{w.bytes});
}
// uint8 .. uint64.
inline Value uint(std::uint64_t v) { return word(uint_word(v)); }
inline Value boolean(bool v) { return word(bool_word(v)); }
inline Value address(const Address& a) { return word(address_word(a)); }
Value bytes(ByteView data);
Value address_array(std::span<const Address> addresses);
Value tuple(std::vector<Value> members);
// A dynamic array T[] of elements of one type (the caller keeps them alike): always dynamic, its
// encoding is the length word followed by the elements encoded as a tuple (bytes32[], bytes[][],
// Message[]).
Value array(std::vector<Value> elements);

// abi.encode(params...): the parameters encoded as one tuple, so a single dynamic parameter is
// preceded by its 0x20 offset word, exactly as Solidity's abi.encode does.
Bytes encode(std::span<const Value> params);
inline Bytes encode(std::initializer_list<Value> params) {
  return encode(std::span<const Value>(params.begin(), params.size()));
}

// ---- Decoding -------------------------------------------------------------------------------

// Reads the members of one tuple in order. Every dynamic member must sit exactly where the
// encoder puts it (right after the head, then after the previous tail), so any slack, overlap or
// reordering is rejected. Start with decode(); nested dynamic tuples with dynamic_tuple().
class Reader {
 public:
  // The next head slot, raw (bytes32, uint256).
  Result<Word32> word() noexcept;
  // The next head slot as uintN, N in {8, 16, 32, 64}; high bits must be zero.
  Result<std::uint64_t> uint(unsigned bits) noexcept;
  Result<Address> address() noexcept;
  Result<bool> boolean() noexcept;
  // The next head slot as the offset of a `bytes` value of at most max_length bytes.
  Result<Bytes> bytes(std::size_t max_length) noexcept;

  // The next head slot as the offset of a dynamic tuple whose head has head_words slots (a
  // static member occupies one slot per word); body(Reader&) reads its members and returns a
  // Result. The tuple must be consumed exactly.
  template <typename F>
  auto dynamic_tuple(std::size_t head_words, F&& body) noexcept -> decltype(body(std::declval<Reader&>())) {
    auto child = enter_tuple(head_words);
    if (!child) return std::move(child).error();
    auto value = body(*child);
    if (!value) return value;
    tail_ += child->finish();
    return value;
  }

  // The bytes the tuple occupies (head and tails). Every head slot must have been read: a layout
  // that skips members is a bug in the caller and aborts.
  std::size_t finish() const noexcept;

 private:
  template <typename F>
  friend auto decode(ByteView data, std::size_t head_words, F&& body) noexcept
      -> decltype(body(std::declval<Reader&>()));

  Reader(ByteView region, std::size_t head_words) noexcept
      : region_(region), head_words_(head_words), tail_(head_words * kWordSize) {}

  static Result<Reader> open(ByteView region, std::size_t head_words) noexcept;
  Word32 next_slot() noexcept;
  // Reads the next slot as an offset and checks that it is the canonical one.
  Result<std::size_t> next_offset() noexcept;
  Result<Reader> enter_tuple(std::size_t head_words) noexcept;

  ByteView region_;            // from the start of this tuple to the end of the input
  std::size_t head_words_;
  std::size_t slot_ = 0;       // next head slot to read
  std::size_t tail_;           // where the next dynamic member must start
};

// abi.decode(data, (...)): data is a tuple whose head has head_words slots; body(Reader&) reads
// its members and returns a Result. Fails unless the tuple ends exactly at the end of data.
template <typename F>
auto decode(ByteView data, std::size_t head_words, F&& body) noexcept -> decltype(body(std::declval<Reader&>())) {
  auto reader = Reader::open(data, head_words);
  if (!reader) return std::move(reader).error();
  auto value = body(*reader);
  if (!value) return value;
  const std::size_t used = reader->finish();
  if (used != data.size()) {
    return Error(reason::kTrailingBytes, std::to_string(data.size() - used) + " bytes after the encoding");
  }
  return value;
}

}  // namespace causeway::core::abi
