#!/usr/bin/env bash
# The compose file's one-shot `deploy` job: deploys the gateways and examples onto the two anvil
# chains with deploy/devnet/deploy.mjs (as devnet.sh does), writing the manifest and the devnet keys
# to the shared volume, then hands them to the relay's user. A manifest that still matches the
# running chains is kept, so `docker compose up` twice deploys once.
set -euo pipefail

src="${CAUSEWAY_SRC:-/src}"              # the repository, mounted read-only
state="${CAUSEWAY_DEVNET_STATE:-/devnet}"  # the volume shared with the relay
work="${CAUSEWAY_WORK:-/tmp/causeway}"     # a writable copy: npm installs beside deploy.mjs
relay_uid="${CAUSEWAY_RELAY_UID:-10001}"

# What deploy.mjs reads (contracts, schemas, the Node.js tools), without the host's node_modules
# or devnet state.
mkdir -p "$work"
tar -C "$src" --exclude=node_modules --exclude=deploy/devnet/state -cf - \
  adapters/evm/contracts deploy/devnet schemas | tar -C "$work" -xf -
cd "$work/deploy/devnet"
npm ci --no-audit --no-fund --loglevel=error

# Chains a and b listen on this job's loopback: it shares chain-a's network namespace, as do
# chain-b and the relay, so the manifest's http://127.0.0.1 endpoints are right for all of them.
args=(--state "$state" --chain a:1001:8545 --chain b:1002:8546 --block-time 1 --attesters 1 --threshold 1)
if [[ -f "$state/manifest.json" ]] && node deploy.mjs verify "${args[@]}"; then
  echo "deploy: the manifest matches the running chains; nothing to deploy"
else
  node deploy.mjs deploy "${args[@]}"
fi
# Raw key files must belong to the user reading them, mode 0600 (the relay refuses anything looser).
chown -R "$relay_uid:$relay_uid" "$state"
