#!/bin/sh
# docs/teaching.md, run as written: every fenced block ```sh ID is
# extracted from the guide and run (from a scratch directory, with the
# build on PATH, and workloads/ and scripts/ pointing at the repository's);
# the block
# ```text ID-output that follows it, if any, must appear line for line in
# what it printed ("..." skips lines); and check_ID below checks the
# observation the exercise promises, in numbers. A block without a
# check_ID, or a check_ID without a block, fails the test, so the guide
# and this test cannot drift apart. Blocks with --step run in an 80x24
# tmux window (skipped with a note if tmux is missing).
set -u
root=$(pwd)
build=${MPLM_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
doc=$root/docs/teaching.md
# tmp, fails, wait_for; the trap below also stops the tmux servers.
. "$root/scripts/testlib.sh"
trap 'for s in "$tmp"/tmux-*.sock; do tmux -S "$s" kill-server 2>/dev/null; done; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/blocks" "$tmp/run" "$tmp/out" "$tmp/work"
have_tmux=1
command -v tmux >/dev/null 2>&1 || have_tmux=0

fail() {
	echo "FAILED: $id: $*"
	fails=$((fails + 1))
}

# ---------------------------------------------------------------- helpers

out() { cat "$tmp/out/$id"; }
# The output with wrapped lines joined, for sentences.
flat() { tr '\n' ' ' <"$tmp/out/$id" | tr -s ' '; }
# (replaces testlib's has: here the text is the block's output)
has() { flat | grep -qF -- "$1" || fail "no '$1'"; }
# field NAME: the number after "NAME: " in info migrate.
field() { sed -n "s/^$1: \([0-9.]*\).*/\1/p" "$tmp/out/$id" | head -n 1; }
# awk_ok EXPR: an awk condition on numbers, with the values as arguments.
ok() { awk "BEGIN { exit !($1) }" || fail "$2"; }
# live|downtime|total of each "live time: ..." line, in order.
timings() {
	sed -n "s/.*live time: \([0-9.]*\) s, downtime: \([0-9.]*\) s, total: \([0-9.]*\) s.*/\1 \2 \3/p" "$tmp/out/$id"
}
# Column $1 of timings() is increasing (or, with $2 = down, decreasing).
monotonic() {
	timings | awk -v c="$1" -v dir="${2:-up}" '
		NR > 1 && ((dir == "up" && $c <= prev) || (dir == "down" && $c >= prev)) { bad = 1 }
		{ prev = $c } END { exit bad || NR < 2 }' || fail "column $1 not ${2:-up}"
}

# ------------------------------------------------------- the observations

check_ex1_converge() {
	has "so pre-copy stops the live stage"
	[ "$(field 'dirty sync count')" = 5 ] || fail "not 5 syncs"
	ok "$(field downtime) <= 300" "downtime over the 300 ms limit"
	[ "$(grep -c '^Memory map: pre-copy, sync' "$tmp/out/$id")" -eq 5 ] || fail "not a map per sync"
	! grep -q "$(printf '\033')" "$tmp/out/$id" || fail "colour in a file"
}

check_ex1_diverge() {
	n=$(flat | grep -o "Pending did not shrink" | wc -l)
	ok "$n >= 5" "pending shrank too often ($n)"
	has "that leaves room for 0 newly dirtied pages"
	# The live stage outlasts the program, which writes until 30 s.
	ok "$(field 'total time') >= 30000" "converged before the program ended"
	ok "$(field downtime) <= 300" "downtime over the limit"
}

check_ex1_give_up() {
	grep -qx "Migration status: not-converged" "$tmp/out/$id" || fail "not not-converged"
	ok "$(field 'total time') >= 10000" "gave up before 10 s"
	ok "$(field 'remaining ram') > 0" "nothing remaining"
}

check_ex2_limits() {
	[ "$(timings | wc -l)" -eq 5 ] || fail "not 5 limits"
	# Downtime under each limit, growing with it; total time falling.
	paste -d ' ' "$tmp/out/$id" /dev/null | awk '{ split($0, a, " ms:"); lim = a[1] / 1000
		if (match($0, /downtime: [0-9.]+/)) { d = substr($0, RSTART + 10, RLENGTH - 10); if (d > lim) bad = 1 } }
		END { exit bad }' || fail "a downtime over its limit"
	monotonic 2 up
	monotonic 3 down
	ok "$(timings | tail -n 1 | cut -d' ' -f1) < 0.1" "2 s limit is not a stop-and-copy"
}

