/*
 * projcache.h: what installing the project under test added to a venv,
 * kept in <cache-dir>/project-install/ and put back instead of installing
 * again.
 *
 * An entry is <store-stem>/<key>.tar.zst, under the file name stem of the
 * env's store key (vc_store_stem), so that gc can drop the entries of keys
 * the store no longer holds; it is an archive in the store's format (archive.h)
 * of the files the project's *.dist-info/RECORD lists (its .pth or
 * __editable__ finder, the dist-info, console scripts), as paths relative
 * to the venv. The key (vc_projcache_key) covers the env's store key, the
 * installer, the venv's and the project's real paths, the install form
 * and a hash of the project's tree (vc_projcache_tree_hash). The cache is
 * local: never uploaded. Entries are hostile: extracted by the store's
 * extractor into an empty directory, then moved into the venv only as new
 * regular files and directories (never replacing anything, never through
 * a symlink), and taken only when the project's RECORD then lists files
 * that all exist. Nothing from an entry is run.
 */
#ifndef VENVCACHE_PROJCACHE_H
#define VENVCACHE_PROJCACHE_H

#include "venvcache/error.h"
#include "venvcache/store.h"
#include "venvcache/util.h"

/* Where entries live under the cache dir. */
#define VC_PROJCACHE_DIR "project-install"
/*
 * An entry's key: 16 hex digits naming what it is for (the store key,
 * installer, paths, form), '-', 32 naming that and the tree's hash. A new
 * entry replaces the others of the same first part.
 */
#define VC_PROJCACHE_KEY_MAX 50
/* A project tree larger than this is never hashed: installed for real. */
#define VC_PROJCACHE_MAX_FILES 20000
#define VC_PROJCACHE_MAX_BYTES (256ull << 20)

/* XXH3-128 of a text (a key's document), as 32 hex digits. */
void vc_projcache_hash_text(const char *text, char out[33]);

/*
 * XXH3-128 (32 hex digits) of the tree at `dir`, every file a build
 * backend could read: names, types, the executable bit, the bytes of files
 * and the targets of symlinks (never followed). Left out: directories
 * named .tox, .nox, .venv, build, dist, __pycache__, node_modules and
 * *.egg-info, and the directories `skip` names (NULL-terminated, compared
 * by device and inode; NULL entries of a shorter list are fine). A .git
 * directory counts only its HEAD and the ref HEAD names (or packed-refs
 * when that ref is packed). Returns 0, 1 when the tree has more than
 * VC_PROJCACHE_MAX_FILES files or VC_PROJCACHE_MAX_BYTES bytes (err says
 * so), -1 when it cannot be read.
 */
int vc_projcache_tree_hash(const char *dir, const char *const *skip,
    char out[33], struct vc_error *);

/*
 * The project's installed files in the venv at `venv`: for the
 * *.dist-info whose direct_url.json names the directory `project`, every
 * path its RECORD lists, relative to the venv, sorted (the RECORD
 * included). Returns 1 when found (and every listed path is inside the
 * venv), 0 when no dist-info names the project, -1 when one does but its
 * RECORD is unreadable or lists a path outside the venv.
 */
int vc_projcache_files(const char *venv, const char *project,
    struct vc_strv *out, struct vc_error *);

/*
 * The paths a RECORD (`text`, changed in place) lists, as paths relative
 * to the venv: each first CSV field joined to `rel` (its site-packages,
 * relative to the venv) and normalised, appended to `out`; a
 * uv_cache.json is left out (venvcache removes it after uv installs).
 * -1 with VC_EHOSTILE, naming `what`, for a path outside the venv.
 */
int vc_projcache_parse_record(char *text, const char *rel, const char *what,
    struct vc_strv *out, struct vc_error *);

/* <cache_dir>/project-install/<store key's stem>/<key>.tar.zst. */
char *vc_projcache_entry_path(const char *cache_dir, const char *store_key,
    const char *key);

/*
 * Packs `files` (relative to `venv`) into the entry of `key`
 * (vc_projcache_entry_path), atomically, and removes the entries it
 * replaces (the same key up to its '-'); `stage` is an empty directory on
 * the venv's file system, left with what was linked into it.
 */
int vc_projcache_save(const char *cache_dir, const char *store_key,
    const char *key, const char *venv, const char *stage,
    const struct vc_strv *files, struct vc_error *);

/*
 * Puts the entry `key` in place in the venv at `venv` (extracted into the
 * empty directory `stage` first, on the venv's file system), then checks
 * that the RECORD of the project's dist-info lists only files that exist.
 * 1: done; 0: no entry; -1: refused or failed (err says why, VC_EHOSTILE
 * for a member that would leave the venv or replace a file), with
 * whatever was put in the venv taken out again.
 */
int vc_projcache_restore(const char *cache_dir, const char *store_key,
    const char *key, const char *venv, const char *project, const char *stage,
    struct vc_error *);

/* An entry as gc reports it. */
struct vc_projcache_item {
	const char *name;  /* relative to the cache dir */
	uint64_t size;     /* bytes; 0 for a key's directory in use */
	int64_t last_used; /* the entry's mtime (a restore touches it) */
};

/*
 * venvcache gc for the project cache (the store `st` at `cache_dir`, held
 * open by the caller): removes every entry of a store key whose entry the
 * store does not hold (or whose stem `gone` lists: those gc removes, or
 * would with `dry_run`), under that key's lock taken exclusively without
 * waiting (busy: kept), and, when `max_age` is not 0, every entry unused
 * (not put back) for more than `max_age` seconds; entries of the flat
 * layout before the key's directory (no store key known) go too. With
 * `dry_run`, reports without removing. `report` (may be NULL) is called
 * for each entry removed and each key directory in use.
 */
int vc_projcache_gc(struct vc_store *st, const char *cache_dir,
    uint64_t max_age, int dry_run, const struct vc_strv *gone,
    struct vc_gc_result *,
    void (*report)(const struct vc_projcache_item *, enum vc_gc_what, void *),
    void *arg, struct vc_error *);

#endif
