#!/usr/bin/env bash
# End-to-end tests of the vote book, out-of-band bundles and skipping on two live anvil chains
# (harness: tests/e2e/lib.sh). One case per run:
#   duplicate_votes  the relay's own votes POSTed back N times raise
#                    causeway_votes_duplicate_total by exactly N; a vote signed by a key outside the
#                    attester set is refused (400 vote.not_attester) and counted          (e2e)
#   forged_bundle    a genuine message's bundle, forged (another block hash, claim recomputed) and
#                    POSTed while its lane is paused: 422, rejected by the forged claim, the
#                    message row unchanged; after resuming the genuine one is delivered once (e2e)
#   skip             an ordered message parked on a paused lane holds the ones behind it; skipped
#                    with `causeway messages skip`, the gateway executes it with status 4, the
#                    others follow and the sender sees an acknowledgement with status 4;
#                    `causeway audit scan` with the auditor's own anchors and nodes reports it
#                    skipped (justified by its Skip vote and skip leaf), the rest justified  (e2e)
# Needs: CAUSEWAY_BIN (the causeway binary), CAUSEWAY_CONTRACTS_BUILD (compiled contracts).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tools="${CAUSEWAY_NODE_TOOLS:-$root/deploy/devnet}"
token="e2e-admin-$RANDOM$RANDOM"
export CAUSEWAY_E2E_ADMIN_TOKEN="$token"
secrets+=("$token")
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"

# req METHOD PATH [BODY | @FILE]: prints the status, a space and the body of the relay's answer.
req() {
  node -e '
    const fs = require("fs");
    const [url, method, body, token] = process.argv.slice(1);
    const init = {method, headers: {authorization: "Bearer " + token}};
    if (body) {
      init.body = body.startsWith("@") ? fs.readFileSync(body.slice(1), "utf8") : body;
      init.headers["content-type"] = "application/json";
    }
    fetch(url, init).then(async r => console.log(r.status + " " + await r.text()))
      .catch(e => { console.error(e.message); process.exit(1); });' "$api$2" "$1" "${3:-}" "$token"
}

# expect_status STATUS ANSWER: the body of ANSWER when its status is STATUS, else fails.
expect_status() {
  [[ "${2%% *}" == "$1" ]] || fail "expected HTTP $1, got: ${2:0:400}"
  printf '%s' "${2#* }"
}

start() {
  setup
  make_config 'c.relay.api = Object.assign(c.relay.api || {}, {admin_token_env: "CAUSEWAY_E2E_ADMIN_TOKEN"})'
  start_relay
  lane="$(expect_status 200 "$(req GET /v1/lanes)" | jq -r '.lanes[] | select(.from == "a") | .name')"
  [[ -n "$lane" ]] || fail "no lane from a"
}

# wait_messages STATE COUNT TIMEOUT: waits until COUNT messages of the lane are in STATE.
wait_messages() {
  local i n
  for ((i = 0; i < $3 * 2; i++)); do
    n="$(expect_status 200 "$(req GET "/v1/messages?lane=$lane&state=$1&limit=500")" | jq '.messages | length')"
    ((n >= $2)) && return 0
    sleep 0.5
  done
  fail "$2 messages did not reach $1 within $3 s"
}

