#!/usr/bin/env bash
# Benchmark the fleet store (issue 14, docs/fleet.md): several nodes running
# `acmers --cron --store URL --node nX` at once over one PostgreSQL database.
#
# Starts a throwaway PostgreSQL cluster (initdb in a temp dir, as the `postgres` user when run
# as root; loopback only, trust authentication, fsync, synchronous_commit and
# full_page_writes off: test speed only, the cluster is thrown away; pg_stat_statements
# loaded), a throwaway Pebble (PEBBLE_VA_NOSLEEP=1) and an nginx on Pebble's http-01 port
# answering every challenge in acme.sh's stateless mode with the account's thumbprint (as a
# fleet's web servers do, docs/fleet.md). Registers one account at Pebble in a seed home and
# imports it with `--import-home`, then writes COUNT lineages straight into
# the store with examples/fleet_store.rs (own key and certificate each, Le_Webroot='stateless',
# Le_API = Pebble; derived columns from acmers' own `fleet::lineages::derive`).
#
# Part 1, nothing due: NODES nodes run `acmers --cron` at once, ROUNDS times; each node's wall
# time is reported.
# Part 2, renewals: the first DUE lineages are rewritten due (`fleet_store --replace`), the
# statistics of pg_stat_statements are reset, and NODES nodes run `acmers --cron --parallel
# PARALLEL` at once, pass after pass until nothing is due: Pebble 2.4 can stop answering under
# this load, which ends a pass; the script then starts Pebble again and runs the next pass, as
# the next cron run would (at most 10 passes; each pass is reported). Reported: each node's "Cert success." count, wall time and renewals per
# second, the total, the orders Pebble added (its log's "Added order" lines; must be DUE),
# the lineages renewed exactly once (cert_version 2), and the database's share:
# sum(total_exec_time) of pg_stat_statements over the sum of the nodes' wall times, with the
# statements that took most of it.
#
# Usage: bench/fleet.sh [--count 100000] [--due 10000] [--nodes 3] [--parallel 2]
#                       [--rounds 3] [--out FILE]
# Environment:
#   ACMERS=BIN       measure this acmers binary [default: target/release/acmers]
#   FLEET_STORE=BIN  generator [default: target/release/examples/fleet_store]
#                    Whatever of the two is not given is built with
#                    `cargo build --release --locked`.
#   KEEP=1           keep the scratch folders (also kept when a run fails)
#
# Needs: PostgreSQL's server (Debian `postgresql`, with pg_stat_statements, which it ships),
# pebble and pebble-challtestsrv (Debian `pebble`), nginx, openssl. Everything stays on loopback; the
# cluster and Pebble are stopped on exit.
set -eu

cd "$(dirname "$0")/.."
repo=$(pwd)
started=$EPOCHREALTIME

COUNT=100000
DUE=10000
NODES=3
PARALLEL=2
ROUNDS=3
OUT=
KEEP=${KEEP:-}
TARGET_IDLE_MS=1000

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}
positive() { # name value
    case $2 in '' | *[!0-9]* | 0) die "$1 must be a positive integer, not '$2'" ;; esac
}

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "$1 needs a value"
    case $1 in
    --count) COUNT=$2 ;;
    --due) DUE=$2 ;;
    --nodes) NODES=$2 ;;
    --parallel) PARALLEL=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --out) OUT=$2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
    esac
    shift 2
done
for v in COUNT NODES PARALLEL ROUNDS; do positive "--${v,,}" "${!v}"; done
case $DUE in '' | *[!0-9]*) die "--due must be a non-negative integer, not '$DUE'" ;; esac
[ "$DUE" -le "$COUNT" ] || die "--due $DUE is more than --count $COUNT"

pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V |
    tail -n 1)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] ||
    die "PostgreSQL's server binaries not found in /usr/lib/postgresql/<major>/bin"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || die "nginx not found (Debian package nginx)"
for bin in pebble pebble-challtestsrv openssl; do
    command -v "$bin" >/dev/null 2>&1 || die "$bin not found (Debian packages: pebble, openssl)"
done
[ -r /proc/net/tcp ] || die "this script reads /proc/net to find free ports (Linux only)"

unset HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY http_proxy https_proxy all_proxy no_proxy
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE ACMERS_STORE

