/*
 * fuzz_extract.c: vc_archive_extract() on any bytes, into a fresh directory,
 * with limits. It must never crash, leak, hang or write outside the
 * destination: a sentinel directory next to it must stay as it was, and
 * nothing else may appear beside them. A refusal is VC_EHOSTILE or
 * VC_ECORRUPT with a message; a success stays within the limits.
 *
 * The first byte of an input says how to read the rest:
 *   bit 0  the rest is a tar stream: compress it here first (so that the
 *          fuzzer reaches the tar parser and the writer); else the rest is
 *          the archive itself (zstd)
 *   bit 1  give the extractor the frame index of the zstd stream and two
 *          decoder threads; else it streams
 *   bit 2  two writer threads; else the parser writes
 * The seeds (corpus/extract/) are small archives made by tests/tools/
 * vc-archive and GNU tar, with that byte in front.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <zstd.h>

#include "venvcache/archive.h"

#define MAX_BYTES (1u << 20)
#define MAX_FILES 2000
#define MAX_FRAMES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void
remove_root(void)
{
	struct vc_error err;

	(void)vc_rm_rf(root, &err);
}

/* Made once: root/sentinel/keep, which no archive may touch. */
static void
make_root(void)
{
	char path[128];
	int fd;

	snprintf(root, sizeof root, "%s/fuzz-extract.%ld",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
	    (long)getpid());
	snprintf(path, sizeof path, "%s/sentinel", root);
	if (mkdir(root, 0700) == -1 || mkdir(path, 0755) == -1)
		abort();
	snprintf(path, sizeof path, "%s/sentinel/keep", root);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd == -1 || write(fd, "precious", 8) != 8)
		abort();
	close(fd);
	atexit(remove_root);
}

/* Nothing beside dest and sentinel; sentinel holds keep, unchanged. */
static void
check_root(void)
{
	char path[128], buf[16];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, n = 0;

	if ((d = opendir(root)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "dest") != 0 &&
		    strcmp(de->d_name, "sentinel") != 0)
			abort();
	closedir(d);
	snprintf(path, sizeof path, "%s/sentinel", root);
	if ((d = opendir(path)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    (strcmp(de->d_name, "keep") != 0 || ++n > 1))
			abort();
	closedir(d);
	snprintf(path, sizeof path, "%s/sentinel/keep", root);
	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || (st.st_mode & 07777) != 0644 || st.st_size != 8)
		abort();
	if ((fd = open(path, O_RDONLY)) == -1 || read(fd, buf, 8) != 8 ||
	    memcmp(buf, "precious", 8) != 0)
		abort();
	close(fd);
}

/* The frames of a zstd stream, as the packer would index them. */
static size_t
index_frames(const uint8_t *z, size_t n, struct vc_frame *f)
{
	size_t k = 0, off = 0, cs;
	unsigned long long us;

	while (off < n && k < MAX_FRAMES) {
		cs = ZSTD_findFrameCompressedSize(z + off, n - off);
		us = ZSTD_getFrameContentSize(z + off, n - off);
		if (ZSTD_isError(cs) || us >= ZSTD_CONTENTSIZE_ERROR)
			break;
		f[k].offset = off;
		f[k].csize = cs;
		f[k].usize = us;
		k++;
		off += cs;
	}
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_frame frames[MAX_FRAMES];
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_error err;
	uint8_t *z = NULL;
	const uint8_t *arc;
	size_t n, cap;
	char dest[128];
	int fd, mode, rc;

	if (size < 1)
		return 0;
	if (root[0] == '\0')
		make_root();
	mode = data[0];
	arc = data + 1;
	n = size - 1;
	if (mode & 1) {
		cap = ZSTD_compressBound(n);
		z = xmalloc(cap);
		n = ZSTD_compress(z, cap, arc, n, 1);
		if (ZSTD_isError(n))
			abort();
		arc = z;
	}
	fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd == -1 || (n > 0 && write(fd, arc, n) != (ssize_t)n))
		abort();
	memset(&xo, 0, sizeof xo);
	xo.max_bytes = MAX_BYTES;
	xo.max_files = MAX_FILES;
	xo.threads = 1;
	xo.writers = mode & 4 ? 2 : -1;
	if (mode & 2) {
		xo.nframes = index_frames(arc, n, frames);
		xo.frames = frames;
		xo.threads = 2;
	}
	snprintf(dest, sizeof dest, "%s/dest", root);
	if (mkdir(dest, 0700) == -1)
		abort();
	vc_error_clear(&err);
	rc = vc_archive_extract(fd, dest, &xo, &xr, &err);
	if (rc == -1 &&
	    ((err.code != VC_EHOSTILE && err.code != VC_ECORRUPT) ||
	        err.msg[0] == '\0')) {
		fprintf(stderr, "unexpected failure: %d %s\n", err.code,
		    err.msg);
		abort();
	}
	if (xr.bytes > MAX_BYTES || xr.files > MAX_FILES)
		abort();
	check_root();
	if (vc_rm_rf(dest, &err) == -1)
		abort();
	close(fd);
	free(z);
	return 0;
}
