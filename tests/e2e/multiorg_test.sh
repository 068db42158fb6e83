#!/usr/bin/env bash
# End-to-end tests of several organisations relaying together (issue 10 part 1): three relays,
# each with its own vote key (the manifest's keys.vote[i]), gas keys, store and API, in front of
# gateways with 3 attesters and threshold 2. Each relay verifies every message itself and submits
# its own vote; the gateway tallies votes per (digest, epoch) across transactions and executes at
# the second. One case per run (label e2e):
#   one_down   relay 3 stopped, 200 messages each way (half ordered): all executed and
#              acknowledged exactly once by the other two; relay 3 started again catches up to
#              acknowledged for all 400 without sending a single transaction
#   malicious  attester 3 signs a Deliver vote for a fabricated message and submits it to b's
#              gateway, and POSTs it to the two honest relays: they refuse it (vote.unknown_message,
#              counted), never deliver it, and the gateway holds it at 1 vote, not executed
#   rotation   while 200 messages flow each way, both gateways rotate (propose, approve, submit) to
#              a new epoch; all executed and acknowledged exactly once, every relay follows the new
#              epoch, and a vote of the old epoch POSTed afterwards is refused (vote.wrong_epoch)
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD; the harness is tests/e2e/lib.sh.
set -euo pipefail
export CAUSEWAY_DEVNET_ATTESTERS=3 CAUSEWAY_DEVNET_THRESHOLD=2
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/multiorg_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/multiorg_lib.sh"

contracts="$CAUSEWAY_CONTRACTS_BUILD"
token="e2e-admin-$RANDOM$RANDOM"
export CAUSEWAY_E2E_ADMIN_TOKEN="$token"
secrets+=("$token")
read -r port_2 port_3 < <(node "$check" free-ports 2)
declare -A peer_port=([2]="$port_2" [3]="$port_3") peer_pid=()

# Relay 1 is lib.sh's ($config, $api, start_relay, stop_relay); relays 2 and 3 are peers run here
# (multiorg_lib.sh). Gas accounts are anvil's funded development accounts: 1 and 2 are the
# manifest's (relay 1), 3..6 relays 2 and 3, 7 and 8 the governance commands, 9 the rogue
# attester's submitter.
configs() {
  # Quick retries and a reconciliation sweep (which also re-reads the gateways' epochs) every 3 s.
  make_config 'c.relay.api = Object.assign(c.relay.api || {}, {admin_token_env: "CAUSEWAY_E2E_ADMIN_TOKEN"});
    c.relay.reconcile_every_ms = 3000;
    for (const l of c.lanes) l.retry = {initial_ms: 500, max_ms: 4000, max_attempts: 1000}'
  dev_keys 3 4 5 6 7 8
  local n
  for n in 2 3; do
    derive_config "$work/relay-$n.json" $((n - 1)) $((2 * n - 1)) $((2 * n)) "$work/relay-$n.db" "127.0.0.1:${peer_port[$n]}"
  done
  derive_config "$work/gov-1.json" 0 7 8 "$work/gov-1.db" "127.0.0.1:$port_extra"
  derive_config "$work/gov-2.json" 1 7 8 "$work/gov-2.db" "127.0.0.1:$port_extra"
}

peer_api() { echo "http://127.0.0.1:${peer_port[$1]}"; }

start_peer() {  # start_peer N
  "$bin" relay --config "$work/relay-$1.json" >>"$work/relay-$1.log" 2>&1 &
  peer_pid[$1]=$!
  extra_pids+=("${peer_pid[$1]}")
  local i
  for ((i = 0; i < 100; i++)); do
    node -e 'fetch(process.argv[1]).then(r => process.exit(r.status === 200 ? 0 : 1)).catch(() => process.exit(1))' \
      "$(peer_api "$1")/readyz" && return 0
    kill -0 "${peer_pid[$1]}" 2>/dev/null || { tail -n 20 "$work/relay-$1.log" >&2; fail "relay $1 exited during start-up"; }
    sleep 0.2
  done
  fail "relay $1 was not ready within 20 s"
}

