#!/usr/bin/env bash
# Benchmark `acmers --cron` over synthetic acme.sh homes (issue 3).
#
# Part 1, nothing due: for every size in SIZES, writes a home of that many lineages with
# examples/bench_home.rs (own P-256 key and certificate per lineage, one local test CA,
# acme.sh-format confs, next renewal in 60 days) and runs `acmers --cron --home H` REPS
# times. It reports the first run and the median wall time, CPU time (user + sys) and peak
# RSS, and two I/O floors: `find H -name '*.conf' | xargs cat` (without the `<d>.csr.conf`
# files), and reading each lineage conf by the path its folder name gives. Every Le_API and
# DEFAULT_ACME_SERVER points at https://127.0.0.1:9/dir, where nothing listens, so a request
# that should not happen fails loudly; a run must exit 0 and leave every key, CSR,
# certificate and conf of the home unchanged.
#
# Part 2, renewals (skipped with DUE=0): starts a throwaway Pebble on loopback, writes a
# home of DUE lineages that are all due, pointing at it (standalone http-01 on one port),
# registers the account with one untimed `--issue`, and for every N in PARALLEL times
# `acmers --cron --parallel N` on a fresh copy of that home. It reports the wall time, the
# number of renewed lineages and the requests Pebble handled.
#
# Part 3, ARI checks (skipped with ARI=0): starts examples/ari_server.rs (a local plain-HTTP
# renewalInfo endpoint on loopback), writes a home of ARI lineages that are not due but whose
# ARI check is due (no Acmers_ARI_NextCheck), and for every N in ARI_PARALLEL runs `acmers
# --cron --parallel N` on a fresh copy, then once more on the same copy (within the check
# interval). It reports wall time and the requests the endpoint got for both passes, and
# checks that every lineage saved a window and no certificate or key changed.
#
# Usage: bench/renew_all.sh
# Environment:
#   SIZES="1000 10000 100000"  lineages per home in part 1; SIZES=" " skips part 1
#   REPS=3                     --cron runs per home in part 1
#   DUE=100                    due lineages in part 2; 0 skips part 2
#   PARALLEL="1 8"             --parallel values in part 2
#   ARI=10000                  lineages whose ARI check is due in part 3; 0 skips part 3
#   ARI_PARALLEL="4 16"        --parallel values in part 3
#   OUT=FILE                   also write the results as Markdown to FILE
#   ACMERS=BIN                 measure this acmers binary [default: target/release/acmers]
#   BENCH_HOME=BIN             generator binary [default: target/release/examples/bench_home]
#   ARI_SERVER=BIN             ARI endpoint [default: target/release/examples/ari_server]
#                              Whatever of the two is not given is built with
#                              `cargo build --release --locked`.
#   KEEP=1                     keep the scratch folder (also kept when a run fails)
#   TMPDIR                     where the homes go: the 100,000-lineage home takes ~3 GiB
#
# Needs: GNU time (/usr/bin/time, Debian `time`); for part 2 pebble, pebble-challtestsrv
# (Debian `pebble`) and openssl. Everything stays on loopback; Pebble is stopped on exit.
set -eu

cd "$(dirname "$0")/.."
repo=$(pwd)
started=$EPOCHREALTIME

SIZES=${SIZES:-1000 10000 100000}
REPS=${REPS:-3}
DUE=${DUE:-100}
PARALLEL=${PARALLEL:-1 8}
ARI=${ARI:-10000}
ARI_PARALLEL=${ARI_PARALLEL:-4 16}
OUT=${OUT:-}
KEEP=${KEEP:-}
# Nothing listens on the discard port of loopback: any request is refused at once.
UNREACHABLE=https://127.0.0.1:9/dir
# The issue's targets.
TARGET_10K_MS=1000
TARGET_100K_MS=10000
TARGET_RSS_MIB=64

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}
positive() { # name value
    case $2 in '' | *[!0-9]* | 0) die "$1 must be a positive integer, not '$2'" ;; esac
}

positive REPS "$REPS"
for size in $SIZES; do positive "SIZES entry" "$size"; done
case $DUE in '' | *[!0-9]*) die "DUE must be a non-negative integer, not '$DUE'" ;; esac
if [ "$DUE" -gt 0 ]; then
    for p in $PARALLEL; do positive "PARALLEL entry" "$p"; done
