#!/usr/bin/env bash
# End-to-end tests of `causeway relay` on two live anvil chains (deploy/devnet, interval mining,
# free ports, private state directory), driven by tests/e2e/driver.mjs and the Probe application.
# One case per run:
#   both_ways    1,000 messages each way on ordered and unordered lanes plus messages to a
#                receiver that always reverts: each executed and acknowledged exactly once, in
#                order on ordered lanes, acknowledged several to a transaction; gas-account
#                nonces equal the journaled transactions; SIGTERM stops the relay cleanly  (e2e)
#   ack_refused  a paused source gateway refuses acknowledgements: each is refused on its own
#                (a transaction of several is split), none lost; after the unpause all are
#                acknowledged exactly once                                               (chaos)
#   crash        kill -9 the relay at random moments (>= 10 times) while 2,000 messages flow;
#                after the last restart all are executed and acknowledged exactly once   (chaos)
#   outage       SIGSTOP/SIGCONT of each chain's node while messages flow: no loss      (chaos)
#   rate_limit   a lane over its rate limit holds messages without loss; its target takes
#                legacy (EIP-155) transactions                                          (chaos)
#   conflict     two endpoints of one chain report different blocks at one height: the lane
#                halts with the alert metric raised and delivers nothing (THREATS 1)     (chaos)
#   breaker      the target's node stops answering: failed submissions open the lane's circuit
#                breaker, which holds messages; once the node is back they all arrive (THREATS 27)
#                                                                                        (chaos)
#   reconcile    messages behind the relay's cursor are found by the reconciliation sweep  (e2e)
#   reorg        a reorg below the confirmation depth: orphaned messages are not delivered,
#                later ones are; a reorg beyond it halts the lane with an alert (THREATS 22) (chaos)
#   lost_tx      chain b's node loses the relay's pending deliver transaction from its pool: the
#                relay finds it gone and sends the same bytes again, long before re-pricing (chaos)
# Needs: CAUSEWAY_BIN (the causeway binary), CAUSEWAY_CONTRACTS_BUILD (compiled contracts); the
# harness is tests/e2e/lib.sh.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case_both_ways() {
  setup
  make_config
  start_relay
  # One sender per chain at a time: the driver owns the dev account's nonces while it sends.
  drive send --probes "$probes" --from a --to b --count 500 >/dev/null
  drive send --probes "$probes" --from a --to b --count 500 --ordered >/dev/null
  drive send --probes "$probes" --from b --to a --count 500 >/dev/null
  drive send --probes "$probes" --from b --to a --count 500 --ordered >/dev/null
  drive send --probes "$probes" --from a --to b --count 20 --failing >/dev/null
  wait_for '{"a":{"probe":{"received":1000,"acks":1020,"ackStatusCount":{"1":1000,"2":20}}},"b":{"probe":{"received":1000,"acks":1000}}}' 240
  pass "1,000 messages each way executed and acknowledged; 20 to a reverting receiver acknowledged as failed"
  check_exactly_once
  local failing_received
  failing_received="$(drive status --probes "$probes" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).b.failing.received))')"
  [[ "$failing_received" == 0 ]] || fail "the reverting receiver counted $failing_received messages"
  pass "exactly once, in order, no duplicate acknowledgement"
  # Every message found by a poll (or the sweep) and first broadcast by this relay is timed once.
  local timed
  timed="$(metric causeway_relay_overhead_seconds_count)"
  [[ "$timed" == 2020 ]] || fail "the relay overhead histogram timed $timed first deliveries, not 2,020"
  [[ "$(metric causeway_messages_executed_total 'status="failed"')" == 20 ]] || fail "executed_total{status=failed} is not 20"
  [[ "$(metric causeway_single_operator_mode)" == 1 ]] || fail "single-operator mode is not shown in metrics"
  [[ "$(metric causeway_lane_halted)" == 0 ]] || fail "a lane is halted"
  # Acknowledgements travel several to a transaction (Gateway.acknowledgeAll): the 2,020 took far
  # fewer than one each.
  local acked ack_txs
  acked="$(metric causeway_messages_acknowledged_total)"
  ack_txs="$(metric causeway_submissions_total 'kind="acknowledge"' 'outcome="sent"')"
  [[ "$acked" == 2020 ]] || fail "messages_acknowledged_total is $acked, not 2,020"
  ((ack_txs > 0 && ack_txs * 4 <= acked)) || fail "$ack_txs acknowledge transactions for $acked acknowledgements"
  # Thousands of bundles take the store's log past 1,000 pages many times: folded by its thread.
  local folded
  folded="$(metric causeway_store_wal_checkpoints_total 'by="thread"')"
  ((folded > 0)) || fail "the store's checkpointer thread ran $folded checkpoints"
  stop_relay
  check_nonces
  pass "gas-account nonces equal the journaled transactions; clean SIGTERM"
}

