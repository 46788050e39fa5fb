/* envs.c: one operation over many environments, in parallel processes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envs.h"
#include "venvcache/gha.h"
#include "venvcache/log.h"
#include "venvcache/stats.h"

int
envs_jobs(struct cmd_ctx *ctx, const char *opt)
{
	const char *v = opt != NULL ? cmd_get(ctx, opt) : NULL;
	long long n;
	char *end;

	if (v != NULL) {
		n = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < 0 || n > 256)
			return -1;
	} else {
		n = vc_config_int(&ctx->cfg, VC_S_JOBS);
	}
	return n == 0 ? vc_ncpus() : (int)n;
}

/* Whether the command has the option `name` (cmd_has aborts if not). */
static int
declares(const struct cmd_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < CMD_MAX_OPTS && ctx->entry->opts[i].name != NULL; i++)
		if (strcmp(ctx->entry->opts[i].name, name) == 0)
			return 1;
	return 0;
}

int
envs_command(struct cmd_ctx *ctx, env_op op, int print_paths)
{
	struct cmd_target *t;
	struct vc_error err;
	size_t n;
	int jobs = 1, rc;

	vc_error_clear(&err);
	if (declares(ctx, "jobs") && (jobs = envs_jobs(ctx, "jobs")) == -1)
		return cmd_usage_error(ctx, "-j takes a number from 0 to 256");
	if (cmd_select(ctx, &t, &n, &err) == -1) {
		cmd_error(ctx, &err);
		return cmd_status(&err);
	}
	rc = envs_run(ctx, t, n, jobs, op, print_paths);
	free(t);
	return rc;
}

int
envs_skip_missing(const struct cmd_ctx *ctx, const struct cmd_target *t,
    const struct vc_plan *plan, const struct vc_error *err)
{
	int tox = t->env->skip_missing;

	if (!plan->no_interp ||
	    !(tox ||
	        (err->code == VC_ENOPY &&
	            vc_config_bool(&ctx->cfg, VC_S_SKIP_MISSING))))
		return 0;
	vc_note("%s: skipped (%s): %s", t->env->name,
	    tox ? "skip_missing_interpreters" : "skip-missing-interpreters",
	    err->msg);
	return 1;
}

static void
run_one(struct cmd_ctx *ctx, struct cmd_target *t, env_op op,
    struct env_result *r)
{
	struct vc_plan plan;

	memset(r, 0, sizeof *r);
	vc_error_clear(&r->err);
	if (vc_plan_init(&plan, &ctx->cfg, t->env, t->python,
	        ctx->sel_refresh ? VC_PLAN_REFRESH : 0, &r->err) == -1) {
		if (plan.no_interp && t->env->skip_missing) {
			r->skipped = 1; /* a reported skip, as tox 4's */
			vc_plan_release(&plan);
			return;
		}
		r->status = cmd_status(&r->err);
		if (r->status == 0)
			r->status = 1;
		snprintf(r->path, sizeof r->path, "%s", plan.path);
		vc_plan_release(&plan);
		return;
	}
	snprintf(r->key, sizeof r->key, "%s", plan.key.key);
	snprintf(r->offline, sizeof r->offline, "%s", plan.offline.key);
	snprintf(r->path, sizeof r->path, "%s", plan.path);
	if (op(ctx, &plan, r) == -1) {
		r->status = cmd_status(&r->err);
		if (r->status == 0 || r->status == 2)
			r->status = 1;
	}
	vc_plan_release(&plan);
}

/*
 * An env whose interpreter is not there, with skip-missing-interpreters;
 * or one that tox 4's skip_missing_interpreters skips (r->skipped).
 */
static int
skipped(const struct cmd_ctx *ctx, const struct env_result *r)
{
	return r->skipped ||
	    (r->status != 0 && r->err.code == VC_ENOPY &&
	        vc_config_bool(&ctx->cfg, VC_S_SKIP_MISSING));
}

