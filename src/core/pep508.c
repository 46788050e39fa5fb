/*
 * pep508.c: dependency specifiers, versions and environment markers.
 *
 * The grammar and the tokens are packaging 24's (_tokenizer.py, _parser.py,
 * specifiers.py, version.py), matched greedily the way Python's regular
 * expressions match them. What comes out is venvcache's canonical form,
 * specified in docs/key.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pep508.h"
#include "venvcache/req.h"

#define NOPE ((size_t)-1)

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* \w of a Python str pattern; every non-ASCII byte counts as a letter. */
static int
is_word(int c)
{
	return is_alnum(c) || c == '_' || c >= 0x80;
}

static int
is_sep(int c)
{
	return c == '-' || c == '_' || c == '.';
}

size_t
vc_py_space(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if ((u[0] >= 0x09 && u[0] <= 0x0d) || (u[0] >= 0x1c && u[0] <= 0x20))
		return 1;
	if (u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2;
	if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x80 &&
	    ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xa8 || u[2] == 0xa9 ||
	        u[2] == 0xaf))
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	return 0;
}

char *
vc_py_strip(const char *s, size_t n)
{
	size_t i = 0, start, end, k;

	while (i < n && (k = vc_py_space(s + i)) != 0 && i + k <= n)
		i += k;
	start = i;
	/* Fast path: the text ends in an ASCII character. */
	for (end = n; end > start && (unsigned char)s[end - 1] < 0x80; end--)
		if (vc_py_space(s + end - 1) == 0)
			return xstrndup(s + start, end - start);
	end = start;
	while (i < n) {
		k = vc_py_space(s + i);
		if (k != 0 && i + k <= n) {
			i += k;
		} else {
			i++;
			end = i;
		}
	}
	return xstrndup(s + start, end - start);
}

