/*
 * store.h: the store of packed venvs (cache-dir), as actions/cache saves it.
 *
 * Layout (a valid --cache-dir wherever it is restored):
 *   CACHEDIR.TAG
 *   entries/<key>.tar.zst     the archive
 *   entries/<key>.json        its manifest, written last
 *   locks/<key>.lock          flock: shared to read, exclusive to build
 *   tmp/                      temporary files, removed when their owner died
 *   probe/ resolve/ stats.json
 * A reader never sees a half-written entry: archive and manifest are each
 * written to tmp/, fsynced and renamed; the manifest is renamed last and
 * an entry exists only when its manifest does. The manifest's mtime is the
 * entry's last use.
 *
 * A key names files, so the store accepts only keys of [A-Za-z0-9._+-]
 * that do not start with '.', at most VC_STORE_KEY_MAX characters. A key
 * longer than a file name allows is stored under its first 207 characters,
 * '+' and the XXH3-128 of the whole key (240 characters; shorter keys are
 * used as they are, so the two never meet). Locks follow the same names.
 *
 * Every store file is opened with O_NOFOLLOW and O_CLOEXEC, and created
 * with O_EXCL. A temporary file under tmp/ is flock'ed by its writer for
 * its whole life; vc_store_open() removes the ones whose lock is free.
 *
 * Strings in the structs are owned by them; *_release() frees them.
 */
#ifndef VENVCACHE_STORE_H
#define VENVCACHE_STORE_H

#include <stdint.h>

#include "venvcache/archive.h"
#include "venvcache/error.h"
#include "venvcache/util.h"

#define VC_MANIFEST_FORMAT 1
#define VC_STORE_KEY_MAX 512
/* Manifests larger than this are refused. */
#define VC_MANIFEST_MAX (64u << 20)

struct vc_manifest {
	int format;
	char *key;
	char *env;
	char *python; /* interpreter's real path */
	char *python_version;
	char *prefix; /* absolute path of the venv when packed */
	uint64_t unpacked_size;
	uint64_t file_count;
	uint64_t archive_size;
	/* XXH3-128 of the archive: 32 lowercase hex digits of the canonical
	 * (big-endian) form, as xxh128sum prints it. */
	char checksum[33];
	double create_seconds;       /* what creating it cost */
	int64_t created;             /* unix time */
	struct vc_strv prefix_files; /* text files holding the prefix */
	struct vc_strv requirements; /* the set it holds, canonical */
	struct vc_frame *frames;
	size_t nframes;
	/* "uv" or "pip": what installed it; NULL when not known (an entry
	 * of an older venvcache, or made by save). Optional in the JSON. */
	char *installer;
	/* Made without pip (seed = no): "seed": false in the JSON, absent
	 * otherwise. A partial hit starts only from an entry seeded alike. */
	int unseeded;
};

void vc_manifest_init(struct vc_manifest *);
void vc_manifest_release(struct vc_manifest *);
/*
 * Parses a manifest (JSON); `name` is for messages. Checks every field:
 * its type, its value (a valid key, an absolute prefix, relative
 * prefix_files without "..", no control characters, 32 hex digits,
 * contiguous frames) and that there is no unknown one. `m` must be
 * initialised; on failure it is left empty. Errors are VC_ECORRUPT, JSON
 * syntax errors as "name:line:column: ...", and never crash on any input.
 */
int vc_manifest_parse(struct vc_manifest *, const char *text, size_t len,
    const char *name, struct vc_error *);
/* The checks of vc_manifest_parse() on a filled struct (VC_EFAIL). */
int vc_manifest_validate(const struct vc_manifest *, const char *name,
    struct vc_error *);
/*
 * The manifest as JSON text (caller frees), or NULL when a string is not
 * valid UTF-8. Validate first: what this writes is what parse reads back.
 */
char *vc_manifest_format(const struct vc_manifest *);

/*
 * Checks a key for use as a file name: [A-Za-z0-9._+-]+, not starting
 * with '.', at most VC_STORE_KEY_MAX characters.
 */
int vc_store_key_check(const char *key, struct vc_error *);
/* The file name of a valid key's entry, without suffix (caller frees). */
char *vc_store_stem(const char *key);

