/* gha.c: GitHub Actions output files, workflow commands and cache keys. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "venvcache/gha.h"
#include "venvcache/key.h"
#include "venvcache/mirror.h"

/* Attempts at a delimiter absent from the value before giving up. */
#define DELIM_TRIES 16

static void (*random_fill)(unsigned char *, size_t) = NULL;

int
vc_gha_active(void)
{
	const char *v = getenv("GITHUB_ACTIONS");

	return v != NULL && strcmp(v, "true") == 0;
}

void
vc_gha_set_random(void (*fill)(unsigned char *, size_t))
{
	random_fill = fill;
}

static void
fill_random(unsigned char *p, size_t n)
{
	size_t got = 0;

	if (random_fill != NULL) {
		random_fill(p, n);
		return;
	}
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	if (got < n) {
		/* No entropy source: still unique enough against a value,
		 * which is all a delimiter needs. */
		unsigned long x = (unsigned long)getpid() ^
		    (unsigned long)(vc_monotonic() * 1e9);

		for (; got < n; got++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			p[got] = (unsigned char)(x >> 33);
		}
	}
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
name_valid(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0')
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int
format_output(struct vc_buf *out, const char *name, const char *value,
    int multi, struct vc_error *err)
{
	unsigned char rnd[16];
	char delim[64];
	int i;

	if (!name_valid(name))
		return vc_error_set(err, VC_EFAIL,
		    "invalid output name '%s': GitHub Actions output names "
		    "here are letters, digits, '_' and '-'",
		    name != NULL ? name : "");
	if (value == NULL)
		value = "";
	if (!multi && strchr(value, '\n') == NULL &&
	    strchr(value, '\r') == NULL) {
		vc_buf_addf(out, "%s=%s\n", name, value);
		return 0;
	}
	for (i = 0; i < DELIM_TRIES; i++) {
		fill_random(rnd, sizeof rnd);
		memcpy(delim, "VENVCACHE_EOF_", 14);
		hex(rnd, sizeof rnd, delim + 14);
		if (strstr(value, delim) == NULL)
			break;
	}
	if (i == DELIM_TRIES)
		return vc_error_set(err, VC_EFAIL,
		    "cannot find a delimiter for output '%s' that its value "
		    "does not contain",
		    name);
	vc_buf_addf(out, "%s<<%s\n%s\n%s\n", name, delim, value, delim);
	return 0;
}

int
vc_gha_format_output(struct vc_buf *out, const char *name, const char *value,
    struct vc_error *err)
{
	return format_output(out, name, value, 0, err);
}

int
vc_gha_format_output_lines(struct vc_buf *out, const char *name,
    const char *value, struct vc_error *err)
{
	return format_output(out, name, value, 1, err);
}

static int
append_to(const char *var, const char *text, size_t len, struct vc_error *err)
{
	const char *path = getenv(var);
	int fd;

	if (path == NULL || *path == '\0')
		return vc_error_set(err, VC_EFAIL,
		    "$%s is not set: is this a GitHub Actions step?", var);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1)
		return vc_error_sys(err, "cannot open '%s' ($%s)", path, var);
	while (len > 0) {
		ssize_t w = write(fd, text, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			vc_error_sys(err, "cannot write to '%s' ($%s)", path,
			    var);
			close(fd);
			return -1;
		}
		text += w;
		len -= (size_t)w;
	}
	if (close(fd) == -1)
		return vc_error_sys(err, "cannot write to '%s' ($%s)", path,
		    var);
	return 0;
}

int
vc_gha_write_outputs(const char *text, size_t len, struct vc_error *err)
{
	return append_to("GITHUB_OUTPUT", text, len, err);
}

int
vc_gha_output(const char *name, const char *value, struct vc_error *err)
{
	struct vc_buf b;
	int rc;

	vc_buf_init(&b);
	rc = vc_gha_format_output(&b, name, value, err);
	if (rc == 0)
		rc = vc_gha_write_outputs(b.data, b.len, err);
	vc_buf_release(&b);
	return rc;
}

static char *
escape(const char *s, int property)
{
	struct vc_buf b;

	vc_buf_init(&b);
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '%':
			vc_buf_adds(&b, "%25");
			break;
		case '\r':
			vc_buf_adds(&b, "%0D");
			break;
		case '\n':
			vc_buf_adds(&b, "%0A");
			break;
		case ':':
			vc_buf_adds(&b, property ? "%3A" : ":");
			break;
		case ',':
			vc_buf_adds(&b, property ? "%2C" : ",");
			break;
		default:
			vc_buf_addc(&b, *s);
			break;
		}
	}
	return vc_buf_detach(&b);
}

