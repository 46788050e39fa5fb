/*
 * fuzz_tardiff.c: venvcache's tar parser against libarchive's, on the
 * same bytes. The input is a tar stream; it is compressed here (zstd) and
 * read by both: vc_archive_extract() into a fresh directory, and
 * vc_archive_oracle() (libarchive, tar formats only).
 *
 * When venvcache accepts the archive, libarchive must read it without
 * error, and every member libarchive reads must be on disk as it reads it:
 * name, type, mode, size, link target, mtime to the nanosecond, data; and
 * the tree holds nothing more. A member venvcache accepts and libarchive
 * refuses or reads differently aborts: one of the two is wrong.
 *
 * When venvcache refuses the archive as malformed (VC_ECORRUPT; a
 * VC_EHOSTILE refusal is policy: '..', setuid bits, devices...),
 * libarchive must find it malformed too, unless venvcache refused a value
 * it reads strictly by design (STRICTER): a numeric field with anything
 * but its digits (libarchive reads up to the first non-digit: the pax
 * record mtime=1795762930.74@183751 is 1795762930.74 to it) or more
 * than 1 MiB after the end of the archive (libarchive stops reading at
 * the end), or a header without the ustar magic (libarchive reads old
 * v7 headers). venvcache never writes such archives, nor do GNU tar or
 * bsdtar.
 *
 * The seeds (corpus/tardiff/) are corpus/extract's tar streams without
 * their leading mode byte.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "venvcache/archive.h"

#define MAX_BYTES (1u << 20)
#define MAX_FILES 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void
remove_root(void)
{
	struct vc_error err;

	(void)vc_rm_rf(root, &err);
}

static void
make_root(void)
{
	snprintf(root, sizeof root, "%s/fuzz-tardiff.%ld",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
	    (long)getpid());
	if (mkdir(root, 0700) == -1)
		abort();
	atexit(remove_root);
}

/* Refusals of what libarchive reads leniently (archive-extract.c's). */
static const char *const STRICTER[] = {
    "a bad pax size",
    "a bad pax mtime",
    "a bad size",
    "a bad mtime",
    "a bad mode",
    "a bad uid or gid",   /* libarchive checks them in the first header only */
    "not a ustar header", /* libarchive reads old (v7) headers too */
    "data after the end of the archive",
};

static int
stricter(const char *msg)
{
	size_t i;

	for (i = 0; i < sizeof STRICTER / sizeof *STRICTER; i++)
		if (strstr(msg, STRICTER[i]) != NULL)
			return 1;
	return 0;
}

static void __attribute__((format(printf, 1, 2), noreturn))
disagree(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_tardiff: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Entries under `dir`, not counting it. */
static size_t
count_tree(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		char *p;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_tree(p);
		free(p);
	}
	closedir(d);
	return n;
}

static uint64_t
hash_file(const char *path, uint64_t *size)
{
	struct vc_buf b;
	struct vc_error err;
	uint64_t h;

	vc_buf_init(&b);
	if (vc_read_file(path, 0, &b, &err) == -1)
		disagree("'%s': %s", path, err.msg);
	h = XXH3_64bits(b.data, b.len);
	*size = b.len;
	vc_buf_release(&b);
	return h;
}

struct walk {
	const char *dest;
	size_t members;
};

