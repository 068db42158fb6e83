// `causeway keys new|show` (relay/app/keys_command): a fresh keystore that ethers-compatible
// readers open, the address and nothing else on the terminal, and every refusal by its exit code.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "adapters/evm/keystore.hpp"
#include "relay/app/keys_command.hpp"
#include "relay/core/secp256k1.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::app::KeysAction;
using causeway::app::KeysOptions;

namespace {

struct Ran {
  int code = 0;
  std::string out;
  std::string err;
};

Ran run_keys(const KeysOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = app::run_keys_command(options, out, err);
  return {code, out.str(), err.str()};
}

void write(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Cheap scrypt so the test takes milliseconds; the command line always uses the strong default.
KeysOptions cheap(KeysAction action) {
  KeysOptions options;
  options.action = action;
  options.write.scrypt_n = 1u << 10;
  return options;
}

}  // namespace

TEST_CASE("keys new writes a 0600 keystore and prints only its address; show prints the same", "[unit]") {
  test::TempDir dir;
  write(dir.file("pass"), "correct horse\n");
  KeysOptions make = cheap(KeysAction::kNew);
  make.out = dir.file("vote.json");
  make.password_file = dir.file("pass");
  const Ran made = run_keys(make);
  REQUIRE(made.code == 0);
  CHECK(made.err.empty());
  REQUIRE(made.out.size() == 43);  // "0x" + 40 hex digits + newline: the address and nothing else
  const std::string address = made.out.substr(0, 42);
  struct stat info {};
  REQUIRE(::stat(make.out.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  auto password = evm::password_from_file(make.password_file);
  REQUIRE(password);
  auto unlocked = evm::unlock_keystore_file(make.out, *password);
  REQUIRE(unlocked);
  CHECK(core::to_checksum_hex(unlocked->address) == address);

  KeysOptions show = cheap(KeysAction::kShow);
  show.file = make.out;
  const Ran stated = run_keys(show);
  CHECK(stated.code == 0);
  CHECK(stated.out == address + "\n");
  show.password_file = make.password_file;
  const Ran derived = run_keys(show);
  CHECK(derived.code == 0);
  CHECK(derived.out == address + "\n");

  ::setenv("CAUSEWAY_TEST_KEYS_PASSWORD", "correct horse", 1);
  show.password_file.clear();
  show.password_env = "CAUSEWAY_TEST_KEYS_PASSWORD";
  CHECK(run_keys(show).out == address + "\n");
  ::unsetenv("CAUSEWAY_TEST_KEYS_PASSWORD");
}

TEST_CASE("keys refuse: no or two password sources, an existing file, a wrong password", "[unit]") {
  test::TempDir dir;
  write(dir.file("pass"), "pw\n");
  write(dir.file("wrong"), "not it\n");
  KeysOptions make = cheap(KeysAction::kNew);
  make.out = dir.file("k.json");
  const Ran no_password = run_keys(make);
  CHECK(no_password.code == 2);
  CHECK_FALSE(std::filesystem::exists(make.out));
  make.password_file = dir.file("pass");
  make.password_env = "HOME";
  CHECK(run_keys(make).code == 2);
  make.password_env.clear();
  REQUIRE(run_keys(make).code == 0);
  const std::string before = [&] {
    std::ifstream in(make.out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const Ran again = run_keys(make);
  CHECK(again.code == 1);  // never over an existing key
  std::ifstream in(make.out);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == before);

  KeysOptions show = cheap(KeysAction::kShow);
  show.file = make.out;
  show.password_file = dir.file("wrong");
  const Ran wrong = run_keys(show);
  CHECK(wrong.code == 1);
  CHECK(wrong.out.empty());
  CHECK(wrong.err.find("keystore.mac_mismatch") != std::string::npos);
  show.password_file = dir.file("missing");
  CHECK(run_keys(show).code == 2);
  show.password_file.clear();
  show.file = dir.file("missing.json");
  CHECK(run_keys(show).code == 1);

  // A keystore that states no address needs its password to show one.
  write(dir.file("anonymous.json"), R"({"version":3,"crypto":{}})");
  show.file = dir.file("anonymous.json");
  const Ran anonymous = run_keys(show);
  CHECK(anonymous.code == 1);
  CHECK(anonymous.err.find("states no address") != std::string::npos);
  CHECK(run_keys(KeysOptions{}).code == 2);
}

TEST_CASE("keys show reads a development raw key file, only when it is private", "[unit]") {
  test::TempDir dir;
  const std::string hex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
  write(dir.file("raw.key"), "0x" + hex + "\n");
  KeysOptions show = cheap(KeysAction::kShow);
  show.file = dir.file("raw.key");
  const Ran shown = run_keys(show);
  REQUIRE(shown.code == 0);
  const auto key = core::PrivateKey::from_hex(hex);
  REQUIRE(key);
  CHECK(shown.out == core::to_checksum_hex(core::address_of(*key)) + "\n");
  CHECK(shown.out.find(hex) == std::string::npos);
  write(dir.file("open.key"), hex, 0644);
  show.file = dir.file("open.key");
  const Ran open = run_keys(show);
  CHECK(open.code == 1);
  CHECK(open.err.find("keystore.insecure_permissions") != std::string::npos);
  CHECK(open.err.find(hex) == std::string::npos);
}
