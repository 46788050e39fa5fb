/*
 * tox-toml.c: tox 4's native TOML configuration (4.67), tox.toml or a
 * pyproject.toml [tool.tox] without legacy_tox_ini, for what decides what
 * gets installed (tox/config/source/toml_pyproject.py and
 * tox/config/loader/toml/ of tox):
 *
 *   - the environments: env_list (names, {product = [...], exclude},
 *     labelled and range factor groups), then the [env.NAME] tables, then
 *     the names [env_base.NAME] makes of its factors; [labels];
 *   - for each, from [env.NAME], else [env_base.NAME] (for its generated
 *     names), else [env_run_base]: deps, dependency_groups, package,
 *     skip_install, use_develop, extras, base_python, pip_pre, labels,
 *     skip_missing_interpreters; values are TOML types, checked as tox
 *     checks them (a string is no bool);
 *   - tox's TOML substitutions: {replace = "ref", of = [...]} and
 *     {replace = "ref", env = ..., key = ...} (extend = true spreads a
 *     list), {replace = "env", name, default}, {replace = "posargs",
 *     default}, {replace = "if", condition, then, else} (tox's condition
 *     expressions); and in strings tox's {...} forms: {env_name}, {tox_root},
 *     {env:VAR:default} (set_env first), {posargs:default}, {/}, {:},
 *     {[section.path]key}, with \{ \} \: \[ \] escapes.
 *
 * What changes what is installed and is not read ({replace = "glob"},
 * markers, a {key} venvcache cannot compute) is an error naming
 * file:LINE and the key, never a silent guess; the settings venvcache does
 * not read (install_command, constraints, ...) get a warning each.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "tox-int.h"
#include "venvcache/toml.h"

#define SEP VC_TOML_SEP
#define MAX_UNROLL 100 /* tox's MAX_REPLACE_DEPTH */
/* Values unrolled and bytes substituted for the whole file: references
 * can multiply (a list of refs to a list of refs...). */
#define MAX_TOML_WORK 10000000

struct tt {
	struct tox *t;
	json_t *doc;      /* the whole document: refs start at its root */
	json_t *lines;    /* vc_toml_parse_lines() */
	json_t *top;      /* the tox table: doc, or doc.tool.tox */
	const char *pfx;  /* "" or "tool" SEP "tox" SEP, for lines */
	const char *dpfx; /* "" or "tool.tox.": section names in messages */
	json_t *run_base; /* [env_run_base], or NULL */
	json_t *envs;     /* [env], or NULL */
	json_t *env_base; /* [env_base], or NULL */
	struct vc_strv gen_name, gen_base; /* env_base's names, their base */
	size_t work;                       /* bounded by MAX_TOML_WORK */
};

/* One environment being read: its tables, most specific first. */
struct ev {
	struct tt *tt;
	const char *env;
	json_t *tab[3];
	char *tabname[3]; /* "env.NAME" ..., as keys of `lines` (SEP) */
	size_t ntab;
	const char *key; /* being read, for messages */
	unsigned line;
	unsigned depth;
	struct vc_strv refs;
};

static void
strv_clear(struct vc_strv *v)
{
	vc_strv_release(v);
	vc_strv_init(v);
}

static int ev_fail(struct ev *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
ev_fail(struct ev *ev, const char *fmt, ...)
{
	char msg[VC_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ev->env != NULL)
		return tox_fail(ev->tt->t, ev->line, "env %s: %s: %s", ev->env,
		    ev->key, msg);
	return tox_fail(ev->tt->t, ev->line, "%s: %s", ev->key, msg);
}

/* Counts `n` units of work; -1 (and the error) past the bound. */
static int
spend(struct ev *ev, size_t n)
{
	ev->tt->work += n;
	if (ev->tt->work <= MAX_TOML_WORK)
		return 0;
	return ev_fail(ev,
	    "this file needs too much work to read "
	    "(references or substitutions that multiply)");
}

/* The line of the node at `path` (SEP-separated, below the tox table
 * when `in_top`), 0 if unknown. */
static unsigned
line_at(const struct tt *tt, int in_top, const char *path)
{
	char *full = xasprintf("%s%s", in_top ? tt->pfx : "", path);
	json_int_t l = json_integer_value(json_object_get(tt->lines, full));

	free(full);
	return l > 0 ? (unsigned)l : 0;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "dict";
	case JSON_ARRAY:
		return "list";
	case JSON_STRING:
		return "str";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "None";
	}
}

/* --- strings: tox's {...} substitutions -------------------------------- */

static int unroll_key(struct ev *ev, const char *env, const char *key,
    json_t **out);
static json_t *unroll(struct ev *ev, json_t *v, unsigned depth);

/* A raw value as tox's stringify() makes it. */
static void
stringify(json_t *v, struct vc_buf *b)
{
	size_t i;
	json_t *x;
	const char *k;

	switch (json_typeof(v)) {
	case JSON_STRING:
		vc_buf_adds(b, json_string_value(v));
		break;
	case JSON_INTEGER:
		vc_buf_addf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_TRUE:
		vc_buf_adds(b, "True");
		break;
	case JSON_FALSE:
		vc_buf_adds(b, "False");
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, x)
		{
			if (i > 0)
				vc_buf_addc(b, '\n');
			stringify(x, b);
		}
		break;
	case JSON_OBJECT:
		i = 0;
		json_object_foreach(v, k, x)
		{
			if (i++ > 0)
				vc_buf_addc(b, '\n');
			vc_buf_addf(b, "%s=", k);
			stringify(x, b);
		}
		break;
	default:
		vc_buf_adds(b, "None");
	}
}

/* A dotted path from the document's root (load_raw_from_root). */
static json_t *
root_path(struct tt *tt, const char *path)
{
	json_t *cur = tt->doc;
	const char *p = path;

	for (;;) {
		size_t n = strcspn(p, ".");
		char *k = xstrndup(p, n);

		cur = json_is_object(cur) ? json_object_get(cur, k) : NULL;
		free(k);
		if (cur == NULL || p[n] == '\0')
			return cur;
		p += n + 1;
	}
}

/* {env:NAME:default}: the environment's set_env (a plain string there),
 * then the process environment, then the default. */
static const char *
env_var(struct ev *ev, const char *name)
{
	size_t i;

	for (i = 0; i < ev->ntab; i++) {
		json_t *se = json_object_get(ev->tab[i], "set_env");

		if (se == NULL)
			se = json_object_get(ev->tab[i], "setenv");
		if (se != NULL) {
			const char *v =
			    json_string_value(json_object_get(se, name));

			if (v != NULL)
				return v;
			break;
		}
	}
	return getenv(name);
}

static int expand(struct ev *ev, const char *s, size_t n, size_t *pos,
    int in_expr, struct vc_strv *args, unsigned depth);

/* A string with its {...} expanded; NULL after an error. */
static char *
subst(struct ev *ev, const char *s, unsigned depth)
{
	struct vc_strv args;
	size_t pos = 0;
	char *out = NULL;

	if (depth > MAX_UNROLL) {
		ev_fail(ev, "substitutions nest deeper than %d", MAX_UNROLL);
		return NULL;
	}
	vc_strv_init(&args);
	if (expand(ev, s, strlen(s), &pos, 0, &args, depth) != -1) {
		out = args.v[0];
		args.v[0] = NULL;
	}
	vc_strv_release(&args);
	return out;
}

