#!/usr/bin/env bash
# sip.sh - the SIP busy machine under SIPp load: INVITEs per second with no
# lost call, and the server's memory with many calls ringing at once.
#
# Usage:
#   bench/sip.sh            (run from the repository root; about 1.5 minutes after the build)
#
# What it does:
#   1. Rate: `owums serve` (release build, SQLite in a temp dir, [plugins.sip]
#      on 127.0.0.1:<free port>, allowed_peers 127.0.0.1, ring_seconds 1).
#      For each rate in RATES, SIPp's call-rate mode (-r RATE -m RATE*SECONDS)
#      plays bench/sip-busy.xml: INVITE, expect 100, 180, 486 in that order,
#      ACK. A call fails when a response is missing (RECV_TIMEOUT), out of
#      order or unexpected. A rate passes when every call succeeded. The
#      series stops at the first rate that fails. Next to the counts: the call
#      rate SIPp really reached, the datagrams the server's socket dropped
#      (receive buffer full) and those every UDP socket on the machine dropped
#      (SIPp's included), to tell a server that falls behind from a caller
#      that does.
#   2. Memory: a fresh server with ring_seconds long enough for CALLS calls
#      to be started at MEM_RATE before the first one hears 486; SIPp starts
#      CALLS calls and the script samples the server's VmRSS while they ring.
#      Prints the peak (VmHWM), the idle RSS before the load, and the most
#      calls SIPp had open at once (its CurrentCall counter).
#   Every caller ID is a number without a subscriber, so each INVITE costs the
#   server one database lookup (as an unknown caller does in production).
#   Exits 0 when both measurements ran (whatever the figures), non-zero when
#   the server cannot be built or started.
#
# Environment:
#   RATES="500 1000 2000 4000"   call rates tried, calls per second
#   SECONDS_PER_RATE=10          length of each rate step
#   CALLS=20000                  calls ringing at once for the memory figure
#   MEM_RATE=2000                how fast those calls are started
#   RECV_TIMEOUT=5000            ms SIPp waits for each response (ring time
#                                is added for the 486)
#   SIPP_ARGS=                   extra SIPp arguments, e.g. "-buff_size 4194304"
#   OWUMS_BIN=target/release/owums  (built with cargo build --release unless set)
#   KEEP=1                       keep the work dir (configs, server logs, SIPp stats)
#
# Requires: sipp (scripts/install-peers), python3, cargo.
set -euo pipefail

RATES=${RATES:-"500 1000 2000 4000"}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-10}
CALLS=${CALLS:-20000}
MEM_RATE=${MEM_RATE:-2000}
RECV_TIMEOUT=${RECV_TIMEOUT:-5000}
read -r -a SIPP_EXTRA <<<"${SIPP_ARGS:-}"
SCENARIO=$(cd "$(dirname "$0")" && pwd)/sip-busy.xml
CALLEE=061234567

if [ -z "${OWUMS_BIN:-}" ]; then
	cargo build --release -q -p owums-server
	OWUMS_BIN=target/release/owums
fi
OWUMS_BIN=$(realpath "$OWUMS_BIN")

WORK=$(mktemp -d /tmp/sip-bench.XXXXXX)
SERVER_PID=
SIPP_PID=

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}

