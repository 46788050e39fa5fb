/* cmd-warm.c: venvcache warm: make each selected env ready. */
#include <stdint.h>
#include <stdlib.h>

#include "envs.h"
#include "venvcache/log.h"

static int
warm_op(struct cmd_ctx *ctx, struct vc_plan *plan, struct env_result *r)
{
	return vc_warm(&ctx->cfg, plan, VC_WARM, &r->warm, &r->err);
}

/*
 * The shard of an env name, 0..n-1: FNV-1a (64 bits) of the name, modulo
 * n. Stable across versions and machines, so N jobs that each warm
 * --shard I/N of the same config warm every env exactly once.
 */
static unsigned long
shard_of(const char *name, unsigned long n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ULL;
	}
	return (unsigned long)(h % n);
}

/* "I/N" with 1 <= I <= N <= 10000. */
static int
parse_shard(const char *v, unsigned long *i, unsigned long *n)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	*i = strtoul(v, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	*n = strtoul(end + 1, &end, 10);
	if (*end != '\0' || *n < 1 || *n > 10000 || *i < 1 || *i > *n)
		return -1;
	return 0;
}

static int
cmd_warm_exec(struct cmd_ctx *ctx)
{
	struct cmd_target *t;
	struct vc_error err;
	unsigned long si, sn;
	size_t i, n, kept = 0;
	int jobs, rc;

	if (!cmd_has(ctx, "shard"))
		return envs_command(ctx, warm_op, 1);
	if (parse_shard(cmd_get(ctx, "shard"), &si, &sn) == -1)
		return cmd_usage_error(ctx,
		    "--shard takes I/N, 1 <= I <= N <= 10000 (e.g. 2/4)");
	if ((jobs = envs_jobs(ctx, "jobs")) == -1)
		return cmd_usage_error(ctx, "-j takes a number from 0 to 256");
	vc_error_clear(&err);
	if (cmd_select(ctx, &t, &n, &err) == -1) {
		cmd_error(ctx, &err);
		return cmd_status(&err);
	}
	for (i = 0; i < n; i++)
		if (shard_of(t[i].env->name, sn) == si - 1)
			t[kept++] = t[i];
	if (kept == 0) {
		vc_note("shard %lu/%lu: none of the %zu selected environments",
		    si, sn, n);
		rc = 0;
	} else {
		vc_note("shard %lu/%lu: %zu of the %zu selected environments",
		    si, sn, kept, n);
		rc = envs_run(ctx, t, kept, jobs, warm_op, 1);
	}
	free(t);
	return rc;
}

const struct cmd_entry cmd_warm_entry = {
    .name = "warm",
    .args = "",
    .summary = "make each selected env ready; print its venv path",
    .description =
        "Present and valid: nothing to do. In the store: restored from its "
        "archive into a temporary directory, relocated and renamed into "
        "place. Otherwise created with venv and pip through the mirror, "
        "packed into the store, and put in place. The project under test "
        "(install-project, or -e . in the requirements) is installed after, "
        "alone (pip install -e --no-deps --no-build-isolation --no-index "
        "--use-pep517, or with installer uv, uv pip install -e --no-deps "
        "--no-build-isolation --no-index): "
        "its dependencies and build requirements are in the env's set, "
        "installed at creation and cached, so a hit needs no index; the "
        "project itself is never cached. Any failure after the restore or "
        "creation (the project does not install, the venv cannot be put in "
        "place) fails the warm, caches nothing and leaves the venv not "
        "ready, for the next warm to repair. Concurrent warms of one env "
        "build it once. Each env's outcome is a line on stderr as it "
        "ends. With several envs and stderr a terminal (not quiet, not "
        "CI=true or GitHub Actions), a live line per running env shows its "
        "phase (starting, resolving, waiting, creating, installing, "
        "packing, restoring, downloading), time and bytes, redrawn in "
        "place; at the end a table gives each env's result (hit, created, "
        "partial, present, failed, skipped), time and unpacked size.",
    .flags = CMD_SELECT | CMD_MIRROR,
    .opts =
        {
            {"jobs", 'j', "N",
                "environments at a time (default: jobs "
                "setting, else the number of CPUs)"},
            {"github-output", 0, NULL,
                "append hits, created, envs and save-key to "
                "$GITHUB_OUTPUT"},
            {"shard", 0, "I/N",
                "only the selected envs whose name hashes to shard I of "
                "N (1-based), for N jobs that fill a remote store"},
        },
    .exec = cmd_warm_exec,
};
