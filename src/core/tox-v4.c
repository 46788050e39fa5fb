/*
 * tox-v4.c: what tox 4 (4.67) reads differently from tox 3, for what
 * decides what gets installed: base_python from factors
 * (tox/tox_env/python/api.py), package and its mapping of usedevelop,
 * skip_install and [tox] no_package (tox_env/python/runner.py),
 * dependency_groups (tox_env/python/dependency_groups.py), the
 * environments made from factor conditions (config/source/ini.py), and
 * warnings for the settings that change installs that venvcache does not
 * read. The value syntax (comments, empty values) is in tox-ini.c and
 * tox-subst.c.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tox-int.h"
#include "venvcache/toml.h"

#define MAX_GROUP_DEPTH 64 /* include-group nesting */

/* --- base_python -------------------------------------------------------- */

/* A Python spec as virtualenv's PythonSpec reads the ones tox names. */
struct spec {
	char impl[16]; /* "" for any (py, python, cpython) */
	int major, minor, threaded;
};

/* 1 when `s` is [impl][MAJOR[.]MINOR][t], impl letters only. */
static int
parse_spec(const char *s, struct spec *sp)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"), d;
	const char *v = s + n;

	memset(sp, 0, sizeof *sp);
	sp->major = sp->minor = -1;
	if (n >= sizeof sp->impl)
		return 0;
	if (!(n == 0 || (n == 2 && strncmp(s, "py", 2) == 0) ||
	        (n == 6 && strncmp(s, "python", 6) == 0) ||
	        (n == 7 && strncmp(s, "cpython", 7) == 0)))
		memcpy(sp->impl, s, n);
	if (*v == '\0')
		return n > 0 && strcmp(s, "py") != 0;
	if (*v < '2' || *v > '9')
		return 0;
	sp->major = *v++ - '0';
	if (*v == '.')
		v++;
	d = strspn(v, "0123456789");
	if (d > 2 || (d == 0 && v[-1] == '.'))
		return 0;
	if (d > 0)
		sp->minor = atoi(v);
	v += d;
	if (*v == 't') {
		sp->threaded = 1;
		v++;
	}
	return *v == '\0';
}

char *
tox_spec_command(const char *spec)
{
	struct spec sp;
	struct vc_buf b;

	if (!parse_spec(spec, &sp))
		return NULL;
	vc_buf_init(&b);
	vc_buf_adds(&b, sp.impl[0] != '\0' ? sp.impl : "python");
	if (sp.major >= 0)
		vc_buf_addf(&b, "%d", sp.major);
	if (sp.minor >= 0)
		vc_buf_addf(&b, ".%d", sp.minor);
	if (sp.threaded)
		vc_buf_addc(&b, 't');
	return vc_buf_detach(&b);
}

/* PY_FACTORS_RE: (py|pypy|cpython|jython|graalpy|rustpython|ironpython)
 * and an optional [2-9]\.?[0-9]?[0-9]? t? d?, not "py" alone. */
static int
py_factor4(const char *f, size_t n)
{
	static const char *const impl[] = {"pypy", "cpython", "jython",
	    "graalpy", "rustpython", "ironpython", "py"};
	size_t i, k;

	for (i = 0; i < VC_ARRAY_SIZE(impl); i++) {
		k = strlen(impl[i]);
		if (n >= k && strncmp(f, impl[i], k) == 0)
			break;
	}
	if (i == VC_ARRAY_SIZE(impl) || (n == 2 && i == 6))
		return 0;
	if (k == n)
		return 1;
	if (f[k] < '2' || f[k] > '9')
		return 0;
	k++;
	if (k < n && f[k] == '.')
		k++;
	for (i = 0; i < 2 && k < n && isdigit((unsigned char)f[k]); i++)
		k++;
	if (k < n && f[k] == 't')
		k++;
	if (k < n && f[k] == 'd')
		k++;
	return k == n;
}

/* PY_FACTORS_RE_EXPLICIT_VERSION: ((cpython|pypy)-)?[23]\.[0-9]+t?d?;
 * the spec it names ("3.12", "pypy3.10"), or NULL. */
