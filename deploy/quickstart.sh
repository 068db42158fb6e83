#!/usr/bin/env bash
# The README's main command: installs what is missing, builds the release preset, starts the local
# two-chain devnet, writes the relay's config for it, starts `causeway relay` on the embedded
# SQLite store, and sends messages both ways (the Probe app) until they are executed and
# acknowledged. The relay keeps running afterwards; `deploy/quickstart.sh down` stops it and the
# devnet.
#
#   deploy/quickstart.sh          install, build, devnet up, relay up, 20 messages each way
#   deploy/quickstart.sh down     stop the relay and the devnet
#
# Everything it writes lives in the devnet state directory (CAUSEWAY_DEVNET_STATE, default
# deploy/devnet/state): relay.yaml, relay.db, relay.log, probes.json. Development keys only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${CAUSEWAY_DEVNET_STATE:-$root/deploy/devnet/state}"
bin="$root/build/release/relay/app/causeway"
driver="$root/tests/e2e/driver.mjs"
listen="${CAUSEWAY_QUICKSTART_LISTEN:-127.0.0.1:9464}"
pidfile="$state/relay.pid"

stop_relay() {
  if [[ -f "$pidfile" ]]; then
    local pid
    pid="$(cat "$pidfile")"
    # Only our relay: the pid must still run `causeway relay` on this state's config.
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "relay --config $state/relay.yaml"; then
      kill -TERM "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
      echo "quickstart: relay stopped"
    fi
    rm -f "$pidfile"
  fi
}

if [[ "${1:-}" == "down" ]]; then
  stop_relay
  "$root/deploy/devnet/devnet.sh" down
  exit 0
fi

"$root/deploy/scripts/install-deps.sh"
"$root/deploy/scripts/build.sh" release
export CAUSEWAY_DEVNET_STATE="$state"
export CAUSEWAY_DEVNET_CONTRACTS="$root/build/release/contracts"
"$root/deploy/devnet/devnet.sh" up >/dev/null
manifest="$state/manifest.json"
stop_relay

# The relay's config, and its Ed25519 key for signing audit checkpoints.
if [[ ! -f "$state/keys/log.key" ]]; then
  "$bin" audit keygen --out "$state/keys/log.key" --name "causeway-devnet" >/dev/null
fi
"$bin" config from-manifest "$manifest" --out "$state/relay.yaml" --store "$state/relay.db" --listen "$listen" >/dev/null
# from-manifest writes one `relay:` block; the log key joins it.
sed -i "/^relay:\$/a\\  log_key:\\n    raw_file: \"$state/keys/log.key\"" "$state/relay.yaml"
"$bin" config check "$state/relay.yaml"

nohup "$bin" relay --config "$state/relay.yaml" >>"$state/relay.log" 2>&1 &
echo $! >"$pidfile"
for ((i = 0; i < 100; i++)); do
  if node -e 'fetch(process.argv[1]).then(r => process.exit(r.status === 200 ? 0 : 1)).catch(() => process.exit(1))' "http://$listen/readyz"; then
    break
  fi
  sleep 0.2
done
echo "quickstart: relay running (pid $(cat "$pidfile")), log $state/relay.log, metrics http://$listen/metrics"

if [[ ! -f "$state/probes.json" ]] || ! node "$driver" status --manifest "$manifest" --probes "$state/probes.json" >/dev/null 2>&1; then
  node "$driver" deploy --manifest "$manifest" --out "$state/probes.json" >/dev/null
fi
before="$(node "$driver" status --manifest "$manifest" --probes "$state/probes.json")"
want="$(node -e '
  const s = JSON.parse(process.argv[1]);
  console.log(JSON.stringify({a: {probe: {received: Number(s.a.probe.received) + 20, acks: Number(s.a.probe.acks) + 20}},
                              b: {probe: {received: Number(s.b.probe.received) + 20, acks: Number(s.b.probe.acks) + 20}}}));' "$before")"
echo "quickstart: sending 10 ordered and 10 unordered messages a -> b and b -> a"
for ordered in "" "--ordered"; do
  node "$driver" send --manifest "$manifest" --probes "$state/probes.json" --from a --to b --count 10 $ordered >/dev/null
  node "$driver" send --manifest "$manifest" --probes "$state/probes.json" --from b --to a --count 10 $ordered >/dev/null
done
node "$driver" wait --manifest "$manifest" --probes "$state/probes.json" --expect "$want" --timeout 120 >"$state/quickstart-status.json"
node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1]));
  for (const [name, c] of Object.entries(s)) {
    console.log(`chain ${name}: received ${c.probe.received} messages, ${c.probe.acks} of its own acknowledged, ` +
                `${c.probe.duplicates} duplicates`);
  }' "$state/quickstart-status.json"
echo "quickstart: messages crossed both ways and were acknowledged."
echo "quickstart: the relay keeps running; stop it and the devnet with: deploy/quickstart.sh down"
