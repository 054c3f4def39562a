# mplm-core: the algorithm library.
# Its objects (and tests) see only its own headers.
$(B)/mplm-core/%.o: INCLUDES := mplm-core
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

# The public interface, installed by `make install` into
# $(INCLUDEDIR)/mplm-core/: add a header here to install it too.
MPLM_CORE_HEADERS := mplm-core/mplm.h

# The shared library, from position-independent objects of the same
# sources; its soname carries the major number of MPLM_VERSION (mplm.h).
CORE_VERSION := $(shell sed -n 's/^\#define MPLM_VERSION "\(.*\)"/\1/p' mplm-core/mplm.h)
CORE_SONAME := libmplm-core.so.$(firstword $(subst ., ,$(CORE_VERSION)))
CORE_SO := $(B)/libmplm-core.so.$(CORE_VERSION)
CORE_SO_LDLIBS := -ljansson -lm -lpthread
CORE_PIC_OBJ := $(CORE_SRC:%.c=$(B)/pic/%.o) $(B)/pic/gen/version.o
LIBS += $(CORE_SO)

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC -fPIC $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(B)/pic/gen/version.o: $(VERSION_C)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -fPIC -Wno-missing-prototypes -c $< -o $@

$(CORE_SO): $(CORE_PIC_OBJ) mplm-core/libmplm-core.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(CORE_SONAME) \
		-Wl,--version-script=mplm-core/libmplm-core.map \
		$(filter %.o,$^) $(CORE_SO_LDLIBS) -o $@
