/*
 * check_store.c: manifests, publish and lookup, crash leftovers, locks of
 * dead processes, LRU order and size, gc against readers, verify.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "venvcache/store.h"

#include "helpers.h"

#define KEY_A "venv-a-cp311-linux_x86_64-0123456789abcdef0123456789abcdef"
#define KEY_B "venv-b-cp311-linux_x86_64-00000000000000000000000000000000"
#define KEY_C "venv-c-cp312-linux_x86_64-ffffffffffffffffffffffffffffffff"

static char *root; /* a fresh directory per test */
static char *sdir; /* root/store */

static void
setup(void)
{
	root = vc_test_scratch("vc-check-store", 0);
	sdir = vc_path_join(root, "store");
}

static void
teardown(void)
{
	vc_test_scratch_remove(root);
	root = NULL;
	free(sdir);
}

/* A complete manifest describing `len` bytes of `data` under `key`. */
static void
fill_manifest(struct vc_manifest *m, const char *key, const char *data,
    size_t len)
{
	vc_manifest_init(m);
	m->format = VC_MANIFEST_FORMAT;
	m->key = xstrdup(key);
	m->env = xstrdup("py311");
	m->python = xstrdup("/usr/bin/python3.11");
	m->python_version = xstrdup("3.11.4");
	m->prefix = xstrdup("/dev/shm/venvcache/py311");
	m->unpacked_size = 123456;
	m->file_count = 42;
	m->archive_size = len;
	vc_test_hex128(data, len, m->checksum);
	m->create_seconds = 12.5;
	m->created = 1700000000;
	vc_strv_push(&m->prefix_files, "bin/activate");
	vc_strv_push(&m->prefix_files, "bin/pip");
	vc_strv_push(&m->requirements, "attrs==23.1.0");
	if (len > 0) {
		m->frames = xcalloc(2, sizeof *m->frames);
		m->nframes = len > 1 ? 2 : 1;
		m->frames[0].offset = 0;
		m->frames[0].csize = len > 1 ? len / 2 : len;
		m->frames[0].usize = 1000;
		if (len > 1) {
			m->frames[1].offset = len / 2;
			m->frames[1].csize = len - len / 2;
			m->frames[1].usize = 500;
		}
	}
}

/* Publishes `data` as the entry of `key`. */
static void
put(struct vc_store *st, const char *key, const char *data)
{
	struct vc_store_txn txn;
	struct vc_manifest m;
	struct vc_error err;
	size_t len = strlen(data);

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_begin(st, key, &txn, &err), 0);
	ck_assert_int_eq(write(txn.fd, data, len), (ssize_t)len);
	fill_manifest(&m, key, data, len);
	ck_assert_msg(vc_store_commit(st, &txn, &m, &err) == 0, "%s", err.msg);
	vc_store_abort(st, &txn);
	vc_manifest_release(&m);
}

static char *
entry_path(const char *key, const char *suffix)
{
	return xasprintf("%s/entries/%s%s", sdir, key, suffix);
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static void
set_mtime(const char *key, time_t t)
{
	char *p = entry_path(key, ".json");
	struct timespec ts[2] = {{t, 0}, {t, 0}};

	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
	free(p);
}

static off_t
file_size(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(lstat(path, &sb), 0);
	return sb.st_size;
}

static size_t
count_dir(const char *sub)
{
	char *p = vc_path_join(sdir, sub);
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(p);

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	free(p);
	return n;
}

/* --- manifests ----------------------------------------------------- */

START_TEST(test_manifest_roundtrip)
{
	struct vc_manifest m, back;
	struct vc_error err;
	char *text, *again;

	fill_manifest(&m, KEY_A, "0123456789", 10);
	vc_manifest_init(&back);
	vc_error_clear(&err);
	ck_assert_int_eq(vc_manifest_validate(&m, "m", &err), 0);
	text = vc_manifest_format(&m);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(vc_manifest_parse(&back, text, strlen(text), "m", &err) ==
	        0,
	    "%s", err.msg);
	ck_assert_int_eq(back.format, 1);
	ck_assert_str_eq(back.key, KEY_A);
	ck_assert_str_eq(back.env, "py311");
	ck_assert_str_eq(back.python, "/usr/bin/python3.11");
	ck_assert_str_eq(back.python_version, "3.11.4");
	ck_assert_str_eq(back.prefix, "/dev/shm/venvcache/py311");
	ck_assert_uint_eq(back.unpacked_size, 123456);
	ck_assert_uint_eq(back.file_count, 42);
	ck_assert_uint_eq(back.archive_size, 10);
	ck_assert_str_eq(back.checksum, m.checksum);
	ck_assert(back.create_seconds == 12.5);
	ck_assert_int_eq(back.created, 1700000000);
	ck_assert_uint_eq(back.prefix_files.n, 2);
	ck_assert_str_eq(back.prefix_files.v[1], "bin/pip");
	ck_assert_uint_eq(back.requirements.n, 1);
	ck_assert_str_eq(back.requirements.v[0], "attrs==23.1.0");
	ck_assert_uint_eq(back.nframes, 2);
	ck_assert_uint_eq(back.frames[1].offset, 5);
	ck_assert_uint_eq(back.frames[1].csize, 5);
	ck_assert_uint_eq(back.frames[1].usize, 500);
	again = vc_manifest_format(&back);
	ck_assert_str_eq(again, text);
	free(text);
	free(again);
	vc_manifest_release(&m);
	vc_manifest_release(&back);
}
END_TEST

/* A valid manifest as a jansson object, to be broken one field at a time. */
static json_t *
good_json(void)
{
	struct vc_manifest m;
	json_error_t je;
	json_t *j;
	char *text;

	fill_manifest(&m, KEY_A, "0123456789", 10);
	text = vc_manifest_format(&m);
	j = json_loads(text, 0, &je);
	ck_assert_ptr_nonnull(j);
	free(text);
	vc_manifest_release(&m);
	return j;
}

/* Parses `text`: must fail with VC_ECORRUPT, a message holding `want`. */
static void
expect_bad_text(const char *text, size_t len, const char *want,
    const char *what)
{
	struct vc_manifest m;
	struct vc_error err;

	vc_manifest_init(&m);
	vc_error_clear(&err);
	ck_assert_msg(vc_manifest_parse(&m, text, len, "x.json", &err) == -1,
	    "%s: accepted", what);
	ck_assert_msg(err.code == VC_ECORRUPT, "%s: code %d", what, err.code);
	ck_assert_msg(strstr(err.msg, want) != NULL,
	    "%s: message '%s' lacks '%s'", what, err.msg, want);
	ck_assert_msg(strncmp(err.msg, "x.json", 6) == 0,
	    "%s: message '%s' does not name the file", what, err.msg);
	ck_assert_ptr_null(m.key);
	ck_assert_ptr_null(m.frames);
	ck_assert_uint_eq(m.prefix_files.n, 0);
	vc_manifest_release(&m);
}

static void
expect_bad(json_t *j, const char *want, const char *what)
{
	char *text = json_dumps(j, JSON_INDENT(1));

	expect_bad_text(text, strlen(text), want, what);
	free(text);
	json_decref(j);
}

static void
set_field(const char *field, json_t *v, const char *want)
{
	json_t *j = good_json();

	json_object_set_new(j, field, v);
	expect_bad(j, want, field);
}

START_TEST(test_manifest_missing_fields)
{
	static const char *const fields[] = {"format", "key", "env", "python",
	    "python_version", "prefix", "unpacked_size", "file_count",
	    "archive_size", "checksum", "create_seconds", "created",
	    "prefix_files", "requirements", "frames"};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(fields); i++) {
		json_t *j = good_json();
		char want[64];

		ck_assert_int_eq(json_object_del(j, fields[i]), 0);
		snprintf(want, sizeof want, "'%s' is missing", fields[i]);
		expect_bad(j, want, fields[i]);
	}
}
END_TEST

