#!/usr/bin/env bash
# The Node.js reference adapter (adapters/external/examples/evm-node) serving chain a of the live
# devnet (harness: tests/e2e/lib.sh). One case:
#   devnet  5 messages sent from a in 3 transactions; external_devnet_check polls the adapter
#           through ExternalSource (killing it once mid-stream: the restarted process carries on
#           from the relay's cursor, no bundle lost or repeated) and verifies every bundle against
#           the anchors of `causeway config from-manifest` and canonical hashes from a's node:
#           all 5 valid, and source.find_sent by their sequences returns the same 5. Then the same adapter with --forge: all 5 refused with a named reason
#           (the receipt still proves the event; the message does not match it). Then the relay
#           delivers the 5 to b, and the adapter with --executions on b returns the 5
#           MessageExecuted bundles, each valid with the message it executed.        (external)
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD, CAUSEWAY_EXTERNAL_CHECK (external_devnet_check).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

check="${CAUSEWAY_EXTERNAL_CHECK:?set CAUSEWAY_EXTERNAL_CHECK to the external_devnet_check binary}"
adapter="$root/adapters/external/examples/evm-node/adapter.mjs"
export CAUSEWAY_NODE_TOOLS="${CAUSEWAY_NODE_TOOLS:-$root/deploy/devnet}"

# The adapter's settings for chain NAME from the same config the anchors come from: its first
# endpoint, its gateway, its first block and its confirmation depth.
chain_settings() {
  node -e '
    const c = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const x = c.chains.find(y => y.name === process.argv[2]);
    const e = x.endpoints[0];
    const k = x.consensus.mode === "confirmations" ? x.consensus.confirmations : 0;
    console.log([typeof e === "string" ? e : e.url, x.gateway, x.start_height || 1, k].join(" "));' "$config" "$1"
}

case_devnet() {
  setup
  make_config
  drive send --probes "$probes" --from a --to b --count 5 --per-tx 2 >/dev/null
  local url gateway start confirmations
  read -r url gateway start confirmations <<<"$(chain_settings a)"
  local adapter_args=(node "$adapter" --rpc "$url" --gateway "$gateway" --start-height "$start"
    --confirmations "$confirmations" --max-range 2)
  # Blocks keep coming (interval mining): the last message reaches depth k within seconds.
  "$check" --config "$config" --chain a --expect 5 --kill-once --save "$work/sent.json" --timeout 90 -- "${adapter_args[@]}" \
    >"$work/valid.txt" 2>"$work/valid.err" || { cat "$work/valid.txt" "$work/valid.err" >&2; fail "the adapter's bundles"; }
  [[ "$(grep -c ': valid$' "$work/valid.txt")" -eq 5 ]] || { cat "$work/valid.txt" >&2; fail "not 5 valid bundles"; }
  cat "$work/valid.txt"
  grep -q "^restarts [1-9]" "$work/valid.txt" || fail "the killed adapter was not restarted"
  pass "5 bundles from the external adapter verify against the config's anchors, across a restart; find_sent finds them again"

  "$check" --config "$config" --chain a --expect 5 --forged --timeout 90 -- "${adapter_args[@]}" --forge \
    >"$work/forged.txt" 2>"$work/forged.err" || { cat "$work/forged.txt" "$work/forged.err" >&2; fail "the forged bundles"; }
  [[ "$(grep -c ': invalid verify.bundle_message_mismatch$' "$work/forged.txt")" -eq 5 ]] ||
    { cat "$work/forged.txt" >&2; fail "not 5 bundles refused as verify.bundle_message_mismatch"; }
  cat "$work/forged.txt"
  grep -q "WARNING: --forge" "$work/forged.err" || fail "the forging adapter's stderr was not forwarded"
  pass "5 forged bundles refused: verify.bundle_message_mismatch"

  start_relay
  wait_for '{"b":{"probe":{"received":5}}}' 120
  stop_relay
  read -r url gateway start confirmations <<<"$(chain_settings b)"
  "$check" --config "$config" --chain b --expect 5 --executions-from "$work/sent.json" --timeout 90 -- \
    node "$adapter" --rpc "$url" --gateway "$gateway" --start-height "$start" --confirmations "$confirmations" --executions \
    >"$work/executed.txt" 2>"$work/executed.err" || { cat "$work/executed.txt" "$work/executed.err" >&2; fail "the execution bundles"; }
  cat "$work/executed.txt"
  [[ "$(grep -c '^execution .*: valid$' "$work/executed.txt")" -eq 5 ]] || fail "not 5 valid execution bundles"
  pass "the 5 deliveries' MessageExecuted bundles from the adapter on b verify with their messages"
}

case "${1:-}" in
  devnet) case_devnet ;;
  *) fail "usage: $0 devnet" ;;
esac
