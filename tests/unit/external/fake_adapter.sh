#!/usr/bin/env bash
# A scripted adapter for the supervisor, source and sink tests (process_test.cpp, source_test.cpp,
# sink_test.cpp): answers adapter.hello as FAKE_PROTOCOL / FAKE_FAMILY / FAKE_CHAIN / FAKE_SIDES
# (JSON list items, "source" by default) say, then misbehaves per
# FAKE_MODE on every other call, or (mode ok) answers each method with the JSON in
# $FAKE_REPLIES/<method> (adapter.health: {"status":"ok"} when there is no such file).
set -u
mode="${FAKE_MODE:-ok}"
protocol="${FAKE_PROTOCOL:-1}"
family="${FAKE_FAMILY:-evm}"
chain="${FAKE_CHAIN:?}"
replies="${FAKE_REPLIES:-}"
sides="${FAKE_SIDES:-\"source\"}"

reply() { printf '{"jsonrpc":"2.0","id":%s,"result":%s}\n' "$1" "$2"; }

echo "fake adapter up, mode $mode" >&2
# The relay encodes requests with sorted keys: {"id":N,"jsonrpc":"2.0","method":"...","params":...}.
while IFS= read -r line; do
  id="${line#\{\"id\":}"
  id="${id%%,*}"
  method="${line#*\"method\":\"}"
  method="${method%%\"*}"
  if [[ $method == adapter.hello ]]; then
    reply "$id" "{\"protocol\":$protocol,\"name\":\"fake\",\"version\":\"0.1\",\"family\":\"$family\",\"chain_identity\":\"$chain\",\"sides\":[$sides]}"
    continue
  fi
  case "$mode" in
    exit) exit 3 ;;
    env) reply "$id" "{\"status\":\"${CAUSEWAY_TEST_SECRET:-absent}\",\"detail\":\"$PWD\"}" ;;
    garbage) echo "this is not json" ;;
    stall) exec sleep 1000 ;;
    long) head -c 100000 /dev/zero | tr '\0' a; echo ;;
    rpc_error)
      printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":"node down","data":{"reason":"upstream.unreachable"}}}\n' "$id" ;;
    ok)
      if [[ -n $replies && -f $replies/$method ]]; then
        reply "$id" "$(cat "$replies/$method")"
      else
        reply "$id" '{"status":"ok"}'
      fi ;;
  esac
done
