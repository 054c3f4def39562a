#!/bin/sh
# plot-timeline.sh - the timeline of one or two migrations stored by
# mplm-exp: the sizes of D and ND after each dirty log sync, and the rates
# at which pages went over the link and the guest dirtied them, against
# time, with the setup, live and stop-and-copy stages shaded. Two runs
# (say pre-copy and MPLM of one workload) are drawn side by side on the
# same scales, so what you see compares.
#
# usage: plot-timeline.sh [-o FILE] [--own-scales] [--keep DIR] DB RUN_ID [RUN_ID]
#
#   DB             an mplm-exp results database (experiments/SCHEMA.md)
#   RUN_ID         runs.id; find them with sqlite3, e.g.
#                  sqlite3 DB "SELECT id, workload, algorithm FROM current"
#   -o FILE        the figure: .png (default timeline-ID[-ID].png), .svg, .pdf
#   --own-scales   scale each run's axes to itself, not to both
#   --keep DIR     keep the data files and the gnuplot script in DIR
#
# Needs sqlite3 and gnuplot. Errors: one line on stderr, exit 1 (2 for a
# bad command line).
set -u
me=plot-timeline
# usage [WHAT]: one line, what is wrong (or the usage), exit 2.
usage() {
	if [ $# -gt 0 ]; then
		echo "$me: $* (see --help)" >&2
	else
		echo "usage: $me [-o FILE] [--own-scales] [--keep DIR] DB RUN_ID [RUN_ID]" >&2
	fi
	exit 2
}
die() {
	echo "$me: $*" >&2
	exit 1
}

out= own=0 keep=
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--own-scales) own=1; shift ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) usage "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || [ $# -eq 3 ] || usage
db=$1
shift
for id in "$@"; do
	case $id in '' | *[!0-9]*) usage "run id '$id' is not a number" ;; esac
done
command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 is not installed (scripts/install-deps.sh installs it)"
command -v gnuplot >/dev/null 2>&1 || die "gnuplot is not installed (scripts/install-deps.sh installs it)"
[ -r "$db" ] || die "$db: no such database"
[ -n "$out" ] || out=timeline-$(echo "$@" | tr ' ' -).png
case $out in
*.png) terminal='pngcairo size 1600,900 font "DejaVu Sans,16"' ;;
*.svg) terminal='svg size 1600,900 dynamic font "DejaVu Sans,16"' ;;
*.pdf) terminal='pdfcairo size 16in,9in font "DejaVu Sans,16"' ;;
*) die "$out: the figure must be .png, .svg or .pdf" ;;
esac

if [ -n "$keep" ]; then
	mkdir -p "$keep" || die "cannot make $keep"
	work=$keep
else
	work=$(mktemp -d) || die "cannot make a temporary directory"
	trap 'rm -rf "$work"' EXIT
fi

sql() {
	sqlite3 -readonly -batch -noheader -separator '|' "$db" "$1" 2>"$work/sqlite.err" ||
		die "$db: $(head -n 1 "$work/sqlite.err")"
}

# One run: its description (run-N.info, shell assignments) and its series
# (run-N.dat: time, |D|, |ND|, MiB/s sent and dirtied over the interval
# that ends at that time, bytes sent so far; the last row is the downtime
# after the final sync, when the rest went over the link with the guest
# paused).
load_run() {
	id=$1
	row=$(sql "SELECT r.id, e.name, r.workload_label, r.algorithm, r.downtime_limit,
		r.dirtypercents, r.intervaltime, r.status, r.total_time, coalesce(r.downtime, 0),
		r.setup_time, r.live_time, coalesce(r.transferred_bytes, 0),
		coalesce(r.normal_bytes / nullif(r.normal_pages, 0), 4096),
		CASE WHEN r.max_bandwidth > 0 AND r.max_bandwidth < r.link_bandwidth
		     THEN r.max_bandwidth ELSE r.link_bandwidth END
		FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = $id")
	[ -n "$row" ] || die "$db: no run $id"
	IFS='|' read -r rid exp label alg limit dp inter status total down setup live bytes page link <<EOF
$row
EOF
	[ "$status" != failed ] || die "run $id failed: it has no timeline"
	sql "SELECT time, interval, dirtied, d_size, nd_size, bytes, final FROM syncs
	     WHERE run_id = $id ORDER BY idx" >"$work/run-$id.syncs"
	[ -s "$work/run-$id.syncs" ] || die "$db: run $id has no syncs"
	awk -F'|' -v page="$page" -v total="$total" -v down="$down" -v bytes="$bytes" '
		function mib(b, t) { return t > 0 ? b / t / 1048576 : "NaN" }
		{
			sent += $6
			printf "%.9g %d %d %s %s %.0f\n", $1, $4, $5,
				NR == 1 ? "NaN" : mib($6, $2), NR == 1 ? "NaN" : mib($3 * page, $2), sent
			last = $1
		}
		END {
			# The downtime: what the final sync left, and the state.
			if (down > 0)
				printf "%.9g %d %d %s 0 %.0f\n", total, 0, 0, mib(bytes - sent, total - last), bytes
		}' "$work/run-$id.syncs" >"$work/run-$id.dat"
	case $alg in
	mplm) name=MPLM what="dirtypercents $dp, intervaltime $inter s" ;;
	precopy) name=pre-copy what="downtime-limit $limit s" ;;
	*) name=$alg what="" ;;
	esac
	outcome="run $rid: $status, total $(printf %.3f "$total") s"
	[ "$status" = completed ] && outcome="$outcome, downtime $(printf %.3f "$down") s"
	cat >"$work/run-$id.info" <<EOF
