// V3 keystores (Web3 Secret Storage definition) with OpenSSL 3: EVP_KDF "SCRYPT" with an explicit
// maxmem ceiling, PKCS5_PBKDF2_HMAC, EVP AES-128-CTR. Every buffer holding a secret is a SecretBytes.
#include "adapters/evm/keystore.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "relay/core/hash.hpp"

namespace causeway::evm {
namespace {

namespace rk = reason::keystore;
using core::Bytes;
using core::ByteView;
using core::Error;
using core::Result;
using nlohmann::json;

constexpr std::size_t kDerivedKeyLength = 32;
constexpr std::size_t kSecretKeyLength = 32;
constexpr std::size_t kIvLength = 16;
constexpr std::size_t kMaxSecretFileSize = 64 * 1024;

struct KdfDeleter {
  void operator()(EVP_KDF* kdf) const noexcept { EVP_KDF_free(kdf); }
  void operator()(EVP_KDF_CTX* ctx) const noexcept { EVP_KDF_CTX_free(ctx); }
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

struct ScryptParams {
  std::uint64_t n = 0;
  std::uint32_t r = 0;
  std::uint32_t p = 0;
  Bytes salt;
};

struct Pbkdf2Params {
  std::uint64_t iterations = 0;
  Bytes salt;
};

Result<void> check_scrypt_cost(const ScryptParams& s, const KdfLimits& limits) {
  if (s.n < 2 || (s.n & (s.n - 1)) != 0) return Error(rk::kBadKdfParams, "scrypt n must be a power of two above 1");
  if (s.r == 0 || s.p == 0) return Error(rk::kBadKdfParams, "scrypt r and p must be positive");
  // Bounds first so the products below cannot wrap.
  if (s.n > (1ull << 40) || s.r > (1u << 16) || s.p > (1u << 16)) {
    return Error(rk::kKdfTooCostly, "scrypt parameters beyond any sane ceiling");
  }
  const std::uint64_t memory = 128ull * s.r * (s.n + 2) + 128ull * s.r * s.p;
  if (memory > limits.max_scrypt_memory) {
    return Error(rk::kKdfTooCostly, "scrypt needs " + std::to_string(memory >> 20) + " MiB, ceiling " +
                                        std::to_string(limits.max_scrypt_memory >> 20) + " MiB");
  }
  const std::uint64_t work = s.n * s.r * s.p;
  if (work > limits.max_scrypt_work) return Error(rk::kKdfTooCostly, "scrypt n·r·p above the ceiling");
  return core::ok();
}

Result<SecretBytes> derive_scrypt(const Password& password, const ScryptParams& s, const KdfLimits& limits) {
  CW_CHECK(check_scrypt_cost(s, limits));
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) return Error(rk::kCryptoFailed, "OpenSSL has no SCRYPT KDF");
  std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return Error(rk::kCryptoFailed, "EVP_KDF_CTX_new");
  std::uint64_t n = s.n;
  std::uint32_t r = s.r;
  std::uint32_t p = s.p;
  std::uint64_t maxmem = limits.max_scrypt_memory;
  std::uint8_t empty = 0;
  // OpenSSL takes non-const pointers in OSSL_PARAM but does not write through them here.
  auto* pass = const_cast<std::uint8_t*>(password.empty() ? &empty : password.data());
  auto* salt = const_cast<std::uint8_t*>(s.salt.empty() ? &empty : s.salt.data());
  const std::array<OSSL_PARAM, 7> params{
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pass, password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, s.salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(kDerivedKeyLength);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) != 1) {
    return Error(rk::kCryptoFailed, "scrypt derivation failed");
  }
  return out;
}

Result<SecretBytes> derive_pbkdf2(const Password& password, const Pbkdf2Params& params, const KdfLimits& limits) {
  if (params.iterations == 0) return Error(rk::kBadKdfParams, "pbkdf2 c must be positive");
  if (params.iterations > limits.max_pbkdf2_iterations || params.iterations > 0x7fffffffu) {
    return Error(rk::kKdfTooCostly, "pbkdf2 iteration count above the ceiling");
  }
  SecretBytes out(kDerivedKeyLength);
  const char empty = 0;
  const char* pass = password.empty() ? &empty : reinterpret_cast<const char*>(password.data());
  if (PKCS5_PBKDF2_HMAC(pass, static_cast<int>(password.size()), params.salt.data(), static_cast<int>(params.salt.size()),
                        static_cast<int>(params.iterations), EVP_sha256(), static_cast<int>(out.size()),
                        out.data()) != 1) {
    return Error(rk::kCryptoFailed, "pbkdf2 derivation failed");
  }
  return out;
}

// AES-128-CTR; encryption and decryption are the same operation.
Result<void> aes128_ctr(ByteView key16, ByteView iv16, ByteView in, std::uint8_t* out) {
  std::unique_ptr<EVP_CIPHER_CTX, KdfDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Error(rk::kCryptoFailed, "EVP_CIPHER_CTX_new");
  int written = 0;
  int final_written = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key16.data(), iv16.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &written, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + written, &final_written) != 1 ||
      static_cast<std::size_t>(written + final_written) != in.size()) {
    return Error(rk::kCryptoFailed, "aes-128-ctr failed");
  }
  return core::ok();
}

