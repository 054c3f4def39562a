/*
 * bench_kvmlite.c - `make bench`'s entry for kvmlite: the figures of
 * `kvmlite bench` (bench.c) with the settings, run against the
 * kvmlite binary of the same build. Skips when /dev/kvm is not usable.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	char exe[4200];
	int fd = open("/dev/kvm", O_RDWR);
	if (fd < 0) {
		printf("kvmlite\n  SKIP: /dev/kvm not usable\n");
		return 0;
	}
	close(fd);
	snprintf(exe, sizeof(exe), "%s/../kvmlite/kvmlite", kl_exe_dir());
	return kl_bench_run(exe, argc > 1 ? argv[1] : "all", 1ull << 30);
}
