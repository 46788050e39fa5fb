/*
 * tox-expand.c: brace expansion as tox 3 does it (generative section
 * names, _expand_envstr for envlist and condition expressions) and factor
 * conditions (_apply_factors), compiled once per value.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tox-int.h"

/* --- generative section names ---------------------------------------- */

int
tox_word_char(int c)
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
		while (c != NULL && e > a && tox_py_space((unsigned char)e[-1]))
			e--;
		vc_strv_take(out, xstrndup(a, (size_t)(e - a)));
		if (c == NULL)
			return;
		for (a = c + 1; a < z && tox_py_space((unsigned char)*a); a++)
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
		     (tox_word_char((unsigned char)*q) ||
		         tox_py_space((unsigned char)*q) || *q == ',' ||
		         *q == '-');
		     q++)
			;
		if (*q != '}' || q == o + 1)
			continue;
		for (*a = o + 1; *a < q && tox_py_space((unsigned char)**a);
		     (*a)++)
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
 * The brace product: every concatenation of one string of each of
 * parts[0..nparts), the first part varying slowest, appended to `out`.
 * -1, and nothing appended, when that is more than `room` names.
 */
static int
product(const struct vc_strv *parts, size_t nparts, size_t room,
    struct vc_strv *out)
{
	size_t total = 1, j, *idx;

	for (j = 0; j < nparts; j++) {
		if (parts[j].n == 0)
			return 0; /* no names */
		if (total > room / parts[j].n)
			return -1;
		total *= parts[j].n;
	}
	idx = xcalloc(nparts + 1, sizeof *idx);
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
	free(idx);
	return 0;
}

/*
 * ParseIni.expand_section_names: each "{a,b}" (word characters, white
 * space, ',' and '-' inside) is split on commas, and so is the text
 * between, and every combination is a section name. A name that exists
 * already keeps its section; an original with new names goes, once all
 * are expanded.
 */
int
tox_expand_section_names(struct tox *t)
{
	size_t nsecs = t->nsecs, i, j;
	int *gone = xcalloc(nsecs + 1, sizeof *gone);

	for (i = 0; i < nsecs && !t->failed; i++) {
		struct vc_strv *parts = NULL, names;
		size_t nparts = 0, cap = 0;
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
		vc_strv_init(&names);
		if (product(parts, nparts, MAX_EXPAND, &names) == -1) {
			tox_fail(t, t->secs[i].line,
			    "section name [%s] makes more than %d names",
			    t->secs[i].name, MAX_EXPAND);
			goto next;
		}
		for (j = 0; j < names.n; j++) {
			if (tox_find_section(t, names.v[j]) == NULL) {
				struct ini_sec *g =
				    tox_add_section(t, names.v[j],
				        t->secs[i].line, t->secs[i].body);

				g->sort_line = 0;
				gone[i] = 1;
			}
		}
	next:
		for (j = 0; j < nparts; j++)
			vc_strv_release(&parts[j]);
		free(parts);
		vc_strv_release(&names);
	}
	for (i = 0; i < nsecs; i++)
		if (gone[i])
			t->secs[i].removed = 1;
	free(gone);
	return t->failed ? -1 : 0;
}

/* --- brace expansion (_expand_envstr) --------------------------------- */

#ifdef VC_TOX_COUNT_SCANNED
unsigned long long tox_scanned;
#endif

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
		TOX_SCAN();
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
	size_t nparts = 0, cap = 0, i = 0, j;
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
			if (!tox_py_space((unsigned char)s[j]))
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
		nparts++;
		if (r == 0 && i >= n)
			break;
	}
	if (product(parts, nparts, room, out) == -1)
		goto out;
	rc = 0;
out:
	for (j = 0; j < nparts; j++)
		vc_strv_release(&parts[j]);
	free(parts);
	vc_buf_release(&piece);
	return rc;
}

/*
 * _expand_envstr: split on the commas outside {...} groups, strip, expand
 * each. `starts`, when not NULL, gets the offset in `s` of each name's
 * source. -1 past MAX_EXPAND names.
 */
int
tox_expand_envstr(const char *s, size_t n, struct vc_strv *out, size_t **starts,
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

			while (a < z && tox_py_space((unsigned char)s[a]))
				a++;
			while (z > a && tox_py_space((unsigned char)s[z - 1]))
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
void
tox_name_factors(struct ftab *ft, const char *name, unsigned **f, size_t *nf)
{
	size_t cap = 0, i;
	const char *p = name;

	*f = NULL;
	*nf = 0;
	for (;;) {
		size_t len = strcspn(p, "-");
		unsigned id = tox_intern(ft, p, len);

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
	    (tox_word_char((unsigned char)s[i]) || s[i] == '{' || s[i] == '}' ||
	        s[i] == '.' || s[i] == '!' || s[i] == ',' || s[i] == '-'))
		i++;
	if (i == 0 || i >= n || s[i] != ':')
		return 0;
	for (j = i + 1; j < n && tox_py_space((unsigned char)s[j]); j++)
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
	if (tox_expand_envstr(s, n, &envs, NULL, NULL) == -1 ||
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
					p->ids[p->nids++] = tox_intern(ft,
					    q + neg, len - (size_t)neg);
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
int
tox_compile_lines(struct tox *t, struct pool *p, const struct tval *v,
    struct cline **out, size_t *nout)
{
	const char *s = v->b.data;
	size_t n = v->b.len, a = 0, z = n, li = 0, i, cap = 0;

	*out = NULL;
	*nout = 0;
	while (a < z && tox_py_space((unsigned char)s[a])) {
		if (s[a] == '\n')
			li++;
		a++;
	}
	while (z > a && tox_py_space((unsigned char)s[z - 1]))
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
				return tox_fail(t, c->line,
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
void
tox_apply_compiled(const struct pool *p, const struct cline *cl, size_t ncl,
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
struct findex *
tox_build_index(const struct pool *p, const struct cline *cl, size_t ncl,
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

void
tox_findex_free(struct findex *ix)
{
	if (ix == NULL)
		return;
	free(ix->always);
	free(ix->start);
	free(ix->lines);
	free(ix);
}

/* _apply_factors of any text. */
int
tox_apply_factors(struct tox *t, struct tval *v, const unsigned *f, size_t nf)
{
	struct pool p;
	struct cline *cl = NULL;
	struct tval out;
	size_t ncl;
	int rc = -1;

	memset(&p, 0, sizeof p);
	tval_init(&out, v->lines[0]);
	if (tox_compile_lines(t, &p, v, &cl, &ncl) == -1)
		goto out;
	tox_apply_compiled(&p, cl, ncl, NULL, v->b.data, f, nf, &out,
	    v->lines[0], &t->checks);
	if (t->checks > MAX_CHECKS) {
		tox_fail(t, v->lines[0], TOO_MUCH_WORK);
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
