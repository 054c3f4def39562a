#!/bin/sh
# The page in a real browser: headless Chromium opens a permalink that
# runs pre-copy and MPLM side by side on the classroom VM, plays both
# migrations to their end (virtual time), and the `info migrate` blocks in
# the DOM must show the numbers `mplm-sim --json` gives for the same
# settings, and a permalink with a bad value shows the server's one error
# line. A screenshot of the end state is saved as
# $MPLM_BUILD/web-compare.png (and one mid-way, web-sync1.png) to look at.
set -u
root=$(pwd)
. "$root/scripts/testlib.sh"
. "$root/web/tests/lib/server.sh"
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	echo "SKIP: chromium is not installed (scripts/install-deps.sh installs it)"
	exit 77
fi
sim="$(dirname "$web")/mplm-sim"
out="$(dirname "$web")"

start_server

# The settings, once for the page and once for mplm-sim.
query="pattern=uniform&memory=1M&rate=40&duration=30&seed=1&max-bandwidth=512KiB/s&downtime-limit=300&intervaltime=1&dirtypercents=50"
spec="uniform,memory=1M,rate=40,duration=30,seed=1"
# The page's defaults are the textbook's (docs/teaching.md).
simargs="--simple --max-bandwidth 512KiB/s --downtime-limit 300 --intervaltime 1 --dirtypercents 50 --max-total-time 600 --mplm-variant paper --relaxlivemig off --threshold-bandwidth max-bandwidth"

# browse WHAT ARGS...: headless Chromium with its own profile; the page's
# timers run on virtual time, so playing every sync takes no real time.
browse() {
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$tmp/profile" --no-first-run --window-size=1400,1700 "$@" \
		2>"$tmp/chrome.err"
}

browse --virtual-time-budget=60000 --dump-dom "$base/?$query&compare=1" >"$tmp/dom.html"
check "the page finished playing" grep -q '<body data-state="done"' "$tmp/dom.html"
check "no error shown" sh -c "! grep -q '<p id=\"error\" role=\"alert\">[^<]' '$tmp/dom.html'"

# info ALG: the DOM's info migrate block of the run of ALG, one line per field.
info() {
	sed -n "/<article class=\"run\" id=\"run-$1\">/,/<\/article>/p" "$tmp/dom.html" |
		sed -n '/<pre class="info">/,/<\/pre>/p' | sed 's/<[^>]*>//g'
}
# agree K ALG: the page's info migrate for run K equals mplm-sim --json's.
agree() {
	k=$1 alg=$2
	# shellcheck disable=SC2086
	"$sim" --json --algorithm "$alg" $simargs --workload "$spec" >"$tmp/$alg.json"
	info "$k" >"$tmp/$alg.info"
	field() { sed -n "s/^ *\"$1\": \\([0-9.]*\\),*$/\\1/p" "$tmp/$alg.json" | head -n 1; }
	ok=0
	for pair in "total time:total-time:milliseconds" "downtime:downtime:milliseconds" \
		"setup:setup-time:milliseconds" "normal:normal:pages" "duplicate:duplicate:pages" \
		"dirty sync count:dirty-sync-count:"; do
		label=${pair%%:*} rest=${pair#*:}
		key=${rest%%:*} unit=${rest#*:}
		want="$label: $(field "$key")${unit:+ $unit}"
		grep -qx -- "$want" "$tmp/$alg.info" || { echo "$alg: no '$want' in the page:"; cat "$tmp/$alg.info"; ok=1; }
	done
	kb=$(($(field transferred) / 1024))
	grep -qx "transferred ram: $kb kbytes" "$tmp/$alg.info" || { echo "$alg: transferred is not $kb kbytes"; ok=1; }
	grep -q "^ *Migration status: completed$" "$tmp/$alg.info" || { echo "$alg: not completed"; ok=1; }
	return $ok
}
check "pre-copy's info migrate equals mplm-sim --json" agree 0 precopy
check "MPLM's info migrate equals mplm-sim --json" agree 1 mplm
check "the narration is shown" grep -q '<h4>Result</h4>' "$tmp/dom.html"
check "the timeline is drawn" grep -q 'class="series-nd"' "$tmp/dom.html"
check "the permalink keeps the configuration" grep -q "id=\"permalink\" href=\"?[^\"]*rate=40[^\"]*compare=1" "$tmp/dom.html"

# A permalink with a bad value: the page shows the server's one line.
browse --virtual-time-budget=10000 --dump-dom "$base/?dirtypercents=150&run=1" >"$tmp/bad.html"
check "bad input: the error shown" grep -q '<p id="error" role="alert">dirtypercents 150: out of range: 0% to 100%</p>' "$tmp/bad.html"
check "bad input: no run shown" grep -q '<body data-state="error"' "$tmp/bad.html"

# Screenshots for people: the end of both runs, and the page a moment in.
browse --virtual-time-budget=60000 --screenshot="$out/web-compare.png" "$base/?$query&compare=1" >/dev/null
check "end screenshot saved" test -s "$out/web-compare.png"
browse --virtual-time-budget=1500 --screenshot="$out/web-sync1.png" "$base/?$query&algorithm=mplm&run=1" >/dev/null
check "mid-way screenshot saved" test -s "$out/web-sync1.png"
echo "screenshots: $out/web-compare.png $out/web-sync1.png"
finish