char *
vc_gha_escape_data(const char *s)
{
	return escape(s, 0);
}

char *
vc_gha_escape_property(const char *s)
{
	return escape(s, 1);
}

/* Writes one workflow command line in a single fputs, then flushes. */
static void
command(FILE *f, const char *name, const char *props, const char *data)
{
	char *d = vc_gha_escape_data(data);
	char *line = xasprintf("::%s%s%s::%s\n", name,
	    props != NULL && *props != '\0' ? " " : "",
	    props != NULL ? props : "", d);

	fputs(line, f);
	fflush(f);
	free(line);
	free(d);
}

void
vc_gha_mask(FILE *f, const char *secret)
{
	const char *p;

	if (secret == NULL)
		return;
	for (p = secret; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
	     p++)
		;
	if (*p == '\0')
		return; /* the runner refuses to mask a blank value */
	command(f, "add-mask", NULL, secret);
}

void
vc_gha_group(FILE *f, const char *title)
{
	command(f, "group", NULL, title != NULL ? title : "");
}

void
vc_gha_endgroup(FILE *f)
{
	command(f, "endgroup", NULL, "");
}

void
vc_gha_annotate(FILE *f, const char *kind, const char *file, unsigned line,
    const char *title, const char *msg)
{
	struct vc_buf props;
	char *e;

	vc_buf_init(&props);
	if (file != NULL && *file != '\0') {
		e = vc_gha_escape_property(file);
		vc_buf_addf(&props, "file=%s", e);
		free(e);
	}
	if (line > 0)
		vc_buf_addf(&props, "%sline=%u", props.len > 0 ? "," : "",
		    line);
	if (title != NULL && *title != '\0') {
		e = vc_gha_escape_property(title);
		vc_buf_addf(&props, "%stitle=%s", props.len > 0 ? "," : "", e);
		free(e);
	}
	command(f, kind, props.data, msg != NULL ? msg : "");
	vc_buf_release(&props);
}

void
vc_gha_error(FILE *f, const char *file, unsigned line, const char *msg)
{
	vc_gha_annotate(f, "error", file, line, NULL, msg);
}

void
vc_gha_warning(FILE *f, const char *msg)
{
	vc_gha_annotate(f, "warning", NULL, 0, NULL, msg);
}

void
vc_gha_mask_config(FILE *f, const struct vc_config *cfg)
{
	struct vc_strv secrets;
	size_t i;

	vc_strv_init(&secrets);
	vc_mirror_secrets(cfg, &secrets);
	for (i = 0; i < secrets.n; i++)
		vc_gha_mask(f, secrets.v[i]);
	vc_strv_release(&secrets);
}

void
vc_gha_report_error(FILE *f, const char *cmd, const struct vc_error *err)
{
	const char *rel = err->file;
	char cwd[4096];
	char *file = NULL, *msg;

	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (rel[0] != '\0' && rel[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
		file = vc_path_join(cwd, rel);
	msg = cmd != NULL ? xasprintf("venvcache: %s: %s", cmd, err->msg)
	                  : xasprintf("venvcache: %s", err->msg);
	vc_gha_error(f, file != NULL ? file : err->file, err->line, msg);
	free(msg);
	free(file);
}

/* The longest prefix of `s` (at most `max` bytes) that ends a line, or,
 * without a newline in it, that does not split a UTF-8 sequence. */
static size_t
cut_point(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	for (n = max; n > 0; n--)
		if (s[n - 1] == '\n')
			return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int
vc_gha_summary_append(const char *path, const char *md, size_t limit,
    struct vc_error *err)
{
	static const char note[] =
	    "\n> venvcache: the rest of this summary was left out: GitHub "
	    "drops a step summary larger than 1 MiB.\n";
	size_t len = strlen(md), room, n;
	struct vc_buf b;
	struct stat st;
	int fd, rc = -1, cut = 0;
	ssize_t w;
	size_t off;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1)
		return vc_error_sys(err, "cannot open step summary '%s'", path);
	vc_buf_init(&b);
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			vc_error_sys(err, "cannot lock step summary '%s'",
			    path);
			goto out;
		}
	}
	if (fstat(fd, &st) == -1) {
		vc_error_sys(err, "cannot stat step summary '%s'", path);
		goto out;
	}
	room = (uint64_t)st.st_size >= limit ? 0 : limit - (size_t)st.st_size;
	if (len <= room) {
		vc_buf_add(&b, md, len);
	} else {
		cut = 1;
		/* The note, after a line break of its own if need be. */
		if (room >= sizeof note) {
			n = cut_point(md, len, room - sizeof note);
			vc_buf_add(&b, md, n);
			if (n > 0 && md[n - 1] != '\n')
				vc_buf_addc(&b, '\n');
			vc_buf_add(&b, note, sizeof note - 1);
		}
	}
	for (off = 0; off < b.len;) {
		w = write(fd, b.data + off, b.len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			vc_error_sys(err, "cannot write step summary '%s'",
			    path);
			goto out;
		}
		off += (size_t)w;
	}
	rc = cut;
out:
	vc_buf_release(&b);
	if (close(fd) == -1 && rc >= 0)
		rc = vc_error_sys(err, "cannot write step summary '%s'", path);
	return rc;
}

