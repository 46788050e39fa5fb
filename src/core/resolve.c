/* resolve.c: pip's resolution of a requirement set, and its cache. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <xxhash.h>

#include "venvcache/installer.h"
#include "venvcache/log.h"
#include "venvcache/mirror.h"
#include "venvcache/proc.h"
#include "venvcache/resolve.h"
#include "venvcache/trust.h"

/* A cached resolution is at most this big; pip's reports are smaller. */
#define MAX_JSON (64u << 20)

void
vc_resolution_init(struct vc_resolution *r)
{
	memset(r, 0, sizeof *r);
}

static void
item_release(struct vc_resolved *it)
{
	free(it->name);
	free(it->version);
	free(it->url);
	vc_strv_release(&it->hashes);
}

void
vc_resolution_release(struct vc_resolution *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		item_release(&r->items[i]);
	free(r->items);
	vc_resolution_init(r);
}

static int
cmp_item(const void *a, const void *b)
{
	const struct vc_resolved *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
hex_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == n;
}

/* A version as pip reports it: no spaces or separators of our format. */
static int
token_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 200)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == ',' || *s == ';' ||
		    *s == '#' || *s == '\\')
			return 0;
	return 1;
}

/* The sha256 of an item's download_info, when pip gives one. */
static char *
item_sha256(json_t *dl)
{
	json_t *ai = json_object_get(dl, "archive_info"), *h;
	const char *v;

	if (!json_is_object(ai))
		return NULL;
	h = json_object_get(json_object_get(ai, "hashes"), "sha256");
	if (json_is_string(h))
		v = json_string_value(h);
	else if (json_is_string(json_object_get(ai, "hash")) &&
	    strncmp(json_string_value(json_object_get(ai, "hash")),
	        "sha256=", 7) == 0)
		v = json_string_value(json_object_get(ai, "hash")) + 7;
	else
		return NULL;
	if (!hex_ok(v, 64))
		return NULL;
	return xstrdup(v);
}

/* Sorts the items by name; a name twice is an error. */
static int
sort_unique(struct vc_resolution *r, const char *name, struct vc_error *err)
{
	size_t i;

	if (r->n > 1)
		qsort(r->items, r->n, sizeof *r->items, cmp_item);
	for (i = 1; i < r->n; i++)
		if (strcmp(r->items[i].name, r->items[i - 1].name) == 0)
			return vc_error_at(err, name, 0,
			    "'%s' is in the resolution twice",
			    r->items[i].name);
	return 0;
}

