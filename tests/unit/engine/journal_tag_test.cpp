// The engine's journal tags, which a restart reads back to follow its live transactions again:
// deliver and skip name the lane, an acknowledge transaction also the ids it carries.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "relay/engine/engine.hpp"

using namespace causeway;
using engine::JournalTag;

namespace {

core::MessageId id_of(std::uint8_t fill) {
  core::MessageId id;
  id.bytes.fill(fill);
  return id;
}

}  // namespace

TEST_CASE("journal tags: each kind is written and read back, lane names with spaces included", "[unit]") {
  const JournalTag deliver{JournalTag::Kind::kDeliver, "a->b", {}};
  CHECK(engine::journal_tag(deliver) == "deliver a->b");
  const JournalTag skip{JournalTag::Kind::kSkip, "lane with spaces", {}};
  CHECK(engine::journal_tag(skip) == "skip lane with spaces");
  const JournalTag acks{JournalTag::Kind::kAcknowledge, "b -> a", {id_of(0x11), id_of(0x22), id_of(0x33)}};
  const std::string text = engine::journal_tag(acks);
  CHECK(text == "acknowledge b -> a 0x" + std::string(64, '1') + ",0x" + std::string(64, '2') + ",0x" +
                    std::string(64, '3'));

  for (const auto& tag : {deliver, skip, acks}) {
    auto read = engine::parse_journal_tag(engine::journal_tag(tag));
    REQUIRE(read.has_value());
    CHECK(read->kind == tag.kind);
    CHECK(read->lane == tag.lane);
    CHECK(read->ids == tag.ids);
  }
  // The one-id form of earlier versions reads as a transaction of one.
  auto one = engine::parse_journal_tag("acknowledge a->b 0x" + std::string(64, 'a'));
  REQUIRE(one.has_value());
  CHECK(one->lane == "a->b");
  CHECK(one->ids == std::vector<core::MessageId>{id_of(0xaa)});
}

TEST_CASE("journal tags: anything else is not the engine's", "[unit]") {
  const std::string id = "0x" + std::string(64, '1');
  const std::vector<std::string> bad_tags = {"", "deliver", "deliver ", "bump a->b", "acknowledge a->b",
                                             "acknowledge " + id, "acknowledge a->b " + id + ",",
                                             "acknowledge a->b " + id + ",0x12", "acknowledge a->b " + id.substr(0, 60),
                                             "acknowledge a->b zz"};
  for (const auto& bad : bad_tags) {
    INFO(bad);
    CHECK_FALSE(engine::parse_journal_tag(bad).has_value());
  }
}
