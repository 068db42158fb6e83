// k-of-n agreement over answers from independent endpoints (THREATS 1: conflicting headers at
// one height must surface as a named disagreement, never be averaged away).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "relay/net/error.hpp"
#include "relay/net/jsonrpc.hpp"

namespace causeway::net {

// The part of a result that must agree, as a comparable string (e.g. a block's hash). An error
// means "this endpoint gave no usable answer" (e.g. null for a block it does not have yet).
using Projection = std::function<Result<std::string>(const Json& result)>;

// The whole result, canonically serialized (object keys sorted).
Projection project_whole();
// result[member], which must be a string (e.g. "hash" of eth_getBlockByNumber).
Projection project_member(std::string member);

struct QuorumVote {
  std::string endpoint;        // label (no credentials)
  Result<std::string> answer;  // projected answer, or why there is none
};

struct QuorumDecision {
  std::size_t winner = 0;                // index of one vote in the agreeing group
  std::vector<std::size_t> agreeing;     // indices of votes with the winning answer
  std::vector<std::size_t> dissenting;   // indices of votes with a different answer
};

// Succeeds when exactly one answer has at least k votes. Two different answers with votes at
// all, and none reaching k (or two reaching k), is kQuorumDisagreement, whose detail lists every
// endpoint and what it said; too few answers without conflict is kQuorumUnavailable.
Result<QuorumDecision> decide_quorum(const std::vector<QuorumVote>& votes, std::size_t k);

}  // namespace causeway::net