static char *
explicit_version(const char *f, size_t n)
{
	const char *p = f, *end = f + n, *v;
	int pypy = 0;

	if (n > 8 && strncmp(f, "cpython-", 8) == 0)
		p += 8;
	else if (n > 5 && strncmp(f, "pypy-", 5) == 0) {
		p += 5;
		pypy = 1;
	}
	v = p;
	if (end - p < 3 || (*p != '2' && *p != '3') || p[1] != '.' ||
	    !isdigit((unsigned char)p[2]))
		return NULL;
	for (p += 2; p < end && isdigit((unsigned char)*p); p++)
		;
	if (p < end && *p == 't')
		p++;
	if (p < end && *p == 'd')
		p++;
	if (p != end)
		return NULL;
	return xasprintf("%s%.*s", pypy ? "pypy" : "", (int)(end - v), v);
}

/* Python.extract_base_python: the spec the name's factors give, NULL if
 * none; more than one is tox 4's "conflicting factors". */
static int
name_spec(struct rd *rd, const char *name, unsigned line, char **out)
{
	struct vc_strv c;
	const char *p = name;
	char *x;
	int rc = 0;

	*out = NULL;
	vc_strv_init(&c);
	if ((x = explicit_version(name, strlen(name))) != NULL)
		vc_strv_take(&c, x);
	else {
		for (;;) {
			size_t len = strcspn(p, "-");

			if (py_factor4(p, len))
				vc_strv_take(&c, xstrndup(p, len));
			else if ((x = explicit_version(p, len)) != NULL)
				vc_strv_take(&c, x);
			if (p[len] == '\0')
				break;
			p += len + 1;
		}
	}
	if (c.n > 1) {
		struct vc_buf b;
		size_t i;

		vc_buf_init(&b);
		for (i = 0; i < c.n; i++)
			vc_buf_addf(&b, "%s%s", i ? ", " : "", c.v[i]);
		rd->what = "base_python";
		rc = tox_rfail(rd, line,
		    "conflicting factors %s in %s: tox 4 refuses this file "
		    "(set tox-version = 3 to read it as tox 3 did)",
		    b.data, name);
		vc_buf_release(&b);
	} else if (c.n == 1) {
		*out = c.v[0];
		c.v[0] = NULL;
		c.n = 0;
	}
	vc_strv_release(&c);
	return rc;
}

/* Whether the explicit base python `base` conflicts with the factor's
 * spec: each field the factor's spec has must match. */
static int
conflicts(const char *factor, const char *base)
{
	struct spec f, b;

	if (!parse_spec(factor, &f) || !parse_spec(base, &b))
		return 0; /* a path or a name: tox asks the interpreter */
	if (f.impl[0] != '\0' && strcmp(f.impl, b.impl) != 0)
		return 1;
	return (f.major >= 0 && f.major != b.major) ||
	    (f.minor >= 0 && f.minor != b.minor) || (f.threaded && !b.threaded);
}

int
tox_basepython4_of(struct rd *rd, struct vc_tox_env *e,
    const struct vc_strv *vals, const unsigned *lines, unsigned line)
{
	char *factor = NULL;
	const char *val = NULL;
	size_t i;
	int rc = -1;

	rd->what = "base_python";
	if (name_spec(rd, e->name, line, &factor) == -1)
		goto out;
	for (i = 0; vals != NULL && i < vals->n; i++) {
		if (*vals->v[i] == '\0') {
			tox_rfail(rd, lines[i],
			    "base_python for env %s is empty", e->name);
			goto out;
		}
		if (factor != NULL && conflicts(factor, vals->v[i])) {
			if (!rd->t->ignore_conflict) {
				tox_rfail(rd, lines[i],
				    "env name %s conflicting with base python "
				    "%s",
				    e->name, vals->v[i]);
				goto out;
			}
			val = NULL;
			break;
		}
		if (i == 0)
			val = vals->v[0];
	}
	if (val != NULL) {
		e->basepython = tox_spec_command(val);
		if (e->basepython == NULL)
			e->basepython = xstrdup(val);
	} else if (factor != NULL) {
		e->basepython = tox_spec_command(factor);
	}
	if (rd->env != NULL) {
		rd->env->have[A_BASEPYTHON] = 1;
		rd->env->attr[A_BASEPYTHON] =
		    e->basepython != NULL ? xstrdup(e->basepython) : NULL;
	}
	rc = 0;
out:
	free(factor);
	return rc;
}

