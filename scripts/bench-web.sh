#!/bin/sh
# make bench: mplm-lab-web under a classroom's load: 50 clients for 30 s
# on loopback, each requesting the page, its script and runs of the
# classroom VM in turn. Prints requests, errors and the server's peak
# resident memory. Usage: bench-web.sh BUILD_DIR
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export MPLM_BUILD="$build"
. "$root/scripts/testlib.sh"
. "$root/web/tests/lib/server.sh"
clients=${WEB_CLIENTS:-50} seconds=${WEB_SECONDS:-30}

start_server
rss0=$(peak_rss_kb)
"$build/web-load" "$port" "$clients" "$seconds" / /app.js /app.css \
	"/api/run?rate=60" "/api/run?algorithm=precopy&rate=300&duration=30" \
	"/api/run?pattern=hotspot&rate=400&hot=0.5&skew=0.99&memory=4M" >"$tmp/load" 2>&1
rc=$?
echo "mplm-lab-web load test ($clients clients, $seconds s, loopback; target: no error, bounded memory)"
sed 's/^/  /' "$tmp/load"
echo "  server peak RSS: $(peak_rss_kb) kB (at start: $rss0 kB)"
exit $rc
