/*
 * req.c: pip requirement files, read as pip 24 reads them
 * (pip/_internal/req/req_file.py and req/constructors.py), and their
 * canonical form (docs/key.md).
 *
 * A file is decoded (UTF-8, a BOM, or a "coding:" line), split as Python's
 * str.splitlines() splits, joined at '\' continuations, stripped of
 * comments, ${VAR}-expanded, and then each line is cut where its first
 * word starting with '-' begins: what is before is a requirement, what is
 * after is split as shlex.split() splits and parsed as optparse parses
 * pip's options, abbreviations included.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "pep508.h"
#include "venvcache/mirror.h"
#include "venvcache/req.h"

#define MAX_DEPTH 64              /* nested -r/-c */
#define MAX_FILES 10000           /* files read into one set */
#define MAX_FILE_SIZE (64u << 20) /* bytes of one file */

/* pip's options in requirement files, and the per-requirement ones. */
enum ropt_id {
	R_INDEX_URL,
	R_EXTRA_INDEX_URL,
	R_NO_INDEX,
	R_CONSTRAINT,
	R_REQUIREMENT,
	R_EDITABLE,
	R_FIND_LINKS,
	R_NO_BINARY,
	R_ONLY_BINARY,
	R_PREFER_BINARY,
	R_REQUIRE_HASHES,
	R_PRE,
	R_TRUSTED_HOST,
	R_USE_FEATURE,
	R_GLOBAL_OPTION,
	R_HASH,
	R_CONFIG_SETTINGS,
	R_INSTALL_OPTION,
};

static const struct ropt {
	const char *name; /* long name without "--" */
	char short_name;
	int takes_value;
	enum ropt_id id;
	int abbrev; /* found by a unique prefix, as optparse does */
} ropts[] = {
    {"index-url", 'i', 1, R_INDEX_URL, 1},
    {"pypi-url", 0, 1, R_INDEX_URL, 1},
    {"extra-index-url", 0, 1, R_EXTRA_INDEX_URL, 1},
    {"no-index", 0, 0, R_NO_INDEX, 1},
    {"constraint", 'c', 1, R_CONSTRAINT, 1},
    {"requirement", 'r', 1, R_REQUIREMENT, 1},
    {"editable", 'e', 1, R_EDITABLE, 1},
    {"find-links", 'f', 1, R_FIND_LINKS, 1},
    {"no-binary", 0, 1, R_NO_BINARY, 1},
    {"only-binary", 0, 1, R_ONLY_BINARY, 1},
    {"prefer-binary", 0, 0, R_PREFER_BINARY, 1},
    {"require-hashes", 0, 0, R_REQUIRE_HASHES, 1},
    {"pre", 0, 0, R_PRE, 1},
    {"trusted-host", 0, 1, R_TRUSTED_HOST, 1},
    {"use-feature", 0, 1, R_USE_FEATURE, 1},
    {"global-option", 0, 1, R_GLOBAL_OPTION, 1},
    {"hash", 0, 1, R_HASH, 1},
    {"config-settings", 'C', 1, R_CONFIG_SETTINGS, 1},
    /* pip < 23.1; exact spelling only, so that abbreviations stay
     * those of current pip. */
    {"install-option", 0, 1, R_INSTALL_OPTION, 0},
};

/* The version control schemes pip knows (vcs.all_schemes). */
static const char *const vcs_schemes[] = {"git+http", "git+https", "git+ssh",
    "git+git", "git+file", "hg+file", "hg+http", "hg+https", "hg+ssh",
    "hg+static-http", "svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file",
    "bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp",
    "bzr+file"};

/* One option of a line, as parsed. */
struct lopt {
	const struct ropt *o;
	char *value; /* NULL for flags */
};

struct lineopts {
	struct lopt *v;
	size_t n;
	size_t cap;
	struct vc_strv positional; /* words pip ignores */
};

/* A file open in the include chain, for cycles. */
struct frame {
	const char *name;
	dev_t dev;
	ino_t ino;
	const struct frame *up;
};

#define MARKER_MEMO 128 /* markers remembered (a power of two) */

struct reader {
	struct vc_reqset *set;
	struct vc_error *err;
	const struct frame *top;
	unsigned depth;
	char cwd[4096];
	/* Markers repeat (python_version < "3.8" on many lines): their
	 * canonical forms, by their text as written. */
	struct {
		char *text;
		char *canonical;
	} memo[MARKER_MEMO];
};

/* Where a line came from. */
struct where {
	const char *file;
	unsigned line;
};

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

static void
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

static void
lineopts_release(struct lineopts *lo)
{
	size_t i;

	for (i = 0; i < lo->n; i++)
		free(lo->v[i].value);
	free(lo->v);
	vc_strv_release(&lo->positional);
	memset(lo, 0, sizeof *lo);
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* A path as messages show it: relative when it is under the cwd. */
static char *
display_path(const struct reader *rd, const char *path)
{
	size_t n = strlen(rd->cwd);

	if (n > 1 && strncmp(path, rd->cwd, n) == 0 && path[n] == '/')
		return xstrdup(path + n + 1);
	return xstrdup(path);
}

/* os.path.normpath() of a POSIX path. */
static char *
normpath(const char *path)
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
static char *
canonical_path(const char *path)
{
	char *p = normpath(path), *q;

	if (*p == '/' || strcmp(p, "..") == 0 || vc_str_startswith(p, "../"))
		return p;
	q = xasprintf("./%s", p);
	free(p);
	return q;
}

/* urllib.parse.urlsplit(s).scheme, lower case; NULL when there is none. */
static char *
url_scheme(const char *s)
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

static int
is_vcs_scheme(const char *scheme)
{
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(vcs_schemes); i++)
		if (strcmp(scheme, vcs_schemes[i]) == 0)
			return 1;
	return 0;
}

