/*
 * tmpfs.h: the RAM disk under the venv root.
 */
#ifndef VENVCACHE_TMPFS_H
#define VENVCACHE_TMPFS_H

#include <stdint.h>

#include "venvcache/config.h"
#include "venvcache/error.h"

/* 1 when `path` is on tmpfs or ramfs, 0 when not, -1 on error. */
int vc_tmpfs_is_ram(const char *path, struct vc_error *);

/*
 * Makes the venv root exist and, where the mount setting and our
 * privileges allow, be a tmpfs (mounted with the tmpfs-size setting).
 * Returns 1 on a RAM disk, 0 when falling back to disk (warned once per
 * process), -1 on error (mount = yes and the mount failed, or the root
 * cannot be created).
 */
int vc_tmpfs_ensure(const struct vc_config *, struct vc_error *);

/*
 * Fails with VC_ENOSPC and a message saying how much is needed and how
 * much is free when `bytes` of files and `files` inodes do not fit.
 */
int vc_tmpfs_check_space(const char *path, uint64_t bytes, uint64_t files,
    struct vc_error *);

#endif
