/* cmd-warm.c: venvcache warm: make each selected env ready. */
#include <stdlib.h>

#include "envs.h"

static int
warm_op(struct cmd_ctx *ctx, struct vc_plan *plan, struct env_result *r)
{
	return vc_warm(&ctx->cfg, plan, VC_WARM, &r->warm, &r->err);
}

static int
cmd_warm_exec(struct cmd_ctx *ctx)
{
	struct cmd_target *t;
	struct vc_error err;
	size_t n;
	int jobs, rc;

	vc_error_clear(&err);
	if ((jobs = envs_jobs(ctx, "jobs")) == -1)
		return cmd_usage_error(ctx, "-j takes a number from 0 to 256");
	if (cmd_select(ctx, &t, &n, &err) == -1) {
		cmd_error(ctx, &err);
		return cmd_status(&err);
	}
	rc = envs_run(ctx, t, n, jobs, warm_op, 1);
	free(t);
	return rc;
}

const struct cmd_entry cmd_warm_entry = {
    .name = "warm",
    .args = "",
    .summary = "make each selected env ready; print its venv path",
    .description =
        "Present and valid: nothing to do. In the store: restored from its "
        "archive into a temporary directory, relocated and renamed into "
        "place. Otherwise created with venv and pip through the mirror, "
        "packed into the store, and put in place. The project under test "
        "(install-project, or -e . in the requirements) is installed after, "
        "never cached. Concurrent warms of one env build it once.",
    .flags = CMD_SELECT | CMD_MIRROR,
    .opts =
        {
            {"jobs", 'j', "N",
                "environments at a time (default: jobs "
                "setting, else the number of CPUs)"},
        },
    .exec = cmd_warm_exec,
};