/* pip's is_url(): a scheme pip fetches from. */
static int
is_url(const char *s)
{
	char *scheme = url_scheme(s);
	int yes;

	if (scheme == NULL)
		return 0;
	yes = strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	    strcmp(scheme, "file") == 0 || strcmp(scheme, "ftp") == 0 ||
	    is_vcs_scheme(scheme);
	free(scheme);
	return yes;
}

static int
looks_like_path(const char *s)
{
	return strchr(s, '/') != NULL || *s == '.';
}

/* pip's is_archive_file() (with its splitext that keeps ".tar."). */
static int
is_archive(const char *path)
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
static char *
strip_extras(const char *s, char **extras)
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

/* pip's convert_extras(): "[A,b]" read as the extras of a requirement. */
static int
convert_extras(const char *extras, struct vc_strv *out, struct vc_error *err)
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
static char *
egg_fragment(const char *url)
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
static char *
url_filename(const char *url)
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
		if (start[i] == '%' && is_hex(start[i + 1]) &&
		    is_hex(start[i + 2]) && start + i + 2 < p + n) {
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
static int
wheel_name(const char *filename, char **name)
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
static void
add_quoted(struct vc_buf *b, const char *s)
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
static char *
format_req(const struct vc_req *r, int redact)
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
		add_quoted(&b, t.data);
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
		if (is_archive(b.data)) {
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
		add_quoted(&b, eq + 1);
	}
	/* A line ending in '\' would continue on the next one. */
	if (b.len > 0 && b.data[b.len - 1] == '\\')
		vc_buf_addc(&b, ' ');
	free(url);
	return vc_buf_detach(&b);
}

/* Python's shlex.split() in POSIX mode. */
static int
shlex_split(const char *s, struct vc_strv *out, const char **why)
{
	struct vc_buf tok;
	int in_tok = 0, quote = 0;
	const char *p;

	vc_buf_init(&tok);
	for (p = s; *p != '\0'; p++) {
		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
			else
				vc_buf_addc(&tok, *p);
		} else if (quote == '"') {
			if (*p == '"') {
				quote = 0;
			} else if (*p == '\\') {
				if (p[1] == '\0')
					goto no_escaped;
				if (p[1] != '"' && p[1] != '\\')
					vc_buf_addc(&tok, '\\');
				vc_buf_addc(&tok, *++p);
			} else {
				vc_buf_addc(&tok, *p);
			}
		} else if (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n') {
			if (in_tok) {
				vc_strv_push(out,
				    tok.data != NULL ? tok.data : "");
				vc_buf_reset(&tok);
				in_tok = 0;
			}
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			in_tok = 1;
		} else if (*p == '\\') {
			if (p[1] == '\0')
				goto no_escaped;
			vc_buf_addc(&tok, *++p);
			in_tok = 1;
		} else {
			/* A run of ordinary characters. */
			size_t n = strcspn(p, " \t\r\n'\"\\");

			vc_buf_add(&tok, p, n);
			p += n - 1;
			in_tok = 1;
		}
	}
	if (quote != 0) {
		*why = "no closing quotation";
		vc_buf_release(&tok);
		return -1;
	}
	if (in_tok)
		vc_strv_push(out, tok.data != NULL ? tok.data : "");
	vc_buf_release(&tok);
	return 0;
no_escaped:
	*why = "no escaped character";
	vc_buf_release(&tok);
	return -1;
}

/* PEP 508's names: [A-Za-z0-9], and [A-Za-z0-9._-] between two of them. */
static int
project_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		int alnum = (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9');

		if (!alnum && ((i == 0 || i == n - 1) || !strchr("._-", s[i])))
			return 0;
	}
	return 1;
}

/* pip's FormatControl.handle_mutual_excludes(). */
static void
format_control(const char *value, struct vc_strv *target, struct vc_strv *other)
{
	struct vc_strv names;
	size_t i, j, all = (size_t)-1;

	vc_strv_init(&names);
	for (const char *p = value;; p++) {
		size_t n = strcspn(p, ",");

		vc_strv_take(&names, xstrndup(p, n));
		p += n;
		if (*p == '\0')
			break;
	}
	for (i = 0; i < names.n; i++)
		if (strcmp(names.v[i], ":all:") == 0)
			all = i;
	if (all != (size_t)-1) {
		int none_after = 0;

		for (i = all + 1; i < names.n; i++)
			if (strcmp(names.v[i], ":none:") == 0)
				none_after = 1;
		vc_strv_release(other);
		vc_strv_release(target);
		vc_strv_push(target, ":all:");
		if (!none_after)
			goto out;
	}
	for (i = all == (size_t)-1 ? 0 : all + 1; i < names.n; i++) {
		char *name;

		if (strcmp(names.v[i], ":none:") == 0) {
			vc_strv_release(target);
			continue;
		}
		/* A name no project can have matches no package: it changes
		 * nothing pip installs, and "-x" would read as an option. */
		if (!project_name(names.v[i]))
			continue;
		name = vc_name_normalize(names.v[i]);
		for (j = 0; j < other->n; j++) {
			if (strcmp(other->v[j], name) == 0) {
				free(other->v[j]);
				memmove(&other->v[j], &other->v[j + 1],
				    (other->n - j) * sizeof *other->v);
				other->n--;
				break;
			}
		}
		vc_strv_take(target, name);
		vc_strv_sort_uniq(target);
	}
out:
	vc_strv_sort_uniq(target);
	vc_strv_release(&names);
}

