/*
 * gha.h: GitHub Actions: output files, workflow commands, step summary,
 * and actions/cache's cache version and keys.
 *
 * Active when GITHUB_ACTIONS=true. Workflow commands (::add-mask::,
 * ::group::, ::error::, ...) are written to the FILE * given, which the
 * command line sets to stderr: the runner reads workflow commands from a
 * step's stderr exactly as from its stdout (actions/runner,
 * Handlers/ScriptHandler.cs gives both streams an OutputManager that
 * calls ActionCommandManager.TryProcessCommand on every line), and stdout
 * stays data only, so `KEY=$(venvcache key)` works under Actions too.
 *
 * The formats follow actions/runner and actions/toolkit:
 * - $GITHUB_OUTPUT: "name=value" lines, or "name<<DELIM", the value, and a
 *   line "DELIM" (FileCommandManager.cs, EnvFileKeyValuePairs; toolkit
 *   core/src/file-command.ts prepareKeyValueMessage).
 * - Workflow commands: "::name key=value,key=value::data" at the start of
 *   a line; data escapes '%', CR, LF; property values also ':' and ','
 *   (toolkit core/src/command.ts, runner Common/ActionCommand.cs).
 * - $GITHUB_STEP_SUMMARY: Markdown; a step whose file exceeds 1 MiB has its
 *   whole summary dropped (FileCommandManager.cs, AttachmentSizeLimit).
 *
 * Strings returned as `char *` are the caller's; structs own their members.
 */
#ifndef VENVCACHE_GHA_H
#define VENVCACHE_GHA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/util.h"

/* What a step's summary file may hold before the runner drops it. */
#define VC_GHA_SUMMARY_MAX (1024 * 1024)
/* actions/cache: a key and its restore keys, at most 10 in all. */
#define VC_GHA_MAX_KEYS 10

/* 1 when running under GitHub Actions (GITHUB_ACTIONS=true). */
int vc_gha_active(void);

/*
 * Appends one output to `out` in the runner's file syntax: "name=value\n"
 * when the value is one line, else "name<<DELIM\n" value "\nDELIM\n" with
 * a random DELIM that does not occur in the value. A name must be
 * [A-Za-z0-9_-]+ (anything else could be read back as another name, or
 * as a delimiter); a bad name fails with VC_EFAIL and leaves `out` as it
 * was.
 */
int vc_gha_format_output(struct vc_buf *out, const char *name,
    const char *value, struct vc_error *);
/* The same, always in the multi-line syntax (for a list of one line). */
int vc_gha_format_output_lines(struct vc_buf *out, const char *name,
    const char *value, struct vc_error *);

/*
 * Appends `text` (outputs made with vc_gha_format_output) to the file
 * named by $GITHUB_OUTPUT in one write(2) with O_APPEND. Fails when the
 * variable is unset or empty.
 */
int vc_gha_write_outputs(const char *text, size_t len, struct vc_error *);

/* One output to $GITHUB_OUTPUT: format and write. */
int vc_gha_output(const char *name, const char *value, struct vc_error *);

/*
 * The random bytes behind delimiters come from getrandom(2); tests replace
 * the source to force a collision. NULL restores getrandom(2).
 */
void vc_gha_set_random(void (*fill)(unsigned char *, size_t));

/* Escaping of workflow commands: data ('%', CR, LF) and properties (also
 * ':' and ','). Caller frees. */
char *vc_gha_escape_data(const char *);
char *vc_gha_escape_property(const char *);

/*
 * ::add-mask::SECRET (nothing for an empty or blank secret, which the
 * runner refuses), ::group::TITLE, ::endgroup::, and annotations:
 * ::error file=F,line=N::MSG (file omitted when NULL or "", line when 0),
 * ::warning::. Each is one line, flushed at once.
 */
