/* cmd-save.c: venvcache save: pack each selected env's venv into the store. */
#include "envs.h"

static int
save_op(struct cmd_ctx *ctx, struct vc_plan *plan, struct env_result *r)
{
	return vc_venv_save(&ctx->cfg, plan, &r->warm, &r->err);
}

static int
cmd_save_exec(struct cmd_ctx *ctx)
{
	return envs_command(ctx, save_op, 0);
}

const struct cmd_entry cmd_save_entry = {
    .name = "save",
    .args = "",
    .summary = "pack the current venv of each selected env into the store",
    .description =
        "The venv is packed as it is, under the key of its env, replacing "
        "an entry of the same key, the project under test left out. Its "
        "distributions must be what the key says (the resolved set, else "
        "the replaced entry's, else the pins): a venv changed after warm "
        "(pip install x) is refused, naming what is extra or missing.",
    .flags = CMD_SELECT | CMD_MIRROR,
    .exec = cmd_save_exec,
};
