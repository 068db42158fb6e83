// EVM source: head polling, bounded eth_getLogs scans, bundle building and the reorg-aware cursor.
#include "adapters/evm/source.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/evm/bloom.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/mpt.hpp"
#include "relay/net/error.hpp"
#include "relay/net/parallel.hpp"
#include "relay/verify/evm_header.hpp"
#include "relay/verify/inclusion.hpp"

namespace causeway::evm {

using boost::asio::awaitable;
using core::Error;
using core::Result;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Nodes word a result cap differently (geth/Infura "query returned more than 10000 results",
// Besu "exceeds maximum range limit", Alchemy "log response size exceeded", others -32005
// "limit exceeded"); our own reply bound counts too. All mean: ask for fewer blocks.
bool too_many_results(const Error& error) {
  if (error.reason() == net::reason::kReplyTooLarge) return true;
  if (error.reason() != net::reason::kRpcError && error.reason() != net::reason::kRpcRateLimited) return false;
  const std::string text = lower(error.detail());
  for (std::string_view needle : {"too many", "more than", "range", "limit exceeded", "exceed", "too large",
                                  "response size"}) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

// How a node says it does not offer a method: JSON-RPC -32601, or a plain "not supported".
bool method_absent(const Error& error) {
  if (error.reason() == net::reason::kRpcMethodNotFound) return true;
  return error.reason() == net::reason::kRpcError && lower(error.detail()).find("not supported") != std::string::npos;
}

// The node's raw header RLP for the block whose hash is `expected`. With kPlainKeccak the hash
// must be keccak(raw); with kEngineSpecific the source has no engine hash, so, as for JSON headers,
// the verifier's engine-specific hash over these bytes decides.
Result<RebuiltHeader> header_from_raw(core::Bytes raw, const core::Hash32& expected, HeaderHashRule rule) {
  auto decoded = verify::decode_evm_header(raw);
  if (!decoded) return Error(reason::source::kRawHeaderMismatch, "not a header: " + decoded.error().message());
  RebuiltHeader out;
  out.hash = expected;
  out.field_count = decoded->field_count;
  out.number = decoded->number;
  out.timestamp = decoded->timestamp;
  out.parent_hash = verify::to_hash32(decoded->parent_hash);
  out.receipts_root = verify::to_hash32(decoded->receipts_root);
  if (rule == HeaderHashRule::kPlainKeccak) {
    const core::Hash32 actual = core::keccak256(raw);
    if (actual != expected) {
      return Error(reason::source::kRawHeaderMismatch,
                   "keccak of the raw header is " + core::to_hex(actual) + ", the block is " + core::to_hex(expected));
    }
    out.hash_checked = true;
  }
  out.rlp = std::move(raw);
  return out;
}

Error log_error(std::size_t index, const Error& cause) {
  return Error(reason::source::kBadLog, "logs[" + std::to_string(index) + "]: " + cause.message());
}

// What eth_getLogs is asked for besides the range and the gateway: per topic position, the values
// accepted (empty: any). The node's answer is checked against it too.
struct LogFilter {
  std::array<std::vector<core::Hash32>, 4> topics;

  // The JSON-RPC form: one value as a string, several as an array, "any" as null, trailing "any"
  // positions left out.
  Json to_json() const {
    std::size_t used = topics.size();
    while (used > 0 && topics[used - 1].empty()) --used;
    Json out = Json::array();
    for (std::size_t i = 0; i < used; ++i) {
      if (topics[i].empty()) {
        out.push_back(nullptr);
      } else if (topics[i].size() == 1) {
        out.push_back(core::to_hex(topics[i].front()));
      } else {
        Json any = Json::array();
        for (const auto& topic : topics[i]) any.push_back(core::to_hex(topic));
        out.push_back(std::move(any));
      }
    }
    return out;
  }
  bool accepts(std::size_t position, const core::Hash32& topic) const {
    const auto& wanted = topics[position];
    return wanted.empty() || std::find(wanted.begin(), wanted.end(), topic) != wanted.end();
  }
};

// One eth_getLogs entry, checked strictly: a MessageSent or MessageExecuted of the configured
// gateway (both have 4 topics) that matches the filter asked for.
Result<LocatedEvent> parse_log(const Json& log, std::size_t index, const core::Address& gateway,
                               const LogFilter& filter) {
  const std::string where = "logs[" + std::to_string(index) + "]";
  auto field = [&](std::string_view name) { return json_member(log, name, where); };
  auto named = [&](std::string_view name) { return where + "." + std::string(name); };

  auto address_json = field("address");
  if (!address_json) return log_error(index, address_json.error());
  auto address = data_fixed<core::Address>(**address_json, named("address"));
  if (!address) return log_error(index, address.error());
  if (*address != gateway) return Error(reason::source::kBadLog, named("address") + " is not the gateway");

  auto topics_json = field("topics");
  if (!topics_json) return log_error(index, topics_json.error());
  if (!(*topics_json)->is_array() || (*topics_json)->size() != 4) {
    return Error(reason::source::kBadLog, named("topics") + ": gateway events have 4 topics");
  }
  std::array<core::Hash32, 4> topics;
  for (std::size_t t = 0; t < topics.size(); ++t) {
    const std::string name = named("topics[" + std::to_string(t) + "]");
    auto topic = data_fixed<core::Hash32>((**topics_json)[t], name);
    if (!topic) return log_error(index, topic.error());
    if (!filter.accepts(t, *topic)) return Error(reason::source::kBadLog, name + " is not what the filter asked for");
    topics[t] = *topic;
  }

  LocatedEvent event;
  if (topics[0] == core::kMessageSentTopic) {
    event.kind = EventKind::kMessageSent;
  } else if (topics[0] == core::kMessageExecutedTopic) {
    event.kind = EventKind::kMessageExecuted;
  } else {
    return Error(reason::source::kBadLog, named("topics[0]") + " is not a gateway event");
  }
  event.id = core::MessageId{topics[1].bytes};
  struct Quantity {
    std::string_view name;
    std::uint64_t* out;
  };
  std::uint64_t tx_index = 0;
  for (const Quantity q : {Quantity{"blockNumber", &event.block.number}, Quantity{"transactionIndex", &tx_index},
                           Quantity{"logIndex", &event.block_log_index}}) {
    auto value = field(q.name);
    if (!value) return log_error(index, value.error());
    auto number = quantity_u64(**value, named(q.name));
    if (!number) return log_error(index, number.error());
    *q.out = *number;
  }
  if (tx_index > 0xffffffffu) return Error(reason::source::kBadLog, named("transactionIndex") + " beyond 32 bits");
  event.tx_index = static_cast<std::uint32_t>(tx_index);
  for (auto [name, out] : {std::pair<std::string_view, core::Hash32*>{"blockHash", &event.block.hash},
                           std::pair<std::string_view, core::Hash32*>{"transactionHash", &event.tx_hash}}) {
    auto value = field(name);
    if (!value) return log_error(index, value.error());
    auto hash = data_fixed<core::Hash32>(**value, named(name));
    if (!hash) return log_error(index, hash.error());
    *out = *hash;
  }
  return event;
}

// One eth_getLogs call over [from, to].
awaitable<Result<std::vector<LocatedEvent>>> logs_in(Rpc& rpc, core::Address gateway, std::uint64_t from,
                                                     std::uint64_t to, LogFilter filter) {
  const Json query = {{"fromBlock", to_quantity(from)},
                      {"toBlock", to_quantity(to)},
                      {"address", core::to_hex(gateway)},
                      {"topics", filter.to_json()}};
  Json logs_params = Json::array({query});
  auto logs = co_await rpc.call("eth_getLogs", std::move(logs_params));
  if (!logs) co_return std::move(logs).error();
  if (!logs->is_array()) co_return Error(reason::source::kBadLog, "eth_getLogs did not return an array");
  std::vector<LocatedEvent> events;
  events.reserve(logs->size());
  for (std::size_t i = 0; i < logs->size(); ++i) {
    const Json& log = (*logs)[i];
    // `removed` marks logs of a block that left the chain (subscriptions); never proof material.
    if (log.is_object() && log.contains("removed") && log["removed"] == true) continue;
    auto event = parse_log(log, i, gateway, filter);
    if (!event) co_return std::move(event).error();
    if (event->block.number < from || event->block.number > to) {
      co_return Error(reason::source::kBadLog, "logs[" + std::to_string(i) + "] is outside the range asked for");
    }
    events.push_back(*event);
  }
  co_return events;
}

// logs_before[i]: the logs in receipts 0..i-1, read from the consensus bytes: what turns the node's
// block-global logIndex into the index within the receipt.
Result<std::vector<std::uint64_t>> logs_before_of(const BlockReceipts& receipts, const std::string& where) {
  std::vector<std::uint64_t> logs_before(receipts.size() + 1, 0);
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    auto decoded = verify::decode_receipt(receipts.value(i));
    if (!decoded) return std::move(decoded).error().with_context(where + " receipt " + std::to_string(i));
    logs_before[i + 1] = logs_before[i] + decoded->logs.size();
  }
  return logs_before;
}

void sort_in_chain_order(std::vector<LocatedEvent>& events) {
  std::stable_sort(events.begin(), events.end(), [](const LocatedEvent& a, const LocatedEvent& b) {
    return a.block.number != b.block.number ? a.block.number < b.block.number : a.block_log_index < b.block_log_index;
  });
}

// The filter's logs in [range.from, range.to], at most max_range blocks per eth_getLogs, the range
// halved while the node says "too many results"; in chain order.
awaitable<Result<std::vector<LocatedEvent>>> logs_between(Rpc& rpc, core::Address gateway, std::uint64_t max_range,
                                                          ScanRequest range, LogFilter filter) {
  std::vector<LocatedEvent> events;
  std::uint64_t blocks = max_range;
  std::uint64_t from = range.from;
  while (from <= range.to) {
    const std::uint64_t to = std::min(range.to, from + (blocks - 1));
    auto chunk = co_await logs_in(rpc, gateway, from, to, filter);
    if (!chunk) {
      if (!too_many_results(chunk.error())) {
        co_return std::move(chunk).error().with_context("eth_getLogs " + std::to_string(from) + "-" + std::to_string(to));
      }
      if (to == from) {
        co_return Error(reason::source::kRangeTooSmall, "block " + std::to_string(from) + ": " + chunk.error().message());
      }
      blocks = (to - from + 1) / 2;  // halve and retry the same start
      continue;
    }
    events.insert(events.end(), chunk->begin(), chunk->end());
    if (to == range.to) break;
    from = to + 1;
  }
  // Nodes return logs in chain order; sort anyway, since grouping by block relies on it.
  sort_in_chain_order(events);
  co_return events;
}

// Where Besu and GoQuorum privacy marker transactions are sent: Besu's default privacy precompile
// (0x7e), its flexible privacy groups (0x7d), and 0x7a (Besu's privacy plugin, GoQuorum's PMTs).
constexpr std::array<core::Address, 3> kPrivacyPrecompiles = {
    core::fixed_literal<core::Address>("0x000000000000000000000000000000000000007e"),
    core::fixed_literal<core::Address>("0x000000000000000000000000000000000000007d"),
    core::fixed_literal<core::Address>("0x000000000000000000000000000000000000007a"),
};

// Opens the header cache for the outermost poll(), prove() or headers() and empties it when that call ends
// (on every return path; the guard lives in the coroutine frame).
class CacheScope {
 public:
  CacheScope(std::map<std::uint64_t, RebuiltHeader>& cache, bool& open) : cache_(cache), open_(open), owner_(!open) {
    if (owner_) {
      cache_.clear();
      open_ = true;
    }
  }
  CacheScope(const CacheScope&) = delete;
  CacheScope& operator=(const CacheScope&) = delete;
  ~CacheScope() {
    if (owner_) {
      cache_.clear();
      open_ = false;
    }
  }

 private:
  std::map<std::uint64_t, RebuiltHeader>& cache_;
  bool& open_;
  bool owner_;
};

}  // namespace

awaitable<Result<std::vector<Result<Json>>>> Rpc::batch(std::vector<net::Call> calls) {
  std::vector<Result<Json>> out;
  out.reserve(calls.size());
  for (auto& c : calls) out.push_back(co_await call(std::move(c.method), std::move(c.params)));
  co_return out;
}

awaitable<Result<Json>> NetRpc::call(std::string method, Json params) {
  co_return co_await client_.call(std::move(method), std::move(params));
}

awaitable<Result<std::vector<Result<Json>>>> NetRpc::batch(std::vector<net::Call> calls) {
  co_return co_await client_.batch(std::move(calls));
}

Result<std::unique_ptr<EvmSource>> EvmSource::create(Rpc& rpc, SourceConfig config) {
  if (config.chain_id == 0) return Error(reason::source::kBadConfig, "chain_id is 0");
  if (config.chain_identity.is_zero()) return Error(reason::source::kBadConfig, "chain_identity is zero");
  if (config.gateway.is_zero()) return Error(reason::source::kBadConfig, "gateway is the zero address");
  if (config.start_height == 0) return Error(reason::source::kBadConfig, "start_height must be at least 1");
  if (config.max_range == 0) return Error(reason::source::kBadConfig, "max_range is 0");
  if (config.max_poll_events == 0) return Error(reason::source::kBadConfig, "max_poll_events is 0");
  if (config.reorg_window < 2) return Error(reason::source::kBadConfig, "reorg_window below 2");
  if (config.descendants > 0 && !config.segment_from) {
    return Error(reason::source::kBadConfig, "descendants without segment_from");
  }
  if (config.descendants > verify::BundleLimits{}.max_segment_headers) {
    return Error(reason::source::kBadConfig, "descendants above the segment bound");
  }
  return std::unique_ptr<EvmSource>(new EvmSource(rpc, std::move(config)));
}

awaitable<Result<Json>> EvmSource::block_json(std::uint64_t height) {
  // Params are named locals: GCC 12 rejects initializer_list temporaries across co_await.
  Json block_params = Json::array({to_quantity(height), false});
  auto block = co_await rpc_.call("eth_getBlockByNumber", std::move(block_params));
  if (!block) co_return std::move(block).error().with_context("eth_getBlockByNumber " + std::to_string(height));
  if (block->is_null()) co_return Error(reason::source::kNoBlock, "block " + std::to_string(height));
  co_return std::move(block).value();
}

awaitable<Result<std::optional<Json>>> EvmSource::raw_call(std::string method, const core::Hash32& block_hash,
                                                           RawSupport& support) {
  if (support == RawSupport::kAbsent) co_return std::optional<Json>{};
  Json params = Json::array();
  params.push_back(core::to_hex(block_hash));
  auto reply = co_await rpc_.call(method, std::move(params));
  if (!reply) {
    if (!method_absent(reply.error())) co_return std::move(reply).error().with_context(method);
    // Once absent, absent for good: a node does not gain debug methods mid-run, and asking each
    // block would double the calls.
    support = RawSupport::kAbsent;
    if (config_.on_notice) config_.on_notice(method + " is not offered by the node (" + reply.error().message() +
                                             "); using JSON from now on");
    co_return std::optional<Json>{};
  }
  support = RawSupport::kOffered;
  co_return std::optional<Json>(std::move(reply).value());
}

Result<RebuiltHeader> EvmSource::header_from_raw_reply(const Json& raw, const core::Hash32& hash,
                                                       std::uint64_t height) const {
  auto bytes = data_any(raw, "debug_getRawHeader");
  if (!bytes) return Error(reason::source::kRawHeaderMismatch, bytes.error().message());
  auto header = header_from_raw(std::move(bytes).value(), hash, config_.hash_rule);
  if (!header) return std::move(header).error();
  if (header->number != height) {
    return Error(reason::source::kRawHeaderMismatch, "the raw header is of block " + std::to_string(header->number));
  }
  return header;
}

awaitable<Result<RebuiltHeader>> EvmSource::header_of(const Json& block, std::uint64_t height) {
  if (raw_headers_ != RawSupport::kAbsent) {
    CW_CO_TRY(const auto hash, block_hash_of(block));
    auto raw = co_await raw_call("debug_getRawHeader", hash, raw_headers_);
    if (!raw) co_return std::move(raw).error();
    if (*raw) co_return header_from_raw_reply(**raw, hash, height);
  }
  co_return header_from_json({.block = block, .hash_rule = config_.hash_rule});
}

Result<core::Hash32> EvmSource::block_hash_of(const Json& block) {
  CW_TRY(const Json* hash_json, json_member(block, "hash", "block"));
  return data_fixed<core::Hash32>(*hash_json, "block.hash");
}

awaitable<Result<BlockReceipts>> EvmSource::receipts_of(const Json& block, const RebuiltHeader& header) {
  if (raw_receipts_ != RawSupport::kAbsent) {
    auto raw = co_await raw_call("debug_getRawReceipts", header.hash, raw_receipts_);
    if (!raw) co_return std::move(raw).error();
    if (*raw) {
      if (!(*raw)->is_array()) co_return Error(reason::rpc_json::kNotArray, "debug_getRawReceipts");
      std::vector<core::Bytes> values;
      values.reserve((*raw)->size());
      for (std::size_t i = 0; i < (*raw)->size(); ++i) {
        auto value = data_any((**raw)[i], "debug_getRawReceipts[" + std::to_string(i) + "]");
        if (!value) co_return std::move(value).error();
        values.push_back(std::move(value).value());
      }
      // The trie of the node's bytes must give the header's receiptsRoot (kRootMismatch otherwise).
      co_return BlockReceipts::from_values(std::move(values), header.receipts_root);
    }
  }
  auto receipts_json = co_await block_receipts(header.number, block);
  if (!receipts_json) co_return std::move(receipts_json).error();
  co_return BlockReceipts::from_json({.receipts = *receipts_json,
                                      .receipts_root = header.receipts_root,
                                      .block_hash = header.hash,
                                      .block_number = header.number});
}

awaitable<Result<RebuiltHeader>> EvmSource::header(HeaderRequest request) {
  if (!started_) co_return Error(reason::source::kNotStarted, "header");
  auto block = co_await block_json(request.height);
  if (!block) co_return std::move(block).error();
  auto rebuilt = co_await header_of(*block, request.height);
  co_return of_height(std::move(rebuilt), request.height);
}

Result<RebuiltHeader> EvmSource::of_height(Result<RebuiltHeader> header, std::uint64_t height) {
  if (!header) return std::move(header).error().with_context("block " + std::to_string(height));
  if (header->number != height) {
    return Error(reason::source::kNoBlock, "asked for block " + std::to_string(height) + ", got " +
                                               std::to_string(header->number));
  }
  return header;
}

awaitable<Result<std::vector<Result<Json>>>> EvmSource::checked_batch(std::vector<net::Call> calls) {
  const std::string method = calls.empty() ? std::string() : calls.front().method;
  const std::size_t count = calls.size();
  auto replies = co_await rpc_.batch(std::move(calls));
  if (!replies) co_return std::move(replies).error().with_context(method + " batch");
  if (replies->size() != count) {
    co_return Error(reason::source::kBadReply, std::to_string(replies->size()) + " replies to " +
                                                   std::to_string(count) + " " + method + " calls");
  }
  co_return std::move(replies).value();
}

// 256 blocks' JSON (without transactions, a few KB each) is far below a reply's 32 MiB bound.
constexpr std::size_t kHeaderBatch = 256;

awaitable<Result<void>> EvmSource::prefetch_headers(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> missing;
  for (std::uint64_t height = from; height <= to && height >= from; ++height) {
    if (!header_cache_.contains(height)) missing.push_back(height);
  }
  for (std::size_t first = 0; first < missing.size(); first += kHeaderBatch) {
    const std::size_t end = std::min(missing.size(), first + kHeaderBatch);
    std::vector<net::Call> calls;
    calls.reserve(end - first);
    for (std::size_t i = first; i < end; ++i) {
      calls.push_back({"eth_getBlockByNumber", Json::array({to_quantity(missing[i]), false})});
    }
    CW_CO_TRY(auto replies, co_await checked_batch(std::move(calls)));
    std::vector<Json> blocks;
    blocks.reserve(end - first);
    for (std::size_t i = first; i < end; ++i) {
      auto& reply = replies[i - first];
      if (!reply) co_return std::move(reply).error().with_context("eth_getBlockByNumber " + std::to_string(missing[i]));
      if (reply->is_null()) co_return Error(reason::source::kNoBlock, "block " + std::to_string(missing[i]));
      blocks.push_back(std::move(reply).value());
    }
    // Until the node has answered one debug_getRawHeader, header_of asks it alone (and learns
    // whether the method is there); after that the raw headers come in one batch too.
    std::size_t next = 0;
    for (; next < blocks.size() && raw_headers_ == RawSupport::kUntried; ++next) {
      const std::uint64_t height = missing[first + next];
      CW_CO_TRY(auto header, of_height(co_await header_of(blocks[next], height), height));
      header_cache_.emplace(height, std::move(header));
    }
    if (raw_headers_ != RawSupport::kOffered) {
      for (; next < blocks.size(); ++next) {
        const std::uint64_t height = missing[first + next];
        CW_CO_TRY(auto header, of_height(header_from_json({.block = blocks[next], .hash_rule = config_.hash_rule}), height));
        header_cache_.emplace(height, std::move(header));
      }
      continue;
    }
    std::vector<core::Hash32> hashes;
    std::vector<net::Call> raws;
    for (std::size_t i = next; i < blocks.size(); ++i) {
      CW_CO_TRY(const auto hash, block_hash_of(blocks[i]));
      hashes.push_back(hash);
      raws.push_back({"debug_getRawHeader", Json::array({core::to_hex(hash)})});
    }
    if (raws.empty()) continue;
    CW_CO_TRY(auto raw_replies, co_await checked_batch(std::move(raws)));
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      const std::uint64_t height = missing[first + next + i];
      auto& reply = raw_replies[i];
      if (!reply) co_return std::move(reply).error().with_context("debug_getRawHeader " + std::to_string(height));
      CW_CO_TRY(auto header, of_height(header_from_raw_reply(*reply, hashes[i], height), height));
      header_cache_.emplace(height, std::move(header));
    }
  }
  co_return core::ok();
}

