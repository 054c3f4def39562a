#!/bin/sh
# mplm-sim's teaching options: --explain, --memmap, --memmap-png,
# --memmap-gif, --color, --simple, --step's checks; bad use gets one line
# and a non-zero exit.
set -u
sim="${MPLM_BUILD:-build}/mplm-sim"
. scripts/testlib.sh

small="--simple --max-bandwidth 512KiB/s --intervaltime 1 --workload uniform,pages=256,wss=512K,rate=60,duration=60,seed=1"
# The runs worked out below follow the paper's MPLM and a threshold from
# the configured rate (mplm-lab's behaviour before issue 8).
paper="--mplm-variant paper --relaxlivemig off --threshold-bandwidth max-bandwidth"

check "bad color" expect_error 2 "--color purple: expected auto, always or never" "$sim" --color purple $small
check "json and explain" expect_error 2 "--json does not mix with --explain" "$sim" --json --explain $small
check "step and memmap" expect_error 2 "--step is interactive" "$sim" --step --memmap $small
check "step without a terminal" expect_error 1 "--step needs a terminal" "$sim" --step $small
check "gif in a missing dir" expect_error 1 "mplm-sim: --memmap-gif $tmp/no/such.gif: gnuplot failed" "$sim" \
	--memmap-gif "$tmp/no/such.gif" $small
MPLM_GNUPLOT=/nonexistent/gnuplot check "no gnuplot" expect_error 1 "cannot run /nonexistent/gnuplot" "$sim" \
	--memmap-png "$tmp/png" $small

# --explain: a paragraph per sync, then the result, then info migrate.
"$sim" --explain $small $paper >"$tmp/out" 2>&1
check "explain runs" grep -q "^Migration status: completed$" "$tmp/out"
check "explain starts at sync 0" sh -c "head -n 1 '$tmp/out' | grep -qx 'Sync 0 at 0.000 s (setup)'"
check "explain has the final sync" grep -q "^Sync 2 at 1.469 s (final, inside the downtime)" "$tmp/out"
check "explain, then the report" before "$tmp/out" "Result" "Migration status: completed"
check "explain wraps at 78" sh -c "! awk 'length > 78' '$tmp/out' | grep -q ."
check "explain: ND empty" has "the last ND page was sent. ND is now empty" "$tmp/out"

# --memmap: plain characters when stdout is not a terminal.
"$sim" --memmap $small $paper >"$tmp/out" 2>&1
check "memmap maps" test "$(grep -c '^Memory map: MPLM, sync' "$tmp/out")" -eq 3
check "memmap rows" test "$(grep -cE '^ +[0-9]+ [.nuD#]{64}$' "$tmp/out")" -eq 12
check "memmap plain" sh -c "! grep -q \"$(printf '\033')\" '$tmp/out'"
check "memmap legend" grep -q "^. zero page, not sent yet: 128  n ND, never sent: 128" "$tmp/out"
"$sim" --memmap --color always $small $paper >"$tmp/out" 2>&1
check "memmap colour" grep -q "$(printf '\033')\[97;44mn" "$tmp/out"

# --simple: a page is 4096 bytes on the wire, nothing else costs anything,
# and the link runs at max-bandwidth (stop-and-copy too).
"$sim" --simple --algorithm stopcopy --max-bandwidth 512KiB/s \
	--workload uniform,pages=256,wss=1M,rate=10,duration=5,seed=1 >"$tmp/out" 2>&1
check "simple bytes" grep -q "^transferred ram: 1024 kbytes$" "$tmp/out"
check "simple time" grep -q "^total time: 2000 milliseconds$" "$tmp/out"

# Images, when gnuplot is here.
if gnuplot -e 'exit' >/dev/null 2>&1; then
	"$sim" --memmap-png "$tmp/png" --memmap-gif "$tmp/run.gif" $small $paper >"$tmp/out" 2>&1
	check "png run" grep -q "^Migration status: completed$" "$tmp/out"
	check "one png per sync" test "$(ls "$tmp/png" | wc -l)" -eq 3
	check "png" sh -c "head -c 4 '$tmp/png/sync-002.png' | grep -q PNG"
	check "gif" sh -c "head -c 6 '$tmp/run.gif' | grep -q GIF89a"
else
	echo "SKIP: images: no gnuplot"
fi

finish
