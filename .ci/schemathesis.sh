#!/usr/bin/env bash
# The schema fuzzer against the real server: schemathesis (PyPI, in a virtual
# environment) reads /api/v1/openapi.json and sends generated requests with an admin
# session. Fails on any 5xx and on any response that does not match its schema.
#
#   bash .ci/schemathesis.sh            # uses target/debug/jingshi (built by cargo test)
#   MAX_EXAMPLES=100 bash .ci/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${MAX_EXAMPLES:-25}
venv=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
password=schemathesis-admin-password

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# The binary `cargo test` already built; build it when missing.
bin=target/debug/jingshi
[ -x "$bin" ] || cargo build --quiet --bin jingshi

data=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT
mkdir -p "$data/content"
cp -r content/demo "$data/content/demo"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
JINGSHI_ADMIN_PASSWORD=$password RUST_LOG=warn,tantivy=error \
  "$bin" --data "$data" serve --addr "127.0.0.1:$port" >"$data/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.25
done
curl -fs "$base/healthz" >/dev/null || { cat "$data/server.log"; echo "server did not start"; exit 1; }

cookie=$(curl -fs -D - -o /dev/null -H "Origin: $base" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$base/api/v1/session" |
  tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -n1)
[ -n "$cookie" ] || { echo "sign-in failed"; exit 1; }

# Left out: signing out, changing the admin's password and changing accounts (a
# generated id may be the admin's) would end the session the other requests use.
status=0
set -o pipefail
"$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
  --checks not_a_server_error,response_schema_conformance \
  --header "Cookie: $cookie" --header "Origin: $base" \
  --exclude-operation-id sign_out --exclude-operation-id change_password \
  --exclude-operation-id update_user \
  --max-examples "$MAX_EXAMPLES" --workers 2 --request-timeout 30 \
  --seed "${SCHEMATHESIS_SEED:-20261128}" --no-color | tee "$data/report.txt" || status=$?
if [ "$status" -ne 0 ] || grep -q "internal error" "$data/server.log"; then
  echo "== server log (errors)"
  grep -E "ERROR|panicked" "$data/server.log" | tail -n 50 || true
  [ "$status" -ne 0 ] || status=1
fi
# A plain closing line for whoever reads the end of the CI log.
passed=$(sed -n 's/^ *\([0-9]*\) generated, \([0-9]*\) passed.*/\2/p' "$data/report.txt" | tail -n1)
if [ "$status" -eq 0 ]; then
  echo "schemathesis: ${passed:-0} passed, 0 failed"
else
  echo "schemathesis: failures found (see above)"
fi
exit "$status"
