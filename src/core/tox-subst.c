/*
 * tox-subst.c: SectionReader: a value of a section (with [testenv] behind
 * it for environments) with factor conditions, substitutions
 * ({[section]key}, {env:VAR:default}, {toxinidir}, {envdir}, ...), factor
 * conditions again; setenv as tox builds it; the attributes a
 * substitution can name, each evaluated at its own place in tox's order.
 */
#include <limits.h>
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tox-int.h"

const char *const tox_global_names[G__COUNT] = {"toxinidir", "homedir",
    "toxworkdir", "distdir", "distshare", "temp_dir"};

/* The attributes a substitution can name ({envdir}), with their default;
 * "" for the others. */
static const struct {
	const char *name;
	const char *def; /* NULL: none */
	int path;
} attrs[A__COUNT] = {
    [A_ENVDIR] = {"envdir", "{toxworkdir}/{envname}", 1},
    [A_SETENV] = {"", NULL, 0},
    [A_BASEPYTHON] = {"basepython", NULL, 0},
    [A_DESCRIPTION] = {"description", "", 0},
    [A_ENVTMPDIR] = {"envtmpdir", "{envdir}/tmp", 1},
    [A_ENVLOGDIR] = {"envlogdir", "{envdir}/log", 1},
    [A_DOWNLOADCACHE] = {"downloadcache", NULL, 0},
    [A_CHANGEDIR] = {"changedir", "{toxinidir}", 1},
    [A_SKIP_INSTALL] = {"", NULL, 0},
    [A_PLATFORM] = {"platform", ".*", 0},
    [A_PIP_PRE] = {"", NULL, 0},
    [A_USEDEVELOP] = {"", NULL, 0},
    [A_DEPS] = {"", NULL, 0},
    [A_EXTRAS] = {"", NULL, 0},
};
int
tox_rfail(struct rd *rd, unsigned line, const char *fmt, ...)
{
	char msg[VC_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rd->env != NULL)
		return tox_fail(rd->t, line, "env %s: %s: %s", rd->env->name,
		    rd->what, msg);
	return tox_fail(rd->t, line, "[tox] %s: %s", rd->what, msg);
}

static int replace(struct rd *, struct tval *, const char *name,
    const char *section, int crossonly);
static int attr_string(struct rd *, int a, const char **out, unsigned line);

static int
in_stack(const struct rd *rd, const char *sec, const char *key)
{
	size_t i;

	for (i = 0; i + 1 < rd->nstk; i += 2)
		if (strcmp(rd->stk[i], sec) == 0 &&
		    strcmp(rd->stk[i + 1], key) == 0)
			return 1;
	return 0;
}

/* _substitute_from_other_section: {[section]key}. */
static int
other_section(struct rd *rd, const char *key, int crossonly, unsigned line,
    struct tval *out)
{
	const char *close = key[0] == '[' ? strchr(key, ']') : NULL;
	struct ini_key *k = NULL;
	char *sec = NULL;
	int rc;

	if (close != NULL) {
		sec = xstrndup(key + 1, (size_t)(close - key - 1));
		k = tox_find_key(rd->t, tox_find_section(rd->t, sec),
		    close + 1);
	}
	if (k == NULL) {
		free(sec);
		return tox_rfail(rd, line, "substitution key '%s' not found",
		    key);
	}
	if (in_stack(rd, sec, close + 1)) {
		rc = tox_rfail(rd, line, "substitution {%s} refers to itself",
		    key);
		free(sec);
		return rc;
	}
	tval_copy(out, &k->value);
	rc = replace(rd, out, close + 1, sec, crossonly);
	free(sec);
	return rc;
}

/* Builds the environment's setenv (getdict_setenv), as tox does before
 * basepython. */
