#!/bin/sh
# mplm-sim's command line: good runs report like QEMU, bad input gets one
# clear line and a non-zero exit.
set -u
sim="${MPLM_BUILD:-build}/mplm-sim"
shared="${MPLM_SHARED:-../shared}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() { # check NAME COMMAND...: succeed, or note a failure
	name=$1
	shift
	if ! "$@"; then
		echo "FAILED: $name"
		fails=$((fails + 1))
	fi
}

# expect_error WANT_RC WANT_TEXT ARGS...: exit code and a single stderr line
expect_error() {
	want_rc=$1 want=$2
	shift 2
	"$sim" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want_rc" ] || { echo "exit $rc, wanted $want_rc: $*"; cat "$tmp/err"; return 1; }
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "not one line: $*"; cat "$tmp/err"; return 1; }
	grep -qF -- "$want" "$tmp/err" || { echo "no '$want' in:"; cat "$tmp/err"; return 1; }
	[ ! -s "$tmp/out" ] || { echo "stdout not empty: $*"; return 1; }
}

cat >"$tmp/ok.trace" <<'T'
mplm-trace 1
page-size 4096
pages 256
interval-us 100000
d 100000 0-9
d 200000 5-20
e 300000
T
printf 'mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100\nd 100 3 2\n' >"$tmp/bad.trace"

check "unknown option" expect_error 2 "unknown option" --frobnicate "$tmp/ok.trace"
check "bad downtime" expect_error 2 "--downtime-limit abc: expected milliseconds" --downtime-limit abc "$tmp/ok.trace"
check "bad bandwidth" expect_error 2 "--max-bandwidth fast" --max-bandwidth fast "$tmp/ok.trace"
check "bad algorithm" expect_error 2 "expected precopy, mplm or stopcopy" --algorithm postcopy "$tmp/ok.trace"
check "dirtypercents range" expect_error 2 "--dirtypercents 101" --dirtypercents 101 "$tmp/ok.trace"
check "no trace" expect_error 2 "give a TRACE file or --workload SPEC" --algorithm mplm
check "malformed trace" expect_error 1 "$tmp/bad.trace:5:" "$tmp/bad.trace"
check "missing trace" expect_error 1 "$tmp/none.trace" "$tmp/none.trace"
check "VM too small" expect_error 1 "smaller than the trace" --memory 4K "$tmp/ok.trace"
check "bad workload" expect_error 1 "workload" --workload "nosuchpattern,memory=1G"

# A good run: QEMU's info migrate lines, the invariant checked.
"$sim" --algorithm precopy --max-bandwidth 1Gbps "$tmp/ok.trace" >"$tmp/out" 2>&1
check "info migrate" grep -q "^Migration status: completed$" "$tmp/out"
check "info migrate fields" grep -q "^normal bytes: .* kbytes$" "$tmp/out"
check "verified" grep -q "^verified: every page matches" "$tmp/out"

# JSON: query-migrate's fields and units (ms), per-sync records.
"$sim" --json --max-bandwidth 125M --memory 2M "$tmp/ok.trace" >"$tmp/json" 2>&1
for key in '"status": "completed"' '"total-time":' '"downtime":' '"setup-time":' \
	'"ram":' '"transferred":' '"normal-bytes":' '"dirty-sync-count":' '"mbps":' '"syncs":'; do
	check "json $key" grep -qF "$key" "$tmp/json"
done
check "json total ram" grep -qF '"total": 2097152' "$tmp/json"

# --verbose prints qemu-mplm's per-sync lines.
"$sim" --verbose "$shared/traces/npb/npb-mg.B.trace.gz" --start-at 2 >"$tmp/out" 2>&1
check "verbose sync lines" grep -q "^sync 1: t=3.0" "$tmp/out"
check "verbose final" grep -q "(final)" "$tmp/out"

# A generated workload runs in memory.
"$sim" --workload uniform,memory=64M,wss=32M,rate=5000,duration=20,seed=3 --memory 128M >"$tmp/out" 2>&1
check "workload run" grep -q "^Migration status: completed$" "$tmp/out"

[ "$fails" -eq 0 ]
