#!/usr/bin/env bash
# The relay on a PostgreSQL store, and active/standby failover of one logical relay through the
# store's lease (issue 10 part 2; relay/store/lease.hpp), on two live anvil chains. Run inside
# tests/support/with_postgres.sh (CAUSEWAY_PG_CONNINFO). One case per run:
#   postgres_relay  one relay on PostgreSQL delivers 200 messages each way exactly once; an auditor
#                   exports its audit log with `audit export --config` while it runs (a read-only
#                   session beside the writer) and the export verifies offline
#   kill            two relays, one config (ttl 3 s): SIGKILL of the active one while 300 messages
#                   flow each way; the standby takes over once the grant expires; every message
#                   executed and acknowledged exactly once, the journal's nonces are the chains'.
#                   Prints the takeover time (SIGKILL -> the standby's /readyz 200): a benchmark
#                   figure, not asserted
#   pause           SIGSTOP of the active one for longer than the ttl while traffic flows; the
#                   standby takes over; SIGCONT: the old one exits with status 75 (lease lost),
#                   writing and broadcasting nothing new; everything exactly once
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD; the harness is tests/e2e/lib.sh.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${CAUSEWAY_PG_CONNINFO:?run inside tests/support/with_postgres.sh}"
psql_bin="${CAUSEWAY_PG_BIN:-/usr/lib/postgresql/15/bin}/psql"
schema="relay_e2e"
ttl_ms=3000
config_b="$work/relay-b.json"
log_b="$work/relay-b.log"
api_b="http://127.0.0.1:$port_extra"
pid_b=""

# The devnet config on PostgreSQL with a short lease; relay b is the same config on another port.
make_pg_config() {
  make_config "c.relay.store = {postgres: {conninfo: process.env.CAUSEWAY_PG_CONNINFO, schema: '$schema', lease: {ttl_ms: $ttl_ms}}}"
  node -e 'const fs=require("fs"); const c=JSON.parse(fs.readFileSync(process.argv[1])); c.relay.listen=process.argv[3]; fs.writeFileSync(process.argv[2], JSON.stringify(c, null, 2));' \
    "$config" "$config_b" "127.0.0.1:$port_extra"
}

# readyz URL -> "STATUS BODY" (000 when unreachable).
readyz() {
  node -e 'fetch(process.argv[1]).then(async r => console.log(r.status + " " + (await r.text()))).catch(() => console.log("000"))' "$1/readyz"
}

start_standby() {
  "$bin" relay --config "$config_b" >>"$log_b" 2>&1 &
  pid_b=$!
  extra_pids+=("$pid_b")
  local i
  for ((i = 0; i < 100; i++)); do
    [[ "$(readyz "$api_b")" == 503*standby* ]] && return 0
    kill -0 "$pid_b" 2>/dev/null || fail "relay b exited during start-up"
    sleep 0.2
  done
  fail "relay b did not report standby within 20 s"
}

# Milliseconds until relay b's /readyz answers 200 (it took over), or a failure after 60 s.
wait_takeover() {
  local start=$1 i
  for ((i = 0; i < 600; i++)); do
    if [[ "$(readyz "$api_b")" == 200* ]]; then
      echo $(($(date +%s%3N) - start))
      return 0
    fi
    sleep 0.1
  done
  fail "relay b did not take over within 60 s"
}

psql_q() { "$psql_bin" "$CAUSEWAY_PG_CONNINFO" -Atq -c "$1"; }

# check_nonces of lib.sh for the PostgreSQL store.
check_nonces_pg() { compare_nonces psql_q "$schema.submissions" "encode(account, 'hex')"; }

# wait_metric NAME MIN: until the relay at $api counts at least MIN (30 s at most).
wait_metric() {
  local i
  for ((i = 0; i < 150; i++)); do
    (($(metric "$1") >= $2)) && return 0
    sleep 0.2
  done
  fail "$1 stayed below $2"
}

send_both_ways() {
  drive send --probes "$probes" --from a --to b --count "$1" >/dev/null &
  extra_pids+=("$!")
  senders=("$!")
  drive send --probes "$probes" --from b --to a --count "$1" --ordered >/dev/null &
  extra_pids+=("$!")
  senders+=("$!")
}

# SIGTERM to relay b: a clean stop.
stop_b() {
  kill -TERM "$pid_b"
  local status=0
  wait "$pid_b" || status=$?
  pid_b=""
  [[ $status -eq 0 ]] || fail "relay b exited with $status after SIGTERM"
  grep -q "stopped cleanly" "$log_b" || fail "no clean-stop line in relay b's log"
}

