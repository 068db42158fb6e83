// /v1/votes, POST /v1/bundles and POST /v1/messages/{id}/skip against a real store and an engine
// that is not run (its chains never start): the paths decided before any chain is needed, and the
// answer when one is.
#include <catch2/catch.hpp>

#include <string>

#include <boost/asio/this_coro.hpp>

#include "relay/verify/bundle.hpp"
#include "tests/unit/api/v1_fixture.hpp"

using namespace causeway;
using namespace causeway::test;

namespace {

std::string votes_path(const core::MessageId& id) { return "/v1/votes/" + core::to_hex(id); }

store::VoteRecord own_deliver_vote(const core::MessageId& id) {
  store::VoteRecord vote;
  vote.id = id;
  vote.kind = store::VoteKind::kDeliver;
  vote.claim = fixed_of<core::Claim>("claim", 1);
  vote.epoch = 1;
  vote.signer = fixed_of<core::Address>("signer", 1);
  vote.signature.fill(0xab);
  vote.signature[64] = 28;
  return vote;
}

// A POST /v1/votes body of `vote`.
std::string vote_body(const store::VoteRecord& vote) {
  return Json{{"kind", std::string(store::to_string(vote.kind))},
              {"claim", core::to_hex(vote.claim)},
              {"epoch", std::to_string(vote.epoch)},
              {"signer", core::to_hex(vote.signer)},
              {"signature", core::to_hex(core::ByteView(vote.signature.data(), vote.signature.size()))}}
      .dump();
}

double counter(engine::Metrics& metrics, const std::string& reason) {
  return metrics.votes_rejected(reason).Value();
}

}  // namespace

TEST_CASE("v1 votes: GET lists the vote book of a message, marked by kind, epoch, signer and origin", "[api]") {
  V1Fixture f;
  const auto id = f.put(f.lane_message(1), S::kVoted);
  auto own = own_deliver_vote(id);
  REQUIRE(f.store->put_vote(own));
  auto peer = own;
  peer.kind = store::VoteKind::kAck;
  peer.status = 2;
  peer.origin = store::VoteOrigin::kPeer;
  REQUIRE(f.store->put_vote(peer));
  const auto unknown = core::message_id(f.lane_message(99));
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    const Reply listed = co_await client.get(votes_path(id));
    REQUIRE(listed.result_int() == 200);
    const Json body = Json::parse(listed.body());
    CHECK(body.at("id") == core::to_hex(id));
    REQUIRE(body.at("votes").size() == 2);
    const Json& first = body.at("votes")[0];
    CHECK(first.at("kind") == "deliver");
    CHECK(first.at("origin") == "own");
    CHECK(first.at("epoch") == "1");
    CHECK(first.at("signer") == core::to_hex(own.signer));
    CHECK(first.at("signature") == core::to_hex(core::ByteView(own.signature.data(), own.signature.size())));
    CHECK_FALSE(first.contains("status"));
    const Json& second = body.at("votes")[1];
    CHECK(second.at("kind") == "ack");
    CHECK(second.at("origin") == "peer");
    CHECK(second.at("status") == 2);

    CHECK((co_await client.get(votes_path(unknown))).result_int() == 404);
    CHECK((co_await client.get("/v1/votes/0x12")).result_int() == 400);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 votes: POST refuses a vote on an unknown message by name and counts it", "[api]") {
  V1Fixture f;
  const auto known = f.put(f.lane_message(1), S::kVerified);
  const auto unknown = core::message_id(f.lane_message(99));
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());

    const Reply refused = co_await client.post(votes_path(unknown), vote_body(own_deliver_vote(unknown)));
    CHECK(refused.result_int() == 400);
    CHECK(error_code_of(refused) == "vote.unknown_message");
    CHECK(counter(f.metrics, "vote.unknown_message") == 1);

    // A known message on a lane whose chains have not started: the attesters are not known yet.
    const Reply waiting = co_await client.post(votes_path(known), vote_body(own_deliver_vote(known)));
    CHECK(waiting.result_int() == 503);
    CHECK(error_code_of(waiting) == "engine.chain_not_started");

    // Malformed bodies never reach the engine.
    auto bad_kind = Json::parse(vote_body(own_deliver_vote(known)));
    bad_kind["kind"] = "rotate";
    CHECK((co_await client.post(votes_path(known), bad_kind.dump())).result_int() == 400);
    auto short_signature = Json::parse(vote_body(own_deliver_vote(known)));
    short_signature["signature"] = "0x1234";
    CHECK((co_await client.post(votes_path(known), short_signature.dump())).result_int() == 400);
    auto numeric_epoch = Json::parse(vote_body(own_deliver_vote(known)));
    numeric_epoch["epoch"] = 1;
    CHECK((co_await client.post(votes_path(known), numeric_epoch.dump())).result_int() == 400);
    auto missing_signer = Json::parse(vote_body(own_deliver_vote(known)));
    missing_signer.erase("signer");
    CHECK((co_await client.post(votes_path(known), missing_signer.dump())).result_int() == 400);
    CHECK(counter(f.metrics, "vote.unknown_message") == 1);

    // Admin only.
    CHECK((co_await client.post(votes_path(known), vote_body(own_deliver_vote(known)), "")).result_int() == 401);
    CHECK(f.store->votes(known).value().empty());
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 bundles: POST refuses what is not a bundle, a bundle no lane carries, and waits for its chain",
          "[api]") {
  V1Fixture f;
  // A real anvil bundle (its chain is not one of the config's) and the same re-addressed to lane a-to-b.
  const std::string foreign = bundle_fixtures::bundle_json("a_sent_tx0_log0").dump();
  verify::Bundle readdressed = bundle_fixtures::bundle("a_sent_tx0_log0");
  readdressed.source.chain_identity = f.config.chains[0].chain_identity;
  readdressed.message = f.lane_message(5);
  const std::string on_lane = verify::bundle_text(readdressed);
  const auto audit_size = f.store->audit_size();
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    CHECK((co_await client.post("/v1/bundles", "{\"version\":1}")).result_int() == 400);
    CHECK((co_await client.post("/v1/bundles", "not json")).result_int() == 400);
    CHECK((co_await client.post("/v1/bundles", foreign)).result_int() == 404);
    const Reply waiting = co_await client.post("/v1/bundles", on_lane);
    CHECK(waiting.result_int() == 503);
    CHECK(error_code_of(waiting) == "engine.chain_not_started");
    CHECK((co_await client.post("/v1/bundles", on_lane, "")).result_int() == 401);
    co_await f.server->stop();
  }());
  // Nothing was recorded: no rejection, no message, no leaf.
  CHECK_FALSE(f.store->rejection(readdressed.claim).value());
  CHECK_FALSE(f.store->message(core::message_id(readdressed.message)).value());
  CHECK(f.store->audit_size() == audit_size);
  check_no_secrets(transcript);
}

