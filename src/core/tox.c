/*
 * tox.c: a tox.ini's environments, read as tox 3 (3.28) reads them
 * (tox/config/__init__.py, and the py.iniconfig it reads the file with),
 * for what decides what pip installs: see tox.h.
 *
 * Layers, in the order tox applies them:
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "venvcache/tox.h"

/* Bounds that tox does not have (it would loop or exhaust memory). */
#define MAX_VALUE (1u << 20) /* bytes of a value after substitution */
#define MAX_WORK 10000       /* substitutions for one environment */
#define MAX_PASSES 100       /* re.sub() passes over one value */
#define MAX_DEPTH 64         /* nested [section]key and setenv lookups */
#define MAX_EXPAND 20000     /* names from one brace expansion */
#define MAX_ENVS 20000       /* environments */
#define MAX_FILE (64u << 20) /* a tox.ini */
/* Bounds on the work for one file, far above what a real one needs (the
 * 838 environments of sentry-python's 2026 tox.ini: 20,000 deps, 17,000
 * alternatives, 0.16 M checks, 120 bytes substituted). */
#define MAX_ALTS 1000000       /* compiled condition alternatives */
#define MAX_CHECKS 100000000   /* alternatives checked */
#define MAX_SUBST (256u << 20) /* bytes substituted */
#define MAX_DEPS 1000000       /* deps of all environments */
#define MAX_OUT (64u << 20)    /* bytes of every environment's values */
#define TOO_MUCH_WORK                                                   \
	"this tox.ini needs too much work to read (environments times " \
	"conditions or substitutions)"
#define INDEX_LINES 64 /* a value of this many lines gets an index */

/* --- text with the tox.ini line of each of its lines ----------------- */

struct tval {
	struct vc_buf b;
	unsigned *lines; /* one per '\n'-separated line of b */
	size_t n;
	size_t cap;
};

static void
tval_init(struct tval *v, unsigned line)
{
	vc_buf_init(&v->b);
	vc_buf_grow(&v->b, 0);
	v->cap = 0;
	v->lines = xgrow(NULL, &v->cap, 1, sizeof *v->lines);
	v->lines[0] = line;
	v->n = 1;
}

static void
tval_release(struct tval *v)
{
	vc_buf_release(&v->b);
	free(v->lines);
	v->lines = NULL;
	v->n = v->cap = 0;
}

static void
tval_reset(struct tval *v, unsigned line)
{
	vc_buf_reset(&v->b);
	v->lines[0] = line;
	v->n = 1;
}

static void
tval_newline(struct tval *v, unsigned line)
{
	vc_buf_addc(&v->b, '\n');
	v->lines = xgrow(v->lines, &v->cap, v->n + 1, sizeof *v->lines);
	v->lines[v->n++] = line;
}

/* Appends text whose line breaks all belong to `line`. */
static void
tval_add_plain(struct tval *v, const char *s, size_t n, unsigned line)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			tval_newline(v, line);
		else
			vc_buf_addc(&v->b, s[i]);
	}
}

/* 1 when the line being built holds only white space. */
static int
tval_line_blank(const struct tval *v)
{
	size_t i = v->b.len;

	while (i > 0 && v->b.data[i - 1] != '\n') {
		if (!isspace((unsigned char)v->b.data[i - 1]))
			return 0;
		i--;
	}
	return 1;
}

/*
 * Appends `r` with its own lines; the line being built takes r's first
 * line when it had nothing but white space before.
 */
static void
tval_splice(struct tval *v, const struct tval *r)
{
	const char *p = r->b.data, *end = r->b.data + r->b.len, *nl;
	size_t li = 0;

	if (r->b.len > 0 && tval_line_blank(v))
		v->lines[v->n - 1] = r->lines[0];
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		vc_buf_add(&v->b, p, (size_t)(nl - p));
		tval_newline(v, r->lines[++li]);
		p = nl + 1;
	}
	vc_buf_add(&v->b, p, (size_t)(end - p));
}

/* Exchanges two values. */
static void
tval_swap(struct tval *a, struct tval *b)
{
	struct tval t = *a;

	*a = *b;
	*b = t;
}

static void
tval_copy(struct tval *dst, const struct tval *src)
{
	tval_reset(dst, src->lines[0]);
	tval_splice(dst, src);
	dst->lines[0] = src->lines[0];
}

/* --- the parsed file ------------------------------------------------- */

/* A factor condition's alternative: every `inc` and no `exc` factor. */
struct alt {
	size_t inc, ninc; /* in pool.ids */
	size_t exc, nexc;
};

/* One line of a value, compiled for factor conditions. */
struct cline {
	size_t off, len;  /* kept text: the line, or what follows "cond: " */
	size_t alt, nalt; /* alternatives in pool.alts */
	int cond;         /* the line starts with a condition */
	unsigned line;
};

/*
 * Which lines of a long value an environment's factors can select: the
 * lines without a condition (or with an alternative of negations only),
 * and, for each factor, the lines with an alternative whose least common
 * required factor it is (CSR: lines[start[id] .. start[id + 1])).
 */
struct findex {
	size_t *always, nalways;
	size_t *start, *lines;
	size_t nids;
};

struct pool {
	unsigned *ids;
	size_t nids, capids;
	struct alt *alts;
	size_t nalts, capalts;
};

struct ini_key {
	char *name;
	struct tval value; /* as py.iniconfig has it: lines joined by '\n' */
	unsigned line;
	struct cline *cl; /* compiled lines (lazily), ncl of them */
	size_t ncl;
	int compiled;
	struct findex *index; /* for many lines, or NULL */
};

struct ini_body {
	struct ini_key *keys;
	size_t n, cap;
};

struct ini_sec {
	char *name;
	unsigned line;      /* its header (a generated name: the original's) */
	unsigned sort_line; /* as tox orders sections: generated names first */
	size_t body;        /* generated names share their original's keys */
	int removed;        /* an original with generated names */
};

/* Factor names, interned. */
struct ftab {
	char **names;
	size_t n, cap;
	size_t *slot; /* open addressing: id + 1, 0 when empty */
	size_t nslot;
};

enum {
	/* the [tox] substitutions, in the order tox defines them */
	G_TOXINIDIR,
	G_HOMEDIR,
	G_TOXWORKDIR,
	G_DISTDIR,
	G_DISTSHARE,
	G_TEMP_DIR,
	G__COUNT
};

static const char *const global_names[G__COUNT] = {"toxinidir", "homedir",
    "toxworkdir", "distdir", "distshare", "temp_dir"};

struct tox {
	struct vc_tox *out;
	const char *name;
	const char *want; /* -e NAME, made on demand if tox 3 would */
	struct vc_error *err;
	int failed;
	struct ini_sec *secs;
	size_t nsecs, capsecs;
	struct ini_body *bodies;
	size_t nbodies, capbodies;
	struct ftab ft;       /* factor names */
	struct ftab secnames; /* section names: secmap[id] = index + 1 */
	size_t *secmap;
	size_t capsecmap;
	struct ftab envnames; /* environment names: envmap[id] = index + 1 */
	size_t *envmap;
	size_t capenvmap;
	/* work done, bounded (see the MAX_ constants) */
	size_t nalts, checks, subst_bytes, ndeps, out_bytes;
	struct pool pool;
	char *global[G__COUNT]; /* NULL: not (yet) defined */
	int ignore_conflict;
	struct vc_strv indexservers;
	/* reading */
	const char *text, *next, *line;
	size_t linelen;
	unsigned lineno;
	int kind;            /* of the line inih has */
	struct ini_sec *cur; /* current section, or NULL */
	struct ini_key *key; /* key a continuation continues, or NULL */
	unsigned fail_line;
};

enum { L_SKIP, L_CONT, L_SECTION, L_KEY };

