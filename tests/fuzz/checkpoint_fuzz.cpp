// libFuzzer target for the audit log's text decoders: C2SP signed notes, checkpoint text,
// verifier keys and base64. None may crash, and each is canonical: whatever a decoder accepts,
// the matching encoder writes back byte for byte (so one value never has two accepted texts).
//
// Input: [mode] then the text. mode % 3 == 0: signed note; 1: vkey; 2: base64.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "relay/core/base64.hpp"
#include "relay/core/checkpoint.hpp"

namespace {

using namespace causeway::core;

void require(bool condition) {
  if (!condition) std::abort();
}

const VerifierKey& fixed_log_key() {
  static const VerifierKey key = [] {
    const auto seed = Bytes(32, 0x5a);
    const auto signer = Ed25519PrivateKey::from_seed(seed).value();
    return parse_verifier_key(vkey_for("fuzz.example/log", signer.public_key())).value();
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto note = parse_signed_note(text);
      if (note) {
        require(checkpoint_text(note->body) == note->text);
        require(!note->signatures.empty() && note->signatures.size() <= kMaxNoteSignatures);
        // Verification of whatever parsed must only ever answer, never crash.
        (void)verify_checkpoint(text, fixed_log_key());
      }
      break;
    }
    case 1: {
      auto key = parse_verifier_key(text);
      if (key) require(vkey_for(key->name, key->public_key, key->type) == text);
      break;
    }
    default: {
      auto decoded = base64_decode(text);
      if (decoded) require(base64_encode(*decoded) == text);
      break;
    }
  }
  return 0;
}
