/* cmd-restore.c: venvcache restore: restore only, exit 3 on a miss. */
#include <stdlib.h>

#include "envs.h"

static int
restore_op(struct cmd_ctx *ctx, struct vc_plan *plan, struct env_result *r)
{
	return vc_warm(&ctx->cfg, plan, VC_RESTORE, &r->warm, &r->err);
}

static int
cmd_restore_exec(struct cmd_ctx *ctx)
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
	rc = envs_run(ctx, t, n, jobs, restore_op, 1);
	free(t);
	return rc;
}

const struct cmd_entry cmd_restore_entry = {
    .name = "restore",
    .args = "",
    .summary = "restore each selected env from the store; exit 3 if one "
               "has no entry",
    .description = "Like warm, but never creates: an env without a store "
                   "entry is left alone and the exit status is 3.",
    .flags = CMD_SELECT | CMD_MIRROR,
    .opts =
        {
            {"jobs", 'j', "N", "environments at a time"},
        },
    .exec = cmd_restore_exec,
};
