# Shared harness of the end-to-end tests: two live anvil chains (deploy/devnet, interval mining,
# free ports, a private state directory removed on exit), the relay started and stopped against
# them, and the checks every case uses. Sourced by the e2e scripts; `setup` starts the devnet and
# deploys the Probe applications. Needs CAUSEWAY_BIN (the causeway binary) and
# CAUSEWAY_CONTRACTS_BUILD (compiled contracts).
# shellcheck shell=bash
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
devnet="$root/deploy/devnet/devnet.sh"
driver="$root/tests/e2e/driver.mjs"
check="$root/tests/integration/devnet_check.mjs"
bin="${CAUSEWAY_BIN:?set CAUSEWAY_BIN to the causeway binary}"
work="$(mktemp -d "${TMPDIR:-/tmp}/causeway-e2e.XXXXXX")"
export CAUSEWAY_DEVNET_STATE="$work/devnet"
export CAUSEWAY_DEVNET_CONTRACTS="${CAUSEWAY_CONTRACTS_BUILD:?set CAUSEWAY_CONTRACTS_BUILD}"
export CAUSEWAY_DEVNET_BLOCK_TIME="${CAUSEWAY_DEVNET_BLOCK_TIME:-1}"
manifest="$CAUSEWAY_DEVNET_STATE/manifest.json"
probes="$work/probes.json"
config="$work/relay.json"
relay_log="$work/relay.log"
relay_pid=""
extra_pids=()