int
vc_resolution_parse_report(struct vc_resolution *r, const char *text,
    size_t len, const char *name, struct vc_error *err)
{
	json_error_t je;
	json_t *root, *install, *item, *ver;
	size_t i, cap = 0;
	int rc = -1;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return vc_error_at(err, name, (unsigned)je.line,
		    "not a pip report: %s", je.text);
	ver = json_object_get(root, "version");
	if (!json_is_string(ver) ||
	    (strcmp(json_string_value(ver), "0") != 0 &&
	        strcmp(json_string_value(ver), "1") != 0)) {
		vc_error_at(err, name, 0,
		    "unsupported pip report version (venvcache reads 0 and 1)");
		goto out;
	}
	install = json_object_get(root, "install");
	if (!json_is_array(install)) {
		vc_error_at(err, name, 0, "pip report without 'install' list");
		goto out;
	}
	json_array_foreach(install, i, item)
	{
		json_t *md = json_object_get(item, "metadata");
		json_t *dl = json_object_get(item, "download_info");
		json_t *n = json_object_get(md, "name");
		json_t *v = json_object_get(md, "version");
		json_t *url = json_object_get(dl, "url");
		struct vc_resolved *it;

		if (!json_is_string(n) || !json_is_string(v) ||
		    !token_ok(json_string_value(n)) ||
		    !token_ok(json_string_value(v))) {
			vc_error_at(err, name, 0,
			    "install item %zu has no valid metadata name and "
			    "version",
			    i);
			goto out;
		}
		r->items = xgrow(r->items, &cap, r->n + 1, sizeof *r->items);
		it = &r->items[r->n++];
		memset(it, 0, sizeof *it);
		vc_strv_init(&it->hashes);
		it->name = vc_name_normalize(json_string_value(n));
		it->version = xstrdup(json_string_value(v));
		it->direct = json_is_true(json_object_get(item, "is_direct"));
		if (json_is_string(url) && token_ok(json_string_value(url)))
			it->url = xstrdup(json_string_value(url));
		{
			char *h = item_sha256(dl);

			if (h != NULL)
				vc_strv_take(&it->hashes, h);
		}
		if (it->direct && it->url == NULL) {
			vc_error_at(err, name, 0,
			    "direct requirement '%s' has no URL", it->name);
			goto out;
		}
	}
	if (sort_unique(r, name, err) == -1)
		goto out;
	r->resolver = "pip";
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* One logical line of pins: "name==version" or "name @ url", then
 * --hash=sha256:<hex> options. */
static int
pin_line(struct vc_resolution *r, size_t *cap, char *line, const char *name,
    unsigned lineno, struct vc_error *err)
{
	struct vc_resolved *it;
	char *tok, *save = NULL, *eq;
	int nf = 0;

	r->items = xgrow(r->items, cap, r->n + 1, sizeof *r->items);
	it = &r->items[r->n];
	memset(it, 0, sizeof *it);
	vc_strv_init(&it->hashes);
	r->n++;
	for (tok = strtok_r(line, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save), nf++) {
		if (nf == 0) {
			if ((eq = strstr(tok, "==")) == NULL) {
				char *at = strtok_r(NULL, " \t", &save);
				char *url = strtok_r(NULL, " \t", &save);

				/* "name @ url" */
				if (at == NULL || strcmp(at, "@") != 0 ||
				    url == NULL || !token_ok(tok) ||
				    !token_ok(url))
					return vc_error_at(err, name, lineno,
					    "not a pin (name==version or name "
					    "@ url)");
				it->name = vc_name_normalize(tok);
				it->url = xstrdup(url);
				it->version = xstrdup("");
				it->direct = 1;
				continue;
			}
			*eq = '\0';
			if (!token_ok(tok) || !token_ok(eq + 2) ||
			    strchr(tok, '[') != NULL ||
			    strchr(tok, '=') != NULL)
				return vc_error_at(err, name, lineno,
				    "not a pin (name==version or name @ url)");
			it->name = vc_name_normalize(tok);
			it->version = xstrdup(eq + 2);
		} else if (strncmp(tok, "--hash=sha256:", 14) == 0 &&
		    hex_ok(tok + 14, 64)) {
			vc_strv_push(&it->hashes, tok + 14);
		} else {
			return vc_error_at(err, name, lineno,
			    "unexpected '%.64s' (only --hash=sha256:<64 hex "
			    "digits> may follow a pin)",
			    tok);
		}
	}
	vc_strv_sort_uniq(&it->hashes);
	return 0;
}

int
vc_resolution_parse_pins(struct vc_resolution *r, const char *text, size_t len,
    const char *name, struct vc_error *err)
{
	struct vc_buf logical;
	size_t i = 0, cap = 0, n;
	unsigned lineno = 0, start = 0;
	int rc = -1;

	vc_buf_init(&logical);
	if (memchr(text, '\0', len) != NULL) {
		vc_error_at(err, name, 0, "holds a NUL byte");
		goto out;
	}
	while (i < len) {
		const char *l = text + i, *nl = memchr(l, '\n', len - i);

		n = nl != NULL ? (size_t)(nl - l) : len - i;
		i += n + (nl != NULL);
		lineno++;
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (logical.len == 0)
			start = lineno;
		/* A comment, whole line or after blanks, ends the line. */
		{
			size_t k;

			for (k = 0; k < n; k++)
				if (l[k] == '#' &&
				    (k == 0 || l[k - 1] == ' ' ||
				        l[k - 1] == '\t'))
					break;
			if (k < n)
				n = k;
		}
		if (n > 0 && l[n - 1] == '\\') {
			vc_buf_add(&logical, l, n - 1);
			vc_buf_addc(&logical, ' ');
			if (i < len)
				continue;
		} else {
			vc_buf_add(&logical, l, n);
		}
		if (logical.data != NULL &&
		    strspn(logical.data, " \t") < logical.len &&
		    pin_line(r, &cap, logical.data, name, start, err) == -1)
			goto out;
		vc_buf_reset(&logical);
	}
	if (sort_unique(r, name, err) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		vc_resolution_release(r);
	vc_buf_release(&logical);
	return rc;
}

int
vc_resolve_needed(const struct vc_config *cfg, const struct vc_reqset *reqs)
{
	const char *mode = vc_config_str(cfg, VC_S_RESOLVE);

	if (strcmp(mode, "never") == 0 || reqs->n == 0)
		return 0;
	if (strcmp(mode, "always") == 0)
		return 1;
	return !vc_reqset_pinned(reqs);
}

void
vc_resolution_key_lines(const struct vc_resolution *r, struct vc_strv *out)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct vc_resolved *it = &r->items[i];

		if (it->direct)
			vc_strv_pushf(out, "%s @ %s", it->name, it->url);
		else
			vc_strv_pushf(out, "%s==%s", it->name, it->version);
	}
}

char *
vc_resolution_requirements(const struct vc_resolution *r, int with_hashes)
{
	struct vc_buf b;
	size_t i, j;

	vc_buf_init(&b);
	for (i = 0; i < r->n; i++) {
		const struct vc_resolved *it = &r->items[i];

		if (it->direct)
			vc_buf_addf(&b, "%s @ %s", it->name, it->url);
		else
			vc_buf_addf(&b, "%s==%s", it->name, it->version);
		for (j = 0; with_hashes && j < it->hashes.n; j++)
			vc_buf_addf(&b, " \\\n    --hash=sha256:%s",
			    it->hashes.v[j]);
		vc_buf_addc(&b, '\n');
	}
	return vc_buf_detach(&b);
}

/* --- the cache ----------------------------------------------------- */

/*
 * What a resolution depends on; its hash names the cache file. With
 * `any_mirror`, the mirror and index options are left out: the newest
 * resolution of the set through any mirror, the last resort within
 * resolve-grace when pip cannot resolve (a fork's pull request has no
 * mirror secret, and its runner resolves through no mirror at all).
 */