static void
join_args(const struct vc_strv *a, size_t from, struct vc_buf *b)
{
	size_t i;

	for (i = from; i < a->n; i++)
		vc_buf_addf(b, "%s%s", i > from ? ":" : "", a->v[i]);
}

/* A key of the environment itself ({env_name}) or of another. */
static int
env_key(struct ev *ev, const char *env, const char *key, struct vc_buf *b)
{
	json_t *v = NULL;

	if (env == NULL)
		return ev_fail(ev,
		    "{%s}: venvcache does not substitute it outside an "
		    "environment",
		    key);
	if (strcmp(key, "env_name") == 0 || strcmp(key, "envname") == 0) {
		vc_buf_adds(b, env);
		return 0;
	}
	if (strcmp(key, "tox_root") == 0 || strcmp(key, "toxinidir") == 0) {
		vc_buf_adds(b, ev->tt->t->out->dir);
		return 0;
	}
	if (strcmp(key, "deps") == 0 || strcmp(key, "extras") == 0 ||
	    strcmp(key, "dependency_groups") == 0 ||
	    strcmp(key, "base_python") == 0 || strcmp(key, "package") == 0) {
		if (unroll_key(ev, env, key, &v) == -1)
			return -1;
		if (v != NULL)
			stringify(v, b);
		json_decref(v);
		return 0;
	}
	return ev_fail(ev,
	    "{%s}: venvcache does not substitute this setting in a tox.toml",
	    key);
}

/* One {...} with its arguments expanded: appended to `b`. */
static int
resolve(struct ev *ev, const struct vc_strv *a, struct vc_buf *b,
    unsigned depth)
{
	const char *kind = a->v[0];
	const char *text, *lb, *rb, *key, *colon;
	struct vc_buf all;
	int rc = -1;

	if (strcmp(kind, "/") == 0 && a->n == 1) {
		vc_buf_addc(b, '/');
		return 0;
	}
	if (*kind == '\0' && a->n == 2 && *a->v[1] == '\0') {
		vc_buf_addc(b, ':');
		return 0;
	}
	if (strcmp(kind, "env") == 0 && a->n > 1) {
		const char *v;

		if (*a->v[1] == '\0')
			return ev_fail(ev,
			    "No variable name was supplied in "
			    "{env} substitution");
		if ((v = env_var(ev, a->v[1])) != NULL)
			vc_buf_adds(b, v);
		else
			join_args(a, 2, b);
		return 0;
	}
	if (strcmp(kind, "posargs") == 0) {
		/* venvcache has no positional arguments: the default */
		join_args(a, 1, b);
		return 0;
	}
	if (strcmp(kind, "tty") == 0 || strcmp(kind, "glob") == 0 ||
	    strcmp(kind, "factor") == 0)
		return ev_fail(ev,
		    "{%s:...}: venvcache does not read this substitution",
		    kind);
	/* a reference: ([section])?key(:default)? */
	vc_buf_init(&all);
	vc_buf_grow(&all, 0);
	join_args(a, 0, &all);
	text = all.data;
	lb = NULL;
	key = text;
	if (*text == '[' && (rb = strrchr(text, ']')) != NULL) {
		lb = text + 1;
		key = rb + 1;
	}
	colon = key +
	    strspn(key,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789-_");
	if (colon == key || (*colon != '\0' && *colon != ':')) {
		/* not a reference: kept as written */
		vc_buf_addf(b, "{%s}", text);
		rc = 0;
		goto out;
	}
	{
		char *k = xstrndup(key, (size_t)(colon - key));
		const char *def = *colon == ':' ? colon + 1 : NULL;

		if (lb == NULL) {
			rc = env_key(ev, ev->env, k, b);
		} else {
			char *sec = xstrndup(lb, (size_t)(key - 1 - lb));
			size_t ep = strlen(ev->tt->dpfx) + 4;
			char *envp = xasprintf("%senv.", ev->tt->dpfx);
			json_t *v;

			if (strncmp(sec, envp, ep) == 0 && sec[ep] != '\0') {
				rc = env_key(ev, sec + ep, k, b);
			} else {
				char *path = xasprintf("%s.%s", sec, k);

				if ((v = root_path(ev->tt, path)) != NULL) {
					struct vc_buf raw;
					char *x;

					vc_buf_init(&raw);
					vc_buf_grow(&raw, 0);
					stringify(v, &raw);
					x = subst(ev, raw.data, depth + 1);
					if (x != NULL)
						vc_buf_adds(b, x);
					rc = x != NULL ? 0 : -1;
					free(x);
					vc_buf_release(&raw);
				} else if (def != NULL) {
					vc_buf_adds(b, def);
					rc = 0;
				} else {
					vc_buf_addf(b, "{%s}", text);
					rc = 0;
				}
				free(path);
			}
			free(envp);
			free(sec);
		}
		free(k);
	}
out:
	vc_buf_release(&all);
	return rc;
}

/*
 * tox's MatchExpression.parse_and_split_to_terminator: text up to '}'
 * (in_expr) or the end, split at ':' in an expression, with nested
 * {...} expanded. 1 when an expression closed, 0 at the end, -1 on an
 * error.
 */
static int
expand(struct ev *ev, const char *s, size_t n, size_t *pos, int in_expr,
    struct vc_strv *args, unsigned depth)
{
	struct vc_buf cur;

	/* Each '{' nests a level: bounded as subst's are, before the
	 * stack is. */
	if (depth > MAX_UNROLL)
		return ev_fail(ev, "substitutions nest deeper than %d",
		    MAX_UNROLL);
	vc_buf_init(&cur);
	vc_buf_grow(&cur, 0);
	while (*pos < n) {
		char c = s[*pos];

		TOX_SCAN();
		if (spend(ev, 1) == -1) {
			vc_buf_release(&cur);
			return -1;
		}
		if (c == '\\' && *pos + 1 < n &&
		    strchr(":{}[]", s[*pos + 1]) != NULL && s[*pos + 1]) {
			vc_buf_addc(&cur, s[*pos + 1]);
			*pos += 2;
			continue;
		}
		if (c == '\\' && *pos + 1 < n && s[*pos + 1] == '\\') {
			vc_buf_add(&cur, "\\\\", 2);
			*pos += 2;
			continue;
		}
		if (in_expr && c == '}') {
			(*pos)++;
			vc_strv_take(args, vc_buf_detach(&cur));
			return 1;
		}
		if (in_expr && c == ':') {
			vc_strv_take(args, vc_buf_detach(&cur));
			vc_buf_init(&cur);
			vc_buf_grow(&cur, 0);
			(*pos)++;
			continue;
		}
		if (c == '[' && *pos + 1 < n && s[*pos + 1] == ']') {
			*pos += 2; /* {posargs}: none */
			continue;
		}
		if (c == '{') {
			struct vc_strv sub;
			size_t p2 = *pos + 1;
			int r;

			vc_strv_init(&sub);
			r = expand(ev, s, n, &p2, 1, &sub, depth + 1);
			if (r == 1)
				r = resolve(ev, &sub, &cur, depth) == -1 ? -1
				                                         : 1;
			vc_strv_release(&sub);
			if (r == -1) {
				vc_buf_release(&cur);
				return -1;
			}
			if (r == 1) {
				*pos = p2;
				continue;
			}
			/* no '}': the '{' is text */
		}
		vc_buf_addc(&cur, c);
		(*pos)++;
	}
	if (in_expr) {
		vc_buf_release(&cur);
		return 0;
	}
	vc_strv_take(args, vc_buf_detach(&cur));
	return 0;
}

/* --- values: tox's Unroll ------------------------------------------------ */

/* The raw value of `key` for env `env` (its tables in order), or NULL;
 * `*where` the table's name. */
static json_t *
raw_key(struct ev *ev, const char *key, const char **where)
{
	size_t i;
	json_t *v;

	for (i = 0; i < ev->ntab; i++)
		if ((v = json_object_get(ev->tab[i], key)) != NULL) {
			if (where != NULL)
				*where = ev->tabname[i];
			return v;
		}
	return NULL;
}

static void ev_init(struct ev *ev, struct tt *tt, const char *env);
static void ev_release(struct ev *ev);

/* {replace = "ref", env = E, key = K}: E's value of K, unrolled as E
 * reads it; NULL in *out when E has none. */
static int
unroll_key(struct ev *ev, const char *env, const char *key, json_t **out)
{
	struct ev other;
	json_t *raw;
	int rc = -1;

	*out = NULL;
	if (ev->depth > MAX_UNROLL)
		return ev_fail(ev, "references nest deeper than %d",
		    MAX_UNROLL);
	ev_init(&other, ev->tt, env);
	other.key = ev->key;
	other.line = ev->line;
	other.depth = ev->depth + 1;
	if ((raw = raw_key(&other, key, NULL)) == NULL) {
		rc = 0;
		goto out;
	}
	if ((*out = unroll(&other, raw, 0)) == NULL)
		goto out;
	if (strcmp(key, "extras") == 0 ||
	    strcmp(key, "dependency_groups") == 0) {
		/* a set: sorted, as _to_raw sorts it */
		struct vc_strv s;
		size_t i;
		json_t *x;

		vc_strv_init(&s);
		json_array_foreach(*out, i, x) if (json_is_string(x))
		    vc_strv_push(&s, json_string_value(x));
		vc_strv_sort_uniq(&s);
		json_array_clear(*out);
		for (i = 0; i < s.n; i++)
			json_array_append_new(*out, json_string(s.v[i]));
		vc_strv_release(&s);
	}
	rc = 0;
out:
	ev_release(&other);
	return rc;
}

/* --- {replace = "if"}: tox's condition expressions ------------------------ */

/*
 * The factors that hold for an environment (active_factors): those of
 * its name, the platform (sys.platform) and the machine's ISA unless the
 * name has an architecture factor of its own.
 */
static void
active_factors(const char *env, struct vc_strv *out)
{
	static const char *const archs[] = {"arm64", "loongarch64", "ppc",
	    "ppc64", "ppc64le", "riscv64", "s390x", "sparc64", "x86", "x86_64"};
	static const char *const isa_from[] = {"amd64", "aarch64", "i386",
	    "i486", "i586", "i686", "powerpc", "powerpc64", "powerpc64le",
	    "sparcv9"};
	static const char *const isa_to[] = {"x86_64", "arm64", "x86", "x86",
	    "x86", "x86", "ppc", "ppc64", "ppc64le", "sparc64"};
	struct utsname u;
	const char *p = env;
	char isa[sizeof u.machine], plat[sizeof u.sysname];
	int has_arch = 0;
	size_t i;

	for (; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, "-");

		vc_strv_take(out, xstrndup(p, n));
		for (i = 0; i < VC_ARRAY_SIZE(archs); i++)
			if (strcmp(out->v[out->n - 1], archs[i]) == 0)
				has_arch = 1;
		p += n + (p[n] == '-');
	}
	if (uname(&u) != 0)
		return;
	for (i = 0; u.sysname[i] != '\0'; i++)
		plat[i] = (char)tolower((unsigned char)u.sysname[i]);
	plat[i] = '\0';
	vc_strv_push(out, plat); /* "linux", "darwin": sys.platform */
	for (i = 0; u.machine[i] != '\0'; i++)
		isa[i] = (char)tolower((unsigned char)u.machine[i]);
	isa[i] = '\0';
	for (i = 0; i < VC_ARRAY_SIZE(isa_from); i++)
		if (strcmp(isa, isa_from[i]) == 0)
			snprintf(isa, sizeof isa, "%s", isa_to[i]);
	if (!has_arch && !vc_strv_contains(out, isa))
		vc_strv_push(out, isa);
}

