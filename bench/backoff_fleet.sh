#!/usr/bin/env bash
# A failing fleet over a simulated week (issue 13): how many requests a fleet of lineages
# that are all due makes at a CA that fails every newOrder, with one `acmers --cron` a day.
#
# Starts examples/failing_ca.rs (a plain-HTTP fake CA on loopback that answers every newOrder
# with STATUS, and logs one line per request), writes a home of FLEET due lineages at it (conf
# only, as acme.sh writes them), and runs `acmers --cron --home H` once for each of DAYS days,
# the clock of day N shifted by N days with ACMERS_TEST_CLOCK_SHIFT (docs/testing.md). It
# reports, per day, the requests the CA got, the newOrders among them, and the lineages that
# were tried, deferred (the CA failed three times in a row in the pass) or waiting for their
# next attempt; and the week's totals. acme.sh has no backoff: every daily run sends at least
# one newOrder per due lineage.
#
# Usage: bench/backoff_fleet.sh
# Environment:
#   FLEET=1000        due lineages
#   DAYS=7            daily runs
#   STATUS=503        the newOrder answer (503, or 429 for a rate limit)
#   RETRY_AFTER=      Retry-After seconds on it (none by default)
#   PARALLEL=4        acmers --parallel (its default)
#   OUT=FILE          also write the results as Markdown to FILE
#   ACMERS=BIN        measure this acmers binary [default: target/release/acmers]
#   FAILING_CA=BIN    the fake CA [default: target/release/examples/failing_ca]
#                     Whatever of the two is not given is built with `cargo build --release`.
#   KEEP=1            keep the scratch folder
set -eu

cd "$(dirname "$0")/.."
repo=$(pwd)

FLEET=${FLEET:-1000}
DAYS=${DAYS:-7}
STATUS=${STATUS:-503}
RETRY_AFTER=${RETRY_AFTER:-}
PARALLEL=${PARALLEL:-4}
OUT=${OUT:-}
KEEP=${KEEP:-}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}
for var in FLEET DAYS STATUS PARALLEL; do
    case ${!var} in '' | *[!0-9]* | 0) die "$var must be a positive integer" ;; esac
done

unset HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY http_proxy https_proxy all_proxy no_proxy

acmers=${ACMERS:-$repo/target/release/acmers}
failing_ca=${FAILING_CA:-$repo/target/release/examples/failing_ca}
build=()
[ -n "${ACMERS:-}" ] || build+=(--bin acmers)
[ -n "${FAILING_CA:-}" ] || build+=(--example failing_ca)
if [ "${#build[@]}" -gt 0 ]; then
    printf '==> building (cargo build --release %s)\n' "${build[*]}"
    cargo build --release "${build[@]}"
fi
[ -x "$acmers" ] || die "no acmers binary at $acmers"
[ -x "$failing_ca" ] || die "no failing_ca binary at $failing_ca"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/acmers-backoff.XXXXXX")
pid=
cleanup() {
    status=$?
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    if [ "$status" -ne 0 ] || [ -n "$KEEP" ]; then
        printf 'scratch folder kept: %s\n' "$tmp" >&2
    else
        rm -rf "$tmp"
    fi
    exit "$status"
}
trap cleanup EXIT

ca_args=(--status "$STATUS")
[ -z "$RETRY_AFTER" ] || ca_args+=(--retry-after "$RETRY_AFTER")
log=$tmp/ca.log
"$failing_ca" "${ca_args[@]}" >"$log" &
pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$log" 2>/dev/null && break
    sleep 0.05
done
port=$(sed -n 's/^listening on //p' "$log")
[ -n "$port" ] || die "the fake CA did not start"
api=http://127.0.0.1:$port/dir

home=$tmp/home
mkdir -p "$home"
for i in $(seq "$FLEET"); do
    name=l$i.fleet.test
    mkdir "$home/${name}_ecc"
    printf "Le_Domain='%s'\nLe_Alt='no'\nLe_Webroot='no'\nLe_API='%s'\nLe_Keylength='ec-256'\nLe_CertCreateTime='1700000000'\nLe_NextRenewTime='1700000001'\n" \
        "$name" "$api" >"$home/${name}_ecc/$name.conf"
done

requests() { echo $(($(wc -l <"$log") - 1)); }
orders() { grep -c '^POST /order$' "$log" || true; }

rows=$tmp/rows
: >"$rows"
total_requests=0
total_orders=0
for day in $(seq 0 $((DAYS - 1))); do
    before_requests=$(requests)
    before_orders=$(orders)
    set +e
    ACMERS_TEST_CLOCK_SHIFT=$((day * 86400)) "$acmers" --home "$home" --cron \
        --parallel "$PARALLEL" >"$tmp/day$day.out" 2>"$tmp/day$day.err"
    rc=$?
    set -e
    [ "$rc" -le 1 ] || die "day $day: acmers exited $rc (see $tmp/day$day.err)"
    day_requests=$(($(requests) - before_requests))
    day_orders=$(($(orders) - before_orders))
    tried=$(grep -c 'Error renewing ' "$tmp/day$day.err" || true)
    deferred=$(grep -c 'failed in a row in this run' "$tmp/day$day.out" || true)
    waiting=$(grep -c 'attempt(s) failed in a row; next attempt at' "$tmp/day$day.out" || true)
    total_requests=$((total_requests + day_requests))
    total_orders=$((total_orders + day_orders))
    printf '| %s | %s | %s | %s | %s | %s |\n' "$day" "$day_requests" "$day_orders" "$tried" \
        "$deferred" "$waiting" >>"$rows"
done

report() {
    printf 'Failing fleet: %s due lineages, newOrder answered %s%s, one `--cron` a day for %s days (--parallel %s)\n\n' \
        "$FLEET" "$STATUS" "${RETRY_AFTER:+ with Retry-After $RETRY_AFTER}" "$DAYS" "$PARALLEL"
    printf '| day | requests | newOrders | tried | deferred (CA failed 3 in a row) | waiting (backoff) |\n'
    printf '|---|---|---|---|---|---|\n'
    cat "$rows"
    printf '| week | %s | %s | | | |\n\n' "$total_requests" "$total_orders"
    printf 'acme.sh (no backoff): at least %s newOrders a day, %s in the week.\n' \
        "$FLEET" $((FLEET * DAYS))
}
report
[ -z "$OUT" ] || report >"$OUT"
