// A fresh directory under the system temp dir for one test, removed with everything in it at scope
// exit: the one way tests get scratch files.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace causeway::test {

class TempDir {
 public:
  // `prefix` names the directory (causeway-PREFIX-XXXXXX) so a leftover one says which test made it.
  explicit TempDir(const std::string& prefix = "test") {
    std::string pattern = (std::filesystem::temp_directory_path() / ("causeway-" + prefix + "-XXXXXX")).string();
    // Catch2 reports the exception as the test's failure.
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& relative) const { return path_ / relative; }
  // The path of `relative` inside, as a string; nothing is created.
  std::string file(const std::string& relative) const { return (path_ / relative).string(); }
  // Writes `text` to `relative` (parent directories created), with `mode` when given; its path.
  std::string write(const std::string& relative, const std::string& text,
                    std::optional<std::filesystem::perms> mode = std::nullopt) const {
    const auto target = path_ / relative;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << text;
    if (mode) std::filesystem::permissions(target, *mode, std::filesystem::perm_options::replace);
    return target.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace causeway::test
