/*
 * cmd-export.c: venvcache export --to DIR: a store holding only the
 * selected envs' entries, for actions/cache to save as the cache-dir.
 *
 * Each entry is written through the target store's own transaction (a
 * temporary archive under tmp/, fsync, rename, manifest last), so a reader
 * of DIR never sees half an entry. The archive is cloned (FICLONE) where
 * the filesystem shares extents, else copied in the kernel
 * (copy_file_range), else read and written; the source entry is verified
 * against its checksum first, so a corrupt entry is never exported. A
 * hardlink would be cheaper on ext4 but would bypass that transaction and
 * the target's lock, and tie DIR's files to the source store's.
 *
 * The resolution records (the JSON files of resolve/) are copied too: they
 * are small, and with them `key` can compute the keys of unpinned sets on a
 * fresh runner while the mirror is unreachable (within resolve-grace).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include "cmd.h"
#include "envs.h"
#include "venvcache/log.h"
#include "venvcache/plan.h"
#include "venvcache/store.h"

/* actions/cache's tar runs with --exclude cache.tzst: unanchored, so a
 * path component of that name anywhere would silently vanish. */
#define GHA_ARCHIVE_NAME "cache.tzst"

static int
copy_plain(int in, int out, uint64_t size, struct vc_error *err)
{
	static char buf[1 << 20];
	uint64_t off = 0;

	while (off < size) {
		ssize_t r, w, done;

		r = pread(in, buf,
		    size - off < sizeof buf ? (size_t)(size - off) : sizeof buf,
		    (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vc_error_sys(err, "cannot read archive");
		if (r == 0)
			return vc_error_set(err, VC_ECORRUPT,
			    "archive shorter than its manifest says");
		for (done = 0; done < r; done += w) {
			w = pwrite(out, buf + done, (size_t)(r - done),
			    (off_t)(off + (uint64_t)done));
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0)
				return vc_error_sys(err,
				    "cannot write archive");
		}
		off += (uint64_t)r;
	}
	return 0;
}

/* Copies `size` bytes of `in` from offset 0 into `out` at offset 0. */
static int
copy_archive(int in, int out, uint64_t size, struct vc_error *err)
{
	loff_t ioff = 0, ooff = 0;

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	while ((uint64_t)ioff < size) {
		ssize_t n = copy_file_range(in, &ioff, out, &ooff,
		    (size_t)(size - (uint64_t)ioff), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && ioff == 0 &&
		    (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
		        errno == EINVAL))
			return copy_plain(in, out, size, err);
		if (n < 0)
			return vc_error_sys(err, "cannot copy archive");
		if (n == 0)
			return vc_error_set(err, VC_ECORRUPT,
			    "archive shorter than its manifest says");
	}
	return 0;
}

/* Copies one verified entry of `src` into `dst`. */
static int
export_entry(struct vc_store *src, struct vc_store *dst, const char *env,
    const char *key, uint64_t *bytes, struct vc_error *err)
{
	struct vc_manifest m;
	struct vc_store_txn txn;
	struct vc_lock lock, dlock;
	struct stat st;
	int fd = -1, rc = -1, locked = 0, dlocked = 0, begun = 0;

	vc_manifest_init(&m);
	memset(&txn, 0, sizeof txn);
	txn.fd = -1;
	if (vc_store_lock(src, key, VC_LOCK_SHARED, &lock, err) == -1)
		goto out;
	locked = 1;
	if (vc_store_lookup(src, key, &m, &fd, err) == -1) {
		if (err->code == VC_EMISS)
			vc_error_set(err, VC_EFAIL,
			    "env %s: no entry for key %s in '%s' (run "
			    "'venvcache warm' first)",
			    env, key, src->dir);
		goto out;
	}
	if (vc_store_verify(src, &m, fd, err) == -1) {
		vc_error_prefix(err, "env %s: entry %s", env, key);
		goto out;
	}
	if (vc_store_lock(dst, key, VC_LOCK_EXCLUSIVE, &dlock, err) == -1)
		goto out;
	dlocked = 1;
	if (vc_store_begin(dst, key, &txn, err) == -1)
		goto out;
	begun = 1;
	if (copy_archive(fd, txn.fd, m.archive_size, err) == -1) {
		vc_error_prefix(err, "env %s: entry %s", env, key);
		goto out;
	}
	if (fstat(txn.fd, &st) == -1 ||
	    (uint64_t)st.st_size != m.archive_size) {
		vc_error_set(err, VC_EFAIL,
		    "env %s: entry %s: copy has the wrong size", env, key);
		goto out;
	}
	if (vc_store_commit(dst, &txn, &m, err) == -1)
		goto out;
	*bytes = m.archive_size;
	rc = 0;
out:
	if (begun)
		vc_store_abort(dst, &txn);
	if (dlocked)
		vc_store_unlock(&dlock);
	if (fd != -1)
		close(fd);
	if (locked)
		vc_store_unlock(&lock);
	vc_manifest_release(&m);
	return rc;
}

/* A resolution record's name: 32 hex digits and ".json". */
static int
resolution_name(const char *name)
{
	size_t i;

	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)name[i]))
			return 0;
	return strcmp(name + 32, ".json") == 0;
}

