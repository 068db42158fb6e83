// Strict RLP decoding and append-style encoding (see rlp.hpp).
#include "relay/core/rlp.hpp"

#include <array>
#include <cstdlib>

namespace causeway::core::rlp {
namespace {

constexpr std::uint8_t kShortString = 0x80;
constexpr std::uint8_t kLongString = 0xb7;
constexpr std::uint8_t kShortList = 0xc0;
constexpr std::uint8_t kLongList = 0xf7;
constexpr std::size_t kShortLimit = 56;

// Reads a long-form length (1..8 big-endian bytes, present). Returns the failure, or nullptr.
const Reason* read_length(ByteView bytes, std::uint64_t& value) noexcept {
  if (bytes[0] == 0) return &reason::kLeadingZero;
  value = 0;
  for (auto b : bytes) value = (value << 8) | b;
  if (value < kShortLimit) return &reason::kNonCanonicalSize;
  if (value > kMaxItemLength) return &reason::kLengthOverflow;
  return nullptr;
}

// The one item parser behind every decoding entry point. It reports a failure as a pointer to
// its reason rather than a Result, so walking the items of a node costs no Result per item.
const Reason* parse_prefix(ByteView& input, Item& item) noexcept {
  if (input.empty()) return &reason::kInputTooShort;
  const std::uint8_t prefix = input[0];
  if (prefix < kShortString) {
    item = Item{false, input.first(1), input.first(1)};
    input = input.subspan(1);
    return nullptr;
  }

  const bool is_list = prefix >= kShortList;
  const std::uint8_t short_base = is_list ? kShortList : kShortString;
  const std::uint8_t long_base = is_list ? kLongList : kLongString;
  std::size_t header = 1;
  std::uint64_t length = 0;
  if (prefix <= long_base) {
    length = prefix - short_base;
  } else {
    const std::size_t length_size = prefix - long_base;  // 1..8
    if (input.size() < 1 + length_size) return &reason::kInputTooShort;
    if (const Reason* bad = read_length(input.subspan(1, length_size), length)) return bad;
    header += length_size;
  }
  // length <= kMaxItemLength, so header + length cannot wrap.
  if (length > input.size() - header) return &reason::kInputTooShort;
  const auto payload_size = static_cast<std::size_t>(length);
  if (!is_list && payload_size == 1 && input[header] < kShortString) return &reason::kNonCanonicalSingleByte;
  item = Item{is_list, input.subspan(header, payload_size), input.first(header + payload_size)};
  input = input.subspan(header + payload_size);
  return nullptr;
}

Result<Item> tree_item(ByteView input, std::size_t depth, const Limits& limits) noexcept;

// Checks every item of a list payload, recursing into nested lists.
Result<void> check_list_payload(ByteView payload, std::size_t depth, const Limits& limits) noexcept {
  ListReader reader(payload);
  while (!reader.done()) {
    CW_TRY(const Item item, reader.next());
    if (item.is_list) {
      // Depth is checked before descending, so hostile nesting costs no stack.
      if (depth + 1 > limits.max_depth) return Error(reason::kTooDeep);
      CW_CHECK(check_list_payload(item.payload, depth + 1, limits));
    }
  }
  return ok();
}

Result<Item> tree_item(ByteView input, std::size_t depth, const Limits& limits) noexcept {
  CW_TRY(const Item item, decode_exact(input));
  if (item.is_list) {
    if (depth + 1 > limits.max_depth) return Error(reason::kTooDeep);
    CW_CHECK(check_list_payload(item.payload, depth + 1, limits));
  }
  return item;
}

}  // namespace

Result<Item> decode_prefix(ByteView& input) noexcept {
  Item item;
  if (const Reason* bad = parse_prefix(input, item)) return Error(*bad);
  return item;
}

Result<Item> decode_exact(ByteView input) noexcept {
  CW_TRY(const Item item, decode_prefix(input));
  if (!input.empty()) return Error(reason::kTrailingBytes);
  return item;
}

Result<Item> decode_tree(ByteView input, const Limits& limits) noexcept {
  if (input.size() > limits.max_size) return Error(reason::kTooLarge);
  return tree_item(input, 0, limits);
}

Result<Item> ListReader::next() noexcept {
  Item item;
  if (const Reason* bad = parse_prefix(rest_, item)) {
    return Error(*bad == reason::kInputTooShort ? reason::kListItemOverrun : *bad);
  }
  return item;
}

Result<std::size_t> split_list(ByteView payload, std::span<Item> out) noexcept {
  std::size_t count = 0;
  while (!payload.empty()) {
    if (count == out.size()) return Error(reason::kTooManyItems);
    if (const Reason* bad = parse_prefix(payload, out[count])) {
      return Error(*bad == reason::kInputTooShort ? reason::kListItemOverrun : *bad);
    }
    ++count;
  }
  return count;
}

Result<ByteView> read_string(const Item& item) noexcept {
  if (item.is_list) return Error(reason::kUnexpectedList);
  return item.payload;
}

Result<ByteView> read_uint_bytes(const Item& item, std::size_t max_bytes) noexcept {
  CW_TRY(const ByteView bytes, read_string(item));
  if (!bytes.empty() && bytes[0] == 0) return Error(reason::kLeadingZero);
  if (bytes.size() > max_bytes) return Error(reason::kIntegerOverflow);
  return bytes;
}

Result<std::uint64_t> read_uint64(const Item& item) noexcept {
  CW_TRY(const ByteView bytes, read_uint_bytes(item, sizeof(std::uint64_t)));
  std::uint64_t value = 0;
  for (auto b : bytes) value = (value << 8) | b;
  return value;
}

std::size_t header_size(std::size_t payload_size) noexcept {
  if (payload_size < kShortLimit) return 1;
  std::size_t size = 1;
  for (std::size_t rest = payload_size; rest != 0; rest >>= 8) ++size;
  return size;
}

void append_header(Bytes& out, bool is_list, std::size_t payload_size) {
  const std::uint8_t short_base = is_list ? kShortList : kShortString;
  const std::uint8_t long_base = is_list ? kLongList : kLongString;
  if (payload_size < kShortLimit) {
    out.push_back(static_cast<std::uint8_t>(short_base + payload_size));
    return;
  }
  const std::size_t length_size = header_size(payload_size) - 1;
  out.push_back(static_cast<std::uint8_t>(long_base + length_size));
  for (std::size_t i = length_size; i-- > 0;) {
    out.push_back(static_cast<std::uint8_t>(payload_size >> (8 * i)));
  }
}

Encoder& Encoder::add_string(ByteView bytes) {
  if (bytes.size() == 1 && bytes[0] < kShortString) {
    out_.push_back(bytes[0]);
    return *this;
  }
  append_header(out_, false, bytes.size());
  append(out_, bytes);
  return *this;
}

Encoder& Encoder::add_uint(std::uint64_t value) {
  std::array<std::uint8_t, 8> be{};
  for (std::size_t i = 0; i < be.size(); ++i) be[i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
  return add_uint_bytes(be);
}

Encoder& Encoder::add_uint_bytes(ByteView big_endian) {
  std::size_t skip = 0;
  while (skip < big_endian.size() && big_endian[skip] == 0) ++skip;
  return add_string(big_endian.subspan(skip));
}

Encoder& Encoder::add_raw(ByteView encoded) {
  append(out_, encoded);
  return *this;
}

Encoder& Encoder::begin_list() {
  open_lists_.push_back(out_.size());
  return *this;
}

Encoder& Encoder::end_list() {
  if (open_lists_.empty()) std::abort();  // end_list without begin_list: a bug in the caller
  const std::size_t start = open_lists_.back();
  open_lists_.pop_back();
  const std::size_t payload_size = out_.size() - start;
  // The header goes in front of a payload already written: build it aside, then insert it.
  Bytes header;
  header.reserve(9);
  append_header(header, true, payload_size);
  out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(start), header.begin(), header.end());
  return *this;
}

Bytes Encoder::take() && {
  if (!open_lists_.empty()) std::abort();  // a list was begun and never ended
  return std::move(out_);
}

Bytes encode_string(ByteView bytes) {
  Encoder encoder(bytes.size() + 9);
  encoder.add_string(bytes);
  return std::move(encoder).take();
}

Bytes encode_uint(std::uint64_t value) {
  Encoder encoder(9);
  encoder.add_uint(value);
  return std::move(encoder).take();
}

Bytes encode_list(std::span<const Bytes> encoded_items) {
  std::size_t payload_size = 0;
  for (const auto& item : encoded_items) payload_size += item.size();
  Bytes out;
  out.reserve(header_size(payload_size) + payload_size);
  append_header(out, true, payload_size);
  for (const auto& item : encoded_items) append(out, item);
  return out;
}

}  // namespace causeway::core::rlp
