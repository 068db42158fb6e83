#!/usr/bin/env bash
# The relay's end-to-end benchmark (issue 5 item 6) and its store figures. Use a release build:
# CAUSEWAY_BUILD (default build/release) must hold relay/app/causeway, contracts/ and
# tests/bench/causeway_store_fill. No wall-clock limit is asserted anywhere; these are figures.
#
#   tests/bench/relay_bench.sh run [--messages 5000] [--per-tx 200] [--block-time 1] [--batch 80]
#                                  [--max-gas 10000000] [--flush-ms 50] [--concurrency 4]
#                                  [--gas-cap 15000000] [--block-gas-limit G] [--attesters 1] [--threshold T]
#     The fixed workload on a fresh devnet (free ports, private state directory): Probe.sendMany on
#     chain a emits --per-tx MessageSent per transaction, both chains mine every --block-time
#     seconds, the relay delivers to b in batches of at most --batch messages and --max-gas summed
#     gas limits (lanes[].batch of its generated config; chains[].gas_cap caps each transaction)
#     and acknowledges back on a. --block-gas-limit raises both chains' block gas limit
#     (evm_setBlockGasLimit; anvil's default is 30,000,000) to see past the chains. The default
#     batch is the largest a 15,000,000 gas cap allows: the sink asks n × 181,600 + 60,000 gas for
#     n Probe messages of 100,000 gas (gas.hpp batch_gas_limit), so 82 at most. Reports
#     messages/s, latencies by block timestamp (driver.mjs latency), relay CPU seconds per message
#     and peak RSS, the mean batch, how long acknowledgements took, and a per-second timeline of
#     the relay's counters (to see which stage limits).
#     --attesters N (at most 4) deploys the gateways with N attesters at threshold T (default
#     N/2 + 1, rounded down) and runs N relays, as tests/e2e/multiorg_test.sh does
#     (tests/e2e/multiorg_lib.sh): each with its own vote key, gas accounts on both chains, store and
#     API, each submitting its own votes. CPU and RSS are then reported summed and per relay, with
#     the transactions each relay's gas accounts sent on each chain (their nonces before and after)
#     per message, and a timeline per relay.
#
#   tests/bench/relay_bench.sh store [--messages 1000000] [--pending 100000] [--bundle-bytes 4096]
#     Fills a store with that many messages (causeway_store_fill: the last --pending verified, the
#     rest acknowledged), times Store::open on it, then starts `causeway relay` on it with both
#     chains unreachable (readiness comes after the start attempts) and measures the time to
#     /readyz 200 and the relay's RSS then and 10 s later.
#
#   tests/bench/relay_bench.sh replay [run's workload options, default --per-tx 1 --concurrency 8]
#     The relay alone: a recording run of the workload (acknowledgements off, chain b snapshotted
#     before it), then chain b reverted to the snapshot and a fresh relay (new store) whose chain a
#     source is tests/bench/replay_adapter.mjs serving the recorded message bundles, one block per
#     poll: no source-side RPC, scanning or proving, the sender gone. It still verifies every bundle
#     (canonical hashes from chain a's node, which keeps the blocks), stores, votes and delivers to b.
#     Reports msgs/s from the replaying relay's start to the last execution on b, its CPU per
#     message and peak RSS, beside the recording run's. A poll's reply is one line of at most 64 MiB
#     and a poll cannot split a block, so a recorded block's bundles must fit (about 800 at 20
#     messages per transaction, thousands at 1).
#
# All print a table on stderr and one JSON object on stdout. --keep keeps the work directory
# (store, config, relay log, timeline) and prints where it is.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${CAUSEWAY_BUILD:-$root/build/release}"
bin="${CAUSEWAY_BIN:-$build/relay/app/causeway}"
contracts="${CAUSEWAY_CONTRACTS_BUILD:-$build/contracts}"
store_fill="${CAUSEWAY_STORE_FILL:-$build/tests/bench/causeway_store_fill}"
devnet="$root/deploy/devnet/devnet.sh"
driver="$root/tests/e2e/driver.mjs"
check="$root/tests/integration/devnet_check.mjs"

mode="${1:-}"
[[ "$mode" == run || "$mode" == store || "$mode" == replay ]] || { awk 'NR > 1 && !/^#/ { exit } NR > 1 { print }' "$0" >&2; exit 2; }
shift

messages="" per_tx="" block_time=1 batch=80 max_gas=10000000 flush_ms=50 concurrency=""
gas_cap=15000000 block_gas_limit="" pending=100000 bundle_bytes=4096 keep=0 attesters=1 threshold=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --messages) messages="$2"; shift 2 ;;
    --per-tx) per_tx="$2"; shift 2 ;;
    --block-time) block_time="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --max-gas) max_gas="$2"; shift 2 ;;
    --flush-ms) flush_ms="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --gas-cap) gas_cap="$2"; shift 2 ;;
    --block-gas-limit) block_gas_limit="$2"; shift 2 ;;
    --pending) pending="$2"; shift 2 ;;
    --bundle-bytes) bundle_bytes="$2"; shift 2 ;;
    --attesters) attesters="$2"; shift 2 ;;
    --threshold) threshold="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "relay_bench: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$messages" ]]; then
  if [[ "$mode" == store ]]; then messages=1000000; else messages=5000; fi
fi
if [[ "$mode" == replay ]]; then
  per_tx="${per_tx:-1}" concurrency="${concurrency:-8}"
else
  per_tx="${per_tx:-200}" concurrency="${concurrency:-4}"
