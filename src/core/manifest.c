/*
 * manifest.c: the JSON manifest of a store entry.
 *
 * A manifest may come from a cache restored from anywhere, so parsing is
 * strict: jansson's decoder (duplicate keys refused, no NUL), every field
 * required and type-checked, no unknown field, and the values checked as
 * a restore will use them: the key names files, prefix_files are paths
 * that relocation rewrites, strings are printed by `list`.
 */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/store.h"

/* Longest string field other than the key and paths. */
#define TEXT_MAX 8192

static const char *const fields[] = {
    "format",
    "key",
    "env",
    "python",
    "python_version",
    "prefix",
    "unpacked_size",
    "file_count",
    "archive_size",
    "checksum",
    "create_seconds",
    "created",
    "prefix_files",
    "requirements",
    "frames",
    "installer",
    "seed",
};

void
vc_manifest_init(struct vc_manifest *m)
{
	memset(m, 0, sizeof *m);
	vc_strv_init(&m->prefix_files);
	vc_strv_init(&m->requirements);
}

void
vc_manifest_release(struct vc_manifest *m)
{
	free(m->key);
	free(m->env);
	free(m->python);
	free(m->python_version);
	free(m->installer);
	free(m->prefix);
	vc_strv_release(&m->prefix_files);
	vc_strv_release(&m->requirements);
	free(m->frames);
	vc_manifest_init(m);
}

int
vc_store_key_check(const char *key, struct vc_error *err)
{
	size_t i, n = strlen(key);

	if (n == 0)
		return vc_error_set(err, VC_EFAIL, "empty key");
	if (n > VC_STORE_KEY_MAX)
		return vc_error_set(err, VC_EFAIL,
		    "key of %zu characters is longer than %d", n,
		    VC_STORE_KEY_MAX);
	if (key[0] == '.')
		return vc_error_set(err, VC_EFAIL,
		    "key '%.64s' starts with '.'", key);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '+' || c == '-')
			continue;
		return vc_error_set(err, VC_EFAIL,
		    "key has a character that cannot be in a file name "
		    "(byte %zu is 0x%02x)",
		    i, c);
	}
	return 0;
}

/* A printable string: no ASCII control character, at most `max` bytes. */
static int
check_text(const char *name, const char *field, const char *s, size_t max,
    int nonempty, struct vc_error *err)
{
	size_t i;

	if (s == NULL)
		return vc_error_set(err, VC_EFAIL, "%s: field '%s' is missing",
		    name, field);
	if (nonempty && *s == '\0')
		return vc_error_set(err, VC_EFAIL, "%s: field '%s' is empty",
		    name, field);
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= max)
			return vc_error_set(err, VC_EFAIL,
			    "%s: field '%s' is longer than %zu bytes", name,
			    field, max);
		if (c < 0x20 || c == 0x7f)
			return vc_error_set(err, VC_EFAIL,
			    "%s: field '%s' holds a control character", name,
			    field);
	}
	return 0;
}

/*
 * Whether the components of `p` (separated by '/', from its start) are all
 * non-empty and neither "." nor "..".
 */
