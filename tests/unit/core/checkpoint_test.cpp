// relay/core/checkpoint.cpp: signed notes, checkpoints, cosignatures and vkeys byte for byte
// against values computed independently (Node.js crypto, and Go's sumdb/note documentation
// example), and one named refusal per parser rule, each from one mutation of a valid note.
#include <catch2/catch.hpp>

#include <string>

#include "relay/core/base64.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/hash.hpp"
#include "tests/support/vectors.hpp"

using namespace causeway::core;
using causeway::test::hex;
namespace rc = reason::checkpoint;

namespace {

// Golden values from Node.js 20's crypto (Ed25519 over the text, SHA-256 key IDs), computed
// outside this code base:
//   seed a0a1..bf, name "relay.example/audit", root SHA-256("causeway checkpoint golden root"),
//   size 5, time 1700000000; witness seed c0c1..df, name "witness.example/w1", time 1700000100.
constexpr std::string_view kLogSeed = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
constexpr std::string_view kWitnessSeed = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";
constexpr std::string_view kLogName = "relay.example/audit";
constexpr std::string_view kWitnessName = "witness.example/w1";
constexpr std::string_view kLogVkey = "relay.example/audit+b24dd666+AU/QmczUfXiT3+nsJEFOyw2bVCAjKq0w2RxGW+M8vmXE";
constexpr std::string_view kWitnessVkey =
    "witness.example/w1+5fe8c02e+BN3jvM7H86ZqERX0XXIPTcE1w658TiLco4/bHv1qSV/4";
constexpr std::string_view kGoldenNote =
    "relay.example/audit\n5\nz/sVAxdTf+NZIXXNs5ltM9nC0aRZvxg/qAV08ppmttk=\ntime 1700000000\n\n"
    "\xe2\x80\x94 relay.example/audit "
    "sk3WZnCZX75o1VyStbVpyPDOXePlyEiL99vkUo2Q+aM5RjMdI1cIhl/Gyy+UwGpyVHnW+FZELs+gzqq2xPqOyJazpQs=\n";
constexpr std::string_view kGoldenCosignatureLine =
    "\xe2\x80\x94 witness.example/w1 "
    "X+jALgAAAABlU/FklkLKIT9qccZyqOFuc78CtFqF05rXjdL6NVy4ofT6lfVb+EwrLEsVPC9pnyp5c5VgEKmV1KFU3MyqHFzcMI2XCg==\n";
constexpr std::uint64_t kCosignTime = 1700000100;

Ed25519PrivateKey log_key() { return Ed25519PrivateKey::from_seed(hex(kLogSeed)).value(); }
Ed25519PrivateKey witness_key() { return Ed25519PrivateKey::from_seed(hex(kWitnessSeed)).value(); }
VerifierKey vkey(std::string_view text) { return parse_verifier_key(text).value(); }

CheckpointBody golden_body() {
  return {std::string(kLogName), 5, sha256(as_bytes("causeway checkpoint golden root")), 1700000000};
}

std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto at = out.find(from);
  REQUIRE(at != std::string::npos);
  out.replace(at, from.size(), to);
  return out;
}

Reason parse_error(std::string_view note) {
  auto parsed = parse_signed_note(note);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error().reason();
}

Reason vkey_error(std::string_view text) {
  auto parsed = parse_verifier_key(text);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error().reason();
}

// The golden note with a body line replaced (its signature no longer matches, which parsing
// does not look at).
std::string with_body(std::string_view body) {
  return std::string(body) + std::string(kGoldenNote.substr(kGoldenNote.find("\n\n") + 1));
}

}  // namespace

TEST_CASE("checkpoint text is origin, size, base64 root and the time extension line", "[audit]") {
  CHECK(checkpoint_text(golden_body()) ==
        "relay.example/audit\n5\nz/sVAxdTf+NZIXXNs5ltM9nC0aRZvxg/qAV08ppmttk=\ntime 1700000000\n");
  auto parsed = parse_checkpoint_text(checkpoint_text(golden_body()));
  REQUIRE(parsed.ok());
  CHECK(*parsed == golden_body());
}

TEST_CASE("signed checkpoints match the independently computed note byte for byte", "[audit]") {
  auto note = sign_checkpoint(golden_body(), kLogName, log_key());
  REQUIRE(note.ok());
  CHECK(*note == kGoldenNote);
  CHECK(vkey_for(kLogName, log_key().public_key()) == kLogVkey);
  auto verified = verify_checkpoint(kGoldenNote, vkey(kLogVkey));
  REQUIRE(verified.ok());
  CHECK(verified->body == golden_body());
  REQUIRE(verified->signatures.size() == 1);
  CHECK(verified->signatures[0].key_name == kLogName);
  CHECK(to_hex(ByteView(verified->signatures[0].key_id), false) == "b24dd666");
  CHECK(verified->text == checkpoint_text(golden_body()));
}