START_TEST(test_manifest_wrong_types)
{
	set_field("format", json_string("1"), "'format' is not an integer");
	set_field("key", json_integer(1), "'key' is not a string");
	set_field("env", json_null(), "'env' is not a string");
	set_field("python", json_true(), "'python' is not a string");
	set_field("python_version", json_real(3.11),
	    "'python_version' is not a string");
	set_field("prefix", json_array(), "'prefix' is not a string");
	set_field("unpacked_size", json_string("12"),
	    "'unpacked_size' is not an integer");
	set_field("file_count", json_real(1.5),
	    "'file_count' is not an integer");
	set_field("archive_size", json_null(),
	    "'archive_size' is not an integer");
	set_field("checksum", json_integer(0), "'checksum' is not a string");
	set_field("create_seconds", json_string("1"),
	    "'create_seconds' is not a number");
	set_field("created", json_real(1.0), "'created' is not an integer");
	set_field("prefix_files", json_string("bin/pip"),
	    "'prefix_files' is not an array");
	set_field("requirements", json_object(),
	    "'requirements' is not an array");
	set_field("frames", json_string(""), "'frames' is not an array");
	set_field("prefix_files", json_pack("[si]", "a", 1),
	    "prefix_files[1] is not a string");
	set_field("requirements", json_pack("[n]"),
	    "requirements[0] is not a string");
	set_field("frames", json_pack("[i]", 1),
	    "'frames[0]' is not an object");
}
END_TEST

START_TEST(test_manifest_bad_values)
{
	char longkey[VC_STORE_KEY_MAX + 2];
	json_t *j;

	set_field("format", json_integer(2),
	    "manifest format 2 is not supported (this venvcache reads format "
	    "1)");
	set_field("format", json_integer(0), "format 0 is not supported");
	set_field("key", json_string("a/b"), "cannot be in a file name");
	set_field("key", json_string("../../etc/passwd"), "starts with '.'");
	set_field("key", json_string(".hidden"), "starts with '.'");
	set_field("key", json_string(""), "empty key");
	set_field("key", json_string("a,b"), "cannot be in a file name");
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	set_field("key", json_string(longkey), "longer than 512");
	set_field("env", json_string(""), "'env' is empty");
	set_field("env", json_string("a\x1b[31mred"), "control character");
	set_field("python", json_string("py\nthon"), "control character");
	set_field("prefix", json_string("relative/venv"),
	    "'prefix' is not an absolute path");
	set_field("unpacked_size", json_integer(-1), "is negative");
	set_field("created", json_integer(-5), "is negative");
	set_field("create_seconds", json_real(-1.0), "out of range");
	set_field("checksum", json_string("abc"), "not 32 lowercase hex");
	set_field("checksum", json_string("0123456789ABCDEF0123456789abcdef"),
	    "not 32 lowercase hex");
	set_field("checksum", json_string("0123456789abcdef0123456789abcdeg"),
	    "not 32 lowercase hex");
	set_field("prefix_files", json_pack("[s]", "../../../home/x/.bashrc"),
	    "component");
	set_field("prefix_files", json_pack("[s]", "bin/../../x"), "component");
	set_field("prefix_files", json_pack("[s]", "/etc/passwd"),
	    "not a relative path");
	set_field("prefix_files", json_pack("[s]", "bin//pip"), "component");
	set_field("prefix_files", json_pack("[s]", "./bin"), "component");
	set_field("prefix_files", json_pack("[s]", ""), "is empty");
	set_field("requirements", json_pack("[s]", "a\tb"),
	    "control character");
	set_field("frames",
	    json_pack("[{sisisi}]", "offset", 1, "csize", 9, "usize", 1),
	    "frame 0 does not follow");
	set_field("frames",
	    json_pack("[{sisisi}{sisisi}]", "offset", 0, "csize", 4, "usize", 1,
	        "offset", 5, "csize", 5, "usize", 1),
	    "frame 1 does not follow");
	set_field("frames",
	    json_pack("[{sisisi}]", "offset", 0, "csize", 4, "usize", 1),
	    "frames cover 4 bytes, the archive has 10");
	set_field("frames",
	    json_pack("[{sisisi}]", "offset", 0, "csize", 11, "usize", 1),
	    "frame 0 does not follow");
	set_field("frames",
	    json_pack("[{sisisisi}]", "offset", 0, "csize", 10, "usize", 1,
	        "extra", 1),
	    "frames[0] has an unknown field");
	set_field("frames", json_pack("[{sisi}]", "offset", 0, "csize", 10),
	    "'frames[0].usize' is missing");
	set_field("frames",
	    json_pack("[{sisssi}]", "offset", 0, "csize", "10", "usize", 1),
	    "'frames[0].csize' is not an integer");
	set_field("surprise", json_integer(1), "unknown field 'surprise'");
	/* A newer format is refused before anything else is looked at. */
	j = good_json();
	json_object_set_new(j, "format", json_integer(7));
	json_object_set_new(j, "new_field", json_true());
	json_object_del(j, "key");
	expect_bad(j, "manifest format 7 is not supported", "newer format");
}
END_TEST

