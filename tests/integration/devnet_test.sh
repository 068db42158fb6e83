#!/usr/bin/env bash
# Integration test of deploy/devnet/devnet.sh with real anvil nodes on free ports and a private
# state directory. One case per run:
#   up_down          up, manifest against the nodes, idempotent second up, one send, down, nothing left
#   port_taken       up fails clearly when a port is taken, and starts nothing
#   schema_examples  the schema accepts its valid example and rejects the invalid ones
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
devnet="$root/deploy/devnet/devnet.sh"
check="$root/tests/integration/devnet_check.mjs"
work="$(mktemp -d "${TMPDIR:-/tmp}/causeway-devnet-test.XXXXXX")"
export CAUSEWAY_DEVNET_STATE="$work/state"
# Use the build's compiled contracts when there are any; otherwise deploy.mjs compiles them.
if [[ -n "${CAUSEWAY_CONTRACTS_BUILD:-}" && -f "$CAUSEWAY_CONTRACTS_BUILD/Gateway.json" ]]; then
  export CAUSEWAY_DEVNET_CONTRACTS="$CAUSEWAY_CONTRACTS_BUILD"
fi
holder=""

cleanup() {
  "$devnet" down >/dev/null 2>&1 || true
  if [[ -n "$holder" ]]; then kill "$holder" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# Pids of the anvil processes whose command line has `--port $1`.
anvils_on_port() {
  local f args i
  for f in /proc/[0-9]*/cmdline; do
    mapfile -d '' -t args 2>/dev/null <"$f" || continue
    [[ ${#args[@]} -gt 0 && "${args[0]##*/}" == anvil ]] || continue
    for ((i = 1; i + 1 < ${#args[@]}; i++)); do
      if [[ "${args[i]}" == --port && "${args[i + 1]}" == "$1" ]]; then
        f="${f#/proc/}"; echo "${f%/cmdline}"; break
      fi
    done
  done
}

expect_anvils() {  # expect_anvils PORT COUNT
  local n
  n="$(anvils_on_port "$1" | wc -l)"
  [[ "$n" -eq "$2" ]] || fail "expected $2 anvil process(es) on port $1, found $n"
}

case_up_down() {
  read -r port_a port_b < <(node "$check" free-ports 2)
  export CAUSEWAY_DEVNET_PORT_A="$port_a" CAUSEWAY_DEVNET_PORT_B="$port_b"
  # Three vote keys with threshold 2: exercises signer order and subsets in configure.
  export CAUSEWAY_DEVNET_ATTESTERS=3 CAUSEWAY_DEVNET_THRESHOLD=2
  # The nodes are detached (setsid), so if this test is killed outright (a ctest timeout), a
  # detached watchdog still takes the devnet down once this shell is gone.
  # shellcheck disable=SC2016 # expanded by the watchdog's shell
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2" down >/dev/null 2>&1; rm -rf "$3"' \
    watchdog "$$" "$devnet" "$work" </dev/null >/dev/null 2>&1 &
  local start out manifest pid_a pid_b
  start=$(date +%s)
  out="$("$devnet" up)" || fail "devnet.sh up failed: $out"
  manifest="$(tail -n 1 <<<"$out")"
  [[ "$manifest" == "$CAUSEWAY_DEVNET_STATE/manifest.json" && -f "$manifest" ]] || fail "up did not print the manifest path: $out"
  pass "up on ports $port_a/$port_b in $(( $(date +%s) - start )) s"

  node "$check" manifest "$manifest" || fail "manifest check"
  [[ "$(stat -c %a "$CAUSEWAY_DEVNET_STATE/keys")" == 700 ]] || fail "keys directory is not 0700"
  expect_anvils "$port_a" 1
  expect_anvils "$port_b" 1
  pid_a="$(<"$CAUSEWAY_DEVNET_STATE/anvil-a.pid")"
  pid_b="$(<"$CAUSEWAY_DEVNET_STATE/anvil-b.pid")"
  "$devnet" status >/dev/null || fail "status after up is not 0"

  out="$("$devnet" up)" || fail "second up failed: $out"
  grep -q "already up" <<<"$out" || fail "second up did not report the running devnet: $out"
  [[ "$(<"$CAUSEWAY_DEVNET_STATE/anvil-a.pid")" == "$pid_a" && "$(<"$CAUSEWAY_DEVNET_STATE/anvil-b.pid")" == "$pid_b" ]] ||
    fail "second up replaced the chains"
  expect_anvils "$port_a" 1
  expect_anvils "$port_b" 1
  pass "second up is a no-op"

  node "$check" send "$manifest" || fail "send on chain a"

  "$devnet" down >/dev/null || fail "down failed"
  for pid in "$pid_a" "$pid_b"; do
    if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q anvil; then fail "anvil pid $pid still runs after down"; fi
  done
  expect_anvils "$port_a" 0
  expect_anvils "$port_b" 0
  [[ ! -e "$CAUSEWAY_DEVNET_STATE/anvil-a.pid" && ! -e "$CAUSEWAY_DEVNET_STATE/anvil-b.pid" ]] || fail "pid files left after down"
  out="$("$devnet" down 2>&1)" || fail "second down failed"
  [[ -z "$out" ]] || fail "second down is not quiet: $out"
  if "$devnet" status >/dev/null; then fail "status after down is 0"; fi
  pass "down stopped both chains (total $(( $(date +%s) - start )) s)"
}

case_port_taken() {
  read -r port_a port_b < <(node "$check" free-ports 2)
  export CAUSEWAY_DEVNET_PORT_A="$port_a" CAUSEWAY_DEVNET_PORT_B="$port_b"
  # Chain b's port is the taken one, so a launcher that started chain a first would be caught too.
  coproc hold { exec node "$check" hold-port "$port_b"; }
  # shellcheck disable=SC2154 # hold_PID is set by coproc
  holder="$hold_PID"
  local line out status=0
  if ! read -r -t 10 line <&"${hold[0]}" || [[ "$line" != listening ]]; then fail "could not hold port $port_b"; fi
  out="$("$devnet" up 2>&1)" || status=$?
  ((status != 0)) || fail "up succeeded although port $port_b is taken"
  grep -q "port $port_b for chain b is already in use" <<<"$out" || fail "unclear message: $out"
  grep -q "CAUSEWAY_DEVNET_PORT_B" <<<"$out" || fail "message does not name the knob: $out"
  expect_anvils "$port_a" 0
  expect_anvils "$port_b" 0
  [[ ! -e "$CAUSEWAY_DEVNET_STATE/anvil-a.pid" ]] || fail "a pid file was left behind"
  pass "up refuses a taken port: $out"
}

case_schema_examples() {
  local schema="$root/schemas/deployment.schema.json" sc="$root/deploy/devnet/schema-check.mjs" f status
  node "$sc" "$schema" "$root/schemas/examples/deployment.valid.json" || fail "the valid example is rejected"
  local invalid=("$root"/schemas/examples/deployment.invalid-*.json)
  [[ -f "${invalid[0]}" ]] || fail "no invalid examples"
  for f in "${invalid[@]}"; do
    status=0
    node "$sc" "$schema" "$f" || status=$?
    [[ "$status" -eq 1 ]] || fail "$f: expected rejection (exit 1), got $status"
  done
  # Every field the schema defines carries a description.
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const missing = [];
    const walk = (node, at) => {
      if (!node || typeof node !== "object") return;
      for (const [k, v] of Object.entries(node.properties ?? {})) { if (!v.description) missing.push(`${at}/${k}`); walk(v, `${at}/${k}`); }
      if (node.items) walk(node.items, `${at}[]`);
      for (const [k, v] of Object.entries(node.$defs ?? {})) walk(v, `#/$defs/${k}`);
    };
    walk(s, "");
    if (!s.$id || missing.length) { console.error("no $id or no description:", missing); process.exit(1); }
  ' "$schema" || fail "schema lacks \$id or descriptions"
  pass "schema examples"
}

case "${1:-}" in
  up_down | port_taken | schema_examples) "case_$1" ;;
  *) echo "usage: $0 up_down|port_taken|schema_examples" >&2; exit 2 ;;
esac