/* PEP 503 of the `n` bytes at `name`. */
static char *
normalize_n(const char *name, size_t n)
{
	char *out = xmalloc(n + 1), *q = out;
	const char *p, *end = name + n;

	for (p = name; p < end; p++) {
		if (is_sep(*p)) {
			while (p + 1 < end && is_sep(p[1]))
				p++;
			*q++ = '-';
		} else if (*p >= 'A' && *p <= 'Z') {
			*q++ = (char)(*p - 'A' + 'a');
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
	return out;
}

char *
vc_name_normalize(const char *name)
{
	char *out = xmalloc(strlen(name) + 1), *q = out;
	const char *p;

	for (p = name; *p != '\0'; p++) {
		if (is_sep(*p)) {
			while (is_sep(p[1]))
				p++;
			*q++ = '-';
		} else if (*p >= 'A' && *p <= 'Z') {
			*q++ = (char)(*p - 'A' + 'a');
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
	return out;
}

/*
 * Versions. The spans of one version's parts, as packaging's VERSION_PATTERN
 * and Specifier._version_regex_str find them.
 */
struct vparts {
	const char *s;
	size_t epoch_s, epoch_e; /* digits before '!', empty when none */
	size_t rel_s, rel_e;     /* "1.2.3" */
	int pre;                 /* 0, 'a', 'b' or 'r' (rc) */
	size_t pre_s, pre_e;     /* its number, may be empty */
	int post;
	size_t post_s, post_e;
	int dev;
	size_t dev_s, dev_e;
	size_t local_s, local_e; /* after '+', empty when none */
	int wildcard;            /* ends in ".*" */
};

#define V_WILDCARD 0x1 /* ".*" allowed: == and != */
#define V_LOCAL 0x2    /* "+local" allowed: == and != */
#define V_COMPAT 0x4   /* at least two release parts: ~= */

static size_t
skip_digits(const char *s, size_t i, size_t n)
{
	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

/* Matches `word` case-insensitively at s[i]; returns its length or 0. */
static size_t
match_word(const char *s, size_t i, size_t n, const char *word)
{
	size_t len = strlen(word);

	if (n - i < len || strncasecmp(s + i, word, len) != 0)
		return 0;
	return len;
}

/*
 * [-_.]? (one of `words`) [-_.]? [0-9]*: a pre-, post- or dev-release
 * part. Returns the end, or NOPE; `which` is the index of the word.
 */
static size_t
match_letter_part(const char *s, size_t i, size_t n, const char *const *words,
    size_t nwords, int *which, size_t *num_s, size_t *num_e)
{
	size_t j = i, k, len, w;

	if (j < n && is_sep(s[j]))
		j++;
	if (j >= n ||
	    !((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
		return NOPE;
	for (w = 0; w < nwords; w++)
		if ((words[w][0] == s[j] || words[w][0] == (s[j] | 0x20)) &&
		    (len = match_word(s, j, n, words[w])) != 0)
			break;
	if (w == nwords)
		return NOPE;
	k = j + len;
	if (k < n && is_sep(s[k]))
		k++;
	*which = (int)w;
	*num_s = k;
	*num_e = skip_digits(s, k, n);
	return *num_e;
}

/* Matches a version at s[i..n), greedily; returns its end, or NOPE. */
static size_t
match_version(const char *s, size_t i, size_t n, int flags, struct vparts *v)
{
	static const char *const pre_words[] = {"alpha", "beta", "preview",
	    "pre", "a", "b", "c", "rc"};
	static const char pre_kind[] = {'a', 'b', 'r', 'r', 'a', 'b', 'r', 'r'};
	static const char *const post_words[] = {"post", "rev", "r"};
	static const char *const dev_words[] = {"dev"};
	size_t j, e, parts = 1;
	int w;

	memset(v, 0, sizeof *v);
	v->s = s;
	if (i < n && (s[i] == 'v' || s[i] == 'V'))
		i++;
	j = skip_digits(s, i, n);
	if (j > i && j < n && s[j] == '!') {
		v->epoch_s = i;
		v->epoch_e = j;
		i = j + 1;
	}
	j = skip_digits(s, i, n);
	if (j == i)
		return NOPE;
	v->rel_s = i;
	while (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
		j = skip_digits(s, j + 1, n);
		parts++;
	}
	v->rel_e = j;
	if ((flags & V_COMPAT) && parts < 2)
		return NOPE;
	i = j;
	if ((flags & V_WILDCARD) && i + 1 < n && s[i] == '.' &&
	    s[i + 1] == '*') {
		v->wildcard = 1;
		return i + 2;
	}
	e = match_letter_part(s, i, n, pre_words, VC_ARRAY_SIZE(pre_words), &w,
	    &v->pre_s, &v->pre_e);
	if (e != NOPE) {
		v->pre = pre_kind[w];
		i = e;
	}
	if (i + 1 < n && s[i] == '-' && is_digit(s[i + 1])) {
		v->post = 1;
		v->post_s = i + 1;
		v->post_e = skip_digits(s, i + 1, n);
		i = v->post_e;
	} else {
		e = match_letter_part(s, i, n, post_words,
		    VC_ARRAY_SIZE(post_words), &w, &v->post_s, &v->post_e);
		if (e != NOPE) {
			v->post = 1;
			i = e;
		}
	}
	e = match_letter_part(s, i, n, dev_words, 1, &w, &v->dev_s, &v->dev_e);
	if (e != NOPE) {
		v->dev = 1;
		i = e;
	}
	if ((flags & V_LOCAL) && i + 1 < n && s[i] == '+' &&
	    is_alnum(s[i + 1])) {
		v->local_s = j = i + 1;
		for (;;) {
			while (j < n && is_alnum(s[j]))
				j++;
			if (j + 1 < n && is_sep(s[j]) && is_alnum(s[j + 1]))
				j++;
			else
				break;
		}
		v->local_e = i = j;
	}
	return i;
}

/* Appends the decimal digits s[a..b) without leading zeros ("0" if none). */
static void
add_int(struct vc_buf *b, const char *s, size_t a, size_t e)
{
	while (a < e && s[a] == '0')
		a++;
	if (a == e)
		vc_buf_addc(b, '0');
	else
		vc_buf_add(b, s + a, e - a);
}

static void
format_version(const struct vparts *v, struct vc_buf *b)
{
	const char *s = v->s;
	size_t i, j;

	if (v->epoch_e > v->epoch_s) {
		size_t before = b->len;

		add_int(b, s, v->epoch_s, v->epoch_e);
		if (b->len - before == 1 && b->data[before] == '0')
			b->len = before, b->data[before] = '\0';
		else
			vc_buf_addc(b, '!');
	}
	for (i = v->rel_s; i < v->rel_e; i = j + 1) {
		j = skip_digits(s, i, v->rel_e);
		if (i > v->rel_s)
			vc_buf_addc(b, '.');
		add_int(b, s, i, j);
	}
	if (v->wildcard) {
		vc_buf_adds(b, ".*");
		return;
	}
	if (v->pre) {
		vc_buf_adds(b,
		    v->pre == 'a'       ? "a"
		        : v->pre == 'b' ? "b"
		                        : "rc");
		add_int(b, s, v->pre_s, v->pre_e);
	}
	if (v->post) {
		vc_buf_adds(b, ".post");
		add_int(b, s, v->post_s, v->post_e);
	}
	if (v->dev) {
		vc_buf_adds(b, ".dev");
		add_int(b, s, v->dev_s, v->dev_e);
	}
	if (v->local_e > v->local_s) {
		vc_buf_addc(b, '+');
		for (i = v->local_s; i < v->local_e; i = j + 1) {
			int digits = 1;

			for (j = i; j < v->local_e && !is_sep(s[j]); j++)
				if (!is_digit(s[j]))
					digits = 0;
			if (i > v->local_s)
				vc_buf_addc(b, '.');
			if (digits) {
				add_int(b, s, i, j);
			} else {
				for (; i < j; i++)
					vc_buf_addc(b,
					    s[i] >= 'A' && s[i] <= 'Z'
					        ? s[i] - 'A' + 'a'
					        : s[i]);
			}
		}
	}
}

char *
vc_version_normalize(const char *version)
{
	struct vparts v;
	struct vc_buf b;
	char *s = vc_py_strip(version, strlen(version));
	size_t n = strlen(s), e;

	e = match_version(s, 0, n, V_LOCAL, &v);
	if (e != n) {
		free(s);
		return NULL;
	}
	vc_buf_init(&b);
	format_version(&v, &b);
	free(s);
	return vc_buf_detach(&b);
}

/*
 * One specifier clause at s[i..n): an operator, optional white space and a
 * version the operator allows. Appends the canonical clause to `out` and
 * returns the end, or NOPE.
 */
static size_t
match_specifier(const char *s, size_t i, size_t n, struct vc_buf *out)
{
	static const struct {
		const char *op;
		int flags;
	} ops[] = {
	    {"===", -1},
	    {"~=", V_COMPAT},
	    {"==", V_WILDCARD | V_LOCAL},
	    {"!=", V_WILDCARD | V_LOCAL},
	    {"<=", 0},
	    {">=", 0},
	    {"<", 0},
	    {">", 0},
	};
	struct vparts v;
	size_t k, o, j, len, start, e;

	for (o = 0; o < VC_ARRAY_SIZE(ops); o++) {
		len = strlen(ops[o].op);
		if (n - i < len || strncmp(s + i, ops[o].op, len) != 0)
			continue;
		j = i + len;
		while (j < n && (k = vc_py_space(s + j)) != 0 && j + k <= n)
			j += k;
		if (ops[o].flags == -1) {
			/* Arbitrary equality: anything but space, ';' and ')'.
			 */
			for (start = j; j < n && s[j] != ';' && s[j] != ')' &&
			     vc_py_space(s + j) == 0;
			     j++)
				;
			vc_buf_adds(out, "===");
			vc_buf_add(out, s + start, j - start);
			return j;
		}
		e = match_version(s, j, n, ops[o].flags, &v);
		if (e == NOPE)
			continue;
		vc_buf_adds(out, ops[o].op);
		format_version(&v, out);
		return e;
	}
	return NOPE;
}

/*
 * The tokenizer: each rule of packaging's DEFAULT_RULES is a function that
 * returns the length of its match at the current position, or NOPE.
 */
struct tok {
	const char *s;
	size_t n;
	size_t pos;
	struct vc_error *err;
};

static int
boundary(const struct tok *t, size_t i)
{
	int before = i > 0 && is_word((unsigned char)t->s[i - 1]);
	int after = i < t->n && is_word((unsigned char)t->s[i]);

	return before != after;
}

static size_t
r_ws(const struct tok *t)
{
	size_t i = t->pos;

	while (i < t->n && (t->s[i] == ' ' || t->s[i] == '\t'))
		i++;
	return i > t->pos ? i - t->pos : NOPE;
}

static size_t
r_char(const struct tok *t, char c)
{
	return t->pos < t->n && t->s[t->pos] == c ? 1 : NOPE;
}

static size_t
r_keyword(const struct tok *t, const char *word)
{
	size_t len = strlen(word);

	if (t->n - t->pos < len || strncmp(t->s + t->pos, word, len) != 0)
		return NOPE;
	if (!boundary(t, t->pos) || !boundary(t, t->pos + len))
		return NOPE;
	return len;
}

static size_t
r_quoted(const struct tok *t)
{
	const char *end;
	char q;

	if (t->pos >= t->n || (t->s[t->pos] != '\'' && t->s[t->pos] != '"'))
		return NOPE;
	q = t->s[t->pos];
	end = memchr(t->s + t->pos + 1, q, t->n - t->pos - 1);
	return end == NULL ? NOPE : (size_t)(end - (t->s + t->pos)) + 1;
}

static size_t
r_op(const struct tok *t)
{
	static const char *const ops[] = {"===", "==", "~=", "!=", "<=", ">=",
	    "<", ">"};
	size_t i, len;

	for (i = 0; i < VC_ARRAY_SIZE(ops); i++) {
		len = strlen(ops[i]);
		if (t->n - t->pos >= len &&
		    strncmp(t->s + t->pos, ops[i], len) == 0)
			return len;
	}
	return NOPE;
}

/* Marker variables, and the name each is written as. */
static const struct {
	const char *text;
	const char *canon;
} marker_vars[] = {
    {"python_version", "python_version"},
    {"python_full_version", "python_full_version"},
    {"os.name", "os_name"},
    {"os_name", "os_name"},
    {"sys.platform", "sys_platform"},
    {"sys_platform", "sys_platform"},
    {"platform_release", "platform_release"},
    {"platform_system", "platform_system"},
    {"platform.version", "platform_version"},
    {"platform_version", "platform_version"},
    {"platform.machine", "platform_machine"},
    {"platform_machine", "platform_machine"},
    {"platform.python_implementation", "platform_python_implementation"},
    {"platform_python_implementation", "platform_python_implementation"},
    {"python_implementation", "platform_python_implementation"},
    {"implementation_name", "implementation_name"},
    {"implementation_version", "implementation_version"},
    {"extra", "extra"},
    /* packaging 25 (PEP 751) */
    {"extras", "extras"},
    {"dependency_groups", "dependency_groups"},
};

static size_t
r_variable(const struct tok *t, size_t *which)
{
	size_t i, len;
	char c = t->pos < t->n ? t->s[t->pos] : '\0';

	if (c != 'p' && c != 'o' && c != 's' && c != 'i' && c != 'e' &&
	    c != 'd')
		return NOPE;
	for (i = 0; i < VC_ARRAY_SIZE(marker_vars); i++) {
		if (marker_vars[i].text[0] != c)
			continue;
		if ((len = r_keyword(t, marker_vars[i].text)) != NOPE) {
			*which = i;
			return len;
		}
	}
	return NOPE;
}

static size_t
r_identifier(const struct tok *t)
{
	size_t i = t->pos, e;

	if (i >= t->n || !is_alnum(t->s[i]) || !boundary(t, i))
		return NOPE;
	for (e = i + 1; e < t->n && (is_alnum(t->s[e]) || is_sep(t->s[e])); e++)
		;
	while (e > i && !boundary(t, e))
		e--;
	return e > i ? e - i : NOPE;
}

static size_t
r_url(const struct tok *t)
{
	size_t i = t->pos;

	while (i < t->n && t->s[i] != ' ' && t->s[i] != '\t')
		i++;
	return i > t->pos ? i - t->pos : NOPE;
}

static void
consume_ws(struct tok *t)
{
	size_t n = r_ws(t);

	if (n != NOPE)
		t->pos += n;
}

static int
at_end(const struct tok *t)
{
	return t->pos >= t->n;
}

static int
fail(struct tok *t, size_t at, const char *what)
{
	return vc_error_set(t->err, VC_EFAIL, "%s at column %zu", what, at + 1);
}

/*
 * Markers. A parsed expression is a tree of items, "and" and "or" nodes;
 * normalising flattens nested nodes of one kind, sorts and deduplicates
 * the operands of each node and drops nodes left with one operand.
 */
enum { MK_ITEM, MK_AND, MK_OR };

struct mnode {
	int kind;
	char *item;          /* MK_ITEM: the canonical item */
	struct mnode **kids; /* MK_AND, MK_OR */
	size_t n;
	size_t cap;
	char *text; /* rendered, set by normalize() */
};

static struct mnode *
mnode_new(int kind)
{
	struct mnode *m = xcalloc(1, sizeof *m);

	m->kind = kind;
	return m;
}

static void
mnode_free(struct mnode *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		mnode_free(m->kids[i]);
	free(m->kids);
	if (m->text != m->item)
		free(m->text);
	free(m->item);
	free(m);
}

static void
mnode_add(struct mnode *m, struct mnode *kid)
{
	m->kids = xgrow(m->kids, &m->cap, m->n + 1, sizeof *m->kids);
	m->kids[m->n++] = kid;
}

/* Python's decoding of a string literal: `q` is the quoted text. */
static int
py_unquote(struct tok *t, const char *q, size_t n, uint32_t **out, size_t *nout)
{
	uint32_t *cp = xmalloc((n + 1) * sizeof *cp), c;
	const unsigned char *s = (const unsigned char *)q + 1;
	size_t len = n - 2, i = 0, k = 0, d, need;
	const char *bad = NULL;

	while (i < len) {
		c = s[i];
		if (c == '\\') {
			if (i + 1 >= len) {
				bad = "unterminated string";
				break;
			}
			c = s[++i];
			i++;
			switch (c) {
			case '\\':
			case '\'':
			case '"':
				break;
			case 'a':
				c = 7;
				break;
			case 'b':
				c = 8;
				break;
			case 'f':
				c = 12;
				break;
			case 'n':
				c = 10;
				break;
			case 'r':
				c = 13;
				break;
			case 't':
				c = 9;
				break;
			case 'v':
				c = 11;
				break;
			case 'x':
			case 'u':
			case 'U':
				need = c == 'x' ? 2 : c == 'u' ? 4 : 8;
				for (c = 0, d = 0; d < need; d++, i++) {
					int h = i < len ? s[i] : 0;

					if (is_digit(h))
						c = c * 16 +
						    (uint32_t)(h - '0');
					else if (h >= 'a' && h <= 'f')
						c = c * 16 +
						    (uint32_t)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F')
						c = c * 16 +
						    (uint32_t)(h - 'A' + 10);
					else
						break;
				}
				if (d < need)
					bad =
					    "truncated \\x, \\u or \\U escape";
				break;
			case 'N':
				bad = "\\N{...} escapes are not supported";
				break;
			default:
				if (c >= '0' && c <= '7') {
					c -= '0';
					for (d = 1; d < 3 && i < len &&
					     s[i] >= '0' && s[i] <= '7';
					     d++, i++)
						c = c * 8 + (s[i] - '0');
				} else {
					/* Unknown escapes stay as written. */
					cp[k++] = '\\';
					i--;
					continue;
				}
				break;
			}
			if (bad != NULL)
				break;
		} else if (c < 0x80) {
			i++;
		} else {
			/* One UTF-8 character. */
			size_t m = c >= 0xf0 ? 3
			    : c >= 0xe0      ? 2
			    : c >= 0xc0      ? 1
			                     : 0;
			uint32_t min = m == 3 ? 0x10000 : m == 2 ? 0x800 : 0x80;

			if (m == 0 || c >= 0xf8 || i + m >= len) {
				bad = "invalid UTF-8";
				break;
			}
			c &= m == 3 ? 0x07 : m == 2 ? 0x0f : 0x1f;
			for (d = 1; d <= m; d++) {
				if ((s[i + d] & 0xc0) != 0x80)
					break;
				c = (c << 6) | (s[i + d] & 0x3f);
			}
			if (d <= m || c < min) {
				bad = "invalid UTF-8";
				break;
			}
			i += m + 1;
		}
		if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
			bad = "a character that cannot be used";
			break;
		}
		cp[k++] = c;
	}
	if (bad != NULL) {
		free(cp);
		return vc_error_set(t->err, VC_EFAIL,
		    "invalid string %.*s: %s at column %zu", (int)n, q, bad,
		    (size_t)(q - t->s) + 1);
	}
	*out = cp;
	*nout = k;
	return 0;
}

/*
 * Writes a value in double quotes so that reading it back, as a pip
 * requirements line, gives the same value: '\', '"', control and
 * non-ASCII characters are escaped, and so are a space before '#' or '-'
 * (a comment, an option) and a '$' before '{' (a variable).
 */
static void
quote_value(const uint32_t *cp, size_t n, struct vc_buf *b)
{
	size_t i;
	uint32_t c, next;

	vc_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		c = cp[i];
		next = i + 1 < n ? cp[i + 1] : 0;
		if (c > ' ' && c < 0x7f && c != '\\' && c != '"' && c != '$') {
			char run[64];
			size_t k = 0;

			while (i < n && k < sizeof run && cp[i] > ' ' &&
			    cp[i] < 0x7f && cp[i] != '\\' && cp[i] != '"' &&
			    cp[i] != '$')
				run[k++] = (char)cp[i++];
			vc_buf_add(b, run, k);
			i--;
			continue;
		}
		if (c == '\\')
			vc_buf_adds(b, "\\\\");
		else if (c == '"' || c < 0x20 || c == 0x7f ||
		    (c == ' ' && (next == '#' || next == '-')) ||
		    (c == '$' && next == '{'))
			vc_buf_addf(b, "\\x%02x", (unsigned)c);
		else if (c < 0x80)
			vc_buf_addc(b, (int)c);
		else if (c <= 0xff)
			vc_buf_addf(b, "\\x%02x", (unsigned)c);
		else if (c <= 0xffff)
			vc_buf_addf(b, "\\u%04x", (unsigned)c);
		else
			vc_buf_addf(b, "\\U%08x", (unsigned)c);
	}
	vc_buf_addc(b, '"');
}

/* marker_var = VARIABLE | QUOTED_STRING; `*var` is its index or -1. */
static int
parse_marker_var(struct tok *t, long *var, uint32_t **cp, size_t *ncp)
{
	size_t len, which;

	if ((len = r_variable(t, &which)) != NOPE) {
		t->pos += len;
		*var = (long)which;
		return 0;
	}
	if ((len = r_quoted(t)) != NOPE) {
		*var = -1;
		if (py_unquote(t, t->s + t->pos, len, cp, ncp) == -1)
			return -1;
		t->pos += len;
		return 0;
	}
	return fail(t, t->pos, "expected a marker variable or quoted string");
}

static void
add_marker_var(struct vc_buf *b, long var, const uint32_t *cp, size_t n,
    int is_extra_value)
{
	uint32_t *norm;
	size_t i, k = 0;

	if (var >= 0) {
		vc_buf_adds(b, marker_vars[var].canon);
		return;
	}
	if (!is_extra_value) {
		quote_value(cp, n, b);
		return;
	}
	/* Extras compare normalised (packaging's canonicalize_name). */
	norm = xmalloc((n + 1) * sizeof *norm);
	for (i = 0; i < n; i++) {
		if (is_sep((int)cp[i])) {
			while (i + 1 < n && is_sep((int)cp[i + 1]))
				i++;
			norm[k++] = '-';
		} else {
			norm[k++] =
			    cp[i] >= 'A' && cp[i] <= 'Z' ? cp[i] + 32 : cp[i];
		}
	}
	quote_value(norm, k, b);
	free(norm);
}

static int
is_extra_var(long var)
{
	return var >= 0 && strcmp(marker_vars[var].canon, "extra") == 0;
}

/* marker_item = WS? marker_var WS? marker_op WS? marker_var WS? */
static struct mnode *
parse_marker_item(struct tok *t)
{
	uint32_t *lcp = NULL, *rcp = NULL;
	size_t ln = 0, rn = 0, len;
	long lvar, rvar;
	char op[8];
	struct vc_buf b;
	struct mnode *m = NULL;

	vc_buf_init(&b);
	vc_buf_grow(&b, 96);
	consume_ws(t);
	if (parse_marker_var(t, &lvar, &lcp, &ln) == -1)
		goto out;
	consume_ws(t);
	if ((len = r_keyword(t, "in")) != NOPE) {
		snprintf(op, sizeof op, "in");
		t->pos += len;
	} else if ((len = r_keyword(t, "not")) != NOPE) {
		t->pos += len;
		if ((len = r_ws(t)) == NOPE) {
			fail(t, t->pos, "expected whitespace after 'not'");
			goto out;
		}
		t->pos += len;
		if ((len = r_keyword(t, "in")) == NOPE) {
			fail(t, t->pos, "expected 'in' after 'not'");
			goto out;
		}
		t->pos += len;
		snprintf(op, sizeof op, "not in");
	} else if ((len = r_op(t)) != NOPE) {
		memcpy(op, t->s + t->pos, len);
		op[len] = '\0';
		t->pos += len;
	} else {
		fail(t, t->pos,
		    "expected marker operator, one of <=, <, !=, ==, >=, >, "
		    "~=, ===, in, not in");
		goto out;
	}
	consume_ws(t);
	if (parse_marker_var(t, &rvar, &rcp, &rn) == -1)
		goto out;
	consume_ws(t);
	add_marker_var(&b, lvar, lcp, ln, is_extra_var(rvar));
	vc_buf_addc(&b, ' ');
	vc_buf_adds(&b, op);
	vc_buf_addc(&b, ' ');
	add_marker_var(&b, rvar, rcp, rn, is_extra_var(lvar));
	m = mnode_new(MK_ITEM);
	m->item = vc_buf_detach(&b);
out:
	free(lcp);
	free(rcp);
	vc_buf_release(&b);
	return m;
}

static struct mnode *parse_marker(struct tok *t, unsigned depth);

/*
 * marker_atom = WS? '(' WS? marker WS? ')' WS? | WS? marker_item WS?
 */
static struct mnode *
parse_marker_atom(struct tok *t, unsigned depth)
{
	struct mnode *m;
	size_t open;

	consume_ws(t);
	if (r_char(t, '(') != NOPE) {
		if (depth > 100) {
			fail(t, t->pos, "markers nested too deeply");
			return NULL;
		}
		open = t->pos++;
		consume_ws(t);
		if ((m = parse_marker(t, depth + 1)) == NULL)
			return NULL;
		consume_ws(t);
		if (r_char(t, ')') == NOPE) {
			mnode_free(m);
			fail(t, open,
			    "expected matching ')' for '(', after marker "
			    "expression");
			return NULL;
		}
		t->pos++;
	} else if ((m = parse_marker_item(t)) == NULL) {
		return NULL;
	}
	consume_ws(t);
	return m;
}

/* marker = marker_atom (BOOLOP marker_atom)*, "and" binding tighter. */
static struct mnode *
parse_marker(struct tok *t, unsigned depth)
{
	struct mnode * or = mnode_new(MK_OR), *and = mnode_new(MK_AND), *a;
	size_t len;

	for (;;) {
		if ((a = parse_marker_atom(t, depth)) == NULL)
			goto fail;
		mnode_add(and, a);
		if ((len = r_keyword(t, "and")) != NOPE) {
			t->pos += len;
			continue;
		}
		mnode_add(or, and);
		and = NULL;
		if ((len = r_keyword(t, "or")) == NOPE)
			break;
		t->pos += len;
		and = mnode_new(MK_AND);
	}
	return or ;
fail:
	mnode_free(or);
	mnode_free(and);
	return NULL;
}

/* Writes m->text, as `m` is written inside a node of kind `parent`. */
static void
set_text(struct mnode *m, int parent)
{
	int paren = m->kind == MK_OR && parent == MK_AND;
	size_t i, len = paren ? 2 : 0, sep = m->kind == MK_AND ? 5 : 4;
	char *p;

	if (m->kind == MK_ITEM) {
		m->text = m->item; /* borrowed */
		return;
	}
	for (i = 0; i < m->n; i++)
		len += strlen(m->kids[i]->text) + (i > 0 ? sep : 0);
	free(m->text);
	m->text = p = xmalloc(len + 1);
	if (paren)
		*p++ = '(';
	for (i = 0; i < m->n; i++) {
		size_t k = strlen(m->kids[i]->text);

		if (i > 0) {
			memcpy(p, m->kind == MK_AND ? " and " : " or ", sep);
			p += sep;
		}
		memcpy(p, m->kids[i]->text, k);
		p += k;
	}
	if (paren)
		*p++ = ')';
	*p = '\0';
}

static int
cmp_mnode(const void *a, const void *b)
{
	return strcmp((*(struct mnode *const *)a)->text,
	    (*(struct mnode *const *)b)->text);
}

/*
 * Normalises `m` in place: returns the node that replaces it (`m` itself,
 * or its only operand). Sets ->text of the result, as it is written where
 * `parent` is the kind of the node that contains it.
 */
static struct mnode *
normalize(struct mnode *m, int parent)
{
	struct mnode **kids, *only;
	size_t i, j, n, total = 0;

	if (m->kind == MK_ITEM) {
		set_text(m, parent);
		return m;
	}
	/* Operands first; then those of the same kind are flattened. */
	for (i = 0; i < m->n; i++) {
		m->kids[i] = normalize(m->kids[i], m->kind);
		total += m->kids[i]->kind == m->kind ? m->kids[i]->n : 1;
	}
	if (total != m->n) {
		kids = xmalloc(total * sizeof *kids);
		for (i = 0, n = 0; i < m->n; i++) {
			struct mnode *k = m->kids[i];

			if (k->kind != m->kind) {
				kids[n++] = k;
				continue;
			}
			for (j = 0; j < k->n; j++)
				kids[n++] = k->kids[j];
			k->n = 0;
			mnode_free(k);
		}
		free(m->kids);
		m->kids = kids;
		m->n = m->cap = total;
	}
	n = m->n;
	kids = m->kids;
	qsort(kids, n, sizeof *kids, cmp_mnode);
	for (i = 1, j = 1; i < n; i++) {
		if (strcmp(kids[i]->text, kids[j - 1]->text) == 0)
			mnode_free(kids[i]);
		else
			kids[j++] = kids[i];
	}
	m->n = n > 0 ? j : 0;
	if (m->n == 1) {
		only = kids[0];
		m->n = 0;
		mnode_free(m);
		/* Its text was made for inside `m`; redo it for `parent`. */
		set_text(only, parent);
		return only;
	}
	set_text(m, parent);
	return m;
}

static char *
marker_text(struct mnode *m)
{
	char *s;

	m = normalize(m, MK_OR);
	if (m->text == m->item) {
		s = m->item;
		m->item = NULL;
	} else {
		s = m->text;
	}
	m->text = NULL;
	mnode_free(m);
	return s;
}

char *
vc_marker_normalize(const char *s, struct vc_error *err)
{
	struct tok t = {s, strlen(s), 0, err};
	struct mnode *m;

	if ((m = parse_marker(&t, 0)) == NULL)
		return NULL;
	if (at_end(&t) && m->n == 1 && m->kids[0]->n == 1 &&
	    m->kids[0]->kids[0]->kind == MK_ITEM) {
		/* One item: nothing to sort or flatten. */
		char *item = m->kids[0]->kids[0]->item;

		m->kids[0]->kids[0]->item = NULL;
		mnode_free(m);
		return item;
	}
	if (!at_end(&t)) {
		mnode_free(m);
		fail(&t, t.pos, "expected end of marker expression");
		return NULL;
	}
	return marker_text(m);
}

void
vc_pep508_init(struct vc_pep508 *r)
{
	memset(r, 0, sizeof *r);
	vc_strv_init(&r->extras);
}

void
vc_pep508_release(struct vc_pep508 *r)
{
	free(r->name);
	vc_strv_release(&r->extras);
	free(r->specifier);
	free(r->url);
	free(r->marker);
	vc_pep508_init(r);
}

/* extras = ('[' WS? extras_list? WS? ']')? */
static int
parse_extras(struct tok *t, struct vc_strv *extras)
{
	size_t open, len;

	if (r_char(t, '[') == NOPE)
		return 0;
	open = t->pos++;
	consume_ws(t);
	if ((len = r_identifier(t)) != NOPE) {
		for (;;) {
			vc_strv_take(extras, normalize_n(t->s + t->pos, len));
			t->pos += len;
			consume_ws(t);
			if (r_identifier(t) != NOPE)
				return fail(t, t->pos,
				    "expected comma between extra names");
			if (r_char(t, ',') == NOPE)
				break;
			t->pos++;
			consume_ws(t);
			if ((len = r_identifier(t)) == NOPE)
				return fail(t, t->pos,
				    "expected extra name after comma");
		}
	}
	consume_ws(t);
	if (r_char(t, ']') == NOPE)
		return fail(t, open,
		    "expected matching ']' for '[', after extras");
	t->pos++;
	vc_strv_sort_uniq(extras);
	return 0;
}

static int
cmp_clause(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* specifier = '(' WS? version_many WS? ')' | WS? version_many WS? */
static int
parse_specifier(struct tok *t, char **out)
{
	/* The clauses, NUL-separated in one buffer, and where each starts. */
	struct vc_buf all, b;
	size_t *at = NULL, cap = 0, n = 0, open = NOPE, end, i;
	const char **v = NULL;
	int rc = -1;

	vc_buf_init(&all);
	vc_buf_init(&b);
	vc_buf_grow(&all, 64);
	if (r_char(t, '(') != NOPE)
		open = t->pos++;
	consume_ws(t);
	for (;;) {
		size_t start = t->pos, mark = all.len;

		end = match_specifier(t->s, t->pos, t->n, &all);
		if (end == NOPE)
			break;
		vc_buf_addc(&all, '\0');
		at = xgrow(at, &cap, n + 1, sizeof *at);
		at[n++] = mark;
		t->pos = end;
		if (t->n - t->pos >= 2 && t->s[t->pos] == '.' &&
		    t->s[t->pos + 1] == '*') {
			fail(t, start,
			    "'.*' can only be used with '==' or '!='");
			goto out;
		}
		if (t->pos + 1 < t->n && t->s[t->pos] == '+' &&
		    is_alnum(t->s[t->pos + 1])) {
			fail(t, start,
			    "a local version label can only be used with "
			    "'==' or '!='");
			goto out;
		}
		consume_ws(t);
		if (r_char(t, ',') == NOPE)
			break;
		t->pos++;
		consume_ws(t);
	}
	consume_ws(t);
	if (open != NOPE) {
		if (r_char(t, ')') == NOPE) {
			fail(t, open,
			    "expected matching ')' for '(', after version "
			    "specifier");
			goto out;
		}
		t->pos++;
	}
	/* Sorted bytewise, each once, ','-joined. */
	v = xmalloc((n + 1) * sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = all.data + at[i];
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_clause);
	vc_buf_grow(&b, all.len);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (b.len > 0)
			vc_buf_addc(&b, ',');
		vc_buf_adds(&b, v[i]);
	}
	*out = vc_buf_detach(&b);
	rc = 0;
out:
	free(v);
	free(at);
	vc_buf_release(&all);
	vc_buf_release(&b);
	return rc;
}

/* requirement_marker = ';' marker WS? */
static int
parse_requirement_marker(struct tok *t, size_t span, const char *after,
    char **out)
{
	struct mnode *m;
	char msg[128];

	if (r_char(t, ';') == NOPE) {
		snprintf(msg, sizeof msg,
		    "expected end or semicolon (after %s)", after);
		return fail(t, span, msg);
	}
	t->pos++;
	if ((m = parse_marker(t, 0)) == NULL)
		return -1;
	consume_ws(t);
	*out = marker_text(m);
	return 0;
}

int
vc_pep508_parse(const char *s, struct vc_pep508 *r, struct vc_error *err)
{
	struct tok t = {s, strlen(s), 0, err};
	size_t len, start;

	vc_pep508_release(r);
	consume_ws(&t);
	if ((len = r_identifier(&t)) == NOPE)
		goto fail_name;
	r->name = normalize_n(s + t.pos, len);
	t.pos += len;
	consume_ws(&t);
	if (parse_extras(&t, &r->extras) == -1)
		goto fail;
	consume_ws(&t);
	if (r_char(&t, '@') != NOPE) {
		t.pos++;
		consume_ws(&t);
		start = t.pos;
		if ((len = r_url(&t)) == NOPE) {
			fail(&t, t.pos, "expected URL after @");
			goto fail;
		}
		r->url = xstrndup(s + t.pos, len);
		r->specifier = xstrdup("");
		t.pos += len;
		if (at_end(&t))
			return 0;
		if ((len = r_ws(&t)) == NOPE) {
			fail(&t, t.pos, "expected whitespace after URL");
			goto fail;
		}
		t.pos += len;
		if (at_end(&t))
			return 0;
		if (parse_requirement_marker(&t, start, "URL and whitespace",
		        &r->marker) == -1)
			goto fail;
	} else {
		start = t.pos;
		if (parse_specifier(&t, &r->specifier) == -1)
			goto fail;
		consume_ws(&t);
		if (at_end(&t))
			return 0;
		if (parse_requirement_marker(&t, start,
		        *r->specifier != '\0'
		            ? "version specifier"
		            : "name and no valid version specifier",
		        &r->marker) == -1)
			goto fail;
	}
	if (!at_end(&t)) {
		fail(&t, t.pos, "expected end of dependency specifier");
		goto fail;
	}
	return 0;
fail_name:
	fail(&t, t.pos,
	    "expected package name at the start of dependency specifier");
fail:
	vc_pep508_release(r);
	return -1;
}

/* A trailing '-' is written '_' (see add_name() in req.c). */
static void
add_name(struct vc_buf *b, const char *name)
{
	size_t n = strlen(name);

	if (n > 1 && name[n - 1] == '-') {
		vc_buf_add(b, name, n - 1);
		vc_buf_addc(b, '_');
	} else {
		vc_buf_add(b, name, n);
	}
}

void
vc_pep508_format(const struct vc_pep508 *r, struct vc_buf *b)
{
	size_t i;

	add_name(b, r->name);
	if (r->extras.n > 0) {
		vc_buf_addc(b, '[');
		for (i = 0; i < r->extras.n; i++) {
			if (i > 0)
				vc_buf_addc(b, ',');
			add_name(b, r->extras.v[i]);
		}
		vc_buf_addc(b, ']');
	}
	if (r->url != NULL) {
		vc_buf_adds(b, " @ ");
		vc_buf_adds(b, r->url);
	} else if (r->specifier != NULL) {
		vc_buf_adds(b, r->specifier);
	}
}