START_TEST(test_manifest_bad_json)
{
	static const char dup[] = "{\"format\": 1, \"format\": 1}";
	static const char nul[] = "{\"format\": 1, \"key\": \"a\\u0000b\"}";
	static const char big[] = "{\"format\": 99999999999999999999999}";
	static const char rawnul[] = "{\"format\"\0: 1}";

	expect_bad_text("", 0, "x.json:1:0:", "empty");
	expect_bad_text("{\n  \"format\": 1,\n", 17, "x.json:3:", "truncated");
	expect_bad_text("[1, 2]", 6, "not a JSON object", "array");
	expect_bad_text("\"text\"", 6, "'[' or '{' expected", "string");
	expect_bad_text(dup, strlen(dup), "duplicate", "duplicate key");
	expect_bad_text(nul, strlen(nul), "x.json:1:", "NUL in a string");
	expect_bad_text(big, strlen(big), "too big", "huge integer");
	expect_bad_text(rawnul, sizeof rawnul - 1, "x.json:1:", "raw NUL");
	expect_bad_text("{\"a\": \xff}", 8, "x.json:1:", "not UTF-8");
}
END_TEST

START_TEST(test_key_check)
{
	struct vc_error err;
	char key[600];

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_key_check(KEY_A, &err), 0);
	ck_assert_int_eq(vc_store_key_check("a.b_c+d-1", &err), 0);
	ck_assert_int_eq(vc_store_key_check("", &err), -1);
	ck_assert_int_eq(vc_store_key_check(".x", &err), -1);
	ck_assert_int_eq(vc_store_key_check("..", &err), -1);
	ck_assert_int_eq(vc_store_key_check("a b", &err), -1);
	ck_assert_int_eq(vc_store_key_check("a/b", &err), -1);
	ck_assert_int_eq(vc_store_key_check("a\\b", &err), -1);
	ck_assert_int_eq(vc_store_key_check("caf\xc3\xa9", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "0xc3"));
	memset(key, 'a', 512);
	key[512] = '\0';
	ck_assert_int_eq(vc_store_key_check(key, &err), 0);
	key[512] = 'a';
	key[513] = '\0';
	ck_assert_int_eq(vc_store_key_check(key, &err), -1);
}
END_TEST

/* --- publish, lookup, remove ---------------------------------------- */

START_TEST(test_open_layout)
{
	struct vc_store st;
	struct vc_error err;
	struct vc_buf b;
	char *p;

	vc_error_clear(&err);
	ck_assert_msg(vc_store_open(&st, sdir, &err) == 0, "%s", err.msg);
	vc_buf_init(&b);
	p = vc_path_join(sdir, "CACHEDIR.TAG");
	ck_assert_int_eq(vc_read_file(p, 0, &b, &err), 0);
	ck_assert(vc_str_startswith(b.data,
	    "Signature: 8a477f597d28d172789f06886806bc55\n"));
	free(p);
	ck_assert_uint_eq(count_dir("entries"), 0);
	ck_assert_uint_eq(count_dir("locks"), 0);
	ck_assert_uint_eq(count_dir("tmp"), 0);
	vc_store_close(&st);
	/* A broken tag is rewritten. */
	p = vc_path_join(sdir, "CACHEDIR.TAG");
	ck_assert_int_eq(vc_write_file_atomic(p, "x", 1, 0644, &err), 0);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	ck_assert_int_eq(vc_read_file(p, 0, &b, &err), 0);
	ck_assert(vc_str_startswith(b.data, "Signature: "));
	vc_store_close(&st);
	vc_store_close(&st); /* twice is harmless */
	free(p);
	vc_buf_release(&b);
	/* A file where the store should be. */
	p = vc_path_join(root, "file");
	ck_assert_int_eq(vc_write_file_atomic(p, "x", 1, 0644, &err), 0);
	ck_assert_int_eq(vc_store_open(&st, p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, p));
	free(p);
	/* A symlink planted for entries/ and a file for tmp/ are
	 * replaced, and nothing is written where the symlink points. */
	p = vc_path_join(root, "s2");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	{
		char *e = vc_path_join(p, "entries");
		char *t = vc_path_join(p, "tmp");
		char *target = vc_path_join(root, "target");
		struct stat sb;

		ck_assert_int_eq(mkdir(target, 0755), 0);
		ck_assert_int_eq(symlink(target, e), 0);
		ck_assert_int_eq(vc_write_file_atomic(t, "x", 1, 0644, &err),
		    0);
		ck_assert_msg(vc_store_open(&st, p, &err) == 0, "%s", err.msg);
		put(&st, KEY_A, "data");
		vc_store_close(&st);
		ck_assert_int_eq(lstat(e, &sb), 0);
		ck_assert(S_ISDIR(sb.st_mode));
		ck_assert_int_eq(lstat(t, &sb), 0);
		ck_assert(S_ISDIR(sb.st_mode));
		ck_assert_int_eq(rmdir(target), 0); /* still empty */
		free(e);
		free(t);
		free(target);
	}
	free(p);
}
END_TEST

START_TEST(test_publish_lookup_remove)
{
	struct vc_store st;
	struct vc_manifest m;
	struct vc_error err;
	char buf[64], *p;
	ssize_t n;
	int fd;

	vc_error_clear(&err);
	vc_manifest_init(&m);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	ck_assert_int_eq(vc_store_lookup(&st, KEY_A, &m, &fd, &err), -1);
	ck_assert_int_eq(err.code, VC_EMISS);
	ck_assert_ptr_nonnull(strstr(err.msg, KEY_A));
	ck_assert_int_eq(fd, -1);

	put(&st, KEY_A, "archive bytes one");
	p = entry_path(KEY_A, ".tar.zst");
	ck_assert(exists(p));
	free(p);
	ck_assert_uint_eq(count_dir("tmp"), 0);
	ck_assert_msg(vc_store_lookup(&st, KEY_A, &m, &fd, &err) == 0, "%s",
	    err.msg);
	ck_assert_str_eq(m.key, KEY_A);
	ck_assert_uint_eq(m.archive_size, 17);
	ck_assert_int_eq(vc_store_verify(&st, &m, fd, &err), 0);
	/* verify does not move the offset: the caller reads from 0 */
	n = read(fd, buf, sizeof buf);
	ck_assert_int_eq(n, 17);
	ck_assert_int_eq(memcmp(buf, "archive bytes one", 17), 0);
	close(fd);
	vc_manifest_release(&m);

	/* The manifest only. */
	ck_assert_int_eq(vc_store_lookup(&st, KEY_A, &m, NULL, &err), 0);
	vc_manifest_release(&m);

	/* Replacing an entry. */
	put(&st, KEY_A, "archive bytes two!");
	ck_assert_int_eq(vc_store_lookup(&st, KEY_A, &m, &fd, &err), 0);
	ck_assert_uint_eq(m.archive_size, 18);
	ck_assert_int_eq(vc_store_verify(&st, &m, fd, &err), 0);
	close(fd);
	vc_manifest_release(&m);

	ck_assert_int_eq(vc_store_remove(&st, KEY_A, &err), 0);
	ck_assert_int_eq(vc_store_lookup(&st, KEY_A, &m, &fd, &err), -1);
	ck_assert_int_eq(err.code, VC_EMISS);
	ck_assert_uint_eq(count_dir("entries"), 0);
	ck_assert_int_eq(vc_store_remove(&st, KEY_A, &err), 0);
	/* Keys that are no file names are refused everywhere. */
	ck_assert_int_eq(vc_store_lookup(&st, "../x", &m, &fd, &err), -1);
	ck_assert_int_eq(vc_store_remove(&st, "a/b", &err), -1);
	vc_store_close(&st);
}
END_TEST

