/* cmd-config.c: venvcache config: every setting with its origin. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void
print_env(const struct vc_envdef *e)
{
	size_t i;

	printf("(%s:%u) [env %s]\n", e->file, e->line, e->name);
	if (e->python != NULL)
		printf("  python = %s\n", e->python);
	for (i = 0; i < e->requirements.n; i++)
		printf("  requirements = %s\n", e->requirements.v[i]);
	for (i = 0; i < e->constraints.n; i++)
		printf("  constraints = %s\n", e->constraints.v[i]);
	for (i = 0; i < e->deps.n; i++)
		printf("  deps = %s\n", e->deps.v[i]);
}

static int
cmd_config_exec(struct cmd_ctx *ctx)
{
	const struct vc_config *cfg = &ctx->cfg;
	size_t i;

	for (i = 0; i < VC_S__COUNT; i++) {
		char *v = vc_config_display(cfg, (enum vc_setting_id)i);

		if (!cmd_has(ctx, "all") &&
		    cfg->origin_kind[i] == VC_ORIGIN_DEFAULT && *v == '\0') {
			free(v);
			continue;
		}
		printf("(%s) %s%s%s = %s\n", cfg->origin[i],
		    strcmp(vc_settings[i].section, "venvcache") == 0
		        ? ""
		        : vc_settings[i].section,
		    strcmp(vc_settings[i].section, "venvcache") == 0 ? "" : ".",
		    vc_settings[i].name, v);
		free(v);
	}
	for (i = 0; i < cfg->nenvs; i++)
		print_env(&cfg->envs[i]);
	return 0;
}

const struct cmd_entry cmd_config_entry = {
    .name = "config",
    .args = "",
    .summary = "print the effective settings, each with its origin",
    .description = "Each line is (origin) name = value, where origin is "
                   "default, a VENVCACHE_* variable, file:line or "
                   "command line. Mirror URLs are shown with "
                   "credentials as ***.",
    .flags = CMD_MIRROR,
    .opts =
        {
            {"all", 0, NULL, "also print settings that are empty"},
        },
    .exec = cmd_config_exec,
};