awaitable<Result<void>> EvmSource::start() {
  started_ = false;
  auto chain_id_json = co_await rpc_.call("eth_chainId", Json::array());
  if (!chain_id_json) co_return std::move(chain_id_json).error().with_context("eth_chainId");
  auto chain_id = quantity_u64(*chain_id_json, "eth_chainId");
  if (!chain_id) co_return std::move(chain_id).error();
  if (*chain_id != config_.chain_id) {
    co_return Error(reason::source::kWrongChainId, "node serves chain id " + std::to_string(*chain_id) +
                                                       ", configured " + std::to_string(config_.chain_id));
  }
  // Block 0's hash is rebuilt and checked like any header (under kEngineSpecific the node's word is
  // taken here; the verifier's trust anchors still pin the chain). Gaps are tolerated for block 0
  // only: see HeaderFromJsonRequest::allow_gaps.
  auto genesis_json = co_await block_json(0);
  if (!genesis_json) co_return std::move(genesis_json).error().with_context("genesis");
  auto genesis = header_from_json({.block = *genesis_json, .hash_rule = config_.hash_rule, .allow_gaps = true});
  if (!genesis) co_return std::move(genesis).error().with_context("genesis");
  if (genesis->number != 0) co_return Error(reason::source::kNoBlock, "block 0 came back as another block");
  const core::ChainIdentity identity =
      core::chain_identity(core::ChainFamily::kEvm, core::evm_chain_key(config_.chain_id), genesis->hash);
  if (identity != config_.chain_identity) {
    co_return Error(reason::source::kIdentityMismatch,
                    "genesis " + core::to_hex(genesis->hash) + " of chain id " + std::to_string(config_.chain_id) +
                        " gives identity " + core::to_hex(identity) + ", configured " +
                        core::to_hex(config_.chain_identity));
  }
  started_ = true;
  history_.clear();
  emitted_.clear();
  if (restored_) {
    cursor_ = *restored_;
  } else if (config_.start_height == 1) {
    cursor_ = {0, genesis->hash};
  } else {
    auto before = co_await header({.height = config_.start_height - 1});
    if (!before) {
      started_ = false;
      co_return std::move(before).error().with_context("start cursor");
    }
    cursor_ = {before->number, before->hash};
  }
  history_.push_back(cursor_);
  co_return core::ok();
}

