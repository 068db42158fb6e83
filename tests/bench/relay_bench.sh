#!/usr/bin/env bash
# The relay's end-to-end benchmark (issue 5 item 6) and its store figures. Use a release build:
# CAUSEWAY_BUILD (default build/release) must hold relay/app/causeway, contracts/ and
# tests/bench/causeway_store_fill. No wall-clock limit is asserted anywhere; these are figures.
#
#   tests/bench/relay_bench.sh run [--messages 5000] [--per-tx 200] [--block-time 1] [--batch 80]
#                                  [--max-gas 10000000] [--flush-ms 50] [--concurrency 4]
#                                  [--gas-cap 15000000] [--block-gas-limit G]
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
#
#   tests/bench/relay_bench.sh store [--messages 1000000] [--pending 100000] [--bundle-bytes 4096]
#     Fills a store with that many messages (causeway_store_fill: the last --pending verified, the
#     rest acknowledged), times Store::open on it, then starts `causeway relay` on it with both
#     chains unreachable (readiness comes after the start attempts) and measures the time to
#     /readyz 200 and the relay's RSS then and 10 s later.
#
# Both print a table on stderr and one JSON object on stdout. --keep keeps the work directory
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
[[ "$mode" == run || "$mode" == store ]] || { awk 'NR > 1 && !/^#/ { exit } NR > 1 { print }' "$0" >&2; exit 2; }
shift

messages="" per_tx=200 block_time=1 batch=80 max_gas=10000000 flush_ms=50 concurrency=4
gas_cap=15000000 block_gas_limit="" pending=100000 bundle_bytes=4096 keep=0
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
    --keep) keep=1; shift ;;
    *) echo "relay_bench: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$messages" ]]; then
  if [[ "$mode" == run ]]; then messages=5000; else messages=1000000; fi
fi
for n in "$messages" "$per_tx" "$block_time" "$batch" "$max_gas" "$flush_ms" "$concurrency" "$gas_cap" \
  "${block_gas_limit:-0}" "$pending" "$bundle_bytes"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "relay_bench: '$n' is not a whole number" >&2; exit 2; }
done
[[ -x "$bin" ]] || { echo "relay_bench: no causeway binary at $bin (set CAUSEWAY_BUILD)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/causeway-bench.XXXXXX")"
export CAUSEWAY_DEVNET_STATE="$work/devnet"
export CAUSEWAY_DEVNET_CONTRACTS="$contracts"
export CAUSEWAY_DEVNET_BLOCK_TIME="$block_time"
manifest="$CAUSEWAY_DEVNET_STATE/manifest.json"
probes="$work/probes.json"
config="$work/relay.json"
relay_log="$work/relay.log"
timeline="$work/timeline.tsv"
relay_pid=""
sampler_pid=""
devnet_up=0

cleanup() {
  local status=$?
  if [[ -n "$sampler_pid" ]]; then kill "$sampler_pid" 2>/dev/null || true; fi
  if [[ -n "$relay_pid" ]]; then kill -9 "$relay_pid" 2>/dev/null || true; fi
  if ((devnet_up)); then "$devnet" down >/dev/null 2>&1 || true; fi
  if [[ $status -ne 0 && -f "$relay_log" ]]; then
    echo "---- last relay log lines ----" >&2
    tail -n 20 "$relay_log" >&2
  fi
  if ((keep)); then echo "relay_bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 143' INT TERM

fail() { echo "relay_bench: $*" >&2; exit 1; }
drive() { node "$driver" "$@" --manifest "$manifest"; }
clock_ticks="$(getconf CLK_TCK)"
now() { date +%s.%N; }

read -r port_a port_b port_api < <(node "$check" free-ports 3)
export CAUSEWAY_DEVNET_PORT_A="$port_a" CAUSEWAY_DEVNET_PORT_B="$port_b"
api="http://127.0.0.1:$port_api"

# utime + stime of the relay in seconds (fields 14 and 15 of /proc/PID/stat, counted after the
# command name, which may hold spaces).
cpu_seconds() {
  local stat
  stat="$(<"/proc/$relay_pid/stat")"
  awk -v ticks="$clock_ticks" '{ printf "%.2f\n", ($12 + $13) / ticks }' <<<"${stat##*) }"
}
# A field of /proc/PID/status in KiB: VmRSS (now) or VmHWM (peak).
memory_kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$relay_pid/status"; }

# The sum of a metric's samples whose labels contain every given k="v" (0 when absent).
metric() {
  local name="$1"
  shift
  curl -sf --max-time 5 "$api/metrics" | awk -v name="$name" -v want="$*" '
    BEGIN { n = split(want, w, " ") }
    { split($1, parts, "{") }
    parts[1] == name { for (i = 1; i <= n; i++) if (index($1, w[i]) == 0) next; sum += $NF }
    END { printf "%.10g\n", sum + 0 }'
}

# Starts the relay and waits for /readyz 200; sets ready_seconds (from exec to 200, 20 ms polls).
start_relay() {
  local started i
  started="$(now)"
  "$bin" relay --config "$config" >>"$relay_log" 2>&1 &
  relay_pid=$!
  for ((i = 0; i < 3000; i++)); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$api/readyz")" == 200 ]]; then
      ready_seconds="$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')"
      return 0
    fi
    kill -0 "$relay_pid" 2>/dev/null || fail "the relay exited during start-up"
    sleep 0.02
  done
  fail "the relay was not ready within 60 s"
}

