/*
 * req.c: pip requirement files, read as pip 24 reads them
 * (pip/_internal/req/req_file.py and req/constructors.py): the files and
 * their text, here; one line, req-line.c; the canonical form (docs/key.md),
 * req-form.c. What they share is in req-int.h.
 *
 * A file is decoded (UTF-8, a BOM, or a "coding:" line), split as Python's
 * str.splitlines() splits, joined at '\' continuations, stripped of
 * comments, ${VAR}-expanded, and then each line is cut where its first
 * word starting with '-' begins: what is before is a requirement, what is
 * after is split as shlex.split() splits and parsed as optparse parses
 * pip's options, abbreviations included.
 */
#include "req-int.h"

void
vc_reqset_init(struct vc_reqset *set)
{
	memset(set, 0, sizeof *set);
	vc_strv_init(&set->options);
	vc_strv_init(&set->index_options);
	vc_strv_init(&set->files);
	vc_strv_init(&set->notes);
	vc_strv_init(&set->ignored);
	vc_strv_init(&set->no_binary);
	vc_strv_init(&set->only_binary);
}

void
req_release(struct vc_req *r)
{
	free(r->name);
	vc_strv_release(&r->extras);
	free(r->specifier);
	free(r->url);
	free(r->marker);
	vc_strv_release(&r->hashes);
	vc_strv_release(&r->options);
	free(r->file);
	free(r->canonical);
}

void
vc_reqset_release(struct vc_reqset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		req_release(&set->reqs[i]);
	free(set->reqs);
	vc_strv_release(&set->options);
	vc_strv_release(&set->index_options);
	vc_strv_release(&set->files);
	free(set->project);
	vc_strv_release(&set->notes);
	vc_strv_release(&set->ignored);
	vc_strv_release(&set->no_binary);
	vc_strv_release(&set->only_binary);
	vc_reqset_init(set);
}

/* Python's str.splitlines(): the end of the line at `i`, and the next. */
static size_t
next_line(const char *s, size_t n, size_t i, size_t *end)
{
	/* Bytes that may end a line, or start a character that may. */
	static const unsigned char stop[256] = {['\n'] = 1,
	    ['\v'] = 1,
	    ['\f'] = 1,
	    ['\r'] = 1,
	    [0x1c] = 1,
	    [0x1d] = 1,
	    [0x1e] = 1,
	    [0xc2] = 1,
	    [0xe2] = 1};
	const unsigned char *u = (const unsigned char *)s;
	size_t j;

	for (j = i; j < n; j++) {
		while (j < n && !stop[u[j]])
			j++;
		if (j == n)
			break;
		if (u[j] == '\n' || u[j] == '\v' || u[j] == '\f' ||
		    (u[j] >= 0x1c && u[j] <= 0x1e)) {
			*end = j;
			return j + 1;
		}
		if (u[j] == '\r') {
			*end = j;
			return j + 1 < n && u[j + 1] == '\n' ? j + 2 : j + 1;
		}
		if (u[j] == 0xc2 && j + 1 < n && u[j + 1] == 0x85) {
			*end = j;
			return j + 2;
		}
		if (u[j] == 0xe2 && j + 2 < n && u[j + 1] == 0x80 &&
		    (u[j + 2] == 0xa8 || u[j + 2] == 0xa9)) {
			*end = j;
			return j + 3;
		}
	}
	*end = n;
	return n;
}

/* COMMENT_RE.match(): the line is a comment (white space, then '#'). */
static int
is_comment_line(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && (k = vc_py_space(s + i)) != 0 && i + k <= n)
		i += k;
	return i < n && s[i] == '#';
}

/* COMMENT_RE.sub("", line), then strip(). */
static char *
strip_comment(const char *s, size_t n)
{
	size_t i = 0, k;
	int prev_space = 1;

	if (memchr(s, '#', n) == NULL)
		return vc_py_strip(s, n);
	while (i < n) {
		if (s[i] == '#' && prev_space)
			break;
		k = vc_py_space(s + i);
		prev_space = k != 0 && i + k <= n;
		i += prev_space ? k : 1;
	}
	return vc_py_strip(s, i);
}