void vc_gha_mask(FILE *, const char *secret);
void vc_gha_group(FILE *, const char *title);
void vc_gha_endgroup(FILE *);
void vc_gha_error(FILE *, const char *file, unsigned line, const char *msg);
void vc_gha_warning(FILE *, const char *msg);
/* Any annotation: kind is "error", "warning" or "notice"; title may be NULL.
 */
void vc_gha_annotate(FILE *, const char *kind, const char *file, unsigned line,
    const char *title, const char *msg);

/*
 * What the command line does under Actions. vc_gha_mask_config masks
 * every credential of the mirror settings (vc_mirror_secrets), to be
 * called before anything else is printed. vc_gha_report_error writes an
 * error as "::error file=F,line=N::venvcache: <command>: <message>" (no
 * command when NULL); a relative file is made absolute from the current
 * directory, which the runner then makes relative to the workspace.
 */
void vc_gha_mask_config(FILE *, const struct vc_config *);
void vc_gha_report_error(FILE *, const char *command, const struct vc_error *);

/*
 * Appends Markdown to the summary file `path`, under an flock so that
 * parallel venvcache processes of one step keep within `limit` bytes
 * together: when the file would grow past `limit`, the text is cut at a
 * line boundary and a note says so. Returns 0, 1 when the text was cut
 * (or left out entirely), -1 on error.
 */
int vc_gha_summary_append(const char *path, const char *markdown, size_t limit,
    struct vc_error *);
/* The same to $GITHUB_STEP_SUMMARY with VC_GHA_SUMMARY_MAX. */
int vc_gha_summary(const char *markdown, struct vc_error *);

/* What warm did with an environment, for the summary table. */
enum vc_gha_outcome {
	VC_GHA_READY,   /* already present and valid */
	VC_GHA_HIT,     /* restored from the store */
	VC_GHA_PARTIAL, /* restored the nearest entry, then pip */
	VC_GHA_CREATED, /* a miss: created with venv + pip */
	VC_GHA_FAILED,
	VC_GHA_SKIPPED, /* tox's skip_missing_interpreters: no interpreter */
};

struct vc_gha_row {
	const char *env;
	enum vc_gha_outcome outcome;
	double seconds;       /* what making it ready took */
	uint64_t size;        /* unpacked bytes of the venv */
	double seconds_saved; /* creation seconds minus seconds; 0 if none */
};

/*
 * The step-summary table of a warm, as Markdown: a heading, one row per
 * env (env, result, seconds, size, seconds saved) and a total row.
 * Cell text is escaped for Markdown tables. Caller frees.
 */
char *vc_gha_summary_table(const struct vc_gha_row *, size_t n);

/*
 * actions/cache's cache version (toolkit cache/src/internal/cacheUtils.ts,
 * getCacheVersion): hex sha256 of the components joined by '|': the
 * `path:` strings, the compression method when not NULL ("gzip", "zstd",
 * "zstd-without-long"), "windows-only" when `windows_only`, then the salt
 * "1.0". 64 hex digits + NUL in `out`.
 */
void vc_gha_cache_version_ex(const char *const *paths, size_t n,
    const char *compression, int windows_only, char out[65]);
/*
 * The version actions/cache uses on Linux and macOS today: compression
 * "zstd-without-long" (getCompressionMethod returns it whenever zstd is
 * installed), not windows-only.
 */
void vc_gha_cache_version(const char *const *paths, size_t n, char out[65]);

/*
 * Splits a multi-line `path:` input as actions/cache does
 * (utils/actionUtils.ts getInputAsArray): lines trimmed, "! x" made "!x",
 * empty lines dropped. Appends to `out`.
 */
void vc_gha_split_input(const char *input, struct vc_strv *out);

