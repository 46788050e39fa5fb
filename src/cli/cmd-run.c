/* cmd-run.c: venvcache run [SELECT] -- CMD [ARGS]: warm, then exec CMD. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "venvcache/log.h"
#include "venvcache/plan.h"
#include "venvcache/stats.h"
#include "venvcache/venv.h"

static int
cmd_run_exec(struct cmd_ctx *ctx)
{
	struct vc_warm_result res;
	struct cmd_target *t = NULL;
	struct vc_plan plan;
	struct vc_error err;
	char *path = NULL, *bin;
	const char *old;
	size_t n;
	int rc = 1, planned = 0;

	vc_error_clear(&err);
	if (cmd_select(ctx, &t, &n, &err) == -1)
		goto fail;
	if (n != 1) {
		rc = cmd_usage_error(ctx,
		    "run takes one environment, %zu are selected", n);
		goto out;
	}
	planned = 1;
	if (vc_plan_init(&plan, &ctx->cfg, t[0].env, t[0].python,
	        ctx->sel_refresh ? VC_PLAN_REFRESH : 0, &err) == -1)
		goto fail;
	if (vc_warm(&ctx->cfg, &plan, VC_WARM, &res, &err) == -1)
		goto fail;
	if (vc_stats_add(vc_config_str(&ctx->cfg, VC_S_CACHE_DIR), &res.delta,
	        &err) == -1)
		vc_warn("stats: %s", err.msg);
	/* What `source bin/activate` does, minus the prompt. */
	bin = vc_path_join(plan.path, "bin");
	old = getenv("PATH");
	path = xasprintf("%s%s%s", bin, old != NULL ? ":" : "",
	    old != NULL ? old : "");
	free(bin);
	setenv("VIRTUAL_ENV", plan.path, 1);
	setenv("PATH", path, 1);
	unsetenv("PYTHONHOME");
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
	free(path);
	free(t);
	return rc;
}

const struct cmd_entry cmd_run_entry = {
    .name = "run",
    .args = "-- CMD [ARGS]",
    .summary = "warm one env, then run CMD inside it; exit status is CMD's",
    .description = "CMD runs with VIRTUAL_ENV set and the venv's bin first "
                   "on PATH, as after activating it.",
    .flags = CMD_SELECT | CMD_MIRROR | CMD_DASHDASH,
    .exec = cmd_run_exec,
};
