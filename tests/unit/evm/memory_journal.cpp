// See memory_journal.hpp.
#include "tests/unit/evm/memory_journal.hpp"

#include <algorithm>

namespace causeway::test {

namespace rj = core::reason::journal;
using core::Error;
using core::SubmissionState;

core::Result<void> MemoryJournal::maybe_fail() {
  if (failures_ == 0) return core::ok();
  --failures_;
  return Error(rj::kStorageFailed, "injected");
}

core::SignedTxRecord* MemoryJournal::lookup(const core::NonceKey& key, const core::Hash32& tx_hash) {
  for (auto& r : records_) {
    if (r.key == key && r.tx_hash == tx_hash) return &r;
  }
  return nullptr;
}

bool MemoryJournal::has(const core::Hash32& tx_hash) const {
  return std::any_of(records_.begin(), records_.end(), [&](const auto& r) { return r.tx_hash == tx_hash; });
}

core::Result<void> MemoryJournal::record_signed_all(std::span<const core::SignedTxRecord> records) {
  CW_CHECK(maybe_fail());
  const std::size_t before = records_.size();
  for (const auto& record : records) {
    core::Result<void> checked = core::ok();
    if (has(record.tx_hash)) {
      checked = Error(rj::kDuplicateTransaction);
    } else if (record.replaces) {
      const auto* old = lookup(record.key, *record.replaces);
      if (old == nullptr || old->nonce != record.nonce || !core::is_live(old->state)) {
        checked = Error(rj::kBadReplacement);
      }
    }
    if (!checked) {
      records_.resize(before);  // all or none
      return checked;
    }
    records_.push_back(record);
    records_.back().state = SubmissionState::kSigned;
  }
  for (const auto& record : records) events_.push_back({"record_signed", record.tx_hash});
  return core::ok();
}

core::Result<void> MemoryJournal::mark_broadcast_all(std::span<const core::MarkBroadcastRequest> requests) {
  CW_CHECK(maybe_fail());
  // All or none: every request is checked before any changes.
  for (const auto& request : requests) {
    const auto* r = lookup(request.key, request.tx_hash);
    if (r == nullptr) return Error(rj::kUnknownTransaction);
    if (!core::is_live(r->state)) return Error(rj::kBadTransition, std::string(core::to_string(r->state)));
  }
  for (const auto& request : requests) {
    lookup(request.key, request.tx_hash)->state = SubmissionState::kBroadcast;
    events_.push_back({"mark_broadcast", request.tx_hash});
  }
  return core::ok();
}

core::Result<void> MemoryJournal::mark_confirmed_all(std::span<const core::MarkConfirmedRequest> requests) {
  CW_CHECK(maybe_fail());
  const auto before = records_;  // all or none: a later request may find an earlier one's sibling replaced
  for (const auto& request : requests) {
    auto* r = lookup(request.key, request.tx_hash);
    if (r == nullptr || !core::is_live(r->state)) {
      records_ = before;
      if (r == nullptr) return Error(rj::kUnknownTransaction);
      return Error(rj::kBadTransition, std::string(core::to_string(r->state)));
    }
    for (auto& other : records_) {
      if (other.key == request.key && other.nonce == r->nonce && core::is_live(other.state)) {
        other.state = SubmissionState::kReplaced;
      }
    }
    r->state = SubmissionState::kConfirmed;
  }
  for (const auto& request : requests) events_.push_back({"mark_confirmed", request.tx_hash});
  return core::ok();
}

core::Result<void> MemoryJournal::mark_dropped(const core::MarkDroppedRequest& request) {
  CW_CHECK(maybe_fail());
  auto* r = lookup(request.key, request.tx_hash);
  if (r == nullptr) return Error(rj::kUnknownTransaction);
  if (!core::is_live(r->state)) return Error(rj::kBadTransition, std::string(core::to_string(r->state)));
  r->state = SubmissionState::kDropped;
  events_.push_back({"mark_dropped", request.tx_hash});
  return core::ok();
}

core::Result<std::optional<std::uint64_t>> MemoryJournal::last_nonce(const core::LastNonceRequest& request) {
  std::optional<std::uint64_t> out;
  for (const auto& r : records_) {
    if (r.key == request.key && (!out || r.nonce > *out)) out = r.nonce;
  }
  return out;
}

core::Result<std::vector<core::SignedTxRecord>> MemoryJournal::pending(const core::PendingRequest& request) {
  std::vector<core::SignedTxRecord> out;
  for (const auto& r : records_) {
    if (r.key == request.key && core::is_live(r.state)) out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.nonce < b.nonce; });
  return out;
}

core::Result<std::optional<core::SignedTxRecord>> MemoryJournal::find(const core::FindRequest& request) {
  if (const auto* r = lookup(request.key, request.tx_hash)) return std::optional<core::SignedTxRecord>(*r);
  return std::optional<core::SignedTxRecord>{};
}

}  // namespace causeway::test
