// Remote signing through PKCS#11 (an HSM, or softhsm2 in tests): the vote or gas key stays on the
// token, which returns a raw r ‖ s; this side normalises it to low-s and finds the recovery id by
// trial recovery against the token's public key (core::make_recoverable, THREATS 4).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/core/secp256k1_signer.hpp"

namespace causeway::evm {

// One reason per PKCS#11 call, so a log line says which step the token refused; the detail names
// the CKR_ code.
namespace reason::pkcs11 {
// dlopen of the module failed, or it exports no C_GetFunctionList.
inline constexpr core::Reason kModuleLoad{"pkcs11.module_load"};
inline constexpr core::Reason kGetFunctionList{"pkcs11.get_function_list"};
inline constexpr core::Reason kInitialize{"pkcs11.initialize"};
inline constexpr core::Reason kGetSlotList{"pkcs11.get_slot_list"};
inline constexpr core::Reason kGetTokenInfo{"pkcs11.get_token_info"};
// No slot holds a token with the configured label.
inline constexpr core::Reason kTokenNotFound{"pkcs11.token_not_found"};
inline constexpr core::Reason kOpenSession{"pkcs11.open_session"};
// Neither pin_file nor pin_env yields a PIN.
inline constexpr core::Reason kNoPin{"pkcs11.no_pin"};
inline constexpr core::Reason kLogin{"pkcs11.login"};
inline constexpr core::Reason kFindObjects{"pkcs11.find_objects"};
// No EC key pair with the configured label (both halves are needed: the public one for the address).
inline constexpr core::Reason kKeyNotFound{"pkcs11.key_not_found"};
// Several keys carry the label: signing with "one of them" would make the address a guess.
inline constexpr core::Reason kKeyAmbiguous{"pkcs11.key_ambiguous"};
inline constexpr core::Reason kGetAttributeValue{"pkcs11.get_attribute_value"};
// The key's CKA_EC_PARAMS is not secp256k1 (OID 1.3.132.0.10).
inline constexpr core::Reason kWrongCurve{"pkcs11.wrong_curve"};
// CKA_EC_POINT is not a secp256k1 point in either encoding modules use.
inline constexpr core::Reason kBadPublicKey{"pkcs11.bad_public_key"};
// After a session was re-opened the label names a different key than at start-up.
inline constexpr core::Reason kKeyChanged{"pkcs11.key_changed"};
inline constexpr core::Reason kSignInit{"pkcs11.sign_init"};
inline constexpr core::Reason kSign{"pkcs11.sign"};
// CKM_ECDSA returned something other than a 64-byte r ‖ s.
inline constexpr core::Reason kBadSignature{"pkcs11.bad_signature"};
inline constexpr core::Reason kGenerateKeyPair{"pkcs11.generate_key_pair"};
}  // namespace reason::pkcs11

// Where a key lives (config `{pkcs11: {module, token, key, pin_file | pin_env}}`). The PIN is read
// from its source at each login and dropped after it, never kept or logged.
struct Pkcs11KeySpec {
  std::string module;    // path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token;     // the token's label
  std::string key;       // CKA_LABEL of the key pair
  std::string pin_file;  // first line is the user PIN
  std::string pin_env;   // or the environment variable holding it
};

class Pkcs11Module;  // a loaded, initialised module; one per path per process
namespace detail {
struct Pkcs11Session;  // an open, logged-in session and the key pair's object handles
}  // namespace detail

// A secp256k1 key on a PKCS#11 token. Opens one session, logs in as the user, and re-opens both
// once when the token reports the session gone (CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_REMOVED,
// a token re-inserted), checking the label still names the same public key.
class Pkcs11Signer final : public core::Secp256k1Signer {
 public:
  static core::Result<std::shared_ptr<const Pkcs11Signer>> open(const Pkcs11KeySpec& spec);
  ~Pkcs11Signer() override;
  Pkcs11Signer(const Pkcs11Signer&) = delete;
  Pkcs11Signer& operator=(const Pkcs11Signer&) = delete;

  const core::Address& address() const noexcept override { return address_; }
  const core::Secp256k1PublicKey& public_key() const noexcept { return public_key_; }
  // Blocking: one C_SignInit/C_Sign round trip to the token, serialised per key.
  core::Result<core::RecoverableSignature> sign(const core::Hash32& digest) const override;

 private:
  Pkcs11Signer(Pkcs11KeySpec spec, std::shared_ptr<Pkcs11Module> module);
  core::Result<void> reopen() const;
  core::Result<core::EcdsaSignature> sign_raw(const core::Hash32& digest) const;

  Pkcs11KeySpec spec_;
  std::shared_ptr<Pkcs11Module> module_;
  mutable std::mutex mutex_;  // guards session_: one operation per session at a time (PKCS#11 5.6)
  mutable std::unique_ptr<detail::Pkcs11Session> session_;
  core::Secp256k1PublicKey public_key_;
  core::Address address_;
};

// Creates a secp256k1 key pair labelled spec.key on the token with C_GenerateKeyPair: the private
// half sensitive and not extractable, so it never exists outside the token. Returns its address.
// For setting up tokens (tests, `softhsm2-util`-style provisioning); the relay only signs.
core::Result<core::Address> generate_pkcs11_key(const Pkcs11KeySpec& spec);

}  // namespace causeway::evm
