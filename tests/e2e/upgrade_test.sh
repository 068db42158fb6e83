#!/usr/bin/env bash
# End-to-end test of a gateway upgrade (issue 10 part 4; deploy/runbooks/gateway-upgrade.md): the
# lanes between a and b move from the devnet's gateways (v1) to a second pair deployed beside them
# (v2: the same Gateway code at new addresses; the relay depends on the ABI, not on a version).
# One relay config holds one gateway per chain identity, so v2 gets its own relay: its own store,
# API and gas accounts (anvil accounts 3 and 4), the same vote key, which the gateways' EIP-712
# domain binds to one gateway address, so a v1 vote never counts on v2.
#   upgrade  150 messages each way on v1 (half ordered), the v1 relay rate-limited so they are
#            still in flight while v2 is deployed and its relay started; the senders switch to
#            v2 (another 150 each way); the v1 relay drains (its cursor past the switch, every
#            message acknowledged), the v1 gateways are paused by the guardian (a new v1 send
#            reverts) and the v1 relay stops. Every message executed and acknowledged exactly
#            once, on its own version only (gateway events); journal nonces of both relays match
#            the chains.
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD; the harness is tests/e2e/lib.sh.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# For dev_keys (and $tools): anvil's development accounts as key files.
# shellcheck source=tests/e2e/multiorg_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/multiorg_lib.sh"

v2_state="$work/devnet-v2"
v2_manifest="$v2_state/manifest.json"
v2_probes="$work/probes-v2.json"
# In $work, so the harness's watchdog, which kills whatever mentions $work, stops it too.
v2_config="$config.v2.json"
v2_log="$work/relay-v2.log"
v2_api="http://127.0.0.1:$port_extra"
v2_pid=""
per_version=150  # messages each way on each version
all_acknowledged="a->b acknowledged=$per_version;b->a acknowledged=$per_version"

# Deploys the v2 gateways (and deploy.mjs's examples) onto the running chains with the devnet's
# attester set: the vote keys are copied into v2's state, so deploy.mjs reuses them. Its manifest
# then names the v2 relay's own gas accounts instead of v1's.
deploy_v2() {
  mkdir -p "$v2_state/keys"
  chmod 0700 "$v2_state/keys"
  cp -p "$CAUSEWAY_DEVNET_STATE"/keys/vote-*.key "$v2_state/keys/"
  local args=() spec
  while read -r spec; do args+=(--chain "$spec"); done < <(jq -r '.chains[] | "\(.name):\(.chainId):\(.rpc.http | sub(".*:"; ""))"' "$manifest")
  node "$root/deploy/devnet/deploy.mjs" deploy --state "$v2_state" --block-time "$CAUSEWAY_DEVNET_BLOCK_TIME" \
    --attesters "$(jq '.keys.vote | length' "$manifest")" --threshold "$(jq .attesters.threshold "$manifest")" \
    --contracts "$CAUSEWAY_DEVNET_CONTRACTS" "${args[@]}" >/dev/null || fail "deploying the v2 gateways failed"
  dev_keys 3 4
  node -e '
    const { createRequire } = require("module");
    const { ethers } = createRequire(process.argv[1] + "/package.json")("ethers");
    const fs = require("fs");
    const [file, work] = process.argv.slice(2);
    const m = JSON.parse(fs.readFileSync(file));
    m.keys.gas = [["a", 3], ["b", 4]].map(([chain, i]) => {
      const key = work + "/gas-" + i + ".key";
      return {chain, file: key, address: new ethers.Wallet(fs.readFileSync(key, "utf8").trim()).address};
    });
    fs.writeFileSync(file, JSON.stringify(m, null, 2));' "$tools" "$v2_manifest" "$work"
  node -e '
    const [v1, v2] = process.argv.slice(1).map(f => JSON.parse(require("fs").readFileSync(f)));
    for (const c of v2.chains) {
      const old = v1.chains.find(x => x.name === c.name);
      if (c.gateway === old.gateway || c.chainIdentity !== old.chainIdentity) process.exit(1);
    }' "$manifest" "$v2_manifest" || fail "the v2 manifest does not name new gateways on the same chains"
}

