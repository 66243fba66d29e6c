#!/usr/bin/env bash
# Benchmark dns-01 issuance through RFC 2136 against a real BIND 9 and a throwaway local
# Pebble, for acmers (`--dns dns_nsupdate`, acme.sh's nsupdate variables) and for lego
# (`--dns rfc2136`). Each run issues one new apex + wildcard pair, `rN-CLIENT.acme.test` and
# `*.rN-CLIENT.acme.test`, so no name, TXT record or authorization is ever reused; a round
# runs every client once, in turn (interleaved, so a busy machine slows all clients alike).
# Each client registers its account in one untimed warm-up issuance first; every timed run
# reuses it. The script reports per client the median, min and max wall time, CPU time
# (user + sys), peak RSS and the DNS messages the client sent to BIND during each run, and
# acmers' median wall time as a share of lego's in the same run.
#
# Usage: bench/dns.sh [CLIENT...]
#   CLIENT      acmers, lego [default: both]
# Environment:
#   N=10        rounds
#   OUT=FILE    also write the results as Markdown to FILE
#   ACMERS=BIN  measure this acmers binary [default: target/release/acmers, built with
#               `cargo build --release --locked` first]; it needs dns_nsupdate and
#               --dns-resolver
#   KEEP=1      keep the scratch folder (it is also kept when a run fails)
#
# The rig: BIND (`named -g`) on a free loopback port, authoritative for `acme.test` only
# (recursion off, no rndc channel, query log on), accepting RFC 2136 updates signed with a
# fresh TSIG hmac-sha256 key for any name in the zone; Pebble's VA asks that BIND
# (-dnsserver) and nothing else. Both clients get the zone's server and port, the key and
# 127.0.0.1:PORT as their resolver, so no other resolver is ever asked: acmers checks
# propagation on that server itself (no --dnssleep); lego runs with its authoritative-NS
# check off (--dns.disable-cp: that check resolves NS names through the system resolver and
# asks them on port 53) and with the rfc2136 provider's pauses cut to 1 s
# (RFC2136_SEQUENCE_INTERVAL, RFC2136_POLLING_INTERVAL; the defaults, 60 s and 2 s, make one
# issuance take over a minute), i.e. at its best.
#
# What is timed: the client's own process and nothing else. A small launcher (C, built with
# cc in the scratch folder) reads the monotonic clock, starts the client with posix_spawn,
# waits for it with wait4 and reads the clock again; CPU time and peak RSS come from the same
# wait4. After each run, outside the clock, the script checks that the certificate's SANs
# are exactly the two names and that no `_acme-challenge` TXT record is left in BIND, and
# counts the client's DNS messages in BIND's log: queries (Pebble's validation queries, the
# only ones with RD set and no EDNS, are left out) and signed UPDATEs that changed the zone.
#
# Needs: named, tsig-keygen, named-checkconf, named-checkzone (Debian bind9, bind9-utils),
# dig (bind9-dnsutils), pebble, openssl, cc; lego for lego. Nothing is installed here except
# building acmers. Everything stays on loopback; BIND and Pebble are stopped on exit.
set -eu

cd "$(dirname "$0")/.."
repo=$(pwd)
started=$EPOCHREALTIME

N=${N:-10}
OUT=${OUT:-}
KEEP=${KEEP:-}
ZONE=acme.test
KEY_NAME=bench-key
# The project's target: acmers' median wall time below this share of lego's.
TARGET_RATIO=0.3

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

case $N in '' | *[!0-9]* | 0) die "N must be a positive integer, not '$N'" ;; esac
clients=${*:-acmers lego}
for client in $clients; do
    case $client in
    acmers) ;;
    lego) command -v lego >/dev/null 2>&1 || die "lego is not installed (Debian package lego)" ;;
    *) die "unknown client '$client' (acmers, lego)" ;;
    esac
done
PATH=$PATH:/usr/sbin
for bin in named tsig-keygen named-checkconf named-checkzone dig pebble openssl cc; do
    command -v "$bin" >/dev/null 2>&1 ||
        die "$bin not found (Debian packages: bind9, bind9-utils, bind9-dnsutils, pebble, openssl, gcc)"
