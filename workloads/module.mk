# workloads: trace format 1 (reader, writer) and the synthetic workload
# generators, as a library; the mplm-workload CLI; their tests and fuzzer.
# See workloads/README.md.
WL_SRC := workloads/trace.c workloads/trace_reader.c workloads/trace_writer.c \
	$(wildcard workloads/gen.c)
WL_LIB := $(B)/libmplm-workloads.a
WL_LDLIBS := -lz -lgsl -lgslcblas -lm
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