check_ex3_bound() {
	has "it empties within about 256 / 64.0 = 4.000 s"
	has "ND is now empty"
	ok "$(timings | cut -d' ' -f1) <= 4.0" "live stage over the bound"
	rates_explained
}

check_ex3_dirtypercents() {
	[ "$(timings | wc -l)" -eq 6 ] || fail "not 6 values"
	timings | awk 'BEGIN { split("0 25 50 75 90", dp, " ") }
		NR <= 5 { bound = 256 / (128 * (1 - dp[NR] / 100)); if ($1 > bound) bad = 1
			  if ($2 < 0.9 || $2 > 1.1) bad = 1 }
		NR == 6 && $1 < 60 { bad = 1 }
		END { exit bad }' || fail "a live time over its bound, a downtime off 1 s, or dp 100 bounded"
	monotonic 1 up
}

# The two rates of the same run, and the guide's glossary for them.
rates_explained() {
	has "The guest dirtied 133 distinct pages in those 1.000 s (133 pages/s)"
	grep -q "^guest write rate while migrating: 413 pages/s" "$tmp/out/$id" || fail "no write rate of 413"
	grep -q '^| write rate | ' "$doc" || fail "the glossary lacks write rate"
	grep -q '^| dirty rate | \*distinct\* pages' "$doc" || fail "the glossary lacks dirty rate"
}

check_ex3_slides() {
	n=$(ls "$tmp/work/mplm-hotspot" | grep -c '^sync-00[0-9].png$')
	[ "$n" -eq 4 ] || fail "$n PNGs, wanted 4 (one per sync)"
	head -c 8 "$tmp/work/mplm-hotspot/sync-003.png" | grep -q PNG || fail "not a PNG"
	head -c 6 "$tmp/work/mplm-hotspot.gif" | grep -q GIF89a || fail "not a GIF"
	grep -q "^Migration status: completed$" "$tmp/out/$id" || fail "no report"
}

check_ex4_rates() {
	[ "$(timings | wc -l)" -eq 5 ] || fail "not 5 rates"
	monotonic 2 up
	# Near the 2 s bound while the guest writes slower than the link (the
	# first four rates); at 160 pages/s ND empties sooner, never later.
	timings | awk '$1 > 2.5 || (NR <= 4 && $1 < 1.5) || $1 < 1 { bad = 1 } END { exit bad }' ||
		fail "live time off the memory bound"
}

check_ex4_npb() {
	[ "$(timings | wc -l)" -eq 3 ] || fail "not 3 benchmarks"
	monotonic 2 up
	sed -n 's/.*write rate while migrating: \([0-9]*\) pages.*/\1/p' "$tmp/out/$id" |
		awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad || NR != 3 }' ||
		fail "write rates not in the order BT < SP < MG"
}

check_ex5_precopy() {
	# SP's trace ends at 69.74 s, 59.74 s after the start.
	ok "$(field 'total time') >= 59740" "pre-copy converged while SP ran"
	ok "$(field 'dirty sync count') >= 50" "few syncs"
}

check_ex5_mplm() {
	ok "$(field 'total time') < 5000" "MPLM took 5 s or more"
	has "into epoch 0, the last ND page was sent"
	[ "$(grep -c '^Sync [0-9]* at' "$tmp/out/$id")" -eq 2 ] || fail "not 2 syncs"
}

check_ex5_slides() {
	for g in mg-precopy.gif mg-mplm.gif; do
		head -c 6 "$tmp/work/$g" | grep -q GIF89a || fail "$g is not a GIF"
	done
	[ "$(grep -c '^Migration status: completed$' "$tmp/out/$id")" -eq 2 ] || fail "not 2 reports"
}

