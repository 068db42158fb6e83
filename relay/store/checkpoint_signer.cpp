// See checkpoint_signer.hpp.
#include "relay/store/checkpoint_signer.hpp"

#include <chrono>
#include <utility>

#include "relay/core/checkpoint.hpp"

namespace causeway::store {

core::Result<Checkpoint> sign_and_store_checkpoint(Store& store, const CheckpointSigner& signer) {
  if (signer.key == nullptr) return core::Error(reason::kNoLogKey, "CheckpointSigner.key is null");
  CW_TRY(auto latest, store.latest_checkpoint());
  const std::uint64_t size = store.audit_size();
  if (latest && latest->tree_size >= size) return std::move(*latest);
  if (size == 0) return core::Error(reason::kAuditLogEmpty, "nothing to sign yet");

  core::CheckpointBody body;
  body.origin = signer.origin;
  body.size = size;
  CW_TRY(body.root, store.audit_root(size));
  if (signer.clock) {
    body.time = signer.clock();
  } else {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    body.time = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
  }
  CW_TRY(auto note, core::sign_checkpoint(body, signer.key_name, *signer.key));
  Checkpoint checkpoint{size, body.root, std::move(note)};
  CW_CHECK(store.add_checkpoint(checkpoint));
  CW_CHECK(store.set_log_vkey(core::vkey_for(signer.key_name, signer.key->public_key())));
  return checkpoint;
}

}  // namespace causeway::store
