#!/bin/sh
# mplm-sim --step through a pseudo-terminal: tmux runs it in an 80x24
# window, send-keys presses keys, capture-pane reads the screen. Checks
# the layout at 80x24, going forward and back, replaying with another
# downtime-limit, dirtypercents and algorithm, scrolling the narration,
# and that the terminal is restored on quit and on SIGTERM.
set -u
if ! command -v tmux >/dev/null 2>&1; then
	echo "SKIP: tmux is not installed (scripts/install-deps.sh installs it)"
	exit 77
fi
root=$(pwd)
sim="$root/${MPLM_BUILD:-build}/mplm-sim"
case ${MPLM_BUILD:-build} in /*) sim="$MPLM_BUILD/mplm-sim" ;; esac
# tmp, fails, wait_for; the trap below also stops the tmux servers.
. "$root/scripts/testlib.sh"
sock="$tmp/tmux-0.sock"
starts=0
tm() { tmux -S "$sock" "$@"; }
trap 'for s in "$tmp"/tmux-*.sock; do tmux -S "$s" kill-server 2>/dev/null; done; rm -rf "$tmp"' EXIT

note() {
	echo "FAILED: $1"
	echo "--- screen:"
	cat "$tmp/screen"
	echo "---"
	fails=$((fails + 1))
}

screen() { tm capture-pane -p -t step >"$tmp/screen" 2>/dev/null; }

# key KEY... then wait for TEXT: press, and expect the screen to show it.
expect_after() {
	want=$1
	shift
	tm send-keys -t step "$@"
	wait_for "$want" || note "after $*: no '$want'"
}

# line N TEXT: screen line N (1-based) starts with TEXT.
line_is() {
	sed -n "${1}p" "$tmp/screen" | grep -qF -- "$2" || note "line $1 is not '$2'"
}

# start ARGS...: run mplm-sim --step in a fresh 80x24 window, recording
# the terminal's settings before and after and the exit code.
start() {
	cat >"$tmp/run.sh" <<EOF
stty -g >"$tmp/stty.before"
sh -c 'echo \$\$ >"$tmp/pid"; exec "$sim" --step "\$@"' sh "\$@"
echo \$? >"$tmp/rc"
stty -g >"$tmp/stty.after"
sleep 600
EOF
	rm -f "$tmp/rc" "$tmp/stty.after" "$tmp/pid"
	tm kill-server 2>/dev/null
	# A server per session: a new one on the old socket can race its exit.
	starts=$((starts + 1))
	sock="$tmp/tmux-$starts.sock"
	tm new-session -d -s step -x 80 -y 24 sh "$tmp/run.sh" "$@"
}

# finished RC: the program exited with RC and left the terminal as found.
finished() {
	i=0
	while [ ! -s "$tmp/stty.after" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(cat "$tmp/rc" 2>/dev/null)" = "$1" ] || note "exit code $(cat "$tmp/rc" 2>/dev/null), wanted $1"
	cmp -s "$tmp/stty.before" "$tmp/stty.after" || note "terminal settings not restored"
}

# The screens below were worked out with the paper's MPLM and a threshold
# from the configured rate (mplm-lab's behaviour before issue 8).
small="--simple --max-bandwidth 512KiB/s --intervaltime 1 --mplm-variant paper --relaxlivemig off --threshold-bandwidth max-bandwidth --workload uniform,pages=256,wss=512K,rate=60,duration=60,seed=1"

# shellcheck disable=SC2086
start $small
wait_for "sync 0 of 2" || note "no first screen"
line_is 1 "MPLM | downtime-limit 300 ms | intervaltime 1 s | dirtypercents 50 | rate 60/s"
line_is 2 "sync 0 of 2 | t = 0.000 s | D = 0, ND = 256 pages"
line_is 3 "      0 nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
line_is 6 "    192 ................................................................"
line_is 9 "Sync 0 at 0.000 s (setup)"
line_is 24 "<- -> sync"
[ "$(wc -l <"$tmp/screen")" -eq 24 ] || note "not 24 lines"
awk 'length > 80 { bad = 1 } END { exit bad }' "$tmp/screen" || note "a line is wider than 80"
tm capture-pane -e -p -t step | grep -q "$(printf '\033')\[" || note "no colour on a terminal"

expect_after "sync 1 of 2" Right
line_is 9 "Sync 1 at 1.000 s, 1.000 s after sync 0"
wait_for "Why now: epoch 0 had run for intervaltime = 1.000 s." || note "no narration of sync 1"
expect_after "sync 2 of 2 (final)" Right
grep -q "\[lines 1-14 of 18: up/down to scroll\]" "$tmp/screen" || note "no scroll hint on the last sync"
expect_after "Result" NPage
expect_after "this is the last sync" Right
expect_after "sync 1 of 2" Left
expect_after "sync 0 of 2" Home
expect_after "sync 2 of 2 (final)" End

# Replays: a new parameter restarts at sync 0 and says so. The limit's
# steps include every limit of docs/teaching.md's Exercise 2.
expect_after "MPLM | downtime-limit 500 ms | intervaltime 1 s" ']'
wait_for "downtime-limit 500 ms: replayed from sync 0" || note "no news of the replay"
expect_after "MPLM | downtime-limit 1000 ms |" ']'
wait_for "x 1.000 s = 524,288 bytes (128.0 pages)" || note "narration not replayed with 1000 ms"
expect_after "MPLM | downtime-limit 2000 ms |" ']'
expect_after "MPLM | downtime-limit 1000 ms |" '['
expect_after "MPLM | downtime-limit 500 ms |" '['
expect_after "MPLM | downtime-limit 300 ms |" '['
expect_after "dirtypercents 60 | rate 60/s" '+'
wait_for "Pages go in batches of 100 slots: 40 for ND, then 60 for D" || note "narration not replayed with 60 %"
# Pre-copy's header shows pre-copy's parameters only.
expect_after "pre-copy | downtime-limit 300 ms | rate 60/s" a
line_is 2 "sync 0 of 5 | t = 0.000 s | D = 256 pages"
line_is 3 "      0 uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
grep -q "dirtypercents\|intervaltime" "$tmp/screen" && note "pre-copy shows MPLM's parameters"
# The write rate (Exercise 1): w and W, replayed with the new rate.
expect_after "pre-copy | downtime-limit 300 ms | rate 70/s" W
wait_for "write rate 70 pages/s: replayed from sync 0" || note "no news of the rate"
expect_after "pre-copy | downtime-limit 300 ms | rate 50/s" w w
expect_after "rate 60/s" W
expect_after "MPLM | downtime-limit 300 ms" a
# intervaltime: i and I.
expect_after "intervaltime 2 s | dirtypercents 60" I
wait_for "Every intervaltime = 2.000 s MPLM reads the dirty log" || note "narration not replayed with 2 s"
expect_after "intervaltime 1 s | dirtypercents 60" i
# Side by side: both maps on each row, both runs named, a steps them
# not; s goes back to one run.
expect_after "pre-copy vs MPLM | downtime-limit 300 ms | intervaltime 1 s | dirtypercents 60" s
line_is 2 "pre-copy: sync 0 of 5, t = 0.000 s"
grep -q "MPLM: sync 0 of 2, t = 0.000 s" "$tmp/screen" || note "no MPLM sync line side by side"
line_is 3 "      0 uuuuuuuuuuuuuuuu        0 nnnnnnnnnnnnnnnn"
awk 'length > 80 { bad = 1 } END { exit bad }' "$tmp/screen" || note "a line is wider than 80 side by side"
expect_after "pre-copy: sync 1 of 5, t = 1.000 s  MPLM: sync 1 of 2" Right
expect_after "pre-copy: sync 5 of 5" End
grep -q "MPLM: sync 2 of 2" "$tmp/screen" || note "MPLM does not stay at its last sync"
expect_after "side by side shows both" a
expect_after "MPLM | downtime-limit 300 ms | intervaltime 1 s | dirtypercents 60" s

tm send-keys -t step q
finished 0

# A larger VM: 8 map rows at 24 lines, the narration scrolls.
start --simple --max-bandwidth 512KiB/s --workload uniform,pages=4096,wss=4M,rate=60,duration=60,seed=1
wait_for "sync 0 of" || note "no first screen (4096 pages)"
line_is 2 "sync 0 of 5 | t = 0.000 s | D = 0, ND = 4,096 pages; 1 cell = 8 pages"
line_is 10 "   3584 ................................................................"
grep -q "\[lines 1-[0-9]* of [0-9]*: up/down to scroll\]" "$tmp/screen" || note "no scroll hint"
expect_after "[lines 2-" Down
expect_after "[lines 1-" Up

# SIGTERM from outside: the terminal is restored, the exit is the signal's.
pid=$(cat "$tmp/pid" 2>/dev/null)
if [ -n "$pid" ]; then
	kill -TERM "$pid"
	finished 143
else
	note "cannot find the step process"
fi

[ "$fails" -eq 0 ]
