// See store_command.hpp.
#include "relay/app/store_command.hpp"

#include <CLI/CLI.hpp>

#include "relay/app/config_loader.hpp"
#include "relay/store/backup.hpp"

namespace causeway::app {
namespace {

constexpr int kExitDone = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUnusable = 2;

// --store as given, else relay.store of --config; exactly one of them.
core::Result<std::string> store_path(const StoreCommandOptions& options) {
  if (options.store.empty() == options.config.empty()) {
    return core::Error(reason::kStoreUsage, "give exactly one of --config FILE and --store PATH");
  }
  if (!options.store.empty()) return options.store;
  CW_TRY(const auto config, load_config_file(options.config));
  if (config.relay.postgres) {
    return core::Error(reason::kBackupUnsupported,
                       "relay.store is PostgreSQL (schema " + config.relay.postgres->schema +
                           "): use pg_dump/pg_restore and amcheck; see deploy/runbooks/backup-restore.md");
  }
  return config.relay.store;
}

void add_store_source(CLI::App& command, StoreCommandOptions& options) {
  auto* config = command.add_option("--config", options.config, "The relay's config; its relay.store is the store")
                     ->type_name("FILE");
  auto* store = command.add_option("--store", options.store, "The store file itself")->type_name("PATH");
  config->excludes(store);
  store->excludes(config);
}

}  // namespace

void add_store_commands(CLI::App& app, StoreCommandOptions& options) {
  auto* store = app.add_subcommand("store", "Back up, restore and check the relay's store");
  store->require_subcommand(1, 1);
  store->footer("Exit codes: 0 done, 1 refused or failed (the reason is named), 2 unusable input.");

  auto* backup = store->add_subcommand(
      "backup", "Copy the store while the relay runs (SQLite online backup); the copy is 0600 and checked");
  add_store_source(*backup, options);
  backup->add_option("--out", options.out, "The backup file to write; an existing file is never replaced")
      ->required()
      ->type_name("PATH");
  backup->callback([&options] { options.action = StoreAction::kBackup; });

  auto* restore = store->add_subcommand(
      "restore", "Put a backup in place of a stopped relay's store; the old store is kept as STORE.before-restore");
  restore->add_option("--from", options.from, "The backup file")->required()->type_name("PATH");
  add_store_source(*restore, options);
  restore->footer(
      "Refuses while a relay holds the store's lock, and refuses a backup that is not a sound Causeway store of a "
      "schema this build knows. The restored store passes a full integrity check when the relay next opens it.");
  restore->callback([&options] { options.action = StoreAction::kRestore; });

  auto* check = store->add_subcommand(
      "check", "Full integrity check of a store (running relay or not); every audit leaf when it is stopped");
  add_store_source(*check, options);
  check->callback([&options] { options.action = StoreAction::kCheck; });
}

int run_store_command(const StoreCommandOptions& options, std::ostream& out, std::ostream& err) {
  const char* name = options.action == StoreAction::kBackup    ? "backup"
                     : options.action == StoreAction::kRestore ? "restore"
                                                               : "check";
  if (options.action == StoreAction::kNone) {
    err << "causeway store: choose backup, restore or check\n";
    return kExitUnusable;
  }
  auto path = store_path(options);
  if (!path) {
    err << "causeway store " << name << ": " << path.error().message() << '\n';
    return path.error().reason() == reason::kBackupUnsupported ? kExitFailed : kExitUnusable;
  }
  const auto done = options.action == StoreAction::kBackup    ? store::backup_store(*path, options.out)
                    : options.action == StoreAction::kRestore ? store::restore_store(options.from, *path)
                                                              : store::check_store_file(*path);
  if (!done) {
    err << "causeway store " << name << ": " << done.error().message() << '\n';
    return kExitFailed;
  }
  if (options.action == StoreAction::kBackup) {
    out << "backup " << options.out << ": ";
  } else if (options.action == StoreAction::kRestore) {
    out << "restored " << *path << " from " << options.from << " (the old store is kept as " << *path
        << ".before-restore): ";
  } else {
    out << "check " << *path << ": ";
  }
  out << "integrity ok, " << store::describe(*done)
      << (done->audit_rechecked ? ", every audit leaf recomputed" : ", audit leaves not recomputed (a relay is running)")
      << '\n';
  return kExitDone;
}

}  // namespace causeway::app
