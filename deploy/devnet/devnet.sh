#!/usr/bin/env bash
# Local two-chain devnet for Causeway: `up` starts two anvil nodes and deploys the gateways and the
# examples on them (deploy.mjs), `down` stops exactly the processes `up` started, `status` reports.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
anvil="$here/node_modules/.bin/anvil"
state="${CAUSEWAY_DEVNET_STATE:-$here/state}"
block_time="${CAUSEWAY_DEVNET_BLOCK_TIME:-1}"
attesters="${CAUSEWAY_DEVNET_ATTESTERS:-1}"
threshold="${CAUSEWAY_DEVNET_THRESHOLD:-1}"
contracts="${CAUSEWAY_DEVNET_CONTRACTS:-}"   # prebuilt artifacts; empty: deploy.mjs compiles

# The chains. Each has a fixed genesis timestamp, so the two genesis hashes (and with them the
# chain identities) differ from each other and stay the same across restarts.
chains=(a b)
declare -A chain_id=([a]=1001 [b]=1002)
declare -A genesis_timestamp=([a]=1704067200 [b]=1704153600)
declare -A port=([a]="${CAUSEWAY_DEVNET_PORT_A:-8545}" [b]="${CAUSEWAY_DEVNET_PORT_B:-8546}")
declare -A port_knob=([a]=CAUSEWAY_DEVNET_PORT_A [b]=CAUSEWAY_DEVNET_PORT_B)

die() { echo "devnet: $*" >&2; exit 1; }
say() { echo "devnet: $*"; }

usage() {
  cat <<EOF
usage: $(basename "$0") up|down|status

  up      start chains a (id ${chain_id[a]}) and b (id ${chain_id[b]}) on 127.0.0.1, deploy the
          gateways and examples, write the manifest; does nothing if that devnet already runs
  down    stop the anvil processes 'up' started (and nothing else)
  status  what runs, on which ports, and whether the manifest matches it

environment: CAUSEWAY_DEVNET_STATE (default deploy/devnet/state), CAUSEWAY_DEVNET_PORT_A (8545),
CAUSEWAY_DEVNET_PORT_B (8546), CAUSEWAY_DEVNET_BLOCK_TIME (seconds, 1; 0 = mine every transaction),
CAUSEWAY_DEVNET_ATTESTERS (number of vote keys, 1), CAUSEWAY_DEVNET_THRESHOLD (1),
CAUSEWAY_DEVNET_CONTRACTS (directory of compiled contracts to deploy instead of compiling them)
EOF
}

check_settings() {
  local c n
  for c in "${chains[@]}"; do
    n="${port[$c]}"
    if ! [[ "$n" =~ ^[0-9]{1,5}$ ]] || ((n < 1 || n > 65535)); then die "${port_knob[$c]}='$n' is not a port number"; fi
  done
  [[ "${port[a]}" != "${port[b]}" ]] || die "chains a and b cannot share port ${port[a]}"
  [[ "$block_time" =~ ^[0-9]+$ ]] || die "CAUSEWAY_DEVNET_BLOCK_TIME='$block_time' is not a whole number of seconds"
}

pid_file() { echo "$state/anvil-$1.pid"; }
cmdline_file() { echo "$state/anvil-$1.cmdline"; }
log_file() { echo "$state/anvil-$1.log"; }
manifest() { echo "$state/manifest.json"; }

# The exact command line `up` uses for chain $1, in the array `cmd`.
anvil_command() {
  local c="$1"
  cmd=("$anvil" --host 127.0.0.1 --port "${port[$c]}" --chain-id "${chain_id[$c]}"
       --timestamp "${genesis_timestamp[$c]}")
  if ((block_time > 0)); then cmd+=(--block-time "$block_time"); fi
}

# Succeeds when the pid recorded for chain $1 is alive and still runs the recorded anvil command
# line, so a recycled pid or a stranger's process is never taken for ours.
chain_running() {
  local pidf cmdf pid
  pidf="$(pid_file "$1")"; cmdf="$(cmdline_file "$1")"
  [[ -f "$pidf" && -f "$cmdf" ]] || return 1
  pid="$(<"$pidf")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # Through a pipe: cmp trusts st_size, which is 0 for every /proc file.
  # shellcheck disable=SC2002
  cat "/proc/$pid/cmdline" 2>/dev/null | cmp -s - "$cmdf"
}

# Succeeds when the recorded command line of chain $1 is the one the current settings ask for.
same_settings() {
  local cmd
  anvil_command "$1"
  cmp -s <(printf '%s\0' "${cmd[@]}") "$(cmdline_file "$1")"
}

# Serializes `up` and `down` on one state directory (a second `up` waits, then finds it up).
lock_state() {
  exec 9>"$state/.lock"
  flock -w 120 9 || die "another devnet.sh up/down holds $state/.lock"
}

port_in_use() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_chain() {
  local c="$1" pid i
  if chain_running "$c"; then
    pid="$(<"$(pid_file "$c")")"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      chain_running "$c" || break
      sleep 0.1
    done
    if chain_running "$c"; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true   # reaps it when this shell started it
    say "stopped chain $c (pid $pid)"
  fi
  rm -f "$(pid_file "$c")" "$(cmdline_file "$c")"
}

