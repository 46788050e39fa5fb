/* tmpfs.c: the venv root on a RAM disk. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "venvcache/log.h"
#include "venvcache/tmpfs.h"
#include "venvcache/trust.h"

int
vc_tmpfs_is_ram(const char *path, struct vc_error *err)
{
	struct statfs sf;

	if (statfs(path, &sf) == -1)
		return vc_error_sys(err, "cannot check '%s'", path);
	return sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC;
}

/* Whether we hold CAP_SYS_ADMIN (root usually does, a container may not). */
static int
may_mount(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) == -1)
		return geteuid() == 0;
	return (data[CAP_SYS_ADMIN / 32].effective &
	           (1u << (CAP_SYS_ADMIN % 32))) != 0;
}

int
vc_tmpfs_ensure(const struct vc_config *cfg, struct vc_error *err)
{
	static int warned;
	const char *root = vc_config_str(cfg, VC_S_VENV_ROOT);
	const char *mode = vc_config_str(cfg, VC_S_MOUNT);
	char *opts = NULL;
	int ram;

	if (vc_mkdir_p(root, 0755, err) == -1 ||
	    vc_trust_dir(root, "venv-root", err) == -1)
		return -1;
	if ((ram = vc_tmpfs_is_ram(root, err)) != 0)
		return ram;
	if (strcmp(mode, "yes") != 0) {
		/* Never a mount over a directory the user chose, unasked. */
		if (!warned++)
			vc_warn("'%s' is not a RAM disk; venvs stay on disk "
			        "(set venv-root to one, such as a directory "
			        "under /dev/shm, or mount = yes to mount a "
			        "tmpfs there)",
			    root);
		return 0;
	}
	if (!may_mount())
		return vc_error_set(err, VC_EFAIL,
		    "cannot mount a tmpfs on '%s': mounting needs root or "
		    "CAP_SYS_ADMIN (setting mount = yes)",
		    root);
	if (!vc_dir_is_empty(root))
		/* Mounting over it would hide its files. */
		return vc_error_set(err, VC_EFAIL,
		    "cannot mount a tmpfs on '%s': it is not empty, and a "
		    "mount would hide its files (setting mount = yes)",
		    root);
	opts =
	    xasprintf("size=%s,mode=0755", vc_config_str(cfg, VC_S_TMPFS_SIZE));
	if (mount("venvcache", root, "tmpfs", MS_NOSUID | MS_NODEV, opts) ==
	    -1) {
		vc_error_sys(err, "cannot mount a tmpfs on '%s'", root);
		free(opts);
		return -1;
	}
	free(opts);
	vc_note("mounted a tmpfs of %s on '%s' (setting mount)",
	    vc_config_str(cfg, VC_S_TMPFS_SIZE), root);
	return 1;
}

int
vc_tmpfs_check_space(const char *path, uint64_t bytes, uint64_t files,
    struct vc_error *err)
{
	struct statvfs sv;
	uint64_t avail, need;
	char a[32], b[32];

	if (statvfs(path, &sv) == -1)
		return vc_error_sys(err, "cannot check free space on '%s'",
		    path);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	/* Each file takes at least a page of a tmpfs: count it. */
	need = bytes + files * 4096 / 2;
	if (need > avail)
		return vc_error_set(err, VC_ENOSPC,
		    "out of space on '%s': the venv needs %s, %s is free "
		    "(raise tmpfs-size, or remove venvs there)",
		    path, vc_format_size(need, a, sizeof a),
		    vc_format_size(avail, b, sizeof b));
	if (sv.f_files != 0 && files > (uint64_t)sv.f_favail)
		return vc_error_set(err, VC_ENOSPC,
		    "out of inodes on '%s': the venv has %llu files, %llu are "
		    "free",
		    path, (unsigned long long)files,
		    (unsigned long long)sv.f_favail);
	return 0;
}