/*
 * The key and restore keys that actions/cache saves and restores one
 * cache-dir under, for the selected environments:
 * - one env: its key, and its restore key (the key up to its hash: the
 *   same interpreter and platform, never another's);
 * - several: "<prefix>-envs<N>-<16 hex>-<32 hex>", where the 16 hex hash
 *   the sorted env names (names[i], may be NULL) each with its key without
 *   the hash part (interpreter and platform: what stays when requirements
 *   change; the key has no env name) and the 32 hex hash
 *   the sorted full keys; the one restore key is the key up to the 32 hex,
 *   so a job restores the last store of the same set of environments and
 *   gets partial hits for those that did not change.
 * Restore keys are cut to VC_GHA_MAX_KEYS - 1, keeping the most specific.
 * Every key is checked with vc_key_valid (<= 512 characters, no comma).
 */
struct vc_gha_keys {
	char *key;
	struct vc_strv restore_keys;
};

void vc_gha_keys_init(struct vc_gha_keys *);
void vc_gha_keys_release(struct vc_gha_keys *);
int vc_gha_keys_build(struct vc_gha_keys *, const char *key_prefix,
    const char *const *names, const char *const *keys,
    const struct vc_strv *const *restore_keys, size_t n, struct vc_error *);

/*
 * What `key --github-output` appends to $GITHUB_OUTPUT, in one write: key
 * (vc_gha_keys_build) and restore-keys (first "<key>-", which finds the
 * stores saved under vc_gha_save_key's keys, then vc_gha_keys_build's),
 * path (each env's venv, one a line), cache-dir (made absolute from the
 * current directory), cache-path (vc_gha_cache_path of it: the `path:`
 * for actions/cache) and cache-version (vc_gha_cache_version of
 * cache-path). names[i], keys[i], restore_keys[i] and paths[i] belong to
 * env i; the keys are offline keys (plan.h), which have no env name, so
 * several envs' key hashes the names in. Nothing is written when a key is
 * invalid.
 */
int vc_gha_key_outputs(const char *key_prefix, const char *cache_dir,
    const char *const *names, const char *const *keys,
    const struct vc_strv *const *restore_keys, const char *const *paths,
    size_t n, struct vc_error *);

/*
 * The `path:` string given to actions/cache for the store `dir` (an
 * absolute path), the same on every runner whatever its HOME or workspace
 * (actions/cache hashes the string as given, and its glob resolves a
 * relative path from the workspace and a leading "~/" from HOME): relative
 * to $GITHUB_WORKSPACE when inside it, else "~/..." when inside $HOME, else
 * `dir`; escaped as a pattern of @actions/glob, which actions/cache reads
 * it as, so that it matches that directory only: '*', '?' and '[' as
 * "[*]", "[?]" and "[[]", '\' as "\\", a leading '!', '#' or '~'
 * segment as "\!", "\#", "\~", and spaces at either end (trimmed from
 * each line) as "[ ]". NULL when `dir` holds a newline (one path a line).
 * Caller frees.
 */
char *vc_gha_cache_path(const char *dir);

/*
 * The key a store is saved under: "<key>-<32 hex>", the hex the first half
 * of the sha256 of the sorted, distinct entry keys (each ended by '\n').
 * `key` is vc_gha_keys_build's key of the offline keys; the same declared
 * inputs resolved to other entries save another store, and a job whose
 * restored store has this very key has nothing to save. *out is the
 * caller's.
 */
int vc_gha_save_key(const char *key, const char *const *entry_keys, size_t n,
    char **out, struct vc_error *);

/*
 * What `warm --github-output` (and restore's) appends to $GITHUB_OUTPUT:
 * hits (envs restored from the store or already present), created (made
 * with pip), envs (selected), and save-key (vc_gha_save_key of the
 * combined offline key, vc_gha_keys_build of names[i] and offline_keys[i]
 * as `key --github-output` builds it, and the entry keys; empty unless
 * `complete`, when every env is ready).
 */
int vc_gha_warm_outputs(const char *key_prefix, const char *const *names,
    const char *const *offline_keys, const char *const *entry_keys, size_t n,
    size_t hits, size_t created, int complete, struct vc_error *);

#endif