stop_peer() {  # stop_peer N: SIGTERM, a clean stop
  local status=0
  kill -TERM "${peer_pid[$1]}"
  wait "${peer_pid[$1]}" || status=$?
  [[ $status -eq 0 ]] || fail "relay $1 exited with $status after SIGTERM"
  grep -q "stopped cleanly" "$work/relay-$1.log" || fail "relay $1 logged no clean stop"
}

relay_metric() {  # relay_metric N NAME [k="v"...]: lib.sh's metric against relay N
  local n=$1
  shift
  if [[ $n == 1 ]]; then metric "$@"; else api="$(peer_api "$n")" metric "$@"; fi
}

# post_vote N ID JSON: POSTs a vote to relay N's /v1/votes/ID; prints the status, a space, the body.
post_vote() {
  local url="$api"
  [[ $1 == 1 ]] || url="$(peer_api "$1")"
  node -e '
    const [url, body, token] = process.argv.slice(1);
    fetch(url, {method: "POST", body, headers: {authorization: "Bearer " + token, "content-type": "application/json"}})
      .then(async r => console.log(r.status + " " + await r.text())).catch(e => { console.error(e.message); process.exit(1); });' \
    "$url/v1/votes/$2" "$3" "$token"
}

# chain_js CHAIN SCRIPT [ARGS...]: runs an async script with `ethers`, `fs`, `m` (the manifest), `c`
# (the chain's manifest entry), `gateway` (its Gateway contract), `provider` and `args`; prints what
# it returns.
chain_js() {
  local chain=$1 script=$2
  shift 2
  node --input-type=module -e '
    import { createRequire } from "module";
    import fs from "fs";
    const [tools, contracts, manifestPath, chain, script, ...args] = process.argv.slice(1);
    const { ethers } = createRequire(tools + "/package.json")("ethers");
    const m = JSON.parse(fs.readFileSync(manifestPath));
    const c = m.chains.find(x => x.name === chain);
    const provider = new ethers.JsonRpcProvider(c.rpc.http, undefined, {staticNetwork: true});
    const gateway = new ethers.Contract(c.gateway, JSON.parse(fs.readFileSync(contracts + "/Gateway.json")).abi, provider);
    const run = new (Object.getPrototypeOf(async function () {}).constructor)("ethers", "fs", "m", "c", "gateway", "provider", "args", script);
    const out = await run(ethers, fs, m, c, gateway, provider, args);
    console.log(typeof out === "string" ? out : JSON.stringify(out, (k, v) => typeof v === "bigint" ? v.toString() : v));
    provider.destroy();' "$tools" "$contracts" "$manifest" "$chain" "$script" "$@"
}

# A Deliver vote of vote key INDEX for (ID, CLAIM, EPOCH) on chain b, as /v1/votes takes it.
sign_deliver='
  const [index, id, claim, epoch] = args;
  const wallet = new ethers.Wallet(fs.readFileSync(m.keys.vote[Number(index)].file, "utf8").trim());
  const domain = {name: "Causeway", version: "1", chainId: c.chainId, verifyingContract: c.gateway, salt: c.chainIdentity};
  const types = {Deliver: [{name: "id", type: "bytes32"}, {name: "claim", type: "bytes32"}, {name: "epoch", type: "uint64"}]};
  const signature = await wallet.signTypedData(domain, types, {id, claim, epoch: Number(epoch)});
  return {kind: "deliver", claim, epoch: String(epoch), signer: wallet.address.toLowerCase(), signature};'

lane_counts() {  # lane_counts N STATE: messages of relay N in STATE over all lanes
  local url="$api"
  [[ $1 == 1 ]] || url="$(peer_api "$1")"
  node -e 'fetch(process.argv[1] + "/v1/lanes").then(r => r.json()).then(j => console.log(j.lanes.reduce((s, l) => s + l.messages[process.argv[2]], 0))).catch(() => console.log(-1))' \
    "$url" "$2"
}

send_both_ways() {  # send_both_ways N: N/2 unordered and N/2 ordered messages each way
  local half=$(($1 / 2))
  drive send --probes "$probes" --from a --to b --count "$half" >/dev/null
  drive send --probes "$probes" --from a --to b --count "$half" --ordered >/dev/null
  drive send --probes "$probes" --from b --to a --count "$half" >/dev/null
  drive send --probes "$probes" --from b --to a --count "$half" --ordered >/dev/null
}

