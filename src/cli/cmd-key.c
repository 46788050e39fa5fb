/*
 * cmd-key.c: venvcache key: each selected environment's key on stdout, one
 * a line and nothing else; --explain shows every component on stderr;
 * --format json describes each env as an object of one array.
 *
 * Everything is computed first, into one struct key_env per env; printing
 * comes after, so an error prints no key at all and another output (such
 * as GitHub's) is one more function over the same array.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "venvcache/gha.h"
#include "venvcache/installer.h"
#include "venvcache/interp.h"
#include "venvcache/key.h"
#include "venvcache/log.h"
#include "venvcache/mirror.h"
#include "venvcache/plan.h"
#include "venvcache/req.h"
#include "venvcache/venv.h"

/*
 * All that is known about one selected environment: its plan, the same
 * one warm computes (interpreter, requirements, resolution, key), so that
 * key and warm always agree.
 */
struct key_env {
	const struct cmd_target *target;
	struct vc_plan plan;
	int planned;
};

/*
 * --offline (implied by --github-output): the offline key, never the
 * network; else the entry key, resolving when the set needs it.
 */
static int
compute(struct cmd_ctx *ctx, struct key_env *ke, struct vc_error *err)
{
	int flags = ctx->sel_refresh ? VC_PLAN_REFRESH : 0;

	if (cmd_has(ctx, "offline") || cmd_has(ctx, "github-output"))
		flags = VC_PLAN_OFFLINE;
	ke->planned = 1;
	return vc_plan_init(&ke->plan, &ctx->cfg, ke->target->env,
	    ke->target->python, flags, err);
}

/* Index options ("--index-url URL") with credentials shown as ***. */
static void
redact_options(const struct vc_strv *in, struct vc_strv *out)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		const char *o = in->v[i], *sp = strchr(o, ' ');
		char *red;

		if (sp == NULL) {
			vc_strv_push(out, o);
			continue;
		}
		red = vc_url_redact(sp + 1);
		vc_strv_pushf(out, "%.*s %s", (int)(sp - o), o, red);
		free(red);
	}
}

static void
explain_list(const char *title, const struct vc_strv *v, int redact)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		char *s = redact ? vc_url_redact(v->v[i]) : xstrdup(v->v[i]);

		fprintf(stderr, "  %-13s %s\n", i == 0 ? title : "", s);
		free(s);
	}
}

/* --explain: every component of the key, on stderr. */
/* Which installer a miss would use, and why: never in the key. */
static void
explain_installer(const struct vc_config *cfg)
{
	struct vc_installer ins;
	struct vc_error err;

	if (vc_installer_choose(&ins, cfg, &err) == -1)
		fprintf(stderr, "  %-13s none: %s\n", "installer", err.msg);
	else
		fprintf(stderr, "  %-13s %s (%s; not in the key)\n",
		    "installer", vc_installer_name(&ins), ins.why);
	vc_installer_release(&ins);
}

static void
explain(const struct vc_config *cfg, const struct key_env *ke, int offline)
{
	const struct vc_interp *in = &ke->plan.interp;
	const struct vc_resolution *res = &ke->plan.resolution;
	const char *p, *nl;
	struct vc_strv idx;

	fprintf(stderr, "env %s\n", ke->target->env->name);
	fprintf(stderr, "  %-13s %s\n", "key", ke->plan.key.key);
	explain_list("restore keys", &ke->plan.key.restore_keys, 0);
	fprintf(stderr, "  %-13s %s -> %s (%s %s, %s)\n", "python",
	    in->requested, in->executable, in->impl, in->version,
	    in->cached        ? "probe cached"
	        : in->wrapper ? "probed: a wrapper script is never cached"
	                      : "probed");
	if (*in->pip_version != '\0')
		fprintf(stderr, "  %-13s %s (informational, not in the key)\n",
		    "pip", in->pip_version);
	explain_installer(cfg);
	explain_list("files read", &ke->plan.reqs.files, 0);
	if (ke->plan.project != NULL)
		fprintf(stderr,
		    "  %-13s %s (itself not in the key: installed after "
		    "create or restore; what it requires is)\n",
		    "project", ke->plan.project);
	explain_list("from project", &ke->plan.project_lines, 1);
	explain_list("options", &ke->plan.reqs.options, 0);
	/* Index options are given to pip, never hashed. */
	vc_strv_init(&idx);
	redact_options(&ke->plan.reqs.index_options, &idx);
	explain_list("not in key", &idx, 0);
	vc_strv_release(&idx);
	explain_list("ignored", &ke->plan.reqs.ignored, 0);
	explain_list("notes", &ke->plan.reqs.notes, 0);
	if (ke->plan.is_resolved) {
		struct vc_strv declared;

		vc_strv_init(&declared);
		vc_reqset_canonical(&ke->plan.reqs, &declared);
		explain_list("declared", &declared, 1);
		vc_strv_release(&declared);
		fprintf(stderr, "  %-13s by %s, %s%s\n", "resolved",
		    res->resolver != NULL ? res->resolver : "pip",
		    res->cached ? "from the cache" : "just now",
		    res->stale ? " (stale: the mirror was unreachable)" : "");
		explain_list("", &ke->plan.resolved, 0);
	} else if (ke->plan.reqs.n > 0 && offline) {
		fprintf(stderr, "  %-13s %s\n", "resolved",
		    "no: the offline key is the declared set's (docs/key.md)");
	} else if (ke->plan.reqs.n > 0) {
		fprintf(stderr, "  %-13s %s\n", "resolved",
		    "no: the declared set is keyed (pinned, or resolve = "
		    "never)");
	}
	fprintf(stderr, "  hashed document (format %d, XXH3-128 %s):\n",
	    VC_KEY_FORMAT, ke->plan.key.hash);
	for (p = ke->plan.key.document; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		fprintf(stderr, "    %.*s\n", (int)(nl - p), p);
	}
}

