#!/bin/sh
# make bench: wall time of the whole Figure 4 sweep (four benchmarks, eight
# downtime limits plus MPLM, ten repetitions: 360 simulated migrations)
# with two workers, against the target of 60 s.
set -eu
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
"$build/mplm-exp" run -j 2 --no-progress --db "$tmp/fig4.db" experiments/paper/paper-fig4.ini >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
end=$(date +%s.%N)
runs=$(sqlite3 "$tmp/fig4.db" "SELECT count(*) FROM runs WHERE status != 'failed'")
awk -v s="$start" -v e="$end" -v n="$runs" 'BEGIN {
	t = e - s
	printf "experiments\n"
	printf "  %-52s %12.3f %-8s target < %-8g %5.2fx %s\n",
		"Figure 4 sweep, " n " runs, -j 2: wall time", t, "s", 60, 60 / t, (t < 60 ? "ok" : "MISSED")
}'