# send_in_rounds N ROUNDS: send_both_ways N spread over ROUNDS rounds one after another (each round
# four driver runs, about 2 s), so messages are still being sent, not only relayed, for a while.
send_in_rounds() {
  local round
  for ((round = 0; round < $2; round++)); do send_both_ways $(($1 / $2)); done
}

start_all() {
  setup
  configs
  start_relay
  start_peer 2
  start_peer 3
}

case_one_down() {
  start_all
  stop_peer 3
  send_both_ways 200
  wait_for '{"a":{"probe":{"received":200,"acks":200}},"b":{"probe":{"received":200,"acks":200}}}' 180
  check_exactly_once
  pass "relay 3 down: 200 messages each way executed and acknowledged exactly once by relays 1 and 2"

  start_peer 3
  local i n=0
  for ((i = 0; i < 90; i++)); do
    n="$(lane_counts 3 acknowledged)"
    [[ $n == 400 ]] && break
    sleep 1
  done
  [[ $n == 400 ]] || fail "relay 3 shows $n of 400 messages acknowledged after catching up"
  local sent
  sent="$(relay_metric 3 causeway_submissions_total 'outcome="sent"')"
  [[ $sent == 0 ]] || fail "relay 3 sent $sent transactions while catching up on executed messages"
  check_exactly_once
  pass "relay 3 started again caught up to 400 acknowledged without sending a transaction"
  stop_peer 3
  stop_peer 2
  stop_relay
  check_nonces
}