static int
plain_components(const char *p)
{
	const char *slash;
	size_t n;

	for (;;) {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}

/* A relative path without empty, "." or ".." components. */
static int
check_relpath(const char *name, const char *s, struct vc_error *err)
{
	if (check_text(name, "prefix_files", s, PATH_MAX, 1, err) == -1)
		return -1;
	if (*s == '/')
		return vc_error_set(err, VC_EFAIL,
		    "%s: prefix_files: '%s' is not a relative path", name, s);
	if (!plain_components(s))
		return vc_error_set(err, VC_EFAIL,
		    "%s: prefix_files: '%s' has an empty, '.' or '..' "
		    "component",
		    name, s);
	return 0;
}

/*
 * What a venv's path can be: absolute, without empty, "." or ".."
 * components, not "/" and not ending in '/'. Its text is rewritten in
 * files on a restore: "/" would rewrite every slash of them.
 */
static int
check_venv_path(const char *name, const char *s, struct vc_error *err)
{
	if (!plain_components(s + 1))
		return vc_error_set(err, VC_EFAIL,
		    "%s: field 'prefix': '%s' cannot be the path of a venv "
		    "(an empty, '.' or '..' component)",
		    name, s);
	return 0;
}

#define I64_MAX ((uint64_t)INT64_MAX)

int
vc_manifest_validate(const struct vc_manifest *m, const char *name,
    struct vc_error *err)
{
	struct vc_error e2;
	uint64_t off;
	size_t i;

	if (m->format != VC_MANIFEST_FORMAT)
		return vc_error_set(err, VC_EFAIL,
		    "%s: manifest format %d is not supported (this venvcache "
		    "reads format %d)",
		    name, m->format, VC_MANIFEST_FORMAT);
	if (m->key == NULL)
		return vc_error_set(err, VC_EFAIL, "%s: field 'key' is missing",
		    name);
	vc_error_clear(&e2);
	if (vc_store_key_check(m->key, &e2) == -1)
		return vc_error_set(err, VC_EFAIL, "%s: field 'key': %s", name,
		    e2.msg);
	if (check_text(name, "env", m->env, 256, 1, err) == -1 ||
	    check_text(name, "python", m->python, PATH_MAX, 0, err) == -1 ||
	    check_text(name, "python_version", m->python_version, 256, 0,
	        err) == -1 ||
	    check_text(name, "prefix", m->prefix, PATH_MAX, 1, err) == -1)
		return -1;
	if (m->installer != NULL && strcmp(m->installer, "uv") != 0 &&
	    strcmp(m->installer, "pip") != 0)
		return vc_error_set(err, VC_EFAIL,
		    "%s: field 'installer' is neither 'uv' nor 'pip'", name);
	if (m->prefix[0] != '/')
		return vc_error_set(err, VC_EFAIL,
		    "%s: field 'prefix' is not an absolute path", name);
	if (check_venv_path(name, m->prefix, err) == -1)
		return -1;
	if (m->unpacked_size > I64_MAX || m->file_count > I64_MAX ||
	    m->archive_size > I64_MAX)
		return vc_error_set(err, VC_EFAIL, "%s: a size is too large",
		    name);
	for (i = 0; i < 32; i++) {
		char c = m->checksum[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			break;
	}
	if (i != 32 || m->checksum[32] != '\0')
		return vc_error_set(err, VC_EFAIL,
		    "%s: field 'checksum' is not 32 lowercase hex digits",
		    name);
	if (!isfinite(m->create_seconds) || m->create_seconds < 0 ||
	    m->create_seconds > 1e9)
		return vc_error_set(err, VC_EFAIL,
		    "%s: field 'create_seconds' is out of range", name);
	if (m->created < 0)
		return vc_error_set(err, VC_EFAIL,
		    "%s: field 'created' is negative", name);
	for (i = 0; i < m->prefix_files.n; i++)
		if (check_relpath(name, m->prefix_files.v[i], err) == -1)
			return -1;
	for (i = 0; i < m->requirements.n; i++)
		if (check_text(name, "requirements", m->requirements.v[i],
		        TEXT_MAX, 1, err) == -1)
			return -1;
	for (i = 0, off = 0; i < m->nframes; i++) {
		const struct vc_frame *f = &m->frames[i];

		if (f->offset != off || f->csize == 0 || f->csize > I64_MAX ||
		    f->usize > I64_MAX || f->csize > m->archive_size - off)
			return vc_error_set(err, VC_EFAIL,
			    "%s: frame %zu does not follow the one before it "
			    "inside the archive",
			    name, i);
		off += f->csize;
	}
	if (m->nframes > 0 && off != m->archive_size)
		return vc_error_set(err, VC_EFAIL,
		    "%s: frames cover %llu bytes, the archive has %llu", name,
		    (unsigned long long)off,
		    (unsigned long long)m->archive_size);
	return 0;
}

/* --- parsing ------------------------------------------------------- */

static int
type_error(const char *name, const char *field, const char *want,
    struct vc_error *err)
{
	return vc_error_set(err, VC_EFAIL, "%s: field '%s' is not %s", name,
	    field, want);
}

static json_t *
need(json_t *obj, const char *name, const char *field, struct vc_error *err)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL)
		vc_error_set(err, VC_EFAIL, "%s: field '%s' is missing", name,
		    field);
	return v;
}

/* A string without NUL; *out is a copy. */
static int
get_str(json_t *obj, const char *name, const char *field, char **out,
    struct vc_error *err)
{
	json_t *v = need(obj, name, field, err);

	if (v == NULL)
		return -1;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return type_error(name, field, "a string", err);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int
int_value(json_t *v, const char *name, const char *field, uint64_t *out,
    struct vc_error *err)
{
	if (!json_is_integer(v))
		return type_error(name, field, "an integer", err);
	if (json_integer_value(v) < 0)
		return vc_error_set(err, VC_EFAIL, "%s: field '%s' is negative",
		    name, field);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_u64(json_t *obj, const char *name, const char *field, uint64_t *out,
    struct vc_error *err)
{
	json_t *v = need(obj, name, field, err);

	if (v == NULL)
		return -1;
	return int_value(v, name, field, out, err);
}

static int
get_strv(json_t *obj, const char *name, const char *field, struct vc_strv *out,
    struct vc_error *err)
{
	json_t *v = need(obj, name, field, err), *s;
	size_t i;