fi
threshold="${threshold:-$((attesters / 2 + 1))}"
for n in "$messages" "$per_tx" "$block_time" "$batch" "$max_gas" "$flush_ms" "$concurrency" "$gas_cap" \
  "${block_gas_limit:-0}" "$pending" "$bundle_bytes" "$attesters" "$threshold"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "relay_bench: '$n' is not a whole number" >&2; exit 2; }
done
# Relay n pays gas with development accounts 2n-1 and 2n (multiorg_lib.sh); anvil funds ten.
((attesters >= 1 && attesters <= 4)) || { echo "relay_bench: --attesters must be 1 to 4" >&2; exit 2; }
((threshold >= 1 && threshold <= attesters)) || { echo "relay_bench: --threshold must be 1 to $attesters" >&2; exit 2; }
[[ "$mode" == run || "$attesters" == 1 ]] || { echo "relay_bench: --attesters is for run" >&2; exit 2; }
[[ -x "$bin" ]] || { echo "relay_bench: no causeway binary at $bin (set CAUSEWAY_BUILD)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/causeway-bench.XXXXXX")"
export CAUSEWAY_DEVNET_STATE="$work/devnet"
export CAUSEWAY_DEVNET_CONTRACTS="$contracts"
export CAUSEWAY_DEVNET_BLOCK_TIME="$block_time"
export CAUSEWAY_DEVNET_ATTESTERS="$attesters" CAUSEWAY_DEVNET_THRESHOLD="$threshold"
manifest="$CAUSEWAY_DEVNET_STATE/manifest.json"
probes="$work/probes.json"
config="$work/relay.json"
relay_pid=()    # by relay number, 1..attesters
sampler_pid=()
devnet_up=0

# per_relay NAME N: relay N's file of that kind, relay 1's as it always was (relay.log, relay-2.log).
per_relay() { if (($2 == 1)); then echo "$work/$1"; else echo "$work/${1%.*}-$2.${1##*.}"; fi; }

cleanup() {
  local status=$? n log
  for n in "${!sampler_pid[@]}"; do kill "${sampler_pid[$n]}" 2>/dev/null || true; done
  for n in "${!relay_pid[@]}"; do kill -9 "${relay_pid[$n]}" 2>/dev/null || true; done
  if ((devnet_up)); then "$devnet" down >/dev/null 2>&1 || true; fi
  if [[ $status -ne 0 ]]; then
    for ((n = 1; n <= attesters; n++)); do
      log="$(per_relay relay.log "$n")"
      [[ -f "$log" ]] || continue
      echo "---- last lines of relay $n's log ----" >&2
      tail -n 20 "$log" >&2
    done
  fi
  if ((keep)); then echo "relay_bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 143' INT TERM

fail() { echo "relay_bench: $*" >&2; exit 1; }
drive() { node "$driver" "$@" --manifest "$manifest"; }
clock_ticks="$(getconf CLK_TCK)"
now() { date +%s.%N; }

read -r port_a port_b api_ports < <(node "$check" free-ports $((2 + attesters)))
export CAUSEWAY_DEVNET_PORT_A="$port_a" CAUSEWAY_DEVNET_PORT_B="$port_b"
read -r -a relay_port <<<"0 $api_ports"  # relay N's API port is relay_port[N]
relay_api() { echo "http://127.0.0.1:${relay_port[$1]}"; }

# shellcheck source=tests/e2e/multiorg_lib.sh
source "$root/tests/e2e/multiorg_lib.sh"

# utime + stime of relay $1 in seconds (fields 14 and 15 of /proc/PID/stat, counted after the
# command name, which may hold spaces).
cpu_seconds() {
  local stat
  stat="$(<"/proc/${relay_pid[$1]}/stat")"
  awk -v ticks="$clock_ticks" '{ printf "%.2f\n", ($12 + $13) / ticks }' <<<"${stat##*) }"
}
# A field of relay $2's /proc/PID/status in KiB: VmRSS (now) or VmHWM (peak).
memory_kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/${relay_pid[$2]}/status"; }
# for_relays FUNCTION [ARGS...]: its output for each relay, comma-separated.
for_relays() {
  local n out=()
  for ((n = 1; n <= attesters; n++)); do out+=("$("$@" "$n")"); done
  (IFS=,; echo "${out[*]}")
}

# Starts relay $1 and waits for /readyz 200; sets ready_seconds (from exec to 200, 20 ms polls).
start_relay() {
  local n="$1" started i
  started="$(now)"
  "$bin" relay --config "$(per_relay relay.json "$n")" >>"$(per_relay relay.log "$n")" 2>&1 &
  relay_pid[n]=$!
  for ((i = 0; i < 3000; i++)); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(relay_api "$n")/readyz")" == 200 ]]; then
      ready_seconds="$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')"
      return 0
    fi
    kill -0 "${relay_pid[$n]}" 2>/dev/null || fail "relay $n exited during start-up"
    sleep 0.02
  done
  fail "relay $n was not ready within 60 s"
}

stop_relay() {
  kill -TERM "${relay_pid[$1]}"
  wait "${relay_pid[$1]}" || fail "relay $1 did not stop cleanly"
  unset "relay_pid[$1]"
}

