// Checkpoints of the audit log (PROTOCOL.md section 7): C2SP signed notes (c2sp.org/signed-note)
// whose text is a C2SP tlog checkpoint (c2sp.org/tlog-checkpoint) with one extension line
// `time <unix seconds>`, Ed25519 log signatures, witness cosignatures (c2sp.org/tlog-cosignature,
// cosignature/v1) and verifier keys ("vkeys"). Pure: text in, text out, byte for byte as the
// specifications write it, so any C2SP tool can read what the relay signs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/core/signature.hpp"

namespace causeway::core {

namespace reason::checkpoint {
// Larger than kMaxNoteBytes: refused before any parsing.
inline constexpr Reason kTooLarge{"checkpoint.too_large"};
// Not UTF-8, or an ASCII control character other than newline (signed-note forbids both).
inline constexpr Reason kBadEncoding{"checkpoint.bad_encoding"};
// No blank line separating the text from signature lines, or no signature line after it.
inline constexpr Reason kNoSignatures{"checkpoint.no_signatures"};
inline constexpr Reason kTooManySignatures{"checkpoint.too_many_signatures"};
// Not "— <key name> <base64>" ending in a newline.
inline constexpr Reason kBadSignatureLine{"checkpoint.bad_signature_line"};
// Empty, or holding a Unicode space or '+'.
inline constexpr Reason kBadKeyName{"checkpoint.bad_key_name"};
// A signature that is not strict base64 of a key ID and at least one signature byte.
inline constexpr Reason kBadSignatureEncoding{"checkpoint.bad_signature_base64"};
inline constexpr Reason kBadOrigin{"checkpoint.bad_origin"};
// The tree size line: not a canonical decimal uint64 (no sign, no leading zero).
inline constexpr Reason kBadSize{"checkpoint.bad_size"};
// The root hash line: not strict base64 of 32 bytes.
inline constexpr Reason kBadRoot{"checkpoint.bad_root"};
// The extension line: not "time " and a canonical decimal uint64; or a cosignature time above 2^63-1.
inline constexpr Reason kBadTime{"checkpoint.bad_time"};
// A line missing from, or a line beyond, origin / size / root / time.
inline constexpr Reason kUnexpectedLine{"checkpoint.unexpected_line"};
// A vkey that is not "<name>+<8 hex digits>+<base64(type ‖ 32-byte key)>" with a matching key ID.
inline constexpr Reason kBadVerifierKey{"checkpoint.bad_verifier_key"};
// A witness (0x04) key given where the log's (0x01) key belongs, or the other way round.
inline constexpr Reason kWrongKeyType{"checkpoint.wrong_key_type"};
// No signature line of the log key (by name and key ID).
inline constexpr Reason kNotSigned{"checkpoint.not_signed"};
// A signature line of the log key that does not verify: the whole note is refused.
inline constexpr Reason kBadSignature{"checkpoint.bad_signature"};
// No cosignature line of the witness key (by name and key ID).
inline constexpr Reason kNotCosigned{"checkpoint.not_cosigned"};
// A cosignature line of the witness key that does not verify, or is not timestamp ‖ signature.
inline constexpr Reason kBadCosignature{"checkpoint.bad_cosignature"};
// Two checkpoints of one origin and tree size with different roots: the log showed two histories.
inline constexpr Reason kEquivocation{"checkpoint.equivocation"};
}  // namespace reason::checkpoint

// Bounds on what parse_signed_note reads. signed-note asks verifiers to accept at least 16
// signatures; 100 is the cap of Go's golang.org/x/mod/sumdb/note.
inline constexpr std::size_t kMaxNoteBytes = 64 * 1024;
inline constexpr std::size_t kMaxNoteSignatures = 100;

// The checkpoint text: four lines, each ending in a newline.
struct CheckpointBody {
  std::string origin;      // the log's identity; the relay uses its log key's name
  std::uint64_t size = 0;  // leaves in the tree
  Hash32 root;             // RFC 6962 root at `size`
  std::uint64_t time = 0;  // unix seconds when the log signed it (PROTOCOL.md section 7)
  friend bool operator==(const CheckpointBody&, const CheckpointBody&) = default;
};

// "<origin>\n<size>\n<base64(root)>\ntime <time>\n".
std::string checkpoint_text(const CheckpointBody& body);
// The strict inverse of checkpoint_text: exactly those four lines, canonical numbers.
Result<CheckpointBody> parse_checkpoint_text(std::string_view text);

// The 4-byte key ID that starts every signature: SHA-256(name ‖ "\n" ‖ type ‖ public key)[:4].
using NoteKeyId = std::array<std::uint8_t, 4>;

// signed-note signature types this code signs and verifies.
enum class NoteKeyType : std::uint8_t {
  kEd25519 = 0x01,        // the log's own signature over the checkpoint text
  kCosignatureV1 = 0x04,  // a witness's timestamped Ed25519 cosignature (tlog-cosignature)
};

NoteKeyId note_key_id(std::string_view name, NoteKeyType type, const Ed25519PublicKey& public_key);
// Non-empty, UTF-8, no Unicode space (Go's unicode.IsSpace) and no '+'.
bool is_valid_key_name(std::string_view name);

// One signature line: the key it names and the bytes after the key ID.
struct NoteSignature {
  std::string key_name;
  NoteKeyId key_id{};
  Bytes signature;
};

// A parsed signed note whose text is a checkpoint. Signatures are not verified here.
struct SignedCheckpoint {
  CheckpointBody body;
  std::string text;  // the signed text, including its final newline
  std::vector<NoteSignature> signatures;
};

// Strict: size, encoding, the blank-line separator, every signature line's shape and base64, and
// the checkpoint text itself. Each refusal carries a checkpoint.* reason.
Result<SignedCheckpoint> parse_signed_note(std::string_view note);

// A verifier key: what an auditor is given, out of band, to check signatures.
struct VerifierKey {
  std::string name;
  NoteKeyId key_id{};
  NoteKeyType type = NoteKeyType::kEd25519;
  Ed25519PublicKey public_key{};
};

// "<name>+<8 lower-case hex digits of the key ID>+<base64(type ‖ public key)>".
std::string vkey_for(std::string_view name, const Ed25519PublicKey& public_key,
                     NoteKeyType type = NoteKeyType::kEd25519);
// Strict inverse of vkey_for; the key ID must be the one the name and key give.
Result<VerifierKey> parse_verifier_key(std::string_view vkey);

// The signed note of `body`: its text, a blank line and one signature line of `key_name`.
Result<std::string> sign_checkpoint(const CheckpointBody& body, std::string_view key_name,
                                    const Ed25519PrivateKey& key);
// Parses `note` and requires a valid signature of `log_key` (an Ed25519, 0x01, key). Signature
// lines of other keys are ignored, as signed-note requires; a line of this key that fails to
// verify refuses the whole note.
Result<SignedCheckpoint> verify_checkpoint(std::string_view note, const VerifierKey& log_key);

// What a cosignature/v1 signs: "cosignature/v1\ntime <timestamp>\n" then the checkpoint text.
std::string cosignature_message(std::string_view checkpoint_text, std::uint64_t timestamp);
// `note` with one more line: the witness's cosignature at `timestamp` (unix seconds, at most
// 2^63-1). A witness checks the log's signature and consistency before it calls this; this
// only signs.
Result<std::string> cosign_checkpoint(std::string_view note, std::string_view witness_name,
                                      const Ed25519PrivateKey& witness_key, std::uint64_t timestamp);
// Requires a valid cosignature of `witness_key` (a 0x04 key) on `checkpoint`; returns its
// timestamp (the latest, if the witness signed more than once).
Result<std::uint64_t> verify_cosignature(const SignedCheckpoint& checkpoint, const VerifierKey& witness_key);

// Fails with kEquivocation when `a` and `b` are of the same origin and tree size but different
// roots. Checkpoints of different origins or sizes never equivocate with each other here (a
// consistency proof decides those).
Result<void> detect_equivocation(const CheckpointBody& a, const CheckpointBody& b);

}  // namespace causeway::core
