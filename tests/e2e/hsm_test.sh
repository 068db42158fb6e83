#!/usr/bin/env bash
# End-to-end test of remote signing through PKCS#11 (labels e2e and hsm, test e2e.hsm): a softhsm2
# token in the test's directory holds the relay's vote key and chain b's gas key, both generated on
# the token (`causeway keys new --pkcs11-module`, non-extractable), so neither exists anywhere else.
#   - both gateways rotate from the devnet's attester to the token's vote key alone (threshold 1),
#     so from then on only HSM-signed votes can execute or acknowledge anything;
#   - 20 messages a→b are delivered (transactions on b signed by the token's gas key) and
#     acknowledged (votes signed by the token), each exactly once;
#   - the token's PIN never appears in the relay's log or API answers.
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD, softhsm2 (deploy/scripts/install-deps.sh); the
# harness is tests/e2e/lib.sh.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

softhsm_module=""
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  [[ -f "$candidate" ]] && softhsm_module="$candidate" && break
done
if [[ -z "$softhsm_module" ]] || ! command -v softhsm2-util >/dev/null; then
  fail "softhsm2 is not installed (deploy/scripts/install-deps.sh installs it)"
fi

# manifest_get JS_EXPRESSION: a value of the manifest (`m`).
manifest_get() { node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1])); console.log('"$1"')' "$manifest"; }

# status_field CHAIN FIELD: one field of `causeway attesters status --json` for that chain.
status_field() {
  "$bin" attesters status --config "$config" --chain "$1" --json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(Array.isArray(v)?v.join(","):v)})' "$2"
}

# A token of our own: softhsm2 reads SOFTHSM2_CONF (here, the relay and the CLI inherit it).
setup_token() {
  mkdir -p "$work/hsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/hsm/tokens" >"$work/hsm/softhsm2.conf"
  export SOFTHSM2_CONF="$work/hsm/softhsm2.conf"
  pin="hsm-pin-$(openssl rand -hex 8)"
  (umask 077 && printf '%s\n' "$pin" >"$work/hsm/pin")
  secrets+=("$pin")
  softhsm2-util --init-token --free --label hsm --so-pin "so-$pin" --pin "$pin" >/dev/null ||
    fail "softhsm2-util could not initialise a token"
}

# token_key LABEL: generates a key pair on the token and prints its address.
token_key() {
  "$bin" keys new --pkcs11-module "$softhsm_module" --token hsm --key-label "$1" --pin-file "$work/hsm/pin"
}

case_hsm() {
  setup
  setup_token
  local vote gas_b proposal
  vote="$(token_key vote)" || fail "no vote key generated on the token"
  gas_b="$(token_key gas-b)" || fail "no gas key generated on the token"
  [[ "$("$bin" keys show --pkcs11-module "$softhsm_module" --token hsm --key-label vote --pin-file "$work/hsm/pin")" == "$vote" ]] ||
    fail "keys show does not print the token key's address"
  pass "vote key $vote and chain b's gas key $gas_b generated on the token"

  # The gas key on b pays for deliveries: fund it (anvil's own call).
  node -e 'fetch(process.argv[1], {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "anvil_setBalance", params: [process.argv[2], "0x3635c9adc5dea00000"]})})
    .then(r => r.json()).then(j => process.exit(j.error ? 1 : 0)).catch(() => process.exit(1))' \
    "$(manifest_get 'm.chains[1].rpc.http')" "$gas_b" || fail "could not fund the token's gas key on b"

  # The devnet's attester hands both gateways to the token's key (its local config signs and pays).
  make_config 'for (const l of c.lanes) l.retry = {initial_ms: 500, max_ms: 2000, max_attempts: 1000}'
  for chain in a b; do
    proposal="$work/rotate-$chain.json"
    "$bin" attesters propose --config "$config" --chain "$chain" --attesters "$vote" --threshold 1 --out "$proposal" >/dev/null
    "$bin" attesters submit "$proposal" --config "$config" >/dev/null 2>"$work/submit-$chain.txt" || {
      cat "$work/submit-$chain.txt" >&2
      fail "the rotation of chain $chain was not submitted"
    }
    [[ "$(status_field "$chain" attesters)" == "$vote" && "$(status_field "$chain" threshold)" == 1 ]] ||
      fail "chain $chain's gateway does not have the token's key as its one attester"
  done
  pass "both gateways accept the token's vote key alone (threshold 1)"

  make_config '
    const pkcs11 = (key) => ({pkcs11: {module: process.env.SOFTHSM_MODULE, token: "hsm", key, pin_file: process.env.HSM_PIN_FILE}});
    c.relay.vote_key = pkcs11("vote");
    c.chains.find((x) => x.name === "b").gas_key = pkcs11("gas-b");
    for (const l of c.lanes) l.retry = {initial_ms: 500, max_ms: 2000, max_attempts: 1000}'
  start_relay
  drive send --probes "$probes" --from a --to b --count 20 >/dev/null
  wait_for '{"b":{"probe":{"received":20}},"a":{"probe":{"acks":20,"ackStatusCount":{"1":20}}}}' 120
  check_exactly_once
  local sent_by_token
  sent_by_token="$(node -e 'fetch(process.argv[1], {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_getTransactionCount", params: [process.argv[2], "latest"]})})
    .then(r => r.json()).then(j => console.log(Number(j.result))).catch(() => console.log(0))' \
    "$(manifest_get 'm.chains[1].rpc.http')" "$gas_b")"
  ((sent_by_token > 0)) || fail "no transaction on b came from the token's gas key"
  pass "20 messages a→b executed with HSM-signed votes and gas, acknowledged with HSM-signed votes, exactly once"
  [[ "$(metric causeway_lane_halted)" == 0 ]] || fail "a lane is halted"
  stop_relay
  pass "the PIN is in neither the log nor the API answers; clean SIGTERM"
}

export SOFTHSM_MODULE="$softhsm_module" HSM_PIN_FILE="$work/hsm/pin"
case "${1:-}" in
  hsm) case_hsm ;;
  *) fail "usage: $0 hsm" ;;
esac
