# shellcheck shell=bash disable=SC2154,SC2034
# Shared by the bench scripts (sourced, not run): free loopback ports, waiting for a
# listener, and a throwaway Pebble with its own TLS certificate on loopback.
# The caller defines die() and $tmp, and collects background pids in $pids.

# Whether a local TCP or UDP socket uses port $1.
port_in_use() {
    hex=$(printf ':%04X ' "$1")
    cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null |
        awk '{ print $2 " " }' | grep -qi -- "$hex"
}

# Whether something listens on TCP port $1.
listening() {
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v p=":$hex" 'toupper($2) ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }'
}

# Sets $port to a free high port not picked before.
taken=
pick_port() {
    while :; do
        port=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
        port=$((20000 + port % 40000))
        case " $taken " in *" $port "*) continue ;; esac
        port_in_use "$port" && continue
        taken="$taken $port"
        return
    done
}

wait_listening() { # name pid port
    i=0
    while ! listening "$3"; do
        kill -0 "$2" 2>/dev/null || die "$1 exited early (log: $tmp/$1.log)"
        i=$((i + 1))
        [ "$i" -le 300 ] || die "$1 did not listen on port $3 within 30 s"
        sleep 0.1
    done
}

# start_pebble [HOST:PORT]: Pebble on free loopback ports; its VA asks the DNS server at
# HOST:PORT when one is given, else a pebble-challtestsrv started here that answers every
# name with 127.0.0.1.
start_pebble() {
    pick_port
    acme_port=$port
    pick_port
    mgmt_port=$port
    pick_port
    http_port=$port
    pick_port
    tls_port=$port

    (
        cd "$tmp" || exit 1
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout ca.key -out ca.pem -days 2 -subj "/CN=acmers bench TLS CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout key.pem -out server.csr -subj "/CN=localhost" 2>/dev/null
        printf '%s\n' "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
            "subjectAltName=DNS:localhost,IP:127.0.0.1" >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 2 -extfile server.ext -out cert.pem 2>/dev/null
    )
    ca_pem=$tmp/ca.pem
    server=https://127.0.0.1:$acme_port/dir

    cat >"$tmp/pebble-config.json" <<JSON
{
  "pebble": {
    "listenAddress": "127.0.0.1:$acme_port",
    "managementListenAddress": "127.0.0.1:$mgmt_port",
    "certificate": "$tmp/cert.pem",
    "privateKey": "$tmp/key.pem",
    "httpPort": $http_port,
    "tlsPort": $tls_port,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
JSON

    dns=${1:-}
    if [ -z "$dns" ]; then
        pick_port
        dns=127.0.0.1:$port
        pick_port
        pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
            -dns01 "$dns" -http01 "" -https01 "" -tlsalpn01 "" \
            -management "127.0.0.1:$port" >"$tmp/pebble-challtestsrv.log" 2>&1 &
        pids="$pids $!"
        wait_listening pebble-challtestsrv "$!" "$port"
    fi

    pebble_dns=$dns
    : >"$tmp/pebble.log"
    run_pebble
}

# Start (or start again, on the same ports and config) the Pebble of start_pebble; its log
# is appended to $tmp/pebble.log. A Pebble started again knows no account, order or
# certificate of the one before (clients register again with the same key).
run_pebble() {
    PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
        pebble -config "$tmp/pebble-config.json" -dnsserver "$pebble_dns" \
        >>"$tmp/pebble.log" 2>&1 &
    pebble_pid=$!
    pids="$pids $pebble_pid"
    wait_listening pebble "$pebble_pid" "$acme_port"
}

# Stop the running Pebble and start it again (run_pebble).
restart_pebble() {
    kill "$pebble_pid" 2>/dev/null || true
    wait "$pebble_pid" 2>/dev/null || true
    while listening "$acme_port"; do sleep 0.1; done
    run_pebble
}

# How many HTTP requests Pebble has handled so far (one log line per request).
requests_so_far() {
    grep -c -- ' -> calling handler()' "$tmp/pebble.log" || true
}