/*
 * Replaces the format control entry of set->options: one option line that
 * recreates pip's state when read ("--no-binary=a,b", "--only-binary=c",
 * or both on one line, the set holding ":all:" first, since ":all:"
 * empties the other set).
 */
static void
update_format_options(struct vc_reqset *set)
{
	struct vc_strv *lists[2] = {&set->no_binary, &set->only_binary};
	static const char *const names[2] = {"--no-binary=", "--only-binary="};
	struct vc_buf b;
	size_t i, j, k, order[2] = {0, 1};

	for (i = 0, j = 0; i < set->options.n; i++) {
		if (vc_str_startswith(set->options.v[i], names[0]) ||
		    vc_str_startswith(set->options.v[i], names[1]))
			free(set->options.v[i]);
		else
			set->options.v[j++] = set->options.v[i];
	}
	set->options.n = j;
	if (set->options.v != NULL)
		set->options.v[j] = NULL;
	if (vc_strv_contains(lists[1], ":all:")) {
		order[0] = 1;
		order[1] = 0;
	}
	vc_buf_init(&b);
	for (j = 0; j < 2; j++) {
		k = order[j];
		if (lists[k]->n == 0)
			continue;
		if (b.len > 0)
			vc_buf_addc(&b, ' ');
		vc_buf_adds(&b, names[k]);
		/*
		 * With ":all:" in a set, its names change nothing: pip looks
		 * at names of the other set first, and the sets are disjoint.
		 */
		if (vc_strv_contains(lists[k], ":all:")) {
			vc_buf_adds(&b, ":all:");
			continue;
		}
		for (i = 0; i < lists[k]->n; i++) {
			if (i > 0)
				vc_buf_addc(&b, ',');
			vc_buf_adds(&b, lists[k]->v[i]);
		}
	}
	if (b.len > 0)
		vc_strv_push(&set->options, b.data);
	vc_buf_release(&b);
	vc_strv_sort_uniq(&set->options);
}

/* optparse's _match_long_opt(): the exact name, or a unique prefix. */
static const struct ropt *
match_long(const char *name, size_t n, struct vc_error *err,
    const struct where *w)
{
	const struct ropt *found = NULL;
	struct vc_buf cands;
	size_t i, count = 0;

	for (i = 0; i < VC_ARRAY_SIZE(ropts); i++)
		if (strlen(ropts[i].name) == n &&
		    strncmp(ropts[i].name, name, n) == 0)
			return &ropts[i];
	vc_buf_init(&cands);
	for (i = 0; i < VC_ARRAY_SIZE(ropts); i++) {
		if (!ropts[i].abbrev || strncmp(ropts[i].name, name, n) != 0)
			continue;
		vc_buf_addf(&cands, "%s--%s", count > 0 ? ", " : "",
		    ropts[i].name);
		found = &ropts[i];
		count++;
	}
	if (count == 0)
		vc_error_at(err, w->file, w->line, "no such option: --%.*s",
		    (int)n, name);
	else if (count > 1)
		vc_error_at(err, w->file, w->line,
		    "ambiguous option: --%.*s (%s?)", (int)n, name, cands.data);
	vc_buf_release(&cands);
	return count == 1 ? found : NULL;
}

static const struct ropt *
match_short(char c)
{
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(ropts); i++)
		if (ropts[i].short_name == c)
			return &ropts[i];
	return NULL;
}

/* Checks a value as pip's option callbacks do; applies format control. */
static int
check_value(struct reader *rd, const struct ropt *o, const char *optstr,
    const char *value, const struct where *w)
{
	const char *colon;
	size_t len, want;

	switch (o->id) {
	case R_HASH:
		colon = strchr(value, ':');
		if (colon == NULL)
			return vc_error_at(rd->err, w->file, w->line,
			    "arguments to %s must be a hash name followed by "
			    "a value, like --hash=sha256:abcde...",
			    optstr);
		len = (size_t)(colon - value);
		if (len == 6 && strncmp(value, "sha256", 6) == 0)
			want = 64;
		else if (len == 6 && strncmp(value, "sha384", 6) == 0)
			want = 96;
		else if (len == 6 && strncmp(value, "sha512", 6) == 0)
			want = 128;
		else
			return vc_error_at(rd->err, w->file, w->line,
			    "allowed hash algorithms for %s are sha256, "
			    "sha384, sha512",
			    optstr);
		for (len = 0; is_hex(colon[1 + len]); len++)
			;
		if (len != want || colon[1 + len] != '\0')
			return vc_error_at(rd->err, w->file, w->line,
			    "%s: '%s' is not a %.6s digest (%zu hex digits)",
			    optstr, value, value, want);
		return 0;
	case R_CONFIG_SETTINGS:
		if (strchr(value, '=') == NULL)
			return vc_error_at(rd->err, w->file, w->line,
			    "arguments to %s must be of the form KEY=VAL",
			    optstr);
		return 0;
	case R_NO_BINARY:
	case R_ONLY_BINARY:
		if (*value == '-')
			return vc_error_at(rd->err, w->file, w->line,
			    "--no-binary / --only-binary option requires 1 "
			    "argument");
		if (o->id == R_NO_BINARY)
			format_control(value, &rd->set->no_binary,
			    &rd->set->only_binary);
		else
			format_control(value, &rd->set->only_binary,
			    &rd->set->no_binary);
		return 0;
	default:
		return 0;
	}
}

static void
add_opt(struct lineopts *lo, const struct ropt *o, const char *value)
{
	lo->v = xgrow(lo->v, &lo->cap, lo->n + 1, sizeof *lo->v);
	lo->v[lo->n].o = o;
	lo->v[lo->n].value = value != NULL ? xstrdup(value) : NULL;
	lo->n++;
}

