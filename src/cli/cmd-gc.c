/* cmd-gc.c: venvcache gc: evict least recently used entries. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "venvcache/log.h"
#include "venvcache/projcache.h"
#include "venvcache/stats.h"
#include "venvcache/store.h"

/* DAYS (a number, fractions allowed) or a duration ("12h", "30m"). */
static int
parse_age(const char *s, uint64_t *out)
{
	const char *p;
	char *end;
	double d;

	for (p = s; isdigit((unsigned char)*p) || *p == '.'; p++)
		;
	if (*p != '\0' || p == s)
		return vc_parse_duration(s, out);
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || d < 0 || d > 1e6)
		return -1;
	*out = (uint64_t)(d * 86400);
	return 0;
}

struct report_ctx {
	int dry_run;
	int64_t now;
	struct vc_strv gone; /* the stems of the keys removed */
};

/* "3 days ago", "5 hours ago", "12 minutes ago". */
static const char *
age(int64_t secs, char *buf, size_t len)
{
	static const struct {
		int64_t secs;
		const char *unit;
	} units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}};
	size_t i;
	int64_t n;

	for (i = 0; i < VC_ARRAY_SIZE(units); i++) {
		n = secs / units[i].secs;
		if (n > 0) {
			snprintf(buf, len, "%lld %s%s ago", (long long)n,
			    units[i].unit, n == 1 ? "" : "s");
			return buf;
		}
	}
	snprintf(buf, len, "just now");
	return buf;
}

static void
report(const struct vc_store_entry *e, enum vc_gc_what what, void *arg)
{
	struct report_ctx *rc = arg;
	char size[32], when[64];

	if (what == VC_GC_BUSY) {
		vc_note("kept '%s': in use", e->m.key);
		return;
	}
	printf("%s %s (%s, last used %s)\n",
	    rc->dry_run ? "would remove" : "removed", e->m.key,
	    vc_format_size(e->size, size, sizeof size),
	    age(rc->now - e->last_used, when, sizeof when));
	vc_strv_take(&rc->gone, vc_store_stem(e->m.key));
}

static void
report_project(const struct vc_projcache_item *it, enum vc_gc_what what,
    void *arg)
{
	const struct report_ctx *rc = arg;
	char size[32], when[64];

	if (what == VC_GC_BUSY) {
		vc_note("kept '%s': its key is in use", it->name);
		return;
	}
	printf("%s %s (%s, last used %s)\n",
	    rc->dry_run ? "would remove" : "removed", it->name,
	    vc_format_size(it->size, size, sizeof size),
	    age(rc->now - it->last_used, when, sizeof when));
}

/* "removed 2 entries (1.2 MiB), kept 3 (4 MiB)", and why some stayed. */
static void
summary(const struct report_ctx *rc, const char *what,
    const struct vc_gc_result *res)
{
	char b1[32], b2[32];

	vc_note("%s %llu %sentr%s (%s), %s %llu (%s)%s",
	    rc->dry_run ? "would remove" : "removed",
	    (unsigned long long)res->removed, what,
	    res->removed == 1 ? "y" : "ies",
	    vc_format_size(res->freed, b1, sizeof b1),
	    rc->dry_run ? "would keep" : "kept", (unsigned long long)res->kept,
	    vc_format_size(res->kept_size, b2, sizeof b2),
	    res->busy > 0 ? ", some of them in use" : "");
}

static int
cmd_gc_exec(struct cmd_ctx *ctx)
{
	const char *dir = vc_config_str(&ctx->cfg, VC_S_CACHE_DIR);
	uint64_t max_size = vc_config_size(&ctx->cfg, VC_S_MAX_SIZE);
	uint64_t max_age = 0;
	struct report_ctx rc;
	struct vc_gc_result res, pres;
	struct vc_store st;
	struct vc_error err;
	struct vc_stats delta;
	struct stat sb;
	int r;

	if (cmd_get(ctx, "max-size") != NULL &&
	    vc_parse_size(cmd_get(ctx, "max-size"), &max_size) == -1)
		return cmd_usage_error(ctx, "--max-size: '%s' is not a size",
		    cmd_get(ctx, "max-size"));
	if (cmd_get(ctx, "max-age") != NULL &&
	    parse_age(cmd_get(ctx, "max-age"), &max_age) == -1)
		return cmd_usage_error(ctx,
		    "--max-age: '%s' is not a number of days",
		    cmd_get(ctx, "max-age"));
	rc.dry_run = cmd_has(ctx, "dry-run") > 0;
	rc.now = (int64_t)time(NULL);
	vc_strv_init(&rc.gone);
	vc_error_clear(&err);
	if (stat(dir, &sb) == -1 && errno == ENOENT)
		return 0; /* no store, nothing to evict */
	if (vc_store_open(&st, dir, &err) == -1)
		goto fail;
	r = vc_store_gc_report(&st, max_size, max_age, rc.dry_run, &res, report,
	    &rc, &err);
	/* Then the project cache: the entries of keys gone, and old ones. */
	if (r == 0)
		r = vc_projcache_gc(&st, dir, max_age, rc.dry_run, &rc.gone,
		    &pres, report_project, &rc, &err);
	vc_store_close(&st);
	if (r == -1)
		goto fail;
	if (!rc.dry_run && res.removed > 0) {
		vc_stats_init(&delta);
		delta.c[VC_C_evictions] = res.removed;
		if (vc_stats_add(dir, &delta, &err) == -1)
			goto fail;
	}
	summary(&rc, "", &res);
	if (pres.removed + pres.kept + pres.busy > 0)
		summary(&rc, "project-install ", &pres);
	vc_strv_release(&rc.gone);
	return 0;
fail:
	vc_strv_release(&rc.gone);
	cmd_error(ctx, &err);
	return cmd_status(&err);
}

const struct cmd_entry cmd_gc_entry = {
    .name = "gc",
    .args = "",
    .summary = "evict least recently used entries",
    .description = "Removes entries, least recently used first, until the "
                   "store holds at most --max-size bytes (default: the "
                   "max-size setting; 0 for no limit), and every entry "
                   "unused for more than --max-age days (a number, or a "
                   "duration such as 12h). An entry in use by a restore "
                   "or a save is never removed. Then the project cache "
                   "(<cache-dir>/project-install/): the entries of store "
                   "keys the store no longer holds, and with --max-age "
                   "those not put back for longer. Prints each entry it "
                   "removes; with -n, each it would remove.",
    .flags = 0,
    .opts =
        {
            {"max-size", 0, "SIZE",
                "target size, e.g. 5G (default: "
                "setting max-size)"},
            {"max-age", 0, "DAYS", "also remove entries unused for longer"},
            {"dry-run", 'n', NULL, "only say what would be removed"},
        },
    .exec = cmd_gc_exec,
};
