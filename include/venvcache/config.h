/*
 * config.h: settings and environment definitions.
 *
 * One table (VC_SETTINGS) defines every setting: its section and name in
 * the INI file, its environment variable, its type, its default and its
 * help. The INI reader, the environment reader, the command line and
 * `venvcache config` all walk that table. Precedence, highest first:
 * command line, VENVCACHE_* environment, config file, default.
 *
 * Values are validated when they are set, so the typed getters cannot fail.
 * Every string returned by a getter is borrowed from the config.
 */
#ifndef VENVCACHE_CONFIG_H
#define VENVCACHE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "venvcache/error.h"
#include "venvcache/util.h"

enum vc_type {
	VC_T_STR,   /* free text */
	VC_T_NAME,  /* [A-Za-z0-9._-]+, usable in keys and file names */
	VC_T_PATH,  /* ~ expanded; relative to the config file's directory */
	VC_T_URL,   /* a URL; may hold credentials, never printed with them */
	VC_T_URLS,  /* whitespace-separated URLs or paths */
	VC_T_WORDS, /* whitespace-separated words */
	VC_T_INT,   /* integer within [min, max] */
	VC_T_BOOL,  /* yes/no, true/false, on/off, 1/0 */
	VC_T_ENUM,  /* one of the choices, "a|b|c" */
	VC_T_SIZE,  /* 10G, 512M, 1.5GiB, bytes */
	VC_T_TMPFS_SIZE, /* a size or a percentage of RAM, as tmpfs takes */
	VC_T_DURATION,   /* 3600, 30s, 15m, 1h, 7d */
};

/*
 * X(ID, section, name, env, type, default, choices-or-range, help)
 * A default of NULL means "computed" (see vc_config_init).
 */