int
tox_build_setenv(struct rd *rd, unsigned line)
{
	struct envctx *env = rd->env;
	const char *saved_what = rd->what, *envdir;
	int saved = rd->stage, rc = -1;
	struct ini_key *k;
	struct tval v;
	size_t i, li = 0;

	env->setenv_built = 1;
	rd->stage = A_SETENV;
	rd->what = "setenv";
	k = tox_find_key(rd->t, tox_find_section(rd->t, rd->section), "setenv");
	if (k == NULL && rd->fallback)
		k = tox_find_key(rd->t, tox_find_section(rd->t, "testenv"),
		    "setenv");
	tval_init(&v, line);
	if (k != NULL) {
		const char *s;

		tval_copy(&v, &k->value);
		if (tox_apply_factors(rd->t, &v, rd->f, rd->nf) == -1 ||
		    replace(rd, &v, "setenv", rd->section, 1) == -1 ||
		    tox_apply_factors(rd->t, &v, rd->f, rd->nf) == -1 ||
		    replace(rd, &v, "setenv", rd->section, 1) == -1)
			goto out;
		for (s = v.b.data;; li++) {
			size_t len = strcspn(s, "\n");
			const char *eq = memchr(s, '=', len);
			char *l = tox_strip_n(s, len);

			if (*l != '\0' && *s != '#' &&
			    strncmp(s, "file|", 5) != 0) {
				if (eq == NULL) {
					tox_rfail(rd, v.lines[li],
					    "'%s' is not NAME=VALUE", l);
					free(l);
					goto out;
				}
				vc_strv_take(&env->def_names,
				    tox_strip_n(s, (size_t)(eq - s)));
				vc_strv_take(&env->def_values,
				    tox_strip_n(eq + 1,
				        (size_t)(s + len - eq - 1)));
				env->def_lines = xrealloc(env->def_lines,
				    env->def_names.n * sizeof *env->def_lines);
				env->def_lines[env->def_names.n - 1] =
				    v.lines[li];
			} else if (strncmp(s, "file|", 5) == 0) {
				tox_rfail(rd, v.lines[li],
				    "'file|' in setenv is not supported");
				free(l);
				goto out;
			}
			free(l);
			if (s[len] == '\0')
				break;
			s += len + 1;
		}
	}
	/* tox adds these (and a random PYTHONHASHSEED, left out here) */
	vc_strv_push(&env->res_names, "TOX_ENV_NAME");
	vc_strv_push(&env->res_values, env->name);
	if (attr_string(rd, A_ENVDIR, &envdir, line) == -1)
		goto out;
	vc_strv_push(&env->res_names, "TOX_ENV_DIR");
	vc_strv_push(&env->res_values, envdir != NULL ? envdir : "");
	for (i = 0; i < env->res_names.n; i++) {
		vc_strv_push(&env->def_names, env->res_names.v[i]);
		vc_strv_push(&env->def_values, env->res_values.v[i]);
		env->def_lines = xrealloc(env->def_lines,
		    env->def_names.n * sizeof *env->def_lines);
		env->def_lines[env->def_names.n - 1] = line;
	}
	rc = 0;
out:
	tval_release(&v);
	rd->stage = saved;
	rd->what = saved_what;
	return rc;
}

ssize_t
tox_strv_find_last(const struct vc_strv *v, const char *s)
{
	size_t i;

	for (i = v->n; i > 0; i--)
		if (strcmp(v->v[i - 1], s) == 0)
			return (ssize_t)(i - 1);
	return -1;
}

/* SetenvDict.get: the value of `name` in setenv (substituted), else the
 * process environment's; *out NULL when neither has it. */
