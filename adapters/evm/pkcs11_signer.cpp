// See pkcs11_signer.hpp. The module is loaded with dlopen from the configured path (no link-time
// dependency on any vendor); the header is p11-kit's, a maintained copy of the OASIS one.
#include "adapters/evm/pkcs11_signer.hpp"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <vector>

#include "adapters/evm/keystore.hpp"

namespace causeway::evm {

namespace rp = reason::pkcs11;
using core::Error;
using core::Result;

namespace {

// DER of the named curve secp256k1 (OBJECT IDENTIFIER 1.3.132.0.10), CKA_EC_PARAMS's form.
constexpr std::array<CK_BYTE, 7> kSecp256k1Oid{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};

std::string rv_name(CK_RV rv) {
  switch (rv) {
#define CW_CKR(name) \
  case name: return #name;
    CW_CKR(CKR_OK)
    CW_CKR(CKR_HOST_MEMORY)
    CW_CKR(CKR_SLOT_ID_INVALID)
    CW_CKR(CKR_GENERAL_ERROR)
    CW_CKR(CKR_FUNCTION_FAILED)
    CW_CKR(CKR_ARGUMENTS_BAD)
    CW_CKR(CKR_ATTRIBUTE_TYPE_INVALID)
    CW_CKR(CKR_ATTRIBUTE_VALUE_INVALID)
    CW_CKR(CKR_DATA_LEN_RANGE)
    CW_CKR(CKR_DEVICE_ERROR)
    CW_CKR(CKR_DEVICE_MEMORY)
    CW_CKR(CKR_DEVICE_REMOVED)
    CW_CKR(CKR_FUNCTION_NOT_SUPPORTED)
    CW_CKR(CKR_KEY_HANDLE_INVALID)
    CW_CKR(CKR_KEY_TYPE_INCONSISTENT)
    CW_CKR(CKR_KEY_FUNCTION_NOT_PERMITTED)
    CW_CKR(CKR_MECHANISM_INVALID)
    CW_CKR(CKR_MECHANISM_PARAM_INVALID)
    CW_CKR(CKR_OBJECT_HANDLE_INVALID)
    CW_CKR(CKR_OPERATION_ACTIVE)
    CW_CKR(CKR_OPERATION_NOT_INITIALIZED)
    CW_CKR(CKR_PIN_INCORRECT)
    CW_CKR(CKR_PIN_INVALID)
    CW_CKR(CKR_PIN_LEN_RANGE)
    CW_CKR(CKR_PIN_EXPIRED)
    CW_CKR(CKR_PIN_LOCKED)
    CW_CKR(CKR_SESSION_CLOSED)
    CW_CKR(CKR_SESSION_COUNT)
    CW_CKR(CKR_SESSION_HANDLE_INVALID)
    CW_CKR(CKR_SESSION_READ_ONLY)
    CW_CKR(CKR_TEMPLATE_INCOMPLETE)
    CW_CKR(CKR_TEMPLATE_INCONSISTENT)
    CW_CKR(CKR_TOKEN_NOT_PRESENT)
    CW_CKR(CKR_TOKEN_NOT_RECOGNIZED)
    CW_CKR(CKR_TOKEN_WRITE_PROTECTED)
    CW_CKR(CKR_USER_ALREADY_LOGGED_IN)
    CW_CKR(CKR_USER_NOT_LOGGED_IN)
    CW_CKR(CKR_USER_PIN_NOT_INITIALIZED)
    CW_CKR(CKR_USER_TYPE_INVALID)
    CW_CKR(CKR_DOMAIN_PARAMS_INVALID)
    CW_CKR(CKR_CURVE_NOT_SUPPORTED)
    CW_CKR(CKR_BUFFER_TOO_SMALL)
    CW_CKR(CKR_CRYPTOKI_NOT_INITIALIZED)
    CW_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED)
#undef CW_CKR
    default: {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "CKR 0x%lx", static_cast<unsigned long>(rv));
      return buffer;
    }
  }
}

Error failed(core::Reason reason, CK_RV rv, const std::string& what = {}) {
  return Error(reason, what.empty() ? rv_name(rv) : what + ": " + rv_name(rv));
}

// The codes after which the session (or the login it carried) is gone but a new one may work.
bool session_lost(CK_RV rv) {
  return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_REMOVED ||
         rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_OBJECT_HANDLE_INVALID ||
         rv == CKR_KEY_HANDLE_INVALID;
}

// CK_TOKEN_INFO.label: 32 bytes, blank-padded, not terminated.
std::string token_label(const CK_TOKEN_INFO& info) {
  std::string label(reinterpret_cast<const char*>(info.label), sizeof info.label);
  label.erase(label.find_last_not_of(' ') + 1);
  return label;
}

