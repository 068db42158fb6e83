// `causeway keys`: make and inspect the relay's key files (DESIGN.md sections 3 and 5). `new`
// writes a fresh key as an Ethereum V3 keystore (scrypt, AES-128-CTR; mode 0600, never over an
// existing file); `show` prints a key file's address. With --pkcs11-module both work on a PKCS#11
// token instead: `new` generates a non-extractable secp256k1 key pair on it, `show` reads a key
// pair's address. Both print the address only: key material never reaches the terminal, and the
// password or PIN comes from a file or an environment variable, never the command line (where ps
// and shell history would keep it).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "adapters/evm/keystore.hpp"
#include "adapters/evm/pkcs11_signer.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

enum class KeysAction : std::uint8_t { kNone, kNew, kShow };

// What the command line asked for; add_keys_command fills it, tests may build it directly.
struct KeysOptions {
  KeysAction action = KeysAction::kNone;
  std::string out{};            // new: the keystore file to write
  std::string file{};           // show: a keystore or (development) raw key file
  std::string password_file{};  // first line is the password
  std::string password_env{};   // an environment variable holding it
  // new and show: a key pair on a PKCS#11 token instead of a file, when pkcs11.module is set.
  evm::Pkcs11KeySpec pkcs11{};
  // new: scrypt cost and fixed salts; only tests change them (cheap keys), never the command line.
  evm::KeystoreWriteOptions write{};
};

// Registers `keys new` and `keys show` under `app`; each sets options.action when chosen.
void add_keys_command(CLI::App& app, KeysOptions& options);

// The address (EIP-55) on `out`, one line; failures on `err`. Exit 0 done; 1 the key could not be
// written or read (an existing file, a wrong password, a damaged keystore, a token refusing);
// 2 unusable input (no password or PIN source, or two; a file and a token, or neither).
int run_keys_command(const KeysOptions& options, std::ostream& out, std::ostream& err);

}  // namespace causeway::app