static int
setenv_get(struct rd *rd, const char *name, unsigned line, char **out)
{
	struct envctx *env = rd->env;
	const char *v;
	ssize_t i;
	struct tval val;
	int rc;

	*out = NULL;
	if (!env->setenv_built && tox_build_setenv(rd, line) == -1)
		return -1;
	if ((i = tox_strv_find_last(&env->res_names, name)) >= 0) {
		*out = xstrdup(env->res_values.v[i]);
		return 0;
	}
	if (vc_strv_contains(&env->lookup, name) ||
	    (i = tox_strv_find_last(&env->def_names, name)) < 0) {
		v = getenv(name);
		*out = v != NULL ? xstrdup(v) : NULL;
		return 0;
	}
	vc_strv_push(&env->lookup, name);
	tval_init(&val, env->def_lines[i]);
	vc_buf_adds(&val.b, env->def_values.v[i]);
	rc = replace(rd, &val, "setenv", rd->section, 0);
	free(env->lookup.v[--env->lookup.n]);
	env->lookup.v[env->lookup.n] = NULL;
	if (rc == 0) {
		vc_strv_push(&env->res_names, name);
		vc_strv_push(&env->res_values, val.b.data);
		*out = xstrdup(val.b.data);
	}
	tval_release(&val);
	return rc;
}

/* A substitution's value from tox's table of them; NULL if not there. */
static int
sub_value(struct rd *rd, const char *key, unsigned line, char **out)
{
	const char *v;
	size_t i;
	int a;

	*out = NULL;
	for (i = 0; i < G__COUNT; i++) {
		if (strcmp(key, tox_global_names[i]) != 0)
			continue;
		if (rd->env != NULL || (int)i < rd->stage || i == G_TOXINIDIR ||
		    i == G_HOMEDIR)
			*out =
			    rd->t->global[i] ? xstrdup(rd->t->global[i]) : NULL;
		return 0;
	}
	if (rd->env == NULL)
		return 0;
	if (strcmp(key, "envname") == 0) {
		*out = xstrdup(rd->env->name);
		return 0;
	}
	if (strcmp(key, "envsitepackagesdir") == 0)
		return tox_rfail(rd, line,
		    "{envsitepackagesdir} needs the interpreter: not "
		    "supported");
	if (strcmp(key, "envbindir") == 0 || strcmp(key, "envpython") == 0) {
		const char *dir, *py = NULL;

		if (rd->stage <= A_ENVDIR ||
		    (key[3] == 'p' && rd->stage <= A_BASEPYTHON))
			return tox_rfail(rd, line, "{%s} is not known yet here",
			    key);
		if (attr_string(rd, A_ENVDIR, &dir, line) == -1 ||
		    (key[3] == 'p' &&
		        attr_string(rd, A_BASEPYTHON, &py, line) == -1))
			return -1;
		if (key[3] == 'b')
			*out = xasprintf("%s/bin", dir);
		else
			*out = xasprintf("%s/bin/%s", dir,
			    py != NULL && strstr(py, "jython") ? "jython"
			                                       : "python");
		return 0;
	}
	for (a = 0; a < A__COUNT && a < rd->stage; a++) {
		if (*attrs[a].name == '\0' || strcmp(key, attrs[a].name) != 0)
			continue;
		if (attr_string(rd, a, &v, line) == -1)
			return -1;
		*out = v != NULL ? xstrdup(v) : NULL;
		return 0;
	}
	return 0;
}

/* A {...} that RE_ITEM_REF matches: its groups, as offsets. */
struct ref {
	size_t start, end; /* '{' and '}' */
	int has_type, has_def;
	size_t t0, t1, v0, v1, d0, d1;
};

/*
 * The default's end: ([^{}]|\\{|\\})* then '}', from j0; default_from
 * goes on from j, past what [j0, j) holds (no '{' or '}').
 */
static int
default_from(const char *s, size_t j0, size_t j, size_t n, size_t *e)
{
	size_t f;

	for (;;) {
		for (f = j; f < n && s[f] != '{' && s[f] != '}'; f++)
			TOX_SCAN();
		if (f >= n)
			return 0;
		if (s[f] == '}') {
			*e = f;
			return 1;
		}
		if (f > j0 && s[f - 1] == '\\') { /* "\{" goes on */
			j = f + 1;
			continue;
		}
		return 0;
	}
}