fi
case $ARI in '' | *[!0-9]*) die "ARI must be a non-negative integer, not '$ARI'" ;; esac
if [ "$ARI" -gt 0 ]; then
    for p in $ARI_PARALLEL; do positive "ARI_PARALLEL entry" "$p"; done
fi
[ -x /usr/bin/time ] || die "GNU time is missing at /usr/bin/time (Debian package 'time')"
if [ "$DUE" -gt 0 ]; then
    for bin in pebble pebble-challtestsrv openssl; do
        command -v "$bin" >/dev/null 2>&1 ||
            die "$bin not found (Debian packages: pebble, openssl); DUE=0 skips the renewals"
    done
    [ -r /proc/net/tcp ] || die "this script reads /proc/net to find free ports (Linux only)"
fi

# Everything is on loopback: no proxy, and Pebble is trusted through CA_BUNDLE only.
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY http_proxy https_proxy all_proxy no_proxy
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE

# --- binaries -------------------------------------------------------------------------------
acmers=${ACMERS:-$repo/target/release/acmers}
gen=${BENCH_HOME:-$repo/target/release/examples/bench_home}
ari_server=${ARI_SERVER:-$repo/target/release/examples/ari_server}
build=()
[ -n "${ACMERS:-}" ] || build+=(--bin acmers)
[ -n "${BENCH_HOME:-}" ] || build+=(--example bench_home)
[ -n "${ARI_SERVER:-}" ] || [ "$ARI" -eq 0 ] || build+=(--example ari_server)
if [ "${#build[@]}" -gt 0 ]; then
    say "building (cargo build --release --locked ${build[*]})"
    cargo build --release --locked "${build[@]}"
fi
[ -x "$acmers" ] || die "no acmers binary at $acmers"
[ -x "$gen" ] || die "no bench_home binary at $gen"

# --- scratch folder and cleanup -------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/acmers-renew-all.XXXXXX")
results=$tmp/results # size run wall_us cpu_ms rss_kib
floors=$tmp/floors   # size run find_wall_us open_wall_us
gens=$tmp/gens       # size wall_us
renewals=$tmp/renewals # parallel rc wall_us cpu_ms rss_kib renewed new_certs requests
aris=$tmp/aris # parallel rc wall_us cpu_ms rss_kib windows requests rc2 wall2_us requests2
: >"$aris"
: >"$results"
: >"$floors"
: >"$gens"
: >"$renewals"
pids=
failed=

