# workloads: trace format 1 (reader, writer) and the synthetic workload
# generators, as a library; the mplm-workload CLI; their tests and fuzzer.
# See workloads/README.md.
$(B)/workloads/%.o: INCLUDES := mplm-core workloads
WL_SRC := workloads/trace.c workloads/trace_reader.c workloads/trace_writer.c \
	workloads/gen.c
WL_LIB := $(B)/libmplm-workloads.a
WL_LDLIBS := -lz -lm
LIBS += $(WL_LIB)

$(WL_LIB): $(WL_SRC:%.c=$(B)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

WL_TESTS := $(patsubst workloads/tests/%.c,$(B)/tests/workloads/%,$(wildcard workloads/tests/test_*.c))
TESTS += $(WL_TESTS)

$(B)/tests/workloads/%: $(B)/workloads/tests/%.o $(WL_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -lcmocka $(WL_LDLIBS) -o $@

PROGRAMS += $(B)/mplm-workload

$(B)/mplm-workload: $(B)/workloads/mplm_workload.o $(WL_LIB) $(CORE_LIB)
	$(CC) $(LDFLAGS) $^ $(WL_LDLIBS) -o $@

# libFuzzer target for the trace reader: `make fuzz` builds it (clang),
# `make fuzz-trace-run` runs it FUZZ_TIME seconds from the seed corpus.
# Compiled from source on its own with clang's sanitizers, with a small
# page limit so that inputs cannot ask for huge bitmaps, and a small read
# buffer so that tokens are split across refills.
FUZZ_CC ?= clang
FUZZ_TIME ?= 180
WL_FUZZ := $(B)/fuzz/fuzz_trace
WL_FUZZ_SRC := workloads/fuzz/fuzz_trace.c workloads/trace.c \
	workloads/trace_reader.c workloads/trace_writer.c mplm-core/bitmap.c

fuzz: $(WL_FUZZ)

$(WL_FUZZ): $(WL_FUZZ_SRC) workloads/trace.h mplm-core/mplm.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Implm-core -Iworkloads -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		'-DTRACE_MAX_PAGES=(UINT64_C(1) << 20)' -DREAD_BUF_SIZE=61 \
		$(WL_FUZZ_SRC) -lz -o $@

fuzz-trace-run: $(WL_FUZZ)
	@mkdir -p $(B)/fuzz/corpus-trace
	$(WL_FUZZ) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		-dict=workloads/fuzz/trace.dict -artifact_prefix=$(B)/fuzz/ \
		$(B)/fuzz/corpus-trace workloads/fuzz/corpus

.PHONY: fuzz-trace-run

BENCHES += $(B)/bench/bench-workloads
$(B)/bench/bench-workloads: $(B)/workloads/bench/bench_workloads.o $(WL_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(WL_LDLIBS) -o $@
