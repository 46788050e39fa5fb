/*
 * tox-int.h: what the files of the tox reader share (not installed; the
 * interface is include/venvcache/tox.h).
 *
 *   tox-ini.c     the file as py.iniconfig reads it (inih, line by line),
 *                 and the text-with-lines values (struct tval)
 *   tox-expand.c  brace expansion (generative section names, envlist,
 *                 condition expressions) and factor conditions
 *   tox-subst.c   SectionReader: values with substitutions, setenv,
 *                 the attributes substitutions can name
 *   tox.c         the environments (basepython, deps, envlist, [tox]) and
 *                 the interface
 */
#ifndef VENVCACHE_TOX_INT_H
#define VENVCACHE_TOX_INT_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "venvcache/tox.h"

/* Bounds that tox does not have (it would loop or exhaust memory). */
#define MAX_VALUE (1u << 20) /* bytes of a value after substitution */
#define MAX_WORK 10000       /* substitutions for one environment */
#define MAX_PASSES 100       /* re.sub() passes over one value */
#define MAX_DEPTH 64         /* nested [section]key and setenv lookups */
#define MAX_EXPAND 20000     /* names from one brace expansion */
#define MAX_ENVS 20000       /* environments */
#define MAX_FILE (64u << 20) /* a tox.ini */
/* Bounds on the work for one file, far above what a real one needs (the
 * 838 environments of sentry-python's 2026 tox.ini: 20,000 deps, 17,000
 * alternatives, 0.16 M checks, 120 bytes substituted). */
#define MAX_ALTS 1000000       /* compiled condition alternatives */
#define MAX_CHECKS 100000000   /* alternatives checked */
#define MAX_SUBST (256u << 20) /* bytes substituted */
#define MAX_DEPS 1000000       /* deps of all environments */
#define MAX_OUT (64u << 20)    /* bytes of every environment's values */
#define TOO_MUCH_WORK                                                   \
	"this tox.ini needs too much work to read (environments times " \
	"conditions or substitutions)"
#define INDEX_LINES 64 /* a value of this many lines gets an index */

/* --- text with the tox.ini line of each of its lines ----------------- */

struct tval {
	struct vc_buf b;
	unsigned *lines; /* one per '\n'-separated line of b */
	size_t n;
	size_t cap;
};

/* --- the parsed file ------------------------------------------------- */

/* A factor condition's alternative: every `inc` and no `exc` factor. */
struct alt {
	size_t inc, ninc; /* in pool.ids */
	size_t exc, nexc;
};

/* One line of a value, compiled for factor conditions. */
struct cline {
	size_t off, len;  /* kept text: the line, or what follows "cond: " */
	size_t alt, nalt; /* alternatives in pool.alts */
	int cond;         /* the line starts with a condition */
	unsigned line;
};

/*
 * Which lines of a long value an environment's factors can select: the
 * lines without a condition (or with an alternative of negations only),
 * and, for each factor, the lines with an alternative whose least common
 * required factor it is (CSR: lines[start[id] .. start[id + 1])).
 */
struct findex {
	size_t *always, nalways;
	size_t *start, *lines;
	size_t nids;
};

struct pool {
	unsigned *ids;
	size_t nids, capids;
	struct alt *alts;
	size_t nalts, capalts;
};

struct ini_key {
	char *name;
	struct tval value; /* as py.iniconfig has it: lines joined by '\n' */
	unsigned line;
	struct cline *cl; /* compiled lines (lazily), ncl of them */
	size_t ncl;
	int compiled;
	struct findex *index; /* for many lines, or NULL */
};

struct ini_body {
	struct ini_key *keys;
	size_t n, cap;
};

struct ini_sec {
	char *name;
	unsigned line;      /* its header (a generated name: the original's) */
	unsigned sort_line; /* as tox orders sections: generated names first */
	size_t body;        /* generated names share their original's keys */
	int removed;        /* an original with generated names */
};

/* Factor names, interned. */
struct ftab {
	char **names;
	size_t n, cap;
	size_t *slot; /* open addressing: id + 1, 0 when empty */
	size_t nslot;
};

enum {
	/* the [tox] substitutions, in the order tox defines them */
	G_TOXINIDIR,
	G_HOMEDIR,
	G_TOXWORKDIR,
	G_DISTDIR,
	G_DISTSHARE,
	G_TEMP_DIR,
	G__COUNT
};

/* their names, as substitutions name them ({toxworkdir}) */
extern const char *const tox_global_names[G__COUNT];