stop_relay() {
  kill -TERM "$relay_pid"
  wait "$relay_pid" || fail "the relay did not stop cleanly"
  relay_pid=""
}

# Once a second: seconds since $1, relay CPU seconds, RSS KiB, and the lane a->b counters (NA
# while /metrics does not answer: it is served on the engine's thread, so a busy engine shows).
sample() {
  local t0="$1" body counters
  printf 't\tcpu_s\trss_kib\tobserved\tsubmitted\texecuted\tacknowledged\tdeliver_txs\tack_txs\n' >"$timeline"
  while kill -0 "$relay_pid" 2>/dev/null; do
    body="$(curl -sf --max-time 2 "$api/metrics" || true)"
    counters=$'NA\tNA\tNA\tNA\tNA\tNA'
    [[ -z "$body" ]] || counters="$(awk '
        function add(key) { split($1, p, "{"); if (p[1] == key && index($1, "lane=\"a->b\"")) return $NF; return 0 }
        { o += add("causeway_messages_observed_total"); s += add("causeway_messages_submitted_total")
          e += add("causeway_messages_executed_total"); a += add("causeway_messages_acknowledged_total")
          if (index($1, "causeway_submissions_total{") == 1 && index($1, "outcome=\"sent\"") && index($1, "lane=\"a->b\"")) {
            if (index($1, "kind=\"deliver\"")) d += $NF; else k += $NF } }
        END { printf "%d\t%d\t%d\t%d\t%d\t%d", o, s, e, a, d, k }' <<<"$body")"
    printf '%s\t%s\t%s\t%s\n' "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')" "$(cpu_seconds)" \
      "$(memory_kib VmRSS)" "$counters" >>"$timeline"
    sleep 1
  done
}

# ---- run: the end-to-end workload --------------------------------------------------------------