awaitable<Result<BlockRef>> EvmSource::head() {
  if (!started_) co_return Error(reason::source::kNotStarted, "head");
  auto latest_json = co_await rpc_.call("eth_blockNumber", Json::array());
  if (!latest_json) co_return std::move(latest_json).error().with_context("eth_blockNumber");
  auto latest = quantity_u64(*latest_json, "eth_blockNumber");
  if (!latest) co_return std::move(latest).error();
  // A block is final for the verifier only once its descendants exist (Clique), so it is not head before.
  const std::uint64_t behind = config_.confirmations + config_.descendants;
  const std::uint64_t height = *latest > behind ? *latest - behind : 0;
  auto block = co_await header({.height = height});
  if (!block) co_return std::move(block).error();
  co_return BlockRef{block->number, block->hash};
}

awaitable<Result<std::vector<LocatedEvent>>> EvmSource::scan(ScanRequest request) {
  if (!started_) co_return Error(reason::source::kNotStarted, "scan");
  LogFilter filter;
  filter.topics[0].push_back(core::kMessageSentTopic);
  // Off, the query is exactly the MessageSent-only one: no extra traffic for sources without acks.
  if (config_.executions) filter.topics[0].push_back(core::kMessageExecutedTopic);
  co_return co_await logs_between(rpc_, config_.gateway, config_.max_range, request, std::move(filter));
}