struct tox {
	struct vc_tox *out;
	const char *name;
	const char *want; /* -e NAME, made on demand if tox 3 would */
	struct vc_error *err;
	int failed;
	struct ini_sec *secs;
	size_t nsecs, capsecs;
	struct ini_body *bodies;
	size_t nbodies, capbodies;
	struct ftab ft;       /* factor names */
	struct ftab secnames; /* section names: secmap[id] = index + 1 */
	size_t *secmap;
	size_t capsecmap;
	struct ftab envnames; /* environment names: envmap[id] = index + 1 */
	size_t *envmap;
	size_t capenvmap;
	/* work done, bounded (see the MAX_ constants) */
	size_t nalts, checks, subst_bytes, ndeps, out_bytes;
	struct pool pool;
	char *global[G__COUNT]; /* NULL: not (yet) defined */
	int ignore_conflict;
	struct vc_strv indexservers;
	/* tox 4 */
	int v4;
	int no_package;   /* [tox] no_package (skipsdist) */
	int skip_missing; /* [tox] skip_missing_interpreters */
	/* the file is a setup.cfg: its [tox:tox] is the [tox] section, and
	 * a [tox] of its own is not read (tox's SetupCfg) */
	int setup_cfg;
	/* tox 4's [tox] labels: label_of[i] names label_env[i] */
	struct vc_strv label_of, label_env;
	struct vc_strv warned; /* "key:LINE" of each warning given */
	/* reading */
	const char *text, *next, *line;
	size_t linelen;
	unsigned lineno;
	int kind;            /* of the line inih has */
	struct ini_sec *cur; /* current section, or NULL */
	struct ini_key *key; /* key a continuation continues, or NULL */
	unsigned fail_line;
};

enum { L_SKIP, L_CONT, L_SECTION, L_KEY };

/* --- the environments' attributes ------------------------------------- */

/* Attributes of an environment, in the order tox evaluates them. */
enum {
	A_ENVDIR,
	A_SETENV,
	A_BASEPYTHON,
	A_DESCRIPTION,
	A_ENVTMPDIR,
	A_ENVLOGDIR,
	A_DOWNLOADCACHE,
	A_CHANGEDIR,
	A_SKIP_INSTALL,
	A_PLATFORM,
	A_PIP_PRE,
	A_USEDEVELOP,
	A_DEPS,
	A_EXTRAS,
	A__COUNT
};

struct envctx {
	const char *name;
	char *attr[A__COUNT];
	int have[A__COUNT];
	int setenv_built;
	struct vc_strv def_names, def_values;
	unsigned *def_lines;
	struct vc_strv res_names, res_values;
	struct vc_strv lookup;
};

/* SectionReader: a section, [testenv] behind it for environments. */
struct rd {
	struct tox *t;
	const char *section;
	int fallback;
	const unsigned *f;
	size_t nf;
	struct envctx *env; /* NULL for [tox] */
	int stage;          /* attribute (or [tox] value) being read */
	const char *what;   /* its name, for messages */
	const char **stk;   /* (section, key) pairs being substituted */
	size_t nstk, capstk;
	size_t work;
	unsigned depth;
};

/*
 * Bytes the brace and substitution scanners have looked at
 * (vc_tox_scanned), counted only in the test build (VC_TOX_COUNT_SCANNED),
 * whose tests check that hostile input costs time linear in its size.
 */
#ifdef VC_TOX_COUNT_SCANNED
extern unsigned long long tox_scanned;
#define TOX_SCAN() ((void)tox_scanned++)
#else
#define TOX_SCAN() ((void)0)
#endif

/* tox-ini.c: values */
void tval_init(struct tval *, unsigned line);
void tval_release(struct tval *);
void tval_reset(struct tval *, unsigned line);
void tval_newline(struct tval *, unsigned line);
/* Appends text whose line breaks all belong to `line`. */
void tval_add_plain(struct tval *, const char *s, size_t n, unsigned line);
/* Appends `r` with its own lines; the line being built takes r's first
 * line when it had nothing but white space before. */
void tval_splice(struct tval *, const struct tval *r);
void tval_swap(struct tval *, struct tval *);
void tval_copy(struct tval *dst, const struct tval *src);

/* tox-ini.c: the file */
/* tox 4's comments in a value (IniLoader.process_raw): a line that starts
 * with '#' goes; a '#' not after '\\' cuts the line, with the white space
 * before it; then "\\#" is '#'. */
