// What the engine asks of the store beyond the state machine: lane-scoped due messages in
// sequence order, per-state counts, lane sequences for reconciliation, execution records, and a
// group commit that carries bundles and executions with the transitions they justify.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

core::Message message_on(std::uint64_t sequence, bool ordered, std::string_view dst = "dst") {
  core::Message m = test::test_message(sequence);
  m.dst_chain = test::fixed_of<core::ChainIdentity>(dst, 1);
  m.flags = ordered ? core::kFlagOrdered : 0;
  return m;
}

store::NewMessage new_on(std::uint64_t sequence, bool ordered, std::string_view dst = "dst") {
  return {message_on(sequence, ordered, dst), test::fixed_of<core::Claim>(std::string(dst) + (ordered ? "o" : "u"), sequence)};
}

}  // namespace

TEST_CASE("due_in_lanes serves only the named lanes and states, in sequence order; messages() reads them", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  store::WriteBatch batch;
  for (const std::uint64_t seq : {3, 1, 2}) batch.observed.push_back(new_on(seq, true));
  batch.observed.push_back(new_on(1, false));
  batch.observed.push_back(new_on(1, true, "elsewhere"));
  REQUIRE(s.batch(batch));
  const auto ordered_lane = store::lane_key(message_on(1, true));
  const auto unordered_lane = store::lane_key(message_on(1, false));

  const S observed[] = {S::kObserved};
  const core::Hash32 just_ordered[] = {ordered_lane};
  auto due = s.due_in_lanes(just_ordered, observed, test::kTestTime, 10);
  REQUIRE(due);
  REQUIRE(due->size() == 3);
  CHECK(due->at(0).sequence == 1);
  CHECK(due->at(1).sequence == 2);
  CHECK(due->at(2).sequence == 3);

  const core::Hash32 both[] = {ordered_lane, unordered_lane};
  auto all = s.due_in_lanes(both, observed, test::kTestTime, 10);
  REQUIRE(all);
  CHECK(all->size() == 4);
  auto limited = s.due_in_lanes(both, observed, test::kTestTime, 2);
  REQUIRE(limited);
  REQUIRE(limited->size() == 2);
  // The first two of the whole order (lane, then sequence), whichever lane they come from.
  CHECK(limited->at(0).id == all->at(0).id);
  CHECK(limited->at(1).id == all->at(1).id);

  const S verified[] = {S::kVerified};
  auto none = s.due_in_lanes(both, verified, test::kTestTime, 10);
  REQUIRE(none);
  CHECK(none->empty());

  // Several states are served as one sequence order, and the limit cuts that order.
  REQUIRE(s.apply(test::to_state(due->at(1).id, S::kVerified)));
  const S observed_or_verified[] = {S::kObserved, S::kVerified};
  auto mixed = s.due_in_lanes(just_ordered, observed_or_verified, test::kTestTime, 2);
  REQUIRE(mixed);
  REQUIRE(mixed->size() == 2);
  CHECK(mixed->at(0).sequence == 1);
  CHECK(mixed->at(1).sequence == 2);
  CHECK(mixed->at(1).state == S::kVerified);

  // Not yet due: a future next attempt hides the message.
  REQUIRE(s.record_attempt(due->at(0).id, test::kTestTime + 60));
  auto later = s.due_in_lanes(just_ordered, observed_or_verified, test::kTestTime, 10);
  REQUIRE(later);
  CHECK(later->size() == 2);
  CHECK(later->at(0).sequence == 2);
  CHECK(later->at(0).attempts == 0);
  CHECK(later->at(0).lane == ordered_lane);

  // messages() reads them in full, in the order asked, leaving out an id not stored.
  const core::MessageId ids[] = {due->at(2).id, core::message_id(message_on(9, true)), due->at(0).id};
  auto read = s.messages(ids);
  REQUIRE(read);
  REQUIRE(read->size() == 2);
  CHECK(read->at(0).id == due->at(2).id);
  CHECK(read->at(0).message == message_on(3, true));
  CHECK(read->at(1).id == due->at(0).id);
  CHECK(read->at(1).attempts == 1);
  CHECK(read->at(1).next_attempt_at == test::kTestTime + 60);
  auto none_read = s.messages(std::span<const core::MessageId>{});
  REQUIRE(none_read);
  CHECK(none_read->empty());
}

