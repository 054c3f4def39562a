/*
 * simgrid_migrate.cpp - one live migration in SimGrid's fluid model, for
 * scripts/bench-vs-simgrid.sh (mplm-sim against SimGrid, side by side).
 *
 *   simgrid-migrate MEMORY_GIB LINK_BYTES_PER_S DIRTY_PAGES_PER_S MAX_TIME_S
 *
 * Two hosts joined by one link of the given rate (network model CM02, so
 * the link carries exactly that rate, as mplm-sim's does), a 1-core VM of
 * MEMORY_GIB with a working set of 90 % (SimGrid's default, and the
 * bench's workload), migrated with the live-migration plugin at the link
 * rate. SimGrid's VM dirties bytes in proportion to the flops it
 * computes: intensity x migration speed per second at full speed, so the
 * intensity is the dirty rate (pages x 4 KiB) over the link rate. Its
 * downtime limit is fixed at 30 ms.
 *
 * Prints one line: "completed TOTAL_S DOWNTIME_S", or "not-converged
 * MAX_TIME_S 0" when the migration is still live at MAX_TIME_S (the
 * plugin itself would only give up at 10^7 s, with an exception).
 */
#include <simgrid/plugins/live_migration.h>
#include <simgrid/s4u.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace sg4 = simgrid::s4u;

static double suspended_at = -1, resumed_at = -1;

static double arg(char **argv, int i)
{
	char *end;
	double v = std::strtod(argv[i], &end);
	if (*end || !(v > 0)) {
		std::fprintf(stderr, "simgrid-migrate: argument %d '%s' is not a positive number\n",
			     i, argv[i]);
		std::exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		std::fprintf(stderr, "usage: simgrid-migrate MEMORY_GIB LINK_BYTES_PER_S "
				     "DIRTY_PAGES_PER_S MAX_TIME_S\n");
		return 2;
	}
	double gib = arg(argv, 1), link_bps = arg(argv, 2), dirty = arg(argv, 3),
	       max_time = arg(argv, 4);
	int sg_argc = 1;
	sg4::Engine e(&sg_argc, argv);
	e.set_config("network/model:CM02");
	sg_vm_live_migration_plugin_init();

	auto *zone = sg4::create_full_zone("bench");
	sg4::Host *src = zone->create_host("src", 1e9);
	sg4::Host *dst = zone->create_host("dst", 1e9);
	sg4::Link *link = zone->create_link("link", link_bps)->set_latency(0)->seal();
	zone->add_route(src->get_netpoint(), dst->get_netpoint(), nullptr, nullptr,
			{ sg4::LinkInRoute(link) }, true);
	zone->seal();

	sg_vm_t vm = sg_vm_create_migratable(src, "vm", 1, (int)(gib * 1024), 1, 0);
	sg_vm_set_migration_speed(vm, link_bps);
	sg_vm_set_dirty_page_intensity(vm, dirty * 4096 / link_bps);
	sg_vm_set_working_set_memory(vm, (sg_size_t)(vm->get_ramsize() * 0.9));
	vm->start();

	sg4::VirtualMachine::on_suspend_cb([](sg4::VirtualMachine const &) {
		suspended_at = sg4::Engine::get_clock();
	});
	sg4::VirtualMachine::on_resume_cb([](sg4::VirtualMachine const &) {
		resumed_at = sg4::Engine::get_clock();
	});
	/* The guest: one core computing flat out, which is what dirties, in
	 * chunks of 1,000 s small enough that the flops done stay exact in
	 * a double. */
	sg4::ActorPtr guest = sg4::Actor::create("guest", vm, [] {
		for (;;)
			sg4::this_actor::execute(1e12);
	});
	sg4::Actor::create("deadline", dst, [max_time] {
		sg4::this_actor::sleep_for(max_time);
		std::printf("not-converged %.6f 0\n", max_time);
		std::fflush(stdout);
		_exit(0);
	})->daemonize();
	sg4::Actor::create("migrate", dst, [vm, dst, guest] {
		double t0 = sg4::Engine::get_clock();
		sg_vm_migrate(vm, dst);
		double t1 = sg4::Engine::get_clock();
		std::printf("completed %.6f %.6f\n", t1 - t0, resumed_at - suspended_at);
		guest->kill();
		vm->destroy();
	});
	e.run();
	return 0;
}
