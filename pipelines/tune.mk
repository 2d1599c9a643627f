# tune.mk -- the closed loop, one round per file target.
#
#   make -f pipelines/tune.mk STUDY=kernels/matmul/cpu.json EVALS=160 BATCH=8 OUT=runs/matmul
#   make -f pipelines/tune.mk STUDY=kernels/matmul/cpu.json EVALS=160 BATCH=8 OUT=runs/matmul report
#   make -f pipelines/tune.mk STUDY=kernels/matmul/cpu.json EVALS=160 BATCH=8 OUT=runs/matmul confirm
#   make -f pipelines/tune.mk help
#
# Variables:
#   STUDY     the study spec (required)
#   EVALS     evaluations to spend (no limit)
#   SECONDS   measured cost_s to spend (no limit)
#   ROUNDS    the most rounds (enough for EVALS; 1000 under SECONDS alone;
#             else 10)
#   BATCH     proposals a round (8)          OUT     output folder (runs/NAME)
#   STRATEGY  --strategy of ar-propose (auto)
#   SEED      --seed of ar-propose (0)       PRIOR   --prior of ar-learn
#   JOBS      parallel compilations (2)      DEFS    e.g. DEFS='-D N=1024'
#   CACHE     the build cache (OUT/cache)    BIN     the programs (bin/)
#   VARIANTS  the store of code variants (OUT/variants)
#   BENCH     extra ar-bench options, e.g. BENCH='--repeat 3'
#   HOSTS     measure each round on these hosts, GNU parallel's --sshlogin
#             list: HOSTS=4/gpu1,4/gpu2 (4 jobs at once on each; ':' is
#             this machine)
#   SSH       the ssh command (ssh -o BatchMode=yes ...)
#   RDIR      where the hosts find this folder (its path here)
#   RBIN      the programs there (BIN's absolute path here)
#   SLURM     SLURM=1: measure each round as a Slurm job array
#   SBATCH    extra sbatch options, e.g. SBATCH='--partition=gpu'
#   SLICE     candidates a job or task (auto: the round over the HOSTS'
#             job slots; under Slurm 1)
#   RETRIES   tries again of a failed job or task (HOSTS 0, Slurm 2)
#   CONFIRM_TOP     `confirm`: the candidates measured again (5)
#   CONFIRM_REPEAT  `confirm`: how many times each (12)
#
# Round N is OUT/rounds/NNN.jsonl: bring OUT/model.json up to date with
# the rounds before it, propose up to BATCH configurations that no earlier
# round measured, compile, bench and score them, written to a temporary
# file and renamed when the round is whole.  So a killed run resumes at
# the round it lost, a finished run does nothing, and a cron job can run
# it at any time: a run holds OUT/.lock (flock(1)) while it works, so that
# a second run on the same OUT waits for the first to end and then goes on
# from where it stopped; nothing of the two interleaves.  The waiting run
# says so on stderr, naming the process that holds the lock (its pid is
# written in the lock file).  An interrupt (^C) ends a run quietly, with
# one line on stderr once it holds the lock, and leaves no temporary file;
# the next run removes any that a harder kill left.
#
# Budgets.  EVALS= and SECONDS= end the study, whichever is spent first,
# the same way for every strategy.  EVALS counts the records of the
# history (failures included): the last round proposes only what is left,
# so a study ends at exactly EVALS evaluations.  SECONDS counts the sum of
# the history's "cost_s", what measuring each candidate cost, compiling
# included (for a replay study, the compile, benchmark and framework time
# that Kernel Tuner recorded, not the time the replay takes): a round
# starts only while that sum is below SECONDS, and the round that crosses
# it is finished, so a study overshoots SECONDS by less than one round.
# A round whose budget is spent is not made, nor are the rounds after it;
# a round that proposes nothing (the space is exhausted) ends the study
# too.  Whether a round is spent depends only on the rounds before it, so
# a resumed study makes exactly the rounds an uninterrupted one would, and
# a larger budget on a later run goes on from where the last one stopped.
#
# A round without a score.  A round in which every candidate failed on
# its own (compile_error, wrong, crash, timeout, suspicious, invalid, or
# infeasible under the study's "require") is a round like any other: the
# strategies learn from it.  But a round in which some record measured ok
# and none has a score is a broken study (the objective or a metric names
# a field the records lack, and ar-score warned): the run stops there with
# a message and a non-zero status, so that cron notices, and keeps the
# round's records as OUT/rounds/NNN.failed.jsonl.  NNN.jsonl is not made,
# so once the study is fixed the next run measures that round again (and
# removes NNN.failed.jsonl when it has made NNN.jsonl).
#
# What a round's programs may read.  ar-bench runs a command study's
# program with AR_HISTORY in its environment: the absolute path of a file
# that holds the records of the rounds before this one (empty in round 1,
# removed when the round ends), so that an experiment may build on what
# the study found so far, as a search that starts from the best results
# does (examples/discovery).  ar-score ranks the records of a study with
# several objectives among that same file's (--against), and the summary
# is then the Pareto front of the whole history.

