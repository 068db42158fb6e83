// C2SP signed notes, checkpoints, cosignatures and vkeys; see checkpoint.hpp.
#include "relay/core/checkpoint.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>

#include "relay/core/base64.hpp"
#include "relay/core/hash.hpp"

namespace causeway::core {
namespace {

namespace rc = reason::checkpoint;

// U+2014 EM DASH and a space: how every signature line starts.
constexpr std::string_view kSignaturePrefix = "\xe2\x80\x94 ";
constexpr std::string_view kTimePrefix = "time ";
constexpr std::string_view kCosignatureHeader = "cosignature/v1\n";
constexpr std::size_t kKeyIdSize = 4;
constexpr std::uint64_t kMaxCosignatureTime = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// Decodes the UTF-8 sequence at `at`; nullopt for anything RFC 3629 forbids (overlong forms,
// surrogates, beyond U+10FFFF, truncation).
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) {
    ++at;
    return lead;
  }
  // Sequence length, the lead byte's payload bits, and the smallest value that needs that length.
  struct Form {
    unsigned char mask, marker;
    std::size_t length;
    char32_t minimum;
  };
  static constexpr Form kForms[] = {{0xe0, 0xc0, 2, 0x80}, {0xf0, 0xe0, 3, 0x800}, {0xf8, 0xf0, 4, 0x10000}};
  const auto form = std::find_if(std::begin(kForms), std::end(kForms),
                                 [&](const Form& f) { return (lead & f.mask) == f.marker; });
  if (form == std::end(kForms) || at + form->length > text.size()) return std::nullopt;
  char32_t value = lead & static_cast<unsigned char>(~form->mask);
  for (std::size_t i = 1; i < form->length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return std::nullopt;
    value = value << 6 | (byte(at + i) & 0x3f);
  }
  if (value < form->minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return std::nullopt;
  at += form->length;
  return value;
}

// Go's unicode.IsSpace, which golang.org/x/mod/sumdb/note applies to key names.
bool is_unicode_space(char32_t c) {
  switch (c) {
    case U'\t': case U'\n': case U'\v': case U'\f': case U'\r': case U' ':
    case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200a;
  }
}

// Valid UTF-8 with no control character but newline, as signed-note requires of a whole note.
Result<void> check_note_encoding(std::string_view text) {
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t start = at;
    const auto c = next_code_point(text, at);
    if (!c) return Error(rc::kBadEncoding, "invalid UTF-8 at byte " + std::to_string(start));
    if (*c < 0x20 && *c != U'\n') {
      return Error(rc::kBadEncoding, "control character at byte " + std::to_string(start));
    }
  }
  return ok();
}

// A canonical decimal uint64: digits only, no leading zero unless it is "0", no overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string key_id_hex(const NoteKeyId& id) { return to_hex(ByteView(id), false); }

// 'text', appended rather than as "'" + std::string(...): GCC 12 at -O3 misreports that
// expression as an overlapping memcpy (-Wrestrict), which -Werror turns into a failed build.
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.append(1, '\'').append(text).append(1, '\'');
  return out;
}

std::string signature_line(std::string_view name, ByteView payload) {
  return std::string(kSignaturePrefix) + std::string(name) + " " + base64_encode(payload) + "\n";
}

