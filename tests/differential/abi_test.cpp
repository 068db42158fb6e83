// Differential test: our Message ABI encoding, message id and strict decoding against ethers'
// AbiCoder on random messages (PROTOCOL.md section 2), payloads of 0..600 bytes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "tests/differential/differential.hpp"
#include "tests/support/vectors.hpp"

namespace causeway::test::differential {
namespace {

namespace abi = core::abi;

template <typename Fixed>
Fixed fixed(const nlohmann::json& text) {
  auto parsed = core::fixed_from_hex<Fixed>(text.get<std::string>());
  if (!parsed) FAIL("bad 32-byte word in abi.json: " << text.dump());
  return *parsed;
}

// uint64 fields come as decimal strings: JSON numbers cannot hold every uint64.
std::uint64_t u64(const nlohmann::json& text) {
  const auto s = text.get<std::string>();
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) FAIL("bad uint64 in abi.json: " << s);
  return value;
}

std::uint8_t u8(const nlohmann::json& number) {
  const auto value = number.get<unsigned>();
  REQUIRE(value <= 0xffu);
  return static_cast<std::uint8_t>(value);
}

core::Message message_of(const nlohmann::json& m) {
  core::Message out;
  out.version = u8(m.at("version"));
  out.src_chain = fixed<core::ChainIdentity>(m.at("src_chain"));
  out.src_gateway = fixed<core::Word32>(m.at("src_gateway"));
  out.dst_chain = fixed<core::ChainIdentity>(m.at("dst_chain"));
  out.dst_gateway = fixed<core::Word32>(m.at("dst_gateway"));
  out.receiver = fixed<core::Word32>(m.at("receiver"));
  out.sequence = core::Sequence{u64(m.at("sequence"))};
  out.sender = fixed<core::Word32>(m.at("sender"));
  out.timeout = u64(m.at("timeout"));
  out.gas_limit = u64(m.at("gas_limit"));
  out.flags = u8(m.at("flags"));
  out.payload = hex(m.at("payload").get<std::string>());
  return out;
}

// The same encoding through the generic ABI encoder, member by member.
core::Bytes generic_encoding(const core::Message& m) {
  return abi::encode({abi::tuple({abi::uint(m.version), abi::word(m.src_chain), abi::word(m.src_gateway),
                                  abi::word(m.dst_chain), abi::word(m.dst_gateway), abi::word(m.receiver),
                                  abi::uint(m.sequence.value), abi::word(m.sender), abi::uint(m.timeout),
                                  abi::uint(m.gas_limit), abi::uint(m.flags), abi::bytes(m.payload)})});
}

core::Bytes generic_id_preimage(const core::Message& m) {
  return abi::encode({abi::uint(m.version), abi::word(m.src_chain), abi::word(m.src_gateway),
                      abi::word(m.dst_chain), abi::word(m.dst_gateway), abi::word(m.receiver),
                      abi::uint(m.sequence.value), abi::word(m.sender), abi::uint(m.timeout),
                      abi::uint(m.gas_limit), abi::uint(m.flags), abi::word(core::keccak256(m.payload))});
}

TEST_CASE("Message ABI encoding and id agree with ethers", "[differential][abi]") {
  const auto file = load_family("abi");
  Disagreements bad("abi");
  std::size_t compared = 0;
  std::size_t decoded = 0;
  for (const auto& c : file.at("cases")) {
    const core::Message message = message_of(c.at("message"));
    const core::Bytes expected = hex(c.at("encoded").get<std::string>());
    const core::Bytes expected_id = hex(c.at("id").get<std::string>());
    const std::string where = "message " + c.at("message").dump() + ": ";
    ++compared;

    const core::Bytes ours = core::encode_message(message);
    const core::Bytes generic = generic_encoding(message);
    if (ours != expected || generic != expected) {
      bad.add(where + "encode_message " + show(ours) + ", abi::encode " + show(generic) + ", ethers " + show(expected));
    }
    const core::MessageId id = core::message_id(message);
    const core::Hash32 generic_id = core::keccak256(generic_id_preimage(message));
    if (!std::equal(id.bytes.begin(), id.bytes.end(), expected_id.begin(), expected_id.end()) ||
        generic_id.bytes != id.bytes) {
      bad.add(where + "message_id " + core::to_hex(id) + ", via abi::encode " + core::to_hex(generic_id) +
              ", ethers " + show(expected_id));
    }

    // The strict decoder reads ethers' encoding back, unless version or flags are ones the
    // protocol refuses (the oracle draws those on purpose).
    const bool acceptable = message.version == core::kProtocolVersion && (message.flags & ~core::kKnownFlags) == 0;
    auto back = core::decode_message(expected, core::MessageLimits{.max_payload = 600});
    if (acceptable && !back) {
      bad.add(where + "decode_message rejects ethers' encoding: " + back.error().message());
    } else if (acceptable && !(*back == message)) {
      bad.add(where + "decode_message of ethers' encoding gives a different message");
    } else if (!acceptable && back) {
      bad.add(where + "decode_message accepts version " + std::to_string(message.version) + ", flags " +
              std::to_string(message.flags));
    }
    if (acceptable) ++decoded;
  }
  INFO(decoded << " of the messages were valid protocol messages and decoded");
  CHECK(decoded > 0);
  bad.finish(file, compared);
}

}  // namespace
}  // namespace causeway::test::differential