	if (v == NULL)
		return -1;
	if (!json_is_array(v))
		return type_error(name, field, "an array", err);
	json_array_foreach(v, i, s)
	{
		if (!json_is_string(s) ||
		    strlen(json_string_value(s)) != json_string_length(s))
			return vc_error_set(err, VC_EFAIL,
			    "%s: %s[%zu] is not a string", name, field, i);
		vc_strv_push(out, json_string_value(s));
	}
	return 0;
}

static int
get_frames(json_t *obj, const char *name, struct vc_manifest *m,
    struct vc_error *err)
{
	static const char *const ff[] = {"offset", "csize", "usize"};
	json_t *v = need(obj, name, "frames", err), *f, *x;
	const char *k;
	char field[64];
	uint64_t val[3];
	size_t i, j;

	if (v == NULL)
		return -1;
	if (!json_is_array(v))
		return type_error(name, "frames", "an array", err);
	if (json_array_size(v) > 0)
		m->frames = xcalloc(json_array_size(v), sizeof *m->frames);
	json_array_foreach(v, i, f)
	{
		snprintf(field, sizeof field, "frames[%zu]", i);
		if (!json_is_object(f))
			return type_error(name, field, "an object", err);
		json_object_foreach(f, k, x)
		{
			for (j = 0; j < VC_ARRAY_SIZE(ff); j++)
				if (strcmp(k, ff[j]) == 0)
					break;
			if (j == VC_ARRAY_SIZE(ff))
				return vc_error_set(err, VC_EFAIL,
				    "%s: %s has an unknown field", name, field);
		}
		for (j = 0; j < VC_ARRAY_SIZE(ff); j++) {
			snprintf(field, sizeof field, "frames[%zu].%s", i,
			    ff[j]);
			if ((x = json_object_get(f, ff[j])) == NULL)
				return vc_error_set(err, VC_EFAIL,
				    "%s: field '%s' is missing", name, field);
			if (int_value(x, name, field, &val[j], err) == -1)
				return -1;
		}
		m->frames[i].offset = val[0];
		m->frames[i].csize = val[1];
		m->frames[i].usize = val[2];
		m->nframes = i + 1;
	}
	return 0;
}

static int
from_json(json_t *root, const char *name, struct vc_manifest *m,
    struct vc_error *err)
{
	json_t *v;
	const char *k;
	char *checksum = NULL;
	uint64_t u;
	size_t i;
	int rc = -1;