cleanup() {
    status=$?
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for pid in $pids; do wait "$pid" 2>/dev/null || true; done
    if [ "$status" -ne 0 ] || [ -n "$failed" ] || [ -n "$KEEP" ]; then
        printf 'scratch folder kept: %s\n' "$tmp" >&2
    else
        rm -rf "$tmp"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- measuring ------------------------------------------------------------------------------
# Runs "$@" under GNU time; $0 is a file prefix: "user sys maxrss_kib" goes to $0.time, the
# wall clock in microseconds (bash EPOCHREALTIME around GNU time) to $0.wall. Exits with the
# command's code.
# shellcheck disable=SC2016 # expanded by the inner bash
timer='
s=${EPOCHREALTIME/./}
/usr/bin/time -f "%U %S %M" -o "$0.time" "$@"
rc=$?
e=${EPOCHREALTIME/./}
echo $((e - s)) >"$0.wall"
exit $rc'

# measure LOG CMD...: one timed run with output to LOG; sets m_rc, m_wall (µs), m_cpu (ms),
# m_rss (KiB).
measure() {
    m_log=$1
    shift
    m_rc=0
    bash -c "$timer" "$tmp/measure" "$@" >"$m_log" 2>&1 || m_rc=$?
    m_wall=$(cat "$tmp/measure.wall")
    # GNU time's last line (it prepends one for a non-zero exit).
    read -r m_cpu m_rss < <(tail -n 1 "$tmp/measure.time" |
        awk '{ printf "%.0f %d\n", ($1 + $2) * 1000, $3 }')
}

# Wall time in µs of "$@" in w_wall (no GNU time: for the generator and the I/O floor);
# returns the command's exit code.
wall_of() {
    w_s=${EPOCHREALTIME/./}
    w_rc=0
    "$@" || w_rc=$?
    w_e=${EPOCHREALTIME/./}
    w_wall=$((w_e - w_s))
    return "$w_rc"
}

fail() {
    printf 'FAILED: %s\n' "$*" >&2
    failed="$failed
- $*"
}

# The files of a home's lineages that a renewal would rewrite, newer than stamp $2.
changed_files() { # home stamp
    find "$1" -mindepth 2 -type f \( -name '*.conf' -o -name '*.cer' -o -name '*.key' \
        -o -name '*.csr' \) -newer "$2" -print
}

# --- part 1: nothing due --------------------------------------------------------------------
# Two I/O floors: every lineage conf found by walking the home (as `find | xargs cat`), and
# every lineage conf opened by the path its folder name gives (one readdir of the home, then
# an open and a read per lineage: the least a renew-all pass must do).
floor_find() {
    find "$1" -mindepth 2 -maxdepth 2 -name '*.conf' ! -name '*.csr.conf' -print0 |
        xargs -0 cat >/dev/null
}
floor_open() {
    (cd "$1" && find . -mindepth 1 -maxdepth 1 -name '*_ecc' -printf '%f\n' |
        sed 's|^\(.*\)_ecc$|\1_ecc/\1.conf|' | xargs cat >/dev/null)
}

for size in $SIZES; do
    home=$tmp/home-$size
    say "$size lineages: generating"
    wall_of "$gen" --home "$home" --count "$size" --server "$UNREACHABLE" \
        >"$tmp/gen-$size.log" 2>&1 || {
        cat "$tmp/gen-$size.log" >&2
        die "bench_home failed for $size lineages"
    }
    tail -n 1 "$tmp/gen-$size.log"
    echo "$size $w_wall" >>"$gens"
    stamp=$tmp/stamp-$size
    touch "$stamp"

    say "$size lineages: I/O floors (find | xargs cat, and open by name), $REPS runs"
    run=1
    while [ "$run" -le "$REPS" ]; do
        wall_of floor_find "$home"
        find_wall=$w_wall
        wall_of floor_open "$home"
        echo "$size $run $find_wall $w_wall" >>"$floors"
        run=$((run + 1))
    done

    say "$size lineages: acmers --cron, $REPS runs"
    run=1
    while [ "$run" -le "$REPS" ]; do
        log=$tmp/cron-$size-$run.log
        measure "$log" "$acmers" --cron --home "$home"
        printf '    run %s: rc %s, %s ms wall, %s ms CPU, %s KiB peak RSS\n' \
            "$run" "$m_rc" "$((m_wall / 1000))" "$m_cpu" "$m_rss"
        if [ "$m_rc" -ne 0 ]; then
            fail "$size lineages, run $run: acmers --cron exited $m_rc (log: $log)"
            tail -n 15 "$log" >&2
            break
        fi
        echo "$size $run $m_wall $m_cpu $m_rss" >>"$results"
        run=$((run + 1))
    done
    changed=$(changed_files "$home" "$stamp" | wc -l)
    if [ "$changed" -ne 0 ]; then
        fail "$size lineages: --cron changed $changed lineage files, none was due" \
            "(first: $(changed_files "$home" "$stamp" | head -n 1))"
    fi
    # A failed size keeps its home for a look; the others take up to ~3 GiB each.
    case $failed in *"- $size lineages"*) ;; *) [ -n "$KEEP" ] || rm -rf "$home" ;; esac
done

# --- part 2: due lineages renewed against Pebble --------------------------------------------
# shellcheck source=bench/pebble.sh
. "$repo/bench/pebble.sh"

# How many of the generated lineages (l<i>.bench.test) of home $1 are no longer due.
not_due_count() {
    now=$(date +%s)
    find "$1" -mindepth 2 -maxdepth 2 -path '*/l*.bench.test_ecc/*' -name '*.conf' \
        ! -name '*.csr.conf' -print0 |
        xargs -0 -r sed -n "s/^Le_NextRenewTime='\([0-9]*\)'\$/\1/p" |
        awk -v now="$now" '$1 > now { n++ } END { print n + 0 }'
}