void tox_strip_comments4(struct tval *);
/* Sets the error "file:LINE: ..." (the first one only); -1. */
int tox_fail(struct tox *, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Python's str.isspace() for ASCII. */
int tox_py_space(int c);
/* s[0..n) without leading and trailing white space. Caller frees. */
char *tox_strip_n(const char *s, size_t n);
ssize_t tox_ftab_find(const struct ftab *, const char *s, size_t n);
void tox_ftab_release(struct ftab *);
unsigned tox_intern(struct ftab *, const char *s, size_t n);
struct ini_sec *tox_find_section(const struct tox *, const char *name);
struct ini_key *tox_find_key(const struct tox *, const struct ini_sec *,
    const char *name);
struct ini_sec *tox_add_section(struct tox *, const char *name, unsigned line,
    size_t body);
int tox_parse_ini(struct tox *, const char *text);

/* tox-expand.c */
int tox_word_char(int c);
int tox_expand_section_names(struct tox *);
int tox_expand_envstr(const char *s, size_t n, struct vc_strv *out,
    size_t **starts, size_t *nstarts);
void tox_name_factors(struct ftab *, const char *name, unsigned **f,
    size_t *nf);
int tox_compile_lines(struct tox *, struct pool *, const struct tval *,
    struct cline **out, size_t *nout);
void tox_apply_compiled(const struct pool *, const struct cline *cl, size_t ncl,
    const struct findex *ix, const char *s, const unsigned *f, size_t nf,
    struct tval *out, unsigned line, size_t *checks);
struct findex *tox_build_index(const struct pool *, const struct cline *cl,
    size_t ncl, size_t nids);
void tox_findex_free(struct findex *);
int tox_apply_factors(struct tox *, struct tval *, const unsigned *f,
    size_t nf);

/* tox-subst.c */
int tox_rfail(struct rd *, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tox_build_setenv(struct rd *, unsigned line);
ssize_t tox_strv_find_last(const struct vc_strv *, const char *s);
int tox_getstring(struct rd *, const char *name, const char *def,
    int do_replace_, struct tval *out, int *found, unsigned line);
int tox_getbool(struct rd *, const char *name, int def, int *out,
    unsigned line);
int tox_getlist(struct rd *, const char *name, struct vc_strv *out,
    unsigned **lines, unsigned line);
/* tox 4's bool: true/1/yes/on, false/0/no/off/"" (any case); -1 if none. */
int tox_bool4(const char *s);

/* tox-v4.c: what tox 4 reads differently */
/* basepython as tox 4 decides it; *out NULL: the python setting. */
int tox_basepython4(struct rd *, struct vc_tox_env *, unsigned line);
/* The same from values read elsewhere (tox.toml): `vals` (NULL when
 * unset) with the line of each; every one is checked against the name's
 * factor, as tox 4 checks a list; the first is taken. */
int tox_basepython4_of(struct rd *, struct vc_tox_env *,
    const struct vc_strv *vals, const unsigned *lines, unsigned line);
/* package, usedevelop, skip_install -> e->package, install_project. */
int tox_package4(struct rd *, struct vc_tox_env *);
/* The same with the package value read elsewhere (NULL: unset). */
int tox_package4_of(struct rd *, struct vc_tox_env *, const char *val,
    unsigned line);
/* dependency_groups -> e->groups, from pyproject.toml. */
int tox_groups4(struct rd *, struct vc_tox_env *);
/* The same with the group names read elsewhere. */
int tox_groups4_of(struct rd *, struct vc_tox_env *,
    const struct vc_strv *names, unsigned line);

/* tox-toml.c: tox 4's native TOML configuration (tox.toml, or
 * pyproject.toml [tool.tox] without legacy_tox_ini): `doc` is the whole
 * document, `lines` its vc_toml_parse_lines() map, `prefix` "" or
 * "tool.tox". */
int tox_read_toml(struct tox *, json_t *doc, json_t *lines, const char *prefix);
/* Warnings for settings that change installs and are not read. */
int tox_unread4(struct rd *, struct vc_tox_env *);
/* The environments tox 4 makes from factor conditions. */
int tox_factor_envs4(struct tox *, unsigned line);
/* Adds an environment (tox.c). */
struct vc_tox_env *tox_add_env(struct tox *, const char *name, unsigned line,
    int in_envlist);
/* A Python spec (py312, py3.12, 3.12, pypy3.10) as a command
 * (python3.12, pypy3.10), or NULL when it is none. Caller frees. */
char *tox_spec_command(const char *spec);

/* toxinidir.join(path, abs=True): normalised, relative to toxinidir.
 * Caller frees. */
char *tox_path(const struct tox *, const char *p);

#endif
