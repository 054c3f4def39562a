/*
 * postcopy.c - QEMU 2.9's post-copy (the postcopy-ram capability), after
 * a pre-copy live stage.
 *
 * The switch is QEMU's postcopy_start (migration/migration.c): pause the
 * source, lift the rate limit, sync the dirty log a last time
 * (ram_postcopy_send_discard_bitmap), send the discard set (every page
 * still to send: the destination drops what it holds of them), send the
 * device state, start the destination. The downtime ends there. From then
 * on the source sends every page still to send, a page the destination
 * asked for first (ram_save_queue_pages / get_queued_page), the rest in
 * the pre-copy cursor's order, which jumps to just after each page asked
 * for (QEMU: "the guest is likely to want other pages near to the page it
 * just requested"). Nothing dirties the source's memory any more, so
 * there is no sync. A failure after the destination started loses the
 * guest: the source's copy is out of date and nothing can bring it back.
 */
#include "engine.h"

#include <stdio.h>

/* Everything up to the destination's start; -1 leaves the source able to
 * resume (m->postcopy is still false). */
static int postcopy_switch(struct mplm_migration *m)
{
	m->st.status = MPLM_STATUS_POSTCOPY_ACTIVE; /* QEMU: at the start */
	if (engine_pause(m) < 0)
		return -1;
	/* Pre-copy keeps every page still to send in D: never sent, or
	 * written since its last send (QEMU's unsentmap | bmap). */
	if (m->be.postcopy_discard(m->be.ctx, m->d.bits) < 0) {
		m->st.error = "sending the post-copy discard set failed";
		return -1;
	}
	int r = engine_hand_over(m);
	if (r == 0) {
		m->postcopy = true;
		m->t_dest = m->be.now(m->be.ctx);
		engine_step_soon(m); /* publish postcopy-active at once */
	}
	return r;
}

/* The page to send next: the oldest request for a page still to send,
 * else the cursor's next page. 0, or -1 (the return path failed). */
static int next_page(struct mplm_migration *m, uint64_t *page)
{
	uint64_t p;
	int r;
	while ((r = m->be.postcopy_next_request(m->be.ctx, &p)) > 0) {
		m->st.postcopy_requests++; /* QEMU counts every request */
		if (p >= m->pages) {
			m->st.error = "the destination asked for a page beyond guest memory";
			return -1;
		}
		if (pageset_has(&m->d, p)) { /* else already sent: skipped */
			*page = p;
			return 0;
		}
	}
	if (r < 0) {
		m->st.error = "the destination's page requests failed";
		return -1;
	}
	*page = pageset_peek(&m->d);
	return 0;
}

/* Send every page still to send, page by page: a request may come in
 * while any page is on the wire. */
static int postcopy_push(struct mplm_migration *m)
{
	while (m->d.count) {
		if (engine_tick(m) == LIVE_FAILED)
			return -1;
		uint64_t page;
		if (next_page(m, &page) < 0 || engine_send(m, &m->d, page) < 0)
			return -1;
		m->d.cursor = page + 1;
		m->st.postcopy_pages++;
	}
	double wait = 0;
	if (m->be.postcopy_done(m->be.ctx, &wait) < 0) {
		m->st.error = "the destination was lost before its last page arrived";
		return -1;
	}
	/* Requests for pages that were on their way when asked for: QEMU's
	 * return path counts them too (ram_save_queue_pages). */
	uint64_t late;
	while (m->be.postcopy_next_request(m->be.ctx, &late) > 0)
		m->st.postcopy_requests++;
	double now = m->be.now(m->be.ctx);
	m->st.postcopy_wait = wait;
	m->st.postcopy_time = now - m->t_dest;
	m->st.total_time = now - m->t_start;
	return 0;
}

int postcopy_run(struct mplm_migration *m)
{
	int r = postcopy_switch(m);
	if (r != 0)
		return r;
	if (postcopy_push(m) == 0)
		return 0;
	snprintf(m->error_buf, sizeof(m->error_buf),
		 "%s after the switch to post-copy: the guest is lost "
		 "(post-copy cannot fall back to the source)",
		 m->st.error ? m->st.error : "a failure");
	m->st.error = m->error_buf;
	return -1;
}