done
[ -r /proc/net/tcp ] || die "this script reads /proc/net to find free ports (Linux only)"

# Everything is on loopback: no proxy for anyone, and no trust-store overrides from the
# caller's environment (each client trusts Pebble through its own option below).
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY http_proxy https_proxy all_proxy no_proxy
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE

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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/acmers-bench-dns.XXXXXX")
results=$tmp/results # client run wall_us cpu_us rss_kib queries updates
: >"$results"
pids=
failed=

# Stops our background daemons: only a pid whose /proc/PID/comm still names one of them.
cleanup() {
    status=$?
    for pid in $pids; do
        case $(cat "/proc/$pid/comm" 2>/dev/null) in
        named | pebble) kill "$pid" 2>/dev/null || true ;;
        esac
    done
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

# shellcheck source=bench/pebble.sh
. "$repo/bench/pebble.sh"

# --- BIND ---------------------------------------------------------------------------------
# dig_bind ARGS...: one query to the test BIND and nobody else, short timeouts.
dig_bind() { dig @127.0.0.1 -p "$bind_port" +time=2 +tries=1 "$@"; }

start_bind() {
    pick_port
    bind_port=$port
    d=$tmp/bind
    mkdir -p "$d"
    tsig-keygen -a hmac-sha256 "$KEY_NAME" >"$d/tsig.key"
    chmod 600 "$d/tsig.key"
    tsig_secret=$(sed -n 's/^[[:space:]]*secret "\(.*\)";/\1/p' "$d/tsig.key")
    [ -n "$tsig_secret" ] || die "no secret in $d/tsig.key"
    # Short TTLs and a 5 s negative TTL; the wildcard makes every name in the zone resolve.
    cat >"$d/$ZONE.zone" <<ZONEFILE
\$ORIGIN $ZONE.
\$TTL 60
@    IN SOA ns.$ZONE. hostmaster.$ZONE. ( 1 60 60 600 5 )
@    IN NS  ns.$ZONE.
ns   IN A   127.0.0.1
@    IN A   127.0.0.1
*    IN A   127.0.0.1
ZONEFILE
    cat >"$d/named.conf" <<CONF
include "$d/tsig.key";
options {
    directory "$d";
    listen-on port $bind_port { 127.0.0.1; };
    listen-on-v6 { none; };
    pid-file none;
    session-keyfile "$d/session.key";
    managed-keys-directory "$d";
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query { 127.0.0.1; };
    allow-transfer { none; };
    empty-zones-enable no;
    querylog yes;
};
controls { };
zone "$ZONE" {
    type primary;
    file "$d/$ZONE.zone";
    update-policy { grant $KEY_NAME. zonesub ANY; };
};
CONF
    named-checkconf "$d/named.conf" || die "named-checkconf rejected $d/named.conf"
    named-checkzone -q "$ZONE" "$d/$ZONE.zone" || die "named-checkzone rejected the zone"
    # -g: foreground, logging to stderr, so $! is named itself.
    named -g -c "$d/named.conf" >"$tmp/named.log" 2>&1 &
    named_pid=$!
    pids="$pids $named_pid"
    i=0
    until [ -n "$(dig_bind +short SOA "$ZONE" 2>/dev/null)" ]; do
        kill -0 "$named_pid" 2>/dev/null || die "named exited early (log: $tmp/named.log)"
        i=$((i + 1))
        [ "$i" -le 300 ] || die "named did not answer on port $bind_port within 30 s"
        sleep 0.1
    done
}

# log_lines: how many lines BIND has logged so far.
log_lines() { wc -l <"$tmp/named.log" | tr -d ' '; }

# count_messages FROM TO: "queries updates" sent to BIND in its log lines FROM+1..TO.
# Queries: the query log's lines but Pebble's (RD set, no EDNS: flags "+" with no "E").
# Updates: signed UPDATE messages that changed the zone, told apart by their source port
# (each logged change names the message's "127.0.0.1#PORT/key NAME").
count_messages() {
    awk -v from="$1" -v to="$2" '
        NR <= from || NR > to { next }
        / query: / { for (i = 1; i < NF; i++) if ($i == "IN") flags = $(i + 2)
                     if (flags !~ /^\+/ || flags ~ /E/) q++ }
        /\/key .*: updating zone / { for (i = 1; i < NF; i++) if ($i ~ /\/key$/) u[$i] = 1 }
        END { n = 0; for (k in u) n++; print q + 0, n }' "$tmp/named.log"
}

