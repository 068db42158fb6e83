// k-of-n decision logic (see quorum.hpp).
#include "relay/net/quorum.hpp"

#include <map>

namespace causeway::net {

Projection project_whole() {
  return [](const Json& result) -> Result<std::string> { return result.dump(); };
}

Projection project_member(std::string member) {
  return [member = std::move(member)](const Json& result) -> Result<std::string> {
    if (!result.is_object()) return Error(reason::kBadReply, "result is not an object");
    const auto it = result.find(member);
    if (it == result.end() || !it->is_string()) {
      return Error(reason::kBadReply, "result has no string member '" + member + "'");
    }
    return it->get<std::string>();
  };
}

namespace {

std::string describe(const std::vector<QuorumVote>& votes) {
  std::string out;
  for (const auto& vote : votes) {
    if (!out.empty()) out += "; ";
    out += vote.endpoint;
    out += vote.answer ? " said " + sanitize_peer_text(*vote.answer, 80)
                       : " failed: " + vote.answer.error().message();
  }
  return out;
}

}  // namespace

Result<QuorumDecision> decide_quorum(const std::vector<QuorumVote>& votes, std::size_t k) {
  if (k == 0 || k > votes.size()) {
    return Error(reason::kBadConfig, "quorum needs 1 <= k <= n, got k=" + std::to_string(k) +
                                         " n=" + std::to_string(votes.size()));
  }
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < votes.size(); ++i) {
    if (votes[i].answer) groups[*votes[i].answer].push_back(i);
  }
  const std::vector<std::size_t>* winner = nullptr;
  std::size_t reaching_k = 0;
  for (const auto& [answer, members] : groups) {
    if (members.size() >= k) {
      ++reaching_k;
      winner = &members;
    }
  }
  const std::string what = std::to_string(k) + " of " + std::to_string(votes.size());
  if (reaching_k == 1) {
    QuorumDecision decision;
    decision.winner = winner->front();
    decision.agreeing = *winner;
    for (const auto& [answer, members] : groups) {
      if (&members != winner) {
        decision.dissenting.insert(decision.dissenting.end(), members.begin(), members.end());
      }
    }
    return decision;
  }
  if (groups.size() >= 2) {
    return Error(reason::kQuorumDisagreement, std::to_string(groups.size()) +
                                                  " different answers, needed " + what +
                                                  " to agree: " + describe(votes));
  }
  return Error(reason::kQuorumUnavailable, "needed " + what + " to answer: " + describe(votes));
}

}  // namespace causeway::net
