// See keys_command.hpp.
#include "relay/app/keys_command.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "relay/app/verify_command.hpp"
#include "relay/core/secp256k1.hpp"

namespace causeway::app {
namespace {

constexpr int kExitDone = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUnusable = 2;

// A keystore is a few hundred bytes; a raw key file under a hundred.
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

// The password from exactly one source; nullopt when none is given (show may do without).
core::Result<std::optional<evm::Password>> password_of(const KeysOptions& options) {
  if (!options.password_file.empty() && !options.password_env.empty()) {
    return core::Error(evm::reason::keystore::kNoPassword, "give --password-file or --password-env, not both");
  }
  if (!options.password_file.empty()) {
    CW_TRY(auto password, evm::password_from_file(options.password_file));
    return std::optional<evm::Password>(std::move(password));
  }
  if (!options.password_env.empty()) {
    CW_TRY(auto password, evm::password_from_env(options.password_env));
    return std::optional<evm::Password>(std::move(password));
  }
  return std::optional<evm::Password>();
}

// --pkcs11-module with its token, key label and exactly one PIN source, and no file options.
core::Result<void> check_pkcs11(const KeysOptions& options) {
  const auto& spec = options.pkcs11;
  if (!options.file.empty() || !options.out.empty() || !options.password_file.empty() ||
      !options.password_env.empty()) {
    return core::Error(reason::kUsage, "a token key has no file or password (give --pin-file or --pin-env)");
  }
  if (spec.token.empty() || spec.key.empty()) {
    return core::Error(reason::kUsage, "--pkcs11-module needs --token and --key-label");
  }
  if (spec.pin_file.empty() == spec.pin_env.empty()) {
    return core::Error(evm::reason::pkcs11::kNoPin, "give exactly one of --pin-file or --pin-env");
  }
  return core::ok();
}

// new and show on a token: the address of the generated or found key pair.
int run_pkcs11(const KeysOptions& options, std::ostream& out, std::ostream& err) {
  const char* command = options.action == KeysAction::kNew ? "causeway keys new: " : "causeway keys show: ";
  if (auto usable = check_pkcs11(options); !usable) {
    err << command << usable.error().message() << '\n';
    return kExitUnusable;
  }
  core::Result<core::Address> address = core::Error(evm::reason::pkcs11::kKeyNotFound, "");
  if (options.action == KeysAction::kNew) {
    address = evm::generate_pkcs11_key(options.pkcs11);
  } else if (auto signer = evm::Pkcs11Signer::open(options.pkcs11)) {
    address = (*signer)->address();
  } else {
    address = std::move(signer).error();
  }
  if (!address) {
    err << command << address.error().message() << '\n';
    return kExitFailed;
  }
  out << core::to_checksum_hex(*address) << '\n';
  return kExitDone;
}

int run_new(const KeysOptions& options, std::ostream& out, std::ostream& err) {
  if (options.out.empty()) {
    err << "causeway keys new: --out FILE (or --pkcs11-module) is needed\n";
    return kExitUnusable;
  }
  auto password = password_of(options);
  if (!password || !*password) {
    err << "causeway keys new: "
        << (password ? "a password is needed: --password-file FILE or --password-env VAR" : password.error().message())
        << '\n';
    return kExitUnusable;
  }
  auto key = evm::generate_keystore(**password, options.write);
  if (!key) {
    err << "causeway keys new: " << key.error().message() << '\n';
    return kExitFailed;
  }
  if (auto saved = evm::save_keystore(options.out, key->keystore_json); !saved) {
    err << "causeway keys new: " << saved.error().message() << '\n';
    return kExitFailed;
  }
  out << core::to_checksum_hex(key->address) << '\n';
  return kExitDone;
}

// The address a keystore states about itself (its "address" field), without its password.
core::Result<core::Address> stated_address(const nlohmann::json& keystore) {
  const auto found = keystore.find("address");
  if (found == keystore.end() || !found->is_string()) {
    return core::Error(evm::reason::keystore::kBadJson,
                       "the keystore states no address; give its password (--password-file or --password-env) to "
                       "derive it");
  }
  std::string text = found->get<std::string>();
  if (!text.starts_with("0x")) text = "0x" + text;
  auto address = core::fixed_from_hex<core::Address>(text);
  if (!address) return core::Error(evm::reason::keystore::kBadJson, "its address field is not 20 bytes of hex");
  return *address;
}

int run_show(const KeysOptions& options, std::ostream& out, std::ostream& err) {
  if (options.file.empty()) {
    err << "causeway keys show: a key FILE (or --pkcs11-module) is needed\n";
    return kExitUnusable;
  }
  auto password = password_of(options);
  if (!password) {
    err << "causeway keys show: " << password.error().message() << '\n';
    return kExitUnusable;
  }
  auto text = read_bounded_file(options.file, kMaxKeyFileBytes);
  if (!text) {
    err << "causeway keys show: " << text.error().message() << '\n';
    return kExitFailed;
  }
  const auto keystore = nlohmann::json::parse(*text, nullptr, false);
  core::Result<core::Address> address = core::Error(evm::reason::keystore::kBadJson, "");
  if (!keystore.is_object()) {
    // Not JSON: a development raw key file (0600), whose address is derived from the key.
    auto raw = evm::load_raw_key_file(options.file);
    if (raw) {
      address = raw->address;
    } else {
      address = std::move(raw).error();
    }
  } else if (*password) {
    // With the password the address is derived from the key itself, and the file's claim checked.
    auto unlocked = evm::decrypt_keystore(*text, **password);
    if (unlocked) {
      address = unlocked->address;
    } else {
      address = std::move(unlocked).error();
    }
  } else {
    address = stated_address(keystore);
  }
  if (!address) {
    err << "causeway keys show: " << options.file << ": " << address.error().message() << '\n';
    return kExitFailed;
  }
  out << core::to_checksum_hex(*address) << '\n';
  return kExitDone;
}

void add_password_options(CLI::App& command, KeysOptions& options) {
  command.add_option("--password-file", options.password_file, "A file whose first line is the password")
      ->type_name("FILE");
  command.add_option("--password-env", options.password_env, "An environment variable holding the password")
      ->type_name("VAR");
}

void add_pkcs11_options(CLI::App& command, KeysOptions& options) {
  command.add_option("--pkcs11-module", options.pkcs11.module, "A PKCS#11 module (.so): the key is on its token")
      ->type_name("PATH");
  command.add_option("--token", options.pkcs11.token, "With --pkcs11-module: the token's label")->type_name("LABEL");
  command.add_option("--key-label", options.pkcs11.key, "With --pkcs11-module: the key pair's CKA_LABEL")
      ->type_name("LABEL");
  command.add_option("--pin-file", options.pkcs11.pin_file, "A file whose first line is the token's user PIN")
      ->type_name("FILE");
  command.add_option("--pin-env", options.pkcs11.pin_env, "An environment variable holding the user PIN")
      ->type_name("VAR");
}

}  // namespace

void add_keys_command(CLI::App& app, KeysOptions& options) {
  auto* keys = app.add_subcommand("keys", "Make and inspect key files (addresses only; never key material)");
  keys->require_subcommand(1, 1);
  keys->footer("Exit codes: 0 done, 1 the key could not be written or read, 2 unusable input.");

  auto* make = keys->add_subcommand("new", "Write a fresh key as a V3 keystore (0600) and print its address");
  make->add_option("--out", options.out, "The keystore file to write; an existing file is never replaced")
      ->type_name("FILE");
  add_password_options(*make, options);
  add_pkcs11_options(*make, options);
  make->footer("With --pkcs11-module: generates a secp256k1 key pair on the token (sensitive, not extractable).");
  make->callback([&options] { options.action = KeysAction::kNew; });

  auto* show = keys->add_subcommand("show", "Print the address of a keystore or raw key file");
  show->add_option("file", options.file, "A V3 keystore, or a 0600 raw key file (development)")->type_name("FILE");
  add_password_options(*show, options);
  add_pkcs11_options(*show, options);
  show->footer("Without a password a keystore's address is the one it states; with one it is derived from the key. "
               "With --pkcs11-module: the address of the key pair on the token.");
  show->callback([&options] { options.action = KeysAction::kShow; });
}

int run_keys_command(const KeysOptions& options, std::ostream& out, std::ostream& err) {
  if (!options.pkcs11.module.empty() && options.action != KeysAction::kNone) return run_pkcs11(options, out, err);
  switch (options.action) {
    case KeysAction::kNew: return run_new(options, out, err);
    case KeysAction::kShow: return run_show(options, out, err);
    case KeysAction::kNone: break;
  }
  err << "causeway keys: choose new or show\n";
  return kExitUnusable;
}

}  // namespace causeway::app
