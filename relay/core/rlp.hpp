// Recursive Length Prefix (Ethereum yellow paper, appendix B): an append-style encoder and a
// strictly canonical, zero-copy, noexcept decoder. PROOF_FORMATS.md A.1; THREATS.md class 14.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::core::rlp {

namespace reason {
// The input (or the rest of it) is shorter than the item header says.
inline constexpr Reason kInputTooShort{"rlp.input_too_short"};
// A length or an integer starts with a zero byte.
inline constexpr Reason kLeadingZero{"rlp.leading_zero"};
// The long form (0xb8.. / 0xf8..) is used for a payload shorter than 56 bytes.
inline constexpr Reason kNonCanonicalSize{"rlp.non_canonical_size"};
// A single byte below 0x80 is wrapped as 0x81xx instead of standing for itself.
inline constexpr Reason kNonCanonicalSingleByte{"rlp.non_canonical_single_byte"};
// Bytes remain after the one item the buffer should hold.
inline constexpr Reason kTrailingBytes{"rlp.trailing_bytes"};
// A list payload does not split into whole items (the last one runs past the list's end).
inline constexpr Reason kListItemOverrun{"rlp.list_item_overrun"};
// A declared length does not fit the decoder's 32-bit bound on item sizes.
inline constexpr Reason kLengthOverflow{"rlp.length_overflow"};
// Nesting deeper than the limit (checked before recursing).
inline constexpr Reason kTooDeep{"rlp.too_deep"};
// Input larger than the limit (checked before reading anything).
inline constexpr Reason kTooLarge{"rlp.too_large"};
// A list has more items than the caller has room for.
inline constexpr Reason kTooManyItems{"rlp.too_many_items"};
inline constexpr Reason kUnexpectedList{"rlp.unexpected_list"};
inline constexpr Reason kUnexpectedString{"rlp.unexpected_string"};
// An integer does not fit the requested width.
inline constexpr Reason kIntegerOverflow{"rlp.integer_overflow"};
}  // namespace reason

// Declared lengths above this are rejected as overflow: no honest item comes close, and the
// bound keeps every offset computation far from wrapping.
inline constexpr std::uint64_t kMaxItemLength = 0xffffffffu;

// One decoded item. Views point into the caller's buffer; nothing is copied.
struct Item {
  bool is_list = false;
  ByteView payload;  // the string bytes, or the concatenated encodings of the list items
  ByteView encoded;  // the whole item, header included
};

// Bounds for decoding untrusted trees.
struct Limits {
  std::size_t max_depth = 64;            // lists nested inside lists
  std::size_t max_size = 16u << 20;      // bytes of the whole input
};

// ---- Decoding (strict; every function is noexcept and returns errors as values) ----

// Decodes the item at the front of `input` and advances `input` past it. Checks the header is
// canonical and the payload is within `input`; does not look inside a list payload.
Result<Item> decode_prefix(ByteView& input) noexcept;

// Decodes a buffer that holds exactly one item (trailing bytes are an error). Shallow.
Result<Item> decode_exact(ByteView input) noexcept;

// Decodes a buffer that holds exactly one item and checks, recursively, that every nested item is
// canonical and every list payload splits into whole items. Size and depth limits are checked
// before anything is read or recursed into.
Result<Item> decode_tree(ByteView input, const Limits& limits = {}) noexcept;

// Walks the items of a list payload one at a time.
class ListReader {
 public:
  explicit ListReader(ByteView payload) noexcept : rest_(payload) {}
  bool done() const noexcept { return rest_.empty(); }
  // The next item; an item running past the payload's end is kListItemOverrun.
  Result<Item> next() noexcept;

 private:
  ByteView rest_;
};

// Splits a list payload into `out`; returns the number of items. More items than `out` holds is
// kTooManyItems, so a caller expecting a fixed shape needs no allocation.
Result<std::size_t> split_list(ByteView payload, std::span<Item> out) noexcept;

// A string item holding a canonical big-endian integer (no leading zero; 0 is the empty string).
Result<std::uint64_t> read_uint64(const Item& item) noexcept;
// The same for wider integers (e.g. uint256), returned as minimal big-endian bytes.
Result<ByteView> read_uint_bytes(const Item& item, std::size_t max_bytes = 32) noexcept;
// The payload of a string item (a list is kUnexpectedList).
Result<ByteView> read_string(const Item& item) noexcept;

// ---- Encoding ----

// Size of the header for a payload of `payload_size` bytes (string or list; not single bytes).
std::size_t header_size(std::size_t payload_size) noexcept;
// Appends a string or list header for a payload of `payload_size` bytes.
void append_header(Bytes& out, bool is_list, std::size_t payload_size);

// Builds an encoding by appending items; lists nest between begin_list() and end_list().
class Encoder {
 public:
  Encoder() = default;
  explicit Encoder(std::size_t reserve) { out_.reserve(reserve); }

  Encoder& add_string(ByteView bytes);
  Encoder& add_uint(std::uint64_t value);
  // A big-endian unsigned integer of any width; leading zero bytes are dropped.
  Encoder& add_uint_bytes(ByteView big_endian);
  // An item that is already RLP (e.g. an embedded trie node); copied as is.
  Encoder& add_raw(ByteView encoded);
  Encoder& begin_list();
  Encoder& end_list();

  const Bytes& bytes() const noexcept { return out_; }
  // The finished encoding; every begun list must have ended (a broken invariant otherwise).
  Bytes take() &&;

 private:
  Bytes out_;
  std::vector<std::size_t> open_lists_;  // payload start offsets of the lists not yet ended
};

Bytes encode_string(ByteView bytes);
Bytes encode_uint(std::uint64_t value);
// A list of already-encoded items.
Bytes encode_list(std::span<const Bytes> encoded_items);

}  // namespace causeway::core::rlp
