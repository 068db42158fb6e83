// Loading the outside test vectors (../shared/vectors or $CAUSEWAY_VECTORS) and reporting how
// many cases each suite executed. Missing vectors skip loudly, or fail under
// CAUSEWAY_REQUIRE_VECTORS=1 (what CI sets).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"

namespace causeway::test {
using namespace causeway::core;

std::filesystem::path vectors_dir();
// The parsed file, or nullopt after a loud skip (a test failure when vectors are required).
std::optional<nlohmann::json> load_json_vector(std::string_view relative_path);
std::optional<Bytes> load_binary_vector(std::string_view relative_path);
// Prints "[vectors] <suite>: <n> cases executed" and fails the test when n is 0.
void report_cases(std::string_view suite, std::size_t executed);
// Hex with or without 0x, as the vector files mix both; fails the test on bad hex.
Bytes hex(std::string_view text);

}  // namespace causeway::test