/*
 * Copies the resolution records of `from` into `to` (created), each
 * atomically: only those, never the scratch venv pip resolves in (tens of
 * MiB that actions/cache would upload and download on every run), locks
 * or temporary reports.
 */
static int
copy_resolutions(const char *from, const char *to, struct vc_error *err)
{
	struct dirent *de;
	struct vc_buf data;
	struct stat st;
	DIR *d;
	int rc = -1;

	if ((d = opendir(from)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return vc_error_sys(err, "cannot read '%s'", from);
	}
	vc_buf_init(&data);
	if (vc_mkdir_p(to, 0755, err) == -1)
		goto out;
	while ((de = readdir(d)) != NULL) {
		char *src, *dst;
		int r = 0;

		if (!resolution_name(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		        -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		src = vc_path_join(from, de->d_name);
		dst = vc_path_join(to, de->d_name);
		vc_buf_reset(&data);
		r = vc_read_file(src, 0, &data, err);
		if (r == 0)
			r = vc_write_file_atomic(dst,
			    data.data != NULL ? data.data : "", data.len, 0644,
			    err);
		free(src);
		free(dst);
		if (r == -1)
			goto out;
	}
	rc = 0;
out:
	vc_buf_release(&data);
	closedir(d);
	return rc;
}

/*
 * DIR must be new or empty, must not be the cache-dir, and no component
 * of its absolute path may be named cache.tzst.
 */
static int
check_target(const char *dir, const char *cache_dir, struct vc_error *err)
{
	char cwd[PATH_MAX], *abs, *p, *comp;
	struct stat st, cst;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (*dir == '/')
		abs = xstrdup(dir);
	else if (getcwd(cwd, sizeof cwd) != NULL)
		abs = vc_path_join(cwd, dir);
	else
		return vc_error_sys(err, "cannot get the current directory");
	for (comp = strtok_r(abs, "/", &p); comp != NULL;
	     comp = strtok_r(NULL, "/", &p))
		if (strcmp(comp, GHA_ARCHIVE_NAME) == 0) {
			rc = vc_error_set(err, VC_EUSAGE,
			    "'%s': actions/cache leaves out every path named "
			    "%s; choose another directory",
			    dir, GHA_ARCHIVE_NAME);
			break;
		}
	free(abs);
	if (rc == -1)
		return -1;
	if (stat(dir, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return vc_error_sys(err, "cannot use '%s'", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return vc_error_set(err, VC_EFAIL, "'%s' is not a directory",
		    dir);
	if (stat(cache_dir, &cst) == 0 && cst.st_dev == st.st_dev &&
	    cst.st_ino == st.st_ino)
		return vc_error_set(err, VC_EUSAGE,
		    "'%s' is the cache-dir itself; export to another "
		    "directory",
		    dir);
	if ((d = opendir(dir)) == NULL)
		return vc_error_sys(err, "cannot read '%s'", dir);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			rc = vc_error_set(err, VC_EFAIL,
			    "'%s' is not empty: export writes a new store",
			    dir);
			break;
		}
	closedir(d);
	return rc;
}

static int
cmd_export_exec(struct cmd_ctx *ctx)
{
	const char *to = cmd_get(ctx, "to");
	const char *cache_dir = vc_config_str(&ctx->cfg, VC_S_CACHE_DIR);
	struct vc_store src, dst;
	struct cmd_target *t = NULL;
	struct vc_error err;
	char *rsrc = NULL, *rdst = NULL, sz[32];
	uint64_t bytes, total = 0;
	size_t i, n = 0, done = 0, skipped = 0;
	int rc = 1, src_open = 0, dst_open = 0, failed = 0;

	vc_error_clear(&err);
	if (to == NULL || *to == '\0')
		return cmd_usage_error(ctx, "give the directory: --to DIR");
	if (cmd_select(ctx, &t, &n, &err) == -1 ||
	    check_target(to, cache_dir, &err) == -1)
		goto fail;
	if (vc_store_open(&src, cache_dir, &err) == -1)
		goto fail;
	src_open = 1;
	if (vc_store_open(&dst, to, &err) == -1)
		goto fail;
	dst_open = 1;
	for (i = 0; i < n; i++) {
		struct vc_plan plan;

		vc_error_clear(&err);
		if (vc_plan_init(&plan, &ctx->cfg, t[i].env, t[i].python,
		        ctx->sel_refresh ? VC_PLAN_REFRESH : 0, &err) == -1 &&
		    envs_skip_missing(ctx, &t[i], &plan, &err)) {
			skipped++;
			vc_plan_release(&plan);
			continue;
		}
		if (err.code != VC_OK ||
		    export_entry(&src, &dst, t[i].env->name, plan.key.key,
		        &bytes, &err) == -1) {
			cmd_error(ctx, &err);
			failed = 1;
		} else {
			vc_step("%s: exported %s (%s)", t[i].env->name,
			    plan.key.key, vc_format_size(bytes, sz, sizeof sz));
			total += bytes;
			done++;
		}
		vc_plan_release(&plan);
	}
	rsrc = vc_path_join(cache_dir, "resolve");
	rdst = vc_path_join(to, "resolve");
	vc_error_clear(&err);
	if (copy_resolutions(rsrc, rdst, &err) == -1)
		goto fail;
	if (skipped > 0)
		vc_note("exported %zu of %zu environments (%s) to %s; %zu "
		        "skipped (no interpreter)",
		    done, n, vc_format_size(total, sz, sizeof sz), to, skipped);
	else
		vc_note("exported %zu of %zu environments (%s) to %s", done, n,
		    vc_format_size(total, sz, sizeof sz), to);
	rc = failed ? 1 : 0;
	goto out;
fail:
	cmd_error(ctx, &err);
	rc = cmd_status(&err);
	if (rc == 0 || rc == 3)
		rc = 1;
out:
	if (dst_open)
		vc_store_close(&dst);
	if (src_open)
		vc_store_close(&src);
	free(rsrc);
	free(rdst);
	free(t);
	return rc;
}

const struct cmd_entry cmd_export_entry = {
    .name = "export",
    .args = "",
    .summary = "write a store holding only the selected envs' entries",
    .description =
        "DIR (new or empty) becomes a valid --cache-dir holding the "
        "current entry of each selected env and the resolution cache, "
        "for actions/cache to save with path: DIR. Each entry is "
        "verified, then copied (cloned where the filesystem can) through "
        "DIR's own transaction, manifest last. An env without an entry "
        "is an error naming env and key; the others are still exported. "
        "An env whose interpreter is not there is skipped (and named) with "
        "skip-missing-interpreters, or tox 4's skip_missing_interpreters, "
        "as warm and key skip it.",
    .flags = CMD_SELECT | CMD_MIRROR,
    .opts =
        {
            {"to", 0, "DIR", "the directory to write the store into"},
        },
    .exec = cmd_export_exec,
};
