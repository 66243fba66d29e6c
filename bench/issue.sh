#!/usr/bin/env bash
# Benchmark one-name issuance against a throwaway local Pebble, for acmers and for the
# ACME clients packaged in Debian that are installed here (certbot, lego, uacme,
# dehydrated). For every account mode it runs N rounds; a round issues one new P-256 name
# with every client in turn (interleaved, so a busy machine slows all clients alike). It
# reports per client and mode the median wall time, CPU time (user + sys), peak RSS and the
# number of HTTP requests Pebble handled during each run.
#
# Usage: bench/issue.sh [CLIENT...]
#   CLIENT      acmers, certbot, lego, uacme, dehydrated
#               [default: acmers plus every peer found on PATH]
# Environment:
#   N=10        rounds per mode
#   MODES="fresh reused"
#               fresh: a new account (new config folder) per run, registration timed;
#               reused: one account registered beforehand by an untimed warm-up issuance,
#               then every timed run issues a new name with it
#   OUT=FILE    also write the results as Markdown to FILE
#   ACMERS=BIN  measure this acmers binary [default: target/release/acmers, built with
#               `cargo build --release --locked` first]
#   KEEP=1      keep the scratch folder (it is also kept when a run fails)
#
# What is timed: each client's own processes and nothing else. A small launcher (C, built
# with cc in the scratch folder) reads the monotonic clock, starts the client with
# posix_spawn, waits for it with wait4 and reads the clock again: the wall time is the
# client's process from its start to its exit (for a client that registers with a separate
# command, uacme and dehydrated in fresh mode, the sum of its two processes). The shell,
# `unshare` and `mount` (uacme's CA folder, below) run before the launcher, outside the
# clock. CPU time (user + sys) and peak RSS come from the same wait4's resource usage (of
# the client and the processes it waited for; RSS of the largest).
# uacme sometimes loses its race with Pebble's validation and sleeps 5 s before it polls
# again; a uacme run of 4.5 s or more is counted apart ("slept"), and the medians leave out
# that round for every client (a slow Pebble comes with it).
#
# Needs: pebble and pebble-challtestsrv (Debian `pebble`), openssl, cc; nginx for the
# webroot clients (uacme, dehydrated); unshare and mount (util-linux, root) for uacme,
# which can only trust the CA bundle compiled into its libcurl. Nothing is installed here
# except building acmers. Everything stays on loopback; Pebble, its DNS and nginx are
# stopped on exit.
set -eu

cd "$(dirname "$0")/.."
repo=$(pwd)
started=$EPOCHREALTIME

N=${N:-10}
MODES=${MODES:-fresh reused}
OUT=${OUT:-}
KEEP=${KEEP:-}
PEERS="certbot lego uacme dehydrated"
# Pebble's minimum number of requests for one name (from the issue): directory, nonce,
# newAccount, newOrder, authorization, challenge, authorization poll, finalize, order
# poll, certificate; no newAccount with a reused account.
FLOOR_fresh=10
FLOOR_reused=9
# The issue's target for acmers (issue 8): median wall time at most this share of uacme's
# in the same run, at most one request above the floor, peak RSS at most 15 MiB.
TARGET_RATIO=0.6
# A uacme run this long (ms) slept 5 s waiting for a pending authorization.
SLEPT_MS=4500

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

case $N in '' | *[!0-9]* | 0) die "N must be a positive integer, not '$N'" ;; esac
for mode in $MODES; do
    case $mode in fresh | reused) ;; *) die "unknown mode '$mode' in MODES (fresh, reused)" ;; esac
done
for bin in pebble pebble-challtestsrv openssl cc; do
    command -v "$bin" >/dev/null 2>&1 ||
        die "$bin not found (Debian packages: pebble, openssl, gcc)"
done
[ -r /proc/net/tcp ] || die "this script reads /proc/net to find free ports (Linux only)"

# Everything is on loopback: no proxy for anyone.
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY http_proxy https_proxy all_proxy no_proxy
# Each client trusts Pebble through its own option below, on top of its own defaults: no
# trust-store overrides from the caller's environment.
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE

# --- which clients ----------------------------------------------------------------------
have() { command -v "$1" >/dev/null 2>&1; }
skipped=
skip() {
    printf 'skipped: %s\n' "$*"
    skipped="$skipped- skipped: $*
"
}
nginx_bin=$(command -v nginx 2>/dev/null || true)
[ -n "$nginx_bin" ] || { [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx; } || true

if [ "$#" -gt 0 ]; then
    clients=$*
else
    clients=acmers
    for peer in $PEERS; do
        if have "$peer"; then
            clients="$clients $peer"
        else
            skip "$peer not installed"
        fi
    done
fi
skip "acme.sh is not packaged in Debian, so it is not run (the issue measured 8.1 s)"
for client in $clients; do
    case $client in
    acmers) ;;
    certbot | lego | uacme | dehydrated)
        have "$client" || die "$client is not installed"
        ;;
    *) die "unknown client '$client' (acmers, $PEERS)" ;;
    esac
done

# --- acmers -------------------------------------------------------------------------------
case " $clients " in
*" acmers "*)
    if [ -n "${ACMERS:-}" ]; then
        acmers=$ACMERS
    else
        acmers=$repo/target/release/acmers
        # Always: cargo does nothing when the binary is current, and a stale one is never
        # measured.
        say "building acmers (cargo build --release --locked)"
        cargo build --release --locked --bin acmers
    fi
    [ -x "$acmers" ] || die "no acmers binary at $acmers"
    ;;
esac

# --- scratch folder and cleanup -----------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/acmers-bench.XXXXXX")
# nginx workers run as an unprivileged user: they must traverse into the webroot.
chmod 711 "$tmp"
results=$tmp/results # client mode run wall_us cpu_us rss_kib requests slept
: >"$results"
pids=
nginx_pid=
failed=

cleanup() {
    status=$?
    [ -z "$nginx_pid" ] || kill "$nginx_pid" 2>/dev/null || true
    [ -z "$nginx_pid" ] || wait "$nginx_pid" 2>/dev/null || true
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

# --- ports ----------------------------------------------------------------------------------
# shellcheck source=bench/pebble.sh
. "$repo/bench/pebble.sh"

wait_closed() { # port
    i=0
    while listening "$1"; do
        i=$((i + 1))
        [ "$i" -le 100 ] || die "port $1 is still in use after 10 s"
        sleep 0.1
    done
}


# --- nginx for the webroot clients ----------------------------------------------------------
webroot=$tmp/www
challenges=$webroot/.well-known/acme-challenge

nginx_up() {
    [ -z "$nginx_pid" ] || return 0
    [ -n "$nginx_bin" ] || die "nginx is needed for the webroot clients (Debian package nginx)"
    wait_closed "$http_port"
    mkdir -p "$challenges" "$tmp/nginx"
    chmod 755 "$webroot" "$webroot/.well-known" "$challenges"
    d=$tmp/nginx
    cat >"$d/nginx.conf" <<CONF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server {
        listen 127.0.0.1:$http_port;
        root $webroot;
    }
}
CONF
    "$nginx_bin" -p "$d" -e "$d/error.log" -c "$d/nginx.conf" -g 'daemon off;' \
        >"$tmp/nginx.log" 2>&1 &
    nginx_pid=$!
    wait_listening nginx "$nginx_pid" "$http_port"
}

nginx_down() {
    [ -n "$nginx_pid" ] || return 0
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
    wait_closed "$http_port"
}

