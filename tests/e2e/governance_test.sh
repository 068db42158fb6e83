#!/usr/bin/env bash
# End-to-end test of `causeway attesters` and `causeway guardian` on two live anvil chains whose
# gateways start with 3 attesters and threshold 2 (label e2e, test e2e.governance):
#   - status shows epoch 1, threshold 2 of 3, not paused, the deployer as guardian;
#   - a proposal by a key outside the set is refused locally, as is submitting below the threshold
#     and approving twice;
#   - attester 1 proposes {1, 2} threshold 2, attester 2 approves, submit: epoch 2 on chain b; the
#     spent proposal is then stale;
#   - a second rotation to {1} threshold 1 lets the one relay (vote key 1) deliver to b alone
#     (one relay signs one vote: several relays aggregating votes is issue 10's);
#   - guardian pause of b: status shows it, the relay's deliveries do not execute; unpause: the
#     held messages go through.
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD; the harness is tests/e2e/lib.sh.
set -euo pipefail
export CAUSEWAY_DEVNET_ATTESTERS=3 CAUSEWAY_DEVNET_THRESHOLD=2
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# manifest_get JS_EXPRESSION: a value of the manifest (`m`).
manifest_get() { node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1])); console.log('"$1"')' "$manifest"; }

# status_field CHAIN FIELD: one field of `causeway attesters status --json` for that chain.
status_field() {
  "$bin" attesters status --config "$config" --chain "$1" --json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(Array.isArray(v)?v.join(","):v)})' "$2"
}

# expect_exit CODE REASON COMMAND...: the command exits CODE and names REASON on stderr.
expect_exit() {
  local code=$1 reason=$2 status=0
  shift 2
  "$@" >"$work/out.txt" 2>"$work/err.txt" || status=$?
  [[ $status -eq $code ]] || { cat "$work/err.txt" >&2; fail "$* exited $status, expected $code"; }
  grep -q "$reason" "$work/err.txt" || { cat "$work/err.txt" >&2; fail "$* did not say $reason"; }
}

# config_with_vote_key FILE KEYFILE: the relay config with another vote key.
config_with_vote_key() {
  node -e 'const fs=require("fs"); const c=JSON.parse(fs.readFileSync(process.argv[1])); c.relay.vote_key={raw_file: process.argv[3]}; fs.writeFileSync(process.argv[2], JSON.stringify(c, null, 2));' \
    "$config" "$1" "$2"
}

