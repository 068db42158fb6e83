// Base64 (RFC 4648 section 4: the standard alphabet, with padding), as C2SP signed notes and
// checkpoints use it. Decoding is strict so that one byte string has exactly one accepted text:
// a signed note whose signature decodes two ways would make equal notes compare unequal.
#pragma once

#include <string>
#include <string_view>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::core {

namespace reason::base64 {
// A character outside A-Z a-z 0-9 + / (and '=' only as trailing padding); includes whitespace.
inline constexpr Reason kBadCharacter{"base64.bad_character"};
// Not a whole number of 4-character groups.
inline constexpr Reason kBadLength{"base64.bad_length"};
// '=' anywhere but the last one or two places, or three of them.
inline constexpr Reason kBadPadding{"base64.bad_padding"};
// The bits the last group does not need are not zero, so a second text decodes to these bytes.
inline constexpr Reason kNonCanonical{"base64.non_canonical"};
}  // namespace reason::base64

std::string base64_encode(ByteView bytes);
Result<Bytes> base64_decode(std::string_view text);

}  // namespace causeway::core
