// adapters/evm/pkcs11_signer.cpp against a real PKCS#11 module: softhsm2 with a token in a
// temporary directory, keys generated on the token (never outside it).
#include "adapters/evm/pkcs11_signer.hpp"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "adapters/evm/vote_signer.hpp"
#include "relay/core/eip712.hpp"
#include "relay/core/hash.hpp"

namespace causeway::test {
namespace {

namespace fs = std::filesystem;
namespace rp = evm::reason::pkcs11;

constexpr const char* kPin = "1234";
constexpr const char* kToken = "hsm";

// secp256k1's n/2, big-endian: the largest low s.
constexpr std::array<std::uint8_t, 32> kHalfOrder{
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

// One softhsm2 token for the whole run: SOFTHSM2_CONF points at a config whose token directory is
// a fresh temporary directory, so nothing outside it is read or written.
struct Token {
  fs::path dir;
  fs::path pin_file;

  Token() {
    std::string pattern = (fs::temp_directory_path() / "causeway-hsm-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp failed");
    dir = pattern;
    fs::create_directories(dir / "tokens");
    std::ofstream(dir / "softhsm2.conf") << "directories.tokendir = " << (dir / "tokens").string()
                                         << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", (dir / "softhsm2.conf").c_str(), 1);
    pin_file = dir / "pin";
    std::ofstream(pin_file) << kPin << '\n';
    ::chmod(pin_file.c_str(), 0600);
    const std::string init = std::string("softhsm2-util --init-token --free --label ") + kToken +
                             " --so-pin 5678 --pin " + kPin + " >/dev/null";
    if (std::system(init.c_str()) != 0) {
      FAIL("softhsm2-util --init-token failed: is softhsm2 installed? (deploy/scripts/install-deps.sh)");
    }
  }
  ~Token() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  evm::Pkcs11KeySpec spec(const std::string& key) const {
    return evm::Pkcs11KeySpec{CAUSEWAY_SOFTHSM_MODULE, kToken, key, pin_file.string(), ""};
  }
};

const Token& token() {
  REQUIRE(fs::exists(CAUSEWAY_SOFTHSM_MODULE));  // softhsm2 missing: deploy/scripts/install-deps.sh
  static const Token instance;
  return instance;
}

// A fresh key pair on the token, under a label no other test case uses.
std::string new_key(const std::string& label) {
  auto address = evm::generate_pkcs11_key(token().spec(label));
  REQUIRE(address.ok());
  return label;
}

core::Hash32 random_digest(std::mt19937_64& rng) {
  core::Hash32 digest;
  for (auto& byte : digest.bytes) byte = static_cast<std::uint8_t>(rng());
  return digest;
}

TEST_CASE("an HSM key signs 100 digests that recover to its address, always low-s, v 27/28", "[hsm]") {
  const auto spec = token().spec(new_key("hundred"));
  auto signer = evm::Pkcs11Signer::open(spec);
  REQUIRE(signer.ok());
  CHECK_FALSE((*signer)->address().is_zero());
  CHECK((*signer)->address() == core::address_of((*signer)->public_key()));

  // The token's nonces are its own and about half of its raw s values are high: 100 low-s results
  // in a row would happen by chance with probability 2^-100 without the normalisation.
  std::mt19937_64 rng(20261129);
  for (int i = 0; i < 100; ++i) {
    const core::Hash32 digest = random_digest(rng);
    auto signature = (*signer)->sign(digest);
    REQUIRE(signature.ok());
    CHECK(signature->s <= kHalfOrder);
    const auto rsv = signature->to_rsv(core::VByte::k27or28);
    CHECK((rsv[64] == 27 || rsv[64] == 28));
    auto recovered = core::recover_address(digest, core::ByteView(rsv.data(), rsv.size()), core::VByte::k27or28);
    REQUIRE(recovered.ok());
    CHECK(*recovered == (*signer)->address());
  }
}

TEST_CASE("an HSM vote key signs EIP-712 votes that recover to it; it is refused as a gas key", "[hsm]") {
  auto signer = evm::Pkcs11Signer::open(token().spec(new_key("vote")));
  REQUIRE(signer.ok());
  const core::Address address = (*signer)->address();

  auto refused = evm::VoteSigner::create(*signer, address);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == evm::reason::vote::kVoteKeyIsGasKey);

  auto voter = evm::VoteSigner::create(*signer, core::Address{});
  REQUIRE(voter.ok());
  const auto domain = core::causeway_domain(1337, core::Address{}, core::ChainIdentity{});
  core::AckVote vote;
  vote.id = core::MessageId::from(core::keccak256(core::as_bytes("id")).view()).value();
  auto signature = voter->sign(domain, vote);
  REQUIRE(signature.ok());
  CHECK(signature->signer == address);
  auto recovered = core::recover_address(signature->digest, core::ByteView(signature->rsv.data(), 65));
  REQUIRE(recovered.ok());
  CHECK(*recovered == address);
}

TEST_CASE("pkcs11: a wrong PIN is pkcs11.login naming CKR_PIN_INCORRECT", "[hsm]") {
  const auto wrong = token().dir / "wrong-pin";
  std::ofstream(wrong) << "9999\n";
  auto spec = token().spec(new_key("pin"));
  spec.pin_file = wrong.string();
  auto signer = evm::Pkcs11Signer::open(spec);
  REQUIRE_FALSE(signer.ok());
  CHECK(signer.error().reason() == rp::kLogin);
  CHECK(signer.error().detail().find("CKR_PIN_INCORRECT") != std::string::npos);
  CHECK(signer.error().detail().find("9999") == std::string::npos);
}

TEST_CASE("pkcs11: a PIN environment variable that is not set is pkcs11.no_pin", "[hsm]") {
  auto spec = token().spec(new_key("env-pin"));
  spec.pin_file.clear();
  spec.pin_env = "CAUSEWAY_TEST_HSM_PIN_UNSET";
  ::unsetenv(spec.pin_env.c_str());
  auto signer = evm::Pkcs11Signer::open(spec);
  REQUIRE_FALSE(signer.ok());
  CHECK(signer.error().reason() == rp::kNoPin);

  ::setenv(spec.pin_env.c_str(), kPin, 1);
  CHECK(evm::Pkcs11Signer::open(spec).ok());
  ::unsetenv(spec.pin_env.c_str());
}

TEST_CASE("pkcs11: a key label not on the token is pkcs11.key_not_found", "[hsm]") {
  auto signer = evm::Pkcs11Signer::open(token().spec("no-such-key"));
  REQUIRE_FALSE(signer.ok());
  CHECK(signer.error().reason() == rp::kKeyNotFound);
}

TEST_CASE("pkcs11: two key pairs under one label are pkcs11.key_ambiguous", "[hsm]") {
  new_key("twice");
  new_key("twice");
  auto signer = evm::Pkcs11Signer::open(token().spec("twice"));
  REQUIRE_FALSE(signer.ok());
  CHECK(signer.error().reason() == rp::kKeyAmbiguous);
}

TEST_CASE("pkcs11: a token label no slot has is pkcs11.token_not_found", "[hsm]") {
  auto spec = token().spec(new_key("other-token"));
  spec.token = "elsewhere";
  auto signer = evm::Pkcs11Signer::open(spec);
  REQUIRE_FALSE(signer.ok());
  CHECK(signer.error().reason() == rp::kTokenNotFound);
}

TEST_CASE("pkcs11: a module path that does not exist is pkcs11.module_load", "[hsm]") {
  auto spec = token().spec(new_key("other-module"));
  spec.module = (token().dir / "no-such-module.so").string();
  auto signer = evm::Pkcs11Signer::open(spec);
  REQUIRE_FALSE(signer.ok());
  CHECK(signer.error().reason() == rp::kModuleLoad);

  spec.module = token().pin_file.string();  // a file, but not a shared object
  auto not_module = evm::Pkcs11Signer::open(spec);
  REQUIRE_FALSE(not_module.ok());
  CHECK(not_module.error().reason() == rp::kModuleLoad);
}

TEST_CASE("pkcs11: the signer re-opens its session after the token closed it", "[hsm]") {
  auto signer = evm::Pkcs11Signer::open(token().spec(new_key("reopen")));
  REQUIRE(signer.ok());
  std::mt19937_64 rng(7);
  REQUIRE((*signer)->sign(random_digest(rng)).ok());

  // The same module instance (dlopen shares it): close every session on every slot behind the
  // signer's back, as a token reset or re-insertion does.
  void* module = ::dlopen(CAUSEWAY_SOFTHSM_MODULE, RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(module != nullptr);
  auto* get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(module, "C_GetFunctionList"));
  REQUIRE(get_list != nullptr);
  CK_FUNCTION_LIST* fn = nullptr;
  REQUIRE(get_list(&fn) == CKR_OK);
  std::array<CK_SLOT_ID, 16> slots{};
  CK_ULONG count = slots.size();
  REQUIRE(fn->C_GetSlotList(CK_TRUE, slots.data(), &count) == CKR_OK);
  for (CK_ULONG i = 0; i < count; ++i) (void)fn->C_CloseAllSessions(slots[i]);
  ::dlclose(module);

  const core::Hash32 digest = random_digest(rng);
  auto signature = (*signer)->sign(digest);
  REQUIRE(signature.ok());
  auto recovered = core::recover_address(digest, *signature);
  REQUIRE(recovered.ok());
  CHECK(*recovered == (*signer)->address());
}

TEST_CASE("a local signer signs as sign_recoverable does", "[hsm]") {
  auto key = core::PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646");
  REQUIRE(key.ok());
  const core::Address expected = core::address_of(*key);
  auto expected_signature = core::sign_recoverable(core::keccak256(core::as_bytes("x")), *key);
  REQUIRE(expected_signature.ok());
  const core::LocalSigner signer(std::move(*key));
  CHECK(signer.address() == expected);
  auto signature = signer.sign(core::keccak256(core::as_bytes("x")));
  REQUIRE(signature.ok());
  CHECK(*signature == *expected_signature);
}

}  // namespace
}  // namespace causeway::test