case_governance() {
  setup
  # Quick retries: the messages held by the pause are delivered soon after the unpause.
  make_config 'for (const l of c.lanes) l.retry = {initial_ms: 500, max_ms: 2000, max_attempts: 1000}'
  local vote2 voter1 voter2 outsider="$work/outsider.key" config2="$work/relay-2.json" config_out="$work/relay-outsider.json"
  vote2="$(manifest_get 'm.keys.vote[1].file')"
  voter1="$(manifest_get 'm.keys.vote[0].address')"
  voter2="$(manifest_get 'm.keys.vote[1].address')"
  (umask 077 && openssl rand -hex 32 >"$outsider")
  config_with_vote_key "$config2" "$vote2"
  config_with_vote_key "$config_out" "$outsider"

  [[ "$(status_field b epoch)" == 1 && "$(status_field b threshold)" == 2 ]] || fail "chain b is not at epoch 1, threshold 2"
  [[ "$(status_field b attesters | tr ',' '\n' | wc -l)" == 3 && "$(status_field b paused)" == false ]] ||
    fail "chain b does not show 3 attesters, unpaused"
  [[ "$(status_field b guardian)" == "$(manifest_get 'm.chains[0].devAccount')" ]] || fail "the guardian is not the deployer"
  "$bin" attesters status --rpc "$(manifest_get 'm.chains[1].rpc.http')" --gateway "$(manifest_get 'm.chains[1].gateway')" \
    --chain-identity "$(manifest_get 'm.chains[1].chainIdentity')" | grep -q "threshold       2 of 3" ||
    fail "status by --rpc does not show threshold 2 of 3"
  pass "status: epoch 1, threshold 2 of 3, not paused, the deployer as guardian"

  local proposal="$work/rotate-2.json"
  expect_exit 1 proposal.not_attester "$bin" attesters propose --config "$config_out" --chain b \
    --attesters "$voter1,$voter2" --threshold 2 --out "$proposal"
  [[ ! -e "$proposal" ]] || fail "a refused proposal was written"
  "$bin" attesters propose --config "$config" --chain b --attesters "$voter2,$voter1" --threshold 2 --out "$proposal" >/dev/null
  expect_exit 1 proposal.not_attester "$bin" attesters approve "$proposal" --config "$config_out"
  expect_exit 1 proposal.below_threshold "$bin" attesters submit "$proposal" --config "$config"
  expect_exit 1 proposal.duplicate_signature "$bin" attesters approve "$proposal" --config "$config"
  pass "refused locally: a non-attester's proposal and approval, submitting 1 of 2, a second signature"

  "$bin" attesters approve "$proposal" --config "$config2" | grep -q "2 of 2 signatures" || fail "approve did not count 2 of 2"
  "$bin" attesters submit "$proposal" --config "$config" | grep -q "epoch 2, threshold 2 of 2" || fail "submit did not rotate"
  [[ "$(status_field b epoch)" == 2 && "$(status_field b attesters)" == "$(manifest_get '[m.keys.vote[0].address, m.keys.vote[1].address].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)).join(",")')" ]] ||
    fail "chain b is not at epoch 2 with attesters 1 and 2"
  [[ "$(status_field a epoch)" == 1 ]] || fail "chain a rotated too"
  expect_exit 1 proposal.stale_epoch "$bin" attesters approve "$proposal" --config "$config2"
  pass "proposed by attester 1, approved by attester 2, submitted: epoch 2 on chain b; the spent proposal is stale"

  # Down to the relay's own key, threshold 1, approved and submitted in one step.
  local single="$work/rotate-3.json"
  "$bin" attesters propose --config "$config" --chain b --attesters "$voter1" --threshold 1 --out "$single" >/dev/null
  "$bin" attesters approve "$single" --config "$config2" --submit | grep -q "epoch 3, threshold 1 of 1" ||
    fail "approve --submit did not rotate to epoch 3"
  node -e 'const fs=require("fs"); const c=JSON.parse(fs.readFileSync(process.argv[1])); c.chains.find(x => x.name === "b").threshold = 1; fs.writeFileSync(process.argv[1], JSON.stringify(c, null, 2));' "$config"
  pass "rotated chain b to the relay's key alone (epoch 3, threshold 1)"

  local guardian_key="$work/guardian.key" rpc_b gateway_b
  # anvil's account 0 (the deployer and guardian): the well-known development key.
  (umask 077 && echo 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 >"$guardian_key")
  rpc_b="$(manifest_get 'm.chains[1].rpc.http')"
  gateway_b="$(manifest_get 'm.chains[1].gateway')"
  expect_exit 1 guardian.not_guardian "$bin" guardian pause --rpc "$rpc_b" --gateway "$gateway_b" --key "$outsider"
  "$bin" guardian pause --rpc "$rpc_b" --gateway "$gateway_b" --key "$guardian_key" 2>"$work/progress.txt" |
    grep -q "receipt status 1" || fail "pause did not succeed"
  grep -q "waiting for its receipt" "$work/progress.txt" || fail "no progress line while waiting for the receipt"
  [[ "$(status_field b paused)" == true ]] || fail "status does not show chain b paused"
  "$bin" guardian status --config "$config" --chain b | grep -q "paused          yes" || fail "guardian status does not show paused"
  pass "guardian paused chain b; status shows it"

  start_relay
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  local i reverted=0
  for ((i = 0; i < 60; i++)); do
    reverted="$(metric causeway_submissions_total 'lane="a->b"' 'outcome="reverted_estimate"')"
    [[ "$reverted" != 0 && "$reverted" != unreachable ]] && break
    sleep 0.5
  done
  [[ "$reverted" != 0 && "$reverted" != unreachable ]] || fail "the relay made no delivery attempt while paused"
  # The first attempt of new messages goes without a pre-check (Lane::optimistic) and reverts on
  # chain; its retry, and every batch after it until one passes, is pre-checked.
  local onchain
  onchain="$(metric causeway_submissions_total 'lane="a->b"' 'kind="deliver"' 'outcome="reverted"')"
  [[ "$onchain" != 0 && "$onchain" != unreachable ]] || fail "no deliver went out unchecked and reverted on chain"
  [[ "$(drive status --probes "$probes" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).b.probe.received))')" == 0 ]] ||
    fail "a message executed on the paused gateway"
  pass "while paused the relay's delivery attempts do not execute"

  "$bin" guardian unpause --rpc "$rpc_b" --gateway "$gateway_b" --key "$guardian_key" | grep -q "receipt status 1" ||
    fail "unpause did not succeed"
  [[ "$(status_field b paused)" == false ]] || fail "status still shows chain b paused"
  wait_for '{"b":{"probe":{"received":5}}}' 60
  check_exactly_once
  stop_relay
  pass "after the unpause the held messages executed, each once"
}

case "${1:-governance}" in
  governance) case_governance ;;
  *) fail "unknown case $1" ;;
esac
