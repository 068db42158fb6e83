// An exclusive advisory lock on `<store>.lock` (flock LOCK_EX|LOCK_NB) so two relays can never
// write one store; the kernel drops it when the holder dies, even by SIGKILL.
#pragma once

#include <string>

#include "relay/core/result.hpp"

namespace causeway::store {

namespace reason {
// Another process (or another Store in this one) holds the lock; the detail names its pid.
inline constexpr core::Reason kLocked{"store.locked"};
inline constexpr core::Reason kLockFailed{"store.lock_failed"};
}  // namespace reason

class LockFile {
 public:
  LockFile() = default;
  LockFile(LockFile&& other) noexcept;
  LockFile& operator=(LockFile&& other) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile();

  // Takes the lock without waiting and writes this process's pid into the file.
  static core::Result<LockFile> acquire(const std::string& path);
  void release() noexcept;
  bool held() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace causeway::store
