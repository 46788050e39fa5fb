/*
 * req-form.c: the canonical form of a requirement (docs/key.md): URLs,
 * paths, names and extras, quoting; pip's FormatControl.
 */
#include "req-int.h"

/* The version control schemes pip knows (vcs.all_schemes). */
static const char *const vcs_schemes[] = {"git+http", "git+https", "git+ssh",
    "git+git", "git+file", "hg+file", "hg+http", "hg+https", "hg+ssh",
    "hg+static-http", "svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file",
    "bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp",
    "bzr+file"};

int
req_is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* A path as messages show it: relative when it is under the cwd. */
char *
req_display_path(const struct reader *rd, const char *path)
{
	size_t n = strlen(rd->cwd);

	if (n > 1 && strncmp(path, rd->cwd, n) == 0 && path[n] == '/')
		return xstrdup(path + n + 1);
	return xstrdup(path);
}

/* os.path.normpath() of a POSIX path. */
char *
req_normpath(const char *path)
{
	struct vc_strv parts;
	struct vc_buf b;
	const char *p = path, *e;
	int abs = *path == '/';
	size_t i;

	vc_strv_init(&parts);
	vc_buf_init(&b);
	while (*p != '\0') {
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		if (e - p == 0 || (e - p == 1 && *p == '.')) {
			/* nothing */
		} else if (e - p == 2 && p[0] == '.' && p[1] == '.' &&
		    parts.n > 0 && strcmp(parts.v[parts.n - 1], "..") != 0) {
			free(parts.v[--parts.n]);
			parts.v[parts.n] = NULL;
		} else if (!(e - p == 2 && p[0] == '.' && p[1] == '.' && abs)) {
			vc_strv_take(&parts, xstrndup(p, (size_t)(e - p)));
		}
		p = *e == '/' ? e + 1 : e;
	}
	if (abs)
		vc_buf_addc(&b, '/');
	for (i = 0; i < parts.n; i++) {
		if (i > 0)
			vc_buf_addc(&b, '/');
		vc_buf_adds(&b, parts.v[i]);
	}
	if (b.len == 0)
		vc_buf_addc(&b, '.');
	vc_strv_release(&parts);
	return vc_buf_detach(&b);
}

/*
 * A local path as the canonical form writes it: normalised, and relative
 * ones start with "./" or "../", which keeps them paths for pip ("x@y/z"
 * would be "x @ y/z").
 */
char *
req_canonical_path(const char *path)
{
	char *p = req_normpath(path), *q;

	if (*p == '/' || strcmp(p, "..") == 0 || vc_str_startswith(p, "../"))
		return p;
	q = xasprintf("./%s", p);
	free(p);
	return q;
}

/* urllib.parse.urlsplit(s).scheme, lower case; NULL when there is none. */
char *
req_url_scheme(const char *s)
{
	const char *p;
	char *scheme;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return NULL;
	for (p = s; *p != ':'; p++) {
		if (*p == '\0' ||
		    !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' ||
		        *p == '.'))
			return NULL;
	}
	scheme = xstrndup(s, (size_t)(p - s));
	vc_str_lower(scheme);
	return scheme;
}

int
req_is_vcs_scheme(const char *scheme)
{
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(vcs_schemes); i++)
		if (strcmp(scheme, vcs_schemes[i]) == 0)
			return 1;
	return 0;
}

/* pip's req_is_url(): a scheme pip fetches from. */
int
req_is_url(const char *s)
{
	char *scheme = req_url_scheme(s);
	int yes;

	if (scheme == NULL)
		return 0;
	yes = strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	    strcmp(scheme, "file") == 0 || strcmp(scheme, "ftp") == 0 ||
	    req_is_vcs_scheme(scheme);
	free(scheme);
	return yes;
}

int
req_looks_like_path(const char *s)
{
	return strchr(s, '/') != NULL || *s == '.';
}

/* pip's is_archive_file() (with its splitext that keeps ".tar."). */
int
req_is_archive(const char *path)
{
	static const char *const exts[] = {".zip", ".whl", ".tar.bz2", ".tbz",
	    ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma", ".tar.gz",
	    ".tgz", ".tar"};
	const char *base = strrchr(path, '/'), *dot, *p;
	size_t i;

	base = base != NULL ? base + 1 : path;
	for (p = base; *p == '.'; p++)
		;
	dot = strrchr(p, '.');
	if (dot == NULL)
		return 0;
	if (dot - base >= 4 && strncasecmp(dot - 4, ".tar", 4) == 0)
		dot -= 4;
	for (i = 0; i < VC_ARRAY_SIZE(exts); i++)
		if (strcasecmp(dot, exts[i]) == 0)
			return 1;
	return 0;
}