Result<Password> read_pin(const Pkcs11KeySpec& spec) {
  auto pin = spec.pin_file.empty() ? password_from_env(spec.pin_env) : password_from_file(spec.pin_file);
  if (!pin) return Error(rp::kNoPin, std::move(pin).error().detail());
  return pin;
}

}  // namespace

// ---- Module ------------------------------------------------------------------------------------

// C_Initialize may run once per process and module, and every user of a token shares its login
// state, so signers of one module share one instance (registry below).
class Pkcs11Module {
 public:
  static Result<std::shared_ptr<Pkcs11Module>> get(const std::string& path) {
    const std::lock_guard lock(registry_mutex());
    auto& entry = registry()[path];
    if (auto existing = entry.lock()) return existing;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      return Error(rp::kModuleLoad, path + ": " + (why != nullptr ? why : "dlopen failed"));
    }
    std::shared_ptr<Pkcs11Module> module(new Pkcs11Module(handle));
    auto* get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
    if (get_list == nullptr) return Error(rp::kModuleLoad, path + " exports no C_GetFunctionList");
    if (const CK_RV rv = get_list(&module->functions_); rv != CKR_OK || module->functions_ == nullptr) {
      return failed(rp::kGetFunctionList, rv, path);
    }
    // The relay signs from more than one thread; the module must lock with the OS's primitives.
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = module->functions_->C_Initialize(&args);
    // Already initialised by another user in this process: theirs to finalise.
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) return failed(rp::kInitialize, rv, path);
    module->finalize_ = rv == CKR_OK;
    entry = module;
    return module;
  }

  // Under the registry's lock, so a get() of the same path cannot initialise the module while it is
  // being finalised here (recursive: a get() that fails drops its half-made module under the lock).
  ~Pkcs11Module() {
    const std::lock_guard lock(registry_mutex());
    if (finalize_) (void)functions_->C_Finalize(nullptr);
    ::dlclose(handle_);
  }
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  CK_FUNCTION_LIST& fn() const noexcept { return *functions_; }

  // The slot holding the token labelled `label`.
  Result<CK_SLOT_ID> find_token(const std::string& label) const {
    CK_ULONG count = 0;
    if (const CK_RV rv = functions_->C_GetSlotList(CK_TRUE, nullptr, &count); rv != CKR_OK) {
      return failed(rp::kGetSlotList, rv);
    }
    std::vector<CK_SLOT_ID> slots(count);
    if (const CK_RV rv = functions_->C_GetSlotList(CK_TRUE, slots.data(), &count); rv != CKR_OK) {
      return failed(rp::kGetSlotList, rv);
    }
    slots.resize(count);
    for (const CK_SLOT_ID slot : slots) {
      CK_TOKEN_INFO info{};
      const CK_RV rv = functions_->C_GetTokenInfo(slot, &info);
      // A token pulled out between the two calls is simply not there.
      if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED) continue;
      if (rv != CKR_OK) return failed(rp::kGetTokenInfo, rv, "slot " + std::to_string(slot));
      if (token_label(info) == label) return slot;
    }
    return Error(rp::kTokenNotFound, "no token labelled \"" + label + "\" in " + std::to_string(slots.size()) + " slots");
  }

 private:
  explicit Pkcs11Module(void* handle) : handle_(handle) {}
  static std::recursive_mutex& registry_mutex() {
    static std::recursive_mutex mutex;
    return mutex;
  }
  static std::map<std::string, std::weak_ptr<Pkcs11Module>>& registry() {
    static std::map<std::string, std::weak_ptr<Pkcs11Module>> modules;
    return modules;
  }
  void* handle_ = nullptr;
  CK_FUNCTION_LIST* functions_ = nullptr;
  bool finalize_ = false;
};

// ---- Session -----------------------------------------------------------------------------------

// An open, logged-in session with the handles of the key pair's two objects.
namespace detail {
struct Pkcs11Session {
  const Pkcs11Module* module = nullptr;
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;

  Pkcs11Session() = default;
  Pkcs11Session(const Pkcs11Session&) = delete;
  Pkcs11Session& operator=(const Pkcs11Session&) = delete;
  // Closing a session a lost token already dropped fails harmlessly.
  ~Pkcs11Session() {
    if (handle != CK_INVALID_HANDLE) (void)module->fn().C_CloseSession(handle);
  }