# The relay settings both versions use; v1 also delivers at most 5 messages a second per lane, so
# its traffic is still in flight while v2 is deployed.
relay_edits='c.relay.reconcile_every_ms = 3000;
  for (const l of c.lanes) l.retry = {initial_ms: 500, max_ms: 4000, max_attempts: 1000};'

start_v2_relay() {
  "$bin" config from-manifest "$v2_manifest" --out "$v2_config" --store "$work/relay-v2.db" --listen "127.0.0.1:$port_extra" >/dev/null
  node -e 'const fs=require("fs"); const c=JSON.parse(fs.readFileSync(process.argv[1])); '"$relay_edits"'; fs.writeFileSync(process.argv[1], JSON.stringify(c, null, 2));' "$v2_config"
  "$bin" config check "$v2_config" >/dev/null || fail "the v2 config does not load"
  "$bin" relay --config "$v2_config" >>"$v2_log" 2>&1 &
  v2_pid=$!
  extra_pids+=("$v2_pid")
  local i
  for ((i = 0; i < 100; i++)); do
    node -e 'fetch(process.argv[1]).then(r => process.exit(r.status === 200 ? 0 : 1)).catch(() => process.exit(1))' "$v2_api/readyz" && return 0
    kill -0 "$v2_pid" 2>/dev/null || { tail -n 20 "$v2_log" >&2; fail "the v2 relay exited during start-up"; }
    sleep 0.2
  done
  fail "the v2 relay was not ready within 20 s"
}

stop_v2_relay() {
  local status=0
  kill -TERM "$v2_pid"
  wait "$v2_pid" || status=$?
  [[ $status -eq 0 ]] || fail "the v2 relay exited with $status after SIGTERM"
  grep -q "stopped cleanly" "$v2_log" || fail "the v2 relay logged no clean stop"
}

# send_version MANIFEST PROBES: $per_version messages each way, half of them on the ordered lanes.
send_version() {
  local half=$((per_version / 2)) from to
  for from in a b; do
    to=$([[ $from == a ]] && echo b || echo a)
    node "$driver" send --manifest "$1" --probes "$2" --from "$from" --to "$to" --count "$half" >/dev/null
    node "$driver" send --manifest "$1" --probes "$2" --from "$from" --to "$to" --count "$half" --ordered >/dev/null
  done
}

# The chains' head heights as `a=H b=H`: the switch point after which no sender uses v1.
heads() {
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
    Promise.all(m.chains.map(async c => {
      const r = await fetch(c.rpc.http, {method: "POST", headers: {"content-type": "application/json"},
        body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: []})});
      return c.name + "=" + Number((await r.json()).result);
    })).then(h => console.log(h.join(" ")));' "$manifest"
}

# drained URL HEADS: succeeds once the relay at URL has processed every chain past its height in
# HEADS (so it has seen every message sent before), and every message of every lane it holds is
# acknowledged. What the runbook tells the operator to read: /v1/chains and /v1/lanes.
drained() {
  node -e '
    const [url, heads] = process.argv.slice(1);
    const want = Object.fromEntries(heads.split(" ").map(h => h.split("=")).map(([n, h]) => [n, Number(h)]));
    Promise.all([fetch(url + "/v1/chains").then(r => r.json()), fetch(url + "/v1/lanes").then(r => r.json())]).then(([c, l]) => {
      const behind = c.chains.filter(x => !(Number(x.cursor) >= want[x.name]));
      const pending = l.lanes.filter(x => Object.entries(x.messages).some(([state, n]) => state !== "acknowledged" && n > 0));
      process.exit(behind.length === 0 && pending.length === 0 ? 0 : 1);
    }).catch(() => process.exit(1));' "$1" "$2"
}

wait_drained() {  # wait_drained URL HEADS SECONDS
  local i
  for ((i = 0; i < $3; i++)); do
    drained "$1" "$2" && return 0
    sleep 1
  done
  drained "$1" "$2" || fail "the relay at $1 did not drain past $2 within $3 s: $(lane_states "$1")"
}

# lane_states URL: each lane's non-zero message counts by name, e.g.
# `a->b acknowledged=150;b->a acknowledged=150`.
lane_states() {
  node -e 'fetch(process.argv[1] + "/v1/lanes").then(r => r.json()).then(j => console.log(j.lanes.map(l =>
    l.name + " " + Object.entries(l.messages).filter(([, n]) => n > 0).map(([s, n]) => s + "=" + n).join(",")).sort().join(";")))' "$1"
}

