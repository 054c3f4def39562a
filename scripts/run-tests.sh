#!/bin/sh
# Run every test of mplm-lab and end with one line "N passed, N failed".
#
# Test binaries are the executables under BUILD/tests/ (cmocka suites);
# their own summary lines are added up. Shell tests (*/tests/*.sh) count
# one each; exit 77 means skipped. Usage: run-tests.sh BUILD_DIR
set -u
build=${1:-build/san}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export MPLM_BUILD="$build"
# Leak checks stay on; the suites are short-lived processes.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

pass=0 fail=0 skip=0 log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in $(find "$build/tests" -type f -perm -u+x 2>/dev/null | sort); do
	name=${t#"$build"/tests/}
	"$t" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	p=${p:-0} f=${f:-0} s=${s:-0}
	# A crash or a sanitizer report after cmocka's summary still fails.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then f=1; fi
	if [ "$f" -ne 0 ]; then
		echo "FAIL $name"; sed 's/^/    /' "$log"
	else
		echo "ok   $name ($p passed${s:+, $s skipped})" | sed 's/, 0 skipped//'
		grep -h '^SKIP' "$log" | sed 's/^/    /'
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done

for t in $(ls ./*/tests/*.sh 2>/dev/null | sort); do
	sh "$t" >"$log" 2>&1
	rc=$?
	case $rc in
	0) echo "ok   $t"; pass=$((pass + 1)) ;;
	77) echo "skip $t: $(tail -n 1 "$log")"; skip=$((skip + 1)) ;;
	*) echo "FAIL $t"; sed 's/^/    /' "$log"; fail=$((fail + 1)) ;;
	esac
done

if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
