// libFuzzer target for the strict protobuf wire reader and the Fabric decoders built on it: no
// input may crash them, every field read lies inside the input, and a message that reads cleanly
// re-encodes to exactly its bytes (one encoding per message, as the reader promises).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "relay/verify/fabric_block.hpp"
#include "relay/verify/protobuf_wire.hpp"

namespace {

using namespace causeway;
using namespace causeway::verify;

void put_varint(core::Bytes& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

// Reads every field, descending into length-delimited ones that also read as messages, and
// returns the re-encoding of the top level; aborts on a view outside the input.
bool reencode(protobuf::Reader reader, core::ByteView input, core::Bytes& out) {
  while (!reader.done()) {
    auto field = reader.next();
    if (!field) return false;
    put_varint(out, static_cast<std::uint64_t>(field->number) << 3 | static_cast<std::uint64_t>(field->type));
    switch (field->type) {
      case protobuf::WireType::kVarint: put_varint(out, field->value); break;
      case protobuf::WireType::kFixed64:
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(field->value >> (8 * i)));
        break;
      case protobuf::WireType::kFixed32:
        if (field->value > 0xffffffffu) std::abort();
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(field->value >> (8 * i)));
        break;
      case protobuf::WireType::kLengthDelimited: {
        const core::ByteView bytes = field->bytes;
        if (bytes.data() < input.data() || bytes.data() + bytes.size() > input.data() + input.size()) std::abort();
        put_varint(out, bytes.size());
        if (auto inner = reader.nested(*field); inner.ok()) {
          core::Bytes again;
          // A payload that reads as a message must re-encode to itself too.
          if (reencode(*inner, input, again) && !std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) {
            std::abort();
          }
        }
        core::append(out, bytes);
        break;
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const core::ByteView input(data, size);
  core::Bytes out;
  if (reencode(protobuf::Reader(input), input, out)) {
    if (!std::equal(out.begin(), out.end(), input.begin(), input.end())) std::abort();
  }
  // The Fabric decoders on the same bytes: any outcome but a crash is acceptable.
  if (auto block = fabric::decode_block(input); block.ok()) {
    static_cast<void>(fabric::check_data_hash(*block));
    for (const core::ByteView envelope : block->envelopes) static_cast<void>(fabric::decode_envelope(envelope));
  }
  static_cast<void>(fabric::decode_envelope(input));
  static_cast<void>(fabric::decode_blockfile(input));
  return 0;
}
