#!/usr/bin/env bash
# `causeway relay` with chain a's source served by the Node.js reference adapter
# (adapters/external/examples/evm-node) on the live devnet (harness: tests/e2e/lib.sh): the relay
# spawns and supervises the adapter, and verifies every bundle it returns like its own. One case
# per run:
#   relay   10 messages a->b read through the adapter, killed after the first 5, and 3 b->a: all
#           executed and acknowledged exactly once, the restart counted          (external)
#   forge   the adapter with --forge: every bundle is refused by verification (the rejected-bundle
#           metric rises), no message is stored, executed or parked               (external)
#   reconcile  5 messages sent while the relay is down and its cursor moved past them: found by
#           the reconciliation sweep through the adapter's source.find_sent      (external)
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

adapter="$root/adapters/external/examples/evm-node/adapter.mjs"
export CAUSEWAY_NODE_TOOLS="${CAUSEWAY_NODE_TOOLS:-$root/deploy/devnet}"
export ADAPTER="$adapter" ADAPTER_FLAGS=""

# The relay config with chain a's source served by the adapter (with $ADAPTER_FLAGS): the
# adapter reads a from the config's own endpoint, gateway, first block and confirmation depth, and
# proves executions too (a is also the destination of lane b->a).
external_config() {
  make_config '
    const a = c.chains.find(x => x.name === "a");
    const e = a.endpoints[0];
    a.source = {external: {
      command: ["node", process.env.ADAPTER, "--rpc", typeof e === "string" ? e : e.url, "--gateway", a.gateway,
                "--start-height", String(a.start_height || 1),
                "--confirmations", String(a.consensus.mode === "confirmations" ? a.consensus.confirmations : 0),
                "--executions",
                ...process.env.ADAPTER_FLAGS.split(" ").filter(Boolean)],
      env: {PATH: process.env.PATH, CAUSEWAY_NODE_TOOLS: process.env.CAUSEWAY_NODE_TOOLS},
      health_interval_ms: 1000}};'
}

case_relay() {
  setup
  external_config
  start_relay
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  wait_for '{"b":{"probe":{"received":5}}}' 60
  # The relay's only child is the adapter it spawned: killed, it is restarted by the next call
  # and carries on from the relay's cursor.
  local adapter_pid
  adapter_pid="$(pgrep -P "$relay_pid")" || fail "no adapter process under the relay"
  kill -9 "$adapter_pid"
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  # The other way: a is the destination; its executions come from the adapter's --executions.
  drive send --probes "$probes" --from b --to a --count 3 >/dev/null
  wait_for '{"a":{"probe":{"acks":10,"received":3}},"b":{"probe":{"received":10,"acks":3}}}' 90
  check_exactly_once
  grep -q "chain a adapter: " "$relay_log" || fail "the adapter's stderr is not in the relay's log"
  [[ "$(metric causeway_bundles_rejected_total)" == 0 ]] || fail "a bundle of the genuine adapter was rejected"
  [[ "$(metric causeway_adapter_restarts_total 'chain="a"')" -ge 1 ]] || fail "the adapter's restart was not counted"
  stop_relay
  pass "10 messages a->b read through the external adapter (killed once) and 3 b->a: executed and acknowledged exactly once"
}

case_forge() {
  setup
  ADAPTER_FLAGS="--forge"
  external_config
  start_relay
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  local i rejected=0
  for ((i = 0; i < 60; i++)); do
    rejected="$(metric causeway_bundles_rejected_total 'chain="a"')"
    [[ "$rejected" != unreachable && "$rejected" -ge 5 ]] && break
    sleep 1
  done
  [[ "$rejected" != unreachable && "$rejected" -ge 5 ]] || fail "rejected bundles of a: $rejected, not 5 within 60 s"
  [[ "$(metric causeway_bundles_rejected_total 'reason="verify.bundle_message_mismatch"')" == "$rejected" ]] ||
    fail "forged bundles refused for another reason than verify.bundle_message_mismatch"
  pass "the forged bundles were refused: causeway_bundles_rejected_total{chain=a} = $rejected"
  # Give a forged message every chance to travel: a few delivery rounds and a reconciliation sweep.
  sleep 5
  local received
  received="$(drive status --probes "$probes" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).b.probe.received))')"
  [[ "$received" == 0 ]] || fail "b executed $received forged messages"
  [[ "$(metric causeway_messages_observed_total)" == 0 ]] || fail "a forged message was stored"
  [[ "$(metric causeway_messages_parked_total)" == 0 ]] || fail "a message was parked"
  [[ "$(metric causeway_lane_halted)" == 0 ]] || fail "a lane halted"
  grep -q "WARNING: --forge" "$relay_log" || fail "the forging adapter's stderr is not in the relay's log"
  stop_relay
  pass "nothing forged was stored, delivered or parked"
}

case_reconcile() {
  setup
  external_config
  start_relay
  stop_relay
  # Messages sent while the relay is down, then its cursor for a moved past them: only the
  # reconciliation sweep, asking the adapter's source.find_sent, can find them.
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  local height hash identity
  read -r height hash identity <<<"$(node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const a = m.chains.find(c => c.name === "a");
    fetch(a.rpc.http, {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["latest", false]})})
      .then(r => r.json()).then(j => console.log(Number(j.result.number), j.result.hash.slice(2), a.chainIdentity.slice(2)));' "$manifest")"
  sqlite3 "$work/relay.db" "UPDATE cursors SET height = $height, hash = x'$hash' WHERE chain = x'$identity'"
  start_relay
  wait_for '{"b":{"probe":{"received":5}},"a":{"probe":{"acks":5}}}' 90
  check_exactly_once
  grep -q "reconciliation found" "$relay_log" || fail "the messages arrived without the reconciliation sweep"
  stop_relay
  pass "messages behind the cursor were found through the adapter's source.find_sent and delivered"
}

case "${1:-}" in
  relay) case_relay ;;
  forge) case_forge ;;
  reconcile) case_reconcile ;;
  *) fail "usage: $0 relay|forge|reconcile" ;;
esac
