#!/bin/sh
# mplm-lab-web over HTTP: it listens on 127.0.0.1 only unless told, serves
# its page and nothing else (path traversal in every spelling gets 404),
# refuses bad input with 400 and one JSON error line, other methods with
# 405, and survives 20 concurrent clients for 3 s with no error and a
# bounded peak memory (the 50-client, 30 s version is in make bench).
set -u
root=$(pwd)
. "$root/scripts/testlib.sh"
. "$root/web/tests/lib/server.sh"
if ! command -v curl >/dev/null 2>&1; then
	echo "SKIP: curl is not installed (scripts/install-deps.sh installs it)"
	exit 77
fi
load="$(dirname "$web")/web-load"

start_server

# Listening on loopback only: /proc/net/tcp lists 0100007F:PORT in LISTEN (0A).
hexport=$(printf '%04X' "$port")
check "binds 127.0.0.1" grep -q "0100007F:$hexport 00000000:0000 0A" /proc/net/tcp

# status PATH WANT [CURL ARGS]: the answer's status code.
status() {
	path=$1 want=$2
	shift 2
	got=$(curl -s --path-as-is -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@" "$base$path")
	[ "$got" = "$want" ] || { echo "$path: HTTP $got, wanted $want"; return 1; }
}

check "the page" status / 200
check "the page's script" status /app.js 200
check "the page's style" status /app.css 200
check "only its own scripts run" grep -qi "^Content-Security-Policy: default-src 'self'" "$tmp/headers"
for p in /../Makefile /..%2fMakefile /%2e%2e/Makefile /%2e%2e%2fMakefile /static/../../Makefile \
	/web/static/index.html //etc/passwd /app.js/../../Makefile '/..\..\Makefile' /Makefile \
	/build/mplm-lab-web /proc/self/environ "/%00" /index.html%00.js; do
	check "traversal $p" status "$p" 404
	check "traversal $p: no file" sh -c "! grep -q 'CPPFLAGS\|root:' '$tmp/body'"
done
check "POST refused" status / 405 -X POST -d x=1
check "PUT refused" status /api/run 405 -X PUT

check "a run" status "/api/run?algorithm=precopy&rate=10&duration=30" 200
check "a run's downtime" grep -q '"downtime":297' "$tmp/body"
check "bad value" status "/api/run?dirtypercents=150" 400
check "bad value: one line naming it" grep -qx '{"error":"dirtypercents 150: out of range: 0% to 100%"}' "$tmp/body"
check "unknown parameter" status "/api/run?colour=red" 400
check "above the memory cap" status "/api/run?memory=4G" 400
check "above the memory cap: said" grep -q "memory: 1048576 pages, above this server's limit" "$tmp/body"
check "an ambiguous rate" status "/api/run?max-bandwidth=1G" 400
check "an ambiguous rate: said" grep -q "max-bandwidth 1G: ambiguous rate" "$tmp/body"
check "the limits" status /api/params 200
check "the limits: said" grep -q '"max-pages":65536' "$tmp/body"

# --listen: a bad address is one line and exit 1.
check "bad --listen" expect_error 1 "--listen 10.0.0.999: expected a numeric IPv4 address" \
	"$web" --listen 10.0.0.999 --port 0
check "bad --port" expect_error 2 "--port 70000: expected a port" "$web" --port 70000

# Load: 20 clients for 3 s, the page and runs mixed.
"$load" "$port" 20 3 / /app.js "/api/run?rate=60" "/api/run?algorithm=precopy&rate=300&duration=30" \
	>"$tmp/load" 2>&1
rc=$?
cat "$tmp/load"
check "load: no error" [ "$rc" -eq 0 ]
check "load: requests answered" grep -q '^requests [1-9][0-9]*, errors 0,' "$tmp/load"
rss=$(peak_rss_kb)
echo "peak RSS: $rss kB"
# About 55 MB under ASan (with lib/server.sh's small quarantine), 10 MB
# optimised: a leak or an unbounded answer would pass 200 MB.
check "load: bounded memory" [ "${rss:-999999999}" -lt 200000 ]
check "still serving" status / 200
finish