case_crash() {
  setup
  # Polls of at most two blocks: after each restart the relay is behind its chains, so each poll
  # runs while the one before it is verified and committed (engine overlaps()) when it is killed.
  make_config 'for (const ch of c.chains) ch.max_range = 2'
  start_relay
  (
    for round in 1 2 3 4 5; do
      drive send --probes "$probes" --from a --to b --count 100 >/dev/null
      drive send --probes "$probes" --from a --to b --count 100 --ordered >/dev/null
      drive send --probes "$probes" --from b --to a --count 100 >/dev/null
      drive send --probes "$probes" --from b --to a --count 100 --ordered >/dev/null
      sleep 1
    done
  ) &
  local sender=$! kills=0
  extra_pids+=("$sender")
  while ((kills < 12)); do
    sleep "$(node -e 'console.log((0.5 + Math.random() * 2.5).toFixed(2))')"
    kill -9 "$relay_pid"
    wait "$relay_pid" 2>/dev/null || true
    relay_pid=""
    kills=$((kills + 1))
    start_relay
  done
  wait "$sender"
  pass "killed the relay with SIGKILL $kills times while messages flowed"
  wait_for '{"a":{"probe":{"received":1000,"acks":1000}},"b":{"probe":{"received":1000,"acks":1000}}}' 300
  check_exactly_once
  stop_relay
  check_nonces
  pass "after the last restart all 2,000 messages executed and acknowledged exactly once"
}

case_outage() {
  setup
  # Short request timeouts, so the outage shows as failed calls rather than one long wait; polls of
  # at most two blocks, so the catching up after each outage runs polls beside commits.
  make_config 'for (const ch of c.chains) { ch.request_timeout_ms = 1500; ch.max_range = 2; }'
  start_relay
  local pid_a pid_b
  pid_a="$(cat "$CAUSEWAY_DEVNET_STATE/anvil-a.pid")"
  pid_b="$(cat "$CAUSEWAY_DEVNET_STATE/anvil-b.pid")"
  drive send --probes "$probes" --from a --to b --count 100 >/dev/null
  kill -STOP "$pid_b"
  sleep 12
  kill -CONT "$pid_b"
  drive send --probes "$probes" --from b --to a --count 100 --ordered >/dev/null
  kill -STOP "$pid_a"
  sleep 12
  kill -CONT "$pid_a"
  wait_for '{"a":{"probe":{"received":100,"acks":100}},"b":{"probe":{"received":100,"acks":100}}}' 180
  check_exactly_once
  kill -0 "$relay_pid" || fail "the relay died during the outage"
  (($(metric causeway_rpc_errors_total) > 0)) || fail "the outage left no trace in causeway_rpc_errors_total"
  stop_relay
  pass "each node stopped for 12 s: the relay waited, caught up, lost nothing"
}

case_rate_limit() {
  setup
  # Chain b's deliveries also go out as EIP-155 legacy transactions here (the other cases use EIP-1559).
  make_config 'c.lanes.find(l => l.from === "a").rate_limit = {messages_per_second: 5, burst: 5}; c.chains.find(x => x.name === "b").fees = {mode: "legacy"}'
  start_relay
  drive send --probes "$probes" --from a --to b --count 60 >/dev/null
  sleep 4
  local early
  early="$(drive status --probes "$probes" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).b.probe.received))')"
  ((early < 60)) || fail "60 messages crossed a 5/s lane in 4 s"
  (($(metric causeway_rate_limited_total 'lane="a->b"') > 0)) || fail "causeway_rate_limited_total did not move"
  wait_for '{"b":{"probe":{"received":60}},"a":{"probe":{"acks":60}}}' 120
  check_exactly_once
  stop_relay
  pass "a lane over its rate limit held messages back and lost none"
  # Chain b's transactions were legacy (an RLP list, first byte >= 0xc0), chain a's EIP-1559 (0x02 ‖ rlp).
  local legacy typed
  legacy="$(sqlite3 "$work/relay.db" "SELECT count(*) FROM submissions WHERE chain_id = 1002 AND hex(substr(raw, 1, 1)) >= 'C0'")"
  typed="$(sqlite3 "$work/relay.db" "SELECT count(*) FROM submissions WHERE chain_id = 1002 AND hex(substr(raw, 1, 1)) = '02'")"
  ((legacy > 0 && typed == 0)) || fail "chain b's deliveries were not legacy transactions ($legacy legacy, $typed typed)"
  pass "$legacy legacy (EIP-155) deliver transactions executed on chain b"
}

