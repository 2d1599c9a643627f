#!/usr/bin/env bash
# Benchmark (issue 19): what the loop costs to spread a round over
# workers, beyond the candidates' own time.  A `command` study whose 64
# candidates each sleep 0.5 s and print a JSON line (bench: warmup 0,
# repeat 1) is run for one round of all 64 (tune.mk EVALS=64 BATCH=64
# STRATEGY=random, the default goal, so the summary is included) with 1,
# 2, 4 and 8 workers, on a fresh OUT each time:
#
#   local    no HOSTS: ar-compile | ar-bench here, one candidate at a
#            time (1 worker): the reference for the loop's own cost
#   hosts    HOSTS=1/w1,...,1/wN over loopback ssh (tests/loopback-ssh:
#            one sshd a "host", so N workers are N one-slot machines, as
#            N one-GPU nodes), SLICE=auto: one job a slot, 64/N candidates
#   hosts1   the same with SLICE=1: one job, so one ssh login, a candidate
#   later    hosts, but the study's second round of 64 is timed, the first
#            run before it untimed (a space of 128): hosts.sh's logins to
#            a host share one ssh connection (ControlMaster), which the
#            first round leaves open for the next
#   pair     HOSTS=N/2/w1,N/2/w2 (2 hosts of N/2 slots), SLICE=auto: that
#            a host's slots cost what as many hosts do
#   hostscm  hosts, with SSH= adding ssh connection sharing (ControlMaster,
#            the masters opened before the timing, as a study's first
#            round leaves them for the next): what logins cost in hosts
#   slurm    SLURM=1 (pipelines/slurm/round, SLICE 1: a task a candidate)
#            on a one-node Slurm of N CPUs (pipelines/slurm/localcluster
#            --cpus N, started anew for each N, not timed)
#   slurmk   the same with SLICE=64/N: one task a worker
#   parts    what the overhead consists of, each timed alone: a bare
#            `ssh -F cfg w1 true`, 8 at once, with the classic key
#            exchange curve25519-sha256 instead of OpenSSH 9's default
#            sntrup761x25519, through a shared connection; GNU parallel's
#            start with a local and a remote job; one candidate through
#            ar-compile | ar-bench beyond its 0.5 s; tune.mk on the
#            finished study (make's bookkeeping and the summary)
#   slurmparts  what a task costs Slurm on the local node of 8 CPUs:
#            from sbatch to the end of one task that does nothing, and of
#            an array of 64 such tasks (each writes a file; the files are
#            watched every 0.02 s)
#
# Each timing holds the bench lock (common.sh); REPS runs each, medians.
# Prints a comment line with the processor, cores and load, then one JSON
# line per case and worker count:
#   {"case", "workers", "runs": [s...], "median_s", "ideal_s", "overhead_s",
#    "speedup", "load"}
# ideal_s = 64 x 0.5 / workers, overhead_s = median_s - ideal_s, speedup =
# the case's 1-worker median over this one (local: none), load the 1-minute
# load average before the case's runs; and for parts one line each:
#   {"part", "runs", "median_s"}
# Results in BENCHMARKS.md.
#
# usage: pipelines/bench/scale/overhead.sh [CASE...]   (default: local hosts)
# environment: REPS (3), WORKERS ('1 2 4 8'), O (build/scale), LOCK
# `local hosts` takes about 5 minutes, `parts` 1; hosts1 with 1 worker
# takes a minute a run, so give it WORKERS='1 8' (4 minutes).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"
reps=${REPS:-3}
read -ra counts <<<"${WORKERS:-1 2 4 8}"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(local hosts)
n=64 nap=0.5

# The study: nap.sh I sleeps 0.5 s and prints {"v": I}.
# shellcheck disable=SC2016
printf '#!/bin/sh\nsleep %s\necho "{\\"v\\": $1}"\n' "$nap" >"$dir/nap.sh"
chmod +x "$dir/nap.sh"
jq -n --argjson n $((2 * n)) '{name: "nap", backend: "command", command: ["./nap.sh", "{I}"],
    params: {I: [range($n)]}, bench: {warmup: 0, repeat: 1},
    objective: "minimize output.v"}' >"$dir/s2.json"
jq -n --argjson n $n '{name: "nap", backend: "command", command: ["./nap.sh", "{I}"],
    params: {I: [range($n)]}, bench: {warmup: 0, repeat: 1},
    objective: "minimize output.v"}' >"$dir/s.json"

