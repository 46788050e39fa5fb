/* resolve.c: pip's resolution of a requirement set, and its cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <xxhash.h>

#include "venvcache/log.h"
#include "venvcache/mirror.h"
#include "venvcache/proc.h"
#include "venvcache/resolve.h"

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
	free(it->sha256);
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
		it->name = vc_name_normalize(json_string_value(n));
		it->version = xstrdup(json_string_value(v));
		it->direct = json_is_true(json_object_get(item, "is_direct"));
		if (json_is_string(url) && token_ok(json_string_value(url)))
			it->url = xstrdup(json_string_value(url));
		it->sha256 = item_sha256(dl);
		if (it->direct && it->url == NULL) {
			vc_error_at(err, name, 0,
			    "direct requirement '%s' has no URL", it->name);
			goto out;
		}
	}
	if (r->n > 1)
		qsort(r->items, r->n, sizeof *r->items, cmp_item);
	for (i = 1; i < r->n; i++) {
		if (strcmp(r->items[i].name, r->items[i - 1].name) == 0) {
			vc_error_at(err, name, 0, "'%s' is in the report twice",
			    r->items[i].name);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
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
		else if (it->sha256 != NULL)
			vc_strv_pushf(out, "%s==%s sha256:%s", it->name,
			    it->version, it->sha256);
		else
			vc_strv_pushf(out, "%s==%s", it->name, it->version);
	}
}

char *
vc_resolution_requirements(const struct vc_resolution *r, int with_hashes)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	for (i = 0; i < r->n; i++) {
		const struct vc_resolved *it = &r->items[i];

		if (it->direct)
			vc_buf_addf(&b, "%s @ %s", it->name, it->url);
		else
			vc_buf_addf(&b, "%s==%s", it->name, it->version);
		if (with_hashes && it->sha256 != NULL)
			vc_buf_addf(&b, " \\\n    --hash=sha256:%s",
			    it->sha256);
		vc_buf_addc(&b, '\n');
	}
	return vc_buf_detach(&b);
}

/* --- the cache ----------------------------------------------------- */

