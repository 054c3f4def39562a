#!/bin/sh
# test_slurm.sh - `mplm-exp slurm` on a real one-node Slurm cluster: start
# munged, slurmctld and slurmd on loopback ports with their state in a
# temporary folder (scripts/slurm-cluster.sh), submit the Figure 4 sweep
# as 4 array tasks plus the merge job, and check that the merged database
# holds exactly what a local run of the same sweep stores, that merging
# again adds nothing, and that the merge job drew the figures. The daemons
# are stopped on every exit. Where they cannot run, the test fails and
# says why.
. scripts/testlib.sh
. scripts/slurm-cluster.sh
trap 'cluster_stop; rm -rf "$tmp"' EXIT
exp=${MPLM_BUILD:-build/san}/mplm-exp
ini=experiments/paper/paper-fig4.ini

# --dry-run prints both scripts and submits nothing.
check "dry run" sh -c "'$exp' slurm --tasks 4 --dry-run --partition p1 \
	--db '$tmp/merged.db' --out '$tmp/results' $ini >'$tmp/dry.out'"
check "the array script" has "#SBATCH --array=1-4" "$tmp/dry.out"
check "the partition" has "#SBATCH --partition=p1" "$tmp/dry.out"
check "the merge script" has "merge '$tmp/merged.db'" "$tmp/dry.out"
check "nothing merged" [ ! -e "$tmp/merged.db" ]

if ! cluster_start "$tmp/cluster"; then
	echo "FAIL: cannot start a one-node Slurm cluster here: $cluster_why"
	exit 1
fi

# One repetition of every point (36 runs), as 4 tasks.
check "slurm submits" sh -c "'$exp' slurm --tasks 4 --repetitions 1 \
	--db '$tmp/merged.db' --out '$tmp/results' $ini >'$tmp/submit.out' 2>&1"
cat "$tmp/submit.out"
check "a job array and a merge job" has "submitted job array" "$tmp/submit.out"

# The whole queue drains (jobs of this private cluster only).
check "the jobs finished within 15 min" cluster_drain 900
jobdir=$tmp/results/paper-fig4/slurm
for k in 1 2 3 4; do
	check "shard $k" [ -s "$jobdir/shard-$k.db" ]
done
check "the merge job merged" grep -q "merged .*shard-4.db" "$jobdir/merge.out"
check "the merge job plotted" [ -s "$tmp/results/paper-fig4/fig4.png" ]
check "the merge job reported" [ -s "$tmp/results/paper-fig4/summary.md" ]

# The same sweep, locally.
check "local run" sh -c "'$exp' run -j 2 --no-progress --repetitions 1 \
	--db '$tmp/local.db' $ini >/dev/null"

# Every column but the ones that say when, where and how fast it ran.
cols=$(sqlite3 "$tmp/local.db" "SELECT group_concat(name) FROM
	pragma_table_info('runs') WHERE name NOT IN ('id', 'experiment_id',
	'finished_at', 'wall_seconds', 'sim_seconds', 'peak_rss_bytes')")
scols=$(sqlite3 "$tmp/local.db" "SELECT group_concat('s.' || name) FROM
	pragma_table_info('syncs') WHERE name != 'run_id'")
differ() {
	sqlite3 "$tmp/merged.db" "ATTACH '$tmp/local.db' AS l;
	SELECT (SELECT count(*) FROM (SELECT $cols FROM main.runs EXCEPT
	                              SELECT $cols FROM l.runs))
	     + (SELECT count(*) FROM (SELECT $cols FROM l.runs EXCEPT
	                              SELECT $cols FROM main.runs))
	     + (SELECT count(*) FROM (
	          SELECT r.param_hash, r.repetition, $scols FROM main.syncs s
	          JOIN main.runs r ON r.id = s.run_id EXCEPT
	          SELECT r.param_hash, r.repetition, $scols FROM l.syncs s
	          JOIN l.runs r ON r.id = s.run_id))"
}
runs() { sqlite3 "$1" "SELECT count(*) FROM runs"; }
check "36 runs merged" [ "$(runs "$tmp/merged.db")" -eq 36 ]
check "as many as locally" [ "$(runs "$tmp/merged.db")" -eq "$(runs "$tmp/local.db")" ]
check "the same syncs" [ "$(sqlite3 "$tmp/merged.db" "SELECT count(*) FROM syncs")" \
	-eq "$(sqlite3 "$tmp/local.db" "SELECT count(*) FROM syncs")" ]
d=$(differ)
echo "rows that differ between the merged and the local database: $d"
check "merged = local" [ "$d" = 0 ]
check "the same definition" [ "$(sqlite3 "$tmp/merged.db" "SELECT count(*) FROM current_runs")" -eq 36 ]

# Merging again adds nothing; another schema version is refused.
check "merge again" sh -c "'$exp' merge '$tmp/merged.db' '$jobdir'/shard-*.db >'$tmp/again.out'"
check "nothing added" [ "$(grep -c ' 0 runs added' "$tmp/again.out")" -eq 4 ]
check "still 36" [ "$(runs "$tmp/merged.db")" -eq 36 ]
cp "$jobdir/shard-1.db" "$tmp/old.db"
sqlite3 "$tmp/old.db" "PRAGMA user_version = 1"
check "another version refused" expect_error 1 "schema version 1" "$exp" merge "$tmp/merged.db" "$tmp/old.db"

finish
