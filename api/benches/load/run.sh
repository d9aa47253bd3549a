#!/usr/bin/env bash
# Load benchmark of the API on PostgreSQL (BRIEF §5: POST /v1/offers above
# 2,000 req/s with p99 under 25 ms on 2 cores). Needs wrk and jq (Debian
# packages) and a release build: cargo build --release -p api
#   api/benches/load/run.sh [postgres://postgres@127.0.0.1:5432]
set -euo pipefail
cd "$(dirname "$0")/../../.."
SERVER_URL="${1:-postgres://postgres@127.0.0.1:5432}"
DB="tremplin_load_$$"
BIN="${BIN:-target/release/tremplin}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-32}"
export RUST_LOG=warn

psql "$SERVER_URL/postgres" -qc "CREATE DATABASE $DB"
cleanup() {
    [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    psql "$SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
}
trap cleanup EXIT
export DATABASE_URL="$SERVER_URL/$DB"
export TREMPLIN__DATABASE__MAX_CONNECTIONS="${POOL:-16}"

$BIN serve --bind 127.0.0.1:0 > /tmp/tremplin-load.log 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    grep -q "listening on" /tmp/tremplin-load.log && break
    sleep 0.5
done
ADDR=$(grep -o 'http://[0-9.:]*' /tmp/tremplin-load.log | head -1)
echo "server at $ADDR (pool ${TREMPLIN__DATABASE__MAX_CONNECTIONS}, wrk 1 thread, $CONNECTIONS connections, $DURATION)"

echo 'load test password 1' | $BIN admin create-user --email load-admin@example.fr --role admin > /dev/null
json() { curl -sf "$ADDR$1" -H 'content-type: application/json' ${2:+-H "authorization: Bearer $2"} -d "$3"; }
ADMIN=$(json /v1/auth/token "" '{"grant_type":"password","email":"load-admin@example.fr","password":"load test password 1"}' | jq -r .access_token)
ORG=$(json /v1/organisations "$ADMIN" '{"kind":"company","name":"Load","siret":"73282932000074"}' | jq -r .id)
INVITE=$(json "/v1/organisations/$ORG/users" "$ADMIN" '{"email":"load@example.fr","role":"company"}' | jq -r .invitation.token)
curl -sf "$ADDR/v1/auth/accept-invitation" -H 'content-type: application/json' -d "{\"token\":\"$INVITE\",\"password\":\"load test password 2\"}"
export TOKEN=$(json /v1/auth/token "" '{"grant_type":"password","email":"load@example.fr","password":"load test password 2"}' | jq -r .access_token)

echo "== POST /v1/offers"
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s api/benches/load/post_offer.lua "$ADDR/v1/offers"
export OFFER_ID=$(curl -sf "$ADDR/v1/offers?limit=1" -H "authorization: Bearer $TOKEN" | jq -r '.items[0].id')
echo "== GET /v1/offers/{id}"
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s api/benches/load/get_offer.lua "$ADDR"
echo "offers stored: $(psql "$SERVER_URL/$DB" -tAc 'SELECT count(*) FROM offer')"