case_duplicate_votes() {
  start
  drive send --probes "$probes" --from a --to b --count 6 >/dev/null
  wait_for '{"b":{"probe":{"received":6}}}' 90
  local ids before after id vote answer n=0
  ids="$(expect_status 200 "$(req GET "/v1/messages?lane=$lane&limit=6")" | jq -r '.messages[].id')"
  before="$(metric causeway_votes_duplicate_total)"
  [[ "$before" == 0 ]] || fail "duplicate votes before any was sent: $before"
  for id in $ids; do
    ((n < 4)) || break
    vote="$(expect_status 200 "$(req GET "/v1/votes/$id")" |
      jq -c '.votes[] | select(.kind == "deliver" and .origin == "own") | {kind, claim, epoch, signer, signature}')"
    [[ -n "$vote" ]] || fail "message $id has no deliver vote of the relay's own in the vote book"
    answer="$(expect_status 200 "$(req POST "/v1/votes/$id" "$vote")")"
    [[ "$(jq -r .duplicate <<<"$answer")" == true ]] || fail "re-posting the relay's own vote was not a duplicate: $answer"
    n=$((n + 1))
  done
  after="$(metric causeway_votes_duplicate_total "lane=\"$lane\"" 'kind="deliver"')"
  [[ "$after" == 4 ]] || fail "4 duplicate votes raised causeway_votes_duplicate_total to $after"
  pass "4 duplicate votes raised causeway_votes_duplicate_total{lane,kind=deliver} by exactly 4"

  # A well-formed Deliver vote of the current epoch, signed by a key that is no attester.
  id="$(head -n 1 <<<"$ids")"
  vote="$(expect_status 200 "$(req GET "/v1/votes/$id")" | jq -c '[.votes[] | select(.kind == "deliver")][0]')"
  local stranger
  stranger="$(node --input-type=module -e '
    import { createRequire } from "module";
    import fs from "fs";
    const { ethers } = createRequire(process.argv[1] + "/package.json")("ethers");
    const [, , manifestPath, voteJson, id] = process.argv;
    const b = JSON.parse(fs.readFileSync(manifestPath)).chains.find(c => c.name === "b");
    const vote = JSON.parse(voteJson);
    const wallet = ethers.Wallet.createRandom();
    const domain = {name: "Causeway", version: "1", chainId: b.chainId, verifyingContract: b.gateway, salt: b.chainIdentity};
    const types = {Deliver: [{name: "id", type: "bytes32"}, {name: "claim", type: "bytes32"}, {name: "epoch", type: "uint64"}]};
    const signature = await wallet.signTypedData(domain, types, {id, claim: vote.claim, epoch: vote.epoch});
    console.log(JSON.stringify({kind: "deliver", claim: vote.claim, epoch: vote.epoch,
                                signer: wallet.address.toLowerCase(), signature}));' "$tools" "$manifest" "$vote" "$id")"
  answer="$(expect_status 400 "$(req POST "/v1/votes/$id" "$stranger")")"
  [[ "$(jq -r .error.code <<<"$answer")" == vote.not_attester ]] || fail "a stranger's vote was refused for: $answer"
  [[ "$(metric causeway_votes_rejected_total 'reason="vote.not_attester"')" == 1 ]] ||
    fail "causeway_votes_rejected_total{reason=vote.not_attester} is not 1"
  [[ "$(metric causeway_votes_duplicate_total)" == 4 ]] || fail "a refused vote moved the duplicate count"
  [[ "$(expect_status 200 "$(req GET "/v1/votes/$id")" | jq '[.votes[] | select(.origin == "peer")] | length')" == 0 ]] ||
    fail "a refused vote is in the vote book"
  pass "a vote signed by a key outside the attester set: 400 vote.not_attester, counted, not stored"
  check_exactly_once
  stop_relay
}

