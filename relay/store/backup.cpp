// See backup.hpp. Every copy goes through sqlite3_backup_* from a read-only connection of its own:
// in WAL mode that reader sees one committed snapshot and never blocks the relay's writer, and it
// takes no lock a relay could be waiting for.
#include "relay/store/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "relay/store/lock_file.hpp"
#include "relay/store/sqlite.hpp"
#include "relay/store/store.hpp"

namespace causeway::store {

using core::Error;
using core::Result;

namespace {

namespace fs = std::filesystem;

// A backup step finds the source busy only while another connection recovers its WAL; a few
// seconds of retries outlast that without hanging an operator's shell.
constexpr int kBusyRetries = 50;
constexpr int kBusySleepMs = 100;

Error file_error(const std::string& what, const std::string& path, int err) {
  return Error(reason::kFileFailed, what + " " + path + ": " + std::strerror(err));
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

// Creates `path` empty with mode 0600 (never over an existing file) so the copy is private from
// its first byte: a store holds the submission journal and every bundle.
Result<void> create_private(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Error(reason::kTargetExists, path + " exists; refusing to overwrite it");
    return file_error("create", path, errno);
  }
  // umask may only have narrowed the mode; set it exactly anyway.
  const bool moded = ::fchmod(fd, 0600) == 0;
  const int err = errno;
  ::close(fd);
  if (!moded) return file_error("chmod", path, err);
  return core::ok();
}

// Makes renames in `dir` durable: a restore that returned ok must survive a power cut.
Result<void> sync_directory(const fs::path& dir) {
  const auto name = dir.empty() ? std::string(".") : dir.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return file_error("open directory", name, errno);
  const bool synced = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!synced) return file_error("fsync", name, err);
  return core::ok();
}

Result<void> rename_file(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return file_error("rename to " + to + ":", from, errno);
  return core::ok();
}

// Refuses what is not a Causeway store, or one of a schema this build cannot open.
Result<std::uint32_t> check_identity(sql::Database& db, const std::string& path) {
  CW_TRY(const auto application_id, db.query_int("PRAGMA application_id"));
  if (application_id != kApplicationId) return Error(reason::kForeign, path + " is not a Causeway store");
  CW_TRY(const auto user_version, db.query_int("PRAGMA user_version"));
  if (user_version > schema_version()) {
    return Error(reason::kTooNew, path + " has schema version " + std::to_string(user_version) +
                                      ", newer than this build's " + std::to_string(schema_version()));
  }
  if (user_version < 1) return Error(reason::kNotFound, path + " holds no Causeway schema yet");
  return static_cast<std::uint32_t>(user_version);
}

// A check pragma whose rows are all "ok" when healthy.
Result<void> expect_ok_rows(sql::Database& db, std::string_view pragma) {
  CW_TRY(auto q, db.prepare(pragma));
  CW_TRY(const bool row, q->step());
  if (row && q->column_text(0) != "ok") return Error(reason::kCorrupt, std::string(pragma) + ": " + q->column_text(0));
  return core::ok();
}

Result<std::uint64_t> count_rows(sql::Database& db, std::string_view table) {
  CW_TRY(const auto count, db.query_int("SELECT count(*) FROM " + std::string(table)));
  return static_cast<std::uint64_t>(count);
}

// The identity, optionally the integrity pragmas, and the counts, all in one read transaction:
// a relay committing meanwhile cannot make the counts or the checks see two different stores.
Result<StoreSummary> read_snapshot(const std::string& path, bool run_checks) {
  auto opened = sql::Database::open_read_only(path);
  if (!opened) return std::move(opened).error().with_context(path);
  auto db = std::move(opened).value();
  CW_CHECK(db.exec("PRAGMA busy_timeout = " + std::to_string(sql::kSideBusyTimeoutMs)));
  CW_CHECK(db.exec("BEGIN"));
  StoreSummary summary;
  CW_TRY(summary.schema_version, check_identity(db, path));
  if (run_checks) {
    CW_CHECK(expect_ok_rows(db, "PRAGMA integrity_check"));
    CW_TRY(auto violations, db.prepare("PRAGMA foreign_key_check"));
    CW_TRY(const bool violation, violations->step());
    if (violation) return Error(reason::kCorrupt, path + ": foreign_key_check: table " + violations->column_text(0));
  }
  CW_TRY(summary.messages, count_rows(db, "messages"));
  CW_TRY(summary.audit_leaves, count_rows(db, "audit_leaves"));
  CW_TRY(summary.bundles, count_rows(db, "bundles"));
  CW_CHECK(db.exec("COMMIT"));
  std::error_code ec;
  summary.bytes = fs::file_size(path, ec);
  if (ec) return file_error("stat", path, ec.value());
  return summary;
}

// The full check of a file nobody writes: Store::check_integrity recomputes every audit leaf on
// top of the integrity pragmas.
Result<StoreSummary> check_quiet_file(const std::string& path) {
  CW_TRY(auto store, Store::open_read_only(path));
  CW_CHECK(store->check_integrity());
  CW_CHECK(store->close());
  CW_TRY(auto summary, read_snapshot(path, false));
  summary.audit_rechecked = true;
  return summary;
}

// sqlite3_backup_* from `from` (read-only) into the new private file `to`, then the copy's
// journal mode set to DELETE so it is one self-contained file; the relay turns WAL back on when
// it opens a restored store.
Result<void> copy_database(const std::string& from, const std::string& to) {
  auto opened = sql::Database::open_read_only(from);
  if (!opened) return std::move(opened).error().with_context(from);
  auto source = std::move(opened).value();
  CW_CHECK(source.exec("PRAGMA busy_timeout = " + std::to_string(sql::kSideBusyTimeoutMs)));
  CW_CHECK(check_identity(source, from));
  CW_CHECK(create_private(to));
  auto target_opened = sql::Database::open(to);
  if (!target_opened) return std::move(target_opened).error().with_context(to);
  auto target = std::move(target_opened).value();
  sqlite3_backup* backup = sqlite3_backup_init(target.handle(), "main", source.handle(), "main");
  if (backup == nullptr) return target.last_error(sqlite3_errcode(target.handle()), "backup " + from);
  // -1: every page in one step, under one read transaction on the source, so the copy is one
  // snapshot; stepping in chunks would restart whenever the relay commits.
  int rc = sqlite3_backup_step(backup, -1);
  for (int retry = 0; (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && retry < kBusyRetries; ++retry) {
    sqlite3_sleep(kBusySleepMs);
    rc = sqlite3_backup_step(backup, -1);
  }
  const int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return sql::error_from_code(rc, "backup " + from + " to " + to);
  if (finished != SQLITE_OK) return target.last_error(finished, "backup " + from + " to " + to);
  CW_TRY(const auto mode, target.query_text("PRAGMA journal_mode = DELETE"));
  if (mode != "delete") return Error(reason::kSqlite, to + ": journal_mode stayed '" + mode + "'");
  target.close();
  return core::ok();
}

void remove_quietly(const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

std::string describe(const StoreSummary& summary) {
  return std::to_string(summary.messages) + " messages, " + std::to_string(summary.audit_leaves) + " audit leaves, " +
         std::to_string(summary.bundles) + " bundles, " + std::to_string(summary.bytes) + " bytes, schema v" +
         std::to_string(summary.schema_version);
}

Result<StoreSummary> backup_store(const std::string& store_path, const std::string& out_path) {
  if (exists(out_path)) return Error(reason::kTargetExists, out_path + " exists; refusing to overwrite it");
  // Written under another name and renamed when checked, so a failed backup never leaves a file
  // that looks like a good one.
  const auto partial = out_path + ".partial";
  remove_quietly(partial);
  auto copied = copy_database(store_path, partial);
  auto checked = copied ? check_quiet_file(partial) : Result<StoreSummary>(std::move(copied).error());
  if (checked) {
    if (auto renamed = rename_file(partial, out_path); !renamed) checked = std::move(renamed).error();
  }
  if (!checked) {
    remove_quietly(partial);
    return std::move(checked).error();
  }
  CW_CHECK(sync_directory(fs::path(out_path).parent_path()));
  return checked;
}

Result<StoreSummary> check_store_file(const std::string& path) {
  if (!exists(path)) return Error(reason::kCantOpen, path + " does not exist");
  // Holding the lock keeps a relay from starting mid-check; a relay that already holds it makes
  // the audit leaves a moving target, so then only the snapshot's pragmas run.
  auto lock = LockFile::acquire(path + ".lock");
  if (lock) return check_quiet_file(path);
  if (lock.error().reason() != reason::kLocked) return std::move(lock).error();
  return read_snapshot(path, true);
}

Result<StoreSummary> restore_store(const std::string& from_path, const std::string& store_path) {
  std::error_code ec;
  if (exists(store_path) && fs::equivalent(from_path, store_path, ec)) {
    return Error(reason::kTargetExists, from_path + " is the store itself");
  }
  CW_TRY(auto lock, LockFile::acquire(store_path + ".lock"));
  CW_TRY(auto summary, check_quiet_file(from_path));
  const auto kept = store_path + ".before-restore";
  for (const auto* suffix : {"", "-wal", "-shm"}) {
    if (exists(kept + suffix)) {
      return Error(reason::kTargetExists, kept + suffix + " exists (an earlier restore's safety copy); move it away first");
    }
  }
  const auto restoring = store_path + ".restoring";
  remove_quietly(restoring);
  if (auto copied = copy_database(from_path, restoring); !copied) {
    remove_quietly(restoring);
    return std::move(copied).error();
  }
  // The old WAL goes with the old file: left beside the restored one, SQLite would replay it
  // into a database it does not belong to.
  for (const auto* suffix : {"", "-wal", "-shm"}) {
    if (exists(store_path + suffix)) CW_CHECK(rename_file(store_path + suffix, kept + suffix));
  }
  CW_CHECK(rename_file(restoring, store_path));
  CW_CHECK(sync_directory(fs::path(store_path).parent_path()));
  summary.bytes = fs::file_size(store_path, ec);
  return summary;
}

}  // namespace causeway::store
