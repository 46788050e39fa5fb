/*
 * store.c: the store of packed venvs: entries, locks, atomic publish,
 * verification, LRU eviction.
 *
 * Everything is reached through directory fds (entries/, locks/, tmp/)
 * with O_NOFOLLOW, so a store restored from an untrusted cache cannot
 * redirect a write through a symlink. File names come from keys through
 * stem_of(); a name read from a directory is used only if it is one that
 * stem_of() could have produced.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "venvcache/log.h"
#include "venvcache/store.h"
#include "venvcache/trust.h"

#define CACHEDIR_SIGNATURE "Signature: 8a477f597d28d172789f06886806bc55"
#define CACHEDIR_TAG                                                   \
	CACHEDIR_SIGNATURE                                             \
	"\n"                                                           \
	"# This file is a cache directory tag created by venvcache.\n" \
	"# For information about cache directory tags, see:\n"         \
	"#\thttps://bford.info/cachedir/\n"

/* Keys up to STEM_SHORT characters are file names as they are. */
#define STEM_SHORT 239
#define STEM_HEAD 207
#define STEM_MAX (STEM_HEAD + 1 + 32)
#define MANIFEST_SUFFIX ".json"
#define ARCHIVE_SUFFIX ".tar.zst"
#define LOCK_SUFFIX ".lock"

struct stem {
	char s[STEM_MAX + 1];
};

static void
hex128(XXH128_hash_t h, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	XXH128_canonical_t c;
	size_t i;

	XXH128_canonicalFromHash(&c, h);
	for (i = 0; i < 16; i++) {
		out[2 * i] = digits[c.digest[i] >> 4];
		out[2 * i + 1] = digits[c.digest[i] & 15];
	}
	out[32] = '\0';
}

/* The file name stem of a valid key. */
static void
stem_of(const char *key, struct stem *st)
{
	size_t n = strlen(key);
	char hex[33];

	if (n <= STEM_SHORT) {
		memcpy(st->s, key, n + 1);
		return;
	}
	hex128(XXH3_128bits(key, n), hex);
	memcpy(st->s, key, STEM_HEAD);
	st->s[STEM_HEAD] = '+';
	memcpy(st->s + STEM_HEAD + 1, hex, 33);
}

char *
vc_store_stem(const char *key)
{
	struct stem st;

	stem_of(key, &st);
	return xstrdup(st.s);
}

/* Whether `name[0..n)` is a stem that stem_of() can produce. */
static int
is_stem(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n > STEM_MAX || name[0] == '.' ||
	    (n > STEM_SHORT && n != STEM_MAX))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == '+' || c == '-'))
			return 0;
	}
	return 1;
}

/* A copy of `s` safe to print: other bytes than printable ASCII as '?'. */
static char *
printable(const char *s)
{
	char *p = xstrndup(s, strnlen(s, 300)), *q;

	for (q = p; *q != '\0'; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
			*q = '?';
	return p;
}

static void
random_hex(char out[17])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[8];
	size_t i;

	if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b) {
		uint64_t x = (uint64_t)getpid() ^ (uint64_t)(vc_now() * 1e9);

		memcpy(b, &x, sizeof b);
	}
	for (i = 0; i < 8; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[16] = '\0';
}

