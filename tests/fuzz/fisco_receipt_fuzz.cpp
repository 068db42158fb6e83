// libFuzzer target for decode_fisco2_receipt: whatever decodes must re-encode, field by field, to
// exactly the input, so the strict decoder admits one encoding per receipt and the receipt hash
// binds what the event is read from (THREATS 24).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "relay/core/rlp.hpp"
#include "relay/verify/fisco_receipt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace causeway;
  const core::ByteView input(data, size);
  auto decoded = verify::decode_fisco2_receipt(input);
  if (!decoded) return 0;
  core::rlp::Encoder e;
  e.begin_list();
  e.add_string(decoded->state_root.view());
  e.add_uint(decoded->gas_used);
  e.add_string(decoded->contract_address.view());
  e.add_string(decoded->logs_bloom);
  e.add_uint(decoded->status);
  e.add_string(decoded->output);
  if (decoded->remain_gas) e.add_uint(*decoded->remain_gas);
  e.begin_list();
  for (const auto& log : decoded->logs) {
    e.begin_list();
    e.add_string(log.address.view());
    e.begin_list();
    for (const auto& topic : log.topics) e.add_string(topic.view());
    e.end_list();
    e.add_string(log.data);
    e.end_list();
  }
  e.end_list();
  e.end_list();
  const core::Bytes reencoded = std::move(e).take();
  if (reencoded.size() != size || !std::equal(reencoded.begin(), reencoded.end(), input.begin())) std::abort();
  return 0;
}
