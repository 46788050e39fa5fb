/* plan.c: interpreter, requirements, key and path of an environment. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "venvcache/log.h"
#include "venvcache/plan.h"
#include "venvcache/project.h"
#include "venvcache/venv.h"

/*
 * The directory relative paths of the project start from: the config
 * file's when the value comes from it (found upward, like git's), else the
 * current directory.
 */
static char *
project_base(const struct vc_config *cfg, const struct vc_envdef *env,
    int from_setting)
{
	char cwd[PATH_MAX];

	if (from_setting &&
	    cfg->origin_kind[VC_S_INSTALL_PROJECT] == VC_ORIGIN_FILE &&
	    cfg->file != NULL) {
		char *dir = vc_path_dirname(cfg->file), *abs;

		if (*dir == '/' || getcwd(cwd, sizeof cwd) == NULL)
			return dir;
		abs = strcmp(dir, ".") == 0 ? xstrdup(cwd)
		                            : vc_path_join(cwd, dir);
		free(dir);
		return abs;
	}
	/* An [env NAME] of the config: its directory. A tox environment's
	 * project is the current directory's, as tox runs (README). */
	if (!from_setting && env->file != NULL && env->basedir != NULL &&
	    cfg->file != NULL && strcmp(env->file, cfg->file) == 0)
		return xstrdup(env->basedir);
	return xstrdup(getcwd(cwd, sizeof cwd) != NULL ? cwd : ".");
}

/*
 * The project setting: "no", "yes" (the config's directory, or the current
 * one) or a path. An env's own install-project key wins over the config
 * file's setting, --install-project and VENVCACHE_INSTALL_PROJECT over
 * both; the key's "yes" is the env's directory (its config's).
 */
static char *
project_path(const struct vc_config *cfg, const struct vc_envdef *env,
    const struct vc_reqset *reqs)
{
	const char *v = vc_config_str(cfg, VC_S_INSTALL_PROJECT);
	enum vc_origin_kind o = cfg->origin_kind[VC_S_INSTALL_PROJECT];
	int own = env->install_project != NULL &&
	    (o == VC_ORIGIN_DEFAULT || o == VC_ORIGIN_FILE);
	char *base, *p;

	if (own)
		v = env->install_project;

	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0) {
		/* "-e .[extras]": "." of a config's env is its directory. */
		if (reqs->project == NULL)
			return NULL;
		base = project_base(cfg, env, 0);
		p = xasprintf("%s%s", base, reqs->project + 1);
		free(base);
		return p;
	}
	base = own ? project_base(cfg, env, 0) : project_base(cfg, env, 1);
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		return base;
	p = vc_path_join(base, v);
	free(base);
	return p;
}

/*
 * The project's dependencies and build requirements join the set: keyed,
 * resolved, installed at creation and packed, so that a restore needs
 * only the project itself.
 */
static int
add_project(struct vc_plan *p, const struct vc_config *cfg, int flags,
    struct vc_error *err)
{
	struct vc_project_reqs pr;
	size_t i, j;
	int rc = -1;

	vc_project_reqs_init(&pr);
	if (vc_project_requirements(cfg, &p->interp, p->project,
	        flags & VC_PLAN_REFRESH, &pr, err) == -1)
		goto out;
	for (i = 0; i < pr.n; i++) {
		struct vc_buf text;

		if (pr.groups[i].lines.n == 0)
			continue;
		vc_buf_init(&text);
		for (j = 0; j < pr.groups[i].lines.n; j++) {
			vc_buf_addf(&text, "%s\n", pr.groups[i].lines.v[j]);
			vc_strv_pushf(&p->project_lines, "%s  (%s)",
			    pr.groups[i].lines.v[j], pr.groups[i].origin);
		}
		j = vc_reqset_add_text(&p->reqs, text.data, pr.groups[i].origin,
		        NULL, pr.dir, 0, err) == -1;
		vc_buf_release(&text);
		if (j)
			goto out;
	}
	rc = 0;
out:
	vc_project_reqs_release(&pr);
	return rc;
}

/*
 * The offline key of an env that installs a project: the content of the
 * project's pyproject.toml, setup.py and setup.cfg joins the document
 * ("project-file NAME XXH3-128", or "absent"), and the selected extras
 * ("project-extras"), and the key takes the new hash. Its requirements are
 * not read: dynamic ones need the build backend (docs/key.md).
 */
