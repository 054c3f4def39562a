#!/bin/sh
# make demo: reproduce the MPLM paper's Figure 4 and Table I on the
# simulator, compare MPLM with QEMU's stronger baselines (auto-converge,
# post-copy), store every run in results/mplm.db, draw the figures and
# write the tables under results/, and print the paper-vs-mplm-lab
# comparison and the baselines table.
#
# Environment: B (build dir, default build), JOBS (default: CPUs),
# DEMO_RESUME=1 keeps runs already stored (default: run everything again,
# so the numbers are this build's), DEMO_BOUNDS=0 skips the memory-bound
# sweep, DEMO_EXPECT_UNCHANGED=1 fails if a committed file under results/
# changed (the run's own wall times and peak RSS go to the git-ignored
# results/*/machine.*, so nothing else may move when nothing changed).
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
DB=results/mplm.db
EXP=$B/mplm-exp
P=experiments/paper

[ -x "$EXP" ] || make "$EXP"
mkdir -p results

rerun=--rerun
[ "${DEMO_RESUME:-0}" = 1 ] && rerun=
experiments="$P/paper-fig4.ini $P/paper-fig4-fitted.ini $P/paper-table1.ini $P/paper-fig4-traces.ini
$P/baselines.ini experiments/sweeps/precopy-vs-mplm.ini"
names="paper-fig4 paper-fig4-fitted paper-table1 paper-fig4-traces baselines precopy-vs-mplm"
if [ "${DEMO_BOUNDS:-1}" = 1 ]; then
	experiments="$experiments $P/bounds-sweep.ini"
	names="$names bounds-sweep"
fi

start=$(date +%s)
echo "== running the experiments ($JOBS workers, database $DB)"
# shellcheck disable=SC2086
"$EXP" run -j "$JOBS" $rerun --db "$DB" $experiments
echo "== figures and tables"
# shellcheck disable=SC2086
"$EXP" plot --db "$DB" --out results $names >/dev/null
# shellcheck disable=SC2086
"$EXP" report --quiet --db "$DB" --out results $names

echo
./scripts/paper-prediction.sh results
echo
cat results/paper-table1/table1.md
cat results/baselines/baselines.md
echo "== results ($(($(date +%s) - start)) s)"
echo "database:     $DB (schema: experiments/SCHEMA.md)"
for n in $names; do
	echo "$n:"
	for f in results/$n/fig4.png results/$n/bounds.png results/$n/baselines.png results/$n/tradeoff.png; do
		[ -f "$f" ] && echo "  figure      $f (and .svg)"
	done
	ls results/$n/fig4-*.png 2>/dev/null | sed 's/^/  figure      /'
	for f in summary baselines paper-vs-mplm-lab table1 prediction machine; do
		[ -f "results/$n/$f.md" ] && echo "  table       results/$n/$f.md (and .csv)"
	done
done

# Against the committed results: what moved, if anything.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	changed=$(git status --porcelain -- results/)
	if [ -z "$changed" ]; then
		echo "results/:    the same as committed"
	else
		echo "results/:    differs from the commit:"
		echo "$changed" | sed 's/^/  /'
		if [ "${DEMO_EXPECT_UNCHANGED:-0}" = 1 ]; then
			echo "demo: results/ changed, and DEMO_EXPECT_UNCHANGED=1" >&2
			exit 1
		fi
	fi
fi
exit 0