static void
report(struct cmd_ctx *ctx, const struct cmd_target *t,
    const struct env_result *r)
{
	char size[32], packed[48] = "";

	if (skipped(ctx, r)) {
		vc_note("%s: skipped (%s): %s", t->env->name,
		    r->skipped ? "skip_missing_interpreters"
		               : "skip-missing-interpreters",
		    r->err.msg);
		return;
	}
	if (r->status != 0 && r->err.code == VC_EMISS) {
		/* restore's miss is an answer (exit 3), not an error. */
		vc_note("%s", r->err.msg);
		return;
	}
	if (r->status != 0) {
		cmd_error(ctx, &r->err);
		return;
	}
	/* Which size: the venv's (unpacked) and its archive's (packed). */
	if (r->warm.packed > 0) {
		char b[32];

		snprintf(packed, sizeof packed, ", %s packed",
		    vc_format_size(r->warm.packed, b, sizeof b));
	}
	if (strcmp(ctx->entry->name, "save") == 0) {
		vc_note("%s: saved %s (%s unpacked%s) in %.2f s", t->env->name,
		    r->key, vc_format_size(r->warm.size, size, sizeof size),
		    packed, r->warm.seconds);
		return;
	}
	if (r->warm.how == VC_HOW_PRESENT) {
		vc_step("%s: present", t->env->name);
		return;
	}
	if (r->warm.how == VC_HOW_HIT) {
		char hit[32];

		vc_note("%s: %s in %.2f s (%s unpacked%s, %.1f s saved)",
		    t->env->name,
		    vc_color_word("hit", vc_log_color(), hit, sizeof hit),
		    r->warm.seconds,
		    vc_format_size(r->warm.size, size, sizeof size), packed,
		    r->warm.saved > 0 ? r->warm.saved : 0.0);
	} else
		vc_note("%s: %s in %.2f s (%s unpacked%s)", t->env->name,
		    vc_warm_how_name(r->warm.how), r->warm.seconds,
		    vc_format_size(r->warm.size, size, sizeof size), packed);
}

/* Reads exactly `n` bytes; 0 on success. */
static int
read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	ssize_t got;

	while (n > 0) {
		got = read(fd, p, n);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Under GitHub Actions: the step summary's table of what happened. */
static void
summary(struct cmd_ctx *ctx, const struct cmd_target *t,
    const struct env_result *res, size_t n)
{
	struct vc_gha_row *rows = xcalloc(n, sizeof *rows);
	struct vc_error err;
	char *md;
	size_t i;

	for (i = 0; i < n; i++) {
		rows[i].env = t[i].env->name;
		rows[i].seconds = res[i].warm.seconds;
		rows[i].size = res[i].warm.size;
		rows[i].seconds_saved =
		    res[i].warm.saved > 0 ? res[i].warm.saved : 0;
		if (skipped(ctx, &res[i])) /* before its status: may be 1 */
			rows[i].outcome = VC_GHA_SKIPPED;
		else if (res[i].status != 0)
			rows[i].outcome = VC_GHA_FAILED;
		else if (res[i].warm.how == VC_HOW_PRESENT)
			rows[i].outcome = VC_GHA_READY;
		else if (res[i].warm.how == VC_HOW_HIT)
			rows[i].outcome = VC_GHA_HIT;
		else if (res[i].warm.how == VC_HOW_PARTIAL)
			rows[i].outcome = VC_GHA_PARTIAL;
		else
			rows[i].outcome = VC_GHA_CREATED;
	}
	md = vc_gha_summary_table(rows, n);
	vc_error_clear(&err);
	if (vc_gha_summary(md, &err) == -1)
		vc_warn("step summary: %s", err.msg);
	free(md);
	free(rows);
}

/*
 * --github-output: hits, created, envs and the key to save the store
 * under (gha.h, vc_gha_warm_outputs). A skipped env (no interpreter) is
 * left out, as `key --github-output` leaves it out of the key: the
 * save-key is then under the key that was restored.
 */
static void
github_output(struct cmd_ctx *ctx, const struct cmd_target *t,
    const struct env_result *res, size_t n)
{
	const char **names = xcalloc(n, sizeof *names);
	const char **off = xcalloc(n, sizeof *off);
	const char **keys = xcalloc(n, sizeof *keys);
	struct vc_error err;
	size_t i, m = 0, hits = 0, created = 0;
	int complete = 1;

	for (i = 0; i < n; i++) {
		if (skipped(ctx, &res[i]))
			continue;
		names[m] = t[i].env->name;
		off[m] = res[i].offline;
		keys[m++] = res[i].key;
		if (res[i].status != 0)
			complete = 0;
		else if (res[i].warm.how == VC_HOW_HIT ||
		    res[i].warm.how == VC_HOW_PRESENT)
			hits++;
		else
			created++;
	}
	vc_error_clear(&err);
	if (vc_gha_warm_outputs(vc_config_str(&ctx->cfg, VC_S_KEY_PREFIX),
	        names, off, keys, m, hits, created, complete && m > 0,
	        &err) == -1)
		cmd_error(ctx, &err);
	free(names);
	free(off);
	free(keys);
}

/* A worker's record on its pipe: a phase ('P') or, last, its result ('R'). */
struct rec {
	uint32_t tag;
	uint32_t phase;
	uint64_t bytes;
};

struct worker {
	pid_t pid;
	int fd;    /* its records */
	int logfd; /* its stderr, with the live display; else -1 */
	size_t idx;
	struct vc_buf line; /* the part of its stderr's line not yet shown */
	enum vc_phase phase;
	uint64_t bytes;
	double start;
};

static int
write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t put;

	while (n > 0) {
		put = write(fd, p, n);
		if (put == -1 && errno == EINTR)
			continue;
		if (put <= 0)
			return -1;
		p += put;
		n -= (size_t)put;
	}
	return 0;
}

