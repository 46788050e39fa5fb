/*
 * check_archive.c: pack and extract.
 *
 * Round trips must be byte-identical (contents, modes, mtimes to the
 * nanosecond, symlinks, empty directories and files), readable by the real
 * unzstd, GNU tar and bsdtar, in frames of a bounded window, and
 * deterministic. Hostile archives are crafted here with libarchive's writer
 * (or by hand where libarchive would not write them) and zstd, bypassing any
 * checksum; each must be refused with the right code, a message naming the
 * member, and nothing written outside the destination.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>
#include <xxhash.h>

#include "venvcache/archive.h"

#include "helpers.h"

/* --- fixtures ------------------------------------------------------------ */

static char *base; /* a fresh directory per test */

static void
setup(void)
{
	base = vc_test_scratch("vc-check-archive", 0);
}

static void
teardown(void)
{
	char *mnt = xasprintf("%s/mnt", base);

	/* test_disk_full's tmpfs, even when it failed half way. */
	(void)umount2(mnt, MNT_DETACH);
	free(mnt);
	ck_assert_int_eq(vc_test_scratch_remove(base), 0);
	base = NULL;
}

static char *
at(const char *rel)
{
	return xasprintf("%s/%s", base, rel);
}

static void run(const char *fmt, ...) VC_PRINTF(1, 2);

static void
run(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int st;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	st = system(cmd);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "command failed: %s", cmd);
	free(cmd);
}

static void
write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_msg(fd != -1, "cannot create %s", path);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void
set_mtime(const char *path, time_t sec, long nsec)
{
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};

	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/*
 * A step of make_tree under its root: 'd' mkdir with `mode`, 'f' a file of
 * `data` with `mode`, 'l' a symlink to `data`, 'c' chmod to `mode`, 't'
 * nothing more; then the mtime, when `sec` is not 0.
 */
struct node {
	char op;
	const char *name, *data;
	mode_t mode;
	time_t sec;
	long nsec;
};

static const struct node tree_first[] = {
    {'d', "bin", NULL, 0755, 0, 0},
    {'l', "bin/python", "/usr/bin/python3", 0, 1600000000, 111111111},
    {'l', "bin/python3", "python", 0, 0, 0},
    {'f', "bin/activate", "echo hi\n", 0644, 1700000000, 123456789},
    {'f', "bin/tool", "#!/bin/sh\n", 0755, 0, 0},
    {'d', "empty-dir", NULL, 0700, 1500000000, 999999999},
    {'f', "empty-file", "", 0600, 1400000000, 1},
    {'f', "readonly", "ro", 0444, 0, 0},
    {'f', "caf\xc3\xa9.txt", "utf8", 0640, 0, 0},
};

/* After the rest: a directory whose mode forbids writing, with content;
 * the directories' mtimes, once nothing more is made in them. */
static const struct node tree_last[] = {
    {'d', "sealed", NULL, 0755, 0, 0},
    {'f', "sealed/inside", "x", 0644, 0, 0},
    {'c', "sealed", NULL, 0555, 1234567890, 123},
    {'t', "lib", NULL, 0, 1300000000, 42},
    {'t', "bin", NULL, 0, 1300000001, 43},
};

static void
make_nodes(const char *root, const struct node *n, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++, n++) {
		char *p = xasprintf("%s/%s", root, n->name);

		if (n->op == 'd')
			ck_assert_int_eq(mkdir(p, n->mode), 0);
		else if (n->op == 'f')
			write_file(p, n->data, strlen(n->data), n->mode);
		else if (n->op == 'l')
			ck_assert_int_eq(symlink(n->data, p), 0);
		else if (n->op == 'c')
			ck_assert_int_eq(chmod(p, n->mode), 0);
		if (n->sec != 0)
			set_mtime(p, n->sec, n->nsec);
		free(p);
	}
}

/*
 * Builds the round-trip tree under `root`: every kind of member, odd modes,
 * nanosecond mtimes, long and non-ASCII names, a file spanning several
 * frames and many small files.
 */
