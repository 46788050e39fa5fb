/*
 * key.c: the cache key of an environment: a text document of "field value"
 * lines, its XXH3-128, and the key and restore keys around the hash. The
 * document's format is docs/key.md; VC_KEY_FORMAT is its version.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "venvcache/key.h"

void
vc_key_init(struct vc_key *k)
{
	memset(k, 0, sizeof *k);
	vc_strv_init(&k->restore_keys);
}

void
vc_key_release(struct vc_key *k)
{
	free(k->key);
	free(k->document);
	vc_strv_release(&k->restore_keys);
	vc_key_init(k);
}

/* One "field value" line; the value escaped as docs/key.md says. */
static void
add_field(struct vc_buf *b, const char *field, const char *value)
{
	/* NUL, control characters, '\\' and DEL need more than a copy. */
	static const unsigned char special[256] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, ['\\'] = 1, [0x7f] = 1};
	const unsigned char *p;

	vc_buf_adds(b, field);
	vc_buf_addc(b, ' ');
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		size_t run = 0;

		while (!special[p[run]])
			run++;
		if (run > 0) {
			vc_buf_add(b, p, run);
			p += run - 1;
			continue;
		}
		if (*p == '\\')
			vc_buf_adds(b, "\\\\");
		else if (*p == '\n')
			vc_buf_adds(b, "\\n");
		else if (*p == '\r')
			vc_buf_adds(b, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			vc_buf_addf(b, "\\x%02x", *p);
		else
			vc_buf_addc(b, *p);
	}
	vc_buf_addc(b, '\n');
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The lines of one field, sorted bytewise, each once. */
static void
add_fields(struct vc_buf *b, const char *field, const char **v, size_t n)
{
	size_t i;

	qsort(v, n, sizeof *v, cmp_str);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			add_field(b, field, v[i]);
}

/*
 * A key component: letters, digits and '_' kept, '.' and '-' kept unless
 * `separators`, anything else becomes '_'.
 */
static void
add_component(struct vc_buf *b, const char *s, int separators)
{
	for (; *s != '\0'; s++) {
		int ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' ||
		    (!separators && (*s == '.' || *s == '-'));

		vc_buf_addc(b, ok ? *s : '_');
	}
}

int
vc_key_valid(const char *key, struct vc_error *err)
{
	size_t n = strlen(key);

	if (n == 0)
		return vc_error_set(err, VC_EFAIL, "the key is empty");
	if (n > VC_KEY_MAX)
		return vc_error_set(err, VC_EFAIL,
		    "the key is %zu characters long, more than %d", n,
		    VC_KEY_MAX);
	if (strchr(key, ',') != NULL)
		return vc_error_set(err, VC_EFAIL,
		    "the key '%s' contains a comma", key);
	return 0;
}

int
vc_key_compute(struct vc_key *k, const struct vc_config *cfg,
    const struct vc_envdef *env, const struct vc_interp *in,
    const struct vc_reqset *reqs, const struct vc_strv *resolved,
    struct vc_error *err)
{
	const char **lines = NULL, **cons = NULL, **opts = NULL;
	size_t nlines = 0, ncons = 0, nopts = 0;
	struct vc_buf doc, key;
	XXH128_canonical_t canon;
	char num[32];
	size_t i;
	int rc = -1;

	(void)env; /* its name is the venv's path, not part of the key */
	vc_key_release(k);
	lines = xcalloc(reqs->n + (resolved != NULL ? resolved->n : 0) + 1,
	    sizeof *lines);
	cons = xcalloc(reqs->n + 1, sizeof *cons);
	opts = xcalloc(reqs->options.n + 1, sizeof *opts);
	vc_buf_init(&doc);
	vc_buf_init(&key);
	vc_buf_grow(&doc, 1024 + 128 * reqs->n);

	snprintf(num, sizeof num, "%d", VC_KEY_FORMAT);
	add_field(&doc, "format", num);
	add_field(&doc, "impl", in->impl);
	add_field(&doc, "version", in->version);
	add_field(&doc, "build", in->build);
	add_field(&doc, "soabi", in->soabi);
	add_field(&doc, "platform", in->platform);
	add_field(&doc, "libc", in->libc);
	add_field(&doc, "executable", in->executable);
	add_field(&doc, "creator", vc_config_str(cfg, VC_S_CREATOR));
	/* A venv without pip differs; only then, so other keys stay. */
	if (!vc_config_bool(cfg, VC_S_SEED))
		add_field(&doc, "seed", "no");
	if (resolved != NULL) {
		for (i = 0; i < resolved->n; i++)
			lines[nlines++] = resolved->v[i];
	} else {
		for (i = 0; i < reqs->n; i++) {
			if (reqs->reqs[i].constraint)
				cons[ncons++] = reqs->reqs[i].canonical;
			else
				lines[nlines++] = reqs->reqs[i].canonical;
		}
	}
	for (i = 0; i < reqs->options.n; i++)
		opts[nopts++] = reqs->options.v[i];
	add_fields(&doc, resolved != NULL ? "resolved" : "requirement", lines,
	    nlines);
	add_fields(&doc, "constraint", cons, ncons);
	add_fields(&doc, "option", opts, nopts);

