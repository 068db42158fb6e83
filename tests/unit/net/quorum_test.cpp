// Tests for relay/net/quorum: the k-of-n decision over canned answers (THREATS 1).
#include <catch2/catch.hpp>

#include "relay/net/quorum.hpp"

using namespace causeway::net;

namespace {

QuorumVote said(std::string endpoint, std::string answer) {
  return QuorumVote{std::move(endpoint), std::move(answer)};
}
QuorumVote failed(std::string endpoint) {
  return QuorumVote{std::move(endpoint), Error(reason::kTimeout, "read: timed out")};
}

}  // namespace

TEST_CASE("quorum: k identical answers win and dissenters are reported", "[unit]") {
  auto d = decide_quorum({said("a", "0xaa"), said("b", "0xbb"), said("c", "0xaa")}, 2);
  REQUIRE(d.ok());
  CHECK((d->winner == 0 || d->winner == 2));
  CHECK(d->agreeing == std::vector<std::size_t>{0, 2});
  CHECK(d->dissenting == std::vector<std::size_t>{1});
}

TEST_CASE("ronin: conflicting answers without k agreeing is a named disagreement", "[unit]") {
  auto d = decide_quorum({said("a", "0xaa"), said("b", "0xbb"), said("c", "0xaa")}, 3);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().reason() == reason::kQuorumDisagreement);
  CHECK(d.error().detail().find("b said 0xbb") != std::string::npos);
  CHECK(d.error().detail().find("a said 0xaa") != std::string::npos);

  auto split = decide_quorum({said("a", "0xaa"), said("b", "0xbb"), failed("c")}, 2);
  CHECK(split.error().reason() == reason::kQuorumDisagreement);
  CHECK(split.error().detail().find("c failed: net.timeout") != std::string::npos);
}

TEST_CASE("quorum: two answers each reaching k is a disagreement, not a win", "[unit]") {
  auto d = decide_quorum({said("a", "x"), said("b", "y"), said("c", "x"), said("d", "y")}, 2);
  CHECK(d.error().reason() == reason::kQuorumDisagreement);
}

TEST_CASE("quorum: too few answers without conflict is unavailable", "[unit]") {
  auto d = decide_quorum({said("a", "0xaa"), failed("b"), failed("c")}, 2);
  CHECK(d.error().reason() == reason::kQuorumUnavailable);
  CHECK(decide_quorum({said("a", "x")}, 0).error().reason() == reason::kBadConfig);
  CHECK(decide_quorum({said("a", "x")}, 2).error().reason() == reason::kBadConfig);
}

TEST_CASE("quorum projections pick what must agree", "[unit]") {
  const auto block = Json::parse(R"({"hash":"0x01","number":"0x2"})");
  CHECK(project_member("hash")(block).value() == "0x01");
  CHECK(project_member("hash")(Json(nullptr)).error().reason() == reason::kBadReply);
  CHECK(project_member("number")(Json::parse(R"({"number":2})")).error().reason() == reason::kBadReply);
  // Key order on the wire must not matter for whole-result comparison.
  CHECK(project_whole()(Json::parse(R"({"a":1,"b":2})")).value() ==
        project_whole()(Json::parse(R"({"b":2,"a":1})")).value());
}
