#include "relay/app/relay_command.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
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

  store::StoreOptions store_options;
  store_options.defer_quick_check = true;  // run beside the relay, below
  auto store = store::Store::open(config->relay.store, store_options);
  if (!store) {
    log.write(spdlog::level::err, "store " + config->relay.store + ": " + store.error().message());
    return 1;
  }
  const auto& report = (*store)->open_report();
  if (report.unclean_shutdown) {
    log.write(spdlog::level::warn, "the previous run did not shut down cleanly; the store passed a full integrity check");
  }

  asio::io_context io(1);
  engine::Metrics metrics;
  metrics.build_info(kVersion).Set(1);

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

  api::ServerOptions server_options;
  server_options.listen = config->relay.listen;
  server_options.requests_per_second = config->relay.api.requests_per_second;
  server_options.burst = config->relay.api.burst;
  if (const auto& tls = config->relay.api.tls) {
    // The loader allows these three words only.
    const api::ClientAuth client_auth = tls->client_auth == "required"   ? api::ClientAuth::kRequired
                                        : tls->client_auth == "optional" ? api::ClientAuth::kOptional
                                                                         : api::ClientAuth::kNone;
    server_options.tls = api::TlsOptions{tls->cert_file, tls->key_file, tls->client_ca_file, client_auth};
  }
  auto server = api::HttpServer::create(io.get_executor(), server_options);
  if (!server) {
    // A TLS file that cannot be used is the config's fault, like a key file: exit 2, field named.
    const auto why = server.error().reason();
    const bool tls_file = why == api::reason::kTlsConfig || why.name.starts_with("key_file.");
    log.write(spdlog::level::err,
              tls_file ? std::move(server).error().with_context("relay.api.tls").message() : server.error().message());
    (void)(*store)->close();
    return tls_file ? 2 : 1;
  }
  engine::Engine& running = **engine;
  std::atomic<bool> store_damaged = false;  // set by the quick_check beside the relay, below
  (*server)->set_metrics(metrics.registry());
  (*server)->set_readiness([&running, &metrics, &store_damaged] {
    auto status = running.status();
    if (store_damaged) {
      status.ready = false;
      status.detail["store"] = "failed quick_check";
    }
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

  api::HttpServer& http = **server;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await running.run();
        signals.cancel();
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
  log.write(spdlog::level::info, "stopped cleanly");
  return 0;
}

}  // namespace causeway::app
