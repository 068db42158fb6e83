#!/usr/bin/env bash
# End-to-end test of the auditor's commands on two live anvil chains (tests/e2e/lib.sh):
#   scan   the relay carries 1,000 messages a->b and 50 b->a; `causeway audit scan --target b`
#          over the relay's API, with the auditor's own trust anchors and nodes, finds all 1,000
#          deliveries and their acknowledgements justified. A delivery injected on b by the
#          attester key alone (a rogue attester, `driver.mjs inject`) is reported as lacking a
#          bundle; given a forged bundle for its claim (an export with one bundle swapped in) it
#          is reported unjustified. A witness cosigns two checkpoints in a row, the relay serves
#          the cosignature; after one audit leaf is rewritten in the relay's SQLite store (relay
#          stopped, UPDATE, restarted) the witness refuses to cosign.               (e2e)
# Needs CAUSEWAY_BIN and CAUSEWAY_CONTRACTS_BUILD, like tests/e2e/e2e_test.sh.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The auditor's own trust anchors: the chains' identities and gateways as the deployment gives
# them (an auditor obtains these independently of the relay), one confirmation.
write_anchors() {
  node -e '
    const fs = require("fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1]));
    const chains = c.chains.map(ch => {
      const out = {};
      for (const k of ["name", "family", "chain_id", "genesis_hash", "chain_identity", "gateway", "consensus", "limits"]) {
        if (ch[k] !== undefined) out[k] = ch[k];
      }
      // The anchors take hex in lower case and the chain id as a decimal string.
      out.chain_id = String(out.chain_id);
      for (const k of ["genesis_hash", "chain_identity", "gateway"]) out[k] = out[k].toLowerCase();
      return out;
    });
    fs.writeFileSync(process.argv[2], JSON.stringify({version: 1, chains}, null, 2));' "$config" "$work/anchors.json"
}

rpc_of() {
  node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(m.chains.find(c => c.name === process.argv[2]).rpc.http)' "$manifest" "$1"
}

# A field of `audit scan --json`'s summary, e.g. summary_of deliveries justified.
summary_of() {
  node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1])).summary; console.log(s[process.argv[2]][process.argv[3]])' "$work/scan.json" "$1" "$2"
}

# The justification and reason scan.json gives the delivery of message $1.
verdict_of() {
  # shellcheck disable=SC2016 # a JavaScript template literal
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const d = s.deliveries.find(d => d.id === process.argv[2]);
    console.log(d ? `${d.justification} ${d.reason}` : "absent");' "$work/scan.json" "$1"
}

scan() {  # scan ARGS...: `audit scan --target b --json` into scan.json; prints the exit code
  local code=0
  "$bin" audit scan --target b --trust "$work/anchors.json" --rpc "a=$rpc_a" --rpc "b=$rpc_b" --json "$@" \
    >"$work/scan.json" 2>"$work/scan.err" || code=$?
  echo "$code"
}

witness() {  # prints the exit code; the report goes to witness.out
  local code=0
  "$bin" audit witness --relay "$api" --log-key "$log_vkey" --key "$work/witness.key" --name witness.example/w1 \
    --state "$work/witness" >"$work/witness.out" 2>&1 || code=$?
  echo "$code"
}

# Waits until the relay serves a checkpoint of more leaves than $1.
wait_checkpoint_beyond() {
  local i size
  for ((i = 0; i < 100; i++)); do
    size="$(node -e 'fetch(process.argv[1]).then(r => r.text()).then(t => console.log(t.split("\n")[1] || 0)).catch(() => console.log(0))' "$api/v1/audit/checkpoint")"
    if [[ "$size" =~ ^[0-9]+$ ]] && ((size > $1)); then echo "$size"; return 0; fi
    sleep 0.3
  done
  fail "no checkpoint beyond $1 leaves within 30 s"
}

