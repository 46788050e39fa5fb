/*
 * stats.h: counters, ccache style.
 *
 * Defined once here; the ids are snake_case, never change, and are what
 * `stats --format json` and the tests use. The counters live in
 * <cache-dir>/stats.json, updated under a lock (read, add, write, rename).
 */
#ifndef VENVCACHE_STATS_H
#define VENVCACHE_STATS_H

#include <stdint.h>

#include "venvcache/error.h"

/* X(id, description) */
#define VC_COUNTERS(X)                                                     \
	X(present, "venvs already ready")                                  \
	X(hits, "cache hits (restored from the store)")                    \
	X(partial_hits, "partial hits (nearest entry, then pip)")          \
	X(misses, "cache misses")                                          \
	X(project_cache_hits, "project installs put back (project cache)") \
	X(restores, "restores")                                            \
	X(creations, "creations (venv + pip)")                             \
	X(saves, "entries saved")                                          \
	X(failed_restores, "restores refused (corrupt or hostile)")        \
	X(rebuilds, "venvs rebuilt (broken or changed interpreter)")       \
	X(evictions, "entries evicted by gc")                              \
	X(bytes_restored, "bytes restored")                                \
	X(bytes_saved, "archive bytes written")                            \
	X(create_ms, "milliseconds creating")                              \
	X(restore_ms, "milliseconds restoring")                            \
	X(saved_ms, "milliseconds saved (creation - restore time)")        \
	X(remote_hits, "entries downloaded from a remote")                 \
	X(remote_misses, "misses of every remote")                         \
	X(remote_uploads, "entries uploaded to a remote")                  \
	X(remote_errors, "remote faults (the build went on)")              \
	X(remote_rejected, "remote entries refused (corrupt or unsigned)") \
	X(remote_bytes_in, "bytes downloaded from remotes")                \
	X(remote_bytes_out, "bytes uploaded to remotes")

enum vc_counter {
#define VC_X_COUNTER(id, desc) VC_C_##id,
	VC_COUNTERS(VC_X_COUNTER)
#undef VC_X_COUNTER
	    VC_C__COUNT
};

struct vc_stats {
	uint64_t c[VC_C__COUNT];
	int64_t zeroed; /* unix time of the last --zero, or 0 */
};

extern const char *const vc_counter_ids[VC_C__COUNT];
extern const char *const vc_counter_descriptions[VC_C__COUNT];

void vc_stats_init(struct vc_stats *);
/* Reads <cache_dir>/stats.json; a missing file is all zeros. */
int vc_stats_read(const char *cache_dir, struct vc_stats *, struct vc_error *);
/* Adds `delta` to the stored counters, under the stats lock. */
int vc_stats_add(const char *cache_dir, const struct vc_stats *delta,
    struct vc_error *);
/* Sets every counter to zero and records when. */
int vc_stats_zero(const char *cache_dir, struct vc_error *);

#endif