int
tox_basepython4(struct rd *rd, struct vc_tox_env *e, unsigned line)
{
	struct tval v;
	struct vc_strv one;
	unsigned *lines = NULL;
	size_t li = 0;
	int found = 0, rc = -1;
	const char *key = "base_python";

	rd->what = "base_python";
	tval_init(&v, line);
	vc_strv_init(&one);
	if (tox_getstring(rd, key, NULL, 1, &v, &found, line) == -1)
		goto out;
	if (!found &&
	    tox_getstring(rd, "basepython", NULL, 1, &v, &found, line) == -1)
		goto out;
	if (found) {
		/* a list: tox checks each against the name and tries each;
		 * venvcache takes the first */
		const char *sep = strchr(v.b.data, '\n') ? "\n" : ",";
		const char *p = v.b.data;

		for (;;) {
			size_t len = strcspn(p, sep);
			char *x = tox_strip_n(p, len);

			if (*x != '\0' || one.n == 0) {
				vc_strv_take(&one, x);
				lines = xrealloc(lines, one.n * sizeof *lines);
				lines[one.n - 1] = v.lines[li < v.n ? li : 0];
			} else
				free(x);
			if (p[len] == '\0')
				break;
			li += *sep == '\n';
			p += len + 1;
		}
	}
	rc = tox_basepython4_of(rd, e, found ? &one : NULL, lines, line);
out:
	free(lines);
	vc_strv_release(&one);
	tval_release(&v);
	return rc;
}

/* --- package ------------------------------------------------------------ */

int
tox_package4_of(struct rd *rd, struct vc_tox_env *e, const char *val,
    unsigned line)
{
	static const char *const types[] = {"skip", "wheel", "sdist",
	    "sdist-wheel", "editable", "editable-legacy", "deps-only",
	    "external"};
	size_t i;

	if (rd->t->no_package || e->skip_install)
		e->package = xstrdup("skip");
	else if (e->usedevelop)
		e->package = xstrdup("editable");
	else {
		rd->what = "package";
		e->package = xstrdup(val != NULL ? val : "sdist");
		for (i = 0; i < VC_ARRAY_SIZE(types); i++)
			if (strcmp(e->package, types[i]) == 0)
				break;
		if (i == VC_ARRAY_SIZE(types))
			return tox_rfail(rd, line,
			    "invalid package config type %s requested, must be "
			    "one of skip, wheel, sdist, sdist-wheel, editable, "
			    "editable-legacy, deps-only, external",
			    e->package);
		if (i >= 6)
			return tox_rfail(rd, line,
			    "package = %s is not supported by venvcache (it "
			    "installs the project's own dependencies, or a "
			    "package built elsewhere)",
			    e->package);
	}
	e->install_project = strcmp(e->package, "skip") != 0;
	return 0;
}

int
tox_package4(struct rd *rd, struct vc_tox_env *e)
{
	struct tval v;
	char *val = NULL;
	int found = 0, rc = -1;

	tval_init(&v, e->line);
	if (!rd->t->no_package && !e->skip_install && !e->usedevelop) {
		rd->what = "package";
		if (tox_getstring(rd, "package", "sdist", 1, &v, &found,
		        e->line) == -1)
			goto out;
		val = tox_strip_n(v.b.data, v.b.len);
	}
	rc = tox_package4_of(rd, e, val, v.lines[0]);
out:
	free(val);
	tval_release(&v);
	return rc;
}

/* --- dependency groups (PEP 735) ----------------------------------------- */

/* packaging's canonicalize_name: lower case, runs of -_. as one '-'. */
static char *
canonical(const char *s)
{
	struct vc_buf b;

	vc_buf_init(&b);
	vc_buf_grow(&b, 0);
	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == '_' || *s == '.') {
			if (b.len == 0 || b.data[b.len - 1] != '-')
				vc_buf_addc(&b, '-');
		} else
			vc_buf_addc(&b, (char)tolower((unsigned char)*s));
	}
	return vc_buf_detach(&b);
}

/* The group whose canonical name is `name`, or NULL. */
static json_t *
find_group(json_t *groups, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach(groups, k, v)
	{
		char *c = canonical(k);
		int eq = strcmp(c, name) == 0;

		free(c);
		if (eq)
			return v;
	}
	return NULL;
}

struct groups_ctx {
	struct rd *rd;
	json_t *groups;
	const char *file;
	unsigned line;
	struct vc_strv *out;
	struct vc_strv stack;
};