awaitable<Result<std::vector<LocatedEvent>>> EvmSource::find_sent(FindSentRequest request) {
  if (!started_) co_return Error(reason::source::kNotStarted, "find_sent");
  // geth refuses more than 1000 alternatives for one topic position.
  constexpr std::size_t kMaxAlternatives = 1000;
  std::vector<LocatedEvent> events;
  for (std::size_t first = 0; first < request.sequences.size(); first += kMaxAlternatives) {
    LogFilter filter;
    filter.topics[0].push_back(core::kMessageSentTopic);
    filter.topics[2].push_back(core::Hash32{request.dst_chain.bytes});
    const std::size_t last = std::min(request.sequences.size(), first + kMaxAlternatives);
    for (std::size_t i = first; i < last; ++i) {
      filter.topics[3].push_back(core::Hash32{core::abi::uint_word(request.sequences[i]).bytes});
    }
    const ScanRequest range{.from = request.from, .to = request.to};
    auto found = co_await logs_between(rpc_, config_.gateway, config_.max_range, range, std::move(filter));
    if (!found) co_return std::move(found).error().with_context("find_sent");
    events.insert(events.end(), found->begin(), found->end());
  }
  sort_in_chain_order(events);
  co_return events;
}

awaitable<Result<Json>> EvmSource::block_receipts(std::uint64_t height, const Json& block) {
  Json receipts_params = Json::array({to_quantity(height)});
  auto receipts = co_await rpc_.call("eth_getBlockReceipts", std::move(receipts_params));
  if (receipts) {
    if (receipts->is_null()) co_return Error(reason::source::kNoBlock, "receipts of block " + std::to_string(height));
    co_return std::move(receipts).value();
  }
  if (receipts.error().reason() != net::reason::kRpcMethodNotFound) {
    co_return std::move(receipts).error().with_context("eth_getBlockReceipts " + std::to_string(height));
  }
  // Nodes without eth_getBlockReceipts: one eth_getTransactionReceipt per transaction.
  auto hashes = json_member(block, "transactions", "block");
  if (!hashes) co_return std::move(hashes).error();
  if (!(*hashes)->is_array()) co_return Error(reason::rpc_json::kNotArray, "block.transactions");
  Json all = Json::array();
  for (const Json& entry : **hashes) {
    // A block read with its transactions (read_block) lists objects, else their hashes.
    const Json& hash = entry.is_object() && entry.contains("hash") ? entry["hash"] : entry;
    Json receipt_params = Json::array({hash});
    auto receipt = co_await rpc_.call("eth_getTransactionReceipt", std::move(receipt_params));
    if (!receipt) co_return std::move(receipt).error().with_context("eth_getTransactionReceipt");
    if (receipt->is_null()) co_return Error(reason::source::kNoBlock, "no receipt for " + hash.dump());
    all.push_back(std::move(receipt).value());
  }
  co_return all;
}

