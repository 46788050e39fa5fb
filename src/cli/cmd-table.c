/* cmd-table.c: every command, in the order --help lists them. */
#include <stddef.h>

#include "cmd.h"

extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_help_entry;

const struct cmd_entry *const cmd_table[] = {
    &cmd_config_entry,
    &cmd_help_entry,
    NULL,
};
