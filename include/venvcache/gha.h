/*
 * gha.h: GitHub Actions: output files, workflow commands, step summary,
 * and actions/cache's cache version.
 *
 * Active when GITHUB_ACTIONS=true. Workflow commands go to stdout, where
 * the runner reads them; nothing else of venvcache's goes there but data.
 */
#ifndef VENVCACHE_GHA_H
#define VENVCACHE_GHA_H

#include <stddef.h>
#include <stdio.h>

#include "venvcache/error.h"
#include "venvcache/util.h"

/* 1 when running under GitHub Actions (GITHUB_ACTIONS=true). */
int vc_gha_active(void);

/*
 * Appends an output to $GITHUB_OUTPUT: "name=value", or, when the value
 * has a newline, "name<<DELIM" lines "DELIM" with a random delimiter that
 * does not occur in the value.
 */
int vc_gha_output(const char *name, const char *value, struct vc_error *);

/* Escaping of workflow commands: data ('%', CR, LF) and properties (also
 * ':' and ','). Caller frees. */
char *vc_gha_escape_data(const char *);
char *vc_gha_escape_property(const char *);

/* ::add-mask::, ::group::, ::endgroup::, ::error file=,line=::, ::warning:: */
void vc_gha_mask(FILE *, const char *secret);
void vc_gha_group(FILE *, const char *title);
void vc_gha_endgroup(FILE *);
void vc_gha_error(FILE *, const char *file, unsigned line, const char *msg);
void vc_gha_warning(FILE *, const char *msg);

/* Appends Markdown to $GITHUB_STEP_SUMMARY (at most 1 MiB a step). */
int vc_gha_summary(const char *markdown, struct vc_error *);

/*
 * actions/cache's cache version: hex sha256 of the `path:` strings joined
 * by '|', then "|zstd-without-long|1.0" (what tar with zstd and no
 * --long is versioned as), 64 hex digits + NUL in `out`.
 */
void vc_gha_cache_version(const char *const *paths, size_t n, char out[65]);

#endif
