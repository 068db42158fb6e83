// `causeway store backup|restore|check`: the store's lifecycle for operators (runbook
// deploy/runbooks/backup-restore.md). backup copies a store while its relay keeps running; restore
// puts a backup in place of a stopped relay's store and keeps the old one; check runs the full
// integrity check on demand. The work is relay/store/backup.hpp's; this is the command line.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "relay/core/result.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

namespace reason {
// Neither or both of --config and --store.
inline constexpr core::Reason kStoreUsage{"store.usage"};
// The config's store is on PostgreSQL: these commands work on SQLite files; PostgreSQL has
// pg_dump/pg_restore (deploy/runbooks/backup-restore.md).
inline constexpr core::Reason kBackupUnsupported{"store.backup_unsupported"};
}  // namespace reason

enum class StoreAction : std::uint8_t { kNone, kBackup, kRestore, kCheck };

// What the command line asked for; add_store_commands fills it, tests may build it directly.
struct StoreCommandOptions {
  StoreAction action = StoreAction::kNone;
  std::string config{};  // the relay's config, whose relay.store names the store
  std::string store{};   // or the store file itself
  std::string out{};     // backup: the new backup file
  std::string from{};    // restore: the backup file
};

// Adds `store` with `backup`, `restore` and `check` to `app`; each sets options.action.
void add_store_commands(CLI::App& app, StoreCommandOptions& options);

// The summary on `out`, failures (with their reason names) on `err`. Exit 0 done; 1 refused or
// failed (a held lock, a foreign, too new or damaged file, an existing target); 2 unusable input.
int run_store_command(const StoreCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace causeway::app