struct vc_store {
	char *dir;
	int dirfd;
	int entries_fd;
	int locks_fd;
	int tmp_fd;
	/*
	 * 1 when we cannot write the store (a read-only mount, a shared store
	 * of another user): it is read without locks (shared ones are no-ops,
	 * an exclusive one fails), nothing is touched, saved or removed.
	 */
	int readonly;
};

/*
 * Opens (creating if needed) the store at `dir`; removes dead temp files.
 * A store we cannot write is opened read-only (st->readonly).
 */
int vc_store_open(struct vc_store *, const char *dir, struct vc_error *);
void vc_store_close(struct vc_store *);

/* A per-key lock (flock): released by vc_store_unlock or process death. */
struct vc_lock {
	int fd;
};

#define VC_LOCK_SHARED 0
#define VC_LOCK_EXCLUSIVE 1
#define VC_LOCK_NOWAIT 2 /* or'ed in: fail at once when it is held */

/*
 * Takes the lock of `key`, waiting unless VC_LOCK_NOWAIT. A held lock
 * with NOWAIT fails with VC_EFAIL and err->sys_errno == EWOULDBLOCK.
 * flock locks belong to the open file, so a second lock of the same key
 * in the same process conflicts with the first like another process's.
 */
int vc_store_lock(struct vc_store *, const char *key, int how, struct vc_lock *,
    struct vc_error *);
/* Releases it; safe on a lock whose fd is -1. */
void vc_store_unlock(struct vc_lock *);

/*
 * Finds the entry of `key`: fills `m` and opens the archive (read-only)
 * into *fd (`fd` may be NULL: the manifest only). VC_EMISS when there is
 * none. VC_ECORRUPT when the manifest is unreadable, names another key,
 * or has no archive: the caller removes the entry and treats it as a
 * miss. Does not verify the checksum. Call it under the key's lock.
 */
int vc_store_lookup(struct vc_store *, const char *key, struct vc_manifest *,
    int *fd, struct vc_error *);
/*
 * Checks the archive against the manifest (size and XXH3-128) before it
 * is used. VC_ECORRUPT when they disagree, naming the entry and what
 * differs. Reads with pread(): the file offset of `fd` does not move.
 */
int vc_store_verify(struct vc_store *, const struct vc_manifest *, int fd,
    struct vc_error *);
/* Records a use now (the manifest's mtime). */
void vc_store_touch(struct vc_store *, const char *key);
/*
 * Removes an entry: manifest first, then archive. A missing one is
 * success. Does not take the key's lock: hold it (either kind).
 */
int vc_store_remove(struct vc_store *, const char *key, struct vc_error *);

/* Writing an entry. */
struct vc_store_txn {
	char *key;
	char *tmp_archive; /* under tmp/ */
	int fd;            /* open on tmp_archive, flock'ed */
};

/*
 * Starts an entry: a temporary archive file the caller packs into. Hold
 * the key's lock exclusively from begin to commit. On failure `txn` is
 * left so that vc_store_abort() is a no-op.
 */
int vc_store_begin(struct vc_store *, const char *key, struct vc_store_txn *,
    struct vc_error *);
/*
 * Publishes: fsync and rename the archive, then write the manifest the
 * same way. `m` must describe the archive (checksum, sizes; its key is
 * the txn's) and pass vc_manifest_validate(). An older entry of the key
 * loses its manifest before the new archive replaces its archive, so a
 * crash at any point leaves no entry or a whole one.
 */
int vc_store_commit(struct vc_store *, struct vc_store_txn *,
    const struct vc_manifest *, struct vc_error *);
/* Drops an unfinished entry; safe after commit and twice. */
void vc_store_abort(struct vc_store *, struct vc_store_txn *);

/* An entry as list and gc see it. */
struct vc_store_entry {
	struct vc_manifest m;
	uint64_t size; /* archive + manifest bytes on disk */
	/* Unix time of the last use (the manifest's mtime). A time in the
	 * future (clock skew, or a hostile store) is now when at most an hour
	 * ahead, else 0: it never ranks as used forever. */
	int64_t last_used;
	long last_used_nsec; /* and its nanoseconds */
	int64_t mtime;       /* the manifest's mtime, as found */
	long mtime_nsec;
};

/*
 * Marks the entry of `key` in the store at `dir` used (its manifest's
 * mtime), unless it was less than a minute ago: cheap enough for every
 * no-op warm and run (a stat, and a utimensat at most once a minute), and
 * without opening the store. Failures are ignored (a read-only store).
 */