Bytes be64(std::uint64_t value) {
  Bytes out(8);
  for (std::size_t i = 0; i < 8; ++i) out[7 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  return out;
}

std::uint64_t read_be64(ByteView bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = value << 8 | bytes[i];
  return value;
}

bool names_key(const NoteSignature& signature, const VerifierKey& key) {
  return signature.key_name == key.name && signature.key_id == key.key_id;
}

Result<NoteSignature> parse_signature_line(std::string_view line, std::size_t number) {
  const std::string where = "signature line " + std::to_string(number);
  if (!line.starts_with(kSignaturePrefix)) {
    return Error(rc::kBadSignatureLine, where + ": does not start with \"— \"");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return Error(rc::kBadSignatureLine, where + ": no signature after the key name");
  const std::string_view name = line.substr(0, space);
  const std::string_view encoded = line.substr(space + 1);
  if (!is_valid_key_name(name)) return Error(rc::kBadKeyName, where + ": " + quoted(name));
  if (encoded.find(' ') != std::string_view::npos) {
    return Error(rc::kBadSignatureLine, where + ": more than two fields");
  }
  auto decoded = base64_decode(encoded);
  if (!decoded) return Error(rc::kBadSignatureEncoding, where + ": " + decoded.error().message());
  if (decoded->size() <= kKeyIdSize) {
    return Error(rc::kBadSignatureEncoding,
                 where + ": " + std::to_string(decoded->size()) + " bytes, no room for a signature");
  }
  NoteSignature out;
  out.key_name = std::string(name);
  std::copy_n(decoded->begin(), kKeyIdSize, out.key_id.begin());
  out.signature.assign(decoded->begin() + kKeyIdSize, decoded->end());
  return out;
}

}  // namespace

std::string checkpoint_text(const CheckpointBody& body) {
  return body.origin + "\n" + std::to_string(body.size) + "\n" + base64_encode(body.root.view()) + "\n" +
         std::string(kTimePrefix) + std::to_string(body.time) + "\n";
}

Result<CheckpointBody> parse_checkpoint_text(std::string_view text) {
  if (!text.ends_with('\n')) return Error(rc::kUnexpectedLine, "the text does not end in a newline");
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  static constexpr std::string_view kLineNames[] = {"origin", "tree size", "root hash", "time"};
  if (lines.size() < std::size(kLineNames)) {
    return Error(rc::kUnexpectedLine, "the " + std::string(kLineNames[lines.size()]) + " line is missing");
  }
  if (lines.size() > std::size(kLineNames)) {
    return Error(rc::kUnexpectedLine, std::to_string(lines.size()) + " lines; a Causeway checkpoint has origin, "
                                      "tree size, root hash and time only");
  }
  CheckpointBody body;
  if (lines[0].empty()) return Error(rc::kBadOrigin, "empty origin line");
  body.origin = std::string(lines[0]);
  const auto size = parse_decimal(lines[1]);
  if (!size) return Error(rc::kBadSize, quoted(lines[1]) + " is not a canonical decimal tree size");
  body.size = *size;
  auto root = base64_decode(lines[2]);
  if (!root) return Error(rc::kBadRoot, root.error().message());
  if (root->size() != Hash32::kSize) return Error(rc::kBadRoot, std::to_string(root->size()) + " bytes, expected 32");
  body.root = Hash32::from(*root).value();
  if (!lines[3].starts_with(kTimePrefix)) return Error(rc::kBadTime, "expected \"time <unix seconds>\"");
  const auto time = parse_decimal(lines[3].substr(kTimePrefix.size()));
  if (!time) return Error(rc::kBadTime, quoted(lines[3]) + " has no canonical decimal time");
  body.time = *time;
  return body;
}

NoteKeyId note_key_id(std::string_view name, NoteKeyType type, const Ed25519PublicKey& public_key) {
  const std::uint8_t separator_and_type[] = {'\n', static_cast<std::uint8_t>(type)};
  const Hash32 digest = sha256({as_bytes(name), ByteView(separator_and_type), ByteView(public_key)});
  NoteKeyId id{};
  std::copy_n(digest.bytes.begin(), id.size(), id.begin());
  return id;
}

bool is_valid_key_name(std::string_view name) {
  if (name.empty() || name.find('+') != std::string_view::npos) return false;
  for (std::size_t at = 0; at < name.size();) {
    const auto c = next_code_point(name, at);
    if (!c || is_unicode_space(*c) || *c < 0x20) return false;
  }
  return true;
}

Result<SignedCheckpoint> parse_signed_note(std::string_view note) {
  if (note.size() > kMaxNoteBytes) {
    return Error(rc::kTooLarge, std::to_string(note.size()) + " bytes, at most " + std::to_string(kMaxNoteBytes));
  }
  CW_CHECK(check_note_encoding(note));
  // The text ends at the last blank line: it may hold blank lines itself, signatures never do.
  const auto blank = note.rfind("\n\n");
  if (blank == std::string_view::npos) return Error(rc::kNoSignatures, "no blank line before signature lines");
  std::string_view signatures = note.substr(blank + 2);
  if (signatures.empty()) return Error(rc::kNoSignatures, "nothing after the blank line");
  if (!signatures.ends_with('\n')) return Error(rc::kBadSignatureLine, "the last signature line has no newline");

  SignedCheckpoint out;
  out.text = std::string(note.substr(0, blank + 1));
  while (!signatures.empty()) {
    if (out.signatures.size() == kMaxNoteSignatures) {
      return Error(rc::kTooManySignatures, "more than " + std::to_string(kMaxNoteSignatures));
    }
    const auto end = signatures.find('\n');
    CW_TRY(auto signature, parse_signature_line(signatures.substr(0, end), out.signatures.size() + 1));
    out.signatures.push_back(std::move(signature));
    signatures.remove_prefix(end + 1);
  }
  CW_TRY(out.body, parse_checkpoint_text(out.text));
  return out;
}

std::string vkey_for(std::string_view name, const Ed25519PublicKey& public_key, NoteKeyType type) {
  Bytes material{static_cast<std::uint8_t>(type)};
  append(material, ByteView(public_key));
  return std::string(name) + "+" + key_id_hex(note_key_id(name, type, public_key)) + "+" + base64_encode(material);
}

Result<VerifierKey> parse_verifier_key(std::string_view vkey) {
  // Names hold no '+' and key IDs are hex, so the first two '+' split the fields; the base64
  // key after them may hold '+' itself.
  const auto first = vkey.find('+');
  const auto second = first == std::string_view::npos ? first : vkey.find('+', first + 1);
  if (second == std::string_view::npos) return Error(rc::kBadVerifierKey, "expected <name>+<key id>+<key>");
  VerifierKey key;
  key.name = std::string(vkey.substr(0, first));
  if (!is_valid_key_name(key.name)) return Error(rc::kBadVerifierKey, "bad key name " + quoted(key.name));
  const std::string_view id_hex = vkey.substr(first + 1, second - first - 1);
  const bool lower_hex = std::all_of(id_hex.begin(), id_hex.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (id_hex.size() != 2 * kKeyIdSize || !lower_hex) {
    return Error(rc::kBadVerifierKey, "key ID " + quoted(id_hex) + " is not 8 lower-case hex digits");
  }
  const Bytes id = from_hex(id_hex).value();
  std::copy(id.begin(), id.end(), key.key_id.begin());
  auto material = base64_decode(vkey.substr(second + 1));
  if (!material) return Error(rc::kBadVerifierKey, "key: " + material.error().message());
  if (material->size() != 1 + key.public_key.size()) {
    return Error(rc::kBadVerifierKey, "key: " + std::to_string(material->size()) + " bytes, expected type and 32");
  }
  const std::uint8_t type = (*material)[0];
  if (type != static_cast<std::uint8_t>(NoteKeyType::kEd25519) &&
      type != static_cast<std::uint8_t>(NoteKeyType::kCosignatureV1)) {
    return Error(rc::kBadVerifierKey, "signature type 0x" + to_hex(ByteView(&type, 1), false) +
                                          " (supported: 01 Ed25519, 04 cosignature/v1)");
  }
  key.type = static_cast<NoteKeyType>(type);
  std::copy(material->begin() + 1, material->end(), key.public_key.begin());
  if (note_key_id(key.name, key.type, key.public_key) != key.key_id) {
    return Error(rc::kBadVerifierKey, "key ID " + std::string(id_hex) + " is not the one of this name and key");
  }
  return key;
}

Result<std::string> sign_checkpoint(const CheckpointBody& body, std::string_view key_name,
                                    const Ed25519PrivateKey& key) {
  if (!is_valid_key_name(key_name)) return Error(rc::kBadKeyName, quoted(key_name));
  if (body.origin.empty() || body.origin.find('\n') != std::string::npos) {
    return Error(rc::kBadOrigin, "the origin must be one non-empty line");
  }
  const std::string text = checkpoint_text(body);
  const auto signature = key.sign(as_bytes(text));
  const auto id = note_key_id(key_name, NoteKeyType::kEd25519, key.public_key());
  Bytes payload(id.begin(), id.end());
  append(payload, ByteView(signature));
  std::string note = text + "\n" + signature_line(key_name, payload);
  // Whatever this signs must parse back: the encoding and size rules hold for the origin too.
  CW_CHECK(parse_signed_note(note));
  return note;
}

Result<SignedCheckpoint> verify_checkpoint(std::string_view note, const VerifierKey& log_key) {
  if (log_key.type != NoteKeyType::kEd25519) {
    return Error(rc::kWrongKeyType, log_key.name + " is a witness key, not a log key");
  }
  CW_TRY(auto checkpoint, parse_signed_note(note));
  bool signed_by_key = false;
  for (const auto& signature : checkpoint.signatures) {
    if (!names_key(signature, log_key)) continue;
    auto verified = verify_ed25519(as_bytes(checkpoint.text), signature.signature, log_key.public_key);
    if (!verified) return Error(rc::kBadSignature, log_key.name + ": " + verified.error().message());
    signed_by_key = true;
  }
  if (!signed_by_key) {
    return Error(rc::kNotSigned, "no signature by " + log_key.name + "+" + key_id_hex(log_key.key_id));
  }
  return checkpoint;
}

std::string cosignature_message(std::string_view checkpoint_text, std::uint64_t timestamp) {
  return std::string(kCosignatureHeader) + std::string(kTimePrefix) + std::to_string(timestamp) + "\n" +
         std::string(checkpoint_text);
}

Result<std::string> cosign_checkpoint(std::string_view note, std::string_view witness_name,
                                      const Ed25519PrivateKey& witness_key, std::uint64_t timestamp) {
  if (!is_valid_key_name(witness_name)) return Error(rc::kBadKeyName, quoted(witness_name));
  if (timestamp > kMaxCosignatureTime) return Error(rc::kBadTime, "cosignature time above 2^63-1");
  CW_TRY(const auto checkpoint, parse_signed_note(note));
  const auto signature = witness_key.sign(as_bytes(cosignature_message(checkpoint.text, timestamp)));
  const auto id = note_key_id(witness_name, NoteKeyType::kCosignatureV1, witness_key.public_key());
  Bytes payload(id.begin(), id.end());
  append(payload, be64(timestamp));
  append(payload, ByteView(signature));
  std::string cosigned = std::string(note) + signature_line(witness_name, payload);
  CW_CHECK(parse_signed_note(cosigned));  // within the size and signature-count limits
  return cosigned;
}

Result<std::uint64_t> verify_cosignature(const SignedCheckpoint& checkpoint, const VerifierKey& witness_key) {
  if (witness_key.type != NoteKeyType::kCosignatureV1) {
    return Error(rc::kWrongKeyType, witness_key.name + " is not a cosignature/v1 (0x04) witness key");
  }
  std::optional<std::uint64_t> latest;
  for (const auto& signature : checkpoint.signatures) {
    if (!names_key(signature, witness_key)) continue;
    const ByteView bytes(signature.signature);
    if (bytes.size() != 8 + 64) {
      return Error(rc::kBadCosignature, witness_key.name + ": " + std::to_string(bytes.size()) +
                                            " bytes, expected timestamp (8) and signature (64)");
    }
    const std::uint64_t timestamp = read_be64(bytes.first(8));
    if (timestamp > kMaxCosignatureTime) return Error(rc::kBadCosignature, witness_key.name + ": time above 2^63-1");
    auto verified = verify_ed25519(as_bytes(cosignature_message(checkpoint.text, timestamp)), bytes.subspan(8),
                                   witness_key.public_key);
    if (!verified) return Error(rc::kBadCosignature, witness_key.name + ": " + verified.error().message());
    latest = std::max(latest.value_or(0), timestamp);
  }
  if (!latest) {
    return Error(rc::kNotCosigned, "no cosignature by " + witness_key.name + "+" + key_id_hex(witness_key.key_id));
  }
  return *latest;
}

Result<void> detect_equivocation(const CheckpointBody& a, const CheckpointBody& b) {
  if (a.origin != b.origin || a.size != b.size || a.root == b.root) return ok();
  return Error(rc::kEquivocation, a.origin + " at tree size " + std::to_string(a.size) + ": root " +
                                      base64_encode(a.root.view()) + " and root " + base64_encode(b.root.view()));
}

}  // namespace causeway::core
