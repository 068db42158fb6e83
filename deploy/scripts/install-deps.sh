#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine: the Debian packages Causeway builds and tests
# with, and the pinned Node.js toolchain (anvil, solc, ethers, @ethereumjs/trie, ajv, playwright-core) under
# deploy/devnet/node_modules. Idempotent and quiet when everything is already there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

apt_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang-14 libclang-rt-14-dev
  libboost1.81-dev nlohmann-json3-dev libssl-dev libsqlite3-dev libfmt-dev catch2
  libsecp256k1-dev libcrypto++-dev libspdlog-dev prometheus-cpp-dev libcli11-dev libyaml-cpp-dev sqlite3
  libbenchmark-dev
  # tests/deploy: YAML parsing, promtool (package prometheus: on a host running systemd its server
  # starts too; `systemctl disable --now prometheus` if unwanted), docker-compose config,
  # systemd-analyze, groff
  python3-yaml prometheus docker-compose systemd groff-base
  # tests/browser: the web console in headless Chromium (driven by npm playwright-core)
  chromium
  # tests/hsm: PKCS#11 remote signing against a software token (softhsm2), the p11-kit PKCS#11 header
  softhsm2 libp11-kit-dev
  # relay/store/postgres.cpp: libpq; tests/support/with_postgres.sh: a throwaway PostgreSQL 15 cluster
  postgresql libpq-dev
)
if [[ "${CAUSEWAY_WITH_CONTRACTS:-ON}" != "OFF" ]] && ! command -v node >/dev/null 2>&1; then
  apt_packages+=(nodejs npm)
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${CAUSEWAY_WITH_CONTRACTS:-ON}" != "OFF" ]]; then
  tools="$root/deploy/devnet"
  stamp="$tools/node_modules/.causeway-stamp"
  if [[ ! -f "$stamp" || "$tools/package-lock.json" -nt "$stamp" ]]; then
    echo "install-deps: installing the pinned Node.js tools (npm ci in deploy/devnet)"
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$stamp"
  fi
fi
