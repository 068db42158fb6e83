// TEST-ONLY in-memory SubmissionJournal: the contract of relay/core/journal.hpp without a disk,
// plus an event log and failure injection for the nonce-manager tests.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "relay/core/journal.hpp"

namespace causeway::test {

class MemoryJournal final : public core::SubmissionJournal {
 public:
  struct Event {
    std::string what;  // "record_signed", "mark_broadcast", ...
    core::Hash32 tx_hash;
  };

  core::Result<void> record_signed_all(std::span<const core::SignedTxRecord> records) override;
  core::Result<void> mark_broadcast_all(std::span<const core::MarkBroadcastRequest> requests) override;
  core::Result<void> mark_confirmed_all(std::span<const core::MarkConfirmedRequest> requests) override;
  core::Result<void> mark_dropped(const core::MarkDroppedRequest& request) override;
  core::Result<std::optional<std::uint64_t>> last_nonce(const core::LastNonceRequest& request) override;
  core::Result<std::vector<core::SignedTxRecord>> pending(const core::PendingRequest& request) override;
  core::Result<std::optional<core::SignedTxRecord>> find(const core::FindRequest& request) override;

  // The next `count` writes fail with journal.storage_failed and change nothing (a call of an
  // *_all method is one write).
  void fail_next_writes(std::size_t count) { failures_ = count; }
  const std::vector<Event>& events() const noexcept { return events_; }
  const std::vector<core::SignedTxRecord>& records() const noexcept { return records_; }
  bool has(const core::Hash32& tx_hash) const;

 private:
  core::Result<void> maybe_fail();
  core::SignedTxRecord* lookup(const core::NonceKey& key, const core::Hash32& tx_hash);

  std::vector<core::SignedTxRecord> records_;  // in insertion order
  std::vector<Event> events_;
  std::size_t failures_ = 0;
};

}  // namespace causeway::test
