#!/bin/sh
# scripts/plot-timeline.sh on a database mplm-exp makes here: the classroom
# VM (256 pages, 128 pages/s, no extra costs) under pre-copy and MPLM.
# The series it plots are checked against the syncs table and by hand;
# the figures are made; bad input gets one line and a non-zero exit.
set -u
root=$(pwd)
build=${MPLM_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
plot="$root/scripts/plot-timeline.sh"
for tool in sqlite3 gnuplot; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"
		exit 77
	fi
done
. "$root/scripts/testlib.sh"
cd "$tmp" || exit 1

cp "$root/experiments/classroom/classroom.ini" .
"$build/mplm-exp" run -j 1 --no-progress --db classroom.db classroom.ini >exp.out 2>&1 ||
	{ echo "FAILED: mplm-exp run"; cat exp.out; exit 1; }
q() { sqlite3 -readonly classroom.db "$1"; }
pre=$(q "SELECT id FROM runs WHERE algorithm = 'precopy'")
mplm=$(q "SELECT id FROM runs WHERE algorithm = 'mplm'")

sh "$plot" --keep kept -o both.png classroom.db "$pre" "$mplm" >out 2>err
check "plot runs" test $? -eq 0
check "prints the figure" grep -qx both.png out
check "png" sh -c "head -c 8 both.png | grep -q PNG"

# The series: a row per sync, then the downtime.
syncs=$(q "SELECT count(*) FROM syncs WHERE run_id = $mplm")
check "a row per sync and the downtime" test "$(wc -l <kept/run-$mplm.dat)" -eq $((syncs + 1))
# |D| and |ND| as the syncs table has them.
q "SELECT d_size || ' ' || nd_size FROM syncs WHERE run_id = $mplm ORDER BY idx" >want
awk 'NR <= '"$syncs"' { print $2, $3 }' "kept/run-$mplm.dat" >got
check "D and ND" cmp -s want got
# Epoch 0 sends 128 pages in 1 s: 0.5 MiB/s, the link's rate.
check "epoch 0 at the link's rate" awk 'NR == 2 { exit !($4 == 0.5) }' "kept/run-$mplm.dat"
# The last row ends at the total time, with every byte sent.
tail -n 1 "kept/run-$mplm.dat" >last
total=$(q "SELECT total_time FROM runs WHERE id = $mplm")
bytes=$(q "SELECT transferred_bytes FROM runs WHERE id = $mplm")
check "ends at the total time" awk -v t="$total" '{ exit !($1 - t < 1e-6 && t - $1 < 1e-6) }' last
check "all bytes sent" awk -v b="$bytes" '{ exit !($6 == b) }' last
# Pre-copy out-dirties the link until the program ends at 30 s.
check "pre-copy dirtied faster than the link" awk 'NR > 2 && $1 < 29 && $5 <= 0.5 { bad = 1 } END { exit bad }' "kept/run-$pre.dat"
check "ND only for MPLM" test "$(grep -c 'ND after each sync' kept/timeline.gp)" -eq 1
check "stages shaded" grep -q "rect from .* fc rgb '#fbe3d6'" kept/timeline.gp
check "axes labelled" grep -q "set xlabel 'time since the migration started (s)'" kept/timeline.gp

# One run, its own scales, SVG.
sh "$plot" --own-scales -o one.svg classroom.db "$mplm" >out 2>err
check "one run as SVG" grep -q "<svg" one.svg
sh "$plot" classroom.db "$pre" >out 2>err
check "default name" test -s "timeline-$pre.png"

check "no such run" expect_error 1 "no run 999999" sh "$plot" classroom.db 999999
check "not a number" expect_error 2 "run id 'x1' is not a number" sh "$plot" classroom.db x1
check "no database" expect_error 1 "nothing.db: no such database" sh "$plot" nothing.db 1
check "bad format" expect_error 1 "must be .png, .svg or .pdf" sh "$plot" -o fig.jpg classroom.db 1
check "too many runs" sh -c "sh '$plot' classroom.db 1 2 3 >/dev/null 2>err; [ \$? -eq 2 ] && grep -q usage: err"

finish
