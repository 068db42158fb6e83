// `causeway config` (see config_command.hpp): checking a config file, and turning the devnet's
// deployment manifest into a config the loader accepts.
#include "relay/app/config_command.hpp"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "relay/app/config_loader.hpp"
#include "relay/app/verify_command.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::app {
namespace {

namespace fs = std::filesystem;
namespace json_read = verify::json_read;
using json_read::field_path;
using json_read::index_path;
using nlohmann::json;
using nlohmann::ordered_json;

inline constexpr std::size_t kMaxManifestDepth = 16;

// The member `key` of `object`, or null when there is none: a const operator[] must never see a
// missing key.
const json& member(const json& object, const std::string& key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string plural(std::size_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

// The file the manifest names for chain `name` in keys.gas.
core::Result<std::string> gas_key_file(const json& manifest, const std::string& name) {
  const json& gas = member(member(manifest, "keys"), "gas");
  CW_CHECK(json_read::check_array(gas, "keys.gas", 1024));
  for (std::size_t i = 0; i < gas.size(); ++i) {
    const std::string path = index_path("keys.gas", i);
    // A manifest names key files and addresses only; a key itself there is refused, not copied on.
    CW_CHECK(json_read::check_object(gas[i], path, {"chain", "file", "address"}));
    CW_TRY(const std::string chain, json_read::read_string(member(gas[i], "chain"), field_path(path, "chain"), 128));
    if (chain == name) return json_read::read_string(member(gas[i], "file"), field_path(path, "file"), 4096);
  }
  return json_read::bad("keys.gas", "no key for chain \"" + name + "\"");
}

void emit(YAML::Emitter& out, const ordered_json& value) {
  switch (value.type()) {
    case ordered_json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& item : value.items()) {
        out << YAML::Key << item.key() << YAML::Value;
        emit(out, item.value());
      }
      out << YAML::EndMap;
      return;
    case ordered_json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      return;
    case ordered_json::value_t::string:
      // Quoted, so no string can read back as a number, bool or null.
      out << YAML::DoubleQuoted << value.get_ref<const std::string&>();
      return;
    case ordered_json::value_t::boolean:
      out << value.get<bool>();
      return;
    case ordered_json::value_t::number_integer:
      out << value.get<std::int64_t>();
      return;
    case ordered_json::value_t::number_unsigned:
      out << value.get<std::uint64_t>();
      return;
    case ordered_json::value_t::number_float:
      out << value.get<double>();
      return;
    case ordered_json::value_t::null:
    case ordered_json::value_t::binary:
    case ordered_json::value_t::discarded:
      out << YAML::Null;
      return;
  }
}

int run_check(const ConfigCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto config = load_config_file(options.file);
  if (!config) {
    err << "error: " << options.file << ": " << config.error().message() << "\n";
    return 2;
  }
  out << "ok: " << plural(config->chains.size(), "chain") << ", " << plural(config->lanes.size(), "lane") << "\n";
  for (const auto& warning : config_warnings(*config)) out << "warning: " << warning << "\n";
  return 0;
}

int run_from_manifest(const ConfigCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](const core::Error& error) {
    err << "error: " << options.manifest << ": " << error.message() << "\n";
    return 2;
  };
  const fs::path manifest_path(options.manifest);
  auto text = read_bounded_file(manifest_path, kMaxConfigBytes);
  if (!text) return fail(text.error());
  auto manifest = json_read::parse_bounded(*text, kMaxConfigBytes, kMaxManifestDepth);
  if (!manifest) return fail(manifest.error());
  std::error_code ec;
  const fs::path absolute = fs::absolute(manifest_path, ec);
  const ManifestOptions manifest_options{
      options.store.empty() ? (absolute.parent_path() / "relay.db").string() : options.store, options.listen};
  auto config = config_from_manifest(*manifest, manifest_options);
  if (!config) return fail(config.error());
  // Never write a config the relay would refuse (a manifest edited by hand, a bad --listen).
  auto loaded = config_from_json(json(*config));
  if (!loaded) return fail(std::move(loaded).error().with_context("the config it gives is refused"));

  const bool as_json = !options.out.empty() && fs::path(options.out).extension() == ".json";
  const std::string document =
      as_json ? config->dump(2) + "\n"
              : config_to_yaml(*config, "Causeway relay config for the devnet deployment " + absolute.string() +
                                            ",\nwritten by `causeway config from-manifest`. Development only: raw key "
                                            "files, consensus mode confirmations.");
  if (options.out.empty()) {
    out << document;
    return 0;
  }
  std::ofstream file(options.out, std::ios::binary | std::ios::trunc);
  file << document;
  file.close();
  if (!file) {
    err << "error: " << options.out << ": cannot write\n";
    return 2;
  }
  out << "wrote " << options.out << ": " << plural(loaded->chains.size(), "chain") << ", "
      << plural(loaded->lanes.size(), "lane") << "\n";
  return 0;
}

}  // namespace

