// `causeway audit`: export a store's audit log and signed checkpoints, verify such an export
// offline, check one inclusion or consistency proof against a signed checkpoint (or every leaf of a
// claim against a live relay's checkpoint), generate a log
// or witness key, fetch and check a relay's checkpoint, witness (co-sign) it, and scan a target
// chain's deliveries against their bundles (DESIGN.md section 5, PROTOCOL.md section 7).
//
// The export directory holds:
//   leaves.jsonl            one JSON object per leaf, in index order:
//                           {"index":0,"kind":1,"kind_name":"verified","id":"0x..","claim":"0x..",
//                            "detail":"0x..","time":"1700000000","leaf":"0x.."}
//                           (kind, id, claim, detail and time as in schemas/audit-leaf.schema.json)
//   checkpoints/<size>.note the signed notes, verbatim
//   log-key.vkey            the log key's vkey as the store recorded it (a hint, not a trust anchor)
//   bundles/<claim>.json    every stored bundle a leaf names by claim, verbatim (`audit scan --bundles`)
// A witness's state directory holds checkpoint.note: the last checkpoint it cosigned, replaced
// atomically, so a crash never leaves it without one.
// Proof files: inclusion {"index":N,"size":M,"hashes":["0x..",...]}; consistency
// {"old_size":N,"size":M,"hashes":[...]}; hashes in the order RFC 9162 section 2.1 lists them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "relay/app/audit_scan.hpp"
#include "relay/core/result.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

namespace reason {
// A leaf whose bytes are not encode_audit_leaf of its own fields, or whose kind_name is not its kind's.
inline constexpr core::Reason kAuditLeafMismatch{"audit.leaf_mismatch"};
// leaves.jsonl indices that are not 0, 1, 2, ... in order.
inline constexpr core::Reason kAuditLeafIndex{"audit.leaf_index"};
// A log-signed checkpoint whose root is not the root of the exported leaves at its size.
inline constexpr core::Reason kAuditRootMismatch{"audit.root_mismatch"};
// A log-signed checkpoint of more leaves than the export holds.
inline constexpr core::Reason kAuditCheckpointBeyondLog{"audit.checkpoint_beyond_log"};
// Checkpoints of one log with different origin lines.
inline constexpr core::Reason kAuditOriginMismatch{"audit.origin_mismatch"};
// Fewer valid witness cosignatures than --min-witnesses.
inline constexpr core::Reason kAuditTooFewWitnesses{"audit.too_few_witnesses"};
// An export without a single checkpoint: nothing in it is signed, so nothing can be audited.
inline constexpr core::Reason kAuditNoCheckpoints{"audit.no_checkpoints"};
// A proof file for another index or tree size than the checkpoint and leaf it is checked against.
inline constexpr core::Reason kAuditProofMismatch{"audit.proof_mismatch"};
// The export directory exists and is not empty: mixing two exports would audit neither.
inline constexpr core::Reason kAuditOutputExists{"audit.output_exists"};
inline constexpr core::Reason kAuditWriteFailed{"audit.write_failed"};
// export: neither or both of --store and --config.
inline constexpr core::Reason kAuditUsage{"audit.usage"};
// A checkpoint of fewer leaves than one already seen from the same log: it rolled its history back.
inline constexpr core::Reason kAuditRollback{"audit.rollback"};
// The relay answered a request with an unexpected status or body.
inline constexpr core::Reason kAuditRelayAnswer{"audit.relay_answer"};
// `audit inclusion CLAIM`: the relay's log holds no leaf of the claim.
inline constexpr core::Reason kAuditClaimNotLogged{"audit.claim_not_logged"};
// `audit inclusion CLAIM`: a leaf logged after the relay's current checkpoint, which no signed
// root covers yet.
inline constexpr core::Reason kAuditLeafAfterCheckpoint{"audit.leaf_after_checkpoint"};
// A witness state directory whose checkpoint cannot be read or is not signed by the log key.
inline constexpr core::Reason kAuditWitnessState{"audit.witness_state"};
}  // namespace reason

enum class AuditAction : std::uint8_t {
  kNone,
  kExport,
  kVerify,
  kInclusion,
  kConsistency,
  kKeygen,
  kCheckpoint,
  kWitness,
  kScan,
};

// What the command line asked for; add_audit_options fills it, tests may build it directly.
struct AuditOptions {
  AuditAction action = AuditAction::kNone;
  std::string store{};                 // export: the store file
  std::string config{};                // export: the relay's config, whose relay.store is read instead
  std::string out{};                   // export: the directory; keygen: the key file; checkpoint: the note
  std::string dir{};                   // verify: an export directory
  std::string log_key{};               // a vkey, or a file holding one
  std::vector<std::string> witnesses{};  // verify, checkpoint, inclusion CLAIM: witness vkeys (cosignature/v1), or files
  std::size_t min_witnesses = 0;       // verify: valid cosignatures each checkpoint needs
  std::string leaf{};                  // inclusion: the leaf bytes in hex
  std::optional<std::uint64_t> index{};  // inclusion: the leaf's index (else the proof's)
  std::string checkpoint{};            // inclusion: the signed note file
  std::string old_checkpoint{};        // consistency
  std::string new_checkpoint{};        // consistency
  std::string proof{};                 // inclusion, consistency: the proof file
  std::string name{};                  // keygen, witness: the key name (and a log's checkpoint origin)
  bool witness_key = false;            // keygen: print a cosignature/v1 (0x04) vkey
  std::string relay{};                 // checkpoint, witness, inclusion CLAIM: the relay's API URL
  std::string claim{};                 // inclusion: the claim whose leaves the relay is asked for
  bool json = false;                   // inclusion CLAIM: one JSON report
  std::string previous{};              // checkpoint: an older signed checkpoint of the same log
  std::string key{};                   // witness: the witness's Ed25519 key file
  std::string state{};                 // witness: the state directory
  ScanOptions scan{};                  // scan
};

// Registers export, verify, inclusion, consistency and keygen under `audit`; each sets
// options.action when chosen.
void add_audit_options(CLI::App& audit, AuditOptions& options);

// Runs the chosen action, the report on `out` and failures of the command itself on `err`.
// verify, inclusion and consistency exit 0 valid, 1 invalid (a named reason says why), 2 unusable
// input; 1 wins over 2. export and keygen exit 0 or 2.
// inclusion CLAIM --relay exits 0 when every leaf of the claim is in the relay's signed tree, 1 when
// any is not (or the claim has no leaf, or a signature fails), 2 unusable input or answer.
// checkpoint and witness exit 0 valid (witness: cosigned and delivered), 1 invalid (a bad
// signature, an inconsistent, rolled-back or equivocating log: a witness then refuses), 2 unusable;
// scan as run_scan says.
int run_audit(const AuditOptions& options, std::ostream& out, std::ostream& err);
// The same with the relay's API and the witness's clock (unix seconds) given, for tests.
int run_audit(const AuditOptions& options, RelayApi& relay, const std::function<std::uint64_t()>& clock,
              std::ostream& out, std::ostream& err);

}  // namespace causeway::app
