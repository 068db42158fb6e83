#include "relay/app/relay_command.hpp"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "adapters/evm/keystore.hpp"
#include "adapters/evm/pkcs11_signer.hpp"
#include "relay/api/console.hpp"
#include "relay/api/http_server.hpp"
#include "relay/api/v1.hpp"
#include "relay/app/api_client.hpp"
#include "relay/app/config_loader.hpp"
#include "relay/app/version.hpp"
#include "relay/engine/engine.hpp"
#include "relay/engine/metrics.hpp"
#include "relay/store/checkpoint_signer.hpp"
#include "relay/store/lease.hpp"
#include "relay/store/store.hpp"

namespace causeway::app {

namespace asio = boost::asio;

namespace {

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  return out;
}

// One logger for the daemon: text for people, or one JSON object per line for log pipelines.
// Messages are built by our own code from reason codes and hex values; node output never reaches
// them unfiltered, and keys never do.
class Log {
 public:
  Log(const std::string& format, const std::string& level) : json_(format == "json") {
    logger_ = spdlog::stderr_logger_mt("causeway");
    logger_->set_pattern(json_ ? "%v" : "%Y-%m-%dT%H:%M:%S.%e%z %-5l %v");
    logger_->set_level(spdlog::level::from_str(level));
    logger_->flush_on(spdlog::level::info);
  }
  ~Log() { spdlog::drop("causeway"); }

  // A change at run time (POST /v1/log-level), itself logged; false for a name spdlog does not know.
  bool set_level(const std::string& level) {
    const auto parsed = spdlog::level::from_str(level);
    if (parsed == spdlog::level::off && level != "off") return false;  // from_str's answer to unknown names
    logger_->set_level(parsed);
    write(spdlog::level::warn, "log level set to " + level + " by an operator");
    return true;
  }

  void write(spdlog::level::level_enum level, std::string_view text) {
    if (!logger_->should_log(level)) return;
    if (!json_) {
      logger_->log(level, "{}", text);
      return;
    }
    const auto now = std::chrono::system_clock::now();
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const auto name = spdlog::level::to_string_view(level);
    logger_->log(level, R"({{"ts_ms":{},"level":"{}","msg":"{}"}})", millis, std::string_view(name.data(), name.size()),
                 json_escape(text));
  }

 private:
  bool json_;
  std::shared_ptr<spdlog::logger> logger_;
};

spdlog::level::level_enum level_of(int engine_level) {
  switch (engine_level) {
    case 1: return spdlog::level::debug;
    case 2: return spdlog::level::info;
    case 3: return spdlog::level::warn;
    default: return spdlog::level::err;
  }
}

core::Result<core::PrivateKey> load_key(const engine::KeyRef& ref, const std::string& what) {
  if (!ref.raw_file.empty()) {
    auto key = evm::load_raw_key_file(ref.raw_file);
    if (!key) return std::move(key).error().with_context(what);
    return std::move(key->key);
  }
  auto password = ref.password_file.empty() ? evm::password_from_env(ref.password_env)
                                            : evm::password_from_file(ref.password_file);
  if (!password) return std::move(password).error().with_context(what);
  auto key = evm::unlock_keystore_file(ref.keystore, *password);
  if (!key) return std::move(key).error().with_context(what);
  return std::move(key->key);
}

// This process among the relays sharing one lease: host, pid and a random suffix, so a restarted
// process (same host, perhaps the same pid in a fresh container) is always a new holder.
std::string lease_holder_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown-host");
  std::random_device random;
  return fmt::format("{}:{}:{:08x}", host, static_cast<long>(getpid()), random());
}

// The store's lease on a thread of its own (its statements block, and the engine's thread must
// not): as a standby it tries to take the lease every renew interval and reports the holder; once
// it holds the lease it renews it, retries a failed renewal until the grant would run out, and
// then reports the loss once. Every change of state is logged.
class LeaseKeeper {
 public:
  using Clock = store::LeaseRenewal::Clock;

