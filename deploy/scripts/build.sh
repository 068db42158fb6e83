#!/usr/bin/env bash
# Configures and builds one CMake preset (default: release). Quiet unless something fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
preset="${1:-release}"
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! cmake --preset "$preset" -DCAUSEWAY_WITH_CONTRACTS="${CAUSEWAY_WITH_CONTRACTS:-ON}" >"$log" 2>&1; then
  cat "$log"; exit 1
fi
if ! cmake --build --preset "$preset" >"$log" 2>&1; then
  cat "$log"; exit 1
fi
echo "build: preset $preset ready in build/$preset"
