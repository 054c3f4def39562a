#!/bin/sh
# make bench: mplm-sim against SimGrid's live-migration plugin (a fluid
# model) on the same migrations, as whole processes: an 8 GiB VM whose
# guest dirties 35k, 47k or 207k pages/s over 90 % of its memory, pre-copy
# with a 30 ms downtime limit (SimGrid's fixed one), over 1 and 10 Gbps.
# At 10 Gbps every case converges; at 1 Gbps none does, and both stop at
# 1,000 simulated seconds. The two programs run alternately, RUNS times
# each per case; the medians of their wall times are compared. Both
# simulators' total time and downtime are printed too: the models differ
# (experiments/README.md, "mplm-sim and SimGrid").
# Usage: bench-vs-simgrid.sh BUILD_DIR   (RUNS=7 by default)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # EPOCHREALTIME: us, no fork
set -eu
build=${1:-build}
runs=${RUNS:-7}
root=$(cd "$(dirname "$0")/.." && pwd)
sg="$build/simgrid/simgrid-migrate"
src="$root/simulator/bench/simgrid_migrate.cpp"

if ! pkg-config --exists simgrid 2>/dev/null && [ ! -e /usr/include/simgrid/plugins/live_migration.h ]; then
	echo "bench-vs-simgrid: SimGrid is missing (libsimgrid-dev; scripts/install-deps.sh installs it)" >&2
	exit 1
fi
if [ ! -x "$sg" ] || [ "$src" -nt "$sg" ]; then
	mkdir -p "$(dirname "$sg")"
	${CXX:-g++} -O2 -std=c++17 -Wall -Wextra -Werror "$src" -lsimgrid -o "$sg"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 90 % of 8 GiB, whole pages (SimGrid's default working set).
wss=$((2097152 * 9 / 10 * 4096))

# CPU seconds (user + system) of all finished children so far, into
# variable $1 (`times` must run in this shell, not in a $(...) subshell).
children_cpu() {
	times >"$tmp/times"
	read -r "$1" < <(awk 'NR == 2 { split($1, u, /[ms]/); split($2, y, /[ms]/); printf "%.6f\n", u[1] * 60 + u[2] + y[1] * 60 + y[2] }' "$tmp/times")
}

# One command's wall time and CPU time, seconds ("WALL CPU"); its stdout
# is kept in $tmp/out. CPU time is what a loaded machine does not inflate.
timed() {
	local c0 t0 t1 c1
	children_cpu c0
	t0=$EPOCHREALTIME
	"$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
	t1=$EPOCHREALTIME
	children_cpu c1
	awk -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" 'BEGIN { printf "%.6f %.6f\n", b - a, d - c }'
}

# Median of column COL of stdin.
median() { awk -v c="$1" '{ print $c }' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "mplm-sim vs SimGrid 3.32 live migration (whole processes, median of $runs alternating runs each;"
echo "wall time, and CPU time (user + system), which a loaded machine does not inflate)"
printf "  %-28s %15s %15s %11s   %-26s %-26s\n" "case (8 GiB, pre-copy 30 ms)" "mplm-sim wall/cpu" "SimGrid wall/cpu" "ratio w/cpu" "mplm-sim total/downtime" "SimGrid total/downtime"
ratio_conv= cpu_conv=
for gbps in 10 1; do
	for rate in 35000 47000 207000; do
		bps=$((gbps * 125000000))
		spec="uniform,memory=8G,wss=$wss,rate=$rate,duration=100000,seed=1"
		: >"$tmp/ts" ; : >"$tmp/tg"
		for _ in $(seq "$runs"); do
			timed "$build/mplm-sim" --algorithm precopy --downtime-limit 30ms \
				--bandwidth "$bps" --max-bandwidth "$bps" --max-total-time 1000 \
				--no-verify --workload "$spec" >>"$tmp/ts"
			sim_total=$(awk '/^total time:/ { printf "%.3f", $3 / 1000 }' "$tmp/out")
			sim_down=$(awk '/^downtime:/ { printf "%.3f", $2 / 1000 }' "$tmp/out")
			sim_status=$(awk '/^Migration status:/ { print $3 }' "$tmp/out")
			timed "$sg" 8 "$bps" "$rate" 1000 >>"$tmp/tg"
			read -r sg_status sg_total sg_down <"$tmp/out"
		done
		ts=$(median 1 <"$tmp/ts") tg=$(median 1 <"$tmp/tg")
		cs=$(median 2 <"$tmp/ts") cg=$(median 2 <"$tmp/tg")
		ratio=$(awk -v a="$ts" -v b="$tg" 'BEGIN { printf "%.2f", a / b }')
		cratio=$(awk -v a="$cs" -v b="$cg" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		[ "$gbps" = 10 ] && [ "$rate" = 207000 ] && ratio_conv=$ratio cpu_conv=$cratio
		printf "  %-28s %7.3f/%.3fs %7.3f/%.3fs %5s/%-5s   %-26s %-26s\n" "$gbps Gbps, ${rate} pages/s" \
			"$ts" "$cs" "$tg" "$cg" "$ratio" "$cratio" \
			"$(printf "%.3f/%.3f s %s" "$sim_total" "$sim_down" "$sim_status")" \
			"$(printf "%.3f/%.3f s %s" "$sg_total" "$sg_down" "$sg_status")"
	done
done
awk -v r="$ratio_conv" -v c="$cpu_conv" 'BEGIN {
	printf "  %-52s %12.2f %-8s target <= %-7g %5.2fx %s\n",
		"converging 8 GiB, 10 Gbps, 207k pages/s: mplm-sim/SimGrid wall", r, "", 1, 1 / r, (r <= 1 ? "ok" : "MISSED")
	printf "  %-52s %12.2f %-8s target <= %-7g %5.2fx %s\n",
		"the same, CPU time", c, "", 1, 1 / c, (c <= 1 ? "ok" : "MISSED")
}'
