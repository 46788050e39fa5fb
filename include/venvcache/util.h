/*
 * util.h: memory, growable buffers, string vectors, paths and file helpers
 * shared by every core module.
 *
 * Ownership: a returned `char *` belongs to the caller (free(3) it); a
 * returned `const char *` is borrowed from the object it came from.
 * The x* allocators abort on out-of-memory; nothing else in venvcache does.
 */
#ifndef VENVCACHE_UTIL_H
#define VENVCACHE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "venvcache/error.h"

#define VC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define VC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define VC_PRINTF(f, a)
#endif

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
/* Grows an array of `*cap` elements of `size` bytes to hold `need`. */
void *xgrow(void *, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) VC_PRINTF(1, 2);
char *xvasprintf(const char *, va_list) VC_PRINTF(1, 0);

/*
 * A growable byte buffer, always NUL-terminated. Caller-allocated:
 * vc_buf_init() before use, vc_buf_release() after; vc_buf_detach() hands
 * the storage to the caller and leaves the buffer empty.
 */
struct vc_buf {
	char *data;
	size_t len;
	size_t cap;
};

void vc_buf_init(struct vc_buf *);
void vc_buf_release(struct vc_buf *);
void vc_buf_reset(struct vc_buf *);
void vc_buf_grow(struct vc_buf *, size_t extra);
void vc_buf_add(struct vc_buf *, const void *, size_t);
void vc_buf_adds(struct vc_buf *, const char *);
void vc_buf_addc(struct vc_buf *, int);
void vc_buf_addf(struct vc_buf *, const char *, ...) VC_PRINTF(2, 3);
char *vc_buf_detach(struct vc_buf *);

/*
 * A vector of owned strings. vc_strv_push() copies; vc_strv_take() takes
 * ownership of an already-allocated string. The array is NULL-terminated.
 */
struct vc_strv {
	char **v;
	size_t n;
	size_t cap;
};

void vc_strv_init(struct vc_strv *);
void vc_strv_release(struct vc_strv *);
void vc_strv_push(struct vc_strv *, const char *);
void vc_strv_take(struct vc_strv *, char *);
void vc_strv_pushf(struct vc_strv *, const char *, ...) VC_PRINTF(2, 3);
/* Sorts bytewise and removes duplicates. */
void vc_strv_sort_uniq(struct vc_strv *);
int vc_strv_contains(const struct vc_strv *, const char *);
/* Splits `s` on ASCII whitespace, skipping empty fields. */
void vc_strv_split_ws(struct vc_strv *, const char *s);

/* String helpers. */
int vc_str_startswith(const char *, const char *);
int vc_str_endswith(const char *, const char *);
/* Returns a copy of `s` without leading and trailing ASCII whitespace. */
char *vc_str_strip(const char *s);
void vc_str_lower(char *);

/* Paths. */
char *vc_path_join(const char *, const char *);
/* Directory part of `path` ("." when there is none). */
char *vc_path_dirname(const char *path);
/* Expands a leading "~/" with $HOME. */
char *vc_path_expand_home(const char *path);
/*
 * Folds "." and ".." components and repeated '/' of `path`, by the text
 * alone (symlinks are not looked at), and drops a trailing '/'.
 * - An absolute path stays absolute, and ".." at the root stays there:
 *   "/.." and "/a/../.." are "/" (as POSIX and Python's os.path.normpath).
 * - A relative path stays relative, and one that would climb above where
 *   it starts ("..", "a/../../b") is refused: NULL.
 * - "" and a relative path that folds to nothing ("a/..", "./") are ".".
 * Returns a string the caller frees, or NULL as above.
 */
char *vc_path_normalize(const char *path);

/*
 * Reads what is left of `fd` (at most `max` bytes; 0 means no limit) into
 * `out`, NUL-terminated. -1 with errno set, EFBIG past `max`.
 */
int vc_read_fd(int fd, size_t max, struct vc_buf *out);

/*
 * Reads a whole file (at most `max` bytes; 0 means no limit) into `out`.
 * Fails with a message naming the file.
 */
int vc_read_file(const char *path, size_t max, struct vc_buf *out,
    struct vc_error *);

/*
 * Writes `len` bytes to `path` atomically: a temporary file in the same
 * directory (O_EXCL, O_NOFOLLOW), fsync, rename over `path`.
 */
int vc_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct vc_error *);

/*
 * openat() that never leaves `dirfd` and never follows a symlink on the
 * way (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; on kernels without
 * it, a walk of O_NOFOLLOW components). `path` must be relative.
 */
int vc_openat_beneath(int dirfd, const char *path, int flags, mode_t mode);

/* mkdir -p with the given mode for created directories. */
int vc_mkdir_p(const char *path, mode_t mode, struct vc_error *);

/*
 * Removes a tree without following symlinks (unlinkat/openat with
 * O_NOFOLLOW); a missing path is success.
 */
int vc_rm_rf(const char *path, struct vc_error *);
int vc_rm_rf_at(int dirfd, const char *name, struct vc_error *);
/* Removes what a directory holds, keeping the directory (and its inode). */
int vc_empty_dir(const char *path, struct vc_error *);
/* 1 when `path` is a directory that holds nothing, 0 otherwise. */
int vc_dir_is_empty(const char *path);

/* Clocks: wall time in seconds, and a monotonic clock in seconds. */
double vc_now(void);
double vc_monotonic(void);

/* Formats a byte count as "12.3 MiB" into `buf`. */
const char *vc_format_size(uint64_t bytes, char *buf, size_t len);
/* Parses "10G", "512M", "1.5GiB", "100000": bytes, or -1 on error. */
int vc_parse_size(const char *, uint64_t *out);
/* Parses "3600", "30s", "15m", "1h", "7d": seconds, or -1 on error. */
int vc_parse_duration(const char *, uint64_t *out);

/*
 * Expands ${NAME} (NAME of [A-Z0-9_], as pip allows) from the environment. A
 * variable that is unset or empty is left as written, as pip does.
 */
char *vc_expand_env(const char *);

/*
 * "Did you mean": the candidate nearest to `word`, fed one by one to
 * vc_suggest_add; vc_suggest_best gives it when it is at most 1 edit away
 * (words of up to 5 characters: 'frobs' is not 'jobs'), 2 (up to 8) or 3,
 * else NULL. An edit is
 * an insertion, deletion, substitution or swap of neighbours; case and
 * '_' against '-' do not count. Candidates are not copied.
 */
struct vc_suggest {
	const char *word;
	const char *best;
	size_t dist;
};
void vc_suggest_init(struct vc_suggest *, const char *word);
void vc_suggest_add(struct vc_suggest *, const char *candidate);
const char *vc_suggest_best(const struct vc_suggest *);

/* Number of online CPUs, at least 1. */
int vc_ncpus(void);

#endif
