// See secret.hpp. OPENSSL_cleanse is used because a plain memset before free may be optimised away.
#include "adapters/evm/secret.hpp"

#include <algorithm>

#include <openssl/crypto.h>

namespace causeway::evm {

SecretBytes::SecretBytes(std::size_t size) : bytes_(size, 0) {}

SecretBytes SecretBytes::copy_of(core::ByteView bytes) {
  SecretBytes out(bytes.size());
  std::copy(bytes.begin(), bytes.end(), out.bytes_.begin());
  return out;
}

SecretBytes SecretBytes::copy_of(std::string_view text) { return copy_of(core::as_bytes(text)); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

void SecretBytes::truncate(std::size_t size) noexcept {
  if (size >= bytes_.size()) return;
  OPENSSL_cleanse(bytes_.data() + size, bytes_.size() - size);
  bytes_.resize(size);  // shrinking never reallocates
}

void SecretBytes::wipe() noexcept {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

}  // namespace causeway::evm