/* What a resolution depends on; its hash names the cache file. */
static char *
cache_document(const struct vc_config *cfg, const struct vc_interp *in,
    const struct vc_reqset *reqs)
{
	struct vc_strv lines;
	struct vc_buf b;
	char *mirror;
	size_t i;

	vc_strv_init(&lines);
	vc_buf_init(&b);
	vc_buf_addf(&b, "venvcache-resolution %d\n", VC_RESOLVE_FORMAT);
	vc_buf_addf(&b, "python %s\nversion %s\nbuild %s\nplatform %s\n",
	    in->executable, in->version, in->build, in->platform);
	mirror = vc_mirror_identity(cfg);
	vc_buf_addf(&b, "mirror %s\n", mirror);
	free(mirror);
	for (i = 0; i < reqs->index_options.n; i++) {
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

static int
cache_read(const char *path, struct vc_resolution *r, struct vc_error *err)
{
	struct vc_buf b;
	json_error_t je;
	json_t *root = NULL, *report;
	char *text = NULL;
	int rc = -1;

	vc_buf_init(&b);
	if (vc_read_file(path, MAX_JSON, &b, err) == -1)
		goto out;
	root = json_loadb(b.data, b.len, 0, &je);
	if (root == NULL || !json_is_number(json_object_get(root, "created")) ||
	    !json_is_object(json_object_get(root, "report"))) {
		vc_error_set(err, VC_EFAIL, "'%s' is not a resolution", path);
		goto out;
	}
	report = json_object_get(root, "report");
	text = json_dumps(report, JSON_COMPACT);
	if (text == NULL ||
	    vc_resolution_parse_report(r, text, strlen(text), path, err) == -1)
		goto out;
	r->created = json_number_value(json_object_get(root, "created"));
	r->cached = 1;
	rc = 0;
out:
	free(text);
	json_decref(root);
	vc_buf_release(&b);
	return rc;
}

static int
cache_write(const char *path, const char *report, size_t len, double created,
    struct vc_error *err)
{
	json_error_t je;
	json_t *root, *rep;
	char *text;
	int rc;

	rep = json_loadb(report, len, 0, &je);
	if (rep == NULL)
		return vc_error_set(err, VC_EFAIL, "pip's report: %s", je.text);
	root = json_pack("{s:i, s:f, s:o}", "format", VC_RESOLVE_FORMAT,
	    "created", created, "report", rep);
	text = json_dumps(root, JSON_COMPACT);
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
run(const struct vc_config *cfg, const char *what, const char *const *argv,
    struct vc_buf *out, struct vc_error *err)
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
 * A venv of the interpreter with a pip that has --report (22.2 or newer),
 * kept in the cache: <cache>/resolve/pip-<hash of the interpreter>.
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

/* Runs pip's resolver; fills `report` with the JSON text. */
static int
pip_resolve(const struct vc_config *cfg, const struct vc_interp *in,
    const struct vc_reqset *reqs, const char *dir, struct vc_buf *report,
    struct vc_error *err)
{
	char *py = NULL, *reqf = NULL, *consf = NULL, *repf = NULL;
	char *text = NULL, *cons = NULL, *line;
	const char *argv[16];
	struct vc_buf out;
	int n = 0, status, rc = -1;

	vc_buf_init(&out);
	if ((py = scratch_python(cfg, in, dir, err)) == NULL)
		goto out;
	reqf = xasprintf("%s/req.%ld.txt", dir, (long)getpid());
	consf = xasprintf("%s/cons.%ld.txt", dir, (long)getpid());
	repf = xasprintf("%s/report.%ld.json", dir, (long)getpid());
	text = vc_reqset_pip_text(reqs);
	cons = vc_reqset_pip_constraints(reqs);
	if (vc_write_file_atomic(reqf, text, strlen(text), 0600, err) == -1)
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
	argv[n++] = repf;
	argv[n++] = "-r";
	argv[n++] = reqf;
	if (*cons != '\0') {
		if (vc_write_file_atomic(consf, cons, strlen(cons), 0600,
		        err) == -1)
			goto out;
		argv[n++] = "-c";
		argv[n++] = consf;
	}
	argv[n] = NULL;
	vc_step("resolving with pip");
	status = run(cfg, "resolving", argv, &out, err);
	if (status != 0) {
		if (status != -1) {
			char *cause = index_cause(cfg, &out);

			line = last_line(cfg, &out);
			/* The cause first: pip's last line is often only
			 * "No matching distribution found". */
			vc_error_set(err, VC_ENET,
			    "pip could not resolve the requirements (exit "
			    "status %d): %s%s%s",
			    status, cause != NULL ? cause : line,
			    cause != NULL ? "; pip's last line: " : "",
			    cause != NULL ? line : "");
			free(cause);
			free(line);
		}
		goto out;
	}
	if (vc_read_file(repf, MAX_JSON, report, err) == -1)
		goto out;
	rc = 0;
out:
	if (reqf != NULL)
		unlink(reqf);
	if (consf != NULL)
		unlink(consf);
	if (repf != NULL)
		unlink(repf);
	free(py);
	free(reqf);
	free(consf);
	free(repf);
	free(text);
	free(cons);
	vc_buf_release(&out);
	return rc;
}

int
vc_resolve(const struct vc_config *cfg, const struct vc_interp *in,
    const struct vc_reqset *reqs, int flags, struct vc_resolution *r,
    struct vc_error *err)
{
	char *dir = NULL, *doc = NULL, *hash = NULL, *path = NULL;
	uint64_t ttl = vc_config_duration(cfg, VC_S_RESOLVE_TTL);
	uint64_t grace = vc_config_duration(cfg, VC_S_RESOLVE_GRACE);
	struct vc_resolution cached;
	struct vc_error cerr;
	struct vc_buf report;
	double now = vc_now();
	int have_cached, rc = -1;

	vc_resolution_init(&cached);
	vc_buf_init(&report);
	dir = vc_path_join(vc_config_str(cfg, VC_S_CACHE_DIR), "resolve");
	if (vc_mkdir_p(dir, 0755, err) == -1)
		goto out;
	doc = cache_document(cfg, in, reqs);
	hash = hash_hex(doc);
	path = xasprintf("%s/%s.json", dir, hash);
	have_cached = cache_read(path, &cached, &cerr) == 0;
	if (have_cached && !(flags & VC_RESOLVE_REFRESH) &&
	    now - cached.created < (double)ttl) {
		*r = cached;
		vc_resolution_init(&cached);
		rc = 0;
		goto out;
	}
	if (pip_resolve(cfg, in, reqs, dir, &report, err) == 0) {
		if (vc_resolution_parse_report(r, report.data, report.len,
		        "pip's report", err) == -1)
			goto out;
		r->created = now;
		if (cache_write(path, report.data, report.len, now, &cerr) ==
		    -1)
			vc_warn("cannot cache the resolution: %s", cerr.msg);
		rc = 0;
		goto out;
	}
	/* pip failed: an older resolution within the grace period will do. */
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
	vc_buf_release(&report);
	free(dir);
	free(doc);
	free(hash);
	free(path);
	return rc;
}

/* --- a project's metadata ------------------------------------------ */

int
vc_resolve_project_metadata(const struct vc_config *cfg,
    const struct vc_interp *in, const char *project_dir, struct vc_buf *report,
    struct vc_error *err)
{
	char *dir = NULL, *py = NULL, *repf = NULL, *line;
	const char *argv[16];
	struct vc_buf out;
	int n = 0, status, rc = -1;

	vc_buf_init(&out);
	dir = vc_path_join(vc_config_str(cfg, VC_S_CACHE_DIR), "resolve");
	if (vc_mkdir_p(dir, 0755, err) == -1)
		goto out;
	if ((py = scratch_python(cfg, in, dir, err)) == NULL)
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
