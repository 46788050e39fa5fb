/*
 * tox.c: a tox.ini's environments, read as tox 3 (3.28) reads them
 * (tox/config/__init__.py, and the py.iniconfig it reads the file with),
 * for what decides what pip installs: see tox.h.
 *
 * The files (see tox-int.h), in the order tox applies their layers:
 *   - the file, read by inih through a reader that hands it one line at a
 *     time (as config.c does); where py.iniconfig's dialect differs from
 *     inih's (no inline comments, no line length limit, long names), the
 *     text of a value is taken from the raw line inih has just classified
 *     (read_line, on_value);
 *   - generative section names: [testenv:py{37,38}] is two sections;
 *   - values (SectionReader.getstring): factor conditions, substitutions,
 *     factor conditions again;
 *   - envlist (_split_env, _expand_envstr), the environments
 *     (_getallenvs), and the attributes venvcache needs, evaluated in
 *     tox's order so that {basepython} or {envdir} mean what they mean to
 *     tox.
 * Every value keeps the tox.ini line of each of its lines, through
 * factor conditions and substitutions, so that errors and dependencies
 * name tox.ini:LINE.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tox-int.h"
#include "venvcache/log.h"
#include "venvcache/toml.h"

/* --- basepython and deps as tox post-processes them ------------------- */

/*
 * The interpreter a factor names. tox 3's PY_FACTORS_RE:
 * (py|pypy|jython) and 1 to 3 digits: py37 -> python3.7, py310 ->
 * python3.10, pypy3 -> pypy3. `dotted` also takes pyX.Y[t] (tox 4's
 * spelling, which tox 3 leaves to the interpreter tox runs under).
 */
static char *
factor_python(const char *f, int dotted)
{
	static const char *const base[] = {"pypy", "jython", "py"};
	const char *d;
	size_t i, n;

	if (strcmp(f, "py") == 0)
		return NULL;
	for (i = 0; i < VC_ARRAY_SIZE(base); i++)
		if (strncmp(f, base[i], strlen(base[i])) == 0)
			break;
	if (i == VC_ARRAY_SIZE(base))
		return NULL;
	d = f + strlen(base[i]);
	n = strspn(d, "0123456789");
	if (n <= 3 && d[n] == '\0') {
		if (n > 0 && d[0] == '0')
			return NULL; /* [2-9] first */
		if (n == 0)
			return xasprintf("%s", i == 2 ? "python" : base[i]);
		if (d[0] < '2')
			return NULL;
		if (n == 1)
			return xasprintf("%s%c", i == 2 ? "python" : base[i],
			    d[0]);
		return xasprintf("%s%c.%s", i == 2 ? "python" : base[i], d[0],
		    d + 1);
	}
	if (dotted && n == 1 && d[0] >= '2' && d[1] == '.' &&
	    isdigit((unsigned char)d[2])) {
		size_t m = strspn(d + 2, "0123456789");

		if (d[2 + m] == '\0' ||
		    (d[2 + m] == 't' && d[3 + m] == '\0' && i == 2))
			return xasprintf("%s%s", i == 2 ? "python" : base[i],
			    d);
	}
	return NULL;
}