// Lookups per JSON-RPC batch: a block's event transactions, a few hundred bytes of JSON each.
constexpr std::size_t kTransactionBatch = 256;

awaitable<Result<std::map<core::Hash32, std::optional<std::string>>>> EvmSource::why_private(
    std::vector<LocatedEvent> events, BlockRef block) {
  std::map<core::Hash32, std::uint32_t> places;  // each transaction once, at its index
  for (const LocatedEvent& event : events) places.emplace(event.tx_hash, event.tx_index);
  std::vector<std::pair<core::Hash32, std::uint32_t>> txs(places.begin(), places.end());
  std::map<core::Hash32, std::optional<std::string>> out;
  for (std::size_t first = 0; first < txs.size(); first += kTransactionBatch) {
    const std::size_t end = std::min(txs.size(), first + kTransactionBatch);
    std::vector<net::Call> calls;
    calls.reserve(end - first);
    for (std::size_t i = first; i < end; ++i) {
      calls.push_back({"eth_getTransactionByHash", Json::array({core::to_hex(txs[i].first)})});
    }
    CW_CO_TRY(auto replies, co_await checked_batch(std::move(calls)));
    for (std::size_t i = first; i < end; ++i) {
      const Result<Json>& reply = replies[i - first];
      if (!reply) co_return Error(reply.error()).with_context("eth_getTransactionByHash " + core::to_hex(txs[i].first));
      CW_CO_TRY(auto why, privacy_of(*reply, txs[i].first, block, txs[i].second));
      out.emplace(txs[i].first, std::move(why));
    }
  }
  co_return out;
}

Result<std::optional<std::string>> EvmSource::privacy_of(const Json& tx, const core::Hash32& tx_hash,
                                                         const BlockRef& block, std::uint32_t tx_index) const {
  const std::string hash_hex = core::to_hex(tx_hash);
  // The node's own logs named this transaction at this place: any other answer means its view of
  // the block changed since (the next poll sees the reorg).
  if (tx.is_null()) return Error(reason::source::kChainChanged, "transaction " + hash_hex + " is unknown now");
  const std::string where = "transaction " + hash_hex;
  CW_TRY(const Json* hash_json, json_member(tx, "hash", where));
  CW_TRY(const auto hash, data_fixed<core::Hash32>(*hash_json, where + ".hash"));
  CW_TRY(const Json* block_hash_json, json_member(tx, "blockHash", where));
  CW_TRY(const auto block_hash, data_fixed<core::Hash32>(*block_hash_json, where + ".blockHash"));
  CW_TRY(const Json* index_json, json_member(tx, "transactionIndex", where));
  CW_TRY(const auto index, quantity_u64(*index_json, where + ".transactionIndex"));
  if (hash != tx_hash || block_hash != block.hash || index != tx_index) {
    return Error(reason::source::kChainChanged, where + " is not at index " + std::to_string(tx_index) +
                                                    " of block " + core::to_hex(block.hash) + " now");
  }

  if (json_present(tx, "to")) {
    CW_TRY(const auto to, data_fixed<core::Address>(tx["to"], where + ".to"));
    if (std::find(kPrivacyPrecompiles.begin(), kPrivacyPrecompiles.end(), to) != kPrivacyPrecompiles.end()) {
      return std::optional<std::string>("a privacy marker transaction (to " + core::to_hex(to) + ")");
    }
  }
  std::uint64_t type = 0;  // nodes from before EIP-2718 omit it
  if (json_present(tx, "type")) {
    CW_TRY(type, quantity_u64(tx["type"], where + ".type"));
  }
  // GoQuorum marks a private legacy transaction by v = 37 or 38. On chain id 1 that is plain
  // EIP-155 (GoQuorum refuses chain id 1 for this reason), so it means nothing there.
  if (type == 0 && config_.chain_id != 1) {
    CW_TRY(const Json* v_json, json_member(tx, "v", where));
    CW_TRY(const auto v, quantity_bytes(*v_json, where + ".v", 32));
    if (v.size() == 1 && (v[0] == 37 || v[0] == 38)) {
      return std::optional<std::string>("a GoQuorum private transaction (v = " + std::to_string(v[0]) + ")");
    }
  }
  return std::optional<std::string>{};
}

awaitable<Result<RebuiltHeader>> EvmSource::cached_header(std::uint64_t height) {
  if (const auto it = header_cache_.find(height); it != header_cache_.end()) co_return it->second;
  auto fetched = co_await header({.height = height});
  if (!fetched) co_return std::move(fetched).error();
  header_cache_.emplace(height, *fetched);
  co_return std::move(fetched).value();
}

awaitable<Result<std::vector<core::Bytes>>> EvmSource::segment_of(RebuiltHeader target) {
  if (!config_.segment_from) co_return std::vector<core::Bytes>{};
  std::uint64_t from = *config_.segment_from;
  if (advanced_from_ && *advanced_from_ > from && *advanced_from_ < target.number) from = *advanced_from_;
  co_return co_await segment_between(from, std::move(target));
}

awaitable<Result<std::vector<core::Bytes>>> EvmSource::headers(std::uint64_t from, std::uint64_t to) {
  if (!started_) co_return Error(reason::source::kNotStarted, "headers");
  const CacheScope cache_scope(header_cache_, cache_scope_open_);
  if (to <= from) {
    co_return Error(reason::source::kBelowCheckpoint,
                    "block " + std::to_string(to) + " is not above checkpoint " + std::to_string(from));
  }
  auto target = co_await cached_header(to);
  if (!target) co_return std::move(target).error().with_context("headers");
  const core::Bytes target_rlp = target->rlp;
  CW_CO_TRY(auto segment, co_await segment_between(from, std::move(target).value()));
  segment.insert(segment.begin() + static_cast<std::ptrdiff_t>(to - from - 1), target_rlp);
  co_return segment;
}