core::Hash32 keystore_mac(const SecretBytes& derived, ByteView ciphertext) {
  return core::keccak256({derived.view().subspan(16, 16), ciphertext});
}

// ---- strict JSON access (no exceptions: every type is checked before get) ----

const json* member(const json& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(name));
  return it == object.end() ? nullptr : &*it;
}

Result<std::string> string_field(const json& object, std::string_view name, core::Reason reason) {
  const json* v = member(object, name);
  if (v == nullptr || !v->is_string()) return Error(reason, std::string(name) + " must be a string");
  return v->get<std::string>();
}

Result<Bytes> hex_field(const json& object, std::string_view name, core::Reason reason) {
  CW_TRY(const std::string text, string_field(object, name, reason));
  auto bytes = core::from_hex(text);
  if (!bytes) return Error(reason, std::string(name) + " is not hex");
  return std::move(bytes).value();
}

Result<std::uint64_t> uint_field(const json& object, std::string_view name, core::Reason reason) {
  const json* v = member(object, name);
  if (v == nullptr || !v->is_number_integer() || (v->is_number_integer() && !v->is_number_unsigned() && v->get<std::int64_t>() < 0)) {
    return Error(reason, std::string(name) + " must be a non-negative integer");
  }
  return v->get<std::uint64_t>();
}