void add_config_commands(CLI::App& app, ConfigCommandOptions& options) {
  auto* config = app.add_subcommand("config", "Check a relay config, or write one for a devnet deployment");
  config->require_subcommand(1);

  auto* check = config->add_subcommand("check", "Load a config as the relay would; print a summary and warnings");
  check->add_option("FILE", options.file, "Config file: YAML if it ends in .yaml or .yml, JSON otherwise")->required();
  check->callback([&options] { options.action = ConfigAction::kCheck; });

  auto* from = config->add_subcommand("from-manifest", "Write the relay config for a devnet deployment manifest");
  from->add_option("MANIFEST", options.manifest, "Deployment manifest written by deploy/devnet/deploy.mjs")->required();
  from->add_option("--out", options.out, "Write the config here (JSON if it ends in .json, else YAML); default stdout");
  from->add_option("--store", options.store, "relay.store (default: relay.db beside the manifest)");
  from->add_option("--listen", options.listen, "relay.listen (default 127.0.0.1:9464)");
  from->callback([&options] { options.action = ConfigAction::kFromManifest; });
}

int run_config_command(const ConfigCommandOptions& options, std::ostream& out, std::ostream& err) {
  switch (options.action) {
    case ConfigAction::kCheck:
      return run_check(options, out, err);
    case ConfigAction::kFromManifest:
      return run_from_manifest(options, out, err);
    case ConfigAction::kNone:
      break;
  }
  err << "error: usage: causeway config check FILE | causeway config from-manifest MANIFEST\n";
  return 2;
}