int
vc_gha_summary(const char *md, struct vc_error *err)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");

	if (path == NULL || *path == '\0')
		return vc_error_set(err, VC_EFAIL,
		    "$GITHUB_STEP_SUMMARY is not set: is this a GitHub "
		    "Actions step?");
	return vc_gha_summary_append(path, md, VC_GHA_SUMMARY_MAX, err);
}

/* Table cell text: no line breaks, '|' and '\' escaped, HTML kept inert. */
static void
add_cell(struct vc_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '|':
		case '\\':
		case '`':
		case '*':
		case '_':
			vc_buf_addc(b, '\\');
			vc_buf_addc(b, *s);
			break;
		case '<':
			vc_buf_adds(b, "&lt;");
			break;
		case '&':
			vc_buf_adds(b, "&amp;");
			break;
		case '\n':
		case '\r':
			vc_buf_addc(b, ' ');
			break;
		default:
			vc_buf_addc(b, *s);
			break;
		}
	}
}

static const char *
outcome_text(enum vc_gha_outcome o)
{
	switch (o) {
	case VC_GHA_READY:
		return "ready";
	case VC_GHA_HIT:
		return "hit";
	case VC_GHA_PARTIAL:
		return "partial hit";
	case VC_GHA_CREATED:
		return "miss, created";
	case VC_GHA_FAILED:
		return "failed";
	case VC_GHA_SKIPPED:
		return "skipped, no interpreter";
	}
	return "?";
}

char *
vc_gha_summary_table(const struct vc_gha_row *rows, size_t n)
{
	struct vc_buf b;
	char sz[32];
	double secs = 0, saved = 0;
	uint64_t size = 0;
	unsigned hits = 0;
	size_t i;

	vc_buf_init(&b);
	vc_buf_adds(&b,
	    "### venvcache\n\n"
	    "| env | result | seconds | size | seconds saved |\n"
	    "| :-- | :-- | --: | --: | --: |\n");
	for (i = 0; i < n; i++) {
		const struct vc_gha_row *r = &rows[i];

		vc_buf_adds(&b, "| ");
		add_cell(&b, r->env);
		/* A venv already there was not measured: no size. */
		vc_buf_addf(&b, " | %s | %.1f | %s | %.1f |\n",
		    outcome_text(r->outcome), r->seconds,
		    r->size == 0 &&
		            (r->outcome == VC_GHA_READY ||
		                r->outcome == VC_GHA_FAILED ||
		                r->outcome == VC_GHA_SKIPPED)
		        ? "–"
		        : vc_format_size(r->size, sz, sizeof sz),
		    r->seconds_saved);
		secs += r->seconds;
		saved += r->seconds_saved;
		size += r->size;
		if (r->outcome == VC_GHA_READY || r->outcome == VC_GHA_HIT)
			hits++;
	}
	vc_buf_addf(&b,
	    "| **total: %zu** | %u of %zu ready or hit | %.1f | %s "
	    "| %.1f |\n",
	    n, hits, n, secs, vc_format_size(size, sz, sizeof sz), saved);
	return vc_buf_detach(&b);
}