/* In a worker: each phase and byte count to the parent, as a record. */
static void
child_phase(enum vc_phase ph, uint64_t bytes, void *arg)
{
	struct rec r = {'P', (uint32_t)ph, bytes};

	(void)write_full((int)(intptr_t)arg, &r, sizeof r);
}

/*
 * The live display on a terminal: above, the lines the workers print (as
 * they come); below, a block of a line per running env (its phase, time
 * and bytes), redrawn in place a few times a second and whenever a phase
 * changes. Workers write to a pipe each, so that only the parent draws.
 */
struct live {
	int on;
	int drawn; /* lines of the block on the screen */
	double last;
	int width, height;
	size_t namew, n, done;
	const char *cmd;
	struct vc_buf out;
};

static void
live_init(struct live *L, const char *cmd, const struct cmd_target *t, size_t n)
{
	struct winsize ws;
	size_t i;

	memset(L, 0, sizeof *L);
	L->on = 1;
	L->cmd = cmd;
	L->n = n;
	L->width = 80;
	L->height = 24;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20 &&
	    ws.ws_row >= 4) {
		L->width = ws.ws_col;
		L->height = ws.ws_row;
	}
	for (i = 0; i < n; i++)
		if (strlen(t[i].env->name) > L->namew)
			L->namew = strlen(t[i].env->name);
	if (L->namew > 24)
		L->namew = 24;
	vc_buf_init(&L->out);
}

static void
live_flush(struct live *L)
{
	if (L->out.len > 0)
		(void)write_full(2, L->out.data, L->out.len);
	vc_buf_reset(&L->out);
}

/* Takes the block off the screen (into L->out). */
static void
live_erase(struct live *L)
{
	if (L->drawn > 0)
		vc_buf_addf(&L->out, "\r\033[%dA\033[J", L->drawn);
	L->drawn = 0;
}

/* One line of the block, cut to the terminal's width. */
static void
live_row(struct live *L, const char *text)
{
	vc_buf_addf(&L->out, "%.*s\n", L->width - 1, text);
	L->drawn++;
}

static void
live_draw(struct live *L, const struct worker *w, int jobs,
    const struct cmd_target *t)
{
	double now = vc_monotonic();
	char row[512], size[32];
	int i, j, k, shown = 0, running = 0, room = L->height - 2;
	long prev;

	live_erase(L);
	for (j = 0; j < jobs; j++)
		running += w[j].pid != 0;
	snprintf(row, sizeof row, "venvcache: %s: %zu of %zu done, %d running",
	    L->cmd, L->done, L->n, running);
	live_row(L, row);
	/* In the order of the selection: the lowest index not shown yet. */
	for (k = 0, prev = -1; k < running; k++) {
		for (j = -1, i = 0; i < jobs; i++)
			if (w[i].pid != 0 && (long)w[i].idx > prev &&
			    (j == -1 || w[i].idx < w[j].idx))
				j = i;
		if (j == -1)
			break;
		prev = (long)w[j].idx;
		if (shown == room - 1 && running > room) {
			snprintf(row, sizeof row, "  ... and %d more",
			    running - shown);
			live_row(L, row);
			break;
		}
		snprintf(row, sizeof row, "  %-*.*s  %-11s %6.1f s%s%s",
		    (int)L->namew, (int)L->namew, t[w[j].idx].env->name,
		    vc_phase_name(w[j].phase), now - w[j].start,
		    w[j].bytes > 0 ? "  " : "",
		    w[j].bytes > 0
		        ? vc_format_size(w[j].bytes, size, sizeof size)
		        : "");
		live_row(L, row);
		shown++;
	}
	L->last = now;
	live_flush(L);
}