# Once a second, into relay $2's timeline: seconds since $1, its CPU seconds, RSS KiB, and its lane
# a->b counters (NA while /metrics does not answer: it is served on the engine's thread, so a busy
# engine shows).
sample() {
  local t0="$1" n="$2" timeline body counters
  timeline="$(per_relay timeline.tsv "$n")"
  printf 't\tcpu_s\trss_kib\tobserved\tsubmitted\texecuted\tacknowledged\tdeliver_txs\tack_txs\n' >"$timeline"
  while kill -0 "${relay_pid[$n]}" 2>/dev/null; do
    body="$(curl -sf --max-time 2 "$(relay_api "$n")/metrics" || true)"
    counters=$'NA\tNA\tNA\tNA\tNA\tNA'
    [[ -z "$body" ]] || counters="$(awk '
        function add(key) { split($1, p, "{"); if (p[1] == key && index($1, "lane=\"a->b\"")) return $NF; return 0 }
        { o += add("causeway_messages_observed_total"); s += add("causeway_messages_submitted_total")
          e += add("causeway_messages_executed_total"); a += add("causeway_messages_acknowledged_total")
          if (index($1, "causeway_submissions_total{") == 1 && index($1, "outcome=\"sent\"") && index($1, "lane=\"a->b\"")) {
            if (index($1, "kind=\"deliver\"")) d += $NF; else k += $NF } }
        END { printf "%d\t%d\t%d\t%d\t%d\t%d", o, s, e, a, d, k }' <<<"$body")"
    printf '%s\t%s\t%s\t%s\n' "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')" "$(cpu_seconds "$n")" \
      "$(memory_kib VmRSS "$n")" "$counters" >>"$timeline"
    sleep 1
  done
}

# Each chain's head and the nonce (pending: every transaction sent, mined or not) of each relay's
# gas account on it, as JSON {"heads": {"a": n, "b": n}, "nonces": [{"a": n, "b": n}, ...]}, relays
# in order.
chain_snapshot() {
  local n configs=()
  for ((n = 1; n <= attesters; n++)); do configs+=("$(per_relay relay.json "$n")"); done
  node -e '
    const fs = require("fs");
    const { createRequire } = require("module");
    const { ethers } = createRequire(process.argv[1] + "/package.json")("ethers");
    const [, manifest, ...configs] = process.argv.slice(1);
    const m = JSON.parse(fs.readFileSync(manifest));
    const rpc = async (url, method, params) => (await (await fetch(url, {method: "POST",
      headers: {"content-type": "application/json"}, body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params})})).json()).result;
    (async () => {
      const heads = Object.fromEntries(await Promise.all(m.chains.map(async (c) => [c.name, Number(await rpc(c.rpc.http, "eth_blockNumber", []))])));
      const nonces = await Promise.all(configs.map(async (file) => Object.fromEntries(await Promise.all(JSON.parse(fs.readFileSync(file)).chains.map(async (chain) => {
        const address = new ethers.Wallet(fs.readFileSync(chain.gas_key.raw_file, "utf8").trim()).address;
        const url = m.chains.find((c) => c.name === chain.name).rpc.http;
        return [chain.name, Number(await rpc(url, "eth_getTransactionCount", [address, "pending"]))];
      })))));
      console.log(JSON.stringify({heads, nonces}));
    })();' "$tools" "$manifest" "${configs[@]}"
}

# ---- run: the end-to-end workload --------------------------------------------------------------

# The devnet (with --block-gas-limit), the probes and relay 1's config for the workload's options.
prepare_run() {
  [[ -d "$contracts" ]] || fail "no compiled contracts at $contracts (set CAUSEWAY_BUILD)"
  "$devnet" up >/dev/null
  devnet_up=1
  if [[ -n "$block_gas_limit" ]]; then
    node -e '
      const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
      Promise.all(m.chains.map(async (c) => {
        const r = await (await fetch(c.rpc.http, {method: "POST", headers: {"content-type": "application/json"},
          body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "evm_setBlockGasLimit", params: ["0x" + BigInt(process.argv[2]).toString(16)]})})).json();
        if (r.error || r.result !== true) throw new Error(`chain ${c.name}: evm_setBlockGasLimit: ${JSON.stringify(r)}`);
      })).catch((e) => { console.error(e.message); process.exit(1); });' "$manifest" "$block_gas_limit" ||
      fail "could not raise the block gas limit"
  fi
  drive deploy --out "$probes" >/dev/null
  "$bin" config from-manifest "$manifest" --out "$config" --store "$work/relay.db" --listen "127.0.0.1:${relay_port[1]}" >/dev/null
  node -e '
    const fs = require("fs");
    const [file, batch, maxGas, flush, gasCap] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(file));
    for (const lane of c.lanes) lane.batch = {max_messages: Number(batch), max_gas: maxGas, flush_after_ms: Number(flush)};
    for (const chain of c.chains) chain.gas_cap = gasCap;
    fs.writeFileSync(file, JSON.stringify(c, null, 2));' "$config" "$batch" "$max_gas" "$flush_ms" "$gas_cap"
  "$bin" config check "$config" >/dev/null || fail "the generated config does not load"
}

