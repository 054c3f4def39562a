# simulator: the trace-replay back end (libmplm-sim.a) and mplm-sim.
SIM_LIB := $(B)/libmplm-sim.a
LIBS += $(SIM_LIB)
PROGRAMS += $(B)/mplm-sim

# Unit parsing is shared with mplm-exp.
SIM_CLI_OBJ := $(B)/simulator/mplm_sim.o $(B)/experiments/units.o

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

BENCHES += $(B)/bench/bench-sim
$(B)/bench/bench-sim: $(B)/simulator/bench/bench_sim.o $(SIM_LIB) $(WL_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(SIM_LDLIBS) -o $@
