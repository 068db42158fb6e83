// Tests for adapters/evm/keystore.cpp against ethers-written fixtures (tests/unit/evm/data, TEST-ONLY
// keys), one-field tampering, KDF ceilings, password sources and raw-key file permissions.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/evm/keystore.hpp"
#include "tests/support/vectors.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/source_path.hpp"

namespace causeway::test {
namespace {

namespace rk = evm::reason::keystore;
namespace fs = std::filesystem;
using causeway::test::TempDir;
using nlohmann::json;

fs::path data_dir() { return causeway::test::source_path("tests/unit/evm/data"); }

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Fixture {
  json meta = json::parse(read_text(data_dir() / "keystore_fixture.json"));
  std::string scrypt_json = read_text(data_dir() / "keystore_ethers_scrypt.json");
  std::string pbkdf2_json = read_text(data_dir() / "keystore_pbkdf2.json");
  evm::Password password() const { return evm::Password::copy_of(meta.at("password").get<std::string>()); }
  Address address() const { return fixed_from_hex<Address>(meta.at("address").get<std::string>()).value(); }
};

void write_file(const fs::path& path, const std::string& text, fs::perms perms) {
  {
    std::ofstream out(path);
    out << text;
  }
  fs::permissions(path, perms, fs::perm_options::replace);
}

core::Reason reason_of(const std::string& json_text, const evm::Password& password, const evm::KdfLimits& limits = {}) {
  auto unlocked = evm::decrypt_keystore(json_text, password, limits);
  REQUIRE_FALSE(unlocked.ok());
  return unlocked.error().reason();
}

TEST_CASE("an ethers scrypt keystore decrypts to its address", "[unit]") {
  const Fixture f;
  auto unlocked = evm::decrypt_keystore(f.scrypt_json, f.password());
  REQUIRE(unlocked.ok());
  CHECK(unlocked->address == f.address());
  CHECK(address_of(unlocked->key) == f.address());
  const auto expected_key = PrivateKey::from_hex(f.meta.at("private_key").get<std::string>()).value();
  CHECK(address_of(expected_key) == unlocked->address);
}

TEST_CASE("a pbkdf2 keystore decrypts to its address", "[unit]") {
  const Fixture f;
  auto unlocked = evm::decrypt_keystore(f.pbkdf2_json, f.password());
  REQUIRE(unlocked.ok());
  CHECK(unlocked->address == f.address());
}

TEST_CASE("a wrong password is a MAC mismatch that does not echo the password", "[unit]") {
  const Fixture f;
  auto unlocked = evm::decrypt_keystore(f.scrypt_json, evm::Password::copy_of("not-the-password"));
  REQUIRE_FALSE(unlocked.ok());
  CHECK(unlocked.error().reason() == rk::kMacMismatch);
  CHECK(unlocked.error().message().find("not-the-password") == std::string::npos);
  CHECK(reason_of(f.pbkdf2_json, evm::Password::copy_of("")) == rk::kMacMismatch);
}

TEST_CASE("tampering with one field of a keystore is refused by name", "[unit]") {
  const Fixture f;
  const json original = json::parse(f.scrypt_json);
  const auto tampered = [&](auto&& mutate) {
    json copy = original;
    mutate(copy.at("Crypto"));
    return copy.dump();
  };
  const auto flip_first = [](std::string hex_text) {
    hex_text[0] = hex_text[0] == '0' ? '1' : '0';
    return hex_text;
  };
  const auto pw = f.password();
  CHECK(reason_of(tampered([&](json& c) { c["ciphertext"] = flip_first(c["ciphertext"]); }), pw) == rk::kMacMismatch);
  CHECK(reason_of(tampered([&](json& c) { c["mac"] = flip_first(c["mac"]); }), pw) == rk::kMacMismatch);
  CHECK(reason_of(tampered([&](json& c) { c["kdfparams"]["salt"] = flip_first(c["kdfparams"]["salt"]); }), pw) ==
        rk::kMacMismatch);
  CHECK(reason_of(tampered([&](json& c) { c["kdfparams"]["n"] = 2048; }), pw) == rk::kMacMismatch);
  CHECK(reason_of(tampered([&](json& c) { c["kdfparams"]["n"] = 1000; }), pw) == rk::kBadKdfParams);
  CHECK(reason_of(tampered([&](json& c) { c["kdfparams"]["dklen"] = 64; }), pw) == rk::kBadKdfParams);
  CHECK(reason_of(tampered([&](json& c) { c["kdfparams"]["r"] = "8"; }), pw) == rk::kBadKdfParams);
  CHECK(reason_of(tampered([&](json& c) { c["kdfparams"].erase("salt"); }), pw) == rk::kBadKdfParams);
  CHECK(reason_of(tampered([&](json& c) { c["kdf"] = "argon2"; }), pw) == rk::kUnsupportedKdf);
  CHECK(reason_of(tampered([&](json& c) { c["cipher"] = "aes-128-cbc"; }), pw) == rk::kUnsupportedCipher);
  CHECK(reason_of(tampered([&](json& c) { c["cipherparams"]["iv"] = "00"; }), pw) == rk::kBadCipherParams);
  CHECK(reason_of(tampered([&](json& c) { c["ciphertext"] = "00"; }), pw) == rk::kBadCiphertext);
  CHECK(reason_of(tampered([&](json& c) { c["mac"] = "zz"; }), pw) == rk::kBadMac);

  json wrong_address = original;
  wrong_address["address"] = "1111111111111111111111111111111111111111";
  CHECK(reason_of(wrong_address.dump(), pw) == rk::kAddressMismatch);
  json wrong_version = original;
  wrong_version["version"] = 4;
  CHECK(reason_of(wrong_version.dump(), pw) == rk::kUnsupportedVersion);
  CHECK(reason_of("{not json", pw) == rk::kBadJson);
}

TEST_CASE("scrypt parameters beyond the ceiling are refused before any work", "[unit]") {
  const Fixture f;
  json heavy = json::parse(f.scrypt_json);
  heavy["Crypto"]["kdfparams"]["n"] = 1u << 20;  // 1 GiB with r = 8
  CHECK(reason_of(heavy.dump(), f.password()) == rk::kKdfTooCostly);
  heavy["Crypto"]["kdfparams"]["n"] = 1024;
  heavy["Crypto"]["kdfparams"]["p"] = 1u << 20;
  CHECK(reason_of(heavy.dump(), f.password()) == rk::kKdfTooCostly);
  // A lower configured ceiling refuses even the fixture's small N.
  evm::KdfLimits tight;
  tight.max_scrypt_memory = 512 * 1024;
  CHECK(reason_of(f.scrypt_json, f.password(), tight) == rk::kKdfTooCostly);
  // geth's standard parameters fit the default ceiling.
  evm::KdfLimits defaults;
  CHECK(128ull * 8 * ((1ull << 18) + 2) + 128ull * 8 <= defaults.max_scrypt_memory);
}

TEST_CASE("a keystore we write decrypts to the same key", "[unit]") {
  const auto secret = evm::SecretBytes::copy_of(hex("0x599886f7e2f031bd3df8a5c13c506fecc936c1de2adaefd5debc6b6f69049a0f"));
  const auto password = evm::Password::copy_of("another test-only password");
  evm::KeystoreWriteOptions options;
  options.scrypt_n = 1024;
  auto written = evm::encrypt_keystore(secret, password, options);
  REQUIRE(written.ok());
  const json doc = json::parse(*written);
  CHECK(doc.at("version") == 3);
  CHECK(doc.at("crypto").at("kdfparams").at("n") == 1024);
  CHECK(written->find("599886f7") == std::string::npos);  // no plaintext key in the file
  auto unlocked = evm::decrypt_keystore(*written, password);
  REQUIRE(unlocked.ok());
  CHECK(to_hex(unlocked->address) == "0x02724cbe4c57231a7f7da21ea92b00f71409abd6");

  auto fresh = evm::generate_keystore(password, options);
  REQUIRE(fresh.ok());
  auto fresh_unlocked = evm::decrypt_keystore(fresh->keystore_json, password);
  REQUIRE(fresh_unlocked.ok());
  CHECK(fresh_unlocked->address == fresh->address);
}

TEST_CASE("keystore files are written 0600 and never overwritten", "[unit]") {
  const TempDir dir;
  const auto password = evm::Password::copy_of("pw-test-only");
  evm::KeystoreWriteOptions options;
  options.scrypt_n = 16;
  auto fresh = evm::generate_keystore(password, options);
  REQUIRE(fresh.ok());
  const fs::path path = dir.path() / "key.json";
  REQUIRE(evm::save_keystore(path, fresh->keystore_json).ok());
  CHECK((fs::status(path).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  CHECK(evm::save_keystore(path, fresh->keystore_json).error().reason() == rk::kIo);
  auto unlocked = evm::unlock_keystore_file(path, password);
  REQUIRE(unlocked.ok());
  CHECK(unlocked->address == fresh->address);
}

TEST_CASE("passwords come from a file's first line or a named environment variable", "[unit]") {
  const TempDir dir;
  const Fixture f;
  write_file(dir.path() / "pw", f.meta.at("password").get<std::string>() + "\r\nsecond line\n", fs::perms::owner_read);
  auto from_file = evm::password_from_file(dir.path() / "pw");
  REQUIRE(from_file.ok());
  CHECK(evm::decrypt_keystore(f.scrypt_json, *from_file).ok());
  write_file(dir.path() / "empty", "\n", fs::perms::owner_read);
  CHECK(evm::password_from_file(dir.path() / "empty").error().reason() == rk::kNoPassword);
  CHECK(evm::password_from_file(dir.path() / "missing").error().reason() == rk::kIo);

  ::setenv("CAUSEWAY_TEST_KEYSTORE_PASSWORD", f.meta.at("password").get<std::string>().c_str(), 1);
  auto from_env = evm::password_from_env("CAUSEWAY_TEST_KEYSTORE_PASSWORD");
  ::unsetenv("CAUSEWAY_TEST_KEYSTORE_PASSWORD");
  REQUIRE(from_env.ok());
  CHECK(evm::decrypt_keystore(f.scrypt_json, *from_env).ok());
  auto unset = evm::password_from_env("CAUSEWAY_TEST_KEYSTORE_PASSWORD");
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().reason() == rk::kNoPassword);
}

TEST_CASE("a raw key file readable by group or others is refused by name", "[unit]") {
  const TempDir dir;
  const Fixture f;
  const std::string key_hex = f.meta.at("private_key").get<std::string>();
  const fs::path path = dir.path() / "dev.key";
  write_file(path, key_hex + "\n", fs::perms::owner_read | fs::perms::owner_write);
  auto loaded = evm::load_raw_key_file(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->address == f.address());

  for (const auto extra : {fs::perms::group_read, fs::perms::others_read, fs::perms::group_write}) {
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | extra, fs::perm_options::replace);
    auto refused = evm::load_raw_key_file(path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == rk::kInsecurePermissions);
    CHECK(refused.error().message().find(path.string()) != std::string::npos);
    CHECK(refused.error().message().find(key_hex.substr(2, 16)) == std::string::npos);
  }
  write_file(path, "0x1234\n", fs::perms::owner_read);
  CHECK(evm::load_raw_key_file(path).error().reason() == rk::kBadRawKey);
  write_file(path, std::string(64, '0'), fs::perms::owner_read);  // zero is not a valid key
  CHECK(evm::load_raw_key_file(path).error().reason() == rk::kBadRawKey);
}

// Writes keystores for keystore_check.mjs to decrypt with ethers (ctest fixture, differential).
TEST_CASE("export keystores for the ethers check", "[.][keystore-export]") {
  const char* out = std::getenv("CAUSEWAY_EVM_KEYSTORE_OUT");
  REQUIRE(out != nullptr);
  fs::create_directories(out);
  json manifest = json::array();
  for (int i = 0; i < 3; ++i) {
    const std::string password = "test-only-password-" + std::to_string(i);
    evm::KeystoreWriteOptions options;
    options.scrypt_n = 1u << (10 + i);
    auto fresh = evm::generate_keystore(evm::Password::copy_of(password), options);
    REQUIRE(fresh.ok());
    const std::string name = "keystore-" + std::to_string(i) + ".json";
    fs::remove(fs::path(out) / name);
    REQUIRE(evm::save_keystore(fs::path(out) / name, fresh->keystore_json).ok());
    manifest.push_back({{"file", name}, {"password", password}, {"address", to_checksum_hex(fresh->address)}});
  }
  std::ofstream(fs::path(out) / "manifest.json") << manifest.dump(1);
}

}  // namespace
}  // namespace causeway::test
