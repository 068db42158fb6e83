// GET /v1/bundles/{claim}/verification, the proof the web console draws: a stored bundle run
// through the core verifier (verify_bundle, the same call the engine and `causeway verify` make)
// against the relay's own trust anchors, with the evidence laid out as a path from the event
// through the receipt trie up to the header and its seals.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/store/store.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/trust_anchors.hpp"

namespace causeway::api {

// The answer for one stored bundle (schemas/openapi.yaml, BundleVerification):
//   claim, message_id, verified, rejection   as GET /v1/bundles/{claim} has them;
//   canonical   where an unsigned chain's canonical hash came from: "relay", the hash the relay's
//               k-of-n endpoint reads confirmed when it accepted the bundle; "none", it never did
//               (finality stays unverifiable); "not_needed" for a chain whose seals are checked;
//   verification   verify::verdict_to_json, the verifier's check tree;
//   proof   the evidence decoded for drawing (event, receipt, trie nodes, header, seals), each
//           part null where the bundle's bytes do not decode; null when the bundle does not parse.
// Nothing in `proof` is a judgement: every pass or fail comes from `verification`.
// `lanes` names store lane keys (store::lane_key) by their config lane.
nlohmann::json bundle_verification_json(const store::BundleRecord& record, const std::optional<store::Rejection>& rejection,
                                        const verify::TrustAnchors& anchors,
                                        const std::map<core::Hash32, std::string>& lanes);

}  // namespace causeway::api