# --- measuring --------------------------------------------------------------------------------
# The launcher, a small C program built here: timer OUT [VAR=value...] CMD... [::: CMD...]...
# runs the commands one after the other (stopping at the first failure) and writes
# "wall_us cpu_us maxrss_kib" to OUT; its exit status is the failing command's (128 + signal
# for a killed one). It reads the monotonic clock just before posix_spawn and just after
# wait4, so the clock holds the client's processes only. It is C, not a script, because
# posix_spawn starts the child in the launcher's own memory until the exec, and the kernel
# counts that memory in the child's peak RSS: the launcher must be smaller than any client.
timer=$tmp/timer
cat >"$timer.c" <<'C'
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double seconds(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

int main(int argc, char **argv) {
    double wall = 0, cpu = 0;
    long rss = 0;
    int status = 0;
    char **cmd = argv + 2;
    if (argc < 3) return 2;
    for (;;) {
        char **end = cmd;
        while (*end && strcmp(*end, ":::") != 0) end++;
        int last = *end == NULL;
        *end = NULL;
        while (*cmd && strchr(*cmd, '=') && **cmd != '/') putenv(*cmd++);
        if (!*cmd) return 2;
        struct timespec a, b;
        struct rusage ru;
        pid_t pid;
        int ws;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int err = posix_spawnp(&pid, cmd[0], NULL, NULL, cmd, environ);
        if (err) {
            fprintf(stderr, "%s: %s\n", cmd[0], strerror(err));
            return 127;
        }
        if (wait4(pid, &ws, 0, &ru) < 0) {
            perror("wait4");
            return 125;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        wall += (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
        cpu += seconds(ru.ru_utime) + seconds(ru.ru_stime);
        if (ru.ru_maxrss > rss) rss = ru.ru_maxrss;
        status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        if (status != 0 || last) break;
        cmd = end + 1;
    }
    FILE *out = fopen(argv[1], "w");
    if (!out || fprintf(out, "%.0f %.0f %ld\n", wall * 1e6, cpu * 1e6, rss) < 0 || fclose(out))
        return 125;
    return status;
}
C
cc -O2 -o "$timer" "$timer.c" || die "cannot build the launcher with cc"
wrap=() # set by a client's issue function to run the launcher inside a wrapper

# measure CLIENT MODE RUN CMD...: one timed run; records a line in $results.
measure() {
    m_client=$1 m_mode=$2 m_run=$3
    shift 3
    m_log=$tmp/logs/$m_client-$m_mode-$m_run.log
    mkdir -p "$tmp/logs"
    before=$(requests_so_far)
    if ! "${wrap[@]}" "$timer" "$tmp/measure" "$@" >"$m_log" 2>&1; then
        printf 'FAILED: %s %s run %s: %s (log: %s)\n' "$m_client" "$m_mode" "$m_run" "$*" "$m_log" >&2
        tail -n 15 "$m_log" >&2
        failed="$failed $m_client/$m_mode"
        return 1
    fi
    after=$(requests_so_far)
    read -r m_wall m_cpu m_rss <"$tmp/measure"
    slept=0
    if [ "$m_client" = uacme ] && [ "$m_wall" -ge $((SLEPT_MS * 1000)) ]; then
        slept=1
    fi
    printf '%s %s %s %s %s %s %s %s\n' "$m_client" "$m_mode" "$m_run" \
        "$m_wall" "$m_cpu" "$m_rss" "$((after - before))" "$slept" >>"$results"
}

# untimed CLIENT MODE RUN CMD...: a setup step (warm-up issuance), same launcher.
untimed() {
    u_log=$tmp/logs/$1-$2-setup.log
    shift 3
    mkdir -p "$tmp/logs"
    "${wrap[@]}" "$timer" "$tmp/untimed" "$@" >>"$u_log" 2>&1 || {
        printf 'FAILED: setup %s (log: %s)\n' "$*" "$u_log" >&2
        tail -n 15 "$u_log" >&2
        return 1
    }
}

# step HOW CLIENT MODE RUN CMD...: HOW is measure (a timed run) or untimed (setup).
step() {
    how=$1
    shift
    if [ "$how" = measure ]; then measure "$@"; else untimed "$@"; fi
}

# The HTTP-01 responder a client needs on the challenge port: nginx for the webroot
# clients, nothing (the client's own server) for the others.
serve_for() {
    case $1 in
    uacme | dehydrated) nginx_up ;;
    *) nginx_down ;;
    esac
}

# run_mode MODE: prepare every client (reused: one untimed warm-up issuance each), then N
# rounds, each issuing a new name with every client in turn through
# CLIENT_issue MODE RUN NAME HOW. A client that fails leaves the rounds of that mode.
run_mode() {
    mode=$1
    active=
    for client in $clients; do
        wrap=()
        "${client}_prepare" "$mode" || continue
        if [ "$mode" = reused ]; then
            serve_for "$client"
            "${client}_issue" reused 0 "warmup.$client.example.test" untimed || {
                failed="$failed $client/$mode"
                continue
            }
        fi
        active="$active $client"
    done
    say "$mode account: $N rounds of:$active"
    round=1
    while [ "$round" -le "$N" ]; do
        for client in $active; do
            case " $failed " in *" $client/$mode "*) continue ;; esac
            serve_for "$client"
            wrap=()
            "${client}_issue" "$mode" "$round" "r$round.$mode.$client.example.test" measure ||
                true
        done
        round=$((round + 1))
    done
}

# use_state CLIENT MODE RUN: sets $state, the client's config folder: one per run for
# fresh, one per client for reused (kept from the warm-up on).
use_state() {
    if [ "$2" = reused ]; then
        state=$tmp/state/$1-reused
        mkdir -p "$state"
    else
        state=$tmp/state/$1-$2-$3
        rm -rf "$state"
        mkdir -p "$state"
    fi
}

