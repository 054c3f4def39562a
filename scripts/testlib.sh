# testlib.sh - what the shell tests share. Source it from the repository
# root (where scripts/run-tests.sh runs them): `. scripts/testlib.sh`.
#
# It makes $tmp (removed at exit) and counts failures in $fails; a test
# ends with `finish`, which fails if any check did.

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0

# check NAME COMMAND...: the command must succeed.
check() {
	name=$1
	shift
	if ! "$@"; then
		echo "FAILED: $name"
		fails=$((fails + 1))
	fi
}

# expect_error RC TEXT COMMAND...: the command exits RC and says one line
# on stderr containing TEXT, and nothing on stdout.
expect_error() {
	want_rc=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	[ "$rc" -eq "$want_rc" ] || { echo "exit $rc, wanted $want_rc: $*"; cat "$tmp/err"; return 1; }
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "not one line: $*"; cat "$tmp/err"; return 1; }
	grep -qF -- "$want" "$tmp/err" || { echo "no '$want' in:"; cat "$tmp/err"; return 1; }
	[ ! -s "$tmp/out" ] || { echo "stdout not empty: $*"; return 1; }
}

# has TEXT FILE: TEXT is in FILE, with its wrapped lines joined.
has() {
	tr '\n' ' ' <"$2" | tr -s ' ' | grep -qF -- "$1" || { echo "no '$1'"; return 1; }
}

# before FILE A B: a line with A comes before a line with B.
before() {
	a=$(grep -n -m1 -F -- "$2" "$1" | cut -d: -f1)
	b=$(grep -n -m1 -F -- "$3" "$1" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || { echo "'$2' not before '$3'"; return 1; }
}

# wait_for TEXT: within 20 s (sanitizer builds start slowly), the screen
# shows TEXT, on a line or across wrapped lines. The test defines
# `screen`, which writes the screen's text to $tmp/screen (tmux
# capture-pane).
wait_for() {
	i=0
	while [ $i -lt 200 ]; do
		screen
		grep -qF -- "$1" "$tmp/screen" && return 0
		tr '\n' ' ' <"$tmp/screen" | tr -s ' ' | grep -qF -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

finish() {
	[ "$fails" -eq 0 ]
}