static int
default_end(const char *s, size_t j0, size_t n, size_t *e)
{
	return default_from(s, j0, j0, n, e);
}

/* [^:,{}]* then, optionally, ':' default; then '}'. */
static int
try_rest(const char *s, size_t v, size_t b, size_t n, struct ref *m)
{
	size_t r = b, e;

	while (
	    r < n && s[r] != ':' && s[r] != ',' && s[r] != '{' && s[r] != '}') {
		r++;
		TOX_SCAN();
	}
	m->v0 = v;
	m->v1 = r;
	if (r < n && s[r] == ':' && default_end(s, r + 1, n, &e)) {
		m->has_def = 1;
		m->d0 = r + 1;
		m->d1 = e;
		m->end = e;
		return 1;
	}
	if (r < n && s[r] == '}') {
		m->has_def = 0;
		m->end = r;
		return 1;
	}
	return 0;
}

/*
 * (?:\[[^,{}]*\])? greedy: from the last ']' possible, then without.
 * After a ']' at k - 1 comes try_rest from k. No ',', '{' or '}' is in
 * [v + 1, q), so its stop is the first ':' at or after k, else q: kept
 * while k goes down. A default after a ':' below q - 1 ends where one
 * from q does: that is found once. So each byte is looked at once.
 */
static int
try_value(const char *s, size_t v, size_t n, struct ref *m)
{
	if (v < n && s[v] == '[') {
		size_t q, k, r, e = 0, efar = 0;
		int far = -1; /* a default's end from q: not known yet */

		for (q = v + 1;
		     q < n && s[q] != ',' && s[q] != '{' && s[q] != '}'; q++)
			TOX_SCAN();
		for (k = q, r = q; k > v + 1; k--) {
			TOX_SCAN();
			if (k < q && s[k] == ':')
				r = k;
			if (s[k - 1] != ']' || r >= n)
				continue;
			m->v0 = v;
			m->v1 = r;
			if (s[r] == '}') {
				m->has_def = 0;
				m->end = r;
				return 1;
			}
			if (s[r] != ':')
				continue;
			if (r + 1 < q) {
				if (far == -1)
					far =
					    default_from(s, r + 1, q, n, &efar);
				if (!far)
					continue;
				e = efar;
			} else if (!default_end(s, r + 1, n, &e))
				continue;
			m->has_def = 1;
			m->d0 = r + 1;
			m->d1 = e;
			m->end = e;
			return 1;
		}
	}
	return try_rest(s, v, v, n, m);
}

/*
 * Replacer.RE_ITEM_REF at s[i] (a '{' not after '\'), with the
 * backtracking of Python's re:
 * {(?:(?P<sub_type>[^[:{}]+):)?(?P<substitution_value>(?:\[[^,{}]*\])?
 * [^:,{}]*)(?::(?P<default_value>([^{}]|\\{|\\})*))?}
 */
static int
match_ref(const char *s, size_t i, size_t n, struct ref *m)
{
	size_t p = i + 1, te;

	memset(m, 0, sizeof *m);
	m->start = i;
	for (te = p; te < n && s[te] != '[' && s[te] != ':' && s[te] != '{' &&
	     s[te] != '}';
	     te++)
		;
	if (te > p && te < n && s[te] == ':' && try_value(s, te + 1, n, m)) {
		m->has_type = 1;
		m->t0 = p;
		m->t1 = te;
		return 1;
	}
	return try_value(s, p, n, m);
}

