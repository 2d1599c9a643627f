# gather.jq -- a round's records put back in the proposals' order, after
# its candidates were measured in slices somewhere else (pipelines/hosts.sh
# over GNU parallel's hosts, pipelines/slurm/ over a cluster's nodes).
#
#   jq -nr --argjson k SLICE --rawfile jobs JOBLOG --rawfile out RESULTS \
#       --arg here "$(hostname)" -f pipelines/gather.jq PROPOSALS
#
# PROPOSALS  the round's proposals, one JSON object a line, as measured
# SLICE      how many consecutive proposals each job measured: job N (from
#            1) had proposals (N-1)*SLICE+1 ... N*SLICE
# JOBLOG     GNU parallel's --joblog: a header line, then one tab-separated
#            line a job: Seq Host Starttime JobRuntime Send Receive
#            Exitval Signal Command (a job's last line counts)
# RESULTS    what the jobs printed, each line "SEQ<tab>RECORD"
#            (parallel's --tagstring '{#}')
# here       the name of this machine, for the host ":" (parallel's name
#            for it)
#
# Each proposal becomes the record its job printed for it (the one with
# its id), its text as it was printed, so that the history holds the same
# bytes as a run on one machine; a record without a "host" gets one, the
# machine that measured it (ar-bench names it: AR_HOST, else its own
# name; a replay names none).  A proposal its job printed no record for
# (the host died, the job was killed, the programs were missing there) is
# not lost: it becomes a "crash" record naming the host and how its job
# ended, so that it lands in the history like any failure.  A line that
# is not a JSON object (a job killed while writing) is no record.  Run it
# with -r: the records are printed as text.

# The host as HOSTS named it: "4/user@gpu1" is gpu1; ":" is this machine.
def hostname: sub("^[0-9]+/"; "") | sub("^.*@"; "") | if . == ":" then $here else . end;

($jobs | split("\n") | .[1:] | map(select(length > 0) | split("\t")
    | {key: .[0], value: {host: (.[1] | hostname), exit: .[6], signal: .[7]}})
    | from_entries) as $job
| ($out | split("\n") | map(select(length > 0)
    | (index("\t")) as $t | select($t != null)
    | {seq: .[:$t], text: (.[$t + 1:] | sub("\\s+$"; ""))}
    | .rec = (.text | try fromjson catch null)
    | select(.rec | type == "object" and (.id | type == "string")))
    | reduce .[] as $r ({}; .[$r.seq][$r.rec.id] = $r)) as $got
| foreach inputs as $p (-1; . + 1;
    ((. / $k | floor) + 1 | tostring) as $seq
    | ($job[$seq] // {host: "unknown", exit: null, signal: null}) as $j
    | $got[$seq][$p.id] as $r
    | if $r == null then
        $p + {status: "crash", error: ("lost on host \($j.host): "
            + if $j.exit == null then "its job never ran"
              elif $j.signal != "0" then "its job was killed by signal \($j.signal)"
              elif $j.exit == "255" then "its job ended with status 255 (ssh could not reach the host, or lost it)"
              else "its job ended with status \($j.exit) and no record for it" end),
            host: $j.host} | tojson
      elif $r.rec | has("host") then $r.text
      else $r.text[:-1] + ",\"host\":" + ($j.host | tojson) + "}" end)
