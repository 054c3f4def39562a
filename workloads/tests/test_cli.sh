#!/bin/sh
# mplm-workload end to end: same seed => byte-identical file, gzip output,
# --stats, copying a trace, and one clear error line for each failure.
# Runs from the repository root; MPLM_BUILD names the build directory.
set -u
bin=${MPLM_BUILD:-build}/mplm-workload
npb=workloads/traces/npb
[ -x "$bin" ] || { echo "no $bin (build it first)"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # DESCRIPTION COMMAND...: the command must succeed
	what=$1; shift
	if ! "$@"; then echo "FAIL: $what"; fails=$((fails + 1)); fi
}
fails_with() { # DESCRIPTION STATUS PATTERN COMMAND...: exit STATUS, one stderr line matching PATTERN
	what=$1 want=$2 pat=$3; shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
	   ! grep -q -- "$pat" "$tmp/err"; then
		echo "FAIL: $what (exit $rc, stderr: $(cat "$tmp/err"))"
		fails=$((fails + 1))
	fi
}

spec=hotspot,memory=256M,rate=20000,duration=3,seed=7
other=hotspot,memory=256M,rate=20000,duration=3,seed=8
check "generate plain" "$bin" -o "$tmp/a.trace" "$spec"
check "generate again" "$bin" -o "$tmp/b.trace" "$spec"
check "same seed, same bytes" cmp -s "$tmp/a.trace" "$tmp/b.trace"
check "stdout is the same" sh -c "'$bin' '$spec' | cmp -s - '$tmp/a.trace'"
check "generate gzip" "$bin" -o "$tmp/a.trace.gz" "$spec"
check "generate gzip again" "$bin" --output "$tmp/b.trace.gz" "$spec"
check "same seed, same gzip bytes" cmp -s "$tmp/a.trace.gz" "$tmp/b.trace.gz"
check "gzip holds the plain text" sh -c "gzip -dc '$tmp/a.trace.gz' | cmp -s - '$tmp/a.trace'"
check "other seed" "$bin" -o "$tmp/c.trace" "$other"
check "other seed, other bytes" sh -c "! cmp -s '$tmp/a.trace' '$tmp/c.trace'"
check "header first" sh -c "head -n 1 '$tmp/a.trace' | grep -qx 'mplm-trace 1'"
check "ends with e" sh -c "tail -n 1 '$tmp/a.trace' | grep -qx 'e 3000000'"

check "stats of a spec" sh -c "'$bin' --stats '$spec' >'$tmp/s1'"
check "stats of its trace" sh -c "'$bin' --stats '$tmp/a.trace.gz' >'$tmp/s2'"
check "stats: intervals" grep -qx 'intervals: 30' "$tmp/s1"
# 20,000 page writes/s; a hotspot's writes repeat pages, so each 100 ms
# interval holds fewer distinct pages than writes.
check "stats: rate" grep -qx 'mean-dirty-per-s: 19054' "$tmp/s1"
check "stats: same numbers from the file" cmp -s "$tmp/s1" "$tmp/s2"

check "stats of NPB BT" sh -c "'$bin' --stats '$npb/npb-bt.B.trace.gz' >'$tmp/bt'"
check "BT intervals" grep -qx 'intervals: 1202' "$tmp/bt"
check "BT distinct pages" grep -q '^distinct-written: 44478 ' "$tmp/bt"
check "BT peak" grep -qx 'peak-dirty-per-s: 345446' "$tmp/bt"
check "copy a trace" "$bin" -o "$tmp/mg.trace" "$npb/npb-mg.B.trace.gz"
check "copy keeps the numbers" sh -c "'$bin' --stats '$tmp/mg.trace' | grep -qx 'intervals: 73'"

check "help" sh -c "'$bin' --help | grep -q '^usage: mplm-workload'"
fails_with "bad spec" 1 '^mplm-workload: workload uniform,memory=1G: rate' "$bin" uniform,memory=1G
fails_with "unknown pattern" 1 "unknown pattern 'nosuch'" "$bin" --stats nosuch,memory=1G
fails_with "no argument" 2 'missing SPEC' "$bin"
fails_with "two arguments" 2 'more than one' "$bin" a b
fails_with "bad option" 2 'try --help' sh -c "'$bin' --nosuch 2>&1 >/dev/null | tail -n 1 >&2; exit 2"
fails_with "disk full" 1 '/dev/full: write error: No space left on device' \
	"$bin" -o /dev/full uniform,memory=64M,rate=1000,duration=1
check "/dev/full is still a device" test -c /dev/full
fails_with "cannot create" 1 'cannot open for writing' "$bin" -o "$tmp/no/such/dir.trace" "$spec"
printf 'mplm-trace 1\npage-size 4096\npages 8\ninterval-us 1\nd 5 9\n' >"$tmp/bad.trace"
fails_with "bad trace" 1 "bad.trace:5: page 9 out of range" "$bin" --stats "$tmp/bad.trace"
fails_with "bad trace copy" 1 "bad.trace:5: page 9" "$bin" -o "$tmp/out.trace" "$tmp/bad.trace"
check "no partial output left" test ! -e "$tmp/out.trace"

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