core::Result<ordered_json> config_from_manifest(const json& manifest, const ManifestOptions& options) {
  CW_CHECK(
      json_read::check_object(manifest, "", {"version", "chains", "attesters", "keys"}, {"createdAt", "contractsDir"}));
  const json& chains = manifest["chains"];
  CW_CHECK(json_read::check_array(chains, "chains", 256));
  CW_TRY(const std::uint64_t threshold,
         json_read::read_uint(member(manifest["attesters"], "threshold"), "attesters.threshold", 65535));
  const json& votes = member(manifest["keys"], "vote");
  CW_CHECK(json_read::check_array(votes, "keys.vote", 1024));
  if (votes.empty()) return json_read::bad("keys.vote", "no vote key");
  for (std::size_t i = 0; i < votes.size(); ++i) {
    CW_CHECK(json_read::check_object(votes[i], index_path("keys.vote", i), {"file", "address"}));
  }
  CW_TRY(const std::string vote_file, json_read::read_string(member(votes[0], "file"), "keys.vote[0].file", 4096));

  ordered_json relay{{"store", options.store}};
  if (!options.listen.empty()) relay["listen"] = options.listen;
  relay["vote_key"] = {{"raw_file", vote_file}};

  // Names first: lanes and payload limits refer to chains by them.
  std::vector<std::string> names;
  for (std::size_t i = 0; i < chains.size(); ++i) {
    CW_TRY(std::string name,
           json_read::read_string(member(chains[i], "name"), field_path(index_path("chains", i), "name"), 128));
    names.push_back(std::move(name));
  }
  // A lane each way for every pair of chains joined by trust: deliveries go one way and their
  // acknowledgements are proven back the other. Messages from a chain are bounded by the largest
  // payload any gateway accepts from it.
  ordered_json lanes = ordered_json::array();
  auto add_lane = [&](const std::string& from, const std::string& to) {
    for (const auto& lane : lanes) {
      if (lane["from"] == from && lane["to"] == to) return;
    }
    lanes.push_back({{"from", from}, {"to", to}});
  };
  std::vector<std::uint64_t> max_payload(chains.size(), 0);
  for (std::size_t i = 0; i < chains.size(); ++i) {
    const std::string path = field_path(index_path("chains", i), "trustedSources");
    const json& sources = member(chains[i], "trustedSources");
    CW_CHECK(json_read::check_array(sources, path, 256));
    for (std::size_t k = 0; k < sources.size(); ++k) {
      const std::string source_path = index_path(path, k);
      CW_TRY(const std::string from,
             json_read::read_string(member(sources[k], "chain"), field_path(source_path, "chain"), 128));
      CW_TRY(const std::uint64_t payload,
             json_read::read_uint(member(sources[k], "maxPayload"), field_path(source_path, "maxPayload"), UINT32_MAX));
      const auto source = std::find(names.begin(), names.end(), from);
      if (source == names.end()) return json_read::bad(field_path(source_path, "chain"), "no chain \"" + from + "\"");
      auto& bound = max_payload[static_cast<std::size_t>(source - names.begin())];
      bound = std::max(bound, payload);
      add_lane(names[i], from);
      add_lane(from, names[i]);
    }
  }

  ordered_json out_chains = ordered_json::array();
  for (std::size_t i = 0; i < chains.size(); ++i) {
    const std::string path = index_path("chains", i);
    const json& c = chains[i];
    auto at = [&](std::string_view field) { return field_path(path, field); };
    CW_TRY(const std::string http,
           json_read::read_string(member(member(c, "rpc"), "http"), field_path(at("rpc"), "http"), 2048));
    CW_TRY(const std::uint64_t deploy_block,
           json_read::read_uint(member(c, "deployBlock"), at("deployBlock"), UINT32_MAX));
    CW_TRY(const std::string gas_file, gas_key_file(manifest, names[i]));
    ordered_json chain{{"name", names[i]}};
    // Copied as written: the loader run on the result judges them, naming the same fields.
    chain["family"] = member(c, "family");
    // The manifest writes chain ids in decimal only (the config also takes 0x strings).
    CW_CHECK(json_read::read_decimal(member(c, "chainId"), at("chainId")));
    chain["chain_id"] = member(c, "chainId");
    chain["genesis_hash"] = member(c, "genesisHash");
    chain["chain_identity"] = member(c, "chainIdentity");
    chain["gateway"] = member(c, "gateway");
    chain["start_height"] = deploy_block;
    chain["endpoints"] = ordered_json::array({http});
    // The trust anchors need at least one confirmation; the devnet mines a block every blockTime
    // seconds, so that costs one block time.
    chain["consensus"] = {{"mode", "confirmations"}, {"confirmations", 1}};
    if (max_payload[i] > 0) chain["limits"] = {{"max_payload", max_payload[i]}};
    chain["gas_key"] = {{"raw_file", gas_file}};
    chain["threshold"] = threshold;
    out_chains.push_back(std::move(chain));
  }
  return ordered_json{
      {"version", 1}, {"relay", std::move(relay)}, {"chains", std::move(out_chains)}, {"lanes", std::move(lanes)}};
}

std::string config_to_yaml(const ordered_json& config, std::string_view comment) {
  std::string out;
  std::size_t start = 0;
  while (start <= comment.size() && !comment.empty()) {
    const std::size_t end = std::min(comment.find('\n', start), comment.size());
    out += "# " + std::string(comment.substr(start, end - start)) + "\n";
    start = end + 1;
  }
  YAML::Emitter emitter;
  emit(emitter, config);
  out += emitter.c_str();
  out += "\n";
  return out;
}

}  // namespace causeway::app