/*
 * pip's _strip_extras(): "path[extras]" -> "path" and "[extras]" (or NULL
 * when the text does not end in a bracketed list).
 */
char *
req_strip_extras(const char *s, char **extras)
{
	size_t n = strlen(s), j;

	*extras = NULL;
	if (n < 4 || s[n - 1] != ']')
		return xstrdup(s);
	for (j = n - 2; j > 0 && s[j] != '[' && s[j] != ']'; j--)
		;
	if (j == 0 || s[j] != '[' || j == n - 2)
		return xstrdup(s);
	*extras = xstrdup(s + j);
	return xstrndup(s, j);
}

/* pip's req_convert_extras(): "[A,b]" read as the extras of a requirement. */
int
req_convert_extras(const char *extras, struct vc_strv *out,
    struct vc_error *err)
{
	struct vc_pep508 r;
	char *s = xasprintf("placeholder%s", extras);
	size_t i;
	int rc;

	vc_str_lower(s);
	vc_pep508_init(&r);
	rc = vc_pep508_parse(s, &r, err);
	if (rc == 0 &&
	    (r.url != NULL || *r.specifier != '\0' || r.marker != NULL))
		rc = vc_error_set(err, VC_EFAIL, "not a list of extras");
	if (rc == 0)
		for (i = 0; i < r.extras.n; i++)
			vc_strv_push(out, r.extras.v[i]);
	vc_strv_sort_uniq(out);
	vc_pep508_release(&r);
	free(s);
	return rc;
}

/* Link.egg_fragment: "[#&]egg=([^&]*)"; NULL when absent or empty. */
char *
req_egg_fragment(const char *url)
{
	const char *p;
	size_t n;

	for (p = url; (p = strstr(p, "egg=")) != NULL; p++) {
		if (p > url && (p[-1] == '#' || p[-1] == '&')) {
			n = strcspn(p + 4, "&");
			return n > 0 ? xstrndup(p + 4, n) : NULL;
		}
	}
	return NULL;
}

/* Link.filename: the last component of a URL's path, %-decoded. */
char *
req_url_filename(const char *url)
{
	const char *p = strchr(url, ':'), *start;
	struct vc_buf b;
	size_t n, i;

	p = p != NULL ? p + 1 : url;
	if (p[0] == '/' && p[1] == '/')
		p += 2 + strcspn(p + 2, "/?#");
	n = strcspn(p, "?#");
	while (n > 0 && p[n - 1] == '/')
		n--;
	for (start = p + n; start > p && start[-1] != '/'; start--)
		;
	vc_buf_init(&b);
	for (i = 0; start + i < p + n; i++) {
		if (start[i] == '%' && req_is_hex(start[i + 1]) &&
		    req_is_hex(start[i + 2]) && start + i + 2 < p + n) {
			char hex[3] = {start[i + 1], start[i + 2], '\0'};

			vc_buf_addc(&b, (int)strtol(hex, NULL, 16));
			i += 2;
		} else {
			vc_buf_addc(&b, start[i]);
		}
	}
	if (b.data == NULL)
		vc_buf_adds(&b, "");
	return vc_buf_detach(&b);
}

/*
 * A wheel file name: name-version(-build)?-python-abi-platform.whl. Sets
 * the normalised name; fails when it is not one.
 */
int
req_wheel_name(const char *filename, char **name)
{
	size_t n = strlen(filename), i, dashes = 0;
	const char *dash;
	char *raw;

	if (n < 4 || strcmp(filename + n - 4, ".whl") != 0)
		return -1;
	for (i = 0; i < n - 4; i++) {
		if (filename[i] == '-')
			dashes++;
		if (vc_py_space(filename + i) != 0)
			return -1;
	}
	if (dashes != 4 && dashes != 5)
		return -1;
	dash = strchr(filename, '-');
	if (dash == filename || strstr(filename, "--") != NULL ||
	    filename[n - 5] == '-')
		return -1;
	if (dashes == 5 &&
	    !(strchr(dash + 1, '-')[1] >= '0' &&
	        strchr(dash + 1, '-')[1] <= '9'))
		return -1;
	raw = xstrndup(filename, (size_t)(dash - filename));
	*name = vc_name_normalize(raw);
	free(raw);
	return 0;
}

/* White space as Python sees it: it splits words, or ends a line. */
static int
has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (vc_py_space(s) != 0)
			return 1;
	return 0;
}

/*
 * A word as a requirements line gives it to shlex.split() (POSIX, no
 * comments): as it is when that is safe (no white space, quote, backslash,
 * "${" or leading '#'), else in single quotes, closed
 * and reopened before a '#' that follows white space (a comment for pip,
 * quotes or not) and inside a "${" (a variable for pip).
 */
