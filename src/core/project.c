/* project.c: the requirements the project under test brings into its env. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <xxhash.h>

#include "venvcache/log.h"
#include "venvcache/project.h"
#include "venvcache/req.h"
#include "venvcache/resolve.h"
#include "venvcache/toml.h"

#define PROJECT_CACHE_FORMAT 1
#define MAX_JSON (16u << 20)

void
vc_project_reqs_init(struct vc_project_reqs *r)
{
	memset(r, 0, sizeof *r);
	vc_strv_init(&r->extras);
}

void
vc_project_reqs_release(struct vc_project_reqs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->groups[i].origin);
		vc_strv_release(&r->groups[i].lines);
	}
	free(r->groups);
	free(r->dir);
	vc_strv_release(&r->extras);
	memset(r, 0, sizeof *r);
}

static struct vc_project_group *
add_group(struct vc_project_reqs *r, char *origin)
{
	struct vc_project_group *g;

	r->groups = xrealloc(r->groups, (r->n + 1) * sizeof *r->groups);
	g = &r->groups[r->n++];
	g->origin = origin;
	vc_strv_init(&g->lines);
	return g;
}

/* "/path[a,b]" -> "/path" and {a, b}, normalised. */
static void
split_spec(const char *spec, struct vc_project_reqs *r)
{
	size_t len = strlen(spec);
	const char *open = strrchr(spec, '[');

	if (len > 0 && spec[len - 1] == ']' && open != NULL) {
		const char *p = open + 1, *end = spec + len - 1;

		r->dir = xstrndup(spec, (size_t)(open - spec));
		while (p < end) {
			size_t n = strcspn(p, ",]");
			char *raw = xstrndup(p, n), *s = raw, *e;

			while (isspace((unsigned char)*s))
				s++;
			e = s + strlen(s);
			while (e > s && isspace((unsigned char)e[-1]))
				*--e = '\0';
			if (*s != '\0')
				vc_strv_take(&r->extras, vc_name_normalize(s));
			free(raw);
			p += n + (p[n] == ',');
		}
		vc_strv_sort_uniq(&r->extras);
	} else {
		r->dir = xstrdup(spec);
	}
	while (strlen(r->dir) > 1 && vc_str_endswith(r->dir, "/"))
		r->dir[strlen(r->dir) - 1] = '\0';
}

/* Checks that `arr` (key `what` of `file`) is an array of strings; appends
 * them to `out` unless it is NULL. */
static int
strings(json_t *arr, const char *file, const char *what, struct vc_strv *out,
    struct vc_error *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return vc_error_set(err, VC_EFAIL,
		    "%s: %s is not an array of strings", file, what);
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			return vc_error_set(err, VC_EFAIL,
			    "%s: %s[%zu] is not a string", file, what, i);
	}
	json_array_foreach(arr, i, v)
	{
		if (out != NULL)
			vc_strv_push(out, json_string_value(v));
	}
	return 0;
}

/* Appends a TOML array of strings to a new group; error names `what`. */
static int
add_array(struct vc_project_reqs *r, json_t *arr, const char *file,
    const char *what, struct vc_error *err)
{
	struct vc_project_group *g;
	size_t i;
	json_t *v;

	if (strings(arr, file, what, NULL, err) == -1)
		return -1;
	g = add_group(r, xasprintf("%s %s", file, what));
	json_array_foreach(arr, i, v)
	    vc_strv_push(&g->lines, json_string_value(v));
	return 0;
}

/* Whether the [project] dynamic array holds `field`. */
static int
is_dynamic(json_t *project, const char *field)
{
	json_t *dyn = json_object_get(project, "dynamic"), *v;
	size_t i;

	json_array_foreach(dyn, i, v)
	{
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), field) == 0)
			return 1;
	}
	return 0;
}

/* --- Requires-Dist markers ----------------------------------------- */

static const char *
skip_ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/*
 * Reads `extra == "x"` (either quote) at p; sets *name (normalised) and
 * returns the end, or NULL.
 */
