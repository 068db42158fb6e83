// Secret byte strings (passwords, derived keys, raw key material): wiped on destruction and on move,
// never copied implicitly, never printable (STYLE.md habit 6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string_view>
#include <vector>

#include "relay/core/bytes.hpp"

namespace causeway::evm {

class SecretBytes {
 public:
  SecretBytes() = default;
  // Zero-filled, of a fixed size: the storage is allocated once so it never moves and leaves
  // unwiped copies behind.
  explicit SecretBytes(std::size_t size);
  static SecretBytes copy_of(core::ByteView bytes);
  static SecretBytes copy_of(std::string_view text);

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  std::uint8_t* data() noexcept { return bytes_.data(); }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  core::ByteView view() const noexcept { return {bytes_.data(), bytes_.size()}; }
  // Shortens without reallocating (e.g. to drop a trailing newline); the tail is wiped.
  void truncate(std::size_t size) noexcept;
  void wipe() noexcept;

  friend std::ostream& operator<<(std::ostream&, const SecretBytes&) = delete;

 private:
  std::vector<std::uint8_t> bytes_;
};

// A keystore password, as bytes (UTF-8 as given; no normalisation).
using Password = SecretBytes;

}  // namespace causeway::evm
