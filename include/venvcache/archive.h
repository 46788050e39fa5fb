/*
 * archive.h: packing a venv into, and extracting it from, one archive.
 *
 * The format is what actions/cache writes and restores: a POSIX pax tar
 * stream compressed with zstd, as one or more independent zstd frames
 * (window at most 2^27, no long mode) that plain `unzstd` decodes as a
 * whole. Members are relative paths without "./".
 *
 * Extraction treats every archive as hostile, checksum or not: it refuses
 * absolute names, ".." components, writes through symlinks, hardlinks to
 * anything but an earlier regular member, devices, FIFOs and sockets,
 * setuid/setgid bits, duplicate names, names longer than PATH_MAX, and
 * more bytes or members than the limits allow. The error names the member.
 */
#ifndef VENVCACHE_ARCHIVE_H
#define VENVCACHE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "venvcache/error.h"
#include "venvcache/util.h"

/* One zstd frame of an archive. */
struct vc_frame {
	uint64_t offset;	/* in the archive file */
	uint64_t csize;		/* compressed bytes */
	uint64_t usize;		/* tar bytes it decodes to */
};

struct vc_pack_opts {
	int level;		/* zstd level, 1..19 */
	int threads;		/* compression threads; 0: number of CPUs */
	const char *prefix;	/* list the files that contain it; or NULL */
	/* Relative paths to leave out (NULL-terminated), or NULL. */
	const char *const *exclude;
};

struct vc_pack_result {
	uint64_t unpacked_size;		/* bytes of regular files */
	uint64_t file_count;		/* members of every type */
	uint64_t archive_size;		/* bytes written */
	char checksum[33];		/* XXH3-128 of the archive, hex */
	struct vc_strv prefix_files;	/* text files holding the prefix */
	struct vc_strv prefix_binary;	/* binary files holding it */
	struct vc_frame *frames;	/* owned; in order */
	size_t nframes;
};

void vc_pack_result_init(struct vc_pack_result *);
void vc_pack_result_release(struct vc_pack_result *);

/*
 * Packs the tree at `dir` into `out_fd` (written from its current offset;
 * the caller fsyncs and renames). Regular files, directories and symlinks
 * only; hardlinked files are stored as separate files.
 */
int vc_archive_pack(const char *dir, int out_fd, const struct vc_pack_opts *,
    struct vc_pack_result *, struct vc_error *);

struct vc_extract_opts {
	uint64_t max_bytes;	/* refuse more file bytes; 0: no limit */
	uint64_t max_files;	/* refuse more members; 0: no limit */
	const struct vc_frame *frames; /* frame index, or NULL */
	size_t nframes;
	int threads;		/* 0: number of CPUs */
};

struct vc_extract_result {
	uint64_t bytes;		/* file bytes written */
	uint64_t files;		/* members created */
};

/*
 * Extracts the archive read from `fd` into `dest`, an existing empty
 * directory, preserving modes (without setuid/setgid), mtimes and
 * symlinks. On failure `dest` holds a partial tree the caller removes.
 * Errors: VC_EHOSTILE (a refused member), VC_ECORRUPT (undecodable),
 * VC_ENOSPC (out of space), VC_EFAIL.
 */
int vc_archive_extract(int fd, const char *dest, const struct vc_extract_opts *,
    struct vc_extract_result *, struct vc_error *);

/* XXH3-128 of a file's content from offset 0, in hex, and its size. */
int vc_archive_checksum(int fd, char out[33], uint64_t *size,
    struct vc_error *);

#endif