void
vc_gha_cache_version_ex(const char *const *paths, size_t n,
    const char *compression, int windows_only, char out[65])
{
	struct sha256_ctx ctx;
	unsigned char digest[SHA256_DIGEST_SIZE];
	size_t i;

	sha256_init(&ctx);
	for (i = 0; i < n; i++) {
		sha256_update(&ctx, strlen(paths[i]),
		    (const uint8_t *)paths[i]);
		sha256_update(&ctx, 1, (const uint8_t *)"|");
	}
	if (compression != NULL) {
		sha256_update(&ctx, strlen(compression),
		    (const uint8_t *)compression);
		sha256_update(&ctx, 1, (const uint8_t *)"|");
	}
	if (windows_only)
		sha256_update(&ctx, 13, (const uint8_t *)"windows-only|");
	sha256_update(&ctx, 3, (const uint8_t *)"1.0");
	sha256_digest(&ctx, sizeof digest, digest);
	hex(digest, sizeof digest, out);
}

void
vc_gha_cache_version(const char *const *paths, size_t n, char out[65])
{
	vc_gha_cache_version_ex(paths, n, "zstd-without-long", 0, out);
}

void
vc_gha_split_input(const char *input, struct vc_strv *out)
{
	const char *p = input, *end, *s;

	while (p != NULL && *p != '\0') {
		const char *e;

		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		s = p;
		e = end;
		/* JavaScript's trim(): ASCII whitespace is what matters here */
		while (s < e &&
		    (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' ||
		        *s == '\v'))
			s++;
		while (e > s &&
		    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
		        e[-1] == '\f' || e[-1] == '\v'))
			e--;
		if (e > s && *s == '!' && s + 1 < e &&
		    (s[1] == ' ' || s[1] == '\t')) {
			const char *q = s + 1;

			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			vc_strv_take(out, xasprintf("!%.*s", (int)(e - q), q));
		} else if (e > s) {
			vc_strv_take(out, xstrndup(s, (size_t)(e - s)));
		}
		p = *end == '\n' ? end + 1 : end;
	}
}

void
vc_gha_keys_init(struct vc_gha_keys *k)
{
	k->key = NULL;
	vc_strv_init(&k->restore_keys);
}

void
vc_gha_keys_release(struct vc_gha_keys *k)
{
	free(k->key);
	k->key = NULL;
	vc_strv_release(&k->restore_keys);
}

/* Length of a key without its final "<32 hex>", or all of it. */
static size_t
key_stem(const char *key)
{
	size_t len = strlen(key), i;

	if (len < 33 || key[len - 33] != '-')
		return len;
	for (i = len - 32; i < len; i++)
		if (!((key[i] >= '0' && key[i] <= '9') ||
		        (key[i] >= 'a' && key[i] <= 'f')))
			return len;
	return len - 32;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sha256 of the sorted lines of `v`, each ended by '\n', as hex. */
static void
hash_sorted(struct vc_strv *v, char out[65])
{
	struct sha256_ctx ctx;
	unsigned char digest[SHA256_DIGEST_SIZE];
	size_t i;

	qsort(v->v, v->n, sizeof *v->v, cmp_str);
	sha256_init(&ctx);
	for (i = 0; i < v->n; i++) {
		sha256_update(&ctx, strlen(v->v[i]), (const uint8_t *)v->v[i]);
		sha256_update(&ctx, 1, (const uint8_t *)"\n");
	}
	sha256_digest(&ctx, sizeof digest, digest);
	hex(digest, sizeof digest, out);
}

int
vc_gha_keys_build(struct vc_gha_keys *k, const char *prefix,
    const char *const *names, const char *const *keys,
    const struct vc_strv *const *restore_keys, size_t n, struct vc_error *err)
{
	struct vc_strv stems, full;
	char hs[65], hf[65];
	size_t i;
	int rc = -1;

	vc_gha_keys_release(k);
	vc_strv_init(&stems);
	vc_strv_init(&full);
	if (n == 0) {
		vc_error_set(err, VC_EFAIL, "no environment to make a key of");
		goto out;
	}
	if (n == 1) {
		k->key = xstrdup(keys[0]);
		for (i = 0; restore_keys != NULL && restore_keys[0] != NULL &&
		     i < restore_keys[0]->n && i < VC_GHA_MAX_KEYS - 1;
		     i++)
			vc_strv_push(&k->restore_keys, restore_keys[0]->v[i]);
	} else {
		for (i = 0; i < n; i++) {
			vc_strv_take(&stems,
			    xasprintf("%s %.*s", names != NULL ? names[i] : "",
			        (int)key_stem(keys[i]), keys[i]));
			vc_strv_push(&full, keys[i]);
		}
		hash_sorted(&stems, hs);
		hash_sorted(&full, hf);
		k->key = xasprintf("%s-envs%zu-%.16s-%.32s", prefix, n, hs, hf);
		vc_strv_take(&k->restore_keys,
		    xasprintf("%s-envs%zu-%.16s-", prefix, n, hs));
	}
	if (vc_key_valid(k->key, err) == -1)
		goto out;
	for (i = 0; i < k->restore_keys.n; i++)
		if (vc_key_valid(k->restore_keys.v[i], err) == -1)
			goto out;
	rc = 0;
out:
	vc_strv_release(&stems);
	vc_strv_release(&full);
	if (rc == -1)
		vc_gha_keys_release(k);
	return rc;
}

/* Joins the strings with '\n'. Caller frees. */
static char *
join_lines(const char *const *v, size_t n)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	for (i = 0; i < n; i++)
		vc_buf_addf(&b, "%s%s", i > 0 ? "\n" : "", v[i]);
	return vc_buf_detach(&b);
}