TEST_CASE("note key IDs, vkeys and signatures match Go's sumdb/note example", "[audit]") {
  // golang.org/x/mod/sumdb/note's documented PeterNeumann key and signed text.
  const auto skey = base64_decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").value();
  const auto key = Ed25519PrivateKey::from_seed(ByteView(skey).subspan(1)).value();
  CHECK(vkey_for("PeterNeumann", key.public_key()) == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  const std::string text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const auto id = note_key_id("PeterNeumann", NoteKeyType::kEd25519, key.public_key());
  Bytes payload(id.begin(), id.end());
  const auto signature = key.sign(as_bytes(text));
  payload.insert(payload.end(), signature.begin(), signature.end());
  CHECK(base64_encode(payload) ==
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=");
}

TEST_CASE("checkpoints round-trip through signing and parsing", "[audit]") {
  const auto key = Ed25519PrivateKey::generate();
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 40, UINT64_MAX}) {
    const CheckpointBody body{"log.example/é", size, sha256(as_bytes(std::to_string(size))), size / 2};
    auto note = sign_checkpoint(body, "log.example", key);
    REQUIRE(note.ok());
    auto verified = verify_checkpoint(*note, vkey(vkey_for("log.example", key.public_key())));
    REQUIRE(verified.ok());
    CHECK(verified->body == body);
  }
}

TEST_CASE("checkpoint verification ignores other keys and refuses a bad signature of its key", "[audit]") {
  const auto other = Ed25519PrivateKey::generate();
  CHECK(verify_checkpoint(kGoldenNote, vkey(vkey_for(kLogName, other.public_key()))).error().reason() ==
        rc::kNotSigned);
  CHECK(verify_checkpoint(kGoldenNote, vkey(vkey_for("other.example/log", log_key().public_key()))).error().reason() ==
        rc::kNotSigned);
  // A line of another key before the log's own does not matter.
  const auto foreign = std::string(kGoldenNote) + "\xe2\x80\x94 other.example AAAAAAAA\n";
  CHECK(verify_checkpoint(foreign, vkey(kLogVkey)).ok());
  // One changed signature byte (still valid base64): the log key's line fails, the note is refused.
  const auto forged = replace(kGoldenNote, "sk3WZnCZX75o", "sk3WZnCZX75p");
  CHECK(verify_checkpoint(forged, vkey(kLogVkey)).error().reason() == rc::kBadSignature);
  // A changed body under the old signature.
  CHECK(verify_checkpoint(replace(kGoldenNote, "\n5\n", "\n6\n"), vkey(kLogVkey)).error().reason() ==
        rc::kBadSignature);
  // The right name and ID with another public key: the ID is only a hint, the key decides.
  VerifierKey impostor = vkey(kLogVkey);
  impostor.public_key = other.public_key();
  CHECK(verify_checkpoint(kGoldenNote, impostor).error().reason() == rc::kBadSignature);
  CHECK(verify_checkpoint(kGoldenNote, vkey(kWitnessVkey)).error().reason() == rc::kWrongKeyType);
}

TEST_CASE("signed-note parsing names each malformed note", "[audit]") {
  CHECK(parse_signed_note(kGoldenNote).ok());
  CHECK(parse_error(std::string(kGoldenNote) + std::string(kMaxNoteBytes, 'a')) == rc::kTooLarge);
  CHECK(parse_error(replace(kGoldenNote, "relay.example", "relay.\xff" "example")) == rc::kBadEncoding);
  CHECK(parse_error(replace(kGoldenNote, "relay.example", "relay.\xc0\xae" "example")) == rc::kBadEncoding);  // overlong
  CHECK(parse_error(replace(kGoldenNote, "\n5\n", "\n5\r\n")) == rc::kBadEncoding);
  CHECK(parse_error(replace(kGoldenNote, "\n\n", "\n")) == rc::kNoSignatures);
  CHECK(parse_error(std::string(kGoldenNote.substr(0, kGoldenNote.find("\n\n") + 2))) == rc::kNoSignatures);
  CHECK(parse_error(kGoldenNote.substr(0, kGoldenNote.size() - 1)) == rc::kBadSignatureLine);
  CHECK(parse_error(replace(kGoldenNote, "\xe2\x80\x94 ", "-- ")) == rc::kBadSignatureLine);
  CHECK(parse_error(replace(kGoldenNote, "\xe2\x80\x94 relay.example/audit ", "\xe2\x80\x94 relay.example/audit")) ==
        rc::kBadSignatureLine);
  CHECK(parse_error(replace(kGoldenNote, "pQs=\n", "pQs= extra\n")) == rc::kBadSignatureLine);
  CHECK(parse_error(replace(kGoldenNote, "\xe2\x80\x94 relay.example/audit", "\xe2\x80\x94 relay+example")) ==
        rc::kBadKeyName);
  CHECK(parse_error(replace(kGoldenNote, "\xe2\x80\x94 relay.example/audit", "\xe2\x80\x94 relay\xc2\xa0" "example")) ==
        rc::kBadKeyName);
  CHECK(parse_error(replace(kGoldenNote, "sk3WZnCZX75o", "sk3WZnCZX75!")) == rc::kBadSignatureEncoding);
  CHECK(parse_error(replace(kGoldenNote, "pQs=\n", "pQt=\n")) == rc::kBadSignatureEncoding);  // non-canonical
  CHECK(parse_error(with_body(checkpoint_text(golden_body())) + "\xe2\x80\x94 k AAAA\n") == rc::kBadSignatureEncoding);
  std::string crowded(kGoldenNote);
  for (std::size_t i = 0; i < kMaxNoteSignatures; ++i) crowded += "\xe2\x80\x94 k AAAAAAA=\n";
  CHECK(parse_error(crowded) == rc::kTooManySignatures);
}

