/*
 * vc-archive: a developer's driver of archive.c, for benchmarks and for
 * making fuzzing seeds. Not installed.
 *
 *   vc-archive pack DIR OUT [-l LEVEL] [-t THREADS] [-p PREFIX]
 *       writes OUT and its frame index OUT.idx ("offset csize usize" lines)
 *   vc-archive extract ARCHIVE DIR [-t THREADS] [-w WRITERS] [-i INDEX]
 *       [-b MAXBYTES] [-f MAXFILES] [-v]
 *       -v: prints the wall time and the calling thread's CPU time (it
 *       parses and writes; decoders are other threads)
 *   vc-archive checksum FILE
 *   vc-archive libarchive TAR
 *       the cost of libarchive as the restore path's tar parser: reads the
 *       plain (decoded) TAR into memory, then times libarchive (raw tar
 *       formats) reading every header and data block from it, handed over
 *       in 4 MiB blocks as the restore's ring holds them; nothing written
 *   vc-archive oracle ARCHIVE
 *       times vc_archive_oracle (verify --deep's reading: zstd, libarchive,
 *       XXH3 of the data) over ARCHIVE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "venvcache/archive.h"

static int
usage(void)
{
	fprintf(stderr,
	    "usage: vc-archive pack DIR OUT [-l LEVEL] [-t THREADS] "
	    "[-p PREFIX]\n"
	    "       vc-archive extract ARCHIVE DIR [-t THREADS] [-w WRITERS] "
	    "[-i INDEX] [-b MAXBYTES] [-f MAXFILES] [-v]\n"
	    "       vc-archive checksum FILE\n"
	    "       vc-archive libarchive TAR\n"
	    "       vc-archive oracle ARCHIVE\n");
	return 2;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the calling thread (user + system), in ms. */
