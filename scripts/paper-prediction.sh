#!/bin/sh
# paper-prediction.sh [RESULTS]: the paper versus mplm-lab's unfitted
# prediction (paper-fig4) and the fitted model (paper-fig4-fitted), point
# by point, from the two paper-vs-mplm-lab.csv tables `mplm-exp report`
# wrote. Writes RESULTS/paper-fig4/prediction.md (default results/) and
# prints it, then the summary the issue asks for: MPLM's total time and
# downtime per benchmark, and the worst pre-copy miss.
set -eu
out=${1:-results}
pred=$out/paper-fig4/paper-vs-mplm-lab.csv
fit=$out/paper-fig4-fitted/paper-vs-mplm-lab.csv
for f in "$pred" "$fit"; do
	[ -r "$f" ] || { echo "paper-prediction.sh: $f: missing; run mplm-exp report paper-fig4 paper-fig4-fitted" >&2; exit 1; }
done

# The CSV's quantity may hold a comma ("pre-copy total time (s), limit
# 0.3 s"): its last six fields are fixed, the quantity is what remains.
awk -F, '
function key(   q, i) {
	q = $2
	for (i = 3; i <= NF - 6; i++)
		q = q "," $i
	return $1 SUBSEP q
}
function qty(   k) { k = key(); return substr(k, index(k, SUBSEP) + 1) }
FNR == 1 { file++; next }
file == 1 {
	k = key(); order[++n] = k; wl[k] = $1; q[k] = qty()
	paper[k] = ($(NF - 4) ? "~" : "") $(NF - 5)
	pv[k] = $(NF - 3); pe[k] = $NF
	next
}
{ k = key(); fv[k] = $(NF - 3); fe[k] = $NF }
END {
	print "## Figure 4 and Table I: the paper, predicted and fitted"
	print ""
	print "Predicted: nothing fitted (`experiments/paper/paper-fig4.ini`; every input and its source in `experiments/README.md`). Fitted: the static memory of each benchmark fitted to MPLM'"'"'s total time (`paper-fig4-fitted.ini`). mplm-lab: means of the repetitions; error = mplm-lab / paper - 1."
	print ""
	print "| benchmark | quantity | paper | predicted | error | fitted | error |"
	print "|---|---|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		k = order[i]
		printf "| %s | %s | %s | %.2f | %+.1f %% | %s | %s |\n", wl[k], q[k], paper[k], pv[k], pe[k],
		       (k in fv) ? sprintf("%.2f", fv[k]) : "-", (k in fe) ? sprintf("%+.1f %%", fe[k]) : "-"
		if (q[k] ~ /^pre-copy/) {
			a = pe[k] < 0 ? -pe[k] : pe[k]
			if (a > worst) { worst = a; wk = k }
			b = fe[k] < 0 ? -fe[k] : fe[k]
			if (b > fworst) { fworst = b; fk = k }
		}
	}
	print ""
	for (i = 1; i <= n; i++) {
		k = order[i]
		if (q[k] == "mplm total time (s)")
			t[wl[k]] = sprintf("total %.2f s vs %s: %+.1f %% predicted, %+.1f %% fitted", pv[k], paper[k], pe[k], fe[k])
		if (q[k] == "mplm downtime (s)")
			d[wl[k]] = sprintf("downtime %.2f s vs %s: %+.1f %% predicted, %+.1f %% fitted", pv[k], paper[k], pe[k], fe[k])
	}
	for (i = 1; i <= n; i++)
		if (q[order[i]] == "mplm total time (s)")
			printf "MPLM %s: %s; %s\n", wl[order[i]], t[wl[order[i]]], d[wl[order[i]]]
	if (wk != "")
		printf "Worst pre-copy miss: %s %s, %+.1f %% predicted (%+.1f %% fitted); fitted: worst %s %s, %+.1f %%\n",
		       wl[wk], q[wk], pe[wk], fe[wk], wl[fk], q[fk], fe[fk]
}' "$pred" "$fit" >"$out/paper-fig4/prediction.md"
cat "$out/paper-fig4/prediction.md"
