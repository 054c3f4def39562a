#!/bin/sh
# make bench: run every benchmark of mplm-lab and print its figures next
# to the issue's targets. Benchmarks are the executables in BUILD/bench/
# and the scripts scripts/bench-*.sh (which get BUILD as their argument).
# Usage: run-bench.sh BUILD_DIR
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export MPLM_BUILD="$build"
echo "mplm-lab benchmarks ($(uname -m), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null))"
status=0
for b in $(find "$build/bench" -maxdepth 1 -type f -perm -u+x 2>/dev/null | sort); do
	echo
	"$b" || { echo "FAILED: $b"; status=1; }
done
for s in $(ls scripts/bench-*.sh 2>/dev/null | sort); do
	echo
	sh "$s" "$build" || { echo "FAILED: $s"; status=1; }
done
exit $status
