# mplm-core: the algorithm library.
CORE_SRC := $(wildcard mplm-core/*.c)
CORE_LIB := $(B)/libmplm-core.a
LIBS += $(CORE_LIB)

$(CORE_LIB): $(CORE_SRC:%.c=$(B)/%.o) $(B)/gen/version.o
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

CORE_TESTS := $(patsubst mplm-core/tests/%.c,$(B)/tests/core/%,$(wildcard mplm-core/tests/test_*.c))
TESTS += $(CORE_TESTS)

$(B)/tests/core/%: $(B)/mplm-core/tests/%.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -lcmocka -ljansson -lm -lpthread -o $@