/* A value of a condition: a string, or a bool when s is NULL. */
struct cval {
	char *s;
	int b;
};

struct cond {
	struct ev *ev;
	const char *expr, *p;
	struct vc_strv factors;
	unsigned depth; /* of "not" and "(" now open: bounded */
};

/* Nesting of "not" and parentheses a condition may have. */
#define MAX_COND_DEPTH 100

static void
cskip(struct cond *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n')
		c->p++;
}

static int
ctruth(const struct cval *v)
{
	return v->s != NULL ? *v->s != '\0' : v->b;
}

/* The keyword `w` next, as a whole word. */
static int
ckw(struct cond *c, const char *w)
{
	size_t n = strlen(w);

	cskip(c);
	if (strncmp(c->p, w, n) != 0 || isalnum((unsigned char)c->p[n]) ||
	    c->p[n] == '_')
		return 0;
	c->p += n;
	return 1;
}

static int cor(struct cond *c, struct cval *out);

static int
cfail(struct cond *c, const char *what)
{
	return ev_fail(c->ev, "%s in condition: %s", what, c->expr);
}

/* A Python string literal (no escapes but \\ and the quote). */
static int
cstring(struct cond *c, char **out)
{
	char q = *c->p++;
	struct vc_buf b;

	vc_buf_init(&b);
	vc_buf_grow(&b, 0);
	while (*c->p != q) {
		if (*c->p == '\0' || *c->p == '\n') {
			vc_buf_release(&b);
			return cfail(c, "Invalid condition expression");
		}
		if (*c->p == '\\' && (c->p[1] == q || c->p[1] == '\\'))
			c->p++;
		vc_buf_addc(&b, *c->p++);
	}
	c->p++;
	*out = vc_buf_detach(&b);
	return 0;
}