TEST_CASE("checkpoint text parsing names each malformed line", "[audit]") {
  const std::string root_line = "z/sVAxdTf+NZIXXNs5ltM9nC0aRZvxg/qAV08ppmttk=";
  CHECK(parse_error(with_body("\n5\n" + root_line + "\ntime 1\n")) == rc::kBadOrigin);
  CHECK(parse_error(with_body("o\n05\n" + root_line + "\ntime 1\n")) == rc::kBadSize);
  CHECK(parse_error(with_body("o\n-5\n" + root_line + "\ntime 1\n")) == rc::kBadSize);
  CHECK(parse_error(with_body("o\n18446744073709551616\n" + root_line + "\ntime 1\n")) == rc::kBadSize);
  CHECK(parse_error(with_body("o\n\n" + root_line + "\ntime 1\n")) == rc::kBadSize);
  CHECK(parse_error(with_body("o\n5\nz/sVAxdTf+NZIXXNs5ltM9nC0aRZvxg/qAV08ppmtg==\ntime 1\n")) == rc::kBadRoot);  // 31 bytes
  CHECK(parse_error(with_body("o\n5\nz/sVAxdTf+NZIXXNs5ltM9nC0aRZvxg/qAV08ppmttl=\ntime 1\n")) == rc::kBadRoot);
  CHECK(parse_error(with_body("o\n5\n" + root_line + "\ntime 01\n")) == rc::kBadTime);
  CHECK(parse_error(with_body("o\n5\n" + root_line + "\nTime 1\n")) == rc::kBadTime);
  CHECK(parse_error(with_body("o\n5\n" + root_line + "\ntime \n")) == rc::kBadTime);
  CHECK(parse_error(with_body("o\n5\n" + root_line + "\n")) == rc::kUnexpectedLine);
  CHECK(parse_error(with_body("o\n5\n" + root_line + "\ntime 1\nextra\n")) == rc::kUnexpectedLine);
  // The tlog-checkpoint specification's own example has no time line: not a Causeway checkpoint.
  CHECK(parse_error("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
                    "\xe2\x80\x94 example.com/behind-the-sofa "
                    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n") ==
        rc::kUnexpectedLine);
}

TEST_CASE("signing refuses key names and origins a note cannot carry", "[audit]") {
  auto body = golden_body();
  CHECK(sign_checkpoint(body, "", log_key()).error().reason() == rc::kBadKeyName);
  CHECK(sign_checkpoint(body, "a b", log_key()).error().reason() == rc::kBadKeyName);
  CHECK(sign_checkpoint(body, "a+b", log_key()).error().reason() == rc::kBadKeyName);
  body.origin = "two\nlines";
  CHECK(sign_checkpoint(body, kLogName, log_key()).error().reason() == rc::kBadOrigin);
  body.origin = "tab\there";
  CHECK(sign_checkpoint(body, kLogName, log_key()).error().reason() == rc::kBadEncoding);
}

TEST_CASE("verifier keys parse strictly and must carry their own key ID", "[audit]") {
  const auto key = vkey(kLogVkey);
  CHECK(key.name == kLogName);
  CHECK(key.type == NoteKeyType::kEd25519);
  CHECK(key.public_key == log_key().public_key());
  CHECK(vkey(kWitnessVkey).type == NoteKeyType::kCosignatureV1);
  CHECK(vkey_error(replace(kLogVkey, "+b24dd666+", "+b24dd667+")) == rc::kBadVerifierKey);
  CHECK(vkey_error(replace(kLogVkey, "+b24dd666+", "+B24DD666+")) == rc::kBadVerifierKey);
  CHECK(vkey_error(replace(kLogVkey, "+b24dd666+", "+b24dd66+")) == rc::kBadVerifierKey);
  CHECK(vkey_error(replace(kLogVkey, "relay.example/audit+", "relay example+")) == rc::kBadVerifierKey);
  CHECK(vkey_error("relay.example/audit+b24dd666") == rc::kBadVerifierKey);
  CHECK(vkey_error(std::string(kLogVkey) + "+x") == rc::kBadVerifierKey);
  CHECK(vkey_error(replace(kLogVkey, "+AU/Q", "+Ak/Q")) == rc::kBadVerifierKey);  // type 0x02
  CHECK(vkey_error(replace(kLogVkey, "vmXE", "vg==")) == rc::kBadVerifierKey);    // 31 bytes, not 33
}

TEST_CASE("witness cosignatures match the independently computed line and verify", "[audit]") {
  auto cosigned = cosign_checkpoint(kGoldenNote, kWitnessName, witness_key(), kCosignTime);
  REQUIRE(cosigned.ok());
  CHECK(*cosigned == std::string(kGoldenNote) + std::string(kGoldenCosignatureLine));
  CHECK(vkey_for(kWitnessName, witness_key().public_key(), NoteKeyType::kCosignatureV1) == kWitnessVkey);
  CHECK(cosignature_message("a\n", 7) == "cosignature/v1\ntime 7\na\n");

  auto checkpoint = verify_checkpoint(*cosigned, vkey(kLogVkey));  // the log's signature still verifies
  REQUIRE(checkpoint.ok());
  auto timestamp = verify_cosignature(*checkpoint, vkey(kWitnessVkey));
  REQUIRE(timestamp.ok());
  CHECK(*timestamp == kCosignTime);
}

TEST_CASE("cosignature verification names missing, forged and misused witness signatures", "[audit]") {
  const auto plain = parse_signed_note(kGoldenNote).value();
  CHECK(verify_cosignature(plain, vkey(kWitnessVkey)).error().reason() == rc::kNotCosigned);
  CHECK(verify_cosignature(plain, vkey(kLogVkey)).error().reason() == rc::kWrongKeyType);
  // The witness's key used as a plain Ed25519 signer does not count as its cosignature.
  const auto other = Ed25519PrivateKey::generate();
  auto by_other = cosign_checkpoint(kGoldenNote, kWitnessName, other, kCosignTime).value();
  CHECK(verify_cosignature(parse_signed_note(by_other).value(), vkey(kWitnessVkey)).error().reason() ==
        rc::kNotCosigned);
  // A changed timestamp under the old signature.
  const std::string line(kGoldenCosignatureLine);
  const auto retimed = replace(line, "AAAABlU/Fk", "AAAABlU/Fl");
  CHECK(verify_cosignature(parse_signed_note(std::string(kGoldenNote) + retimed).value(), vkey(kWitnessVkey))
            .error()
            .reason() == rc::kBadCosignature);
  // The key ID alone, without timestamp and signature.
  CHECK(verify_cosignature(parse_signed_note(std::string(kGoldenNote) + "\xe2\x80\x94 witness.example/w1 X+jALgA=\n")
                               .value(),
                           vkey(kWitnessVkey))
            .error()
            .reason() == rc::kBadCosignature);
  CHECK(cosign_checkpoint(kGoldenNote, kWitnessName, witness_key(), std::uint64_t{1} << 63).error().reason() ==
        rc::kBadTime);
  CHECK(cosign_checkpoint(kGoldenNote, "bad name", witness_key(), kCosignTime).error().reason() == rc::kBadKeyName);
}

TEST_CASE("equivocation is two roots for one origin and tree size", "[audit]") {
  const auto a = golden_body();
  auto b = a;
  b.root = sha256(as_bytes("another history"));
  auto found = detect_equivocation(a, b);
  REQUIRE_FALSE(found.ok());
  CHECK(found.error().reason() == rc::kEquivocation);
  CHECK(detect_equivocation(a, a).ok());
  auto later = b;
  later.size = a.size + 1;
  CHECK(detect_equivocation(a, later).ok());
  auto elsewhere = b;
  elsewhere.origin = "another.example/log";
  CHECK(detect_equivocation(a, elsewhere).ok());
  auto retimed = a;
  retimed.time += 60;
  CHECK(detect_equivocation(a, retimed).ok());  // re-signing one tree later is not equivocation
}
