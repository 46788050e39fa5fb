/* main.c: global options, settings, and dispatch to a command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd.h"
#include "venvcache/gha.h"
#include "venvcache/log.h"
#include "venvcache/mirror.h"
#include "venvcache/tox.h"
#include "venvcache/version.h"

/* A setting given on the command line, applied after file and env. */
struct cli_setting {
	enum vc_setting_id id;
	const char *value;
};

struct parse {
	const char *config;
	const char *color;
	int verbosity;
	int version;
	int help;
	struct cli_setting settings[64];
	size_t nsettings;
};

static const struct cmd_entry *
find_command(const char *name)
{
	size_t i;

	for (i = 0; cmd_table[i] != NULL; i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	return NULL;
}

/* Builds getopt's tables for the common groups in `groups` and `entry`. */
static void
build_opts(int groups, const struct cmd_entry *entry, struct option *lo,
    char *so)
{
	size_t i, n = 0;
	char *s = so;

	*s++ = '+';
	*s++ = ':';
	for (i = 0; i < cmd_ncommon_opts; i++) {
		if (cmd_common_opts[i].group != CMD_GLOBAL &&
		    (cmd_common_opts[i].group & groups) == 0)
			continue;
		lo[n].name = cmd_common_opts[i].name;
		lo[n].has_arg = (cmd_common_opts[i].arg != NULL)
		    ? required_argument
		    : no_argument;
		lo[n].flag = NULL;
		lo[n].val = cmd_common_opts[i].id;
		n++;
		if (cmd_common_opts[i].short_name != 0) {
			*s++ = (char)cmd_common_opts[i].short_name;
			if ((cmd_common_opts[i].arg != NULL))
				*s++ = ':';
		}
	}
	for (i = 0; entry != NULL && entry->opts[i].name != NULL; i++) {
		const struct cmd_opt *o = &entry->opts[i];

		lo[n].name = o->name;
		lo[n].has_arg =
		    o->arg != NULL ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = O_CMD + (int)i;
		n++;
		if (o->short_name != 0) {
			*s++ = (char)o->short_name;
			if (o->arg != NULL)
				*s++ = ':';
		}
	}
	memset(&lo[n], 0, sizeof lo[n]);
	*s = '\0';
}

/* Maps a short option letter to its long id. */
static int
short_to_id(int c, const struct cmd_entry *entry)
{
	size_t i;

	for (i = 0; i < cmd_ncommon_opts; i++)
		if (cmd_common_opts[i].short_name == c)
			return cmd_common_opts[i].id;
	for (i = 0; entry != NULL && entry->opts[i].name != NULL; i++)
		if (entry->opts[i].short_name == c)
			return O_CMD + (int)i;
	return c;
}

static int
add_setting(struct parse *p, enum vc_setting_id id, const char *value)
{
	if (p->nsettings == VC_ARRAY_SIZE(p->settings)) {
		fprintf(stderr, "venvcache: too many options\n");
		return -1;
	}
	p->settings[p->nsettings].id = id;
	p->settings[p->nsettings].value = value;
	p->nsettings++;
	return 0;
}

/*
 * One pass of getopt over argv. Returns 0, or 2 after printing a usage
 * error.
 */
static int
parse_pass(int argc, char **argv, int groups, struct cmd_ctx *ctx,
    struct parse *p)
{
	const struct cmd_entry *entry = ctx != NULL ? ctx->entry : NULL;
	struct option lo[cmd_ncommon_opts + CMD_MAX_OPTS + 1];
	char so[3 * (cmd_ncommon_opts + CMD_MAX_OPTS) + 3];
	const char *who = entry != NULL ? entry->name : NULL;
	int c, idx;

	build_opts(groups, entry, lo, so);
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			struct vc_suggest sg;
			char *word = NULL;
			const char *best = NULL;
			size_t i;

			/* "--max_size=1G": the name, for "did you mean" */
			if (c == '?' && optopt == 0 &&
			    strncmp(bad, "--", 2) == 0) {
				word = xstrndup(bad + 2, strcspn(bad + 2, "="));
				vc_suggest_init(&sg, word);
				for (i = 0; lo[i].name != NULL; i++)
					vc_suggest_add(&sg, lo[i].name);
				best = vc_suggest_best(&sg);
			}
			fprintf(stderr, "venvcache: %s%s%s '%s'%s%s%s\n",
			    who ? who : "", who ? ": " : "",
			    c == ':' ? "missing argument for"
			             : "unknown option",
			    optopt != 0 && (optopt < 256)
			        ? (char[]){'-', (char)optopt, '\0'}
			        : bad,
			    best != NULL ? " (did you mean '--" : "",
			    best != NULL ? best : "",
			    best != NULL ? "'?)" : "");
			free(word);
			fprintf(stderr, "Try 'venvcache %s%s--help'.\n",
			    who ? who : "", who ? " " : "");
			return 2;
		}
		c = short_to_id(c, entry);
		switch (c) {
		case O_CONFIG:
			p->config = optarg;
			break;
		case O_CACHE_DIR:
			if (add_setting(p, VC_S_CACHE_DIR, optarg) == -1)
				return 2;
			break;
		case O_VENV_ROOT:
			if (add_setting(p, VC_S_VENV_ROOT, optarg) == -1)
				return 2;
			break;
		case O_QUIET:
			p->verbosity = -1;
			break;
		case O_VERBOSE:
			if (p->verbosity < 0)
				p->verbosity = 0;
			p->verbosity++;
			break;
		case O_VERSION:
			p->version = 1;
			break;
		case O_COLOR:
			p->color = optarg;
			break;
		case O_HELP:
			p->help = 1;
			break;
		case O_ENV:
			vc_strv_push(&ctx->sel_envs, optarg);
			break;
		case O_LABEL:
			vc_strv_push(&ctx->sel_labels, optarg);
			break;
		case O_REQ:
			vc_strv_push(&ctx->sel_reqs, optarg);
			break;
		case O_PYTHON:
			ctx->sel_python = optarg;
			break;
		case O_ALL:
			ctx->sel_all = 1;
			break;
		case O_NAME:
			ctx->sel_name = optarg;
			break;
		case O_REFRESH:
			ctx->sel_refresh = 1;
			break;
		case O_INSTALL_PROJECT:
			if (add_setting(p, VC_S_INSTALL_PROJECT, optarg) == -1)
				return 2;
			break;
		case O_INDEX_URL:
			if (add_setting(p, VC_S_INDEX_URL, optarg) == -1)
				return 2;
			break;
		case O_EXTRA_INDEX_URL:
			if (add_setting(p, VC_S_EXTRA_INDEX_URL, optarg) == -1)
				return 2;
			break;
		case O_TRUSTED_HOST:
			if (add_setting(p, VC_S_TRUSTED_HOST, optarg) == -1)
				return 2;
			break;
		case O_FIND_LINKS:
			if (add_setting(p, VC_S_FIND_LINKS, optarg) == -1)
				return 2;
			break;
		case O_NO_INDEX:
			if (add_setting(p, VC_S_NO_INDEX, "yes") == -1)
				return 2;
			break;
		default:
			idx = c - O_CMD;
			if (ctx == NULL || idx < 0 || idx >= CMD_MAX_OPTS)
				return 2;
			ctx->count[idx]++;
			if (optarg != NULL)
				vc_strv_push(&ctx->values[idx], optarg);
			break;
		}
	}
	return 0;
}