/* Replacer._replace_match: the text that replaces `m`. */
static int
replace_match(struct rd *rd, const char *s, const struct ref *m, int crossonly,
    unsigned line, struct tval *out)
{
	char *T = m->has_type ? xstrndup(s + m->t0, m->t1 - m->t0) : NULL;
	char *V = xstrndup(s + m->v0, m->v1 - m->v0);
	char *D = m->has_def ? xstrndup(s + m->d0, m->d1 - m->d0) : NULL;
	char *val = NULL;
	const char *full = s + m->start;
	size_t fullen = m->end + 1 - m->start;
	int rc = -1;

	tval_reset(out, line);
	if (crossonly) {
		if (V[0] == '[')
			rc = other_section(rd, V, 1, line, out);
		else {
			tval_add_plain(out, full, fullen, line);
			rc = 0;
		}
		goto out;
	}
	if (full[1] == ':') {
		if (fullen == 3) {
			tval_add_plain(out, ":", 1, line);
			rc = 0;
		} else {
			tox_rfail(rd, line,
			    "malformed substitution with prefix ':': %.*s",
			    (int)fullen, full);
		}
		goto out;
	}
	if (strcmp(V, "opts") == 0 || strcmp(V, "packages") == 0) {
		val = xasprintf("{%s}", V);
	} else if (strcmp(V, "posargs") == 0) {
		val = xstrdup(D != NULL ? D : ""); /* no positional arguments */
	} else if (T != NULL && strcmp(T, "posargs") == 0) {
		val = D != NULL && *D != '\0' ? xasprintf("%s:%s", V, D)
		                              : xstrdup(V);
	} else if (T == NULL && *V == '\0') {
		tox_rfail(rd, line,
		    "malformed substitution %.*s: no substitution type "
		    "(for os.pathsep, write {:})",
		    (int)fullen, full);
		goto out;
	} else if (T == NULL && (D == NULL || *D == '\0') &&
	    strcmp(V, "/") == 0) {
		val = xstrdup("/");
	} else if (T != NULL && strcmp(T, "env") == 0) {
		if (*V == '\0') {
			tox_rfail(rd, line, "{env:} needs a variable name");
			goto out;
		}
		if (rd->env != NULL && rd->stage > A_SETENV) {
			if (setenv_get(rd, V, line, &val) == -1)
				goto out;
		} else if (getenv(V) != NULL) {
			val = xstrdup(getenv(V));
		}
		if (val == NULL && D != NULL)
			val = xstrdup(D);
		if (val == NULL) {
			tox_rfail(rd, line,
			    "environment variable '%s' is not set, and "
			    "{env:%s} "
			    "has no default",
			    V, V);
			goto out;
		}
	} else if (T != NULL && strcmp(T, "tty") == 0) {
		val = xstrdup(D != NULL ? D : ""); /* never interactive */
	} else if (T != NULL) {
		tox_rfail(rd, line, "no support for the '%s' substitution type",
		    T);
		goto out;
	} else {
		if (sub_value(rd, V, line, &val) == -1)
			goto out;
		if (val == NULL) {
			rc = other_section(rd, V, 0, line, out);
			goto out;
		}
	}
	tval_add_plain(out, val, strlen(val), line);
	rc = 0;
out:
	free(T);
	free(V);
	free(D);
	free(val);
	return rc;
}

/* One re.sub() pass of RE_ITEM_REF over `in`. */
static int
substitute_once(struct rd *rd, const struct tval *in, int crossonly,
    struct tval *out)
{
	const char *s = in->b.data;
	size_t n = in->b.len, i = 0, li = 0;
	struct tval r;
	int rc = -1;

