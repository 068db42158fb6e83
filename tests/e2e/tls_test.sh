#!/usr/bin/env bash
# The relay's API over TLS on the live devnet (tests/e2e/lib.sh): HTTPS with client certificates
# made here by the openssl CLI (nothing committed), admin by a listed client certificate or by the
# token, the operator commands with --ca/--cert/--key, a wrong CA refused, plain HTTP to the TLS
# port refused while messages keep flowing, and a key file others may read refused at start.
# Usage: tls_test.sh tls
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tls="$work/tls"

# ca.pem signs server.pem (127.0.0.1) and operator.pem; other-ca.pem is a stranger's CA.
make_pki() {
  mkdir -p "$tls"
  local ca
  for ca in ca other-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=Causeway e2e $ca" \
      -keyout "$tls/$ca.key" -out "$tls/$ca.pem" 2>/dev/null
  done
  local name san
  for name in server operator; do
    san="subjectAltName=IP:127.0.0.1"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
      -keyout "$tls/$name.key" -out "$tls/$name.csr" 2>/dev/null
    openssl x509 -req -in "$tls/$name.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 1 \
      -extfile <(echo "$san") -out "$tls/$name.pem" 2>/dev/null
  done
  chmod 600 "$tls"/*.key
  printf 'e2e-tls-token-4f1c\n' >"$tls/token"
  secrets+=("e2e-tls-token-4f1c")
  chmod 600 "$tls/token"
}

case_tls() {
  make_pki
  local fingerprint
  fingerprint="$(openssl x509 -noout -fingerprint -sha256 -in "$tls/operator.pem" | cut -d= -f2)"
  setup
  make_config "c.relay.api = {admin_token_file: '$tls/token', tls: {cert_file: '$tls/server.pem',
    key_file: '$tls/server.key', client_ca_file: '$tls/ca.pem', client_auth: 'optional'},
    admin_client_certs: ['$fingerprint']}"
  # A TLS key others may read is refused at start, naming the field, before anything is served.
  chmod 644 "$tls/server.key"
  local status=0
  "$bin" relay --config "$config" >"$work/refused-start.log" 2>&1 || status=$?
  chmod 600 "$tls/server.key"
  if [[ $status -ne 2 ]] || ! grep -q "key_file.insecure_permissions: relay.api.tls" "$work/refused-start.log"; then
    fail "a group-readable TLS key: exit $status"
  fi
  pass "a TLS key readable by others is refused at start"

  # lib.sh's helpers reach the API with Node's fetch, which trusts the test CA through this.
  export NODE_EXTRA_CA_CERTS="$tls/ca.pem"
  api="https://127.0.0.1:$port_api"
  start_relay
  [[ "$(metric causeway_api_plaintext)" == "0" ]] || fail "causeway_api_plaintext is not 0 over TLS"
  grep -q "serving /healthz /readyz /metrics /v1 on https://" "$relay_log" || fail "no https serving line"
  pass "the relay serves https"

  node -e 'fetch(process.argv[1]).then(() => process.exit(1)).catch(() => process.exit(0))' \
    "http://127.0.0.1:$port_api/healthz" || fail "plain HTTP to the TLS port got an answer"
  [[ "$(metric causeway_http_tls_handshake_failures_total)" -ge 1 ]] || fail "the failed handshake was not counted"
  pass "plain HTTP to the TLS port is refused and counted"

  local lane
  # shellcheck disable=SC2016 # a JavaScript template string
  lane="$(node -e 'const l = JSON.parse(require("fs").readFileSync(process.argv[1])).lanes[0];
    console.log(l.name || `${l.from}->${l.to}`)' "$config")"
  local out
  out="$("$bin" lanes pause "$lane" --api "$api" --ca "$tls/ca.pem" --cert "$tls/operator.pem" \
    --key "$tls/operator.key" --reason "e2e tls")" || fail "pause with the listed certificate failed"
  [[ "$out" == "lane $lane halted: "*"e2e tls" ]] || fail "unexpected pause answer: $out"
  "$bin" lanes resume "$lane" --api "$api" --ca "$tls/ca.pem" --token-file "$tls/token" >/dev/null ||
    fail "resume with the token failed"
  status=0
  "$bin" lanes pause "$lane" --api "$api" --ca "$tls/ca.pem" 2>"$work/refused.txt" || status=$?
  if [[ $status -ne 1 ]] || ! grep -q "401" "$work/refused.txt"; then fail "pause without credentials: exit $status"; fi
  pass "admin by listed client certificate or token, refused without either"

  status=0
  "$bin" messages list --api "$api" --ca "$tls/other-ca.pem" 2>"$work/distrust.txt" || status=$?
  if [[ $status -ne 3 ]] || ! grep -q "not trusted" "$work/distrust.txt"; then fail "a wrong --ca: exit $status"; fi
  pass "a wrong --ca is refused with a clear error"

  drive send --probes "$probes" --from a --to b --count 5 >/dev/null
  wait_for '{"a":{"probe":{"acks":5}},"b":{"probe":{"received":5}}}' 120
  check_exactly_once
  stop_relay
  grep -q "e2e-tls-token-4f1c" "$relay_log" && fail "the token is in the log"
  pass "messages flow with the API over TLS"
}

case "${1:-}" in
  tls) case_tls ;;
  *) echo "usage: $0 tls" >&2; exit 2 ;;
esac
