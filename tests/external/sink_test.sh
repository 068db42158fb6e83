#!/usr/bin/env bash
# `causeway relay` with chain b's writes handed to the Node.js reference adapter
# (adapters/external/examples/evm-node, sink side) on the live devnet (harness: tests/e2e/lib.sh):
# the relay verifies, votes and batches as always, and the adapter sends each deliver and
# acknowledge to b's gateway with its own account. One case per run:
#   sink   b's source and sink served by one adapter process: 5 messages a->b and 3 b->a, all
#          executed and acknowledged exactly once; the relay's own gas account never writes to b
#   lie    b's sink a separate process that reports its first delivery delivered and withholds the
#          next without sending either: the relay abandons the withheld one after bump_after,
#          asks sink.inbox_state and delivers again; nothing is lost, nothing executes twice
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

export CAUSEWAY_NODE_TOOLS="${CAUSEWAY_NODE_TOOLS:-$root/deploy/devnet}"
export ADAPTER="$root/adapters/external/examples/evm-node/adapter.mjs"

# The adapter's own gas account on b: anvil development account 5, which the devnet funds and
# gives to no one else (deployer 0, relay gas keys 1 and 2).
adapter_key="$work/adapter-gas-b.key"
(umask 077 && node -e '
  const { createRequire } = require("module");
  const ethers = createRequire(process.argv[1] + "/package.json")("ethers");
  const w = ethers.HDNodeWallet.fromPhrase("test test test test test test test test test test test junk", undefined, "m/44'"'"'/60'"'"'/0'"'"'/0/5");
  console.log(w.privateKey);' "$CAUSEWAY_NODE_TOOLS" >"$adapter_key")
secrets+=("$(cat "$adapter_key")")
export GAS_KEY_FILE="$adapter_key"

# The relay config with chain b's sink (and source, per SOURCE_FLAGS) served by the adapter.
# SINK_FLAGS and SOURCE_FLAGS are the adapter's extra arguments; the same for both (and both with
# --sides source,sink) makes one process serve both sides.
sink_config() {
  make_config '
    const b = c.chains.find(x => x.name === "b");
    const e = b.endpoints[0];
    const base = ["node", process.env.ADAPTER, "--rpc", typeof e === "string" ? e : e.url, "--gateway", b.gateway,
                  "--start-height", String(b.start_height || 1),
                  "--confirmations", String(b.consensus.mode === "confirmations" ? b.consensus.confirmations : 0)];
    const adapter = (flags) => ({external: {
      command: [...base, ...flags.split(" ").filter(Boolean)],
      env: {PATH: process.env.PATH, CAUSEWAY_NODE_TOOLS: process.env.CAUSEWAY_NODE_TOOLS,
            GAS_KEY_FILE: process.env.GAS_KEY_FILE},
      health_interval_ms: 1000}});
    if (process.env.SOURCE_FLAGS) b.source = adapter(process.env.SOURCE_FLAGS);
    b.sink = adapter(process.env.SINK_FLAGS);
    b.fees = {...(b.fees || {}), bump_after_ms: 3000};'
}

# How many transactions an account has sent on chain b.
sent_on_b() {
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const b = m.chains.find(c => c.name === "b");
    fetch(b.rpc.http, {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_getTransactionCount", params: [process.argv[2], "latest"]})})
      .then(r => r.json()).then(j => console.log(Number(j.result)));' "$manifest" "$1"
}

relay_gas_b() {
  node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(m.keys.gas.find(k => k.chain === "b").address)' "$manifest"
}

adapter_address() {
  node -e '
    const { createRequire } = require("module");
    const ethers = createRequire(process.argv[1] + "/package.json")("ethers");
    console.log(new ethers.Wallet(require("fs").readFileSync(process.argv[2], "utf8").trim()).address);' \
    "$CAUSEWAY_NODE_TOOLS" "$adapter_key"
}

case_sink() {
  setup
  export SOURCE_FLAGS="--sides source,sink --executions" SINK_FLAGS="--sides source,sink --executions"
  sink_config
  local relay_before
  relay_before="$(sent_on_b "$(relay_gas_b)")"
  start_relay
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  drive send --probes "$probes" --from b --to a --count 3 >/dev/null
  wait_for '{"a":{"probe":{"acks":5,"received":3}},"b":{"probe":{"received":5,"acks":3}}}' 120
  check_exactly_once
  [[ "$(pgrep -c -P "$relay_pid")" == 1 ]] || fail "not exactly one adapter process serving both sides of b"
  [[ "$(sent_on_b "$(relay_gas_b)")" == "$relay_before" ]] || fail "the relay's own gas account wrote to b"
  [[ "$(sent_on_b "$(adapter_address)")" -ge 2 ]] || fail "the adapter's account sent no deliver and acknowledge"
  [[ "$(metric causeway_bundles_rejected_total)" == 0 ]] || fail "a bundle of the genuine adapter was rejected"
  grep -q "chain b adapter: sink account" "$relay_log" || fail "the adapter's stderr is not in the relay's log"
  stop_relay
  pass "5 messages a->b delivered and 3 b->a acknowledged through b's external sink, each exactly once"
}

case_lie() {
  setup
  export SOURCE_FLAGS="--sides source --executions" SINK_FLAGS="--sides sink --lie-delivered 1 --withhold 1"
  sink_config
  start_relay
  drive send --probes "$probes" --from a --to b --count 4 >/dev/null
  drive send --probes "$probes" --from b --to a --count 2 >/dev/null
  wait_for '{"a":{"probe":{"acks":4,"received":2}},"b":{"probe":{"received":4,"acks":2}}}' 150
  check_exactly_once
  [[ "$(pgrep -c -P "$relay_pid")" == 2 ]] || fail "not one adapter process per side of b"
  grep -q "reported delivered" "$relay_log" || fail "the adapter did not lie about a delivery"
  grep -q "reported pending" "$relay_log" || fail "the adapter did not withhold a delivery"
  [[ "$(metric causeway_submissions_total 'kind="deliver"' 'outcome="abandoned"')" -ge 1 ]] ||
    fail "the withheld delivery was not abandoned"
  [[ "$(metric causeway_messages_parked_total)" == 0 ]] || fail "a message was parked"
  stop_relay
  pass "a sink that lied about one delivery and withheld another: every message executed and acknowledged once"
}

case "${1:-}" in
  sink) case_sink ;;
  lie) case_lie ;;
  *) fail "usage: $0 sink|lie" ;;
esac