wait_v2() {  # wait_v2 EXPECT_JSON TIMEOUT_SECONDS: lib.sh's wait_for on the v2 probes
  node "$driver" wait --manifest "$v2_manifest" --probes "$v2_probes" --expect "$1" --timeout "$2" >"$work/wait-v2.json" || {
    cat "$work/wait-v2.json" >&2
    fail "v2 counters did not reach $1 within $2 s"
  }
}

# check_counts MANIFEST PROBES WHAT: both probes' received/acks and zero-checked counters, exactly.
check_counts() {
  local status
  status="$(node "$driver" status --manifest "$1" --probes "$2")"
  node -e '
    const [s, n] = [JSON.parse(process.argv[1]), Number(process.argv[2])];
    for (const chain of ["a", "b"]) {
      const p = s[chain].probe;
      if (p.received !== n || p.acks !== n || p.ackStatusCount["1"] !== n) {
        console.error(`${chain}: received ${p.received}, acks ${p.acks} (ok ${p.ackStatusCount["1"]}), expected ${n}`);
        process.exit(1);
      }
    }' "$status" "$per_version" || fail "$3: the probes did not receive and acknowledge exactly $per_version messages each"
}

# From the gateways' own events, per version and direction: the ids the destination executed (once
# each, status ok) and the ids the source saw acknowledged (once each) are exactly the ids the
# source sent there, $per_version of them; no version executed a message of the other.
check_events() {
  node --input-type=module -e '
    import { createRequire } from "module";
    import fs from "fs";
    const [tools, perVersion, ...files] = process.argv.slice(1);
    const { ethers } = createRequire(tools + "/package.json")("ethers");
    const events = new ethers.Interface([
      "event MessageSent(bytes32 indexed id, bytes32 indexed dstChain, uint64 indexed sequence, bytes message)",
      "event MessageExecuted(bytes32 indexed id, bytes32 indexed srcChain, uint64 indexed sequence, uint8 status, bytes32 claim)",
      "event Acknowledged(bytes32 indexed id, uint8 status, bytes32 claim)"]);
    const topic = name => events.getEvent(name).topicHash;
    const logs = async (chain, topics) => {
      const r = await fetch(chain.rpc.http, {method: "POST", headers: {"content-type": "application/json"},
        body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_getLogs",
          params: [{address: chain.gateway, topics, fromBlock: ethers.toQuantity(chain.deployBlock), toBlock: "latest"}]})});
      return (await r.json()).result;
    };
    const problems = [];
    const executedBy = {};
    const versions = files.map(f => JSON.parse(fs.readFileSync(f)));
    for (const [v, m] of versions.entries()) {
      for (const src of m.chains) for (const dst of m.chains.filter(c => c !== src)) {
        const where = `v${v + 1} ${src.name}->${dst.name}`;
        const sent = new Set((await logs(src, [topic("MessageSent"), null, dst.chainIdentity])).map(l => l.topics[1]));
        const executed = await logs(dst, [topic("MessageExecuted"), null, src.chainIdentity]);
        const sentIds = new Set((await logs(src, [topic("MessageSent")])).map(l => l.topics[1]));
        const acked = (await logs(src, [topic("Acknowledged")])).filter(l => sent.has(l.topics[1]));
        const ackedOther = (await logs(src, [topic("Acknowledged")])).filter(l => !sentIds.has(l.topics[1]));
        const executedIds = executed.map(l => l.topics[1]);
        executedBy[`v${v + 1}`] = (executedBy[`v${v + 1}`] ?? []).concat(executedIds);
        if (sent.size !== Number(perVersion)) problems.push(`${where}: ${sent.size} sent`);
        if (executedIds.length !== new Set(executedIds).size) problems.push(`${where}: an id executed twice`);
        if (executedIds.length !== sent.size || !executedIds.every(id => sent.has(id))) problems.push(`${where}: executed ${executedIds.length} ids, not the ${sent.size} sent`);
        if (executed.some(l => Number(events.parseLog(l).args.status) !== 1)) problems.push(`${where}: an execution did not succeed`);
        if (acked.length !== sent.size || new Set(acked.map(l => l.topics[1])).size !== sent.size) problems.push(`${where}: ${acked.length} acknowledgements of ${sent.size}`);
        if (ackedOther.length !== 0) problems.push(`${where}: ${ackedOther.length} acknowledgements of ids this gateway never sent`);
      }
    }
    const v1 = new Set(executedBy.v1);
    if (executedBy.v2.some(id => v1.has(id))) problems.push("an id executed on both versions");
    if (problems.length) { console.error(problems.join("\n")); process.exit(1); }' \
    "$tools" "$per_version" "$manifest" "$v2_manifest" || fail "the gateways' events do not show exactly-once delivery per version"
}

