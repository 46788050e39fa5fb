/*
 * project.h: what the project under test brings into its env.
 *
 * A project installed into an env (install-project, or "-e ." in its
 * requirements) needs its dependencies and its build backend there: they
 * join the env's requirement set (keyed, resolved, installed at creation,
 * packed), and after a restore only the project itself is installed,
 * without index or build isolation.
 *
 * Where they come from:
 * - [build-system] requires of pyproject.toml; without a [build-system]
 *   table (or without pyproject.toml), what pip assumes:
 *   setuptools>=40.8.0 and wheel.
 * - [project] dependencies, and the optional-dependencies of the extras
 *   selected ("-e .[a,b]"), read as data.
 * - When those are dynamic (no [project] table: setup.py or setup.cfg;
 *   or "dependencies" / "optional-dependencies" in [project] dynamic):
 *   the build backend's metadata, asked once through pip (its
 *   `install --dry-run --no-deps --report`), and cached in
 *   <cache-dir>/project/ keyed by the interpreter and the content of
 *   pyproject.toml, setup.py and setup.cfg (a setup.py that reads other
 *   files is not seen to change with them: `key --refresh` asks again).
 *   The cache holds data only (the Requires-Dist lines), read as JSON and
 *   checked as requirement lines; nothing from it runs.
 *
 * A directory with neither pyproject.toml nor setup.py brings nothing (pip
 * refuses to install it when warm tries).
 *
 * Caller-allocated: vc_project_reqs_init()/vc_project_reqs_release().
 */
#ifndef VENVCACHE_PROJECT_H
#define VENVCACHE_PROJECT_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/interp.h"
#include "venvcache/util.h"

/* One group of requirement lines from one place. */
struct vc_project_group {
	char *origin; /* "/p/pyproject.toml [project] dependencies" */
	struct vc_strv lines;
};

struct vc_project_reqs {
	char *dir;             /* the project's directory */
	struct vc_strv extras; /* selected, PEP 503 normalised */
	struct vc_project_group *groups;
	size_t n;
	int dynamic_cached; /* the dynamic answer came from the cache */
};

void vc_project_reqs_init(struct vc_project_reqs *);
void vc_project_reqs_release(struct vc_project_reqs *);

/*
 * Reads the requirements of the project `spec` ("/path" or
 * "/path[extra,...]", as the plan gives it). With `refresh`, a dynamic
 * answer is asked again whatever the cache holds.
 */
int vc_project_requirements(const struct vc_config *, const struct vc_interp *,
    const char *spec, int refresh, struct vc_project_reqs *, struct vc_error *);

/*
 * One line of pip's Requires-Dist as a requirement line for the selected
 * `extras`: the line without its `extra == "x"` clause when x is selected,
 * NULL (*skip = 1) when it belongs to another extra, the line as is when it
 * names no extra. -1 when its marker uses `extra` in a way this does not
 * read (or, not, !=). Caller frees *out.
 */
int vc_project_select_line(const char *requires_dist,
    const struct vc_strv *extras, char **out, struct vc_error *);

#endif
