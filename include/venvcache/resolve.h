/*
 * resolve.h: keying what pip would install, not what was declared.
 *
 * A set that is not fully pinned is resolved against the configured
 * mirror by the installer (installer.h): with uv, `uv pip compile` for the
 * env's interpreter; with pip, `pip install --dry-run --ignore-installed
 * --report` in a tool venv of the env's interpreter. The tool venv is the
 * user's own, made by venvcache under <venv-root>/.venvcache/tools/, never
 * in the store: the store can be written by others (actions/cache carries
 * it), and pip runs there with the mirror's credentials. Both give the
 * same record: the pins ("name==version" or "name @ url") with the sha256
 * digests the index gave, so a key never depends on which tool resolved.
 * Resolutions are cached in <cache-dir>/resolve/, keyed by the declared
 * canonical set, the interpreter and the mirror (without credentials),
 * and reused for resolve-ttl; when the resolver cannot reach the mirror,
 * one younger than resolve-grace is used with a warning.
 */
#ifndef VENVCACHE_RESOLVE_H
#define VENVCACHE_RESOLVE_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/interp.h"
#include "venvcache/req.h"
#include "venvcache/util.h"

#define VC_RESOLVE_FORMAT 2

/* A resolved distribution. */
struct vc_resolved {
	char *name; /* PEP 503 normalised */
	char *version;
	char *url; /* a direct requirement's URL; NULL for an index file */
	/* sha256 digests (64 lower hex digits), sorted: pip's report gives
	 * the file it chose, uv every file of the version. Not in the key. */
	struct vc_strv hashes;
	int direct; /* a URL or path requirement */
};

struct vc_resolution {
	struct vc_resolved *items; /* sorted by name */
	size_t n;
	double created; /* unix time it was made */
	int cached;     /* read from the cache */
	int stale;      /* older than the TTL (grace use) */
	/* "uv" or "pip": what resolved it (static text; NULL if unknown). */
	const char *resolver;
};

void vc_resolution_init(struct vc_resolution *);
void vc_resolution_release(struct vc_resolution *);

/*
 * Parses pip's installation report (JSON, version 1). `name` is for
 * messages.
 */
int vc_resolution_parse_report(struct vc_resolution *, const char *json,
    size_t len, const char *name, struct vc_error *);

/*
 * Parses pinned requirements as `uv pip compile --generate-hashes` writes
 * them and as the resolution cache keeps them: one "name==version" or
 * "name @ url" per (continued) line, each followed by any number of
 * --hash=sha256:<hex>; comments and blank lines. Anything else fails with
 * name:line.
 */
int vc_resolution_parse_pins(struct vc_resolution *, const char *text,
    size_t len, const char *name, struct vc_error *);

/* Whether `reqs` must be resolved under the resolve setting. */
int vc_resolve_needed(const struct vc_config *, const struct vc_reqset *);

#define VC_RESOLVE_REFRESH 0x1 /* ignore the cached resolution's age */

/* Resolves, using and filling the cache. */
int vc_resolve(const struct vc_config *, const struct vc_interp *,
    const struct vc_reqset *, int flags, struct vc_resolution *,
    struct vc_error *);

/*
 * The python of the tool venv of `in` (made on first use, with a pip of
 * 22.2 or newer): venvcache's own, trusted to run with the mirror's
 * credentials. Returns a path the caller frees, or NULL with `err` set.
 */
char *vc_resolve_tool_python(const struct vc_config *, const struct vc_interp *,
    struct vc_error *);

/* A project's [build-system], as project.c read it from pyproject.toml. */
struct vc_build_system {
	const struct vc_strv *requires; /* or pip's default without one */
	const struct vc_strv *backend_path;
	const char *backend; /* NULL: setuptools.build_meta:__legacy__ */
};

/*
 * The metadata of the project at `project_dir`, from its build backend
 * `bs`: with installer = uv, its hooks run in a build environment uv
 * makes; otherwise pip's `install --dry-run --no-deps --report` in the
 * tool venv. Fills `report` with a report's JSON text (pip's shape).
 */
int vc_resolve_project_metadata(const struct vc_config *,
    const struct vc_interp *, const char *project_dir,
    const struct vc_build_system *bs, struct vc_buf *report, struct vc_error *);

/*
 * The key's lines: "name==version" (or "name @ url"). No digest: pip's and
 * uv's differ for the same pins (one file, every file), and a key must not
 * depend on which tool resolved.
 */
void vc_resolution_key_lines(const struct vc_resolution *, struct vc_strv *out);
/*
 * A requirements file pinning the set, with every --hash known; also the
 * text vc_resolution_parse_pins() reads back.
 */
char *vc_resolution_requirements(const struct vc_resolution *, int with_hashes);

#endif
