/* envs.c: one operation over many environments, in parallel processes. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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
	if (r->warm.how == VC_HOW_HIT)
		vc_note("%s: hit in %.2f s (%s unpacked%s, %.1f s saved)",
		    t->env->name, r->warm.seconds,
		    vc_format_size(r->warm.size, size, sizeof size), packed,
		    r->warm.saved > 0 ? r->warm.saved : 0.0);
	else
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

struct worker {
	pid_t pid;
	int fd;
	size_t idx;
};

int
envs_run(struct cmd_ctx *ctx, struct cmd_target *t, size_t n, int jobs,
    env_op op, int print_paths)
{
	struct env_result *res = xcalloc(n, sizeof *res);
	struct worker *w = xcalloc((size_t)jobs, sizeof *w);
	struct vc_stats total;
	struct vc_error err;
	size_t next = 0, done = 0, i, j;
	int running = 0, status = 0, misses = 0, failures = 0, skips = 0;
	struct vc_buf failed, skipped_names;
	int gha = vc_gha_active();

	vc_stats_init(&total);
	if (gha) {
		char *title = xasprintf("venvcache %s: %zu environment%s",
		    ctx->entry->name, n, n == 1 ? "" : "s");

		fflush(stderr);
		vc_gha_group(stderr, title);
		free(title);
	}
	if (jobs <= 1 || n == 1) {
		for (i = 0; i < n; i++) {
			run_one(ctx, &t[i], op, &res[i]);
			report(ctx, &t[i], &res[i]);
		}
		goto collected;
	}
	/* Parallel workers share the terminal: no progress lines. */
	vc_log_set_progress(0);
	fflush(stdout);
	fflush(stderr);
	while (done < n) {
		while (running < jobs && next < n) {
			int fds[2];
			pid_t pid;

			if (pipe(fds) == -1) {
				vc_error_sys(&err, "cannot create a pipe");
				res[next].err = err;
				res[next].status = 1;
				report(ctx, &t[next], &res[next]);
				next++;
				done++;
				continue;
			}
			pid = fork();
			if (pid == 0) {
				struct env_result r;

				close(fds[0]);
				run_one(ctx, &t[next], op, &r);
				report(ctx, &t[next], &r);
				if (write(fds[1], &r, sizeof r) != sizeof r)
					_exit(1);
				_exit(0);
			}
			close(fds[1]);
			for (j = 0; j < (size_t)jobs && w[j].pid != 0; j++)
				;
			w[j].pid = pid;
			w[j].fd = fds[0];
			w[j].idx = next++;
			running++;
		}
		{
			int wstatus;
			pid_t pid = wait(&wstatus);

			if (pid == -1)
				break;
			for (j = 0; j < (size_t)jobs && w[j].pid != pid; j++)
				;
			if (j == (size_t)jobs)
				continue;
			i = w[j].idx;
			if (read_full(w[j].fd, &res[i], sizeof res[i]) == -1) {
				vc_error_set(&res[i].err, VC_EFAIL,
				    "env %s: worker died", t[i].env->name);
				res[i].status = 1;
				cmd_error(ctx, &res[i].err);
			}
			close(w[j].fd);
			w[j].pid = 0;
			running--;
			done++;
		}
	}
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
	if (n > 1 && (failures > 0 || misses > 0))
		vc_error("%d of %zu environments failed%s: %s",
		    failures + misses, n,
		    misses > 0 && failures == 0 ? " (no entry)" : "",
		    failed.data);
	vc_buf_release(&failed);
	vc_buf_release(&skipped_names);
	free(res);
	free(w);
	return status;
}