/* One member as libarchive reads it, against what venvcache wrote. */
static int
same_member(const struct vc_oracle_member *m, void *arg)
{
	struct walk *w = arg;
	char *path = xasprintf("%s/%s", w->dest, m->name);
	char detail[256];
	struct stat st;

	w->members++;
	if (lstat(path, &st) == -1)
		disagree("'%s': libarchive reads it, venvcache did not write "
		         "it",
		    m->name);
	switch (m->type) {
	case 'f':
	case 'h':
		if (!S_ISREG(st.st_mode))
			disagree("'%s': a file to libarchive", m->name);
		break;
	case 'd':
		if (!S_ISDIR(st.st_mode))
			disagree("'%s': a directory to libarchive", m->name);
		break;
	case 'l':
		if (!S_ISLNK(st.st_mode))
			disagree("'%s': a symlink to libarchive", m->name);
		break;
	default:
		disagree("'%s': venvcache accepted a member that is not a "
		         "file, directory or link",
		    m->name);
	}
	if (m->type == 'h') {
		/* The same file as its target, which came earlier. */
		char *target = xasprintf("%s/%s", w->dest, m->link);
		struct stat tt;

		if (lstat(target, &tt) == -1 || tt.st_ino != st.st_ino ||
		    tt.st_dev != st.st_dev)
			disagree("'%s': not a hardlink to '%s'", m->name,
			    m->link);
		free(target);
		free(path);
		return 0;
	}
	if (m->type != 'l' && (st.st_mode & 07777) != m->mode) {
		snprintf(detail, sizeof detail, "%o to libarchive, %o on disk",
		    m->mode, (unsigned)st.st_mode & 07777);
		disagree("'%s': mode %s", m->name, detail);
	}
	if (st.st_mtim.tv_sec != m->mtime ||
	    st.st_mtim.tv_nsec != m->mtime_nsec) {
		snprintf(detail, sizeof detail,
		    "%lld.%09ld to libarchive, %lld.%09ld on disk",
		    (long long)m->mtime, m->mtime_nsec,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		disagree("'%s': mtime %s", m->name, detail);
	}
	if (m->type == 'l') {
		char target[4096];
		ssize_t k = readlink(path, target, sizeof target - 1);

		if (k < 0)
			abort();
		target[k] = '\0';
		if (m->link == NULL || strcmp(m->link, target) != 0)
			disagree("'%s': link target differs (on disk '%s')",
			    m->name, target);
	}
	if (m->type == 'f') {
		uint64_t size, h = hash_file(path, &size);

		if (size != m->size || h != m->data_hash) {
			snprintf(detail, sizeof detail,
			    "%llu bytes to libarchive, %llu on disk",
			    (unsigned long long)m->size,
			    (unsigned long long)size);
			disagree("'%s': data differs: %s", m->name, detail);
		}
	}
	free(path);
	return 0;
}

static int
read_all(const struct vc_oracle_member *m, void *arg)
{
	(void)m;
	(void)arg;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_error err, lerr;
	struct walk w;
	uint8_t *z;
	size_t n, cap;
	char dest[128];
	int fd, rc, lrc;

	if (root[0] == '\0')
		make_root();
	cap = ZSTD_compressBound(size);
	z = xmalloc(cap);
	n = ZSTD_compress(z, cap, data, size, 1);
	if (ZSTD_isError(n))
		abort();
	fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd == -1 || write(fd, z, n) != (ssize_t)n)
		abort();
	memset(&xo, 0, sizeof xo);
	xo.max_bytes = MAX_BYTES;
	xo.max_files = MAX_FILES;
	xo.threads = 1;
	xo.writers = -1;
	snprintf(dest, sizeof dest, "%s/dest", root);
	if (mkdir(dest, 0700) == -1)
		abort();
	vc_error_clear(&err);
	vc_error_clear(&lerr);
	rc = vc_archive_extract(fd, dest, &xo, &xr, &err);
	if (rc == 0) {
		memset(&w, 0, sizeof w);
		w.dest = dest;
		if (vc_archive_oracle(fd, same_member, &w, &lerr) != 0)
			disagree("venvcache accepts the archive, %s", lerr.msg);
		if (count_tree(dest) != w.members)
			disagree("venvcache wrote more than libarchive reads");
	} else if (err.code == VC_ECORRUPT && !stricter(err.msg)) {
		lrc = vc_archive_oracle(fd, read_all, NULL, &lerr);
		if (lrc == 0)
			disagree("venvcache refuses the archive (%s), "
			         "libarchive reads it",
			    err.msg);
	}
	if (vc_rm_rf(dest, &err) == -1)
		abort();
	close(fd);
	free(z);
	return 0;
}