static int fail(struct tox *, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct tox *t, unsigned line, const char *fmt, ...)
{
	char msg[VC_ERRMSG_MAX];
	va_list ap;

	if (t->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	vc_error_at(t->err, t->name, line, "%s", msg);
	t->failed = 1;
	t->fail_line = line;
	return -1;
}

/* Python's str.isspace() for ASCII (the file separators are spaces). */
static int
py_space(int c)
{
	return isspace(c) || (c >= 0x1c && c <= 0x1f);
}

static char *
strip_n(const char *s, size_t n)
{
	while (n > 0 && py_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && py_space((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static size_t
fhash(const char *s, size_t n)
{
	size_t h = 1469598103934665603ULL, i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The id of s[0..n) in `ft`, or -1. */
static ssize_t
ftab_find(const struct ftab *ft, const char *s, size_t n)
{
	size_t i;

	if (ft->nslot == 0)
		return -1;
	for (i = fhash(s, n) % ft->nslot; ft->slot[i] != 0;
	     i = (i + 1) % ft->nslot) {
		const char *c = ft->names[ft->slot[i] - 1];

		if (strncmp(c, s, n) == 0 && c[n] == '\0')
			return (ssize_t)(ft->slot[i] - 1);
	}
	return -1;
}

static void
ftab_release(struct ftab *ft)
{
	size_t i;

	for (i = 0; i < ft->n; i++)
		free(ft->names[i]);
	free(ft->names);
	free(ft->slot);
	memset(ft, 0, sizeof *ft);
}

/* The id of s[0..n) in `ft`, added when new (ids count from 0). */
static unsigned
intern(struct ftab *ft, const char *s, size_t n)
{
	size_t h, i, id;

	if (ft->n * 2 >= ft->nslot) {
		size_t nslot = ft->nslot ? ft->nslot * 2 : 64, j;
		size_t *slot = xcalloc(nslot, sizeof *slot);

		for (j = 0; j < ft->n; j++) {
			h = fhash(ft->names[j], strlen(ft->names[j]));
			for (i = h % nslot; slot[i] != 0; i = (i + 1) % nslot)
				;
			slot[i] = j + 1;
		}
		free(ft->slot);
		ft->slot = slot;
		ft->nslot = nslot;
	}
	h = fhash(s, n);
	for (i = h % ft->nslot; ft->slot[i] != 0; i = (i + 1) % ft->nslot) {
		const char *c = ft->names[ft->slot[i] - 1];

		if (strncmp(c, s, n) == 0 && c[n] == '\0')
			return (unsigned)(ft->slot[i] - 1);
	}
	ft->names = xgrow(ft->names, &ft->cap, ft->n + 1, sizeof *ft->names);
	id = ft->n;
	ft->names[ft->n++] = xstrndup(s, n);
	ft->slot[i] = id + 1;
	return (unsigned)id;
}

static struct ini_sec *
find_section(const struct tox *t, const char *name)
{
	ssize_t id = ftab_find(&t->secnames, name, strlen(name));
	struct ini_sec *s;

	if (id < 0 || t->secmap[id] == 0)
		return NULL;
	s = &t->secs[t->secmap[id] - 1];
	return s->removed ? NULL : s;
}

static struct ini_key *
find_key(const struct tox *t, const struct ini_sec *s, const char *name)
{
	const struct ini_body *b;
	size_t i;

	if (s == NULL)
		return NULL;
	b = &t->bodies[s->body];
	for (i = 0; i < b->n; i++)
		if (strcmp(b->keys[i].name, name) == 0)
			return &b->keys[i];
	return NULL;
}

static struct ini_sec *
add_section(struct tox *t, const char *name, unsigned line, size_t body)
{
	struct ini_sec *s;

	unsigned id = intern(&t->secnames, name, strlen(name));

	t->secmap =
	    xgrow(t->secmap, &t->capsecmap, t->secnames.n, sizeof *t->secmap);
	t->secmap[id] = t->nsecs + 1;
	t->secs = xgrow(t->secs, &t->capsecs, t->nsecs + 1, sizeof *t->secs);
	s = &t->secs[t->nsecs++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->line = line;
	s->sort_line = line;
	s->body = body;
	return s;
}

/* --- reading the file with inih -------------------------------------- */

/*
 * A section line as py.iniconfig reads it: cut at the first '#', then at
 * the first ';', it must end with ']'. (py.iniconfig takes any other line
 * starting with '[' for the continuation of a value; that is refused.)
 */
static void
section_line(struct tox *t, const char *p, size_t n)
{
	char *name;
	size_t len = n, i;

	for (i = 0; i < len; i++)
		if (p[i] == '#')
			len = i;
	while (len > 0 && py_space((unsigned char)p[len - 1]))
		len--;
	for (i = 0; i < len; i++)
		if (p[i] == ';')
			len = i;
	while (len > 0 && py_space((unsigned char)p[len - 1]))
		len--;
	t->key = NULL;
	if (len < 2 || p[len - 1] != ']') {
		fail(t, t->lineno,
		    "'%.*s' is not a section header (a line starting with '[' "
		    "must end with ']')",
		    (int)(n > 80 ? 80 : n), p);
		return;
	}
	name = xstrndup(p + 1, len - 2);
	if (*name == '\0')
		fail(t, t->lineno, "empty section name");
	else if (find_section(t, name) != NULL)
		fail(t, t->lineno, "section [%s] is defined twice", name);
	else {
		t->bodies = xgrow(t->bodies, &t->capbodies, t->nbodies + 1,
		    sizeof *t->bodies);
		memset(&t->bodies[t->nbodies], 0, sizeof *t->bodies);
		t->cur = add_section(t, name, t->lineno, t->nbodies++);
	}
	free(name);
}

/* Where the line at `p` ends: '\n', "\r\n", '\r', or what else Python's
 * str.splitlines() splits at (ASCII). */
static size_t
line_end(const char *p, size_t *brk)
{
	size_t n = strcspn(p, "\n\r\v\f\x1c\x1d\x1e");

	*brk = p[n] == '\0' ? 0 : (p[n] == '\r' && p[n + 1] == '\n') ? 2 : 1;
	return n;
}

static char *
read_line(char *str, int num, void *stream)
{
	struct tox *t = stream;
	const char *p, *end;
	size_t n, brk, room = (size_t)num - 2;

	if (t->failed || *t->next == '\0')
		return NULL;
	n = line_end(t->next, &brk);
	t->line = t->next;
	t->linelen = n;
	t->next += n + brk;
	t->lineno++;
	end = t->line + n;
	for (p = t->line; p < end && isspace((unsigned char)*p); p++)
		;
	if (p == end || *p == '#' || *p == ';') {
		t->kind = L_SKIP;
	} else if (p > t->line) {
		t->kind = L_CONT;
		if (t->key == NULL) {
			fail(t, t->lineno,
			    "a line that starts with white space continues a "
			    "value, and there is none before it");
			return NULL;
		}
	} else if (*p == '[') {
		t->kind = L_SECTION;
		section_line(t, t->line, n);
		if (t->failed)
			return NULL;
	} else {
		t->kind = L_KEY;
		t->key = NULL;
	}
	/*
	 * inih has a fixed line buffer (200 bytes in Debian's), so it is
	 * not given a section or name = value line, which are taken from the
	 * raw line (section_line, on_value), but a short one that it reads
	 * the same way: "[x]", "k=", or "k" (no separator: its syntax error).
	 * Other lines reach it with their leading white space cut to one
	 * character and their end cut off, which keeps what it decides
	 * (comment or continuation).
	 */
	if (t->kind == L_SECTION)
		n = (size_t)snprintf(str, (size_t)num, "[x]\n");
	else if (t->kind == L_KEY)
		n = (size_t)snprintf(str, (size_t)num, "%s\n",
		    memchr(t->line, '=', n) != NULL ||
		            memchr(t->line, ':', n) != NULL
		        ? "k="
		        : "k");
	else if (n <= room) {
		memcpy(str, t->line, n);
		str[n++] = '\n';
	} else {
		size_t lead = p > t->line ? 1 : 0, rest = (size_t)(end - p);

		str[0] = ' ';
		if (rest > room - lead)
			rest = room - lead;
		memcpy(str + lead, p, rest);
		n = lead + rest;
		str[n++] = '\n';
	}
	str[n] = '\0';
	return str;
}

/* A name = value line, or a continuation, as py.iniconfig reads it. */
static int
on_value(void *user, const char *section, const char *name, const char *value)
{
	struct tox *t = user;
	struct ini_body *b;
	struct ini_key *k;
	const char *sep;
	size_t i;
	char *v;

	(void)section;
	(void)name;
	(void)value; /* cut at " ;" by inih: the raw line has it whole */
	if (t->failed)
		return 0;
	if (t->kind == L_CONT && t->key != NULL) {
		v = strip_n(t->line, t->linelen);
		k = t->key;
		if (k->value.b.len == 0 && k->value.n == 1)
			k->value.lines[0] = t->lineno;
		else
			tval_newline(&k->value, t->lineno);
		vc_buf_adds(&k->value.b, v);
		free(v);
		return 1;
	}
	if (t->kind != L_KEY) {
		fail(t, t->lineno, "cannot read this line");
		return 0;
	}
	/* py.iniconfig splits at the first '=', or at a ':' before it. */
	for (sep = t->line; sep < t->line + t->linelen; sep++)
		if (*sep == '=' || *sep == ':')
			break;
	if (sep == t->line + t->linelen) {
		fail(t, t->lineno, "expected 'name = value' or '[section]'");
		return 0;
	}
	v = strip_n(t->line, (size_t)(sep - t->line));
	if (t->cur == NULL) {
		fail(t, t->lineno,
		    "'%.80s' is outside any section (no section header before "
		    "it)",
		    v);
		free(v);
		return 0;
	}
	b = &t->bodies[t->cur->body];
	for (i = 0; i < b->n; i++) {
		if (strcmp(b->keys[i].name, v) == 0) {
			fail(t, t->lineno, "'%s' is set twice in [%s]", v,
			    t->cur->name);
			free(v);
			return 0;
		}
	}
	b->keys = xgrow(b->keys, &b->cap, b->n + 1, sizeof *b->keys);
	k = &b->keys[b->n++];
	memset(k, 0, sizeof *k);
	k->name = v;
	k->line = t->lineno;
	tval_init(&k->value, t->lineno);
	v = strip_n(sep + 1, (size_t)(t->line + t->linelen - sep - 1));
	vc_buf_adds(&k->value.b, v);
	free(v);
	t->key = k;
	return 1;
}

static int
parse_ini(struct tox *t, const char *text)
{
	int rc;

	t->text = text;
	t->next = text;
	if ((unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb &&
	    (unsigned char)text[2] == 0xbf)
		t->next += 3; /* a UTF-8 byte order mark */
	rc = ini_parse_stream(read_line, t, on_value, t);
	if (rc > 0 && (!t->failed || (unsigned)rc < t->fail_line)) {
		t->failed = 0;
		return fail(t, (unsigned)rc,
		    "syntax error: expected 'name = value' or '[section]'");
	}
	if (rc != 0 && !t->failed)
		return fail(t, t->lineno, "cannot parse");
	return t->failed ? -1 : 0;
}

/* --- generative section names ---------------------------------------- */

static int
word_char(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* re.split(r"\s*,\s*", s[a..z)) */
static void
split_commas(const char *a, const char *z, struct vc_strv *out)
{
	for (;;) {
		const char *c = memchr(a, ',', (size_t)(z - a)), *e;

		e = c != NULL ? c : z;
		while (c != NULL && e > a && py_space((unsigned char)e[-1]))
			e--;
		vc_strv_take(out, xstrndup(a, (size_t)(e - a)));
		if (c == NULL)
			return;
		for (a = c + 1; a < z && py_space((unsigned char)*a); a++)
			;
	}
}

/*
 * The next {...} of a section name that {\s*([\w\s,-]+)\s*} matches, at
 * or after `p`: its '{' in *open, its group in [*a, *z) (leading white
 * space left out; one character of it when there is nothing else).
 */
static int
section_group(const char *p, const char **open, const char **a, const char **z)
{
	const char *o, *q;

	for (o = strchr(p, '{'); o != NULL; o = strchr(o + 1, '{')) {
		for (q = o + 1; *q != '\0' &&
		     (word_char((unsigned char)*q) ||
		         py_space((unsigned char)*q) || *q == ',' || *q == '-');
		     q++)
			;
		if (*q != '}' || q == o + 1)
			continue;
		for (*a = o + 1; *a < q && py_space((unsigned char)**a); (*a)++)
			;
		if (*a == q)
			*a = q - 1;
		*open = o;
		*z = q;
		return 1;
	}
	return 0;
}

/*
 * ParseIni.expand_section_names: each "{a,b}" (word characters, white
 * space, ',' and '-' inside) is split on commas, and so is the text
 * between, and every combination is a section name. A name that exists
 * already keeps its section; an original with new names goes, once all
 * are expanded.
 */
static int
expand_section_names(struct tox *t)
{
	size_t nsecs = t->nsecs, i, j;
	int *gone = xcalloc(nsecs + 1, sizeof *gone);

	for (i = 0; i < nsecs && !t->failed; i++) {
		struct vc_strv *parts = NULL;
		size_t nparts = 0, cap = 0, total = 1, *idx = NULL;
		const char *p = t->secs[i].name, *o, *a, *z;

		for (;;) {
			int more = section_group(p, &o, &a, &z);

			parts = xgrow(parts, &cap, nparts + 2, sizeof *parts);
			vc_strv_init(&parts[nparts]);
			split_commas(p, more ? o : p + strlen(p),
			    &parts[nparts++]);
			if (!more)
				break;
			vc_strv_init(&parts[nparts]);
			split_commas(a, z, &parts[nparts++]);
			p = z + 1;
		}
		for (j = 0; j < nparts; j++) {
			if (total > MAX_EXPAND / parts[j].n)
				total = MAX_EXPAND + 1;
			else
				total *= parts[j].n;
		}
		if (total > MAX_EXPAND) {
			fail(t, t->secs[i].line,
			    "section name [%s] makes more than %d names",
			    t->secs[i].name, MAX_EXPAND);
			goto next;
		}
		idx = xcalloc(nparts, sizeof *idx);
		for (;;) {
			struct vc_buf nm;

			vc_buf_init(&nm);
			vc_buf_grow(&nm, 0);
			for (j = 0; j < nparts; j++)
				vc_buf_adds(&nm, parts[j].v[idx[j]]);
			if (find_section(t, nm.data) == NULL) {
				struct ini_sec *g = add_section(t, nm.data,
				    t->secs[i].line, t->secs[i].body);

				g->sort_line = 0;
				gone[i] = 1;
			}
			vc_buf_release(&nm);
			for (j = nparts; j > 0; j--) {
				if (++idx[j - 1] < parts[j - 1].n)
					break;
				idx[j - 1] = 0;
			}
			if (j == 0)
				break;
		}
	next:
		for (j = 0; j < nparts; j++)
			vc_strv_release(&parts[j]);
		free(parts);
		free(idx);
	}
	for (i = 0; i < nsecs; i++)
		if (gone[i])
			t->secs[i].removed = 1;
	free(gone);
	return t->failed ? -1 : 0;
}

/* --- brace expansion (_expand_envstr) --------------------------------- */

/*
 * Bytes the scanners below have looked at (vc_tox_scanned): tests check
 * that hostile input costs time linear in its size.
 */
static unsigned long long scanned;

/* Where the first '}' at or after `from` is (`at`, n if none): brace_run
 * is asked at every '{' of a run such as "{{{{", and scans once. */
struct closes {
	size_t from, at;
};

static size_t
next_close(const char *s, size_t j, size_t n, struct closes *c)
{
	if (c->from <= j && j <= c->at)
		return c->at;
	c->from = j;
	for (c->at = j; c->at < n && s[c->at] != '}'; c->at++)
		scanned++;
	return c->at;
}

/* Length of (?:{[^}]+})+ at s[i], 0 if none. */
static size_t
brace_run(const char *s, size_t i, size_t n, struct closes *c)
{
	size_t j = i, k;

	while (j < n && s[j] == '{') {
		k = next_close(s, j + 1, n, c);
		if (k >= n || k == j + 1)
			break;
		j = k + 1;
	}
	return j - i;
}

/*
 * Expands one name: each {a,b} group and each text between them, with
 * white space removed, split on ','; every combination, the first group
 * varying slowest. Appends to `out`; -1 past `room` names.
 */
static int
expand_one(const char *s, size_t n, struct vc_strv *out, size_t room)
{
	struct vc_strv *parts = NULL;
	size_t nparts = 0, cap = 0, i = 0, j, total = 1, *idx = NULL;
	struct closes cl = {1, 0};
	struct vc_buf piece;
	int rc = -1;

	vc_buf_init(&piece);
	while (i <= n) {
		size_t r = i < n && s[i] == '{' ? brace_run(s, i, n, &cl) : 0;
		size_t from = i, to;

		if (r == 0) { /* text up to the next group */
			while (
			    i < n && !(s[i] == '{' && brace_run(s, i, n, &cl)))
				i++;
			to = i;
		} else { /* one group: {content} */
			for (to = i + 1; s[to] != '}'; to++)
				;
			from = i + 1;
			i = to + 1;
		}
		vc_buf_reset(&piece);
		vc_buf_grow(&piece, 0);
		for (j = from; j < to; j++)
			if (!py_space((unsigned char)s[j]))
				vc_buf_addc(&piece, s[j]);
		parts = xgrow(parts, &cap, nparts + 1, sizeof *parts);
		vc_strv_init(&parts[nparts]);
		for (j = 0;;) {
			size_t c = strcspn(piece.data + j, ",");

			vc_strv_take(&parts[nparts],
			    xstrndup(piece.data + j, c));
			if (piece.data[j + c] == '\0')
				break;
			j += c + 1;
		}
		if (total > room / parts[nparts].n)
			total = room + 1;
		else
			total *= parts[nparts].n;
		nparts++;
		if (r == 0 && i >= n)
			break;
	}
	if (total > room)
		goto out;
	idx = xcalloc(nparts, sizeof *idx);
	for (;;) {
		struct vc_buf nm;

		vc_buf_init(&nm);
		vc_buf_grow(&nm, 0);
		for (j = 0; j < nparts; j++)
			vc_buf_adds(&nm, parts[j].v[idx[j]]);
		vc_strv_take(out, vc_buf_detach(&nm));
		for (j = nparts; j > 0; j--) {
			if (++idx[j - 1] < parts[j - 1].n)
				break;
			idx[j - 1] = 0;
		}
		if (j == 0)
			break;
	}
	rc = 0;
out:
	for (j = 0; j < nparts; j++)
		vc_strv_release(&parts[j]);
	free(parts);
	free(idx);
	vc_buf_release(&piece);
	return rc;
}

/*
 * _expand_envstr: split on the commas outside {...} groups, strip, expand
 * each. `starts`, when not NULL, gets the offset in `s` of each name's
 * source. -1 past MAX_EXPAND names.
 */
static int
expand_envstr(const char *s, size_t n, struct vc_strv *out, size_t **starts,
    size_t *nstarts)
{
	size_t i = 0, tok = 0, cap = 0;
	struct closes c = {1, 0};

	for (;;) {
		size_t r;

		if (i < n && (r = brace_run(s, i, n, &c)) > 0) {
			i += r;
			continue;
		}
		if (i < n && s[i] != ',') {
			i++;
			continue;
		}
		if (i > tok) { /* a non-empty token */
			size_t a = tok, z = i, before = out->n, k;

			while (a < z && py_space((unsigned char)s[a]))
				a++;
			while (z > a && py_space((unsigned char)s[z - 1]))
				z--;
			if (out->n >= MAX_EXPAND ||
			    expand_one(s + a, z - a, out,
			        MAX_EXPAND - out->n) == -1)
				return -1;
			for (k = before; starts != NULL && k < out->n; k++) {
				*starts = xgrow(*starts, &cap, *nstarts + 1,
				    sizeof **starts);
				(*starts)[(*nstarts)++] = a;
			}
		}
		if (i >= n)
			return 0;
		tok = ++i;
	}
}

/* --- factor conditions ------------------------------------------------ */

/* The factors of an environment name: set(name.split("-")). */
static void
name_factors(struct ftab *ft, const char *name, unsigned **f, size_t *nf)
{
	size_t cap = 0, i;
	const char *p = name;

	*f = NULL;
	*nf = 0;
	for (;;) {
		size_t len = strcspn(p, "-");
		unsigned id = intern(ft, p, len);

		for (i = 0; i < *nf && (*f)[i] != id; i++)
			;
		if (i == *nf) {
			*f = xgrow(*f, &cap, *nf + 1, sizeof **f);
			(*f)[(*nf)++] = id;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
}

/*
 * _FACTOR_LINE_PATTERN, ^([\w{}.!,-]+):\s+(.+): the length of the
 * condition, and where the rest starts; 0 when the line has none.
 */
static size_t
factor_prefix(const char *s, size_t n, size_t *rest)
{
	size_t i = 0, j;

	while (i < n &&
	    (word_char((unsigned char)s[i]) || s[i] == '{' || s[i] == '}' ||
	        s[i] == '.' || s[i] == '!' || s[i] == ',' || s[i] == '-'))
		i++;
	if (i == 0 || i >= n || s[i] != ':')
		return 0;
	for (j = i + 1; j < n && py_space((unsigned char)s[j]); j++)
		;
	if (j == i + 1)
		return 0; /* \s+ needs one */
	if (j < n) {
		*rest = j;
		return i;
	}
	if (n - (i + 1) >= 2) { /* .+ takes the last white space back */
		*rest = n - 1;
		return i;
	}
	return 0;
}

/* Compiles "expr" (_split_factor_expr) into alternatives in `p`. */
static int
compile_cond(struct tox *t, struct pool *p, const char *s, size_t n,
    size_t *alt, size_t *nalt)
{
	struct ftab *ft = &t->ft;
	struct vc_strv envs;
	size_t i;

	vc_strv_init(&envs);
	if (expand_envstr(s, n, &envs, NULL, NULL) == -1 ||
	    (t->nalts += envs.n) > MAX_ALTS) {
		vc_strv_release(&envs);
		return -1;
	}
	*alt = p->nalts;
	*nalt = envs.n;
	p->alts =
	    xgrow(p->alts, &p->capalts, p->nalts + envs.n, sizeof *p->alts);
	for (i = 0; i < envs.n; i++) {
		struct alt *a = &p->alts[p->nalts++];
		const char *f = envs.v[i];
		int pass;

		/* included first, then excluded, each contiguous */
		for (pass = 0; pass < 2; pass++) {
			const char *q = f;

			if (pass == 0)
				a->inc = p->nids;
			else
				a->exc = p->nids;
			for (;;) {
				size_t len = strcspn(q, "-");
				int neg = len > 0 && q[0] == '!';

				if (neg == pass) {
					p->ids = xgrow(p->ids, &p->capids,
					    p->nids + 1, sizeof *p->ids);
					p->ids[p->nids++] = intern(ft, q + neg,
					    len - (size_t)neg);
				}
				if (q[len] == '\0')
					break;
				q += len + 1;
			}
			if (pass == 0)
				a->ninc = p->nids - a->inc;
			else
				a->nexc = p->nids - a->exc;
		}
	}
	vc_strv_release(&envs);
	return 0;
}

static int
has_factor(const unsigned *f, size_t nf, unsigned id)
{
	size_t i;

	for (i = 0; i < nf; i++)
		if (f[i] == id)
			return 1;
	return 0;
}

static int
cond_true(const struct pool *p, const struct cline *c, const unsigned *f,
    size_t nf)
{
	size_t i, j;

	if (!c->cond)
		return 1;
	for (i = 0; p->alts != NULL && i < c->nalt; i++) {
		const struct alt *a = &p->alts[c->alt + i];
		int ok = 1;

		for (j = 0; ok && j < a->ninc; j++)
			ok = has_factor(f, nf, p->ids[a->inc + j]);
		for (j = 0; ok && j < a->nexc; j++)
			ok = !has_factor(f, nf, p->ids[a->exc + j]);
		if (ok)
			return 1;
	}
	return 0;
}

/*
 * Compiles the lines of `v` (s.strip().splitlines()) for _apply_factors.
 * Offsets are into v's text.
 */
static int
compile_lines(struct tox *t, struct pool *p, const struct tval *v,
    struct cline **out, size_t *nout)
{
	const char *s = v->b.data;
	size_t n = v->b.len, a = 0, z = n, li = 0, i, cap = 0;

	*out = NULL;
	*nout = 0;
	while (a < z && py_space((unsigned char)s[a])) {
		if (s[a] == '\n')
			li++;
		a++;
	}
	while (z > a && py_space((unsigned char)s[z - 1]))
		z--;
	if (a == z)
		return 0;
	for (i = a;;) {
		size_t e = i, rest = 0, clen;
		struct cline *c;

		while (e < z && s[e] != '\n')
			e++;
		*out = xgrow(*out, &cap, *nout + 1, sizeof **out);
		c = &(*out)[(*nout)++];
		memset(c, 0, sizeof *c);
		c->line = v->lines[li];
		c->off = i;
		c->len = e - i;
		if ((clen = factor_prefix(s + i, e - i, &rest)) > 0) {
			if (compile_cond(t, p, s + i, clen, &c->alt,
			        &c->nalt) == -1)
				return fail(t, c->line,
				    "factor condition '%.*s': too many "
				    "combinations (more than %d in one, or %d "
				    "in all)",
				    (int)clen, s + i, MAX_EXPAND, MAX_ALTS);
			c->cond = 1;
			c->off = i + rest;
			c->len = e - i - rest;
		}
		if (e >= z)
			break;
		i = e + 1;
		li++;
	}
	return 0;
}

static void
emit_line(struct tval *out, const struct cline *c, const char *s, int *first)
{
	if (*first)
		out->lines[0] = c->line;
	else
		tval_newline(out, c->line);
	vc_buf_add(&out->b, s + c->off, c->len);
	*first = 0;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* _apply_factors of compiled lines: the kept lines, joined by '\n'. */
static void
apply_compiled(const struct pool *p, const struct cline *cl, size_t ncl,
    const struct findex *ix, const char *s, const unsigned *f, size_t nf,
    struct tval *out, unsigned line, size_t *checks)
{
	size_t i, j, n, *cand;
	int first = 1;

	tval_reset(out, line);
	if (ix == NULL) {
		for (i = 0; i < ncl; i++) {
			*checks += cl[i].cond ? cl[i].nalt : 1;
			if (cl[i].len > 0 && cond_true(p, &cl[i], f, nf))
				emit_line(out, &cl[i], s, &first);
		}
		return;
	}
	n = ix->nalways;
	for (j = 0; j < nf; j++)
		if (f[j] < ix->nids)
			n += ix->start[f[j] + 1] - ix->start[f[j]];
	cand = xmalloc((n + 1) * sizeof *cand);
	memcpy(cand, ix->always, ix->nalways * sizeof *cand);
	n = ix->nalways;
	for (j = 0; j < nf; j++) {
		if (f[j] >= ix->nids)
			continue;
		for (i = ix->start[f[j]]; i < ix->start[f[j] + 1]; i++)
			cand[n++] = ix->lines[i];
	}
	qsort(cand, n, sizeof *cand, cmp_size);
	for (i = 0; i < n; i++) {
		const struct cline *c = &cl[cand[i]];

		if (i > 0 && cand[i] == cand[i - 1])
			continue;
		*checks += c->cond ? c->nalt : 1;
		if (c->len > 0 && cond_true(p, c, f, nf))
			emit_line(out, c, s, &first);
	}
	free(cand);
}

/* Builds the index of a value's compiled lines (see struct findex). */
static struct findex *
build_index(const struct pool *p, const struct cline *cl, size_t ncl,
    size_t nids)
{
	struct findex *ix = xcalloc(1, sizeof *ix);
	size_t *count = xcalloc(nids + 1, sizeof *count), *fill, i, a, j;
	size_t nlines = 0, *key = xcalloc(ncl ? ncl : 1, sizeof *key);

	ix->nids = nids;
	ix->always = xmalloc((ncl + 1) * sizeof *ix->always);
	for (i = 0; i < ncl; i++)
		for (a = 0; cl[i].cond && a < cl[i].nalt; a++)
			for (j = 0; j < p->alts[cl[i].alt + a].ninc; j++)
				count[p->ids[p->alts[cl[i].alt + a].inc + j]]++;
	/* each alternative goes under its least common required factor */
	ix->start = xcalloc(nids + 2, sizeof *ix->start);
	for (i = 0; i < ncl; i++) {
		int always = !cl[i].cond;

		for (a = 0; !always && a < cl[i].nalt; a++)
			if (p->alts[cl[i].alt + a].ninc == 0)
				always = 1;
		for (a = 0; !always && a < cl[i].nalt; a++) {
			const struct alt *al = &p->alts[cl[i].alt + a];
			size_t best = 0;

			for (j = 1; j < al->ninc; j++)
				if (count[p->ids[al->inc + j]] <
				    count[p->ids[al->inc + best]])
					best = j;
			ix->start[p->ids[al->inc + best] + 1]++;
			nlines++;
		}
		if (always)
			ix->always[ix->nalways++] = i;
		key[i] = always;
	}
	for (i = 0; i < nids; i++)
		ix->start[i + 1] += ix->start[i];
	ix->lines = xmalloc((nlines + 1) * sizeof *ix->lines);
	fill = xcalloc(nids + 1, sizeof *fill);
	for (i = 0; i < ncl; i++) {
		if (key[i])
			continue;
		for (a = 0; a < cl[i].nalt; a++) {
			const struct alt *al = &p->alts[cl[i].alt + a];
			size_t best = 0, id;

			for (j = 1; j < al->ninc; j++)
				if (count[p->ids[al->inc + j]] <
				    count[p->ids[al->inc + best]])
					best = j;
			id = p->ids[al->inc + best];
			ix->lines[ix->start[id] + fill[id]++] = i;
		}
	}
	free(fill);
	free(count);
	free(key);
	return ix;
}

static void
findex_free(struct findex *ix)
{
	if (ix == NULL)
		return;
	free(ix->always);
	free(ix->start);
	free(ix->lines);
	free(ix);
}

/* _apply_factors of any text. */
static int
apply_factors(struct tox *t, struct tval *v, const unsigned *f, size_t nf)
{
	struct pool p;
	struct cline *cl = NULL;
	struct tval out;
	size_t ncl;
	int rc = -1;

	memset(&p, 0, sizeof p);
	tval_init(&out, v->lines[0]);
	if (compile_lines(t, &p, v, &cl, &ncl) == -1)
		goto out;
	apply_compiled(&p, cl, ncl, NULL, v->b.data, f, nf, &out, v->lines[0],
	    &t->checks);
	if (t->checks > MAX_CHECKS) {
		fail(t, v->lines[0], TOO_MUCH_WORK);
		goto out;
	}
	tval_copy(v, &out);
	rc = 0;
out:
	tval_release(&out);
	free(cl);
	free(p.ids);
	free(p.alts);
	return rc;
}

/* --- the environments' attributes ------------------------------------- */

/* Attributes of an environment, in the order tox evaluates them. */
enum {
	A_ENVDIR,
	A_SETENV,
	A_BASEPYTHON,
	A_DESCRIPTION,
	A_ENVTMPDIR,
	A_ENVLOGDIR,
	A_DOWNLOADCACHE,
	A_CHANGEDIR,
	A_SKIP_INSTALL,
	A_PLATFORM,
	A_PIP_PRE,
	A_USEDEVELOP,
	A_DEPS,
	A_EXTRAS,
	A__COUNT
};

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

struct envctx {
	const char *name;
	char *attr[A__COUNT];
	int have[A__COUNT];
	int setenv_built;
	struct vc_strv def_names, def_values;
	unsigned *def_lines;
	struct vc_strv res_names, res_values;
	struct vc_strv lookup;
};

/* SectionReader: a section, [testenv] behind it for environments. */
struct rd {
	struct tox *t;
	const char *section;
	int fallback;
	const unsigned *f;
	size_t nf;
	struct envctx *env; /* NULL for [tox] */
	int stage;          /* attribute (or [tox] value) being read */
	const char *what;   /* its name, for messages */
	const char **stk;   /* (section, key) pairs being substituted */
	size_t nstk, capstk;
	size_t work;
	unsigned depth;
};

static int rfail(struct rd *, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
rfail(struct rd *rd, unsigned line, const char *fmt, ...)
{
	char msg[VC_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rd->env != NULL)
		return fail(rd->t, line, "env %s: %s: %s", rd->env->name,
		    rd->what, msg);
	return fail(rd->t, line, "[tox] %s: %s", rd->what, msg);
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
		k = find_key(rd->t, find_section(rd->t, sec), close + 1);
	}
	if (k == NULL) {
		free(sec);
		return rfail(rd, line, "substitution key '%s' not found", key);
	}
	if (in_stack(rd, sec, close + 1)) {
		rc = rfail(rd, line, "substitution {%s} refers to itself", key);
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
static int
build_setenv(struct rd *rd, unsigned line)
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
	k = find_key(rd->t, find_section(rd->t, rd->section), "setenv");
	if (k == NULL && rd->fallback)
		k = find_key(rd->t, find_section(rd->t, "testenv"), "setenv");
	tval_init(&v, line);
	if (k != NULL) {
		const char *s;

		tval_copy(&v, &k->value);
		if (apply_factors(rd->t, &v, rd->f, rd->nf) == -1 ||
		    replace(rd, &v, "setenv", rd->section, 1) == -1 ||
		    apply_factors(rd->t, &v, rd->f, rd->nf) == -1 ||
		    replace(rd, &v, "setenv", rd->section, 1) == -1)
			goto out;
		for (s = v.b.data;; li++) {
			size_t len = strcspn(s, "\n");
			const char *eq = memchr(s, '=', len);
			char *l = strip_n(s, len);

			if (*l != '\0' && *s != '#' &&
			    strncmp(s, "file|", 5) != 0) {
				if (eq == NULL) {
					rfail(rd, v.lines[li],
					    "'%s' is not NAME=VALUE", l);
					free(l);
					goto out;
				}
				vc_strv_take(&env->def_names,
				    strip_n(s, (size_t)(eq - s)));
				vc_strv_take(&env->def_values,
				    strip_n(eq + 1,
				        (size_t)(s + len - eq - 1)));
				env->def_lines = xrealloc(env->def_lines,
				    env->def_names.n * sizeof *env->def_lines);
				env->def_lines[env->def_names.n - 1] =
				    v.lines[li];
			} else if (strncmp(s, "file|", 5) == 0) {
				rfail(rd, v.lines[li],
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

static ssize_t
strv_find_last(const struct vc_strv *v, const char *s)
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
	if (!env->setenv_built && build_setenv(rd, line) == -1)
		return -1;
	if ((i = strv_find_last(&env->res_names, name)) >= 0) {
		*out = xstrdup(env->res_values.v[i]);
		return 0;
	}
	if (vc_strv_contains(&env->lookup, name) ||
	    (i = strv_find_last(&env->def_names, name)) < 0) {
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
		if (strcmp(key, global_names[i]) != 0)
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
		return rfail(rd, line,
		    "{envsitepackagesdir} needs the interpreter: not "
		    "supported");
	if (strcmp(key, "envbindir") == 0 || strcmp(key, "envpython") == 0) {
		const char *dir, *py = NULL;

		if (rd->stage <= A_ENVDIR ||
		    (key[3] == 'p' && rd->stage <= A_BASEPYTHON))
			return rfail(rd, line, "{%s} is not known yet here",
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
			scanned++;
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
		scanned++;
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
			scanned++;
		for (k = q, r = q; k > v + 1; k--) {
			scanned++;
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
			rfail(rd, line,
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
		rfail(rd, line,
		    "malformed substitution %.*s: no substitution type "
		    "(for os.pathsep, write {:})",
		    (int)fullen, full);
		goto out;
	} else if (T == NULL && (D == NULL || *D == '\0') &&
	    strcmp(V, "/") == 0) {
		val = xstrdup("/");
	} else if (T != NULL && strcmp(T, "env") == 0) {
		if (*V == '\0') {
			rfail(rd, line, "{env:} needs a variable name");
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
			rfail(rd, line,
			    "environment variable '%s' is not set, and "
			    "{env:%s} "
			    "has no default",
			    V, V);
			goto out;
		}
	} else if (T != NULL && strcmp(T, "tty") == 0) {
		val = xstrdup(D != NULL ? D : ""); /* never interactive */
	} else if (T != NULL) {
		rfail(rd, line, "no support for the '%s' substitution type", T);
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
			rfail(rd, in->lines[li],
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
			fail(rd->t, in->lines[li], TOO_MUCH_WORK);
			goto out;
		}
		if (out->b.len > MAX_VALUE) {
			rfail(rd, in->lines[li],
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
			rfail(rd, first_change(v, &next),
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
		return rfail(rd, v->lines[0],
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

/*
 * SectionReader.getstring: the value in the reader's section, else in
 * [testenv]; factor conditions, substitutions, factor conditions again.
 * *found is 0 when neither has it and there is no default.
 */
static int
getstring(struct rd *rd, const char *name, const char *def, int do_replace_,
    struct tval *out, int *found, unsigned line)
{
	struct tox *t = rd->t;
	struct ini_key *k;

	k = find_key(t, find_section(t, rd->section), name);
	if (k == NULL && rd->fallback)
		k = find_key(t, find_section(t, "testenv"), name);
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
			if (compile_lines(t, &t->pool, &k->value, &k->cl,
			        &k->ncl) == -1)
				return -1;
			if (k->ncl >= INDEX_LINES)
				k->index = build_index(&t->pool, k->cl, k->ncl,
				    t->ft.n);
		}
		apply_compiled(&t->pool, k->cl, k->ncl, k->index,
		    k->value.b.data, rd->f, rd->nf, out, k->line, &t->checks);
		if (t->checks > MAX_CHECKS)
			return fail(t, k->line, TOO_MUCH_WORK);
		if (do_replace_ && out->b.len > 0 &&
		    replace(rd, out, name, rd->section, 0) == -1)
			return -1;
		if (apply_factors(t, out, rd->f, rd->nf) == -1)
			return -1;
	}
	if (do_replace_ && out->b.len > 0 &&
	    replace(rd, out, name, rd->section, 0) == -1)
		return -1;
	return 0;
}

/* toxinidir.join(path, abs=True): normalised, relative to toxinidir. */
static char *
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
		return rfail(rd, line, "{basepython} is not known yet here");
	rd->stage = a;
	rd->what = attrs[a].name;
	tval_init(&v, line);
	if (getstring(rd, attrs[a].name, attrs[a].def, 1, &v, &found, line) ==
	    -1)
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
static int
getbool(struct rd *rd, const char *name, int def, int *out, unsigned line)
{
	struct tval v;
	int found, rc = -1;

	rd->what = name;
	tval_init(&v, line);
	if (getstring(rd, name, NULL, 1, &v, &found, line) == -1)
		goto out;
	*out = def;
	if (found && v.b.len > 0) {
		if (strcasecmp(v.b.data, "true") == 0)
			*out = 1;
		else if (strcasecmp(v.b.data, "false") == 0)
			*out = 0;
		else {
			rfail(rd, v.lines[0],
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
static int
getlist(struct rd *rd, const char *name, struct vc_strv *out, unsigned **lines,
    unsigned line)
{
	struct tval v;
	int found, rc = -1;
	const char *s;
	size_t li = 0;

	rd->what = name;
	tval_init(&v, line);
	if (getstring(rd, name, NULL, 1, &v, &found, line) == -1)
		goto out;
	for (s = v.b.data; found; li++) {
		size_t len = strcspn(s, "\n");
		char *l = strip_n(s, len);

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
	if (getstring(rd, "basepython", NULL, 1, &v, &found, line) == -1)
		goto out;
	if (rd->t->ignore_conflict && implied != NULL) {
		e->basepython = implied;
		implied = NULL;
	} else if (found && v.b.len > 0) {
		if (strchr(v.b.data, '\n') != NULL) {
			rfail(rd, v.lines[1],
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

	if (line[0] == ':') { /* ":server:dep" (re.match(r":(\w+):\s*(\S+)")) */
		for (p = line + 1; word_char((unsigned char)*p); p++)
			;
		if (p > line + 1 && *p == ':') {
			const char *d = p + 1;

			while (py_space((unsigned char)*d))
				d++;
			if (*d != '\0') {
				server =
				    xstrndup(line + 1, (size_t)(p - line - 1));
				for (p = d;
				     *p != '\0' && !py_space((unsigned char)*p);
				     p++)
					;
				name = xstrndup(d, (size_t)(p - d));
			}
		}
	}
	if (server != NULL) {
		if (strcmp(server, "default") != 0 &&
		    !vc_strv_contains(&rd->t->indexservers, server)) {
			rfail(rd, lineno, "unknown index server '%s'", server);
			goto fail;
		}
	} else {
		name = strip_n(line, strlen(line));
		for (i = 0; i < VC_ARRAY_SIZE(pip_short); i++) {
			if (strncmp(name, pip_short[i], 2) == 0) {
				tmp = strip_n(name + 2, strlen(name + 2));
				free(name);
				name = xasprintf("%s%s", pip_short[i], tmp);
				free(tmp);
			}
		}
		for (i = 0; i < VC_ARRAY_SIZE(pip_long); i++) {
			size_t n = strlen(pip_long[i]);

			if (strncmp(name, pip_long[i], n) == 0 &&
			    name[n] == ' ') {
				tmp = strip_n(name + n, strlen(name + n));
				free(name);
				name = xasprintf("%s=%s", pip_long[i], tmp);
				free(tmp);
			}
		}
	}
	/* _cut_off_dep_comment: re.sub(r"\s+#.*", "", name).strip() */
	for (cut = 0; name[cut] != '\0'; cut++) {
		size_t w = cut;

		while (py_space((unsigned char)name[w]))
			w++;
		if (w > cut && name[w] == '#')
			break;
	}
	tmp = strip_n(name, cut);
	free(name);
	name = tmp;
	if (server != NULL && strcmp(server, "default") != 0) {
		rfail(rd, lineno,
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

	k = find_key(rd->t, find_section(rd->t, rd->section), "setenv");
	if (k == NULL && rd->fallback)
		k = find_key(rd->t, find_section(rd->t, "testenv"), "setenv");
	if (k == NULL ||
	    (strstr(k->value.b.data, "PIP_") == NULL &&
	        strstr(k->value.b.data, "{[") == NULL))
		return 0;
	if (!env->setenv_built && build_setenv(rd, line) == -1)
		return -1;
	for (i = 0; i < VC_ARRAY_SIZE(vars); i++) {
		if ((j = strv_find_last(&env->def_names, vars[i])) < 0)
			continue;
		rd->what = "setenv";
		return rfail(rd, env->def_lines[j],
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
	return fail(t, line,
	    "env %s: the deps, extras and basepython of the environments "
	    "so far (%zu of %zu) come to more than %u MiB, venvcache's "
	    "limit for one tox.ini (each environment has its own copy of a "
	    "value)",
	    e->name, (size_t)(e - t->out->envs) + 1, t->out->n, MAX_OUT >> 20);
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
	name_factors(&t->ft, e->name, &f, &nf);
	memset(&rd, 0, sizeof rd);
	rd.t = t;
	rd.section = section;
	rd.fallback = 1;
	rd.f = f;
	rd.nf = nf;
	rd.env = &ctx;
	rd.stage = A_BASEPYTHON;
	if (basepython(&rd, e, e->line) == -1)
		goto out;
	rd.stage = A_SKIP_INSTALL;
	if (getbool(&rd, "skip_install", 0, &e->skip_install, e->line) == -1)
		goto out;
	rd.stage = A_PIP_PRE;
	if (getbool(&rd, "pip_pre", 0, &e->pip_pre, e->line) == -1)
		goto out;
	rd.stage = A_USEDEVELOP;
	if (getbool(&rd, "usedevelop", 0, &e->usedevelop, e->line) == -1)
		goto out;
	rd.stage = A_DEPS;
	{
		struct vc_strv raw;
		unsigned *lines = NULL;

		vc_strv_init(&raw);
		if (getlist(&rd, "deps", &raw, &lines, e->line) == -1) {
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
				fail(t, lines[i], TOO_MUCH_WORK);
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
	if (getlist(&rd, "extras", &e->extras, NULL, e->line) == -1)
		goto out;
	for (i = 0; i < e->extras.n; i++)
		if (count_out(t, e, strlen(e->extras.v[i]), e->line) == -1)
			goto out;
	if (e->basepython != NULL &&
	    count_out(t, e, strlen(e->basepython), e->line) == -1)
		goto out;
	if (pip_index_setenv(&rd, e->line) == -1)
		goto out;
	rc = 0;
out:
	envctx_release(&ctx);
	free(rd.stk);
	free(f);
	free(section);
	return rc;
}

static struct vc_tox_env *
add_env(struct tox *t, const char *name, unsigned line, int in_envlist)
{
	struct vc_tox *o = t->out;
	struct vc_tox_env *e;
	size_t before = t->envnames.n;
	unsigned id = intern(&t->envnames, name, strlen(name));

	t->envmap =
	    xgrow(t->envmap, &t->capenvmap, t->envnames.n, sizeof *t->envmap);
	if (t->envnames.n > before)
		t->envmap[id] = 0; /* a new name */
	if (t->envmap[id] != 0)
		return &o->envs[t->envmap[id] - 1];
	if (o->n >= MAX_ENVS) {
		fail(t, line, "more than %d environments", MAX_ENVS);
		return NULL;
	}
	if (!vc_env_name_valid(name)) {
		fail(t, line,
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
	return e;
}

/* envlist (_split_env), with the line of each name. */
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
	if (getstring(rd, "envlist", NULL, 0, &v, &found, 0) == -1)
		goto out;
	for (s = v.b.data; found; li++) {
		size_t len = strcspn(s, "\n"), hash = strcspn(s, "#");
		char *e = strip_n(s, hash < len ? hash : len);

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
	if (expand_envstr(joined.data, joined.len, &names, &starts, &nstarts) ==
	    -1) {
		fail(t, npart > 0 ? plines[0] : 0,
		    "envlist makes more than %d names", MAX_EXPAND);
		goto out;
	}
	for (i = 0; npart > 0 && i < names.n; i++) {
		size_t p = 0;

		if (*names.v[i] == '\0')
			continue; /* "a, ,b": tox 3 would list "" */
		while (p + 1 < npart && offs[p + 1] <= starts[i])
			p++;
		if (add_env(t, names.v[i], plines[p], 1) == NULL)
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
	rd->what = global_names[g];
	tval_init(&v, 0);
	if (getstring(rd, global_names[g], def, 1, &v, &found, 0) == -1)
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
	if (expand_envstr(expr, n, &envs, NULL, NULL) == 0) {
		for (i = 0; i < envs.n; i++) {
			const char *q = envs.v[i];

			for (;;) {
				size_t len = strcspn(q, "-"), neg = *q == '!';

				intern(known, q + neg, len - neg);
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
	const struct ini_sec *te = find_section(t, "testenv");
	struct ftab known;
	const char *q = t->want;
	size_t i;
	int ok = 1;

	memset(&known, 0, sizeof known);
	intern(&known, "py", 2);
	intern(&known, "python", 6);
	for (i = 0; te != NULL && i < t->bodies[te->body].n; i++) {
		const char *v = t->bodies[te->body].keys[i].value.b.data;

		while (v != NULL && *v != '\0') {
			const char *e = v;

			while (word_char((unsigned char)*e) || *e == '{' ||
			    *e == '}' || *e == '.' || *e == '!' || *e == ',' ||
			    *e == '-')
				e++;
			if (e > v && *e == ':' && e[1] != '\0' &&
			    (py_space((unsigned char)e[1]) || e[1] == '\n'))
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

		if (ftab_find(&known, q, len) < 0 && !py_factor(q, len))
			ok = 0;
		if (q[len] == '\0')
			break;
		q += len + 1;
	}
	ftab_release(&known);
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
	if (getbool(&rd, "ignore_basepython_conflict", 0, &t->ignore_conflict,
	        0) == -1 ||
	    tox_getpath(&rd, G_DISTDIR, "{toxworkdir}/dist") == -1 ||
	    tox_getpath(&rd, G_DISTSHARE, "{homedir}/.tox/distshare") == -1 ||
	    tox_getpath(&rd, G_TEMP_DIR, "{toxworkdir}/.tmp") == -1)
		goto out;
	rd.stage = G__COUNT;
	if (getlist(&rd, "indexserver", &lines, &ixlines, 0) == -1)
		goto out;
	for (i = 0; i < lines.n; i++) {
		size_t len = strcspn(lines.v[i], "=");
		char *name = strip_n(lines.v[i], len);

		/* tox 3 installs every dep with -i URL of "default" */
		if (strcmp(name, "default") == 0) {
			rd.what = "indexserver";
			rfail(&rd, ixlines != NULL ? ixlines[i] : 0,
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
	if (getbool(&rd, "isolated_build", 0, &isolated, 0) == -1)
		goto out;
	if (isolated) {
		struct tval v;
		int found;

		rd.what = "isolated_build_env";
		tval_init(&v, 0);
		if (getstring(&rd, "isolated_build_env", ".package", 1, &v,
		        &found, 0) == -1) {
			tval_release(&v);
			goto out;
		}
		package_env = xstrdup(v.b.data);
		tval_release(&v);
	}
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
		if ((e = add_env(t, s->name + 8, s->line, nlisted == 0)) ==
		    NULL)
			goto out;
		e->line = s->line;
	}
	if (t->want != NULL &&
	    ftab_find(&t->envnames, t->want, strlen(t->want)) < 0 &&
	    (package_env == NULL || strcmp(t->want, package_env) != 0) &&
	    want_ok(t, nlisted)) {
		const struct ini_sec *te = find_section(t, "testenv");

		if (add_env(t, t->want, te != NULL ? te->line : 1, 0) == NULL)
			goto out;
		want = o->n;
	}
	if (o->n == 0) { /* tox's "python", at [testenv] if there is one */
		const struct ini_sec *te = find_section(t, "testenv");

		if (add_env(t, "python", te != NULL ? te->line : 1, 1) == NULL)
			goto out;
	}
	for (i = 0; i < o->n; i++) {
		if (make_env(t, &o->envs[i]) == -1)
			goto out;
		if (o->envs[i].in_envlist && !o->envs[i].usedevelop)
			all_develop = 0;
	}
	if (want > 0) /* tox -e NAME: skipsdist's default is NAME's alone */
		all_develop = o->envs[want - 1].usedevelop;
	if (getbool(&rd, "skipsdist", all_develop, &o->skipsdist, 0) == -1)
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

unsigned long long
vc_tox_scanned(void)
{
	return scanned;
}

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
			findex_free(k->index);
		}
		free(t->bodies[i].keys);
	}
	free(t->bodies);
	ftab_release(&t->ft);
	ftab_release(&t->secnames);
	ftab_release(&t->envnames);
	free(t->secmap);
	free(t->envmap);
	free(t->pool.ids);
	free(t->pool.alts);
	for (i = 0; i < G__COUNT; i++)
		free(t->global[i]);
	vc_strv_release(&t->indexservers);
}

static int
read_text(struct vc_tox *x, const char *name, const char *text,
    const char *want, struct vc_error *err)
{
	struct tox t;
	char cwd[PATH_MAX], *dir;
	int rc = -1;

	vc_error_clear(err);
	vc_tox_release(x);
	memset(&t, 0, sizeof t);
	t.out = x;
	t.name = name;
	t.want = want;
	t.err = err;
	vc_strv_init(&t.indexservers);
	x->file = xstrdup(name);
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
	if (parse_ini(&t, text) == -1 || expand_section_names(&t) == -1 ||
	    tox_section(&t) == -1)
		goto out;
	rc = 0;
out:
	tox_release(&t);
	if (rc == -1) {
		char *file = x->file, *d = x->dir;

		x->file = x->dir = NULL;
		vc_tox_release(x);
		x->file = file;
		x->dir = d;
	}
	return rc;
}

int
vc_tox_read(struct vc_tox *x, const char *name, const char *text,
    struct vc_error *err)
{
	return read_text(x, name, text, NULL, err);
}

char *
vc_tox_project_dep(const struct vc_tox_env *e)
{
	struct vc_buf b;
	size_t i;

	if (!e->install_project)
		return NULL;
	vc_buf_init(&b);
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
	if (e->basepython != NULL)
		d->python = xstrdup(e->basepython);
	for (j = 0; j < e->deps.n; j++)
		add_dep(d, xstrdup(e->deps.v[j]), e->deps_lines[j]);
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

/* vc_tox_load, or with `want`, only the environment tox 3 makes for
 * -e want: 1 if there is one, else 0. */
static int
load(struct vc_config *cfg, const char *path, const char *want,
    struct vc_error *err)
{
	struct vc_tox x;
	struct vc_buf b;
	char cwd[PATH_MAX];
	const char *name = path;
	size_t n, i;
	int rc = -1;

	vc_tox_init(&x);
	vc_buf_init(&b);
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
	if (read_text(&x, name, b.data != NULL ? b.data : "", want, err) == -1)
		goto out;
	if (want == NULL) {
		rc = vc_tox_add_envs(cfg, &x, err);
		goto out;
	}
	rc = 0;
	for (i = 0; i < x.n; i++)
		if (strcmp(x.envs[i].name, want) == 0)
			rc = add_one(cfg, &x, &x.envs[i], err) == -1 ? -1 : 1;
out:
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