/* optparse's parse_args() over the words of the options part. */
static int
parse_options(struct reader *rd, const struct vc_strv *args,
    struct lineopts *lo, const struct where *w)
{
	const struct ropt *o;
	char optstr[64];
	size_t i;

	for (i = 0; i < args->n; i++) {
		const char *a = args->v[i], *value = NULL, *eq;

		if (strcmp(a, "--") == 0) {
			for (i++; i < args->n; i++)
				vc_strv_push(&lo->positional, args->v[i]);
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			eq = strchr(a, '=');
			o = match_long(a + 2,
			    eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2),
			    rd->err, w);
			if (o == NULL)
				return -1;
			optstr[0] = optstr[1] = '-';
			memcpy(optstr + 2, o->name, strlen(o->name) + 1);
			if (!o->takes_value && eq != NULL)
				return vc_error_at(rd->err, w->file, w->line,
				    "%s option does not take a value", optstr);
			if (o->takes_value) {
				if (eq != NULL)
					value = eq + 1;
				else if (i + 1 < args->n)
					value = args->v[++i];
				else
					return vc_error_at(rd->err, w->file,
					    w->line,
					    "%s option requires 1 argument",
					    optstr);
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			/* Every short option of pip's takes a value. */
			o = match_short(a[1]);
			if (o == NULL)
				return vc_error_at(rd->err, w->file, w->line,
				    "no such option: -%c", a[1]);
			optstr[0] = '-';
			optstr[1] = a[1];
			optstr[2] = '\0';
			if (a[2] != '\0')
				value = a + 2;
			else if (i + 1 < args->n)
				value = args->v[++i];
			else
				return vc_error_at(rd->err, w->file, w->line,
				    "%s option requires 1 argument", optstr);
		} else {
			vc_strv_push(&lo->positional, a);
			continue;
		}
		if (value != NULL && check_value(rd, o, optstr, value, w) == -1)
			return -1;
		add_opt(lo, o, value);
	}
	return 0;
}

/* "--name=value" or "--name", credentials in URLs shown as ***. */
static char *
opt_text(const struct lopt *l)
{
	char *v, *s;

	if (l->value == NULL)
		return xasprintf("--%s", l->o->name);
	v = vc_url_redact(l->value);
	s = xasprintf("--%s=%s", l->o->name, v);
	free(v);
	return s;
}

static void
add_ignored(struct reader *rd, const struct where *w, const struct lopt *l,
    const char *why)
{
	char *t = opt_text(l);

	vc_strv_pushf(&rd->set->ignored, "%s:%u: '%s' ignored: %s", w->file,
	    w->line, t, why);
	free(t);
}