static void
make_tree(const char *root)
{
	char *p, *big;
	size_t i, bigsize = 11u << 20;
	unsigned x = 12345;
	char longname[200];

	ck_assert_int_eq(mkdir(root, 0755), 0);
	make_nodes(root, tree_first, VC_ARRAY_SIZE(tree_first));
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	p = xasprintf("%s/%s", root, longname);
	write_file(p, "long", 4, 0644);
	free(p);
	p = xasprintf("%s/longlink", root);
	ck_assert_int_eq(symlink(longname, p), 0);
	free(p);
	p = xasprintf("%s/hard", root);
	write_file(p, "linked", 6, 0644);
	free(p);
	p = xasprintf("%s/hard", root);
	{
		char *q = xasprintf("%s/hard2", root);

		ck_assert_int_eq(link(p, q), 0);
		free(q);
	}
	free(p);
	/* Spans three frames; pseudo-random so that it compresses badly. */
	big = xmalloc(bigsize);
	for (i = 0; i < bigsize; i++) {
		x = x * 1103515245 + 12345;
		big[i] = (char)(x >> 16);
	}
	p = xasprintf("%s/big.bin", root);
	write_file(p, big, bigsize, 0644);
	set_mtime(p, 1650000000, 500000000);
	free(p);
	free(big);
	p = xasprintf("%s/lib", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	for (i = 0; i < 300; i++) {
		char body[64];
		int n = snprintf(body, sizeof body, "# module %zu\n", i);

		p = xasprintf("%s/lib/m%03zu.py", root, i);
		write_file(p, body, (size_t)n, 0644);
		set_mtime(p, 1600000000 + (time_t)i, (long)i * 1000 + 7);
		free(p);
	}
	make_nodes(root, tree_last, VC_ARRAY_SIZE(tree_last));
}

/* Or'ed into compare's dir_times: the top, which is not a member. */
#define ROOT 2

/*
 * Compares two trees: 0, or 1 with the first difference in `why`. With
 * `dir_times` 0, directories' mtimes are not compared (a tool that sets
 * them differently is still judged on everything else).
 */
static int compare(const char *a, const char *b, int dir_times, char *why,
    size_t n);

static int
cmp_names(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

static int
no_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int
compare(const char *a, const char *b, int dir_times, char *why, size_t n)
{
	struct dirent **la = NULL, **lb = NULL;
	int na, nb, i, rc = 1, root = dir_times & ROOT;
	struct stat sa, sb;

	dir_times &= ~ROOT;

	if (lstat(a, &sa) == -1 || lstat(b, &sb) == -1) {
		snprintf(why, n, "missing: %s or %s", a, b);
		return 1;
	}
	if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
		snprintf(why, n, "type differs: %s", b);
		return 1;
	}
	if (!root && !S_ISLNK(sa.st_mode) &&
	    (sa.st_mode & 07777) != (sb.st_mode & 07777)) {
		snprintf(why, n, "mode differs: %s %o %o", b,
		    (unsigned)sa.st_mode & 07777, (unsigned)sb.st_mode & 07777);
		return 1;
	}
	if (!root && (!S_ISDIR(sa.st_mode) || dir_times) &&
	    (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec ||
	        sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)) {
		snprintf(why, n, "mtime differs: %s %ld.%09ld %ld.%09ld", b,
		    (long)sa.st_mtim.tv_sec, sa.st_mtim.tv_nsec,
		    (long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
		return 1;
	}
	if (S_ISLNK(sa.st_mode)) {
		char ta[PATH_MAX], tb[PATH_MAX];
		ssize_t ka = readlink(a, ta, sizeof ta),
		        kb = readlink(b, tb, sizeof tb);

		if (ka != kb || memcmp(ta, tb, (size_t)ka) != 0) {
			snprintf(why, n, "link target differs: %s", b);
			return 1;
		}
		return 0;
	}
	if (S_ISREG(sa.st_mode)) {
		size_t ka, kb;
		char *da = vc_test_slurp(a, &ka), *db = vc_test_slurp(b, &kb);

		rc = ka != kb || memcmp(da, db, ka) != 0;
		if (rc)
			snprintf(why, n, "content differs: %s", b);
		free(da);
		free(db);
		return rc;
	}
	na = scandir(a, &la, no_dots, cmp_names);
	nb = scandir(b, &lb, no_dots, cmp_names);
	if (na != nb) {
		snprintf(why, n, "entries differ in %s: %d %d", b, na, nb);
		goto out;
	}
	for (i = 0; i < na; i++) {
		char *ca, *cb;

		if (strcmp(la[i]->d_name, lb[i]->d_name) != 0) {
			snprintf(why, n, "entry differs in %s: %s %s", b,
			    la[i]->d_name, lb[i]->d_name);
			goto out;
		}
		ca = xasprintf("%s/%s", a, la[i]->d_name);
		cb = xasprintf("%s/%s", b, lb[i]->d_name);
		rc = compare(ca, cb, dir_times, why, n);
		free(ca);
		free(cb);
		if (rc)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < na; i++)
		free(la[i]);
	for (i = 0; i < nb; i++)
		free(lb[i]);
	free(la);
	free(lb);
	return rc;
}

static void
assert_same(const char *a, const char *b, int dir_times)
{
	char why[PATH_MAX * 2] = "";

	ck_assert_msg(compare(a, b, dir_times | ROOT, why, sizeof why) == 0,
	    "%s", why);
}

static int
pack_to(const char *dir, const char *out, const struct vc_pack_opts *o,
    struct vc_pack_result *r, struct vc_error *err)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), rc;

	ck_assert_int_ne(fd, -1);
	rc = vc_archive_pack(dir, fd, o, r, err);
	close(fd);
	return rc;
}

static int
extract_from(const char *archive, const char *dest,
    const struct vc_extract_opts *o, struct vc_extract_result *r,
    struct vc_error *err)
{
	int fd = open(archive, O_RDONLY), rc;

	ck_assert_int_ne(fd, -1);
	rc = vc_archive_extract(fd, dest, o, r, err);
	close(fd);
	return rc;
}

/* --- round trips -----------------------------------------------------------
 */

static void
round_trip(void)
{
	char *src = at("src"), *arc = at("a.tzst"), *dst = at("dst");
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_error err;
	struct stat st;
	int threads;

	make_tree(src);
	memset(&po, 0, sizeof po);
	po.level = 3;
	po.threads = 2;
	vc_pack_result_init(&pr);
	vc_error_clear(&err);
	ck_assert_msg(pack_to(src, arc, &po, &pr, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(stat(arc, &st), 0);
	ck_assert_uint_eq(pr.archive_size, (uint64_t)st.st_size);
	ck_assert_uint_ge(pr.nframes, 3);
	/* 12 at the top, 4 in bin, 300 in lib, 1 in sealed. */
	ck_assert_uint_eq(pr.file_count, 12 + 4 + 300 + 1);
	/* The small files, the lib modules, the big one. */
	ck_assert_uint_eq(pr.unpacked_size,
	    8 + 10 + 2 + 4 + 4 + 6 + 6 + 1 + (10 * 11 + 90 * 12 + 200 * 13) +
	        (11u << 20));

	/* Every combination of index, decoders and writers: the same tree. */
	for (threads = 0; threads < 6; threads++) {
		char *d = xasprintf("%s.%d", dst, threads);

		ck_assert_int_eq(mkdir(d, 0700), 0);
		memset(&xo, 0, sizeof xo);
		xo.threads = threads % 4;
		xo.writers = threads < 2 ? -1 : threads - 2;
		if (threads != 1) {
			xo.frames = pr.frames;
			xo.nframes = pr.nframes;
		}
		xo.max_bytes = pr.unpacked_size;
		xo.max_files = pr.file_count;
		ck_assert_msg(extract_from(arc, d, &xo, &xr, &err) == 0, "%s",
		    err.msg);
		ck_assert_uint_eq(xr.bytes, pr.unpacked_size);
		ck_assert_uint_eq(xr.files, pr.file_count);
		assert_same(src, d, 1);
		free(d);
	}
	vc_pack_result_release(&pr);
	free(src);
	free(arc);
	free(dst);
}

START_TEST(test_round_trip)
{
	round_trip();
}
END_TEST

START_TEST(test_other_tools_read_it)
{
	char *src = at("src"), *arc = at("a.tzst");
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	struct vc_error err;
	char *list = at("list"), *text, *d;
	size_t n;

	make_tree(src);
	memset(&po, 0, sizeof po);
	vc_pack_result_init(&pr);
	vc_error_clear(&err);
	ck_assert_msg(pack_to(src, arc, &po, &pr, &err) == 0, "%s", err.msg);

	/* actions/cache's own restore command, and the pieces of it. */
	run("mkdir %s/gnu && tar -xf %s -C %s/gnu --use-compress-program "
	    "unzstd",
	    base, arc, base);
	d = at("gnu");
	assert_same(src, d, 1);
	free(d);
	run("mkdir %s/pipe && unzstd -c < %s | tar -xf - -C %s/pipe", base, arc,
	    base);
	d = at("pipe");
	assert_same(src, d, 1);
	free(d);
	run("mkdir %s/bsd && bsdtar -xpf %s -C %s/bsd", base, arc, base);
	d = at("bsd");
	assert_same(src, d, 1);
	free(d);
	/* Members are relative, without "./". */
	run("unzstd -c < %s | tar -t > %s", arc, list);
	text = vc_test_slurp(list, &n);
	ck_assert_ptr_null(strstr(text, "./"));
	ck_assert_msg(strncmp(text, "big.bin\n", 8) == 0, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "\nbin/\nbin/activate\n"));
	free(text);
	/* Each frame on its own is a complete, checked zstd frame. */
	run("zstd -lv %s > /dev/null 2>&1", arc);
	vc_pack_result_release(&pr);
	free(list);
	free(src);
	free(arc);
}
END_TEST

/* What libarchive reads of a member must be what the tree holds. */
struct oracle_walk {
	const char *src;
	size_t members;
	char why[PATH_MAX * 2];
};

static int
oracle_member(const struct vc_oracle_member *m, void *arg)
{
	struct oracle_walk *w = arg;
	char *path = xasprintf("%s/%s", w->src, m->name);
	struct stat st;
	char type = '?';
	int bad = 1;

	w->members++;
	if (lstat(path, &st) == -1) {
		snprintf(w->why, sizeof w->why, "'%s' is not in the tree",
		    m->name);
		goto out;
	}
	if (S_ISREG(st.st_mode))
		type = 'f';
	else if (S_ISDIR(st.st_mode))
		type = 'd';
	else if (S_ISLNK(st.st_mode))
		type = 'l';
	if (m->type != type) {
		snprintf(w->why, sizeof w->why, "'%s': type %c, not %c",
		    m->name, m->type, type);
		goto out;
	}
	if (type != 'l' && m->mode != (st.st_mode & 07777)) {
		snprintf(w->why, sizeof w->why, "'%s': mode %o, not %o",
		    m->name, m->mode, (unsigned)st.st_mode & 07777);
		goto out;
	}
	if (m->mtime != st.st_mtim.tv_sec ||
	    m->mtime_nsec != st.st_mtim.tv_nsec) {
		snprintf(w->why, sizeof w->why,
		    "'%s': mtime %lld.%09ld, not %lld.%09ld", m->name,
		    (long long)m->mtime, m->mtime_nsec,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		goto out;
	}
	if (type == 'l') {
		char target[PATH_MAX];
		ssize_t k = readlink(path, target, sizeof target - 1);

		ck_assert_int_gt(k, 0);
		target[k] = '\0';
		if (m->link == NULL || strcmp(m->link, target) != 0) {
			snprintf(w->why, sizeof w->why,
			    "'%s': link target '%s', not '%s'", m->name,
			    m->link ? m->link : "(none)", target);
			goto out;
		}
	}
	if (type == 'f') {
		size_t n;
		char *data = vc_test_slurp(path, &n);
		int same = m->size == n && m->data_hash == XXH3_64bits(data, n);

		free(data);
		if (!same) {
			snprintf(w->why, sizeof w->why,
			    "'%s': %llu bytes of other data, not %zu", m->name,
			    (unsigned long long)m->size, n);
			goto out;
		}
	}
	bad = 0;
out:
	free(path);
	return bad;
}

/* Members of the tree at `dir`, not counting `dir` itself. */
static size_t
count_tree(const char *dir)
{
	struct dirent **l = NULL;
	int n = scandir(dir, &l, no_dots, cmp_names), i;
	size_t total = 0;

	ck_assert_int_ge(n, 0);
	for (i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, l[i]->d_name);
		struct stat st;

		total++;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			total += count_tree(p);
		free(p);
		free(l[i]);
	}
	free(l);
	return total;
}

/*
 * libarchive, read in process (vc_archive_oracle, what verify --deep
 * uses), sees every member venvcache packs as the tree has it: name, type,
 * mode, size, link target, mtime to the nanosecond, data.
 */
START_TEST(test_libarchive_reads_it)
{
	char *src = at("src"), *arc = at("a.tzst");
	struct oracle_walk w;
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	struct vc_error err;
	int fd;

	make_tree(src);
	memset(&po, 0, sizeof po);
	vc_pack_result_init(&pr);
	vc_error_clear(&err);
	ck_assert_msg(pack_to(src, arc, &po, &pr, &err) == 0, "%s", err.msg);
	memset(&w, 0, sizeof w);
	w.src = src;
	fd = open(arc, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	ck_assert_msg(vc_archive_oracle(fd, oracle_member, &w, &err) == 0,
	    "%s%s", w.why, err.msg);
	close(fd);
	ck_assert_uint_eq(w.members, count_tree(src));
	ck_assert_uint_eq(w.members, pr.file_count);
	vc_pack_result_release(&pr);
	free(src);
	free(arc);
}
END_TEST

START_TEST(test_frames)
{
	char *src = at("src"), *arc = at("a.tzst");
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	struct vc_error err;
	ZSTD_frameHeader fh;
	uint64_t off = 0, total = 0;
	size_t n, i, cs;
	char *data;

	make_tree(src);
	memset(&po, 0, sizeof po);
	po.level = 19; /* the largest window of the allowed levels */
	po.threads = 3;
	vc_pack_result_init(&pr);
	vc_error_clear(&err);
	ck_assert_msg(pack_to(src, arc, &po, &pr, &err) == 0, "%s", err.msg);
	data = vc_test_slurp(arc, &n);
	for (i = 0; off < n; i++) {
		ck_assert_uint_lt(i, pr.nframes);
		ck_assert_uint_eq(pr.frames[i].offset, off);
		ck_assert_int_eq(ZSTD_getFrameHeader(&fh, data + off,
		                     (size_t)(n - off)),
		    0);
		ck_assert_uint_le(fh.windowSize, 1u << 27);
		ck_assert_uint_eq(fh.frameContentSize, pr.frames[i].usize);
		ck_assert_uint_eq(fh.checksumFlag, 1);
		cs =
		    ZSTD_findFrameCompressedSize(data + off, (size_t)(n - off));
		ck_assert(!ZSTD_isError(cs));
		ck_assert_uint_eq(cs, pr.frames[i].csize);
		off += cs;
		total += pr.frames[i].usize;
	}
	ck_assert_uint_eq(i, pr.nframes);
	/* The whole stream: a multiple of the tar block. */
	ck_assert_uint_eq(total % 512, 0);
	free(data);
	vc_pack_result_release(&pr);
	free(src);
	free(arc);
}
END_TEST

START_TEST(test_deterministic)
{
	char *src = at("src"), *a1 = at("1.tzst"), *a2 = at("2.tzst");
	struct vc_pack_opts po;
	struct vc_pack_result r1, r2;
	struct vc_error err;
	char *d1, *d2, sum[33];
	size_t n1, n2;
	uint64_t size;
	int fd;

	make_tree(src);
	memset(&po, 0, sizeof po);
	vc_pack_result_init(&r1);
	vc_pack_result_init(&r2);
	vc_error_clear(&err);
	po.threads = 1;
	ck_assert_int_eq(pack_to(src, a1, &po, &r1, &err), 0);
	po.threads = 4;
	ck_assert_int_eq(pack_to(src, a2, &po, &r2, &err), 0);
	d1 = vc_test_slurp(a1, &n1);
	d2 = vc_test_slurp(a2, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(d1, d2, n1) == 0);
	ck_assert_str_eq(r1.checksum, r2.checksum);
	/* The checksum is that of the file. */
	fd = open(a1, O_RDONLY);
	ck_assert_int_eq(vc_archive_checksum(fd, sum, &size, &err), 0);
	close(fd);
	ck_assert_str_eq(sum, r1.checksum);
	ck_assert_uint_eq(size, n1);
	free(d1);
	free(d2);
	vc_pack_result_release(&r1);
	vc_pack_result_release(&r2);
	free(src);
	free(a1);
	free(a2);
}
END_TEST

START_TEST(test_checksum_known)
{
	char *p = at("empty"), sum[33];
	struct vc_error err;
	uint64_t size = 1;
	int fd;

	write_file(p, "", 0, 0644);
	fd = open(p, O_RDONLY);
	vc_error_clear(&err);
	ck_assert_int_eq(vc_archive_checksum(fd, sum, &size, &err), 0);
	close(fd);
	/* XXH3-128 of nothing, as xxhsum -H2 prints it. */
	ck_assert_str_eq(sum, "99aa06d3014798d86001c324468d497f");
	ck_assert_uint_eq(size, 0);
	free(p);
}
END_TEST

/* Modes are the archive's whatever the umask or a setgid dest. */
START_TEST(test_umask)
{
	char *src = at("src"), *arc = at("a.tzst"), *dst = at("dst");
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_error err;

	make_tree(src);
	memset(&po, 0, sizeof po);
	vc_pack_result_init(&pr);
	vc_error_clear(&err);
	ck_assert_int_eq(pack_to(src, arc, &po, &pr, &err), 0);
	ck_assert_int_eq(mkdir(dst, 0700), 0);
	/* New directories would inherit setgid from dest: not restored. */
	ck_assert_int_eq(chmod(dst, 02700), 0);
	umask(0077);
	memset(&xo, 0, sizeof xo);
	xo.writers = 2;
	ck_assert_msg(extract_from(arc, dst, &xo, &xr, &err) == 0, "%s",
	    err.msg);
	umask(0022);
	assert_same(src, dst, 1);
	vc_pack_result_release(&pr);
	free(src);
	free(arc);
	free(dst);
}
END_TEST

START_TEST(test_pipe_input)
{
	char *src = at("src"), *arc = at("a.tzst"), *dst = at("dst");
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_error err;
	char *cmd;
	FILE *p;

	make_tree(src);
	memset(&po, 0, sizeof po);
	vc_pack_result_init(&pr);
	vc_error_clear(&err);
	ck_assert_int_eq(pack_to(src, arc, &po, &pr, &err), 0);
	cmd = xasprintf("cat %s", arc);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(mkdir(dst, 0700), 0);
	memset(&xo, 0, sizeof xo);
	/* An index is of no use on a pipe: streamed. */
	xo.frames = pr.frames;
	xo.nframes = pr.nframes;
	ck_assert_msg(vc_archive_extract(fileno(p), dst, &xo, &xr, &err) == 0,
	    "%s", err.msg);
	pclose(p);
	assert_same(src, dst, 1);
	free(cmd);
	vc_pack_result_release(&pr);
	free(src);
	free(arc);
	free(dst);
}
END_TEST

START_TEST(test_exclude_and_prefix)
{
	char *src = at("src"), *arc = at("a.tzst"), *p, *big, *list, *text;
	const char *prefix = "/dev/shm/venvcache/.tmp/abc";
	const char *const excl[] = {"pip.conf", "sub/skipdir", NULL};
	size_t plen = strlen(prefix), bign = (1u << 20) + 100, n;
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	struct vc_error err;

	ck_assert_int_eq(mkdir(src, 0755), 0);
	p = xasprintf("%s/sub", src);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/sub/skipdir", src);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/sub/skipdir/x", src);
	write_file(p, prefix, plen, 0644);
	free(p);
	p = xasprintf("%s/pip.conf", src);
	write_file(p, prefix, plen, 0644);
	free(p);
	p = xasprintf("%s/cache.tzst", src);
	write_file(p, "old", 3, 0644);
	free(p);
	p = xasprintf("%s/sub/text", src);
	text = xasprintf("#!%s/bin/python\nimport x\n", prefix);
	write_file(p, text, strlen(text), 0755);
	free(text);
	free(p);
	p = xasprintf("%s/sub/at-end", src);
	text = xasprintf("home = %s", prefix);
	write_file(p, text, strlen(text), 0644);
	free(text);
	free(p);
	p = xasprintf("%s/sub/plain", src);
	write_file(p, "/dev/shm/venvcache/.tmp/ab", plen - 1, 0644);
	free(p);
	p = xasprintf("%s/sub/binary.so", src);
	{
		char bin[100];

		memset(bin, 0, sizeof bin);
		memcpy(bin + 10, prefix, plen);
		write_file(p, bin, sizeof bin, 0755);
	}
	free(p);
	p = xasprintf("%s/sub/nul-no-prefix", src);
	write_file(p, "a\0b", 3, 0644);
	free(p);
	/* The prefix across the boundary of two reads of the packer. */
	big = xmalloc(bign);
	memset(big, 'a', bign);
	memcpy(big + (1u << 20) - plen / 2, prefix, plen);
	p = xasprintf("%s/sub/straddle", src);
	write_file(p, big, bign, 0644);
	free(p);
	free(big);
	p = xasprintf("%s/sub/link", src);
	ck_assert_int_eq(symlink(prefix, p), 0);
	free(p);

	memset(&po, 0, sizeof po);
	po.prefix = prefix;
	po.exclude = excl;
	vc_pack_result_init(&pr);
	vc_error_clear(&err);
	ck_assert_msg(pack_to(src, arc, &po, &pr, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(pr.prefix_files.n, 3);
	ck_assert_str_eq(pr.prefix_files.v[0], "sub/at-end");
	ck_assert_str_eq(pr.prefix_files.v[1], "sub/straddle");
	ck_assert_str_eq(pr.prefix_files.v[2], "sub/text");
	ck_assert_uint_eq(pr.prefix_binary.n, 1);
	ck_assert_str_eq(pr.prefix_binary.v[0], "sub/binary.so");

	list = at("list");
	run("unzstd -c < %s | tar -t > %s", arc, list);
	text = vc_test_slurp(list, &n);
	ck_assert_str_eq(text,
	    "sub/\nsub/at-end\nsub/binary.so\nsub/link\n"
	    "sub/nul-no-prefix\nsub/plain\nsub/straddle\n"
	    "sub/text\n");
	ck_assert_uint_eq(pr.file_count, 8);
	free(text);
	free(list);
	vc_pack_result_release(&pr);
	free(src);
	free(arc);
}
END_TEST

/* --- hostile archives ---------------------------------------------------- */

enum { T_FILE, T_DIR, T_SYMLINK, T_HARDLINK, T_CHR, T_BLK, T_FIFO };

struct member {
	const char *name;
	int type;
	mode_t mode;      /* 0: 0644 or 0755 */
	const char *link; /* symlink or hardlink target */
	int64_t size;     /* -1: as much as `data`; else that many 'x' */
	const char *data;
};

/* Compresses `tar` into base/h.tzst (optionally cut or flipped). */
static char *
store_zstd(const void *tar, size_t n)
{
	size_t cap = ZSTD_compressBound(n), cs;
	char *z = xmalloc(cap), *path = at("h.tzst");
	ZSTD_CCtx *cc = ZSTD_createCCtx();

	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	cs = ZSTD_compress2(cc, z, cap, tar, n);
	ck_assert(!ZSTD_isError(cs));
	write_file(path, z, cs, 0644);
	ZSTD_freeCCtx(cc);
	free(z);
	return path;
}

/* A tar written by libarchive (pax), members as given, in zstd. */
static char *
craft(const struct member *m, size_t n)
{
	size_t cap = 64u << 20, used = 0, i;
	char *tar = xmalloc(cap), *path, *data;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int64_t size;

	ck_assert_int_eq(archive_write_set_format_pax(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_set_bytes_per_block(a, 0), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_memory(a, tar, cap, &used),
	    ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_copy_pathname(e, m[i].name);
		archive_entry_set_mtime(e, 1700000000, 0);
		size = m[i].size >= 0   ? m[i].size
		    : m[i].data != NULL ? (int64_t)strlen(m[i].data)
		                        : 0;
		switch (m[i].type) {
		case T_FILE:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, size);
			break;
		case T_DIR:
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		case T_SYMLINK:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_copy_symlink(e, m[i].link);
			break;
		case T_HARDLINK:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_copy_hardlink(e, m[i].link);
			break;
		case T_CHR:
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, makedev(1, 3));
			break;
		case T_BLK:
			archive_entry_set_filetype(e, AE_IFBLK);
			archive_entry_set_rdev(e, makedev(8, 0));
			break;
		case T_FIFO:
			archive_entry_set_filetype(e, AE_IFIFO);
			break;
		}
		archive_entry_set_perm(e,
		    m[i].mode                ? m[i].mode
		        : m[i].type == T_DIR ? 0755
		                             : 0644);
		ck_assert_int_ge(archive_write_header(a, e), ARCHIVE_WARN);
		if (m[i].type == T_FILE && size > 0) {
			if (m[i].data != NULL && m[i].size < 0) {
				data = xstrdup(m[i].data);
			} else {
				data = xmalloc((size_t)size);
				memset(data, m[i].data ? m[i].data[0] : 'x',
				    (size_t)size);
			}
			ck_assert_int_eq(archive_write_data(a, data,
			                     (size_t)size),
			    size);
			free(data);
		}
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	path = store_zstd(tar, used);
	free(tar);
	return path;
}

/* --- a raw ustar writer, for what libarchive refuses to write ---------- */

struct rawtar {
	char *data;
	size_t len, cap;
};

static void
raw_add(struct rawtar *t, const char *name, char type, const char *mode,
    uint64_t size, const void *body, size_t bodylen)
{
	char h[512];
	unsigned sum = 0;
	size_t i, pad;

	memset(h, 0, sizeof h);
	strncpy(h, name, 100);
	snprintf(h + 100, 8, "%s", mode);
	snprintf(h + 108, 8, "%07o", 0);
	snprintf(h + 116, 8, "%07o", 0);
	snprintf(h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf(h + 136, 12, "%011o", 1700000000);
	h[156] = type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	pad = (512 - bodylen % 512) % 512;
	t->data = xgrow(t->data, &t->cap, t->len + 512 + bodylen + pad + 1, 1);
	memcpy(t->data + t->len, h, 512);
	t->len += 512;
	if (bodylen > 0)
		memcpy(t->data + t->len, body, bodylen);
	t->len += bodylen;
	memset(t->data + t->len, 0, pad);
	t->len += pad;
}

/* Writes `n` bytes at `off` into the header at `h`, and its checksum. */
static void
raw_patch(struct rawtar *t, size_t h, size_t off, const char *bytes, size_t n)
{
	char *p = t->data + h;
	unsigned sum = 0;
	size_t i;

	memcpy(p + off, bytes, n);
	memset(p + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += (unsigned char)p[i];
	snprintf(p + 148, 8, "%06o", sum);
}

static void
raw_end(struct rawtar *t)
{
	t->data = xgrow(t->data, &t->cap, t->len + 1024, 1);
	memset(t->data + t->len, 0, 1024);
	t->len += 1024;
}

/*
 * Extracts the archive at `path` into base/dest and checks the failure:
 * the code, the message naming `member` and holding `why`, and nothing
 * outside dest: base holds only dest, sentinel (unchanged) and the archive.
 */
static void
expect_refused(const char *path, uint64_t max_bytes, uint64_t max_files,
    enum vc_errcode code, const char *member, const char *why)
{
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_error err;
	char *dest = at("dest"), *want, *keep, *data;
	struct dirent **list;
	struct stat st;
	size_t n;
	int i, nl;

	ck_assert_int_eq(mkdir(dest, 0700), 0);
	memset(&xo, 0, sizeof xo);
	xo.max_bytes = max_bytes;
	xo.max_files = max_files;
	vc_error_clear(&err);
	ck_assert_msg(extract_from(path, dest, &xo, &xr, &err) == -1,
	    "'%s' was not refused", member ? member : why);
	ck_assert_msg(err.code == code, "code %d, want %d: %s", err.code, code,
	    err.msg);
	if (member != NULL) {
		want = xasprintf("archive member '%s'", member);
		ck_assert_msg(strstr(err.msg, want) != NULL,
		    "'%s' does not name '%s'", err.msg, member);
		free(want);
	}
	ck_assert_msg(strstr(err.msg, why) != NULL, "'%s' does not say '%s'",
	    err.msg, why);
	/* Nothing escaped. */
	nl = scandir(base, &list, no_dots, cmp_names);
	ck_assert_int_eq(nl, 3);
	ck_assert_str_eq(list[0]->d_name, "dest");
	ck_assert_str_eq(list[1]->d_name, "h.tzst");
	ck_assert_str_eq(list[2]->d_name, "sentinel");
	for (i = 0; i < nl; i++)
		free(list[i]);
	free(list);
	keep = at("sentinel");
	nl = scandir(keep, &list, no_dots, cmp_names);
	ck_assert_int_eq(nl, 1);
	ck_assert_str_eq(list[0]->d_name, "keep");
	free(list[0]);
	free(list);
	free(keep);
	keep = at("sentinel/keep");
	ck_assert_int_eq(lstat(keep, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	data = vc_test_slurp(keep, &n);
	ck_assert_str_eq(data, "precious");
	free(data);
	free(keep);
	ck_assert_int_eq(vc_rm_rf(dest, &err), 0);
	free(dest);
}

static void
hostile_setup(void)
{
	char *p;

	setup();
	p = at("sentinel");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = at("sentinel/keep");
	write_file(p, "precious", 8, 0644);
	free(p);
}

/* One crafted archive, refused. */
static void
refuse(const struct member *m, size_t n, enum vc_errcode code,
    const char *member, const char *why)
{
	char *path = craft(m, n);

	expect_refused(path, 0, 0, code, member, why);
	free(path);
}

#define REFUSE(code_, name_, why_, ...)                            \
	do {                                                       \
		const struct member m_[] = {__VA_ARGS__};          \
		refuse(m_, VC_ARRAY_SIZE(m_), code_, name_, why_); \
	} while (0)

START_TEST(test_hostile_names)
{
	char *abs = at("sentinel/abs"), *longname, *comp;
	size_t i;

	REFUSE(VC_EHOSTILE, "../escape", "'..'",
	    {"../escape", T_FILE, 0, NULL, -1, "x"});
	REFUSE(VC_EHOSTILE, "a/../../escape", "'..'",
	    {"a", T_DIR, 0, NULL, -1, NULL},
	    {"a/../../escape", T_FILE, 0, NULL, -1, "x"});
	REFUSE(VC_EHOSTILE, "ok/../", "'..'", {"ok", T_DIR, 0, NULL, -1, NULL},
	    {"ok/..", T_DIR, 0, NULL, -1, NULL});
	REFUSE(VC_EHOSTILE, abs, "absolute", {abs, T_FILE, 0, NULL, -1, "x"});
	REFUSE(VC_EHOSTILE, "/", "absolute", {"/", T_DIR, 0, NULL, -1, NULL});
	REFUSE(VC_EHOSTILE, "./", "empty name",
	    {"./", T_DIR, 0, NULL, -1, NULL});
	/* Longer than PATH_MAX. */
	longname = xmalloc(PATH_MAX + 200);
	for (i = 0; i + 2 < PATH_MAX + 100; i += 2)
		memcpy(longname + i, "d/", 2);
	memcpy(longname + i, "f", 2);
	REFUSE(VC_EHOSTILE, NULL, "PATH_MAX",
	    {longname, T_FILE, 0, NULL, -1, "x"});
	free(longname);
	/* A component longer than NAME_MAX. */
	comp = xmalloc(NAME_MAX + 10);
	memset(comp, 'c', NAME_MAX + 5);
	comp[NAME_MAX + 5] = '\0';
	REFUSE(VC_EHOSTILE, NULL, "NAME_MAX", {comp, T_FILE, 0, NULL, -1, "x"});
	free(comp);
	free(abs);
}
END_TEST

static void
hostile_symlinks(void)
{
	char *sentinel = at("sentinel"), *keep = at("sentinel/keep");

	/* A symlink, then a write through it. */
	REFUSE(VC_EHOSTILE, "link/file", "symlink",
	    {"link", T_SYMLINK, 0777, sentinel, 0, NULL},
	    {"link/file", T_FILE, 0, NULL, -1, "pwned"});
	/* A symlink to a directory, then a directory through it. */
	REFUSE(VC_EHOSTILE, "link/sub/", "symlink",
	    {"link", T_SYMLINK, 0777, sentinel, 0, NULL},
	    {"link/sub", T_DIR, 0, NULL, -1, NULL});
	/* Deeper: through a symlink in the middle of the path. */
	REFUSE(VC_EHOSTILE, "d/up/x/y", "symlink",
	    {"d", T_DIR, 0, NULL, -1, NULL},
	    {"d/up", T_SYMLINK, 0777, "..", 0, NULL},
	    {"d/up/x/y", T_FILE, 0, NULL, -1, "pwned"});
	/* A symlink to a file, then the file again: no write through it. */
	REFUSE(VC_EHOSTILE, "link", "duplicate",
	    {"link", T_SYMLINK, 0777, keep, 0, NULL},
	    {"link", T_FILE, 0, NULL, -1, "pwned"});
	/* A hardlink through a symlink to a file outside. */
	REFUSE(VC_EHOSTILE, "h", "hardlink",
	    {"link", T_SYMLINK, 0777, keep, 0, NULL},
	    {"h", T_HARDLINK, 0, "link", 0, NULL});
	REFUSE(VC_EHOSTILE, "h", "hardlink",
	    {"link", T_SYMLINK, 0777, sentinel, 0, NULL},
	    {"h", T_HARDLINK, 0, "link/keep", 0, NULL});
	/* Hardlinks to outside, to nothing, to a directory. */
	REFUSE(VC_EHOSTILE, "h", "absolute",
	    {"h", T_HARDLINK, 0, keep, 0, NULL});
	REFUSE(VC_EHOSTILE, "h", "'..'",
	    {"h", T_HARDLINK, 0, "../sentinel/keep", 0, NULL});
	REFUSE(VC_EHOSTILE, "h", "hardlink",
	    {"h", T_HARDLINK, 0, "missing", 0, NULL});
	REFUSE(VC_EHOSTILE, "h", "hardlink", {"d", T_DIR, 0, NULL, -1, NULL},
	    {"h", T_HARDLINK, 0, "d", 0, NULL});
	/* A file used as a directory. */
	REFUSE(VC_EHOSTILE, "f/x", "non-directory",
	    {"f", T_FILE, 0, NULL, -1, "x"}, {"f/x", T_FILE, 0, NULL, -1, "x"});
	free(sentinel);
	free(keep);
}

START_TEST(test_hostile_symlinks)
{
	hostile_symlinks();
}
END_TEST

/*
 * Kernels without openat2 (before 5.6): a seccomp filter makes it fail with
 * ENOSYS in this test's process, so that the O_NOFOLLOW walk is what keeps
 * every path inside.
 */
static void
without_openat2(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	        offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {VC_ARRAY_SIZE(f), f};

	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
	ck_assert_int_eq(syscall(SYS_openat2, AT_FDCWD, ".", NULL, 0), -1);
	ck_assert_int_eq(errno, ENOSYS);
}

START_TEST(test_round_trip_without_openat2)
{
	without_openat2();
	round_trip();
}
END_TEST

START_TEST(test_hostile_symlinks_without_openat2)
{
	without_openat2();
	hostile_symlinks();
}
END_TEST

START_TEST(test_hostile_types_and_modes)
{
	REFUSE(VC_EHOSTILE, "null", "character device",
	    {"null", T_CHR, 0666, NULL, 0, NULL});
	REFUSE(VC_EHOSTILE, "sda", "block device",
	    {"sda", T_BLK, 0660, NULL, 0, NULL});
	REFUSE(VC_EHOSTILE, "pipe", "FIFO",
	    {"pipe", T_FIFO, 0644, NULL, 0, NULL});
	REFUSE(VC_EHOSTILE, "su", "setuid",
	    {"su", T_FILE, 04755, NULL, -1, "x"});
	REFUSE(VC_EHOSTILE, "sg", "setgid",
	    {"sg", T_FILE, 02755, NULL, -1, "x"});
	REFUSE(VC_EHOSTILE, "sgdir/", "setgid",
	    {"sgdir", T_DIR, 02755, NULL, -1, NULL});
	REFUSE(VC_EHOSTILE, "sticky", "sticky",
	    {"sticky", T_FILE, 01644, NULL, -1, "x"});
}
END_TEST

START_TEST(test_hostile_duplicates)
{
	REFUSE(VC_EHOSTILE, "f", "duplicate", {"f", T_FILE, 0, NULL, -1, "1"},
	    {"f", T_FILE, 0, NULL, -1, "2"});
	REFUSE(VC_EHOSTILE, "f/", "duplicate", {"f", T_FILE, 0, NULL, -1, "1"},
	    {"f", T_DIR, 0, NULL, -1, NULL});
	REFUSE(VC_EHOSTILE, "d", "duplicate", {"d", T_DIR, 0, NULL, -1, NULL},
	    {"d", T_FILE, 0, NULL, -1, "2"});
	REFUSE(VC_EHOSTILE, "d/", "duplicate", {"d", T_DIR, 0, NULL, -1, NULL},
	    {"d/", T_DIR, 0, NULL, -1, NULL});
	REFUSE(VC_EHOSTILE, "./f", "duplicate", {"f", T_FILE, 0, NULL, -1, "1"},
	    {"./f", T_FILE, 0, NULL, -1, "2"});
	REFUSE(VC_EHOSTILE, "l", "duplicate",
	    {"l", T_SYMLINK, 0777, "a", 0, NULL},
	    {"l", T_SYMLINK, 0777, "b", 0, NULL});
	/* A member whose directory is not in the archive. */
	REFUSE(VC_EHOSTILE, "nodir/f", "directory",
	    {"nodir/f", T_FILE, 0, NULL, -1, "x"});
}
END_TEST

START_TEST(test_hostile_limits)
{
	char *path, *dest = at("dest");
	struct member many[50];
	char names[50][8];
	size_t i;

	/* One member larger than the whole tree may be. */
	{
		const struct member m[] = {
		    {"big", T_FILE, 0, NULL, 1000, NULL}};

		path = craft(m, 1);
		expect_refused(path, 100, 0, VC_EHOSTILE, "big", "limit");
		free(path);
	}
	/* A zip bomb: 48 MiB of zeros in a few KiB, refused at once. */
	{
		const struct member m[] = {{"a", T_FILE, 0, NULL, 100, NULL},
		    {"bomb", T_FILE, 0, NULL, 48 << 20, "\0"}};

		path = craft(m, 2);
		expect_refused(path, 1u << 20, 0, VC_EHOSTILE, "bomb", "limit");
		free(path);
	}
	/* Many small members past the total. */
	for (i = 0; i < 50; i++) {
		snprintf(names[i], sizeof names[i], "f%02zu", i);
		many[i] = (struct member){names[i], T_FILE, 0, NULL, 100, NULL};
	}
	path = craft(many, 50);
	expect_refused(path, 4000, 0, VC_EHOSTILE, "f40", "limit");
	/* More members than allowed. */
	expect_refused(path, 0, 20, VC_EHOSTILE, "f20", "members");
	free(path);
	/* Exactly at the limits: accepted. */
	path = craft(many, 50);
	{
		struct vc_extract_opts xo;
		struct vc_extract_result xr;
		struct vc_error err;

		ck_assert_int_eq(mkdir(dest, 0700), 0);
		memset(&xo, 0, sizeof xo);
		xo.max_bytes = 5000;
		xo.max_files = 50;
		vc_error_clear(&err);
		ck_assert_msg(extract_from(path, dest, &xo, &xr, &err) == 0,
		    "%s", err.msg);
		ck_assert_uint_eq(xr.files, 50);
		ck_assert_uint_eq(xr.bytes, 5000);
	}
	free(path);
	free(dest);
}
END_TEST

/* The raw tar `t`, ended first when `end` (raw_end), stored and refused. */
static void
raw_refused(struct rawtar *t, int end, enum vc_errcode code, const char *member,
    const char *why)
{
	char *path;

	if (end)
		raw_end(t);
	path = store_zstd(t->data, t->len);
	expect_refused(path, 0, 0, code, member, why);
	free(path);
}

START_TEST(test_hostile_stream)
{
	struct rawtar t = {NULL, 0, 0};
	char *path, *tar, body[1000];
	size_t n, cut;
	const struct member m[] = {{"d", T_DIR, 0, NULL, -1, NULL},
	    {"d/a", T_FILE, 0, NULL, 300000, NULL},
	    {"d/b", T_FILE, 0, NULL, 300000, "b"}};

	memset(body, 'y', sizeof body);
	/* Data shorter than the header says: the archive ends inside it. */
	raw_add(&t, "short", '0', "0000644", 1000, body, 100);
	raw_refused(&t, 0, VC_ECORRUPT, "short", "ends inside");
	/* Data longer than the header says: garbage where a header is. */
	t.len = 0;
	raw_add(&t, "long", '0', "0000644", 10, body, 1000);
	raw_refused(&t, 1, VC_ECORRUPT, NULL, "after member 'long'");
	/* A NUL byte inside a pax path. */
	t.len = 0;
	raw_add(&t, "PaxHeader/x", 'x', "0000644", 16, "16 path=a\0/../b\n",
	    16);
	raw_add(&t, "x", '0', "0000644", 0, NULL, 0);
	raw_refused(&t, 1, VC_EHOSTILE, NULL, "NUL");
	/*
	 * An owner field that is not a number ("000000", NUL, "0"): owners are
	 * not restored, but libarchive finds no tar there at all, and the
	 * two readers accept the same headers (found by fuzz_tardiff).
	 */
	t.len = 0;
	raw_add(&t, "d/", '5', "0000755", 0, NULL, 0);
	raw_patch(&t, 0, 116,
	    "000000\0"
	    "0",
	    8);
	raw_refused(&t, 1, VC_ECORRUPT, NULL, "a bad uid or gid");
	t.len = 0;
	raw_add(&t, "d/", '5', "0000755", 0, NULL, 0);
	raw_patch(&t, 0, 108, "12x4567", 8);
	raw_refused(&t, 1, VC_ECORRUPT, NULL, "a bad uid or gid");
	/* An old (v7) header, without the ustar magic. */
	t.len = 0;
	raw_add(&t, "f", '0', "0000644", 0, NULL, 0);
	raw_patch(&t, 0, 257, "\0\0\0\0\0\0\0\0", 8);
	raw_refused(&t, 1, VC_ECORRUPT, NULL, "not a ustar header");
	/* A member type venvcache never writes. */
	t.len = 0;
	raw_add(&t, "sparse", 'S', "0000644", 0, NULL, 0);
	raw_refused(&t, 1, VC_EHOSTILE, "sparse", "unsupported");
	/* An empty name. */
	t.len = 0;
	raw_add(&t, "", '0', "0000644", 0, NULL, 0);
	raw_refused(&t, 1, VC_EHOSTILE, "", "empty name");
	/* No end-of-archive blocks. */
	t.len = 0;
	raw_add(&t, "f", '0', "0000644", 3, "abc", 3);
	raw_refused(&t, 0, VC_ECORRUPT, NULL, "ends early");
	/* Not zstd at all. */
	raw_end(&t);
	path = at("h.tzst");
	write_file(path, t.data, t.len, 0644);
	expect_refused(path, 0, 0, VC_ECORRUPT, NULL, "decompress");
	/* Empty. */
	write_file(path, "", 0, 0644);
	expect_refused(path, 0, 0, VC_ECORRUPT, NULL, "ends early");
	free(path);
	free(t.data);

	/* Truncated zstd, at many points. */
	path = craft(m, 3);
	tar = vc_test_slurp(path, &n);
	setenv("VC_BASE", base, 1);
	run("zstd -qdc %s/h.tzst > %s.tar", base, base);
	for (cut = 1; cut < n; cut += n / 7 + 1) {
		write_file(path, tar, cut, 0644);
		expect_refused(path, 0, 0, VC_ECORRUPT, NULL, "");
	}
	/* Flipped bytes, at many points. */
	for (cut = 0; cut < n; cut += n / 9 + 1) {
		tar[cut] ^= 0x5a;
		write_file(path, tar, n, 0644);
		/*
		 * Some bits of a zstd frame are never read: a flip there
		 * changes nothing, and zstd itself decodes the same bytes.
		 */
		if (system("zstd -qdc $VC_BASE/h.tzst 2>/dev/null | cmp -s - "
		           "$VC_BASE.tar") != 0)
			expect_refused(path, 0, 0, VC_ECORRUPT, NULL, "");
		tar[cut] ^= 0x5a;
	}
	free(tar);
	free(path);
	path = xasprintf("%s.tar", base);
	unlink(path);
	free(path);
}
END_TEST

/* A bad frame index never makes a good archive fail or a bad one pass. */
START_TEST(test_frame_index_mismatch)
{
	char *src = at("src"), *arc = at("a.tzst"), *dst = at("dst"), *data;
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_error err;
	size_t n;

	make_tree(src);
	memset(&po, 0, sizeof po);
	vc_pack_result_init(&pr);
	vc_error_clear(&err);
	ck_assert_int_eq(pack_to(src, arc, &po, &pr, &err), 0);
	ck_assert_uint_ge(pr.nframes, 2);
	/* An index that lies about sizes: the frames do not match it. */
	pr.frames[0].usize += 512;
	pr.frames[1].usize -= 512;
	memset(&xo, 0, sizeof xo);
	xo.frames = pr.frames;
	xo.nframes = pr.nframes;
	xo.threads = 2;
	ck_assert_int_eq(mkdir(dst, 0700), 0);
	ck_assert_int_ne(extract_from(arc, dst, &xo, &xr, &err), 0);
	ck_assert_int_eq(err.code, VC_ECORRUPT);
	ck_assert_int_eq(vc_rm_rf(dst, &err), 0);
	pr.frames[0].usize -= 512;
	pr.frames[1].usize += 512;
	/* A flipped byte in the last frame, with the index. */
	data = vc_test_slurp(arc, &n);
	data[n - 20] ^= 1;
	write_file(arc, data, n, 0644);
	ck_assert_int_eq(mkdir(dst, 0700), 0);
	ck_assert_int_ne(extract_from(arc, dst, &xo, &xr, &err), 0);
	ck_assert_int_eq(err.code, VC_ECORRUPT);
	free(data);
	vc_pack_result_release(&pr);
	free(src);
	free(arc);
	free(dst);
}
END_TEST

START_TEST(test_disk_full)
{
	/* Needs a tiny tmpfs, which only root may mount. */
	char *mnt = at("mnt"), *arc, *dest;
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_error err;
	const struct member m[] = {{"big", T_FILE, 0, NULL, 4 << 20, NULL}};
	char *cmd;
	int writers;

	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	cmd = xasprintf("mount -t tmpfs -o size=1m tmpfs %s 2>/dev/null", mnt);
	if (geteuid() != 0 || system(cmd) != 0) {
		free(cmd);
		free(mnt);
		return; /* not permitted here */
	}
	arc = craft(m, 1);
	dest = at("mnt/dest");
	/* Written by the parser, then by writer threads. */
	for (writers = -1; writers <= 2; writers += 3) {
		ck_assert_int_eq(mkdir(dest, 0700), 0);
		memset(&xo, 0, sizeof xo);
		xo.max_bytes = 4 << 20;
		xo.writers = writers;
		vc_error_clear(&err);
		ck_assert_int_eq(extract_from(arc, dest, &xo, &xr, &err), -1);
		ck_assert_msg(err.code == VC_ENOSPC, "%s", err.msg);
		ck_assert_ptr_nonnull(strstr(err.msg, "archive member 'big'"));
		ck_assert_ptr_nonnull(strstr(err.msg, "4.0 MiB"));
		ck_assert_int_eq(vc_rm_rf(dest, &err), 0);
	}
	free(cmd);
	free(dest);
	free(arc);
	free(mnt);
}
END_TEST

int
main(void)
{
	const TTest *const tc_tests[] = {
	    test_round_trip,
	    test_round_trip_without_openat2,
	    test_other_tools_read_it,
	    test_libarchive_reads_it,
	    test_frames,
	    test_deterministic,
	    test_checksum_known,
	    test_pipe_input,
	    test_umask,
	    test_exclude_and_prefix,
	    test_frame_index_mismatch,
	};
	const TTest *const th_tests[] = {
	    test_hostile_names,
	    test_hostile_symlinks,
	    test_hostile_symlinks_without_openat2,
	    test_hostile_types_and_modes,
	    test_hostile_duplicates,
	    test_hostile_limits,
	    test_hostile_stream,
	    test_disk_full,
	};
	Suite *s = suite_create("archive");

	vc_test_case(s, "round trip", setup, teardown, 120, tc_tests,
	    VC_ARRAY_SIZE(tc_tests));
	vc_test_case(s, "hostile", hostile_setup, teardown, 120, th_tests,
	    VC_ARRAY_SIZE(th_tests));
	return vc_test_run(s);
}