/* Shows a worker's complete stderr lines above the block. */
static void
live_take(struct live *L, struct worker *w, int all)
{
	char *nl;

	while (w->line.len > 0) {
		nl = memchr(w->line.data, '\n', w->line.len);
		if (nl == NULL && !all)
			break;
		live_erase(L);
		if (nl == NULL) {
			vc_buf_add(&L->out, w->line.data, w->line.len);
			vc_buf_addc(&L->out, '\n');
			vc_buf_reset(&w->line);
			break;
		}
		vc_buf_add(&L->out, w->line.data,
		    (size_t)(nl - w->line.data) + 1);
		w->line.len -= (size_t)(nl - w->line.data) + 1;
		memmove(w->line.data, nl + 1, w->line.len);
	}
}

/* Reads what a worker's stderr has (all of it when `eof` may come). */
static void
live_read(struct live *L, struct worker *w, int until_eof)
{
	char buf[4096];
	ssize_t got;

	while (w->logfd != -1) {
		got = read(w->logfd, buf, sizeof buf);
		if (got == -1 && errno == EINTR)
			continue;
		if (got > 0) {
			vc_buf_add(&w->line, buf, (size_t)got);
			if (!until_eof)
				break;
			continue;
		}
		if (got == 0 || errno != EAGAIN) {
			close(w->logfd);
			w->logfd = -1;
		}
		break;
	}
	live_take(L, w, w->logfd == -1);
}

static const char *
result_word(const struct cmd_ctx *ctx, const struct env_result *r)
{
	if (skipped(ctx, r))
		return "skipped";
	if (r->status == 3)
		return "miss";
	if (r->status != 0)
		return "failed";
	if (strcmp(ctx->entry->name, "save") == 0)
		return "saved";
	return vc_warm_how_name(r->warm.how);
}

/* On a terminal, after the live lines: a table of what each env did. */
static void
live_table(struct live *L, const struct cmd_ctx *ctx,
    const struct cmd_target *t, const struct env_result *res,
    const double *secs, size_t n)
{
	int color = vc_log_color();
	char word[64], size[32];
	size_t i, w = L->namew > 3 ? L->namew : 3;

	vc_buf_addf(&L->out, "%-*s  %-8s %9s  %s\n", (int)w, "env", "result",
	    "time", "unpacked");
	for (i = 0; i < n; i++) {
		const char *what = result_word(ctx, &res[i]);
		double sec = res[i].status == 0 && res[i].warm.seconds > 0
		    ? res[i].warm.seconds
		    : secs[i];

		vc_buf_addf(&L->out, "%-*s  %s%*s %7.2f s  %s\n", (int)w,
		    t[i].env->name,
		    vc_color_word(what, color, word, sizeof word),
		    (int)(8 - strlen(what)), "", sec,
		    res[i].warm.size > 0
		        ? vc_format_size(res[i].warm.size, size, sizeof size)
		        : "-");
	}
	live_flush(L);
}

