# experiments: mplm-exp, the experiment runner (SQLite results, gnuplot
# figures, Markdown/CSV tables) and its tests. See experiments/README.md.
# The kvm back end alone may include kvmlite.
$(B)/experiments/%.o: INCLUDES := mplm-core workloads simulator experiments
$(B)/experiments/backend_kvm.o: INCLUDES := mplm-core workloads simulator experiments kvmlite
EXP_SRC := experiments/main.c experiments/expfile.c \
	experiments/db.c experiments/runner.c experiments/agg.c \
	experiments/report.c experiments/plot.c experiments/plotlib.c \
	experiments/plot_tradeoff.c experiments/plot_generic.c \
	experiments/plot_baselines.c experiments/export.c \
	experiments/claims.c experiments/merge.c experiments/slurm.c \
	experiments/backend.c experiments/backend_sim.c \
	experiments/replay.c experiments/validate.c
# backend = kvm, when kvmlite is built.
ifeq ($(KVMLITE),1)
EXP_SRC += experiments/backend_kvm.c
endif
EXP_OBJ := $(EXP_SRC:%.c=$(B)/%.o)
# backend = kvm runs kvmlite's guests and its `incoming` child.
EXP_LDLIBS := $(KL_LIB) $(SIM_LIB) $(WL_LIB) $(CORE_LIB) -linih -lsqlite3 \
	-lgsl -lgslcblas -ljansson -lz -lm -lpthread
PROGRAMS += $(B)/mplm-exp

$(B)/mplm-exp: $(EXP_OBJ) $(KL_LIB) $(SIM_LIB) $(WL_LIB) $(CORE_LIB) | $(KL_BIN) $(GUEST_BINS)
	$(CC) $(LDFLAGS) $(EXP_OBJ) $(EXP_LDLIBS) -o $@

# Tests: cmocka suites; those that drive mplm-exp find it next to the
# build's tests directory ($(B)/mplm-exp), so they depend on it.
EXP_TESTS := $(patsubst experiments/tests/%.c,$(B)/tests/experiments/%,$(wildcard experiments/tests/test_*.c))
# mplm-config.h says whether backend = kvm is there.
$(EXP_OBJ) $(patsubst experiments/%.c,$(B)/experiments/%.o,$(wildcard experiments/tests/*.c)): $(CONFIG_H)

# Without kvmlite there is no real guest to test backend = kvm on.
ifneq ($(KVMLITE),1)
EXP_TESTS := $(filter-out %/test_kvm %/test_backend_kvm %/test_validate,$(EXP_TESTS))
endif
TESTS += $(EXP_TESTS)
EXP_TEST_OBJ := $(filter-out $(B)/experiments/main.o,$(EXP_OBJ))

$(B)/tests/experiments/%: $(B)/experiments/tests/%.o $(EXP_TEST_OBJ) $(KL_LIB) $(SIM_LIB) $(WL_LIB) $(CORE_LIB) | $(B)/mplm-exp
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(EXP_TEST_OBJ) $(EXP_LDLIBS) -lcmocka -o $@