/*
 * VENVCACHE_TOX=tox.ini, relative and not in the current directory, is
 * looked for upward as venvcache.ini is (a file's tox setting is relative
 * to that file already).
 */
static int
tox_up(struct vc_config *cfg, struct vc_error *err)
{
	const char *v = getenv("VENVCACHE_TOX");
	char *up, *looked = NULL;
	int rc = 0;

	if (v == NULL || *v == '\0' || *v == '/' || *v == '~' ||
	    cfg->origin_kind[VC_S_TOX] != VC_ORIGIN_ENV || access(v, F_OK) == 0)
		return 0;
	up = vc_config_find_up(v, &looked);
	if (up != NULL)
		rc = vc_config_set(cfg, VC_S_TOX, up, VC_ORIGIN_ENV,
		    "VENVCACHE_TOX", err);
	free(up);
	free(looked);
	return rc;
}

static int
load_settings(struct cmd_ctx *ctx, struct parse *p)
{
	struct vc_error err;
	char *path;
	size_t i;

	vc_error_clear(&err);
	path = vc_config_locate(p->config, &ctx->cfg.looked, &err);
	if (path == NULL && err.code != VC_OK)
		goto fail;
	if (path != NULL && vc_config_load_file(&ctx->cfg, path, &err) == -1) {
		free(path);
		goto fail;
	}
	free(path);
	if (vc_config_load_env(&ctx->cfg, &err) == -1)
		goto fail;
	if (tox_up(&ctx->cfg, &err) == -1)
		goto fail;
	for (i = 0; i < p->nsettings; i++) {
		if (vc_config_set(&ctx->cfg, p->settings[i].id,
		        p->settings[i].value, VC_ORIGIN_CLI, "command line",
		        &err) == -1) {
			err.code = VC_EUSAGE;
			goto fail;
		}
	}
	/* tox environments, after the settings (an [env NAME] wins) */
	if (*vc_config_str(&ctx->cfg, VC_S_TOX) != '\0' &&
	    vc_tox_load(&ctx->cfg, vc_config_str(&ctx->cfg, VC_S_TOX), &err) ==
	        -1)
		goto fail;
	return 0;
fail:
	cmd_error(ctx, &err);
	return cmd_status(&err);
}

/*
 * With credentials in the mirror settings, no core file: neither ours
 * (they are in our memory) nor pip's (they are in its environment). The
 * limit is inherited by every program we start.
 */
