#!/usr/bin/env bash
# with_postgres.sh CMD ARGS...: runs CMD beside a throwaway PostgreSQL 15 cluster and always
# removes the cluster afterwards. CMD sees:
#   CAUSEWAY_PG_CONNINFO      unix socket, trust authentication (superuser "causeway")
#   CAUSEWAY_PG_TCP_CONNINFO  127.0.0.1 on a free port, password (scram-sha-256) authentication
#   CAUSEWAY_PG_PASSWORD      the password of "causeway" over TCP
#   CAUSEWAY_PG_STOP / CAUSEWAY_PG_START  shell commands that stop (immediately) and restart it
# CAUSEWAY_PG_FSYNC=on starts the server with fsync (default off, for test speed).
# initdb refuses to run as root (CI does): then the cluster belongs to the postgres system user.
set -euo pipefail

bin=${CAUSEWAY_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x "$bin/initdb" ]] || { echo "with_postgres.sh: no $bin/initdb (install postgresql)" >&2; exit 1; }

dir=$(mktemp -d /tmp/causeway-pg-XXXXXX)
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi

stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$dir/pw"
[[ $(id -u) -eq 0 ]] && chown postgres: "$dir/pw"
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U causeway --pwfile="$dir/pw" -E UTF8 --no-locale \
  --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
rm -f "$dir/pw"

# A free port: bind port 0 and read what the kernel chose (a race with other binders is unlikely
# and shows as a failed start).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# fsync off: tests need no power-loss durability, and every store write commits. Benchmarks that
# compare with SQLite's synchronous=FULL set CAUSEWAY_PG_FSYNC=on.
options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${CAUSEWAY_PG_FSYNC:-off}"
start_cmd="${as_owner[*]} $bin/pg_ctl -D $dir/data -o '$options' -l $dir/server.log -w start"
stop_cmd="${as_owner[*]} $bin/pg_ctl -D $dir/data -m immediate -w stop"
eval "$start_cmd" >/dev/null || {
  cat "$dir/server.log" >&2
  exit 1
}

export CAUSEWAY_PG_CONNINFO="host=$dir port=$port dbname=postgres user=causeway"
export CAUSEWAY_PG_TCP_CONNINFO="host=127.0.0.1 port=$port dbname=postgres user=causeway"
export CAUSEWAY_PG_PASSWORD="$password"
export CAUSEWAY_PG_STOP="$stop_cmd"
export CAUSEWAY_PG_START="$start_cmd"
"$@"
