/*
 * fuzz_control.c - libFuzzer target for the control socket's input: the
 * bytes a client sends are split into lines as the server does
 * (control_lines.c) and each line runs as a command (control.c) against
 * a real, idle VM. `migrate` is left out (it would connect to whatever
 * address the fuzzer writes); every other command runs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "control_lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kl_vm *vm;
static struct kl_control *ctl;
static char path[64];

static void stop(void)
{
	kl_control_stop(ctl);
	kl_vm_destroy(vm);
}

static void start(void)
{
	struct kl_config cfg;
	struct kl_mig_opts o;
	struct kl_err e;
	kl_config_default(&cfg);
	cfg.mem_bytes = 6ull << 20;
	cfg.quiet = true;
	kl_mig_opts_default(&o);
	snprintf(path, sizeof(path), "/tmp/kl-fuzz-control-%d", (int)getpid());
	if (kl_vm_create(&vm, &cfg, &e) < 0 ||
	    kl_control_start(vm, path, false, &o, &ctl, &e) < 0) {
		fprintf(stderr, "fuzz_control: %s\n", e.msg);
		abort();
	}
	atexit(stop);
}

static bool is_migrate(const char *line)
{
	json_t *req = json_loads(line, 0, NULL);
	const char *name = json_string_value(json_object_get(req, "execute"));
	bool m = name && !strcmp(name, "migrate");
	json_decref(req);
	return m;
}

static void on_line(void *ctx, const char *line, const char *why)
{
	(void)ctx;
	(void)why;
	if (!line || is_migrate(line))
		return;
	free(kl_control_execute(ctl, line));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kl_lines lines;
	if (!ctl)
		start();
	memset(&lines, 0, sizeof(lines));
	kl_lines_feed(&lines, (const char *)data, size, on_line, NULL);
	return 0;
}