static int
add_group(struct groups_ctx *g, const char *name)
{
	json_t *grp, *item;
	size_t i;
	int rc = -1;

	if (vc_strv_contains(&g->stack, name) || g->stack.n >= MAX_GROUP_DEPTH)
		return tox_rfail(g->rd, g->line,
		    "%s: cyclic dependency group include: '%s'", g->file, name);
	if ((grp = find_group(g->groups, name)) == NULL)
		return tox_rfail(g->rd, g->line,
		    "%s: dependency group '%s' not found", g->file, name);
	if (!json_is_array(grp))
		return tox_rfail(g->rd, g->line,
		    "%s: dependency group '%s' is not a list", g->file, name);
	vc_strv_push(&g->stack, name);
	json_array_foreach(grp, i, item)
	{
		json_t *inc = json_object_get(item, "include-group");

		if (json_is_string(item)) {
			if (!vc_strv_contains(g->out, json_string_value(item)))
				vc_strv_push(g->out, json_string_value(item));
		} else if (json_is_object(item) &&
		    json_object_size(item) == 1 && json_is_string(inc)) {
			char *c = canonical(json_string_value(inc));
			int r = add_group(g, c);

			free(c);
			if (r == -1)
				goto out;
		} else {
			tox_rfail(g->rd, g->line,
			    "%s: invalid dependency group item in '%s'",
			    g->file, name);
			goto out;
		}
	}
	rc = 0;
out:
	free(g->stack.v[--g->stack.n]);
	g->stack.v[g->stack.n] = NULL;
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
tox_groups4_of(struct rd *rd, struct vc_tox_env *e, const struct vc_strv *names,
    unsigned line)
{
	struct vc_error terr;
	struct groups_ctx g;
	json_t *doc = NULL;
	char *path = NULL;
	size_t i;
	int rc = -1;

	memset(&g, 0, sizeof g);
	vc_strv_init(&g.stack);
	if (names->n == 0)
		return 0;
	e->groups_line = line;
	path = vc_path_join(rd->t->out->dir, "pyproject.toml");
	rd->what = "dependency_groups";
	if ((doc = vc_toml_load(path, &terr)) == NULL) {
		tox_rfail(rd, e->groups_line, "%s", terr.msg);
		goto out;
	}
	g.rd = rd;
	g.groups = json_object_get(doc, "dependency-groups");
	g.file = "pyproject.toml";
	g.line = e->groups_line;
	g.out = &e->groups;
	if (!json_is_object(g.groups)) {
		tox_rfail(rd, e->groups_line,
		    "no dependency groups defined in %s", path);
		goto out;
	}
	for (i = 0; i < names->n; i++) {
		char *c = canonical(names->v[i]);
		int r = add_group(&g, c);

		free(c);
		if (r == -1)
			goto out;
	}
	qsort(e->groups.v, e->groups.n, sizeof *e->groups.v, cmp_str);
	rc = 0;
out:
	json_decref(doc);
	free(path);
	vc_strv_release(&g.stack);
	return rc;
}

int
tox_groups4(struct rd *rd, struct vc_tox_env *e)
{
	struct vc_strv names;
	unsigned *lines = NULL;
	int rc = -1;

	vc_strv_init(&names);
	if (tox_getlist(rd, "dependency_groups", &names, &lines, e->line) == -1)
		goto out;
	if (names.n == 1 && strchr(names.v[0], ',') != NULL) {
		/* one line: a comma separated list */
		char *one = names.v[0];
		const char *p = one;

		names.v[0] = NULL;
		names.n = 0;
		for (;;) {
			size_t len = strcspn(p, ",");
			char *s = tox_strip_n(p, len);

			if (*s != '\0')
				vc_strv_take(&names, s);
			else
				free(s);
			if (p[len] == '\0')
				break;
			p += len + 1;
		}
		free(one);
	}
	rc = tox_groups4_of(rd, e, &names, lines != NULL ? lines[0] : e->line);
out:
	free(lines);
	vc_strv_release(&names);
	return rc;
}

/* --- settings venvcache does not read ------------------------------------- */

/* Adds "file:LINE: msg" once per (key, line). */
static void
warn_once(struct rd *rd, const char *key, unsigned line, const char *msg)
{
	struct tox *t = rd->t;
	char *id = xasprintf("%s:%u", key, line);

	if (!vc_strv_contains(&t->warned, id)) {
		vc_strv_take(&t->warned, id);
		vc_strv_take(&t->out->warnings,
		    xasprintf("%s:%u: %s", t->name, line, msg));
	} else
		free(id);
}

/* The key's line in the env's section or [testenv], 0 if unset. */
static unsigned
key_line(struct rd *rd, const char *key)
{
	struct tox *t = rd->t;
	struct ini_key *k =
	    tox_find_key(t, tox_find_section(t, rd->section), key);

	if (k == NULL && rd->fallback)
		k = tox_find_key(t, tox_find_section(t, "testenv"), key);
	return k != NULL ? k->line : 0;
}

/* A set_env line of a PIP_ or UV_ variable that changes what is
 * installed (a cache directory or progress output does not). */
static int
installs_var(const char *ln)
{
	static const char *const inert[] = {"_CACHE_DIR", "_NO_PROGRESS",
	    "_PROGRESS_BAR", "_DISABLE_PIP_VERSION_CHECK", "_NO_INPUT",
	    "_NO_COLOR", "_LINK_MODE", "_VERBOSE", "_QUIET"};
	size_t n = strcspn(ln, "= \t"), i, k;

	if (strncmp(ln, "PIP_", 4) != 0 && strncmp(ln, "UV_", 3) != 0)
		return 0;
	for (i = 0; i < VC_ARRAY_SIZE(inert); i++) {
		k = strlen(inert[i]);
		if (n >= k && strncmp(ln + n - k, inert[i], k) == 0)
			return 0;
	}
	return 1;
}

int
tox_unread4(struct rd *rd, struct vc_tox_env *e)
{
	static const char *const plain[] = {"install_command", "uv_resolution",
	    "constraints", "pylock", "uv_seed", "pip_pre_install"};
	static const char *const cmds[] = {"commands_pre", "commands",
	    "extra_setup_commands"};
	static const char *const setenv[] = {"set_env", "setenv"};
	unsigned l;
	size_t i;
	char *msg;

	for (i = 0; i < VC_ARRAY_SIZE(plain); i++) {
		if ((l = key_line(rd, plain[i])) == 0)
			continue;
		msg = xasprintf("%s changes what tox installs; venvcache does "
		                "not read it",
		    plain[i]);
		warn_once(rd, plain[i], l, msg);
		free(msg);
	}
	for (i = 0; i < VC_ARRAY_SIZE(cmds) + VC_ARRAY_SIZE(setenv); i++) {
		int is_cmd = i < VC_ARRAY_SIZE(cmds);
		const char *key =
		    is_cmd ? cmds[i] : setenv[i - VC_ARRAY_SIZE(cmds)];
		struct tval v;
		int found;

		if (key_line(rd, key) == 0)
			continue;
		/* the raw lines that apply: no substitution is needed to
		 * see "pip install" or "PIP_"/"UV_" */
		tval_init(&v, e->line);
		rd->what = key;
		if (tox_getstring(rd, key, NULL, 0, &v, &found, e->line) ==
		    -1) {
			tval_release(&v);
			return -1;
		}
		{
			const char *s = v.b.data;
			size_t li = 0;

			for (; found; li++) {
				size_t len = strcspn(s, "\n");
				char *ln = tox_strip_n(s, len);
				int hit;

				if (is_cmd)
					hit =
					    strstr(ln, "pip install") != NULL ||
					    strstr(ln, "pip3 install") !=
					        NULL ||
					    strstr(ln, "uv pip install") !=
					        NULL;
				else
					hit = installs_var(ln);
				if (hit &&
				    (!is_cmd || strncmp(ln, "-", 1) != 0)) {
					size_t eq = strcspn(ln, "=");

					while (eq > 0 &&
					    isspace((unsigned char)ln[eq - 1]))
						eq--;

					msg = is_cmd
					    ? xasprintf(
					          "%s runs '%.60s': what it "
					          "installs is not in "
					          "venvcache's environment",
					          key, ln)
					    : xasprintf("%s: %.*s changes what "
					                "tox installs; "
					                "venvcache "
					                "does not read it",
					          key, (int)eq, ln);
					warn_once(rd, key, v.lines[li], msg);
					free(msg);
				}
				free(ln);
				if (s[len] == '\0')
					break;
				s += len + 1;
			}
		}
		tval_release(&v);
	}
	return 0;
}

/* --- environments made from factor conditions ----------------------------- */

/* find_factor_groups accepts it: white space only next to ',', '{', '}'
 * (a factor with a space fails _FACTOR_RE: the line has no condition). */
static int
conditionable(const char *a, const char *z)
{
	const char *p;

	for (p = a; p < z; p++) {
		const char *l = p, *r = p;

		if (!isspace((unsigned char)*p))
			continue;
		while (l > a && isspace((unsigned char)l[-1]))
			l--;
		while (r < z && isspace((unsigned char)*r))
			r++;
		if (!(l > a && strchr(",{}", l[-1]) != NULL) &&
		    !(r < z && strchr(",{}", *r) != NULL))
			return 0;
	}
	return 1;
}

/*
 * IniSource._discover_from_section: each condition of each value of
 * [tox], [testenv] and [testenv:...] names environments (its factors
 * joined by '-', '!' dropped); those with a factor that no environment
 * so far has are environments too.
 */
int
tox_factor_envs4(struct tox *t, unsigned line)
{
	struct ftab known;
	size_t i, j, k;
	int rc = -1;

	memset(&known, 0, sizeof known);
	for (i = 0; i < t->out->n; i++) {
		const char *p = t->out->envs[i].name;

		for (;;) {
			size_t len = strcspn(p, "-");

			tox_intern(&known, p, len);
			if (p[len] == '\0')
				break;
			p += len + 1;
		}
	}
	for (i = 0; i < t->nsecs; i++) {
		const struct ini_sec *s = &t->secs[i];
		const struct ini_body *b = &t->bodies[s->body];

		if (s->removed ||
		    !(strcmp(s->name, "tox") == 0 ||
		        strcmp(s->name, "testenv") == 0 ||
		        strncmp(s->name, "testenv:", 8) == 0))
			continue;
		for (j = 0; j < b->n; j++) {
			const struct tval *v = &b->keys[j].value;
			const char *p = v->b.data;
			size_t li = 0;

			for (;; li++) {
				size_t len = strcspn(p, "\n"), c;
				struct vc_strv envs;

				/* the first ':' followed by white space or
				 * the end of the line */
				for (c = 0; c < len; c++)
					if (p[c] == ':' &&
					    (c + 1 == len ||
					        isspace(
					            (unsigned char)p[c + 1])))
						break;
				vc_strv_init(&envs);
				if (c < len) {
					const char *a = p, *z = p + c;

					while (
					    a < z && isspace((unsigned char)*a))
						a++;
					while (z > a &&
					    isspace((unsigned char)z[-1]))
						z--;
					if (z > a && conditionable(a, z) &&
					    tox_expand_envstr(a,
					        (size_t)(z - a), &envs, NULL,
					        NULL) == -1)
						vc_strv_release(&envs);
				}
				for (k = 0; k < envs.n; k++) {
					struct vc_buf nm;
					const char *q = envs.v[k];
					int unknown = 0, valid = 1;

					vc_buf_init(&nm);
					vc_buf_grow(&nm, 0);
					for (;;) {
						size_t fl = strcspn(q, "-");
						size_t neg = *q == '!';
						size_t x;

						for (x = neg; x < fl; x++)
							if (!tox_word_char(
							        (unsigned char)
							            q[x]) &&
							    q[x] != '.')
								valid = 0;
						if (fl == neg)
							valid = 0;
						if (nm.len > 0)
							vc_buf_addc(&nm, '-');
						vc_buf_add(&nm, q + neg,
						    fl - neg);
						if (tox_ftab_find(&known,
						        q + neg, fl - neg) < 0)
							unknown = 1;
						if (q[fl] == '\0')
							break;
						q += fl + 1;
					}
					if (valid && unknown &&
					    tox_add_env(t, nm.data,
					        v->lines[li], 0) == NULL) {
						vc_buf_release(&nm);
						vc_strv_release(&envs);
						goto out;
					}
					vc_buf_release(&nm);
				}
				vc_strv_release(&envs);
				if (p[len] == '\0')
					break;
				p += len + 1;
			}
		}
	}
	rc = 0;
out:
	(void)line;
	tox_ftab_release(&known);
	return rc;
}
