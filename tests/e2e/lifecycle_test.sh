#!/usr/bin/env bash
# Lifecycle operations of a live relay on two anvil chains (issue 10 part 4). One case per run:
#   backup_restore  `causeway store backup` while 400 messages flow; `store restore` refused while
#                   the relay holds the store; after a clean stop the backup is restored and the
#                   relay restarted: every message is acknowledged, each executed exactly once;
#                   a chain whose gas_balance_warn is above its balance shows causeway_gas_balance_low 1,
#                   with a warning, and the other 0
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD; the harness is tests/e2e/lib.sh.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case_backup_restore() {
  setup
  # Chain a's gas account gets 2 ether and a warning threshold of 5; chain b's threshold is 1 wei.
  node -e '
    const fs = require("fs");
    const m = JSON.parse(fs.readFileSync(process.argv[1]));
    const g = m.keys.gas.find(k => k.chain === "a");
    const chain = m.chains.find(c => c.name === "a");
    fetch(chain.rpc.http, {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "anvil_setBalance", params: [g.address, "0x1bc16d674ec80000"]})})
      .then(r => r.json()).then(j => process.exit(j.error ? 1 : 0));' "$manifest" || fail "anvil_setBalance failed"
  make_config 'c.chains[0].gas_balance_warn = "5000000000000000000"; c.chains[1].gas_balance_warn = "1"; c.relay.retention = {bundles_days: 30};'
  start_relay
  drive send --probes "$probes" --from a --to b --count 200 >/dev/null &
  local sender_a=$!
  extra_pids+=("$sender_a")
  drive send --probes "$probes" --from b --to a --count 200 --ordered >/dev/null &
  local sender_b=$!
  extra_pids+=("$sender_b")
  # Once some messages are in the store, back it up while the rest keep coming.
  local i
  for ((i = 0; i < 100; i++)); do
    (($(metric causeway_messages_observed_total) >= 50)) && break
    sleep 0.2
  done
  "$bin" store backup --config "$config" --out "$work/backup.db" >"$work/backup.txt" || fail "store backup failed while the relay ran"
  grep -q "integrity ok" "$work/backup.txt" || fail "no integrity line in the backup summary"
  [[ "$(stat -c %a "$work/backup.db")" == 600 ]] || fail "the backup is not mode 0600"
  pass "online backup during traffic: $(cat "$work/backup.txt")"

  local refused=0
  "$bin" store restore --from "$work/backup.db" --config "$config" 2>"$work/refused.txt" || refused=$?
  [[ $refused -eq 1 ]] && grep -q "store.locked" "$work/refused.txt" || fail "restore was not refused while the relay runs"
  pass "restore refused while the relay holds the store"

  wait "$sender_a" "$sender_b"
  wait_for '{"b":{"probe":{"received":200,"acks":200}},"a":{"probe":{"received":200,"acks":200}}}' 180
  # Balances are read every 30 s.
  for ((i = 0; i < 70; i++)); do
    [[ "$(metric causeway_gas_balance_low 'chain="a"')" == 1 ]] && break
    sleep 0.5
  done
  [[ "$(metric causeway_gas_balance_low 'chain="a"')" == 1 ]] || fail "causeway_gas_balance_low{chain=a} is not 1"
  [[ "$(metric causeway_gas_balance_low 'chain="b"')" == 0 ]] || fail "causeway_gas_balance_low{chain=b} is not 0"
  grep -q "below gas_balance_warn" "$relay_log" || fail "no low-balance warning in the log"
  pass "gas balance below gas_balance_warn shown for chain a only, with a warning"
  stop_relay

  "$bin" store restore --from "$work/backup.db" --config "$config" >"$work/restore.txt" || fail "store restore failed"
  [[ -f "$work/relay.db.before-restore" ]] || fail "the old store was not kept"
  pass "restored: $(cat "$work/restore.txt")"
  start_relay
  # The restored store is behind: the relay catches up from the chains until all 400 are
  # acknowledged in its store again, and the gateways executed none twice.
  for ((i = 0; i < 300; i++)); do
    [[ "$(metric causeway_messages 'state="acknowledged"')" == 400 ]] && break
    sleep 0.5
  done
  [[ "$(metric causeway_messages 'state="acknowledged"')" == 400 ]] || fail "after the restore not all 400 messages are acknowledged in the store"
  check_exactly_once
  stop_relay
  pass "after the restore every message is acknowledged, each executed exactly once"
}

case "${1:-}" in
  backup_restore) "case_$1" ;;
  *) echo "usage: $0 backup_restore" >&2; exit 2 ;;
esac