# Rounds on other machines.  With HOSTS=, a round's proposals are measured
# by pipelines/hosts.sh: GNU parallel hands them out SLICE at a time to
# the hosts over ssh, each runs ar-compile | ar-bench there (the programs
# in RBIN, in RDIR: the hosts see the study, OUT and its cache at the
# same paths, through a shared file system or a copy), and the records
# come back in the proposals' order, each with the "host" that measured
# it.  With SLURM=1, pipelines/slurm/round submits the round as one job
# array instead (pipelines/slurm/README.md).  Proposing, scoring and
# learning stay here, so the history is the one a run on this machine
# alone would make, but for "host" and the timings.  A host that dies
# mid-round costs its candidates, which come back as "crash" records
# naming it (after RETRIES tries elsewhere), not the round; a round in
# which no host measured anything is not made, and the run stops.

# OUT/history.jsonl is the rounds concatenated, OUT/model.json what
# ar-learn made of them, and `summary` (the default goal) names the best
# configuration and the line of its record, and what the study spent,
# with the facts of `ar-report --text` (the top 3, the parameters by
# importance, the failures, the best at a few budgets).  `report` makes
# the rounds as `summary` does, then writes OUT/report.html, the page of
# the history (ar-report(1): convergence, the best beside its neighbours,
# importance, failures, the top 10), made again whenever the history
# changes.

# A confirmed best.  The best of many noisy measurements is biased: it is
# on top as much by a lucky run as by being fast (the winner's curse).
# `confirm` makes the rounds as `summary` does, then measures the
# CONFIRM_TOP best candidates of the history (measured ok, by score, each
# id once) again, CONFIRM_REPEAT times each, interleaved (each once a
# pass, the order rotated every pass, so that drift on the machine falls
# on all of them alike), in one ar-bench run, as a round is measured (on
# one of the HOSTS, or as one Slurm task, with those), and scores them.
# The odd passes choose and the even ones report: the confirmed best is
# the candidate with the best median over passes 1, 3, 5, ..., and its
# figure is its median over passes 2, 4, 6, ..., which did not choose it
# and so are as likely to be slow as fast (choosing on the same
# measurements would let a lucky re-measurement win again).
# OUT/confirm.jsonl is those history records, each with "confirm" added
# (n and the median objective of its even passes, the 95% interval of
# that median from its order statistics, the n and median of its odd
# passes, its status, its values, and its place by the first measurement:
# pipelines/confirm.sh), best first; one that failed on re-measurement
# comes last and is never the confirmed best.  It is made again when the
# history, CONFIRM_TOP, CONFIRM_REPEAT, DEFS or BENCH change, written
# whole or not at all, and the summary reports it while it is newer than
# the history, saying whether the order changed.  12 re-measurements give
# 6 even passes, the fewest with a 95% interval (n >= 6), and 6 odd ones
# to choose by; 5 candidates times 12 cost 60 evaluations.  At least 2.
# A replay study re-measures nothing, and one of several objectives has
# no one best: `confirm` refuses both.

SELF := $(lastword $(MAKEFILE_LIST))
HERE := $(patsubst %/,%,$(dir $(SELF)))

# $(file <NAME), which reads a round when it is about to be followed.
ifneq ($(firstword $(sort $(MAKE_VERSION) 4.2)),4.2)
$(error GNU make 4.2 or later is needed, this is $(MAKE_VERSION))
endif

SHELL = /bin/bash
.SHELLFLAGS = -o pipefail -ec
.DELETE_ON_ERROR:
.SUFFIXES:

# help: the usage and the variables, the head of this file.
ifneq ($(filter help,$(MAKECMDGOALS)),)
help:
	@awk '!/^#/ { exit } { sub(/^# ?/, "") } /^Round N is/ { exit } \
	    v && $$0 == "" { exit } /^Variables:/ { v = 1 } { print }' $(SELF)
	@printf '\n%s\n%s\n' "How a run goes (rounds, budgets, the lock, a round without a score):" \
	    "the comment at the head of $(SELF)."
.PHONY: help $(filter-out help,$(MAKECMDGOALS))
$(filter-out help,$(MAKECMDGOALS)): ; @:
else

ifndef STUDY
$(error STUDY= is required: make -f pipelines/tune.mk STUDY=kernels/matmul/cpu.json (or: make -f pipelines/tune.mk help))
endif
BATCH ?= 8
SEED ?= 0
STRATEGY ?= auto
JOBS ?= 2
DEFS ?=
BENCH ?=
EVALS ?=
SECONDS ?=
PRIOR ?=
OUT ?= runs/$(basename $(notdir $(STUDY)))
CACHE ?= $(OUT)/cache
VARIANTS ?= $(OUT)/variants
BIN ?= $(HERE)/../bin
MODEL := $(OUT)/model.json
HOSTS ?=
SSH ?= ssh -o BatchMode=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=4
SLICE ?= auto
RETRIES ?=
RDIR ?= $(CURDIR)
RBIN ?= $(abspath $(BIN))
SLURM ?=
SBATCH ?=
CONFIRM_TOP ?= 5
CONFIRM_REPEAT ?= 12

# One run of a study at a time: the run make starts takes the lock
# OUT/.lock and does the work in a second make under it.  The lock is
# held by the shell of tune-locked on descriptor 9 (the second make and
# what it runs inherit it), and that shell writes its make's pid into the
# file, so that a run that finds it taken can say whom it waits for:
# /proc/locks names the flock(1) that took it, which has gone (it serves
# for a lock that some other program took).
#
# An interrupt reaches every process of the run at once.  Make 4.3 must
# not see its child end at that instant: it would reap it twice, in its
# loop and in its signal handler, and stop with "wait: No child
# processes".  flock(1) running the second make did that, since it dies of
# the signal at once.  So this make waits for the lock while it parses,
# when it has no child (a $(shell) is not one), and takes it in
# tune-locked only once it was free.  There, and in the recipes of the
# second make, the shell waits for what it runs to clean up and end, then
# ends quietly, without the "*** ... Interrupt" a make prints for a
# recipe killed by it, and passes the interrupt on to its make, which
# then dies of it (status 130).
ifndef AR_TUNE_LOCKED
# wait-lock: takes OUT/.lock on descriptor 9, saying whom it waits for.
wait-lock = mkdir -p $(OUT); exec 9>>$(OUT)/.lock; flock -n 9 || { \
	pid=$$(cat $(OUT)/.lock 2>/dev/null) || :; \
	[ -n "$$pid" ] || pid=$$(awk -v i=":$$(stat -c %i $(OUT)/.lock)$$" \
	    '$$2 == "FLOCK" && $$6 ~ i { print $$5; exit }' /proc/locks) || :; \
	echo "waiting for $$(realpath $(OUT)/.lock) held by $${pid:+pid }$${pid:-another run}" >&2; \
	flock 9; }
$(shell $(wait-lock))
GOALS := $(or $(MAKECMDGOALS),summary)
$(GOALS): tune-locked ; @:
tune-locked:
	@trap 'echo "interrupted: a later run goes on from where this one stopped" >&2; \
	    kill -INT $$PPID; exit 0' INT; \
	$(wait-lock); \
	echo $$PPID >$(OUT)/.lock; \
	AR_TUNE_LOCKED=1 $(MAKE) --no-print-directory -f $(SELF) $(MAKECMDGOALS)
.PHONY: $(GOALS) tune-locked
else
unexport AR_TUNE_LOCKED

# quiet-on-int [TEMP]: a recipe's shell, interrupted, passes the interrupt
# on to make (which might not have had it) and ends quietly; and it
# removes its temporary file TEMP however it ends.
quiet-on-int = $(if $(1),trap 'rm -f $(1)' EXIT;) trap 'kill -INT $$PPID; exit 0' INT