static const char *
extra_clause(const char *p, char **name)
{
	char q;
	const char *s;

	p = skip_ws(p);
	if (strncmp(p, "extra", 5) != 0)
		return NULL;
	p = skip_ws(p + 5);
	if (strncmp(p, "==", 2) != 0)
		return NULL;
	p = skip_ws(p + 2);
	if (*p != '"' && *p != '\'')
		return NULL;
	q = *p++;
	s = p;
	while (*p != '\0' && *p != q)
		p++;
	if (*p != q)
		return NULL;
	{
		char *raw = xstrndup(s, (size_t)(p - s));

		*name = vc_name_normalize(raw);
		free(raw);
	}
	return skip_ws(p + 1);
}

/* Whether `w` occurs in `s` as the word `extra` (not part of a name). */
static int
mentions_extra(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "extra")) != NULL) {
		int before = p == s ||
		    !(isalnum((unsigned char)p[-1]) || p[-1] == '_' ||
		        p[-1] == '.');
		int after = !(
		    isalnum((unsigned char)p[5]) || p[5] == '_' || p[5] == '.');

		if (before && after)
			return 1;
		p += 5;
	}
	return 0;
}

int
vc_project_select_line(const char *rd, const struct vc_strv *extras, char **out,
    struct vc_error *err)
{
	const char *semi = strchr(rd, ';'), *m, *tail;
	char *req = NULL, *rest = NULL, *name = NULL;
	int rc = -1;

	*out = NULL;
	if (semi == NULL || !mentions_extra(semi + 1)) {
		*out = xstrdup(rd);
		return 0;
	}
	req = xstrndup(rd, (size_t)(semi - rd));
	m = skip_ws(semi + 1);
	/* `extra == "x"` alone. */
	if ((tail = extra_clause(m, &name)) != NULL && *tail == '\0') {
		if (vc_strv_contains(extras, name))
			*out = xstrdup(req);
		rc = 0;
		goto out;
	}
	free(name);
	name = NULL;
	/* `<marker> and extra == "x"`, as setuptools and flit write it. */
	{
		const char *a = NULL, *p = m;

		while ((p = strstr(p, " and ")) != NULL) {
			a = p;
			p += 5;
		}
		if (a != NULL && (tail = extra_clause(a + 5, &name)) != NULL &&
		    *tail == '\0') {
			rest = xstrndup(m, (size_t)(a - m));
			if (!mentions_extra(rest)) {
				if (vc_strv_contains(extras, name))
					*out = xasprintf("%s; %s", req, rest);
				rc = 0;
				goto out;
			}
		}
	}
	vc_error_set(err, VC_EFAIL,
	    "cannot read the extra in the marker of '%s' (only `extra == "
	    "\"x\"` and `... and extra == \"x\"` are read)",
	    rd);
out:
	free(req);
	free(rest);
	free(name);
	return rc;
}

/* --- dynamic metadata, cached -------------------------------------- */

/* What the backend's answer depends on; its hash names the cache file. */
static char *
cache_name(const struct vc_config *cfg, const struct vc_interp *in,
    const struct vc_project_reqs *r)
{
	static const char *const files[] = {"pyproject.toml", "setup.py",
	    "setup.cfg", NULL};
	XXH3_state_t *st = XXH3_createState();
	XXH128_hash_t h;
	struct vc_buf b;
	size_t i;
	char *dir, *name;

	XXH3_128bits_reset(st);
	vc_buf_init(&b);
	vc_buf_addf(&b, "venvcache-project %d\npython %s\nversion %s\n",
	    PROJECT_CACHE_FORMAT, in->executable, in->version);
	XXH3_128bits_update(st, b.data, b.len);
	for (i = 0; files[i] != NULL; i++) {
		struct vc_buf f;
		struct vc_error e;
		char *path = vc_path_join(r->dir, files[i]);

		vc_buf_init(&f);
		vc_buf_reset(&b);
		if (vc_read_file(path, MAX_JSON, &f, &e) == 0) {
			vc_buf_addf(&b, "\nfile %s %zu\n", files[i], f.len);
			XXH3_128bits_update(st, b.data, b.len);
			XXH3_128bits_update(st, f.data, f.len);
		}
		vc_buf_release(&f);
		free(path);
	}
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	vc_buf_release(&b);
	dir = vc_path_join(vc_config_str(cfg, VC_S_CACHE_DIR), "project");
	name = xasprintf("%s/%016llx%016llx.json", dir,
	    (unsigned long long)h.high64, (unsigned long long)h.low64);
	free(dir);
	return name;
}