	tval_reset(out, in->lines[0]);
	tval_init(&r, in->lines[0]);
	while (i < n) {
		struct ref m;

		if (s[i] == '\n') {
			tval_newline(out, in->lines[++li]);
			i++;
			continue;
		}
		if (s[i] != '{') { /* a run of plain text */
			size_t j = i + strcspn(s + i, "{\n");

			vc_buf_add(&out->b, s + i, j - i);
			i = j;
			continue;
		}
		if ((i > 0 && s[i - 1] == '\\') || !match_ref(s, i, n, &m)) {
			vc_buf_addc(&out->b, s[i++]);
			continue;
		}
		if (++rd->work > MAX_WORK) {
			tox_rfail(rd, in->lines[li],
			    "more than %d substitutions: a loop?", MAX_WORK);
			goto out;
		}
		if (replace_match(rd, s, &m, crossonly, in->lines[li], &r) ==
		    -1)
			goto out;
		tval_splice(out, &r);
		for (; i <= m.end; i++)
			if (s[i] == '\n')
				li++;
		if ((rd->t->subst_bytes += r.b.len) > MAX_SUBST) {
			tox_fail(rd->t, in->lines[li], TOO_MUCH_WORK);
			goto out;
		}
		if (out->b.len > MAX_VALUE) {
			tox_rfail(rd, in->lines[li],
			    "a value longer than %u bytes after substitution",
			    MAX_VALUE);
			goto out;
		}
	}
	rc = 0;
out:
	tval_release(&r);
	return rc;
}

/* The line where the last pass (`b`, from `a`) changed something. */
static unsigned
first_change(const struct tval *a, const struct tval *b)
{
	size_t i, li = 0;

	for (i = 0;
	     i < a->b.len && i < b->b.len && a->b.data[i] == b->b.data[i]; i++)
		if (a->b.data[i] == '\n')
			li++;
	return a->lines[li];
}

/* Replacer.do_replace: passes until nothing changes. */
static int
do_replace(struct rd *rd, struct tval *v, int crossonly)
{
	struct tval next;
	int rc = -1, passes;

	tval_init(&next, v->lines[0]);
	for (passes = 0;; passes++) {
		if (passes == MAX_PASSES) {
			tox_rfail(rd, first_change(v, &next),
			    "substitutions still change the value after %d "
			    "passes: a loop?",
			    MAX_PASSES);
			goto out;
		}
		if (substitute_once(rd, v, crossonly, &next) == -1)
			goto out;
		if (next.b.len == v->b.len &&
		    memcmp(next.b.data, v->b.data, v->b.len) == 0)
			break;
		tval_swap(v, &next);
	}
	tval_swap(v, &next); /* the same text, and the lines of the last */
	rc = 0;
out:
	tval_release(&next);
	return rc;
}

/* SectionReader._replace: with (section, name) on the stack. */
static int
replace(struct rd *rd, struct tval *v, const char *name, const char *section,
    int crossonly)
{
	int rc;

	if (memchr(v->b.data, '{', v->b.len) == NULL)
		return 0;
	if (rd->depth >= MAX_DEPTH)
		return tox_rfail(rd, v->lines[0],
		    "substitutions nested more than %d deep", MAX_DEPTH);
	rd->depth++;
	rd->stk = xgrow(rd->stk, &rd->capstk, rd->nstk + 2, sizeof *rd->stk);
	rd->stk[rd->nstk++] = section;
	rd->stk[rd->nstk++] = name;
	rc = do_replace(rd, v, crossonly);
	rd->nstk -= 2;
	rd->depth--;
	return rc;
}

/* A key's value with factor conditions applied (compiled once). */
static int
filtered(struct rd *rd, struct ini_key *k, struct tval *out)
{
	struct tox *t = rd->t;

	if (!k->compiled) {
		k->compiled = 1;
		if (tox_compile_lines(t, &t->pool, &k->value, &k->cl,
		        &k->ncl) == -1)
			return -1;
		if (k->ncl >= INDEX_LINES)
			k->index =
			    tox_build_index(&t->pool, k->cl, k->ncl, t->ft.n);
	}
	tox_apply_compiled(&t->pool, k->cl, k->ncl, k->index, k->value.b.data,
	    rd->f, rd->nf, out, k->line, &t->checks);
	if (t->checks > MAX_CHECKS)
		return tox_fail(t, k->line, TOO_MUCH_WORK);
	return 0;
}

static int
blank(const char *s)
{
	while (tox_py_space((unsigned char)*s))
		s++;
	return *s == '\0';
}