awaitable<Result<std::vector<core::Bytes>>> EvmSource::segment_between(std::uint64_t from, RebuiltHeader target) {
  std::vector<core::Bytes> segment;
  if (target.number <= from) {
    co_return Error(reason::source::kBelowCheckpoint, "block " + std::to_string(target.number) +
                                                          " is not above checkpoint " + std::to_string(from));
  }
  const std::uint64_t before = target.number - from - 1;
  const std::uint64_t total = before + config_.descendants;
  // Bounded like the verifier bounds it. A long-lived chain outgrows a fixed checkpoint: the cure
  // is a later checkpoint (the engine establishes them: set_segment_from), never a longer segment.
  const std::size_t bound = verify::BundleLimits{}.max_segment_headers;
  if (total > bound) {
    co_return Error(reason::source::kSegmentTooLong, "block " + std::to_string(target.number) + " needs " +
                                                         std::to_string(total) + " headers from checkpoint " +
                                                         std::to_string(from) + ", the bound is " +
                                                         std::to_string(bound));
  }
  segment.reserve(static_cast<std::size_t>(total));
  CW_CO_CHECK(co_await prefetch_headers(from + 1, target.number - 1));
  CW_CO_CHECK(co_await prefetch_headers(target.number + 1, target.number + config_.descendants));
  // Linked as fetched: a header of another fork would only fail later, in the verifier.
  std::optional<core::Hash32> parent;
  const auto append = [&](const RebuiltHeader& header) -> Result<void> {
    if (parent && header.parent_hash != *parent) {
      return Error(reason::source::kChainChanged,
                   "block " + std::to_string(header.number) + " does not build on the block before it");
    }
    parent = header.hash;
    segment.push_back(header.rlp);
    return core::ok();
  };
  for (std::uint64_t height = from + 1; height < target.number; ++height) {
    auto header = co_await cached_header(height);
    if (!header) co_return std::move(header).error().with_context("segment");
    CW_CO_CHECK(append(*header));
  }
  if (parent && target.parent_hash != *parent) {
    co_return Error(reason::source::kChainChanged,
                    "block " + std::to_string(target.number) + " does not build on the block before it");
  }
  parent = target.hash;
  for (std::uint64_t height = target.number + 1; height <= target.number + config_.descendants; ++height) {
    auto header = co_await cached_header(height);
    if (!header) co_return std::move(header).error().with_context("segment");
    CW_CO_CHECK(append(*header));
  }
  co_return segment;
}

awaitable<Result<ProveResult>> EvmSource::prove(ProveRequest request) {
  if (!started_) co_return Error(reason::source::kNotStarted, "prove");
  const CacheScope cache_scope(header_cache_, cache_scope_open_);
  const std::string where = "block " + std::to_string(request.block.number);
  auto block = co_await block_json(request.block.number);
  if (!block) co_return std::move(block).error();
  auto header = co_await header_of(*block, request.block.number);
  if (!header) co_return std::move(header).error().with_context(where);
  if (header->hash != request.block.hash || header->number != request.block.number) {
    co_return Error(reason::source::kChainChanged, where + " is now " + core::to_hex(header->hash) + ", the logs were in " +
                                                       core::to_hex(request.block.hash));
  }

  ProveResult result;
  // Private transactions first: their events cannot be in the public receipts, so they are
  // refused by name before any receipt is read. One lookup per transaction, in batches.
  std::vector<LocatedEvent> in_block;
  for (const LocatedEvent& event : request.events) {
    if (event.block != request.block) {
      result.rejected.push_back({event, Error(reason::source::kLogMismatch, "event of another block")});
      continue;
    }
    in_block.push_back(event);
  }
  if (in_block.empty()) co_return result;
  // The lookups and the receipts at once: both wait on the node, which serves them side by side
  // (the receipts are read even if every event turns out private, which is rare).
  auto [privacy, receipts] = co_await net::both(why_private(in_block, request.block), receipts_of(*block, *header));
  if (!privacy) co_return std::move(privacy).error().with_context(where);
  std::vector<LocatedEvent> events;
  for (const LocatedEvent& event : in_block) {
    const auto& why = privacy->at(event.tx_hash);
    if (why) {
      result.rejected.push_back({event, Error(reason::source::kPrivateTransaction,
                                              core::to_hex(event.tx_hash) + " is " + *why)});
      continue;
    }
    events.push_back(event);
  }
  if (events.empty()) co_return result;
  if (!receipts) co_return std::move(receipts).error().with_context(where);
  CW_CO_TRY(const auto logs_before, logs_before_of(*receipts, where));
  CW_CO_CHECK(co_await prove_events(*header, *receipts, logs_before, events, result));
  co_return result;
}

awaitable<Result<std::optional<ProveResult>>> EvmSource::read_block(const RebuiltHeader& header) {
  const std::string where = "block " + std::to_string(header.number);
  Json block_params = Json::array({to_quantity(header.number), true});
  auto block = co_await rpc_.call("eth_getBlockByNumber", std::move(block_params));
  if (!block) co_return std::move(block).error().with_context("eth_getBlockByNumber " + std::to_string(header.number));
  if (block->is_null()) co_return Error(reason::source::kNoBlock, where);
  CW_CO_TRY(const auto hash, block_hash_of(*block));
  if (hash != header.hash) {
    co_return Error(reason::source::kChainChanged, where + " is now " + core::to_hex(hash) + ", its header was " +
                                                       core::to_hex(header.hash));
  }
  CW_CO_TRY(const Json* txs, json_member(*block, "transactions", "block"));
  if (!txs->is_array()) co_return Error(reason::rpc_json::kNotArray, "block.transactions");
  // A private transaction's logs are in no public receipt: eth_getLogs (the node's private view)
  // finds them, and prove() refuses each by name. So such a block goes that way, and so does one
  // with a transaction this cannot judge: there only the events' own transactions are judged, and
  // an odd transaction of another contract holds nothing up.
  const BlockRef ref{header.number, header.hash};
  std::vector<core::Hash32> tx_hashes;
  tx_hashes.reserve(txs->size());
  for (std::size_t i = 0; i < txs->size(); ++i) {
    const std::string at = "block.transactions[" + std::to_string(i) + "]";
    CW_CO_TRY(const Json* hash_json, json_member((*txs)[i], "hash", at));
    CW_CO_TRY(const auto tx_hash, data_fixed<core::Hash32>(*hash_json, at + ".hash"));
    const auto why = privacy_of((*txs)[i], tx_hash, ref, static_cast<std::uint32_t>(i));
    if (!why || *why) co_return std::optional<ProveResult>{};
    tx_hashes.push_back(tx_hash);
  }
  auto receipts = co_await receipts_of(*block, header);
  if (!receipts) co_return std::move(receipts).error().with_context(where);
  if (receipts->size() != tx_hashes.size()) {
    co_return Error(reason::source::kBadReply, where + " lists " + std::to_string(tx_hashes.size()) +
                                                   " transactions and " + std::to_string(receipts->size()) +
                                                   " receipts");
  }
  // The gateway's events, read from the receipts' consensus bytes (their root is the header's).
  // Each receipt decoded once: the events, and the log counts prove_events places them by.
  std::vector<LocatedEvent> events;
  std::vector<std::uint64_t> logs_before(receipts->size() + 1, 0);
  for (std::size_t i = 0; i < receipts->size(); ++i) {
    auto decoded = verify::decode_receipt(receipts->value(i));
    if (!decoded) co_return std::move(decoded).error().with_context(where + " receipt " + std::to_string(i));
    logs_before[i + 1] = logs_before[i] + decoded->logs.size();
    std::uint64_t block_log_index = logs_before[i];
    for (const verify::ReceiptLog& log : decoded->logs) {
      const std::uint64_t log_index = block_log_index++;
      if (log.address != config_.gateway || log.topics.size() != 4) continue;
      LocatedEvent event{.block = ref,
                         .tx_index = static_cast<std::uint32_t>(i),
                         .tx_hash = tx_hashes[i],
                         .block_log_index = log_index,
                         .id = core::MessageId{log.topics[1].bytes}};
      if (log.topics[0] == core::kMessageSentTopic) {
        event.kind = EventKind::kMessageSent;
      } else if (config_.executions && log.topics[0] == core::kMessageExecutedTopic) {
        event.kind = EventKind::kMessageExecuted;
      } else {
        continue;
      }
      events.push_back(event);
    }
  }
  ProveResult result;
  if (events.empty()) co_return result;  // the bloom's false positive
  CW_CO_CHECK(co_await prove_events(header, *receipts, logs_before, events, result));
  co_return result;
}