static json_t *
strv_json(const struct vc_strv *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *
env_json(const struct key_env *ke)
{
	const struct vc_interp *in = &ke->plan.interp;
	json_t *resolved;
	struct vc_strv reqs, cons, idx;
	json_t *o;
	size_t i;

	vc_strv_init(&reqs);
	vc_strv_init(&cons);
	vc_strv_init(&idx);
	for (i = 0; i < ke->plan.reqs.n; i++)
		vc_strv_push(ke->plan.reqs.reqs[i].constraint ? &cons : &reqs,
		    ke->plan.reqs.reqs[i].canonical);
	vc_strv_sort_uniq(&reqs);
	vc_strv_sort_uniq(&cons);
	redact_options(&ke->plan.reqs.index_options, &idx);
	o = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:s, s:s, s:s, s:s, s:s, "
	              "s:s, s:s, s:s, s:s, s:s, s:b, s:b}, s:o, s:o, s:o, s:o, "
	              "s:o, s:b, s:o, s:o, s:o, s:i, s:s}",
	    "env", ke->target->env->name, "key", ke->plan.key.key, "hash",
	    ke->plan.key.hash, "restore_keys",
	    strv_json(&ke->plan.key.restore_keys), "python", "requested",
	    in->requested, "path", in->path, "executable", in->executable,
	    "implementation", in->impl, "version", in->version, "build",
	    in->build, "soabi", in->soabi, "platform", in->platform, "libc",
	    in->libc, "base_prefix", in->base_prefix, "pip", in->pip_version,
	    "probe_cached", in->cached, "wrapper", in->wrapper, "requirements",
	    strv_json(&reqs), "constraints", strv_json(&cons), "options",
	    strv_json(&ke->plan.reqs.options), "index_options", strv_json(&idx),
	    "project",
	    ke->plan.reqs.project != NULL ? json_string(ke->plan.reqs.project)
	                                  : json_null(),
	    "pinned", vc_reqset_pinned(&ke->plan.reqs), "files",
	    strv_json(&ke->plan.reqs.files), "notes",
	    strv_json(&ke->plan.reqs.notes), "ignored",
	    strv_json(&ke->plan.reqs.ignored), "format", VC_KEY_FORMAT,
	    "document", ke->plan.key.document);
	resolved =
	    ke->plan.is_resolved ? strv_json(&ke->plan.resolved) : json_null();
	json_object_set_new(o, "resolved", resolved);
	vc_strv_release(&reqs);
	vc_strv_release(&cons);
	vc_strv_release(&idx);
	return o;
}