# --- measuring --------------------------------------------------------------------------------
# The launcher, a small C program built here: timer OUT CMD... runs CMD and writes
# "wall_us cpu_us maxrss_kib" to OUT; its exit status is CMD's (128 + signal for a killed
# one). It reads the monotonic clock just before posix_spawn and just after wait4, so the
# clock holds the client's process only. It is C, not a script, because the kernel counts the
# memory posix_spawn's child shares with the launcher until the exec in the child's peak RSS:
# the launcher must be smaller than any client.
timer=$tmp/timer
cat >"$timer.c" <<'C'
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv) {
    struct timespec a, b;
    struct rusage ru;
    pid_t pid;
    int ws;
    if (argc < 3) return 2;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int err = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
    if (err) {
        fprintf(stderr, "%s: %s\n", argv[2], strerror(err));
        return 127;
    }
    if (wait4(pid, &ws, 0, &ru) < 0) {
        perror("wait4");
        return 125;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long wall = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
    long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
                    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    FILE *out = fopen(argv[1], "w");
    if (!out || fprintf(out, "%lld %lld %ld\n", wall, cpu, ru.ru_maxrss) < 0 || fclose(out))
        return 125;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}
C
cc -O2 -o "$timer" "$timer.c" || die "cannot build the launcher with cc"

# check_result CLIENT NAME CERT: the certificate's SANs are exactly NAME and *.NAME, and no
# TXT record is left at _acme-challenge.NAME (both names' challenges live there).
check_result() {
    [ -s "$3" ] || {
        printf 'FAILED: %s: no certificate at %s\n' "$1" "$3" >&2
        return 1
    }
    sans=$(openssl x509 -in "$3" -noout -ext subjectAltName |
        tr ',' '\n' | sed -n 's/^[[:space:]]*DNS://p' | sort | tr '\n' ' ')
    if [ "$sans" != "*.$2 $2 " ]; then
        printf 'FAILED: %s: %s names "%s", not "*.%s %s"\n' "$1" "$3" "$sans" "$2" "$2" >&2
        return 1
    fi
    left=$(dig_bind +short TXT "_acme-challenge.$2") || {
        printf 'FAILED: %s: BIND did not answer the TXT check\n' "$1" >&2
        return 1
    }
    if [ -n "$left" ]; then
        printf 'FAILED: %s left TXT at _acme-challenge.%s: %s\n' "$1" "$2" "$left" >&2
        return 1
    fi
}

# issue CLIENT RUN HOW: one issuance of rRUN-CLIENT.acme.test + its wildcard through
# CLIENT_command (which sets the arrays cmd and cmd_env, and cert, the certificate file).
# HOW is measure (a timed run, recorded in $results) or warmup (untimed, run 0).
issue() {
    client=$1 run=$2 how=$3
    name=r$run-$client.$ZONE
    [ "$how" = measure ] || name=warmup-$client.$ZONE
    log=$tmp/logs/$client-$run.log
    mkdir -p "$tmp/logs"
    "${client}_command" "$name"
    before=$(log_lines)
    if ! env "${cmd_env[@]}" "$timer" "$tmp/measure" "${cmd[@]}" >"$log" 2>&1; then
        printf 'FAILED: %s run %s (log: %s)\n' "$client" "$run" "$log" >&2
        tail -n 15 "$log" >&2
        failed="$failed $client"
        return 1
    fi
    after=$(log_lines)
    check_result "$client" "$name" "$cert" || {
        failed="$failed $client"
        return 1
    }
    [ "$how" = measure ] || return 0
    read -r wall cpu rss <"$tmp/measure"
    printf '%s %s %s %s %s %s\n' "$client" "$run" "$wall" "$cpu" "$rss" \
        "$(count_messages "$before" "$after")" >>"$results"
}

# --- the clients --------------------------------------------------------------------------------
# CLIENT_command NAME sets cmd, cmd_env and cert for one issuance of NAME + *.NAME with the
# client's state folder (one per client, kept from the warm-up on: the account is reused).
acmers_version() {
    # Like acme.sh, --version prints the project URL, then the version.
    printf 'acmers %s (%s)' "$("$acmers" --version 2>&1 | tail -n 1)" "$acmers"
}
acmers_command() {
    home=$tmp/state/acmers
    mkdir -p "$home"
    # acme.sh's dns_nsupdate variables (its dns_nsupdate_add).
    cmd_env=(NSUPDATE_SERVER=127.0.0.1 NSUPDATE_SERVER_PORT="$bind_port"
        NSUPDATE_KEY="$tmp/bind/tsig.key" NSUPDATE_ZONE="$ZONE")
    cmd=("$acmers" --issue --home "$home" --server "$server" --ca-bundle "$ca_pem"
        -m "admin@$ZONE" --dns dns_nsupdate --dns-resolver "127.0.0.1:$bind_port"
        -d "$1" -d "*.$1")
    # The first name's lineage; _ecc for the default key, ec-256.
    cert=$home/${1}_ecc/$1.cer
}

lego_version() {
    # Debian's lego calls itself "dev": the package version says more.
    printf '%s, Debian package %s' "$(lego --version 2>&1 | head -n 1)" \
        "$(dpkg-query -W -f '${Version}' lego 2>/dev/null || echo unknown)"
}
lego_command() {
    state=$tmp/state/lego
    mkdir -p "$state"
    cmd_env=(RFC2136_NAMESERVER="127.0.0.1:$bind_port" RFC2136_TSIG_KEY="$KEY_NAME."
        RFC2136_TSIG_SECRET="$tsig_secret" RFC2136_TSIG_ALGORITHM=hmac-sha256.
        RFC2136_SEQUENCE_INTERVAL=1 RFC2136_POLLING_INTERVAL=1
        RFC2136_PROPAGATION_TIMEOUT=30 RFC2136_TTL=60 LEGO_CA_CERTIFICATES="$ca_pem")
    cmd=(lego --server "$server" --accept-tos --email "admin@$ZONE" --path "$state"
        --key-type ec256 --dns rfc2136 --dns.resolvers "127.0.0.1:$bind_port"
        --dns.disable-cp -d "*.$1" -d "$1" run)
    # lego names the files after the first domain, with "_" for "*".
    cert=$state/certificates/_.$1.crt
}

# --- report -------------------------------------------------------------------------------------
# median < numbers (one per line)
median() {
    sort -n | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# field CLIENT FIELD: that field of every run of the client (3 wall_us, 4 cpu_us, 5 rss_kib,
# 6 queries, 7 updates).
field() { awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$results"; }

# Sets s_runs, s_wall, s_wall_min, s_wall_max, s_cpu (ms), s_rss (MiB) and the DNS message
# counts s_q, s_q_min, s_q_max, s_u, s_u_min, s_u_max (medians and ranges).
stats() {
    ms='{ printf "%.1f", $1 / 1000 }'
    s_runs=$(field "$1" 3 | wc -l | tr -d ' ')
    s_wall=$(field "$1" 3 | median | awk "$ms")
    s_wall_min=$(field "$1" 3 | sort -n | head -n 1 | awk "$ms")
    s_wall_max=$(field "$1" 3 | sort -n | tail -n 1 | awk "$ms")
    s_cpu=$(field "$1" 4 | median | awk "$ms")
    s_rss=$(field "$1" 5 | median | awk '{ printf "%.1f", $1 / 1024 }')
    s_q=$(field "$1" 6 | median)
    s_q_min=$(field "$1" 6 | sort -n | head -n 1)
    s_q_max=$(field "$1" 6 | sort -n | tail -n 1)
    s_u=$(field "$1" 7 | median)
    s_u_min=$(field "$1" 7 | sort -n | head -n 1)
    s_u_max=$(field "$1" 7 | sort -n | tail -n 1)
}

report() {
    md=$tmp/report.md
    {
        printf '%s\n%s\n' \
            '| client | runs | wall ms: median (min–max) | CPU ms | peak RSS MiB | DNS queries (min–max) | DNS updates (min–max) |' \
            '|---|---:|---|---:|---:|---|---|'
        for client in $clients; do
            case " $failed " in *" $client "*) fail=' (failed)' ;; *) fail= ;; esac
            if [ -z "$(field "$client" 3)" ]; then
                printf '| %s | 0%s | - | - | - | - | - |\n' "$client" "$fail"
                continue
            fi
            stats "$client"
            printf '| %s | %s%s | %s (%s–%s) | %s | %s | %s (%s–%s) | %s (%s–%s) |\n' \
                "$client" "$s_runs" "$fail" "$s_wall" "$s_wall_min" "$s_wall_max" "$s_cpu" \
                "$s_rss" "$s_q" "$s_q_min" "$s_q_max" "$s_u" "$s_u_min" "$s_u_max"
        done
        cat <<NOTES

N=$N rounds; each round issues one new apex + wildcard pair (P-256) with every client in
turn, through RFC 2136 (TSIG hmac-sha256) against BIND $named_version, authoritative for
$ZONE on loopback, and a local Pebble with PEBBLE_VA_NOSLEEP=1 whose VA asks that BIND. Each
client reuses an account registered by an untimed warm-up issuance. Wall: monotonic clock
around posix_spawn and wait4 of the client's process (no shell or timer start-up inside);
CPU (user + sys) and peak RSS from wait4. DNS queries: BIND's query log during the run,
less Pebble's validation queries (RD set, no EDNS); DNS updates: signed UPDATE messages that
changed the zone (told apart by source port). Every run's certificate names exactly the
pair, and no \`_acme-challenge\` TXT record is left after it. lego: \`--dns.disable-cp\`,
RFC2136_SEQUENCE_INTERVAL=1, RFC2136_POLLING_INTERVAL=1 (its fastest settings on this rig);
acmers: its own propagation check against the same server (\`--dns-resolver\`, no
\`--dnssleep\`).

NOTES
        target_line
        printf '\n%s\n' "$environment"
    } >"$md"
}

# The project's target: acmers' median wall time below TARGET_RATIO of lego's. lego's runs
# come in steps (its 5 s authorization backoff), so the line also compares with its fastest.
target_line() {
    [ -n "$(field acmers 3)" ] && [ -n "$(field lego 3)" ] || return 0
    stats acmers
    a_wall=$s_wall
    stats lego
    awk -v a="$a_wall" -v l="$s_wall" -v m="$s_wall_min" -v r="$TARGET_RATIO" 'BEGIN {
        printf "- acmers %s ms vs %s × lego'\''s %s ms = %.1f ms: ratio %.3f, %s", a, r, l,
            l * r, a / l, (a < l * r) ? "met" : "NOT met"
        printf "; vs lego'\''s fastest run, %s ms: ratio %.3f\n", m, a / m }'
}

# --- main -------------------------------------------------------------------------------------
say "starting BIND (zone $ZONE, TSIG hmac-sha256, query log)"
start_bind
say "starting Pebble (-dnsserver 127.0.0.1:$bind_port, PEBBLE_VA_NOSLEEP=1," \
    "PEBBLE_WFE_NONCEREJECT=0, PEBBLE_AUTHZREUSE=0)"
start_pebble "127.0.0.1:$bind_port"

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
versions=
for client in $clients; do
    versions="$versions- $client: $("${client}_version")
"
done
named_version=$(named -v | sed 's/^BIND //; s/ (.*//')
pebble_version=$(dpkg-query -W -f '${Version}' pebble 2>/dev/null || echo unknown)

active=
for client in $clients; do
    say "$client: untimed warm-up issuance (registers the account)"
    issue "$client" 0 warmup && active="$active $client"
done
say "$N rounds of:$active"
round=1
while [ "$round" -le "$N" ]; do
    for client in $active; do
        issue "$client" "$round" measure || true
    done
    round=$((round + 1))
done

load_after=$(cut -d ' ' -f 1-3 /proc/loadavg)
elapsed=$(awk -v s="$started" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.0f", e - s }')
environment="Machine: $(nproc) cores, ${model:-unknown CPU}, $(uname -sr); load average $load_before at start, $load_after at end.
BIND $named_version; Pebble: Debian pebble $pebble_version. Benchmark took $elapsed s.
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
