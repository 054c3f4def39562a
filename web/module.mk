# web: mplm-lab-web, the teaching lab in a browser (libmicrohttpd), its
# tests and its load test. See web/README.md.
$(B)/web/%.o: INCLUDES := mplm-core workloads simulator web
WEB_FILES := web/static/index.html web/static/app.css web/static/app.js
WEB_OBJ := $(patsubst %.c,$(B)/%.o,web/api.c web/server.c web/static.c) \
	$(B)/gen/web_files.o
WEB_LDLIBS := $(TEACH_LIB) $(SIM_LDLIBS) -lmicrohttpd
PROGRAMS += $(B)/mplm-lab-web

# The page's files are compiled in (embed.c), so the server serves them
# and nothing else, and needs no files at run time.
$(B)/gen/embed: web/embed.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

$(B)/gen/web_files.c: $(B)/gen/embed $(WEB_FILES)
	$(B)/gen/embed $@ $(WEB_FILES)

$(B)/gen/web_files.o: $(B)/gen/web_files.c
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) -Iweb $(CFLAGS) -c $< -o $@

$(B)/mplm-lab-web: $(B)/web/mplm_lab_web.o $(WEB_OBJ) $(TEACH_LIB) $(SIM_LIB) $(WL_LIB) $(CORE_LIB)
	$(CC) $(LDFLAGS) $(B)/web/mplm_lab_web.o $(WEB_OBJ) $(WEB_LDLIBS) -o $@

WEB_TESTS := $(patsubst web/tests/%.c,$(B)/tests/web/%,$(wildcard web/tests/test_*.c))
TESTS += $(WEB_TESTS)

$(B)/tests/web/%: $(B)/web/tests/%.o $(WEB_OBJ) $(TEACH_LIB) $(SIM_LIB) $(WL_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(WEB_OBJ) $(WEB_LDLIBS) -lcmocka -o $@

# The load client: the shell tests and make bench drive it (built with
# them; not a program that is installed).
TESTS += $(B)/web-load
BENCHES += $(B)/web-load
$(B)/web-load: $(B)/web/bench/web_load.o
	$(CC) $(LDFLAGS) $< -lpthread -o $@