  Result<CK_OBJECT_HANDLE> find_one(CK_OBJECT_CLASS object_class, const std::string& label) const {
    CK_KEY_TYPE key_type = CKK_EC;
    std::array<CK_ATTRIBUTE, 3> query{{
        {CKA_CLASS, &object_class, sizeof object_class},
        {CKA_KEY_TYPE, &key_type, sizeof key_type},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
    }};
    auto& fn = module->fn();
    if (const CK_RV rv = fn.C_FindObjectsInit(handle, query.data(), query.size()); rv != CKR_OK) {
      return failed(rp::kFindObjects, rv);
    }
    std::array<CK_OBJECT_HANDLE, 2> found{};
    CK_ULONG count = 0;
    const CK_RV rv = fn.C_FindObjects(handle, found.data(), found.size(), &count);
    (void)fn.C_FindObjectsFinal(handle);
    if (rv != CKR_OK) return failed(rp::kFindObjects, rv);
    const char* half = object_class == CKO_PRIVATE_KEY ? "private" : "public";
    if (count == 0) return Error(rp::kKeyNotFound, std::string("no EC ") + half + " key labelled \"" + label + "\"");
    if (count > 1) return Error(rp::kKeyAmbiguous, std::string("several EC ") + half + " keys labelled \"" + label + "\"");
    return found[0];
  }

  Result<core::Bytes> attribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type, const char* name) const {
    CK_ATTRIBUTE query{type, nullptr, 0};
    auto& fn = module->fn();
    if (const CK_RV rv = fn.C_GetAttributeValue(handle, object, &query, 1); rv != CKR_OK) {
      return failed(rp::kGetAttributeValue, rv, name);
    }
    // Public attributes of an EC key are a few dozen bytes; a huge length is a broken module.
    if (query.ulValueLen == CK_UNAVAILABLE_INFORMATION || query.ulValueLen > 1024) {
      return Error(rp::kGetAttributeValue, std::string(name) + ": unavailable");
    }
    core::Bytes value(query.ulValueLen);
    query.pValue = value.data();
    if (const CK_RV rv = fn.C_GetAttributeValue(handle, object, &query, 1); rv != CKR_OK) {
      return failed(rp::kGetAttributeValue, rv, name);
    }
    value.resize(query.ulValueLen);
    return value;
  }

  // The key pair's public key, from CKA_EC_POINT: DER OCTET STRING around the SEC1 point as the
  // standard says, or the bare point as some modules return it.
  Result<core::Secp256k1PublicKey> read_public_key() const {
    CW_TRY(const core::Bytes params, attribute(public_key, CKA_EC_PARAMS, "CKA_EC_PARAMS"));
    if (!std::equal(params.begin(), params.end(), kSecp256k1Oid.begin(), kSecp256k1Oid.end())) {
      return Error(rp::kWrongCurve, "CKA_EC_PARAMS " + core::to_hex(params) + " is not secp256k1");
    }
    CW_TRY(const core::Bytes point, attribute(public_key, CKA_EC_POINT, "CKA_EC_POINT"));
    core::ByteView sec1(point.data(), point.size());
    if (point.size() == 67 && point[0] == 0x04 && point[1] == 65) sec1 = sec1.subspan(2);
    auto parsed = core::Secp256k1PublicKey::parse(sec1);
    if (!parsed) return Error(rp::kBadPublicKey, parsed.error().message());
    return parsed;
  }
};
}  // namespace detail

// ---- Signer ------------------------------------------------------------------------------------