TEST_CASE("message_keys reads a stored message's claim and lane key, and nothing for an unknown id", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  store::WriteBatch batch;
  batch.observed.push_back(new_on(5, true));
  REQUIRE(s.batch(batch));
  const auto id = core::message_id(message_on(5, true));
  auto keys = s.message_keys(id);
  REQUIRE(keys);
  REQUIRE(keys->has_value());
  CHECK((*keys)->claim == s.message(id).value()->claim);
  CHECK((*keys)->lane == store::lane_key(message_on(5, true)));
  CHECK((*keys)->lane != store::lane_key(message_on(5, false)));
  CHECK((*keys)->state == S::kObserved);
  CHECK_FALSE((*keys)->parked_from.has_value());
  CHECK((*keys)->created_at == s.message(id).value()->created_at);
  auto none = s.message_keys(core::message_id(message_on(6, true)));
  REQUIRE(none);
  CHECK_FALSE(none->has_value());

  // The state as message() reads it, parked with the stage it left.
  REQUIRE(s.apply(test::to_state(id, S::kVerified)));
  REQUIRE(s.apply(test::to_state(id, S::kParked)));
  keys = s.message_keys(id);
  REQUIRE(keys);
  REQUIRE(keys->has_value());
  CHECK((*keys)->state == S::kParked);
  REQUIRE((*keys)->parked_from.has_value());
  CHECK(*(*keys)->parked_from == S::kVerified);
}

TEST_CASE("a group commit records next attempts with its transitions and returns their keys, or nothing", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  store::WriteBatch batch;
  for (const std::uint64_t seq : {1, 2}) batch.observed.push_back(new_on(seq, false));
  REQUIRE(s.batch(batch));
  const auto first = core::message_id(message_on(1, false));
  const auto second = core::message_id(message_on(2, false));

  store::WriteBatch step;
  step.transitions.push_back(test::to_state(first, S::kVerified));
  step.attempts.push_back({first, test::kTestTime + 60});
  step.attempts.push_back({second, test::kTestTime + 30});
  auto applied = s.batch(step);
  REQUIRE(applied);
  // Each transition's message as the commit left it, for the engine's log line and event.
  REQUIRE(applied->size() == 1);
  CHECK(applied->front().state == S::kVerified);
  CHECK(applied->front().lane == store::lane_key(message_on(1, false)));
  CHECK(applied->front().claim == s.message(first).value()->claim);
  CHECK(applied->front().created_at == s.message(first).value()->created_at);
  for (const auto& [id, at, state] : {std::tuple{first, test::kTestTime + 60, S::kVerified},
                                      std::tuple{second, test::kTestTime + 30, S::kObserved}}) {
    auto m = s.message(id);
    REQUIRE(m);
    REQUIRE(m->has_value());
    CHECK((*m)->state == state);
    CHECK((*m)->attempts == 1);
    CHECK((*m)->next_attempt_at == at);
  }

  // An unknown id refuses the whole commit, named by its place in the batch.
  store::WriteBatch bad;
  bad.transitions.push_back(test::to_state(second, S::kVerified));
  bad.attempts.push_back({second, test::kTestTime + 90});
  bad.attempts.push_back({core::message_id(message_on(9, false)), test::kTestTime});
  const auto leaves = s.audit_size();
  auto refused = s.batch(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().reason() == store::reason::kNotFound);
  CHECK(refused.error().message().find("attempts[1]") != std::string::npos);
  auto untouched = s.message(second);
  REQUIRE(untouched);
  CHECK((*untouched)->state == S::kObserved);
  CHECK((*untouched)->attempts == 1);
  CHECK(s.audit_size() == leaves);

  CHECK(store::WriteBatch{}.empty());
  CHECK_FALSE(bad.empty());
}

TEST_CASE("state_counts and lane_sequences report what is stored", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  store::WriteBatch batch;
  for (const std::uint64_t seq : {1, 2, 4, 7}) batch.observed.push_back(new_on(seq, false));
  REQUIRE(s.batch(batch));
  REQUIRE(s.apply(test::to_state(core::message_id(message_on(2, false)), S::kVerified)));

  auto counts = s.state_counts();
  REQUIRE(counts);
  std::map<S, std::uint64_t> by_state(counts->begin(), counts->end());
  CHECK(by_state[S::kObserved] == 3);
  CHECK(by_state[S::kVerified] == 1);
  CHECK(by_state.size() == 2);

  const auto lane = store::lane_key(message_on(1, false));
  auto sequences = s.lane_sequences(lane, 2, 6);
  REQUIRE(sequences);
  CHECK(*sequences == std::vector<std::uint64_t>{2, 4});
  auto other = s.lane_sequences(store::lane_key(message_on(1, true)), 1, 10);
  REQUIRE(other);
  CHECK(other->empty());
}