static char *
cache_document(const struct vc_config *cfg, const struct vc_interp *in,
    const struct vc_reqset *reqs, int any_mirror)
{
	struct vc_strv lines;
	struct vc_buf b;
	char *mirror;
	size_t i;

	vc_strv_init(&lines);
	vc_buf_init(&b);
	vc_buf_addf(&b, "venvcache-resolution %d%s\n", VC_RESOLVE_FORMAT,
	    any_mirror ? " any-mirror" : "");
	vc_buf_addf(&b, "python %s\nversion %s\nbuild %s\nplatform %s\n",
	    in->executable, in->version, in->build, in->platform);
	if (!any_mirror) {
		mirror = vc_mirror_identity(cfg);
		vc_buf_addf(&b, "mirror %s\n", mirror);
		free(mirror);
	}
	for (i = 0; !any_mirror && i < reqs->index_options.n; i++) {
		char *s = vc_url_strip_auth(reqs->index_options.v[i]);

		vc_buf_addf(&b, "index-option %s\n", s);
		free(s);
	}
	vc_reqset_canonical(reqs, &lines);
	for (i = 0; i < lines.n; i++)
		vc_buf_addf(&b, "declared %s\n", lines.v[i]);
	vc_strv_release(&lines);
	return vc_buf_detach(&b);
}

static char *
hash_hex(const char *s)
{
	XXH128_hash_t h = XXH3_128bits(s, strlen(s));

	return xasprintf("%016llx%016llx", (unsigned long long)h.high64,
	    (unsigned long long)h.low64);
}

/*
 * The cache file: {"format": 2, "created": <unix time>, "resolver": "uv" or
 * "pip", "pins": <vc_resolution_requirements() text>}. The store may be
 * written by others: every field is checked, the pins parsed as any.
 */
static int
cache_read(const char *path, struct vc_resolution *r, struct vc_error *err)
{
	struct vc_buf b;
	json_error_t je;
	json_t *root = NULL, *pins, *by, *fmt;
	int rc = -1;

	vc_buf_init(&b);
	if (vc_read_file(path, MAX_JSON, &b, err) == -1)
		goto out;
	root = json_loadb(b.data, b.len, 0, &je);
	fmt = json_object_get(root, "format");
	pins = json_object_get(root, "pins");
	by = json_object_get(root, "resolver");
	if (root == NULL || !json_is_integer(fmt) ||
	    json_integer_value(fmt) != VC_RESOLVE_FORMAT ||
	    !json_is_number(json_object_get(root, "created")) ||
	    !json_is_string(pins) || !json_is_string(by)) {
		vc_error_set(err, VC_EFAIL, "'%s' is not a resolution", path);
		goto out;
	}
	if (vc_resolution_parse_pins(r, json_string_value(pins),
	        json_string_length(pins), path, err) == -1)
		goto out;
	r->resolver = strcmp(json_string_value(by), "uv") == 0 ? "uv" : "pip";
	r->created = json_number_value(json_object_get(root, "created"));
	r->cached = 1;
	rc = 0;
out:
	json_decref(root);
	vc_buf_release(&b);
	return rc;
}