run_bench() {
  prepare_run
  local n
  if ((attesters > 1)); then
    # shellcheck disable=SC2046 # one argument per account
    dev_keys $(seq 3 $((2 * attesters)))
    for ((n = 2; n <= attesters; n++)); do
      derive_config "$(per_relay relay.json "$n")" $((n - 1)) $((2 * n - 1)) $((2 * n)) "$(per_relay relay.db "$n")" \
        "127.0.0.1:${relay_port[$n]}"
    done
  fi
  local confirmations
  confirmations="$(node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(c.chains.find(x => x.name === "a").consensus.confirmations ?? 0)' "$config")"
  chain_snapshot >"$work/before.json"

  for ((n = 1; n <= attesters; n++)); do start_relay "$n"; done
  local t_send cpu_start cpu_executed cpu_acked t_executed t_acked
  t_send="$(now)"
  # The machine is shared: the 1-minute load average says how much of it the figures had.
  local load_send load_acked
  load_send="$(cut -d' ' -f1 /proc/loadavg)"
  cpu_start="$(for_relays cpu_seconds)"
  for ((n = 1; n <= attesters; n++)); do
    sample "$t_send" "$n" &
    sampler_pid[n]=$!
  done
  drive send --probes "$probes" --from a --to b --count "$messages" --per-tx "$per_tx" --concurrency "$concurrency" >"$work/send.json"
  local timeout=$((600 + messages / 5))
  drive wait --probes "$probes" --expect "{\"b\":{\"probe\":{\"received\":$messages}}}" --timeout "$timeout" >/dev/null ||
    fail "not all $messages messages executed on b within $timeout s"
  t_executed="$(now)"
  cpu_executed="$(for_relays cpu_seconds)"
  drive wait --probes "$probes" --expect "{\"a\":{\"probe\":{\"acks\":$messages}}}" --timeout "$timeout" >/dev/null ||
    fail "not all $messages messages acknowledged on a within $timeout s"
  t_acked="$(now)"
  load_acked="$(cut -d' ' -f1 /proc/loadavg)"
  cpu_acked="$(for_relays cpu_seconds)"
  sleep 1.5  # one more timeline sample with everything done
  local peak_rss
  peak_rss="$(for_relays memory_kib VmHWM)"
  for ((n = 1; n <= attesters; n++)); do
    curl -sf --max-time 5 "$(relay_api "$n")/metrics" >"$(per_relay metrics.txt "$n")" || fail "relay $n's /metrics did not answer"
  done
  for n in "${!sampler_pid[@]}"; do
    kill "${sampler_pid[$n]}" 2>/dev/null || true
    wait "${sampler_pid[$n]}" 2>/dev/null || true
    unset "sampler_pid[$n]"
  done
  for ((n = 1; n <= attesters; n++)); do stop_relay "$n"; done
  chain_snapshot >"$work/after.json"
  # One block's logs per request: a run's busy blocks hold thousands of events each, and 20,000
  # messages in one 500-block request outlasted the driver's 10 s RPC timeout.
  drive latency --from a --to b --confirmations "$confirmations" --range 1 >"$work/latency.json"
  # Gas used per block on each chain over the run: whether block gas is what limits; and the gas of
  # every block after the relays started (the sends, deliveries and acknowledgements).
  node -e '
    const fs = require("fs");
    const m = JSON.parse(fs.readFileSync(process.argv[1]));
    const start = JSON.parse(fs.readFileSync(process.argv[2])).heads;
    const rpc = async (url, method, params) => (await (await fetch(url, {method: "POST",
      headers: {"content-type": "application/json"}, body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params})})).json()).result;
    Promise.all(m.chains.map(async (c) => {
      const head = Number(await rpc(c.rpc.http, "eth_blockNumber", []));
      const used = [];
      let limit = 0, run = 0;
      for (let n = Number(c.deployBlock); n <= head; n++) {
        const b = await rpc(c.rpc.http, "eth_getBlockByNumber", ["0x" + n.toString(16), false]);
        limit = Number(b.gasLimit);
        if (Number(b.gasUsed) > 0) used.push(Number(b.gasUsed));
        if (n > start[c.name]) run += Number(b.gasUsed);
      }
      const full = used.filter((g) => g > 0.9 * limit).length;
      return [c.name, {gas_limit: limit, busy_blocks: used.length, blocks_over_90_percent: full,
        mean_gas_used_busy: used.length ? Math.round(used.reduce((a, b) => a + b, 0) / used.length) : 0,
        max_gas_used: used.length ? Math.max(...used) : 0, gas_used_run: run}];
    })).then((e) => console.log(JSON.stringify(Object.fromEntries(e))));' "$manifest" "$work/before.json" >"$work/gas.json"
  local store_bytes
  store_bytes="$(du -cb "$work"/relay*.db* | tail -1 | cut -f1)"

  node -e '
    const fs = require("fs");
    const [dir, n, perTx, blockTime, batch, maxGas, flush, concurrency, tSend, tExec, tAck,
           cpuStart, cpuExec, cpuAck, peakRss, storeBytes, gasCap, attesters, threshold, loadSend, loadAcked] = process.argv.slice(1);
    const num = Number;
    const lat = JSON.parse(fs.readFileSync(dir + "/latency.json"));
    const send = JSON.parse(fs.readFileSync(dir + "/send.json"));
    const gas = JSON.parse(fs.readFileSync(dir + "/gas.json"));
    const N = num(n), R = num(attesters);
    const relays = Array.from({length: R}, (_, i) => i + 1);
    // The file of a kind for relay r, named as per_relay names it.
    const perRelay = (name, r) => dir + "/" + (r === 1 ? name : name.replace(/\.([^.]+)$/, `-${r}.$1`));
    const list = (s) => s.split(",").map(Number);
    const [cpu0, cpuE, cpuA, rss] = [cpuStart, cpuExec, cpuAck, peakRss].map(list);
    const [before, after] = ["before", "after"].map((w) => JSON.parse(fs.readFileSync(`${dir}/${w}.json`)).nonces);
    const rate = (count, seconds) => (seconds > 0 ? Math.round(count / seconds) : null);
    const sum = (xs) => xs.reduce((a, b) => a + b, 0);
    const lane = "lane=\"a->b\"";
    // Every sample (name, label text, value) of a saved /metrics answer of relay r.
    const samples = (r) => fs.readFileSync(perRelay("metrics.txt", r), "utf8").split("\n").flatMap((line) => {
      const m = line.match(/^([a-z_]+)(\{[^}]*\})?\s+(\S+)$/);
      return m ? [{name: m[1], labels: m[2] || "", value: Number(m[3])}] : [];
    });
    const metric = (all, name, ...want) => sum(all.filter((s) => s.name === name && want.every((w) => s.labels.includes(w))).map((s) => s.value));
    // Quantiles of the relay-overhead histogram of lane a->b summed over the relays, interpolated within
    // a bucket as Prometheus histogram_quantile does (so good to the bucket bounds, 1 ms at the low end).
    const overhead = (() => {
      const counts = new Map();
      for (const r of relays) {
        for (const s of samples(r).filter((s) => s.name === "causeway_relay_overhead_seconds_bucket" && s.labels.includes(lane))) {
          const le = s.labels.match(/le="([^"]*)"/)[1];
          const bound = le === "+Inf" ? Infinity : Number(le);
          counts.set(bound, (counts.get(bound) || 0) + s.value);
        }
      }
      const buckets = [...counts.entries()].sort((x, y) => x[0] - y[0]);
      const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
      if (total === 0) return null;
      const q = (p) => {
        const rank = p * total;
        let lower = 0, below = 0;
        for (const [bound, count] of buckets) {
          if (count >= rank) {
            if (bound === Infinity) return lower;
            return Number((lower + (bound - lower) * (count > below ? (rank - below) / (count - below) : 1)).toFixed(4));
          }
          lower = bound;
          below = count;
        }
        return lower;
      };
      return {p50: q(0.5), p95: q(0.95), p99: q(0.99), timed: total};
    })();
    const perRelayFigures = relays.map((r, i) => {
      const all = samples(r);
      const rows = fs.readFileSync(perRelay("timeline.tsv", r), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t").map(Number));
      // When a timeline counter first moved and first reached N: each stage on its own.
      const stage = (col) => {
        const first = rows.find((row) => row[col] > 0), done = rows.find((row) => row[col] >= N);
        if (!first || !done) return null;
        return {first_s: first[0], done_s: done[0], per_second: rate(N, done[0] - first[0])};
      };
      // Submissions of lane a->b by kind and outcome (sent, confirmed, reverted, reverted_estimate, ...).
      const submissions = {};
      for (const s of all.filter((s) => s.name === "causeway_submissions_total" && s.labels.includes(lane))) {
        const kind = s.labels.match(/kind="([^"]*)"/)[1], outcome = s.labels.match(/outcome="([^"]*)"/)[1];
        (submissions[kind] ??= {})[outcome] = s.value;
      }
      return {
        relay: r,
        cpu_s_to_execution: cpuE[i] - cpu0[i], cpu_s_with_acks: cpuA[i] - cpu0[i], peak_rss_kib: rss[i],
        batch_sum: metric(all, "causeway_batch_size_sum", lane), batch_count: metric(all, "causeway_batch_size_count", lane),
        deliver_txs: metric(all, "causeway_submissions_total", lane, "kind=\"deliver\"", "outcome=\"sent\""),
        ack_txs: metric(all, "causeway_submissions_total", lane, "kind=\"acknowledge\"", "outcome=\"sent\""),
        transactions: {a: after[i].a - before[i].a, b: after[i].b - before[i].b}, submissions,
        stages: {observed: stage(3), submitted: stage(4), executed: stage(5), acknowledged: stage(6),
                 peak_backlog: Math.max(0, ...rows.filter((row) => !isNaN(row[3])).map((row) => row[3] - row[5]))},
      };
    });
    const total = (key) => sum(perRelayFigures.map((x) => x[key]));
    const txs = {a: sum(perRelayFigures.map((x) => x.transactions.a)), b: sum(perRelayFigures.map((x) => x.transactions.b))};
    const cpuPerMessage = (s) => Number((s / N).toFixed(5));
    const mib = (kib) => Number((kib / 1024).toFixed(1));
    const first = perRelayFigures[0];
    const t = lat.times;
    const out = {
      workload: {messages: N, per_tx: num(perTx), block_time_s: num(blockTime), batch_max_messages: num(batch),
                 batch_max_gas: num(maxGas), flush_after_ms: num(flush), sender_concurrency: num(concurrency), gas_cap: num(gasCap),
                 confirmations: lat.confirmations, send_txs: send.txs, send_blocks: send.last_block - send.first_block + 1,
                 attesters: R, threshold: num(threshold)},
      messages_per_second: {
        first_send_to_last_execution: rate(N, t.executed.last - t.sent.first),
        first_to_last_execution: rate(N, t.executed.last - t.executed.first),
        first_send_to_last_acknowledgement: rate(N, t.acknowledged.last - t.sent.first),
        wall_send_to_all_executed: rate(N, num(tExec) - num(tSend)),
      },
      latency_s: {
        source_inclusion_to_target_inclusion: lat.seconds.inclusion_to_inclusion,
        source_finality_to_target_inclusion: lat.seconds.finality_to_inclusion,
        target_inclusion_to_acknowledgement: lat.seconds.execution_to_acknowledgement,
        // The relay share: from the poll that found a message final to the broadcast of its deliver.
        relay_overhead_found_to_broadcast: overhead,
      },
      acknowledgements: {completed_s_after_last_execution: t.acknowledged.last - t.executed.last,
                         wall_s_after_all_executed: Number((num(tAck) - num(tExec)).toFixed(1)), transactions: total("ack_txs")},
      // Summed over the relays; per relay under relays.
      relay: {
        cpu_s_per_message_to_execution: cpuPerMessage(total("cpu_s_to_execution")),
        cpu_s_per_message_with_acks: cpuPerMessage(total("cpu_s_with_acks")),
        cpu_s_total: Number(total("cpu_s_with_acks").toFixed(2)),
        peak_rss_mib: mib(total("peak_rss_kib")),
        store_mib: Number((num(storeBytes) / 1048576).toFixed(1)),
      },
      // Every transaction sent by the gas accounts of the relays on each chain (nonces before and after).
      transactions: {a: txs.a, b: txs.b, per_message_a: Number((txs.a / N).toFixed(3)), per_message_b: Number((txs.b / N).toFixed(3))},
      // Chain a: the send and the acknowledgements; chain b: the deliveries.
      gas_per_message: {a: Math.round(gas.a.gas_used_run / N), b: Math.round(gas.b.gas_used_run / N)},
      batches: {mean_messages_per_deliver: total("batch_count") > 0 ? Number((total("batch_sum") / total("batch_count")).toFixed(1)) : null,
                deliver_txs: total("deliver_txs")},
      stages: first.stages,
      relays: perRelayFigures.map((x) => ({relay: x.relay, cpu_s_per_message_to_execution: cpuPerMessage(x.cpu_s_to_execution),
        cpu_s_per_message_with_acks: cpuPerMessage(x.cpu_s_with_acks), peak_rss_mib: mib(x.peak_rss_kib),
        mean_messages_per_deliver: x.batch_count > 0 ? Number((x.batch_sum / x.batch_count).toFixed(1)) : null,
        transactions: x.transactions, submissions: x.submissions, stages: x.stages})),
      blocks: gas,
      load_average_1min: {at_first_send: num(loadSend), at_last_ack: num(loadAcked)},
    };
    const d = (x) => (x ? `p50 ${x.p50} / p95 ${x.p95} / p99 ${x.p99} / max ${x.max}` : "-");
    const s = (x) => (x ? `${x.per_second}/s (t=${x.first_s}..${x.done_s} s)` : "-");
    const summed = R > 1 ? `, summed over ${R} relays` : "";
    const table = [
      ["workload", `${N} messages, ${perTx}/tx, ${blockTime} s blocks of ${gas.b.gas_limit} gas, batch ≤ ${batch} msgs / ${maxGas} gas, flush ${flush} ms, tx gas cap ${gasCap}`],
      ["attesters", `${R} relay${R > 1 ? "s" : ""}, threshold ${threshold} of ${R}`],
      ["msgs/s first send → last execution", out.messages_per_second.first_send_to_last_execution],
      ["msgs/s first → last execution", out.messages_per_second.first_to_last_execution],
      ["msgs/s first send → last ack", out.messages_per_second.first_send_to_last_acknowledgement],
      ["latency inclusion → inclusion (s)", d(out.latency_s.source_inclusion_to_target_inclusion)],
      ["latency finality → inclusion (s)", d(out.latency_s.source_finality_to_target_inclusion)],
      ["latency execution → ack (s)", d(out.latency_s.target_inclusion_to_acknowledgement)],
      ["relay overhead found → broadcast (s)", overhead ? `p50 ${overhead.p50} / p95 ${overhead.p95} / p99 ${overhead.p99} (${overhead.timed} timed)` : "-"],
      ["acks done after last execution (s)", out.acknowledgements.completed_s_after_last_execution],
      [`relay CPU s/message (to exec / with acks${summed})`, `${out.relay.cpu_s_per_message_to_execution} / ${out.relay.cpu_s_per_message_with_acks}`],
      [`relay peak RSS (MiB${summed})`, out.relay.peak_rss_mib],
      ["store size (MiB)", out.relay.store_mib],
      ["mean batch (msgs/deliver tx)", `${out.batches.mean_messages_per_deliver} over ${out.batches.deliver_txs} txs`],
      ["relay txs per message on a / b", `${out.transactions.per_message_a} / ${out.transactions.per_message_b} (${txs.a} / ${txs.b} txs)`],
      ["gas per message on a / b", `${out.gas_per_message.a} / ${out.gas_per_message.b}`],
      ["stage rates observed / submitted", `${s(out.stages.observed)} / ${s(out.stages.submitted)}`],
      ["stage rates executed / acknowledged", `${s(out.stages.executed)} / ${s(out.stages.acknowledged)}`],
      ["peak backlog (observed − executed)", out.stages.peak_backlog],
      ["busy blocks ≥90% gas a / b", `${gas.a.blocks_over_90_percent}/${gas.a.busy_blocks} / ${gas.b.blocks_over_90_percent}/${gas.b.busy_blocks}`],
      ["load average at first send / last ack", `${loadSend} / ${loadAcked}`],
    ];
    if (R > 1) {
      const outcomes = (o) => (o ? Object.entries(o).map(([k, v]) => `${v} ${k}`).join(", ") : "none");
      for (const x of out.relays) {
        table.push([`relay ${x.relay}: CPU s/msg, peak RSS, txs a / b`, `${x.cpu_s_per_message_to_execution} / ${x.cpu_s_per_message_with_acks}, ${x.peak_rss_mib} MiB, ${x.transactions.a} / ${x.transactions.b}`]);
        table.push([`relay ${x.relay}: deliver; acknowledge`, `${outcomes(x.submissions.deliver)}; ${outcomes(x.submissions.acknowledge)}`]);
        table.push([`relay ${x.relay}: stages submitted / executed`, `${s(x.stages.submitted)} / ${s(x.stages.executed)}`]);
      }
    }
    const w = Math.max(...table.map((r) => r[0].length));
    process.stderr.write(table.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n");
    console.log(JSON.stringify(out));' \
    "$work" "$messages" "$per_tx" "$block_time" "$batch" "$max_gas" "$flush_ms" "$concurrency" "$t_send" "$t_executed" \
    "$t_acked" "$cpu_start" "$cpu_executed" "$cpu_acked" "$peak_rss" "$store_bytes" "$gas_cap" "$attesters" "$threshold" \
    "$load_send" "$load_acked"
}

# ---- store: restart-to-ready and memory on a filled store ---------------------------------------

store_bench() {
  [[ -x "$store_fill" ]] || fail "no causeway_store_fill at $store_fill (set CAUSEWAY_BUILD)"
  # A manifest, keys and a config for two chains; the chains are then stopped, so the relay's
  # start attempts fail at once and only the store and the relay itself are measured.
  [[ -d "$contracts" ]] || fail "no compiled contracts at $contracts (set CAUSEWAY_BUILD)"
  "$devnet" up >/dev/null
  devnet_up=1
  "$bin" config from-manifest "$manifest" --out "$config" --store "$work/relay.db" --listen "127.0.0.1:${relay_port[1]}" >/dev/null
  local lane
  lane="$(node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const [a, b] = ["a", "b"].map((n) => m.chains.find((c) => c.name === n));
    console.log([a.chainIdentity, a.gateway, b.chainIdentity, b.gateway].join(" "));' "$manifest")"
  "$devnet" down >/dev/null
  devnet_up=0
  local src_chain src_gateway dst_chain dst_gateway
  read -r src_chain src_gateway dst_chain dst_gateway <<<"$lane"

  "$store_fill" --store "$work/relay.db" --messages "$messages" --pending "$pending" --bundle-bytes "$bundle_bytes" \
    --src-chain "$src_chain" --src-gateway "$src_gateway" --dst-chain "$dst_chain" --dst-gateway "$dst_gateway" >"$work/fill.json"
  # Store::open alone, in a process of its own, so its peak RSS is the open's.
  "$store_fill" --store "$work/relay.db" --open-only >"$work/open.json"

  start_relay 1
  local rss_ready rss_later peak_rss
  rss_ready="$(memory_kib VmRSS 1)"
  sleep 10
  rss_later="$(memory_kib VmRSS 1)"
  peak_rss="$(memory_kib VmHWM 1)"
  stop_relay 1

  node -e '
    const fs = require("fs");
    const [dir, ready, rssReady, rssLater, peak] = process.argv.slice(1);
    const fill = JSON.parse(fs.readFileSync(dir + "/fill.json"));
    const open = JSON.parse(fs.readFileSync(dir + "/open.json"));
    const mib = (kib) => Number((Number(kib) / 1024).toFixed(1));
    const out = {
      messages: fill.messages, pending: fill.pending, bundle_bytes: fill.bundle_bytes,
      store_mib: Number((open.file_bytes / 1048576).toFixed(1)), audit_leaves: open.audit_leaves,
      fill_seconds: Number(fill.fill_seconds.toFixed(1)),
      store_open_s: Number(open.open_seconds.toFixed(3)), store_open_peak_rss_mib: mib(open.peak_rss_kib),
      quick_check_beside_s: Number(open.quick_check_seconds.toFixed(1)),
      relay_start_to_ready_s: Number(ready),
      relay_rss_mib: {at_ready: mib(rssReady), after_10_s: mib(rssLater), peak: mib(peak)},
    };
    const table = [
      ["store", `${out.messages} messages (${out.pending} pending), ${out.audit_leaves} audit leaves, ${out.store_mib} MiB`],
      ["fill (group commits)", `${out.fill_seconds} s`],
      ["Store::open", `${out.store_open_s} s, peak RSS ${out.store_open_peak_rss_mib} MiB`],
      ["quick_check, beside the open store", `${out.quick_check_beside_s} s`],
      ["relay start → /readyz 200", `${out.relay_start_to_ready_s} s`],
      ["relay RSS at ready / +10 s / peak", `${out.relay_rss_mib.at_ready} / ${out.relay_rss_mib.after_10_s} / ${out.relay_rss_mib.peak} MiB`],
    ];
    const w = Math.max(...table.map((r) => r[0].length));
    process.stderr.write(table.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n");
    console.log(JSON.stringify(out));' "$work" "$ready_seconds" "$rss_ready" "$rss_later" "$peak_rss"
}

# ---- replay: the relay alone, its source replayed from recorded bundles -------------------------

# One JSON-RPC call to chain $1's node (method $2, params $3 as JSON); prints the result as JSON.
chain_rpc() {
  node -e '
    const [file, chain, method, params] = process.argv.slice(1);
    const m = JSON.parse(require("fs").readFileSync(file));
    fetch(m.chains.find((c) => c.name === chain).rpc.http, {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params: JSON.parse(params)})})
      .then((r) => r.json()).then((j) => {
        if (j.error) { console.error(method + ": " + JSON.stringify(j.error)); process.exit(1); }
        console.log(JSON.stringify(j.result));
      });' "$manifest" "$@"
}

