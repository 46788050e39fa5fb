/* cmd-stats.c: venvcache stats: the counters, ccache style. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "venvcache/log.h"
#include "venvcache/stats.h"
#include "venvcache/store.h"

/* What the store holds now, when there is one. */
struct usage {
	int present;
	size_t entries;
	uint64_t size;
};

static int
store_usage(const char *dir, struct usage *u, struct vc_error *err)
{
	struct vc_store_entry *v;
	struct vc_store st;
	struct stat sb;
	size_t i, n;

	memset(u, 0, sizeof *u);
	if (stat(dir, &sb) == -1 && errno == ENOENT)
		return 0;
	if (vc_store_open(&st, dir, err) == -1)
		return -1;
	if (vc_store_list(&st, &v, &n, err) == -1) {
		vc_store_close(&st);
		return -1;
	}
	u->present = 1;
	u->entries = n;
	for (i = 0; i < n; i++)
		u->size += v[i].size;
	vc_store_entries_free(v, n);
	vc_store_close(&st);
	return 0;
}

/* Store lookups that found an entry, over all lookups; -1: none yet. */
static double
hit_ratio(const struct vc_stats *s)
{
	uint64_t hits = s->c[VC_C_hits] + s->c[VC_C_partial_hits];
	uint64_t all = hits + s->c[VC_C_misses];

	return all == 0 ? -1 : (double)hits / (double)all;
}

static void
print_table(const char *dir, const struct vc_stats *s, const struct usage *u,
    uint64_t max_size)
{
	char when[64], b1[32], b2[32];
	double ratio = hit_ratio(s);
	time_t z = (time_t)s->zeroed;
	uint64_t hits = s->c[VC_C_hits] + s->c[VC_C_partial_hits];
	struct tm tm;
	size_t i;
	int w = 16;

	for (i = 0; i < VC_C__COUNT; i++)
		if ((int)strlen(vc_counter_descriptions[i]) > w)
			w = (int)strlen(vc_counter_descriptions[i]);

	if (s->zeroed == 0 || localtime_r(&z, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof when, "never");
	printf("%-*s %s\n", w, "cache directory", dir);
	printf("%-*s %s\n", w, "stats zeroed", when);
	if (ratio < 0)
		printf("%-*s %s\n", w, "hit ratio", "-");
	else
		printf("%-*s %.2f %% (%llu of %llu lookups)\n", w, "hit ratio",
		    ratio * 100, (unsigned long long)hits,
		    (unsigned long long)(hits + s->c[VC_C_misses]));
	printf("%-*s %.1f\n", w, "seconds saved",
	    (double)s->c[VC_C_saved_ms] / 1000);
	if (u->present)
		printf("%-*s %s in %zu entries (max-size %s)\n", w,
		    "store size", vc_format_size(u->size, b1, sizeof b1),
		    u->entries,
		    max_size > 0 ? vc_format_size(max_size, b2, sizeof b2)
		                 : "none");
	for (i = 0; i < VC_C__COUNT; i++) {
		if (strncmp(vc_counter_ids[i], "bytes_", 6) == 0 &&
		    s->c[i] >= 1024)
			printf("%-*s %llu (%s)\n", w,
			    vc_counter_descriptions[i],
			    (unsigned long long)s->c[i],
			    vc_format_size(s->c[i], b1, sizeof b1));
		else
			printf("%-*s %llu\n", w, vc_counter_descriptions[i],
			    (unsigned long long)s->c[i]);
	}
}

static void
print_json(const char *dir, const struct vc_stats *s, const struct usage *u,
    uint64_t max_size)
{
	json_t *o = json_object(), *c = json_object();
	double ratio = hit_ratio(s);
	char *text;
	size_t i;

	for (i = 0; i < VC_C__COUNT; i++)
		json_object_set_new(c, vc_counter_ids[i],
		    json_integer((json_int_t)s->c[i]));
	json_object_set_new(o, "cache_dir", json_string(dir));
	json_object_set_new(o, "zeroed", json_integer((json_int_t)s->zeroed));
	json_object_set_new(o, "hit_ratio",
	    ratio < 0 ? json_null() : json_real(ratio));
	json_object_set_new(o, "seconds_saved",
	    json_real((double)s->c[VC_C_saved_ms] / 1000));
	json_object_set_new(o, "entries", json_integer((json_int_t)u->entries));
	json_object_set_new(o, "store_size", json_integer((json_int_t)u->size));
	json_object_set_new(o, "max_size", json_integer((json_int_t)max_size));
	json_object_set_new(o, "counters", c);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(o);
}

static int
cmd_stats_exec(struct cmd_ctx *ctx)
{
	const char *dir = vc_config_str(&ctx->cfg, VC_S_CACHE_DIR);
	const char *format = cmd_get(ctx, "format");
	struct vc_stats s;
	struct vc_error err;
	struct usage u;

	if (format == NULL)
		format = "table";
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cmd_usage_error(ctx,
		    "--format: '%s' is not table or json", format);
	vc_error_clear(&err);
	if (cmd_has(ctx, "zero")) {
		if (vc_stats_zero(dir, &err) == -1)
			goto fail;
		vc_note("statistics zeroed");
		return 0;
	}
	if (vc_stats_read(dir, &s, &err) == -1 ||
	    store_usage(dir, &u, &err) == -1)
		goto fail;
	if (strcmp(format, "json") == 0)
		print_json(dir, &s, &u,
		    vc_config_size(&ctx->cfg, VC_S_MAX_SIZE));
	else
		print_table(dir, &s, &u,
		    vc_config_size(&ctx->cfg, VC_S_MAX_SIZE));
	return 0;
fail:
	cmd_error(ctx, &err);
	return cmd_status(&err);
}

const struct cmd_entry cmd_stats_entry = {
    .name = "stats",
    .args = "",
    .summary = "show the counters: hits, misses, restores, creations, bytes, "
               "time saved",
    .description = "The hit ratio is store lookups that found an entry "
                   "(hits and partial hits) over all lookups; venvs "
                   "already ready are counted apart. The times add up what "
                   "warm prints: milliseconds restoring the 'hit in' "
                   "times, milliseconds creating the 'created in' times, "
                   "and seconds saved, for each hit, the entry's creation "
                   "time minus the hit's (its 's saved'). With --format json "
                   "the counters appear "
                   "under their ids, which never change. --zero sets "
                   "every counter to zero.",
    .flags = 0,
    .opts =
        {
            {"format", 0, "table|json", "output format (default table)"},
            {"zero", 'z', NULL, "set every counter to zero"},
        },
    .exec = cmd_stats_exec,
};