int
vc_gha_key_outputs(const char *prefix, const char *cache_dir,
    const char *const *names, const char *const *keys,
    const struct vc_strv *const *restore_keys, const char *const *paths,
    size_t n, struct vc_error *err)
{
	struct vc_gha_keys k;
	struct vc_strv rks;
	struct vc_buf b;
	char cwd[4096], version[65];
	char *dir = NULL, *rk = NULL, *p = NULL, *cpath = NULL;
	const char *dirs[1];
	size_t i;
	int rc = -1;

	vc_gha_keys_init(&k);
	vc_strv_init(&rks);
	vc_buf_init(&b);
	if (vc_gha_keys_build(&k, prefix, names, keys, restore_keys, n, err) ==
	    -1)
		goto out;
	/* First the stores saved under this key (vc_gha_save_key). */
	vc_strv_init(&rks);
	vc_strv_take(&rks, xasprintf("%s-", k.key));
	for (i = 0; i < k.restore_keys.n && rks.n < VC_GHA_MAX_KEYS - 1; i++)
		vc_strv_push(&rks, k.restore_keys.v[i]);
	if (cache_dir[0] == '/')
		dir = xstrdup(cache_dir);
	else if (getcwd(cwd, sizeof cwd) != NULL)
		dir = vc_path_join(cwd, cache_dir);
	else {
		vc_error_sys(err, "cannot get the current directory");
		goto out;
	}
	if ((cpath = vc_gha_cache_path(dir)) == NULL) {
		vc_error_set(err, VC_EFAIL,
		    "cache-dir '%s' holds a line break: actions/cache's path "
		    "input cannot name it",
		    dir);
		goto out;
	}
	dirs[0] = cpath;
	vc_gha_cache_version(dirs, 1, version);
	rk = join_lines((const char *const *)rks.v, rks.n);
	p = join_lines(paths, n);
	if (vc_key_valid(rks.v[0], err) == -1 ||
	    vc_gha_format_output(&b, "key", k.key, err) == -1 ||
	    vc_gha_format_output_lines(&b, "restore-keys", rk, err) == -1 ||
	    vc_gha_format_output(&b, "path", p, err) == -1 ||
	    vc_gha_format_output(&b, "cache-dir", dir, err) == -1 ||
	    vc_gha_format_output(&b, "cache-path", cpath, err) == -1 ||
	    vc_gha_format_output(&b, "cache-version", version, err) == -1)
		goto out;
	rc = vc_gha_write_outputs(b.data, b.len, err);
out:
	vc_gha_keys_release(&k);
	vc_strv_release(&rks);
	vc_buf_release(&b);
	free(dir);
	free(cpath);
	free(rk);
	free(p);
	return rc;
}

/*
 * `dir` below the absolute directory `base` (its trailing '/'s ignored):
 * the rest after the '/', else NULL.
 */
static const char *
below(const char *dir, const char *base)
{
	size_t n;

	if (base == NULL || base[0] != '/')
		return NULL;
	n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		n--;
	if (n == 1) /* "/" */
		return NULL;
	if (strncmp(dir, base, n) != 0 || dir[n] != '/' || dir[n + 1] == '\0')
		return NULL;
	return dir + n + 1;
}

/*
 * The length of the character at `s` when String.prototype.trim() drops
 * it (ECMAScript WhiteSpace and LineTerminator), in UTF-8, else 0.
 */
static size_t
js_space_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
		return 1;
	if (u[0] == 0xc2 && u[1] == 0xa0) /* U+00A0 */
		return 2;
	if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) /* U+1680 */
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return 3; /* U+2000-200A, U+2028, U+2029, U+202F */
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) /* U+205F */
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) /* U+3000 */
		return 3;
	if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) /* U+FEFF */
		return 3;
	return 0;
}