/* basepython_default. */
static int
basepython(struct rd *rd, struct vc_tox_env *e, unsigned line)
{
	struct tval v;
	char *implied = NULL, *any = NULL;
	const char *p = e->name;
	int found, rc = -1;

	rd->what = "basepython";
	tval_init(&v, line);
	/* the first factor (in the name's order) that names a python */
	for (;;) {
		size_t len = strcspn(p, "-");
		char *f = xstrndup(p, len);

		if (implied == NULL)
			implied = factor_python(f, 0);
		if (any == NULL)
			any = factor_python(f, 1);
		free(f);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (tox_getstring(rd, "basepython", NULL, 1, &v, &found, line) == -1)
		goto out;
	if (rd->t->ignore_conflict && implied != NULL) {
		e->basepython = implied;
		implied = NULL;
	} else if (found && v.b.len > 0) {
		if (strchr(v.b.data, '\n') != NULL) {
			tox_rfail(rd, v.lines[1],
			    "more than one value for this environment (lines "
			    "%u and %u)",
			    v.lines[0], v.lines[1]);
			goto out;
		}
		e->basepython = xstrdup(v.b.data);
	} else {
		/* unset, or empty once factor conditions are applied (tox 3
		 * would then try "" as an interpreter) */
		e->basepython = any;
		any = NULL;
	}
	rd->env->have[A_BASEPYTHON] = 1;
	rd->env->attr[A_BASEPYTHON] =
	    e->basepython != NULL ? xstrdup(e->basepython) : NULL;
	rc = 0;
out:
	free(implied);
	free(any);
	tval_release(&v);
	return rc;
}

/* pip's options that take a value, as tox 3 knows them (tox.PIP). */
static const char *const pip_short[] = {"-c", "-e", "-r", "-b", "-t", "-d"};
static const char *const pip_long[] = {"--build", "--cache-dir",
    "--client-cert", "--constraint", "--download", "--editable",
    "--exists-action", "--extra-index-url", "--global-option", "--find-links",
    "--index-url", "--install-options", "--prefix", "--proxy", "--no-binary",
    "--only-binary", "--requirement", "--retries", "--root", "--src",
    "--target", "--timeout", "--trusted-host", "--upgrade-strategy"};

/* DepOption.postprocess of one line. NULL after an error. */
static char *
dep_line(struct rd *rd, const char *line, unsigned lineno)
{
	char *name = NULL, *server = NULL, *tmp;
	const char *p;
	size_t i, cut;

	if (rd->t->v4) /* tox 4 keeps the line as written (PythonDeps) */
		return tox_strip_n(line, strlen(line));
	if (line[0] == ':') { /* ":server:dep" (re.match(r":(\w+):\s*(\S+)")) */
		for (p = line + 1; tox_word_char((unsigned char)*p); p++)
			;
		if (p > line + 1 && *p == ':') {
			const char *d = p + 1;

			while (tox_py_space((unsigned char)*d))
				d++;
			if (*d != '\0') {
				server =
				    xstrndup(line + 1, (size_t)(p - line - 1));
				for (p = d; *p != '\0' &&
				     !tox_py_space((unsigned char)*p);
				     p++)
					;
				name = xstrndup(d, (size_t)(p - d));
			}
		}
	}
	if (server != NULL) {
		if (strcmp(server, "default") != 0 &&
		    !vc_strv_contains(&rd->t->indexservers, server)) {
			tox_rfail(rd, lineno, "unknown index server '%s'",
			    server);
			goto fail;
		}
	} else {
		name = tox_strip_n(line, strlen(line));
		for (i = 0; i < VC_ARRAY_SIZE(pip_short); i++) {
			if (strncmp(name, pip_short[i], 2) == 0) {
				tmp = tox_strip_n(name + 2, strlen(name + 2));
				free(name);
				name = xasprintf("%s%s", pip_short[i], tmp);
				free(tmp);
			}
		}
		for (i = 0; i < VC_ARRAY_SIZE(pip_long); i++) {
			size_t n = strlen(pip_long[i]);

			if (strncmp(name, pip_long[i], n) == 0 &&
			    name[n] == ' ') {
				tmp = tox_strip_n(name + n, strlen(name + n));
				free(name);
				name = xasprintf("%s=%s", pip_long[i], tmp);
				free(tmp);
			}
		}
	}
	/* _cut_off_dep_comment: re.sub(r"\s+#.*", "", name).strip() */
	for (cut = 0; name[cut] != '\0'; cut++) {
		size_t w = cut;

		while (tox_py_space((unsigned char)name[w]))
			w++;
		if (w > cut && name[w] == '#')
			break;
	}
	tmp = tox_strip_n(name, cut);
	free(name);
	name = tmp;
	if (server != NULL && strcmp(server, "default") != 0) {
		tox_rfail(rd, lineno,
		    "':%s:%s': a dependency from index server '%s' is not "
		    "supported (venvcache installs every dependency from its "
		    "[mirror])",
		    server, name, server);
		goto fail;
	}
	free(server);
	return name;
fail:
	free(server);
	free(name);
	return NULL;
}

/* --- the environments ------------------------------------------------- */

static void
env_release(struct vc_tox_env *e)
{
	free(e->name);
	free(e->basepython);
	vc_strv_release(&e->deps);
	free(e->deps_lines);
	vc_strv_release(&e->extras);
	free(e->package);
	vc_strv_release(&e->groups);
	vc_strv_release(&e->labels);
}

static void
envctx_release(struct envctx *c)
{
	size_t i;

	for (i = 0; i < A__COUNT; i++)
		free(c->attr[i]);
	vc_strv_release(&c->def_names);
	vc_strv_release(&c->def_values);
	free(c->def_lines);
	vc_strv_release(&c->res_names);
	vc_strv_release(&c->res_values);
	vc_strv_release(&c->lookup);
}

/* make_envconfig, for the attributes venvcache needs. */
/*
 * tox 3 runs pip with the environment's setenv: an index set there is
 * where its deps come from, not venvcache's [mirror]. That is an error,
 * not silence. setenv is read (as tox reads it) only when its text could
 * name one, directly or through a {[section]key}.
 */
static int
pip_index_setenv(struct rd *rd, unsigned line)
{
	static const char *const vars[] = {"PIP_INDEX_URL",
	    "PIP_EXTRA_INDEX_URL"};
	struct envctx *env = rd->env;
	struct ini_key *k;
	ssize_t j;
	size_t i;

	k = tox_find_key(rd->t, tox_find_section(rd->t, rd->section), "setenv");
	if (k == NULL && rd->fallback)
		k = tox_find_key(rd->t, tox_find_section(rd->t, "testenv"),
		    "setenv");
	if (k == NULL ||
	    (strstr(k->value.b.data, "PIP_") == NULL &&
	        strstr(k->value.b.data, "{[") == NULL))
		return 0;
	if (!env->setenv_built && tox_build_setenv(rd, line) == -1)
		return -1;
	for (i = 0; i < VC_ARRAY_SIZE(vars); i++) {
		if ((j = tox_strv_find_last(&env->def_names, vars[i])) < 0)
			continue;
		rd->what = "setenv";
		return tox_rfail(rd, env->def_lines[j],
		    "%s: tox 3 would have pip install from this index; "
		    "venvcache installs from its own: set [mirror] %s (or "
		    "VENVCACHE_%s) instead",
		    vars[i], i == 0 ? "index-url" : "extra-index-url",
		    vars[i] + 4);
	}
	return 0;
}

/*
 * Counts `n` bytes an environment keeps (a dep, an extra, its
 * basepython) against MAX_OUT for the whole file: a value is copied into
 * every environment, so a 200 kB line and 4,000 environments were 800 MB.
 */
static int
count_out(struct tox *t, const struct vc_tox_env *e, size_t n, unsigned line)
{
	t->out_bytes += n + 1;
	if (t->out_bytes <= MAX_OUT)
		return 0;
	return tox_fail(t, line,
	    "env %s: the deps, extras and basepython of the environments "
	    "so far (%zu of %zu) come to more than %u MiB, venvcache's "
	    "limit for one tox.ini (each environment has its own copy of a "
	    "value)",
	    e->name, (size_t)(e - t->out->envs) + 1, t->out->n, MAX_OUT >> 20);
}

/* Whether the environment's section, or [testenv], sets `key`. */
static int
has_key(struct tox *t, const struct rd *rd, const char *key)
{
	return tox_find_key(t, tox_find_section(t, rd->section), key) != NULL ||
	    (rd->fallback &&
	        tox_find_key(t, tox_find_section(t, "testenv"), key) != NULL);
}

/*
 * A tox 4 set[str] (extras, labels): split at '\n' when the value has one,
 * else at ','; stripped, empty entries dropped; sorted and unique, as a
 * set has no order.
 */
static int
set4(struct rd *rd, const char *name, struct vc_strv *out, unsigned line)
{
	struct tval v;
	int found;
	const char *s;

	rd->what = name;
	tval_init(&v, line);
	if (tox_getstring(rd, name, NULL, 1, &v, &found, line) == -1) {
		tval_release(&v);
		return -1;
	}
	if (found) {
		char sep = strchr(v.b.data, '\n') != NULL ? '\n' : ',';

		for (s = v.b.data;;) {
			size_t len = strcspn(s, sep == '\n' ? "\n" : ",");
			char *x = tox_strip_n(s, len);

			if (*x != '\0')
				vc_strv_take(out, x);
			else
				free(x);
			if (s[len] == '\0')
				break;
			s += len + 1;
		}
		vc_strv_sort_uniq(out);
	}
	tval_release(&v);
	return 0;
}

static int
make_env(struct tox *t, struct vc_tox_env *e)
{
	struct envctx ctx;
	struct rd rd;
	unsigned *f = NULL;
	size_t nf, i, n;
	char *section = xasprintf("testenv:%s", e->name);
	int rc = -1;

	memset(&ctx, 0, sizeof ctx);
	ctx.name = e->name;
	tox_name_factors(&t->ft, e->name, &f, &nf);
	memset(&rd, 0, sizeof rd);
	rd.t = t;
	rd.section = section;
	rd.fallback = 1;
	rd.f = f;
	rd.nf = nf;
	rd.env = &ctx;
	rd.stage = A_BASEPYTHON;
	if ((t->v4 ? tox_basepython4(&rd, e, e->line)
	           : basepython(&rd, e, e->line)) == -1)
		goto out;
	rd.stage = A_SKIP_INSTALL;
	if (tox_getbool(&rd, "skip_install", 0, &e->skip_install, e->line) ==
	    -1)
		goto out;
	rd.stage = A_PIP_PRE;
	if (tox_getbool(&rd, "pip_pre", 0, &e->pip_pre, e->line) == -1)
		goto out;
	rd.stage = A_USEDEVELOP;
	if (tox_getbool(&rd,
	        t->v4 && has_key(t, &rd, "use_develop") ? "use_develop"
	                                                : "usedevelop",
	        0, &e->usedevelop, e->line) == -1)
		goto out;
	if (t->v4 &&
	    (tox_package4(&rd, e) == -1 || tox_groups4(&rd, e) == -1 ||
	        tox_getbool(&rd, "skip_missing_interpreters", t->skip_missing,
	            &e->skip_missing, e->line) == -1 ||
	        tox_unread4(&rd, e) == -1))
		goto out;
	rd.stage = A_DEPS;
	{
		struct vc_strv raw;
		unsigned *lines = NULL;

		vc_strv_init(&raw);
		if (tox_getlist(&rd, "deps", &raw, &lines, e->line) == -1) {
			vc_strv_release(&raw);
			free(lines);
			goto out;
		}
		rd.what = "deps";
		for (i = 0; lines != NULL && i < raw.n; i++) {
			char *d = dep_line(&rd, raw.v[i], lines[i]);

			if (d == NULL)
				break;
			e->deps_lines = xrealloc(e->deps_lines,
			    (e->deps.n + 1) * sizeof *e->deps_lines);
			e->deps_lines[e->deps.n] = lines[i];
			vc_strv_take(&e->deps, d);
			if (++t->ndeps > MAX_DEPS) {
				tox_fail(t, lines[i], TOO_MUCH_WORK);
				break;
			}
			if (count_out(t, e, strlen(d), lines[i]) == -1)
				break;
		}
		n = raw.n;
		vc_strv_release(&raw);
		free(lines);
		if (i < n)
			goto out;
	}
	rd.stage = A_EXTRAS;
	if ((t->v4 ? set4(&rd, "extras", &e->extras, e->line)
	           : tox_getlist(&rd, "extras", &e->extras, NULL, e->line)) ==
	    -1)
		goto out;
	for (i = 0; i < e->extras.n; i++)
		if (count_out(t, e, strlen(e->extras.v[i]), e->line) == -1)
			goto out;
	if (e->basepython != NULL &&
	    count_out(t, e, strlen(e->basepython), e->line) == -1)
		goto out;
	if (!t->v4 && pip_index_setenv(&rd, e->line) == -1)
		goto out;
	if (t->v4 && set4(&rd, "labels", &e->labels, e->line) == -1)
		goto out;
	rc = 0;
out:
	envctx_release(&ctx);
	free(rd.stk);
	free(f);
	free(section);
	return rc;
}

struct vc_tox_env *
tox_add_env(struct tox *t, const char *name, unsigned line, int in_envlist)
{
	struct vc_tox *o = t->out;
	struct vc_tox_env *e;
	size_t before = t->envnames.n;
	unsigned id = tox_intern(&t->envnames, name, strlen(name));

	t->envmap =
	    xgrow(t->envmap, &t->capenvmap, t->envnames.n, sizeof *t->envmap);
	if (t->envnames.n > before)
		t->envmap[id] = 0; /* a new name */
	if (t->envmap[id] != 0)
		return &o->envs[t->envmap[id] - 1];
	if (o->n >= MAX_ENVS) {
		tox_fail(t, line, "more than %d environments", MAX_ENVS);
		return NULL;
	}
	if (!vc_env_name_valid(name)) {
		tox_fail(t, line,
		    "environment '%s' cannot be a venvcache environment: a "
		    "name has at most 100 letters, digits, '.', '_', '+' and "
		    "'-'%s",
		    name,
		    strchr(name, '{') || strchr(name, '}')
		        ? " (tox 3 does not nest braces)"
		        : "");
		return NULL;
	}
	o->envs = xgrow(o->envs, &o->cap, o->n + 1, sizeof *o->envs);
	t->envmap[id] = o->n + 1;
	e = &o->envs[o->n++];
	memset(e, 0, sizeof *e);
	e->name = xstrdup(name);
	e->line = line;
	e->in_envlist = in_envlist;
	vc_strv_init(&e->deps);
	vc_strv_init(&e->extras);
	vc_strv_init(&e->groups);
	vc_strv_init(&e->labels);
	return e;
}

/* envlist (_split_env), with the line of each name. */
/*
 * tox 4's [tox] labels (a dict[str, EnvList]): a line "label = envs" each,
 * the envs brace-expanded; each env named is an environment of the file
 * (tox defines it, as it does env_list's).
 */
static int
read_labels4(struct tox *t, struct rd *rd)
{
	struct tval v;
	const char *s;
	size_t li = 0, i;
	int found, rc = -1;

	rd->what = "labels";
	tval_init(&v, 0);
	if (tox_getstring(rd, "labels", NULL, 1, &v, &found, 0) == -1)
		goto out;
	for (s = v.b.data; found; li++) {
		size_t len = strcspn(s, "\n"), eq = strcspn(s, "=");
		char *row = tox_strip_n(s, len);

		if (*row != '\0' && eq >= len) {
			tox_fail(t, v.lines[li],
			    "labels: a line must be 'label = envs', not "
			    "'%.200s'",
			    row);
			free(row);
			goto out;
		}
		if (*row != '\0') {
			char *label = tox_strip_n(s, eq);
			struct vc_strv names;
			size_t *starts = NULL, nstarts = 0;

			vc_strv_init(&names);
			if (tox_expand_envstr(s + eq + 1, len - eq - 1, &names,
			        &starts, &nstarts) == -1) {
				tox_fail(t, v.lines[li],
				    "labels makes more than %d names",
				    MAX_EXPAND);
				free(label);
				free(row);
				vc_strv_release(&names);
				free(starts);
				goto out;
			}
			for (i = 0; i < names.n; i++) {
				char *n =
				    tox_strip_n(names.v[i], strlen(names.v[i]));

				if (*n == '\0') {
					free(n);
					continue;
				}
				if (tox_ftab_find(&t->envnames, n, strlen(n)) <
				        0 &&
				    tox_add_env(t, n, v.lines[li], 0) == NULL) {
					free(n);
					free(label);
					free(row);
					vc_strv_release(&names);
					free(starts);
					goto out;
				}
				vc_strv_push(&t->label_of, label);
				vc_strv_take(&t->label_env, n);
			}
			free(label);
			vc_strv_release(&names);
			free(starts);
		}
		free(row);
		if (s[len] == '\0')
			break;
		s += len + 1;
	}
	rc = 0;
out:
	tval_release(&v);
	return rc;
}

static int
read_envlist(struct tox *t, struct rd *rd, size_t *nlisted)
{
	struct tval v;
	struct vc_buf joined;
	struct vc_strv names;
	size_t *starts = NULL, nstarts = 0, *offs = NULL, i, li = 0, npart = 0;
	unsigned *plines = NULL;
	const char *s;
	int found, rc = -1;

	*nlisted = 0;
	rd->what = "envlist";
	tval_init(&v, 0);
	vc_buf_init(&joined);
	vc_buf_grow(&joined, 0);
	vc_strv_init(&names);
	if (tox_getstring(rd,
	        t->v4 &&
	                tox_find_key(t, tox_find_section(t, "tox"),
	                    "env_list") != NULL
	            ? "env_list"
	            : "envlist",
	        NULL, 0, &v, &found, 0) == -1)
		goto out;
	for (s = v.b.data; found; li++) {
		size_t len = strcspn(s, "\n"), hash = strcspn(s, "#");
		char *e = tox_strip_n(s, hash < len ? hash : len);

		if (*e != '\0') {
			if (joined.len > 0)
				vc_buf_addc(&joined, ',');
			offs = xrealloc(offs, (npart + 1) * sizeof *offs);
			plines = xrealloc(plines, (npart + 1) * sizeof *plines);
			offs[npart] = joined.len;
			plines[npart++] = v.lines[li];
			vc_buf_adds(&joined, e);
		}
		free(e);
		if (s[len] == '\0')
			break;
		s += len + 1;
	}
	if (tox_expand_envstr(joined.data, joined.len, &names, &starts,
	        &nstarts) == -1) {
		tox_fail(t, npart > 0 ? plines[0] : 0,
		    "envlist makes more than %d names", MAX_EXPAND);
		goto out;
	}
	for (i = 0; npart > 0 && i < names.n; i++) {
		size_t p = 0;

		if (*names.v[i] == '\0')
			continue; /* "a, ,b": tox 3 would list "" */
		while (p + 1 < npart && offs[p + 1] <= starts[i])
			p++;
		if (tox_add_env(t, names.v[i], plines[p], 1) == NULL)
			goto out;
	}
	*nlisted = t->out->n;
	rc = 0;
out:
	tval_release(&v);
	vc_buf_release(&joined);
	vc_strv_release(&names);
	free(starts);
	free(offs);
	free(plines);
	return rc;
}

/* A [tox] path (getpath): the value, or the default, joined to
 * toxinidir. */
static int
tox_getpath(struct rd *rd, int g, const char *def)
{
	struct tval v;
	int found, rc = -1;

	rd->stage = g;
	rd->what = tox_global_names[g];
	tval_init(&v, 0);
	if (tox_getstring(rd, tox_global_names[g], def, 1, &v, &found, 0) == -1)
		goto out;
	rd->t->global[g] = tox_path(rd->t, v.b.data);
	if (g == G_TOXWORKDIR) {
		char *real = realpath(rd->t->global[g], NULL);

		if (real != NULL) {
			free(rd->t->global[g]);
			rd->t->global[g] = real;
		}
	}
	rc = 0;
out:
	tval_release(&v);
	return rc;
}

/*
 * tox 3's PY_FACTORS_RE: ^(?!py$)(py|pypy|jython)([2-9][0-9]?[0-9]?)?$
 */
static int
py_factor(const char *f, size_t n)
{
	static const char *const pre[] = {"pypy", "jython", "py"};
	size_t i, k;

	for (i = 0; i < VC_ARRAY_SIZE(pre); i++) {
		k = strlen(pre[i]);
		if (n < k || strncmp(f, pre[i], k) != 0)
			continue;
		if (n == k)
			return i < 2; /* "py" alone is not one */
		if (n - k > 3 || f[k] < '2' || f[k] > '9')
			return 0;
		for (k++; k < n; k++)
			if (f[k] < '0' || f[k] > '9')
				return 0;
		return 1;
	}
	return 0;
}

/* Adds the factors of each name of `expr` (expanded, '!' left out). */
static void
add_known(struct ftab *known, const char *expr, size_t n)
{
	struct vc_strv envs;
	size_t i;

	vc_strv_init(&envs);
	if (tox_expand_envstr(expr, n, &envs, NULL, NULL) == 0) {
		for (i = 0; i < envs.n; i++) {
			const char *q = envs.v[i];

			for (;;) {
				size_t len = strcspn(q, "-"), neg = *q == '!';

				tox_intern(known, q + neg, len - neg);
				if (q[len] == '\0')
					break;
				q += len + 1;
			}
		}
	}
	vc_strv_release(&envs);
}

/*
 * Whether tox 3 makes the environment t->want, which has no section and
 * is not in the envlist, when -e names it (tox/config/__init__.py,
 * parseini): each of its factors is known (from a condition of a
 * [testenv] value, r"^([\w{}.!,-]+):\s+" on each line, from the envlist,
 * or "py", "python") or is a Python factor.
 */
static int
want_ok(struct tox *t, size_t nlisted)
{
	const struct ini_sec *te = tox_find_section(t, "testenv");
	struct ftab known;
	const char *q = t->want;
	size_t i;
	int ok = 1;

	memset(&known, 0, sizeof known);
	tox_intern(&known, "py", 2);
	tox_intern(&known, "python", 6);
	for (i = 0; te != NULL && i < t->bodies[te->body].n; i++) {
		const char *v = t->bodies[te->body].keys[i].value.b.data;

		while (v != NULL && *v != '\0') {
			const char *e = v;

			while (tox_word_char((unsigned char)*e) || *e == '{' ||
			    *e == '}' || *e == '.' || *e == '!' || *e == ',' ||
			    *e == '-')
				e++;
			if (e > v && *e == ':' && e[1] != '\0' &&
			    (tox_py_space((unsigned char)e[1]) || e[1] == '\n'))
				add_known(&known, v, (size_t)(e - v));
			v += strcspn(v, "\n");
			if (*v == '\n')
				v++;
		}
	}
	for (i = 0; i < nlisted; i++)
		add_known(&known, t->out->envs[i].name,
		    strlen(t->out->envs[i].name));
	for (;;) {
		size_t len = strcspn(q, "-");

		if (tox_ftab_find(&known, q, len) < 0 && !py_factor(q, len))
			ok = 0;
		if (q[len] == '\0')
			break;
		q += len + 1;
	}
	tox_ftab_release(&known);
	return ok;
}

static int
tox_section(struct tox *t)
{
	struct vc_tox *o = t->out;
	struct rd rd;
	const char *home = getenv("HOME");
	struct vc_strv lines, names;
	size_t nlisted, i, order_n, want = 0;
	size_t *order = NULL;
	unsigned *ixlines = NULL;
	int all_develop = 1, isolated = 0, rc = -1;
	char *package_env = NULL;

	vc_strv_init(&lines);
	vc_strv_init(&names);
	memset(&rd, 0, sizeof rd);
	rd.t = t;
	rd.section = "tox";
	t->global[G_TOXINIDIR] = xstrdup(o->dir);
	if (home != NULL && *home != '\0')
		t->global[G_HOMEDIR] = tox_path(t, home);
	if (tox_getpath(&rd, G_TOXWORKDIR, "{toxinidir}/.tox") == -1)
		goto out;
	rd.stage = G_DISTDIR;
	if (tox_getbool(&rd,
	        t->v4 &&
	                tox_find_key(t, tox_find_section(t, "tox"),
	                    "ignore_base_python_conflict") != NULL
	            ? "ignore_base_python_conflict"
	            : "ignore_basepython_conflict",
	        0, &t->ignore_conflict, 0) == -1 ||
	    tox_getpath(&rd, G_DISTDIR, "{toxworkdir}/dist") == -1 ||
	    tox_getpath(&rd, G_DISTSHARE, "{homedir}/.tox/distshare") == -1 ||
	    tox_getpath(&rd, G_TEMP_DIR, "{toxworkdir}/.tmp") == -1)
		goto out;
	rd.stage = G__COUNT;
	if (t->v4) { /* tox 4 has no indexserver, and always isolates */
		if (tox_getbool(&rd,
		        tox_find_key(t, tox_find_section(t, "tox"),
		            "no_package") != NULL
		            ? "no_package"
		            : "skipsdist",
		        0, &t->no_package, 0) == -1 ||
		    tox_getbool(&rd, "skip_missing_interpreters", 0,
		        &t->skip_missing, 0) == -1)
			goto out;
		goto envs;
	}
	if (tox_getlist(&rd, "indexserver", &lines, &ixlines, 0) == -1)
		goto out;
	for (i = 0; i < lines.n; i++) {
		size_t len = strcspn(lines.v[i], "=");
		char *name = tox_strip_n(lines.v[i], len);

		/* tox 3 installs every dep with -i URL of "default" */
		if (strcmp(name, "default") == 0) {
			rd.what = "indexserver";
			tox_rfail(&rd, ixlines != NULL ? ixlines[i] : 0,
			    "'%.200s': tox 3 would install every dependency "
			    "from this index server; venvcache installs them "
			    "from its own: set [mirror] index-url (or "
			    "VENVCACHE_INDEX_URL) instead",
			    lines.v[i]);
			free(name);
			goto out;
		}
		vc_strv_take(&t->indexservers, name);
	}
	if (tox_getbool(&rd, "isolated_build", 0, &isolated, 0) == -1)
		goto out;
	if (isolated) {
		struct tval v;
		int found;

		rd.what = "isolated_build_env";
		tval_init(&v, 0);
		if (tox_getstring(&rd, "isolated_build_env", ".package", 1, &v,
		        &found, 0) == -1) {
			tval_release(&v);
			goto out;
		}
		package_env = xstrdup(v.b.data);
		tval_release(&v);
	}
envs:
	/* _getallenvs: envlist, then [testenv:NAME] in the file's order */
	if (read_envlist(t, &rd, &nlisted) == -1)
		goto out;
	order = xcalloc(t->nsecs + 1, sizeof *order);
	for (i = order_n = 0; i < t->nsecs; i++)
		if (!t->secs[i].removed)
			order[order_n++] = i;
	for (i = 1; i < order_n; i++) { /* stable: by line, generated first */
		size_t j = i, x = order[i];

		while (j > 0 &&
		    t->secs[order[j - 1]].sort_line > t->secs[x].sort_line) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = x;
	}
	for (i = 0; i < order_n; i++) {
		const struct ini_sec *s = &t->secs[order[i]];
		struct vc_tox_env *e;

		if (strncmp(s->name, "testenv:", 8) != 0 ||
		    (package_env != NULL &&
		        strcmp(s->name + 8, package_env) == 0))
			continue;
		if ((e = tox_add_env(t, s->name + 8, s->line, nlisted == 0)) ==
		    NULL)
			goto out;
		e->line = s->line;
	}
	if (t->v4 && tox_factor_envs4(t, 0) == -1)
		goto out;
	if (t->v4 && read_labels4(t, &rd) == -1)
		goto out;
	if (t->want != NULL &&
	    tox_ftab_find(&t->envnames, t->want, strlen(t->want)) < 0 &&
	    (package_env == NULL || strcmp(t->want, package_env) != 0) &&
	    want_ok(t, nlisted)) {
		const struct ini_sec *te = tox_find_section(t, "testenv");

		if (tox_add_env(t, t->want, te != NULL ? te->line : 1, 0) ==
		    NULL)
			goto out;
		want = o->n;
	}
	if (o->n == 0) { /* tox's "python", at [testenv] if there is one */
		const struct ini_sec *te = tox_find_section(t, "testenv");

		if (tox_add_env(t, "python", te != NULL ? te->line : 1, 1) ==
		    NULL)
			goto out;
	}
	for (i = 0; i < o->n; i++) {
		if (make_env(t, &o->envs[i]) == -1)
			goto out;
		if (o->envs[i].in_envlist && !o->envs[i].usedevelop)
			all_develop = 0;
	}
	if (t->v4) { /* tox_package4 has decided */
		for (i = 0; i < t->label_env.n; i++) {
			size_t j;

			for (j = 0; j < o->n; j++)
				if (strcmp(o->envs[j].name,
				        t->label_env.v[i]) == 0)
					vc_strv_push(&o->envs[j].labels,
					    t->label_of.v[i]);
		}
		for (i = 0; i < o->n; i++)
			vc_strv_sort_uniq(&o->envs[i].labels);
		rc = 0;
		goto out;
	}
	if (want > 0) /* tox -e NAME: skipsdist's default is NAME's alone */
		all_develop = o->envs[want - 1].usedevelop;
	if (tox_getbool(&rd, "skipsdist", all_develop, &o->skipsdist, 0) == -1)
		goto out;
	for (i = 0; i < o->n; i++) {
		struct vc_tox_env *e = &o->envs[i];

		e->install_project =
		    !e->skip_install && (e->usedevelop || !o->skipsdist);
	}
	rc = 0;
out:
	vc_strv_release(&lines);
	vc_strv_release(&names);
	free(ixlines);
	free(order);
	free(package_env);
	free(rd.stk);
	return rc;
}

/* --- the interface ---------------------------------------------------- */

#ifdef VC_TOX_COUNT_SCANNED
unsigned long long
vc_tox_scanned(void)
{
	return tox_scanned;
}
#endif

void
vc_tox_init(struct vc_tox *x)
{
	memset(x, 0, sizeof *x);
}

void
vc_tox_release(struct vc_tox *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		env_release(&x->envs[i]);
	free(x->envs);
	free(x->file);
	free(x->dir);
	vc_strv_release(&x->warnings);
	memset(x, 0, sizeof *x);
}

static void
tox_release(struct tox *t)
{
	size_t i, j;

	for (i = 0; i < t->nsecs; i++)
		free(t->secs[i].name);
	free(t->secs);
	for (i = 0; i < t->nbodies; i++) {
		for (j = 0; j < t->bodies[i].n; j++) {
			struct ini_key *k = &t->bodies[i].keys[j];

			free(k->name);
			tval_release(&k->value);
			free(k->cl);
			tox_findex_free(k->index);
		}
		free(t->bodies[i].keys);
	}
	free(t->bodies);
	tox_ftab_release(&t->ft);
	tox_ftab_release(&t->secnames);
	tox_ftab_release(&t->envnames);
	free(t->secmap);
	free(t->envmap);
	free(t->pool.ids);
	free(t->pool.alts);
	for (i = 0; i < G__COUNT; i++)
		free(t->global[i]);
	vc_strv_release(&t->indexservers);
	vc_strv_release(&t->label_of);
	vc_strv_release(&t->label_env);
	vc_strv_release(&t->warned);
}

/* tox 4 cuts comments from every value before anything reads it. */
static void
strip_all_comments(struct tox *t)
{
	size_t i, j;

	for (i = 0; i < t->nbodies; i++)
		for (j = 0; j < t->bodies[i].n; j++)
			tox_strip_comments4(&t->bodies[i].keys[j].value);
}

/* tox 4's TomlPyProject takes a [tool.tox] (or a whole tox.toml) that
 * holds more than legacy_tox_ini; LegacyToml takes legacy_tox_ini. */
static int
native_toml(json_t *tab)
{
	const char *k;
	json_t *v;

	json_object_foreach(tab, k,
	    v) if (strcmp(k, "legacy_tox_ini") != 0) return 1;
	return 0;
}

/*
 * tox.toml and pyproject.toml. A native configuration (tox.toml, or a
 * [tool.tox] with more than legacy_tox_ini: tox 4 tries that first) is
 * read here: *native = 1. Else the text of [tool.tox] legacy_tox_ini is
 * returned, with as many newlines before it as put its lines at their
 * lines in the file, so that messages name pyproject.toml:LINE. NULL
 * after an error, and after a native read.
 */
static char *
toml_config(struct tox *t, const char *base, const char *text, int *native)
{
	struct vc_error terr;
	json_t *doc, *tool, *lines = NULL;
	const char *ini, *k;
	char *out = NULL;
	unsigned line = 1;
	int is_tox_toml = strcmp(base, "tox.toml") == 0;

	*native = 0;
	vc_error_clear(&terr);
	if ((doc = vc_toml_parse_lines(text, strlen(text), t->name, &lines,
	         &terr)) == NULL) {
		*t->err = terr; /* names FILE:LINE:COL */
		t->failed = 1;
		return NULL;
	}
	tool = is_tox_toml
	    ? doc
	    : json_object_get(json_object_get(doc, "tool"), "tox");
	if (!t->v4 &&
	    (is_tox_toml ||
	        (json_is_object(tool) && native_toml(tool) &&
	            json_object_get(tool, "legacy_tox_ini") == NULL))) {
		tox_fail(t, 0,
		    "tox 3 does not read tox 4's native TOML configuration "
		    "(tox-version = 3 is set)");
		goto out;
	}
	if (t->v4 && json_is_object(tool) && native_toml(tool)) {
		*native = 1;
		tox_read_toml(t, doc, lines, is_tox_toml ? "" : "tool.tox");
		goto out;
	}
	if (is_tox_toml) {
		tox_fail(t, 0, "tox.toml has no settings");
		goto out;
	}
	ini = json_string_value(json_object_get(tool, "legacy_tox_ini"));
	if (ini != NULL) {
		json_int_t l = json_integer_value(json_object_get(lines,
		    "tool" VC_TOML_SEP "tox" VC_TOML_SEP "legacy_tox_ini"));

		/* the line of the key, and the string's first line after it
		 * (TOML drops a newline right after the opening quotes) */
		for (k = text; (k = strstr(k, "legacy_tox_ini")) != NULL; k++)
			if (k == text || k[-1] == '\n' || k[-1] == ' ' ||
			    k[-1] == '\t')
				break;
		if (l > 0)
			line = (unsigned)l;
		if (k != NULL) {
			const char *q;

			if (l <= 0)
				for (q = text; q < k; q++)
					line += *q == '\n';
			q = k + strcspn(k, "\"'");
			q += strspn(q, "\"'");
			if (*q == '\n' || (q[0] == '\r' && q[1] == '\n'))
				line++;
		}
		out = xmalloc(line + strlen(ini));
		memset(out, '\n', line - 1);
		strcpy(out + line - 1, ini);
	} else if (json_is_object(tool)) {
		tox_fail(t, 0, "[tool.tox] has no settings");
	} else {
		tox_fail(t, 0,
		    "no [tool.tox] table: tox reads its configuration from "
		    "pyproject.toml only when it has one");
	}
out:
	json_decref(doc);
	json_decref(lines);
	return out;
}

static int
read_text(struct vc_tox *x, int version, const char *name, const char *text,
    const char *want, struct vc_error *err)
{
	struct tox t;
	char cwd[PATH_MAX], *dir, *owned = NULL;
	int rc = -1;

	vc_error_clear(err);
	vc_tox_release(x);
	memset(&t, 0, sizeof t);
	t.out = x;
	t.name = name;
	t.want = want;
	t.err = err;
	t.v4 = version == 4;
	vc_strv_init(&t.warned);
	vc_strv_init(&t.indexservers);
	vc_strv_init(&t.label_of);
	vc_strv_init(&t.label_env);
	x->file = xstrdup(name);
	x->version = t.v4 ? 4 : 3;
	vc_strv_init(&x->warnings);
	dir = vc_path_dirname(name);
	if (*dir == '/')
		x->dir = dir;
	else {
		x->dir =
		    vc_path_join(getcwd(cwd, sizeof cwd) != NULL ? cwd : ".",
		        dir);
		free(dir);
	}
	dir = tox_path(&t, x->dir); /* normalised */
	free(x->dir);
	x->dir = dir;
	{
		const char *base = strrchr(name, '/');

		base = base != NULL ? base + 1 : name;
		t.setup_cfg = strcmp(base, "setup.cfg") == 0;
		if (strcmp(base, "pyproject.toml") == 0 ||
		    strcmp(base, "tox.toml") == 0) {
			int native;

			text = owned = toml_config(&t, base, text, &native);
			if (native && !t.failed)
				rc = 0;
			if (text == NULL)
				goto out;
		}
	}
	if (tox_parse_ini(&t, text) == -1)
		goto out;
	if (t.setup_cfg && tox_find_section(&t, "tox") == NULL) {
		tox_fail(&t, 0,
		    "no [tox:tox] section: tox reads its "
		    "configuration from setup.cfg only when it has one");
		goto out;
	}
	if (t.v4)
		strip_all_comments(&t);
	if (tox_expand_section_names(&t) == -1 || tox_section(&t) == -1)
		goto out;
	rc = 0;
out:
	free(owned);
	tox_release(&t);
	if (rc == -1) {
		char *file = x->file, *d = x->dir;

		x->file = x->dir = NULL;
		vc_tox_release(x);
		x->file = file;
		x->dir = d;
		x->version = t.v4 ? 4 : 3;
	}
	return rc;
}

int
vc_tox_read(struct vc_tox *x, int version, const char *name, const char *text,
    struct vc_error *err)
{
	return read_text(x, version, name, text, NULL, err);
}

char *
vc_tox_project_dep(const struct vc_tox_env *e)
{
	struct vc_buf b;
	size_t i;

	if (!e->install_project)
		return NULL;
	vc_buf_init(&b);
	if (e->package != NULL) /* tox 4 */
		vc_buf_adds(&b,
		    strncmp(e->package, "editable", 8) == 0 ? "-e ." : ".");
	else
		vc_buf_adds(&b, e->usedevelop ? "-e ." : ".");
	for (i = 0; i < e->extras.n; i++)
		vc_buf_addf(&b, "%c%s", i == 0 ? '[' : ',', e->extras.v[i]);
	if (e->extras.n > 0)
		vc_buf_addc(&b, ']');
	return vc_buf_detach(&b);
}

static void
add_dep(struct vc_envdef *d, char *dep, unsigned line)
{
	d->deps_lines =
	    xrealloc(d->deps_lines, (d->deps.n + 1) * sizeof *d->deps_lines);
	d->deps_lines[d->deps.n] = line;
	vc_strv_take(&d->deps, dep);
}

static int
add_one(struct vc_config *cfg, const struct vc_tox *x,
    const struct vc_tox_env *e, struct vc_error *err)
{
	struct vc_envdef *d;
	char *project;
	size_t j;

	if (vc_config_env(cfg, e->name) != NULL)
		return 0; /* the config file's [env NAME] wins */
	if ((d = vc_config_add_env(cfg, e->name, err)) == NULL)
		return vc_error_at(err, x->file, e->line, "%s", err->msg);
	free(d->basedir);
	d->basedir = xstrdup(x->dir);
	d->file = xstrdup(x->file);
	d->line = e->line;
	if (e->basepython != NULL) {
		d->python = xstrdup(e->basepython);
		/* a missing interpreter's error names this line */
		d->python_line =
		    e->basepython_line != 0 ? e->basepython_line : e->line;
	}
	d->skip_missing = e->skip_missing;
	for (j = 0; j < e->labels.n; j++)
		vc_strv_push(&d->labels, e->labels.v[j]);
	for (j = 0; j < e->deps.n; j++)
		add_dep(d, xstrdup(e->deps.v[j]), e->deps_lines[j]);
	for (j = 0; j < e->groups.n; j++)
		add_dep(d, xstrdup(e->groups.v[j]), e->groups_line);
	if (e->pip_pre)
		add_dep(d, xstrdup("--pre"), e->line);
	if ((project = vc_tox_project_dep(e)) != NULL)
		add_dep(d, project, e->line);
	return 0;
}

int
vc_tox_add_envs(struct vc_config *cfg, const struct vc_tox *x,
    struct vc_error *err)
{
	size_t i;

	vc_error_clear(err);
	for (i = 0; i < x->n; i++)
		if (add_one(cfg, x, &x->envs[i], err) == -1)
			return -1;
	return 0;
}

/* A setup.cfg with a [tox:tox] section (tox's SetupCfg takes no other). */
static int
has_tox_tox(const char *path)
{
	struct vc_buf b;
	struct vc_error e;
	const char *p;
	int found = 0;

	vc_buf_init(&b);
	if (vc_read_file(path, MAX_FILE, &b, &e) == 0 && b.data != NULL)
		for (p = b.data; p != NULL && !found;
		     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			while (*p == ' ' || *p == '\t')
				p++;
			found = strncmp(p, "[tox:tox]", 9) == 0;
		}
	vc_buf_release(&b);
	return found;
}

/*
 * The tox file in directory `dir` as tox 4 finds it (discover_source):
 * tox.ini, setup.cfg with [tox:tox], pyproject.toml with [tool.tox]
 * (native keys, else legacy_tox_ini), tox.toml with settings; the first
 * that exists and holds a configuration. Caller frees; NULL with `err`.
 */
static char *
find_config(const char *dir, struct vc_error *err)
{
	static const char *const names[] = {"tox.ini", "setup.cfg",
	    "pyproject.toml", "tox.toml"};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(names); i++) {
		char *p = strcmp(dir, ".") == 0 ? xstrdup(names[i])
		                                : vc_path_join(dir, names[i]);
		json_t *doc, *tab;
		int take;

		if (access(p, F_OK) != 0) {
			free(p);
			continue;
		}
		if (i == 0)
			return p;
		if (i == 1) {
			if (has_tox_tox(p))
				return p;
			free(p);
			continue;
		}
		if ((doc = vc_toml_load(p, err)) == NULL) {
			free(p);
			return NULL; /* tox: "failed loading" */
		}
		tab = i == 3
		    ? doc
		    : json_object_get(json_object_get(doc, "tool"), "tox");
		take = json_is_object(tab) &&
		    (native_toml(tab) ||
		        (i == 2 && json_object_get(tab, "legacy_tox_ini")));
		json_decref(doc);
		if (take)
			return p;
		free(p);
	}
	vc_error_set(err, VC_EFAIL,
	    "%s: no tox configuration (tox.ini, setup.cfg with [tox:tox], "
	    "pyproject.toml with [tool.tox], tox.toml)",
	    dir);
	return NULL;
}