# --- binaries -------------------------------------------------------------------------------
acmers=${ACMERS:-$repo/target/release/acmers}
gen=${FLEET_STORE:-$repo/target/release/examples/fleet_store}
build=()
[ -n "${ACMERS:-}" ] || build+=(--bin acmers)
[ -n "${FLEET_STORE:-}" ] || build+=(--example fleet_store)
if [ "${#build[@]}" -gt 0 ]; then
    say "building (cargo build --release --locked ${build[*]})"
    cargo build --release --locked "${build[@]}"
fi
[ -x "$acmers" ] || die "no acmers binary at $acmers"
[ -x "$gen" ] || die "no fleet_store binary at $gen"

# --- scratch folders and cleanup ------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/acmers-fleet.XXXXXX")
# The cluster's own folder, which its owner must be able to enter.
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/acmers-fleet-pg.XXXXXX")
pg_user=
if [ "$(id -u)" -eq 0 ]; then
    pg_user=postgres
    id "$pg_user" >/dev/null 2>&1 || die "no postgres user (Debian's postgresql creates it)"
    chown "$pg_user:" "$pgdir"
fi
as_pg() {
    if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi
}
pids=
pg_started=
failed=

cleanup() {
    status=$?
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for pid in $pids; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$pg_started" ]; then
        as_pg "$pg_bin/pg_ctl" stop -D "$pgdir/data" -m immediate -w >/dev/null 2>&1 || true
    fi
    if [ "$status" -ne 0 ] || [ -n "$failed" ] || [ -n "$KEEP" ]; then
        printf 'scratch folders kept: %s %s\n' "$tmp" "$pgdir" >&2
    else
        rm -rf "$tmp" "$pgdir"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    printf 'FAILED: %s\n' "$*" >&2
    failed="$failed
- $*"
}

# shellcheck source=bench/pebble.sh
. "$repo/bench/pebble.sh"

# --- PostgreSQL -----------------------------------------------------------------------------
pick_port
pg_port=$port
say "starting PostgreSQL ($pg_bin) on 127.0.0.1:$pg_port"
as_pg "$pg_bin/initdb" -D "$pgdir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C \
    --no-sync --no-instructions >"$tmp/initdb.log" 2>&1 || {
    cat "$tmp/initdb.log" >&2
    die "initdb failed"
}
as_pg tee -a "$pgdir/data/postgresql.conf" >/dev/null <<CONF

# acmers fleet bench cluster (bench/fleet.sh): throwaway, speed over durability
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pgdir'
max_connections = 200
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
CONF
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' |
    as_pg tee "$pgdir/data/pg_hba.conf" >/dev/null
as_pg "$pg_bin/pg_ctl" start -D "$pgdir/data" -l "$pgdir/postgres.log" -w >/dev/null ||
    die "the cluster did not start (log: $pgdir/postgres.log)"
pg_started=1
psql() { # database sql
    as_pg "$pg_bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$pgdir" -p "$pg_port" -U postgres \
        -d "$1" -c "$2"
}
psql postgres "CREATE DATABASE acmers" >/dev/null
psql acmers "CREATE EXTENSION pg_stat_statements" >/dev/null
url="postgres://postgres@127.0.0.1:$pg_port/acmers?sslmode=disable"

# --- Pebble, the account, the lineages ------------------------------------------------------
say "starting Pebble (PEBBLE_VA_NOSLEEP=1, PEBBLE_AUTHZREUSE=0)"
start_pebble
orders_so_far() { grep -c 'Added order' "$tmp/pebble.log" || true; }

# Node $1's command line (its own work home).
node() {
    printf '%s\0' "$acmers" --store "$url" --node "$1" --ca-bundle "$ca_pem" \
        --home "$tmp/home-$1"
}

say "registering the account in a seed home and importing it"
"$acmers" --register-account --server "$server" --ca-bundle "$ca_pem" --home "$tmp/seed" \
    >"$tmp/register.log" 2>&1 || {
    tail -n 15 "$tmp/register.log" >&2
    die "--register-account failed"
}
thumbprint=$(sed -n "s/.*ACCOUNT_THUMBPRINT='\([-_A-Za-z0-9]*\)'.*/\1/p" "$tmp/register.log" |
    head -n 1)
