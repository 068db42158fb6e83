// See vectors.hpp.
#include "tests/support/vectors.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace causeway::test {
namespace {

bool vectors_required() {
  const char* flag = std::getenv("CAUSEWAY_REQUIRE_VECTORS");
  return flag != nullptr && std::string(flag) == "1";
}

std::optional<std::filesystem::path> locate(std::string_view relative_path) {
  auto path = vectors_dir() / std::filesystem::path(relative_path);
  if (std::filesystem::exists(path)) return path;
  const std::string message = "test vectors not found: " + path.string();
  if (vectors_required()) FAIL(message + " (CAUSEWAY_REQUIRE_VECTORS=1)");
  WARN("SKIPPED: " + message);
  std::fprintf(stderr, "[vectors] SKIPPED: %s\n", message.c_str());
  return std::nullopt;
}

}  // namespace

std::filesystem::path vectors_dir() {
  if (const char* env = std::getenv("CAUSEWAY_VECTORS"); env != nullptr && *env != '\0') return env;
  return std::filesystem::path("..") / "shared" / "vectors";
}

std::optional<nlohmann::json> load_json_vector(std::string_view relative_path) {
  auto path = locate(relative_path);
  if (!path) return std::nullopt;
  std::ifstream in(*path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

std::optional<Bytes> load_binary_vector(std::string_view relative_path) {
  auto path = locate(relative_path);
  if (!path) return std::nullopt;
  std::ifstream in(*path, std::ios::binary);
  REQUIRE(in.good());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void report_cases(std::string_view suite, std::size_t executed) {
  std::printf("[vectors] %.*s: %zu cases executed\n", static_cast<int>(suite.size()), suite.data(), executed);
  std::fflush(stdout);
  CHECK(executed > 0);
}

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  if (!bytes) FAIL("bad hex in test data: " << bytes.error().message());
  return std::move(bytes).value();
}

}  // namespace causeway::test