/* The cache file's Requires-Dist lines: data, checked as such. */
static int
cache_read(const char *path, struct vc_strv *lines)
{
	struct vc_buf b;
	struct vc_error e;
	json_t *root = NULL, *rd, *v;
	size_t i;
	int rc = -1;

	vc_buf_init(&b);
	if (vc_read_file(path, MAX_JSON, &b, &e) == -1)
		goto out;
	root = json_loadb(b.data, b.len, 0, NULL);
	rd = json_object_get(root, "requires_dist");
	if (!json_is_integer(json_object_get(root, "format")) ||
	    json_integer_value(json_object_get(root, "format")) !=
	        PROJECT_CACHE_FORMAT ||
	    !json_is_array(rd))
		goto out;
	json_array_foreach(rd, i, v)
	{
		const char *l = json_string_value(v), *at;

		if (!json_is_string(v))
			goto out;
		/* The store can be written by others: a direct reference
		 * ("x @ URL") from it would have pip fetch and build what it
		 * names. The backend is asked again. */
		at = strchr(l, '@');
		if (at != NULL && at < l + strcspn(l, ";")) {
			vc_debug("'%s': '%s' is a direct reference: asking the "
			         "build backend again",
			    path, l);
			json_decref(root);
			vc_buf_release(&b);
			return -1;
		}
	}
	json_array_foreach(rd, i, v) vc_strv_push(lines, json_string_value(v));
	rc = 0;
out:
	if (rc == -1 && root != NULL)
		vc_warn("ignoring '%s': not a cached project metadata", path);
	json_decref(root);
	vc_buf_release(&b);
	return rc;
}

static void
cache_write(const char *path, const struct vc_strv *lines)
{
	json_t *root = json_object(), *arr = json_array();
	struct vc_error e;
	char *dir, *text;
	size_t i;

	for (i = 0; i < lines->n; i++)
		json_array_append_new(arr, json_string(lines->v[i]));
	json_object_set_new(root, "format", json_integer(PROJECT_CACHE_FORMAT));
	json_object_set_new(root, "requires_dist", arr);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	if (text == NULL || vc_mkdir_p(dir, 0755, &e) == -1 ||
	    vc_write_file_atomic(path, text, strlen(text), 0644, &e) == -1)
		vc_warn("cannot cache the project's metadata: %s",
		    text == NULL ? "cannot encode it" : e.msg);
	free(dir);
	free(text);
}

/* Requires-Dist of the project, from the cache or its build backend. */
static int
dynamic_requires(const struct vc_config *cfg, const struct vc_interp *in,
    int refresh, const struct vc_build_system *bs, struct vc_project_reqs *r,
    struct vc_strv *rd, struct vc_error *err)
{
	char *path = cache_name(cfg, in, r);
	struct vc_buf report;
	json_t *root = NULL, *item, *list, *v;
	size_t i;
	int rc = -1;

	vc_buf_init(&report);
	if (!refresh && cache_read(path, rd) == 0) {
		r->dynamic_cached = 1;
		rc = 0;
		goto out;
	}
	if (vc_resolve_project_metadata(cfg, in, r->dir, bs, &report, err) ==
	    -1)
		goto out;
	root = json_loadb(report.data, report.len, 0, NULL);
	item = json_array_get(json_object_get(root, "install"), 0);
	list =
	    json_object_get(json_object_get(item, "metadata"), "requires_dist");
	if (item == NULL) {
		vc_error_set(err, VC_EFAIL,
		    "pip's report on the project '%s' lists no install",
		    r->dir);
		goto out;
	}
	json_array_foreach(list, i, v)
	{
		if (json_is_string(v))
			vc_strv_push(rd, json_string_value(v));
	}
	cache_write(path, rd);
	rc = 0;
out:
	json_decref(root);
	vc_buf_release(&report);
	free(path);
	return rc;
}

/* --- reading a project --------------------------------------------- */

int
vc_project_requirements(const struct vc_config *cfg, const struct vc_interp *in,
    const char *spec, int refresh, struct vc_project_reqs *r,
    struct vc_error *err)
{
	char *pyproject = NULL;
	json_t *doc = NULL, *bs, *proj, *opt;
	struct vc_strv rd, breq, bpath;
	struct vc_build_system build = {&breq, &bpath, NULL};
	size_t i;
	int rc = -1, dynamic;