TEST_CASE("lane_backlogs counts the pending messages of each lane and the oldest one's time", "[unit]") {
  TempDir dir;
  auto options = test::test_options();
  std::uint64_t clock = 1000;
  options.clock = [&clock] { return clock; };
  auto opened = test::open_test_store(dir.file("relay.db"), options);
  REQUIRE(opened);
  auto& s = **opened;
  store::WriteBatch first;
  for (const std::uint64_t seq : {1, 2, 3}) first.observed.push_back(new_on(seq, false));
  REQUIRE(s.batch(first));
  clock = 1500;
  store::WriteBatch second;
  second.observed.push_back(new_on(1, true));
  second.observed.push_back(new_on(4, false));
  REQUIRE(s.batch(second));
  // Executed messages are no longer on their way.
  const auto done = core::message_id(message_on(1, false));
  for (const auto to : {S::kVerified, S::kVoted, S::kExecutedOk}) REQUIRE(s.apply(test::to_state(done, to)));

  auto backlogs = s.lane_backlogs();
  REQUIRE(backlogs);
  std::map<core::Hash32, store::LaneBacklog> by_lane;
  for (const auto& b : *backlogs) by_lane[b.lane] = b;
  REQUIRE(by_lane.size() == 2);
  const auto& unordered = by_lane.at(store::lane_key(message_on(1, false)));
  CHECK(unordered.pending == 3);
  CHECK(unordered.oldest_created_at == 1000);
  const auto& ordered = by_lane.at(store::lane_key(message_on(1, true)));
  CHECK(ordered.pending == 1);
  CHECK(ordered.oldest_created_at == 1500);
}

TEST_CASE("executions: the first record stands and commits with its transition", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  const auto m = new_on(1, false);
  const auto id = core::message_id(m.message);
  REQUIRE(s.insert_observed(m));
  REQUIRE(s.apply(test::to_state(id, S::kVerified)));

  store::ExecutionRecord record{id, test::fixed_of<core::Claim>("exec", 1), core::ExecStatus::kReceiverFailed,
                                test::fixed_of("tx", 1), 42};
  store::WriteBatch batch;
  batch.bundles.push_back({record.claim, id, "{\"kind\":\"execution\"}", true});
  batch.executions.push_back(record);
  batch.transitions.push_back(test::to_state(id, S::kExecutedFailed));
  const auto leaves_before = s.audit_size();
  REQUIRE(s.batch(batch));
  CHECK(s.audit_size() == leaves_before + 1);

  auto stored = s.execution(id);
  REQUIRE(stored);
  REQUIRE(stored->has_value());
  CHECK(**stored == record);
  auto bundle = s.bundle(record.claim);
  REQUIRE(bundle);
  REQUIRE(bundle->has_value());
  CHECK((*bundle)->verified);

  store::ExecutionRecord second = record;
  second.claim = test::fixed_of<core::Claim>("exec", 2);
  auto again = s.put_execution(second);
  REQUIRE(again);
  CHECK_FALSE(*again);
  CHECK((*s.execution(id))->claim == record.claim);

  auto unknown = s.execution(test::fixed_of<core::MessageId>("nobody", 1));
  REQUIRE(unknown);
  CHECK_FALSE(unknown->has_value());
}

TEST_CASE("a group commit with an illegal transition writes none of its bundles or executions", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  const auto m = new_on(1, false);
  const auto id = core::message_id(m.message);
  REQUIRE(s.insert_observed(m));
  store::ExecutionRecord record{id, test::fixed_of<core::Claim>("exec", 1), core::ExecStatus::kOk,
                                test::fixed_of("tx", 1), 7};
  store::WriteBatch batch;
  batch.bundles.push_back({record.claim, id, "{}", true});
  batch.executions.push_back(record);
  batch.transitions.push_back(test::to_state(id, S::kExecutedOk));  // observed -> executed_ok is illegal
  auto result = s.batch(batch);
  REQUIRE_FALSE(result);
  CHECK(result.error().reason() == store::reason::kIllegalTransition);
  CHECK_FALSE(s.execution(id)->has_value());
  CHECK_FALSE(s.bundle(record.claim)->has_value());

  store::ExecutionRecord bad = record;
  bad.status = static_cast<core::ExecStatus>(9);
  CHECK_FALSE(s.put_execution(bad));
}