static int
process_line(struct reader *rd, const char *text, size_t n, const char *name,
    unsigned line, const char *basedir, int constraint)
{
	struct where w = {name, line};
	char *s, *e;
	int rc;

	s = strip_comment(text, n);
	if (*s == '\0') {
		free(s);
		return 0;
	}
	if (strstr(s, "${") != NULL) {
		e = vc_expand_env(s);
		free(s);
	} else {
		e = s;
	}
	rc = req_handle_line(rd, e, &w, basedir, constraint);
	free(e);
	return rc;
}

/* Checks that `s` is UTF-8 as Python's strict decoder wants it. */
static size_t
utf8_invalid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, m, k;
	uint32_t c, min;

	while (i < n) {
		while (i < n && u[i] - 1u < 0x7fu)
			i++;
		if (i == n)
			break;
		c = u[i];
		if (c == 0)
			return i;
		if (c >= 0xc2 && c <= 0xdf)
			m = 1, min = 0x80, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			m = 2, min = 0x800, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			m = 3, min = 0x10000, c &= 0x07;
		else
			return i;
		if (i + m >= n)
			return i;
		for (k = 1; k <= m; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return i;
			c = (c << 6) | (u[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return i;
		i += m + 1;
	}
	return (size_t)-1;
}

static void
add_utf8(struct vc_buf *b, uint32_t c)
{
	if (c < 0x80) {
		vc_buf_addc(b, (int)c);
	} else if (c < 0x800) {
		vc_buf_addc(b, (int)(0xc0 | (c >> 6)));
		vc_buf_addc(b, (int)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		vc_buf_addc(b, (int)(0xe0 | (c >> 12)));
		vc_buf_addc(b, (int)(0x80 | ((c >> 6) & 0x3f)));
		vc_buf_addc(b, (int)(0x80 | (c & 0x3f)));
	} else {
		vc_buf_addc(b, (int)(0xf0 | (c >> 18)));
		vc_buf_addc(b, (int)(0x80 | ((c >> 12) & 0x3f)));
		vc_buf_addc(b, (int)(0x80 | ((c >> 6) & 0x3f)));
		vc_buf_addc(b, (int)(0x80 | (c & 0x3f)));
	}
}

/* The encoding a "# coding: x" in the first two lines names, or NULL. */
static char *
coding_line(const char *s, size_t n)
{
	size_t i, end, line;
	const char *p;

	for (i = 0, line = 0; line < 2 && i < n; line++) {
		p = memchr(s + i, '\n', n - i);
		end = p != NULL ? (size_t)(p - s) : n;
		if (s[i] == '#') {
			char *l = xstrndup(s + i, end - i), *c;

			if ((c = strstr(l, "coding")) != NULL &&
			    (c[6] == ':' || c[6] == '=')) {
				size_t a, b;

				for (a = 7; c[a] == ' ' || c[a] == '\t'; a++)
					;
				for (b = a; c[b] == '-' || c[b] == '_' ||
				     c[b] == '.' ||
				     (c[b] >= '0' && c[b] <= '9') ||
				     (c[b] >= 'a' && c[b] <= 'z') ||
				     (c[b] >= 'A' && c[b] <= 'Z');
				     b++)
					;
				if (b > a) {
					char *enc = xstrndup(c + a, b - a);

					free(l);
					return enc;
				}
			}
			free(l);
		}
		i = end + 1;
	}
	return NULL;
}

/*
 * pip's auto_decode(): a BOM, else a coding line, else UTF-8. The text
 * becomes UTF-8 in `out`; errors name the line.
 */
static int
decode(const char *name, const char *s, size_t n, struct vc_buf *out,
    struct vc_error *err)
{
	const unsigned char *u = (const unsigned char *)s;
	char *enc = NULL;
	size_t i, bad;
	unsigned line;
	int rc = -1;

	vc_buf_reset(out);
	if (n >= 4 &&
	    ((u[0] == 0xff && u[1] == 0xfe && !u[2] && !u[3]) ||
	        (!u[0] && !u[1] && u[2] == 0xfe && u[3] == 0xff)))
		return vc_error_at(err, name, 0,
		    "UTF-32 is not supported: use UTF-8");
	if (n >= 2 &&
	    ((u[0] == 0xff && u[1] == 0xfe) ||
	        (u[0] == 0xfe && u[1] == 0xff))) {
		int le = u[0] == 0xff;

		for (i = 2; i + 1 < n; i += 2) {
			uint32_t c = le ? u[i] | (u[i + 1] << 8)
			                : (u[i] << 8) | u[i + 1];

			if (c >= 0xd800 && c <= 0xdbff && i + 3 < n) {
				uint32_t d = le ? u[i + 2] | (u[i + 3] << 8)
				                : (u[i + 2] << 8) | u[i + 3];

				if (d >= 0xdc00 && d <= 0xdfff) {
					c = 0x10000 + ((c - 0xd800) << 10) +
					    (d - 0xdc00);
					i += 2;
				}
			}
			if (c == 0 || (c >= 0xd800 && c <= 0xdfff))
				return vc_error_at(err, name, 0,
				    "not valid UTF-16");
			add_utf8(out, c);
		}
		if (i != n)
			return vc_error_at(err, name, 0, "not valid UTF-16");
		return 0;
	}
	if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		s += 3;
		n -= 3;
	} else if ((enc = coding_line(s, n)) != NULL) {
		char *e = vc_name_normalize(enc);

		if (strcmp(e, "latin-1") == 0 || strcmp(e, "latin1") == 0 ||
		    strcmp(e, "iso-8859-1") == 0 ||
		    strcmp(e, "iso8859-1") == 0 || strcmp(e, "l1") == 0) {
			for (i = 0; i < n; i++) {
				if (u[i] == 0) {
					free(e);
					goto bad;
				}
				add_utf8(out, u[i]);
			}
			free(e);
			rc = 0;
			goto out;
		}
		if (strcmp(e, "utf-8") != 0 && strcmp(e, "utf8") != 0 &&
		    strcmp(e, "ascii") != 0 && strcmp(e, "us-ascii") != 0) {
			vc_error_at(err, name, 0,
			    "encoding '%s' is not supported: use UTF-8", enc);
			free(e);
			goto out;
		}
		free(e);
	}
	if ((bad = utf8_invalid(s, n)) != (size_t)-1) {
		for (i = 0, line = 1; i < bad; i++)
			line += s[i] == '\n';
		vc_error_at(err, name, line, "%s",
		    s[bad] == '\0' ? "contains a NUL byte" : "not valid UTF-8");
		goto out;
	}
	vc_buf_add(out, s, n);
	rc = 0;
	goto out;
bad:
	vc_error_at(err, name, 0, "contains a NUL byte");
out:
	free(enc);
	return rc;
}

/* preprocess() and every line: join_lines, comments, ${VAR}, parse. */
static int
read_text(struct reader *rd, const char *text, size_t n, const char *name,
    const unsigned *lines, const char *basedir, int constraint)
{
	struct vc_buf joined;
	size_t i = 0, end, next, nl = 0;
	unsigned phys = 0, lineno, primary = 0;
	int joining = 0, rc = -1;

	vc_buf_init(&joined);
	while (i < n) {
		next = next_line(text, n, i, &end);
		phys++;
		lineno = lines != NULL ? lines[nl] : phys;
		if (lines != NULL)
			for (size_t j = i; j < next; j++)
				nl += text[j] == '\n';
		{
			const char *s = text + i;
			size_t len = end - i;
			int comment = is_comment_line(s, len);

			if (len == 0 || s[len - 1] != '\\' || comment) {
				if (joining) {
					if (comment)
						vc_buf_addc(&joined, ' ');
					vc_buf_add(&joined, s, len);
					if (process_line(rd, joined.data,
					        joined.len, name, primary,
					        basedir, constraint) == -1)
						goto out;
					vc_buf_reset(&joined);
					joining = 0;
				} else if (process_line(rd, s, len, name,
				               lineno, basedir,
				               constraint) == -1) {
					goto out;
				}
			} else {
				/* line.strip("\\") */
				size_t a = 0, b = len;

				while (a < b && s[a] == '\\')
					a++;
				while (b > a && s[b - 1] == '\\')
					b--;
				if (!joining) {
					primary = lineno;
					joining = 1;
				}
				vc_buf_add(&joined, s + a, b - a);
			}
		}
		i = next;
	}
	if (joining &&
	    process_line(rd, joined.data, joined.len, name, primary, basedir,
	        constraint) == -1)
		goto out;
	rc = 0;
out:
	vc_buf_release(&joined);
	return rc;
}

int
req_read_file(struct reader *rd, const char *path, int constraint,
    const struct where *from)
{
	struct frame fr;
	const struct frame *f;
	struct vc_buf raw, text, chain;
	struct stat st;
	char *name, *dir = NULL, real[4096];
	int rc = -1;

	vc_buf_init(&raw);
	vc_buf_init(&text);
	vc_buf_init(&chain);
	name = from != NULL ? req_display_path(rd, path) : xstrdup(path);
	/* Only an include (from != NULL) can close a cycle or go deep. */
	if (from != NULL && stat(path, &st) == 0) {
		for (f = rd->top; f != NULL; f = f->up) {
			if (f->dev != st.st_dev || f->ino != st.st_ino)
				continue;
			/* The chain, outermost first. */
			vc_buf_adds(&chain, name);
			for (f = rd->top; f != NULL; f = f->up) {
				char *c =
				    xasprintf("%s -> %s", f->name, chain.data);

				vc_buf_reset(&chain);
				vc_buf_adds(&chain, c);
				free(c);
			}
			vc_error_at(rd->err, from->file, from->line,
			    "include cycle: %s", chain.data);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			goto sys;
		}
	}
	if (from != NULL && rd->depth >= MAX_DEPTH) {
		vc_error_at(rd->err, from->file, from->line,
		    "'%s' is included more than %d levels deep", name,
		    MAX_DEPTH);
		goto out;
	}
	if (rd->set->files.n >= MAX_FILES) {
		vc_error_at(rd->err, from != NULL ? from->file : name,
		    from != NULL ? from->line : 0,
		    "more than %d files are included", MAX_FILES);
		goto out;
	}
	if (vc_read_file(path, MAX_FILE_SIZE, &raw, rd->err) == -1)
		goto fail;
	if (stat(path, &st) == -1)
		goto sys;
	vc_strv_push(&rd->set->files,
	    realpath(path, real) != NULL ? real : path);
	if (decode(name, raw.data, raw.len, &text, rd->err) == -1)
		goto out;
	fr.name = name;
	fr.dev = st.st_dev;
	fr.ino = st.st_ino;
	fr.up = rd->top;
	rd->top = &fr;
	rd->depth++;
	dir = vc_path_dirname(path);
	rc = read_text(rd, text.data != NULL ? text.data : "", text.len, name,
	    NULL, dir, constraint);
	rd->depth--;
	rd->top = fr.up;
	goto out;
sys:
	vc_error_sys(rd->err, "cannot read '%s'", name);
fail:
	if (from != NULL)
		vc_error_at(rd->err, from->file, from->line, "%s",
		    rd->err->msg);
out:
	free(name);
	free(dir);
	vc_buf_release(&raw);
	vc_buf_release(&text);
	vc_buf_release(&chain);
	return rc;
}

static void
reader_init(struct reader *rd, struct vc_reqset *set, struct vc_error *err)
{
	memset(rd, 0, sizeof *rd);
	rd->set = set;
	rd->err = err;
	if (getcwd(rd->cwd, sizeof rd->cwd) == NULL)
		rd->cwd[0] = '\0';
}

static void
reader_release(struct reader *rd)
{
	size_t i;

	for (i = 0; i < MARKER_MEMO; i++) {
		free(rd->memo[i].text);
		free(rd->memo[i].canonical);
	}
}

int
vc_reqset_add_file(struct vc_reqset *set, const char *path, int constraint,
    struct vc_error *err)
{
	struct reader rd;
	int rc;

	reader_init(&rd, set, err);
	rc = req_read_file(&rd, path, constraint, NULL);
	reader_release(&rd);
	req_update_format_options(set);
	return rc;
}

int
vc_reqset_add_text(struct vc_reqset *set, const char *text, const char *name,
    const unsigned *lines, const char *basedir, int constraint,
    struct vc_error *err)
{
	struct reader rd;
	size_t n = strlen(text), bad, i;
	unsigned line;
	int rc = -1;

	reader_init(&rd, set, err);
	if ((bad = utf8_invalid(text, n)) != (size_t)-1) {
		for (i = 0, line = 1; i < bad; i++)
			line += text[i] == '\n';
		if (lines != NULL)
			line = lines[line - 1];
		vc_error_at(err, name, line, "not valid UTF-8");
		goto out;
	}
	rc = read_text(&rd, text, n, name, lines, basedir, constraint);
out:
	reader_release(&rd);
	req_update_format_options(set);
	return rc;
}

void
vc_reqset_canonical(const struct vc_reqset *set, struct vc_strv *out)
{
	struct vc_strv reqs, cons;
	size_t i;

	vc_strv_init(&reqs);
	vc_strv_init(&cons);
	for (i = 0; i < set->n; i++) {
		if (set->reqs[i].constraint)
			vc_strv_pushf(&cons, "-c %s", set->reqs[i].canonical);
		else
			vc_strv_push(&reqs, set->reqs[i].canonical);
	}
	vc_strv_sort_uniq(&reqs);
	vc_strv_sort_uniq(&cons);
	for (i = 0; i < reqs.n; i++)
		vc_strv_push(out, reqs.v[i]);
	for (i = 0; i < cons.n; i++)
		vc_strv_push(out, cons.v[i]);
	for (i = 0; i < set->options.n; i++)
		vc_strv_push(out, set->options.v[i]);
	vc_strv_release(&reqs);
	vc_strv_release(&cons);
}

int
vc_reqset_pinned(const struct vc_reqset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct vc_req *r = &set->reqs[i];

		if (r->constraint)
			continue;
		if (r->kind == VC_REQ_URL && r->hashes.n > 0)
			continue;
		if (r->kind == VC_REQ_NAMED &&
		    (vc_str_startswith(r->specifier, "==") ||
		        vc_str_startswith(r->specifier, "===")) &&
		    strchr(r->specifier, ',') == NULL &&
		    strchr(r->specifier, '*') == NULL)
			continue;
		return 0;
	}
	return 1;
}

static char *
pip_lines(const struct vc_reqset *set, int constraints)
{
	struct vc_strv lines;
	struct vc_buf b;
	size_t i;

	vc_strv_init(&lines);
	vc_buf_init(&b);
	for (i = 0; i < set->n; i++)
		if (set->reqs[i].constraint == constraints)
			vc_strv_take(&lines, req_format_req(&set->reqs[i], 0));
	vc_strv_sort_uniq(&lines);
	if (!constraints) {
		for (i = 0; i < set->index_options.n; i++) {
			/* "--name=value", the value quoted for shlex. */
			const char *o = set->index_options.v[i];
			const char *sp = strchr(o, ' ');

			if (sp == NULL) {
				vc_buf_addf(&b, "%s\n", o);
				continue;
			}
			vc_buf_add(&b, o, (size_t)(sp - o));
			vc_buf_addc(&b, '=');
			req_add_quoted(&b, sp + 1);
			vc_buf_addc(&b, '\n');
		}
		for (i = 0; i < set->options.n; i++)
			vc_buf_addf(&b, "%s\n", set->options.v[i]);
	}
	for (i = 0; i < lines.n; i++)
		vc_buf_addf(&b, "%s\n", lines.v[i]);
	vc_strv_release(&lines);
	return vc_buf_detach(&b);
}

char *
vc_reqset_pip_text(const struct vc_reqset *set)
{
	return pip_lines(set, 0);
}

char *
vc_reqset_pip_constraints(const struct vc_reqset *set)
{
	return pip_lines(set, 1);
}
