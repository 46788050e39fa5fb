/* cmd-verify.c: venvcache verify: every entry against its checksum. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "venvcache/log.h"
#include "venvcache/store.h"

static void
report(const struct vc_check_item *ci, void *arg)
{
	const struct cmd_ctx *ctx = arg;
	struct vc_error err;
	char word[32];

	switch (ci->status) {
	case VC_CHECK_OK:
		printf("%s %s\n",
		    vc_color_word("ok", ctx->color_out, word, sizeof word),
		    ci->key);
		break;
	case VC_CHECK_BAD:
	case VC_CHECK_REMOVED:
		printf("%s %s\n",
		    vc_color_word(ci->status == VC_CHECK_BAD ? "bad"
		                                             : "removed",
		        ctx->color_out, word, sizeof word),
		    ci->key);
		vc_error_clear(&err);
		vc_error_set(&err, VC_ECORRUPT, "%s%s%s%s",
		    ci->status == VC_CHECK_BAD ? "bad entry: " : "removed: ",
		    ci->key, ci->reason != NULL ? ": " : "",
		    ci->reason != NULL ? ci->reason : "");
		/* The reason usually names the entry already. */
		if (ci->reason != NULL && strstr(ci->reason, ci->key) != NULL)
			vc_error_set(&err, VC_ECORRUPT, "%s%s",
			    ci->status == VC_CHECK_BAD ? "" : "removed: ",
			    ci->reason);
		cmd_error(ctx, &err);
		break;
	case VC_CHECK_ORPHAN:
		vc_note("removed '%s': an archive without manifest, left by "
		        "an interrupted save",
		    ci->key);
		break;
	case VC_CHECK_BUSY:
		printf("busy %s\n", ci->key);
		vc_note("skipped '%s': in use", ci->key);
		break;
	}
}

static int
cmd_verify_exec(struct cmd_ctx *ctx)
{
	const char *dir = vc_config_str(&ctx->cfg, VC_S_CACHE_DIR);
	unsigned flags = (cmd_has(ctx, "fix") > 0 ? VC_CHECK_FIX : 0) |
	    (cmd_has(ctx, "deep") > 0 ? VC_CHECK_DEEP : 0);
	int r;
	struct vc_check_result res;
	struct vc_store st;
	struct vc_error err;
	struct stat sb;

	vc_error_clear(&err);
	if (stat(dir, &sb) == -1 && errno == ENOENT) {
		vc_note("no store at '%s': nothing to verify", dir);
		return 0;
	}
	if (vc_store_open(&st, dir, &err) == -1)
		goto fail;
	if ((flags & VC_CHECK_FIX) && st.readonly) {
		vc_store_close(&st);
		vc_error_set(&err, VC_EFAIL,
		    "--fix: cannot remove entries of the store '%s': it is "
		    "read-only",
		    dir);
		goto fail;
	}
	r = vc_store_check(&st, flags, &res, report, ctx, &err);
	vc_store_close(&st);
	if (r == -1)
		goto fail;
	vc_note("%llu good, %llu bad, %llu removed, %llu in use",
	    (unsigned long long)res.ok, (unsigned long long)res.bad,
	    (unsigned long long)res.removed, (unsigned long long)res.busy);
	return res.bad > 0 ? 1 : 0;
fail:
	cmd_error(ctx, &err);
	return cmd_status(&err);
}

const struct cmd_entry cmd_verify_entry = {
    .name = "verify",
    .args = "",
    .summary = "check every entry against its recorded checksum",
    .description = "Reads every archive and compares its size and XXH3-128 "
                   "with its manifest. Prints a line per entry, 'ok KEY', "
                   "'bad KEY', 'removed KEY' or 'busy KEY' (in use, not "
                   "checked), and the reason for each bad one on stderr. "
                   "Exits 1 when an entry is bad; with --fix bad entries "
                   "are removed and only those that could not be are "
                   "reported as bad. Archives without manifest, left by an "
                   "interrupted save, are always removed. A store that "
                   "venvcache cannot write (a read-only mount, another "
                   "user's) is checked without locks; --fix fails there.",
    .flags = 0,
    .opts =
        {
            {"fix", 0, NULL, "remove bad entries"},
            {"deep", 0, NULL, "also read each archive through libarchive"},
        },
    .exec = cmd_verify_exec,
};
