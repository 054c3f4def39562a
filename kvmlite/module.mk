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
KL_LDLIBS := -ljansson -lgsl -lgslcblas $(WL_LDLIBS) -lpthread
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

# libFuzzer targets (`make fuzz`, clang): the destination's stream parser
# (receive.c) and the control socket's line reader and commands. Each
# `make fuzz-stream-run` / `fuzz-control-run` runs FUZZ_TIME seconds.
# Compiled from source with clang's sanitizers; they need /dev/kvm.
KL_FUZZ_CFLAGS := $(CPPFLAGS) $(addprefix -I,mplm-core workloads kvmlite) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-gnu-variable-sized-type-not-at-end -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
KL_FUZZ_VM := kvmlite/state.c kvmlite/stream.c kvmlite/crc32c.c kvmlite/net.c \
	kvmlite/vm.c kvmlite/vcpu.c kvmlite/throttle.c kvmlite/devices.c kvmlite/dirtylog.c \
	kvmlite/util.c workloads/guests/wl.c mplm-core/bitmap.c
KL_FUZZ_STREAM := $(B)/fuzz/fuzz_stream
KL_FUZZ_STREAM_SRC := kvmlite/fuzz/fuzz_stream.c kvmlite/receive.c kvmlite/postcopy_dst.c \
	kvmlite/uffd.c $(KL_FUZZ_VM)

fuzz: $(KL_FUZZ_STREAM)

$(KL_FUZZ_STREAM): $(KL_FUZZ_STREAM_SRC) $(wildcard kvmlite/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(KL_FUZZ_CFLAGS) $(KL_FUZZ_STREAM_SRC) -lpthread -o $@

fuzz-stream-run: $(KL_FUZZ_STREAM)
	@mkdir -p $(B)/fuzz/corpus-stream $(B)/fuzz/seeds-stream
	KL_FUZZ_SEEDS=$(B)/fuzz/seeds-stream $(KL_FUZZ_STREAM) -runs=0 $(B)/fuzz/seeds-stream
	$(KL_FUZZ_STREAM) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		-max_len=131072 -dict=kvmlite/fuzz/stream.dict -artifact_prefix=$(B)/fuzz/ \
		$(B)/fuzz/corpus-stream $(B)/fuzz/seeds-stream

.PHONY: fuzz-stream-run

KL_FUZZ_CONTROL := $(B)/fuzz/fuzz_control
KL_FUZZ_CONTROL_SRC := kvmlite/fuzz/fuzz_control.c kvmlite/control.c \
	kvmlite/control_lines.c kvmlite/migrate_src.c kvmlite/postcopy_src.c $(KL_FUZZ_VM) \
	$(filter-out mplm-core/bitmap.c,$(wildcard mplm-core/*.c))

fuzz: $(KL_FUZZ_CONTROL)

$(KL_FUZZ_CONTROL): $(KL_FUZZ_CONTROL_SRC) $(wildcard kvmlite/*.h mplm-core/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(KL_FUZZ_CFLAGS) $(KL_FUZZ_CONTROL_SRC) -ljansson -lm -lpthread -o $@

fuzz-control-run: $(KL_FUZZ_CONTROL)
	@mkdir -p $(B)/fuzz/corpus-control
	$(KL_FUZZ_CONTROL) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		-max_len=16384 -dict=kvmlite/fuzz/control.dict -artifact_prefix=$(B)/fuzz/ \
		$(B)/fuzz/corpus-control kvmlite/fuzz/corpus-control

.PHONY: fuzz-control-run
