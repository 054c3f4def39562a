#!/bin/sh
# mplm-sim's command line: good runs report like QEMU, bad input gets one
# clear line and a non-zero exit.
set -u
sim="${MPLM_BUILD:-build}/mplm-sim"
. scripts/testlib.sh

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

check "unknown option" expect_error 2 "unknown option" "$sim" --frobnicate "$tmp/ok.trace"
check "bad downtime" expect_error 2 "--downtime-limit abc: expected a duration such as 300, 300ms or 0.3s" "$sim" --downtime-limit abc "$tmp/ok.trace"
check "bad bandwidth" expect_error 2 "--max-bandwidth fast" "$sim" --max-bandwidth fast "$tmp/ok.trace"
check "bad algorithm" expect_error 2 "--algorithm postcopy: expected precopy|mplm|stopcopy" "$sim" --algorithm postcopy "$tmp/ok.trace"
check "dirtypercents range" expect_error 2 "--dirtypercents 101" "$sim" --dirtypercents 101 "$tmp/ok.trace"
check "no trace" expect_error 2 "give a TRACE file or --workload SPEC" "$sim" --algorithm mplm
check "malformed trace" expect_error 1 "$tmp/bad.trace:5:" "$sim" "$tmp/bad.trace"
check "missing trace" expect_error 1 "$tmp/none.trace" "$sim" "$tmp/none.trace"
check "VM too small" expect_error 1 "smaller than the trace" "$sim" --memory 4K "$tmp/ok.trace"
check "bad workload" expect_error 1 "workload" "$sim" --workload "nosuchpattern,memory=1G"
check "bad variant" expect_error 2 "--mplm-variant qemu: expected qemu-mplm|paper" "$sim" --mplm-variant qemu "$tmp/ok.trace"
check "bad threshold" expect_error 2 "--threshold-bandwidth link: expected measured|max-bandwidth" "$sim" --threshold-bandwidth link "$tmp/ok.trace"
check "bad replay" expect_error 2 "--replay end: expected spread|interval" "$sim" --replay end "$tmp/ok.trace"

# --replay: a first pass (61.5 ms) shorter than the 100 ms interval sees
# the writes spread over it (tests/test_replay.c works this case out), or
# none of them when the interval lands at its end: pre-copy then stops at
# once. --simple keeps interval replay unless --replay is given.
printf 'mplm-trace 1\npage-size 4096\npages 64\ninterval-us 100000\np 0-31\nd 0\nd 100000 0-63\ne 1000000\n' >"$tmp/short.trace"
syncs() { "$sim" --algorithm precopy --max-bandwidth 4MiB/s --downtime-limit 1 \
	--threshold-bandwidth max-bandwidth "$@" "$tmp/short.trace" | sed -n 's/^dirty sync count: //p'; }
check "replay interval: stops at once" test "$(syncs --simple)" = 3
check "replay interval, given" test "$(syncs --simple --zero-page-bytes 4096 --replay interval)" = 3
check "replay spread: goes on" test "$(syncs --simple --zero-page-bytes 4096 --replay spread)" -gt 3

# The whole trace is checked, also past the point where the migration
# ended: this 16-page VM migrates in milliseconds, the bad line comes at
# 50 s (line 505). One error line naming file and line, no report.
good_head() {
	printf 'mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100000\n'
	i=1
	while [ $i -le 500 ]; do echo "d ${i}00000 $((i % 16))"; i=$((i + 1)); done
}
{ good_head; echo 'e 50000000'; } >"$tmp/late-ok.trace"
{ good_head; echo 'p 3'; } >"$tmp/late-p.trace"
{ good_head; echo 'd 100 3'; } >"$tmp/late-time.trace"
check "late lines: control" sh -c "'$sim' '$tmp/late-ok.trace' | grep -q '^Migration status: completed\$'"
check "p after d, late" expect_error 1 "$tmp/late-p.trace:505: p line after a d line" "$sim" "$tmp/late-p.trace"
check "decreasing time, late" expect_error 1 "$tmp/late-time.trace:505: d time 100 does not increase" "$sim" "$tmp/late-time.trace"
# Two gzip members, the second cut short; the first is over the reader's
# 1 MiB buffer, so opening the trace does not reach the cut.
{ good_head; i=501; while [ $i -le 80000 ]; do echo "d ${i}00000 0-15"; i=$((i + 1)); done; } | gzip >"$tmp/cut.trace.gz"
seq 80001 120000 | sed 's/.*/d &00000 1/' | gzip >"$tmp/tail.gz"
head -c $(($(wc -c <"$tmp/tail.gz") / 2)) "$tmp/tail.gz" >>"$tmp/cut.trace.gz"
check "truncated gzip member, late" expect_error 1 "$tmp/cut.trace.gz:" "$sim" "$tmp/cut.trace.gz"
check "truncated gzip: says so" grep -q "truncated gzip" "$tmp/err"