title="{/=15 $label: $name${what:+, $what}}\\n{/=13 $exp, $outcome}"
alg=$alg total=$total setup=$setup live=$live down=$down link=$(awk -v l="$link" 'BEGIN { print l / 1048576 }')
EOF
}

for id in "$@"; do
	load_run "$id"
done

# Shared scales: the longest run, the largest set, the fastest rate.
max_of() { # max_of COLUMN FILES...: the largest number in that column
	col=$1
	shift
	awk -v c="$col" '$c != "NaN" && $c > m { m = $c } END { print m + 0 }' "$@"
}
dats=$(for id in "$@"; do echo "$work/run-$id.dat"; done)
# shellcheck disable=SC2086
xmax=$(max_of 1 $dats)
# shellcheck disable=SC2086
setmax=$(awk '{ for (c = 2; c <= 3; c++) if ($c > m) m = $c } END { print m + 0 }' $dats)
# shellcheck disable=SC2086
ratemax=$(awk '{ for (c = 4; c <= 5; c++) if ($c != "NaN" && $c > m) m = $c } END { print m + 0 }' $dats)
for id in "$@"; do
	. "$work/run-$id.info"
	ratemax=$(awk -v a="$ratemax" -v b="$link" 'BEGIN { print (a > b ? a : b) }')
done

# shellcheck disable=SC2086
sentmax=$(max_of 6 $dats)
# Bytes sent so far in MiB, or GiB when there are many.
bdiv=1048576 bunit=MiB
if [ "$(awk -v m="$sentmax" 'BEGIN { print (m >= 4 * 1073741824) }')" = 1 ]; then
	bdiv=1073741824 bunit=GiB
fi
# Sets of many pages are drawn in thousands.
per=1 unit='pages'
if [ "$(awk -v m="$setmax" 'BEGIN { print (m >= 10000) }')" = 1 ]; then
	per=1000 unit='thousands of pages'
fi
n=$#
gp=$work/timeline.gp
{
	echo "set terminal $terminal"
	echo "set output '$(echo "$out" | sed "s/'/''/g")'"
	echo "set multiplot layout 2,$n columnsfirst"
	echo "set grid lc rgb '#dddddd'"
	echo "set key inside top center horizontal maxcols 3 samplen 1.5 font ',13' opaque"
	echo "set style fill solid 1.0 noborder"
	echo "set lmargin 12; set rmargin 10"
	for id in "$@"; do
		. "$work/run-$id.info"
		x=$xmax
		[ $own -eq 1 ] && x=$total
		# Stages, shaded behind both panels of the run.
		stop=$live
		[ "$(awk -v d="$down" 'BEGIN { print (d > 0) }')" = 1 ] || stop=$total
		shade="set object 1 rect from 0, graph 0 to $setup, graph 1 behind fc rgb '#e0e0e0' fs solid 1.0 noborder
set object 2 rect from $setup, graph 0 to $stop, graph 1 behind fc rgb '#e6f2fa' fs solid 1.0 noborder
set object 3 rect from $stop, graph 0 to $total, graph 1 behind fc rgb '#fbe3d6' fs solid 1.0 noborder"
		stages="NaN with boxes fc rgb '#e6f2fa' title 'live stage', NaN with boxes fc rgb '#fbe3d6' title 'stop-and-copy'"
		printf '%s\n' "set title \"$title\""
		echo "set xrange [0:$x]"
		echo "$shade"
		echo "set ylabel '$unit'"
		echo "unset xlabel"
		sets=$setmax
		# shellcheck disable=SC2086
		[ $own -eq 1 ] && sets=$(awk '{ for (c = 2; c <= 3; c++) if ($c > m) m = $c } END { print m + 0 }' "$work/run-$id.dat")
		echo "set yrange [0:($sets * 1.3 + 1) / $per]"
		nd=", '' using 1:(\$3 / $per) with steps lw 3 lc rgb '#56B4E9' title 'ND after each sync'"
		[ "$alg" = mplm ] || nd= # the others have no ND
		echo "plot '$work/run-$id.dat' using 1:(\$2 / $per) with steps lw 3 lc rgb '#D55E00' title 'D after each sync'$nd"
		echo "set title ''"
		echo "set ylabel 'MiB/s between syncs'"
		echo "set xlabel 'time since the migration started (s)'"
		rates=$ratemax sent=$sentmax
		if [ $own -eq 1 ]; then
			rates=$(awk -v l="$link" '{ for (c = 4; c <= 5; c++) if ($c != "NaN" && $c > m) m = $c } END { print (m > l ? m : l) }' "$work/run-$id.dat")
			sent=$(max_of 6 "$work/run-$id.dat")
		fi
		echo "set yrange [0:$rates * 1.6]; set y2range [0:$sent * 1.6 / $bdiv]"
		echo "set y2label '$bunit sent so far'"
		echo "set y2tics; set ytics nomirror"
		echo "plot '$work/run-$id.dat' using 1:4 with fsteps lw 3 lc rgb '#009E73' title 'sent', \\"
		echo "  '' using 1:5 with fsteps lw 3 dt 2 lc rgb '#D55E00' title 'dirtied', \\"
		echo "  $link with lines lw 2 dt 3 lc rgb '#555555' title 'link', \\"
		echo "  '' using 1:(\$6 / $bdiv) axes x1y2 with lines lw 1.5 lc rgb '#004D40' title '$bunit so far', $stages"
		echo "unset y2tics; unset y2label; set ytics mirror"
		echo "unset object 1; unset object 2; unset object 3"
	done
	echo "unset multiplot"
} >"$gp"

gnuplot "$gp" >"$work/gnuplot.err" 2>&1 || die "gnuplot failed: $(grep -v '^ *\^* *$' "$work/gnuplot.err" | tail -n 1)"
echo "$out"
