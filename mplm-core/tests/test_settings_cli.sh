#!/bin/sh
# One name and one unit for each setting in every front end: mplm-sim,
# kvmlite, mplm-exp's experiment files and mplm-workload's specs read the
# same spellings the same way, and refuse the same ambiguous ones with one
# line that says what to write.
. scripts/testlib.sh
b=${MPLM_BUILD:-build/san}
sim=$b/mplm-sim kvm=$b/kvmlite/kvmlite exp=$b/mplm-exp wl=$b/mplm-workload
small="--workload uniform,pages=1024,wss=2M,rate=2k,duration=5,seed=1 --json"

# mplm-sim: a bare downtime-limit is ms; 300, 300ms and 0.3s are one run.
for v in 300 300ms 0.3s; do
	check "mplm-sim --downtime-limit $v" "$sim" --algorithm precopy --downtime-limit $v $small >"$tmp/sim-$v"
done
check "300 = 300ms" cmp -s "$tmp/sim-300" "$tmp/sim-300ms"
check "300 = 0.3s" cmp -s "$tmp/sim-300" "$tmp/sim-0.3s"
check "downtime-limit is 300 ms in query-migrate" grep -q '"downtime-limit": 300' "$tmp/sim-300"
# intervaltime: a bare number is s, 500ms works too.
check "mplm-sim --intervaltime 500ms" "$sim" --intervaltime 500ms $small >"$tmp/iv-ms"
check "mplm-sim --intervaltime 0.5" "$sim" --intervaltime 0.5 $small >"$tmp/iv-s"
check "0.5 = 500ms" cmp -s "$tmp/iv-ms" "$tmp/iv-s"
check "mplm-sim refuses 1Gb" expect_error 2 "ambiguous rate" "$sim" --max-bandwidth 1Gb $small
check "mplm-sim refuses 1G" expect_error 2 "ambiguous rate" "$sim" --max-bandwidth 1G $small
check "mplm-sim refuses a 1 us interval" expect_error 2 "intervaltime 1e-6: out of range: 0.001 s" "$sim" --intervaltime 1e-6 $small
check "mplm-sim renamed --max-time" expect_error 2 "unknown option" "$sim" --max-time 10 $small
check "mplm-sim --version" sh -c "'$sim' --version | grep -q '^mplm-sim '"

# kvmlite parses its options before it opens /dev/kvm.
check "kvmlite refuses 1Gb" expect_error 2 "--max-bandwidth 1Gb: ambiguous rate" "$kvm" run --max-bandwidth 1Gb
check "kvmlite refuses a 1 us interval" expect_error 2 "out of range: 0.001 s" "$kvm" migrate --intervaltime 1e-6
check "kvmlite renamed --after" expect_error 2 "unknown" "$kvm" migrate --after 3
check "kvmlite --version" sh -c "'$kvm' --version | grep -q '^kvmlite ' && '$kvm' run --version | grep -q '^kvmlite '"
check "kvmlite --help has the table" sh -c "'$kvm' --help | grep -q -- '--downtime-limit MS'"

# Experiment files: the same names and units, the same messages.
cat >"$tmp/ok.ini" <<EOF
[experiment]
name = units
memory = 16M
bandwidth = 1Gbps
[workload u]
generator = uniform,memory=16M,rate=1k,duration=2min,interval=20ms
[algorithm precopy]
downtime-limit = 300 1s
[algorithm mplm]
intervaltime = 500ms 3
max-bandwidth = 125MB/s
EOF
check "mplm-exp check takes the units" sh -c "'$exp' check '$tmp/ok.ini' >/dev/null"
sed 's/^max-bandwidth = .*/max-bandwidth = 1Gb/' "$tmp/ok.ini" >"$tmp/bad.ini"
check "mplm-exp refuses 1Gb at its line" expect_error 1 "bad.ini:11: max-bandwidth 1Gb: ambiguous rate" "$exp" check "$tmp/bad.ini"

# Workload specs: counts take k, durations units.
check "mplm-workload rate=1k" sh -c "'$wl' --stats uniform,pages=256,rate=1k,duration=2 >/dev/null"
check "mplm-workload --version" sh -c "'$wl' --version | grep -q mplm-workload"
check "mplm-lab-web --version" sh -c "'$b/mplm-lab-web' --version | grep -q '^mplm-lab-web '"
finish