namespace {

// A session on spec's token, logged in as the user. The PIN lives only for the C_Login call.
Result<std::unique_ptr<detail::Pkcs11Session>> login_session(const Pkcs11Module& module, const Pkcs11KeySpec& spec,
                                                             CK_FLAGS flags) {
  CW_TRY(const CK_SLOT_ID slot, module.find_token(spec.token));
  auto session = std::make_unique<detail::Pkcs11Session>();
  session->module = &module;
  auto& fn = module.fn();
  if (const CK_RV rv = fn.C_OpenSession(slot, flags, nullptr, nullptr, &session->handle); rv != CKR_OK) {
    session->handle = CK_INVALID_HANDLE;
    return failed(rp::kOpenSession, rv, "token \"" + spec.token + "\"");
  }
  CW_TRY(const Password pin, read_pin(spec));
  const CK_RV rv = fn.C_Login(session->handle, CKU_USER, const_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
  // Login is per token and application: another signer's session may have done it already.
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return failed(rp::kLogin, rv, "token \"" + spec.token + "\"");
  return session;
}

// The same, with the key pair's two objects found.
Result<std::unique_ptr<detail::Pkcs11Session>> open_session(const Pkcs11Module& module, const Pkcs11KeySpec& spec) {
  CW_TRY(auto session, login_session(module, spec, CKF_SERIAL_SESSION));
  CW_TRY(session->private_key, session->find_one(CKO_PRIVATE_KEY, spec.key));
  CW_TRY(session->public_key, session->find_one(CKO_PUBLIC_KEY, spec.key));
  return session;
}

}  // namespace

Pkcs11Signer::Pkcs11Signer(Pkcs11KeySpec spec, std::shared_ptr<Pkcs11Module> module)
    : spec_(std::move(spec)), module_(std::move(module)) {}

// Here, where Pkcs11Session is complete. session_ is declared after module_, so the session closes
// before the module can be finalised.
Pkcs11Signer::~Pkcs11Signer() = default;

Result<std::shared_ptr<const Pkcs11Signer>> Pkcs11Signer::open(const Pkcs11KeySpec& spec) {
  CW_TRY(auto module, Pkcs11Module::get(spec.module));
  std::shared_ptr<Pkcs11Signer> signer(new Pkcs11Signer(spec, std::move(module)));
  CW_TRY(signer->session_, open_session(*signer->module_, spec));
  CW_TRY(signer->public_key_, signer->session_->read_public_key());
  signer->address_ = core::address_of(signer->public_key_);
  return std::shared_ptr<const Pkcs11Signer>(std::move(signer));
}

Result<void> Pkcs11Signer::reopen() const {
  session_.reset();
  CW_TRY(session_, open_session(*module_, spec_));
  CW_TRY(const core::Secp256k1PublicKey key, session_->read_public_key());
  if (!(key == public_key_)) {
    session_.reset();
    return Error(rp::kKeyChanged, "\"" + spec_.key + "\" is now " + core::to_checksum_hex(core::address_of(key)) +
                                      ", was " + core::to_checksum_hex(address_));
  }
  return core::ok();
}

Result<core::EcdsaSignature> Pkcs11Signer::sign_raw(const core::Hash32& digest) const {
  // A lost token or session is re-opened once; a second failure is the token's answer.
  for (int attempt = 0;; ++attempt) {
    if (!session_) CW_CHECK(reopen());
    auto& fn = module_->fn();
    CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
    CK_RV rv = fn.C_SignInit(session_->handle, &ecdsa, session_->private_key);
    core::Reason reason = rp::kSignInit;
    std::array<CK_BYTE, 132> raw{};  // room for P-521, so a wrong-curve key is a length error, not a crash
    CK_ULONG length = raw.size();
    if (rv == CKR_OK) {
      reason = rp::kSign;
      rv = fn.C_Sign(session_->handle, const_cast<CK_BYTE*>(digest.data()), 32, raw.data(), &length);
    }
    if (rv == CKR_OK) {
      if (length != 64) return Error(rp::kBadSignature, std::to_string(length) + " bytes, expected r ‖ s of 64");
      core::EcdsaSignature out;
      std::copy_n(raw.begin(), 32, out.r.begin());
      std::copy_n(raw.begin() + 32, 32, out.s.begin());
      return out;
    }
    if (attempt > 0 || !session_lost(rv)) return failed(reason, rv);
    session_.reset();
  }
}

Result<core::RecoverableSignature> Pkcs11Signer::sign(const core::Hash32& digest) const {
  const std::lock_guard lock(mutex_);
  CW_TRY(const core::EcdsaSignature raw, sign_raw(digest));
  // Low-s and the recovery id; also proves the token signed with the key whose address we report.
  return core::make_recoverable(digest, raw, public_key_);
}

Result<core::Address> generate_pkcs11_key(const Pkcs11KeySpec& spec) {
  CW_TRY(auto module, Pkcs11Module::get(spec.module));
  CW_TRY(const auto session, login_session(*module, spec, CKF_SERIAL_SESSION | CKF_RW_SESSION));
  auto& fn = module->fn();
  auto params = kSecp256k1Oid;
  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  auto* label = const_cast<char*>(spec.key.data());
  std::array<CK_ATTRIBUTE, 4> public_template{{
      {CKA_EC_PARAMS, params.data(), params.size()},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_VERIFY, &yes, sizeof yes},
      {CKA_LABEL, label, spec.key.size()},
  }};
  std::array<CK_ATTRIBUTE, 6> private_template{{
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SIGN, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_LABEL, label, spec.key.size()},
  }};
  CK_MECHANISM generate{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  if (const CK_RV rv = fn.C_GenerateKeyPair(session->handle, &generate, public_template.data(), public_template.size(),
                                            private_template.data(), private_template.size(), &session->public_key,
                                            &session->private_key);
      rv != CKR_OK) {
    return failed(rp::kGenerateKeyPair, rv, "\"" + spec.key + "\" on token \"" + spec.token + "\"");
  }
  CW_TRY(const core::Secp256k1PublicKey key, session->read_public_key());
  return core::address_of(key);
}

}  // namespace causeway::evm
