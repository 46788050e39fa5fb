/*
 * tox.h: the environments of a tox.ini as venvcache environments.
 *
 * A tox.ini is read as tox 3 (3.28) reads it, for what decides what pip
 * installs into an environment:
 *
 *   - the environments: envlist after brace expansion (lines and commas,
 *     several {a,b} groups per name; tox 3 does not nest braces), then the
 *     [testenv:NAME] sections that envlist does not name (tox -e NAME and
 *     tox -a see them, tox -l does not); generative section names
 *     ([testenv:py{37,38}-x]); "python" when there is neither;
 *   - for each, from [testenv:NAME] else [testenv]: deps, basepython,
 *     extras, usedevelop, skip_install, pip_pre, with factor conditions
 *     (py37-django: x, {py37,py38}-x: y, !py27: z, a,b: w) and
 *     substitutions ({[section]key}, {env:VAR:default}, {toxinidir},
 *     {envname}, {envdir}, {posargs}, ...), and deps normalised as tox
 *     does ("-r file" -> "-rfile", "--index-url x" -> "--index-url=x",
 *     comments cut);
 *   - [tox] skipsdist, ignore_basepython_conflict, indexserver, toxworkdir.
 *
 * What tox reads but venvcache does not need (commands, setenv but for
 * {env:VAR}, passenv, install_command, ...) is not evaluated. Any error
 * (a substitution that does not resolve, an unset {env:VAR} without a
 * default, a name venvcache cannot use) fails the whole file with
 * "tox.ini:LINE: ...": tox 3 fails the whole file too, except for an unset
 * variable, which it reports when the environment runs.
 *
 * As tox 4 (the default), the same file is read as tox 4.67 reads it
 * (tox-v4.c), and so are a pyproject.toml's [tool.tox] and a tox.toml in
 * tox 4's native TOML form (tox-toml.c): the text is named by the file
 * name given (tox.ini, setup.cfg, pyproject.toml, tox.toml).
 *
 * Ownership: a struct vc_tox owns everything in it; vc_tox_release()
 * frees it all.
 */
#ifndef VENVCACHE_TOX_H
#define VENVCACHE_TOX_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/util.h"

/* One environment, as tox reports it. */
struct vc_tox_env {
	char *name;
	unsigned line;  /* its [testenv:NAME] header, else its envlist line */
	int in_envlist; /* envlist names it (tox -l lists it) */
	/* basepython: explicit (possibly by factor condition), else implied
	 * by a pyXY/pyX.Y/pypyXY factor (python3.7, pypy3.9), else NULL (the
	 * python setting decides). */
	char *basepython;
	unsigned basepython_line; /* where it is set; 0: not known */
	struct vc_strv deps;  /* tox's deps, in order, normalised as tox does */
	unsigned *deps_lines; /* the tox.ini line of each */
	struct vc_strv extras;
	int usedevelop;
	int skip_install;
	int pip_pre;
	/* tox installs the project (not skip_install, and usedevelop or not
	 * [tox] skipsdist; tox 4: package is not skip) */
	int install_project;
	/* tox 4: how the project is installed ("skip", "sdist", "wheel",
	 * "editable", ...), as tox 4 maps usedevelop, skip_install and
	 * [tox] no_package to it; NULL for tox 3 */
	char *package;
	/* tox 4: the requirements of dependency_groups (PEP 735 groups of
	 * pyproject.toml, include-group followed, markers kept), sorted */
	struct vc_strv groups;
	unsigned groups_line; /* the dependency_groups line */
	/* tox 4: skip_missing_interpreters: a missing interpreter is a
	 * skip to report, not an error */
	int skip_missing;
	/* tox 4: its labels (its own, and those of [tox] labels that name
	 * it), sorted and unique: -m LABEL selects it */
	struct vc_strv labels;
};

struct vc_tox {
	char *file; /* the name used in messages */
	char *dir;  /* {toxinidir}: the absolute directory of the file */
	struct vc_tox_env *envs;
	size_t n;
	size_t cap;
	int skipsdist; /* [tox] skipsdist, as tox 3 defaults it */
	int version;   /* 3 or 4: as which tox it was read */
	/* "file:LINE: ..." for each setting that changes what tox installs
	 * and that venvcache does not read (once each) */
	struct vc_strv warnings;
};

void vc_tox_init(struct vc_tox *);
void vc_tox_release(struct vc_tox *);

/*
 * Reads tox.ini text as tox `version` (3 or 4) reads it. `name` is its
 * path (for messages; its directory is {toxinidir}, relative to the
 * current directory; tox 4 reads dependency groups from the
 * pyproject.toml there). Environment variables are read for {env:VAR}
 * and {homedir}.
 */
int vc_tox_read(struct vc_tox *, int version, const char *name,
    const char *text, struct vc_error *);

/*
 * The requirement line of the project under test as tox would install it
 * ("-e ." with usedevelop, else "."; "[extras]" appended), or NULL when
 * tox would not install it. Caller frees.
 */
char *vc_tox_project_dep(const struct vc_tox_env *);

/*
 * Adds one environment per tox environment to `cfg`: python = basepython,
 * deps = tox's deps, then "--pre" when pip_pre, then the project line (so
 * that the requirement reader takes it for the project under test: out of
 * the key, installed after create or restore), relative paths from the
 * tox.ini's directory, errors naming tox.ini:LINE. An [env NAME] already
 * in `cfg` (from the config file) wins over the tox environment NAME.
 */
int vc_tox_add_envs(struct vc_config *, const struct vc_tox *,
    struct vc_error *);

/*
 * vc_tox_read() of the file at `path` (a directory: its tox file, found
 * as tox 4 finds it: tox.ini, setup.cfg with [tox:tox], pyproject.toml
 * with [tool.tox], tox.toml), as the tox-version setting of `cfg` says,
 * then vc_tox_add_envs(); its warnings go to vc_warn().
 */
int vc_tox_load(struct vc_config *, const char *path, struct vc_error *);

/*
 * The environment `name` that tox 3 makes when `tox -e name` asks for it
 * though it has no section and is not in the envlist (each of its
 * factors is in a condition of [testenv], in the envlist, "py", "python"
 * or a Python factor such as py312): read from the file at `path` and
 * added to `cfg` as vc_tox_add_envs() adds one. 1 when added, 0 when tox
 * 3 would not make it either (nothing added), -1 on an error.
 */
int vc_tox_load_env(struct vc_config *, const char *path, const char *name,
    struct vc_error *);

#ifdef VC_TOX_COUNT_SCANNED
/*
 * Bytes the brace and substitution scanners have looked at since the
 * process started; for tests, which check that this grows linearly with
 * hostile input. Only in the test build: check_tox compiles the tox
 * sources again with VC_TOX_COUNT_SCANNED defined.
 */
unsigned long long vc_tox_scanned(void);
#endif

#endif