#define VC_SETTINGS(X)                                                         \
	X(CACHE_DIR, "venvcache", "cache-dir", "VENVCACHE_CACHE_DIR",          \
	    VC_T_PATH, NULL, NULL,                                             \
	    "the store: archives, manifests, probe and resolution caches")     \
	X(VENV_ROOT, "venvcache", "venv-root", "VENVCACHE_VENV_ROOT",          \
	    VC_T_PATH, NULL, NULL,                                             \
	    "where venvs are made ready, on a RAM disk: yours alone; "         \
	    "default /dev/shm/venvcache-UID, or $XDG_RUNTIME_DIR/venvcache "   \
	    "where there is no /dev/shm")                                      \
	X(MOUNT, "venvcache", "mount", "VENVCACHE_MOUNT", VC_T_ENUM, "auto",   \
	    "auto|yes|no",                                                     \
	    "yes: mount a tmpfs on venv-root when it is not one; auto, no: "   \
	    "never mount (auto warns that it is not a RAM disk)")              \
	X(TMPFS_SIZE, "venvcache", "tmpfs-size", "VENVCACHE_TMPFS_SIZE",       \
	    VC_T_TMPFS_SIZE, "50%", NULL,                                      \
	    "size of a tmpfs that venvcache mounts")                           \
	X(COMPRESSION_LEVEL, "venvcache", "compression-level",                 \
	    "VENVCACHE_COMPRESSION_LEVEL", VC_T_INT, "3", "1..19",             \
	    "zstd level of new archives")                                      \
	X(MAX_SIZE, "venvcache", "max-size", "VENVCACHE_MAX_SIZE", VC_T_SIZE,  \
	    "10G", NULL, "gc target, also applied after each save")            \
	X(KEY_PREFIX, "venvcache", "key-prefix", "VENVCACHE_KEY_PREFIX",       \
	    VC_T_NAME, "venv", NULL, "first component of every key")           \
	X(PYTHON, "venvcache", "python", "VENVCACHE_PYTHON", VC_T_STR,         \
	    "python3", NULL, "interpreter of environments that name none")     \
	X(CREATOR, "venvcache", "creator", "VENVCACHE_CREATOR", VC_T_ENUM,     \
	    "venv", "venv|virtualenv|uv",                                      \
	    "what creates the empty venv on a miss (installer installs "       \
	    "into it)")                                                        \
	X(INSTALLER, "venvcache", "installer", "VENVCACHE_INSTALLER",          \
	    VC_T_ENUM, "auto", "auto|uv|pip",                                  \
	    "what resolves and installs on a miss: auto is uv when it is "     \
	    "found (the uv setting), pip otherwise")                           \
	X(UV, "venvcache", "uv", "VENVCACHE_UV", VC_T_STR, "uv", NULL,         \
	    "the uv program: a name looked up on PATH, or a path")             \
	X(SEED, "venvcache", "seed", "VENVCACHE_SEED", VC_T_BOOL, "yes", NULL, \
	    "pip (and what the creator seeds with it) in every venv; no "      \
	    "needs uv")                                                        \
	X(UV_CACHE_DIR, "venvcache", "uv-cache-dir", "VENVCACHE_UV_CACHE_DIR", \
	    VC_T_PATH, NULL, NULL,                                             \
	    "uv's cache (UV_CACHE_DIR): downloads and wheels, outside the "    \
	    "store")                                                           \
	X(BYTECODE_CACHE, "venvcache", "bytecode-cache",                       \
	    "VENVCACHE_BYTECODE_CACHE", VC_T_BOOL, "yes", NULL,                \
	    "with uv: venvcache compiles the venv's bytecode, reusing what "   \
	    "it compiled for the same source before; no: uv compiles it all "  \
	    "every time")                                                      \
	X(BYTECODE_CACHE_DIR, "venvcache", "bytecode-cache-dir",               \
	    "VENVCACHE_BYTECODE_CACHE_DIR", VC_T_PATH, NULL, NULL,             \
	    "the bytecode cache: compiled modules by interpreter and "         \
	    "source, outside the store")                                       \
	X(INSTALL_PROJECT, "venvcache", "install-project",                     \
	    "VENVCACHE_INSTALL_PROJECT", VC_T_STR, "no", NULL,                 \
	    "no, yes (the config's directory, else the current one) or a "     \
	    "path: installed alone "                                           \
	    "(pip install -e --no-deps --no-index) after create or restore; "  \
	    "its dependencies and build requirements are in the key and "      \
	    "the cache, the project never")                                    \
	X(PROJECT_CACHE, "venvcache", "project-cache",                         \
	    "VENVCACHE_PROJECT_CACHE", VC_T_BOOL, "yes", NULL,                 \
	    "keep what installing the project added to the venv in "           \
	    "<cache-dir>/project-install/ (local, never uploaded) and put it " \
	    "back while the store key, installer, venv and project paths, "    \
	    "extras and every file of the project's tree are the same")        \
	X(RESOLVE, "venvcache", "resolve", "VENVCACHE_RESOLVE", VC_T_ENUM,     \
	    "auto", "auto|always|never",                                       \
	    "key what pip would install: auto resolves a set with an "         \
	    "unpinned line, always also a pinned one's dependencies")          \
	X(RESOLVE_TTL, "venvcache", "resolve-ttl", "VENVCACHE_RESOLVE_TTL",    \
	    VC_T_DURATION, "1h", NULL, "how long a resolution is reused")      \
	X(RESOLVE_GRACE, "venvcache", "resolve-grace",                         \
	    "VENVCACHE_RESOLVE_GRACE", VC_T_DURATION, "7d", NULL,              \
	    "how old a resolution may be when the mirror is unreachable")      \
	X(SKIP_MISSING, "venvcache", "skip-missing-interpreters",              \
	    "VENVCACHE_SKIP_MISSING_INTERPRETERS", VC_T_BOOL, "no", NULL,      \
	    "an env whose interpreter is not there is skipped, not an "        \
	    "error (tox's skip_missing_interpreters); either way the others "  \
	    "go on")                                                           \
	X(PARTIAL, "venvcache", "partial", "VENVCACHE_PARTIAL", VC_T_BOOL,     \
	    "yes", NULL,                                                       \
	    "on a miss, start from the nearest entry of the same interpreter") \
	X(JOBS, "venvcache", "jobs", "VENVCACHE_JOBS", VC_T_INT, "0",          \
	    "0..256", "environments warmed in parallel (0: number of CPUs)")   \
	X(TOX, "venvcache", "tox", "VENVCACHE_TOX", VC_T_PATH, "", NULL,       \
	    "a tox file (tox.ini, setup.cfg, pyproject.toml, tox.toml), or a " \
	    "directory whose tox file is found as tox 4 finds it; its "        \
	    "environments are selectable like [env NAME] sections")            \
	X(TOX_VERSION, "venvcache", "tox-version", "VENVCACHE_TOX_VERSION",    \
	    VC_T_ENUM, "4", "4|3",                                             \
	    "read the tox file as tox 4 does, or as tox 3.28 did")             \
	X(REMOTE, "venvcache", "remote", "VENVCACHE_REMOTE", VC_T_URLS, "",    \
	    NULL,                                                              \
	    "remote stores shared by many machines, tried in order: "          \
	    "http(s)://host/path or s3://bucket/prefix")                       \
	X(REMOTE_LAYOUT, "venvcache", "remote-layout",                         \
	    "VENVCACHE_REMOTE_LAYOUT", VC_T_ENUM, "subdirs",                   \
	    "subdirs|flat|bazel",                                              \
	    "object paths: <hh>/<entry> (subdirs), <entry> (flat) or "         \
	    "ac/<sha256 of the subdirs path> (bazel-remote)")                  \
	X(REMOTE_READ_ONLY, "venvcache", "remote-read-only",                   \
	    "VENVCACHE_REMOTE_READ_ONLY", VC_T_BOOL, "no", NULL,               \
	    "download from remote stores, never upload (forks, untrusted "     \
	    "jobs)")                                                           \
	X(REMOTE_CONNECT_TIMEOUT, "venvcache", "remote-connect-timeout",       \
	    "VENVCACHE_REMOTE_CONNECT_TIMEOUT", VC_T_DURATION, "5s", NULL,     \
	    "how long connecting to a remote store may take")                  \
	X(REMOTE_TIMEOUT, "venvcache", "remote-timeout",                       \
	    "VENVCACHE_REMOTE_TIMEOUT", VC_T_DURATION, "15s", NULL,            \
	    "how long a remote request may take; an archive transfer, how "    \
	    "long it may stall (under 1 KiB/s)")                               \
	X(REMOTE_RETRIES, "venvcache", "remote-retries",                       \
	    "VENVCACHE_REMOTE_RETRIES", VC_T_INT, "2", "0..10",                \
	    "retries of a remote request after a 5xx, 408, 429, timeout or "   \
	    "reset, with backoff; then the remote is off for the run")         \
	X(REMOTE_S3_REGION, "venvcache", "remote-s3-region",                   \
	    "VENVCACHE_REMOTE_S3_REGION", VC_T_STR, "", NULL,                  \
	    "region of s3:// remotes (default: AWS_REGION, "                   \
	    "AWS_DEFAULT_REGION, us-east-1)")                                  \
	X(REMOTE_S3_ENDPOINT, "venvcache", "remote-s3-endpoint",               \
	    "VENVCACHE_REMOTE_S3_ENDPOINT", VC_T_URL, "", NULL,                \
	    "endpoint of s3:// remotes, path-style (default: "                 \
	    "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)")                \
	X(INDEX_URL, "mirror", "index-url", "VENVCACHE_INDEX_URL", VC_T_URL,   \
	    "", NULL, "pip's --index-url")                                     \
	X(EXTRA_INDEX_URL, "mirror", "extra-index-url",                        \
	    "VENVCACHE_EXTRA_INDEX_URL", VC_T_URLS, "", NULL,                  \
	    "pip's --extra-index-url (several allowed)")                       \
	X(TRUSTED_HOST, "mirror", "trusted-host", "VENVCACHE_TRUSTED_HOST",    \
	    VC_T_WORDS, "", NULL, "pip's --trusted-host (several allowed)")    \
	X(FIND_LINKS, "mirror", "find-links", "VENVCACHE_FIND_LINKS",          \
	    VC_T_URLS, "", NULL, "pip's --find-links (several allowed)")       \
	X(NO_INDEX, "mirror", "no-index", "VENVCACHE_NO_INDEX", VC_T_BOOL,     \
	    "no", NULL, "pip's --no-index")                                    \
	X(CERT, "mirror", "cert", "VENVCACHE_CERT", VC_T_PATH, "", NULL,       \
	    "pip's --cert: CA bundle for the mirror")