case_forged_bundle() {
  start
  expect_status 200 "$(req POST "/v1/lanes/$lane/pause" '{"reason":"e2e forged bundle"}')" >/dev/null
  drive send --probes "$probes" --from a --to b --count 1 >/dev/null
  wait_messages verified 1 60
  local message id claim genuine forged answer after
  message="$(expect_status 200 "$(req GET "/v1/messages?lane=$lane&limit=1")" | jq -c '.messages[0]')"
  id="$(jq -r .id <<<"$message")"
  claim="$(jq -r .claim <<<"$message")"
  expect_status 200 "$(req GET "/v1/bundles/$claim")" | jq -c .bundle >"$work/genuine.json"
  # The same event claimed in another block: a block hash the header does not have, and the claim
  # recomputed over it (PROTOCOL.md section 4), so only verification can tell.
  node -e '
    const fs = require("fs");
    const { ethers } = require(process.argv[1] + "/node_modules/ethers");
    const [, , input, output, id] = process.argv;
    const b = JSON.parse(fs.readFileSync(input));
    const hash = b.source.block_hash;
    b.source.block_hash = hash.slice(0, -2) + (hash.endsWith("00") ? "01" : "00");
    b.claim = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "bytes32", "uint64", "uint32", "uint32"],
      [id, b.source.block_hash, BigInt(b.source.block_number), b.inclusion.tx_index, b.inclusion.log_index]));
    fs.writeFileSync(output, JSON.stringify(b));' "$tools" "$work/genuine.json" "$work/forged.json" "$id"
  forged="$(jq -r .claim "$work/forged.json")"
  [[ "$forged" != "$claim" ]] || fail "the forged claim equals the genuine one"
  answer="$(expect_status 422 "$(req POST /v1/bundles "@$work/forged.json")")"
  [[ "$(jq -r .outcome <<<"$answer")" == rejected && "$(jq -r .claim <<<"$answer")" == "$forged" ]] ||
    fail "the forged bundle was not rejected by its claim: $answer"
  pass "forged bundle: 422 $(jq -r .reason <<<"$answer")"
  answer="$(expect_status 200 "$(req GET "/v1/bundles/$forged")")"
  [[ "$(jq -r .rejection.reason <<<"$answer")" != null && "$(jq -r .verified <<<"$answer")" == false ]] ||
    fail "no rejected record by the forged claim: $answer"
  [[ "$(expect_status 200 "$(req GET "/v1/bundles/$claim")" | jq -r .rejection)" == null ]] ||
    fail "the genuine claim carries a rejection"
  after="$(expect_status 200 "$(req GET "/v1/messages/$id")" | jq -c '{state, claim, attempts, updated_at}')"
  [[ "$after" == "$(jq -c '{state, claim, attempts, updated_at}' <<<"$message")" ]] ||
    fail "the forged bundle changed the message row: $after"
  # The genuine bundle pushed again is known; nothing changes.
  answer="$(expect_status 200 "$(req POST /v1/bundles "@$work/genuine.json")")"
  [[ "$(jq -r .outcome <<<"$answer")" == known ]] || fail "the genuine bundle was not known: $answer"
  pass "rejected by the forged claim, the genuine message's row unchanged"
  expect_status 200 "$(req POST "/v1/lanes/$lane/resume")" >/dev/null
  wait_for '{"b":{"probe":{"received":1}},"a":{"probe":{"acks":1}}}' 90
  check_exactly_once
  [[ "$(expect_status 200 "$(req GET "/v1/messages/$id")" | jq -r .execution.claim)" != null ]] ||
    fail "the genuine message has no execution"
  pass "the genuine message was delivered and acknowledged exactly once"
  stop_relay
}