# Arguments deploy.mjs needs to deploy onto, or verify a manifest against, the chains configured here.
deploy_args() {
  local c
  args=(--state "$state" --block-time "$block_time" --attesters "$attesters" --threshold "$threshold")
  for c in "${chains[@]}"; do args+=(--chain "$c:${chain_id[$c]}:${port[$c]}"); done
  if [[ -n "$contracts" ]]; then args+=(--contracts "$contracts"); fi
}

# Runs `deploy.mjs verify`: succeeds when the manifest describes the running chains.
manifest_matches() {
  local args
  deploy_args
  node "$here/deploy.mjs" verify "${args[@]}"
}

start_chain() {
  local c="$1" cmd pid
  anvil_command "$c"
  printf '%s\0' "${cmd[@]}" >"$(cmdline_file "$c")"
  # setsid: the node outlives this shell and a Ctrl-C in the terminal that ran `up`.
  # 9>&-: the node must not inherit (and so keep holding) the state lock.
  setsid "${cmd[@]}" </dev/null >"$(log_file "$c")" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pid_file "$c")"
  started+=("$c")
}

# Waits until chain $1 accepts connections on its port, failing early if its anvil exited.
wait_listening() {
  local c="$1" pid i
  pid="$(<"$(pid_file "$c")")"
  for ((i = 0; i < 300; i++)); do
    # A process that exited has no /proc entry, or is a zombie (state Z). Not an empty command
    # line: that is also what /proc shows of a live process in the middle of its exec.
    local stat=""
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || true
    if [[ -z "$stat" || "$(awk '{ print $1 }' <<<"${stat##*)}")" == Z ]]; then
      echo "devnet: anvil for chain $c exited during start; the end of $(log_file "$c"):" >&2
      tail -n 5 "$(log_file "$c")" >&2 || true
      return 1
    fi
    if chain_running "$c" && port_in_use "${port[$c]}"; then return 0; fi
    sleep 0.1
  done
  echo "devnet: anvil for chain $c did not listen on port ${port[$c]} within 30 s; see $(log_file "$c")" >&2
  return 1
}

started=()
stop_started_on_failure() {
  local status=$? c
  if ((status != 0)); then
    for c in "${started[@]}"; do stop_chain "$c" >/dev/null; done
    ((${#started[@]} == 0)) || echo "devnet: up failed; stopped the chains it had started (logs in $state)" >&2
  fi
  exit "$status"
}

cmd_up() {
  check_settings
  [[ -x "$anvil" ]] || die "anvil not found at $anvil; run deploy/scripts/install-deps.sh first"
  command -v node >/dev/null 2>&1 || die "node not found; run deploy/scripts/install-deps.sh first"
  mkdir -p "$state"
  state="$(cd "$state" && pwd)"
  lock_state

  local c running=() reason
  for c in "${chains[@]}"; do
    if chain_running "$c"; then
      same_settings "$c" || die "chain $c of the devnet in $state runs with other settings (port, block time); run '$0 down' first"
      running+=("$c")
    fi
  done
  if ((${#running[@]} == ${#chains[@]})); then
    if reason="$(manifest_matches 2>&1)"; then
      say "already up (chain a on port ${port[a]}, chain b on port ${port[b]})"
      manifest
      return 0
    fi
    say "the running chains do not match the manifest ($reason); restarting them" >&2
  elif ((${#running[@]} > 0)); then
    say "only chain ${running[*]} is running; restarting the devnet" >&2
  fi
  for c in "${chains[@]}"; do stop_chain "$c" >/dev/null; done
  rm -f "$(manifest)"

  for c in "${chains[@]}"; do
    if port_in_use "${port[$c]}"; then
      die "port ${port[$c]} for chain $c is already in use by another process; stop it or choose another port with ${port_knob[$c]}"
    fi
  done

  trap stop_started_on_failure EXIT
  for c in "${chains[@]}"; do start_chain "$c"; done
  for c in "${chains[@]}"; do wait_listening "$c"; done
  local args
  deploy_args
  node "$here/deploy.mjs" deploy "${args[@]}"
  trap - EXIT
  say "up: chain a http://127.0.0.1:${port[a]}, chain b http://127.0.0.1:${port[b]}; manifest:"
  manifest
}

cmd_down() {
  [[ -d "$state" ]] || return 0
  lock_state
  local c
  for c in "${chains[@]}"; do stop_chain "$c"; done
  rm -f "$(manifest)"
}

cmd_status() {
  local c pid all=1 reason
  echo "devnet state: $state"
  for c in "${chains[@]}"; do
    if chain_running "$c"; then
      pid="$(<"$(pid_file "$c")")"
      tr '\0' '\n' <"$(cmdline_file "$c")" | awk -v c="$c" -v pid="$pid" '
        prev == "--port" { p = $0 } prev == "--chain-id" { id = $0 } { prev = $0 }
        END { printf "chain %s: running, pid %s, chain id %s, http://127.0.0.1:%s (ws on the same port)\n", c, pid, id, p }'
    else
      echo "chain $c: not running"
      all=0
    fi
  done
  if [[ ! -f "$(manifest)" ]]; then
    echo "manifest: none"
    all=0
  elif ((all)) && reason="$(manifest_matches 2>&1)"; then
    echo "manifest: $(manifest)"
  else
    echo "manifest: $(manifest) (does not match the running chains${reason:+: $reason})"
    all=0
  fi
  ((all)) || return 3
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
