#!/usr/bin/env bash
# Schemathesis against a real `tremplin serve` (debug build, PostgreSQL):
# every operation of openapi.yaml, as every role, with a bounded number of
# examples. Needs PostgreSQL on 127.0.0.1:5432 (.ci/run starts it) and PyPI.
# Environment: ST_MAX_EXAMPLES (default 12), ST_ROLES (default: all five).
set -euo pipefail
cd "$(dirname "$0")/../.."

work=target/schemathesis
venv=target/schemathesis-venv
mkdir -p "$work"
if [ ! -x "$venv/bin/schemathesis" ]; then
    # Debian splits venv out of python3.
    python3 -m venv "$venv" || {
        rm -rf "$venv"
        apt-get install -y -q python3-venv && python3 -m venv "$venv"
    }
    "$venv/bin/pip" install --quiet 'schemathesis==4.32.5'
fi

# The test build (same features as `cargo test`, which CI has just run)
# holds the binary: nothing is compiled twice.
cargo test --workspace --locked --no-run
bin=target/debug/tremplin

database=tremplin_schemathesis
psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"
psql -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $database"
url="postgres://postgres@127.0.0.1:5432/$database"

rm -rf "$work/mail-out"
# Tokens outlive the whole run; the rate limit stays as in production.
TREMPLIN__AUTH__ACCESS_TOKEN_TTL_SECS=7200 \
TREMPLIN__EMAIL__OUTBOX_DIR="$work/mail-out" \
RUST_LOG="${RUST_LOG:-warn}" \
    "$bin" --database-url "$url" serve --bind 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
base=""
for _ in $(seq 1 300); do
    base=$(sed -n 's/^listening on //p' "$work/serve.out")
    [ -n "$base" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 1
done
[ -n "$base" ] || { echo "tremplin serve did not start"; exit 1; }

python3 .ci/schemathesis/seed.py "$bin" "$url" "$base" "$work/tokens"

# One schemathesis process per role, side by side, each with one worker:
# hypothesis parses lambdas with `ast` from its worker threads, which
# CPython 3.11 before 3.11.8 does not survive (SystemError "AST constructor
# recursion depth mismatch"); processes share nothing.
roles="${ST_ROLES:-admin company school coordinator api_client}"
pids=()
for role in $roles; do
    token=$(awk -v r="$role" '$1 == r {print $2}' "$work/tokens")
    # From $work: hypothesis keeps its example database in the working folder.
    (cd "$work" && "../../$venv/bin/schemathesis" \
        --config-file ../../.ci/schemathesis/schemathesis.toml run ../../openapi.yaml \
        --url "$base" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
        --max-examples "${ST_MAX_EXAMPLES:-12}" \
        --seed 20261208 \
        --workers 1 \
        --continue-on-failure \
        --no-color \
        >"$role.log" 2>&1) &
    pids+=($!)
done
status=0
set -- $roles
for pid in "${pids[@]}"; do
    role=$1
    shift
    if wait "$pid"; then
        echo "== schemathesis as $role: passed ($(tail -1 "$work/$role.log" | tr -d '='))"
    else
        echo "== schemathesis as $role: FAILED"
        sed -n '/ FAILURES \| ERRORS /,$p' "$work/$role.log"
        status=1
    fi
done
if grep -q "request failed" "$work/serve.log"; then
    echo "the server logged unexpected errors:"
    grep -m 20 "request failed" "$work/serve.log"
    status=1
fi
exit $status
