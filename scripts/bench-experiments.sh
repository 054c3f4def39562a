#!/bin/sh
# make bench: the experiment runner's speed.
# 1. Wall time of the whole Figure 4 sweep (four benchmarks, eight downtime
#    limits plus MPLM, ten repetitions: 360 simulated migrations) with two
#    workers, against issue 14's target of 4 s (it was 60 s). The sweep's
#    CPU time (user + system) is printed too: on a loaded machine the wall
#    time says more about the other users than about the sweep.
# 2. Sweep throughput (runs/s, the sweep at 2 repetitions: 72 runs) locally
#    with 1 and 2 workers, and on a one-node Slurm cluster started here
#    (scripts/slurm-cluster.sh) as 2 array tasks, submission to merged
#    database: side by side.
set -eu
build=${1:-build}
tmp=$(mktemp -d)
. scripts/slurm-cluster.sh
trap 'cluster_stop; rm -rf "$tmp"' EXIT
ini=experiments/paper/paper-fig4.ini
now() { date +%s.%N; }

# `times` runs in this shell (a $(...) subshell has no children yet).
times >"$tmp/t0"
start=$(now)
"$build/mplm-exp" run -j 2 --no-progress --db "$tmp/fig4.db" $ini >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
end=$(now)
times >"$tmp/t1"
runs=$(sqlite3 "$tmp/fig4.db" "SELECT count(*) FROM runs WHERE status != 'failed'")
# Children's user + system seconds from `times` ("XmY.YYYs XmY.YYYs").
cpu() { awk 'NR == 2 { split($1, u, /[ms]/); split($2, y, /[ms]/); printf "%.6f\n", u[1] * 60 + u[2] + y[1] * 60 + y[2] }' "$1"; }
echo "experiments"
awk -v s="$start" -v e="$end" -v n="$runs" -v c0="$(cpu "$tmp/t0")" -v c1="$(cpu "$tmp/t1")" 'BEGIN {
	t = e - s
	printf "  %-52s %12.3f %-8s target < %-8g %5.2fx %s\n",
		"Figure 4 sweep, " n " runs, -j 2: wall time", t, "s", 4, 4 / t, (t < 4 ? "ok" : "MISSED")
	printf "      CPU time (user + system): %.3f s, %.2f s per worker\n", c1 - c0, (c1 - c0) / 2
}'

# Throughput: runs per second of wall time.
rate() {
	awk -v s="$1" -v e="$2" -v n="$3" -v what="$4" 'BEGIN {
		printf "  %-52s %12.2f %-8s (%d runs in %.1f s)\n", what, n / (e - s), "runs/s", n, e - s
	}'
}
for j in 1 2; do
	start=$(now)
	"$build/mplm-exp" run -j $j --repetitions 2 --no-progress --db "$tmp/j$j.db" $ini >/dev/null
	rate "$start" "$(now)" 72 "Figure 4 sweep x2 reps, local, -j $j: throughput"
done
if cluster_start "$tmp/cluster" >"$tmp/cluster.log" 2>&1; then
	start=$(now)
	"$build/mplm-exp" slurm --tasks 2 --repetitions 2 --db "$tmp/slurm.db" \
		--out "$tmp/results" $ini >/dev/null
	if cluster_drain 900; then
		n=$(sqlite3 "$tmp/slurm.db" "SELECT count(*) FROM runs")
		rate "$start" "$(now)" "$n" "same, one-node Slurm, 2 tasks + merge: throughput"
	else
		echo "  one-node Slurm: the jobs did not finish within 15 min"
	fi
else
	echo "  one-node Slurm: not measured: $cluster_why"
fi
