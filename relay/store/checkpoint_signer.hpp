// Signing the audit log's checkpoints (PROTOCOL.md section 7): the store's current size and root
// as a C2SP signed note, stored with the log it commits to.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "relay/core/result.hpp"
#include "relay/core/signature.hpp"
#include "relay/store/store.hpp"

namespace causeway::store {

namespace reason {
// A checkpoint of the empty log proves nothing (and add_checkpoint refuses it).
inline constexpr core::Reason kAuditLogEmpty{"store.audit_log_empty"};
// CheckpointSigner without a key: a wiring bug in the caller.
inline constexpr core::Reason kNoLogKey{"store.no_log_key"};
}  // namespace reason

// Who signs and when. The key is the dedicated Ed25519 log key, never an attester or gas key.
struct CheckpointSigner {
  std::string origin;    // the checkpoint's first line; C2SP recommends the key name
  std::string key_name;  // the signature line's name
  const core::Ed25519PrivateKey* key = nullptr;
  std::function<std::uint64_t()> clock;  // unix seconds for the `time` line; the system clock when empty
};

// Signs the log's current size and root and stores the checkpoint. If the log has not grown
// since the latest stored checkpoint it signs nothing and returns that checkpoint, so calling
// this on a timer never piles up checkpoints of one size. Also records the log key's vkey.
core::Result<Checkpoint> sign_and_store_checkpoint(Store& store, const CheckpointSigner& signer);

}  // namespace causeway::store
