/*
 * tox-ini.c: a tox.ini as py.iniconfig reads it, by inih through a reader
 * that hands it one line at a time (as config.c does); where
 * py.iniconfig's dialect differs from inih's (no inline comments, no line
 * length limit, long names), the text of a value is taken from the raw
 * line inih has just classified (read_line, on_value). Every value keeps
 * the tox.ini line of each of its lines (struct tval), through factor
 * conditions and substitutions, so that errors and dependencies name
 * tox.ini:LINE.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "tox-int.h"

/* --- text with the tox.ini line of each of its lines ----------------- */

void
tval_init(struct tval *v, unsigned line)
{
	vc_buf_init(&v->b);
	vc_buf_grow(&v->b, 0);
	v->cap = 0;
	v->lines = xgrow(NULL, &v->cap, 1, sizeof *v->lines);
	v->lines[0] = line;
	v->n = 1;
}

void
tval_release(struct tval *v)
{
	vc_buf_release(&v->b);
	free(v->lines);
	v->lines = NULL;
	v->n = v->cap = 0;
}

void
tval_reset(struct tval *v, unsigned line)
{
	vc_buf_reset(&v->b);
	v->lines[0] = line;
	v->n = 1;
}

void
tval_newline(struct tval *v, unsigned line)
{
	vc_buf_addc(&v->b, '\n');
	v->lines = xgrow(v->lines, &v->cap, v->n + 1, sizeof *v->lines);
	v->lines[v->n++] = line;
}

/* Appends text whose line breaks all belong to `line`. */
void
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
void
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
void
tval_swap(struct tval *a, struct tval *b)
{
	struct tval t = *a;

	*a = *b;
	*b = t;
}

void
tval_copy(struct tval *dst, const struct tval *src)
{
	tval_reset(dst, src->lines[0]);
	tval_splice(dst, src);
	dst->lines[0] = src->lines[0];
}

int
tox_fail(struct tox *t, unsigned line, const char *fmt, ...)
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
int
tox_py_space(int c)
{
	return isspace(c) || (c >= 0x1c && c <= 0x1f);
}