enum vc_setting_id {
#define VC_X_ENUM(id, ...) VC_S_##id,
	VC_SETTINGS(VC_X_ENUM)
#undef VC_X_ENUM
	    VC_S__COUNT
};

struct vc_setting {
	enum vc_setting_id id;
	const char *section;
	const char *name;
	const char *env;
	enum vc_type type;
	const char *def;
	const char *choices;
	const char *help;
};

/* The table, VC_S__COUNT rows, in VC_SETTINGS order. */
extern const struct vc_setting vc_settings[];
/* The row of `section`.`name`, or NULL. */
const struct vc_setting *vc_setting_find(const char *section, const char *name);

/* Where a value came from. */
enum vc_origin_kind {
	VC_ORIGIN_DEFAULT,
	VC_ORIGIN_FILE,
	VC_ORIGIN_ENV,
	VC_ORIGIN_CLI,
};

/* An environment: an [env NAME] section, or ad hoc from -r FILE. */
struct vc_envdef {
	char *name;
	char *python;                /* NULL: the python setting */
	char *basedir;               /* relative requirement paths start here */
	struct vc_strv requirements; /* -r files, relative to basedir */
	struct vc_strv constraints;  /* -c files, relative to basedir */
	struct vc_strv deps;         /* inline requirement lines */
	unsigned *deps_lines;        /* line of each deps entry in file */
	char *file;                  /* config file, or NULL when ad hoc */
	unsigned line;               /* line of the section header */
	/* Lines of the python, requirements and constraints keys, or 0. */
	unsigned python_line, requirements_line, constraints_line;
	/* Its install-project key (no, yes: basedir, or a path from
	 * basedir), or NULL: the setting's. */
	char *install_project;
	unsigned install_project_line;
	/* tox 4's skip_missing_interpreters: an interpreter that cannot be
	 * probed skips the environment with a note, not an error. */
	int skip_missing;
	struct vc_strv labels; /* tox 4's labels: -m LABEL selects */
};

