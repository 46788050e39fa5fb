/* cmd-warm.c: venvcache warm: make each selected env ready. */
#include "envs.h"

static int
warm_op(struct cmd_ctx *ctx, struct vc_plan *plan, struct env_result *r)
{
	return vc_warm(&ctx->cfg, plan, VC_WARM, &r->warm, &r->err);
}

static int
cmd_warm_exec(struct cmd_ctx *ctx)
{
	return envs_command(ctx, warm_op, 1);
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
        "alone (pip install -e --no-deps --no-build-isolation --no-index): "
        "its dependencies and build requirements are in the env's set, "
        "installed at creation and cached, so a hit needs no index; the "
        "project itself is never cached. Any failure after the restore or "
        "creation (the project does not install, the venv cannot be put in "
        "place) fails the warm, caches nothing and leaves the venv not "
        "ready, for the next warm to repair. Concurrent warms of one env "
        "build it once.",
    .flags = CMD_SELECT | CMD_MIRROR,
    .opts =
        {
            {"jobs", 'j', "N",
                "environments at a time (default: jobs "
                "setting, else the number of CPUs)"},
        },
    .exec = cmd_warm_exec,
};