case_scan() {
  setup
  local attester origin code
  attester="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).keys.vote[0].address.toLowerCase())' "$manifest")"
  # The relay names its log by its attester address; the log key signs under that name.
  origin="causeway/$attester"
  log_vkey="$("$bin" audit keygen --out "$work/log.key" --name "$origin")"
  witness_vkey="$("$bin" audit keygen --witness --out "$work/witness.key" --name witness.example/w1)"
  make_config "c.relay.log_key = {raw_file: '$work/log.key'}; c.relay.checkpoint_every_ms = 500; c.relay.witnesses = ['$witness_vkey']"
  write_anchors
  rpc_a="$(rpc_of a)"
  rpc_b="$(rpc_of b)"
  start_relay

  drive send --probes "$probes" --from a --to b --count 1000 >/dev/null
  drive send --probes "$probes" --from b --to a --count 50 >/dev/null
  wait_for '{"a":{"probe":{"received":50,"acks":1000}},"b":{"probe":{"received":1000,"acks":50}}}' 240

  code="$(scan --relay "$api")"
  [[ "$code" == 0 ]] || { cat "$work/scan.err" >&2; fail "audit scan exited $code over an honest relay"; }
  [[ "$(summary_of deliveries justified)" == 1000 ]] || fail "not all 1,000 deliveries on b justified: $(summary_of deliveries justified)"
  [[ "$(summary_of acknowledgements justified)" == 1000 ]] || fail "not all 1,000 acknowledgements on a justified"
  pass "audit scan: 1,000 deliveries on b and their 1,000 acknowledgements on a justified"

  # A rogue attester: the vote key alone delivers a message a never sent.
  local injected id claim block
  injected="$(drive inject --probes "$probes" --from a --to b)"
  id="$(node -e 'console.log(JSON.parse(process.argv[1]).id)' "$injected")"
  claim="$(node -e 'console.log(JSON.parse(process.argv[1]).claim)' "$injected")"
  block="$(node -e 'console.log(JSON.parse(process.argv[1]).block)' "$injected")"
  # Only its block: the whole history was scanned above, and is again from the export below.
  code="$(scan --relay "$api" --from "$block" --to "$block")"
  [[ "$code" == 1 ]] || fail "audit scan exited $code with an injected delivery"
  [[ "$(verdict_of "$id")" == "lacking_bundle audit.scan_no_bundle" ]] || fail "injected delivery: $(verdict_of "$id")"
  pass "a delivery injected by the attester key is reported as lacking a bundle"

  # A forged bundle for it: a genuine bundle filed under the injected claim.
  "$bin" audit export --store "$work/relay.db" --out "$work/export" >/dev/null
  local genuine
  genuine="$(find "$work/export/bundles" -name '0x*.json' -print -quit)"
  [[ -n "$genuine" ]] || fail "the export holds no bundle"
  node -e '
    const fs = require("fs");
    const b = JSON.parse(fs.readFileSync(process.argv[1]));
    b.claim = process.argv[3];
    fs.writeFileSync(process.argv[2], JSON.stringify(b));' "$genuine" "$work/export/bundles/$claim.json" "$claim"
  code="$(scan --bundles "$work/export")"
  [[ "$code" == 1 ]] || fail "audit scan exited $code with a forged bundle"
  [[ "$(verdict_of "$id")" == unjustified* ]] || fail "forged bundle: $(verdict_of "$id")"
  [[ "$(summary_of deliveries justified)" == 1000 ]] || fail "the export's bundles do not justify the 1,000 deliveries"
  pass "with a forged bundle the injected delivery is reported unjustified ($(verdict_of "$id"))"

  # Witnessing: two rounds on a growing log, the relay serving the cosignature.
  local size
  size="$(wait_checkpoint_beyond 0)"
  code="$(witness)"
  [[ "$code" == 0 ]] || { cat "$work/witness.out" >&2; fail "the first witness round exited $code"; }
  drive send --probes "$probes" --from a --to b --count 10 >/dev/null
  size="$(wait_checkpoint_beyond "$size")"
  code="$(witness)"
  [[ "$code" == 0 ]] || { cat "$work/witness.out" >&2; fail "the second witness round exited $code"; }
  grep -q "consistency " "$work/witness.out" || fail "the second round did not check consistency"
  "$bin" audit checkpoint --relay "$api" --log-key "$log_vkey" --witness-key "$witness_vkey" >"$work/checkpoint.out" 2>&1 ||
    { cat "$work/checkpoint.out" >&2; fail "audit checkpoint does not find the witness's cosignature"; }
  pass "two witness rounds cosigned consistent checkpoints; the relay serves the cosignature"

  # `audit inclusion CLAIM` on the first logged claim (a delivery finished long before the latest
  # checkpoint): each of its leaves is proved against the relay's signed root.
  local first_claim
  first_claim="$(node -e 'fetch(process.argv[1]).then(r => r.json()).then(j => console.log(j.leaves[0].claim))' "$api/v1/audit/leaves?count=1")"
  "$bin" audit inclusion "$first_claim" --relay "$api" --log-key "$log_vkey" >"$work/inclusion.out" 2>&1 ||
    { cat "$work/inclusion.out" >&2; fail "audit inclusion $first_claim failed over an honest relay"; }
  grep -q "included in the signed tree" "$work/inclusion.out" || fail "audit inclusion proved no leaf"
  pass "audit inclusion: every leaf of claim $first_claim is in the signed tree"

  # Rewrite the last leaf the witness cosigned while the relay is down, and drop the stored hashes
  # of its tile and later ones (derived data the store recomputes from the leaves at open).
  stop_relay
  local cosigned latest target rewritten
  cosigned="$(sed -n 2p "$work/witness/checkpoint.note")"
  latest="$(sqlite3 "$work/relay.db" "SELECT max(tree_size) FROM checkpoints")"
  target=$((cosigned - 1))
  rewritten="$(sqlite3 "$work/relay.db" "SELECT hex(leaf) FROM audit_leaves WHERE leaf_index = $target" | node -e '
    const crypto = require("crypto");
    const leaf = Buffer.from(require("fs").readFileSync(0, "utf8").trim(), "hex");
    leaf[127] ^= 0xff;  // a byte of the detail word: another bundle hash or transaction
    const hash = crypto.createHash("sha256").update(Buffer.concat([Buffer.from([0]), leaf])).digest();
    console.log(leaf.toString("hex") + " " + hash.toString("hex"));')"
  sqlite3 "$work/relay.db" "DROP TRIGGER audit_leaves_no_update;
    UPDATE audit_leaves SET leaf = X'${rewritten% *}', leaf_hash = X'${rewritten#* }' WHERE leaf_index = $target;"
  if [[ "$(sqlite3 "$work/relay.db" "SELECT count(*) FROM sqlite_schema WHERE name = 'audit_tiles'")" == 1 ]]; then
    sqlite3 "$work/relay.db" "DELETE FROM audit_tiles WHERE tile_index >= $((target / 256))"
  fi
  start_relay
  drive send --probes "$probes" --from a --to b --count 10 >/dev/null
  wait_checkpoint_beyond "$latest" >/dev/null
  code="$(witness)"
  [[ "$code" == 1 ]] || { cat "$work/witness.out" >&2; fail "the witness exited $code on a rewritten log"; }
  grep -q "refusing to cosign" "$work/witness.out" || fail "the witness did not say it refused"
  pass "after a leaf was rewritten in the store the witness refuses to cosign"
  stop_relay
}

case "${1:-}" in
  scan) case_scan ;;
  *) fail "usage: audit_test.sh scan" ;;
esac
