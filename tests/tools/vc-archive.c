/*
 * vc-archive: a developer's driver of archive.c, for benchmarks and for
 * making fuzzing seeds. Not installed.
 *
 *   vc-archive pack DIR OUT [-l LEVEL] [-t THREADS] [-p PREFIX]
 *       writes OUT and its frame index OUT.idx ("offset csize usize" lines)
 *   vc-archive extract ARCHIVE DIR [-t THREADS] [-w WRITERS] [-i INDEX]
 *       [-b MAXBYTES] [-f MAXFILES]
 *   vc-archive checksum FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "venvcache/archive.h"

static int
usage(void)
{
	fprintf(stderr,
	    "usage: vc-archive pack DIR OUT [-l LEVEL] [-t THREADS] "
	    "[-p PREFIX]\n"
	    "       vc-archive extract ARCHIVE DIR [-t THREADS] [-w WRITERS] "
	    "[-i INDEX] [-b MAXBYTES] [-f MAXFILES]\n"
	    "       vc-archive checksum FILE\n");
	return 2;
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
	int fd, c, rc = 1;

	memset(&o, 0, sizeof o);
	while ((c = getopt(argc, argv, "t:w:i:b:f:")) != -1) {
		switch (c) {
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
	if (vc_archive_extract(fd, argv[optind + 1], &o, &r, &err) == -1) {
		fprintf(stderr, "vc-archive: %s\n", err.msg);
		goto out;
	}
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
	return usage();
}
