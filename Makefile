# mplm-lab top-level Makefile.
#
# Each component has a fragment, COMPONENT/module.mk, that adds its
# libraries, programs and tests to the variables below. Objects go under
# $(B): build/ for normal builds, build/san/ for the sanitizer builds that
# `make test` uses.
#
#   make          build everything (optimised)
#   make test     build with ASan+UBSan and run every test
#   make bench    the benchmarks of every issue, figures printed side by side
#   make demo     the main job: reproduce the paper on the simulator
#   make validate the simulator against kvmlite's real migrations (needs
#                 /dev/kvm; minutes)
#   make figures  the teaching guide's slides into docs/figures/
#   make fuzz     libFuzzer targets (clang)
#   make install  programs, libmplm-core, header, mplm-core.pc, man pages
#                 (PREFIX=/usr/local, DESTDIR; see install.mk)

CC      ?= cc
SAN     ?= 0
ifeq ($(SAN),1)
B       := build/san
OPT     := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
B       := build
OPT     := -O2 -g
endif
# Page sets count bits all the time: use the CPU's popcount.
ARCH    := $(if $(filter x86_64,$(shell uname -m)),-mpopcnt)
CFLAGS  := $(ARCH) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPT) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT)
CPPFLAGS :=
# Each module.mk names the folders whose headers its objects may include
# (INCLUDES, a pattern-specific variable): a layering mistake, such as
# kvmlite including the simulator, does not compile.
INCLUDES :=

.DEFAULT_GOAL := all

# kvmlite needs linux/kvm.h and an x86_64 host. Without them everything
# else builds, and mplm-exp refuses backend = kvm. `make KVMLITE=0` skips
# it anyway.
ifndef KVMLITE
KVMLITE := $(shell [ "$$(uname -m)" = x86_64 ] && \
	$(CC) -E -include linux/kvm.h -x c /dev/null >/dev/null 2>&1 && echo 1 || echo 0)
endif
# The choice reaches the C code through a header rewritten only when it
# changes, so that switching KVMLITE recompiles what reads it.
CONFIG_H := $(B)/gen/mplm-config.h
CPPFLAGS += -I$(B)/gen

$(CONFIG_H): FORCE
	@mkdir -p $(dir $@)
	@echo '#define MPLM_HAVE_KVMLITE $(KVMLITE)' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# The commit goes into one generated file, rewritten only when it changes,
# so a new commit relinks the programs without recompiling everything.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
VERSION_C := $(B)/gen/version.c

$(VERSION_C): FORCE
	@mkdir -p $(dir $@)
	@echo 'const char *mplm_git_commit(void) { return "$(GIT_COMMIT)"; }' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(B)/gen/version.o: $(VERSION_C)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -c $< -o $@

# Filled in by the fragments.
LIBS :=
PROGRAMS :=
TESTS :=
BENCHES :=

all: programs libs

include mplm-core/module.mk
include workloads/module.mk
include simulator/module.mk
ifeq ($(KVMLITE),1)
include kvmlite/module.mk
else
$(info kvmlite skipped: it needs linux/kvm.h on x86_64; the simulator and mplm-exp (backend = sim) are built)
endif
include experiments/module.mk
include web/module.mk
include install.mk

programs: $(PROGRAMS)
libs: $(LIBS)

# `make V=1` shows the compiler command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(addprefix -I,$(INCLUDES)) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Tests always run in the sanitizer build.
ifeq ($(SAN),1)
test-bins: $(TESTS) $(PROGRAMS)
else
test-bins:
	+$(MAKE) SAN=1 test-bins
endif

test:
	./scripts/install-deps.sh
	+$(MAKE) SAN=1 test-bins
# mplm-core/tests/test_install.sh installs the optimised build.
	+$(MAKE) programs libs
	./scripts/run-tests.sh build/san

bench: programs $(BENCHES)
	./scripts/run-bench.sh $(B)

demo: programs
	./scripts/demo.sh

validate: programs
	./scripts/validate.sh

# The slides' pictures of docs/teaching.md, drawn again into docs/figures/.
figures: programs
	./scripts/figures.sh $(B) docs/figures

clean:
	rm -rf build

.PHONY: all programs libs test test-bins bench demo validate figures clean fuzz FORCE