case_conflict() {
  setup
  # A second node that claims to be chain a (same chain id) but has its own blocks: the lying
  # endpoint among the n.
  local anvil="$root/deploy/devnet/node_modules/.bin/anvil"
  "$anvil" --port "$port_extra" --chain-id 1001 --timestamp 1800000000 --block-time 1 --silent </dev/null >/dev/null 2>&1 &
  extra_pids+=("$!")
  disown "$!"
  make_config "c.chains.find(x => x.name === \"a\").endpoints.push(\"http://127.0.0.1:$port_extra\")"
  start_relay
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  local i
  for ((i = 0; i < 60; i++)); do
    [[ "$(metric causeway_lane_halted 'lane="a->b"')" == 1 ]] && break
    sleep 1
  done
  [[ "$(metric causeway_lane_halted 'lane="a->b"')" == 1 ]] || fail "lane a->b did not halt"
  (($(metric causeway_endpoint_conflicts_total 'chain="a"') > 0)) || fail "no endpoint-conflict alert"
  sleep 3
  local received
  received="$(drive status --probes "$probes" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).b.probe.received))')"
  [[ "$received" == 0 ]] || fail "a halted lane delivered $received messages"
  stop_relay
  pass "endpoints disagreeing on a block halt the lane with an alert; nothing delivered"
}

case_breaker() {
  setup
  make_config 'for (const ch of c.chains) ch.request_timeout_ms = 1500; c.lanes.find(l => l.from === "a").breaker = {failures: 2, cool_down_ms: 8000}'
  start_relay
  local pid_b i
  pid_b="$(cat "$CAUSEWAY_DEVNET_STATE/anvil-b.pid")"
  kill -STOP "$pid_b"
  drive send --probes "$probes" --from a --to b --count 30 >/dev/null
  for ((i = 0; i < 90; i++)); do
    [[ "$(metric causeway_lane_breaker_open 'lane="a->b"')" == 1 ]] && break
    sleep 1
  done
  [[ "$(metric causeway_lane_breaker_open 'lane="a->b"')" == 1 ]] || { kill -CONT "$pid_b"; fail "the breaker of lane a->b did not open"; }
  (($(metric causeway_submissions_total 'lane="a->b"' 'outcome="failed"') >= 2)) || { kill -CONT "$pid_b"; fail "no failed submissions counted"; }
  for ((i = 0; i < 15; i++)); do
    (($(metric causeway_lane_backlog 'lane="a->b"') > 0)) && break
    sleep 1
  done
  (($(metric causeway_lane_backlog 'lane="a->b"') > 0)) || { kill -CONT "$pid_b"; fail "the held messages are not in causeway_lane_backlog"; }
  (($(metric causeway_lane_oldest_pending_seconds 'lane="a->b"') > 0)) || { kill -CONT "$pid_b"; fail "no age of the oldest pending message"; }
  kill -CONT "$pid_b"
  pass "failed submissions to a stopped node opened the lane's breaker; the backlog and its age show it"
  wait_for '{"b":{"probe":{"received":30}},"a":{"probe":{"acks":30}}}' 180
  check_exactly_once
  [[ "$(metric causeway_lane_breaker_open 'lane="a->b"')" == 0 ]] || fail "the breaker stayed open after deliveries resumed"
  # Per-lane state counts are refreshed every 30 s.
  for ((i = 0; i < 40; i++)); do
    [[ "$(metric causeway_lane_messages 'lane="a->b"' 'state="acknowledged"')" == 30 ]] && break
    sleep 1
  done
  [[ "$(metric causeway_lane_messages 'lane="a->b"' 'state="acknowledged"')" == 30 ]] || fail "causeway_lane_messages does not count the 30 acknowledged"
  stop_relay
  pass "the breaker held the messages without loss; all 30 delivered and acknowledged once"
}