if [ "$DUE" -gt 0 ]; then
    say "starting Pebble (PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0, PEBBLE_AUTHZREUSE=0)"
    start_pebble
    template=$tmp/due-template
    say "$DUE due lineages: generating (standalone http-01 on port $http_port)"
    "$gen" --home "$template" --count "$DUE" --due "$DUE" --server "$server" \
        --http-port "$http_port" --ca-bundle "$ca_pem" >"$tmp/gen-due.log" 2>&1 || {
        cat "$tmp/gen-due.log" >&2
        die "bench_home failed for the due home"
    }
    tail -n 1 "$tmp/gen-due.log"
    # One untimed issuance registers the account, as a production home has one; the new
    # lineage is not due and --cron skips it.
    say "registering the account (one untimed --issue)"
    "$acmers" --issue -d warmup.bench.test --standalone --httpport "$http_port" \
        --server "$server" --ca-bundle "$ca_pem" --home "$template" \
        >"$tmp/warmup.log" 2>&1 || {
        tail -n 15 "$tmp/warmup.log" >&2
        die "the warm-up issuance failed (log: $tmp/warmup.log)"
    }

    for p in $PARALLEL; do
        home=$tmp/due-p$p
        rm -rf "$home"
        cp -a "$template" "$home"
        stamp=$tmp/stamp-due-p$p
        touch "$stamp"
        say "$DUE due lineages: acmers --cron --parallel $p"
        before=$(requests_so_far)
        log=$tmp/cron-due-p$p.log
        measure "$log" "$acmers" --cron --parallel "$p" --home "$home"
        after=$(requests_so_far)
        renewed=$(not_due_count "$home")
        new_certs=$(find "$home" -mindepth 2 -maxdepth 2 -path '*/l*.bench.test_ecc/*' \
            -name 'l*.bench.test.cer' -newer "$stamp" | wc -l)
        printf '    rc %s, %s ms wall, %s ms CPU, %s KiB peak RSS, %s of %s renewed, %s requests\n' \
            "$m_rc" "$((m_wall / 1000))" "$m_cpu" "$m_rss" "$renewed" "$DUE" "$((after - before))"
        echo "$p $m_rc $m_wall $m_cpu $m_rss $renewed $new_certs $((after - before))" >>"$renewals"
        if [ "$m_rc" -ne 0 ]; then
            fail "--parallel $p: acmers --cron exited $m_rc (log: $log)"
            tail -n 15 "$log" >&2
        fi
        if [ "$renewed" -ne "$DUE" ] || [ "$new_certs" -ne "$DUE" ]; then
            fail "--parallel $p: $renewed of $DUE lineages renewed, $new_certs new certificates"
        fi
        case $failed in *"- --parallel $p:"*) ;; *) [ -n "$KEEP" ] || rm -rf "$home" ;; esac
    done
fi

# --- part 3: ARI checks due ------------------------------------------------------------------
if [ "$ARI" -gt 0 ]; then
    [ -x "$ari_server" ] || die "no ari_server binary at $ari_server"
    say "starting the local ARI endpoint (examples/ari_server.rs)"
    ari_log=$tmp/ari-server.log
    "$ari_server" >"$ari_log" 2>&1 &
    pids="$pids $!"
    for _ in $(seq 100); do
        [ -s "$ari_log" ] && break
        sleep 0.05
    done
    ari_port=$(sed -n 's/^listening on //p' "$ari_log" | head -n 1)
    [ -n "$ari_port" ] || die "the ARI endpoint did not start (log: $ari_log)"
    ari_template=$tmp/ari-template
    say "$ARI lineages whose ARI check is due: generating"
    "$gen" --home "$ari_template" --count "$ARI" --server "http://127.0.0.1:$ari_port/dir" \
        --ari-check-due >"$tmp/gen-ari.log" 2>&1 || {
        cat "$tmp/gen-ari.log" >&2
        die "bench_home failed for the ARI home"
    }
    tail -n 1 "$tmp/gen-ari.log"
    ari_requests() { grep -c '^GET ' "$ari_log" || true; }
    for p in $ARI_PARALLEL; do
        home=$tmp/ari-p$p
        rm -rf "$home"
        cp -a "$ari_template" "$home"
        stamp=$tmp/stamp-ari-p$p
        touch "$stamp"
        say "$ARI ARI checks: acmers --cron --parallel $p, then again"
        before=$(ari_requests)
        log=$tmp/cron-ari-p$p.log
        measure "$log" "$acmers" --cron --parallel "$p" --home "$home"
        set -- "$m_rc" "$m_wall" "$m_cpu" "$m_rss"
        middle=$(ari_requests)
        measure "$log.2" "$acmers" --cron --parallel "$p" --home "$home"
        after=$(ari_requests)
        windows=$(find "$home" -mindepth 2 -maxdepth 2 -name 'l*.bench.test.conf' -print0 |
            xargs -0 grep -l '^Acmers_ARI_RenewAt=' | wc -l)
        changed=$(find "$home" -mindepth 2 -type f \( -name '*.cer' -o -name '*.key' \
            -o -name '*.csr' \) -newer "$stamp" | wc -l)
        printf '    rc %s, %s ms wall, %s requests; again: rc %s, %s ms wall, %s requests; %s windows\n' \
            "$1" "$(($2 / 1000))" "$((middle - before))" "$m_rc" "$((m_wall / 1000))" \
            "$((after - middle))" "$windows"
        echo "$p $1 $2 $3 $4 $windows $((middle - before)) $m_rc $m_wall $((after - middle))" >>"$aris"
        [ "$1" -eq 0 ] && [ "$m_rc" -eq 0 ] || fail "ARI --parallel $p: acmers --cron failed (log: $log)"
        [ "$windows" -eq "$ARI" ] || fail "ARI --parallel $p: $windows of $ARI windows saved"
        [ "$changed" -eq 0 ] || fail "ARI --parallel $p: $changed certificates, keys or CSRs changed"
        [ "$((after - middle))" -eq 0 ] || fail "ARI --parallel $p: the second pass made requests"
        case $failed in *"- ARI --parallel $p:"*) ;; *) [ -n "$KEEP" ] || rm -rf "$home" ;; esac
    done