/*
 * tox 4's Loader.load: the section's value, else its base's ([testenv]),
 * comments already cut (tox_strip_comments4); a value that its factor
 * conditions leave empty counts as unset there (IniLoader.load_raw raises
 * KeyError); then substitutions.
 */
static int
getstring4(struct rd *rd, const char *name, const char *def, int do_replace_,
    struct tval *out, int *found, unsigned line)
{
	struct tox *t = rd->t;
	const char *secs[2] = {rd->section, rd->fallback ? "testenv" : NULL};
	size_t i;

	*found = 0;
	for (i = 0; i < 2 && secs[i] != NULL && !*found; i++) {
		struct ini_key *k =
		    tox_find_key(t, tox_find_section(t, secs[i]), name);

		if (k == NULL)
			continue;
		if (filtered(rd, k, out) == -1)
			return -1;
		*found = !blank(out->b.data) || blank(k->value.b.data);
	}
	if (!*found) {
		if (def == NULL)
			return 0;
		*found = 1;
		tval_reset(out, line);
		vc_buf_adds(&out->b, def);
	}
	if (do_replace_ && out->b.len > 0 &&
	    replace(rd, out, name, rd->section, 0) == -1)
		return -1;
	return 0;
}

/*
 * SectionReader.getstring: the value in the reader's section, else in
 * [testenv]; factor conditions, substitutions, factor conditions again.
 * *found is 0 when neither has it and there is no default.
 */
int
tox_getstring(struct rd *rd, const char *name, const char *def, int do_replace_,
    struct tval *out, int *found, unsigned line)
{
	struct tox *t = rd->t;
	struct ini_key *k;

	if (t->v4)
		return getstring4(rd, name, def, do_replace_, out, found, line);
	k = tox_find_key(t, tox_find_section(t, rd->section), name);
	if (k == NULL && rd->fallback)
		k = tox_find_key(t, tox_find_section(t, "testenv"), name);
	*found = 1;
	if (k == NULL) {
		if (def == NULL) {
			*found = 0;
			return 0;
		}
		tval_reset(out, line);
		vc_buf_adds(&out->b, def);
	} else {
		if (!k->compiled) {
			k->compiled = 1;
			if (tox_compile_lines(t, &t->pool, &k->value, &k->cl,
			        &k->ncl) == -1)
				return -1;
			if (k->ncl >= INDEX_LINES)
				k->index = tox_build_index(&t->pool, k->cl,
				    k->ncl, t->ft.n);
		}
		tox_apply_compiled(&t->pool, k->cl, k->ncl, k->index,
		    k->value.b.data, rd->f, rd->nf, out, k->line, &t->checks);
		if (t->checks > MAX_CHECKS)
			return tox_fail(t, k->line, TOO_MUCH_WORK);
		if (do_replace_ && out->b.len > 0 &&
		    replace(rd, out, name, rd->section, 0) == -1)
			return -1;
		if (tox_apply_factors(t, out, rd->f, rd->nf) == -1)
			return -1;
	}
	if (do_replace_ && out->b.len > 0 &&
	    replace(rd, out, name, rd->section, 0) == -1)
		return -1;
	return 0;
}

/* toxinidir.join(path, abs=True): normalised, relative to toxinidir. */
char *
tox_path(const struct tox *t, const char *p)
{
	struct vc_strv parts;
	struct vc_buf b;
	char *joined = *p == '/' ? xstrdup(p) : vc_path_join(t->out->dir, p);
	const char *q = joined;
	size_t i;

	vc_strv_init(&parts);
	while (*q != '\0') {
		size_t len = strcspn(q, "/");

		if (len == 2 && q[0] == '.' && q[1] == '.') {
			/* "/.." is "/"; with no part there is no array. */
			if (parts.n > 0) {
				free(parts.v[--parts.n]);
				parts.v[parts.n] = NULL;
			}
		} else if (len > 0 && !(len == 1 && q[0] == '.')) {
			vc_strv_take(&parts, xstrndup(q, len));
		}
		q += len + (q[len] == '/');
	}
	vc_buf_init(&b);
	for (i = 0; i < parts.n; i++)
		vc_buf_addf(&b, "/%s", parts.v[i]);
	if (parts.n == 0)
		vc_buf_addc(&b, '/');
	vc_strv_release(&parts);
	free(joined);
	return vc_buf_detach(&b);
}