received_on() {  # received_on CHAIN: the probe's received counter on CHAIN
  drive status --probes "$probes" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]].probe.received))' "$1"
}

case_reorg() {
  setup
  # Chain a's events count as final 4 blocks deep.
  make_config 'c.chains.find(x => x.name === "a").consensus.confirmations = 4'
  # Bury the deployments so no reorg below reaches them.
  drive mine --chain a --blocks 12 >/dev/null
  start_relay
  # Below the depth: sent, then reorganised away before it was final. Never delivered.
  drive send --probes "$probes" --from a --to b --count 3 >/dev/null
  drive reorg --chain a --depth 3 >/dev/null
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  wait_for '{"b":{"probe":{"received":5}},"a":{"probe":{"acks":5}}}' 120
  sleep 6
  [[ "$(received_on b)" == 5 ]] || fail "an orphaned message was delivered ($(received_on b) received, 5 expected)"
  [[ "$(metric causeway_lane_halted 'lane="a->b"')" == 0 ]] || fail "a reorg below the depth halted the lane"
  [[ "$(metric causeway_finality_violations_total)" == 0 ]] || fail "a reorg below the depth raised the alert"
  check_exactly_once
  pass "reorg below the confirmation depth: orphaned messages not delivered, the rest delivered"
  # Beyond the depth: blocks the relay took as final disappear. The lane halts with an alert.
  drive reorg --chain a --depth 8 >/dev/null
  drive send --probes "$probes" --from a --to b --count 2 >/dev/null
  local i
  for ((i = 0; i < 60; i++)); do
    [[ "$(metric causeway_lane_halted 'lane="a->b"')" == 1 ]] && break
    sleep 1
  done
  [[ "$(metric causeway_lane_halted 'lane="a->b"')" == 1 ]] || fail "a reorg beyond the depth did not halt lane a->b"
  (($(metric causeway_finality_violations_total 'chain="a"') > 0)) || fail "no finality-violation alert"
  stop_relay
  pass "reorg beyond the confirmation depth: lane halted, alert raised"
}

# rpc_on CHAIN METHOD PARAMS: one JSON-RPC call to the chain's node; prints its result as JSON.
rpc_on() {
  node -e '
    const [file, chain, method, params] = process.argv.slice(1);
    const m = JSON.parse(require("fs").readFileSync(file));
    fetch(m.chains.find(c => c.name === chain).rpc.http, {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params: JSON.parse(params)})})
      .then(r => r.json()).then(j => {
        if (j.error) { console.error(method + ": " + JSON.stringify(j.error)); process.exit(1); }
        console.log(JSON.stringify(j.result));
      });' "$manifest" "$@"
}

case_lost_tx() {
  setup
  # Re-pricing ten minutes away: only finding the lost transaction delivers within the deadline.
  make_config 'const b = c.chains.find(x => x.name === "b"); b.fees = {...(b.fees || {}), bump_after_ms: 600000}'
  start_relay
  rpc_on b evm_setIntervalMining '[0]' >/dev/null
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  local i pending=0
  for ((i = 0; i < 120; i++)); do
    pending="$(rpc_on b txpool_status '[]' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(parseInt(JSON.parse(s).pending, 16)))')"
    ((pending > 0)) && break
    sleep 0.5
  done
  ((pending > 0)) || fail "no deliver transaction reached chain b's pool"
  rpc_on b anvil_dropAllTransactions '[]' >/dev/null
  pending="$(rpc_on b txpool_status '[]' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(parseInt(JSON.parse(s).pending, 16)))')"
  [[ "$pending" == 0 ]] || fail "anvil_dropAllTransactions left $pending transactions in b's pool"
  rpc_on b evm_setIntervalMining '[1]' >/dev/null
  wait_for '{"b":{"probe":{"received":5}},"a":{"probe":{"acks":5}}}' 90
  (($(metric causeway_rebroadcasts_total 'chain="b"') >= 1)) || fail "causeway_rebroadcasts_total{chain=b} did not count the lost transaction"
  [[ "$(metric causeway_submissions_total 'outcome="bumped"')" == 0 ]] || fail "a transaction was re-priced"
  grep -q "the node had lost" "$relay_log" || fail "the relay did not say it sent a lost transaction again"
  check_exactly_once
  stop_relay
  check_nonces
  pass "a deliver transaction the node lost was found and sent again: delivered and acknowledged once"
}