# A good run: QEMU's info migrate lines, the invariant checked.
"$sim" --algorithm precopy --max-bandwidth 1Gbps "$tmp/ok.trace" >"$tmp/out" 2>&1
check "info migrate" grep -q "^Migration status: completed$" "$tmp/out"
check "info migrate fields" grep -q "^normal bytes: .* kbytes$" "$tmp/out"
check "verified" grep -q "^verified: every page matches" "$tmp/out"

# JSON: query-migrate's fields and units (ms), per-sync records.
"$sim" --json --max-bandwidth 125MiB/s --memory 2M "$tmp/ok.trace" >"$tmp/json" 2>&1
for key in '"status": "completed"' '"total-time":' '"downtime":' '"setup-time":' \
	'"ram":' '"transferred":' '"normal-bytes":' '"dirty-sync-count":' '"mbps":' '"syncs":' \
	'"mplm-variant": "qemu-mplm"' '"threshold-bandwidth": "measured"' '"cause": "setup"' \
	'"threshold":' '"verdict": "converged"'; do
	check "json $key" grep -qF "$key" "$tmp/json"
done
check "json total ram" grep -qF '"total": 2097152' "$tmp/json"

# Post-copy after one pass on MG: the switch, the faults, the invariant;
# the JSON's post-copy fields; refusals in one line.
"$sim" --algorithm precopy --postcopy-ram on --postcopy-after-passes 1 --start-at 2 \
	workloads/traces/npb/npb-mg.B.trace.gz >"$tmp/out" 2>&1
check "postcopy completes" grep -q "^Migration status: completed$" "$tmp/out"
check "postcopy request count" grep -q "^postcopy request count: [1-9][0-9]*$" "$tmp/out"
check "postcopy summary" grep -q "^post-copy: [1-9][0-9]* remote faults, guest waited [0-9.]* s on them" "$tmp/out"
check "postcopy verified" grep -q "^verified: every page the destination holds is the latest$" "$tmp/out"
"$sim" --json --algorithm precopy --postcopy-ram on --postcopy-after-passes 1 --rtt 50 \
	--start-at 2 workloads/traces/npb/npb-mg.B.trace.gz >"$tmp/json" 2>&1
for key in '"postcopy-requests":' '"postcopy-ram": true' '"postcopy-after-passes": 1' \
	'"postcopy-pages":' '"postcopy-wait":' '"postcopy-time":' '"verdict": "postcopy"'; do
	check "json $key" grep -qF "$key" "$tmp/json"
done
check "postcopy with mplm" expect_error 1 "postcopy-ram: only with algorithm precopy" \
	"$sim" --algorithm mplm --postcopy-ram on "$tmp/ok.trace"
check "start-postcopy-at without postcopy-ram" expect_error 1 \
	"start-postcopy-at: Enable postcopy with migrate_set_capability" \
	"$sim" --algorithm precopy --start-postcopy-at 1 "$tmp/ok.trace"
check "bad rtt" expect_error 2 "--rtt far: expected a duration" "$sim" --rtt far "$tmp/ok.trace"

# --verbose prints qemu-mplm's per-sync lines.
"$sim" --verbose workloads/traces/npb/npb-mg.B.trace.gz --start-at 2 >"$tmp/out" 2>&1
check "verbose sync lines" grep -q "^sync 1: t=3.0" "$tmp/out"
check "verbose final" grep -q "(final)" "$tmp/out"

