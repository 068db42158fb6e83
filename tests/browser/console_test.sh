#!/usr/bin/env bash
# The web console end to end (label browser): two live anvil chains and the relay (the harness of
# tests/e2e/lib.sh), messages both ways on ordered and unordered lanes, then
# tests/browser/console.test.mjs drives headless chromium through the console and asserts on the
# DOM. Screenshots are kept in CAUSEWAY_CONSOLE_ARTIFACTS (the build tree; $work is deleted).
# Needs: CAUSEWAY_BIN, CAUSEWAY_CONTRACTS_BUILD, and chromium (CAUSEWAY_CHROMIUM, /usr/bin/chromium).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/e2e/lib.sh
source "$here/../e2e/lib.sh"

chromium="${CAUSEWAY_CHROMIUM:-/usr/bin/chromium}"
artifacts="${CAUSEWAY_CONSOLE_ARTIFACTS:-$root/build/console-artifacts}"
[[ -x "$chromium" ]] || fail "no chromium at $chromium (apt-get install chromium)"
rm -f "$artifacts"/console-*.png

# The admin token pauses and resumes a lane from the test; the console itself never sends one.
export CAUSEWAY_E2E_ADMIN_TOKEN="console-admin-$RANDOM$RANDOM"
secrets+=("$CAUSEWAY_E2E_ADMIN_TOKEN")

setup
make_config 'c.relay.api = Object.assign(c.relay.api || {}, {admin_token_env: "CAUSEWAY_E2E_ADMIN_TOKEN"})'
start_relay
# One sender per chain at a time: the driver owns the dev account's nonces while it sends.
drive send --probes "$probes" --from a --to b --count 3 >/dev/null
drive send --probes "$probes" --from a --to b --count 2 --ordered >/dev/null
drive send --probes "$probes" --from b --to a --count 3 >/dev/null
drive send --probes "$probes" --from b --to a --count 2 --ordered >/dev/null
wait_for '{"a":{"probe":{"received":5,"acks":5}},"b":{"probe":{"received":5,"acks":5}}}' 120
pass "5 messages each way executed and acknowledged"

node "$here/console.test.mjs" --api "$api" --artifacts "$artifacts" --chromium "$chromium" \
  --send "node '$driver' send --manifest '$manifest' --probes '$probes' --from a --to b --count 1" ||
  fail "the console test failed (screenshots in $artifacts)"
check_exactly_once
stop_relay
pass "console screenshots in $artifacts"