TEST_CASE("resuming a parked message at its stage needs no evidence and writes no leaf", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  const auto m = new_on(1, false);
  const auto id = core::message_id(m.message);
  REQUIRE(s.insert_observed(m));
  REQUIRE(s.apply(test::to_state(id, S::kVerified)));
  REQUIRE(s.apply(test::to_state(id, S::kVoted)));
  REQUIRE(s.apply(test::to_state(id, S::kParked)));
  const auto leaves = s.audit_size();
  store::Transition resume;
  resume.id = id;
  resume.to = S::kVoted;  // no evidence
  REQUIRE(s.apply(resume));
  CHECK(s.audit_size() == leaves);
  auto stored = s.message(id);
  REQUIRE(stored);
  CHECK((*stored)->state == S::kVoted);
  CHECK_FALSE((*stored)->parked_from.has_value());
  // Moving on from the resumed stage is a decision again: evidence required, leaf written.
  store::Transition executed;
  executed.id = id;
  executed.to = S::kExecutedOk;
  auto refused = s.apply(executed);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().reason() == store::reason::kMissingEvidence);
  REQUIRE(s.apply(test::to_state(id, S::kExecutedOk)));
  CHECK(s.audit_size() == leaves + 1);
}

namespace {

// A bundle-like text whose "proof" array holds `proof`, with `tag` around it.
std::string text_with_proof(std::string_view tag, std::string_view proof) {
  return std::string("{\"claim\":\"") + std::string(tag) + "\",\"inclusion\":{\"kind\":\"evm_receipt\",\"proof\":[" +
         std::string(proof) + "],\"tx_index\":3},\"tail\":\"" + std::string(tag) + "\"}";
}

std::int64_t proof_rows(store::Store& s) { return *s.connection().query_int("SELECT count(*) FROM bundle_proofs"); }

}  // namespace

TEST_CASE("shared_proof_span finds the proof array's content, and only when it is long enough", "[unit]") {
  const std::string proof = "\"0x" + std::string(store::kMinSharedProof, 'a') + "\"";
  const std::string text = text_with_proof("x", proof);
  const auto span = store::shared_proof_span(text);
  REQUIRE(span.has_value());
  CHECK(text.substr(span->at, span->size) == proof);
  CHECK_FALSE(store::shared_proof_span(text_with_proof("x", "\"0x12\"")).has_value());  // too short
  CHECK_FALSE(store::shared_proof_span("{\"claim\":\"x\"}").has_value());                 // none
  // An unclosed array is not cut.
  CHECK_FALSE(store::shared_proof_span("{\"proof\":[" + proof).has_value());
}

