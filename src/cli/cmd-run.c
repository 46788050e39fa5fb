/* cmd-run.c: venvcache run [SELECT] -- CMD [ARGS]: warm, then exec CMD. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "envs.h"
#include "venvcache/log.h"
#include "venvcache/plan.h"
#include "venvcache/stats.h"
#include "venvcache/venv.h"

/* What `source bin/activate` does, minus the prompt. */
static void
activate(const char *venv, const char *old_path)
{
	char *bin = vc_path_join(venv, "bin");
	char *path = xasprintf("%s%s%s", bin, old_path != NULL ? ":" : "",
	    old_path != NULL ? old_path : "");

	setenv("VIRTUAL_ENV", venv, 1);
	setenv("PATH", path, 1);
	unsetenv("PYTHONHOME");
	free(path);
	free(bin);
}

/* Warms the target; 0, 1 when it is skipped (its interpreter is not
 * there and skip_missing_interpreters says so), or -1 with `err` set. */
static int
warm_one(struct cmd_ctx *ctx, const struct cmd_target *t, struct vc_plan *plan,
    struct vc_error *err)
{
	struct vc_warm_result res;
	struct vc_error e2;

	if (vc_plan_init(plan, &ctx->cfg, t->env, t->python,
	        ctx->sel_refresh ? VC_PLAN_REFRESH : 0, err) == -1) {
		int skip = envs_skip_missing(ctx, t, plan, err);

		vc_plan_release(plan);
		return skip ? 1 : -1;
	}
	if (vc_warm(&ctx->cfg, plan, VC_WARM, &res, err) == -1) {
		vc_plan_release(plan);
		return -1;
	}
	if (res.how != VC_HOW_PRESENT)
		vc_note("%s: %s in %.2f s", t->env->name,
		    vc_warm_how_name(res.how), res.seconds);
	vc_error_clear(&e2);
	if (vc_stats_add(vc_config_str(&ctx->cfg, VC_S_CACHE_DIR), &res.delta,
	        &e2) == -1)
		vc_warn("stats: %s", e2.msg);
	return 0;
}

/*
 * Several envs: CMD in each, one after the other, each exit status
 * reported; 0 when every one succeeded, else the first failure's status
 * (1 for an env that could not be warmed, 128+N for a signal).
 */
static int
run_each(struct cmd_ctx *ctx, const struct cmd_target *t, size_t n)
{
	char *old = getenv("PATH") != NULL ? xstrdup(getenv("PATH")) : NULL;
	struct vc_strv lines;
	size_t i, failed = 0, skipped = 0;
	int rc = 0;

	vc_strv_init(&lines);
	for (i = 0; i < n; i++) {
		struct vc_plan plan;
		struct vc_error err;
		int status, st = 0, w;
		pid_t pid;

		vc_error_clear(&err);
		if ((w = warm_one(ctx, &t[i], &plan, &err)) == 1) {
			vc_strv_pushf(&lines, "%s: skipped (no interpreter)",
			    t[i].env->name);
			skipped++;
			continue;
		}
		if (w == -1) {
			cmd_error(ctx, &err);
			vc_strv_pushf(&lines,
			    "%s: not run (the env could not "
			    "be made ready)",
			    t[i].env->name);
			failed++;
			if (rc == 0)
				rc = 1;
			continue;
		}
		vc_note("%s: running %s", t[i].env->name, ctx->argv[0]);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid == 0) {
			activate(plan.path, old);
			execvp(ctx->argv[0], ctx->argv);
			fprintf(stderr,
			    "venvcache: run: %s: cannot run '%s': %s\n",
			    t[i].env->name, ctx->argv[0], strerror(errno));
			_exit(errno == ENOENT ? 127 : 126);
		}
		if (pid == -1) {
			vc_error("cannot fork: %s", strerror(errno));
			st = 1;
		} else {
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				;
			st = WIFEXITED(status)    ? WEXITSTATUS(status)
			    : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
			                          : 1;
		}
		vc_plan_release(&plan);
		if (st != 0) {
			failed++;
			if (rc == 0)
				rc = st;
		}
		vc_strv_pushf(&lines, "%s: exit status %d", t[i].env->name, st);
	}
	/* The summary: each env's status, then the count. */
	for (i = 0; i < lines.n; i++)
		vc_note("%s", lines.v[i]);
	if (failed > 0) {
		char word[32];

		vc_error("%zu of %zu environments %s", failed, n,
		    vc_color_word("failed", vc_log_color(), word, sizeof word));
	} else if (skipped == n) {
		/* as tox: nothing ran is no success */
		vc_error("%zu environments: every one skipped (no interpreter)",
		    n);
		rc = 1;
	} else if (skipped > 0)
		vc_note("%zu environments: every run succeeded, %zu skipped "
		        "(no interpreter)",
		    n, skipped);
	else
		vc_note("%zu environments: every run succeeded", n);
	vc_strv_release(&lines);
	free(old);
	return rc;
}

static int
cmd_run_exec(struct cmd_ctx *ctx)
{
	struct cmd_target *t = NULL;
	struct vc_plan plan;
	struct vc_error err;
	size_t n;
	int rc = 1, planned = 0;

	vc_error_clear(&err);
	if (cmd_select(ctx, &t, &n, &err) == -1)
		goto fail;
	if (n > 1) {
		rc = run_each(ctx, t, n);
		goto out;
	}
	switch (warm_one(ctx, &t[0], &plan, &err)) {
	case -1:
		goto fail;
	case 1: /* as tox: a run of one skipped env fails */
		vc_error("%s: not run: its interpreter is not there",
		    t[0].env->name);
		goto out;
	}
	planned = 1;
	activate(plan.path, getenv("PATH"));
	fflush(stdout);
	execvp(ctx->argv[0], ctx->argv);
	rc = errno == ENOENT ? 127 : 126;
	vc_error("cannot run '%s': %s", ctx->argv[0], strerror(errno));
	goto out;
fail:
	cmd_error(ctx, &err);
	rc = cmd_status(&err);
out:
	if (planned)
		vc_plan_release(&plan);
	free(t);
	return rc;
}

const struct cmd_entry cmd_run_entry = {
    .name = "run",
    .args = "-- CMD [ARGS]",
    .summary = "warm each env, then run CMD inside it; exit status is CMD's",
    .description = "CMD runs with VIRTUAL_ENV set and the venv's bin first "
                   "on PATH, as after activating it. With one env, venvcache "
                   "becomes CMD (its exit status is CMD's). With several (-e "
                   "a -e b, -a), CMD runs in each in turn, whatever the "
                   "others' outcome; each env's exit status is reported at "
                   "the end, and the exit status is 0 when every run "
                   "succeeded, else the first failure's (1 for an env that "
                   "could not be made ready). An env whose interpreter is "
                   "not there is skipped with skip-missing-interpreters "
                   "(or tox 4's skip_missing_interpreters), as tox skips "
                   "it: reported, not run, not a failure, unless every env "
                   "was skipped (exit 1).",
    .flags = CMD_SELECT | CMD_MIRROR | CMD_DASHDASH,
    .exec = cmd_run_exec,
};
