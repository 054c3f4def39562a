# simulator: the trace-replay back end (libmplm-sim.a) and mplm-sim.
$(B)/simulator/%.o: INCLUDES := mplm-core workloads simulator
SIM_LIB := $(B)/libmplm-sim.a
LIBS += $(SIM_LIB)
PROGRAMS += $(B)/mplm-sim

# Teaching mode (recording, narration, memory maps, step mode): a library
# of its own, linked into mplm-sim and its tests.
TEACH_LIB := $(B)/libmplm-teach.a
LIBS += $(TEACH_LIB)
TEACH_OBJ := $(patsubst %.c,$(B)/%.o,simulator/teach.c simulator/explain.c \
	simulator/memmap.c simulator/step.c)

$(TEACH_LIB): $(TEACH_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

SIM_CLI_OBJ := $(B)/simulator/mplm_sim.o $(TEACH_LIB)

$(SIM_LIB): $(B)/simulator/sim.o
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

SIM_LDLIBS := $(SIM_LIB) $(WL_LIB) $(CORE_LIB) -lgsl -lgslcblas -ljansson -lz -lm -lpthread

$(B)/mplm-sim: $(SIM_CLI_OBJ) $(SIM_LIB) $(WL_LIB) $(CORE_LIB)
	$(CC) $(LDFLAGS) $(SIM_CLI_OBJ) $(SIM_LDLIBS) -o $@

SIM_TESTS := $(patsubst simulator/tests/%.c,$(B)/tests/simulator/%,$(wildcard simulator/tests/test_*.c))
TESTS += $(SIM_TESTS)

$(B)/tests/simulator/%: $(B)/simulator/tests/%.o $(SIM_LIB) $(WL_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(SIM_LDLIBS) -lcmocka -o $@

# The teaching-mode tests also need libmplm-teach.
$(B)/tests/simulator/test_teach: $(B)/simulator/tests/test_teach.o $(TEACH_LIB) $(SIM_LIB) $(WL_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(TEACH_LIB) $(SIM_LDLIBS) -lcmocka -o $@

BENCHES += $(B)/bench/bench-sim
$(B)/bench/bench-sim: $(B)/simulator/bench/bench_sim.o $(SIM_LIB) $(WL_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(SIM_LDLIBS) -o $@
