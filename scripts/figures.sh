#!/bin/sh
# make figures: the slides' pictures of docs/teaching.md, drawn again into
# docs/figures/ from the classroom VM (no trace files needed): memory-map
# GIFs and PNGs (mplm-sim, gnuplot), a timeline of pre-copy and MPLM
# (mplm-exp, plot-timeline.sh) and a screenshot of the browser lab
# (mplm-lab-web, headless Chromium; skipped with a note if it is missing).
# Usage: figures.sh BUILD_DIR [OUT_DIR]
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
case $build in /*) ;; *) build=$root/$build ;; esac
out=${2:-$root/docs/figures}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sim="$build/mplm-sim"
classroom="--simple --max-bandwidth 512KiB/s"
uniform="uniform,pages=256,wss=1M,duration=30,seed=1"
hotspot="hotspot,pages=256,wss=1M,rate=500,hot=0.5,skew=0.99,duration=60,seed=1"

# gif NAME ARGS...: one run as an animated GIF and its last sync as a PNG.
gif() {
	name=$1
	shift
	rm -rf "$work/png"
	# shellcheck disable=SC2086
	"$sim" --memmap-gif "$out/$name.gif" --memmap-png "$work/png" "$@" >/dev/null
	cp "$(ls "$work"/png/sync-*.png | tail -n 1)" "$out/$name-last.png"
	echo "  $name.gif, $name-last.png"
}

echo "figures into $out:"
# shellcheck disable=SC2086
gif ex1-precopy-10 --algorithm precopy $classroom --workload "$uniform,rate=10"
# shellcheck disable=SC2086
gif ex1-precopy-300 --algorithm precopy --max-total-time 10 $classroom --workload "$uniform,rate=300"
# shellcheck disable=SC2086
gif ex1-mplm-300 --intervaltime 1 $classroom --workload "$uniform,rate=300"
# shellcheck disable=SC2086
gif ex3-mplm-hotspot --intervaltime 1 $classroom --workload "$hotspot"
# shellcheck disable=SC2086
gif ex3-mplm-hotspot-dp90 --dirtypercents 90 --intervaltime 1 $classroom --workload "$hotspot"

# The timeline of Exercise 1's diverging guest under both algorithms.
"$build/mplm-exp" run -j 1 --no-progress --quiet --db "$work/classroom.db" experiments/classroom/classroom.ini >/dev/null
sh scripts/plot-timeline.sh -o "$out/classroom-timeline.png" "$work/classroom.db" \
	"$(sqlite3 "$work/classroom.db" "SELECT id FROM runs WHERE algorithm = 'precopy'")" \
	"$(sqlite3 "$work/classroom.db" "SELECT id FROM runs WHERE algorithm = 'mplm'")" >/dev/null
echo "  classroom-timeline.png"

# The browser lab: Exercise 1's guest at 40 pages/s, pre-copy and MPLM.
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	echo "  (web-compare.png skipped: chromium is not installed)"
	exit 0
fi
"$build/mplm-lab-web" --port 0 >"$work/web.out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
i=0
until grep -q 'serving http' "$work/web.out" 2>/dev/null || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/.*:\([0-9][0-9]*\)\/.*/\1/p' "$work/web.out")
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--user-data-dir="$work/profile" --no-first-run --window-size=1400,1700 \
	--virtual-time-budget=60000 --screenshot="$out/web-compare.png" \
	"http://127.0.0.1:$port/?rate=40&duration=30&compare=1" >/dev/null 2>&1
echo "  web-compare.png"
