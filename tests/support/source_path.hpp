// Files of the source tree (fixtures, schemas, scripts) as tests find them: under
// $CAUSEWAY_SOURCE_DIR, which every ctest test gets, else relative to this header — which only
// works when the compiler saw it by an absolute path (a test binary run by hand from its build dir).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace causeway::test {

inline std::filesystem::path source_path(std::string_view relative) {
  if (const char* source = std::getenv("CAUSEWAY_SOURCE_DIR"); source != nullptr && *source != '\0') {
    return std::filesystem::path(source) / relative;
  }
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / relative;
}

}  // namespace causeway::test
