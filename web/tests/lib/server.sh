# server.sh - what the web tests share: start mplm-lab-web on a free
# loopback port and stop it at exit. Source it after scripts/testlib.sh,
# from the repository root. Sets $web (the server binary), $port, $base
# (http://127.0.0.1:PORT) and $server_pid.

web="$root/${MPLM_BUILD:-build}/mplm-lab-web"
case ${MPLM_BUILD:-build} in /*) web="$MPLM_BUILD/mplm-lab-web" ;; esac

# start_server ARGS...: the server on port 0; waits for its first line.
start_server() {
	# A small ASan quarantine, so the peak memory is the server's own.
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=16" \
		"$web" --port 0 "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
	server_pid=$!
	trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
	i=0
	while ! grep -q 'serving http' "$tmp/server.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$server_pid" 2>/dev/null; then
			echo "FAILED: the server did not start:"
			cat "$tmp/server.err"
			exit 1
		fi
		sleep 0.1
	done
	port=$(sed -n 's/.*:\([0-9][0-9]*\)\/.*/\1/p' "$tmp/server.out")
	base="http://127.0.0.1:$port"
}

# peak_rss_kb: the server's peak resident memory so far (VmHWM).
peak_rss_kb() {
	sed -n 's/^VmHWM:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status"
}
