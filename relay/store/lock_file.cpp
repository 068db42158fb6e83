// See lock_file.hpp.
#include "relay/store/lock_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace causeway::store {

using core::Error;
using core::Result;

namespace {

// The holder's pid as written by acquire(), or empty when the file holds none (yet).
std::string read_holder(int fd) {
  char buffer[32] = {};
  const ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return {};
  std::string text(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char c : text) {
    if (c < '0' || c > '9') return {};
  }
  return text;
}

}  // namespace

LockFile::LockFile(LockFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

LockFile::~LockFile() { release(); }

Result<LockFile> LockFile::acquire(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error(reason::kLockFailed, path + ": " + std::strerror(errno));
  LockFile lock;
  lock.fd_ = fd;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      const auto holder = read_holder(fd);
      return Error(reason::kLocked, path + " is held by " + (holder.empty() ? "another process" : "pid " + holder) +
                                        ": another relay is using this store");
    }
    return Error(reason::kLockFailed, path + ": " + std::strerror(err));
  }
  // The pid is informative only (the flock is the lock), so a failed write is not fatal.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return lock;
}

void LockFile::release() noexcept {
  if (fd_ < 0) return;
  // Clear the pid before unlocking so nobody reads a stale holder; the file itself stays, because
  // unlinking a lock file races with a process that has just opened it.
  (void)!::ftruncate(fd_, 0);
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace causeway::store