awaitable<Result<void>> EvmSource::prove_events(const RebuiltHeader& header, const BlockReceipts& receipts,
                                                const std::vector<std::uint64_t>& logs_before,
                                                const std::vector<LocatedEvent>& events, ProveResult& result) {
  const std::string where = "block " + std::to_string(header.number);
  // One segment for all the block's bundles. Failing here fails the block (the cursor stays), so
  // no event is dropped while the anchors cannot reach it.
  auto segment = co_await segment_of(header);
  if (!segment) co_return std::move(segment).error().with_context(where);


  // One proof per transaction, all from one pass over the receipts trie.
  std::vector<std::uint64_t> tx_indices;
  for (const LocatedEvent& event : events) {
    if (event.tx_index < receipts.size()) tx_indices.push_back(event.tx_index);
  }
  std::sort(tx_indices.begin(), tx_indices.end());
  tx_indices.erase(std::unique(tx_indices.begin(), tx_indices.end()), tx_indices.end());
  auto proofs = receipts.prove_many(tx_indices);
  if (!proofs) co_return std::move(proofs).error().with_context(where);
  const auto proof_of = [&](std::uint32_t tx_index) -> const std::vector<core::Bytes>& {
    const auto at = std::lower_bound(tx_indices.begin(), tx_indices.end(), tx_index) - tx_indices.begin();
    return (*proofs)[static_cast<std::size_t>(at)];
  };

  verify::ProvenReceipts receipts_proven;  // each transaction's receipt proven once, not once per event
  verify::FinalizedHeader finalized;
  finalized.hash = header.hash;
  finalized.number = header.number;
  finalized.receipts_root = header.receipts_root;

  for (const LocatedEvent& event : events) {
    auto reject = [&](Error error) { result.rejected.push_back({event, std::move(error)}); };
    if (event.tx_index >= receipts.size()) {
      reject(Error(reason::source::kLogMismatch, "tx index " + std::to_string(event.tx_index) + " beyond the block"));
      continue;
    }
    const std::uint64_t first = logs_before[event.tx_index];
    if (event.block_log_index < first || event.block_log_index >= logs_before[event.tx_index + 1]) {
      reject(Error(reason::source::kLogMismatch, "logIndex " + std::to_string(event.block_log_index) +
                                                     " is not in the receipt of tx " + std::to_string(event.tx_index)));
      continue;
    }
    const auto log_index = static_cast<std::uint32_t>(event.block_log_index - first);
    // The bundle's content comes from the proven receipt bytes, decoded by the verifier's own
    // code; this only shapes the bundle, the relay's verification still decides.
    const core::Bytes& value = receipts.value(event.tx_index);
    const std::vector<core::Bytes>& proof = proof_of(event.tx_index);
    const verify::ReceiptProofInput input{
        .tx_index = event.tx_index, .log_index = log_index, .receipt = value, .proof = proof};
    const auto evidence = [&](verify::BundleKind kind, const core::Claim& claim) {
      verify::Bundle bundle;
      bundle.kind = kind;
      bundle.claim = claim;
      bundle.source.chain_identity = config_.chain_identity;
      bundle.source.block_number = header.number;
      bundle.source.block_hash = header.hash;
      bundle.source.header = header.rlp;
      bundle.source.segment = *segment;
      bundle.inclusion.tx_index = event.tx_index;
      bundle.inclusion.log_index = log_index;
      bundle.inclusion.receipt = value;
      bundle.inclusion.proof = proof;
      return bundle;
    };
    const auto id_mismatch = [&](const core::MessageId& proven) {
      return Error(reason::source::kLogMismatch, "the proven log carries id " + core::to_hex(proven) +
                                                     ", eth_getLogs said " + core::to_hex(event.id));
    };

    if (event.kind == EventKind::kMessageSent) {
      auto sent =
          verify::verify_message_sent(finalized, input, config_.gateway, config_.message_limits, &receipts_proven);
      if (!sent) {
        reject(std::move(sent).error());
        continue;
      }
      if (sent->id != event.id) {
        reject(id_mismatch(sent->id));
        continue;
      }
      verify::Bundle bundle = evidence(verify::BundleKind::kMessage, sent->claim);
      bundle.message = std::move(sent->message);
      result.bundles.push_back(std::move(bundle));
      result.tx_hashes.push_back(event.tx_hash);
      continue;
    }
    auto executed = verify::verify_message_executed(finalized, input, config_.gateway, &receipts_proven);
    if (!executed) {
      reject(std::move(executed).error());
      continue;
    }
    if (executed->id != event.id) {
      reject(id_mismatch(executed->id));
      continue;
    }
    ObservedExecution observed;
    observed.bundle = evidence(verify::BundleKind::kExecution, executed->claim);
    observed.id = executed->id;
    observed.src_chain = executed->src_chain;
    observed.sequence = executed->sequence.value;
    observed.outcome = executed->outcome;
    observed.tx_hash = event.tx_hash;
    result.executions.push_back(std::move(observed));
  }
  co_return core::ok();
}

void EvmSource::remember(const BlockRef& block, std::vector<core::Claim> claims) {
  if (history_.empty() || history_.back().number < block.number) history_.push_back(block);
  if (!claims.empty()) {
    auto& kept = emitted_[block.number];
    kept.insert(kept.end(), claims.begin(), claims.end());
  }
  while (history_.size() > config_.reorg_window) {
    emitted_.erase(history_.front().number);
    history_.pop_front();
  }
}