static double
thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
pack(int argc, char **argv)
{
	struct vc_pack_opts o;
	struct vc_pack_result r;
	struct vc_error err;
	char *idx;
	FILE *f;
	size_t i;
	int fd, c, rc = 1;

	memset(&o, 0, sizeof o);
	o.level = 3;
	while ((c = getopt(argc, argv, "l:t:p:")) != -1) {
		switch (c) {
		case 'l':
			o.level = atoi(optarg);
			break;
		case 't':
			o.threads = atoi(optarg);
			break;
		case 'p':
			o.prefix = optarg;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	fd = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		perror(argv[optind + 1]);
		return 1;
	}
	vc_error_clear(&err);
	vc_pack_result_init(&r);
	if (vc_archive_pack(argv[optind], fd, &o, &r, &err) == -1) {
		fprintf(stderr, "vc-archive: %s\n", err.msg);
		goto out;
	}
	idx = xasprintf("%s.idx", argv[optind + 1]);
	if ((f = fopen(idx, "w")) == NULL) {
		perror(idx);
		free(idx);
		goto out;
	}
	for (i = 0; i < r.nframes; i++)
		fprintf(f, "%llu %llu %llu\n",
		    (unsigned long long)r.frames[i].offset,
		    (unsigned long long)r.frames[i].csize,
		    (unsigned long long)r.frames[i].usize);
	fclose(f);
	free(idx);
	fprintf(stderr,
	    "packed %llu members, %llu bytes into %llu bytes, %zu frames, "
	    "xxh3-128 %s\n",
	    (unsigned long long)r.file_count,
	    (unsigned long long)r.unpacked_size,
	    (unsigned long long)r.archive_size, r.nframes, r.checksum);
	for (i = 0; i < r.prefix_files.n; i++)
		printf("text %s\n", r.prefix_files.v[i]);
	for (i = 0; i < r.prefix_binary.n; i++)
		printf("binary %s\n", r.prefix_binary.v[i]);
	rc = 0;
out:
	vc_pack_result_release(&r);
	close(fd);
	return rc;
}

static struct vc_frame *
read_index(const char *path, size_t *n)
{
	struct vc_frame *v = NULL;
	unsigned long long a, b, c;
	size_t cap = 0;
	FILE *f;

	*n = 0;
	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while (fscanf(f, "%llu %llu %llu", &a, &b, &c) == 3) {
		v = xgrow(v, &cap, *n + 1, sizeof *v);
		v[*n].offset = a;
		v[*n].csize = b;
		v[*n].usize = c;
		(*n)++;
	}
	fclose(f);
	return v;
}

static int
extract(int argc, char **argv)
{
	struct vc_extract_opts o;
	struct vc_extract_result r;
	struct vc_error err;
	struct vc_frame *frames = NULL;
	int fd, c, rc = 1, verbose = 0;
	double t0, c0;

	memset(&o, 0, sizeof o);
	while ((c = getopt(argc, argv, "t:w:i:b:f:v")) != -1) {
		switch (c) {
		case 'v':
			verbose = 1;
			break;
		case 't':
			o.threads = atoi(optarg);
			break;
		case 'w':
			o.writers = atoi(optarg);
			break;
		case 'i':
			free(frames);
			frames = read_index(optarg, &o.nframes);
			o.frames = frames;
			break;
		case 'b':
			o.max_bytes = strtoull(optarg, NULL, 10);
			break;
		case 'f':
			o.max_files = strtoull(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	if ((fd = open(argv[optind], O_RDONLY | O_CLOEXEC)) == -1) {
		perror(argv[optind]);
		free(frames);
		return 1;
	}
	vc_error_clear(&err);
	t0 = now_ms();
	c0 = thread_cpu_ms();
	if (vc_archive_extract(fd, argv[optind + 1], &o, &r, &err) == -1) {
		fprintf(stderr, "vc-archive: %s\n", err.msg);
		goto out;
	}
	if (verbose)
		printf("extract: %llu members, calling thread's CPU %.1f ms, "
		       "in %.1f ms\n",
		    (unsigned long long)r.files, thread_cpu_ms() - c0,
		    now_ms() - t0);
	rc = 0;
out:
	close(fd);
	free(frames);
	return rc;
}

static int
checksum(int argc, char **argv)
{
	struct vc_error err;
	uint64_t size;
	char sum[33];
	int fd;

	if (argc != 2)
		return usage();
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1) {
		perror(argv[1]);
		return 1;
	}
	vc_error_clear(&err);
	if (vc_archive_checksum(fd, sum, &size, &err) == -1) {
		fprintf(stderr, "vc-archive: %s\n", err.msg);
		close(fd);
		return 1;
	}
	close(fd);
	printf("%s %llu\n", sum, (unsigned long long)size);
	return 0;
}

#define RING_BLOCK (4u << 20)

struct mem {
	const char *data;
	size_t len, off;
};

static la_ssize_t
mem_read(struct archive *a, void *arg, const void **out)
{
	struct mem *m = arg;
	size_t n = m->len - m->off < RING_BLOCK ? m->len - m->off : RING_BLOCK;

	(void)a;
	*out = m->data + m->off;
	m->off += n;
	return (la_ssize_t)n;
}

static int
libarchive_parse(int argc, char **argv)
{
	struct vc_buf b;
	struct vc_error err;
	struct mem m;
	struct archive *a;
	struct archive_entry *e;
	unsigned long long members = 0, bytes = 0;
	double t0, t1, c0, c1;
	int r;

	if (argc != 2)
		return usage();
	vc_buf_init(&b);
	if (vc_read_file(argv[1], 0, &b, &err) == -1) {
		fprintf(stderr, "vc-archive: %s\n", err.msg);
		return 1;
	}
	m.data = b.data;
	m.len = b.len;
	m.off = 0;
	t0 = now_ms();
	c0 = thread_cpu_ms();
	a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open(a, &m, NULL, mem_read, NULL) != ARCHIVE_OK)
		goto bad;
	while ((r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		const void *blk;
		size_t len;
		la_int64_t at;

		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			goto bad;
		members++;
		while ((r = archive_read_data_block(a, &blk, &len, &at)) ==
		    ARCHIVE_OK)
			bytes += len;
		if (r != ARCHIVE_EOF)
			goto bad;
	}
	c1 = thread_cpu_ms();
	t1 = now_ms();
	archive_read_free(a);
	vc_buf_release(&b);
	printf("libarchive: %llu members, %llu bytes of data, CPU %.1f ms, "
	       "in %.1f ms\n",
	    members, bytes, c1 - c0, t1 - t0);
	return 0;
bad:
	fprintf(stderr, "vc-archive: libarchive: %s\n",
	    archive_error_string(a));
	archive_read_free(a);
	vc_buf_release(&b);
	return 1;
}

static int
count_member(const struct vc_oracle_member *m, void *arg)
{
	unsigned long long *n = arg;

	(void)m;
	(*n)++;
	return 0;
}

static int
oracle(int argc, char **argv)
{
	struct vc_error err;
	unsigned long long n = 0;
	double t0;
	int fd;

	if (argc != 2)
		return usage();
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1) {
		perror(argv[1]);
		return 1;
	}
	vc_error_clear(&err);
	t0 = now_ms();
	if (vc_archive_oracle(fd, count_member, &n, &err) != 0) {
		fprintf(stderr, "vc-archive: %s\n", err.msg);
		close(fd);
		return 1;
	}
	printf("oracle: %llu members in %.1f ms\n", n, now_ms() - t0);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "pack") == 0)
		return pack(argc - 1, argv + 1);
	if (strcmp(argv[1], "extract") == 0)
		return extract(argc - 1, argv + 1);
	if (strcmp(argv[1], "checksum") == 0)
		return checksum(argc - 1, argv + 1);
	if (strcmp(argv[1], "libarchive") == 0)
		return libarchive_parse(argc - 1, argv + 1);
	if (strcmp(argv[1], "oracle") == 0)
		return oracle(argc - 1, argv + 1);
	return usage();
}