check_timeline() {
	grep -q '^classroom: 2 runs: 2 run now (0 failed, 0 not converged), 0 already stored;' \
		"$tmp/out/$id" || fail "mplm-exp did not run both"
	head -c 8 "$tmp/work/classroom-timeline.png" | grep -q PNG || fail "no PNG"
	db=$tmp/work/classroom.db
	pre=$(sqlite3 "$db" "SELECT total_time >= 30 AND downtime <= 0.3 FROM runs WHERE algorithm = 'precopy'")
	[ "$pre" = 1 ] || fail "pre-copy did not outlast the program"
	mplm=$(sqlite3 "$db" "SELECT live_time < 1.8 AND abs(downtime - 205 / 128.0) < 1e-6 FROM runs WHERE algorithm = 'mplm'")
	[ "$mplm" = 1 ] || fail "MPLM's live time or downtime differ from the guide"
	d=$(sqlite3 "$db" "SELECT min(d_size) >= 230 AND max(d_size) <= 256 FROM syncs
		JOIN runs ON runs.id = run_id WHERE algorithm = 'precopy' AND idx > 0 AND time < 30")
	[ "$d" = 1 ] || fail "pre-copy's D is not around 250 pages"
	x=$(sqlite3 "$db" "SELECT transferred_bytes / 1048576.0 > 15.5 FROM runs WHERE algorithm = 'precopy'")
	[ "$x" = 1 ] || fail "pre-copy did not send 16 times the VM"
}

# Step blocks: keys pressed and screens expected.

# Exercise 1's search: at 110 and 120 pages/s pre-copy still converges
# while the program runs (before 30 s), at 160 it does not.
step_ex1_step() {
	wait_for "pre-copy | downtime-limit 300 ms | rate 110/s" || fail "first screen"
	key End "(final) | t = 9.398 s"
	key W "rate 120/s"
	key End "(final) | t = 18.898 s"
	key W "rate 130/s"
	key End "(final) | t = 31.094 s"
}

# Exercise 2: the limits of its table, one key each; pre-copy's header
# has no MPLM parameter.
step_ex2_step() {
	wait_for "pre-copy | downtime-limit 300 ms | rate 100/s" || fail "first screen"
	head -n 1 "$tmp/screen" | grep -q "dirtypercents\|intervaltime" && fail "MPLM's parameters shown for pre-copy"
	key ']' "pre-copy | downtime-limit 500 ms"
	key ']' "pre-copy | downtime-limit 1000 ms"
	key ']' "pre-copy | downtime-limit 2000 ms"
	key End "(final)"
	key Left "sync "
	key '[' "pre-copy | downtime-limit 1000 ms"
	key '[' "pre-copy | downtime-limit 500 ms"
	key '[' "pre-copy | downtime-limit 300 ms"
	key '[' "pre-copy | downtime-limit 100 ms"
}

step_ex5_step() {
	wait_for "MPLM | downtime-limit 300 ms | intervaltime 3 s | dirtypercents 50" || fail "first screen"
	wait_for "sync 0 of 2 | t = 0.000 s" || fail "no sync line"
	wait_for "; 1 cell = " || fail "no cell size"
	key Right "Why now: epoch 0 had run for intervaltime = 3.000 s."
	key a "pre-copy | downtime-limit 300 ms"
	key s "pre-copy vs MPLM | downtime-limit 300 ms | intervaltime 3 s"
}

# ------------------------------------------------------------- running

screen() { tmux -S "$sock" capture-pane -p -t teach >"$tmp/screen" 2>/dev/null; }


key() {
	tmux -S "$sock" send-keys -t teach "$1"
	wait_for "$2" || { fail "after $1, no '$2'"; cat "$tmp/screen"; }
}

run_step_block() {
	if [ $have_tmux -eq 0 ]; then
		echo "SKIP $id: tmux is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	sock=$tmp/tmux-$id.sock # a server per block: no race with the last one
	tmux -S "$sock" new-session -d -s teach -x 80 -y 24 \
		"cd '$tmp/work' && PATH='$build':\"\$PATH\" sh '$tmp/run/$id.sh'; echo \$? >'$tmp/out/$id.rc'; sleep 600"
	"step_$(echo "$id" | tr - _)"
	tmux -S "$sock" send-keys -t teach q
	i=0
	while [ ! -s "$tmp/out/$id.rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(cat "$tmp/out/$id.rc" 2>/dev/null)" = 0 ] || fail "step mode did not quit cleanly"
	tmux -S "$sock" kill-server 2>/dev/null
}

# The ```text ID-output block, line by line, in the output.
verify_excerpt() {
	[ -f "$tmp/blocks/$id-output" ] || return 0
	while IFS= read -r line; do
		[ "$line" = "..." ] && continue
		grep -qxF -- "$line" "$tmp/out/$id" || fail "output lacks the guide's line: $line"
	done <"$tmp/blocks/$id-output"
}

# Blocks out of the guide: ```sh ID or ```text ID, up to the closing ```.
awk -v dir="$tmp/blocks" '
	/^```(sh|text) [^ \/]+$/ { file = dir "/" $2; printf "" >file; next }
	/^```/ { if (file) close(file); file = ""; next }
	file { print >>file }
' "$doc"
if grep -q '^```sh *$' "$doc"; then
	echo "FAILED: docs/teaching.md has a sh block without an ID"
	fails=$((fails + 1))
fi

if ls "$tmp/blocks" | grep -qv '^[a-z0-9-]*$'; then
	echo "FAILED: docs/teaching.md has block IDs other than [a-z0-9-]: $(ls "$tmp/blocks" | grep -v '^[a-z0-9-]*$')"
	fails=$((fails + 1))
fi
blocks=$(ls "$tmp/blocks" | grep -v -- '-output$' | grep '^[a-z0-9-]*$')
[ -n "$blocks" ] || { echo "FAILED: no blocks in $doc"; exit 1; }
for id in $blocks; do
	fn=$(echo "$id" | tr - _)
	sed -e "s#\(^\|[ ']\)workloads/#\1$root/workloads/#g" -e "s#^scripts/#$root/scripts/#" "$tmp/blocks/$id" >"$tmp/run/$id.sh"
	if grep -q -- '--step' "$tmp/run/$id.sh"; then
		type "step_$fn" >/dev/null 2>&1 || { fail "no step_$fn in this test"; continue; }
		run_step_block
		continue
	fi
	type "check_$fn" >/dev/null 2>&1 || { fail "no check_$fn in this test"; continue; }
	(cd "$tmp/work" && PATH="$build:$PATH" sh "$tmp/run/$id.sh") >"$tmp/out/$id" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { fail "exit $rc"; sed 's/^/    /' "$tmp/out/$id" | head -n 20; continue; }
	verify_excerpt
	"check_$fn"
done
# The colours the guide names are the pictures' colours: "dirty again"
# is orange in the images (#D55E00), on the page and in the terminal
# (xterm colour 166); nothing is called red.
if grep -qiw red "$doc"; then
	echo "FAILED: docs/teaching.md calls something red: $(grep -niw red "$doc" | head -n 3)"
	fails=$((fails + 1))
fi
grep -q '^| `D` orange | in D again' "$doc" || { echo "FAILED: the guide does not call D cells orange"; fails=$((fails + 1)); }
grep -q '\[SIM_PAGE_DIRTY\] = "#D55E00"' "$root/simulator/memmap.c" &&
	grep -q -- '--dirty: #D55E00' "$root/web/static/app.css" &&
	grep -q '\[SIM_PAGE_DIRTY\] = "\\033\[97;48;5;166m"' "$root/simulator/memmap.c" ||
	{ echo "FAILED: the images, the page or the terminal no longer draw D cells orange"; fails=$((fails + 1)); }

# Every exercise asks questions, and the answer key answers each one.
answers=$root/docs/teaching-answers.md
for ex in $(sed -n 's/^## Exercise \([0-9]*\):.*/\1/p' "$doc"); do
	asked=$(sed -n "/^## Exercise $ex:/,/^## /p" "$doc" | grep -c '^[0-9]\. ')
	answered=$(sed -n "/^## Exercise $ex:/,/^## /p" "$answers" | grep -c '^[0-9]\. ')
	[ "$asked" -gt 0 ] || { echo "FAILED: Exercise $ex asks no question"; fails=$((fails + 1)); }
	[ "$answered" -eq "$asked" ] ||
		{ echo "FAILED: Exercise $ex asks $asked questions, teaching-answers.md answers $answered"; fails=$((fails + 1)); }
done

# Checks whose block is gone from the guide.
for fn in $(sed -n 's/^\(check\|step\)_\([a-z0-9_]*\)() {$/\2/p' "$0"); do
	id=$(echo "$fn" | tr _ -)
	[ -f "$tmp/blocks/$id" ] || { echo "FAILED: $fn checks a block the guide does not have"; fails=$((fails + 1)); }
done

echo "$(echo "$blocks" | wc -w) blocks of docs/teaching.md run, $fails failures"
[ "$fails" -eq 0 ]
