// libFuzzer target for the strict RLP decoder: whatever decodes must re-encode to exactly the
// input, so the decoder admits one encoding per value (THREATS 14).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "relay/core/rlp.hpp"

namespace {

using namespace causeway::core;

// Rebuilds the encoding from the decoded tree; headers are recomputed from payload sizes.
void reencode(const rlp::Item& item, rlp::Encoder& out) {
  if (!item.is_list) {
    out.add_string(item.payload);
    // A string that reads as an integer must also be that integer's one encoding.
    if (auto value = rlp::read_uint64(item); value.ok()) {
      const Bytes again = rlp::encode_uint(*value);
      if (!std::equal(again.begin(), again.end(), item.encoded.begin(), item.encoded.end())) std::abort();
    }
    return;
  }
  out.begin_list();
  rlp::ListReader reader(item.payload);
  while (!reader.done()) {
    auto child = reader.next();
    if (!child) std::abort();  // decode_tree accepted the tree, so every item must split
    reencode(*child, out);
  }
  out.end_list();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  rlp::Limits limits;
  limits.max_depth = 32;
  limits.max_size = 1 << 16;
  auto item = rlp::decode_tree(input, limits);
  // The shallow decoder must accept everything the deep one does.
  if (item.ok() && !rlp::decode_exact(input).ok()) std::abort();
  if (!item) return 0;
  rlp::Encoder out;
  reencode(*item, out);
  const Bytes& again = out.bytes();
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
  return 0;
}