static int
print_json(const struct key_env *envs, size_t n)
{
	json_t *a = json_array();
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		json_array_append_new(a, env_json(&envs[i]));
	rc = json_dumpf(a, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (rc == 0)
		putchar('\n');
	return rc == 0 ? 0 : 1;
}

/*
 * --github-output: key, restore-keys, path, cache-dir and cache-version
 * appended to $GITHUB_OUTPUT for actions/cache; several envs share one
 * combined key (gha.h, vc_gha_keys_build).
 */
static int
github_output(struct cmd_ctx *ctx, const struct key_env *envs, size_t n)
{
	const char **keys = xcalloc(n, sizeof *keys);
	const char **names = xcalloc(n, sizeof *names);
	const struct vc_strv **rks = xcalloc(n, sizeof *rks);
	char **paths = xcalloc(n, sizeof *paths);
	struct vc_error err;
	size_t i;
	int rc;

	vc_error_clear(&err);
	for (i = 0; i < n; i++) {
		keys[i] = envs[i].plan.key.key;
		names[i] = envs[i].target->env->name;
		rks[i] = &envs[i].plan.key.restore_keys;
		paths[i] = vc_venv_path(&ctx->cfg, envs[i].target->env->name);
	}
	rc = vc_gha_key_outputs(vc_config_str(&ctx->cfg, VC_S_KEY_PREFIX),
	    vc_config_str(&ctx->cfg, VC_S_CACHE_DIR), names, keys, rks,
	    (const char *const *)paths, n, &err);
	if (rc == -1)
		cmd_error(ctx, &err);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(rks);
	free(names);
	free(keys);
	return rc;
}

static int
cmd_key_exec(struct cmd_ctx *ctx)
{
	struct cmd_target *targets = NULL;
	struct key_env *envs = NULL;
	struct vc_error err;
	const char *format = cmd_get(ctx, "format");
	int skip = vc_config_bool(&ctx->cfg, VC_S_SKIP_MISSING);
	struct vc_buf missing;
	size_t n = 0, i, kept = 0, total, nmissing = 0, nskipped = 0;
	int rc = 1;

	vc_error_clear(&err);
	vc_buf_init(&missing);
	if (format == NULL)
		format = "plain";
	if (strcmp(format, "plain") != 0 && strcmp(format, "json") != 0)
		return cmd_usage_error(ctx,
		    "--format takes plain or json, not '%s'", format);
	if (cmd_select(ctx, &targets, &n, &err) == -1) {
		cmd_error(ctx, &err);
		return cmd_status(&err);
	}
	envs = xcalloc(n, sizeof *envs);
	/*
	 * An env whose interpreter is not there does not stop the others: it
	 * is skipped (skip-missing-interpreters, or tox 4's
	 * skip_missing_interpreters for its env) or, once every env was
	 * tried, an error that prints no key. Any other error stops.
	 */
	total = n;
	for (i = 0; i < n; i++) {
		struct key_env *ke = &envs[kept];

		ke->target = &targets[i];
		if (compute(ctx, ke, &err) == 0) {
			kept++;
			continue;
		}
		if (ke->plan.no_interp &&
		    (ke->target->env->skip_missing ||
		        (skip && err.code == VC_ENOPY))) {
			vc_note("%s: skipped (%s): %s", ke->target->env->name,
			    ke->target->env->skip_missing
			        ? "skip_missing_interpreters"
			        : "skip-missing-interpreters",
			    err.msg);
			nskipped++;
		} else if (err.code == VC_ENOPY) {
			cmd_error(ctx, &err);
			vc_buf_addf(&missing, "%s%s",
			    missing.len > 0 ? ", " : "", ke->target->env->name);
			nmissing++;
		} else {
			kept++; /* released at out */
			cmd_error(ctx, &err);
			rc = cmd_status(&err);
			if (rc == 0)
				rc = 1;
			goto out;
		}
		vc_plan_release(&ke->plan);
		memset(ke, 0, sizeof *ke);
		vc_error_clear(&err);
	}
	if (nmissing > 0) {
		if (total > 1) /* one env: its error said it all */
			vc_error("%zu of %zu environments have no interpreter: "
			         "%s; no key printed "
			         "(skip-missing-interpreters = yes skips them)",
			    nmissing, total, missing.data);
		goto out;
	}
	if (nskipped > 0 && total > 1)
		vc_note("%zu of %zu environments skipped (no interpreter)",
		    nskipped, total);
	n = kept;
	if (cmd_has(ctx, "explain"))
		for (i = 0; i < n; i++)
			explain(&ctx->cfg, &envs[i],
			    cmd_has(ctx, "offline") ||
			        cmd_has(ctx, "github-output"));
	if (cmd_has(ctx, "github-output") && github_output(ctx, envs, n) == -1)
		goto out; /* rc is 1: no key printed */
	if (strcmp(format, "json") == 0) {
		rc = print_json(envs, n);
	} else {
		for (i = 0; i < n; i++)
			printf("%s\n", envs[i].plan.key.key);
		rc = 0;
	}
out:
	for (i = 0; i < kept; i++)
		if (envs[i].planned)
			vc_plan_release(&envs[i].plan);
	vc_buf_release(&missing);
	free(envs);
	free(targets);
	return rc;
}

const struct cmd_entry cmd_key_entry = {
    .name = "key",
    .args = "",
    .summary = "print each selected environment's cache key",
    .description =
        "One key per selected environment, one per line, and nothing else "
        "on stdout. The key covers the canonical requirement set (after "
        "-r/-c includes and ${VAR}), the options that change what pip "
        "installs, the interpreter's identity and the venv creator; index "
        "options and the project under test itself (-e .) are left out, "
        "its dependencies, selected extras and build requirements are in. "
        "--explain prints every component and the hashed document on "
        "stderr; docs/key.md specifies it. --offline prints the offline "
        "key instead: the declared set's, never resolved, so no network; "
        "--github-output implies it (actions/cache's key).",
    .flags = CMD_SELECT | CMD_MIRROR,
    .opts =
        {
            {"explain", 0, NULL, "print every component of the key on stderr"},
            {"format", 0, "FMT", "plain (default) or json"},
            {"github-output", 0, NULL,
                "append the offline key, restore-keys, path, cache-dir, "
                "cache-path and cache-version to $GITHUB_OUTPUT"},
            {"offline", 0, NULL,
                "the offline key: the declared set's, without the "
                "network"},
        },
    .exec = cmd_key_exec,
};