static int
catom(struct cond *c, struct cval *out)
{
	char *name = NULL, *key = NULL;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof *out);
	cskip(c);
	if (spend(c->ev, 1) == -1)
		return -1;
	if (*c->p == '(') {
		int r;

		c->p++;
		if (++c->depth > MAX_COND_DEPTH)
			return cfail(c,
			    "Invalid condition expression: "
			    "nested too deep");
		r = cor(c, out);
		c->depth--;
		if (r == -1)
			return -1;
		cskip(c);
		if (*c->p != ')') {
			free(out->s);
			out->s = NULL;
			return cfail(c, "Invalid condition expression");
		}
		c->p++;
		return 0;
	}
	if (*c->p == '"' || *c->p == '\'')
		return cstring(c, &out->s);
	n = strspn(c->p,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_");
	if (n == 0 || isdigit((unsigned char)*c->p))
		return cfail(c, "Unsupported expression");
	name = xstrndup(c->p, n);
	c->p += n;
	cskip(c);
	if (*c->p == '.') {
		c->p++;
		cskip(c);
		n = strspn(c->p,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_");
		if (n == 0 || isdigit((unsigned char)*c->p)) {
			cfail(c, "Invalid condition expression");
			goto out;
		}
		key = xstrndup(c->p, n);
		c->p += n;
	} else if (*c->p == '[') {
		c->p++;
		cskip(c);
		if ((*c->p != '"' && *c->p != '\'') || cstring(c, &key) == -1) {
			if (!c->ev->tt->t->failed)
				cfail(c, "Unsupported expression");
			goto out;
		}
		cskip(c);
		if (*c->p != ']') {
			cfail(c, "Invalid condition expression");
			goto out;
		}
		c->p++;
	}
	if (key == NULL) {
		if (strcmp(name, "env_name") != 0) {
			cfail(c, "Unsupported expression");
			goto out;
		}
		out->s = xstrdup(c->ev->env != NULL ? c->ev->env : "");
	} else if (strcmp(name, "env") == 0) {
		const char *v = getenv(key);

		out->s = xstrdup(v != NULL ? v : "");
	} else if (strcmp(name, "factor") == 0) {
		out->b = vc_strv_contains(&c->factors, key);
	} else {
		ev_fail(c->ev,
		    "Unsupported namespace in condition: %s (expected 'env' or "
		    "'factor')",
		    name);
		goto out;
	}
	rc = 0;
out:
	free(name);
	free(key);
	return rc;
}

static int
ccompare(struct cond *c, struct cval *out)
{
	struct cval r;
	int ne;

	if (catom(c, out) == -1)
		return -1;
	cskip(c);
	if (strncmp(c->p, "==", 2) != 0 && strncmp(c->p, "!=", 2) != 0)
		return 0;
	ne = c->p[0] == '!';
	c->p += 2;
	if (catom(c, &r) == -1) {
		free(out->s);
		out->s = NULL;
		return -1;
	}
	{
		int eq = (out->s == NULL) == (r.s == NULL) &&
		    (out->s != NULL ? strcmp(out->s, r.s) == 0 : out->b == r.b);

		free(out->s);
		free(r.s);
		out->s = NULL;
		out->b = ne ? !eq : eq;
	}
	cskip(c);
	if (strncmp(c->p, "==", 2) == 0 || strncmp(c->p, "!=", 2) == 0)
		return cfail(c, "Unsupported expression");
	return 0;
}

static int
cnot(struct cond *c, struct cval *out)
{
	if (ckw(c, "not")) {
		int r;

		if (++c->depth > MAX_COND_DEPTH)
			return cfail(c,
			    "Invalid condition expression: "
			    "nested too deep");
		r = cnot(c, out);
		c->depth--;
		if (r == -1)
			return -1;
		out->b = !ctruth(out);
		free(out->s);
		out->s = NULL;
		return 0;
	}
	return ccompare(c, out);
}

static int
cand(struct cond *c, struct cval *out)
{
	int all, more = 0;

	if (cnot(c, out) == -1)
		return -1;
	all = ctruth(out);
	while (ckw(c, "and")) {
		struct cval r;

		more = 1;
		if (cnot(c, &r) == -1) {
			free(out->s);
			out->s = NULL;
			return -1;
		}
		all = all && ctruth(&r);
		free(r.s);
	}
	if (more) {
		free(out->s);
		out->s = NULL;
		out->b = all;
	}
	return 0;
}

static int
cor(struct cond *c, struct cval *out)
{
	int any, more = 0;

	if (cand(c, out) == -1)
		return -1;
	any = ctruth(out);
	while (ckw(c, "or")) {
		struct cval r;

		more = 1;
		if (cand(c, &r) == -1) {
			free(out->s);
			out->s = NULL;
			return -1;
		}
		any = any || ctruth(&r);
		free(r.s);
	}
	if (more) {
		free(out->s);
		out->s = NULL;
		out->b = any;
	}
	return 0;
}

/* _evaluate_condition: -1, or whether `expr` holds for the env. */
static int
condition(struct ev *ev, const char *expr)
{
	struct cond c;
	struct cval v;
	int rc = -1;

	memset(&c, 0, sizeof c);
	c.ev = ev;
	c.expr = c.p = expr;
	vc_strv_init(&c.factors);
	active_factors(ev->env, &c.factors);
	if (cor(&c, &v) == 0) {
		cskip(&c);
		if (*c.p != '\0')
			cfail(&c, "Invalid condition expression");
		else
			rc = ctruth(&v);
		free(v.s);
	}
	vc_strv_release(&c.factors);
	return rc;
}

static json_t *
directive(struct ev *ev, json_t *v, const char *kind, unsigned depth)
{
	json_t *r = NULL;

	if (json_object_get(v, "marker") != NULL) {
		ev_fail(ev, "a replace with a marker is not read by venvcache");
		return NULL;
	}
	if (strcmp(kind, "ref") == 0) {
		const char *env = json_string_value(json_object_get(v, "env"));
		const char *key = json_string_value(json_object_get(v, "key"));
		json_t *of = json_object_get(v, "of");

		if (env != NULL && *env != '\0' && key != NULL &&
		    *key != '\0') {
			if (unroll_key(ev, env, key, &r) == -1)
				return NULL;
			return r != NULL ? r : json_array();
		}
		if (json_is_array(of) && json_array_size(of) > 0) {
			struct vc_buf path;
			json_t *x, *loaded;
			size_t i;

			vc_buf_init(&path);
			vc_buf_grow(&path, 0);
			json_array_foreach(of, i, x)
			{
				if (!json_is_string(x)) {
					vc_buf_release(&path);
					ev_fail(ev,
					    "ref: of: %s is not of type "
					    "'str'",
					    type_name(x));
					return NULL;
				}
				vc_buf_addf(&path, "%s%s", i ? "." : "",
				    json_string_value(x));
			}
			if (vc_strv_contains(&ev->refs, path.data)) {
				ev_fail(ev, "circular reference to %s",
				    path.data);
				vc_buf_release(&path);
				return NULL;
			}
			if ((loaded = root_path(ev->tt, path.data)) == NULL) {
				ev_fail(ev, "ref: no key %s in the file",
				    path.data);
				vc_buf_release(&path);
				return NULL;
			}
			vc_strv_push(&ev->refs, path.data);
			r = unroll(ev, loaded, depth);
			free(ev->refs.v[--ev->refs.n]);
			ev->refs.v[ev->refs.n] = NULL;
			vc_buf_release(&path);
			return r;
		}
		return json_incref(v);
	}
	if (strcmp(kind, "env") == 0) {
		const char *name =
		    json_string_value(json_object_get(v, "name"));
		json_t *d = json_object_get(v, "default");
		const char *val;

		if (name == NULL) {
			ev_fail(ev,
			    "replace = \"env\": name is not of type "
			    "'str'");
			return NULL;
		}
		if ((val = env_var(ev, name)) != NULL)
			return json_string(val);
		if (d == NULL)
			return json_string("");
		if ((r = unroll(ev, d, depth)) != NULL && !json_is_string(r)) {
			ev_fail(ev,
			    "replace = \"env\": default: %s is not of "
			    "type 'str'",
			    type_name(r));
			json_decref(r);
			return NULL;
		}
		return r;
	}
	if (strcmp(kind, "posargs") == 0) {
		/* venvcache has no positional arguments: the default */
		json_t *d = json_object_get(v, "default");

		return d != NULL ? unroll(ev, d, depth) : json_array();
	}
	if (strcmp(kind, "if") == 0) {
		const char *cnd =
		    json_string_value(json_object_get(v, "condition"));
		json_t *then = json_object_get(v, "then");
		json_t *els = json_object_get(v, "else");
		int holds;

		if (cnd == NULL || *cnd == '\0') {
			ev_fail(ev,
			    "No condition was supplied in if "
			    "replacement");
			return NULL;
		}
		if (then == NULL) {
			ev_fail(ev,
			    "No 'then' value was supplied in if "
			    "replacement");
			return NULL;
		}
		if ((holds = condition(ev, cnd)) == -1)
			return NULL;
		if (holds)
			return unroll(ev, then, depth);
		return els != NULL ? unroll(ev, els, depth) : json_string("");
	}
	ev_fail(ev, "replace = \"%s\" is not read by venvcache", kind);
	return NULL;
}

static json_t *
unroll(struct ev *ev, json_t *v, unsigned depth)
{
	if (spend(ev, 1) == -1)
		return NULL;
	if (++depth > MAX_UNROLL) {
		ev_fail(ev, "could not expand: nested deeper than %d",
		    MAX_UNROLL);
		return NULL;
	}
	if (json_is_string(v)) {
		char *s = subst(ev, json_string_value(v), 0);
		json_t *r;

		if (s == NULL)
			return NULL;
		r = json_string(s);
		free(s);
		if (r == NULL)
			ev_fail(ev,
			    "a substitution made text that is not "
			    "UTF-8");
		return r;
	}
	if (json_is_array(v)) {
		json_t *out = json_array(), *x;
		size_t i;

		json_array_foreach(v, i, x)
		{
			json_t *got = unroll(ev, x, depth);
			int spread = json_is_object(x) &&
			    json_is_string(json_object_get(x, "replace")) &&
			    json_is_true(json_object_get(x, "extend"));

			if (got == NULL) {
				json_decref(out);
				return NULL;
			}
			if (!spread)
				json_array_append_new(out, got);
			else if (json_is_string(got)) {
				if (json_string_length(got) > 0)
					json_array_append(out, got);
				json_decref(got);
			} else if (json_is_array(got)) {
				if (spend(ev, json_array_size(got)) == -1) {
					json_decref(got);
					json_decref(out);
					return NULL;
				}
				json_array_extend(out, got);
				json_decref(got);
			} else {
				/* Named before `got` is freed. */
				ev_fail(ev, "extend = true of a %s",
				    type_name(got));
				json_decref(got);
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (json_is_object(v)) {
		const char *kind =
		    json_string_value(json_object_get(v, "replace"));
		json_t *out, *x;
		const char *k;

		if (kind != NULL)
			return directive(ev, v, kind, depth);
		out = json_object();
		json_object_foreach(v, k, x)
		{
			json_t *got = unroll(ev, x, depth);

			if (got == NULL) {
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, k, got);
		}
		return out;
	}
	return json_incref(v);
}

/* --- an environment ------------------------------------------------------ */

static void
ev_add(struct ev *ev, json_t *tab, char *name)
{
	if (json_is_object(tab)) {
		ev->tab[ev->ntab] = tab;
		ev->tabname[ev->ntab++] = name;
	} else
		free(name);
}

static void
ev_init(struct ev *ev, struct tt *tt, const char *env)
{
	ssize_t g;

	memset(ev, 0, sizeof *ev);
	ev->tt = tt;
	ev->env = env;
	vc_strv_init(&ev->refs);
	if (env == NULL) {
		ev_add(ev, tt->top, xstrdup(""));
		return;
	}
	ev_add(ev, json_object_get(tt->envs, env),
	    xasprintf("env" SEP "%s", env));
	if ((g = tox_strv_find_last(&tt->gen_name, env)) >= 0)
		ev_add(ev, json_object_get(tt->env_base, tt->gen_base.v[g]),
		    xasprintf("env_base" SEP "%s", tt->gen_base.v[g]));
	ev_add(ev, tt->run_base, xstrdup("env_run_base"));
}

static void
ev_release(struct ev *ev)
{
	size_t i;

	for (i = 0; i < ev->ntab; i++)
		free(ev->tabname[i]);
	vc_strv_release(&ev->refs);
}

/*
 * The value of the first of `keys` that the environment's tables have,
 * unrolled; NULL in *out when none has one. Sets ev->key and ev->line.
 */
static int
get(struct ev *ev, const char *const *keys, json_t **out)
{
	const char *where = NULL;
	json_t *raw = NULL;
	size_t i, k;

	*out = NULL;
	for (i = 0; i < ev->ntab && raw == NULL; i++)
		for (k = 0; keys[k] != NULL && raw == NULL; k++)
			if ((raw = json_object_get(ev->tab[i], keys[k])) !=
			    NULL) {
				where = ev->tabname[i];
				ev->key = keys[k];
			}
	if (raw == NULL) {
		ev->key = keys[0];
		return 0;
	}
	{
		char *p = *where != '\0'
		    ? xasprintf("%s" SEP "%s", where, ev->key)
		    : xstrdup(ev->key);

		ev->line = line_at(ev->tt, 1, p);
		free(p);
	}
	*out = unroll(ev, raw, 0);
	return *out != NULL ? 0 : -1;
}

/* The line of element `i` of the value being read (its key's, if
 * unknown). */
static unsigned
elem_line(struct ev *ev, size_t i)
{
	size_t t;
	unsigned l = 0;

	for (t = 0; t < ev->ntab && l == 0; t++) {
		char *p;

		if (json_object_get(ev->tab[t], ev->key) == NULL)
			continue;
		p = *ev->tabname[t] != '\0'
		    ? xasprintf("%s" SEP "%s" SEP "%zu", ev->tabname[t],
		          ev->key, i)
		    : xasprintf("%s" SEP "%zu", ev->key, i);
		l = line_at(ev->tt, 1, p);
		free(p);
		break;
	}
	return l != 0 ? l : ev->line != 0 ? ev->line : 1;
}

static int
get_bool(struct ev *ev, const char *const *keys, int def, int *out)
{
	json_t *v;

	if (get(ev, keys, &v) == -1)
		return -1;
	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		ev_fail(ev, "%s is not of type 'bool'",
		    json_is_string(v) ? "value of type 'str'" : type_name(v));
		json_decref(v);
		return -1;
	}
	*out = json_is_true(v);
	json_decref(v);
	return 0;
}

/* A list of strings (`one`: a string is a list of one); NULL when unset. */
static int
get_strs(struct ev *ev, const char *const *keys, int one, struct vc_strv *out,
    int *found)
{
	json_t *v, *x;
	size_t i;

	*found = 0;
	if (get(ev, keys, &v) == -1)
		return -1;
	if (v == NULL)
		return 0;
	*found = 1;
	if (one && json_is_string(v)) {
		vc_strv_push(out, json_string_value(v));
		json_decref(v);
		return 0;
	}
	if (!json_is_array(v)) {
		ev_fail(ev, "value of type '%s' is not list", type_name(v));
		json_decref(v);
		return -1;
	}
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x)) {
			ev->line = elem_line(ev, i);
			ev_fail(ev, "%s is not of type 'str'",
			    json_is_boolean(x) || json_is_integer(x)
			        ? "a number or bool"
			        : type_name(x));
			json_decref(v);
			return -1;
		}
		vc_strv_push(out, json_string_value(x));
	}
	json_decref(v);
	return 0;
}

