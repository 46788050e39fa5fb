/* cmd.c: what every command shares: its options, selection and errors. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "venvcache/gha.h"
#include "venvcache/tox.h"

static int
opt_index(const struct cmd_ctx *ctx, const char *name)
{
	int i;

	for (i = 0; i < CMD_MAX_OPTS && ctx->entry->opts[i].name != NULL; i++)
		if (strcmp(ctx->entry->opts[i].name, name) == 0)
			return i;
	abort(); /* a command asked for an option it does not declare */
}

int
cmd_has(const struct cmd_ctx *ctx, const char *name)
{
	return ctx->count[opt_index(ctx, name)];
}

const char *
cmd_get(const struct cmd_ctx *ctx, const char *name)
{
	const struct vc_strv *v = &ctx->values[opt_index(ctx, name)];

	return v->n > 0 ? v->v[v->n - 1] : NULL;
}

const struct vc_strv *
cmd_get_all(const struct cmd_ctx *ctx, const char *name)
{
	return &ctx->values[opt_index(ctx, name)];
}

int
cmd_select(struct cmd_ctx *ctx, struct cmd_target **out, size_t *n,
    struct vc_error *err)
{
	struct vc_config *cfg = &ctx->cfg;
	struct cmd_target *t = NULL;
	struct vc_envdef *e;
	size_t i, cap = 0, count = 0;
	const char *python;

	*out = NULL;
	*n = 0;
	python = ctx->sel_python != NULL ? ctx->sel_python
	                                 : vc_config_str(cfg, VC_S_PYTHON);
	if (ctx->sel_name != NULL && ctx->sel_reqs.n == 0)
		return vc_error_set(err, VC_EUSAGE,
		    "--name names the environment of -r FILE; give -r too");
	/* tox 3 makes a -e NAME of known factors (first: cfg->envs moves) */
	for (i = 0; i < ctx->sel_envs.n; i++)
		if (vc_config_env(cfg, ctx->sel_envs.v[i]) == NULL &&
		    *vc_config_str(cfg, VC_S_TOX) != '\0' &&
		    vc_tox_load_env(cfg, vc_config_str(cfg, VC_S_TOX),
		        ctx->sel_envs.v[i], err) == -1)
			return -1;
	if (ctx->sel_reqs.n > 0) {
		char *name = ctx->sel_name != NULL ? xstrdup(ctx->sel_name)
		                                   : vc_config_adhoc_name();

		e = vc_config_add_env(cfg, name, err);
		free(name);
		if (e == NULL)
			goto fail;
		for (i = 0; i < ctx->sel_reqs.n; i++)
			vc_strv_push(&e->requirements, ctx->sel_reqs.v[i]);
		t = xgrow(t, &cap, count + 1, sizeof *t);
		t[count].env = e;
		t[count].python = python;
		count++;
	}
	for (i = 0; i < ctx->sel_envs.n; i++) {
		e = vc_config_env(cfg, ctx->sel_envs.v[i]);
		if (e == NULL) {
			if (cfg->nenvs == 0 && cfg->file != NULL)
				vc_error_set(err, VC_EUSAGE,
				    "unknown environment '%s': %s defines "
				    "none",
				    ctx->sel_envs.v[i], cfg->file);
			else if (cfg->nenvs == 0)
				vc_error_set(err, VC_EUSAGE,
				    "unknown environment '%s': no config file "
				    "(looked for %s)",
				    ctx->sel_envs.v[i],
				    cfg->looked != NULL ? cfg->looked : "none");
			else { /* from the config file, the tox.ini or -r */
				struct vc_suggest sg;
				const char *best;
				size_t j;

				vc_suggest_init(&sg, ctx->sel_envs.v[i]);
				for (j = 0; j < cfg->nenvs; j++)
					vc_suggest_add(&sg, cfg->envs[j].name);
				best = vc_suggest_best(&sg);
				vc_error_set(err, VC_EUSAGE,
				    "unknown environment '%s'%s%s%s (%zu "
				    "defined; see 'venvcache config')",
				    ctx->sel_envs.v[i],
				    best != NULL ? ": did you mean '" : "",
				    best != NULL ? best : "",
				    best != NULL ? "'?" : "", cfg->nenvs);
			}
			goto fail;
		}
		t = xgrow(t, &cap, count + 1, sizeof *t);
		t[count].env = e;
		t[count].python = ctx->sel_python != NULL || e->python == NULL
		    ? python
		    : e->python;
		count++;
	}
	for (i = 0; i < ctx->sel_labels.n; i++) {
		size_t j, k, found = 0;

		for (j = 0; j < cfg->nenvs; j++) {
			e = &cfg->envs[j];
			if (!vc_strv_contains(&e->labels, ctx->sel_labels.v[i]))
				continue;
			found++;
			for (k = 0; k < count && t[k].env != e; k++)
				;
			if (k < count)
				continue; /* selected already */
			t = xgrow(t, &cap, count + 1, sizeof *t);
			t[count].env = e;
			t[count].python =
			    ctx->sel_python != NULL || e->python == NULL
			    ? python
			    : e->python;
			count++;
		}
		if (found == 0) {
			vc_error_set(err, VC_EUSAGE,
			    "no environment has label '%s' (labels are tox "
			    "4's: [tox] labels, an environment's labels)",
			    ctx->sel_labels.v[i]);
			goto fail;
		}
	}
	if (ctx->sel_all ||
	    (count == 0 && ctx->sel_envs.n == 0 && ctx->sel_labels.n == 0)) {
		for (i = 0; i < cfg->nenvs; i++) {
			e = &cfg->envs[i];
			if (e->file == NULL)
				continue; /* the ad-hoc one */
			t = xgrow(t, &cap, count + 1, sizeof *t);
			t[count].env = e;
			t[count].python =
			    ctx->sel_python != NULL || e->python == NULL
			    ? python
			    : e->python;
			count++;
		}
	}
	if (count == 0 && cfg->file == NULL) {
		vc_error_set(err, VC_EUSAGE, "no config file (looked for %s)%s",
		    cfg->looked != NULL ? cfg->looked : "none",
		    ctx->sel_all ? "" : ": give -r FILE or write one");
		goto fail;
	}
	if (count == 0) {
		vc_error_set(err, VC_EUSAGE,
		    "no environment selected: %s defines none%s", cfg->file,
		    ctx->sel_all ? "" : "; give -r FILE");
		goto fail;
	}
	*out = t;
	*n = count;
	return 0;
fail:
	free(t);
	return -1;
}