	if (!json_is_object(root))
		return vc_error_set(err, VC_EFAIL, "%s: not a JSON object",
		    name);
	/* The format first: a newer one may differ in everything else. */
	if ((v = need(root, name, "format", err)) == NULL)
		goto out;
	if (!json_is_integer(v)) {
		type_error(name, "format", "an integer", err);
		goto out;
	}
	if (json_integer_value(v) != VC_MANIFEST_FORMAT) {
		vc_error_set(err, VC_EFAIL,
		    "%s: manifest format %lld is not supported (this "
		    "venvcache reads format %d)",
		    name, (long long)json_integer_value(v), VC_MANIFEST_FORMAT);
		goto out;
	}
	m->format = VC_MANIFEST_FORMAT;
	json_object_foreach(root, k, v)
	{
		for (i = 0; i < VC_ARRAY_SIZE(fields); i++)
			if (strcmp(k, fields[i]) == 0)
				break;
		if (i == VC_ARRAY_SIZE(fields)) {
			vc_error_set(err, VC_EFAIL, "%s: unknown field '%.64s'",
			    name, k);
			goto out;
		}
	}
	if (get_str(root, name, "key", &m->key, err) == -1 ||
	    get_str(root, name, "env", &m->env, err) == -1 ||
	    get_str(root, name, "python", &m->python, err) == -1 ||
	    get_str(root, name, "python_version", &m->python_version, err) ==
	        -1 ||
	    get_str(root, name, "prefix", &m->prefix, err) == -1 ||
	    get_u64(root, name, "unpacked_size", &m->unpacked_size, err) ==
	        -1 ||
	    get_u64(root, name, "file_count", &m->file_count, err) == -1 ||
	    get_u64(root, name, "archive_size", &m->archive_size, err) == -1 ||
	    get_str(root, name, "checksum", &checksum, err) == -1)
		goto out;
	if (strlen(checksum) != 32) {
		vc_error_set(err, VC_EFAIL,
		    "%s: field 'checksum' is not 32 lowercase hex digits",
		    name);
		goto out;
	}
	memcpy(m->checksum, checksum, 33);
	if ((v = need(root, name, "create_seconds", err)) == NULL)
		goto out;
	if (!json_is_number(v)) {
		type_error(name, "create_seconds", "a number", err);
		goto out;
	}
	m->create_seconds = json_number_value(v);
	if (get_u64(root, name, "created", &u, err) == -1)
		goto out;
	if (u > I64_MAX) {
		vc_error_set(err, VC_EFAIL, "%s: field 'created' is too large",
		    name);
		goto out;
	}
	m->created = (int64_t)u;
	if (json_object_get(root, "installer") != NULL &&
	    get_str(root, name, "installer", &m->installer, err) == -1)
		goto out;
	if ((v = json_object_get(root, "seed")) != NULL) {
		if (!json_is_false(v)) {
			vc_error_set(err, VC_EFAIL,
			    "%s: field 'seed' is present and not false", name);
			goto out;
		}
		m->unseeded = 1;
	}
	if (get_strv(root, name, "prefix_files", &m->prefix_files, err) == -1 ||
	    get_strv(root, name, "requirements", &m->requirements, err) == -1 ||
	    get_frames(root, name, m, err) == -1)
		goto out;
	rc = vc_manifest_validate(m, name, err);
out:
	free(checksum);
	return rc;
}

int
vc_manifest_parse(struct vc_manifest *m, const char *text, size_t len,
    const char *name, struct vc_error *err)
{
	json_error_t je;
	json_t *root = NULL;
	int rc = -1;

	vc_manifest_release(m);
	if (len > VC_MANIFEST_MAX) {
		vc_error_set(err, VC_ECORRUPT, "%s: larger than %u bytes", name,
		    VC_MANIFEST_MAX);
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		vc_error_set(err, VC_ECORRUPT, "%s:%d:%d: %s", name,
		    je.line > 0 ? je.line : 0, je.column > 0 ? je.column : 0,
		    je.text);
		snprintf(err->file, sizeof err->file, "%s", name);
		err->line = je.line > 0 ? (unsigned)je.line : 0;
		goto out;
	}
	if (from_json(root, name, m, err) == -1) {
		err->code = VC_ECORRUPT;
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		vc_manifest_release(m);
	json_decref(root);
	return rc;
}

/* --- formatting ---------------------------------------------------- */

static int
set(json_t *obj, const char *field, json_t *v)
{
	/* json_object_set_new() frees v on failure, and accepts no NULL. */
	return v == NULL || json_object_set_new(obj, field, v) == -1 ? -1 : 0;
}

static json_t *
strv_json(const struct vc_strv *sv)
{
	json_t *a = json_array(), *s;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < sv->n; i++) {
		if ((s = json_string(sv->v[i])) == NULL ||
		    json_array_append_new(a, s) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
frames_json(const struct vc_manifest *m)
{
	json_t *a = json_array(), *f;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < m->nframes; i++) {
		f = json_object();
		if (f == NULL ||
		    set(f, "offset",
		        json_integer((json_int_t)m->frames[i].offset)) == -1 ||
		    set(f, "csize",
		        json_integer((json_int_t)m->frames[i].csize)) == -1 ||
		    set(f, "usize",
		        json_integer((json_int_t)m->frames[i].usize)) == -1 ||
		    json_array_append_new(a, f) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
str_or_empty(const char *s)
{
	return json_string(s != NULL ? s : "");
}

char *
vc_manifest_format(const struct vc_manifest *m)
{
	json_t *o = json_object();
	char *text = NULL, *out = NULL;

	if (o == NULL)
		return NULL;
	if (set(o, "format", json_integer(m->format)) == -1 ||
	    set(o, "key", str_or_empty(m->key)) == -1 ||
	    set(o, "env", str_or_empty(m->env)) == -1 ||
	    set(o, "python", str_or_empty(m->python)) == -1 ||
	    set(o, "python_version", str_or_empty(m->python_version)) == -1 ||
	    set(o, "prefix", str_or_empty(m->prefix)) == -1 ||
	    set(o, "unpacked_size",
	        json_integer((json_int_t)m->unpacked_size)) == -1 ||
	    set(o, "file_count", json_integer((json_int_t)m->file_count)) ==
	        -1 ||
	    set(o, "archive_size", json_integer((json_int_t)m->archive_size)) ==
	        -1 ||
	    set(o, "checksum",
	        json_stringn(m->checksum,
	            strnlen(m->checksum, sizeof m->checksum))) == -1 ||
	    set(o, "create_seconds",
	        json_real(isfinite(m->create_seconds) ? m->create_seconds
	                                              : 0.0)) == -1 ||
	    set(o, "created", json_integer((json_int_t)m->created)) == -1 ||
	    set(o, "prefix_files", strv_json(&m->prefix_files)) == -1 ||
	    set(o, "requirements", strv_json(&m->requirements)) == -1 ||
	    set(o, "frames", frames_json(m)) == -1)
		goto out;
	if (m->installer != NULL &&
	    set(o, "installer", json_string(m->installer)) == -1)
		goto out;
	if (m->unseeded && set(o, "seed", json_false()) == -1)
		goto out;
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL)
		goto out;
	out = xasprintf("%s\n", text);
out:
	free(text);
	json_decref(o);
	return out;
}
