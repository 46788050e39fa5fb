/*
 * trust.h: whether a directory can be trusted to hold what venvcache runs.
 *
 * The venv root holds code that venvcache and its user run; the store
 * holds what the next run restores. Neither may be a directory that
 * another local user can create or change: one in /tmp or /dev/shm made
 * by somebody else first, or one that others can write.
 */
#ifndef VENVCACHE_TRUST_H
#define VENVCACHE_TRUST_H

#include "venvcache/error.h"

/*
 * Checks the existing directory `path` and every directory or symlink on
 * the way to it, both as written and after resolving symlinks:
 *  - none may be writable by others (o+w) unless it is sticky (as /tmp);
 *  - each one inside a directory that others can write (/tmp, /dev/shm)
 *    must belong to us (or root) and not be writable by group or others.
 * `setting` names the setting for the message ("venv-root"). Fails with
 * VC_EFAIL and a message that says which directory, why, and what to do.
 */
int vc_trust_dir(const char *path, const char *setting, struct vc_error *);

#endif
