/* cmd-path.c: venvcache path: where each selected env's venv is. */
#include <stdlib.h>

#include "cmd.h"
#include "venvcache/venv.h"

static int
cmd_path_exec(struct cmd_ctx *ctx)
{
	struct cmd_target *t;
	struct vc_error err;
	size_t i, n;

	vc_error_clear(&err);
	if (cmd_select(ctx, &t, &n, &err) == -1) {
		cmd_error(ctx, &err);
		return cmd_status(&err);
	}
	for (i = 0; i < n; i++) {
		char *p = vc_venv_path(&ctx->cfg, t[i].env->name);

		printf("%s\n", p);
		free(p);
	}
	free(t);
	return 0;
}

const struct cmd_entry cmd_path_entry = {
    .name = "path",
    .args = "",
    .summary = "print the venv path of each selected env",
    .description = "The path does not depend on the key: "
                   "<venv-root>/<env name>. It may not exist yet.",
    .flags = CMD_SELECT,
    .exec = cmd_path_exec,
};