case_upgrade() {
  setup
  make_config "$relay_edits"'
    for (const l of c.lanes) l.rate_limit = {messages_per_second: 5, burst: 5};'
  start_relay
  send_version "$manifest" "$probes"
  pass "v1: $per_version messages sent each way, the v1 relay delivering them"

  deploy_v2
  node "$driver" deploy --manifest "$v2_manifest" --out "$v2_probes" >/dev/null
  start_v2_relay
  local in_flight
  in_flight="$(drive status --probes "$probes" | jq '[.a.probe.acks, .b.probe.acks] | min')"
  ((in_flight < per_version)) || fail "every v1 message was acknowledged before v2 ran: nothing was in flight"
  ! drained "$api" "$(heads)" || fail "the v1 relay counts as drained while its messages are in flight"
  pass "v2 gateways deployed and the v2 relay started with v1 messages in flight (lowest ack count $in_flight of $per_version)"

  # The switch: from here on no sender uses v1.
  local switch_heads
  switch_heads="$(heads)"
  send_version "$v2_manifest" "$v2_probes"
  pass "senders switched to v2 at heights $switch_heads: $per_version messages sent each way on v2"

  wait_drained "$api" "$switch_heads" 120
  [[ "$(lane_states "$api")" == "$all_acknowledged" ]] || fail "the drained v1 relay holds $(lane_states "$api")"
  pass "v1 drained: the v1 relay's cursors are past the switch and all $per_version messages of each lane are acknowledged"

  # Retire v1: the guardian (the deployer, account 0) pauses both v1 gateways.
  dev_keys 0
  local chain
  for chain in a b; do
    "$bin" guardian pause --config "$config" --chain "$chain" --key "$work/gas-0.key" >"$work/pause.log" 2>&1 ||
      { cat "$work/pause.log" >&2; fail "pausing the v1 gateway on $chain failed"; }
    "$bin" guardian status --config "$config" --chain "$chain" | grep -q "^paused *yes" || fail "the v1 gateway on $chain does not report paused"
  done
  ! drive send --probes "$probes" --from a --to b --count 1 >/dev/null 2>&1 || fail "a send into the retired v1 gateway on a went through"
  # Past the pause, nothing may be left that slipped in between the drain and the pause.
  wait_drained "$api" "$(heads)" 30
  stop_relay
  pass "v1 retired: both gateways paused (a new send reverts), nothing slipped in, the v1 relay stopped cleanly"

  wait_v2 "{\"a\":{\"probe\":{\"received\":$per_version,\"acks\":$per_version}},\"b\":{\"probe\":{\"received\":$per_version,\"acks\":$per_version}}}" 120
  local i
  for ((i = 0; i < 30; i++)); do
    [[ "$(lane_states "$v2_api")" == "$all_acknowledged" ]] && break
    sleep 1
  done
  [[ "$(lane_states "$v2_api")" == "$all_acknowledged" ]] || fail "the v2 relay holds $(lane_states "$v2_api")"
  stop_v2_relay

  check_exactly_once
  manifest="$v2_manifest" probes="$v2_probes" check_exactly_once
  check_counts "$manifest" "$probes" v1
  check_counts "$v2_manifest" "$v2_probes" v2
  check_events
  pass "every v1 and v2 message executed and acknowledged exactly once, each on its own version only"
  check_nonces
  manifest="$v2_manifest" check_nonces "$work/relay-v2.db"
  pass "the journals of both relays hold the chains' nonces of their own gas accounts, once each"
}

case "${1:-}" in
  upgrade) "case_$1" ;;
  *) fail "usage: $0 upgrade" ;;
esac
