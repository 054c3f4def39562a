#!/bin/sh
# make install into a temporary prefix: the programs run from there, the
# man pages are there, and a program outside the project
# (install_client.c) builds against the installed libmplm-core with
# `pkg-config --cflags --libs mplm-core`, shared and static, and runs.
# Then the same with DESTDIR: files under DESTDIR, paths without it.
# Runs from the repository root; installs the optimised build (build/).
set -u
. scripts/testlib.sh
# Not one of the calling make's jobs.
unset MAKEFLAGS MFLAGS MAKELEVEL
want="mplm-core 0.1.0: completed, 65 normal pages, 2 dirty syncs"

p=$tmp/prefix
if ! make -s install PREFIX="$p" >"$tmp/make.log" 2>&1; then
	echo "FAILED: make install"; cat "$tmp/make.log"; exit 1
fi
for f in bin/mplm-sim bin/mplm-workload bin/mplm-exp lib/libmplm-core.a \
	include/mplm-core/mplm.h lib/pkgconfig/mplm-core.pc \
	share/man/man1/mplm-sim.1 share/man/man1/mplm-workload.1 \
	share/man/man1/mplm-exp.1; do
	check "installed $f" test -f "$p/$f"
done
check "man page from --help" grep -q 'downtime.*limit' "$p/share/man/man1/mplm-sim.1"
check "man page header" grep -q '^\.TH MPLM-EXP "1"' "$p/share/man/man1/mplm-exp.1"
if [ -x build/kvmlite/kvmlite ]; then
	# kvmlite keeps its build-tree neighbours: mplm-exp and the guests.
	check "installed kvmlite" test -f "$p/libexec/mplm-lab/kvmlite/kvmlite"
	check "installed guest" test -f "$p/libexec/mplm-lab/guests/workload.bin"
	check "installed kvmlite runs" sh -c "'$p/bin/kvmlite' --help | grep -q '^usage: kvmlite'"
	check "kvmlite man page" test -f "$p/share/man/man1/kvmlite.1"
fi
check "installed mplm-sim runs" sh -c "'$p/bin/mplm-sim' --help | grep -q '^usage: mplm-sim'"
check "installed mplm-exp checks" sh -c "'$p/bin/mplm-exp' check experiments/paper/paper-fig4.ini | grep -q '360 runs'"

# The shared library: real file, soname link, development link, soname.
so=$(cd "$p/lib" && ls libmplm-core.so.*.*.*)
check "shared library" test -f "$p/lib/$so"
check "soname" sh -c "readelf -d '$p/lib/$so' | grep -q 'SONAME.*\[libmplm-core.so.0\]'"
check "soname link" test "$(readlink "$p/lib/libmplm-core.so.0")" = "$so"
check "development link" test "$(readlink "$p/lib/libmplm-core.so")" = libmplm-core.so.0
check "position-independent" sh -c "! readelf -d '$p/lib/$so' | grep -q TEXTREL"
# It exports mplm.h's interface and nothing of the engine's insides.
check "exports mplm_* only" sh -c "nm -D --defined-only '$p/lib/$so' | awk '{print \$3}' | grep -q '^mplm_migration_new$' && ! nm -D --defined-only '$p/lib/$so' | awk '{print \$3}' | grep -v '^mplm_'"

export PKG_CONFIG_PATH="$p/lib/pkgconfig"
check "pkg-config version" test "$(pkg-config --modversion mplm-core)" = 0.1.0
cc -std=c11 -Wall -Wextra -Werror mplm-core/tests/install_client.c \
	$(pkg-config --cflags --libs mplm-core) -o "$tmp/client-shared" 2>"$tmp/cc.log" ||
	{ echo "FAILED: build against the shared library"; cat "$tmp/cc.log"; fails=$((fails + 1)); }
check "linked shared" sh -c "ldd '$tmp/client-shared' | grep -q '$p/lib/libmplm-core.so.0' ||
	LD_LIBRARY_PATH='$p/lib' ldd '$tmp/client-shared' | grep -q '$p/lib/libmplm-core.so.0'"
check "runs shared" test "$(LD_LIBRARY_PATH="$p/lib" "$tmp/client-shared")" = "$want"
cc -std=c11 -Wall -Wextra -Werror -static-libgcc mplm-core/tests/install_client.c \
	$(pkg-config --cflags mplm-core) "$p/lib/libmplm-core.a" \
	$(pkg-config --static --libs-only-other --libs-only-l mplm-core | sed 's/-lmplm-core//') \
	-o "$tmp/client-static" 2>"$tmp/cc.log" ||
	{ echo "FAILED: build against the static library"; cat "$tmp/cc.log"; fails=$((fails + 1)); }
check "not linked shared" sh -c "! ldd '$tmp/client-static' | grep -q libmplm-core"
check "runs static" test "$("$tmp/client-static")" = "$want"

# DESTDIR: staged files, final paths inside them.
d=$tmp/stage
make -s install DESTDIR="$d" PREFIX=/opt/mplm-lab >"$tmp/make.log" 2>&1 ||
	{ echo "FAILED: make install DESTDIR"; cat "$tmp/make.log"; exit 1; }
check "DESTDIR: staged" test -f "$d/opt/mplm-lab/lib/libmplm-core.a"
check "DESTDIR: .pc prefix" grep -qx 'prefix=/opt/mplm-lab' "$d/opt/mplm-lab/lib/pkgconfig/mplm-core.pc"
check "DESTDIR: no staging path in .pc" sh -c "! grep -q '$d' '$d/opt/mplm-lab/lib/pkgconfig/mplm-core.pc'"
check "DESTDIR: relative links" test "$(readlink "$d/opt/mplm-lab/bin/mplm-exp")" = ../libexec/mplm-lab/mplm-exp

# Without kvmlite's prerequisites (KVMLITE=0 is what make decides when
# linux/kvm.h is missing or the host is not x86_64): a note, no kvmlite
# target, and the C code told through mplm-config.h. Dry run only.
make -n KVMLITE=0 programs >"$tmp/nokvm" 2>&1
check "no kvmlite: the note" grep -q '^kvmlite skipped: it needs linux/kvm.h' "$tmp/nokvm"
check "no kvmlite: nothing of it built" sh -c "! grep -q 'libkvmlite\|kvmlite/kvmlite\|guests/' '$tmp/nokvm'"
check "no kvmlite: the header says so" grep -q "MPLM_HAVE_KVMLITE 0" "$tmp/nokvm"
check "no kvmlite: mplm-exp still built" grep -q -- '-o build/mplm-exp' "$tmp/nokvm"

finish