void
cmd_error(const struct cmd_ctx *ctx, const struct vc_error *err)
{
	if (vc_gha_active()) /* an annotation, with file and line if any */
		vc_gha_report_error(stderr,
		    ctx->entry != NULL ? ctx->entry->name : NULL, err);
	else if (ctx->entry != NULL)
		fprintf(stderr, "venvcache: %s: %s\n", ctx->entry->name,
		    err->msg);
	else
		fprintf(stderr, "venvcache: %s\n", err->msg);
	if (err->code == VC_EUSAGE && ctx->entry != NULL)
		fprintf(stderr, "Try 'venvcache %s --help'.\n",
		    ctx->entry->name);
}

int
cmd_usage_error(const struct cmd_ctx *ctx, const char *fmt, ...)
{
	struct vc_error err;
	va_list ap;

	vc_error_clear(&err);
	err.code = VC_EUSAGE;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof err.msg, fmt, ap);
	va_end(ap);
	cmd_error(ctx, &err);
	return 2;
}

int
cmd_status(const struct vc_error *err)
{
	switch (err->code) {
	case VC_OK:
		return 0;
	case VC_EUSAGE:
		return 2;
	case VC_EMISS:
		return 3;
	default:
		return 1;
	}
}

const struct cmd_common_opt cmd_common_opts[] = {
    {"config", 'c', "FILE", O_CONFIG, CMD_GLOBAL,
        "read settings from FILE (default $VENVCACHE_CONFIG, else "
        "venvcache.ini in the current directory or the nearest parent, up "
        "to the repository root, then $XDG_CONFIG_HOME/venvcache/config.ini)"},
    {"cache-dir", 0, "DIR", O_CACHE_DIR, CMD_GLOBAL,
        "the store (setting cache-dir)"},
    {"venv-root", 0, "DIR", O_VENV_ROOT, CMD_GLOBAL,
        "where venvs are made ready (setting venv-root)"},
    {"quiet", 'q', NULL, O_QUIET, CMD_GLOBAL, "print errors only"},
    {"verbose", 'v', NULL, O_VERBOSE, CMD_GLOBAL,
        "say more; twice for debug output"},
    {"color", 0, "WHEN", O_COLOR, CMD_GLOBAL,
        "colour the words ok, hit, present (green), miss, skipped "
        "(yellow), failed, bad (red): auto (the default: on a terminal, "
        "unless NO_COLOR is set and not empty, TERM is dumb, CI=true or "
        "GitHub Actions), always or never"},
    {"version", 0, NULL, O_VERSION, CMD_GLOBAL, "print the version"},
    {"help", 'h', NULL, O_HELP, CMD_GLOBAL, "print this help"},
    {"env", 'e', "NAME", O_ENV, CMD_SELECT,
        "an [env NAME] of the config (repeatable)"},
    {"label", 'm', "LABEL", O_LABEL, CMD_SELECT,
        "the tox environments with this label (tox 4's labels; "
        "repeatable)"},
    {"requirement", 'r', "FILE", O_REQ, CMD_SELECT,
        "an ad-hoc environment from requirement files (repeatable)"},
    {"python", 'p', "PY", O_PYTHON, CMD_SELECT,
        "interpreter: a name on PATH or a path (default python3)"},
    {"all", 'a', NULL, O_ALL, CMD_SELECT, "every environment of the config"},
    {"name", 0, "NAME", O_NAME, CMD_SELECT,
        "name of the -r environment (default: the project's, as "
        "\"myproj-1a2b3c4d\": its root's name and a hash of its path)"},
    {"install-project", 0, "no|yes|PATH", O_INSTALL_PROJECT, CMD_SELECT,
        "install the project under test after warm (setting "
        "install-project; yes: the current directory)"},
    {"refresh", 0, NULL, O_REFRESH, CMD_SELECT,
        "resolve unpinned requirements again, ignoring resolve-ttl"},
    {"index-url", 0, "URL", O_INDEX_URL, CMD_MIRROR,
        "package index (pip's --index-url)"},
    {"extra-index-url", 0, "URL", O_EXTRA_INDEX_URL, CMD_MIRROR,
        "another index (repeatable)"},
    {"trusted-host", 0, "HOST", O_TRUSTED_HOST, CMD_MIRROR,
        "a host to trust without HTTPS (repeatable)"},
    {"find-links", 0, "PATH|URL", O_FIND_LINKS, CMD_MIRROR,
        "a directory or page of archives (repeatable)"},
    {"no-index", 0, NULL, O_NO_INDEX, CMD_MIRROR,
        "ignore package indexes, use --find-links only"},
};

const size_t cmd_ncommon_opts = VC_ARRAY_SIZE(cmd_common_opts);