case_reconcile() {
  setup
  make_config
  start_relay
  stop_relay
  # Messages sent while the relay is down, then its cursor for chain a moved past them (as after
  # restoring an old store, or an operator's mistake): only the reconciliation sweep can find them.
  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  drive send --probes "$probes" --from a --to b --count 3 --ordered >/dev/null
  local head
  head="$(node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const a = m.chains.find(c => c.name === "a");
    fetch(a.rpc.http, {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["latest", false]})})
      .then(r => r.json()).then(j => console.log(Number(j.result.number), j.result.hash.slice(2)));' "$manifest")"
  read -r height hash <<<"$head"
  local identity
  identity="$(node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(m.chains.find(c => c.name === "a").chainIdentity.slice(2))' "$manifest")"
  sqlite3 "$work/relay.db" "UPDATE cursors SET height = $height, hash = x'$hash' WHERE chain = x'$identity'"
  start_relay
  wait_for '{"b":{"probe":{"received":8}},"a":{"probe":{"acks":8}}}' 120
  check_exactly_once
  grep -q "reconciliation found" "$relay_log" || fail "the messages arrived without the reconciliation sweep"
  stop_relay
  pass "messages behind the cursor were found by the reconciliation sweep and delivered"
}

# 40 messages sent on a, then a's gateway paused by its guardian (anvil's first account, the
# devnet's deployer) before the relay starts: they are delivered to b, and every acknowledgement the
# relay sends back to a reverts: on chain when first sent (unchecked), then at its pre-check.
case_ack_refused() {
  setup
  make_config 'for (const l of c.lanes) l.retry = {initial_ms: 500, max_ms: 2000, max_attempts: 1000}'
  drive send --probes "$probes" --from a --to b --count 40 >/dev/null
  local guardian_key="$work/guardian.key" rpc_a gateway_a
  (umask 077 && echo 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 >"$guardian_key")
  rpc_a="$(node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(m.chains.find(c => c.name === "a").rpc.http)' "$manifest")"
  gateway_a="$(node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(m.chains.find(c => c.name === "a").gateway)' "$manifest")"
  "$bin" guardian pause --rpc "$rpc_a" --gateway "$gateway_a" --key "$guardian_key" 2>/dev/null | grep -q "receipt status 1" ||
    fail "could not pause chain a's gateway"
  start_relay
  wait_for '{"b":{"probe":{"received":40}}}' 120
  # Each acknowledgement is refused on its own (an acknowledge transaction of several that reverts is
  # sent again entry by entry), and at least one transaction carried several.
  local i refused=0 reverted=0
  for ((i = 0; i < 60; i++)); do
    refused="$({ grep -o "acknowledge of 0x[0-9a-f]* refused" "$relay_log" || true; } | sort -u | wc -l)"
    ((refused >= 40)) && break
    sleep 0.5
  done
  ((refused == 40)) || fail "$refused of the 40 acknowledgements were refused one by one"
  reverted="$(metric causeway_submissions_total 'kind="acknowledge"' 'outcome="reverted_estimate"')"
  ((reverted > 40)) || fail "$reverted acknowledge pre-checks reverted: no transaction of several was split"
  # The first acknowledge transactions went without a pre-check (first attempts) and reverted on
  # chain; their retries were pre-checked and split.
  local onchain
  onchain="$(metric causeway_submissions_total 'kind="acknowledge"' 'outcome="reverted"')"
  ((onchain >= 1)) || fail "no acknowledge went out unchecked and reverted on chain"
  [[ "$(drive status --probes "$probes" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).a.probe.acks))')" == 0 ]] ||
    fail "an acknowledgement reached the paused gateway"
  pass "a paused source refused the acknowledgements one by one, none lost"
  "$bin" guardian unpause --rpc "$rpc_a" --gateway "$gateway_a" --key "$guardian_key" 2>/dev/null | grep -q "receipt status 1" ||
    fail "could not unpause chain a's gateway"
  wait_for '{"a":{"probe":{"acks":40}}}' 120
  check_exactly_once
  stop_relay
  check_nonces
  pass "after the unpause all 40 were acknowledged exactly once"
}

case "${1:-}" in
  both_ways | crash | outage | rate_limit | conflict | breaker | reorg | reconcile | lost_tx | ack_refused) "case_$1" ;;
  *) echo "usage: $0 both_ways|crash|outage|rate_limit|conflict|breaker|reorg|reconcile|lost_tx|ack_refused" >&2; exit 2 ;;
esac