Result<SecretBytes> derive_from_json(const json& crypto, const Password& password, const KdfLimits& limits) {
  CW_TRY(std::string kdf_name, string_field(crypto, "kdf", rk::kUnsupportedKdf));
  std::transform(kdf_name.begin(), kdf_name.end(), kdf_name.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  const json* params = member(crypto, "kdfparams");
  if (params == nullptr || !params->is_object()) return Error(rk::kBadKdfParams, "kdfparams must be an object");
  CW_TRY(const std::uint64_t dklen, uint_field(*params, "dklen", rk::kBadKdfParams));
  if (dklen != kDerivedKeyLength) return Error(rk::kBadKdfParams, "dklen must be 32");
  if (kdf_name == "scrypt") {
    ScryptParams s;
    CW_TRY(s.n, uint_field(*params, "n", rk::kBadKdfParams));
    CW_TRY(const std::uint64_t r, uint_field(*params, "r", rk::kBadKdfParams));
    CW_TRY(const std::uint64_t p, uint_field(*params, "p", rk::kBadKdfParams));
    if (r > 0xffffffffu || p > 0xffffffffu) return Error(rk::kKdfTooCostly, "scrypt r or p too large");
    s.r = static_cast<std::uint32_t>(r);
    s.p = static_cast<std::uint32_t>(p);
    CW_TRY(s.salt, hex_field(*params, "salt", rk::kBadKdfParams));
    return derive_scrypt(password, s, limits);
  }
  if (kdf_name == "pbkdf2") {
    Pbkdf2Params p;
    CW_TRY(const std::string prf, string_field(*params, "prf", rk::kBadKdfParams));
    if (prf != "hmac-sha256") return Error(rk::kUnsupportedKdf, "pbkdf2 prf must be hmac-sha256");
    CW_TRY(p.iterations, uint_field(*params, "c", rk::kBadKdfParams));
    CW_TRY(p.salt, hex_field(*params, "salt", rk::kBadKdfParams));
    return derive_pbkdf2(password, p, limits);
  }
  return Error(rk::kUnsupportedKdf, "kdf must be scrypt or pbkdf2");
}

Result<core::PrivateKey> key_from_secret(const SecretBytes& secret) {
  auto key = core::PrivateKey::from_bytes(secret.view());
  if (!key) return Error(rk::kBadKey, "not a valid secp256k1 secret key");
  return std::move(key).value();
}

void fill_random(std::uint8_t* out, std::size_t size, bool secret, Result<void>& status) {
  const int rc = secret ? RAND_priv_bytes(out, static_cast<int>(size)) : RAND_bytes(out, static_cast<int>(size));
  if (rc != 1) status = Error(rk::kCryptoFailed, "OpenSSL RAND failed");
}

Result<Bytes> fixed_or_random(const std::optional<Bytes>& fixed, std::size_t size, const char* name) {
  if (fixed) {
    if (fixed->size() != size) return Error(rk::kBadCipherParams, std::string(name) + " has the wrong length");
    return *fixed;
  }
  Bytes out(size);
  Result<void> status;
  fill_random(out.data(), out.size(), false, status);
  if (!status) return std::move(status).error();
  return out;
}

std::string uuid_v4(Bytes random16) {
  random16[6] = static_cast<std::uint8_t>((random16[6] & 0x0f) | 0x40);
  random16[8] = static_cast<std::uint8_t>((random16[8] & 0x3f) | 0x80);
  const std::string h = core::to_hex(random16, false);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string errno_text(int err) { return std::strerror(err); }

// Reads a small file into secret storage without intermediate std::string copies.
Result<SecretBytes> read_secret_file(const std::filesystem::path& path, bool owner_only) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return Error(rk::kIo, path.string() + ": " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error(rk::kIo, path.string() + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return Error(rk::kIo, path.string() + ": not a regular file");
  if (owner_only && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Error(rk::kInsecurePermissions, path.string() + " is accessible by group or others (chmod 600 it)");
  }
  if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > kMaxSecretFileSize) {
    return Error(rk::kIo, path.string() + ": too large for a secret file");
  }
  SecretBytes out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::read(fd.get(), out.data() + done, out.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error(rk::kIo, path.string() + ": " + errno_text(errno));
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  out.truncate(done);
  return out;
}

int hex_digit(std::uint8_t c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(std::uint8_t c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Result<UnlockedKey> decrypt_keystore(std::string_view text, const Password& password, const KdfLimits& limits) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Error(rk::kBadJson, "not a JSON object");
  CW_TRY(const std::uint64_t version, uint_field(doc, "version", rk::kUnsupportedVersion));
  if (version != 3) return Error(rk::kUnsupportedVersion, "version must be 3");
  const json* crypto = member(doc, "crypto");
  if (crypto == nullptr) crypto = member(doc, "Crypto");  // ethers and old geth write "Crypto"
  if (crypto == nullptr || !crypto->is_object()) return Error(rk::kBadJson, "no crypto object");

  CW_TRY(const std::string cipher, string_field(*crypto, "cipher", rk::kUnsupportedCipher));
  if (cipher != "aes-128-ctr") return Error(rk::kUnsupportedCipher, "cipher must be aes-128-ctr");
  const json* cipherparams = member(*crypto, "cipherparams");
  if (cipherparams == nullptr) return Error(rk::kBadCipherParams, "no cipherparams");
  CW_TRY(const Bytes iv, hex_field(*cipherparams, "iv", rk::kBadCipherParams));
  if (iv.size() != kIvLength) return Error(rk::kBadCipherParams, "iv must be 16 bytes");
  CW_TRY(const Bytes ciphertext, hex_field(*crypto, "ciphertext", rk::kBadCiphertext));
  if (ciphertext.size() != kSecretKeyLength) return Error(rk::kBadCiphertext, "ciphertext must be 32 bytes");
  CW_TRY(const Bytes mac, hex_field(*crypto, "mac", rk::kBadMac));
  if (mac.size() != 32) return Error(rk::kBadMac, "mac must be 32 bytes");
  std::optional<core::Address> claimed;
  if (const json* address = member(doc, "address"); address != nullptr) {
    auto parsed = address->is_string() ? core::fixed_from_hex<core::Address>(address->get<std::string>())
                                       : Result<core::Address>(Error(rk::kBadJson));
    if (!parsed) return Error(rk::kBadJson, "address is not 20 bytes of hex");
    claimed = *parsed;
  }

  CW_TRY(const SecretBytes derived, derive_from_json(*crypto, password, limits));
  const core::Hash32 expected = keystore_mac(derived, ciphertext);
  if (!core::constant_time_equal(expected.view(), mac)) {
    return Error(rk::kMacMismatch, "wrong password or tampered keystore");
  }
  SecretBytes secret(kSecretKeyLength);
  CW_CHECK(aes128_ctr(derived.view().subspan(0, 16), iv, ciphertext, secret.data()));
  CW_TRY(core::PrivateKey key, key_from_secret(secret));
  const core::Address address = core::address_of(key);
  if (claimed && *claimed != address) {
    return Error(rk::kAddressMismatch, "file says " + core::to_hex(*claimed) + ", key is " + core::to_hex(address));
  }
  return UnlockedKey{std::move(key), address};
}

Result<std::string> encrypt_keystore(const SecretBytes& secret_key, const Password& password,
                                     const KeystoreWriteOptions& options) {
  if (secret_key.size() != kSecretKeyLength) return Error(rk::kBadKey, "a secret key is 32 bytes");
  CW_TRY(const core::PrivateKey key, key_from_secret(secret_key));
  ScryptParams s{options.scrypt_n, options.scrypt_r, options.scrypt_p, {}};
  CW_TRY(s.salt, fixed_or_random(options.salt, 32, "salt"));
  CW_TRY(const Bytes iv, fixed_or_random(options.iv, kIvLength, "iv"));
  CW_TRY(Bytes uuid, fixed_or_random(options.uuid, 16, "uuid"));
  // Writing is bounded by the same sanity check as reading, with limits just wide enough.
  KdfLimits limits;
  limits.max_scrypt_memory = std::max<std::uint64_t>(limits.max_scrypt_memory, 128ull * s.r * (s.n + 2) + 128ull * s.r * s.p);
  CW_TRY(const SecretBytes derived, derive_scrypt(password, s, limits));
  Bytes ciphertext(kSecretKeyLength);
  CW_CHECK(aes128_ctr(derived.view().subspan(0, 16), iv, secret_key.view(), ciphertext.data()));
  const core::Hash32 mac = keystore_mac(derived, ciphertext);

  json doc = {
      {"address", core::to_hex(core::address_of(key), false)},
      {"crypto",
       {{"cipher", "aes-128-ctr"},
        {"cipherparams", {{"iv", core::to_hex(iv, false)}}},
        {"ciphertext", core::to_hex(ciphertext, false)},
        {"kdf", "scrypt"},
        {"kdfparams",
         {{"dklen", kDerivedKeyLength}, {"n", s.n}, {"p", s.p}, {"r", s.r}, {"salt", core::to_hex(s.salt, false)}}},
        {"mac", core::to_hex(mac, false)}}},
      {"id", uuid_v4(std::move(uuid))},
      {"version", 3},
  };
  return doc.dump();
}

Result<NewKey> generate_keystore(const Password& password, const KeystoreWriteOptions& options) {
  SecretBytes secret(kSecretKeyLength);
  // A draw outside 0 < k < n has probability about 2^-128; retry rather than fail.
  for (int attempt = 0; attempt < 8; ++attempt) {
    Result<void> status;
    fill_random(secret.data(), secret.size(), true, status);
    if (!status) return std::move(status).error();
    auto key = core::PrivateKey::from_bytes(secret.view());
    if (!key) continue;
    CW_TRY(std::string json_text, encrypt_keystore(secret, password, options));
    return NewKey{core::address_of(*key), std::move(json_text)};
  }
  return Error(rk::kCryptoFailed, "could not draw a valid key");
}

Result<void> save_keystore(const std::filesystem::path& path, std::string_view text) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (fd.get() < 0) return Error(rk::kIo, path.string() + ": " + errno_text(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t put = ::write(fd.get(), text.data() + done, text.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return Error(rk::kIo, path.string() + ": " + errno_text(errno));
    done += static_cast<std::size_t>(put);
  }
  if (::fsync(fd.get()) != 0) return Error(rk::kIo, path.string() + ": " + errno_text(errno));
  return core::ok();
}

Result<UnlockedKey> unlock_keystore_file(const std::filesystem::path& path, const Password& password,
                                         const KdfLimits& limits) {
  // A keystore is ciphertext, but it is still read through secret storage: it is small.
  CW_TRY(const SecretBytes contents, read_secret_file(path, false));
  const std::string_view text(reinterpret_cast<const char*>(contents.data()), contents.size());
  auto unlocked = decrypt_keystore(text, password, limits);
  if (!unlocked) return std::move(unlocked).error().with_context(path.string());
  return unlocked;
}

Result<Password> password_from_file(const std::filesystem::path& path) {
  CW_TRY(SecretBytes contents, read_secret_file(path, false));
  const auto* begin = contents.data();
  const auto* newline = std::find(begin, begin + contents.size(), static_cast<std::uint8_t>('\n'));
  std::size_t length = static_cast<std::size_t>(newline - begin);
  if (length > 0 && begin[length - 1] == '\r') --length;
  contents.truncate(length);
  if (contents.empty()) return Error(rk::kNoPassword, path.string() + " holds an empty password");
  return contents;
}

Result<Password> password_from_env(std::string_view variable_name) {
  const std::string name(variable_name);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return Error(rk::kNoPassword, "environment variable " + name + " is not set");
  return SecretBytes::copy_of(std::string_view(value));
}

Result<UnlockedKey> load_raw_key_file(const std::filesystem::path& path) {
  CW_TRY(const SecretBytes contents, read_secret_file(path, true));
  std::size_t begin = 0;
  std::size_t end = contents.size();
  const auto* c = contents.data();
  while (begin < end && is_space(c[begin])) ++begin;
  while (end > begin && is_space(c[end - 1])) --end;
  if (end - begin >= 2 && c[begin] == '0' && (c[begin + 1] == 'x' || c[begin + 1] == 'X')) begin += 2;
  if (end - begin != 2 * kSecretKeyLength) {
    return Error(rk::kBadRawKey, path.string() + ": expected 64 hex digits");
  }
  SecretBytes secret(kSecretKeyLength);
  for (std::size_t i = 0; i < kSecretKeyLength; ++i) {
    const int hi = hex_digit(c[begin + 2 * i]);
    const int lo = hex_digit(c[begin + 2 * i + 1]);
    if (hi < 0 || lo < 0) return Error(rk::kBadRawKey, path.string() + ": not hex");
    secret.data()[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  auto key = key_from_secret(secret);
  if (!key) return Error(rk::kBadRawKey, path.string() + ": not a valid secp256k1 secret key");
  const core::Address address = core::address_of(*key);
  return UnlockedKey{std::move(key).value(), address};
}

}  // namespace causeway::evm