TEST_CASE("bundles sharing an inclusion proof store it once and read back byte for byte", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  const std::string receipt = "\"0x" + std::string(4000, 'b') + "\",\"0x" + std::string(3000, 'c') + "\"";
  const std::string other = "\"0x" + std::string(2000, 'd') + "\"";
  std::vector<store::BundleRecord> records;
  store::WriteBatch batch;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    records.push_back({test::fixed_of<core::Claim>("shared", i), test::fixed_of<core::MessageId>("m", i),
                       text_with_proof("message " + std::to_string(i), receipt), true});
  }
  records.push_back({test::fixed_of<core::Claim>("shared", 4), test::fixed_of<core::MessageId>("m", 4),
                     text_with_proof("another transaction", other), true});
  records.push_back({test::fixed_of<core::Claim>("shared", 5), test::fixed_of<core::MessageId>("m", 5),
                     text_with_proof("short", "\"0x1234\""), true});
  records.push_back({test::fixed_of<core::Claim>("shared", 6), test::fixed_of<core::MessageId>("m", 6),
                     "{\"bundle\":\"without a proof\"}", false});
  batch.bundles = records;
  REQUIRE(s.batch(batch));
  CHECK(proof_rows(s) == 2);  // the three messages' receipt once, the other transaction's once
  // Each row keeps its own text without the proof: far less than three receipts.
  CHECK(*s.connection().query_int("SELECT sum(length(body)) FROM bundles") < 1000);
  CHECK(*s.connection().query_int("SELECT count(*) FROM bundles WHERE proof IS NULL") == 2);
  for (const auto& r : records) {
    auto stored = s.bundle(r.claim);
    REQUIRE(stored);
    REQUIRE(stored->has_value());
    CHECK((*stored)->json == r.json);
    CHECK((*stored)->id == r.id);
    CHECK((*stored)->verified == r.verified);
  }
  // Put again (a rescan), and an unverified bundle replaced: still one row per proof, texts intact.
  REQUIRE(s.put_bundle(records[0]));
  store::BundleRecord replaced = records[5];
  replaced.json = text_with_proof("now with the receipt", receipt);
  replaced.verified = true;
  REQUIRE(s.put_bundle(replaced));
  CHECK(proof_rows(s) == 2);
  CHECK((*s.bundle(replaced.claim))->json == replaced.json);
  CHECK((*s.bundle(records[0].claim))->json == records[0].json);
  // An unverified bundle replaced by a text with another proof: the proof only it carried goes.
  const std::string lone = "\"0x" + std::string(2500, 'e') + "\"";
  store::BundleRecord pending{test::fixed_of<core::Claim>("shared", 7), test::fixed_of<core::MessageId>("m", 7),
                              text_with_proof("pending", lone), false};
  REQUIRE(s.put_bundle(pending));
  CHECK(proof_rows(s) == 3);
  pending.json = text_with_proof("pending, now verified", other);
  pending.verified = true;
  REQUIRE(s.put_bundle(pending));
  CHECK(proof_rows(s) == 2);
  CHECK((*s.bundle(pending.claim))->json == pending.json);
  // A verified bundle stays as it is, and another proof brought for its claim is not left behind.
  store::BundleRecord again = pending;
  again.json = text_with_proof("another text", lone);
  REQUIRE(s.put_bundle(again));
  CHECK(proof_rows(s) == 2);
  CHECK((*s.bundle(pending.claim))->json == pending.json);
}

TEST_CASE("bundles given as a shared head and their own tails are stored as their whole texts", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  // BundleTextWriter's form: the head runs to the end of the proof, the tail is the rest.
  const std::string proof = "\"0x" + std::string(3000, 'f') + "\"";
  const auto head = std::make_shared<const std::string>("{\"inclusion\":{\"proof\":[" + proof + "],");
  const auto short_head = std::make_shared<const std::string>("{\"inclusion\":{\"proof\":[\"0x12\"],");
  store::WriteBatch batch;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    batch.bundles.push_back({test::fixed_of<core::Claim>("head", i), test::fixed_of<core::MessageId>("m", i),
                             "\"kind\":\"evm_receipt_mpt\"},\"claim\":\"" + std::to_string(i) + "\"}", true, head});
  }
  batch.bundles.push_back({test::fixed_of<core::Claim>("head", 4), test::fixed_of<core::MessageId>("m", 4),
                           "\"kind\":\"evm_receipt_mpt\"},\"claim\":\"4\"}", true, short_head});
  REQUIRE(s.batch(batch));
  CHECK(proof_rows(s) == 1);  // the long proof once; the short one stays in its row
  CHECK(*s.connection().query_int("SELECT sum(length(body)) FROM bundles") < 400);
  for (const auto& r : batch.bundles) {
    auto stored = s.bundle(r.claim);
    REQUIRE(stored);
    REQUIRE(stored->has_value());
    CHECK((*stored)->json == *r.head + r.json);
    CHECK_FALSE((*stored)->head);
  }
  // The same proof under another head object (another chunk's writer): still one row.
  const auto copy = std::make_shared<const std::string>(*head);
  REQUIRE(s.put_bundle({test::fixed_of<core::Claim>("head", 5), test::fixed_of<core::MessageId>("m", 5), "\"x\":1}",
                        true, copy}));
  CHECK(proof_rows(s) == 1);
  CHECK((*s.bundle(test::fixed_of<core::Claim>("head", 5)))->json == *head + "\"x\":1}");
}

TEST_CASE("a bundle whose shared proof is missing or misplaced is reported, not served cut", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  const store::BundleRecord record{test::fixed_of<core::Claim>("cut", 1), test::fixed_of<core::MessageId>("m", 1),
                                   text_with_proof("x", "\"0x" + std::string(2000, 'e') + "\""), true};
  REQUIRE(s.put_bundle(record));
  REQUIRE(s.connection().exec("UPDATE bundles SET proof_at = 100000"));
  auto misplaced = s.bundle(record.claim);
  REQUIRE_FALSE(misplaced);
  CHECK(misplaced.error().reason() == store::reason::kCorrupt);
}
