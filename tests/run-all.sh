#!/usr/bin/env bash
# The README's test command: installs what is missing, builds the release preset and runs the
# whole ctest suite. CI (.ci/run) calls exactly this with CAUSEWAY_REQUIRE_VECTORS=1.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$(date +%s)
"$root/deploy/scripts/install-deps.sh"
"$root/deploy/scripts/build.sh" release
cd "$root/build/release"
status=0
ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@" || status=$?
# Each vector suite prints how many outside cases it executed; show them in one place.
if [[ -f Testing/Temporary/LastTest.log ]]; then
  echo "== vector cases executed =="
  grep -ho '^\[vectors\] .*' Testing/Temporary/LastTest.log | sort -u || true
fi
echo "tests/run-all.sh: finished in $(( $(date +%s) - start )) s with status $status"
exit "$status"
