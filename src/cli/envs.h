/*
 * envs.h: running one operation over every selected environment, up to
 * -j at a time, each in its own process, with one result line per env.
 */
#ifndef VENVCACHE_ENVS_H
#define VENVCACHE_ENVS_H

#include "cmd.h"
#include "venvcache/plan.h"
#include "venvcache/venv.h"

/* What one env's operation reports back. */
struct env_result {
	int status;  /* exit status for this env: 0, 1, 3 */
	int skipped; /* status 0: skip_missing_interpreters, err says why */
	struct vc_warm_result warm;
	char key[VC_KEY_MAX + 1];
	char offline[VC_KEY_MAX + 1]; /* the offline key (plan.h) */
	char path[4096];
	struct vc_error err;
};

/* The operation: fills `r`; returns 0 or -1 (with r->err set). */
typedef int (*env_op)(struct cmd_ctx *, struct vc_plan *, struct env_result *r);

/*
 * Plans and runs `op` for every target, `jobs` at a time (1: in this
 * process). Prints each env's outcome on stderr as it ends and, when
 * `print_paths`, each path on stdout in selection order. Counters are
 * added to the store's stats. Returns the overall exit status: 0, 1, 2,
 * or 3 when every failure was a miss.
 */
int envs_run(struct cmd_ctx *, struct cmd_target *, size_t n, int jobs,
    env_op op, int print_paths);

/* The -j value: the option, else the jobs setting, else the CPU count. */
int envs_jobs(struct cmd_ctx *, const char *opt);

/*
 * A whole command over the selection: -j (when the command has a "jobs"
 * option), select, run `op`, print paths if asked. Returns the exit status.
 */
int envs_command(struct cmd_ctx *, env_op op, int print_paths);

/*
 * Whether an env whose plan failed (vc_plan_init() returned -1 with
 * `err`) is skipped: its interpreter is not there and tox 4's
 * skip_missing_interpreters (its env's) or skip-missing-interpreters
 * says so. Prints the "NAME: skipped (...)" note when it is.
 */
int envs_skip_missing(const struct cmd_ctx *, const struct cmd_target *,
    const struct vc_plan *, const struct vc_error *err);

#endif