struct vc_config {
	char *value[VC_S__COUNT];
	enum vc_origin_kind origin_kind[VC_S__COUNT];
	char *origin[VC_S__COUNT]; /* "file:line", "VAR", ... */
	char *file;                /* the config file read, or NULL */
	char *looked;              /* where the file was looked for, or NULL */
	struct vc_envdef *envs;
	size_t nenvs;
	size_t envs_cap;
};

/* Fills every setting with its default. */
void vc_config_init(struct vc_config *);
void vc_config_release(struct vc_config *);

/*
 * Finds the config file: `explicit` (must exist) if not NULL, else
 * $VENVCACHE_CONFIG if set and not empty (must exist), else venvcache.ini
 * in the current directory or the nearest parent (up to the repository
 * root, a directory holding .git, or /), else
 * $XDG_CONFIG_HOME/venvcache/config.ini. Returns a path the caller frees,
 * or NULL with err->code == VC_OK when there is none. Unless `looked` is
 * NULL, *looked is set to where it looked (for messages; the caller's, or
 * NULL when `explicit` or $VENVCACHE_CONFIG was given).
 */
char *vc_config_locate(const char *explicit, char **looked, struct vc_error *);

/*
 * `name` in the current directory or the nearest parent, stopping at the
 * repository root (a directory holding .git) or /: "name" when in the
 * current directory, else an absolute path; NULL when none. *looked is
 * set to the directories searched ("DIR up to ROOT"); both the caller's.
 */
char *vc_config_find_up(const char *name, char **looked);

/* Reads an INI file; unknown sections, keys and bad values fail with file:line.
 */
int vc_config_load_file(struct vc_config *, const char *path,
    struct vc_error *);
/* Same, from text in memory (for tests and fuzzing); `name` is for messages. */
int vc_config_load_string(struct vc_config *, const char *name,
    const char *text, struct vc_error *);
/* Reads every VENVCACHE_* variable of the table. */
int vc_config_load_env(struct vc_config *, struct vc_error *);

/*
 * Sets a value with its origin after validating it. For lists (URLS,
 * WORDS) a value from the same origin kind is appended, so a repeated
 * command-line flag accumulates; a higher origin replaces a lower one.
 */
int vc_config_set(struct vc_config *, enum vc_setting_id, const char *value,
    enum vc_origin_kind, const char *origin, struct vc_error *);

/* Checks `value` against the setting's type. */
int vc_setting_validate(const struct vc_setting *, const char *value,
    struct vc_error *);

const char *vc_config_str(const struct vc_config *, enum vc_setting_id);
long long vc_config_int(const struct vc_config *, enum vc_setting_id);
int vc_config_bool(const struct vc_config *, enum vc_setting_id);
uint64_t vc_config_size(const struct vc_config *, enum vc_setting_id);
uint64_t vc_config_duration(const struct vc_config *, enum vc_setting_id);
/* Index of the value within the setting's choices. */
int vc_config_enum(const struct vc_config *, enum vc_setting_id);
/* Splits a list setting into `out` (appends). */
void vc_config_list(const struct vc_config *, enum vc_setting_id,
    struct vc_strv *out);

/* The value as `config` prints it: credentials in URLs shown as ***. */
char *vc_config_display(const struct vc_config *, enum vc_setting_id);

/*
 * The name of an ad-hoc (-r FILE) environment: the project root's name
 * (the nearest directory holding .git, else the current directory) and 8
 * hex digits of its path's XXH3, as "myproj-1a2b3c4d", so that two
 * projects' venvs never replace each other. The caller frees it.
 */
char *vc_config_adhoc_name(void);

/* The env named `name`, or NULL. */
struct vc_envdef *vc_config_env(const struct vc_config *, const char *name);
/* Adds an empty env (ad hoc); fails if the name exists or is invalid. */
struct vc_envdef *vc_config_add_env(struct vc_config *, const char *name,
    struct vc_error *);
/* Checks an env name: [A-Za-z0-9._+-]+, at most 100 characters. */
int vc_env_name_valid(const char *);

#endif