void
req_add_quoted(struct vc_buf *b, const char *s)
{
	const char *p;
	int prev_space = 0;
	size_t k;

	if (*s != '\0' && *s != '#' && s[strcspn(s, "'\"\\")] == '\0' &&
	    strstr(s, "${") == NULL && !has_space(s)) {
		vc_buf_adds(b, s);
		return;
	}
	vc_buf_addc(b, '\'');
	for (p = s; *p != '\0'; p += k != 0 ? k : 1) {
		k = vc_py_space(p);
		if (*p == '\'')
			vc_buf_adds(b, "'\"'\"'");
		else if (*p == '#' && prev_space)
			vc_buf_adds(b, "''#");
		else if (*p == '$' && p[1] == '{')
			vc_buf_adds(b, "$''");
		else
			vc_buf_add(b, p, k != 0 ? k : 1);
		prev_space = k != 0;
	}
	vc_buf_addc(b, '\'');
}

/*
 * A normalised name or extra as a line writes it: PEP 503's "foo-" (from
 * "foo_") is no identifier, so a trailing '-' is written '_', which
 * normalises back to it.
 */
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

/*
 * The line of a requirement: canonical (`redact`: credentials in URLs as
 * ***) or for pip (as given).
 */
char *
req_format_req(const struct vc_req *r, int redact)
{
	struct vc_buf b;
	char *url = NULL;
	size_t i;

	vc_buf_init(&b);
	vc_buf_grow(&b, 200);
	url = r->url == NULL                   ? xstrdup("")
	    : redact && r->kind != VC_REQ_PATH ? vc_url_redact(r->url)
	                                       : xstrdup(r->url);
	if (r->kind == VC_REQ_EDITABLE) {
		/* The value of an option: shlex reads it. */
		struct vc_buf t;

		vc_buf_init(&t);
		vc_buf_adds(&t, url);
		if (r->extras.n > 0) {
			vc_buf_addc(&t, '[');
			for (i = 0; i < r->extras.n; i++) {
				if (i > 0)
					vc_buf_addc(&t, ',');
				add_name(&t, r->extras.v[i]);
			}
			vc_buf_addc(&t, ']');
		}
		vc_buf_adds(&b, "-e ");
		req_add_quoted(&b, t.data);
		vc_buf_release(&t);
	} else if (r->kind == VC_REQ_NAMED ||
	    (r->kind == VC_REQ_URL && !r->bare)) {
		add_name(&b, r->name);
	} else {
		vc_buf_adds(&b, url);
	}
	if (r->extras.n > 0 && r->kind != VC_REQ_EDITABLE &&
	    !(r->kind == VC_REQ_URL && r->bare)) {
		vc_buf_addc(&b, '[');
		for (i = 0; i < r->extras.n; i++) {
			if (i > 0)
				vc_buf_addc(&b, ',');
			add_name(&b, r->extras.v[i]);
		}
		vc_buf_addc(&b, ']');
	}
	if (r->kind == VC_REQ_NAMED) {
		size_t before = b.len;

		vc_buf_adds(&b, r->specifier);
		/*
		 * "foo<6,===5.tar.gz" would be an archive's path for pip;
		 * in parentheses it is not (and === stops at ')').
		 */
		if (req_is_archive(b.data)) {
			b.len = before;
			vc_buf_addc(&b, '(');
			vc_buf_adds(&b, r->specifier);
			vc_buf_addc(&b, ')');
		}
	} else if (r->kind == VC_REQ_URL && !r->bare) {
		/* " -x" would start the options, " #x" a comment. */
		vc_buf_adds(&b, *url == '-' || *url == '#' ? " @" : " @ ");
		vc_buf_adds(&b, url);
	}
	if (r->marker != NULL) {
		/*
		 * pip cuts a URL line at its first "; ", others at the first
		 * ';': a bare URL (which may end in ';') takes "; " right
		 * after it, so that the first "; " is this one.
		 */
		vc_buf_adds(&b,
		    r->kind == VC_REQ_NAMED ||
		            (r->kind == VC_REQ_URL && r->bare)
		        ? "; "
		        : " ; ");
		vc_buf_adds(&b, r->marker);
	}
	for (i = 0; i < r->hashes.n; i++) {
		vc_buf_adds(&b, " --hash=");
		vc_buf_adds(&b, r->hashes.v[i]);
	}
	for (i = 0; i < r->options.n; i++) {
		const char *eq = strchr(r->options.v[i], '=');

		vc_buf_addc(&b, ' ');
		vc_buf_add(&b, r->options.v[i],
		    (size_t)(eq - r->options.v[i]) + 1);
		req_add_quoted(&b, eq + 1);
	}
	/* A line ending in '\' would continue on the next one. */
	if (b.len > 0 && b.data[b.len - 1] == '\\')
		vc_buf_addc(&b, ' ');
	free(url);
	return vc_buf_detach(&b);
}