	vc_strv_init(&rd);
	vc_strv_init(&breq);
	vc_strv_init(&bpath);
	split_spec(spec, r);
	pyproject = vc_path_join(r->dir, "pyproject.toml");
	if (access(pyproject, F_OK) == 0) {
		if ((doc = vc_toml_load(pyproject, err)) == NULL)
			goto out;
	} else if (errno != ENOENT) {
		vc_error_sys(err, "cannot read '%s'", pyproject);
		goto out;
	}
	if (doc == NULL) {
		char *setup = vc_path_join(r->dir, "setup.py");
		int has_setup = access(setup, F_OK) == 0;

		free(setup);
		if (!has_setup) {
			/* Not a project (yet): nothing to add; pip says why
			 * when warm installs it. */
			rc = 0;
			goto out;
		}
	}
	bs = json_object_get(doc, "build-system");
	if (bs != NULL && json_object_get(bs, "requires") == NULL) {
		/* What pip says too. */
		vc_error_set(err, VC_EFAIL,
		    "%s: [build-system] has no 'requires'", pyproject);
		goto out;
	}
	if (bs != NULL) {
		if (add_array(r, json_object_get(bs, "requires"), pyproject,
		        "[build-system] requires", err) == -1)
			goto out;
	} else {
		struct vc_project_group *g = add_group(r,
		    xasprintf("%s: no [build-system] (pip's default)",
		        doc != NULL ? pyproject : r->dir));

		vc_strv_push(&g->lines, "setuptools>=40.8.0");
		vc_strv_push(&g->lines, "wheel");
	}
	/* What the backend is asked with, when it must be asked. */
	for (i = 0; i < r->groups[r->n - 1].lines.n; i++)
		vc_strv_push(&breq, r->groups[r->n - 1].lines.v[i]);
	if (bs != NULL) {
		json_t *b = json_object_get(bs, "build-backend");

		if (b != NULL && !json_is_string(b)) {
			vc_error_set(err, VC_EFAIL,
			    "%s: [build-system] build-backend is not a string",
			    pyproject);
			goto out;
		}
		build.backend = json_string_value(b);
		if (json_object_get(bs, "backend-path") != NULL &&
		    strings(json_object_get(bs, "backend-path"), pyproject,
		        "[build-system] backend-path", &bpath, err) == -1)
			goto out;
	}
	proj = json_object_get(doc, "project");
	dynamic = proj == NULL || is_dynamic(proj, "dependencies") ||
	    (r->extras.n > 0 && is_dynamic(proj, "optional-dependencies"));
	if (!dynamic) {
		if (json_object_get(proj, "dependencies") != NULL &&
		    add_array(r, json_object_get(proj, "dependencies"),
		        pyproject, "[project] dependencies", err) == -1)
			goto out;
		opt = json_object_get(proj, "optional-dependencies");
		for (i = 0; i < r->extras.n; i++) {
			const char *k;
			json_t *v, *found = NULL;
			char *what;
			int rc2;

			json_object_foreach(opt, k, v)
			{
				char *n = vc_name_normalize(k);

				if (strcmp(n, r->extras.v[i]) == 0)
					found = v;
				free(n);
			}
			if (found == NULL) {
				vc_warn("%s: the project has no extra '%s'",
				    pyproject, r->extras.v[i]);
				continue;
			}
			what = xasprintf("[project.optional-dependencies] %s",
			    r->extras.v[i]);
			rc2 = add_array(r, found, pyproject, what, err);
			free(what);
			if (rc2 == -1)
				goto out;
		}
	} else {
		struct vc_project_group *g;

		if (dynamic_requires(cfg, in, refresh, &build, r, &rd, err) ==
		    -1)
			goto out;
		g = add_group(r,
		    xasprintf("%s: the build backend's Requires-Dist%s", r->dir,
		        r->dynamic_cached ? " (cached)" : ""));
		for (i = 0; i < rd.n; i++) {
			char *line;

			if (vc_project_select_line(rd.v[i], &r->extras, &line,
			        err) == -1) {
				vc_error_prefix(err, "%s", r->dir);
				goto out;
			}
			if (line != NULL)
				vc_strv_take(&g->lines, line);
		}
	}
	rc = 0;
out:
	json_decref(doc);
	free(pyproject);
	vc_strv_release(&breq);
	vc_strv_release(&bpath);
	vc_strv_release(&rd);
	return rc;
}
