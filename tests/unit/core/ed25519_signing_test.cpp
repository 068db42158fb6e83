// Ed25519 signing and key files in relay/core/signature.cpp: RFC 8032 section 7.1 test vectors,
// PKCS#8 PEM interoperability with OpenSSL, and the key file's permission and format checks.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "relay/core/signature.hpp"
#include "tests/support/vectors.hpp"
#include "tests/support/temp_dir.hpp"

using namespace causeway::core;
using causeway::test::hex;

namespace {

namespace fs = std::filesystem;
using causeway::test::TempDir;

constexpr fs::perms kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

struct Rfc8032Case {
  std::string_view secret, public_key, message, signature;
};
// RFC 8032 section 7.1, TEST 1 to 3.
constexpr Rfc8032Case kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

// RFC 8032 TEST 1's key as `openssl pkey` writes it (PKCS#8, unencrypted).
constexpr std::string_view kTest1Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

Bytes bytes_of(const auto& array) { return Bytes(array.begin(), array.end()); }

Ed25519PrivateKey test1_key() { return Ed25519PrivateKey::from_seed(hex(kRfc8032[0].secret)).value(); }

// A P-256 key in PKCS#8 PEM, made on the spot: a valid PEM private key of the wrong type.
std::string p256_pem() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                           EVP_PKEY_free);
  REQUIRE(key != nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

TEST_CASE("ed25519 signing reproduces the RFC 8032 test vectors", "[audit]") {
  for (const auto& c : kRfc8032) {
    auto key = Ed25519PrivateKey::from_seed(hex(c.secret));
    REQUIRE(key.ok());
    CHECK(bytes_of(key->public_key()) == hex(c.public_key));
    const auto signature = key->sign(hex(c.message));
    CHECK(bytes_of(signature) == hex(c.signature));
    CHECK(verify_ed25519(hex(c.message), signature, key->public_key()).ok());
  }
}

TEST_CASE("ed25519 generated keys are distinct and their signatures verify only for their message", "[audit]") {
  const auto a = Ed25519PrivateKey::generate();
  const auto b = Ed25519PrivateKey::generate();
  CHECK(a.public_key() != b.public_key());
  const Bytes message{1, 2, 3};
  const auto signature = a.sign(message);
  CHECK(verify_ed25519(message, signature, a.public_key()).ok());
  CHECK(verify_ed25519(message, signature, b.public_key()).error().reason() == reason::ed25519::kMismatch);
  CHECK(verify_ed25519(Bytes{1, 2, 4}, signature, a.public_key()).error().reason() == reason::ed25519::kMismatch);
}

TEST_CASE("ed25519 private keys are 32 bytes and move without losing the key", "[audit]") {
  CHECK(Ed25519PrivateKey::from_seed(Bytes(31)).error().reason() == reason::ed25519::kBadPrivateKey);
  CHECK(Ed25519PrivateKey::from_seed(Bytes(33)).error().reason() == reason::ed25519::kBadPrivateKey);
  auto key = test1_key();
  Ed25519PrivateKey moved(std::move(key));
  CHECK(bytes_of(moved.sign(Bytes{})) == hex(kRfc8032[0].signature));
}

TEST_CASE("ed25519 keys read OpenSSL's PKCS#8 PEM and refuse other key types", "[audit]") {
  auto key = Ed25519PrivateKey::from_pem(kTest1Pem);
  REQUIRE(key.ok());
  CHECK(bytes_of(key->public_key()) == hex(kRfc8032[0].public_key));
  CHECK(Ed25519PrivateKey::from_pem(p256_pem()).error().reason() == reason::ed25519::kBadPrivateKey);
  CHECK(Ed25519PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .error()
            .reason() == reason::ed25519::kBadPrivateKey);
}

TEST_CASE("ed25519 key files load from PEM or hex only when owner-only", "[audit]") {
  TempDir dir;
  const auto from_pem = load_ed25519_key_file(dir.write("pem.key", std::string(kTest1Pem), kOwnerOnly));
  REQUIRE(from_pem.ok());
  CHECK(bytes_of(from_pem->public_key()) == hex(kRfc8032[0].public_key));
  const auto from_hex = load_ed25519_key_file(
      dir.write("hex.key", "0x" + std::string(kRfc8032[1].secret) + "\n", fs::perms::owner_read));
  REQUIRE(from_hex.ok());
  CHECK(bytes_of(from_hex->public_key()) == hex(kRfc8032[1].public_key));

  const auto readable = dir.write("open.key", std::string(kTest1Pem), kOwnerOnly | fs::perms::group_read);
  CHECK(load_ed25519_key_file(readable).error().reason() == reason::key_file::kInsecurePermissions);
  const auto world = dir.write("world.key", std::string(kRfc8032[1].secret), kOwnerOnly | fs::perms::others_read);
  CHECK(load_ed25519_key_file(world).error().reason() == reason::key_file::kInsecurePermissions);
  CHECK(load_ed25519_key_file(dir.file("missing.key")).error().reason() == reason::key_file::kUnreadable);
  CHECK(load_ed25519_key_file(dir.write("short.key", std::string(kRfc8032[1].secret.substr(2)), kOwnerOnly))
            .error()
            .reason() == reason::key_file::kMalformed);
  CHECK(load_ed25519_key_file(dir.write("ec.key", p256_pem(), kOwnerOnly)).error().reason() ==
        reason::key_file::kMalformed);
  CHECK(load_ed25519_key_file(dir.write("big.key", std::string(5000, 'a'), kOwnerOnly)).error().reason() ==
        reason::key_file::kMalformed);
}

TEST_CASE("ed25519 key files are written 0600, never over an existing file, and load back", "[audit]") {
  TempDir dir;
  const auto key = Ed25519PrivateKey::generate();
  const auto path = dir.file("log.key");
  REQUIRE(write_ed25519_key_file(path, key).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto loaded = load_ed25519_key_file(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->public_key() == key.public_key());
  CHECK(write_ed25519_key_file(path, key).error().reason() == reason::key_file::kExists);
  CHECK(write_ed25519_key_file(dir.file("no/such/dir.key"), key).error().reason() == reason::key_file::kWriteFailed);
}
