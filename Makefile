# autoresearch -- see README.md.  POSIX-ish GNU Makefile: one list of tools,
# one pattern rule.  O= puts every build output under another folder, which
# is how `make check` builds its sanitized copy beside the normal one.

VERSION = 0.1.0
PREFIX ?= /usr/local
MANPREFIX ?= $(PREFIX)/share/man
DESTDIR ?=
O ?= .

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -Ilib -D_GNU_SOURCE -DAR_VERSION='"$(VERSION)"'
LDLIBS = -Wl,--as-needed -ljansson -lcsv -lcrypto -lffi -llapacke -lseccomp -lz -ldl -lm
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS)

# CUDA: its headers give the types and prototypes of NVRTC and the driver
# API; the libraries are loaded at run time (dlopen) and never linked.
# Without the headers everything still builds, and a cuda study fails at
# run time with "built without CUDA support".  Build with another
# CUDA_HOME in another O= folder: the objects do not record it.
CUDA_HOME ?= /usr/local/cuda
ifneq ($(wildcard $(CUDA_HOME)/include/nvrtc.h),)
CPPFLAGS += -I$(CUDA_HOME)/include -DAR_HAVE_CUDA=1
endif

# `make static`: the programs linked statically against the libraries a
# GPU node may lack, so that they need only glibc (and CUDA, loaded at run
# time).  Built apart in STATIC_O, never in bin/: make could not tell the
# two kinds of bin/ apart and would keep whichever was built last.
STATIC_O = build/static
# LAPACKE (the GP of `bo`) sits on LAPACK and a BLAS written partly in
# Fortran: their runtime (libgfortran, libquadmath, from gfortran) links
# in statically too, and only ar-propose pulls any of it in.
STATIC_LDLIBS = -Wl,-Bstatic -ljansson -lcsv -lcrypto -lffi -lseccomp -llapacke -llapack \
	-lblas -lgfortran -lquadmath -lz -Wl,-Bdynamic -ldl -lm -lpthread