static void add_note(struct reader *rd, const struct where *w, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
add_note(struct reader *rd, const struct where *w, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	vc_strv_pushf(&rd->set->notes, "%s:%u: %s", w->file, w->line, msg);
	free(msg);
}

/* Sorts "--config-settings=KEY=VAL" by KEY, keeping the order of a key. */
static void
sort_config_settings(struct vc_strv *v)
{
	size_t i, j;
	char *t;

	for (i = 1; i < v->n; i++) {
		for (j = i; j > 0; j--) {
			const char *a =
			    v->v[j - 1] + strlen("--config-settings=");
			const char *b = v->v[j] + strlen("--config-settings=");
			size_t na = strcspn(a, "="), nb = strcspn(b, "=");
			int c = strncmp(a, b, na < nb ? na : nb);

			if (c < 0 || (c == 0 && na <= nb))
				break;
			t = v->v[j - 1];
			v->v[j - 1] = v->v[j];
			v->v[j] = t;
		}
	}
}

/* The options of a requirement line that pip applies to the requirement. */
static void
take_req_options(struct reader *rd, struct vc_req *r, struct lineopts *lo,
    int editable, const struct where *w)
{
	struct vc_strv config, later;
	char *h;
	size_t i;

	vc_strv_init(&config);
	vc_strv_init(&later);
	for (i = 0; i < lo->n; i++) {
		const struct lopt *l = &lo->v[i];

		switch (l->o->id) {
		case R_HASH:
			if (editable) {
				add_ignored(rd, w, l,
				    "pip takes no --hash for an editable");
				break;
			}
			h = xstrdup(l->value);
			vc_str_lower(h);
			vc_strv_take(&r->hashes, h);
			break;
		case R_CONFIG_SETTINGS:
			vc_strv_pushf(&config, "--config-settings=%s",
			    l->value);
			break;
		case R_GLOBAL_OPTION:
		case R_INSTALL_OPTION:
			if (editable) {
				add_ignored(rd, w, l,
				    "pip takes only --config-settings for an "
				    "editable");
				break;
			}
			vc_strv_pushf(&later, "--%s=%s", l->o->name, l->value);
			break;
		case R_NO_BINARY:
		case R_ONLY_BINARY:
			break; /* applied while parsing, as in pip */
		case R_EDITABLE:
			if (editable && l == &lo->v[0])
				break;
			/* fall through */
		default:
			add_ignored(rd, w, l,
			    editable ? "pip ignores it on an -e line"
			             : "pip ignores it on a requirement line");
			break;
		}
	}
	vc_strv_sort_uniq(&r->hashes);
	sort_config_settings(&config);
	for (i = 0; i < config.n; i++)
		vc_strv_push(&r->options, config.v[i]);
	for (i = 0; i < later.n; i++)
		vc_strv_push(&r->options, later.v[i]);
	vc_strv_release(&config);
	vc_strv_release(&later);
}

/* Sets the project under test, merging extras. */
static void
set_project(struct reader *rd, const struct vc_strv *extras,
    const struct where *w, const char *as_written)
{
	struct vc_strv all;
	struct vc_buf b;
	const char *open;
	size_t i;

	vc_strv_init(&all);
	if (rd->set->project != NULL &&
	    (open = strchr(rd->set->project, '[')) != NULL) {
		const char *p = open + 1;

		while (*p != ']' && *p != '\0') {
			size_t n = strcspn(p, ",]");

			vc_strv_take(&all, xstrndup(p, n));
			p += n + (p[n] == ',');
		}
	}
	for (i = 0; i < extras->n; i++)
		vc_strv_push(&all, extras->v[i]);
	vc_strv_sort_uniq(&all);
	vc_buf_init(&b);
	vc_buf_addc(&b, '.');
	if (all.n > 0) {
		vc_buf_addc(&b, '[');
		for (i = 0; i < all.n; i++) {
			if (i > 0)
				vc_buf_addc(&b, ',');
			vc_buf_adds(&b, all.v[i]);
		}
		vc_buf_addc(&b, ']');
	}
	free(rd->set->project);
	rd->set->project = vc_buf_detach(&b);
	vc_strv_release(&all);
	add_note(rd, w,
	    "'%s' is the project under test: left out of the key, installed "
	    "after create or restore",
	    as_written);
}

/* A VCS URL not pinned to a commit: "@<40 or 64 hex digits>" at its end. */
static int
vcs_pinned(const char *url)
{
	size_t n = strcspn(url, "#"), i;
	const char *at = NULL, *p;

	for (p = url; p < url + n; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return 0;
	for (i = 0; at + 1 + i < url + n && is_hex(at[1 + i]); i++)
		;
	return at + 1 + i == url + n && (i == 40 || i == 64);
}

/* The hint pip adds to a requirement that does not parse. */
static const char *
hint_for(const char *s, char *buf, size_t len)
{
	static const char *const ops[] = {"~=", "==", "!=", "<=", ">=", "<",
	    ">", "==="};
	size_t i;
	struct stat st;

	if (strchr(s, '/') != NULL) {
		if (stat(s, &st) == -1)
			snprintf(buf, len,
			    " (it looks like a path, and '%s' does not exist)",
			    s);
		else if (S_ISREG(st.st_mode))
			snprintf(buf, len,
			    " (it looks like a path: if '%s' is a requirements "
			    "file, include it with -r)",
			    s);
		else
			snprintf(buf, len, " (it looks like a path)");
		return buf;
	}
	if (strchr(s, '=') != NULL) {
		for (i = 0; i < VC_ARRAY_SIZE(ops); i++)
			if (strstr(s, ops[i]) != NULL)
				return "";
		return " ('=' is not a valid operator: did you mean '=='?)";
	}
	return "";
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The name (and, with `take_extras`, the extras) of a requirement from an
 * egg fragment ("name[extras]").
 */
static int
name_from(const char *text, struct vc_req *r, int take_extras,
    struct vc_error *err)
{
	struct vc_pep508 p;
	size_t i;

	vc_pep508_init(&p);
	if (vc_pep508_parse(text, &p, err) == -1)
		return -1;
	free(r->name);
	r->name = xstrdup(p.name);
	for (i = 0; take_extras && i < p.extras.n; i++)
		vc_strv_push(&r->extras, p.extras.v[i]);
	vc_strv_sort_uniq(&r->extras);
	vc_pep508_release(&p);
	return 0;
}

/*
 * The canonical form of marker text, from the memo or computed. The memo
 * is 4-way set-associative: two markers of one slot do not evict each
 * other on every line.
 */
static char *
marker(struct reader *rd, const char *text, struct vc_error *err)
{
	XXH64_hash_t h = XXH3_64bits(text, strlen(text));
	size_t set = ((size_t)h & (MARKER_MEMO - 1)) & ~(size_t)3, i, slot;
	char *c;

	for (i = set; i < set + 4; i++)
		if (rd->memo[i].text != NULL &&
		    strcmp(rd->memo[i].text, text) == 0)
			return xstrdup(rd->memo[i].canonical);
	if ((c = vc_marker_normalize(text, err)) == NULL)
		return NULL;
	for (slot = set; slot < set + 3 && rd->memo[slot].text != NULL; slot++)
		;
	if (rd->memo[slot].text != NULL)
		slot = set + (size_t)(h >> 32) % 4;
	free(rd->memo[slot].text);
	free(rd->memo[slot].canonical);
	rd->memo[slot].text = xstrdup(text);
	rd->memo[slot].canonical = xstrdup(c);
	return c;
}

/*
 * parse_req_from_line(): what the requirement part of a line names.
 * Returns 1 for the project under test, 0 for a requirement, -1.
 */
static int
parse_requirement(struct reader *rd, const char *args, struct vc_req *r,
    const struct where *w)
{
	struct vc_error *err = rd->err;
	const char *sep = is_url(args) ? "; " : ";", *at;
	char *name = NULL, *path = NULL, *extras = NULL, *egg = NULL;
	char *file = NULL, hint[4200];
	struct vc_pep508 p;
	int rc = -1;

	vc_pep508_init(&p);
	at = strstr(args, sep);
	if (at != NULL) {
		char *m = vc_py_strip(at + 1, strlen(at + 1));

		if (*m != '\0' && (r->marker = marker(rd, m, err)) == NULL) {
			vc_error_at(err, w->file, w->line,
			    "invalid marker '%s': %s", m, err->msg);
			free(m);
			goto out;
		}
		free(m);
		name = vc_py_strip(args, (size_t)(at - args));
	} else {
		name = vc_py_strip(args, strlen(args));
	}
	if (is_url(name)) {
		r->kind = VC_REQ_URL;
		r->bare = 1;
		r->url = xstrdup(name);
		file = url_filename(name);
		if (vc_str_endswith(file, ".whl")) {
			if (wheel_name(file, &r->name) == -1) {
				vc_error_at(err, w->file, w->line,
				    "'%s' is not a valid wheel file name",
				    file);
				goto out;
			}
		} else if ((egg = egg_fragment(name)) != NULL &&
		    name_from(egg, r, 0, err) == -1) {
			vc_error_at(err, w->file, w->line,
			    "invalid egg fragment '%s': %s", egg, err->msg);
			goto out;
		}
		rc = 0;
		goto out;
	}
	path = strip_extras(name, &extras);
	if (extras != NULL && convert_extras(extras, &r->extras, err) == -1) {
		vc_error_at(err, w->file, w->line, "invalid extras '%s': %s",
		    extras, err->msg);
		goto out;
	}
	if (looks_like_path(name) && is_dir(path)) {
		char *norm = normpath(path), *f1, *f2;

		if (strcmp(norm, ".") == 0) {
			free(norm);
			set_project(rd, &r->extras, w, name);
			rc = 1;
			goto out;
		}
		free(norm);
		f1 = vc_path_join(path, "setup.py");
		f2 = vc_path_join(path, "pyproject.toml");
		if (!is_file(f1) && !is_file(f2)) {
			vc_error_at(err, w->file, w->line,
			    "directory '%s' is not installable: neither "
			    "'setup.py' nor 'pyproject.toml' found",
			    path);
			free(f1);
			free(f2);
			goto out;
		}
		free(f1);
		free(f2);
		r->kind = VC_REQ_PATH;
		r->url = canonical_path(path);
		rc = 0;
		goto out;
	}
	if (is_archive(path)) {
		const char *atsign = strchr(name, '@');
		char *before = atsign != NULL
		    ? xstrndup(name, (size_t)(atsign - name))
		    : NULL;
		int named = !is_file(path) && before != NULL &&
		    !looks_like_path(before);

		free(before);
		if (!named) {
			const char *base = strrchr(path, '/');

			r->kind = VC_REQ_PATH;
			r->url = canonical_path(path);
			base = base != NULL ? base + 1 : path;
			if (vc_str_endswith(base, ".whl") &&
			    wheel_name(base, &r->name) == -1) {
				vc_error_at(err, w->file, w->line,
				    "'%s' is not a valid wheel file name",
				    base);
				goto out;
			}
			if (!is_file(path))
				add_note(rd, w,
				    "'%s' looks like a file name, but the file "
				    "does not exist",
				    name);
			rc = 0;
			goto out;
		}
	}
	if (vc_pep508_parse(name, &p, err) == -1) {
		vc_error_at(err, w->file, w->line,
		    "invalid requirement '%s': %s%s", name, err->msg,
		    hint_for(name, hint, sizeof hint));
		goto out;
	}
	r->kind = p.url != NULL ? VC_REQ_URL : VC_REQ_NAMED;
	r->name = p.name;
	p.name = NULL;
	for (size_t i = 0; i < p.extras.n; i++)
		vc_strv_push(&r->extras, p.extras.v[i]);
	vc_strv_sort_uniq(&r->extras);
	r->specifier = p.specifier;
	p.specifier = NULL;
	r->url = p.url;
	p.url = NULL;
	rc = 0;
out:
	vc_pep508_release(&p);
	free(name);
	free(path);
	free(extras);
	free(egg);
	free(file);
	return rc;
}

/* parse_editable(): the value of -e. Returns 1 for the project, 0, -1. */
static int
parse_editable(struct reader *rd, const char *value, struct vc_req *r,
    const struct where *w)
{
	static const char *const vcs[] = {"git", "hg", "svn", "bzr"};
	struct vc_error *err = rd->err;
	char *extras = NULL, *path, *url = NULL, *scheme = NULL, *egg = NULL;
	int rc = -1;
	size_t i;

	r->kind = VC_REQ_EDITABLE;
	path = strip_extras(value, &extras);
	if (is_dir(path) || strncasecmp(path, "file:", 5) == 0) {
		char *norm;

		if (extras != NULL &&
		    convert_extras(extras, &r->extras, err) == -1) {
			vc_error_at(err, w->file, w->line,
			    "invalid extras '%s': %s", extras, err->msg);
			goto out;
		}
		if (strncasecmp(path, "file:", 5) == 0) {
			r->url = xstrdup(path);
			if ((egg = egg_fragment(path)) != NULL &&
			    name_from(egg, r, 0, err) == -1) {
				vc_error_at(err, w->file, w->line,
				    "invalid egg fragment '%s': %s", egg,
				    err->msg);
				goto out;
			}
			rc = 0;
			goto out;
		}
		norm = normpath(path);
		if (strcmp(norm, ".") == 0) {
			free(norm);
			set_project(rd, &r->extras, w, value);
			rc = 1;
			goto out;
		}
		free(norm);
		r->url = canonical_path(path);
		rc = 0;
		goto out;
	}
	url = xstrdup(value);
	for (i = 0; i < VC_ARRAY_SIZE(vcs); i++) {
		size_t n = strlen(vcs[i]);

		if (strncasecmp(url, vcs[i], n) == 0 && url[n] == ':') {
			char *u = xasprintf("%s+%s", vcs[i], url);

			free(url);
			url = u;
			break;
		}
	}
	scheme = url_scheme(url);
	if (scheme == NULL || !is_vcs_scheme(scheme)) {
		vc_error_at(err, w->file, w->line,
		    "'%s' is not a valid editable requirement: it should be a "
		    "path to a local project or a VCS URL (git+https://..., "
		    "hg+https://..., svn+https://..., bzr+https://...)",
		    value);
		goto out;
	}
	if ((egg = egg_fragment(url)) == NULL) {
		vc_error_at(err, w->file, w->line,
		    "could not detect the requirement name of '%s': add "
		    "#egg=NAME",
		    value);
		goto out;
	}
	if (name_from(egg, r, 0, err) == -1) {
		vc_error_at(err, w->file, w->line,
		    "invalid egg fragment '%s': %s", egg, err->msg);
		goto out;
	}
	r->url = url;
	url = NULL;
	rc = 0;
out:
	free(extras);
	free(path);
	free(url);
	free(scheme);
	free(egg);
	return rc;
}

/* Adds a requirement line (or an -e line) to the set. */
static int
add_requirement(struct reader *rd, const char *args, const char *editable,
    struct lineopts *lo, int constraint, const struct where *w)
{
	struct vc_req r;
	char *shown;
	int rc;

	memset(&r, 0, sizeof r);
	vc_strv_init(&r.extras);
	vc_strv_init(&r.hashes);
	vc_strv_init(&r.options);
	rc = editable != NULL ? parse_editable(rd, editable, &r, w)
	                      : parse_requirement(rd, args, &r, w);
	if (rc == 1 && constraint) {
		vc_error_at(rd->err, w->file, w->line,
		    "the project under test cannot be a constraint");
		rc = -1;
	}
	if (rc != 0)
		goto out;
	if (constraint &&
	    (r.kind == VC_REQ_EDITABLE || r.name == NULL || r.extras.n > 0)) {
		vc_error_at(rd->err, w->file, w->line, "%s",
		    r.kind == VC_REQ_EDITABLE
		        ? "editable requirements are not allowed as "
		          "constraints"
		        : r.name == NULL
		        ? "unnamed requirements are not allowed as "
		          "constraints"
		        : "constraints cannot have extras");
		rc = -1;
		goto out;
	}
	take_req_options(rd, &r, lo, editable != NULL, w);
	if (r.specifier == NULL)
		r.specifier = xstrdup("");
	r.constraint = constraint;
	r.file = xstrdup(w->file);
	r.line = w->line;
	r.canonical = format_req(&r, 1);
	if (r.kind == VC_REQ_PATH ||
	    (r.kind == VC_REQ_EDITABLE && r.url != NULL &&
	        strchr(r.url, ':') == NULL) ||
	    (r.url != NULL && strncasecmp(r.url, "file:", 5) == 0)) {
		add_note(rd, w,
		    "local path '%s' is keyed by its path, not its "
		    "contents",
		    r.url);
	} else if (r.url != NULL && strchr(r.url, '+') != NULL &&
	    strchr(r.url, '+') < strchr(r.url, ':') && !vcs_pinned(r.url)) {
		shown = vc_url_redact(r.url);
		add_note(rd, w,
		    "'%s' is keyed by its URL, not by the commit it resolves "
		    "to: pin a commit with @<sha>",
		    shown);
		free(shown);
	}
	rd->set->reqs = xgrow(rd->set->reqs, &rd->set->cap, rd->set->n + 1,
	    sizeof *rd->set->reqs);
	rd->set->reqs[rd->set->n++] = r;
	return 0;
out:
	req_release(&r);
	return rc == 1 ? 0 : rc;
}

/* handle_option_line(): a line of options only. */
static void
option_line(struct reader *rd, struct lineopts *lo, const struct where *w,
    const char *basedir)
{
	struct vc_reqset *set = rd->set;
	int find_links = 0;
	size_t i;

	for (i = 0; i < lo->n; i++) {
		const struct lopt *l = &lo->v[i];
		char *s;

		switch (l->o->id) {
		case R_INDEX_URL:
			s = xasprintf("--index-url %s", l->value);
			break;
		case R_EXTRA_INDEX_URL:
			s = xasprintf("--extra-index-url %s", l->value);
			break;
		case R_NO_INDEX:
			s = xstrdup("--no-index");
			break;
		case R_TRUSTED_HOST:
			s = xasprintf("--trusted-host %s", l->value);
			break;
		case R_FIND_LINKS:
			if (find_links++ > 0) {
				add_ignored(rd, w, l,
				    "pip takes only the first --find-links "
				    "of a line");
				continue;
			}
			/* A path relative to the file, when it exists. */
			s = vc_path_join(basedir, l->value);
			if (strchr(l->value, ':') == NULL && *l->value != '/' &&
			    access(s, F_OK) == 0) {
				char *t = xasprintf("--find-links %s", s);

				free(s);
				s = t;
			} else {
				free(s);
				s = xasprintf("--find-links %s", l->value);
			}
			break;
		case R_PRE:
			vc_strv_push(&set->options, "--pre");
			continue;
		case R_PREFER_BINARY:
			vc_strv_push(&set->options, "--prefer-binary");
			continue;
		case R_REQUIRE_HASHES:
			vc_strv_push(&set->options, "--require-hashes");
			continue;
		case R_USE_FEATURE: {
			struct vc_buf q;

			vc_buf_init(&q);
			vc_buf_adds(&q, "--use-feature=");
			add_quoted(&q, l->value);
			vc_strv_take(&set->options, vc_buf_detach(&q));
			continue;
		}
		case R_NO_BINARY:
		case R_ONLY_BINARY:
			continue; /* applied while parsing */
		case R_HASH:
			add_ignored(rd, w, l, "--hash without a requirement");
			continue;
		default:
			add_ignored(rd, w, l,
			    "pip takes it only after a requirement");
			continue;
		}
		if (!vc_strv_contains(&set->index_options, s))
			vc_strv_take(&set->index_options, s);
		else
			free(s);
	}
	vc_strv_sort_uniq(&set->options);
}

static int read_file(struct reader *, const char *path, int constraint,
    const struct where *from);

/* An -r or -c line: reads the file it names. */
static int
include_line(struct reader *rd, struct lineopts *lo, const struct where *w,
    const char *basedir)
{
	const struct lopt *inc = NULL;
	char *path = NULL, *scheme;
	size_t i;
	int rc;

	for (i = 0; i < lo->n; i++)
		if (lo->v[i].o->id == R_REQUIREMENT && inc == NULL)
			inc = &lo->v[i];
	for (i = 0; i < lo->n && inc == NULL; i++)
		if (lo->v[i].o->id == R_CONSTRAINT)
			inc = &lo->v[i];
	if (inc == NULL)
		return 0; /* not an include line */
	for (i = 0; i < lo->n; i++) {
		const struct lopt *l = &lo->v[i];

		if (l == inc || l->o->id == R_NO_BINARY ||
		    l->o->id == R_ONLY_BINARY)
			continue;
		add_ignored(rd, w, l,
		    l->o->id == R_REQUIREMENT || l->o->id == R_CONSTRAINT
		        ? "pip reads only the first -r (else -c) of a line"
		        : "pip ignores options on a line that includes a file");
	}
	scheme = url_scheme(inc->value);
	if (scheme != NULL && strcmp(scheme, "file") == 0) {
		const char *p = inc->value + 5;

		if (strncmp(p, "//", 2) == 0) {
			p += 2;
			if (strncmp(p, "localhost/", 10) == 0)
				p += 9;
		}
		if (*p != '/') {
			free(scheme);
			return vc_error_at(rd->err, w->file, w->line,
			    "cannot read '%s': only file:///absolute/path "
			    "URLs are supported",
			    inc->value);
		}
		path = xstrdup(p);
	} else if (scheme != NULL &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
		char *shown = vc_url_redact(inc->value);

		vc_error_at(rd->err, w->file, w->line,
		    "cannot key requirements fetched from '%s': a key must "
		    "cover their contents; download the file and include it "
		    "by its path",
		    shown);
		free(shown);
		free(scheme);
		return -1;
	} else if (strcmp(basedir, ".") == 0) {
		/* os.path.join(os.path.dirname("a.txt"), x) is x. */
		path = xstrdup(inc->value);
	} else {
		path = vc_path_join(basedir, inc->value);
	}
	free(scheme);
	rc = read_file(rd, path, inc->o->id == R_CONSTRAINT, w);
	free(path);
	return rc;
}

/* break_args_options(): the requirement before the first "-word". */
static void
break_args_options(const char *line, char **args, const char **opts)
{
	const char *p;

	for (p = line; *p != '\0'; p++) {
		if (*p == '-' && (p == line || p[-1] == ' ')) {
			*args = xstrndup(line,
			    p == line ? 0 : (size_t)(p - line) - 1);
			*opts = p;
			return;
		}
	}
	*args = xstrdup(line);
	*opts = p;
}

/* One logical line, after comments and ${VAR}. */
static int
handle_line(struct reader *rd, const char *line, const struct where *w,
    const char *basedir, int constraint)
{
	struct lineopts lo;
	struct vc_strv words;
	const char *opts, *why = NULL;
	const char *editable = NULL;
	char *args;
	size_t i;
	int rc = -1, includes = 0;

	memset(&lo, 0, sizeof lo);
	vc_strv_init(&lo.positional);
	vc_strv_init(&words);
	break_args_options(line, &args, &opts);
	if (shlex_split(opts, &words, &why) == -1) {
		vc_error_at(rd->err, w->file, w->line,
		    "cannot split options '%s': %s", opts, why);
		goto out;
	}
	if (parse_options(rd, &words, &lo, w) == -1)
		goto out;
	for (i = 0; i < lo.positional.n; i++)
		vc_strv_pushf(&rd->set->ignored, "%s:%u: '%s' ignored: %s",
		    w->file, w->line, lo.positional.v[i],
		    "pip ignores words after the options");
	for (i = 0; i < lo.n; i++) {
		if (lo.v[i].o->id == R_EDITABLE && editable == NULL)
			editable = lo.v[i].value;
		if (lo.v[i].o->id == R_REQUIREMENT ||
		    lo.v[i].o->id == R_CONSTRAINT)
			includes = 1;
	}
	if (*args != '\0') {
		rc = add_requirement(rd, args, NULL, &lo, constraint, w);
	} else if (editable != NULL) {
		/* The first -e leads; take_req_options() skips it. */
		for (i = 0; lo.v[i].value != editable; i++)
			;
		if (i != 0) {
			struct lopt t = lo.v[0];

			lo.v[0] = lo.v[i];
			lo.v[i] = t;
		}
		rc = add_requirement(rd, NULL, editable, &lo, constraint, w);
	} else if (includes) {
		rc = include_line(rd, &lo, w, basedir);
	} else {
		option_line(rd, &lo, w, basedir);
		rc = 0;
	}
out:
	free(args);
	vc_strv_release(&words);
	lineopts_release(&lo);
	return rc;
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
	rc = handle_line(rd, e, &w, basedir, constraint);
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

static int
read_file(struct reader *rd, const char *path, int constraint,
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
	name = from != NULL ? display_path(rd, path) : xstrdup(path);
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
	rc = read_file(&rd, path, constraint, NULL);
	reader_release(&rd);
	update_format_options(set);
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
	update_format_options(set);
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
			vc_strv_take(&lines, format_req(&set->reqs[i], 0));
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
			add_quoted(&b, sp + 1);
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