# --- acmers -------------------------------------------------------------------------------------
acmers_version() {
    # Like acme.sh, --version prints the project URL, then the version.
    printf 'acmers %s (%s)' "$("$acmers" --version 2>&1 | tail -n 1)" "$acmers"
}
acmers_prepare() { :; }
acmers_issue() { # mode run name how
    use_state acmers "$1" "$2"
    step "$4" acmers "$1" "$2" "$acmers" --issue -d "$3" --standalone \
        --httpport "$http_port" --local-address 127.0.0.1 \
        --server "$server" --ca-bundle "$ca_pem" --home "$state"
}

# --- certbot ------------------------------------------------------------------------------------
certbot_version() { certbot --version 2>&1 | head -n 1; }
certbot_prepare() { :; }
certbot_issue() {
    use_state certbot "$1" "$2"
    step "$4" certbot "$1" "$2" REQUESTS_CA_BUNDLE="$ca_pem" \
        certbot certonly --standalone --preferred-challenges http \
        --http-01-port "$http_port" --http-01-address 127.0.0.1 --server "$server" \
        --agree-tos -m x@example.test --no-eff-email --non-interactive \
        --key-type ecdsa --elliptic-curve secp256r1 \
        --config-dir "$state/config" --work-dir "$state/work" --logs-dir "$state/logs" \
        -d "$3"
}

# --- lego ---------------------------------------------------------------------------------------
lego_version() {
    # Debian's lego calls itself "dev": the package version says more.
    printf '%s, Debian package %s' "$(lego --version 2>&1 | head -n 1)" \
        "$(dpkg-query -W -f '${Version}' lego 2>/dev/null || echo unknown)"
}
lego_prepare() { :; }
lego_issue() {
    use_state lego "$1" "$2"
    step "$4" lego "$1" "$2" LEGO_CA_CERTIFICATES="$ca_pem" \
        lego --server "$server" --accept-tos --email x@example.test \
        --http --http.port "127.0.0.1:$http_port" --key-type ec256 --path "$state" \
        -d "$3" run
}

# --- uacme --------------------------------------------------------------------------------------
# uacme has no option for a CA file and its libcurl (GnuTLS) reads no environment variable
# for one, so it runs in a private mount namespace where /etc/ssl/certs is replaced by a
# folder that holds only Pebble's TLS CA, as ca-certificates.crt. Only uacme sees that; the
# host is unchanged. It then trusts only Pebble, like the other clients here. (With the
# system store, Debian's libcurl-gnutls also reads every file of /etc/ssl/certs on each of
# uacme's TLS handshakes, a new connection per request: that alone costs it about 40 ms of
# CPU per request on the 2-core test box, which is not what this benchmark is about.)
# `unshare` and `mount` run before the launcher, outside the clock.
system_certs=/etc/ssl/certs
uacme_wrap=()
uacme_version() { uacme -V 2>&1 | sed -n '1s/^uacme: version /uacme /p'; }
uacme_prepare() {
    if [ ! -d "$tmp/uacme-certs" ]; then
        mkdir -m 755 "$tmp/uacme-certs"
        cp "$ca_pem" "$tmp/uacme-certs/ca-certificates.crt"
        cat >"$tmp/uacme-hook" <<HOOK
#!/bin/sh
# uacme challenge hook: METHOD TYPE IDENT TOKEN KEY_AUTH; accepts http-01 only.
[ "\$2" = http-01 ] || exit 1
case \$1 in
begin) printf '%s' "\$5" >"$challenges/\$4" && chmod 644 "$challenges/\$4" ;;
done | failed) rm -f "$challenges/\$4" ;;
esac
HOOK
        chmod 755 "$tmp/uacme-hook"
    fi
    # shellcheck disable=SC2016 # expanded by the inner sh
    uacme_wrap=(unshare --mount -- sh -c 'mount --bind "$0" "$1" && shift && exec "$@"'
        "$tmp/uacme-certs" "$system_certs")
    if ! "${uacme_wrap[@]}" true 2>"$tmp/uacme-unshare.log"; then
        skip "uacme: cannot bind-mount its CA folder in a private mount namespace:" \
            "$(head -n 1 "$tmp/uacme-unshare.log")"
        return 1
    fi
}
uacme_issue() {
    use_state uacme "$1" "$2"
    wrap=("${uacme_wrap[@]}")
    uacme=(uacme -a "$server" -c "$state")
    if [ "$1" = fresh ] || [ "$2" = 0 ]; then
        # A new account: registration and issuance, two processes timed together.
        step "$4" uacme "$1" "$2" "${uacme[@]}" -y new x@example.test \
            ::: "${uacme[@]}" -h "$tmp/uacme-hook" -t EC issue "$3"
    else
        step "$4" uacme "$1" "$2" "${uacme[@]}" -h "$tmp/uacme-hook" -t EC issue "$3"
    fi
}