static int
xflock(int fd, int op)
{
	int r;

	while ((r = flock(fd, op)) == -1 && errno == EINTR)
		;
	return r;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Opens a regular file of `dirfd` without following a symlink and
 * without blocking on a FIFO; anything but a regular file fails with
 * ELOOP (a symlink) or EINVAL.
 */
static int
open_regular(int dirfd, const char *name, int flags)
{
	struct stat sb;
	int fd;

	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (fcntl(fd, F_SETFL, 0) == -1) { /* O_NONBLOCK off */
		close(fd);
		return -1;
	}
	return fd;
}

static int
read_fd(int fd, size_t max, struct vc_buf *b)
{
	ssize_t n;

	vc_buf_reset(b);
	for (;;) {
		vc_buf_grow(b, 65536);
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		if (b->len > max) {
			errno = EFBIG;
			return -1;
		}
	}
}

/* --- opening ------------------------------------------------------- */

static int
write_tag(struct vc_store *st, struct vc_error *err)
{
	char buf[sizeof CACHEDIR_SIGNATURE], rnd[17], *tmp = NULL;
	ssize_t n = 0;
	int fd, rc = -1;

	fd = open_regular(st->dirfd, "CACHEDIR.TAG", O_RDONLY);
	if (fd != -1) {
		n = pread(fd, buf, sizeof buf - 1, 0);
		close(fd);
		if (n == (ssize_t)sizeof buf - 1 &&
		    memcmp(buf, CACHEDIR_SIGNATURE, sizeof buf - 1) == 0)
			return 0;
	}
	random_hex(rnd);
	tmp = xasprintf("CACHEDIR.TAG.%ld.%s", (long)getpid(), rnd);
	fd = openat(st->dirfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1 ||
	    write_all(fd, CACHEDIR_TAG, strlen(CACHEDIR_TAG)) == -1) {
		vc_error_sys(err, "cannot write '%s/%s'", st->dir, tmp);
		goto out;
	}
	if (renameat(st->dirfd, tmp, st->dirfd, "CACHEDIR.TAG") == -1) {
		vc_error_sys(err, "cannot write '%s/CACHEDIR.TAG'", st->dir);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlinkat(st->dirfd, tmp, 0);
	free(tmp);
	return rc;
}

static int
subdir(struct vc_store *st, const char *name, struct vc_error *err)
{
	int fd, tries;

	for (tries = 0;; tries++) {
		if (mkdirat(st->dirfd, name, 0755) == -1 && errno != EEXIST)
			return vc_error_sys(err,
			    "cannot create directory '%s/%s'", st->dir, name);
		fd = openat(st->dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1)
			return fd;
		/* A symlink or a file where our directory should be (a
		 * restored cache): it holds nothing of ours, replace it. */
		if (tries > 0 || (errno != ENOTDIR && errno != ELOOP))
			break;
		vc_warn("'%s/%s' is not a directory: replacing it", st->dir,
		    name);
		if (unlinkat(st->dirfd, name, 0) == -1)
			break;
	}
	return vc_error_sys(err, "cannot open directory '%s/%s'", st->dir,
	    name);
}

/* Removes the files of tmp/ whose writer died (their flock is free). */
static void
clean_tmp(struct vc_store *st)
{
	struct vc_error e2;
	struct dirent *de;
	DIR *d;
	int dfd, fd;

	dfd = openat(st->tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		fd = openat(st->tmp_fd, de->d_name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd != -1 && xflock(fd, LOCK_EX | LOCK_NB) == -1) {
			close(fd); /* its writer is alive */
			continue;
		}
		/* Dead writer, or not a file we could have made. */
		vc_error_clear(&e2);
		if (vc_rm_rf_at(st->tmp_fd, de->d_name, &e2) == -1)
			vc_debug("%s", e2.msg);
		else
			vc_debug("removed leftover '%s/tmp/%s'", st->dir,
			    de->d_name);
		if (fd != -1)
			close(fd);
	}
	closedir(d);
}

int
vc_store_open(struct vc_store *st, const char *dir, struct vc_error *err)
{
	st->dir = NULL;
	st->dirfd = st->entries_fd = st->locks_fd = st->tmp_fd = -1;
	st->readonly = 0;
	if (vc_mkdir_p(dir, 0755, err) == -1 ||
	    vc_trust_dir(dir, "cache-dir", err) == -1)
		goto fail;
	st->dir = xstrdup(dir);
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd == -1) {
		vc_error_sys(err, "cannot open store '%s'", dir);
		goto fail;
	}
	if (faccessat(st->dirfd, ".", W_OK, AT_EACCESS) == -1 &&
	    (errno == EROFS || errno == EACCES || errno == EPERM)) {
		vc_debug("the store '%s' is read-only (%s): reading it "
		         "without locks",
		    dir, strerror(errno));
		st->readonly = 1;
		st->entries_fd = openat(st->dirfd, "entries",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (st->entries_fd == -1) {
			vc_error_sys(err, "cannot open directory '%s/entries'",
			    dir);
			goto fail;
		}
		return 0;
	}
	if (write_tag(st, err) == -1 ||
	    (st->entries_fd = subdir(st, "entries", err)) == -1 ||
	    (st->locks_fd = subdir(st, "locks", err)) == -1 ||
	    (st->tmp_fd = subdir(st, "tmp", err)) == -1)
		goto fail;
	clean_tmp(st);
	return 0;
fail:
	vc_store_close(st);
	return -1;
}

void
vc_store_close(struct vc_store *st)
{
	if (st->tmp_fd != -1)
		close(st->tmp_fd);
	if (st->locks_fd != -1)
		close(st->locks_fd);
	if (st->entries_fd != -1)
		close(st->entries_fd);
	if (st->dirfd != -1)
		close(st->dirfd);
	free(st->dir);
	st->dir = NULL;
	st->dirfd = st->entries_fd = st->locks_fd = st->tmp_fd = -1;
}

/* --- locks --------------------------------------------------------- */

static int
lock_stem(struct vc_store *st, const struct stem *stem, int how,
    struct vc_lock *lk, struct vc_error *err)
{
	char name[STEM_MAX + sizeof LOCK_SUFFIX];
	struct stat a, b;
	int op, fd, tries, r;

	lk->fd = -1;
	if (st->readonly) {
		/* Nobody writes it through us; readers need no lock. */
		if (!(how & VC_LOCK_EXCLUSIVE))
			return 0;
		vc_error_set(err, VC_EFAIL,
		    "cannot change the store '%s': it is read-only", st->dir);
		err->sys_errno = EROFS;
		return -1;
	}
	snprintf(name, sizeof name, "%s%s", stem->s, LOCK_SUFFIX);
	op = (how & VC_LOCK_EXCLUSIVE) ? LOCK_EX : LOCK_SH;
	if (how & VC_LOCK_NOWAIT)
		op |= LOCK_NB;
	for (tries = 0; tries < 1000; tries++) {
		fd = openat(st->locks_fd, name,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    0644);
		if (fd != -1 && (fstat(fd, &a) == -1 || !S_ISREG(a.st_mode))) {
			close(fd);
			fd = -1;
			errno = EINVAL;
		}
		if (fd == -1) {
			struct vc_error e2;

			/* A symlink, FIFO or directory: not ours. */
			if (tries < 3 &&
			    (errno == ELOOP || errno == EISDIR ||
			        errno == EINVAL || errno == ENXIO)) {
				vc_error_clear(&e2);
				if (vc_rm_rf_at(st->locks_fd, name, &e2) == 0)
					continue;
			}
			return vc_error_sys(err,
			    "cannot open lock '%s/locks/%s'", st->dir, name);
		}
		/* Held by another process (building this key): say so. */
		r = xflock(fd, op | LOCK_NB);
		if (r == -1 && errno == EWOULDBLOCK && !(op & LOCK_NB)) {
			vc_phase(VC_PHASE_WAITING);
			r = xflock(fd, op);
		}
		if (r == -1) {
			int e = errno;

			close(fd);
			if (e == EWOULDBLOCK) {
				vc_error_set(err, VC_EFAIL,
				    "'%s' is locked by another process",
				    stem->s);
				err->sys_errno = EWOULDBLOCK;
				return -1;
			}
			errno = e;
			return vc_error_sys(err, "cannot lock '%s/locks/%s'",
			    st->dir, name);
		}
		/* gc unlinks the lock file of an entry it removed (holding
		 * the lock): then the lock we hold guards nothing, take the
		 * new file's. */
		if (fstatat(st->locks_fd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			lk->fd = fd;
			return 0;
		}
		close(fd);
	}
	return vc_error_set(err, VC_EFAIL, "cannot lock '%s/locks/%s'", st->dir,
	    name);
}

int
vc_store_lock(struct vc_store *st, const char *key, int how, struct vc_lock *lk,
    struct vc_error *err)
{
	struct stem stem;

	lk->fd = -1;
	if (vc_store_key_check(key, err) == -1)
		return -1;
	stem_of(key, &stem);
	return lock_stem(st, &stem, how, lk, err);
}

void
vc_store_unlock(struct vc_lock *lk)
{
	if (lk->fd != -1)
		close(lk->fd);
	lk->fd = -1;
}

/* Unlinks the lock file of `stem`; call it holding that lock, exclusive. */
static void
drop_lock_file(struct vc_store *st, const struct stem *stem)
{
	char name[STEM_MAX + sizeof LOCK_SUFFIX];

	snprintf(name, sizeof name, "%s%s", stem->s, LOCK_SUFFIX);
	unlinkat(st->locks_fd, name, 0);
}

/* `name` as a stem, or -1 when stem_of() could not have produced it. */
static int
stem_from(const char *name, struct stem *stem)
{
	size_t n = strlen(name);

	if (!is_stem(name, n))
		return -1;
	memcpy(stem->s, name, n + 1);
	return 0;
}

int
vc_store_lock_stem(struct vc_store *st, const char *name, int how,
    struct vc_lock *lk, struct vc_error *err)
{
	struct stem stem;

	lk->fd = -1;
	if (stem_from(name, &stem) == -1)
		return vc_error_set(err, VC_EFAIL,
		    "'%s' is not the file name of a store key", name);
	return lock_stem(st, &stem, how, lk, err);
}

int
vc_store_has_stem(struct vc_store *st, const char *name)
{
	char mname[STEM_MAX + 16];
	struct stem stem;
	struct stat sb;

	if (stem_from(name, &stem) == -1)
		return -1;
	snprintf(mname, sizeof mname, "%s%s", stem.s, MANIFEST_SUFFIX);
	return fstatat(st->entries_fd, mname, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

void
vc_store_unlock_stem(struct vc_store *st, const char *name, struct vc_lock *lk)
{
	struct stem stem;

	if (lk->fd != -1 && vc_store_has_stem(st, name) == 0 &&
	    stem_from(name, &stem) == 0)
		drop_lock_file(st, &stem);
	vc_store_unlock(lk);
}

/* --- reading ------------------------------------------------------- */

static void
entry_names(const struct stem *stem, char *mname, char *aname, size_t len)
{
	snprintf(mname, len, "%s%s", stem->s, MANIFEST_SUFFIX);
	snprintf(aname, len, "%s%s", stem->s, ARCHIVE_SUFFIX);
}

#define NAME_LEN (STEM_MAX + 16)

/*
 * Reads the manifest of `stem` and opens its archive (fd may be NULL).
 * VC_EMISS when there is no manifest, VC_ECORRUPT when it is bad.
 */
static int
lookup_stem(struct vc_store *st, const struct stem *stem, struct vc_manifest *m,
    int *fd, struct vc_error *err)
{
	char mname[NAME_LEN], aname[NAME_LEN], *where;
	struct stem check;
	struct vc_buf b;
	int mfd, afd, rc = -1;

	if (fd != NULL)
		*fd = -1;
	vc_buf_init(&b);
	entry_names(stem, mname, aname, sizeof mname);
	where = xasprintf("%s/entries/%s", st->dir, mname);
	mfd = open_regular(st->entries_fd, mname, O_RDONLY);
	if (mfd == -1) {
		if (errno == ENOENT)
			vc_error_set(err, VC_EMISS, "no entry for key '%s'",
			    stem->s);
		else {
			vc_error_sys(err, "cannot read '%s'", where);
			err->code = VC_ECORRUPT;
		}
		goto out;
	}
	if (read_fd(mfd, VC_MANIFEST_MAX, &b) == -1) {
		vc_error_sys(err, "cannot read '%s'", where);
		err->code = VC_ECORRUPT;
		close(mfd);
		goto out;
	}
	close(mfd);
	if (vc_manifest_parse(m, b.data, b.len, where, err) == -1)
		goto out;
	stem_of(m->key, &check);
	if (strcmp(check.s, stem->s) != 0) {
		char *k = printable(m->key);

		vc_error_set(err, VC_ECORRUPT,
		    "%s: the manifest is for another key ('%s')", where, k);
		free(k);
		goto out;
	}
	if (fd != NULL) {
		afd = open_regular(st->entries_fd, aname, O_RDONLY);
		if (afd == -1) {
			if (errno == ENOENT)
				vc_error_set(err, VC_ECORRUPT,
				    "entry '%s': manifest without archive",
				    m->key);
			else {
				vc_error_sys(err,
				    "entry '%s': cannot open '%s/entries/%s'",
				    m->key, st->dir, aname);
				err->code = VC_ECORRUPT;
			}
			goto out;
		}
		*fd = afd;
	}
	rc = 0;
out:
	if (rc != 0)
		vc_manifest_release(m);
	vc_buf_release(&b);
	free(where);
	return rc;
}

int
vc_store_lookup(struct vc_store *st, const char *key, struct vc_manifest *m,
    int *fd, struct vc_error *err)
{
	struct stem stem;

	if (fd != NULL)
		*fd = -1;
	if (vc_store_key_check(key, err) == -1)
		return -1;
	stem_of(key, &stem);
	if (lookup_stem(st, &stem, m, fd, err) == -1) {
		if (err->code == VC_EMISS)
			vc_error_set(err, VC_EMISS, "no entry for key '%s'",
			    key);
		return -1;
	}
	return 0;
}

int
vc_store_verify(struct vc_store *st, const struct vc_manifest *m, int fd,
    struct vc_error *err)
{
	struct stat sb;
	uint64_t size;
	char hex[33];

	(void)st;
	if (fstat(fd, &sb) == -1)
		return vc_error_sys(err, "entry '%s': cannot read its archive",
		    m->key);
	if ((uint64_t)sb.st_size != m->archive_size)
		return vc_error_set(err, VC_ECORRUPT,
		    "entry '%s': the archive has %llu bytes, its manifest "
		    "says %llu",
		    m->key, (unsigned long long)sb.st_size,
		    (unsigned long long)m->archive_size);
	if (vc_archive_checksum(fd, hex, &size, err) == -1)
		return vc_error_prefix(err, "entry '%s'", m->key);
	if (size != m->archive_size)
		return vc_error_set(err, VC_ECORRUPT,
		    "entry '%s': the archive changed while it was read (%llu "
		    "bytes, its manifest says %llu)",
		    m->key, (unsigned long long)size,
		    (unsigned long long)m->archive_size);
	if (strcmp(hex, m->checksum) != 0)
		return vc_error_set(err, VC_ECORRUPT,
		    "entry '%s': the archive's checksum is %s, its manifest "
		    "says %s",
		    m->key, hex, m->checksum);
	return 0;
}

void
vc_store_touch(struct vc_store *st, const char *key)
{
	char mname[NAME_LEN], aname[NAME_LEN];
	struct stem stem;

	if (st->readonly || vc_store_key_check(key, NULL) == -1)
		return;
	stem_of(key, &stem);
	entry_names(&stem, mname, aname, sizeof mname);
	if (utimensat(st->entries_fd, mname, NULL, AT_SYMLINK_NOFOLLOW) == -1)
		vc_debug("cannot touch '%s/entries/%s': %s", st->dir, mname,
		    strerror(errno));
}

void
vc_store_mark_used(const char *dir, const char *key)
{
	char mname[NAME_LEN], aname[NAME_LEN], *path;
	time_t now = time(NULL);
	struct stem stem;
	struct stat sb;

	if (vc_store_key_check(key, NULL) == -1)
		return;
	stem_of(key, &stem);
	entry_names(&stem, mname, aname, sizeof mname);
	path = xasprintf("%s/entries/%s", dir, mname);
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mtime > now || now - sb.st_mtime >= 60) &&
	    utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) == -1)
		vc_debug("cannot mark '%s' used: %s", path, strerror(errno));
	free(path);
}

static int
remove_stem(struct vc_store *st, const struct stem *stem, struct vc_error *err)
{
	char mname[NAME_LEN], aname[NAME_LEN];

	entry_names(stem, mname, aname, sizeof mname);
	if (vc_rm_rf_at(st->entries_fd, mname, err) == -1 ||
	    vc_rm_rf_at(st->entries_fd, aname, err) == -1)
		return vc_error_prefix(err, "'%s/entries'", st->dir);
	if (fsync(st->entries_fd) == -1)
		return vc_error_sys(err, "cannot sync '%s/entries'", st->dir);
	return 0;
}

int
vc_store_remove(struct vc_store *st, const char *key, struct vc_error *err)
{
	struct stem stem;

	if (vc_store_key_check(key, err) == -1)
		return -1;
	stem_of(key, &stem);
	return remove_stem(st, &stem, err);
}

/* --- writing ------------------------------------------------------- */

/*
 * Creates a file in tmp/ and holds an exclusive flock on it until it is
 * closed: clean_tmp() removes only files whose lock is free.
 */
static int
tmp_create(struct vc_store *st, const char *kind, char **out,
    struct vc_error *err)
{
	struct stat sb;
	char rnd[17], *name;
	int fd, tries;

	*out = NULL;
	for (tries = 0; tries < 100; tries++) {
		random_hex(rnd);
		name = xasprintf("%s.%ld.%s", kind, (long)getpid(), rnd);
		fd = openat(st->tmp_fd, name,
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd == -1) {
			if (errno == EEXIST) {
				free(name);
				continue;
			}
			vc_error_sys(err, "cannot create '%s/tmp/%s'", st->dir,
			    name);
			free(name);
			return -1;
		}
		if (xflock(fd, LOCK_EX) == -1) {
			vc_error_sys(err, "cannot lock '%s/tmp/%s'", st->dir,
			    name);
			unlinkat(st->tmp_fd, name, 0);
			close(fd);
			free(name);
			return -1;
		}
		/* A clean_tmp() between openat and flock removed it. */
		if (fstat(fd, &sb) == 0 && sb.st_nlink > 0) {
			*out = name;
			return fd;
		}
		close(fd);
		free(name);
	}
	return vc_error_set(err, VC_EFAIL, "cannot create a file in '%s/tmp'",
	    st->dir);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

int
vc_store_begin(struct vc_store *st, const char *key, struct vc_store_txn *txn,
    struct vc_error *err)
{
	char *name;
	int fd;

	txn->key = NULL;
	txn->tmp_archive = NULL;
	txn->fd = -1;
	if (vc_store_key_check(key, err) == -1)
		return -1;
	if (st->readonly) {
		vc_error_set(err, VC_EFAIL,
		    "cannot save into the store '%s': it is read-only",
		    st->dir);
		err->sys_errno = EROFS;
		return -1;
	}
	if ((fd = tmp_create(st, "archive", &name, err)) == -1)
		return -1;
	txn->key = xstrdup(key);
	txn->tmp_archive = xasprintf("%s/tmp/%s", st->dir, name);
	txn->fd = fd;
	free(name);
	return 0;
}

int
vc_store_commit(struct vc_store *st, struct vc_store_txn *txn,
    const struct vc_manifest *m, struct vc_error *err)
{
	char mname[NAME_LEN], aname[NAME_LEN], *text = NULL, *mtmp = NULL;
	struct stem stem;
	struct stat sb;
	int mfd = -1, rc = -1, renamed = 0;

	if (txn->fd == -1 || txn->tmp_archive == NULL || txn->key == NULL)
		return vc_error_set(err, VC_EFAIL, "no entry is being written");
	if (m->key == NULL || strcmp(m->key, txn->key) != 0)
		return vc_error_set(err, VC_EFAIL,
		    "the manifest is not for key '%s'", txn->key);
	if (vc_manifest_validate(m, "new manifest", err) == -1)
		return vc_error_prefix(err, "entry '%s'", txn->key);
	if (fstat(txn->fd, &sb) == -1)
		return vc_error_sys(err, "cannot read '%s'", txn->tmp_archive);
	if ((uint64_t)sb.st_size != m->archive_size)
		return vc_error_set(err, VC_EFAIL,
		    "entry '%s': the archive has %llu bytes, its manifest "
		    "says %llu",
		    txn->key, (unsigned long long)sb.st_size,
		    (unsigned long long)m->archive_size);
	if ((text = vc_manifest_format(m)) == NULL)
		return vc_error_set(err, VC_EFAIL,
		    "entry '%s': the manifest has text that is not UTF-8",
		    txn->key);
	stem_of(txn->key, &stem);
	entry_names(&stem, mname, aname, sizeof mname);
	if (fsync(txn->fd) == -1) {
		vc_error_sys(err, "cannot sync '%s'", txn->tmp_archive);
		goto out;
	}
	/* An older entry of the key stops being one before its archive is
	 * replaced: never an old manifest over a new archive. */
	if (unlinkat(st->entries_fd, mname, 0) == 0) {
		if (fsync(st->entries_fd) == -1) {
			vc_error_sys(err, "cannot sync '%s/entries'", st->dir);
			goto out;
		}
	} else if (errno != ENOENT) {
		vc_error_sys(err, "cannot replace '%s/entries/%s'", st->dir,
		    mname);
		goto out;
	}
	if (renameat(st->tmp_fd, base_name(txn->tmp_archive), st->entries_fd,
	        aname) == -1) {
		vc_error_sys(err, "cannot rename '%s' to '%s/entries/%s'",
		    txn->tmp_archive, st->dir, aname);
		goto out;
	}
	renamed = 1;
	free(txn->tmp_archive);
	txn->tmp_archive = NULL;
	if (fsync(st->entries_fd) == -1) {
		vc_error_sys(err, "cannot sync '%s/entries'", st->dir);
		goto out;
	}
	if ((mfd = tmp_create(st, "manifest", &mtmp, err)) == -1)
		goto out;
	if (write_all(mfd, text, strlen(text)) == -1 || fsync(mfd) == -1) {
		vc_error_sys(err, "cannot write '%s/tmp/%s'", st->dir, mtmp);
		goto out;
	}
	if (renameat(st->tmp_fd, mtmp, st->entries_fd, mname) == -1) {
		vc_error_sys(err,
		    "cannot rename '%s/tmp/%s' to '%s/entries/%s'", st->dir,
		    mtmp, st->dir, mname);
		goto out;
	}
	free(mtmp);
	mtmp = NULL;
	if (fsync(st->entries_fd) == -1) {
		vc_error_sys(err, "cannot sync '%s/entries'", st->dir);
		goto out;
	}
	close(txn->fd);
	txn->fd = -1;
	rc = 0;
out:
	if (mfd != -1)
		close(mfd);
	if (mtmp != NULL)
		unlinkat(st->tmp_fd, mtmp, 0);
	/* An archive without manifest is no entry: do not leave it. */
	if (rc != 0 && renamed)
		unlinkat(st->entries_fd, aname, 0);
	free(mtmp);
	free(text);
	return rc;
}

void
vc_store_abort(struct vc_store *st, struct vc_store_txn *txn)
{
	if (txn->tmp_archive != NULL) {
		/* Still holding its lock: no clean_tmp() races with this. */
		unlinkat(st->tmp_fd, base_name(txn->tmp_archive), 0);
		free(txn->tmp_archive);
		txn->tmp_archive = NULL;
	}
	if (txn->fd != -1)
		close(txn->fd);
	txn->fd = -1;
	free(txn->key);
	txn->key = NULL;
}

/* --- listing ------------------------------------------------------- */

/* A stem found in entries/, with what it has. */
struct item {
	struct stem stem;
	int has_manifest, has_archive;
	struct stat ms, as;
};

struct scan {
	struct item *v;
	size_t n, cap;
	struct vc_strv stray; /* entry-like names that no key can have */
};

static int
item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->stem.s,
	    ((const struct item *)b)->stem.s);
}

static void
scan_release(struct scan *sc)
{
	free(sc->v);
	vc_strv_release(&sc->stray);
}

static int
scan(struct vc_store *st, struct scan *sc, struct vc_error *err)
{
	struct dirent *de;
	struct item *it;
	size_t i, j, len;
	DIR *d;
	int dfd, kind;

	memset(sc, 0, sizeof *sc);
	vc_strv_init(&sc->stray);
	dfd = openat(st->entries_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return vc_error_sys(err, "cannot read '%s/entries'", st->dir);
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (vc_str_endswith(de->d_name, MANIFEST_SUFFIX)) {
			kind = 0;
			len -= strlen(MANIFEST_SUFFIX);
		} else if (vc_str_endswith(de->d_name, ARCHIVE_SUFFIX)) {
			kind = 1;
			len -= strlen(ARCHIVE_SUFFIX);
		} else {
			continue;
		}
		if (!is_stem(de->d_name, len)) {
			vc_strv_push(&sc->stray, de->d_name);
			continue;
		}
		sc->v = xgrow(sc->v, &sc->cap, sc->n + 1, sizeof *sc->v);
		it = &sc->v[sc->n++];
		memset(it, 0, sizeof *it);
		memcpy(it->stem.s, de->d_name, len);
		it->stem.s[len] = '\0';
		if (kind == 0)
			it->has_manifest = 1;
		else
			it->has_archive = 1;
	}
	closedir(d);
	if (sc->n > 1)
		qsort(sc->v, sc->n, sizeof *sc->v, item_cmp);
	/* Merge the manifest and archive of each stem. */
	for (i = 0, j = 0; i < sc->n; i++) {
		if (j > 0 &&
		    strcmp(sc->v[j - 1].stem.s, sc->v[i].stem.s) == 0) {
			sc->v[j - 1].has_manifest |= sc->v[i].has_manifest;
			sc->v[j - 1].has_archive |= sc->v[i].has_archive;
			continue;
		}
		sc->v[j++] = sc->v[i];
	}
	sc->n = j;
	for (i = 0; i < sc->n; i++) {
		char mname[NAME_LEN], aname[NAME_LEN];

		it = &sc->v[i];
		entry_names(&it->stem, mname, aname, sizeof mname);
		if (it->has_manifest &&
		    fstatat(st->entries_fd, mname, &it->ms,
		        AT_SYMLINK_NOFOLLOW) == -1)
			it->has_manifest = 0;
		if (it->has_archive &&
		    fstatat(st->entries_fd, aname, &it->as,
		        AT_SYMLINK_NOFOLLOW) == -1)
			it->has_archive = 0;
	}
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct vc_store_entry *x = a, *y = b;

	if (x->last_used != y->last_used)
		return x->last_used > y->last_used ? -1 : 1;
	if (x->last_used_nsec != y->last_used_nsec)
		return x->last_used_nsec > y->last_used_nsec ? -1 : 1;
	return strcmp(x->m.key, y->m.key);
}

#define FUTURE_SKEW 3600 /* seconds a last use may be ahead of now */

static void
fill_entry(struct vc_store_entry *e, const struct item *it)
{
	int64_t now = (int64_t)time(NULL);

	e->size = (uint64_t)it->ms.st_size +
	    (it->has_archive ? (uint64_t)it->as.st_size : 0);
	e->mtime = (int64_t)it->ms.st_mtim.tv_sec;
	e->mtime_nsec = it->ms.st_mtim.tv_nsec;
	e->last_used = e->mtime;
	e->last_used_nsec = e->mtime_nsec;
	if (e->mtime > now) {
		/* Not a time of use: skew is clamped, the rest is oldest. */
		e->last_used = e->mtime - now <= FUTURE_SKEW ? now : 0;
		e->last_used_nsec = 0;
	}
}

/*
 * Every entry with a readable manifest, MRU first. lookup_stem() checked
 * that each was found under stem_of(its key).
 */
static void
list_entries(struct vc_store *st, const struct scan *sc, int warn,
    struct vc_store_entry **out, size_t *n)
{
	struct vc_store_entry *v = NULL;
	struct vc_error e2;
	size_t i, k = 0, cap = 0;

	for (i = 0; i < sc->n; i++) {
		if (!sc->v[i].has_manifest)
			continue;
		v = xgrow(v, &cap, k + 1, sizeof *v);
		memset(&v[k], 0, sizeof v[k]);
		vc_manifest_init(&v[k].m);
		vc_error_clear(&e2);
		if (lookup_stem(st, &sc->v[i].stem, &v[k].m, NULL, &e2) == -1) {
			if (warn && e2.code != VC_EMISS)
				vc_warn("skipping a bad entry: %s (see "
				        "'venvcache verify')",
				    e2.msg);
			continue;
		}
		fill_entry(&v[k], &sc->v[i]);
		k++;
	}
	if (k > 1)
		qsort(v, k, sizeof *v, entry_cmp);
	*out = v;
	*n = k;
}

void
vc_store_entries_free(struct vc_store_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		vc_manifest_release(&v[i].m);
	free(v);
}

int
vc_store_list(struct vc_store *st, struct vc_store_entry **out, size_t *n,
    struct vc_error *err)
{
	struct scan sc;

	*out = NULL;
	*n = 0;
	if (scan(st, &sc, err) == -1)
		return -1;
	list_entries(st, &sc, 1, out, n);
	scan_release(&sc);
	return 0;
}

int
vc_store_find_related(struct vc_store *st, const char *restore_key,
    struct vc_store_entry **out, size_t *n, struct vc_error *err)
{
	struct vc_store_entry *v;
	struct scan sc;
	size_t i, k = 0, total;

	*out = NULL;
	*n = 0;
	if (scan(st, &sc, err) == -1)
		return -1;
	list_entries(st, &sc, 0, &v, &total);
	scan_release(&sc);
	for (i = 0; i < total; i++) {
		if (vc_str_startswith(v[i].m.key, restore_key))
			v[k++] = v[i];
		else
			vc_manifest_release(&v[i].m);
	}
	if (k == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	return 0;
}

/* --- gc ------------------------------------------------------------ */

/*
 * Whether the manifest of `stem` is still the one `e` was listed from:
 * not replaced by a new save, nor used since.
 */
static int
unchanged(struct vc_store *st, const struct stem *stem,
    const struct vc_store_entry *e)
{
	char mname[NAME_LEN], aname[NAME_LEN];
	struct stat sb;

	entry_names(stem, mname, aname, sizeof mname);
	if (fstatat(st->entries_fd, mname, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return (int64_t)sb.st_mtim.tv_sec == e->mtime &&
	    sb.st_mtim.tv_nsec == e->mtime_nsec;
}

/*
 * Removes an archive without manifest when nobody holds its key: the
 * leftover of a crash between the two renames of a commit (a commit in
 * progress holds the lock). 1 when removed, 0 when busy or not orphan.
 */
static int
remove_orphan(struct vc_store *st, const struct item *it, int dry_run)
{
	char mname[NAME_LEN], aname[NAME_LEN];
	struct vc_lock lk;
	struct vc_error e2;
	struct stat sb;
	int removed = 0;

	vc_error_clear(&e2);
	if (lock_stem(st, &it->stem, VC_LOCK_EXCLUSIVE | VC_LOCK_NOWAIT, &lk,
	        &e2) == -1)
		return 0;
	entry_names(&it->stem, mname, aname, sizeof mname);
	if (fstatat(st->entries_fd, mname, &sb, AT_SYMLINK_NOFOLLOW) == -1 &&
	    errno == ENOENT) {
		if (dry_run || vc_rm_rf_at(st->entries_fd, aname, &e2) == 0) {
			removed = 1;
			if (!dry_run)
				drop_lock_file(st, &it->stem);
		}
	}
	vc_store_unlock(&lk);
	return removed;
}

/* Removes the lock files of keys without entry that nobody holds. */
static void
clean_locks(struct vc_store *st)
{
	char mname[NAME_LEN], aname[NAME_LEN];
	struct dirent *de;
	struct vc_lock lk;
	struct vc_error e2;
	struct stem stem;
	struct stat sb;
	size_t len;
	DIR *d;
	int dfd;

	dfd = openat(st->locks_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!vc_str_endswith(de->d_name, LOCK_SUFFIX))
			continue;
		len = strlen(de->d_name) - strlen(LOCK_SUFFIX);
		if (!is_stem(de->d_name, len))
			continue;
		memcpy(stem.s, de->d_name, len);
		stem.s[len] = '\0';
		entry_names(&stem, mname, aname, sizeof mname);
		if (fstatat(st->entries_fd, mname, &sb, AT_SYMLINK_NOFOLLOW) ==
		        0 ||
		    fstatat(st->entries_fd, aname, &sb, AT_SYMLINK_NOFOLLOW) ==
		        0)
			continue;
		vc_error_clear(&e2);
		if (lock_stem(st, &stem, VC_LOCK_EXCLUSIVE | VC_LOCK_NOWAIT,
		        &lk, &e2) == -1)
			continue;
		if (fstatat(st->entries_fd, mname, &sb, AT_SYMLINK_NOFOLLOW) ==
		        -1 &&
		    fstatat(st->entries_fd, aname, &sb, AT_SYMLINK_NOFOLLOW) ==
		        -1)
			drop_lock_file(st, &stem);
		vc_store_unlock(&lk);
	}
	closedir(d);
}

int
vc_store_gc_report(struct vc_store *st, uint64_t max_size, uint64_t max_age,
    int dry_run, struct vc_gc_result *res,
    void (*report)(const struct vc_store_entry *, enum vc_gc_what, void *),
    void *arg, struct vc_error *err)
{
	struct vc_store_entry *v = NULL;
	struct vc_error e2;
	struct vc_lock lk;
	struct stem stem;
	struct scan sc;
	uint64_t total = 0;
	int64_t now = (int64_t)time(NULL);
	size_t i, n = 0;
	int expired;

	memset(res, 0, sizeof *res);
	if (st->readonly && !dry_run)
		return vc_error_set(err, VC_EFAIL,
		    "cannot remove entries of the store '%s': it is read-only",
		    st->dir);
	if (scan(st, &sc, err) == -1)
		return -1;
	for (i = 0; i < sc.n; i++)
		if (sc.v[i].has_archive && !sc.v[i].has_manifest)
			remove_orphan(st, &sc.v[i], dry_run);
	list_entries(st, &sc, 0, &v, &n);
	scan_release(&sc);
	for (i = 0; i < n; i++)
		total += v[i].size;
	/* Least recently used first. */
	for (i = n; i-- > 0;) {
		struct vc_store_entry *e = &v[i];

		stem_of(e->m.key, &stem);
		expired = max_age > 0 && now > e->last_used &&
		    (uint64_t)(now - e->last_used) > max_age;
		if (!expired && (max_size == 0 || total <= max_size))
			continue;
		vc_error_clear(&e2);
		if (lock_stem(st, &stem, VC_LOCK_EXCLUSIVE | VC_LOCK_NOWAIT,
		        &lk, &e2) == -1) {
			res->busy++;
			if (report != NULL)
				report(e, VC_GC_BUSY, arg);
			continue;
		}
		if (!unchanged(st, &stem, e)) {
			vc_store_unlock(&lk); /* saved or used meanwhile */
			continue;
		}
		if (!dry_run) {
			if (remove_stem(st, &stem, &e2) == -1) {
				vc_warn("gc: %s", e2.msg);
				vc_store_unlock(&lk);
				continue;
			}
			drop_lock_file(st, &stem);
		}
		vc_store_unlock(&lk);
		res->removed++;
		res->freed += e->size;
		total -= e->size;
		if (report != NULL)
			report(e, VC_GC_REMOVED, arg);
	}
	if (!dry_run)
		clean_locks(st);
	res->kept = n - res->removed;
	res->kept_size = total;
	vc_store_entries_free(v, n);
	return 0;
}

int
vc_store_gc(struct vc_store *st, uint64_t max_size, uint64_t max_age,
    int dry_run, struct vc_gc_result *res, struct vc_error *err)
{
	return vc_store_gc_report(st, max_size, max_age, dry_run, res, NULL,
	    NULL, err);
}

/* --- check --------------------------------------------------------- */

/* verify --deep: a second reading of the archive, by libarchive. */
static int
deep_check(const struct vc_manifest *m, int fd, struct vc_error *err)
{
	if (vc_archive_deep_check(fd, m->file_count, m->unpacked_size, err) ==
	    0)
		return 0;
	return vc_error_prefix(err, "entry '%s'", m->key);
}

static void
check_one(struct vc_store *st, const struct item *it, unsigned flags,
    struct vc_check_result *res,
    void (*report)(const struct vc_check_item *, void *), void *arg)
{
	struct vc_check_item ci;
	struct vc_manifest m;
	struct vc_error e2;
	struct vc_lock lk;
	int fd = -1, fix = (flags & VC_CHECK_FIX) != 0;

	memset(&ci, 0, sizeof ci);
	ci.key = it->stem.s;
	ci.size = (it->has_manifest ? (uint64_t)it->ms.st_size : 0) +
	    (it->has_archive ? (uint64_t)it->as.st_size : 0);
	vc_manifest_init(&m);
	vc_error_clear(&e2);
	if (!it->has_manifest) {
		if (remove_orphan(st, it, 0)) {
			ci.status = VC_CHECK_ORPHAN;
			res->orphans++;
		} else {
			ci.status = VC_CHECK_BUSY;
			res->busy++;
		}
		goto done;
	}
	if (lock_stem(st, &it->stem,
	        (fix ? VC_LOCK_EXCLUSIVE : VC_LOCK_SHARED) | VC_LOCK_NOWAIT,
	        &lk, &e2) == -1) {
		if (e2.sys_errno == EWOULDBLOCK) {
			ci.status = VC_CHECK_BUSY;
			res->busy++;
			goto done;
		}
		if (fix) {
			/* Cannot lock, so cannot remove: an error. */
			ci.reason = e2.msg;
			ci.status = VC_CHECK_BAD;
			res->bad++;
			goto done;
		}
		/* Cannot lock (EACCES, EROFS): reading needs no lock. */
		vc_debug("%s: checking without the lock", e2.msg);
		vc_error_clear(&e2);
	}
	if (lookup_stem(st, &it->stem, &m, &fd, &e2) == 0) {
		ci.key = m.key;
		if (vc_store_verify(st, &m, fd, &e2) == 0 &&
		    (!(flags & VC_CHECK_DEEP) ||
		        deep_check(&m, fd, &e2) == 0)) {
			ci.status = VC_CHECK_OK;
			res->ok++;
			goto unlock;
		}
	} else if (e2.code == VC_EMISS) {
		/* Removed since the scan: nothing to say. */
		vc_store_unlock(&lk);
		goto out;
	}
	ci.reason = e2.msg;
	ci.status = VC_CHECK_BAD;
	if (fix) {
		struct vc_error e3;

		vc_error_clear(&e3);
		if (remove_stem(st, &it->stem, &e3) == 0) {
			drop_lock_file(st, &it->stem);
			ci.status = VC_CHECK_REMOVED;
		} else {
			vc_warn("%s", e3.msg);
		}
	}
	if (ci.status == VC_CHECK_REMOVED)
		res->removed++;
	else
		res->bad++;
unlock:
	vc_store_unlock(&lk);
done:
	if (report != NULL)
		report(&ci, arg);
out:
	if (fd != -1)
		close(fd);
	vc_manifest_release(&m);
}

int
vc_store_check(struct vc_store *st, unsigned flags, struct vc_check_result *res,
    void (*report)(const struct vc_check_item *, void *), void *arg,
    struct vc_error *err)
{
	int fix = (flags & VC_CHECK_FIX) != 0;
	struct vc_check_item ci;
	struct vc_error e2;
	struct scan sc;
	size_t i;

	memset(res, 0, sizeof *res);
	if (scan(st, &sc, err) == -1)
		return -1;
	for (i = 0; i < sc.stray.n; i++) {
		char *name = printable(sc.stray.v[i]);

		memset(&ci, 0, sizeof ci);
		ci.key = name;
		ci.reason = "not the name of an entry";
		ci.status = VC_CHECK_BAD;
		vc_error_clear(&e2);
		if (fix && vc_rm_rf_at(st->entries_fd, sc.stray.v[i], &e2) == 0)
			ci.status = VC_CHECK_REMOVED;
		if (ci.status == VC_CHECK_REMOVED)
			res->removed++;
		else
			res->bad++;
		if (report != NULL)
			report(&ci, arg);
		free(name);
	}
	for (i = 0; i < sc.n; i++)
		check_one(st, &sc.v[i], flags, res, report, arg);
	scan_release(&sc);
	return 0;
}
