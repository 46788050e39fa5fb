/* cmd-table.c: every command, in the order --help lists them. */
#include <stddef.h>

#include "cmd.h"

extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_gc_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_key_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_lock_entry;
extern const struct cmd_entry cmd_path_entry;
extern const struct cmd_entry cmd_remote_entry;
extern const struct cmd_entry cmd_restore_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_save_entry;
extern const struct cmd_entry cmd_stats_entry;
extern const struct cmd_entry cmd_verify_entry;
extern const struct cmd_entry cmd_warm_entry;

const struct cmd_entry *const cmd_table[] = {
    &cmd_key_entry,
    &cmd_warm_entry,
    &cmd_restore_entry,
    &cmd_save_entry,
    &cmd_path_entry,
    &cmd_run_entry,
    &cmd_export_entry,
    &cmd_list_entry,
    &cmd_stats_entry,
    &cmd_gc_entry,
    &cmd_verify_entry,
    &cmd_remote_entry,
    &cmd_lock_entry,
    &cmd_config_entry,
    &cmd_help_entry,
    NULL,
};