# --- dehydrated ---------------------------------------------------------------------------------
dehydrated_version() {
    printf 'dehydrated %s' "$(dehydrated --version 2>/dev/null | sed -n 's/^Dehydrated version: //p')"
}
dehydrated_prepare() { :; }
dehydrated_issue() {
    use_state dehydrated "$1" "$2"
    cat >"$state/config" <<CONF
CA="$server"
CHALLENGETYPE="http-01"
WELLKNOWN="$challenges"
KEY_ALGO=prime256v1
BASEDIR="$state"
CURL_OPTS="--cacert $ca_pem"
CONTACT_EMAIL="x@example.test"
CONF
    d=(dehydrated --config "$state/config")
    if [ "$1" = fresh ] || [ "$2" = 0 ]; then
        # A new account: registration and issuance, two processes timed together.
        step "$4" dehydrated "$1" "$2" "${d[@]}" --register --accept-terms \
            ::: "${d[@]}" -c -d "$3"
    else
        step "$4" dehydrated "$1" "$2" "${d[@]}" -c -d "$3"
    fi
}

# --- report -------------------------------------------------------------------------------------
# median < numbers (one per line)
median() {
    sort -n | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# field CLIENT MODE FIELD: that field of every counted run (4 wall_us, 5 cpu_us, 6 rss_kib,
# 7 requests). A round in which some client slept is not counted for any client: a sleep
# comes with a slow Pebble, and keeping the other clients' runs of those rounds would compare
# them on a slower machine than the client that slept.
field() {
    awk -v c="$1" -v m="$2" -v f="$3" '
        NR == FNR { if ($2 == m && $8 == 1) slept[$3] = 1; next }
        $1 == c && $2 == m && !($3 in slept) { print $f }' "$results" "$results"
}

# slept CLIENT MODE: how many runs of the client slept.
slept() { awk -v c="$1" -v m="$2" '$1 == c && $2 == m && $8 == 1 { n++ } END { print n + 0 }' "$results"; }

# all_wall CLIENT MODE: median wall ms over all the client's runs that did not sleep
# themselves, rounds where another client slept included.
all_wall() {
    awk -v c="$1" -v m="$2" '$1 == c && $2 == m && $8 == 0 { print $4 }' "$results" |
        median | awk '{ printf "%.1f", $1 / 1000 }'
}

# Sets m_runs, m_slept, m_wall, m_wall_min, m_wall_max, m_cpu (ms), m_rss (MiB), m_req,
# m_req_min, m_req_max.
stats() {
    m_runs=$(field "$1" "$2" 4 | wc -l | tr -d ' ')
    m_slept=$(slept "$1" "$2")
    ms='{ printf "%.1f", $1 / 1000 }'
    m_wall=$(field "$1" "$2" 4 | median | awk "$ms")
    m_wall_min=$(field "$1" "$2" 4 | sort -n | head -n 1 | awk "$ms")
    m_wall_max=$(field "$1" "$2" 4 | sort -n | tail -n 1 | awk "$ms")
    m_cpu=$(field "$1" "$2" 5 | median | awk "$ms")
    m_rss=$(field "$1" "$2" 6 | median | awk '{ printf "%.1f", $1 / 1024 }')
    m_req=$(field "$1" "$2" 7 | median)
    m_req_min=$(field "$1" "$2" 7 | sort -n | head -n 1)
    m_req_max=$(field "$1" "$2" 7 | sort -n | tail -n 1)
}

report() {
    header='| client | mode | runs | slept | wall ms: median (min–max) | all rounds: wall ms | CPU ms | peak RSS MiB | requests (min–max) |'
    rule='|---|---|---:|---:|---|---:|---:|---:|---|'
    md=$tmp/report.md
    {
        printf '%s\n%s\n' "$header" "$rule"
        for client in $clients; do
            for mode in $MODES; do
                case " $failed " in
                *" $client/$mode "*) fail=' (failed)' ;;
                *) fail= ;;
                esac
                if [ -z "$(field "$client" "$mode" 4)" ]; then
                    printf '| %s | %s | 0%s | %s | - | - | - | - | - |\n' "$client" "$mode" \
                        "$fail" "$(slept "$client" "$mode")"
                    continue
                fi
                stats "$client" "$mode"
                printf '| %s | %s | %s%s | %s | %s (%s–%s) | %s | %s | %s | %s (%s–%s) |\n' \
                    "$client" "$mode" "$m_runs" "$fail" "$m_slept" "$m_wall" "$m_wall_min" \
                    "$m_wall_max" "$(all_wall "$client" "$mode")" "$m_cpu" "$m_rss" "$m_req" \
                    "$m_req_min" "$m_req_max"
            done
        done
        cat <<NOTES

N=$N rounds per mode; each round issues one new P-256 name with every client in turn,
against a local Pebble with PEBBLE_VA_NOSLEEP=1. fresh: a new account per run (registration
is timed); reused: one account registered by an untimed warm-up issuance. Wall: monotonic
clock around posix_spawn and wait4 of the client's own processes (no shell, wrapper or
timer start-up inside); CPU (user + sys) and peak RSS (of the largest single process, for
clients that run several) from wait4; requests: Pebble's ' -> calling handler()' log lines
during the run. Request floor: $FLOOR_fresh fresh, $FLOOR_reused reused. A uacme run of
$SLEPT_MS ms or more slept 5 s on a pending authorization: counted under "slept", and that
round is left out for every client ("runs" counts the rounds kept); "all rounds" is the
median over every run that did not sleep itself.
NOTES
        case " $clients " in
        *" uacme "*)
            printf '%s\n' "uacme has no CA option: it runs in a private mount namespace whose" \
                "/etc/ssl/certs holds only Pebble's TLS CA (set up outside the clock)."
            ;;
        esac
        printf '\n'

        for mode in $MODES; do
            target_line "$mode"
        done
        printf '%s' "$skipped"
        printf '\n%s\n' "$environment"
    } >"$md"
}