  LeaseKeeper(store::Lease lease, store::LeaseTiming timing, Log& log, engine::Metrics& metrics,
              std::function<void(const std::string&)> on_lost)
      : lease_(std::move(lease)), timing_(timing), log_(log), metrics_(metrics), on_lost_(std::move(on_lost)),
        fence_(lease_.fence(0)) {}
  ~LeaseKeeper() { stop(); }
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // `on_acquired` is called once, from the keeper's thread, when this process holds the lease.
  void start(std::function<void()> on_acquired) {
    thread_ = std::thread([this, on_acquired = std::move(on_acquired)] { run(on_acquired); });
  }
  // Stops trying or renewing and waits for the thread.
  void stop() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // After stop() and a clean close of the store: ends the grant now, so a standby takes over at
  // once instead of after the ttl.
  void release() {
    if (!active_) return;
    auto released = lease_.release(fence_.token);
    if (released) {
      log_.write(spdlog::level::info, fmt::format("lease released (token {}): a standby may take over now", fence_.token));
    } else {
      log_.write(spdlog::level::warn, "lease not released (" + released.error().message() +
                                          "); a standby takes over once the grant expires");
    }
    metrics_.lease_active().Set(0);
  }
  // Whether the grant has run out by this process's reckoning (the renewals did not get through).
  bool expired() const {
    const auto until = valid_until_.load();
    return active_ && Clock::now().time_since_epoch().count() >= until;
  }
  // What every write transaction checks once this process is active.
  const store::LeaseFence& fence() const noexcept { return fence_; }
  // The lease part of /readyz.
  nlohmann::json detail() const {
    const std::lock_guard lock(mutex_);
    return detail_;
  }

 private:
  // Sleeps until `when`; false when stop() was called.
  bool wait_until(Clock::time_point when) {
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, when, [this] { return stopping_; });
    return !stopping_;
  }
  void set_detail(nlohmann::json detail) {
    const std::lock_guard lock(mutex_);
    detail_ = std::move(detail);
  }

  void run(const std::function<void()>& on_acquired) {
    std::optional<store::LeaseRenewal> renewal;
    std::string seen;  // the standby's last logged view, so only changes are logged
    while (!renewal) {
      const auto sent = Clock::now();
      auto token = lease_.acquire();
      if (token && token->has_value()) {
        renewal.emplace(timing_, **token, sent);
        break;
      }
      std::string view;
      if (!token) {
        view = "could not compete for the lease: " + token.error().message();
        set_detail({{"lease", "standby"}, {"error", std::string(token.error().reason().name)}});
      } else {
        auto row = lease_.read();
        const auto holder = row && row->has_value() ? (*row)->holder : std::string("?");
        const auto held_token = row && row->has_value() ? (*row)->token : 0;
        view = fmt::format("standby: the lease is held by {} (token {})", holder, held_token);
        set_detail({{"lease", "standby"}, {"holder", holder}, {"token", held_token}});
      }
      if (view != seen) log_.write(token ? spdlog::level::info : spdlog::level::warn, "lease: " + view);
      seen = std::move(view);
      metrics_.lease_active().Set(0);
      if (!wait_until(sent + timing_.renew)) return;
    }

    fence_.token = renewal->token();
    valid_until_ = renewal->valid_until().time_since_epoch().count();
    active_ = true;
    metrics_.lease_active().Set(1);
    // A new row starts at token 1; anything above passed from another holder to this one.
    if (renewal->token() > 1) metrics_.lease_takeovers().Increment();
    set_detail({{"lease", "active"}, {"holder", lease_.holder()}, {"token", renewal->token()}});
    log_.write(spdlog::level::warn, fmt::format("lease: ACTIVE as {} with token {}{}: opening the store", lease_.holder(),
                                                renewal->token(), renewal->token() > 1 ? " (taken over)" : ""));
    on_acquired();

    bool failing = false;
    while (wait_until(renewal->next_attempt())) {
      const auto sent = Clock::now();
      auto outcome = lease_.acquire();
      const auto verdict = renewal->record(outcome, sent, Clock::now());
      valid_until_ = renewal->valid_until().time_since_epoch().count();
      if (verdict == store::LeaseRenewal::Verdict::kLost) {
        on_lost_(outcome ? "another relay holds the lease now" : "no renewal got through before the grant ran out (" +
                                                                       outcome.error().message() + ")");
        return;
      }
      if (verdict == store::LeaseRenewal::Verdict::kRetry) {
        metrics_.lease_renew_failures().Increment();
        if (!failing) {
          log_.write(spdlog::level::warn, "lease: renewal failed, retrying until the grant runs out: " +
                                              outcome.error().message());
        }
        failing = true;
      } else if (failing) {
        log_.write(spdlog::level::info, "lease: renewed again");
        failing = false;
      }
    }
  }

  store::Lease lease_;
  store::LeaseTiming timing_;
  Log& log_;
  engine::Metrics& metrics_;
  std::function<void(const std::string&)> on_lost_;
  store::LeaseFence fence_;  // its token set once, before on_acquired
  std::atomic<bool> active_ = false;
  std::atomic<Clock::rep> valid_until_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  nlohmann::json detail_ = {{"lease", "standby"}};
  std::thread thread_;
};