static void
protect_secrets(const struct vc_config *cfg)
{
	struct rlimit none = {0, 0};
	struct vc_strv secrets;

	vc_strv_init(&secrets);
	vc_mirror_secrets(cfg, &secrets);
	if (secrets.n > 0) {
		(void)setrlimit(RLIMIT_CORE, &none);
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	vc_strv_release(&secrets);
}

static void
ctx_release(struct cmd_ctx *ctx)
{
	size_t i;

	vc_config_release(&ctx->cfg);
	for (i = 0; i < CMD_MAX_OPTS; i++)
		vc_strv_release(&ctx->values[i]);
	vc_strv_release(&ctx->sel_envs);
	vc_strv_release(&ctx->sel_labels);
	vc_strv_release(&ctx->sel_reqs);
}

/* CI=true (GitHub, GitLab, Buildkite, CircleCI, Travis): a CI log, read
 * after the fact, so each step gets a line; CI= or CI=false is not one. */
static int
ci_active(void)
{
	const char *v = getenv("CI");

	return v != NULL && *v != '\0' && strcmp(v, "false") != 0 &&
	    strcmp(v, "0") != 0;
}

/*
 * --color=WHEN for a stream: always, never, or auto: a terminal, NO_COLOR
 * unset or empty (no-color.org), TERM not dumb, not a CI log (CI=true,
 * GitHub Actions: plain lines there). -1 for another WHEN.
 */
static int
color_for(const char *when, int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (when == NULL || strcmp(when, "auto") == 0)
		return isatty(fd) && (no == NULL || *no == '\0') &&
		    (term == NULL || strcmp(term, "dumb") != 0) &&
		    !ci_active() && !vc_gha_active();
	if (strcmp(when, "always") == 0)
		return 1;
	if (strcmp(when, "never") == 0)
		return 0;
	return -1;
}

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	struct parse p;
	int rc, sub_argc;
	char **sub_argv;

	memset(&ctx, 0, sizeof ctx);
	memset(&p, 0, sizeof p);
	vc_config_init(&ctx.cfg);

	/* Global options before the command. */
	rc = parse_pass(argc, argv, CMD_GLOBAL, &ctx, &p);
	if (rc != 0)
		goto out;
	if (p.version) {
		printf("venvcache %s\n", VC_VERSION);
		goto out;
	}
	if (optind >= argc) {
		cmd_print_help(p.help ? stdout : stderr);
		rc = p.help ? 0 : 2;
		goto out;
	}
	ctx.entry = find_command(argv[optind]);
	if (ctx.entry == NULL) {
		struct vc_suggest sg;
		size_t i;

		vc_suggest_init(&sg, argv[optind]);
		for (i = 0; cmd_table[i] != NULL; i++)
			vc_suggest_add(&sg, cmd_table[i]->name);
		fprintf(stderr,
		    "venvcache: unknown command '%s'%s%s%s\n"
		    "Try 'venvcache --help'.\n",
		    argv[optind],
		    vc_suggest_best(&sg) != NULL ? " (did you mean '" : "",
		    vc_suggest_best(&sg) != NULL ? vc_suggest_best(&sg) : "",
		    vc_suggest_best(&sg) != NULL ? "'?)" : "");
		rc = 2;
		goto out;
	}
	vc_log_set_context(ctx.entry->name);

	/* The command's own options, and global ones again. */
	sub_argc = argc - optind;
	sub_argv = argv + optind;
	optind = 1;
	rc = parse_pass(sub_argc, sub_argv, ctx.entry->flags, &ctx, &p);
	if (rc != 0)
		goto out;
	if (p.help) {
		cmd_print_usage(stdout, ctx.entry);
		goto out;
	}
	if (p.version) {
		printf("venvcache %s\n", VC_VERSION);
		goto out;
	}
	ctx.argc = sub_argc - optind;
	ctx.argv = sub_argv + optind;
	if (ctx.entry->flags & CMD_DASHDASH) {
		if (ctx.argc == 0 || strcmp(sub_argv[optind - 1], "--") != 0) {
			rc = cmd_usage_error(&ctx,
			    "give the command to run after '--'");
			goto out;
		}
	} else if (ctx.argc > 0 && !(ctx.entry->flags & CMD_ARGS)) {
		rc = cmd_usage_error(&ctx, "unexpected argument '%s'",
		    ctx.argv[0]);
		goto out;
	}
	if (color_for(p.color, 2) == -1) {
		rc = cmd_usage_error(&ctx,
		    "--color takes auto, always or never, not '%s'", p.color);
		goto out;
	}
	/* Decided here, once: workers' stderr may be a pipe to us. */
	vc_log_set_color(color_for(p.color, 2));
	ctx.color_out = color_for(p.color, 1);
	vc_log_set_level(p.verbosity);
	rc = load_settings(&ctx, &p);
	if (rc != 0)
		goto out;
	if (ci_active() || vc_gha_active())
		vc_log_set_steps(1); /* CI logs: a line per step */
	if (vc_gha_active()) /* mask credentials before any other output */
		vc_gha_mask_config(stderr, &ctx.cfg);
	protect_secrets(&ctx.cfg);
	rc = ctx.entry->exec(&ctx);
out:
	fflush(stdout);
	if (ferror(stdout) && rc == 0) {
		fprintf(stderr, "venvcache: cannot write to standard output\n");
		rc = 1;
	}
	ctx_release(&ctx);
	return rc;
}
