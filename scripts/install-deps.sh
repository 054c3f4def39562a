#!/bin/sh
# Install every build and test dependency of mplm-lab from Debian's packages.
# Idempotent: packages already present are left alone and apt is not touched.
set -eu

PKGS="build-essential pkg-config linux-libc-dev zlib1g-dev libgsl-dev
libsqlite3-dev sqlite3 libcmocka-dev libjansson-dev libinih-dev
gnuplot-nox tmux clang libclang-rt-14-dev help2man libmicrohttpd-dev
chromium curl slurm-wlm munge libsimgrid-dev g++"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