TEST_CASE("v1 skip: only a parked message of an ordered lane, each refusal by name", "[api]") {
  V1Fixture f;
  const auto parked_ordered = f.put(f.lane_message(1, true), S::kParked);
  const auto verified_ordered = f.put(f.lane_message(2, true), S::kVerified);
  const auto parked_unordered = f.put(f.lane_message(3), S::kParked);
  const auto unknown = core::message_id(f.lane_message(99, true));
  auto skip_path = [](const core::MessageId& id) { return "/v1/messages/" + core::to_hex(id) + "/skip"; };
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    const Reply not_parked = co_await client.post(skip_path(verified_ordered), "");
    CHECK(not_parked.result_int() == 409);
    CHECK(error_code_of(not_parked) == "engine.not_parked");
    const Reply unordered = co_await client.post(skip_path(parked_unordered), "");
    CHECK(unordered.result_int() == 409);
    CHECK(error_code_of(unordered) == "engine.not_ordered");
    CHECK((co_await client.post(skip_path(unknown), "")).result_int() == 404);
    const Reply waiting = co_await client.post(skip_path(parked_ordered), "");
    CHECK(waiting.result_int() == 503);
    CHECK(error_code_of(waiting) == "engine.chain_not_started");
    CHECK((co_await client.post(skip_path(parked_ordered), "", "")).result_int() == 401);
    CHECK((co_await client.post(skip_path(parked_ordered), "{\"x\":1}")).result_int() == 400);
    co_await f.server->stop();
  }());
  // Nothing moved and no vote was booked.
  CHECK(f.store->message(parked_ordered).value()->state == S::kParked);
  CHECK(f.store->votes(parked_ordered).value().empty());
  check_no_secrets(transcript);
}
