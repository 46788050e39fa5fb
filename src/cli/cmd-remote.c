/*
 * cmd-remote.c: venvcache remote check (can each remote store be used?)
 * and venvcache remote keygen (an Ed25519 key pair for signing entries).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "venvcache/remote.h"

static void
print_report(const struct vc_remote_report *r, void *arg)
{
	(void)arg;
	if (r->reachable)
		printf("%s reachable: yes (HTTP %ld)\n", r->url, r->status);
	else
		printf("%s reachable: no (%s)\n", r->url, r->read_detail);
	if (!r->reachable)
		printf("%s auth: not checked\n", r->url);
	else if (r->auth_ok)
		printf("%s auth: ok%s%s\n", r->url,
		    r->read_detail[0] != '\0' ? " but GET: " : "",
		    r->read_detail);
	else
		printf("%s auth: refused (%s)\n", r->url, r->read_detail);
	if (r->writable == 1)
		printf("%s write: ok\n", r->url);
	else if (r->writable == 0)
		printf("%s write: refused (%s)\n", r->url, r->write_detail);
	else
		printf("%s write: not checked (%s)\n", r->url,
		    r->reachable ? "read-only" : "unreachable");
	if (r->reachable)
		printf("%s latency: %.1f ms\n", r->url, r->latency * 1000);
	else
		printf("%s latency: -\n", r->url);
}

/* Prints a new key pair as the two variables that take it. */
static int
keygen(struct cmd_ctx *ctx)
{
	struct vc_error err;
	char *sk = NULL, *vk = NULL;

	vc_error_clear(&err);
	if (vc_remote_keygen(&sk, &vk, &err) == -1) {
		cmd_error(ctx, &err);
		return cmd_status(&err);
	}
	printf("VENVCACHE_SIGNING_KEY=%s\nVENVCACHE_VERIFY_KEY=%s\n", sk, vk);
	memset(sk, 0, strlen(sk));
	free(sk);
	free(vk);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
cmd_remote_exec(struct cmd_ctx *ctx)
{
	struct vc_error err;
	int failed;

	if (ctx->argc == 1 && strcmp(ctx->argv[0], "keygen") == 0)
		return keygen(ctx);
	if (ctx->argc != 1 || strcmp(ctx->argv[0], "check") != 0)
		return cmd_usage_error(ctx,
		    "the subcommands are 'check' and 'keygen'");
	if (!vc_remote_configured(&ctx->cfg))
		return cmd_usage_error(ctx,
		    "no remote store: set remote (VENVCACHE_REMOTE)");
	vc_error_clear(&err);
	failed = vc_remote_check(&ctx->cfg, print_report, NULL, &err);
	fflush(stdout);
	if (failed == -1) {
		cmd_error(ctx, &err);
		return cmd_status(&err);
	}
	if (failed > 0) {
		fprintf(stderr,
		    "venvcache: remote: %d remote %s failed a check\n", failed,
		    failed == 1 ? "store" : "stores");
		return 1;
	}
	return 0;
}

const struct cmd_entry cmd_remote_entry = {
    .name = "remote",
    .args = "check | keygen",
    .summary = "check each remote store: reachable, auth, write, latency; "
               "or make a signing key pair",
    .description =
        "check asks each remote store for an entry that does not exist "
        "(it must answer 404: reachable, credentials accepted, and the "
        "latency of that request) and, unless remote-read-only, writes a "
        "small probe object, venvcache-probe.txt, at its root. One line "
        "each on stdout; exit status 1 when a check failed. keygen "
        "prints a new Ed25519 key pair as VENVCACHE_SIGNING_KEY=... (a "
        "secret, for the jobs that upload) and VENVCACHE_VERIFY_KEY=... "
        "(public, for every job).",
    .flags = CMD_ARGS,
    .exec = cmd_remote_exec,
};
