// `causeway store backup|restore|check` (relay/app/store_command.cpp) on temp-dir stores: the
// summary line, exit codes, and the reason named on a refusal.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "relay/app/store_command.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using app::StoreAction;
using app::StoreCommandOptions;

namespace {

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

Outcome run(const StoreCommandOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  Outcome o;
  o.code = app::run_store_command(options, out, err);
  o.out = out.str();
  o.err = err.str();
  INFO(o.out << o.err);
  return o;
}

void make_store(const std::string& path) {
  auto opened = store::Store::open(path, test::test_options());
  REQUIRE(opened.ok());
  for (std::uint64_t i = 1; i <= 3; ++i) REQUIRE((*opened)->insert_observed(test::new_message(i)).ok());
  REQUIRE((*opened)->close().ok());
}

}  // namespace

TEST_CASE("store command: backup, check and restore report a summary and exit 0", "[unit]") {
  test::TempDir dir;
  const auto path = dir.file("relay.db");
  make_store(path);
  StoreCommandOptions backup{StoreAction::kBackup, "", path, dir.file("backup.db"), ""};
  const auto backed_up = run(backup);
  CHECK(backed_up.code == 0);
  CHECK(backed_up.out.find("integrity ok, 3 messages, 0 audit leaves, 0 bundles") != std::string::npos);

  StoreCommandOptions check{StoreAction::kCheck, "", dir.file("backup.db"), "", ""};
  const auto checked = run(check);
  CHECK(checked.code == 0);
  CHECK(checked.out.find("every audit leaf recomputed") != std::string::npos);

  StoreCommandOptions restore{StoreAction::kRestore, "", path, "", dir.file("backup.db")};
  const auto restored = run(restore);
  CHECK(restored.code == 0);
  CHECK(restored.out.find(".before-restore") != std::string::npos);
}

TEST_CASE("store command: refusals exit 1 with the reason, usage errors exit 2", "[unit]") {
  test::TempDir dir;
  const auto path = dir.file("relay.db");
  make_store(path);
  SECTION("a backup over an existing file") {
    const auto o = run({StoreAction::kBackup, "", path, path, ""});
    CHECK(o.code == 1);
    CHECK(o.err.find("store.target_exists") != std::string::npos);
  }
  SECTION("a restore while a relay holds the store") {
    REQUIRE(run({StoreAction::kBackup, "", path, dir.file("backup.db"), ""}).code == 0);
    auto opened = store::Store::open(path, test::test_options());
    REQUIRE(opened.ok());
    const auto o = run({StoreAction::kRestore, "", path, "", dir.file("backup.db")});
    CHECK(o.code == 1);
    CHECK(o.err.find("store.locked") != std::string::npos);
    REQUIRE((*opened)->close().ok());
  }
  SECTION("neither --config nor --store") {
    const auto o = run({StoreAction::kCheck, "", "", "", ""});
    CHECK(o.code == 2);
    CHECK(o.err.find("store.usage") != std::string::npos);
  }
  SECTION("both --config and --store") {
    const auto o = run({StoreAction::kCheck, dir.file("relay.yaml"), path, "", ""});
    CHECK(o.code == 2);
  }
  SECTION("a config that does not load") {
    const auto o = run({StoreAction::kCheck, dir.file("missing.yaml"), "", "", ""});
    CHECK(o.code == 2);
  }
  SECTION("a config whose store is on PostgreSQL: pg_dump's job") {
    const char* source = std::getenv("CAUSEWAY_SOURCE_DIR");
    REQUIRE(source != nullptr);
    std::ifstream example(std::string(source) + "/schemas/examples/config.valid.json");
    REQUIRE(example.good());
    auto config = nlohmann::json::parse(example);
    config["relay"]["store"] = {{"postgres", {{"conninfo", "host=db dbname=causeway"}}}};
    std::ofstream(dir.file("relay.json")) << config.dump();
    for (const auto action : {StoreAction::kBackup, StoreAction::kRestore, StoreAction::kCheck}) {
      const auto o = run({action, dir.file("relay.json"), "", dir.file("out.db"), path});
      CHECK(o.code == 1);
      CHECK(o.err.find("store.backup_unsupported") != std::string::npos);
    }
  }
}
