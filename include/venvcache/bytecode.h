/*
 * bytecode.h: a venv's bytecode, compiled once per source.
 *
 * `uv pip install --compile-bytecode` compiles every *.py of site-packages
 * with the interpreter's compileall, file by file, every time: for a venv of
 * 9,000 modules that is 5.5 s of a 6 s miss, where uv's install is 0.4 s.
 * Most of those sources are the same from one venv to the next (the same
 * wheels), and a .pyc is its source's code marshalled, so venvcache keeps
 * what it compiled in the bytecode cache (bytecode-cache-dir): keyed by the
 * interpreter (impl, version, build, SOABI) and an XXH3-128 of the source's
 * bytes, holding the pyc's magic number and its marshalled code (with a
 * length and checksum: entries are written in place, without fsync, and
 * one found torn is removed). The header
 * of a pyc written from it is the one compileall writes (timestamp
 * invalidation: the source's mtime and size), so Python takes it as its own.
 * The code's co_filename is the path it was first compiled at; CPython puts
 * the module's real path in its place on import (as it does for every venv
 * venvcache restores somewhere else).
 *
 * The cache runs code: it is trusted as uv's cache is (the user's own, mode
 * 0700, checked by vc_trust_dir, never in the store).
 */
#ifndef VENVCACHE_BYTECODE_H
#define VENVCACHE_BYTECODE_H

#include <stddef.h>
#include <stdint.h>

#include "venvcache/error.h"
#include "venvcache/interp.h"

struct vc_bytecode_stats {
	size_t sources;  /* *.py files seen */
	size_t current;  /* already had an up-to-date pyc */
	size_t reused;   /* pyc written from the cache */
	size_t compiled; /* handed to compileall */
	size_t stored;   /* of those, added to the cache */
	size_t skipped;  /* their __pycache__ is not a directory of ours */
};

/* Whether vc_bytecode_compile can serve this interpreter (CPython >= 3.7);
 * otherwise the installer compiles (uv --compile-bytecode). */
int vc_bytecode_supported(const struct vc_interp *);

/*
 * Compiles every *.py file of the venv at `venv`'s site-packages
 * (lib/pythonX.Y/site-packages, reached through real directories only;
 * links are not followed, __pycache__ is skipped, nothing deeper than 64
 * directories) that has no up-to-date __pycache__/<name>.cpython-XY.pyc,
 * as uv and pip do: errors in a source (Python 2 code in a wheel) and
 * files that cannot be written are skipped. A source whose __pycache__ is
 * not a real directory (a tree from the store) is skipped too. Sources
 * whose bytecode is in `cache` (NULL: no cache) are written from it; the
 * rest are compiled by the interpreter (`ip->executable -I -S`, workers
 * as there are CPUs), with temporary files in `scratch`, and added to the
 * cache when `keep` is set: never for a venv restored from the store.
 * Returns 0, or -1 with `err` set (the interpreter failed, a directory
 * could not be read).
 */
int vc_bytecode_compile(const struct vc_interp *ip, const char *venv,
    const char *cache, int keep, const char *scratch,
    struct vc_bytecode_stats *, struct vc_error *err);

/*
 * A cache entry's bytes checked: "VCB1", the pyc's magic number (4 bytes,
 * the last two "\r\n"), the code's length and XXH3-64 (little-endian, 4
 * and 8 bytes), then the marshalled code (a code object: 'c', maybe
 * flagged 0x80). Returns 1 when it is one, 0 when not (torn, foreign,
 * too big). For tests and the fuzz target too.
 */
int vc_bytecode_entry_ok(const unsigned char *data, size_t len);

/*
 * venvcache gc --max-age: removes the entries of `cache` neither read nor
 * written for `max_age` seconds (0: none; the file's atime, which relatime
 * moves once a day, or its mtime). With `dry_run`, only counts them. A
 * missing cache is empty.
 */
int vc_bytecode_gc(const char *cache, uint64_t max_age, int dry_run,
    uint64_t *removed, uint64_t *freed, uint64_t *kept, uint64_t *kept_size,
    struct vc_error *);

/* An entry's header, and the largest entry read or written. */
#define VC_BYTECODE_HEAD 20
#define VC_BYTECODE_MAX (64u << 20)

#endif