START_TEST(test_commit_checks)
{
	struct vc_store_txn txn;
	struct vc_store st;
	struct vc_manifest m;
	struct vc_error err;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	ck_assert_int_eq(vc_store_begin(&st, "bad/key", &txn, &err), -1);
	ck_assert_ptr_null(txn.tmp_archive);
	vc_store_abort(&st, &txn); /* no-op after a failed begin */

	ck_assert_int_eq(vc_store_begin(&st, KEY_A, &txn, &err), 0);
	ck_assert(vc_str_startswith(txn.tmp_archive, sdir));
	ck_assert(exists(txn.tmp_archive));
	ck_assert_int_eq(write(txn.fd, "12345", 5), 5);
	/* The manifest says 6 bytes: refused, nothing published. */
	fill_manifest(&m, KEY_A, "123456", 6);
	ck_assert_int_eq(vc_store_commit(&st, &txn, &m, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "has 5 bytes"));
	vc_manifest_release(&m);
	/* Another key's manifest: refused. */
	fill_manifest(&m, KEY_B, "12345", 5);
	ck_assert_int_eq(vc_store_commit(&st, &txn, &m, &err), -1);
	vc_manifest_release(&m);
	/* An invalid manifest: refused. */
	fill_manifest(&m, KEY_A, "12345", 5);
	free(m.prefix);
	m.prefix = xstrdup("not/absolute");
	ck_assert_int_eq(vc_store_commit(&st, &txn, &m, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "absolute"));
	vc_manifest_release(&m);
	ck_assert_uint_eq(count_dir("entries"), 0);
	ck_assert_uint_eq(count_dir("tmp"), 1);
	vc_store_abort(&st, &txn);
	vc_store_abort(&st, &txn);
	ck_assert_uint_eq(count_dir("tmp"), 0);
	ck_assert_uint_eq(count_dir("entries"), 0);
	vc_store_close(&st);
}
END_TEST

