#!/usr/bin/env bash
# Search p99 over HTTP, uncached, on the laws of ../shared/corpus (reported, not a test).
#
#   cargo build --release --bin jingshi --example laws_manifest
#   benches/search_http.sh [BINARY] [PORT]
#
# Imports the laws into a fresh data folder (target/laws-data-<port>) with BINARY
# (default target/release/jingshi), starts it with the answer cache off, signs in, and
# runs wrk -t2 -c16 for 20 s over the 1,483 law-title queries (benches/law_title_queries.sh),
# then over the 14 fixed queries of benches/search_wrk.lua. Needs wrk (Debian: wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/release/jingshi}
port=${2:-8099}
data=target/laws-data-$port
manifest=target/laws/manifest.json
[ -f "$manifest" ] || target/release/examples/laws_manifest target/laws >/dev/null
rm -rf "$data"
"$binary" --data "$data" import "$manifest" >"$data.import.log" 2>&1 || { tail "$data.import.log"; exit 1; }
"$binary" --data "$data" user add --username bench --role librarian --password benchbench123 >/dev/null 2>&1
JINGSHI_SEARCH_CACHE_MB=0 "$binary" --data "$data" serve --addr "127.0.0.1:$port" >"$data.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done
jar=$(mktemp)
curl -sf -c "$jar" -H "Origin: http://127.0.0.1:$port" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"benchbench123"}' "http://127.0.0.1:$port/api/v1/session" >/dev/null
token=$(awk '/jingshi_session/{print $7}' "$jar")
rm -f "$jar"
benches/law_title_queries.sh > target/law-queries.txt
echo "== law titles ($(wc -l < target/law-queries.txt) queries), uncached"
QUERIES=target/law-queries.txt wrk -t2 -c16 -d20s --latency -s benches/search_wrk.lua \
  -H "Cookie: jingshi_session=$token" "http://127.0.0.1:$port" | grep -E "Latency|50%|90%|99%|Requests/sec"
echo "== 14 fixed queries, uncached"
wrk -t2 -c16 -d20s --latency -s benches/search_wrk.lua \
  -H "Cookie: jingshi_session=$token" "http://127.0.0.1:$port" | grep -E "Latency|50%|90%|99%|Requests/sec"
