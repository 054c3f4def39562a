#!/bin/sh
# make validate: the simulator against kvmlite (issue 9, item 6). Measures
# this host into a machine profile (kvmlite calibrate), migrates real
# guests under kvmlite while recording their dirty logs (the cases of
# experiments/validate/, 3 runs each), replays every recording with
# mplm-sim and that profile, and writes the predicted-against-measured
# figure and the error tables under results/validate/. Real time: a few
# minutes (the guests run in real time, one migration at a time).
#
# Every run starts afresh: a new profile, database and traces, so the
# numbers are this build's on this host. Environment: B (build dir,
# default build). The traces' folder is named in experiments/validate/
# cases.ini (record-trace); database and traces are not kept in git.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
OUT=results/validate
KVMLITE=$B/kvmlite/kvmlite
EXP=$B/mplm-exp
V=experiments/validate

# One line and a non-zero exit where no real guest can run.
if ! [ -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "make validate: /dev/kvm is missing or not usable by $(id -un): the validation migrates real guests under kvmlite" >&2
	exit 1
fi
if ! [ -x "$KVMLITE" ]; then
	echo "make validate: $KVMLITE was not built (kvmlite needs linux/kvm.h on x86_64)" >&2
	exit 1
fi

start=$(date +%s)
mkdir -p "$OUT"
rm -rf "$OUT/traces" "$OUT/validate.db" "$OUT/validate.db-wal" "$OUT/validate.db-shm"
echo "== calibrating this host into $OUT/host.prof"
"$KVMLITE" calibrate --memory 1G --output "$OUT/host.prof"
echo "== migrating the guests (recorded) and replaying them"
"$EXP" validate --quiet --no-progress --db "$OUT/validate.db" --out results \
	--profile "$OUT/host.prof" \
	$V/precopy-300ms-1g.ini $V/precopy-1s-500m.ini $V/mplm-1g.ini $V/mplm-500m.ini
echo "== the errors ($OUT/errors.md)"
sed -n '/^| case/,$p' "$OUT/errors.md"
echo "make validate: $(( $(date +%s) - start )) s; figure $OUT/validation.png, database $OUT/validate.db"
