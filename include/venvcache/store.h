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
 * Strings in the structs are owned by them; *_release() frees them.
 */
#ifndef VENVCACHE_STORE_H
#define VENVCACHE_STORE_H

#include <stdint.h>

#include "venvcache/archive.h"
#include "venvcache/error.h"
#include "venvcache/util.h"

#define VC_MANIFEST_FORMAT 1

struct vc_manifest {
	int format;
	char *key;
	char *env;
	char *python;		/* interpreter's real path */
	char *python_version;
	char *prefix;		/* absolute path of the venv when packed */
	uint64_t unpacked_size;
	uint64_t file_count;
	uint64_t archive_size;
	char checksum[33];	/* XXH3-128 of the archive, hex */
	double create_seconds;	/* what creating it cost */
	int64_t created;	/* unix time */
	struct vc_strv prefix_files;	/* text files holding the prefix */
	struct vc_strv requirements;	/* the set it holds, canonical */
	struct vc_frame *frames;
	size_t nframes;
};

void vc_manifest_init(struct vc_manifest *);
void vc_manifest_release(struct vc_manifest *);
/* Parses a manifest (JSON); `name` is for messages. Checks every field. */
int vc_manifest_parse(struct vc_manifest *, const char *text, size_t len,
    const char *name, struct vc_error *);
/* The manifest as JSON text (caller frees). */
char *vc_manifest_format(const struct vc_manifest *);

struct vc_store {
	char *dir;
	int dirfd;
};

/* Opens (creating if needed) the store at `dir`; removes dead temp files. */
int vc_store_open(struct vc_store *, const char *dir, struct vc_error *);
void vc_store_close(struct vc_store *);

/* A per-key lock (flock): released by vc_store_unlock or process death. */
struct vc_lock {
	int fd;
};

#define VC_LOCK_SHARED 0
#define VC_LOCK_EXCLUSIVE 1
#define VC_LOCK_NOWAIT 2 /* or'ed in: fail with VC_EBUSY-like EFAIL */

int vc_store_lock(struct vc_store *, const char *key, int how,
    struct vc_lock *, struct vc_error *);
void vc_store_unlock(struct vc_lock *);

/*
 * Finds the entry of `key`: fills `m` and opens the archive (read-only)
 * into *fd. VC_EMISS when there is none. Does not verify the checksum.
 */
int vc_store_lookup(struct vc_store *, const char *key, struct vc_manifest *,
    int *fd, struct vc_error *);
/*
 * Checks the archive against the manifest (size and XXH3-128) before it
 * is used. VC_ECORRUPT when they disagree.
 */
int vc_store_verify(struct vc_store *, const struct vc_manifest *, int fd,
    struct vc_error *);
/* Records a use now (the manifest's mtime). */
void vc_store_touch(struct vc_store *, const char *key);
/* Removes an entry: manifest first, then archive. */
int vc_store_remove(struct vc_store *, const char *key, struct vc_error *);

/* Writing an entry. */
struct vc_store_txn {
	char *key;
	char *tmp_archive;	/* under tmp/ */
	int fd;			/* open on tmp_archive, flock'ed */
};

/* Starts an entry: a temporary archive file the caller packs into. */
int vc_store_begin(struct vc_store *, const char *key, struct vc_store_txn *,
    struct vc_error *);
/*
 * Publishes: fsync and rename the archive, then write the manifest the
 * same way. `m` must describe the archive (checksum, sizes).
 */
int vc_store_commit(struct vc_store *, struct vc_store_txn *,
    const struct vc_manifest *, struct vc_error *);
/* Drops an unfinished entry; safe after commit and twice. */
void vc_store_abort(struct vc_store *, struct vc_store_txn *);

/* An entry as list and gc see it. */
struct vc_store_entry {
	struct vc_manifest m;
	uint64_t size;		/* archive + manifest bytes on disk */
	int64_t last_used;	/* unix time */
};

/* Every entry with a readable manifest, most recently used first. */
int vc_store_list(struct vc_store *, struct vc_store_entry **out, size_t *n,
    struct vc_error *);
void vc_store_entries_free(struct vc_store_entry *, size_t n);

/* Entries of the same env and interpreter as `m`'s key prefix. */
int vc_store_find_related(struct vc_store *, const char *restore_key,
    struct vc_store_entry **out, size_t *n, struct vc_error *);

struct vc_gc_result {
	uint64_t removed;	/* entries */
	uint64_t freed;		/* bytes */
	uint64_t kept;
	uint64_t kept_size;
	uint64_t busy;		/* skipped: in use by a reader or writer */
};

/*
 * Evicts least recently used entries until the store holds at most
 * `max_size` bytes (0: no size limit) and removes those unused for more
 * than `max_age` seconds (0: no age limit). An entry whose lock is held is
 * never removed. With `dry_run`, reports without removing.
 */
int vc_store_gc(struct vc_store *, uint64_t max_size, uint64_t max_age,
    int dry_run, struct vc_gc_result *, struct vc_error *);

#endif