api::ServerOptions server_options_of(const engine::Config& config) {
  api::ServerOptions options;
  options.listen = config.relay.listen;
  options.requests_per_second = config.relay.api.requests_per_second;
  options.burst = config.relay.api.burst;
  if (const auto& tls = config.relay.api.tls) {
    // The loader allows these three words only.
    const api::ClientAuth client_auth = tls->client_auth == "required"   ? api::ClientAuth::kRequired
                                        : tls->client_auth == "optional" ? api::ClientAuth::kOptional
                                                                         : api::ClientAuth::kNone;
    options.tls = api::TlsOptions{tls->cert_file, tls->key_file, tls->client_ca_file, client_auth};
  }
  return options;
}

// The exit status of a server that could not start: a TLS file that cannot be used is the
// config's fault, like a key file: exit 2, field named.
int report_server_failure(Log& log, core::Error error) {
  const auto why = error.reason();
  const bool tls_file = why == api::reason::kTlsConfig || why.name.starts_with("key_file.");
  log.write(spdlog::level::err, tls_file ? std::move(error).with_context("relay.api.tls").message() : error.message());
  return tls_file ? 2 : 1;
}

// A standby until `keeper` holds the lease: /healthz, /readyz (503: standby, and who holds the
// lease) and /metrics on the relay's address, nothing else, and no store open. Nothing once this
// process holds the lease; otherwise the exit status (0 after SIGTERM or SIGINT).
std::optional<int> serve_as_standby(const engine::Config& config, LeaseKeeper& keeper, Log& log,
                                    engine::Metrics& metrics) {
  asio::io_context io(1);
  auto server = api::HttpServer::create(io.get_executor(), server_options_of(config));
  if (!server) return report_server_failure(log, std::move(server).error());
  (*server)->set_metrics(metrics.registry());
  (*server)->set_readiness([&keeper, &metrics] {
    metrics.ready().Set(0);
    return api::Readiness{false, keeper.detail()};
  });
  (*server)->start();
  log.write(spdlog::level::info, fmt::format("standby: serving /healthz /readyz /metrics on {}", config.relay.listen));

  api::HttpServer& http = **server;
  bool acquired = false;
  bool finishing = false;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto finish = [&] {
    if (std::exchange(finishing, true)) return;
    signals.cancel();
    asio::co_spawn(io, [&http]() -> asio::awaitable<void> { co_await http.stop(); }, asio::detached);
  };
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    log.write(spdlog::level::info, fmt::format("signal {}: the standby stops", signal));
    finish();
  });
  keeper.start([&io, &acquired, &finishing, &finish] {
    asio::post(io, [&acquired, &finishing, &finish] {
      acquired = !finishing;  // after a signal the lease is handed back below
      finish();
    });
  });
  io.run();
  if (acquired) return std::nullopt;
  // Stopped by a signal: a lease taken meanwhile is handed back at once.
  keeper.stop();
  keeper.release();
  log.write(spdlog::level::info, "stopped cleanly");
  return 0;
}

}  // namespace