cleanup() {
	if [ -n "$SIPP_PID" ]; then kill "$SIPP_PID" 2>/dev/null || true; wait "$SIPP_PID" 2>/dev/null || true; fi
	stop_server
	if [ -n "${KEEP:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { # udp|tcp
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# start_server NAME RING_SECONDS: serves from $WORK/NAME; sets SERVER_PID and SIP_PORT.
start_server() {
	local dir=$WORK/$1 ring=$2 http
	mkdir -p "$dir"
	SIP_PORT=$(free_port udp)
	http=$(free_port tcp)
	cat >"$dir/plugins.toml" <<-EOF
		[plugins.sip]
		enabled = true
		listen = "127.0.0.1:$SIP_PORT"
		allowed_peers = ["127.0.0.1"]
		numbers = ["+39 06 1234567"]
		ring_seconds = $ring
		default_country_code = "39"
	EOF
	(cd "$dir" && exec env -u OWUMS_DATABASE__URL -u RUST_LOG "$OWUMS_BIN" serve --listen "127.0.0.1:$http" \
		>"$dir/server.log" 2>&1) &
	SERVER_PID=$!
	# Up when it answers an OPTIONS (sipsak-free: a raw datagram from python).
	local i
	for i in $(seq 1 150); do
		if python3 - "$SIP_PORT" <<-'EOF' 2>/dev/null; then return 0; fi
			import socket, sys
			port = int(sys.argv[1])
			s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
			s.bind(("127.0.0.1", 0))
			s.settimeout(0.2)
			me = s.getsockname()[1]
			msg = ("OPTIONS sip:owums@127.0.0.1:%d SIP/2.0\r\n"
			       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKbenchup\r\n"
			       "From: <sip:bench@127.0.0.1>;tag=b1\r\nTo: <sip:owums@127.0.0.1>\r\n"
			       "Call-ID: benchup@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
			       "Content-Length: 0\r\n\r\n") % (port, me)
			s.sendto(msg.encode(), ("127.0.0.1", port))
			sys.exit(0 if s.recv(4096).startswith(b"SIP/2.0 200") else 1)
		EOF
		kill -0 "$SERVER_PID" 2>/dev/null || { echo "owums serve exited; see its log:" >&2; cat "$dir/server.log" >&2; exit 1; }
		sleep 0.2
	done
	echo "the SIP listener did not come up" >&2
	exit 1
}

# run_sipp TAG RATE CALLS RING_SECONDS [extra sipp args]: plays the scenario
# in the background, sets SIPP_PID; statistics in $WORK/TAG.csv.
run_sipp() {
	local tag=$1 rate=$2 calls=$3 ring=$4
	shift 4
	(cd "$WORK" && exec sipp -sf "$SCENARIO" -i 127.0.0.1 -p "$(free_port udp)" -t u1 \
		-key callee "$CALLEE" \
		-r "$rate" -m "$calls" -l $((calls + 1)) \
		-recv_timeout $((RECV_TIMEOUT + ring * 1000)) -max_recv_loops 100000 \
		-trace_stat -stf "$WORK/$tag.csv" -fd 1 -nostdin "${SIPP_EXTRA[@]}" "$@" \
		"127.0.0.1:$SIP_PORT" >"$WORK/$tag.out" 2>&1 </dev/null) &
	SIPP_PID=$!
}

# csv_field FILE COLUMN [max]: the last row's value of COLUMN (or its maximum).
csv_field() {
	python3 - "$@" <<-'EOF'
		import csv, sys
		rows = list(csv.DictReader(open(sys.argv[1]), delimiter=";"))
		col = sys.argv[2]
		vals = [int(r[col]) for r in rows if r.get(col, "").strip().isdigit()]
		print((max(vals) if len(sys.argv) > 3 else vals[-1]) if vals else 0)
	EOF
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Datagrams dropped by the UDP socket on 127.0.0.1:PORT (its receive buffer was full).
socket_drops() { awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a {print $NF; exit}' /proc/net/udp; }
# The same, added up over every UDP socket of the machine (RcvbufErrors).
all_drops() { awk '/^Udp:/ {n++} /^Udp:/ && n == 2 {print $6}' /proc/net/snmp; }

echo "SIP busy machine benchmark ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "1. INVITEs per second (ring_seconds = 1, ${SECONDS_PER_RATE} s per rate)"
printf '%8s %8s %8s %8s %8s %10s %10s %9s %9s %9s\n' rate calls ok failed retrans "elapsed s" "server CPU" "SIPp cps" "srv drops" "UDP drops"
start_server rate 1
BEST=0
for rate in $RATES; do
	calls=$((rate * SECONDS_PER_RATE))
	ticks0=$(cpu_ticks "$SERVER_PID")
	sdrops0=$(socket_drops "$SIP_PORT")
	adrops0=$(all_drops)
	t0=$(date +%s.%N)
	run_sipp "rate-$rate" "$rate" "$calls" 1
	wait "$SIPP_PID" && code=0 || code=$?
	SIPP_PID=
	t1=$(date +%s.%N)
	ticks1=$(cpu_ticks "$SERVER_PID")
	sdrops=$(($(socket_drops "$SIP_PORT") - sdrops0))
	adrops=$(($(all_drops) - adrops0))
	cps=$(python3 - "$WORK/rate-$rate.csv" <<-'EOF'
		import csv, sys
		rows = list(csv.DictReader(open(sys.argv[1]), delimiter=";"))
		print(f"{float(rows[-1]['CallRate(C)']):.0f}" if rows else "?")
	EOF
	)
	ok=$(csv_field "$WORK/rate-$rate.csv" "SuccessfulCall(C)")
	failed=$(csv_field "$WORK/rate-$rate.csv" "FailedCall(C)")
	retrans=$(csv_field "$WORK/rate-$rate.csv" "Retransmissions(C)")
	elapsed=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
	cpu=$(python3 -c "print(f'{($ticks1 - $ticks0) / $(getconf CLK_TCK) / ($t1 - $t0) * 100:.0f}%')")
	printf '%8s %8s %8s %8s %8s %10s %10s %9s %9s %9s\n' "$rate" "$calls" "$ok" "$failed" "$retrans" "$elapsed" "$cpu" "$cps" "$sdrops" "$adrops"
	if [ "$code" -ne 0 ] || [ "$ok" -ne "$calls" ] || [ "$failed" -ne 0 ]; then
		echo "   rate $rate lost calls (sipp exit $code); stopping the series"
		break
	fi
	BEST=$rate
done
stop_server
echo "   highest rate with no failed call: $BEST INVITE/s"
echo

ring=$(((CALLS + MEM_RATE - 1) / MEM_RATE + 10))
[ "$ring" -le 60 ] || { echo "CALLS / MEM_RATE needs more than the 60 s ring_seconds allows" >&2; exit 2; }
echo "2. Memory: $CALLS calls started at $MEM_RATE/s, ring_seconds = $ring"
start_server mem "$ring"
sleep 1
idle=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
run_sipp mem "$MEM_RATE" "$CALLS" "$ring"
peak=0
while kill -0 "$SIPP_PID" 2>/dev/null; do
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
	[ "$rss" -le "$peak" ] || peak=$rss
	sleep 0.5
done
wait "$SIPP_PID" && code=0 || code=$?
SIPP_PID=
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
open=$(csv_field "$WORK/mem.csv" "CurrentCall" max)
ok=$(csv_field "$WORK/mem.csv" "SuccessfulCall(C)")
failed=$(csv_field "$WORK/mem.csv" "FailedCall(C)")
stop_server
kib_to_mib() { python3 -c "print(f'{$1 / 1024:.1f}')"; }
printf '   %-34s %s\n' "server RSS idle (MiB)" "$(kib_to_mib "$idle")" \
	"server RSS peak, sampled (MiB)" "$(kib_to_mib "$peak")" \
	"server VmHWM (MiB)" "$(kib_to_mib "$hwm")" \
	"most calls open at once (SIPp)" "$open" \
	"calls ok / failed" "$ok / $failed (sipp exit $code)"