# What an interrupted or killed run left behind: this run holds the lock,
# so no other is writing them.  A variant half written to the store is a
# hidden .HASH.EXT.PID.tmp there; the store may be shared with other
# runs (VARIANTS=), so only one a minute old goes.
$(shell rm -f $(OUT)/rounds/*.jsonl.tmp $(OUT)/rounds/*.history.tmp $(OUT)/history.jsonl.tmp)
$(shell [ ! -d $(VARIANTS) ] || find $(VARIANTS) -maxdepth 1 -name '.*.tmp' -mmin +1 -delete)

# The budgets must be numbers: jq would take some other text for JSON.
number = $(if $(shell echo '$($(1))' | grep -Ex '$(2)'),,$(error $(1)=$($(1)) is not $(3)))
$(call number,BATCH,[1-9][0-9]*,a whole number above 0)
$(if $(EVALS),$(call number,EVALS,[0-9]+,a whole number))
$(if $(SECONDS),$(call number,SECONDS,([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?,a number of seconds))

# budget FILE...: what the rounds in FILE... spent, and what the next
# round may propose: "RECORDS COST_S NEXT".  jq sums the costs in history
# order, as doubles, so the decision is the same on every run (and the
# same as in the strategy benchmark's simulator).
budget = cat $(1) /dev/null | jq -rn --argjson batch $(BATCH) \
	--argjson evals '$(or $(EVALS),null)' --argjson secs '$(or $(SECONDS),null)' \
	'reduce inputs as $$r ([0, 0]; [.[0] + 1, .[1] + (($$r.cost_s | numbers) // 0)]) | \
	. + [if ($$secs != null and .[1] >= $$secs) then 0 \
	    elif $$evals != null then [$$batch, $$evals - .[0], 0] | sort | .[1] \
	    else $$batch end] | map(tostring) | join(" ")'

# The rounds made so far: the files 001, 002, ... up to the first missing
# one, and what they spent.  They decide how many rounds this run lists.
DONE := $(shell n=0 f= last=; \
	while [ -e "$(OUT)/rounds/$$(printf %03d $$((n + 1))).jsonl" ]; do \
	n=$$((n + 1)); last=$(OUT)/rounds/$$(printf %03d $$n).jsonl; f="$$f $$last"; done; \
	echo $$n $$([ $$n -gt 0 ] && [ ! -s "$$last" ] && echo 1 || echo 0) \
	$$($(call budget,$$f)))
# Rounds made, whether the last proposed nothing, records, cost, and what
# the next round may propose; OVER when it may propose nothing.
MADE := $(word 1,$(DONE))
OVER := $(if $(filter 1,$(word 2,$(DONE))),1,$(if $(filter 0,$(word 5,$(DONE))),1))

ifndef ROUNDS
ifneq ($(EVALS),)
ROUNDS := $(shell l=$$(( $(EVALS) - $(word 3,$(DONE)) )); \
	echo $$(( $(MADE) + (l > 0 ? (l + $(BATCH) - 1) / $(BATCH) : 0) )))
else ifneq ($(SECONDS),)
ROUNDS := 1000
else
ROUNDS := 10
endif
endif
# A spent or exhausted study lists only the rounds it made, so that a
# finished study does nothing at all.
NROUNDS := $(if $(OVER),$(shell echo $$(( $(MADE) < $(ROUNDS) ? $(MADE) : $(ROUNDS) ))),$(ROUNDS))

NUMS := $(shell seq -f %03g 1 $(NROUNDS))
PREVS := $(shell seq -f %03g 0 $$(( $(NROUNDS) - 1 )))
ROUND_FILES := $(NUMS:%=$(OUT)/rounds/%.jsonl)

summary: $(MODEL)
	@$(quiet-on-int); AR_BIN=$(BIN) $(HERE)/summary.sh $(OUT) $(STUDY) $(DEFS)

# The page of the history; ar-report writes it whole or not at all.
report: $(OUT)/report.html
$(OUT)/report.html: $(OUT)/history.jsonl
	@$(quiet-on-int); $(BIN)/ar-report -s $(STUDY) $(DEFS) --variants $(VARIANTS) -o $@ $<

# A spent round leaves no file, so the history is the rounds that exist.
$(OUT)/history.jsonl: $(ROUND_FILES)
	@$(call quiet-on-int,$@.tmp); \
	cat $$(for f in $(ROUND_FILES); do [ ! -e $$f ] || echo $$f; done) /dev/null >$@.tmp; \
	mv $@.tmp $@

# update-model FILE...: brings the model up to date with the rounds
# FILE... (the last one may be new).  Learning a round into the model gives
# the same file as a rebuild from the history, so the model that is exactly
# one round behind (a round was written, then the model) learns that round;
# any other model, absent or not, is rebuilt from the rounds (which is
# cheap: ar-learn reads about half a million records a second).  ar-learn
# refuses a PRIOR other than the one the model was warmed with.
define update-model
set -- $(1); lines=$$(cat "$$@" /dev/null | wc -l); \
have=$$(jq -r '.evals // -1' $(MODEL) 2>/dev/null || echo -1); \
if [ $$# -gt 0 ] && [ "$$have" = $$((lines - $$(wc -l <"$${@: -1}"))) ]; then \
	$(BIN)/ar-learn -s $(STUDY) -m $(MODEL) $(PRIOR:%=--prior %) "$${@: -1}" \
	    >$(OUT)/learn.jsonl; \
elif [ "$$have" != $$lines ]; then \
	cat "$$@" /dev/null | $(BIN)/ar-learn -s $(STUDY) -m $(MODEL) --rebuild \
	    $(PRIOR:%=--prior %) >$(OUT)/learn.jsonl; \
fi
endef

# The model of the whole history; touched when it was up to date already,
# so that make knows it is.
$(MODEL): $(OUT)/history.jsonl
	@$(quiet-on-int); \
	$(call update-model,$$(for f in $(ROUND_FILES); do [ ! -e $$f ] || echo $$f; done)); \
	touch $@

# measure NUM: what turns a round's proposals into measured records.
# Here, ar-compile piped into ar-bench; with HOSTS=, the same pipeline run
# by hosts.sh on those hosts (GNU parallel), in RDIR there, with the
# programs in RBIN there; with SLURM=, run by slurm/round as a job array
# in OUT/rounds/NNN.slurm.  AR_HISTORY reaches them all.
stages = $(1)/ar-compile -s $(STUDY) $(DEFS) -j $(2) --cache $(CACHE) \
	--variants $(VARIANTS) '|' $(1)/ar-bench -s $(STUDY) $(DEFS) \
	--cache $(CACHE) --variants $(VARIANTS) $(BENCH)
ifneq ($(HOSTS),)
measure = $(HERE)/hosts.sh -S '$(HOSTS)' --ssh '$(SSH)' --slice $(SLICE) \
	--retries $(or $(RETRIES),0) --wd '$(RDIR)' --env AR_HISTORY -- \
	$(call stages,$(RBIN),1)
else ifneq ($(SLURM),)
measure = $(HERE)/slurm/round -s $(STUDY) $(DEFS) -d $(OUT)/rounds/$(1).slurm \
	--slice $(subst auto,1,$(SLICE)) --retries $(or $(RETRIES),2) \
	--sbatch '$(SBATCH)' -- \
	$(call stages,$(RBIN),1)
else
measure = $(subst '|',|,$(call stages,$(BIN),$(JOBS)))
endif

# run-round NUM, PREVIOUS: the recipe of a round.  Its budget is what the
# rounds before it left; the model learns them before the proposals.  A
# round in which some record measured ok and none has a score is kept as
# NNN.failed.jsonl, not made, and stops the run (see the head of this
# file); the model goes too, since it holds the objective of the broken
# study, and the next run rebuilds it from the rounds.
define run-round
$(call quiet-on-int,$@.tmp $(@:.jsonl=.history.tmp)); \
set -- $(wordlist 1,$(2),$(ROUND_FILES)); \
read -r evals cost n <<<"$$($(call budget,$$*))"; \
if [ "$$n" = 0 ]; then \
	echo "round $(1) not made: the budget is spent ($$evals evaluations, $$cost s of cost_s)" >&2; \
	exit 0; \
fi; \
mkdir -p $(@D); \
$(call update-model,$$*); \
echo "round $(1) of $(NROUNDS): $$n proposals ($(STRATEGY))" >&2; \
h=(); for f; do h+=(-H "$$f"); done; \
cat "$$@" /dev/null >$(@:.jsonl=.history.tmp); \
export AR_HISTORY=$(abspath $(@:.jsonl=.history.tmp)); \
$(BIN)/ar-propose -s $(STUDY) $(DEFS) "$${h[@]}" -m $(MODEL) -n $$n \
    --round $$((10#$(1))) --seed $(SEED) --strategy $(STRATEGY) \
    --variants $(VARIANTS) | \
$(call measure,$(1)) | \
$(BIN)/ar-score -s $(STUDY) $(DEFS) --against $(@:.jsonl=.history.tmp) \
    >$@.tmp; \
read -r ok scored < <(jq -rn '[inputs] | [map(select(.status == "ok")), \
    map(select(.score | numbers))] | map(length) | @tsv' $@.tmp); \
if [ "$$scored" = 0 ] && [ "$$ok" -gt 0 ]; then \
	mv $@.tmp $(@:.jsonl=.failed.jsonl); rm -f $(MODEL); \
	echo "round $(1): $$ok record$$([ $$ok = 1 ] || echo s) measured ok but none has a score:" \
	    "the objective or a metric names a field they lack (see ar-score's warning above)" >&2; \
	exit 1; \
fi; \
rm -f $(@:.jsonl=.failed.jsonl) $(@:.jsonl=.history.tmp); \
mv $@.tmp $@
endef

# round NUM, PREVIOUS: a round depends on the one before it, which
# depends on the one before it, and so on.  A previous round that left no
# file had its budget spent, and one that is empty proposed nothing: then
# this round is not made either, and its recipe expands to nothing, which
# make runs without starting a shell ($(file) reads the file when the
# recipe is about to run, after the previous round).
define ROUND
$(OUT)/rounds/$(1).jsonl: $(if $(filter-out 000,$(2)),$(OUT)/rounds/$(2).jsonl)
	$$(if $(if $(filter-out 000,$(2)),$$(file <$(OUT)/rounds/$(2).jsonl),first),@$$(call run-round,$(1),$(2)))
endef
$(foreach p,$(join $(NUMS),$(PREVS:%=:%)),$(eval $(call ROUND,$(firstword $(subst :, ,$(p))),$(lastword $(subst :, ,$(p))))))

# confirm: the confirmation of the history's best (see the head of this
# file).  pipelines/confirm.sh picks the records to measure, each
# CONFIRM_REPEAT times, interleaved, and tallies what they measured
# (choosing on the odd passes, reporting the even ones); they
# are measured as a round is, in one job or task (SLICE), with the whole
# history as AR_HISTORY.  OUT/confirm.args holds the settings it was made
# with, written only when they change.
$(call number,CONFIRM_TOP,[1-9][0-9]*,a whole number above 0)
$(call number,CONFIRM_REPEAT,[2-9]|[1-9][0-9]+,a whole number above 1)
$(shell rm -f $(OUT)/confirm.jsonl.tmp $(OUT)/confirm.pick.tmp)
ifneq ($(filter confirm $(OUT)/confirm.jsonl,$(MAKECMDGOALS)),)
CONFIRM_ARGS := $(CONFIRM_TOP) $(CONFIRM_REPEAT) $(DEFS) $(BENCH)
$(shell mkdir -p $(OUT); [ "$$(cat $(OUT)/confirm.args 2>/dev/null)" = '$(CONFIRM_ARGS)' ] || \
	echo '$(CONFIRM_ARGS)' >$(OUT)/confirm.args)
endif
confirm: $(OUT)/confirm.jsonl
	@$(quiet-on-int); $(HERE)/confirm.sh say $<
$(OUT)/confirm.jsonl: private override SLICE = $(shell echo $$(( $(CONFIRM_TOP) * $(CONFIRM_REPEAT) )))
$(OUT)/confirm.jsonl: $(OUT)/history.jsonl $(OUT)/confirm.args
	@$(call quiet-on-int,$@.tmp $(OUT)/confirm.pick.tmp); \
	$(HERE)/confirm.sh pick -s $(STUDY) -k $(CONFIRM_TOP) -r $(CONFIRM_REPEAT) \
	    $< >$(OUT)/confirm.pick.tmp; \
	echo "confirm: $$(jq -sr 'map(.id) | unique | length' $(OUT)/confirm.pick.tmp)" \
	    "candidates, $(CONFIRM_REPEAT) times each, interleaved" >&2; \
	export AR_HISTORY=$(abspath $<); \
	<$(OUT)/confirm.pick.tmp $(call measure,confirm) | \
	$(BIN)/ar-score -s $(STUDY) $(DEFS) | \
	$(HERE)/confirm.sh tally -s $(STUDY) -k $(CONFIRM_TOP) -r $(CONFIRM_REPEAT) \
	    $< >$@.tmp; \
	rm -f $(OUT)/confirm.pick.tmp; \
	mv $@.tmp $@

.PHONY: summary report confirm
endif
endif