run_bench() {
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
  "$bin" config from-manifest "$manifest" --out "$config" --store "$work/relay.db" --listen "127.0.0.1:$port_api" >/dev/null
  node -e '
    const fs = require("fs");
    const [file, batch, maxGas, flush, gasCap] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(file));
    for (const lane of c.lanes) lane.batch = {max_messages: Number(batch), max_gas: maxGas, flush_after_ms: Number(flush)};
    for (const chain of c.chains) chain.gas_cap = gasCap;
    fs.writeFileSync(file, JSON.stringify(c, null, 2));' "$config" "$batch" "$max_gas" "$flush_ms" "$gas_cap"
  "$bin" config check "$config" >/dev/null || fail "the generated config does not load"
  local confirmations
  confirmations="$(node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(c.chains.find(x => x.name === "a").consensus.confirmations ?? 0)' "$config")"

  start_relay
  local t_send cpu_start cpu_executed cpu_acked t_executed t_acked
  t_send="$(now)"
  cpu_start="$(cpu_seconds)"
  sample "$t_send" &
  sampler_pid=$!
  drive send --probes "$probes" --from a --to b --count "$messages" --per-tx "$per_tx" --concurrency "$concurrency" >"$work/send.json"
  local timeout=$((600 + messages / 5))
  drive wait --probes "$probes" --expect "{\"b\":{\"probe\":{\"received\":$messages}}}" --timeout "$timeout" >/dev/null ||
    fail "not all $messages messages executed on b within $timeout s"
  t_executed="$(now)"
  cpu_executed="$(cpu_seconds)"
  drive wait --probes "$probes" --expect "{\"a\":{\"probe\":{\"acks\":$messages}}}" --timeout "$timeout" >/dev/null ||
    fail "not all $messages messages acknowledged on a within $timeout s"
  t_acked="$(now)"
  cpu_acked="$(cpu_seconds)"
  sleep 1.5  # one more timeline sample with everything done
  local peak_rss batch_sum batch_count deliver_txs ack_txs
  peak_rss="$(memory_kib VmHWM)"
  batch_sum="$(metric causeway_batch_size_sum 'lane="a->b"')"
  batch_count="$(metric causeway_batch_size_count 'lane="a->b"')"
  deliver_txs="$(metric causeway_submissions_total 'lane="a->b"' 'kind="deliver"' 'outcome="sent"')"
  ack_txs="$(metric causeway_submissions_total 'lane="a->b"' 'kind="acknowledge"' 'outcome="sent"')"
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  stop_relay
  drive latency --from a --to b --confirmations "$confirmations" >"$work/latency.json"
  # Gas used per block on each chain over the run: whether block gas is what limits.
  node -e '
    const fs = require("fs");
    const m = JSON.parse(fs.readFileSync(process.argv[1]));
    const rpc = async (url, method, params) => (await (await fetch(url, {method: "POST",
      headers: {"content-type": "application/json"}, body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params})})).json()).result;
    Promise.all(m.chains.map(async (c) => {
      const head = Number(await rpc(c.rpc.http, "eth_blockNumber", []));
      const used = [];
      let limit = 0;
      for (let n = Number(c.deployBlock); n <= head; n++) {
        const b = await rpc(c.rpc.http, "eth_getBlockByNumber", ["0x" + n.toString(16), false]);
        limit = Number(b.gasLimit);
        if (Number(b.gasUsed) > 0) used.push(Number(b.gasUsed));
      }
      const full = used.filter((g) => g > 0.9 * limit).length;
      return [c.name, {gas_limit: limit, busy_blocks: used.length, blocks_over_90_percent: full,
        mean_gas_used_busy: used.length ? Math.round(used.reduce((a, b) => a + b, 0) / used.length) : 0,
        max_gas_used: used.length ? Math.max(...used) : 0}];
    })).then((e) => console.log(JSON.stringify(Object.fromEntries(e))));' "$manifest" >"$work/gas.json"
  local store_bytes
  store_bytes="$(du -cb "$work"/relay.db* | tail -1 | cut -f1)"

  node -e '
    const fs = require("fs");
    const [dir, n, perTx, blockTime, batch, maxGas, flush, concurrency, tSend, tExec, tAck,
           cpuStart, cpuExec, cpuAck, peakRss, batchSum, batchCount, deliverTxs, ackTxs, storeBytes, gasCap] = process.argv.slice(1);
    const num = Number;
    const lat = JSON.parse(fs.readFileSync(dir + "/latency.json"));
    const send = JSON.parse(fs.readFileSync(dir + "/send.json"));
    const gas = JSON.parse(fs.readFileSync(dir + "/gas.json"));
    const rows = fs.readFileSync(dir + "/timeline.tsv", "utf8").trim().split("\n").slice(1).map((l) => l.split("\t").map(Number));
    const N = num(n);
    const rate = (count, seconds) => (seconds > 0 ? Math.round(count / seconds) : null);
    // When a timeline counter first moved and first reached N: each stage on its own.
    const stage = (col) => {
      const first = rows.find((r) => r[col] > 0), done = rows.find((r) => r[col] >= N);
      if (!first || !done) return null;
      return {first_s: first[0], done_s: done[0], per_second: rate(N, done[0] - first[0])};
    };
    const backlog = Math.max(0, ...rows.filter((r) => !isNaN(r[3])).map((r) => r[3] - r[5]));
    const t = lat.times;
    const out = {
      workload: {messages: N, per_tx: num(perTx), block_time_s: num(blockTime), batch_max_messages: num(batch),
                 batch_max_gas: num(maxGas), flush_after_ms: num(flush), sender_concurrency: num(concurrency), gas_cap: num(gasCap),
                 confirmations: lat.confirmations, send_txs: send.txs, send_blocks: send.last_block - send.first_block + 1},
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
      },
      acknowledgements: {completed_s_after_last_execution: t.acknowledged.last - t.executed.last,
                         wall_s_after_all_executed: Number((num(tAck) - num(tExec)).toFixed(1)), transactions: num(ackTxs)},
      relay: {
        cpu_s_per_message_to_execution: Number(((num(cpuExec) - num(cpuStart)) / N).toFixed(5)),
        cpu_s_per_message_with_acks: Number(((num(cpuAck) - num(cpuStart)) / N).toFixed(5)),
        cpu_s_total: Number((num(cpuAck) - num(cpuStart)).toFixed(2)),
        peak_rss_mib: Number((num(peakRss) / 1024).toFixed(1)),
        store_mib: Number((num(storeBytes) / 1048576).toFixed(1)),
      },
      batches: {mean_messages_per_deliver: num(batchCount) > 0 ? Number((num(batchSum) / num(batchCount)).toFixed(1)) : null,
                deliver_txs: num(deliverTxs)},
      stages: {observed: stage(3), submitted: stage(4), executed: stage(5), acknowledged: stage(6), peak_backlog: backlog},
      blocks: gas,
    };
    const d = (x) => (x ? `p50 ${x.p50} / p95 ${x.p95} / p99 ${x.p99} / max ${x.max}` : "-");
    const s = (x) => (x ? `${x.per_second}/s (t=${x.first_s}..${x.done_s} s)` : "-");
    const table = [
      ["workload", `${N} messages, ${perTx}/tx, ${blockTime} s blocks of ${gas.b.gas_limit} gas, batch ≤ ${batch} msgs / ${maxGas} gas, flush ${flush} ms, tx gas cap ${gasCap}`],
      ["msgs/s first send → last execution", out.messages_per_second.first_send_to_last_execution],
      ["msgs/s first → last execution", out.messages_per_second.first_to_last_execution],
      ["msgs/s first send → last ack", out.messages_per_second.first_send_to_last_acknowledgement],
      ["latency inclusion → inclusion (s)", d(out.latency_s.source_inclusion_to_target_inclusion)],
      ["latency finality → inclusion (s)", d(out.latency_s.source_finality_to_target_inclusion)],
      ["latency execution → ack (s)", d(out.latency_s.target_inclusion_to_acknowledgement)],
      ["acks done after last execution (s)", out.acknowledgements.completed_s_after_last_execution],
      ["relay CPU s/message (to exec / with acks)", `${out.relay.cpu_s_per_message_to_execution} / ${out.relay.cpu_s_per_message_with_acks}`],
      ["relay peak RSS (MiB)", out.relay.peak_rss_mib],
      ["store size (MiB)", out.relay.store_mib],
      ["mean batch (msgs/deliver tx)", `${out.batches.mean_messages_per_deliver} over ${out.batches.deliver_txs} txs`],
      ["stage rates observed / submitted", `${s(out.stages.observed)} / ${s(out.stages.submitted)}`],
      ["stage rates executed / acknowledged", `${s(out.stages.executed)} / ${s(out.stages.acknowledged)}`],
      ["peak backlog (observed − executed)", backlog],
      ["busy blocks ≥90% gas a / b", `${gas.a.blocks_over_90_percent}/${gas.a.busy_blocks} / ${gas.b.blocks_over_90_percent}/${gas.b.busy_blocks}`],
    ];
    const w = Math.max(...table.map((r) => r[0].length));
    process.stderr.write(table.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n");
    console.log(JSON.stringify(out));' \
    "$work" "$messages" "$per_tx" "$block_time" "$batch" "$max_gas" "$flush_ms" "$concurrency" "$t_send" "$t_executed" \
    "$t_acked" "$cpu_start" "$cpu_executed" "$cpu_acked" "$peak_rss" "$batch_sum" "$batch_count" "$deliver_txs" "$ack_txs" \
    "$store_bytes" "$gas_cap"
}

# ---- store: restart-to-ready and memory on a filled store ---------------------------------------

store_bench() {
  [[ -x "$store_fill" ]] || fail "no causeway_store_fill at $store_fill (set CAUSEWAY_BUILD)"
  # A manifest, keys and a config for two chains; the chains are then stopped, so the relay's
  # start attempts fail at once and only the store and the relay itself are measured.
  [[ -d "$contracts" ]] || fail "no compiled contracts at $contracts (set CAUSEWAY_BUILD)"
  "$devnet" up >/dev/null
  devnet_up=1
  "$bin" config from-manifest "$manifest" --out "$config" --store "$work/relay.db" --listen "127.0.0.1:$port_api" >/dev/null
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

  start_relay
  local rss_ready rss_later peak_rss
  rss_ready="$(memory_kib VmRSS)"
  sleep 10
  rss_later="$(memory_kib VmRSS)"
  peak_rss="$(memory_kib VmHWM)"
  stop_relay

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

case "$mode" in
  run) run_bench ;;
  store) store_bench ;;
esac