fi

# --- report ---------------------------------------------------------------------------------
median() {
    sort -n | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# column FILE SIZE FIELD: that field of every line of FILE for SIZE.
column() { awk -v s="$2" -v f="$3" '$1 == s { print $f }' "$1"; }

# Sets r_runs, r_first (ms), r_wall (ms), r_per_k (ms per 1,000), r_cpu (ms), r_rss (MiB),
# r_floor and r_open (ms), r_gen (s) for SIZE.
stats() {
    r_runs=$(column "$results" "$1" 3 | wc -l | tr -d ' ')
    r_first=$(awk -v s="$1" '$1 == s && $2 == 1 { printf "%.0f", $3 / 1000 }' "$results")
    r_wall=$(column "$results" "$1" 3 | median | awk '{ printf "%.0f", $1 / 1000 }')
    r_per_k=$(column "$results" "$1" 3 | median |
        awk -v n="$1" '{ printf "%.1f", $1 / 1000 / n * 1000 }')
    r_cpu=$(column "$results" "$1" 4 | median | awk '{ printf "%.0f", $1 }')
    r_rss=$(column "$results" "$1" 5 | sort -n | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }')
    r_floor=$(column "$floors" "$1" 3 | median | awk '{ printf "%.0f", $1 / 1000 }')
    r_open=$(column "$floors" "$1" 4 | median | awk '{ printf "%.0f", $1 / 1000 }')
    r_gen=$(column "$gens" "$1" 2 | awk '{ printf "%.1f", $1 / 1e6 }')
}

verdict() { # value limit
    awk -v v="$1" -v l="$2" 'BEGIN { print (v != "" && v + 0 < l + 0) ? "met" : "NOT met" }'
}

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
fs=$(df -T "$tmp" 2>/dev/null | awk 'NR == 2 { print $2 }')
elapsed=$(awk -v s="$started" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.0f", e - s }')
report_sizes() {
    echo '| lineages | runs | first run wall ms | wall ms (median) | ms per 1,000 lineages | CPU ms | peak RSS MiB | floor: find + cat ms | floor: open by name ms | generated in s |'
    echo '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    for size in $SIZES; do
        stats "$size"
        if [ "$r_runs" -eq 0 ]; then
            printf '| %s | 0 (failed) | - | - | - | - | - | %s | %s | %s |\n' "$size" "$r_floor" \
                "$r_open" "$r_gen"
            continue
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$size" "$r_runs" \
            "$r_first" "$r_wall" "$r_per_k" "$r_cpu" "$r_rss" "$r_floor" "$r_open" "$r_gen"
    done
    cat <<NOTES

\`acmers --cron --home H\` over homes where no lineage is due, REPS=$REPS runs each, right
after generating the home (warm page cache). Wall: bash EPOCHREALTIME around GNU time; CPU
(user + sys, 10 ms resolution) and peak RSS (largest over the runs) from GNU time. Floors
(median of REPS): every lineage's \`<d>.conf\` read with \`find H -mindepth 2 -maxdepth 2
-name '*.conf' ! -name '*.csr.conf' | xargs cat\`, and read by the path its folder name gives
(one readdir of H, then one open and read per lineage). Every run exited 0 unless marked
failed, and no key, CSR, certificate or conf of any lineage changed.

NOTES
    for size in $SIZES; do
        stats "$size"
        [ "$r_runs" -gt 0 ] || continue
        case $size in
        10000) printf -- '- 10,000 lineages in under 1 s: %s ms, %s\n' "$r_wall" \
            "$(verdict "$r_wall" "$TARGET_10K_MS")" ;;
        100000) printf -- '- 100,000 lineages in under 10 s: %s ms, %s\n' "$r_wall" \
            "$(verdict "$r_wall" "$TARGET_100K_MS")" ;;
        esac
        printf -- '- %s lineages, peak RSS under %s MiB: %s MiB, %s\n' "$size" "$TARGET_RSS_MIB" \
            "$r_rss" "$(verdict "$r_rss" "$TARGET_RSS_MIB")"
    done
}

report_renewals() {
    echo
    echo "| --parallel | exit code | wall ms | ms per renewal | CPU ms | peak RSS MiB | renewed | requests |"
    echo '|---:|---:|---:|---:|---:|---:|---:|---:|'
    while read -r p rc wall cpu rss renewed _ requests; do
        awk -v p="$p" -v rc="$rc" -v w="$wall" -v c="$cpu" -v r="$rss" -v n="$renewed" \
            -v d="$DUE" -v q="$requests" 'BEGIN {
            printf "| %s | %s | %.0f | %.1f | %s | %.1f | %s of %s | %s |\n",
                p, rc, w / 1000, w / 1000 / d, c, r / 1024, n, d, q }'
    done <"$renewals"
    cat <<NOTES

\`acmers --cron --parallel N\` on a fresh copy of a home with $DUE due lineages (standalone
http-01, one port for all) and a registered account, against a local Pebble with
PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0 and PEBBLE_AUTHZREUSE=0. Renewed: lineages
whose Le_NextRenewTime moved into the future; requests: Pebble's ' -> calling handler()'
log lines during the run.
NOTES
}

report_ari() {
    echo
    echo "| --parallel | exit code | wall ms | CPU ms | peak RSS MiB | windows saved | requests | again: wall ms | again: requests |"
    echo '|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    while read -r p rc wall cpu rss windows requests _ wall2 requests2; do
        awk -v p="$p" -v rc="$rc" -v w="$wall" -v c="$cpu" -v r="$rss" -v n="$windows" \
            -v d="$ARI" -v q="$requests" -v w2="$wall2" -v q2="$requests2" 'BEGIN {
            printf "| %s | %s | %.0f | %s | %.1f | %s of %s | %s | %.0f | %s |\n",
                p, rc, w / 1000, c, r / 1024, n, d, q, w2 / 1000, q2 }'
    done <"$aris"
    cat <<NOTES

\`acmers --cron --parallel N\` on a fresh copy of a home with $ARI lineages that are not due
but whose ARI check is due (no \`Acmers_ARI_NextCheck\`), against a local plain-HTTP
renewalInfo endpoint (examples/ari_server.rs: a window 30 days out, \`Retry-After: 21600\`),
then the same command once more on the same home. Requests: the endpoint's request lines
(directory and renewalInfo) during each run.
NOTES
}

md=$tmp/report.md
{
    [ -z "${SIZES// /}" ] || report_sizes
    [ "$DUE" -eq 0 ] || report_renewals
    [ "$ARI" -eq 0 ] || report_ari
    if [ -n "$failed" ]; then
        printf '\nFailures:%s\n' "$failed"
    fi
    printf '\nMachine: %s cores, %s, %s; scratch on %s; load average %s at the end.\n' \
        "$(nproc)" "${model:-unknown CPU}" "$(uname -sr)" "${fs:-unknown fs}" \
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
