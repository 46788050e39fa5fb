/* trust.c: directories that another local user cannot change. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "venvcache/trust.h"
#include "venvcache/util.h"

/* "uid 65534 (nobody)" */
static void
owner_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(buf, len, "uid %lu (%s)", (unsigned long)uid,
		    pw->pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
}

/*
 * Checks the components of the absolute path `path` from the root down.
 * `shown` is the setting's value, for messages.
 */
static int
check_walk(const char *path, const char *shown, const char *setting,
    struct vc_error *err)
{
	char *p = xstrdup(path), *s, *parent = xstrdup("/");
	struct stat pst, st;
	uid_t me = geteuid();
	char who[96];
	int rc = -1;

	if (stat("/", &pst) == -1) {
		vc_error_sys(err, "cannot check '/'");
		goto out;
	}
	for (s = p + 1;; s++) {
		char c;

		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (s == p + 1 || s[-1] == '/') /* "//" */
			goto next;
		if (lstat(p, &st) == -1) {
			vc_error_sys(err, "%s '%s': cannot check '%s'", setting,
			    shown, p);
			goto out;
		}
		if (pst.st_mode & S_IWOTH) {
			/* In /tmp or /dev/shm: anyone could have made it. */
			if (st.st_uid != me && st.st_uid != 0) {
				owner_name(st.st_uid, who, sizeof who);
				vc_error_set(err, VC_EFAIL,
				    "refusing %s '%s': '%s' belongs to %s, "
				    "not to you, and is in '%s', where "
				    "every user can create files: another "
				    "user could put code there that "
				    "venvcache would run (remove '%s', or "
				    "set %s to a directory of yours)",
				    setting, shown, p, who, parent, p, setting);
				goto out;
			}
			if (!S_ISLNK(st.st_mode) &&
			    (st.st_mode & (S_IWGRP | S_IWOTH))) {
				vc_error_set(err, VC_EFAIL,
				    "refusing %s '%s': '%s' is in '%s', "
				    "where every user can create files, and "
				    "others can write to it (mode %04o) "
				    "(chmod go-w '%s', or set %s to a "
				    "directory of yours)",
				    setting, shown, p, parent,
				    (unsigned)(st.st_mode & 07777), p, setting);
				goto out;
			}
		}
		if (!S_ISLNK(st.st_mode) && (st.st_mode & S_IWOTH) &&
		    !(st.st_mode & S_ISVTX)) {
			vc_error_set(err, VC_EFAIL,
			    "refusing %s '%s': every user can write to '%s' "
			    "(mode %04o), so another user could change what "
			    "venvcache runs from it (chmod o-w '%s', or set "
			    "%s to a directory of yours)",
			    setting, shown, p, (unsigned)(st.st_mode & 07777),
			    p, setting);
			goto out;
		}
		/* The next component's parent, symlinks followed. */
		if (c != '\0' && stat(p, &pst) == -1) {
			vc_error_sys(err, "%s '%s': cannot check '%s'", setting,
			    shown, p);
			goto out;
		}
		free(parent);
		parent = xstrdup(p);
	next:
		*s = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(p);
	free(parent);
	return rc;
}

int
vc_trust_dir(const char *path, const char *setting, struct vc_error *err)
{
	char real[PATH_MAX], cwd[PATH_MAX], *abs = NULL;
	int rc = -1;

	if (*path != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return vc_error_sys(err,
			    "%s '%s': cannot find the "
			    "current directory",
			    setting, path);
		abs = vc_path_join(cwd, path);
	} else {
		abs = xstrdup(path);
	}
	if (check_walk(abs, path, setting, err) == -1)
		goto out;
	if (realpath(abs, real) == NULL) {
		vc_error_sys(err, "%s '%s': cannot resolve it", setting, path);
		goto out;
	}
	if (strcmp(real, abs) != 0 &&
	    check_walk(real, path, setting, err) == -1)
		goto out;
	rc = 0;
out:
	free(abs);
	return rc;
}
