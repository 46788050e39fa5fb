/* cmd-help.c: venvcache help [COMMAND] [--man]. */
#include <string.h>

#include "cmd.h"

static int
cmd_help_exec(struct cmd_ctx *ctx)
{
	size_t i;

	if (cmd_has(ctx, "man")) {
		cmd_print_man(stdout);
		return 0;
	}
	if (ctx->argc == 0) {
		cmd_print_help(stdout);
		return 0;
	}
	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, ctx->argv[0]) == 0) {
			cmd_print_usage(stdout, cmd_table[i]);
			return 0;
		}
	}
	{
		struct vc_suggest sg;
		const char *best;

		vc_suggest_init(&sg, ctx->argv[0]);
		for (i = 0; cmd_table[i] != NULL; i++)
			vc_suggest_add(&sg, cmd_table[i]->name);
		best = vc_suggest_best(&sg);
		return cmd_usage_error(ctx, "unknown command '%s'%s%s%s",
		    ctx->argv[0], best != NULL ? " (did you mean '" : "",
		    best != NULL ? best : "", best != NULL ? "'?)" : "");
	}
}

const struct cmd_entry cmd_help_entry = {
    .name = "help",
    .args = "[COMMAND]",
    .summary = "show the help of venvcache or of a command",
    .flags = CMD_ARGS,
    .opts =
        {
            {"man", 0, NULL, "print the man page (roff)"},
        },
    .exec = cmd_help_exec,
};
