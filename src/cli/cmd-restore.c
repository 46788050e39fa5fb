/* cmd-restore.c: venvcache restore: restore only, exit 3 on a miss. */
#include "envs.h"

static int
restore_op(struct cmd_ctx *ctx, struct vc_plan *plan, struct env_result *r)
{
	return vc_warm(&ctx->cfg, plan, VC_RESTORE, &r->warm, &r->err);
}

static int
cmd_restore_exec(struct cmd_ctx *ctx)
{
	return envs_command(ctx, restore_op, 1);
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
            {"github-output", 0, NULL,
                "append hits, created, envs and save-key to "
                "$GITHUB_OUTPUT"},
        },
    .exec = cmd_restore_exec,
};
