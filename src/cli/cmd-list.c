/* cmd-list.c: venvcache list: the entries of the store. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "venvcache/store.h"

static const char *
local_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

static void
print_table(const struct vc_store_entry *v, size_t n)
{
	char size[32], unpacked[32], created[32], used[32];
	int kw = 3, ew = 3, pw = 6;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((int)strlen(v[i].m.key) > kw)
			kw = (int)strlen(v[i].m.key);
		if ((int)strlen(v[i].m.env) > ew)
			ew = (int)strlen(v[i].m.env);
		if ((int)strlen(v[i].m.python_version) > pw)
			pw = (int)strlen(v[i].m.python_version);
	}
	/* Which size: on disk (archive and manifest), and the venv's. */
	printf("%-*s  %-*s  %-*s  %10s  %10s  %-16s  %s\n", kw, "KEY", ew,
	    "ENV", pw, "PYTHON", "PACKED", "UNPACKED", "CREATED", "LAST USED");
	for (i = 0; i < n; i++)
		printf("%-*s  %-*s  %-*s  %10s  %10s  %-16s  %s\n", kw,
		    v[i].m.key, ew, v[i].m.env, pw, v[i].m.python_version,
		    vc_format_size(v[i].size, size, sizeof size),
		    vc_format_size(v[i].m.unpacked_size, unpacked,
		        sizeof unpacked),
		    local_time(v[i].m.created, created, sizeof created),
		    local_time(v[i].last_used, used, sizeof used));
}

static int
print_json(const struct vc_store_entry *v, size_t n)
{
	json_t *a = json_array(), *o;
	char *text;
	size_t i;

	for (i = 0; i < n; i++) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
		              "s:f}",
		    "key", v[i].m.key, "env", v[i].m.env, "python",
		    v[i].m.python, "python_version", v[i].m.python_version,
		    "size", (json_int_t)v[i].size, "unpacked_size",
		    (json_int_t)v[i].m.unpacked_size, "file_count",
		    (json_int_t)v[i].m.file_count, "created",
		    (json_int_t)v[i].m.created, "last_used",
		    (json_int_t)v[i].last_used, "create_seconds",
		    v[i].m.create_seconds);
		if (o == NULL || json_array_append_new(a, o) == -1) {
			json_decref(a);
			return -1; /* a string that is not UTF-8 */
		}
	}
	text = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (text == NULL)
		return -1;
	printf("%s\n", text);
	free(text);
	return 0;
}

static int
cmd_list_exec(struct cmd_ctx *ctx)
{
	const char *dir = vc_config_str(&ctx->cfg, VC_S_CACHE_DIR);
	const char *format = cmd_get(ctx, "format");
	struct vc_store_entry *v = NULL;
	struct vc_store st;
	struct vc_error err;
	struct stat sb;
	size_t n = 0;
	int rc = 1;

	if (format == NULL)
		format = "table";
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cmd_usage_error(ctx,
		    "--format: '%s' is not table or json", format);
	vc_error_clear(&err);
	/* Listing does not create a store. */
	if (stat(dir, &sb) == 0 || errno != ENOENT) {
		if (vc_store_open(&st, dir, &err) == -1)
			goto fail;
		rc = vc_store_list(&st, &v, &n, &err);
		vc_store_close(&st);
		if (rc == -1)
			goto fail;
	}
	if (strcmp(format, "json") == 0) {
		if (print_json(v, n) == -1) {
			vc_error_set(&err, VC_EFAIL,
			    "an entry has text that is not UTF-8");
			goto fail;
		}
	} else {
		print_table(v, n);
	}
	vc_store_entries_free(v, n);
	return 0;
fail:
	vc_store_entries_free(v, n);
	cmd_error(ctx, &err);
	return cmd_status(&err);
}

const struct cmd_entry cmd_list_entry = {
    .name = "list",
    .args = "",
    .summary = "list the store's entries, most recently used first",
    .description = "Each entry with its key, the env that made it, Python "
                   "version, packed size (on disk: archive and manifest), "
                   "unpacked size (the venv's files), creation time and "
                   "last use. With --format json: an array of objects with "
                   "key, env, python, python_version, size, "
                   "unpacked_size, file_count, created, last_used (unix "
                   "seconds) and create_seconds. An entry whose manifest "
                   "cannot be read is left out with a warning; "
                   "'venvcache verify' says more.",
    .flags = 0,
    .opts =
        {
            {"format", 0, "table|json", "output format (default table)"},
        },
    .exec = cmd_list_exec,
};
