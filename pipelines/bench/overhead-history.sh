#!/usr/bin/env bash
# The history of a long tuning of the CPU SGEMM study (kernels/sgemm/
# cpu.json: 10 params, over 900,000 valid configurations), for
# overhead.sh at N records where the replay studies (at most 17,956 valid
# configurations) run out.  The configurations are N distinct valid ones
# drawn by `ar-propose --strategy random` (so the ids are the real ones),
# in rounds of 8; each is given a record as ar-bench and ar-score write
# them on this study (the fields of tests/fixtures/report/sgemm-cpu.jsonl),
# with a time from a rough model of the kernel: the register tile's
# accumulators, the vector width, KC, MC, NC, the unrolling, prefetch
# and threads each scale the GFLOP/s, with 10% log-normal noise, so
# that the times span two orders of magnitude and have structure to
# learn.  1 record in 100 is a crash (no time, no score), as the study
# saw before -z nodelete: the strategies must then also fit the chance
# of success, the costlier path of bo.  Deterministic for a given SEED.
#
# usage: pipelines/bench/overhead-history.sh BIN STUDY N [SEED] > history
#   BIN: the directory of ar-propose; STUDY: kernels/sgemm/cpu.json or a
#   copy of it
set -euo pipefail
bin=$1
study=$2
n=$3
seed=${4:-1}

"$bin/ar-propose" -s "$study" -n "$n" --strategy random \
    --seed "$seed" |
awk -v seed="$seed" '
function p(name,	s) {
	s = $0
	sub(".*\"" name "\":", "", s)
	sub("[,}].*", "", s)
	return s + 0
}
function gauss() {
	return sqrt(-2 * log(1 - rand())) * cos(6.283185307179586 * rand())
}
BEGIN { srand(seed); flops = 2 * 1024 * 1024 * 1024 }
{
	vw = p("VW"); mr = p("MR"); nr = p("NR"); kc = p("KC"); mc = p("MC")
	nc = p("NC"); ku = p("KU"); pf = p("PF"); th = p("THREADS")
	par = p("PAR")
	acc = mr * nr / vw
	g = 60 * (vw == 16 ? 1 : 0.55)
	g *= acc >= 24 ? 1 : acc / 24
	g *= 1 - 0.4 * ((log(kc / 320) / log(2)) ^ 2) / 4
	g *= 1 - 0.15 * ((log(mc / 240) / log(2)) ^ 2) / 9
	g *= nc >= 1024 ? 1 : 0.85
	g *= ku == 4 ? 1 : ku == 1 ? 0.8 : 0.93
	g *= pf == 0 ? 0.9 : pf >= 16 ? 0.95 : 1
	g *= th == 2 ? (par ? 1.85 : 1.7) : 1
	g *= exp(0.1 * gauss())
	if (g < 0.2)
		g = 0.2
	t = flops / g / 1e9
	round = int((NR - 1) / 8) + 1
	sub("\"round\":1,", "\"round\":" round ",")
	sub("}}$", "}")
	if (rand() < 0.01) {
		printf "%s,\"status\":\"crash\",\"error\":\"the child " \
		    "died of signal 11\",\"cost_s\":%.6f,\"host\":\"vm\"," \
		    "\"device\":\"Intel Xeon\",\"score\":null}\n", $0,
		    0.3 + t * 7
		next
	}
	sd = t * 0.02
	id = $0
	sub(".*\"id\":\"", "", id)
	id = substr(id, 1, 16)
	h = id id id id
	printf "%s,\"artifact\":\"runs/sgemm/cache/%s/%s.so\"," \
	    "\"compile\":{\"status\":\"ok\",\"seconds\":%.6f,\"log\":\"\"," \
	    "\"sha256\":\"%s\"}", $0, substr(h, 1, 2), h, 0.3 + rand(), h
	printf ",\"status\":\"ok\",\"time_s\":%.9g,\"times\":{\"n\":5," \
	    "\"min\":%.9g,\"median\":%.9g,\"mean\":%.9g,\"sd\":%.6g}," \
	    "\"verify\":{\"max_abs_err\":1.71661376953125e-5," \
	    "\"max_rel_err\":0.6060353739243249},\"ref_time_s\":1.5," \
	    "\"cost_s\":%.6f,\"host\":\"vm\",\"device\":\"Intel Xeon\"," \
	    "\"metrics\":{\"gflops\":%.9g,\"ref_gflops\":1.43165577," \
	    "\"speedup\":%.9g},\"objective\":%.9g,\"score\":%.9g}\n", \
	    t, t * 0.97, t, t * 1.01, sd, 0.3 + t * 7, g,
	    1.5 / t, t, -t
}'