# The hosts: w1 ... w8, each its own sshd.
"$root/tests/loopback-ssh" start "$dir/ssh" w1 w2 w3 w4 w5 w6 w7 w8
undo+=("'$root/tests/loopback-ssh' stop '$dir/ssh'")
cfg=$dir/ssh/ssh_config
ssh=(ssh -F "$cfg")
cm=(-o ControlMaster=auto -o "ControlPath=$dir/cm-%n" -o ControlPersist=600)
cpu_line >&2

# hostlist N SLOTS: N hosts w1..wN of SLOTS slots each.
hostlist() {
	local i l=
	for ((i = 1; i <= $1; i++)); do l+=",$2/w$i"; done
	echo "${l#,}"
}

# check OUT WORKERS: the run made one round of the 64 candidates, all ok,
# spread over that many hosts (when they are named).
check() {
	local h=$1/history.jsonl got k=${2:-$n}
	got=$(jq -s '[length, (map(select(.status == "ok")) | length)] | @tsv' -r "$h")
	[ "$got" = "$k	$k" ] || { echo "overhead.sh: $1: $got records/ok, not $k" >&2; exit 1; }
}

# run_case CASE WORKERS: the args of tune.mk for it, in the array `args`.
case_args() {
	local c=$1 w=$2
	args=()
	case $c in
	local) args=() ;;
	hosts|later) args=(HOSTS="$(hostlist "$w" 1)" SSH="${ssh[*]}") ;;
	hosts1) args=(HOSTS="$(hostlist "$w" 1)" SSH="${ssh[*]}" SLICE=1) ;;
	pair)
		if [ "$w" = 1 ]; then args=(HOSTS=1/w1)
		else args=(HOSTS="$((w / 2))/w1,$((w / 2))/w2"); fi
		args+=(SSH="${ssh[*]}") ;;
	hostscm) args=(HOSTS="$(hostlist "$w" 1)" SSH="${ssh[*]} ${cm[*]}") ;;
	slurm) args=(SLURM=1) ;;
	slurmk) args=(SLURM=1 SLICE=$(((n + w - 1) / w))) ;;
	*) echo "overhead.sh: unknown case '$c'" >&2; exit 2 ;;
	esac
}

# parts: what the overhead is made of.
part() {
	local name=$1 runs=() i
	shift
	for ((i = 0; i < 10; i++)); do runs+=("$(timed "$@")"); done
	printf '{"part":"%s","runs":10,"median_s":%s}\n' "$name" \
	    "$(printf '%s\n' "${runs[@]}" | median)"
}
eight() {
	local i
	for i in 1 2 3 4 5 6 7 8; do "${ssh[@]}" "$@" "w$i" true & done
	wait
}
one_candidate() {
	local t0 rec
	t0=$EPOCHREALTIME
	rec=$(head -n 1 "$dir/p.jsonl" | "$bin/ar-compile" -s "$dir/s.json" -j 1 \
	    --cache "$dir/pc" | "$bin/ar-bench" -s "$dir/s.json" --cache "$dir/pc")
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v s="$(jq .time_s <<<"$rec")" \
	    'BEGIN { printf "%.4f\n", b - a - s }'
}
parts() {
	local runs=() i
	"$bin/ar-propose" -s "$dir/s.json" -n $n --seed 0 --strategy random >"$dir/p.jsonl"
	part ssh_login "${ssh[@]}" w1 true
	part ssh_login_x8 eight
	part ssh_login_curve25519 "${ssh[@]}" -o KexAlgorithms=curve25519-sha256 w1 true
	"${ssh[@]}" "${cm[@]}" w1 true
	part ssh_login_shared "${ssh[@]}" "${cm[@]}" w1 true
	"${ssh[@]}" "${cm[@]}" -O exit w1 2>/dev/null
	part parallel_local parallel true ::: 1
	part parallel_remote parallel -S 1/w1 --ssh "${ssh[*]}" --wd "$dir" --env AR_HISTORY true ::: 1
	# The programs' start and a candidate's handling beyond its own time.
	for ((i = 0; i < 10; i++)); do
		exec 7>>"$lock"; flock 7
		runs+=("$(AR_HISTORY=/dev/null one_candidate)")
		exec 7>&-
	done
	printf '{"part":"candidate_beyond_0.5s","runs":10,"median_s":%s}\n' \
	    "$(printf '%s\n' "${runs[@]}" | median)"
	# make's bookkeeping and the summary: tune.mk on the finished study.
	mkdir -p "$dir/done"
	cp "$dir/s.json" "$dir/nap.sh" "$dir/done/"
	tune "$dir/done" EVALS=$n BATCH=$n STRATEGY=random HOSTS="$(hostlist 8 1)" SSH="${ssh[*]}" >/dev/null
	part tune_finished tune "$dir/done" EVALS=$n BATCH=$n STRATEGY=random
}