/* A path or string attribute ({envdir}, {changedir}, ...), evaluated at
 * its own place in tox's order; *out NULL when it has no value. */
static int
attr_string(struct rd *rd, int a, const char **out, unsigned line)
{
	struct envctx *env = rd->env;
	const char *saved_what = rd->what;
	int saved = rd->stage, found, rc = -1;
	struct tval v;

	if (env->have[a]) {
		*out = env->attr[a];
		return 0;
	}
	if (a == A_BASEPYTHON) /* evaluated before anything needs it */
		return tox_rfail(rd, line,
		    "{basepython} is not known yet here");
	rd->stage = a;
	rd->what = attrs[a].name;
	tval_init(&v, line);
	if (tox_getstring(rd, attrs[a].name, attrs[a].def, 1, &v, &found,
	        line) == -1)
		goto out;
	env->have[a] = 1;
	if (found && attrs[a].path)
		env->attr[a] = tox_path(rd->t, v.b.data);
	else if (found) {
		env->attr[a] = xstrdup(v.b.data);
		if (a == A_DESCRIPTION) {
			char *p;

			for (p = env->attr[a]; *p != '\0'; p++)
				if (*p == '\n')
					*p = ' ';
		}
	}
	*out = env->attr[a];
	rc = 0;
out:
	tval_release(&v);
	rd->stage = saved;
	rd->what = saved_what;
	return rc;
}

/* SectionReader.getbool. */
int
tox_getbool(struct rd *rd, const char *name, int def, int *out, unsigned line)
{
	struct tval v;
	int found, rc = -1;

	rd->what = name;
	tval_init(&v, line);
	if (tox_getstring(rd, name, NULL, 1, &v, &found, line) == -1)
		goto out;
	*out = def;
	if (found && rd->t->v4) {
		if ((*out = tox_bool4(v.b.data)) == -1) {
			tox_rfail(rd, v.lines[0],
			    "'%s' is not a boolean (true, 1, yes, on, false, "
			    "0, "
			    "no, off)",
			    v.b.data);
			goto out;
		}
	} else if (found && v.b.len > 0) {
		if (strcasecmp(v.b.data, "true") == 0)
			*out = 1;
		else if (strcasecmp(v.b.data, "false") == 0)
			*out = 0;
		else {
			tox_rfail(rd, v.lines[0],
			    "boolean value '%s' needs to be 'True' or 'False'",
			    v.b.data);
			goto out;
		}
	}
	rc = 0;
out:
	tval_release(&v);
	return rc;
}

/* SectionReader.getlist: stripped, non-empty lines, with their lines. */
int
tox_getlist(struct rd *rd, const char *name, struct vc_strv *out,
    unsigned **lines, unsigned line)
{
	struct tval v;
	int found, rc = -1;
	const char *s;
	size_t li = 0;

	rd->what = name;
	tval_init(&v, line);
	if (tox_getstring(rd, name, NULL, 1, &v, &found, line) == -1)
		goto out;
	for (s = v.b.data; found; li++) {
		size_t len = strcspn(s, "\n");
		char *l = tox_strip_n(s, len);

		if (*l != '\0') {
			if (lines != NULL) {
				*lines = xrealloc(*lines,
				    (out->n + 1) * sizeof **lines);
				(*lines)[out->n] = v.lines[li];
			}
			vc_strv_take(out, l);
		} else {
			free(l);
		}
		if (s[len] == '\0')
			break;
		s += len + 1;
	}
	rc = 0;
out:
	tval_release(&v);
	return rc;
}