[ -n "$thumbprint" ] || die "no ACCOUNT_THUMBPRINT in $tmp/register.log"
say "starting nginx on 127.0.0.1:$http_port (stateless http-01 answers)"
mkdir "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/client_body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$http_port;
        location ~ ^/\.well-known/acme-challenge/([-_a-zA-Z0-9]+)\$ {
            default_type text/plain;
            return 200 "\$1.$thumbprint";
        }
    }
}
NGINX
"$nginx" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
    -g 'daemon off;' >"$tmp/nginx.log" 2>&1 &
pids="$pids $!"
wait_listening nginx "$!" "$http_port"

mapfile -d '' seed_cmd < <(node seed)
"${seed_cmd[@]}" --import-home "$tmp/seed" >"$tmp/import.log" 2>&1 || {
    tail -n 15 "$tmp/import.log" >&2
    die "--import-home failed"
}

say "writing $COUNT lineages into the store (examples/fleet_store.rs)"
"$gen" --url "$url" --count "$COUNT" --server "$server" >"$tmp/fill.log" 2>&1 || {
    tail -n 15 "$tmp/fill.log" >&2
    die "fleet_store failed"
}
tail -n 1 "$tmp/fill.log"
fill_line=$(tail -n 1 "$tmp/fill.log")
psql acmers "VACUUM ANALYZE" >/dev/null
store_size=$(psql acmers "SELECT pg_size_pretty(pg_database_size('acmers'))")

# nodes_at_once TAG ARGS...: every node runs `--cron ARGS` at once; per node, writes
# "node rc wall_us successes" to $tmp/TAG.
nodes_at_once() {
    tag=$1
    shift
    : >"$tmp/$tag"
    running=
    for n in $(seq "$NODES"); do
        mapfile -d '' cmd < <(node "n$n")
        (
            s=${EPOCHREALTIME/./}
            rc=0
            "${cmd[@]}" --cron "$@" >"$tmp/$tag-n$n.log" 2>&1 || rc=$?
            e=${EPOCHREALTIME/./}
            echo "n$n $rc $((e - s)) $(grep -c 'Cert success\.' "$tmp/$tag-n$n.log" || true)" \
                >"$tmp/$tag-n$n.result"
        ) &
        running="$running $!"
    done
    for pid in $running; do wait "$pid"; done
    for n in $(seq "$NODES"); do
        cat "$tmp/$tag-n$n.result" >>"$tmp/$tag"
        read -r _ rc _ _ <"$tmp/$tag-n$n.result"
        if [ "$rc" -ne 0 ] && [ -z "${stall_ok:-}" ]; then
            fail "$tag: node n$n exited $rc (log: $tmp/$tag-n$n.log)"
            tail -n 15 "$tmp/$tag-n$n.log" >&2
        fi
    done
}

# --- part 1: nothing due --------------------------------------------------------------------
for r in $(seq "$ROUNDS"); do
    say "nothing due: $NODES nodes at once, round $r"
    nodes_at_once "idle-$r"
    awk '{ printf "    %s: rc %s, %.0f ms\n", $1, $2, $3 / 1000 }' "$tmp/idle-$r"
done
idle_orders=$(orders_so_far)
[ "$idle_orders" -eq 0 ] || fail "the passes with nothing due made $idle_orders orders"

