/*
 * cmd.h: the command table and what every command receives.
 *
 * A command is one `const struct cmd_entry` in its own cmd-<name>.c and
 * one line in cmd-table.c. main.c parses the global, selection and mirror
 * options for every command; a command declares only its own options and
 * reads them with cmd_has()/cmd_get().
 */
#ifndef VENVCACHE_CMD_H
#define VENVCACHE_CMD_H

#include <stdio.h>

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/util.h"

/* What a command needs main.c to parse and prepare for it. */
#define CMD_SELECT 0x1   /* -e, -r, -p, -a, --name */
#define CMD_MIRROR 0x2   /* --index-url, --extra-index-url, ... */
#define CMD_ARGS 0x4     /* takes positional arguments */
#define CMD_DASHDASH 0x8 /* takes "-- CMD [ARGS]" */

#define CMD_MAX_OPTS 16

struct cmd_opt {
	const char *name; /* long name, without "--" */
	int short_name;   /* 0 when there is none */
	const char *arg;  /* placeholder ("N", "FILE") or NULL: a flag */
	const char *help;
};

struct cmd_ctx;

/* Options that main.c handles for every command. */
enum {
	O_CONFIG = 256,
	O_CACHE_DIR,
	O_VENV_ROOT,
	O_QUIET,
	O_VERBOSE,
	O_VERSION,
	O_HELP,
	O_ENV,
	O_LABEL,
	O_REQ,
	O_PYTHON,
	O_ALL,
	O_NAME,
	O_REFRESH,
	O_INDEX_URL,
	O_EXTRA_INDEX_URL,
	O_TRUSTED_HOST,
	O_FIND_LINKS,
	O_NO_INDEX,
	O_INSTALL_PROJECT,
	O_COLOR,
	O_CMD = 512, /* + index into entry->opts */
};

#define CMD_GLOBAL 0 /* group of the options every command takes */

struct cmd_common_opt {
	const char *name;
	int short_name;
	const char *arg;
	int id;
	int group; /* CMD_GLOBAL, CMD_SELECT or CMD_MIRROR */
	const char *help;
};

extern const struct cmd_common_opt cmd_common_opts[];
extern const size_t cmd_ncommon_opts;

struct cmd_entry {
	const char *name;
	const char *args;        /* usage after the options, or "" */
	const char *summary;     /* one line, for --help and the man page */
	const char *description; /* a paragraph for the man page, or NULL */
	int flags;
	struct cmd_opt opts[CMD_MAX_OPTS]; /* ends at a NULL name */
	int (*exec)(struct cmd_ctx *);
};

/* A selected environment, with its interpreter decided. */
struct cmd_target {
	struct vc_envdef *env; /* borrowed from ctx->cfg */
	const char *python;    /* borrowed */
};

struct cmd_ctx {
	const struct cmd_entry *entry;
	struct vc_config cfg;

	/* The command's own options: values[i] for entry->opts[i]. */
	struct vc_strv values[CMD_MAX_OPTS];
	int count[CMD_MAX_OPTS];

	/* Selection, as given. */
	struct vc_strv sel_envs;
	struct vc_strv sel_labels; /* -m LABEL */
	struct vc_strv sel_reqs;
	const char *sel_name;
	const char *sel_python;
	int sel_all;
	int sel_refresh;

	/* Colour on stdout (stderr's is vc_log_color()): --color, NO_COLOR. */
	int color_out;

	/* Positional arguments (CMD_ARGS), or the command after "--". */
	int argc;
	char **argv;
};

extern const struct cmd_entry *const cmd_table[];

/* Times the option was given; its last value, or NULL. */
int cmd_has(const struct cmd_ctx *, const char *name);
const char *cmd_get(const struct cmd_ctx *, const char *name);
/* Every value of a repeatable option. */
const struct vc_strv *cmd_get_all(const struct cmd_ctx *, const char *name);

/*
 * Resolves the selection into targets: -r makes an ad-hoc environment
 * (named per project, see vc_config_adhoc_name, or --name), -e names config
 * environments, -a (or nothing at all, when the config has environments) takes
 * every one. The array is the caller's (free it); the targets point into
 * ctx->cfg.
 */
int cmd_select(struct cmd_ctx *, struct cmd_target **out, size_t *n,
    struct vc_error *);

/* Prints an error as "venvcache: <cmd>: msg" (and the CI annotation). */
void cmd_error(const struct cmd_ctx *, const struct vc_error *);
/* Prints a usage error and returns 2. */
int cmd_usage_error(const struct cmd_ctx *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Exit status for an error: 1, or 2 for usage, 3 for a miss. */
int cmd_status(const struct vc_error *);

/* Writes usage and options of one command (`<cmd> -h`). */
void cmd_print_usage(FILE *, const struct cmd_entry *);
/* The top-level --help. */
void cmd_print_help(FILE *);
/* The man page, in roff, from the same table. */
void cmd_print_man(FILE *);

#endif