static void
warn(struct tt *tt, const char *key, unsigned line, const char *msg)
{
	struct tox *t = tt->t;
	char *id = xasprintf("%s:%u", key, line);

	if (!vc_strv_contains(&t->warned, id)) {
		vc_strv_take(&t->warned, id);
		vc_strv_take(&t->out->warnings,
		    xasprintf("%s:%u: %s", t->name, line, msg));
	} else
		free(id);
}

/* The settings that change what tox installs and venvcache does not
 * read (raw values: nothing needs substituting to see them). */
static void
unread(struct ev *ev)
{
	static const char *const plain[] = {"install_command", "uv_resolution",
	    "constraints", "pylock", "uv_seed", "pip_pre_install", "base"};
	static const char *const cmds[] = {"commands_pre", "commands",
	    "extra_setup_commands"};
	size_t i, t;
	char *msg, *p;
	unsigned l;

	for (t = 0; t < ev->ntab; t++) {
		const char *tn = ev->tabname[t];

		for (i = 0; i < VC_ARRAY_SIZE(plain); i++) {
			if (json_object_get(ev->tab[t], plain[i]) == NULL)
				continue;
			p = xasprintf("%s" SEP "%s", tn, plain[i]);
			l = line_at(ev->tt, 1, p);
			free(p);
			msg = xasprintf("%s changes what tox installs; "
			                "venvcache does not read it",
			    plain[i]);
			warn(ev->tt, plain[i], l, msg);
			free(msg);
		}
		for (i = 0; i < VC_ARRAY_SIZE(cmds); i++) {
			json_t *c = json_object_get(ev->tab[t], cmds[i]), *cmd;
			size_t j;

			json_array_foreach(c, j, cmd)
			{
				struct vc_buf b;
				int hit;

				if (!json_is_array(cmd))
					continue;
				vc_buf_init(&b);
				vc_buf_grow(&b, 0);
				{
					size_t k;
					json_t *w;

					json_array_foreach(cmd, k, w)
					    vc_buf_addf(&b, "%s%s",
					        k ? " " : "",
					        json_is_string(w)
					            ? json_string_value(w)
					            : "...");
				}
				hit = strstr(b.data, "pip install") != NULL ||
				    strstr(b.data, "pip3 install") != NULL;
				if (hit) {
					p = xasprintf("%s" SEP "%s" SEP "%zu",
					    tn, cmds[i], j);
					l = line_at(ev->tt, 1, p);
					free(p);
					msg =
					    xasprintf("%s runs '%.60s': what "
					              "it "
					              "installs is not in "
					              "venvcache's environment",
					        cmds[i], b.data);
					warn(ev->tt, cmds[i], l, msg);
					free(msg);
				}
				vc_buf_release(&b);
			}
		}
		{
			json_t *se = json_object_get(ev->tab[t], "set_env"), *x;
			const char *k;

			json_object_foreach(se, k, x)
			{
				if (strncmp(k, "PIP_", 4) != 0 &&
				    strncmp(k, "UV_", 3) != 0)
					continue;
				if (strstr(k, "CACHE_DIR") ||
				    strstr(k, "PROGRESS") ||
				    strstr(k, "NO_INPUT") ||
				    strstr(k, "COLOR") ||
				    strstr(k, "VERSION_CHECK"))
					continue;
				p = xasprintf("%s" SEP "set_env" SEP "%s", tn,
				    k);
				l = line_at(ev->tt, 1, p);
				free(p);
				msg = xasprintf("set_env: %s changes what tox "
				                "installs; venvcache does not "
				                "read "
				                "it",
				    k);
				warn(ev->tt, "set_env", l, msg);
				free(msg);
			}
		}
	}
}