case_malicious() {
  start_all
  stop_peer 3  # attester 3 is the rogue one; the two honest relays reach the threshold
  send_both_ways 20
  wait_for '{"a":{"probe":{"received":10,"acks":10}},"b":{"probe":{"received":10,"acks":10}}}' 90

  # Attester 3 fabricates a message "from a" and votes for it on b, from its own funded account.
  local forged id claim epoch vote answer
  forged="$(chain_js b '
    const a = m.chains.find(x => x.name === "a");
    const pad = x => ethers.zeroPadValue(x, 32);
    const probes = JSON.parse(fs.readFileSync(args[0]));
    const message = {version: 1, srcChain: a.chainIdentity, srcGateway: pad(a.gateway), dstChain: c.chainIdentity,
      dstGateway: pad(c.gateway), receiver: pad(probes.b.probe), sequence: 4000000000n, sender: pad(probes.a.probe),
      timeout: 0n, gasLimit: 200000n, flags: 0, payload: ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "bool", "bytes"], [7n, false, "0x"])};
    const id = await gateway.messageId(message);
    const claim = ethers.hexlify(ethers.randomBytes(32));
    const epoch = await gateway.epoch();
    const key = new ethers.SigningKey(fs.readFileSync(m.keys.vote[2].file, "utf8").trim());
    const signature = key.sign(await gateway.deliverDigest(id, claim, epoch)).serialized;
    const payer = ethers.HDNodeWallet.fromPhrase("test test test test test test test test test test test junk", undefined,
                                                 "m/44\x27/60\x27/0\x27/0/9").connect(provider);
    const tx = await gateway.connect(payer).deliver([message], [claim], [[signature]]);
    await tx.wait();
    return {id, claim, epoch: Number(epoch)};' "$probes")"
  id="$(jq -r .id <<<"$forged")"
  claim="$(jq -r .claim <<<"$forged")"
  epoch="$(jq -r .epoch <<<"$forged")"
  vote="$(chain_js b "$sign_deliver" 2 "$id" "$claim" "$epoch")"
  local n
  for n in 1 2; do
    answer="$(post_vote "$n" "$id" "$vote")"
    [[ "${answer%% *}" == 400 && "$(jq -r .error.code <<<"${answer#* }")" == vote.unknown_message ]] ||
      fail "relay $n took the forged vote: $answer"
    [[ "$(relay_metric "$n" causeway_votes_rejected_total 'reason="vote.unknown_message"')" == 1 ]] ||
      fail "relay $n did not count the refused vote"
  done
  pass "the rogue attester's vote for a fabricated message: refused by both honest relays and counted"

  wait_for '{"a":{"probe":{"received":10,"acks":10}},"b":{"probe":{"received":10,"acks":10}}}' 60
  sleep 5
  local state
  state="$(chain_js b 'const e = await gateway.executed(args[0]); const v = await gateway.votes(await gateway.deliverDigest(args[0], args[1], args[2]), args[2]); return e + " " + v;' "$id" "$claim" "$epoch")"
  [[ "$state" == "false 1" ]] || fail "the fabricated message on b: executed and votes are '$state', expected 'false 1'"
  ! grep -qi "${id#0x}" "$relay_log" "$work/relay-2.log" || fail "an honest relay handled the fabricated message"
  check_exactly_once
  pass "the fabricated message holds 1 vote of 2 on b and was never executed; the real traffic was, once"
  stop_peer 2
  stop_relay
}

case_rotation() {
  start_all
  local voters
  voters="$(node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(m.keys.vote.map(k => k.address).join(","))' "$manifest")"
  # In rounds, so that messages are in flight when b rotates however fast the relays deliver.
  send_in_rounds 200 10 &
  local sender=$!
  sleep 4
  local chain
  for chain in b a; do
    "$bin" attesters propose --config "$work/gov-1.json" --chain "$chain" --attesters "$voters" --threshold 2 \
      --out "$work/rotate-$chain.json" >/dev/null
    "$bin" attesters approve "$work/rotate-$chain.json" --config "$work/gov-2.json" >/dev/null
    "$bin" attesters submit "$work/rotate-$chain.json" --config "$work/gov-1.json" | grep -q "epoch 2, threshold 2 of 3" ||
      fail "chain $chain did not rotate to epoch 2"
    if [[ $chain == b ]]; then
      local received
      received="$(drive status --probes "$probes" | jq .b.probe.received)"
      ((received < 200)) || fail "all 200 messages reached b before its rotation: nothing was in flight"
    fi
  done
  pass "both gateways rotated to epoch 2 (same three attesters, threshold 2) while messages flowed"
  wait "$sender" || fail "sending the messages failed"
  wait_for '{"a":{"probe":{"received":200,"acks":200}},"b":{"probe":{"received":200,"acks":200}}}' 180
  check_exactly_once
  pass "200 messages each way executed and acknowledged exactly once across the rotation"

  local n i epoch
  for n in 1 2 3; do
    for ((i = 0; i < 20; i++)); do
      epoch="$(relay_metric "$n" causeway_attester_epoch 'chain="b"')"
      [[ $epoch == 2 ]] && break
      sleep 0.5
    done
    [[ $epoch == 2 ]] || fail "relay $n signs for epoch $epoch on b, not 2"
  done
  [[ "$(relay_metric 1 causeway_attester_epoch_changes_total 'chain="b"')" == 1 ]] || fail "relay 1 did not count the rotation of b"

  # Attester 2's vote of epoch 1 for a real message, offered after the rotation.
  local id claim vote answer
  id="$(node -e 'fetch(process.argv[1] + "/v1/messages?lane=a-%3Eb&limit=1").then(r => r.json()).then(j => console.log(j.messages[0].id + " " + j.messages[0].claim))' "$api")"
  claim="${id#* }"
  id="${id%% *}"
  vote="$(chain_js b "$sign_deliver" 1 "$id" "$claim" 1)"
  answer="$(post_vote 1 "$id" "$vote")"
  [[ "${answer%% *}" == 400 && "$(jq -r .error.code <<<"${answer#* }")" == vote.wrong_epoch ]] ||
    fail "a vote of the old epoch was not refused as vote.wrong_epoch: $answer"
  [[ "$(relay_metric 1 causeway_votes_rejected_total 'reason="vote.wrong_epoch"')" == 1 ]] || fail "the old-epoch vote was not counted"
  pass "every relay signs for epoch 2; a vote of epoch 1 is refused with vote.wrong_epoch"
  stop_peer 3
  stop_peer 2
  stop_relay
}

case "${1:-}" in
  one_down | malicious | rotation) "case_$1" ;;
  *) fail "usage: $0 one_down|malicious|rotation" ;;
esac