# A generated workload runs in memory.
"$sim" --workload uniform,memory=64M,wss=32M,rate=5000,duration=20,seed=3 --memory 128M >"$tmp/out" 2>&1
check "workload run" grep -q "^Migration status: completed$" "$tmp/out"

# A machine profile is the machine settings, read through the same table:
# the run equals one with the same values given as options, options after
# --profile win, and a bad line is one error naming the file and line.
cat >"$tmp/prof" <<EOF
# from kvmlite calibrate
sync-fixed = 26 us
sync-per-page = 43 ns
header-bytes = 20
zero-page-bytes = 20
zero-page-cost = 0.25 us
state-bytes = 5500
bandwidth = 600MB/s
EOF
wl="--json --workload uniform,pages=4096,wss=8M,rate=3k,duration=20,seed=2 --max-bandwidth 0"
"$sim" --profile "$tmp/prof" $wl >"$tmp/p1" 2>&1
"$sim" --sync-fixed 26us --sync-per-page 43 --header-bytes 20 --zero-page-bytes 20 \
	--zero-page-cost 0.25 --state-bytes 5500 --bandwidth 600MB/s $wl >"$tmp/p2" 2>&1
check "profile = options" cmp -s "$tmp/p1" "$tmp/p2"
"$sim" --profile "$tmp/prof" --bandwidth 1Gbps $wl >"$tmp/p3" 2>&1
check "options after the profile win" sh -c "! cmp -s '$tmp/p1' '$tmp/p3'"
"$sim" --zero-page-cost 0 $wl >"$tmp/z0" 2>&1
"$sim" --zero-page-cost 5us $wl >"$tmp/z5" 2>&1
check "zero pages cost CPU" sh -c "! cmp -s '$tmp/z0' '$tmp/z5'"
printf 'header-bytes = 20\ndowntime-limit = 300\n' >"$tmp/badprof"
check "bad profile line" expect_error 2 "badprof: line 2: downtime-limit is not a machine setting" "$sim" --profile "$tmp/badprof" $wl

# Bounded inputs: a six-line trace that claims 2^36 pages is refused before
# anything is allocated, with what it would need and what there is.
printf 'mplm-trace 1\npage-size 4096\npages 68719476736\ninterval-us 100000\nd 100000 0-3\ne 200000\n' >"$tmp/huge.trace"
check "2^36 pages refused" expect_error 1 "needs 96 GiB of the simulator's memory" "$sim" "$tmp/huge.trace"
check "so is a 1 us interval" expect_error 2 "intervaltime 0.000001: out of range: 0.001 s" "$sim" --intervaltime 0.000001 "$tmp/huge.trace"
# Issue 8's bugs, as filed. A link slower than max-bandwidth: the downtime
# stays at about the 300 ms limit (it was 3011 ms).
timeout 300 "$sim" --algorithm precopy --downtime-limit 300 --bandwidth 100Mbps \
	--workload uniform,memory=1G,wss=256M,rate=2000,duration=120,seed=1 >"$tmp/out" 2>&1
check "slow link completes" grep -q "^Migration status: completed$" "$tmp/out"
downtime=$(sed -n 's/^downtime: \([0-9]*\) milliseconds$/\1/p' "$tmp/out")
check "slow link downtime near the limit ($downtime ms)" test "${downtime:-99999}" -le 330
# The idle wait with an interval of no whole number of clock ticks hung.
for inv in 0.7 0.1 0.3; do
	timeout 120 "$sim" --workload uniform,pages=4096,wss=4M,rate=100,duration=5,seed=1 \
		--extend-live-at 0 --end-live-at 60 --intervaltime $inv >"$tmp/out" 2>&1
	check "intervaltime $inv returns" grep -q "^Migration status: completed$" "$tmp/out"
	check "intervaltime $inv: end-live ends it" grep -q "^total time: 60[0-9][0-9][0-9] milliseconds$" "$tmp/out"
done

finish