START_TEST(test_long_key)
{
	struct vc_store_entry *v;
	struct vc_store st;
	struct vc_manifest m;
	struct vc_error err;
	char k1[VC_STORE_KEY_MAX + 1], k2[VC_STORE_KEY_MAX + 1];
	struct dirent *de;
	DIR *d;
	size_t n;
	char *p;
	int fd;

	memset(k1, 'x', 400);
	k1[400] = '\0';
	strcpy(k2, k1);
	k2[399] = 'y'; /* same first 207 characters */
	vc_error_clear(&err);
	vc_manifest_init(&m);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	put(&st, k1, "one");
	put(&st, k2, "two");
	ck_assert_int_eq(vc_store_lookup(&st, k1, &m, &fd, &err), 0);
	ck_assert_str_eq(m.key, k1);
	ck_assert_int_eq(vc_store_verify(&st, &m, fd, &err), 0);
	close(fd);
	vc_manifest_release(&m);
	ck_assert_int_eq(vc_store_lookup(&st, k2, &m, &fd, &err), 0);
	ck_assert_str_eq(m.key, k2);
	ck_assert_uint_eq(m.archive_size, 3);
	close(fd);
	vc_manifest_release(&m);
	ck_assert_uint_eq(count_dir("entries"), 4);
	p = vc_path_join(sdir, "entries");
	d = opendir(p);
	while ((de = readdir(d)) != NULL)
		ck_assert_uint_le(strlen(de->d_name), 255);
	closedir(d);
	free(p);
	ck_assert_int_eq(vc_store_list(&st, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	vc_store_entries_free(v, n);
	vc_store_close(&st);
}
END_TEST

/* --- crashes and dead processes ------------------------------------ */

/* Forks a child that runs `fn` and then waits to be killed. */
static pid_t
fork_holder(void (*fn)(void *), void *arg)
{
	int p[2];
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(p[0]);
		fn(arg);
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void
kill_holder(pid_t pid)
{
	int status;

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void
begin_and_wait(void *arg)
{
	struct vc_store_txn txn;
	struct vc_store st;
	struct vc_error err;

	(void)arg;
	if (vc_store_open(&st, sdir, &err) == -1 ||
	    vc_store_begin(&st, KEY_A, &txn, &err) == -1 ||
	    write(txn.fd, "half an archive", 15) != 15)
		_exit(1);
}

START_TEST(test_dead_writer_temp_removed)
{
	struct vc_store st;
	struct vc_error err;
	pid_t pid;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	vc_store_close(&st);
	pid = fork_holder(begin_and_wait, NULL);
	ck_assert_uint_eq(count_dir("tmp"), 1);
	/* A live writer's file is kept. */
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	vc_store_close(&st);
	ck_assert_uint_eq(count_dir("tmp"), 1);
	kill_holder(pid);
	ck_assert_uint_eq(count_dir("tmp"), 1);
	/* Its owner died: the next open removes it. */
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	ck_assert_uint_eq(count_dir("tmp"), 0);
	ck_assert_uint_eq(count_dir("entries"), 0);
	vc_store_close(&st);
}
END_TEST

static void
lock_and_wait(void *arg)
{
	struct vc_store st;
	struct vc_lock lk;
	struct vc_error err;

	if (vc_store_open(&st, sdir, &err) == -1 ||
	    vc_store_lock(&st, KEY_A, *(int *)arg, &lk, &err) == -1)
		_exit(1);
}

START_TEST(test_stale_lock_taken_over)
{
	int how = VC_LOCK_EXCLUSIVE;
	struct vc_store st;
	struct vc_lock lk;
	struct vc_error err;
	pid_t pid;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	pid = fork_holder(lock_and_wait, &how);
	ck_assert_int_eq(vc_store_lock(&st, KEY_A,
	                     VC_LOCK_SHARED | VC_LOCK_NOWAIT, &lk, &err),
	    -1);
	ck_assert_int_eq(err.sys_errno, EWOULDBLOCK);
	ck_assert_ptr_nonnull(strstr(err.msg, "locked by another process"));
	ck_assert_int_eq(lk.fd, -1);
	/* Another key is not blocked. */
	ck_assert_int_eq(vc_store_lock(&st, KEY_B,
	                     VC_LOCK_EXCLUSIVE | VC_LOCK_NOWAIT, &lk, &err),
	    0);
	vc_store_unlock(&lk);
	kill_holder(pid);
	/* The kernel released the dead process's lock. */
	ck_assert_msg(vc_store_lock(&st, KEY_A,
	                  VC_LOCK_EXCLUSIVE | VC_LOCK_NOWAIT, &lk, &err) == 0,
	    "%s", err.msg);
	vc_store_unlock(&lk);
	vc_store_unlock(&lk);
	vc_store_close(&st);
}
END_TEST

START_TEST(test_lock_kinds)
{
	int how = VC_LOCK_SHARED;
	struct vc_store st;
	struct vc_lock a, b;
	struct vc_error err;
	pid_t pid;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	/* Readers share. */
	pid = fork_holder(lock_and_wait, &how);
	ck_assert_int_eq(vc_store_lock(&st, KEY_A,
	                     VC_LOCK_SHARED | VC_LOCK_NOWAIT, &a, &err),
	    0);
	ck_assert_int_eq(vc_store_lock(&st, KEY_A,
	                     VC_LOCK_EXCLUSIVE | VC_LOCK_NOWAIT, &b, &err),
	    -1);
	vc_store_unlock(&a);
	kill_holder(pid);
	/* In one process, a second lock conflicts like another's. */
	ck_assert_int_eq(vc_store_lock(&st, KEY_A, VC_LOCK_EXCLUSIVE, &a, &err),
	    0);
	ck_assert_int_eq(vc_store_lock(&st, KEY_A,
	                     VC_LOCK_SHARED | VC_LOCK_NOWAIT, &b, &err),
	    -1);
	vc_store_unlock(&a);
	/* A symlink planted as a lock file is replaced, not followed. */
	{
		char *target = vc_path_join(root, "victim");
		char *link = xasprintf("%s/locks/%s.lock", sdir, KEY_C);
		struct stat sb;

		ck_assert_int_eq(vc_write_file_atomic(target, "keep", 4, 0644,
		                     &err),
		    0);
		ck_assert_int_eq(symlink(target, link), 0);
		ck_assert_int_eq(vc_store_lock(&st, KEY_C, VC_LOCK_EXCLUSIVE,
		                     &a, &err),
		    0);
		ck_assert_int_eq(lstat(link, &sb), 0);
		ck_assert(S_ISREG(sb.st_mode));
		ck_assert_int_eq(lstat(target, &sb), 0);
		ck_assert_int_eq(sb.st_size, 4);
		vc_store_unlock(&a);
		free(target);
		free(link);
	}
	vc_store_close(&st);
}
END_TEST

/* --- list, LRU, gc -------------------------------------------------- */

START_TEST(test_lru_order_and_size)
{
	struct vc_store_entry *v;
	struct vc_store st;
	struct vc_error err;
	char *a, *m;
	size_t n;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	ck_assert_int_eq(vc_store_list(&st, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	vc_store_entries_free(v, n);
	put(&st, KEY_A, "aaaa");
	put(&st, KEY_B, "bbbbbbbb");
	put(&st, KEY_C, "cccccccccccc");
	set_mtime(KEY_A, 1000000000);
	set_mtime(KEY_B, 1000000300);
	set_mtime(KEY_C, 1000000200);
	ck_assert_int_eq(vc_store_list(&st, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0].m.key, KEY_B);
	ck_assert_str_eq(v[1].m.key, KEY_C);
	ck_assert_str_eq(v[2].m.key, KEY_A);
	ck_assert_int_eq(v[0].last_used, 1000000300);
	a = entry_path(KEY_B, ".tar.zst");
	m = entry_path(KEY_B, ".json");
	ck_assert_uint_eq(v[0].size, (uint64_t)(file_size(a) + file_size(m)));
	ck_assert_uint_eq(file_size(a), 8);
	free(a);
	free(m);
	vc_store_entries_free(v, n);
	/* A use moves an entry to the front. */
	vc_store_touch(&st, KEY_A);
	ck_assert_int_eq(vc_store_list(&st, &v, &n, &err), 0);
	ck_assert_str_eq(v[0].m.key, KEY_A);
	ck_assert_int_ge(v[0].last_used, time(NULL) - 5);
	ck_assert_str_eq(v[1].m.key, KEY_B);
	ck_assert_str_eq(v[2].m.key, KEY_C);
	vc_store_entries_free(v, n);
	vc_store_touch(&st, "no-such-key"); /* harmless */
	vc_store_close(&st);
}
END_TEST

static uint64_t
entry_size(const char *key)
{
	char *a = entry_path(key, ".tar.zst"), *m = entry_path(key, ".json");
	uint64_t n = (uint64_t)(file_size(a) + file_size(m));

	free(a);
	free(m);
	return n;
}

static int
has_entry(const char *key)
{
	char *m = entry_path(key, ".json");
	int r = exists(m);

	free(m);
	return r;
}

START_TEST(test_gc_lru)
{
	struct vc_gc_result gc;
	struct vc_store st;
	struct vc_error err;
	uint64_t sa, sb, sc;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	put(&st, KEY_A, "aaaa");
	put(&st, KEY_B, "bbbbbbbb");
	put(&st, KEY_C, "cccccccccccc");
	sa = entry_size(KEY_A);
	sb = entry_size(KEY_B);
	sc = entry_size(KEY_C);
	set_mtime(KEY_A, time(NULL) - 3 * 86400);
	set_mtime(KEY_B, time(NULL) - 2 * 86400);
	set_mtime(KEY_C, time(NULL) - 1 * 86400);

	/* Everything fits: nothing to do. */
	ck_assert_int_eq(vc_store_gc(&st, sa + sb + sc, 0, 0, &gc, &err), 0);
	ck_assert_uint_eq(gc.removed, 0);
	ck_assert_uint_eq(gc.kept, 3);
	ck_assert_uint_eq(gc.kept_size, sa + sb + sc);

	/* One byte too many: the least recently used goes, dry run first. */
	ck_assert_int_eq(vc_store_gc(&st, sa + sb + sc - 1, 0, 1, &gc, &err),
	    0);
	ck_assert_uint_eq(gc.removed, 1);
	ck_assert_uint_eq(gc.freed, sa);
	ck_assert(has_entry(KEY_A));
	ck_assert_int_eq(vc_store_gc(&st, sa + sb + sc - 1, 0, 0, &gc, &err),
	    0);
	ck_assert_uint_eq(gc.removed, 1);
	ck_assert_uint_eq(gc.freed, sa);
	ck_assert_uint_eq(gc.kept, 2);
	ck_assert_uint_eq(gc.kept_size, sb + sc);
	ck_assert(!has_entry(KEY_A));
	ck_assert(has_entry(KEY_B));
	ck_assert_uint_eq(count_dir("entries"), 4);
	/* Its lock file went with it. */
	ck_assert_uint_eq(count_dir("locks"), 0);

	/* By age: B is two days old, C one. */
	ck_assert_int_eq(vc_store_gc(&st, 0, 36 * 3600, 0, &gc, &err), 0);
	ck_assert_uint_eq(gc.removed, 1);
	ck_assert(!has_entry(KEY_B));
	ck_assert(has_entry(KEY_C));
	/* Used again: young. */
	vc_store_touch(&st, KEY_C);
	ck_assert_int_eq(vc_store_gc(&st, 0, 3600, 0, &gc, &err), 0);
	ck_assert_uint_eq(gc.removed, 0);
	/* Size limit 1: everything goes. */
	ck_assert_int_eq(vc_store_gc(&st, 1, 0, 0, &gc, &err), 0);
	ck_assert_uint_eq(gc.removed, 1);
	ck_assert_uint_eq(gc.kept, 0);
	ck_assert_uint_eq(gc.kept_size, 0);
	ck_assert_uint_eq(count_dir("entries"), 0);
	ck_assert_uint_eq(count_dir("locks"), 0);
	vc_store_close(&st);
}
END_TEST

struct reader_arg {
	const char *key;
};

static void
read_and_wait(void *arg)
{
	struct vc_store st;
	struct vc_lock lk;
	struct vc_manifest m;
	struct vc_error err;
	int fd;

	vc_manifest_init(&m);
	if (vc_store_open(&st, sdir, &err) == -1 ||
	    vc_store_lock(&st, arg, VC_LOCK_SHARED, &lk, &err) == -1 ||
	    vc_store_lookup(&st, arg, &m, &fd, &err) == -1)
		_exit(1);
}

static void
gc_report(const struct vc_store_entry *e, enum vc_gc_what what, void *arg)
{
	struct vc_strv *sv = arg;

	vc_strv_pushf(sv, "%s %s", what == VC_GC_BUSY ? "busy" : "removed",
	    e->m.key);
}

START_TEST(test_gc_skips_locked)
{
	struct vc_gc_result gc;
	struct vc_store st;
	struct vc_manifest m;
	struct vc_error err;
	struct vc_strv rep;
	pid_t pid;
	int fd;

	vc_error_clear(&err);
	vc_strv_init(&rep);
	vc_manifest_init(&m);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	put(&st, KEY_A, "aaaa");
	put(&st, KEY_B, "bbbb");
	set_mtime(KEY_A, 1000);
	set_mtime(KEY_B, 2000);
	/* A reader is restoring the oldest entry. */
	pid = fork_holder(read_and_wait, (void *)KEY_A);
	ck_assert_int_eq(vc_store_gc_report(&st, 1, 0, 0, &gc, gc_report, &rep,
	                     &err),
	    0);
	ck_assert_uint_eq(gc.busy, 1);
	ck_assert_uint_eq(gc.removed, 1);
	ck_assert_uint_eq(rep.n, 2);
	ck_assert_str_eq(rep.v[0], "busy " KEY_A);
	ck_assert_str_eq(rep.v[1], "removed " KEY_B);
	ck_assert(has_entry(KEY_A));
	ck_assert(!has_entry(KEY_B));
	/* ... and it is still whole. */
	ck_assert_int_eq(vc_store_lookup(&st, KEY_A, &m, &fd, &err), 0);
	ck_assert_int_eq(vc_store_verify(&st, &m, fd, &err), 0);
	close(fd);
	vc_manifest_release(&m);
	kill_holder(pid);
	ck_assert_int_eq(vc_store_gc(&st, 1, 0, 0, &gc, &err), 0);
	ck_assert_uint_eq(gc.busy, 0);
	ck_assert_uint_eq(gc.removed, 1);
	ck_assert(!has_entry(KEY_A));
	vc_strv_release(&rep);
	vc_store_close(&st);
}
END_TEST

START_TEST(test_gc_keeps_builders_lock)
{
	struct vc_gc_result gc;
	struct vc_store st;
	struct vc_lock lk, other;
	struct vc_error err;
	struct stat a, b;
	char *p = xasprintf("%s/locks/%s.lock", sdir, KEY_B);

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	put(&st, KEY_A, "aaaa");
	/* A builder holds a key that has no entry yet (pip is running). */
	ck_assert_int_eq(vc_store_lock(&st, KEY_B, VC_LOCK_EXCLUSIVE, &lk,
	                     &err),
	    0);
	ck_assert_int_eq(stat(p, &a), 0);
	/* A lock left by a build that failed long ago. */
	ck_assert_int_eq(vc_store_lock(&st, KEY_C, VC_LOCK_EXCLUSIVE, &other,
	                     &err),
	    0);
	vc_store_unlock(&other);
	ck_assert_uint_eq(count_dir("locks"), 2);
	ck_assert_int_eq(vc_store_gc(&st, 1, 0, 0, &gc, &err), 0);
	ck_assert_uint_eq(gc.removed, 1);
	/* The builder's lock file is the one it holds; the stale one went. */
	ck_assert_int_eq(stat(p, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(count_dir("locks"), 1);
	ck_assert_int_eq(vc_store_lock(&st, KEY_B,
	                     VC_LOCK_EXCLUSIVE | VC_LOCK_NOWAIT, &other, &err),
	    -1);
	vc_store_unlock(&lk);
	free(p);
	vc_store_close(&st);
}
END_TEST

START_TEST(test_gc_orphans)
{
	struct vc_gc_result gc;
	struct vc_store st;
	struct vc_lock lk;
	struct vc_error err;
	char *m;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	put(&st, KEY_A, "aaaa");
	put(&st, KEY_B, "bbbb");
	/* Crashes between the two renames of a commit. */
	m = entry_path(KEY_A, ".json");
	ck_assert_int_eq(unlink(m), 0);
	free(m);
	m = entry_path(KEY_B, ".json");
	ck_assert_int_eq(unlink(m), 0);
	free(m);
	/* B's commit is still running: it holds the key. */
	ck_assert_int_eq(vc_store_lock(&st, KEY_B, VC_LOCK_EXCLUSIVE, &lk,
	                     &err),
	    0);
	ck_assert_int_eq(vc_store_gc(&st, 0, 0, 0, &gc, &err), 0);
	ck_assert_uint_eq(gc.removed, 0); /* orphans are not entries */
	ck_assert_uint_eq(count_dir("entries"), 1);
	m = entry_path(KEY_B, ".tar.zst");
	ck_assert(exists(m));
	free(m);
	vc_store_unlock(&lk);
	ck_assert_int_eq(vc_store_gc(&st, 0, 0, 0, &gc, &err), 0);
	ck_assert_uint_eq(count_dir("entries"), 0);
	vc_store_close(&st);
}
END_TEST

START_TEST(test_find_related)
{
	struct vc_store_entry *v;
	struct vc_store st;
	struct vc_error err;
	size_t n;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	put(&st, "venv-a-cp311-linux-11111111111111111111111111111111", "1");
	put(&st, "venv-a-cp311-linux-22222222222222222222222222222222", "2");
	put(&st, "venv-a-cp312-linux-33333333333333333333333333333333", "3");
	put(&st, "venv-ab-cp311-linux-44444444444444444444444444444444", "4");
	set_mtime("venv-a-cp311-linux-11111111111111111111111111111111", 10);
	set_mtime("venv-a-cp311-linux-22222222222222222222222222222222", 20);
	ck_assert_int_eq(vc_store_find_related(&st, "venv-a-cp311-linux-", &v,
	                     &n, &err),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert(vc_str_startswith(v[0].m.key, "venv-a-cp311-linux-2"));
	ck_assert(vc_str_startswith(v[1].m.key, "venv-a-cp311-linux-1"));
	vc_store_entries_free(v, n);
	ck_assert_int_eq(vc_store_find_related(&st, "venv-a-", &v, &n, &err),
	    0);
	ck_assert_uint_eq(n, 3);
	vc_store_entries_free(v, n);
	ck_assert_int_eq(vc_store_find_related(&st, "venv-z-", &v, &n, &err),
	    0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	vc_store_close(&st);
}
END_TEST

/* --- verify --------------------------------------------------------- */

static void
flip_byte(const char *key, off_t at)
{
	char *p = entry_path(key, ".tar.zst"), c;
	int fd = open(p, O_RDWR);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(pread(fd, &c, 1, at), 1);
	c ^= 0x20;
	ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
	close(fd);
	free(p);
}

static int
verify_key(struct vc_store *st, const char *key, struct vc_error *err)
{
	struct vc_manifest m;
	int fd, rc;

	vc_manifest_init(&m);
	if (vc_store_lookup(st, key, &m, &fd, err) == -1)
		return -1;
	rc = vc_store_verify(st, &m, fd, err);
	close(fd);
	vc_manifest_release(&m);
	return rc;
}

static void
check_report(const struct vc_check_item *ci, void *arg)
{
	static const char *const names[] = {"ok", "bad", "removed", "orphan",
	    "busy"};
	struct vc_strv *sv = arg;

	vc_strv_pushf(sv, "%s %s%s%s", names[ci->status], ci->key,
	    ci->reason ? ": " : "", ci->reason ? ci->reason : "");
}

START_TEST(test_verify)
{
	struct vc_check_result cr;
	struct vc_store st;
	struct vc_error err;
	struct vc_strv rep;
	char *p, *q;
	size_t i;

	vc_error_clear(&err);
	vc_strv_init(&rep);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	put(&st, "k-good", "good archive");
	put(&st, "k-flip", "flipped archive");
	put(&st, "k-trunc", "truncated archive");
	put(&st, "k-noarch", "lost archive");
	put(&st, "k-orphan", "orphan archive");
	ck_assert_int_eq(verify_key(&st, "k-good", &err), 0);

	flip_byte("k-flip", 3);
	ck_assert_int_eq(verify_key(&st, "k-flip", &err), -1);
	ck_assert_int_eq(err.code, VC_ECORRUPT);
	ck_assert_msg(strstr(err.msg,
	                  "entry 'k-flip': the archive's "
	                  "checksum is ") != NULL,
	    "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, ", its manifest says "));

	p = entry_path("k-trunc", ".tar.zst");
	ck_assert_int_eq(truncate(p, 9), 0);
	free(p);
	ck_assert_int_eq(verify_key(&st, "k-trunc", &err), -1);
	ck_assert_int_eq(err.code, VC_ECORRUPT);
	ck_assert_str_eq(err.msg,
	    "entry 'k-trunc': the archive has 9 bytes, "
	    "its manifest says 17");

	p = entry_path("k-noarch", ".tar.zst");
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	ck_assert_int_eq(verify_key(&st, "k-noarch", &err), -1);
	ck_assert_int_eq(err.code, VC_ECORRUPT);
	ck_assert_str_eq(err.msg, "entry 'k-noarch': manifest without archive");

	p = entry_path("k-orphan", ".json");
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	ck_assert_int_eq(verify_key(&st, "k-orphan", &err), -1);
	ck_assert_int_eq(err.code, VC_EMISS);

	/* A manifest that is a symlink, and one that names another key. */
	p = entry_path("k-link", ".json");
	q = entry_path("k-good", ".json");
	ck_assert_int_eq(symlink(q, p), 0);
	free(p);
	ck_assert_int_eq(verify_key(&st, "k-link", &err), -1);
	ck_assert_int_eq(err.code, VC_ECORRUPT);
	p = entry_path("k-other", ".json");
	{
		struct vc_buf b;

		vc_buf_init(&b);
		ck_assert_int_eq(vc_read_file(q, 0, &b, &err), 0);
		ck_assert_int_eq(vc_write_file_atomic(p, b.data, b.len, 0644,
		                     &err),
		    0);
		vc_buf_release(&b);
	}
	free(p);
	free(q);
	ck_assert_int_eq(verify_key(&st, "k-other", &err), -1);
	ck_assert_int_eq(err.code, VC_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(err.msg, "for another key ('k-good')"));
	/* A file no key can name. */
	p = xasprintf("%s/entries/.evil\x1b[2J.json", sdir);
	ck_assert_int_eq(vc_write_file_atomic(p, "{}", 2, 0644, &err), 0);
	free(p);

	/* The whole store, without fix: the orphan is removed anyway. */
	ck_assert_int_eq(vc_store_check(&st, 0, &cr, check_report, &rep, &err),
	    0);
	for (i = 0; i < rep.n; i++)
		fprintf(stderr, "# %s\n", rep.v[i]);
	ck_assert_uint_eq(cr.ok, 1);
	ck_assert_uint_eq(cr.bad, 6);
	ck_assert_uint_eq(cr.orphans, 1);
	ck_assert_uint_eq(cr.removed, 0);
	ck_assert(vc_strv_contains(&rep, "ok k-good"));
	ck_assert(vc_strv_contains(&rep, "orphan k-orphan"));
	ck_assert(vc_strv_contains(&rep,
	    "bad k-noarch: entry 'k-noarch': manifest without archive"));
	ck_assert(vc_strv_contains(&rep,
	    "bad .evil?[2J.json: not the name of an entry"));
	ck_assert_uint_eq(count_dir("entries"), 2 + 2 + 2 + 1 + 2);
	vc_strv_release(&rep);

	/* With fix: only the good entry is left. */
	ck_assert_int_eq(vc_store_check(&st, 1, &cr, check_report, &rep, &err),
	    0);
	ck_assert_uint_eq(cr.ok, 1);
	ck_assert_uint_eq(cr.removed, 6);
	ck_assert_uint_eq(cr.bad, 0);
	ck_assert(vc_strv_contains(&rep, "ok k-good"));
	vc_strv_release(&rep);
	ck_assert_uint_eq(count_dir("entries"), 2);
	ck_assert(has_entry("k-good"));
	ck_assert_int_eq(vc_store_check(&st, 0, &cr, NULL, NULL, &err), 0);
	ck_assert_uint_eq(cr.ok, 1);
	ck_assert_uint_eq(cr.bad + cr.removed + cr.orphans + cr.busy, 0);
	vc_store_close(&st);
}
END_TEST

START_TEST(test_verify_busy)
{
	struct vc_check_result cr;
	struct vc_store st;
	struct vc_lock lk;
	struct vc_error err;
	pid_t pid;
	int how = VC_LOCK_SHARED;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
	put(&st, KEY_A, "aaaa");
	flip_byte(KEY_A, 0);
	/* A reader holds it: verify reads alongside, fix cannot remove. */
	pid = fork_holder(lock_and_wait, &how);
	ck_assert_int_eq(vc_store_check(&st, 0, &cr, NULL, NULL, &err), 0);
	ck_assert_uint_eq(cr.bad, 1);
	ck_assert_int_eq(vc_store_check(&st, 1, &cr, NULL, NULL, &err), 0);
	ck_assert_uint_eq(cr.busy, 1);
	ck_assert(has_entry(KEY_A));
	kill_holder(pid);
	/* A builder holds it: not even read. */
	ck_assert_int_eq(vc_store_lock(&st, KEY_A, VC_LOCK_EXCLUSIVE, &lk,
	                     &err),
	    0);
	ck_assert_int_eq(vc_store_check(&st, 0, &cr, NULL, NULL, &err), 0);
	ck_assert_uint_eq(cr.busy, 1);
	ck_assert_uint_eq(cr.bad, 0);
	vc_store_unlock(&lk);
	ck_assert_int_eq(vc_store_check(&st, 1, &cr, NULL, NULL, &err), 0);
	ck_assert_uint_eq(cr.removed, 1);
	ck_assert(!has_entry(KEY_A));
	vc_store_close(&st);
}
END_TEST

/*
 * Commits entries of a few keys, replacing them, until killed; writes a
 * byte to `ready` after the first.
 */
static void
commit_forever(int ready)
{
	static const char *const keys[] = {KEY_A, KEY_B, KEY_C};
	struct vc_store st;
	struct vc_error err;
	char data[4096];
	unsigned i;

	signal(SIGPIPE, SIG_IGN);
	if (vc_store_open(&st, sdir, &err) == -1)
		_exit(1);
	for (i = 0;; i++) {
		memset(data, 'a' + (int)(i % 26), sizeof data);
		data[(i * 7919) % (sizeof data - 1) + 1] = '\0';
		put(&st, keys[i % 3], data);
		if (i == 0) /* nobody may read it: EPIPE, not SIGPIPE */
			(void)!write(ready, "x", 1);
	}
}

START_TEST(test_crash_loop)
{
	struct vc_check_result cr;
	struct vc_store_entry *v;
	struct vc_store st;
	struct vc_error err;
	unsigned round, whole = 0;
	size_t n, j;
	pid_t pid;

	vc_error_clear(&err);
	srand(1234);
	for (round = 0; round < 40; round++) {
		int p[2];
		char c;

		ck_assert_int_eq(pipe(p), 0);
		pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			close(p[0]);
			commit_forever(p[1]);
		}
		close(p[1]);
		/* Odd rounds kill during a replacement, however slow the
		 * machine (valgrind); even ones anywhere, the first too. */
		if (round % 2 == 1)
			ck_assert_int_eq(read(p[0], &c, 1), 1);
		close(p[0]);
		usleep((useconds_t)(rand() % 30000));
		kill_holder(pid); /* checks it died of SIGKILL */
		/* The next open removes the dead writer's temp files; every
		 * entry left is whole: verify finds nothing bad. */
		ck_assert_int_eq(vc_store_open(&st, sdir, &err), 0);
		ck_assert_uint_eq(count_dir("tmp"), 0);
		ck_assert_int_eq(vc_store_check(&st, 0, &cr, NULL, NULL, &err),
		    0);
		ck_assert_msg(cr.bad == 0 && cr.busy == 0,
		    "round %u: %llu bad entries", round,
		    (unsigned long long)cr.bad);
		ck_assert_int_eq(vc_store_list(&st, &v, &n, &err), 0);
		for (j = 0; j < n; j++)
			ck_assert_int_eq(verify_key(&st, v[j].m.key, &err), 0);
		whole += (unsigned)n;
		vc_store_entries_free(v, n);
		vc_store_close(&st);
	}
	ck_assert_uint_gt(whole, 0);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_manifest_roundtrip,
	    test_manifest_missing_fields,
	    test_manifest_wrong_types,
	    test_manifest_bad_values,
	    test_manifest_bad_json,
	    test_key_check,
	    test_open_layout,
	    test_publish_lookup_remove,
	    test_commit_checks,
	    test_long_key,
	    test_dead_writer_temp_removed,
	    test_stale_lock_taken_over,
	    test_lock_kinds,
	    test_lru_order_and_size,
	    test_gc_lru,
	    test_gc_skips_locked,
	    test_gc_keeps_builders_lock,
	    test_gc_orphans,
	    test_find_related,
	    test_verify,
	    test_verify_busy,
	    test_crash_loop,
	};
	Suite *s = suite_create("store");

	vc_test_case(s, "store", setup, teardown, 0, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