# Waits until all the messages executed on b (failing with $1, the run's name, after $2 seconds);
# prints the time then and relay 1's CPU seconds and peak RSS KiB.
executed_on_b() {
  drive wait --probes "$probes" --expect "{\"b\":{\"probe\":{\"received\":$messages}}}" --timeout "$2" >/dev/null ||
    fail "$1: not all $messages messages executed on b within $2 s"
  echo "$(now) $(cpu_seconds 1) $(memory_kib VmHWM 1)"
}

replay_bench() {
  ((attesters == 1)) || fail "replay runs one relay"
  prepare_run
  # Both runs deliver and follow executions only: the second would find every recorded message
  # acknowledged on a already.
  node -e '
    const fs = require("fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1]));
    for (const lane of c.lanes) lane.acknowledge = false;
    fs.writeFileSync(process.argv[1], JSON.stringify(c, null, 2));' "$config"
  local snapshot
  snapshot="$(chain_rpc b evm_snapshot '[]')" || fail "evm_snapshot on b failed"

  # The recording run: the whole relay, source included, on the workload.
  start_relay 1
  local t_send cpu_send t_executed cpu_executed peak_recording measured timeout=$((600 + messages / 5))
  t_send="$(now)"
  cpu_send="$(cpu_seconds 1)"
  drive send --probes "$probes" --from a --to b --count "$messages" --per-tx "$per_tx" --concurrency "$concurrency" >"$work/send.json"
  measured="$(executed_on_b recording "$timeout")"
  read -r t_executed cpu_executed peak_recording <<<"$measured"
  stop_relay 1
  local identity_a
  identity_a="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).chains.find((c) => c.name === "a").chainIdentity)' "$manifest")"
  # A bundle's text with its shared proof put back at proof_at (a byte offset; Store::bundle does the same).
  sqlite3 "$work/relay.db" "SELECT CASE WHEN b.proof IS NULL THEN b.body ELSE substr(CAST(b.body AS BLOB), 1, b.proof_at)
    || p.body || substr(CAST(b.body AS BLOB), b.proof_at + 1) END
    FROM bundles b LEFT JOIN bundle_proofs p ON p.hash = b.proof WHERE b.verified = 1" | node -e '
    const rl = require("readline").createInterface({input: process.stdin, crlfDelay: Infinity});
    const kept = [];
    rl.on("line", (line) => {
      const b = JSON.parse(line);
      if (b.kind === "message" && b.source.chain_identity === process.argv[1]) {
        kept.push({key: [Number(b.source.block_number), b.inclusion.tx_index, b.inclusion.log_index], line});
      }
    });
    rl.on("close", () => {
      kept.sort((x, y) => x.key[0] - y.key[0] || x.key[1] - y.key[1] || x.key[2] - y.key[2]);
      process.stdout.write(kept.map((k) => k.line + "\n").join(""));
    });' "$identity_a" >"$work/recording.jsonl"
  local recorded
  recorded="$(wc -l <"$work/recording.jsonl")"
  ((recorded == messages)) || fail "the recording holds $recorded message bundles, not $messages"

  # Chain b as before the recording run; a keeps the recorded blocks, which the relay verifies against.
  [[ "$(chain_rpc b evm_revert "[$snapshot]")" == true ]] || fail "evm_revert on b failed"
  node -e '
    const fs = require("fs");
    const [file, store, adapter, recording, manifest] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(file));
    const url = JSON.parse(fs.readFileSync(manifest)).chains.find((x) => x.name === "a").rpc.http;
    c.relay.store = store;
    c.chains.find((x) => x.name === "a").source = {external: {
      command: ["node", adapter, "--recording", recording, "--rpc", url], env: {PATH: process.env.PATH}, call_timeout_ms: 120000}};
    fs.writeFileSync(file, JSON.stringify(c, null, 2));' \
    "$config" "$work/replay.db" "$root/tests/bench/replay_adapter.mjs" "$work/recording.jsonl" "$manifest"
  "$bin" config check "$config" >/dev/null || fail "the replay config does not load"
  local received
  received="$(drive status --probes "$probes" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).b.probe.received))')"
  [[ "$received" == 0 ]] || fail "chain b kept $received deliveries after evm_revert"

  # The replay: from the relay's start to the last execution on b.
  local t_start t_done cpu_done peak_replay
  t_start="$(now)"
  start_relay 1
  measured="$(executed_on_b replay "$timeout")"
  read -r t_done cpu_done peak_replay <<<"$measured"
  stop_relay 1

  node -e '
    const [n, perTx, tSend, cpuSend, tExec, cpuExec, peakRec, tStart, tDone, cpuDone, peakRep, ready] = process.argv.slice(1).map(Number);
    const r = (x, d) => Number(x.toFixed(d));
    const out = {
      messages: n, per_tx: perTx,
      recording: {msgs_per_s: r(n / (tExec - tSend), 1), cpu_s_per_message: r((cpuExec - cpuSend) / n, 5), peak_rss_mib: r(peakRec / 1024, 1)},
      // The replaying relay is a process of its own: all its CPU seconds belong to the replay.
      replay: {msgs_per_s: r(n / (tDone - tStart), 1), start_to_ready_s: ready, cpu_s_per_message: r(cpuDone / n, 5),
               peak_rss_mib: r(peakRep / 1024, 1)},
    };
    const table = [
      ["workload", `${n} messages, ${perTx}/tx, a → b, acknowledgements off`],
      ["recording: msgs/s first send → last execution", `${out.recording.msgs_per_s}`],
      ["recording: relay CPU s/message, peak RSS", `${out.recording.cpu_s_per_message}, ${out.recording.peak_rss_mib} MiB`],
      ["replay: msgs/s relay start → last execution", `${out.replay.msgs_per_s} (ready after ${ready} s)`],
      ["replay: relay CPU s/message, peak RSS", `${out.replay.cpu_s_per_message}, ${out.replay.peak_rss_mib} MiB`],
    ];
    const w = Math.max(...table.map((x) => x[0].length));
    process.stderr.write(table.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n");
    console.log(JSON.stringify(out));' \
    "$messages" "$per_tx" "$t_send" "$cpu_send" "$t_executed" "$cpu_executed" "$peak_recording" "$t_start" \
    "$t_done" "$cpu_done" "$peak_replay" "$ready_seconds"
}

case "$mode" in
  run) run_bench ;;
  store) store_bench ;;
  replay) replay_bench ;;
esac
