// Store::list_messages and lane_state_counts, what the REST API lists and counts: newest first,
// filtered by lane and state, paged by a position that new inserts never shift.
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <vector>

#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

core::Message on_lane(std::uint64_t sequence, std::string_view dst) {
  core::Message m = test::test_message(sequence);
  m.dst_chain = test::fixed_of<core::ChainIdentity>(dst, 1);
  return m;
}

store::NewMessage new_on(std::uint64_t sequence, std::string_view dst) {
  return {on_lane(sequence, dst), test::fixed_of<core::Claim>(dst, sequence)};
}

std::vector<std::uint64_t> sequences(const store::MessagePage& page) {
  std::vector<std::uint64_t> out;
  for (const auto& m : page.messages) out.push_back(m.message.sequence.value);
  return out;
}

// A store whose clock the test moves, so creation times differ where the test wants them to.
struct Fixture {
  Fixture() {
    auto options = test::test_options();
    options.clock = [this] { return now; };
    auto opened = test::open_test_store(dir.file("relay.db"), options);
    REQUIRE(opened);
    s = std::move(opened).value();
  }
  TempDir dir;
  std::uint64_t now = test::kTestTime;
  std::unique_ptr<store::Store> s;
};

}  // namespace

TEST_CASE("list_messages pages newest first and a new insert never shifts a page", "[unit]") {
  Fixture f;
  // Sequences 1..5 in two seconds: 1, 2 at t and 3, 4, 5 at t + 1 (insertion order breaks ties).
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    f.now = test::kTestTime + (seq >= 3 ? 1 : 0);
    REQUIRE(f.s->insert_observed(new_on(seq, "x")));
  }
  auto first = f.s->list_messages({}, std::nullopt, 2);
  REQUIRE(first);
  CHECK(sequences(*first) == std::vector<std::uint64_t>{5, 4});
  REQUIRE(first->next);

  // Inserted between two page reads: it is newer than every listed message, so it does not
  // show up on, or push anything onto, the pages after the first.
  f.now = test::kTestTime + 2;
  REQUIRE(f.s->insert_observed(new_on(6, "x")));
  auto second = f.s->list_messages({}, first->next, 2);
  REQUIRE(second);
  CHECK(sequences(*second) == std::vector<std::uint64_t>{3, 2});
  REQUIRE(second->next);
  auto last = f.s->list_messages({}, second->next, 2);
  REQUIRE(last);
  CHECK(sequences(*last) == std::vector<std::uint64_t>{1});
  CHECK_FALSE(last->next);

  // A page that ends exactly at the last message says so: no empty page follows.
  auto exact = f.s->list_messages({}, std::nullopt, 6);
  REQUIRE(exact);
  CHECK(exact->messages.size() == 6);
  CHECK_FALSE(exact->next);
  auto none = f.s->list_messages({}, std::nullopt, 0);
  REQUIRE(none);
  CHECK(none->messages.empty());
}

TEST_CASE("list_messages filters by lane keys and by state", "[unit]") {
  Fixture f;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) REQUIRE(f.s->insert_observed(new_on(seq, "x")));
  for (std::uint64_t seq = 1; seq <= 2; ++seq) REQUIRE(f.s->insert_observed(new_on(seq, "y")));
  const auto lane_x = store::lane_key(on_lane(1, "x"));
  const auto lane_y = store::lane_key(on_lane(1, "y"));
  REQUIRE(f.s->apply(test::to_state(core::message_id(on_lane(2, "x")), S::kVerified)));
  REQUIRE(f.s->apply(test::to_state(core::message_id(on_lane(1, "y")), S::kVerified)));

  store::MessageFilter x_only;
  x_only.lanes = {lane_x};
  auto x = f.s->list_messages(x_only, std::nullopt, 10);
  REQUIRE(x);
  CHECK(sequences(*x) == std::vector<std::uint64_t>{3, 2, 1});
  for (const auto& m : x->messages) CHECK(m.lane == lane_x);

  store::MessageFilter verified;
  verified.state = S::kVerified;
  auto v = f.s->list_messages(verified, std::nullopt, 10);
  REQUIRE(v);
  REQUIRE(v->messages.size() == 2);
  for (const auto& m : v->messages) CHECK(m.state == S::kVerified);

  store::MessageFilter both = x_only;
  both.state = S::kVerified;
  auto xv = f.s->list_messages(both, std::nullopt, 10);
  REQUIRE(xv);
  CHECK(sequences(*xv) == std::vector<std::uint64_t>{2});

  store::MessageFilter two_lanes;
  two_lanes.lanes = {lane_x, lane_y};
  auto all = f.s->list_messages(two_lanes, std::nullopt, 10);
  REQUIRE(all);
  CHECK(all->messages.size() == 5);
  store::MessageFilter nowhere;
  nowhere.lanes = {test::fixed_of("no-lane", 1)};
  auto empty = f.s->list_messages(nowhere, std::nullopt, 10);
  REQUIRE(empty);
  CHECK(empty->messages.empty());
  CHECK_FALSE(empty->next);
}

TEST_CASE("lane_state_counts counts per lane and state, leaving out empty ones", "[unit]") {
  Fixture f;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) REQUIRE(f.s->insert_observed(new_on(seq, "x")));
  REQUIRE(f.s->insert_observed(new_on(1, "y")));
  REQUIRE(f.s->apply(test::to_state(core::message_id(on_lane(3, "x")), S::kParked)));
  auto counts = f.s->lane_state_counts();
  REQUIRE(counts);
  const auto lane_x = store::lane_key(on_lane(1, "x"));
  const auto lane_y = store::lane_key(on_lane(1, "y"));
  std::set<std::tuple<core::Hash32, S, std::uint64_t>> got;
  for (const auto& c : *counts) got.emplace(c.lane, c.state, c.count);
  const std::set<std::tuple<core::Hash32, S, std::uint64_t>> expected{
      {lane_x, S::kObserved, 2}, {lane_x, S::kParked, 1}, {lane_y, S::kObserved, 1}};
  CHECK(got == expected);
}