static int
offline_project(struct vc_key *k, const char *spec, struct vc_error *err)
{
	static const char *const files[] = {"pyproject.toml", "setup.py",
	    "setup.cfg"};
	const char *br = strchr(spec, '[');
	char *dir =
	    br != NULL ? xstrndup(spec, (size_t)(br - spec)) : xstrdup(spec);
	XXH128_canonical_t canon;
	struct vc_buf doc, content;
	size_t i, n;
	int rc = -1;

	vc_buf_init(&doc);
	vc_buf_adds(&doc, k->document);
	vc_buf_addf(&doc, "project-extras %s\n", br != NULL ? br : "");
	for (i = 0; i < sizeof files / sizeof *files; i++) {
		char *path = vc_path_join(dir, files[i]);

		vc_buf_init(&content);
		if (access(path, F_OK) == -1) {
			vc_buf_addf(&doc, "project-file %s absent\n", files[i]);
		} else if (vc_read_file(path, 16u << 20, &content, err) == -1) {
			free(path);
			vc_buf_release(&content);
			goto out;
		} else {
			XXH128_canonicalFromHash(&canon,
			    XXH3_128bits(content.data, content.len));
			vc_buf_addf(&doc, "project-file %s ", files[i]);
			for (n = 0; n < sizeof canon.digest; n++)
				vc_buf_addf(&doc, "%02x", canon.digest[n]);
			vc_buf_addc(&doc, '\n');
		}
		vc_buf_release(&content);
		free(path);
	}
	XXH128_canonicalFromHash(&canon, XXH3_128bits(doc.data, doc.len));
	for (n = 0; n < sizeof canon.digest; n++)
		snprintf(k->hash + 2 * n, 3, "%02x", canon.digest[n]);
	n = strlen(k->key);
	memcpy(k->key + n - 32, k->hash, 32);
	free(k->document);
	k->document = vc_buf_detach(&doc);
	rc = 0;
out:
	vc_buf_release(&doc);
	free(dir);
	return rc;
}

/* An interpreter that does not work: the error names where it was set. */
static int
python_error(const struct vc_config *cfg, const struct vc_envdef *env,
    const char *python, struct vc_error *err)
{
	if (python != NULL && env->python != NULL && env->file != NULL &&
	    env->python_line != 0 && strcmp(python, env->python) == 0)
		return vc_error_prefix(err, "%s:%u: [env %s] python", env->file,
		    env->python_line, env->name);
	if (python != NULL && cfg->origin_kind[VC_S_PYTHON] == VC_ORIGIN_FILE &&
	    strcmp(python, vc_config_str(cfg, VC_S_PYTHON)) == 0)
		return vc_error_prefix(err, "%s: python (env %s)",
		    cfg->origin[VC_S_PYTHON], env->name);
	return vc_error_prefix(err, "env %s", env->name);
}

int
vc_plan_init(struct vc_plan *p, const struct vc_config *cfg,
    const struct vc_envdef *env, const char *python, int flags,
    struct vc_error *err)
{
	memset(p, 0, sizeof *p);
	p->env = env;
	vc_reqset_init(&p->reqs);
	vc_strv_init(&p->resolved);
	vc_strv_init(&p->project_lines);
	vc_key_init(&p->key);
	vc_key_init(&p->offline);
	vc_resolution_init(&p->resolution);
	p->path = vc_venv_path(cfg, env->name);
	if (vc_interp_probe(&p->interp, python,
	        vc_config_str(cfg, VC_S_CACHE_DIR), err) == -1) {
		p->no_interp = 1;
		return python_error(cfg, env, python, err);
	}
	if (vc_key_load_requirements(&p->reqs, env, err) == -1)
		return -1;
	p->project = project_path(cfg, env, &p->reqs);
	/*
	 * The offline key, before the project's requirements join the set:
	 * reading dynamic ones may need pip and the network. The project's
	 * files join its document instead (offline_project).
	 */
	if (vc_key_compute(&p->offline, cfg, env, &p->interp, &p->reqs, NULL,
	        err) == -1 ||
	    (p->project != NULL &&
	        offline_project(&p->offline, p->project, err) == -1))
		return vc_error_prefix(err, "env %s", env->name);
	if (flags & VC_PLAN_OFFLINE) {
		/* `key` is the offline key; the project is not read. */
		if (vc_key_compute(&p->key, cfg, env, &p->interp, &p->reqs,
		        NULL, err) == -1 ||
		    (p->project != NULL &&
		        offline_project(&p->key, p->project, err) == -1))
			return vc_error_prefix(err, "env %s", env->name);
		return 0;
	}
	if (p->project != NULL)
		vc_phase(VC_PHASE_RESOLVING);
	if (p->project != NULL && add_project(p, cfg, flags, err) == -1)
		return vc_error_prefix(err, "env %s: the project under test",
		    env->name);
	if ((flags & VC_PLAN_RESOLVE && p->reqs.n > 0) ||
	    vc_resolve_needed(cfg, &p->reqs)) {
		vc_phase(VC_PHASE_RESOLVING);
		if (vc_resolve(cfg, &p->interp, &p->reqs,
		        flags & VC_PLAN_REFRESH ? VC_RESOLVE_REFRESH : 0,
		        &p->resolution, err) == -1)
			return vc_error_prefix(err, "env %s", env->name);
		vc_resolution_key_lines(&p->resolution, &p->resolved);
		p->is_resolved = 1;
	}
	if (vc_key_compute(&p->key, cfg, env, &p->interp, &p->reqs,
	        p->is_resolved ? &p->resolved : NULL, err) == -1)
		return vc_error_prefix(err, "env %s", env->name);
	return 0;
}

void
vc_plan_release(struct vc_plan *p)
{
	vc_interp_release(&p->interp);
	vc_reqset_release(&p->reqs);
	vc_strv_release(&p->resolved);
	vc_resolution_release(&p->resolution);
	vc_key_release(&p->key);
	vc_key_release(&p->offline);
	free(p->path);
	free(p->project);
	vc_strv_release(&p->project_lines);
	memset(p, 0, sizeof *p);
}