	XXH128_canonicalFromHash(&canon, XXH3_128bits(doc.data, doc.len));
	for (i = 0; i < sizeof canon.digest; i++)
		snprintf(k->hash + 2 * i, 3, "%02x", canon.digest[i]);

	/* The env's name is the venv's path, not what is cached: identical
	 * sets share one entry whatever their names. */
	vc_buf_adds(&key, vc_config_str(cfg, VC_S_KEY_PREFIX));
	vc_buf_addc(&key, '-');
	add_component(&key, in->impl_tag, 1);
	vc_buf_addf(&key, "%d%d-", in->major, in->minor);
	add_component(&key, in->platform, 1);
	vc_buf_addc(&key, '-');
	/* The one restore key: never another interpreter's entries. */
	vc_strv_push(&k->restore_keys, key.data);
	vc_buf_adds(&key, k->hash);
	if (vc_key_valid(key.data, err) == -1)
		goto out;
	k->key = vc_buf_detach(&key);
	k->document = vc_buf_detach(&doc);
	rc = 0;
out:
	if (rc == -1) {
		vc_strv_release(&k->restore_keys);
		k->hash[0] = '\0';
	}
	free(lines);
	free(cons);
	free(opts);
	vc_buf_release(&doc);
	vc_buf_release(&key);
	return rc;
}

/* `file` relative to `basedir`, shown relative to the cwd when under it. */
static char *
env_path(const struct vc_envdef *env, const char *file)
{
	char cwd[PATH_MAX], *p;
	size_t n;

	p = env->basedir != NULL ? vc_path_join(env->basedir, file)
	                         : xstrdup(file);
	if (getcwd(cwd, sizeof cwd) != NULL && (n = strlen(cwd)) > 1 &&
	    strncmp(p, cwd, n) == 0 && p[n] == '/') {
		char *rel = xstrdup(p + n + 1);

		free(p);
		p = rel;
	}
	return p;
}

/* A file a config's key names that cannot be read: an error at that line. */
static int
missing_file(const struct vc_envdef *env, const char *key, unsigned line,
    const char *path, struct vc_error *err)
{
	if (env->file == NULL || line == 0 || access(path, R_OK) == 0)
		return 0;
	return vc_error_sys(err, "%s:%u: [env %s] %s: cannot read '%s'",
	    env->file, line, env->name, key, path);
}

int
vc_key_load_requirements(struct vc_reqset *set, const struct vc_envdef *env,
    struct vc_error *err)
{
	struct vc_buf text;
	size_t i;
	int rc = -1;

	vc_buf_init(&text);
	for (i = 0; i < env->requirements.n; i++) {
		char *p = env_path(env, env->requirements.v[i]);

		rc = missing_file(env, "requirements", env->requirements_line,
		    p, err);
		if (rc == 0)
			rc = vc_reqset_add_file(set, p, 0, err);
		free(p);
		if (rc == -1)
			goto out;
	}
	if (env->deps.n > 0) {
		for (i = 0; i < env->deps.n; i++) {
			vc_buf_adds(&text, env->deps.v[i]);
			vc_buf_addc(&text, '\n');
		}
		rc = vc_reqset_add_text(set, text.data,
		    env->file != NULL ? env->file : "deps", env->deps_lines,
		    env->basedir != NULL ? env->basedir : ".", 0, err);
		if (rc == -1)
			goto out;
	}
	for (i = 0; i < env->constraints.n; i++) {
		char *p = env_path(env, env->constraints.v[i]);

		rc = missing_file(env, "constraints", env->constraints_line, p,
		    err);
		if (rc == 0)
			rc = vc_reqset_add_file(set, p, 1, err);
		free(p);
		if (rc == -1)
			goto out;
	}
	rc = 0;
out:
	vc_buf_release(&text);
	return rc;
}