char *
tox_strip_n(const char *s, size_t n)
{
	while (n > 0 && tox_py_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && tox_py_space((unsigned char)s[n - 1]))
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
ssize_t
tox_ftab_find(const struct ftab *ft, const char *s, size_t n)
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

void
tox_ftab_release(struct ftab *ft)
{
	size_t i;

	for (i = 0; i < ft->n; i++)
		free(ft->names[i]);
	free(ft->names);
	free(ft->slot);
	memset(ft, 0, sizeof *ft);
}

/* The id of s[0..n) in `ft`, added when new (ids count from 0). */
unsigned
tox_intern(struct ftab *ft, const char *s, size_t n)
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

struct ini_sec *
tox_find_section(const struct tox *t, const char *name)
{
	ssize_t id = tox_ftab_find(&t->secnames, name, strlen(name));
	struct ini_sec *s;

	if (id < 0 || t->secmap[id] == 0)
		return NULL;
	s = &t->secs[t->secmap[id] - 1];
	return s->removed ? NULL : s;
}

struct ini_key *
tox_find_key(const struct tox *t, const struct ini_sec *s, const char *name)
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

struct ini_sec *
tox_add_section(struct tox *t, const char *name, unsigned line, size_t body)
{
	struct ini_sec *s;

	unsigned id = tox_intern(&t->secnames, name, strlen(name));

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
	while (len > 0 && tox_py_space((unsigned char)p[len - 1]))
		len--;
	for (i = 0; i < len; i++)
		if (p[i] == ';')
			len = i;
	while (len > 0 && tox_py_space((unsigned char)p[len - 1]))
		len--;
	t->key = NULL;
	if (len < 2 || p[len - 1] != ']') {
		tox_fail(t, t->lineno,
		    "'%.*s' is not a section header (a line starting with '[' "
		    "must end with ']')",
		    (int)(n > 80 ? 80 : n), p);
		return;
	}
	name = xstrndup(p + 1, len - 2);
	if (t->setup_cfg && strcmp(name, "tox") == 0) {
		free(name);
		name = xstrdup("tox (not read in setup.cfg)");
	} else if (t->setup_cfg && strcmp(name, "tox:tox") == 0) {
		free(name);
		name = xstrdup("tox");
	}
	if (*name == '\0')
		tox_fail(t, t->lineno, "empty section name");
	else if (tox_find_section(t, name) != NULL)
		tox_fail(t, t->lineno, "section [%s] is defined twice", name);
	else {
		t->bodies = xgrow(t->bodies, &t->capbodies, t->nbodies + 1,
		    sizeof *t->bodies);
		memset(&t->bodies[t->nbodies], 0, sizeof *t->bodies);
		t->cur = tox_add_section(t, name, t->lineno, t->nbodies++);
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
			tox_fail(t, t->lineno,
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
		v = tox_strip_n(t->line, t->linelen);
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
		tox_fail(t, t->lineno, "cannot read this line");
		return 0;
	}
	/* py.iniconfig splits at the first '=', or at a ':' before it. */
	for (sep = t->line; sep < t->line + t->linelen; sep++)
		if (*sep == '=' || *sep == ':')
			break;
	if (sep == t->line + t->linelen) {
		tox_fail(t, t->lineno,
		    "expected 'name = value' or '[section]'");
		return 0;
	}
	v = tox_strip_n(t->line, (size_t)(sep - t->line));
	if (t->cur == NULL) {
		tox_fail(t, t->lineno,
		    "'%.80s' is outside any section (no section header before "
		    "it)",
		    v);
		free(v);
		return 0;
	}
	b = &t->bodies[t->cur->body];
	for (i = 0; i < b->n; i++) {
		if (strcmp(b->keys[i].name, v) == 0) {
			tox_fail(t, t->lineno, "'%s' is set twice in [%s]", v,
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
	v = tox_strip_n(sep + 1, (size_t)(t->line + t->linelen - sep - 1));
	vc_buf_adds(&k->value.b, v);
	free(v);
	t->key = k;
	return 1;
}

int
tox_parse_ini(struct tox *t, const char *text)
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
		return tox_fail(t, (unsigned)rc,
		    "syntax error: expected 'name = value' or '[section]'");
	}
	if (rc != 0 && !t->failed)
		return tox_fail(t, t->lineno, "cannot parse");
	return t->failed ? -1 : 0;
}

/* --- tox 4's value syntax --------------------------------------------- */

void
tox_strip_comments4(struct tval *v)
{
	struct tval out;
	const char *s = v->b.data;
	size_t li = 0, kept = 0;

	tval_init(&out, v->lines[0]);
	for (;; li++) {
		size_t len = strcspn(s, "\n"), cut = len, i;

		if (len == 0 || s[0] != '#') {
			for (i = 0; i < len; i++)
				if (s[i] == '#' && (i == 0 || s[i - 1] != '\\'))
					break;
			cut = i;
			while (cut > 0 && isspace((unsigned char)s[cut - 1]))
				cut--;
			if (kept++ == 0)
				out.lines[0] = v->lines[li];
			else
				tval_newline(&out, v->lines[li]);
			for (i = 0; i < cut; i++) {
				if (s[i] == '\\' && i + 1 < cut &&
				    s[i + 1] == '#')
					continue; /* "\#" is '#' */
				vc_buf_addc(&out.b, s[i]);
			}
		}
		if (s[len] == '\0')
			break;
		s += len + 1;
	}
	tval_swap(v, &out);
	tval_release(&out);
}

int
tox_bool4(const char *s)
{
	static const char *const yes[] = {"true", "1", "yes", "on"};
	static const char *const no[] = {"false", "0", "no", "off", ""};
	char *t = tox_strip_n(s, strlen(s));
	size_t i;
	int rc = -1;

	for (i = 0; i < VC_ARRAY_SIZE(yes); i++)
		if (strcasecmp(t, yes[i]) == 0)
			rc = 1;
	for (i = 0; i < VC_ARRAY_SIZE(no); i++)
		if (strcasecmp(t, no[i]) == 0)
			rc = 0;
	free(t);
	return rc;
}
