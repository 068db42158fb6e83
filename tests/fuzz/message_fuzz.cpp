// libFuzzer target for decode_message: whatever decodes must re-encode to exactly the input, so
// the strict decoder admits one encoding per message (THREATS 11, 24).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <span>

#include "relay/core/abi.hpp"
#include "relay/core/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace causeway::core;
  const ByteView input(data, size);
  auto decoded = decode_message(input, MessageLimits{4096});
  if (!decoded) return 0;
  const Bytes reencoded = encode_message(*decoded);
  if (reencoded.size() != size || !std::equal(reencoded.begin(), reencoded.end(), input.begin())) std::abort();
  // The MessageSent log wrapper must agree with the bare decoder.
  auto wrapped = decode_message_sent_data(abi::encode({abi::bytes(input)}), MessageLimits{4096});
  if (!wrapped || !(*wrapped == *decoded)) std::abort();
  return 0;
}