# slurmparts: from sbatch to the end of an array of N tasks doing nothing.
array_done() {
	local k=$1 i
	rm -rf "$dir/tasks"
	mkdir -p "$dir/tasks"
	# shellcheck disable=SC2016
	D=$dir/tasks sbatch -Q --parsable --array=1-"$k" -o /dev/null \
	    --wrap 'touch "$D/$SLURM_ARRAY_TASK_ID"' >/dev/null
	for ((i = 0; i < 30000; i++)); do
		[ "$(find "$dir/tasks" -type f | wc -l)" -lt "$k" ] || return 0
		sleep 0.02
	done
	return 1
}
slurmparts() {
	slurm_up 8
	part slurm_task array_done 1
	part slurm_array64 array_done 64
	slurm_down 8
}

# slurm_up WORKERS: a one-node cluster of that many CPUs, for this case.
slurm_up() {
	[ -x "$root/pipelines/slurm/localcluster" ] ||
	    { echo "overhead.sh: no pipelines/slurm/localcluster" >&2; exit 1; }
	"$root/pipelines/slurm/localcluster" start "$dir/slurm$1" --cpus "$1" >/dev/null
	undo+=("'$root/pipelines/slurm/localcluster' stop '$dir/slurm$1' >/dev/null")
	export SLURM_CONF=$dir/slurm$1/slurm.conf
}
slurm_down() {
	"$root/pipelines/slurm/localcluster" stop "$dir/slurm$1" >/dev/null
	unset SLURM_CONF
}

for c in "${cases[@]}"; do
	if [ "$c" = parts ]; then parts; continue; fi
	if [ "$c" = slurmparts ]; then slurmparts; continue; fi
	one=
	for w in "${counts[@]}"; do
		[ "$c" != local ] || [ "$w" = 1 ] || continue
		case_args "$c" "$w"
		case $c in slurm*) slurm_up "$w" ;; esac
		load=$(load1)
		runs=()
		for ((r = 0; r < reps; r++)); do
			d=$dir/run-$c-$w-$r
			mkdir -p "$d"
			cp "$dir/s.json" "$dir/nap.sh" "$d/"
			if [ "$c" = hostscm ]; then
				for ((i = 1; i <= w; i++)); do "${ssh[@]}" "${cm[@]}" "w$i" true; done
			fi
			if [ "$c" = later ]; then
				cp "$dir/s2.json" "$d/s.json"
				tune "$d" OUT=out EVALS=$n BATCH=$n STRATEGY=random "${args[@]}" >/dev/null
				runs+=("$(timed tune "$d" OUT=out EVALS=$((2 * n)) BATCH=$n STRATEGY=random "${args[@]}")")
				check "$d/out" $((2 * n))
			else
				runs+=("$(timed tune "$d" OUT=out EVALS=$n BATCH=$n STRATEGY=random "${args[@]}")")
				check "$d/out"
			fi
			if [ "$c" = hostscm ]; then
				for ((i = 1; i <= w; i++)); do "${ssh[@]}" "${cm[@]}" -O exit "w$i" 2>/dev/null || :; done
			fi
			# hosts.sh's shared connections end with the run, so
			# that each run starts as a study's first round does.
			for i in 1 2 3 4 5 6 7 8; do
				"${ssh[@]}" -o "ControlPath=$HOME/.ssh/ar-%C" -O exit "w$i" 2>/dev/null || :
			done
			rm -rf "$d"
		done
		case $c in slurm*) slurm_down "$w" ;; esac
		m=$(printf '%s\n' "${runs[@]}" | median)
		[ "$w" != 1 ] || one=$m
		printf '{"case":"%s","workers":%d,"runs":[%s],"median_s":%s,"ideal_s":%s,"overhead_s":%s,"speedup":%s,"load":%s}\n' \
		    "$c" "$w" "$(IFS=,; echo "${runs[*]}")" "$m" \
		    "$(awk -v w="$w" -v n=$n -v s=$nap 'BEGIN { printf "%.2f", n * s / w }')" \
		    "$(awk -v m="$m" -v w="$w" -v n=$n -v s=$nap 'BEGIN { printf "%.4f", m - n * s / w }')" \
		    "$( [ -n "$one" ] && [ "$c" != local ] && awk -v a="$one" -v b="$m" 'BEGIN { printf "%.2f", a / b }' || echo null)" \
		    "$load"
	done
done
