#!/usr/bin/env bash
# The README's main command: installs what is missing, builds the release preset and starts the
# local two-chain devnet (two anvil chains with gateways and examples deployed).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/deploy/scripts/install-deps.sh"
"$root/deploy/scripts/build.sh" release
"$root/deploy/devnet/devnet.sh" up
echo
echo "quickstart: devnet is up; stop it with deploy/devnet/devnet.sh down"