TOOLS = ar-propose ar-compile ar-bench ar-score ar-learn ar-report
UNITS = $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(patsubst lib/%.c,$(O)/obj/%.o,$(LIBSRC))
LIBA = $(O)/obj/libar.a
BINS = $(addprefix $(O)/bin/,$(TOOLS))
UNITBINS = $(addprefix $(O)/obj/tests/,$(UNITS))
# The fuzz targets (tests/fuzz/fuzz_NAME.c), each also built as a program
# that runs it on files, for the regression inputs in `make test`.
FUZZ = jsonl csv expr spec xform
FUZZBINS = $(addprefix $(O)/obj/fuzz/fuzz_,$(FUZZ))
MAN1 = $(wildcard man/man1/*.1)
MAN5 = $(wildcard man/man5/*.5)
MAN7 = $(wildcard man/man7/*.7)

# Debian packages the project needs to build and test (`make deps`).
DEBS = build-essential clang libclang-rt-14-dev libomp-dev libjansson-dev libcsv-dev libssl-dev libffi-dev libseccomp-dev libopenblas-dev \
	liblapacke-dev zlib1g-dev gfortran bats bats-support bats-assert jq mandoc \
	valgrind parallel xz-utils zstd sumo sumo-tools python3-sklearn \
	gnuplot-nox tidy chromium python3-pil openssh-server openssh-client \
	slurm-wlm munge ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo \
	libclblast-dev

SANITIZE = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

all: $(BINS)

$(O)/obj/%.o: lib/%.c lib/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIBOBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

# The programs export what lib/exports.list names to the kernels they
# load (sandbox.c's shm_open).
$(O)/bin/%: tools/%.c $(LIBA) lib/*.h lib/exports.list
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) \
	    -Wl,--dynamic-list=lib/exports.list -o $@ $< $(LIBA) $(LDLIBS)

$(O)/obj/tests/%: tests/unit/%.c tests/unit/*.h $(LIBA) lib/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

$(O)/obj/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIBA) lib/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DFUZZ_STANDALONE $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(LIBA) $(LDLIBS)

units: $(UNITBINS) $(FUZZBINS)

test: all units
	@AR_BIN=$(abspath $(O)/bin) AR_UNITS="$(abspath $(UNITBINS))" \
	    AR_FUZZ=$(abspath $(O)/obj/fuzz) AR_SKIP="$(SKIP)" tests/run

# The same suites under AddressSanitizer and UBSan, built apart in
# build/check, then each fuzz target for FUZZ_SECONDS.  Left out there:
# the suites whose time goes to programs that are not ours, and so not
# sanitized (Chromium, SUMO, the examples' own trainers and searches,
# NVRTC, mandoc, ssh, GNU parallel and Slurm, make and jq in the runs
# killed at every point of crash.bats and in tune.mk's loops, cc building
# the kernels); the toolkit's paths they take are in the other suites
# too.  CI must end in 30 minutes on 2 cores.
CHECK_SKIP = report-browser traffic nas discovery codegen hosts slurm \
	crash man cuda-kernels cron kernels loop budget confirm
check:
	$(MAKE) O=build/check CFLAGS='$(SANITIZE)' LDFLAGS='$(SANITIZE)' \
	    SKIP='$(CHECK_SKIP)' test
	$(MAKE) fuzz

# The bats suites with every program under valgrind's memcheck (slow:
# over an hour for all of them on 2 cores; SUITES='tests/score.bats ...'
# for some).
valgrind: all
	tests/valgrind/run build/valgrind $(SUITES)

# libFuzzer (clang): the library built in FUZZ_O with coverage and the
# sanitizers, each target linked with the fuzzer, and tests/fuzz/run runs
# them from the seed corpus for FUZZ_SECONDS each.
FUZZ_O = build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = $(SANITIZE) -fsanitize=fuzzer-no-link
fuzz:
	$(MAKE) O=$(FUZZ_O) CC=clang CFLAGS='$(FUZZ_CFLAGS)' $(FUZZ_O)/obj/libar.a
	for t in $(FUZZ); do \
		clang $(CPPFLAGS) $(ALL_CFLAGS) $(SANITIZE) -fsanitize=fuzzer \
		    -o $(FUZZ_O)/fuzz_$$t tests/fuzz/fuzz_$$t.c \
		    $(FUZZ_O)/obj/libar.a $(LDLIBS) || exit 1; \
	done
	tests/fuzz/run $(FUZZ_O) $(FUZZ_SECONDS) $(FUZZ)

# CI's third leg: the clang build with warnings as errors, and the C
# unit tests under it (the bats suites ran under gcc and the sanitizers).
clang-check:
	$(MAKE) O=build/clang CC=clang all units
	@for u in build/clang/obj/tests/test_*; do \
		"$$u" >build/clang/unit.log 2>&1 || { cat build/clang/unit.log; exit 1; }; \
		tail -n 1 build/clang/unit.log; \
	done

demo: all
	pipelines/demo.sh

static:
	$(MAKE) O=$(STATIC_O) LDLIBS='$(STATIC_LDLIBS)' all

deps:
	@missing=; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	else echo "all dependencies are installed"; fi

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
	    $(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7
	cp -f $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp -f $(MAN1) $(DESTDIR)$(MANPREFIX)/man1/
	cp -f $(MAN5) $(DESTDIR)$(MANPREFIX)/man5/
	cp -f $(MAN7) $(DESTDIR)$(MANPREFIX)/man7/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(TOOLS))
	rm -f $(addprefix $(DESTDIR)$(MANPREFIX)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANPREFIX)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANPREFIX)/man7/,$(notdir $(MAN7)))

clean:
	rm -rf bin obj build

.PHONY: all units test check clang-check fuzz valgrind demo static deps install uninstall clean
