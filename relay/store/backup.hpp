// Lifecycle operations on a store file, beside or instead of a running relay: an online,
// consistent backup through SQLite's backup API, a full check on demand, and a restore that
// refuses anything but a sound Causeway store of a schema this build can open.
#pragma once

#include <cstdint>
#include <string>

#include "relay/core/result.hpp"

namespace causeway::store {

namespace reason {
// The backup or restore target (or the file the old store would be kept as) already exists.
inline constexpr core::Reason kTargetExists{"store.target_exists"};
// Copying, renaming or setting the mode of a file failed; the detail names the file.
inline constexpr core::Reason kFileFailed{"store.file_failed"};
}  // namespace reason

// What a checked store file holds.
struct StoreSummary {
  std::uint32_t schema_version = 0;
  std::uint64_t messages = 0;
  std::uint64_t audit_leaves = 0;
  std::uint64_t bundles = 0;
  std::uint64_t bytes = 0;  // the file's size
  bool audit_rechecked = false;  // every audit leaf was recomputed (the file was not in use)
};

// "N messages, M audit leaves, B bundles, S bytes, schema vV" for command output.
std::string describe(const StoreSummary& summary);

// Copies the store at `store_path` to `out_path` (a new file, mode 0600, one self-contained file
// without a WAL) while a relay may keep writing: the copy is the store as of one committed
// transaction. It needs no lock, so the relay's lock stays where it is. The copy is then checked
// as check_store_file does; on any failure no file is left at `out_path`.
core::Result<StoreSummary> backup_store(const std::string& store_path, const std::string& out_path);

// A full check of a store file: a Causeway application_id, a schema no newer than this build's,
// PRAGMA integrity_check and foreign_key_check, all in one read snapshot so a running relay's
// writes cannot make it fail. When no relay holds the store's lock, every audit leaf is also
// recomputed from its fields (Store::check_integrity).
core::Result<StoreSummary> check_store_file(const std::string& path);

// Replaces the store at `store_path` with the backup at `from_path`. Refuses while a relay holds
// the store's lock (kLocked; the lock is held throughout, so no relay starts half-way), and refuses
// a backup that is not a sound Causeway store (kForeign, kTooNew, kCorrupt, kAuditMismatch). The
// old store, with any WAL of it, is kept as `<store_path>.before-restore` (kTargetExists if that
// is taken: an earlier restore's safety copy is never overwritten).
core::Result<StoreSummary> restore_store(const std::string& from_path, const std::string& store_path);

}  // namespace causeway::store