static const char *const K_BASE_PYTHON[] = {"base_python", "basepython", NULL};
static const char *const K_SKIP_INSTALL[] = {"skip_install", NULL};
static const char *const K_USE_DEVELOP[] = {"use_develop", "usedevelop", NULL};
static const char *const K_PIP_PRE[] = {"pip_pre", NULL};
static const char *const K_PACKAGE[] = {"package", NULL};
static const char *const K_GROUPS[] = {"dependency_groups", NULL};
static const char *const K_DEPS[] = {"deps", NULL};
static const char *const K_EXTRAS[] = {"extras", NULL};
static const char *const K_LABELS[] = {"labels", NULL};
static const char *const K_SKIP_MISSING[] = {"skip_missing_interpreters", NULL};

static int
make_env(struct tt *tt, struct vc_tox_env *e)
{
	struct ev ev;
	struct envctx ctx;
	struct rd rd;
	struct vc_strv v;
	unsigned *lines = NULL;
	int found, rc = -1;
	size_t i;

	ev_init(&ev, tt, e->name);
	vc_strv_init(&v);
	memset(&ctx, 0, sizeof ctx);
	ctx.name = e->name;
	memset(&rd, 0, sizeof rd);
	rd.t = tt->t;
	rd.env = &ctx;
	/* base_python: a string or a list */
	if (get_strs(&ev, K_BASE_PYTHON, 1, &v, &found) == -1)
		goto out;
	lines = xmalloc((v.n + 1) * sizeof *lines);
	for (i = 0; i < v.n; i++)
		lines[i] = elem_line(&ev, i);
	if (tox_basepython4_of(&rd, e, found ? &v : NULL, lines,
	        ev.line ? ev.line : e->line) == -1)
		goto out;
	if (found && v.n > 0)
		e->basepython_line = lines[0];
	strv_clear(&v);
	if (get_bool(&ev, K_SKIP_INSTALL, 0, &e->skip_install) == -1 ||
	    get_bool(&ev, K_PIP_PRE, 0, &e->pip_pre) == -1 ||
	    get_bool(&ev, K_USE_DEVELOP, 0, &e->usedevelop) == -1 ||
	    get_bool(&ev, K_SKIP_MISSING, tt->t->skip_missing,
	        &e->skip_missing) == -1)
		goto out;
	{
		json_t *p = NULL;

		if (!tt->t->no_package && !e->skip_install && !e->usedevelop) {
			if (get(&ev, K_PACKAGE, &p) == -1)
				goto out;
			if (p != NULL && !json_is_string(p)) {
				ev_fail(&ev,
				    "value of type '%s' is not of "
				    "type 'str'",
				    type_name(p));
				json_decref(p);
				goto out;
			}
		}
		i = tox_package4_of(&rd, e, json_string_value(p),
		    p != NULL ? ev.line : e->line);
		json_decref(p);
		if (i != 0)
			goto out;
	}
	if (get_strs(&ev, K_GROUPS, 0, &v, &found) == -1)
		goto out;
	vc_strv_sort_uniq(&v);
	if (tox_groups4_of(&rd, e, &v, ev.line ? ev.line : e->line) == -1)
		goto out;
	strv_clear(&v);
	/* deps: requirement lines, a string may hold several */
	if (get_strs(&ev, K_DEPS, 1, &v, &found) == -1)
		goto out;
	for (i = 0; i < v.n; i++) {
		const char *s = v.v[i];
		unsigned l = elem_line(&ev, i);

		for (;;) {
			size_t len = strcspn(s, "\n");
			char *d = tox_strip_n(s, len);

			if (*d != '\0') {
				e->deps_lines = xrealloc(e->deps_lines,
				    (e->deps.n + 1) * sizeof *e->deps_lines);
				e->deps_lines[e->deps.n] = l;
				vc_strv_take(&e->deps, d);
			} else
				free(d);
			if (s[len] == '\0')
				break;
			s += len + 1;
		}
	}
	strv_clear(&v);
	if (get_strs(&ev, K_EXTRAS, 0, &e->extras, &found) == -1)
		goto out;
	vc_strv_sort_uniq(&e->extras);
	if (get_strs(&ev, K_LABELS, 0, &e->labels, &found) == -1)
		goto out;
	vc_strv_sort_uniq(&e->labels);
	unread(&ev);
	rc = 0;
out:
	free(lines);
	vc_strv_release(&v);
	ev_release(&ev);
	free(ctx.attr[A_BASEPYTHON]);
	return rc;
}