cleanup() {
  local status=$?
  if [[ -n "$relay_pid" ]]; then kill -9 "$relay_pid" 2>/dev/null || true; fi
  for pid in "${extra_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  # A stopped node would keep `down` waiting.
  for f in "$CAUSEWAY_DEVNET_STATE"/anvil-*.pid; do [[ -f "$f" ]] && kill -CONT "$(cat "$f")" 2>/dev/null; done
  "$devnet" down >/dev/null 2>&1 || true
  if [[ $status -ne 0 && -f "$relay_log" ]]; then
    echo "---- last relay log lines ----" >&2
    tail -n 40 "$relay_log" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

read -r port_a port_b port_api port_extra < <(node "$check" free-ports 4)
export CAUSEWAY_DEVNET_PORT_A="$port_a" CAUSEWAY_DEVNET_PORT_B="$port_b"
api="http://127.0.0.1:$port_api"
# If this shell is killed outright (a ctest timeout, a SIGTERM to ctest), a detached watchdog still
# cleans up: every process that mentions $work (relays, peers, drivers), then every devnet under it.
# $work reaches the watchdog in its environment, not its arguments: `pkill -f` would match the
# watchdog's own command line and kill it before it stopped the devnet (it did, leaving the anvils).
# shellcheck disable=SC2016 # expanded by the watchdog's shell
CAUSEWAY_E2E_WORK="$work" setsid bash -c '
  while kill -0 "$1" 2>/dev/null; do sleep 1; done
  pkill -9 -f "$CAUSEWAY_E2E_WORK" 2>/dev/null
  for state in "$CAUSEWAY_E2E_WORK"/devnet*/; do
    [[ -d $state ]] || continue
    for f in "$state"anvil-*.pid; do [[ -f $f ]] && kill -CONT "$(cat "$f")" 2>/dev/null; done
    CAUSEWAY_DEVNET_STATE="$state" "$2" down >/dev/null 2>&1
  done
  rm -rf "$CAUSEWAY_E2E_WORK"' watchdog "$$" "$devnet" </dev/null >/dev/null 2>&1 &

drive() { node "$driver" "$@" --manifest "$manifest"; }

# Writes the relay config from the manifest, then applies a JavaScript edit to it (`c` is the config).
make_config() {
  "$bin" config from-manifest "$manifest" --out "$config" --store "$work/relay.db" --listen "127.0.0.1:$port_api" >/dev/null
  if [[ $# -gt 0 ]]; then
    node -e 'const fs=require("fs"); const c=JSON.parse(fs.readFileSync(process.argv[1])); '"$1"'; fs.writeFileSync(process.argv[1], JSON.stringify(c, null, 2));' "$config"
  fi
  "$bin" config check "$config" >/dev/null || fail "the generated config does not load"
}

# The sum of a metric's samples whose labels include every given k="v" (0 when absent).
metric() {
  node -e '
    const [url, name, ...want] = process.argv.slice(1);
    fetch(url + "/metrics").then(r => r.text()).then(text => {
      let sum = 0;
      for (const line of text.split("\n")) {
        if (!line.startsWith(name)) continue;
        const m = line.match(/^([a-z_]+)(\{[^}]*\})?\s+(\S+)$/);
        if (!m || m[1] !== name) continue;
        if (want.every(w => (m[2] || "").includes(w))) sum += Number(m[3]);
      }
      console.log(sum);
    }).catch(() => console.log("unreachable"));' "$api" "$@"
}

start_relay() {
  "$bin" relay --config "$config" >>"$relay_log" 2>&1 &
  relay_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    if node -e 'fetch(process.argv[1]).then(r => process.exit(r.status === 200 ? 0 : 1)).catch(() => process.exit(1))' "$api/readyz"; then
      return 0
    fi
    kill -0 "$relay_pid" 2>/dev/null || fail "the relay exited during start-up"
    sleep 0.2
  done
  fail "the relay was not ready within 20 s"
}

# Secrets a case adds (an admin token) besides the devnet's key files, which check_no_secrets
# always looks for.
secrets=()

# No secret in the relay's log or in what its API answers (issue 6): the raw keys the devnet wrote
# and every entry of $secrets, with or without 0x, in any case.
check_no_secrets() {
  local answers="$work/api-answers.txt" path file secret
  : >"$answers"
  for path in /metrics /readyz /v1/chains /v1/lanes "/v1/messages?limit=100" /v1/audit/checkpoint; do
    node -e 'fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write(t + "\n")).catch(() => {})' \
      "$api$path" >>"$answers"
  done
  local all=("${secrets[@]}")
  for file in "$CAUSEWAY_DEVNET_STATE"/keys/*.key; do
    [[ -f "$file" ]] && all+=("$(head -n 1 "$file" | tr -d '\r\n')")
  done
  for secret in "${all[@]}"; do
    secret="${secret#0x}"
    ((${#secret} >= 8)) || continue
    if grep -qiF -- "$secret" "$relay_log" "$answers"; then
      fail "a secret (${secret:0:4}…) appears in the relay's log or its API answers"
    fi
  done
}

stop_relay() {  # SIGTERM: a clean stop, exit status 0
  check_no_secrets
  kill -TERM "$relay_pid"
  local status=0
  wait "$relay_pid" || status=$?
  relay_pid=""
  [[ $status -eq 0 ]] || fail "the relay exited with $status after SIGTERM"
  grep -q "stopped cleanly" "$relay_log" || fail "no clean-stop line in the log"
}

# Fails unless the probes on both chains saw no duplicate, out-of-order or twice-acknowledged message.
check_exactly_once() {
  local status
  status="$(drive status --probes "$probes")"
  node -e '
    const s = JSON.parse(process.argv[1]);
    for (const chain of Object.keys(s)) for (const app of ["probe", "failing"]) {
      const p = s[chain][app];
      for (const k of ["duplicates", "outOfOrder", "duplicateAcks"]) {
        if (Number(p[k]) !== 0) { console.error(`${chain}.${app}.${k} = ${p[k]}`); process.exit(1); }
      }
    }' "$status" || fail "a message was executed or acknowledged more than once, or out of order"
}

# wait_for EXPECT_JSON TIMEOUT_SECONDS
wait_for() {
  drive wait --probes "$probes" --expect "$1" --timeout "$2" >"$work/wait.json" || {
    cat "$work/wait.json" >&2
    fail "counters did not reach $1 within $2 s"
  }
}

# eth_getTransactionCount of each gas account equals the journal's nonces: 0..n-1, each carried by
# exactly one transaction that was not dropped or replaced, none skipped, none reused (THREATS 26).
# (A transaction mined just before SIGTERM may still be journaled as broadcast: it counts.)
# compare_nonces QUERY TABLE HEX, for any store: QUERY is a command running one SQL statement and
# printing its result, TABLE the journal's table, HEX the SQL giving an account as lower-case hex;
# the gas accounts are $manifest's keys.gas.
compare_nonces() {
  local query="$1" table="$2" hex="$3"
  node -e '
    const fs = require("fs");
    const m = JSON.parse(fs.readFileSync(process.argv[1]));
    const out = [];
    Promise.all(m.keys.gas.map(async g => {
      const chain = m.chains.find(c => c.name === g.chain);
      const r = await fetch(chain.rpc.http, {method: "POST", headers: {"content-type": "application/json"},
        body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_getTransactionCount", params: [g.address, "latest"]})});
      out.push(`${chain.chainId} ${g.address.toLowerCase()} ${Number((await r.json()).result)}`);
    })).then(() => console.log(out.join("\n")));' "$manifest" >"$work/nonces.txt"
  local chain_id account count kept distinct
  while read -r chain_id account count; do
    # States 1 signed, 2 broadcast, 3 confirmed; 4 dropped and 5 replaced never used their nonce.
    local where="chain_id = $chain_id AND $hex = '${account#0x}' AND state IN (1, 2, 3)"
    kept="$("$query" "SELECT count(*) FROM $table WHERE $where")"
    distinct="$("$query" "SELECT count(DISTINCT nonce) || ' ' || coalesce(max(nonce), -1) FROM $table WHERE $where")"
    [[ "$kept" -eq "$count" ]] || fail "chain $chain_id: node nonce $count, journal holds $kept transactions that used a nonce"
    [[ "$distinct" == "$count $((count - 1))" ]] || fail "chain $chain_id: journaled nonces are not 0..$((count - 1)) once each ($distinct)"
  done <"$work/nonces.txt"
}

# check_nonces [STORE]: compare_nonces for a SQLite store, $work/relay.db by default.
check_nonces() {
  nonces_store="${1:-$work/relay.db}"
  sqlite_query() { sqlite3 "$nonces_store" "$1"; }
  compare_nonces sqlite_query submissions "lower(hex(account))"
}

setup() {
  "$devnet" up >/dev/null
  drive deploy --out "$probes" >/dev/null
}