/* vc_tox_load, or with `want`, only the environment tox 3 makes for
 * -e want: 1 if there is one, else 0. */
static int
load(struct vc_config *cfg, const char *path, const char *want,
    struct vc_error *err)
{
	struct vc_tox x;
	struct vc_buf b;
	char cwd[PATH_MAX], *found = NULL;
	const char *name;
	struct stat st;
	size_t n, i;
	int rc = -1;

	vc_tox_init(&x);
	vc_buf_init(&b);
	/* a directory: its tox file, found as tox 4 finds it */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if ((found = find_config(path, err)) == NULL)
			goto out;
		path = found;
	}
	name = path;
	/* messages name it relative to the current directory when under it */
	if (getcwd(cwd, sizeof cwd) != NULL && (n = strlen(cwd)) > 1 &&
	    strncmp(path, cwd, n) == 0 && path[n] == '/')
		name = path + n + 1;
	if (vc_read_file(path, MAX_FILE, &b, err) == -1)
		goto out;
	if (memchr(b.data, '\0', b.len) != NULL) {
		vc_error_at(err, name, 0, "not a text file");
		goto out;
	}
	if (read_text(&x, vc_config_enum(cfg, VC_S_TOX_VERSION) == 1 ? 3 : 4,
	        name, b.data != NULL ? b.data : "", want, err) == -1)
		goto out;
	for (i = 0; i < x.warnings.n; i++)
		vc_warn("%s", x.warnings.v[i]);
	if (want == NULL) {
		rc = vc_tox_add_envs(cfg, &x, err);
		goto out;
	}
	rc = 0;
	for (i = 0; i < x.n; i++)
		if (strcmp(x.envs[i].name, want) == 0)
			rc = add_one(cfg, &x, &x.envs[i], err) == -1 ? -1 : 1;
out:
	free(found);
	vc_tox_release(&x);
	vc_buf_release(&b);
	return rc;
}

int
vc_tox_load(struct vc_config *cfg, const char *path, struct vc_error *err)
{
	return load(cfg, path, NULL, err);
}

int
vc_tox_load_env(struct vc_config *cfg, const char *path, const char *name,
    struct vc_error *err)
{
	vc_error_clear(err);
	return load(cfg, path, name, err);
}