# --- part 2: renewals -----------------------------------------------------------------------
if [ "$DUE" -gt 0 ]; then
    say "making the first $DUE lineages due (fleet_store --replace)"
    "$gen" --url "$url" --count "$DUE" --due "$DUE" --server "$server" --replace \
        >"$tmp/due.log" 2>&1 || {
        tail -n 15 "$tmp/due.log" >&2
        die "fleet_store --replace failed"
    }
    psql acmers "VACUUM ANALYZE" >/dev/null
    now_sql="extract(epoch FROM now())::bigint"
    due_now=$(psql acmers "SELECT count(*) FROM acmers_lineages WHERE next_due <= $now_sql")
    [ "$due_now" -eq "$DUE" ] || die "$due_now lineages are due in the store, not $DUE"
    psql acmers "SELECT pg_stat_statements_reset()" >/dev/null
    before=$(orders_so_far)
    # Pebble 2.4's VA can deadlock under this load (docs/benchmarks.md): its validation of one
    # challenge never ends and every request touching it hangs. The nodes' requests then time
    # out, each node stops claiming (a CA it cannot reach ends its pass), and the lineages in
    # flight record a failure. The script then does what the next cron run would find: Pebble
    # is started again (same ports; it knows no account or order any more, so the nodes
    # register again with the same key and make new orders for the orders it lost) and the
    # nodes run the next pass, with the clock moved past the failed lineages' backoff
    # (ACMERS_TEST_CLOCK_SHIFT). Every pass is reported.
    pass=1
    shift_s=0
    : >"$tmp/renew"
    : >"$tmp/passes"
    stall_ok=1
    while :; do
        say "$DUE due: $NODES nodes at once, --parallel $PARALLEL, pass $pass"
        pass_orders=$(orders_so_far)
        export ACMERS_TEST_CLOCK_SHIFT=$shift_s
        nodes_at_once "renew-$pass" --parallel "$PARALLEL"
        unset ACMERS_TEST_CLOCK_SHIFT
        cat "$tmp/renew-$pass" >>"$tmp/renew"
        due_left=$(psql acmers "SELECT count(*) FROM acmers_lineages
                                WHERE next_due <= extract(epoch FROM now())::bigint + $shift_s")
        awk -v p="$pass" -v o="$(($(orders_so_far) - pass_orders))" -v left="$due_left" \
            '{ n += $4; if ($3 > w) w = $3; if ($2 != 0) bad++ }
             END { printf "%s %d %.1f %s %s %s\n", p, n, w / 1e6, o, left, bad + 0 }' \
            "$tmp/renew-$pass" >>"$tmp/passes"
        awk '{ printf "    %s: rc %s, %.0f ms, %s renewed\n", $1, $2, $3 / 1000, $4 }' \
            "$tmp/renew-$pass"
        [ "$due_left" -gt 0 ] || break
        if [ "$pass" -ge 10 ]; then
            fail "$due_left lineages still due after $pass passes"
            break
        fi
        say "$due_left still due (Pebble stopped answering); starting Pebble again"
        restart_pebble
        pass=$((pass + 1))
        shift_s=$((shift_s + 7200))
    done
    stall_ok=
    orders=$(($(orders_so_far) - before))
    db_ms=$(psql acmers "SELECT round(sum(total_exec_time)) FROM pg_stat_statements")
    db_calls=$(psql acmers "SELECT sum(calls) FROM pg_stat_statements")
    psql acmers "SELECT round(total_exec_time), calls,
                        round((mean_exec_time * 1000)::numeric), regexp_replace(
                            left(regexp_replace(query, '\s+', ' ', 'g'), 70), '\|', '/', 'g')
                 FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 6" \
        >"$tmp/top-statements"
    read -r once more still_due < <(psql acmers "SELECT count(*) FILTER (WHERE cert_version = 2),
            count(*) FILTER (WHERE cert_version > 2),
            count(*) FILTER (WHERE next_due <= extract(epoch FROM now())::bigint + $shift_s)
            FROM acmers_lineages" | tr '|' ' ')
    # Per node over every pass: rc of the last pass, wall summed, renewals summed.
    awk '{ w[$1] += $3; n[$1] += $4; rc[$1] = $2 } END { for (k in w) print k, rc[k], w[k], n[k] }' \
        "$tmp/renew" | sort >"$tmp/renew-total"
    successes=$(awk '{ n += $4 } END { print n + 0 }' "$tmp/renew")
    [ "$orders" -ge "$DUE" ] || fail "Pebble added $orders orders for $DUE due lineages"
    [ "$successes" -eq "$DUE" ] || fail "$successes Cert success. lines for $DUE due lineages"
    [ "$once" -eq "$DUE" ] && [ "$more" -eq 0 ] ||
        fail "$once lineages renewed once and $more more than once, of $DUE"
    [ "$still_due" -eq 0 ] || fail "$still_due lineages are still due after the passes"
    passes=$pass
fi

# --- report ---------------------------------------------------------------------------------
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
elapsed=$(awk -v s="$started" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.0f", e - s }')
pg_version=$("$pg_bin/postgres" --version | awk '{ print $3 }')
md=$tmp/report.md
{
    echo "Nothing due: $NODES nodes run \`acmers --cron --store URL --node nX\` at once over a"
    echo "store of $COUNT lineages ($store_size), $ROUNDS rounds; wall ms per node."
    echo
    printf '| round |'
    for n in $(seq "$NODES"); do printf ' n%s ms |' "$n"; done
    printf ' slowest ms | under %s ms |\n|---:|' "$TARGET_IDLE_MS"
    for _ in $(seq "$NODES"); do printf -- '---:|'; done
    printf -- '---:|---|\n'
    for r in $(seq "$ROUNDS"); do
        awk -v r="$r" -v t="$TARGET_IDLE_MS" '{ w = $3 / 1000; line = line sprintf(" %.0f |", w)
                if (w > max) max = w; if ($2 != 0) bad = 1 }
            END { printf "| %s |%s %.0f | %s |\n", r, line, max,
                  bad ? "failed" : (max < t ? "met" : "NOT met") }' "$tmp/idle-$r"
    done
    if [ "$DUE" -gt 0 ]; then
        echo
        echo "Renewals: $DUE of the $COUNT lineages due, $NODES nodes run \`acmers --cron"
        echo "--parallel $PARALLEL\` at once against Pebble (PEBBLE_VA_NOSLEEP=1, no"
        echo "authorization reuse); http-01 answered by one nginx in stateless mode."
        echo
        echo "Passes (a pass ends when nothing due is left, or when Pebble stopped answering and"
        echo "every node stopped claiming; Pebble is then started again):"
        echo
        echo '| pass | renewed | wall s | renewals/s | orders | still due after | nodes exiting 1 |'
        echo '|---:|---:|---:|---:|---:|---:|---:|'
        awk '{ printf "| %s | %s | %s | %.1f | %s | %s | %s |\n", $1, $2, $3, ($3 > 0 ? $2 / $3 : 0), $4, $5, $6 }' \
            "$tmp/passes"
        echo
        echo 'Per node, all passes:'
        echo
        echo '| node | renewed ("Cert success.") | wall s (all passes) | renewals/s |'
        echo '|---|---:|---:|---:|'
        awk '{ printf "| %s | %s | %.1f | %.1f |\n", $1, $4, $3 / 1e6, $4 / ($3 / 1e6)
               n += $4; if ($3 > max) max = $3; sum += $3 }
            END { printf "| all | %s | %.1f (longest) | %.1f |\n", n, max / 1e6, n / (max / 1e6) }' \
            "$tmp/renew-total"
        wall_sum=$(awk '{ s += $3 } END { print s / 1000 }' "$tmp/renew")
        echo
        echo "- Passes: $passes. Orders Pebble added: $orders for $DUE lineages (the orders over"
        echo "  $DUE were lost with a stalled Pebble and made again); lineages renewed exactly"
        echo "  once: $once, more than once: $more, still due after: $still_due."
        awk -v db="$db_ms" -v w="$wall_sum" -v c="$db_calls" 'BEGIN {
            printf "- Database time (pg_stat_statements, sum of total_exec_time): %.0f ms in %s\n", db, c
            printf "  statements, over %.0f ms of node wall time summed: %.1f %%.\n", w, db / w * 100 }'
        echo
        echo '| statement (first 70 characters) | total ms | calls | mean µs |'
        echo '|---|---:|---:|---:|'
        while IFS='|' read -r total calls mean query; do
            printf '| `%s` | %s | %s | %s |\n' "$query" "$total" "$calls" "$mean"
        done <"$tmp/top-statements"
    fi
    if [ -n "$failed" ]; then
        printf '\nFailures:%s\n' "$failed"
    fi
    printf '\nStore filled by examples/fleet_store.rs: %s\n' "$fill_line"
    printf 'Machine: %s cores, %s, %s; PostgreSQL %s (fsync off); load average %s at the end.\n' \
        "$(nproc)" "${model:-unknown CPU}" "$(uname -sr)" "$pg_version" \
        "$(cut -d ' ' -f 1-3 /proc/loadavg)"
    printf 'acmers: %s (%s). Benchmark took %s s.\n' \
        "$("$acmers" --version 2>&1 | tail -n 1)" "$acmers" "$elapsed"
} >"$md"

echo
cat "$md"
if [ -n "$OUT" ]; then
    cp "$md" "$OUT"
    say "Markdown written to $OUT"
fi
if [ -n "$failed" ]; then
    printf 'error: failed:%s\n' "$failed" >&2
    exit 1
fi