/* Whether pip's `url` for a direct item is one of the set's own. */
static int
url_declared(const struct vc_reqset *reqs, const char *url)
{
	size_t i, n = strlen(url);

	for (i = 0; i < reqs->n; i++) {
		const char *w = reqs->reqs[i].url, *plus, *colon;
		char real[PATH_MAX];

		if (w == NULL)
			continue;
		/* "git+https://host/x@v1#egg=x": pip reports "https://host/x"
		 */
		plus = strchr(w, '+');
		colon = strstr(w, "://");
		if (plus != NULL && colon != NULL && plus < colon)
			w = plus + 1;
		if (strncmp(w, url, n) == 0 &&
		    (w[n] == '\0' || w[n] == '@' || w[n] == '#'))
			return 1;
		if (reqs->reqs[i].kind != VC_REQ_URL &&
		    realpath(reqs->reqs[i].url, real) != NULL &&
		    strncmp(url, "file://", 7) == 0 &&
		    strcmp(url + 7, real) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether a cached resolution may be used for `reqs`: the store can be
 * written by others, and a direct URL in it would have pip (with the
 * mirror's credentials) fetch and build whatever it names. Its direct items
 * must be the set's own URLs or paths; else it is resolved again.
 */
static int
cache_usable(const struct vc_resolution *r, const struct vc_reqset *reqs,
    const char *path)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->items[i].direct &&
		    !url_declared(reqs, r->items[i].url)) {
			vc_debug("'%s': '%s @ %s' is not a requirement of the "
			         "set: resolving again",
			    path, r->items[i].name, r->items[i].url);
			return 0;
		}
	return 1;
}

static int
cache_write(const char *path, const struct vc_resolution *r,
    struct vc_error *err)
{
	char *pins = vc_resolution_requirements(r, 1), *text;
	json_t *root;
	int rc;

	root = json_pack("{s:i, s:f, s:s, s:s}", "format", VC_RESOLVE_FORMAT,
	    "created", r->created, "resolver",
	    r->resolver != NULL ? r->resolver : "pip", "pins", pins);
	free(pins);
	text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (text == NULL)
		return vc_error_set(err, VC_EFAIL,
		    "cannot encode a resolution");
	rc = vc_write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	return rc;
}

/* --- running pip --------------------------------------------------- */

/* pip's lines as a live line on a terminal: "resolving: Collecting x". */
static void
progress_line(const char *line, void *arg)
{
	while (*line == ' ')
		line++;
	if (*line != '\0')
		vc_progress("%s: %s", (const char *)arg, line);
}

/*
 * Runs pip (or python); on a terminal, `what` and each line it prints are
 * shown as a live line while it runs, so a slow resolve is not silent.
 */
static int
run_at(const struct vc_config *cfg, const char *what, const char *const *argv,
    const char *cwd, struct vc_buf *out, struct vc_error *err)
{
	struct vc_strv env;
	struct vc_proc proc;
	int status;

	vc_strv_init(&env);
	vc_mirror_tool_env(cfg, &env);
	memset(&proc, 0, sizeof proc);
	proc.argv = argv;
	proc.env_set = (const char *const *)env.v;
	proc.env_unset = vc_tool_env_unset;
	proc.cwd = cwd;
	proc.output = out;
	proc.max_output = 64 * 1024;
	proc.on_line = progress_line;
	proc.arg = (void *)(uintptr_t)what;
	vc_progress("%s", what);
	status = vc_proc_run(&proc, err);
	vc_progress_done();
	vc_strv_release(&env);
	return status;
}

static int
run(const struct vc_config *cfg, const char *what, const char *const *argv,
    struct vc_buf *out, struct vc_error *err)
{
	return run_at(cfg, what, argv, NULL, out, err);
}

/* The last non-empty line of pip's output, credentials hidden. */
static char *
last_line(const struct vc_config *cfg, const struct vc_buf *out)
{
	struct vc_strv secrets;
	const char *s, *e;
	char *line, *shown;

	if (out->data == NULL)
		return xstrdup("(no output)");
	e = out->data + out->len;
	while (e > out->data && (e[-1] == '\n' || e[-1] == ' '))
		e--;
	for (s = e; s > out->data && s[-1] != '\n'; s--)
		;
	line = xstrndup(s, (size_t)(e - s));
	vc_strv_init(&secrets);
	vc_mirror_secrets(cfg, &secrets);
	shown = vc_text_redact(line, &secrets);
	vc_strv_release(&secrets);
	free(line);
	return shown;
}

/* Why pip could not reach the index, credentials hidden, or NULL. */
static char *
index_cause(const struct vc_config *cfg, const struct vc_buf *out)
{
	struct vc_strv secrets;
	char *cause, *shown;

	if (out->data == NULL ||
	    (cause = vc_pip_index_error(out->data)) == NULL)
		return NULL;
	vc_strv_init(&secrets);
	vc_mirror_secrets(cfg, &secrets);
	shown = vc_text_redact(cause, &secrets);
	vc_strv_release(&secrets);
	free(cause);
	return shown;
}

/*
 * <venv-root>/.venvcache/tools: the user's own (vc_trust_dir), and not in
 * the store, which others may write.
 */
static char *
tools_dir(const struct vc_config *cfg, struct vc_error *err)
{
	const char *root = vc_config_str(cfg, VC_S_VENV_ROOT);
	char *dir = xasprintf("%s/.venvcache/tools", root);

	if (vc_mkdir_p(root, 0755, err) == -1 ||
	    vc_trust_dir(root, "venv-root", err) == -1 ||
	    vc_mkdir_p(dir, 0755, err) == -1) {
		free(dir);
		return NULL;
	}
	return dir;
}

/*
 * A venv of the interpreter with a pip that has --report (22.2 or newer):
 * <venv-root>/.venvcache/tools/pip-<hash of the interpreter>.
 */
static char *
scratch_python(const struct vc_config *cfg, const struct vc_interp *in,
    const char *dir, struct vc_error *err)
{
	char *key = xasprintf("%s\n%s", in->executable, in->build);
	char *id = hash_hex(key), *lockp = NULL, *venv = NULL;
	char *py = NULL, *tmp = NULL, *tmppy = NULL, *ok = NULL;
	struct vc_buf out;
	int lfd = -1, status;

	free(key);
	vc_buf_init(&out);
	venv = xasprintf("%s/pip-%.16s", dir, id);
	py = xasprintf("%s/bin/python", venv);
	ok = xasprintf("%s/.venvcache-ok", venv);
	if (access(ok, F_OK) == 0)
		goto done;
	lockp = xasprintf("%s.lock", venv);
	lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (lfd == -1 || flock(lfd, LOCK_EX) == -1) {
		vc_error_sys(err, "cannot lock '%s'", lockp);
		goto fail;
	}
	if (access(ok, F_OK) == 0)
		goto done;
	vc_step("creating a scratch venv for resolving with %s",
	    in->executable);
	tmp = xasprintf("%s.tmp.%ld", venv, (long)getpid());
	(void)vc_rm_rf(tmp, err);
	(void)vc_rm_rf(venv, err);
	{
		const char *argv[] = {in->executable, "-m", "venv", tmp, NULL};

		status =
		    run(cfg, "creating a venv to resolve in", argv, &out, err);
		if (status != 0) {
			char *l = last_line(cfg, &out);

			if (status != -1)
				vc_error_set(err, VC_EFAIL,
				    "cannot create a venv with '%s' to resolve "
				    "in: %s",
				    in->executable, l);
			free(l);
			goto fail;
		}
	}
	tmppy = xasprintf("%s/bin/python", tmp);
	{
		/* pip >= 22.2 has --report; upgrade an older one. */
		const char *argv[] = {tmppy, "-c",
		    "import importlib.metadata as m, sys;"
		    "v = tuple(int(x) for x in m.version('pip')"
		    ".split('.')[:2]);"
		    "sys.exit(0 if v >= (22, 2) else 3)",
		    NULL};
		const char *up[] = {tmppy, "-m", "pip", "install", "--quiet",
		    "--upgrade", "pip>=22.2", NULL};

		vc_buf_reset(&out);
		status = run(cfg, "checking pip's version", argv, &out, err);
		if (status == 3) {
			vc_buf_reset(&out);
			status = run(cfg, "upgrading pip to resolve with", up,
			    &out, err);
			if (status != 0) {
				char *l = last_line(cfg, &out);
				char *c = index_cause(cfg, &out);

				vc_error_set(err, VC_EFAIL,
				    "the pip of '%s' is older than 22.2 (no "
				    "--report) and upgrading it from the "
				    "mirror failed: %s%s%s",
				    in->executable, c != NULL ? c : l,
				    c != NULL ? "; pip's last line: " : "",
				    c != NULL ? l : "");
				free(c);
				free(l);
				goto fail;
			}
		} else if (status != 0) {
			vc_error_set(err, VC_EFAIL,
			    "cannot find the pip version of '%s'",
			    in->executable);
			goto fail;
		}
	}
	if (rename(tmp, venv) == -1) {
		vc_error_sys(err, "cannot rename '%s'", tmp);
		goto fail;
	}
	if (vc_write_file_atomic(ok, "", 0, 0644, err) == -1)
		goto fail;
done:
	if (lfd != -1)
		close(lfd);
	free(lockp);
	free(tmp);
	free(tmppy);
	free(venv);
	free(id);
	free(ok);
	vc_buf_release(&out);
	return py;
fail:
	if (tmp != NULL) {
		struct vc_error e2;

		(void)vc_rm_rf(tmp, &e2);
	}
	free(py);
	py = NULL;
	goto done;
}

char *
vc_resolve_tool_python(const struct vc_config *cfg, const struct vc_interp *in,
    struct vc_error *err)
{
	char *dir = tools_dir(cfg, err), *py;

	if (dir == NULL)
		return NULL;
	py = scratch_python(cfg, in, dir, err);
	free(dir);
	return py;
}

/*
 * The files a resolver reads and writes, in the resolve directory: the
 * requirements with their index options, the constraints (when there are
 * any) and the resolver's output.
 */
struct resolver_files {
	char *req, *cons, *out;
	int has_cons;
};

static int
resolver_files_write(struct resolver_files *f, const struct vc_reqset *reqs,
    const char *dir, const char *out_name, struct vc_error *err)
{
	char *text = vc_reqset_pip_text(reqs);
	char *cons = vc_reqset_pip_constraints(reqs);
	int rc = -1;

	f->req = xasprintf("%s/req.%ld.txt", dir, (long)getpid());
	f->cons = xasprintf("%s/cons.%ld.txt", dir, (long)getpid());
	f->out = xasprintf("%s/%s.%ld", dir, out_name, (long)getpid());
	f->has_cons = *cons != '\0';
	if (vc_write_file_atomic(f->req, text, strlen(text), 0600, err) == 0 &&
	    (!f->has_cons ||
	        vc_write_file_atomic(f->cons, cons, strlen(cons), 0600, err) ==
	            0))
		rc = 0;
	free(text);
	free(cons);
	return rc;
}

static void
resolver_files_release(struct resolver_files *f)
{
	char **paths[] = {&f->req, &f->cons, &f->out};

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (*paths[i] != NULL)
			(void)unlink(*paths[i]);
		free(*paths[i]);
		*paths[i] = NULL;
	}
}

/*
 * Runs a resolver (`who`: pip or uv); on failure the error names the cause
 * it printed about the index first (its last line is often only "No
 * matching distribution found"), then its last line.
 */
static int
run_resolver(const struct vc_config *cfg, const char *who,
    const char *const *argv, struct vc_error *err)
{
	struct vc_buf out;
	int status;

	vc_buf_init(&out);
	vc_step("resolving with %s", who);
	status = run(cfg, "resolving", argv, &out, err);
	if (status > 0) {
		char *cause = index_cause(cfg, &out);
		char *line = last_line(cfg, &out);

		if (cause != NULL)
			vc_error_set(err, VC_ENET,
			    "%s could not resolve the requirements (exit "
			    "status %d): %s; %s's last line: %s",
			    who, status, cause, who, line);
		else
			vc_error_set(err, VC_ENET,
			    "%s could not resolve the requirements (exit "
			    "status %d): %s",
			    who, status, line);
		free(cause);
		free(line);
	}
	vc_buf_release(&out);
	return status == 0 ? 0 : -1;
}

/* Runs pip's resolver; fills `report` with the JSON text. */
static int
pip_resolve(const struct vc_config *cfg, const struct vc_interp *in,
    const struct vc_reqset *reqs, struct vc_buf *report, struct vc_error *err)
{
	struct resolver_files f = {0};
	char *py = NULL, *dir = NULL;
	const char *argv[16];
	int n = 0, rc = -1;

	/* pip's files too: never where others could plant a symlink. */
	if ((dir = tools_dir(cfg, err)) == NULL ||
	    (py = scratch_python(cfg, in, dir, err)) == NULL ||
	    resolver_files_write(&f, reqs, dir, "report.json", err) == -1)
		goto out;
	argv[n++] = py;
	argv[n++] = "-m";
	argv[n++] = "pip";
	argv[n++] = "install";
	argv[n++] = "--dry-run";
	argv[n++] = "--ignore-installed";
	argv[n++] = "--quiet";
	argv[n++] = "--no-input";
	argv[n++] = "--report";
	argv[n++] = f.out;
	argv[n++] = "-r";
	argv[n++] = f.req;
	if (f.has_cons) {
		argv[n++] = "-c";
		argv[n++] = f.cons;
	}
	argv[n] = NULL;
	if (run_resolver(cfg, "pip", argv, err) == 0 &&
	    vc_read_file(f.out, MAX_JSON, report, err) == 0)
		rc = 0;
out:
	resolver_files_release(&f);
	free(py);
	free(dir);
	return rc;
}

/*
 * Runs `uv pip compile` for the env's interpreter (its markers, its
 * Python version: --python) with the same inputs pip gets: the mirror in
 * the environment, the requirements file with its index options, the
 * constraints, --pre. Fills `pins` with uv's output.
 */
static int
uv_resolve(const struct vc_config *cfg, const struct vc_installer *ins,
    const struct vc_interp *in, const struct vc_reqset *reqs, const char *dir,
    struct vc_buf *pins, struct vc_error *err)
{
	struct resolver_files f = {0};
	const char *argv[24];
	int n = 0, rc = -1;

	if (resolver_files_write(&f, reqs, dir, "pins.txt", err) == -1)
		goto out;
	argv[n++] = ins->uv;
	argv[n++] = "pip";
	argv[n++] = "compile";
	argv[n++] = "--quiet";
	argv[n++] = "--no-header";
	argv[n++] = "--no-annotate";
	argv[n++] = "--generate-hashes";
	argv[n++] = "--python";
	argv[n++] = in->executable;
	argv[n++] = "--output-file";
	argv[n++] = f.out;
	if (vc_strv_contains(&reqs->options, "--pre"))
		argv[n++] = "--prerelease=allow";
	argv[n++] = f.req;
	if (f.has_cons) {
		argv[n++] = "-c";
		argv[n++] = f.cons;
	}
	argv[n] = NULL;
	if (run_resolver(cfg, "uv", argv, err) == 0 &&
	    vc_read_file(f.out, MAX_JSON, pins, err) == 0)
		rc = 0;
out:
	resolver_files_release(&f);
	return rc;
}

/* Resolves with the installer's resolver: uv or pip. */
static int
fresh_resolve(const struct vc_config *cfg, const struct vc_interp *in,
    const struct vc_reqset *reqs, struct vc_resolution *r, struct vc_error *err)
{
	struct vc_installer ins;
	struct vc_buf out;
	char *dir = NULL;
	int rc = -1;

	vc_buf_init(&out);
	memset(&ins, 0, sizeof ins);
	if (vc_installer_choose(&ins, cfg, err) == -1)
		goto out;
	if (ins.kind == VC_INSTALLER_UV) {
		/* Its files in the user's own directory, never the store. */
		if ((dir = tools_dir(cfg, err)) == NULL ||
		    uv_resolve(cfg, &ins, in, reqs, dir, &out, err) == -1 ||
		    vc_resolution_parse_pins(r,
		        out.data != NULL ? out.data : "", out.len,
		        "uv pip compile's output", err) == -1)
			goto out;
		r->resolver = "uv";
	} else {
		if (pip_resolve(cfg, in, reqs, &out, err) == -1 ||
		    vc_resolution_parse_report(r, out.data, out.len,
		        "pip's report", err) == -1)
			goto out;
		r->resolver = "pip";
	}
	rc = 0;
out:
	vc_installer_release(&ins);
	vc_buf_release(&out);
	free(dir);
	return rc;
}

int
vc_resolve(const struct vc_config *cfg, const struct vc_interp *in,
    const struct vc_reqset *reqs, int flags, struct vc_resolution *r,
    struct vc_error *err)
{
	char *dir = NULL, *doc = NULL, *hash = NULL, *path = NULL;
	char *any_path = NULL;
	int writable = 1;
	uint64_t ttl = vc_config_duration(cfg, VC_S_RESOLVE_TTL);
	uint64_t grace = vc_config_duration(cfg, VC_S_RESOLVE_GRACE);
	struct vc_resolution cached;
	struct vc_error cerr;
	double now = vc_now();
	int have_cached, rc = -1;

	vc_resolution_init(&cached);
	dir = vc_path_join(vc_config_str(cfg, VC_S_CACHE_DIR), "resolve");
	doc = cache_document(cfg, in, reqs, 0);
	hash = hash_hex(doc);
	path = xasprintf("%s/%s.json", dir, hash);
	free(doc);
	free(hash);
	doc = cache_document(cfg, in, reqs, 1);
	hash = hash_hex(doc);
	any_path = xasprintf("%s/%s.json", dir, hash);
	have_cached = cache_read(path, &cached, &cerr) == 0 &&
	    cache_usable(&cached, reqs, path);
	vc_error_clear(&cerr);
	if (vc_mkdir_p(dir, 0755, &cerr) == -1) {
		/* A read-only store: resolve without caching. */
		vc_debug("not caching the resolution: %s", cerr.msg);
		writable = 0;
	}
	if (have_cached && !(flags & VC_RESOLVE_REFRESH) &&
	    now - cached.created < (double)ttl) {
		*r = cached;
		vc_resolution_init(&cached);
		rc = 0;
		goto out;
	}
	if (fresh_resolve(cfg, in, reqs, r, err) == 0) {
		r->created = now;
		if (writable &&
		    (cache_write(path, r, &cerr) == -1 ||
		        cache_write(any_path, r, &cerr) == -1))
			vc_warn("cannot cache the resolution: %s", cerr.msg);
		rc = 0;
		goto out;
	}
	vc_resolution_release(r);
	/* No record of this mirror: the newest through any mirror. */
	if (!(have_cached && now - cached.created < (double)grace)) {
		vc_resolution_release(&cached);
		vc_resolution_init(&cached);
		have_cached = cache_read(any_path, &cached, &cerr) == 0 &&
		    cache_usable(&cached, reqs, any_path);
		if (have_cached && now - cached.created < (double)grace)
			vc_warn("no resolution through this mirror; using "
			        "the newest through another one");
	}
	/* It failed: an older resolution within the grace period will do. */
	if (have_cached && now - cached.created < (double)grace) {
		vc_warn("%s; using the resolution of %.0f minutes ago "
		        "(resolve-grace)",
		    err->msg, (now - cached.created) / 60);
		*r = cached;
		r->stale = 1;
		vc_resolution_init(&cached);
		vc_error_clear(err);
		rc = 0;
		goto out;
	}
	vc_error_prefix(err,
	    "cannot resolve (and no cached resolution "
	    "within resolve-grace)");
out:
	vc_resolution_release(&cached);
	free(dir);
	free(doc);
	free(hash);
	free(path);
	free(any_path);
	return rc;
}

/* --- a project's metadata ------------------------------------------ */

/*
 * Run in a build environment by its python, in the project's directory:
 * the PEP 517 hooks, as pip's build isolation calls them. argv: the
 * project, the output file, the backend ("mod:obj"), its backend-path
 * (JSON), and "first" or "again". First, what get_requires_for_build_wheel
 * asks for beyond [build-system] requires: when it asks for anything, the
 * output is {"requires": [...]}, to be installed before running "again".
 * Otherwise, and again, the Requires-Dist of prepare_metadata_for_build_
 * wheel (or of the built wheel without it), as pip's report holds it.
 */
static const char hook_script[] =
    "import email.parser, importlib, json, os, sys, tempfile, zipfile\n"
    "proj, out, spec, paths, when = sys.argv[1:6]\n"
    "for p in reversed(json.loads(paths)):\n"
    "    sys.path.insert(0, os.path.join(proj, p))\n"
    "mod, _, attr = spec.partition(':')\n"
    "backend = importlib.import_module(mod.strip())\n"
    "for a in filter(None, attr.strip().split('.')):\n"
    "    backend = getattr(backend, a)\n"
    "hook = getattr(backend, 'get_requires_for_build_wheel', None)\n"
    "more = list(hook({})) if hook and when == 'first' else []\n"
    "if more:\n"
    "    result = {'requires': more}\n"
    "else:\n"
    "    tmp = tempfile.mkdtemp(dir=os.path.dirname(out))\n"
    "    hook = getattr(backend, 'prepare_metadata_for_build_wheel', None)\n"
    "    if hook:\n"
    "        with open(os.path.join(tmp, hook(tmp, {}), 'METADATA'), 'rb') as "
    "f:\n"
    "            data = f.read()\n"
    "    else:\n"
    "        whl = zipfile.ZipFile(os.path.join(tmp, backend.build_wheel(tmp, "
    "{})))\n"
    "        data = whl.read([n for n in whl.namelist()\n"
    "                         if n.count('/') == 1 and\n"
    "                         n.endswith('.dist-info/METADATA')][0])\n"
    "    m = email.parser.BytesParser().parsebytes(data)\n"
    "    result = {'install': [{'metadata': {\n"
    "        'name': m['Name'], 'version': m['Version'],\n"
    "        'requires_dist': m.get_all('Requires-Dist') or []}}]}\n"
    "with open(out, 'w') as f:\n"
    "    json.dump(result, f)\n";

/* Runs a step of the build environment (uv, or its python in `cwd`); on
 * failure the error names `what` and its last line. */
static int
run_build_step(const struct vc_config *cfg, const char *what,
    const char *const *argv, const char *cwd, struct vc_error *err)
{
	struct vc_buf out;
	int status;

	vc_buf_init(&out);
	status = run_at(cfg, what, argv, cwd, &out, err);
	if (status > 0) {
		char *line = last_line(cfg, &out);

		vc_error_set(err, VC_EFAIL, "%s failed (exit status %d): %s",
		    what, status, line);
		free(line);
	}
	vc_buf_release(&out);
	return status == 0 ? 0 : -1;
}

/*
 * The project's metadata with uv (installer = uv): a build environment
 * made by uv from its cache (uv venv, uv pip install of [build-system]
 * requires and what get_requires_for_build_wheel adds), the backend's
 * hooks run there. Where pip's build isolation fetched and installed the
 * backend afresh each time (1.75 s for retrying with setuptools), uv
 * takes it from the cache that also serves the install: fetched once.
 */
static int
uv_project_metadata(const struct vc_config *cfg, const struct vc_installer *ins,
    const struct vc_interp *in, const char *project_dir,
    const struct vc_build_system *bs, struct vc_buf *report,
    struct vc_error *err)
{
	char *tools = NULL, *dir = NULL, *venv = NULL, *py = NULL;
	char *out = NULL, *paths_json = NULL;
	const char *backend = bs->backend != NULL
	    ? bs->backend
	    : "setuptools.build_meta:__legacy__";
	struct vc_strv requires, argv;
	struct vc_error e2;
	json_t *more = NULL, *x;
	size_t i;
	int rc = -1;

	vc_strv_init(&requires);
	vc_strv_init(&argv);
	for (i = 0; i < bs->requires->n; i++)
		vc_strv_push(&requires, bs->requires->v[i]);
	more = json_array();
	for (i = 0; i < bs->backend_path->n; i++)
		json_array_append_new(more,
		    json_string(bs->backend_path->v[i]));
	paths_json = json_dumps(more, JSON_COMPACT);
	json_decref(more);
	more = NULL;
	if ((tools = tools_dir(cfg, err)) == NULL)
		goto out;
	dir = xasprintf("%s/build.XXXXXX", tools);
	if (mkdtemp(dir) == NULL) {
		vc_error_sys(err, "cannot make a directory in '%s'", tools);
		free(dir);
		dir = NULL;
		goto out;
	}
	venv = vc_path_join(dir, "env");
	py = vc_path_join(venv, "bin/python");
	out = vc_path_join(dir, "hook.json");
	vc_step("asking the build backend of '%s' for its dependencies (a "
	        "build environment made by uv)",
	    project_dir);
	{
		const char *a[] = {ins->uv, "venv", "--quiet", "--python",
		    in->executable, venv, NULL};

		if (run_build_step(cfg, "uv venv (the build environment)", a,
		        NULL, err) == -1)
			goto out;
	}
	for (i = 0;; i++) {
		const char *hook[] = {py, "-I", "-c", hook_script, project_dir,
		    out, backend, paths_json, i == 0 ? "first" : "again", NULL};
		size_t j;

		/* [build-system] requires, then what the backend asks. */
		if (requires.n > 0) {
			vc_strv_push(&argv, ins->uv);
			vc_strv_push(&argv, "pip");
			vc_strv_push(&argv, "install");
			vc_strv_push(&argv, "--quiet");
			vc_strv_push(&argv, "--python");
			vc_strv_push(&argv, py);
			for (j = 0; j < requires.n; j++)
				vc_strv_push(&argv, requires.v[j]);
			if (run_build_step(cfg,
			        "uv pip install (the build requirements)",
			        (const char *const *)argv.v, NULL, err) == -1)
				goto out;
			vc_strv_release(&argv);
			vc_strv_init(&argv);
		}
		vc_buf_reset(report);
		if (run_build_step(cfg, "the build backend's hooks", hook,
		        project_dir, err) == -1 ||
		    vc_read_file(out, MAX_JSON, report, err) == -1)
			goto out;
		json_decref(more);
		more = json_loadb(report->data, report->len, 0, NULL);
		if (i > 0 || !json_is_array(json_object_get(more, "requires")))
			break;
		vc_strv_release(&requires);
		vc_strv_init(&requires);
		json_array_foreach(json_object_get(more, "requires"), j, x)
		{
			if (json_is_string(x))
				vc_strv_push(&requires, json_string_value(x));
		}
	}
	if (!json_is_array(json_object_get(more, "install"))) {
		vc_error_set(err, VC_EFAIL,
		    "the build backend's hooks gave no metadata");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		vc_error_prefix(err,
		    "cannot read the metadata of the project "
		    "'%s'",
		    project_dir);
	if (dir != NULL) {
		vc_error_clear(&e2);
		(void)vc_rm_rf(dir, &e2);
	}
	json_decref(more);
	vc_strv_release(&requires);
	vc_strv_release(&argv);
	free(tools);
	free(dir);
	free(venv);
	free(py);
	free(out);
	free(paths_json);
	return rc;
}

int
vc_resolve_project_metadata(const struct vc_config *cfg,
    const struct vc_interp *in, const char *project_dir,
    const struct vc_build_system *bs, struct vc_buf *report,
    struct vc_error *err)
{
	char *dir = NULL, *py = NULL, *repf = NULL, *line;
	const char *argv[16];
	struct vc_buf out;
	int n = 0, status, rc = -1;

	vc_buf_init(&out);
	{
		struct vc_installer ins;
		int r;

		if (vc_installer_choose(&ins, cfg, err) == -1)
			goto out;
		r = ins.kind == VC_INSTALLER_UV
		    ? uv_project_metadata(cfg, &ins, in, project_dir, bs,
		          report, err)
		    : 1;
		vc_installer_release(&ins);
		if (r != 1) {
			rc = r;
			goto out;
		}
	}
	if ((dir = tools_dir(cfg, err)) == NULL ||
	    (py = scratch_python(cfg, in, dir, err)) == NULL)
		goto out;
	repf = xasprintf("%s/project.%ld.json", dir, (long)getpid());
	argv[n++] = py;
	argv[n++] = "-m";
	argv[n++] = "pip";
	argv[n++] = "install";
	argv[n++] = "--dry-run";
	argv[n++] = "--ignore-installed";
	argv[n++] = "--no-deps";
	argv[n++] = "--quiet";
	argv[n++] = "--no-input";
	argv[n++] = "--report";
	argv[n++] = repf;
	argv[n++] = project_dir;
	argv[n] = NULL;
	vc_step("asking the build backend of '%s' for its dependencies",
	    project_dir);
	status =
	    run(cfg, "asking the project's build backend", argv, &out, err);
	if (status != 0) {
		if (status != -1) {
			line = last_line(cfg, &out);
			vc_error_set(err, VC_EFAIL,
			    "pip could not read the metadata of the project "
			    "'%s' (exit status %d): %s",
			    project_dir, status, line);
			free(line);
		}
		goto out;
	}
	if (vc_read_file(repf, MAX_JSON, report, err) == -1)
		goto out;
	rc = 0;
out:
	if (repf != NULL)
		unlink(repf);
	free(repf);
	free(py);
	free(dir);
	vc_buf_release(&out);
	return rc;
}
