/*
 * archive.h: packing a venv into, and extracting it from, one archive.
 *
 * The format is what actions/cache writes and restores: a POSIX pax tar
 * stream compressed with zstd, as one or more independent zstd frames
 * (window at most 2^27, no long mode) that plain `unzstd` decodes as a
 * whole. Members are relative paths without "./", in sorted order, each
 * directory before what it holds; ustar headers, with pax extended headers
 * only for long or non-ASCII names, sizes of 8 GiB and more and sub-second
 * mtimes; no owners. The tar stream is cut into frames of 4 MiB, each with
 * its content size and checksum, so that frames decompress in parallel.
 *
 * Extraction treats every archive as hostile, checksum or not: it refuses
 * absolute names, ".." components, writes through symlinks, hardlinks to
 * anything but an earlier regular member, devices, FIFOs and sockets,
 * setuid/setgid bits (and the sticky bit on files), duplicate names, names
 * longer than PATH_MAX, a member whose directory is not an earlier member,
 * and more bytes or members than the limits allow. The error names the
 * member: "archive member '../x': '..' in name".
 */
#ifndef VENVCACHE_ARCHIVE_H
#define VENVCACHE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "venvcache/error.h"
#include "venvcache/util.h"

/* One zstd frame of an archive. */
struct vc_frame {
	uint64_t offset; /* in the archive file */
	uint64_t csize;  /* compressed bytes */
	uint64_t usize;  /* tar bytes it decodes to */
};

struct vc_pack_opts {
	int level;          /* zstd level, 1..19 */
	int threads;        /* compression threads; 0: number of CPUs */
	const char *prefix; /* list the files that contain it; or NULL */
	/* Relative paths to leave out (NULL-terminated), or NULL. */
	const char *const *exclude;
};

struct vc_pack_result {
	uint64_t unpacked_size;       /* bytes of regular files */
	uint64_t file_count;          /* members of every type (not the top) */
	uint64_t archive_size;        /* bytes written */
	char checksum[33];            /* XXH3-128 of the archive, hex */
	struct vc_strv prefix_files;  /* text files holding the prefix */
	struct vc_strv prefix_binary; /* binary files holding it */
	struct vc_frame *frames;      /* owned; in order */
	size_t nframes;
};

void vc_pack_result_init(struct vc_pack_result *);
void vc_pack_result_release(struct vc_pack_result *);

/*
 * Packs the tree at `dir` into `out_fd` (written from its current offset;
 * frame offsets count from there; the caller fsyncs and renames). Regular
 * files, directories and symlinks only: hardlinked files are stored as
 * separate files; sockets, FIFOs and devices are left out, and so is any
 * file named cache.tzst (as actions/cache's tar leaves it out). Setuid and
 * setgid bits, and sticky bits on files, are not recorded. The prefix scan
 * finds the prefix anywhere in a file; symlink targets are not scanned.
 * The result is released and refilled; on failure it is left empty.
 */
int vc_archive_pack(const char *dir, int out_fd, const struct vc_pack_opts *,
    struct vc_pack_result *, struct vc_error *);

struct vc_extract_opts {
	uint64_t max_bytes; /* refuse more file bytes; 0: no limit */
	uint64_t max_files; /* refuse more members; 0: no limit */
	/*
	 * The frame index, or NULL. Used only when it describes the whole
	 * file as contiguous frames of at most 32 MiB; otherwise the archive
	 * is streamed (slower, as safe). A frame that does not match it is
	 * VC_ECORRUPT.
	 */
	const struct vc_frame *frames;
	size_t nframes;
	/* Decompression threads (with an index); 0: CPUs - 1, at least 1. */
	int threads;
	/*
	 * 1 when the caller has checked the whole archive against a
	 * checksum it trusts (the manifest's XXH3-128): zstd's own frame
	 * checksums are then not computed again. Safety does not depend on
	 * either: every member is checked as it is written.
	 */
	int verified;
	/*
	 * Threads that write file data while the calling thread parses and
	 * creates every name in archive order; 0: chosen from the CPUs (none
	 * on 2), -1: none. At most 8.
	 */
	int writers;
};

struct vc_extract_result {
	uint64_t bytes; /* file bytes written */
	uint64_t files; /* members created */
};

/*
 * Extracts the archive in `fd` (read from offset 0 with pread, which does
 * not move the file offset; a pipe is read as it comes) into `dest`, an
 * existing empty directory, preserving modes, mtimes (to the nanosecond;
 * directories' last) and symlinks (never followed). `dest` itself is left
 * as it is. On failure `dest` holds a partial tree the caller removes.
 * Errors: VC_EHOSTILE (a refused member), VC_ECORRUPT (undecodable zstd,
 * a bad tar header, data shorter or longer than its header says, more than
 * 1 MiB after the end of the archive), VC_ENOSPC (out of space: the message
 * says how much the tree needs when max_bytes is set), VC_EFAIL.
 */
int vc_archive_extract(int fd, const char *dest, const struct vc_extract_opts *,
    struct vc_extract_result *, struct vc_error *);

/*
 * XXH3-128 of a file's content from offset 0 (pread), as 32 lowercase hex
 * digits of its canonical form (what `xxhsum -H2` prints), and its size
 * (`size` may be NULL).
 */
int vc_archive_checksum(int fd, char out[33], uint64_t *size,
    struct vc_error *);

/*
 * A second reader, for checking: libarchive (raw tar, zstd or not) reads
 * the archive in `fd` from offset 0 (pread), and `each` is called with
 * every member as libarchive sees it. venvcache's own parser extracts;
 * this one is what millions of programs trust, and is used to check that
 * both read an archive the same way: `verify --deep`, the differential
 * fuzz target (tests/fuzz/fuzz_tardiff.c) and check_archive.
 */
struct vc_oracle_member {
	const char *name; /* as stored, without a trailing '/' */
	char type;        /* 'f' file, 'd' directory, 'l' symlink,
	                     'h' hardlink, '?' anything else */
	unsigned mode;    /* permission bits (07777) */
	uint64_t size;    /* data bytes (0 but for 'f') */
	const char *link; /* target of 'l' and 'h', or NULL */
	int64_t mtime;    /* seconds */
	long mtime_nsec;
	uint64_t data_hash; /* XXH3-64 of the data */
};

/*
 * Reads every member and its data; `each` may stop the walk by returning
 * non-zero (that value is returned). -1 with VC_ECORRUPT when libarchive
 * refuses the archive or warns about a header (its message, naming the
 * member read last); pointers in the member last only for the call.
 */
int vc_archive_oracle(int fd,
    int (*each)(const struct vc_oracle_member *, void *), void *arg,
    struct vc_error *);

/*
 * verify --deep: reads the whole archive in `fd` through libarchive and
 * checks it holds what venvcache restores: `file_count` members and
 * `unpacked_size` bytes of files (the manifest's), each a file, directory,
 * symlink or hardlink without setuid or setgid bits, under a relative name
 * without '..'. VC_ECORRUPT with what differs, naming the member.
 */
int vc_archive_deep_check(int fd, uint64_t file_count, uint64_t unpacked_size,
    struct vc_error *);

#endif