case_skip() {
  start
  expect_status 200 "$(req POST "/v1/lanes/$lane/pause" '{"reason":"e2e skip"}')" >/dev/null
  drive send --probes "$probes" --from a --to b --count 3 --ordered --per-tx 3 >/dev/null
  wait_messages verified 3 60
  local first answer received
  first="$(expect_status 200 "$(req GET "/v1/messages?lane=$lane&limit=3")" |
    jq -r '[.messages[] | select(.message.flags == 1)] | sort_by(.message.sequence | tonumber) | .[0].id')"
  [[ -n "$first" && "$first" != null ]] || fail "no ordered message"
  expect_status 200 "$(req POST "/v1/messages/$first/park" '{"reason":"e2e stuck"}')" >/dev/null
  # An unparked message cannot be skipped.
  answer="$(req POST "/v1/messages/$(expect_status 200 "$(req GET "/v1/messages?lane=$lane&state=verified&limit=1")" | jq -r '.messages[0].id')/skip")"
  [[ "${answer%% *}" == 409 && "$(jq -r .error.code <<<"${answer#* }")" == engine.not_parked ]] ||
    fail "skipping a verified message: $answer"
  expect_status 200 "$(req POST "/v1/lanes/$lane/resume")" >/dev/null
  sleep 8
  received="$(drive status --probes "$probes" | jq -r .b.probe.received)"
  [[ "$received" == 0 ]] || fail "$received ordered messages executed behind a parked one"
  pass "the messages behind a parked ordered message wait"
  "$bin" messages skip "$first" --api "$api" --token-file "$work/token" >"$work/skip.txt" ||
    fail "causeway messages skip failed: $(cat "$work/skip.txt")"
  grep -q " tx 0x" "$work/skip.txt" || fail "causeway messages skip printed no transaction: $(cat "$work/skip.txt")"
  wait_for '{"b":{"probe":{"received":2}},"a":{"probe":{"acks":3,"ackStatusCount":{"1":2,"4":1}}}}' 120
  check_exactly_once
  answer="$(expect_status 200 "$(req GET "/v1/messages/$first")")"
  [[ "$(jq -r .execution.status <<<"$answer")" == 4 ]] || fail "the skipped message's execution: $answer"
  [[ "$(expect_status 200 "$(req GET "/v1/votes/$first")" | jq '[.votes[] | select(.kind == "skip")] | length')" == 1 ]] ||
    fail "the skip vote is not in the vote book"
  pass "skipped with status 4, the lane moved on, the sender got its acknowledgement with status 4"

  # The auditor: anchors taken from the deployment (as audit_test.sh does), the chains' own nodes,
  # the relay only for bundles and skip leaves. One block time for the last ack's confirmation.
  node -e '
    const fs = require("fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1]));
    const chains = c.chains.map(ch => ({
      name: ch.name, family: ch.family, chain_id: String(ch.chain_id), genesis_hash: ch.genesis_hash.toLowerCase(),
      chain_identity: ch.chain_identity.toLowerCase(), gateway: ch.gateway.toLowerCase(), consensus: ch.consensus,
      ...(ch.limits ? {limits: ch.limits} : {})}));
    fs.writeFileSync(process.argv[2], JSON.stringify({version: 1, chains}, null, 2));' "$config" "$work/anchors.json"
  local rpc_a rpc_b code=0 verdict
  rpc_a="$(jq -r '.chains[] | select(.name == "a") | .rpc.http' "$manifest")"
  rpc_b="$(jq -r '.chains[] | select(.name == "b") | .rpc.http' "$manifest")"
  sleep 2
  "$bin" audit scan --target b --trust "$work/anchors.json" --rpc "a=$rpc_a" --rpc "b=$rpc_b" --relay "$api" --json \
    >"$work/scan.json" 2>"$work/scan.err" || code=$?
  [[ "$code" == 0 ]] || fail "audit scan exited $code: $(cat "$work/scan.err") $(head -c 3000 "$work/scan.json")"
  verdict="$(jq -r --arg id "${first,,}" '.deliveries[] | select(.id == $id) | "\(.justification) \(.reason) \(.detail)"' "$work/scan.json")"
  [[ "$verdict" == "skipped null skipped (status 4) on Skip votes of 1 attesters of epoch 1"*"holds its skip leaf" ]] ||
    fail "audit scan on the skipped message: $verdict"
  [[ "$(jq '.summary.deliveries.justified' "$work/scan.json") $(jq '.summary.acknowledgements.justified' "$work/scan.json")" == "2 3" ]] ||
    fail "audit scan summary: $(jq -c .summary "$work/scan.json")"
  pass "audit scan: the skip justified by its Skip vote and skip leaf ($verdict), the rest justified"
  stop_relay
}

case "${1:-}" in
  duplicate_votes) case_duplicate_votes ;;
  forged_bundle) case_forged_bundle ;;
  skip) case_skip ;;
  *) fail "usage: $0 duplicate_votes|forged_bundle|skip" ;;
esac