core::Result<core::SignerPtr> load_signer(const engine::KeyRef& ref, const std::string& what) {
  if (ref.pkcs11) {
    const evm::Pkcs11KeySpec spec{ref.pkcs11->module, ref.pkcs11->token, ref.pkcs11->key, ref.pkcs11->pin_file,
                                  ref.pkcs11->pin_env};
    auto signer = evm::Pkcs11Signer::open(spec);
    if (!signer) return std::move(signer).error().with_context(what);
    return core::SignerPtr(std::move(signer).value());
  }
  CW_TRY(auto key, load_key(ref, what));
  return core::LocalSigner::make(std::move(key));
}

void add_relay_options(CLI::App& command, RelayOptions& options) {
  command.add_option("--config,-c", options.config_path, "Relay config (YAML or JSON, schemas/config.schema.json)")
      ->required();
}

int run_relay(const RelayOptions& options) {
  auto config = load_config_file(options.config_path);
  if (!config) {
    std::fprintf(stderr, "causeway relay: %s: %s\n", options.config_path.c_str(), config.error().message().c_str());
    return 2;
  }
  Log log(config->relay.log_format, config->relay.log_level);
  log.write(spdlog::level::info, fmt::format("causeway {} starting with {} chains and {} lanes", kVersion,
                                             config->chains.size(), config->lanes.size()));
  for (const auto& warning : config_warnings(*config)) log.write(spdlog::level::warn, "WARNING: " + warning);

  engine::EngineKeys keys;
  std::optional<core::Ed25519PrivateKey> log_key;
  std::string log_origin;
  {
    auto vote = load_signer(config->relay.vote_key, "relay.vote_key");
    if (!vote) {
      log.write(spdlog::level::err, vote.error().message());
      return 2;
    }
    keys.vote = std::move(vote).value();
    // The log's origin names this relay by its attester address, which auditors already know.
    log_origin = "causeway/" + core::to_hex(keys.vote->address());
    if (config->relay.log_key) {
      // The loader made sure it is a key file (Ed25519, PEM or hex).
      auto loaded = core::load_ed25519_key_file(config->relay.log_key->raw_file);
      if (!loaded) {
        log.write(spdlog::level::err, "relay.log_key: " + loaded.error().message());
        return 2;
      }
      log_key.emplace(std::move(loaded).value());
    }
    for (std::size_t i = 0; i < config->chains.size(); ++i) {
      const auto& chain = config->chains[i];
      auto gas = load_signer(chain.gas_key, "chains[" + std::to_string(i) + "].gas_key");
      if (!gas) {
        log.write(spdlog::level::err, gas.error().message());
        return 2;
      }
      keys.gas.emplace(chain.name, std::move(gas).value());
    }
  }

  engine::Metrics metrics;
  metrics.build_info(kVersion).Set(1);
  store::StoreOptions store_options;
  store_options.defer_quick_check = true;  // run beside the relay, below
  std::optional<store::PostgresTarget> pg_target;
  if (config->relay.postgres) {
    auto target = postgres_target(*config->relay.postgres);
    if (!target) {
      log.write(spdlog::level::err, target.error().message());
      return 2;
    }
    pg_target = std::move(target).value();
  }

  // On PostgreSQL several relays with this config share the store: the lease decides which one
  // is active. Lost, it stops this process at once, wherever it is, without closing the store
  // (no clean-shutdown mark: the next active relay checks the audit log).
  std::unique_ptr<LeaseKeeper> keeper;
  const auto lost = [&log](const std::string& why) {
    log.write(spdlog::level::critical,
              fmt::format("LEASE LOST: {}; stopping at once with exit status {}, nothing more is written or "
                          "broadcast (restarted, this relay competes for the lease again as a standby)",
                          why, kExitLeaseLost));
    std::_Exit(kExitLeaseLost);
  };
  if (pg_target) {
    const auto& pg = *config->relay.postgres;
    auto lease = store::Lease::open(*pg_target, "relay", lease_holder_id(), {pg.lease_ttl, pg.lease_renew});
    if (!lease) {
      log.write(spdlog::level::err, "store postgresql schema " + pg.schema + ": lease: " + lease.error().message());
      return 1;
    }
    log.write(spdlog::level::info,
              fmt::format("lease: competing for the store of postgresql schema {} as {} (ttl {} ms, renew {} ms)",
                          pg.schema, lease->holder(), pg.lease_ttl.count(), pg.lease_renew.count()));
    keeper = std::make_unique<LeaseKeeper>(std::move(lease).value(), store::LeaseTiming{pg.lease_ttl, pg.lease_renew},
                                           log, metrics, lost);
    if (const auto stopped = serve_as_standby(*config, *keeper, log, metrics)) return *stopped;
    // Every write transaction checks the lease first: a process that lost it can commit nothing,
    // so it can sign and journal no new transaction, and a journaled one is what it broadcasts.
    store_options.write_guard = [fence = keeper->fence(), lost](store::sql::Connection& db) -> core::Result<void> {
      auto held = store::check_lease(db, fence);
      if (!held && (held.error().reason() == store::reason::kLeaseLost ||
                    held.error().reason() == store::reason::kConnection)) {
        lost("a write found: " + held.error().message());
      }
      return held;
    };
  }
  auto store = pg_target ? store::Store::open_postgres(*pg_target, store_options)
                         : store::Store::open(config->relay.store, store_options);
  if (!store) {
    const auto where = config->relay.postgres ? "postgresql schema " + config->relay.postgres->schema
                                              : config->relay.store;
    log.write(spdlog::level::err, "store " + where + ": " + store.error().message());
    return 1;
  }
  if (pg_target) {
    const auto& pg = *config->relay.postgres;
    auto bounded = store::bound_open_transactions((*store)->connection(), {pg.lease_ttl, pg.lease_renew});
    if (!bounded) {
      log.write(spdlog::level::err, "store postgresql schema " + pg.schema + ": " + bounded.error().message());
      return 1;
    }
  }
  const auto& report = (*store)->open_report();
  if (report.unclean_shutdown) {
    log.write(spdlog::level::warn, "the previous run did not shut down cleanly; the store passed a full integrity check");
  }

  asio::io_context io(1);

  engine::EngineOptions engine_options;
  engine_options.log = [&log](int level, const std::string& text) { log.write(level_of(level), text); };
  auto stream = std::make_shared<api::TransitionStream>();  // /v1/stream's feed
  engine_options.on_transition = [stream](const engine::TransitionEvent& event) { stream->publish(event); };
  store::CheckpointSigner signer{log_origin, log_origin, log_key ? &*log_key : nullptr, {}};
  // POST /v1/audit/checkpoint signs with the same signer and store as the interval, and counts
  // in the same metrics; the interval's counting is the engine's.
  std::function<core::Result<store::Checkpoint>()> sign_checkpoint_now;
  if (log_key) {
    store::Store& opened = **store;
    engine_options.checkpoint = [&opened, &signer]() -> core::Result<void> {
      if (opened.audit_size() == 0) return core::ok();
      auto signed_checkpoint = store::sign_and_store_checkpoint(opened, signer);
      if (!signed_checkpoint) return std::move(signed_checkpoint).error();
      return core::ok();
    };
    sign_checkpoint_now = [&opened, &signer, &metrics]() -> core::Result<store::Checkpoint> {
      auto signed_checkpoint = store::sign_and_store_checkpoint(opened, signer);
      if (signed_checkpoint) {
        metrics.checkpoints_signed().Increment();
        metrics.last_checkpoint_time().Set(static_cast<double>(std::time(nullptr)));
      }
      return signed_checkpoint;
    };
  } else {
    log.write(spdlog::level::warn, "WARNING: no relay.log_key: audit checkpoints are not signed");
  }
  auto engine = engine::Engine::create(io, *config, **store, metrics, std::move(keys), std::move(engine_options));
  if (!engine) {
    log.write(spdlog::level::err, engine.error().message());
    (void)(*store)->close();
    return 2;
  }

  auto server = api::HttpServer::create(io.get_executor(), server_options_of(*config));
  if (!server) {
    (void)(*store)->close();
    return report_server_failure(log, std::move(server).error());
  }
  engine::Engine& running = **engine;
  std::atomic<bool> store_damaged = false;  // set by the quick_check beside the relay, below
  (*server)->set_metrics(metrics.registry());
  (*server)->set_readiness([&running, &metrics, &store_damaged, &keeper] {
    auto status = running.status();
    if (store_damaged) {
      status.ready = false;
      status.detail["store"] = "failed quick_check";
    }
    if (keeper) status.detail["lease"] = keeper->detail();
    metrics.ready().Set(status.ready ? 1 : 0);
    return api::Readiness{status.ready, status.detail};
  });
  auto admin_token = load_admin_token(config->relay.api);  // never logged
  if (!admin_token) {
    log.write(spdlog::level::err, admin_token.error().message());
    (void)(*store)->close();
    return 2;
  }
  if (admin_token->empty()) log.write(spdlog::level::info, "no relay.api admin token: the admin API is disabled");
  api::V1Options v1;
  v1.admin_token = std::move(*admin_token);
  v1.public_reads = config->relay.api.public_reads;
  v1.admin_client_certs = config->relay.api.admin_client_certs;
  v1.stream = stream;
  v1.sign_checkpoint = std::move(sign_checkpoint_now);
  v1.set_log_level = [&log](std::string level) { return log.set_level(level); };
  v1.on_error = [&log](std::string_view text) { log.write(spdlog::level::err, text); };
  api::install_v1_routes(**server, running, **store, std::move(v1));
  api::install_console_routes(**server);
  (*server)->start();
  log.write(spdlog::level::info, fmt::format("serving /healthz /readyz /metrics /v1 on {}://{}",
                                             config->relay.api.tls ? "https" : "http", config->relay.listen));
  if ((*server)->exposes_plaintext()) {
    log.write(spdlog::level::warn,
              fmt::format("WARNING: plain HTTP on {}, which is not a loopback address: requests, answers and the admin "
                          "token cross the network readable; set relay.api.tls (metric causeway_api_plaintext is 1)",
                          config->relay.listen));
  }

  // The clean start's quick_check reads every page of the store, seconds on a large one: it runs
  // on its own connection beside the relay instead of before readiness. A damaged store stops the
  // relay without the clean-shutdown mark, so the next start runs the full integrity check.
  std::thread store_check;
  if (report.quick_check_deferred) {
    store_check = std::thread([&, path = config->relay.store] {
      auto checked = store::Store::quick_check(path);
      if (checked) {
        asio::post(io, [&log] { log.write(spdlog::level::info, "store quick_check passed"); });
        return;
      }
      asio::post(io, [&, message = checked.error().message()] {
        store_damaged = true;
        log.write(spdlog::level::critical, "the store failed quick_check, stopping: " + message);
        running.stop();
      });
    });
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    log.write(spdlog::level::info, fmt::format("signal {}: finishing in-flight work", signal));
    running.stop();
  });

  // The engine's thread watches too: a renewal thread stuck in a database call cannot report that
  // the grant ran out, and the store's connection never comes back once libpq gave it up.
  asio::steady_timer lease_watch(io);
  std::function<void()> watch_lease = [&] {
    if (keeper->expired()) lost("no renewal got through before the grant ran out");
    if (store::connection_broken((*store)->connection())) lost("the store's database connection is gone");
    lease_watch.expires_after(config->relay.postgres->lease_renew);
    lease_watch.async_wait([&](const boost::system::error_code& error) {
      if (!error) watch_lease();
    });
  };
  if (keeper) watch_lease();

  api::HttpServer& http = **server;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await running.run();
        signals.cancel();
        lease_watch.cancel();
        co_await http.stop();
      },
      asio::detached);
  io.run();
  if (store_check.joinable()) store_check.join();
  if (store_damaged) return 1;

  auto closed = (*store)->close();
  if (!closed) {
    log.write(spdlog::level::err, "closing the store: " + closed.error().message());
    return 1;
  }
  if (keeper) {
    // Only after the store is closed: its clean-shutdown mark is written unfenced.
    keeper->stop();
    keeper->release();
  }
  log.write(spdlog::level::info, "stopped cleanly");
  return 0;
}

}  // namespace causeway::app