int
envs_run(struct cmd_ctx *ctx, struct cmd_target *t, size_t n, int jobs,
    env_op op, int print_paths)
{
	struct env_result *res = xcalloc(n, sizeof *res);
	double *secs = xcalloc(n, sizeof *secs);
	struct worker *w = NULL;
	struct vc_stats total;
	struct vc_error err;
	struct live live;
	size_t next = 0, done = 0, i, j;
	int running = 0, status = 0, misses = 0, failures = 0, skips = 0;
	struct vc_buf failed, skipped_names;
	int gha = vc_gha_active();

	memset(&live, 0, sizeof live);
	vc_stats_init(&total);
	if (gha) {
		char *title = xasprintf("venvcache %s: %zu environment%s",
		    ctx->entry->name, n, n == 1 ? "" : "s");

		fflush(stderr);
		vc_gha_group(stderr, title);
		free(title);
	}
	/* Several envs on a terminal: live lines, from worker processes
	 * even one at a time. */
	if (n > 1 && vc_log_live())
		live_init(&live, ctx->entry->name, t, n);
	else if (jobs <= 1 || n == 1) {
		for (i = 0; i < n; i++) {
			run_one(ctx, &t[i], op, &res[i]);
			report(ctx, &t[i], &res[i]);
		}
		goto collected;
	}
	if (jobs < 1)
		jobs = 1;
	if (jobs > 256)
		jobs = 256;
	w = xcalloc((size_t)jobs, sizeof *w);
	for (j = 0; j < (size_t)jobs; j++) {
		w[j].logfd = -1;
		vc_buf_init(&w[j].line);
	}
	/* Parallel workers share the terminal: no progress lines. */
	vc_log_set_progress(0);
	fflush(stdout);
	fflush(stderr);
	while (done < n) {
		struct pollfd pfd[2 * 256 + 2];
		nfds_t np = 0;
		int changed = 0;

		while (running < jobs && next < n) {
			int fds[2], logs[2] = {-1, -1};
			pid_t pid;

			fds[0] = fds[1] = -1;
			pid = -1;
			if (pipe2(fds, O_CLOEXEC) == -1 ||
			    (live.on && pipe2(logs, O_CLOEXEC) == -1))
				vc_error_sys(&err, "cannot create a pipe");
			else if ((pid = fork()) == -1)
				vc_error_sys(&err, "cannot start a process");
			if (pid == -1) {
				for (i = 0; i < 2; i++) {
					if (fds[i] != -1)
						close(fds[i]);
					if (logs[i] != -1)
						close(logs[i]);
				}
				vc_error_prefix(&err, "env %s",
				    t[next].env->name);
				res[next].err = err;
				res[next].status = 1;
				if (live.on) {
					live_erase(&live);
					live_flush(&live);
				}
				cmd_error(ctx, &res[next].err);
				next++;
				done++;
				live.done = done;
				continue;
			}
			if (pid == 0) {
				struct env_result r;
				struct rec head = {'R', 0, 0};

				close(fds[0]);
				if (live.on) {
					close(logs[0]);
					dup2(logs[1], 2);
					close(logs[1]);
					vc_log_set_phase_hook(child_phase,
					    (void *)(intptr_t)fds[1]);
				}
				run_one(ctx, &t[next], op, &r);
				report(ctx, &t[next], &r);
				if (write_full(fds[1], &head, sizeof head) ==
				        -1 ||
				    write_full(fds[1], &r, sizeof r) == -1)
					_exit(1);
				_exit(0);
			}
			close(fds[1]);
			if (logs[1] != -1)
				close(logs[1]);
			if (logs[0] != -1)
				(void)fcntl(logs[0], F_SETFL, O_NONBLOCK);
			for (j = 0; j < (size_t)jobs && w[j].pid != 0; j++)
				;
			w[j].pid = pid;
			w[j].fd = fds[0];
			w[j].logfd = logs[0];
			w[j].idx = next++;
			w[j].phase = VC_PHASE_STARTING;
			w[j].bytes = 0;
			w[j].start = vc_monotonic();
			running++;
			changed = 1;
		}
		if (live.on && changed)
			live_draw(&live, w, jobs, t);
		for (j = 0; j < (size_t)jobs; j++) {
			if (w[j].pid == 0)
				continue;
			pfd[np].fd = w[j].fd;
			pfd[np++].events = POLLIN;
			if (w[j].logfd != -1) {
				pfd[np].fd = w[j].logfd;
				pfd[np++].events = POLLIN;
			}
		}
		if (np == 0)
			break;
		if (poll(pfd, np, live.on ? 200 : -1) == -1 && errno != EINTR) {
			/* Cannot wait on them all: read each in turn (the
			 * reads block), never leave an env unreported. */
			for (i = 0; i < np; i++)
				pfd[i].revents = POLLIN;
		}
		for (j = 0; j < (size_t)jobs; j++) {
			struct rec head;
			int wstatus, died;

			if (w[j].pid == 0)
				continue;
			if (live.on)
				live_read(&live, &w[j], 0);
			for (i = 0; i < np && pfd[i].fd != w[j].fd; i++)
				;
			if (i == np || pfd[i].revents == 0)
				continue;
			i = w[j].idx;
			died = read_full(w[j].fd, &head, sizeof head) == -1;
			if (!died && head.tag == 'P') {
				changed |= w[j].phase != head.phase;
				w[j].phase = (enum vc_phase)head.phase;
				w[j].bytes = head.bytes;
				continue;
			}
			if (!died)
				died = head.tag != 'R' ||
				    read_full(w[j].fd, &res[i],
				        sizeof res[i]) == -1;
			secs[i] = vc_monotonic() - w[j].start;
			close(w[j].fd);
			while (waitpid(w[j].pid, &wstatus, 0) == -1 &&
			    errno == EINTR)
				;
			w[j].pid = 0;
			running--;
			done++;
			live.done = done;
			changed = 1;
			if (live.on)
				live_read(&live, &w[j], 1);
			/* A process the worker started may still hold the
			 * pipe: what it wrote so far is shown, the rest not
			 * waited for, nothing left for the slot's next one. */
			if (w[j].logfd != -1) {
				close(w[j].logfd);
				w[j].logfd = -1;
			}
			if (live.on)
				live_take(&live, &w[j], 1);
			vc_buf_reset(&w[j].line);
			if (died) {
				memset(&res[i], 0, sizeof res[i]);
				vc_error_set(&res[i].err, VC_EFAIL,
				    "env %s: worker died", t[i].env->name);
				res[i].status = 1;
				if (live.on) {
					live_erase(&live);
					live_flush(&live);
				}
				cmd_error(ctx, &res[i].err);
			}
		}
		if (live.on && running > 0 &&
		    (changed || live.out.len > 0 ||
		        vc_monotonic() - live.last >= 0.2))
			live_draw(&live, w, jobs, t);
	}
	if (live.on) {
		live_erase(&live);
		live_table(&live, ctx, t, res, secs, n);
		vc_buf_release(&live.out);
	}
	for (j = 0; j < (size_t)jobs; j++)
		vc_buf_release(&w[j].line);
collected:
	vc_buf_init(&failed);
	vc_buf_init(&skipped_names);
	for (i = 0; i < n; i++) {
		for (j = 0; j < VC_C__COUNT; j++)
			total.c[j] += res[i].warm.delta.c[j];
		if (skipped(ctx, &res[i])) {
			skips++;
			vc_buf_addf(&skipped_names, "%s%s",
			    skipped_names.len > 0 ? ", " : "", t[i].env->name);
			continue;
		}
		if (res[i].status != 0)
			vc_buf_addf(&failed, "%s%s", failed.len > 0 ? ", " : "",
			    t[i].env->name);
		if (res[i].status == 3)
			misses++;
		else if (res[i].status != 0)
			failures++;
		if (print_paths && res[i].status == 0 && !res[i].skipped)
			printf("%s\n", res[i].path);
	}
	fflush(stdout);
	if (gha) {
		vc_gha_endgroup(stderr);
		summary(ctx, t, res, n);
	}
	if (declares(ctx, "github-output") && cmd_has(ctx, "github-output"))
		github_output(ctx, t, res, n);
	vc_error_clear(&err);
	if (vc_stats_add(vc_config_str(&ctx->cfg, VC_S_CACHE_DIR), &total,
	        &err) == -1)
		vc_warn("stats: %s", err.msg);
	if (failures > 0)
		status = 1;
	else if (misses > 0)
		status = 3;
	/* At the end, by name: what was skipped, what failed. */
	if (skips > 0)
		vc_note("%d of %zu environments skipped (no interpreter): %s",
		    skips, n, skipped_names.data);
	if (n > 1 && (failures > 0 || misses > 0)) {
		char word[32];

		vc_error("%d of %zu environments %s%s: %s", failures + misses,
		    n,
		    vc_color_word("failed", vc_log_color(), word, sizeof word),
		    misses > 0 && failures == 0 ? " (no entry)" : "",
		    failed.data);
	}
	vc_buf_release(&failed);
	vc_buf_release(&skipped_names);
	free(res);
	free(secs);
	free(w);
	return status;
}