/* --- the environments ----------------------------------------------------- */

/* A factor group (expand_factor_group): a list of strings, a range
 * {prefix, start, stop}, or a labelled {label = [...] or {values} or
 * range}. */
static int
factor_group(struct ev *ev, json_t *g, struct vc_strv *out)
{
	json_t *x;
	size_t i;

	if (json_is_array(g)) {
		json_array_foreach(g, i, x)
		{
			if (!json_is_string(x))
				return ev_fail(ev,
				    "factor group list items must be strings, "
				    "got %s",
				    type_name(x));
			vc_strv_push(out, json_string_value(x));
		}
		return 0;
	}
	if (json_is_object(g) && json_object_get(g, "prefix") != NULL) {
		json_t *st = json_object_get(g, "start"),
		       *sp = json_object_get(g, "stop");
		const char *pre =
		    json_string_value(json_object_get(g, "prefix"));
		json_int_t a, b;

		if (pre == NULL || !json_is_integer(st) || !json_is_integer(sp))
			return ev_fail(ev,
			    "a range needs a string prefix and integers start "
			    "and stop (venvcache does not read an open range)");
		a = json_integer_value(st);
		b = json_integer_value(sp);
		/* Counted in unsigned: b - a may not fit a json_int_t. */
		if (a <= b && (uint64_t)b - (uint64_t)a > 1000)
			return ev_fail(ev, "a range of more than 1000 factors");
		for (uint64_t k = 0; a <= b && k <= (uint64_t)b - (uint64_t)a;
		     k++)
			vc_strv_take(out,
			    xasprintf("%s%lld", pre,
			        (long long)a + (long long)k));
		return 0;
	}
	if (json_is_object(g) && json_object_size(g) == 1) {
		const char *label;
		json_t *v;

		json_object_foreach(g, label, v)
		{
			static const char *const reserved[] = {"env", "posargs",
			    "tty", "glob", "factor"};

			for (i = 0; i < VC_ARRAY_SIZE(reserved); i++)
				if (strcmp(label, reserved[i]) == 0)
					return ev_fail(ev,
					    "'%s' is reserved and cannot be "
					    "used as a factor label",
					    label);
			if (json_is_object(v) &&
			    json_object_get(v, "prefix") != NULL)
				return factor_group(ev, v, out);
			if (json_is_object(v) &&
			    json_is_array(json_object_get(v, "values")))
				v = json_object_get(v, "values");
			if (!json_is_array(v))
				return ev_fail(ev,
				    "labeled factor group '%s' must map to a "
				    "list, a range dict, or a values dict",
				    label);
			json_array_foreach(v, i, x)
			{
				struct vc_buf b;

				vc_buf_init(&b);
				vc_buf_grow(&b, 0);
				stringify(x, &b);
				vc_strv_take(out, vc_buf_detach(&b));
			}
		}
		return 0;
	}
	return ev_fail(ev,
	    "factor group must be a list, a range dict, or a "
	    "labeled dict, got %s",
	    type_name(g));
}

/* The names of the product of `groups`, without `exclude`. */
static int
product(struct ev *ev, json_t *groups, json_t *exclude, struct vc_strv *out)
{
	struct vc_strv acc, next, f;
	json_t *g;
	size_t i, a, b, j;
	int rc = -1;

	vc_strv_init(&acc);
	vc_strv_init(&next);
	vc_strv_init(&f);
	if (!json_is_array(groups))
		return ev_fail(ev,
		    "product value must be a list of factor "
		    "groups, got %s",
		    type_name(groups));
	if (json_array_size(groups) == 0)
		return 0;
	vc_strv_push(&acc, "");
	json_array_foreach(groups, i, g)
	{
		strv_clear(&f);
		if (factor_group(ev, g, &f) == -1)
			goto out;
		strv_clear(&next);
		for (a = 0; a < acc.n; a++)
			for (b = 0; b < f.n; b++) {
				if (next.n >= MAX_EXPAND) {
					ev_fail(ev, "more than %d names",
					    MAX_EXPAND);
					goto out;
				}
				vc_strv_take(&next,
				    xasprintf("%s%s%s", acc.v[a],
				        i > 0 ? "-" : "", f.v[b]));
			}
		{
			struct vc_strv tmp = acc;

			acc = next;
			next = tmp;
		}
	}
	for (a = 0; a < acc.n; a++) {
		int skip = 0;

		json_array_foreach(exclude, j, g) if (json_is_string(g) &&
		    strcmp(json_string_value(g), acc.v[a]) == 0) skip = 1;
		if (!skip)
			vc_strv_push(out, acc.v[a]);
	}
	rc = 0;
out:
	vc_strv_release(&acc);
	vc_strv_release(&next);
	vc_strv_release(&f);
	return rc;
}

/* tox's to_env_list. */
static int
env_list(struct ev *ev, json_t *v, struct vc_strv *out)
{
	json_t *x;
	size_t i;

	if (!json_is_array(v))
		return ev_fail(ev, "env_list must be a list, got %s",
		    type_name(v));
	json_array_foreach(v, i, x)
	{
		if (json_is_string(x))
			vc_strv_push(out, json_string_value(x));
		else if (json_is_object(x) &&
		    json_object_get(x, "product") != NULL) {
			if (json_object_get(x, "prefix") != NULL)
				return ev_fail(ev,
				    "env_list dict items cannot combine "
				    "'product' with 'prefix'");
			if (product(ev, json_object_get(x, "product"),
			        json_object_get(x, "exclude"), out) == -1)
				return -1;
		} else if (json_is_object(x)) {
			if (factor_group(ev, x, out) == -1)
				return -1;
		} else
			return ev_fail(ev,
			    "env_list items must be strings, product dicts, "
			    "range dicts, or labeled dicts, got %s",
			    type_name(x));
	}
	return 0;
}