case_postgres_relay() {
  setup
  make_pg_config
  # Signed checkpoints, so the export below has something an auditor can verify.
  local attester log_vkey leaves
  attester="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).keys.vote[0].address.toLowerCase())' "$manifest")"
  log_vkey="$("$bin" audit keygen --out "$work/log.key" --name "causeway/$attester")"
  node -e 'const fs=require("fs"); for (const f of process.argv.slice(2)) { const c=JSON.parse(fs.readFileSync(f)); c.relay.log_key={raw_file: process.argv[1]}; c.relay.checkpoint_every_ms=500; fs.writeFileSync(f, JSON.stringify(c, null, 2)); }' \
    "$work/log.key" "$config" "$config_b"
  start_relay
  grep -q "lease: ACTIVE" "$relay_log" || fail "no lease line in the log"
  [[ "$(metric causeway_lease_active)" == 1 ]] || fail "causeway_lease_active is not 1"
  send_both_ways 200
  wait "${senders[@]}"
  wait_for '{"b":{"probe":{"received":200,"acks":200}},"a":{"probe":{"received":200,"acks":200}}}' 240
  check_exactly_once
  # Every message verified and executed (its acknowledgement is on chain) before the export's snapshot.
  "$bin" audit export --config "$config" --out "$work/export" >"$work/export.out" 2>&1 ||
    { cat "$work/export.out" >&2; fail "audit export --config of the PostgreSQL store failed"; }
  "$bin" audit verify "$work/export" --log-key "$log_vkey" >"$work/verify.out" 2>&1 ||
    { cat "$work/verify.out" >&2; fail "the export of the PostgreSQL store does not verify"; }
  leaves="$(wc -l <"$work/export/leaves.jsonl")"
  ((leaves >= 800)) || fail "the export holds $leaves leaves, fewer than 800"
  stop_relay
  grep -q "lease released" "$relay_log" || fail "the clean stop did not release the lease"
  [[ "$(psql_q "SELECT value FROM $schema.store_meta WHERE key = 'clean_shutdown'")" == 1 ]] ||
    fail "the clean stop did not mark the store closed"
  check_nonces_pg
  pass "one relay on PostgreSQL: 200 messages each way executed and acknowledged exactly once, nonces consistent; its audit export ($leaves leaves) verifies"
}

case_kill() {
  setup
  make_pg_config
  start_relay
  start_standby
  [[ "$(node -e 'fetch(process.argv[1]).then(r => console.log(r.status))' "$api_b/healthz")" == 200 ]] ||
    fail "the standby's /healthz is not 200"
  grep -q "lease: standby: the lease is held by" "$log_b" || fail "no standby line in relay b's log"
  send_both_ways 300
  wait_metric causeway_messages_observed_total 100
  local killed_at
  killed_at=$(date +%s%3N)
  kill -9 "$relay_pid"
  wait "$relay_pid" 2>/dev/null || true
  relay_pid=""
  local takeover_ms
  takeover_ms=$(wait_takeover "$killed_at")
  echo "takeover: SIGKILL of the active relay -> standby /readyz 200 in $takeover_ms ms (lease ttl $ttl_ms ms)"
  grep -q "lease: ACTIVE.*(taken over)" "$log_b" || fail "no takeover line in relay b's log"
  api="$api_b"  # metric and check_no_secrets read relay b from now on
  [[ "$(metric causeway_lease_takeovers_total)" == 1 ]] || fail "causeway_lease_takeovers_total is not 1"
  wait "${senders[@]}"
  wait_for '{"b":{"probe":{"received":300,"acks":300}},"a":{"probe":{"received":300,"acks":300}}}' 300
  check_exactly_once
  stop_b
  check_nonces_pg
  pass "active killed mid-flow: the standby took over, 600 messages executed and acknowledged exactly once, no nonce gap"
}

case_pause() {
  setup
  make_pg_config
  start_relay
  start_standby
  send_both_ways 200
  wait_metric causeway_messages_observed_total 80
  local paused_pid=$relay_pid
  kill -STOP "$paused_pid"
  local paused_at
  paused_at=$(date +%s%3N)
  local takeover_ms
  takeover_ms=$(wait_takeover "$paused_at")
  echo "takeover: SIGSTOP of the active relay -> standby /readyz 200 in $takeover_ms ms (lease ttl $ttl_ms ms)"
  # Let the new active one sign and send transactions of its own before the old one wakes.
  api="$api_b"
  wait_metric causeway_submissions_total 5
  local lines
  lines=$(wc -l <"$relay_log")
  kill -CONT "$paused_pid"
  local status=0 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$paused_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$paused_pid" 2>/dev/null && fail "the resumed old active relay is still running after 10 s"
  wait "$paused_pid" || status=$?
  relay_pid=""
  [[ $status -eq 75 ]] || fail "the resumed old active relay exited with $status, not 75 (lease lost)"
  tail -n +"$((lines + 1))" "$relay_log" >"$work/after-resume.log"
  grep -q "LEASE LOST" "$work/after-resume.log" || fail "no lease-lost line after the resume"
  grep -q "stopped cleanly" "$work/after-resume.log" && fail "the old active relay claims a clean stop"
  pass "resumed, the old active relay exited with status 75: $(grep -o 'LEASE LOST: [^;]*' "$work/after-resume.log" | head -n 1)"
  wait "${senders[@]}"
  wait_for '{"b":{"probe":{"received":200,"acks":200}},"a":{"probe":{"received":200,"acks":200}}}' 300
  check_exactly_once
  stop_b
  # Anything the old one had signed and broadcast after losing the lease would be a nonce the
  # journal does not hold.
  check_nonces_pg
  pass "active paused past the ttl: the standby took over, the old one wrote and broadcast nothing new, all exactly once"
}

case "${1:-}" in
  postgres_relay | kill | pause) "case_$1" ;;
  *) echo "usage: $0 postgres_relay|kill|pause" >&2; exit 2 ;;
esac
