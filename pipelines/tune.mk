# tune.mk -- the closed loop, one round per file target.
#
#   make -f pipelines/tune.mk STUDY=kernels/matmul/cpu.json ROUNDS=20 BATCH=8 OUT=runs/matmul
#
# Round N is OUT/rounds/NNN.jsonl: propose BATCH configurations that no
# earlier round measured, compile, bench and score them, written to a
# temporary file and renamed when the round is whole.  So a killed run
# resumes at the round it lost, a finished run does nothing, and a cron job
# can run it under flock(1):
#
#   flock runs/matmul.lock make -f pipelines/tune.mk STUDY=... OUT=runs/matmul
#
# OUT/history.jsonl is the rounds concatenated, OUT/model.json what
# ar-learn made of them, and `summary` (the default goal) names the best
# configuration and the line of its record.  Variables:
#   STUDY     the study spec (required)
#   ROUNDS    number of rounds (10)          BATCH   proposals a round (8)
#   OUT       output folder (runs/NAME)      SEED    --seed of ar-propose (0)
#   STRATEGY  --strategy of ar-propose (random)
#   JOBS      parallel compilations (2)      DEFS    e.g. DEFS='-D N=1024'
#   CACHE     the build cache (OUT/cache)    BIN     the programs (bin/)
#   BENCH     extra ar-bench options, e.g. BENCH='--repeat 3'

HERE := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

ifndef STUDY
$(error STUDY= is required: make -f pipelines/tune.mk STUDY=kernels/matmul/cpu.json)
endif
ROUNDS ?= 10
BATCH ?= 8
SEED ?= 0
STRATEGY ?= random
JOBS ?= 2
DEFS ?=
BENCH ?=
OUT ?= runs/$(basename $(notdir $(STUDY)))
CACHE ?= $(OUT)/cache
BIN ?= $(HERE)/../bin

SHELL = /bin/bash
.SHELLFLAGS = -o pipefail -ec
.DELETE_ON_ERROR:
.SUFFIXES:

NUMS := $(shell seq -f %03g 1 $(ROUNDS))
ROUND_FILES := $(NUMS:%=$(OUT)/rounds/%.jsonl)

summary: $(OUT)/model.json
	@$(HERE)/summary.sh $(OUT)

$(OUT)/history.jsonl: $(ROUND_FILES)
	cat $^ >$@.tmp
	mv $@.tmp $@

# The model is rebuilt from the whole history, so it is never stale and a
# lost model file is no lost study.
$(OUT)/model.json: $(OUT)/history.jsonl
	$(BIN)/ar-learn -s $(STUDY) -m $@ --rebuild $< >$(OUT)/learn.jsonl

# round NUM, PREVIOUS-ROUND-FILES
define ROUND
$(OUT)/rounds/$(1).jsonl: $(2)
	@mkdir -p $$(@D)
	@echo "round $(1) of $(ROUNDS): $(BATCH) proposals ($(STRATEGY))" >&2
	$(BIN)/ar-propose -s $(STUDY) $(DEFS) $(2:%=-H %) -n $(BATCH) \
	    --round $$$$((10#$(1))) --seed $(SEED) --strategy $(STRATEGY) | \
	$(BIN)/ar-compile -s $(STUDY) $(DEFS) -j $(JOBS) --cache $(CACHE) | \
	$(BIN)/ar-bench -s $(STUDY) $(DEFS) --cache $(CACHE) $(BENCH) | \
	$(BIN)/ar-score -s $(STUDY) $(DEFS) >$$@.tmp
	mv $$@.tmp $$@
endef
$(foreach n,$(NUMS),$(eval $(call ROUND,$(n),$(wordlist 1,$(shell expr $(n) - 1),$(ROUND_FILES)))))

.PHONY: summary