static int
add_envs(struct tt *tt, const struct vc_strv *names, unsigned line, int listed)
{
	size_t i;

	for (i = 0; i < names->n; i++)
		if (tox_add_env(tt->t, names->v[i], line, listed) == NULL)
			return -1;
	return 0;
}

/* [env_base.NAME]: factors make NAME-FACTORS environments. */
static int
env_base(struct tt *tt, struct ev *core)
{
	const char *name;
	json_t *tab;

	if (tt->env_base == NULL)
		return 0;
	core->key = "env_base";
	core->line = line_at(tt, 1, "env_base");
	if (!json_is_object(tt->env_base))
		return ev_fail(core, "env_base must be a table");
	json_object_foreach(tt->env_base, name, tab)
	{
		json_t *f = json_object_get(tab, "factors"), *x;
		struct vc_strv n;
		size_t i;
		char *p = xasprintf("env_base" SEP "%s", name);

		core->line = line_at(tt, 1, p);
		free(p);
		if (!json_is_object(tab))
			return ev_fail(core, "env_base.%s must be a table",
			    name);
		if (f == NULL)
			return ev_fail(core,
			    "env_base.%s requires a 'factors' key; use "
			    "[env.%s] for single environments",
			    name, name);
		if (!json_is_array(f))
			return ev_fail(core,
			    "env_base.%s.factors must be a list", name);
		vc_strv_init(&n);
		x = json_array_get(f, 0);
		if (json_is_array(x) || json_is_object(x)) {
			if (product(core, f, NULL, &n) == -1) {
				vc_strv_release(&n);
				return -1;
			}
		} else {
			json_array_foreach(f, i, x)
			{
				struct vc_buf b;

				vc_buf_init(&b);
				vc_buf_grow(&b, 0);
				stringify(x, &b);
				vc_strv_take(&n, vc_buf_detach(&b));
			}
		}
		for (i = 0; i < n.n; i++) {
			vc_strv_take(&tt->gen_name,
			    xasprintf("%s-%s", name, n.v[i]));
			vc_strv_push(&tt->gen_base, name);
		}
		vc_strv_release(&n);
	}
	return 0;
}

int
tox_read_toml(struct tox *t, json_t *doc, json_t *lines, const char *prefix)
{
	struct tt tt;
	struct ev core;
	struct vc_strv names;
	json_t *v;
	const char *k;
	size_t i;
	int rc = -1;

	memset(&tt, 0, sizeof tt);
	tt.t = t;
	tt.doc = doc;
	tt.lines = lines;
	tt.pfx = *prefix != '\0' ? "tool" SEP "tox" SEP : "";
	tt.dpfx = *prefix != '\0' ? "tool.tox." : "";
	tt.top = *prefix != '\0'
	    ? json_object_get(json_object_get(doc, "tool"), "tox")
	    : doc;
	vc_strv_init(&tt.gen_name);
	vc_strv_init(&tt.gen_base);
	vc_strv_init(&names);
	ev_init(&core, &tt, NULL);
	core.key = "env_run_base";
	tt.run_base = json_object_get(tt.top, "env_run_base");
	tt.envs = json_object_get(tt.top, "env");
	tt.env_base = json_object_get(tt.top, "env_base");
	if (tt.run_base != NULL && !json_is_object(tt.run_base)) {
		core.line = line_at(&tt, 1, "env_run_base");
		ev_fail(&core, "must be a table, is %s",
		    type_name(tt.run_base));
		goto out;
	}
	if (tt.envs != NULL && !json_is_object(tt.envs)) {
		core.key = "env";
		core.line = line_at(&tt, 1, "env");
		ev_fail(&core, "must be a table, is %s", type_name(tt.envs));
		goto out;
	}
	json_object_foreach(tt.envs, k, v) if (!json_is_object(v))
	{
		char *p = xasprintf("env" SEP "%s", k);

		core.key = "env";
		core.line = line_at(&tt, 1, p);
		free(p);
		ev_fail(&core, "env.%s must be a table, is %s", k,
		    type_name(v));
		goto out;
	}
	/* core settings */
	{
		static const char *const K_NO_PACKAGE[] = {"no_package",
		    "skipsdist", NULL};
		static const char *const K_CONFLICT[] =
		    {"ignore_base_python_conflict",
		        "ignore_basepython_conflict", NULL};

		if (get_bool(&core, K_SKIP_MISSING, 0, &t->skip_missing) ==
		        -1 ||
		    get_bool(&core, K_NO_PACKAGE, 0, &t->no_package) == -1 ||
		    get_bool(&core, K_CONFLICT, 0, &t->ignore_conflict) == -1)
			goto out;
	}
	if (env_base(&tt, &core) == -1)
		goto out;
	/* env_list, then [env.NAME], then env_base's names */
	{
		static const char *const K_ENV_LIST[] = {"env_list", "envlist",
		    NULL};

		if (get(&core, K_ENV_LIST, &v) == -1)
			goto out;
		if (v != NULL) {
			unsigned l = core.line != 0 ? core.line : 1;
			int r = env_list(&core, v, &names);

			json_decref(v);
			if (r == -1 || add_envs(&tt, &names, l, 1) == -1)
				goto out;
		}
	}
	json_object_foreach(tt.envs, k, v)
	{
		char *p = xasprintf("env" SEP "%s", k);
		unsigned l = line_at(&tt, 1, p);

		free(p);
		if (tox_add_env(t, k, l != 0 ? l : 1, 0) == NULL)
			goto out;
	}
	for (i = 0; i < tt.gen_name.n; i++) {
		char *p = xasprintf("env_base" SEP "%s", tt.gen_base.v[i]);
		unsigned l = line_at(&tt, 1, p);

		free(p);
		if (tox_add_env(t, tt.gen_name.v[i], l != 0 ? l : 1, 0) == NULL)
			goto out;
	}
	/* [labels]: label = env list */
	{
		json_t *labels = json_object_get(tt.top, "labels");

		core.key = "labels";
		core.line = line_at(&tt, 1, "labels");
		if (labels != NULL && !json_is_object(labels)) {
			ev_fail(&core, "value of type '%s' is not dictionary",
			    type_name(labels));
			goto out;
		}
		json_object_foreach(labels, k, v)
		{
			json_t *u = unroll(&core, v, 0);

			strv_clear(&names);
			if (u == NULL || env_list(&core, u, &names) == -1) {
				json_decref(u);
				goto out;
			}
			json_decref(u);
			for (i = 0; i < names.n; i++) {
				vc_strv_push(&t->label_of, k);
				vc_strv_push(&t->label_env, names.v[i]);
			}
		}
	}
	/* none: tox 4 has its default environment */
	if (t->out->n == 0 && tox_add_env(t, "py", 1, 0) == NULL)
		goto out;
	for (i = 0; i < t->out->n; i++) {
		struct vc_tox_env *e = &t->out->envs[i];
		size_t j;

		if (make_env(&tt, e) == -1)
			goto out;
		for (j = 0; j < t->label_env.n; j++)
			if (strcmp(t->label_env.v[j], e->name) == 0)
				vc_strv_push(&e->labels, t->label_of.v[j]);
		vc_strv_sort_uniq(&e->labels);
	}
	rc = 0;
out:
	ev_release(&core);
	vc_strv_release(&names);
	vc_strv_release(&tt.gen_name);
	vc_strv_release(&tt.gen_base);
	return rc;
}
