# kvmlite: a minimal KVM VMM that runs guests and migrates them live with
# mplm-core. See kvmlite/README.md.
# kvmlite uses mplm-core and the workloads (guests, traces), not the
# simulator.
$(B)/kvmlite/%.o: INCLUDES := mplm-core workloads kvmlite
include workloads/guests/guests.mk

KL_SRC  := $(filter-out kvmlite/main.c,$(wildcard kvmlite/*.c))
KL_LIB  := $(B)/libkvmlite.a
KL_BIN  := $(B)/kvmlite/kvmlite
# The guests' write patterns, compiled for the host too (the tests and
# `--verify` replay them to know the checksum a guest must print).
KL_HOST_WL := $(B)/workloads/guests/wl.o
KL_LDLIBS := -ljansson $(WL_LDLIBS) -lpthread
# Trace recording uses workloads' trace_writer.
KL_WL_LIB := $(WL_LIB)

LIBS += $(KL_LIB)
PROGRAMS += $(KL_BIN)

$(KL_LIB): $(KL_SRC:%.c=$(B)/%.o) $(KL_HOST_WL)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(KL_BIN): $(B)/kvmlite/main.o $(KL_LIB) $(KL_WL_LIB) $(CORE_LIB) $(GUEST_BINS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter %.o %.a,$^) $(KL_LDLIBS) -o $@

KL_TESTS := $(patsubst kvmlite/tests/%.c,$(B)/tests/kvmlite/%,$(wildcard kvmlite/tests/test_*.c))
TESTS += $(KL_TESTS)

$(B)/tests/kvmlite/%: $(B)/kvmlite/tests/%.o $(B)/kvmlite/tests/kltest.o $(KL_LIB) $(KL_WL_LIB) $(CORE_LIB) $(KL_BIN)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter %.o %.a,$^) -lcmocka $(KL_LDLIBS) -o $@

# make bench: bench-kvmlite runs `kvmlite bench`'s figures.
BENCHES += $(B)/bench/bench-kvmlite
$(B)/bench/bench-kvmlite: $(B)/kvmlite/bench/bench_kvmlite.o $(KL_LIB) $(KL_WL_LIB) $(CORE_LIB) $(KL_BIN)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter %.o %.a,$^) $(KL_LDLIBS) -o $@

kvmlite: $(KL_BIN) $(KL_TESTS) $(B)/bench/bench-kvmlite
.PHONY: kvmlite
