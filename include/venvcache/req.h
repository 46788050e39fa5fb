/*
 * req.h: pip requirement files, read as pip reads them, and their
 * canonical form.
 *
 * Lines: comments ('#' at line start or after whitespace), blank lines,
 * '\' continuations, ${VAR} expansion ([A-Z0-9_] names, unset left as is),
 * -r/--requirement and -c/--constraint includes relative to the including
 * file (a cycle is an error naming the chain), PEP 508 requirements
 * (extras, specifiers, markers, "name @ url"), URL and path requirements,
 * -e/--editable, per-requirement options (--hash, --config-settings,
 * --global-option) and option lines. An invalid line fails with file:line.
 * Where pip reads an option but ignores it (options on a line that
 * includes a file, --pre on a requirement line, ...), venvcache ignores it
 * too and says so in `ignored`. docs/key.md specifies the canonical form.
 *
 * A set owns everything in it; vc_reqset_release() frees it all.
 */
#ifndef VENVCACHE_REQ_H
#define VENVCACHE_REQ_H

#include "venvcache/error.h"
#include "venvcache/util.h"

enum vc_req_kind {
	VC_REQ_NAMED,    /* name[extras] specifier ; marker */
	VC_REQ_URL,      /* name @ url, or a bare URL (#egg=name) */
	VC_REQ_PATH,     /* a local directory or archive */
	VC_REQ_EDITABLE, /* -e PATH|URL */
};

struct vc_req {
	enum vc_req_kind kind;
	char *name;            /* PEP 503 normalised; NULL if unknown */
	struct vc_strv extras; /* normalised, sorted, unique */
	char *specifier;       /* canonical clauses, sorted, ','-joined; "" */
	char *url;             /* URL or path as written (expanded); or NULL */
	int bare;              /* a URL written without "name @" */
	char *marker;          /* canonical marker, or NULL */
	struct vc_strv hashes; /* "sha256:<lower hex>", sorted, unique */
	/* Other per-requirement options, "--name=value": --config-settings
	 * sorted by key (values of one key in order), then --global-option
	 * and --install-option in order (pip passes them on in order). */
	struct vc_strv options;
	int constraint; /* read from a -c file */
	char *file;     /* where it was read */
	unsigned line;
	char *canonical; /* the line as the key hashes it (credentials
	                  * in URLs shown as ***; no "-c ") */
};

struct vc_reqset {
	struct vc_req *reqs;
	size_t n;
	size_t cap;
	/* Options that change what pip installs ("--pre", "--only-binary=x"
	 * ...), canonical, sorted and unique: part of the key. */
	struct vc_strv options;
	/* Index and mirror options as written ("--index-url URL", ...): given
	 * to pip, never part of the key. */
	struct vc_strv index_options;
	/* Every file read, in the order read (absolute paths). */
	struct vc_strv files;
	/* The project under test ("-e ." or "."), as "." or ".[extra,...]"
	 * (relative to the current directory, as pip reads it): left out of
	 * the key and installed after create or restore. NULL when absent. */
	char *project;
	/* Things the user should know ("file:line: local path 'x' is keyed
	 * by its path, not its contents"). */
	struct vc_strv notes;
	/* Options pip reads and then ignores where they were given, as
	 * "file:line: 'option' ignored: why" (credentials shown as ***). */
	struct vc_strv ignored;
	/* pip's format control as the lines read so far left it (canonical
	 * names or ":all:"), sorted; reflected in `options` as
	 * "--no-binary=a,b" and "--only-binary=c". */
	struct vc_strv no_binary;
	struct vc_strv only_binary;
};

void vc_reqset_init(struct vc_reqset *);
void vc_reqset_release(struct vc_reqset *);

/*
 * Reads a requirements (or, with `constraint`, constraints) file and the
 * files it includes. `path` is relative to the current directory.
 */
int vc_reqset_add_file(struct vc_reqset *, const char *path, int constraint,
    struct vc_error *);

/*
 * Reads requirement text (a file's content, or inline deps joined by '\n').
 * `name` is for messages; includes are relative to `basedir`. `lines`,
 * when not NULL, gives the line number of each '\n'-separated line of
 * `text` (inline deps spread over a config file) and must have one entry
 * for each; when NULL, lines count from 1.
 */
int vc_reqset_add_text(struct vc_reqset *, const char *text, const char *name,
    const unsigned *lines, const char *basedir, int constraint,
    struct vc_error *);

/*
 * The canonical lines the key hashes, sorted and unique: requirements,
 * then "-c <constraint>" lines, then options.
 */
void vc_reqset_canonical(const struct vc_reqset *, struct vc_strv *out);

/* 1 when every requirement is pinned: "==" an exact version, or a URL
 * with a hash; constraints do not count. */
int vc_reqset_pinned(const struct vc_reqset *);

/*
 * A requirements file for pip install: index options, options, then the
 * canonical requirement lines with their credentials. The constraints are
 * not in it (the caller writes vc_reqset_pip_constraints() to a file and
 * gives it with -c), nor is the project under test.
 */
char *vc_reqset_pip_text(const struct vc_reqset *);
/* The constraints as a constraints file for pip ("" when none). */
char *vc_reqset_pip_constraints(const struct vc_reqset *);

/* PEP 503: lower case, runs of [-_.] become '-'. Caller frees. */
char *vc_name_normalize(const char *);
/* PEP 440 normal form of a version, or NULL when it is not one. */
char *vc_version_normalize(const char *);

#endif