void vc_store_mark_used(const char *dir, const char *key);

/* Every entry with a readable manifest, most recently used first. */
int vc_store_list(struct vc_store *, struct vc_store_entry **out, size_t *n,
    struct vc_error *);
void vc_store_entries_free(struct vc_store_entry *, size_t n);

/*
 * Entries whose key starts with `restore_key` (a restore key: the same
 * env and interpreter), most recently used first.
 */
int vc_store_find_related(struct vc_store *, const char *restore_key,
    struct vc_store_entry **out, size_t *n, struct vc_error *);

struct vc_gc_result {
	uint64_t removed; /* entries */
	uint64_t freed;   /* bytes */
	uint64_t kept;
	uint64_t kept_size;
	uint64_t busy; /* skipped: in use by a reader or writer */
};

/*
 * Evicts least recently used entries until the store holds at most
 * `max_size` bytes (0: no size limit) and removes those unused for more
 * than `max_age` seconds (0: no age limit). An entry whose lock is held is
 * never removed. With `dry_run`, reports without removing.
 */
int vc_store_gc(struct vc_store *, uint64_t max_size, uint64_t max_age,
    int dry_run, struct vc_gc_result *, struct vc_error *);

enum vc_gc_what {
	VC_GC_REMOVED, /* removed (or, dry run, would be) */
	VC_GC_BUSY,    /* would be removed, but its lock is held */
};

/* vc_store_gc() that also calls `report` for each entry it acts on. */
int vc_store_gc_report(struct vc_store *, uint64_t max_size, uint64_t max_age,
    int dry_run, struct vc_gc_result *,
    void (*report)(const struct vc_store_entry *, enum vc_gc_what, void *),
    void *arg, struct vc_error *);

/*
 * For what is kept per store key outside entries/ (the project cache,
 * projcache.h), named by the key's file name stem (vc_store_stem): whether
 * the store holds the entry of `stem` (its manifest is there): 1 yes, 0 no,
 * -1 when `stem` is no stem vc_store_stem() could produce.
 */
int vc_store_has_stem(struct vc_store *, const char *stem);
/* vc_store_lock() for a stem; fails when it is none. */
int vc_store_lock_stem(struct vc_store *, const char *stem, int how,
    struct vc_lock *, struct vc_error *);
/*
 * Releases the exclusive lock of `stem`, first removing its lock file
 * when the store holds no entry of it (as gc does for the keys it evicts).
 */
void vc_store_unlock_stem(struct vc_store *, const char *stem,
    struct vc_lock *);

/* What vc_store_check() found about one file or entry of entries/. */
enum vc_check_status {
	VC_CHECK_OK,
	VC_CHECK_BAD,     /* failed its checks (kept: no fix) */
	VC_CHECK_REMOVED, /* failed its checks and was removed (fix) */
	VC_CHECK_ORPHAN,  /* an archive without manifest: removed */
	VC_CHECK_BUSY,    /* in use by a writer (or a reader, with fix) */
};

struct vc_check_item {
	const char *key; /* the key, or the file name, printable */
	enum vc_check_status status;
	const char *reason; /* why it is bad, or NULL */
	uint64_t size;      /* bytes on disk */
};

struct vc_check_result {
	uint64_t ok, bad, removed, orphans, busy;
};

/* vc_store_check's flags. */
#define VC_CHECK_FIX 1u  /* remove bad entries */
#define VC_CHECK_DEEP 2u /* also read each archive with libarchive */

/*
 * Verifies every entry against its manifest (vc_store_lookup and
 * vc_store_verify under the key's lock, never waiting for it), calling
 * `report` for each. Archives without manifest are removed (they are not
 * entries: leftovers of a crash between the two renames). With
 * VC_CHECK_FIX, bad entries are removed too; with VC_CHECK_DEEP, an entry
 * whose checksum matches is also read through libarchive
 * (vc_archive_deep_check). Fails only when the store cannot be read; bad
 * entries are counted in `res`.
 */
int vc_store_check(struct vc_store *, unsigned flags, struct vc_check_result *,
    void (*report)(const struct vc_check_item *, void *), void *arg,
    struct vc_error *);

#endif
