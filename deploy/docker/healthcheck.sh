#!/bin/bash
# Container health check: GET /healthz on 127.0.0.1:$CAUSEWAY_HEALTH_PORT (default 9464) with bash
# alone, since the slim image has no curl. Exit 0 on HTTP 200, 1 otherwise.
set -euo pipefail

port="${CAUSEWAY_HEALTH_PORT:-9464}"
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
status=""
IFS= read -r -t 5 status <&3 || true
exec 3<&-
[[ "$status" =~ ^HTTP/1\.[01]\ 200\  ]] || { echo "healthz: ${status:-no answer} on port $port" >&2; exit 1; }