awaitable<Result<std::optional<OrphanReport>>> EvmSource::check_reorg() {
  auto at_cursor = co_await block_json(cursor_.number);
  if (at_cursor) {
    auto hash_json = json_member(*at_cursor, "hash", "block");
    if (hash_json) {
      auto hash = data_fixed<core::Hash32>(**hash_json, "block.hash");
      if (hash && *hash == cursor_.hash) co_return std::optional<OrphanReport>{};
    }
  } else if (at_cursor.error().reason() != reason::source::kNoBlock) {
    co_return std::move(at_cursor).error();
  }

  // The cursor block left the chain: walk the kept heights down to the newest still canonical.
  OrphanReport report;
  report.to = cursor_.number;
  while (!history_.empty()) {
    const BlockRef kept = history_.back();
    auto now = co_await block_json(kept.number);
    if (!now && now.error().reason() != reason::source::kNoBlock) co_return std::move(now).error();
    if (now) {
      auto hash_json = json_member(*now, "hash", "block");
      if (!hash_json) co_return std::move(hash_json).error();
      auto hash = data_fixed<core::Hash32>(**hash_json, "block.hash");
      if (!hash) co_return std::move(hash).error();
      if (*hash == kept.hash) {
        report.rewound_to = kept;
        report.from = kept.number + 1;
        cursor_ = kept;
        co_return std::optional<OrphanReport>(std::move(report));
      }
    }
    if (auto claims = emitted_.find(kept.number); claims != emitted_.end()) {
      report.claims.insert(report.claims.end(), claims->second.begin(), claims->second.end());
      emitted_.erase(claims);
    }
    history_.pop_back();
  }
  started_ = false;  // nothing below is known to be canonical: stop until an operator intervenes
  co_return Error(reason::source::kReorgTooDeep, "no block of the last " + std::to_string(config_.reorg_window) +
                                                     " kept heights below " + std::to_string(report.to) +
                                                     " is still canonical");
}

bool EvmSource::may_hold_events(const RebuiltHeader& header) const {
  const auto decoded = verify::decode_evm_header(header.rlp);
  return !decoded || bloom_may_contain(decoded->logs_bloom, config_.gateway.view());
}

awaitable<Result<PollResult>> EvmSource::poll() {
  if (!started_) co_return Error(reason::source::kNotStarted, "poll");
  const CacheScope cache_scope(header_cache_, cache_scope_open_);
  PollResult result;
  auto orphaned = co_await check_reorg();
  if (!orphaned) co_return std::move(orphaned).error();
  if (*orphaned) {
    result.orphaned = std::move(**orphaned);
    result.cursor = cursor_;
    co_return result;
  }

  auto top = co_await head();
  if (!top) co_return std::move(top).error();
  result.head = top->number;
  result.cursor = cursor_;
  if (top->number <= cursor_.number) co_return result;

  const std::uint64_t from = cursor_.number + 1;
  const std::uint64_t to = std::min(top->number, cursor_.number + scan_span_);
  auto first = co_await header({.height = from});
  if (!first) co_return std::move(first).error();
  if (first->parent_hash != cursor_.hash) {
    // The cursor block was canonical a moment ago; the chain is moving. The next poll rewinds.
    co_return Error(reason::source::kChainChanged, "block " + std::to_string(from) + " does not build on the cursor");
  }
  BlockRef last{first->number, first->hash};
  if (to != from) {
    auto end = co_await header({.height = to});
    if (!end) co_return std::move(end).error();
    last = {end->number, end->hash};
  }

  // One block (a poll at the head, or through a burst of full blocks): its bloom says whether it may
  // hold the gateway's logs at all (the header is the node's, trusted no less than its eth_getLogs
  // answer would be), and if so its events are read from its receipts, which its bundles need
  // anyway, not from eth_getLogs too (as much JSON again). A range of blocks is scanned.
  Result<std::vector<LocatedEvent>> events = std::vector<LocatedEvent>{};
  std::optional<ProveResult> read;
  if (to != from) {
    events = co_await scan({.from = from, .to = to});
  } else if (may_hold_events(*first)) {
    CW_CO_TRY(read, co_await read_block(*first));
    // It holds a private transaction (or one whose privacy cannot be judged): eth_getLogs.
    if (!read) events = co_await scan({.from = from, .to = to});
  }
  if (!events) co_return std::move(events).error();
  if (events->size() > config_.max_poll_events) {
    // Whole blocks only, up to the bound (at least the first): the cursor moves by blocks.
    std::size_t cut = 0;
    while (cut < events->size()) {
      std::size_t next = cut;
      while (next < events->size() && (*events)[next].block.number == (*events)[cut].block.number) ++next;
      if (cut > 0 && next > config_.max_poll_events) break;
      cut = next;
    }
    if (cut < events->size()) {
      last = (*events)[cut - 1].block;
      events->erase(events->begin() + static_cast<std::ptrdiff_t>(cut), events->end());
    }
  }
  // Each event became a bundle, an execution or a rejection.
  const std::size_t kept =
      read ? read->bundles.size() + read->executions.size() + read->rejected.size() : events->size();
  // Narrowed only once this poll has succeeded (below): a failed poll reads the same range again.
  // Widened only while what it kept leaves room for as much again: a span doubled past the bound
  // would read the next blocks' logs only to drop them, every other poll through a burst.
  const bool room = kept <= config_.max_poll_events / 2;
  const std::uint64_t next_span = last.number < to ? last.number - from + 1
                                  : room           ? std::min(config_.max_range, scan_span_ * 2)
                                                   : scan_span_;
  std::vector<std::pair<BlockRef, std::vector<core::Claim>>> event_blocks;
  const auto take = [&](const BlockRef& block, ProveResult& proven) {
    std::vector<core::Claim> claims;
    for (auto& bundle : proven.bundles) {
      claims.push_back(bundle.claim);
      result.bundles.push_back(std::move(bundle));
    }
    result.tx_hashes.insert(result.tx_hashes.end(), proven.tx_hashes.begin(), proven.tx_hashes.end());
    for (auto& execution : proven.executions) {
      claims.push_back(execution.bundle.claim);
      result.executions.push_back(std::move(execution));
    }
    for (auto& rejected : proven.rejected) result.rejected.push_back(std::move(rejected));
    event_blocks.emplace_back(block, std::move(claims));
  };
  if (read) take(last, *read);
  for (std::size_t i = 0; i < events->size();) {
    const BlockRef block = (*events)[i].block;
    ProveRequest request{.block = block, .events = {}};
    while (i < events->size() && (*events)[i].block.number == block.number) request.events.push_back((*events)[i++]);
    auto proven = co_await prove(std::move(request));
    if (!proven) co_return std::move(proven).error();
    take(block, *proven);
  }

  // The range end must not have moved while we read it: otherwise some logs may be of a fork.
  auto end_again = co_await block_json(last.number);
  if (!end_again) co_return std::move(end_again).error();
  auto end_hash_json = json_member(*end_again, "hash", "block");
  if (!end_hash_json) co_return std::move(end_hash_json).error();
  auto end_hash = data_fixed<core::Hash32>(**end_hash_json, "block.hash");
  if (!end_hash) co_return std::move(end_hash).error();
  if (*end_hash != last.hash) {
    co_return Error(reason::source::kChainChanged, "block " + std::to_string(last.number) + " changed during the scan");
  }

  for (auto& [block, claims] : event_blocks) remember(block, std::move(claims));
  remember(last, {});
  cursor_ = last;
  scan_span_ = next_span;
  result.cursor = cursor_;
  co_return result;
}

awaitable<void> EvmSource::follow(std::function<void(const Result<PollResult>&)> on_poll, std::function<bool()> stop) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!stop()) {
    auto result = co_await poll();
    on_poll(result);
    // Catching up: poll again at once while whole ranges are being scanned.
    const bool behind = result && !result->orphaned && result->head > result->cursor.number;
    if (behind) continue;
    timer.expires_after(config_.poll_interval);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace causeway::evm