# The issue's target for acmers: median wall time at most TARGET_RATIO of uacme's in the
# same run, at most one request above the floor, peak RSS at most 15 MiB.
target_line() {
    case " $clients " in *" acmers "*) ;; *) return 0 ;; esac
    [ -n "$(field acmers "$1" 4)" ] || return 0
    stats acmers "$1"
    a_wall=$m_wall a_req=$m_req_max a_rss=$m_rss
    floor_var=FLOOR_$1
    floor=${!floor_var}
    line="- acmers $1: $a_wall ms"
    if [ -n "$(field uacme "$1" 4)" ]; then
        stats uacme "$1"
        limit=$(awk -v u="$m_wall" -v r="$TARGET_RATIO" 'BEGIN { printf "%.1f", u * r }')
        verdict=$(awk -v a="$a_wall" -v l="$limit" -v u="$m_wall" \
            'BEGIN { printf "ratio %.2f, %s", a / u, (a <= l) ? "met" : "NOT met" }')
        line="$line vs $TARGET_RATIO × uacme's $m_wall ms = $limit ms: $verdict"
    else
        line="$line (uacme did not run: no time target to compare)"
    fi
    req_verdict=$([ "$a_req" -le $((floor + 1)) ] && echo met || echo "NOT met")
    rss_verdict=$(awk -v r="$a_rss" 'BEGIN { print (r <= 15) ? "met" : "NOT met" }')
    line="$line; requests max $a_req vs floor $floor + 1: $req_verdict; peak RSS $a_rss MiB ≤ 15 MiB: $rss_verdict"
    printf '%s\n' "$line"
}

# --- main -------------------------------------------------------------------------------------
say "starting Pebble (PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0, PEBBLE_AUTHZREUSE=0)"
start_pebble

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
versions=
for client in $clients; do
    versions="$versions- $client: $("${client}_version")
"
done
pebble_version=$(dpkg-query -W -f '${Version}' pebble 2>/dev/null || echo unknown)

for mode in $MODES; do
    run_mode "$mode"
done
wrap=()
nginx_down

load_after=$(cut -d ' ' -f 1-3 /proc/loadavg)
elapsed=$(awk -v s="$started" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.0f", e - s }')
environment="Machine: $(nproc) cores, ${model:-unknown CPU}, $(uname -sr); load average $load_before at start, $load_after at end.
Pebble: Debian pebble $pebble_version. Benchmark took $elapsed s.
Clients:
${versions%
}"

report
echo
cat "$md"
if [ -n "$OUT" ]; then
    cp "$md" "$OUT"
    say "Markdown written to $OUT"
fi
if [ -n "$failed" ]; then
    printf 'error: failed runs:%s\n' "$failed" >&2
    exit 1
fi