/*
 * Appends `s` to `b` as a pattern of @actions/glob (Linux and macOS) that
 * matches exactly `s`: '*', '?' and '[' as "[*]", "[?]", "[[]", '\' as
 * "\\"; when `s` starts the pattern, a leading '!' (negation), '#' (a
 * comment line) or '~' segment (HOME) backslash-escaped and leading
 * spaces as "[ ]"; trailing spaces as "[ ]" (each path line is trimmed).
 */
static void
glob_escape(struct vc_buf *b, const char *s, int at_start)
{
	size_t i, n = strlen(s), l, core_from = n, core_to = 0;

	for (i = 0; i < n; i += l)
		if ((l = js_space_len(s + i)) == 0) {
			if (core_from == n)
				core_from = i;
			l = 1;
			core_to = i + 1;
		}
	if (!at_start)
		core_from = 0;
	if (at_start &&
	    (s[0] == '!' || s[0] == '#' ||
	        (s[0] == '~' && (s[1] == '/' || s[1] == '\0'))))
		vc_buf_addc(b, '\\');
	for (i = 0; i < n; i += l) {
		l = js_space_len(s + i);
		if (l > 0 && (i < core_from || i >= core_to)) {
			vc_buf_addc(b, '[');
			vc_buf_add(b, s + i, l);
			vc_buf_addc(b, ']');
			continue;
		}
		l = l > 0 ? l : 1;
		switch (s[i]) {
		case '*':
		case '?':
		case '[':
			vc_buf_addc(b, '[');
			vc_buf_addc(b, s[i]);
			vc_buf_addc(b, ']');
			break;
		case '\\':
			vc_buf_add(b, "\\\\", 2);
			break;
		default:
			vc_buf_add(b, s + i, l);
		}
	}
}

char *
vc_gha_cache_path(const char *dir)
{
	struct vc_buf b;
	const char *rest;

	if (strchr(dir, '\n') != NULL)
		return NULL; /* actions/cache reads one path a line */
	vc_buf_init(&b);
	if ((rest = below(dir, getenv("GITHUB_WORKSPACE"))) != NULL) {
		glob_escape(&b, rest, 1);
	} else if ((rest = below(dir, getenv("HOME"))) != NULL) {
		vc_buf_add(&b, "~/", 2);
		glob_escape(&b, rest, 0);
	} else {
		glob_escape(&b, dir, 1);
	}
	vc_buf_addc(&b, '\0');
	return vc_buf_detach(&b);
}

int
vc_gha_save_key(const char *key, const char *const *entry_keys, size_t n,
    char **out, struct vc_error *err)
{
	struct vc_strv v;
	char h[65];
	char *s;
	size_t i;

	*out = NULL;
	vc_strv_init(&v);
	for (i = 0; i < n; i++)
		vc_strv_push(&v, entry_keys[i]);
	vc_strv_sort_uniq(&v);
	hash_sorted(&v, h);
	vc_strv_release(&v);
	s = xasprintf("%s-%.32s", key, h);
	if (vc_key_valid(s, err) == -1) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int
vc_gha_warm_outputs(const char *key_prefix, const char *const *names,
    const char *const *offline_keys, const char *const *entry_keys, size_t n,
    size_t hits, size_t created, int complete, struct vc_error *err)
{
	struct vc_gha_keys k;
	struct vc_buf b;
	char *save = NULL, num[32];
	int rc = -1;

	vc_gha_keys_init(&k);
	vc_buf_init(&b);
	if (complete) {
		if (vc_gha_keys_build(&k, key_prefix, names, offline_keys, NULL,
		        n, err) == -1 ||
		    vc_gha_save_key(k.key, entry_keys, n, &save, err) == -1)
			goto out;
	}
	snprintf(num, sizeof num, "%zu", hits);
	if (vc_gha_format_output(&b, "hits", num, err) == -1)
		goto out;
	snprintf(num, sizeof num, "%zu", created);
	if (vc_gha_format_output(&b, "created", num, err) == -1)
		goto out;
	snprintf(num, sizeof num, "%zu", n);
	if (vc_gha_format_output(&b, "envs", num, err) == -1 ||
	    vc_gha_format_output(&b, "save-key", save != NULL ? save : "",
	        err) == -1)
		goto out;
	rc = vc_gha_write_outputs(b.data, b.len, err);
out:
	vc_gha_keys_release(&k);
	vc_buf_release(&b);
	free(save);
	return rc;
}
