/*
 * stats.c: the counters in <cache-dir>/stats.json.
 *
 *   {"format": 1, "zeroed": <unix time or 0>, "counters": {"hits": 3, ...}}
 *
 * Updates take an exclusive flock on <cache-dir>/stats.lock, read the
 * file, add, write stats.json.tmp (O_EXCL: removed first, under the lock)
 * and rename it over stats.json, so a reader never sees half a file and
 * concurrent updates never lose one another. Counters this version does
 * not know (written by a newer one) are kept as they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "venvcache/log.h"
#include "venvcache/stats.h"
#include "venvcache/util.h"

#define STATS_FORMAT 1
#define STATS_MAX (1u << 20)

const char *const vc_counter_ids[VC_C__COUNT] = {
#define VC_X_ID(id, desc) #id,
    VC_COUNTERS(VC_X_ID)
#undef VC_X_ID
};

const char *const vc_counter_descriptions[VC_C__COUNT] = {
#define VC_X_DESC(id, desc) desc,
    VC_COUNTERS(VC_X_DESC)
#undef VC_X_DESC
};

void
vc_stats_init(struct vc_stats *s)
{
	memset(s, 0, sizeof *s);
}

/*
 * Loads and checks stats.json into *root (NULL when there is none).
 * VC_ECORRUPT when it is not a stats file this version reads.
 */
static int
load(const char *path, json_t **root, struct vc_error *err)
{
	json_error_t je;
	json_t *r = NULL, *v, *c;
	struct vc_buf b;
	struct stat sb;
	const char *k;
	ssize_t n;
	int fd, rc = -1;

	*root = NULL;
	vc_buf_init(&b);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		return vc_error_sys(err, "cannot read '%s'", path);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > STATS_MAX) {
		vc_error_set(err, VC_ECORRUPT, "'%s' is not a stats file",
		    path);
		goto out;
	}
	vc_buf_grow(&b, (size_t)sb.st_size + 1);
	while ((n = read(fd, b.data + b.len, b.cap - b.len - 1)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			vc_error_sys(err, "cannot read '%s'", path);
			goto out;
		}
		b.len += (size_t)n;
		if (b.len > STATS_MAX) {
			vc_error_set(err, VC_ECORRUPT,
			    "'%s' is not a stats file", path);
			goto out;
		}
		if (b.len + 1 >= b.cap)
			vc_buf_grow(&b, 4096);
	}
	r = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
	if (r == NULL) {
		vc_error_set(err, VC_ECORRUPT, "%s:%d:%d: %s", path, je.line,
		    je.column, je.text);
		goto out;
	}
	v = json_object_get(r, "format");
	if (!json_is_object(r) || !json_is_integer(v)) {
		vc_error_set(err, VC_ECORRUPT, "'%s' is not a stats file",
		    path);
		goto out;
	}
	if (json_integer_value(v) != STATS_FORMAT) {
		vc_error_set(err, VC_ECORRUPT,
		    "'%s' has format %lld; this venvcache reads format %d",
		    path, (long long)json_integer_value(v), STATS_FORMAT);
		goto out;
	}
	v = json_object_get(r, "zeroed");
	c = json_object_get(r, "counters");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    !json_is_object(c)) {
		vc_error_set(err, VC_ECORRUPT,
		    "'%s': 'zeroed' or 'counters' is missing or not valid",
		    path);
		goto out;
	}
	json_object_foreach(c, k, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			vc_error_set(err, VC_ECORRUPT,
			    "'%s': counter '%.64s' is not a count", path, k);
			goto out;
		}
	}
	*root = r;
	r = NULL;
	rc = 0;
out:
	json_decref(r);
	vc_buf_release(&b);
	close(fd);
	return rc;
}

static json_t *
fresh(void)
{
	json_t *r = json_object();

	json_object_set_new(r, "format", json_integer(STATS_FORMAT));
	json_object_set_new(r, "zeroed", json_integer(0));
	json_object_set_new(r, "counters", json_object());
	return r;
}

int
vc_stats_read(const char *cache_dir, struct vc_stats *s, struct vc_error *err)
{
	char *path = vc_path_join(cache_dir, "stats.json");
	json_t *root = NULL, *c, *v;
	size_t i;
	int rc = -1;

	vc_stats_init(s);
	if (load(path, &root, err) == -1)
		goto out;
	if (root != NULL) {
		s->zeroed = json_integer_value(json_object_get(root, "zeroed"));
		c = json_object_get(root, "counters");
		for (i = 0; i < VC_C__COUNT; i++)
			if ((v = json_object_get(c, vc_counter_ids[i])) != NULL)
				s->c[i] = (uint64_t)json_integer_value(v);
	}
	rc = 0;
out:
	json_decref(root);
	free(path);
	return rc;
}

/* Writes `root` over <dir>/stats.json; the caller holds the stats lock. */
static int
save_json(int dirfd, const char *dir, json_t *root, struct vc_error *err)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t len, off = 0;
	ssize_t n;
	int fd = -1, rc = -1;

	if (text == NULL)
		abort(); /* out of memory: every value is ours */
	len = strlen(text);
	text[len++] = '\n'; /* over the NUL: written by length */
	unlinkat(dirfd, "stats.json.tmp", 0);
	fd = openat(dirfd, "stats.json.tmp",
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1) {
		vc_error_sys(err, "cannot create '%s/stats.json.tmp'", dir);
		goto out;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			vc_error_sys(err, "cannot write '%s/stats.json.tmp'",
			    dir);
			goto out;
		}
		off += (size_t)n;
	}
	/*
	 * No fsync: the counters are advisory, and every warm writes them (a
	 * no-op too), where one fsync costs ~10 ms on a disk (most of a
	 * no-op). After a power failure the file is the old one or, at worst,
	 * empty or corrupt: update() then counts from zero, with a warning.
	 */
	if (renameat(dirfd, "stats.json.tmp", dirfd, "stats.json") == -1) {
		vc_error_sys(err, "cannot write '%s/stats.json'", dir);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlinkat(dirfd, "stats.json.tmp", 0);
	free(text);
	return rc;
}

/*
 * Runs one update: under the lock, loads stats.json (a corrupt one
 * starts again from zero, with a warning), calls `apply`, stores it.
 */
static int
update(const char *dir, void (*apply)(json_t *, const void *), const void *arg,
    struct vc_error *err)
{
	char *path = NULL;
	json_t *root = NULL;
	struct vc_error e2;
	int dirfd = -1, lockfd = -1, rc = -1;

	if (vc_mkdir_p(dir, 0755, err) == -1)
		return -1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		vc_error_sys(err, "cannot open '%s'", dir);
		goto out;
	}
	lockfd = openat(dirfd, "stats.lock",
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (lockfd == -1) {
		vc_error_sys(err, "cannot open '%s/stats.lock'", dir);
		goto out;
	}
	for (;;) {
		if (flock(lockfd, LOCK_EX) == 0)
			break;
		if (errno != EINTR) {
			vc_error_sys(err, "cannot lock '%s/stats.lock'", dir);
			goto out;
		}
	}
	path = vc_path_join(dir, "stats.json");
	vc_error_clear(&e2);
	if (load(path, &root, &e2) == -1) {
		if (e2.code != VC_ECORRUPT) {
			*err = e2;
			goto out;
		}
		vc_warn("%s; counting again from zero", e2.msg);
	}
	if (root == NULL)
		root = fresh();
	apply(root, arg);
	rc = save_json(dirfd, dir, root, err);
out:
	json_decref(root);
	free(path);
	if (lockfd != -1)
		close(lockfd);
	if (dirfd != -1)
		close(dirfd);
	return rc;
}

static void
apply_add(json_t *root, const void *arg)
{
	const struct vc_stats *d = arg;
	json_t *c = json_object_get(root, "counters"), *v;
	uint64_t cur, sum;
	size_t i;

	for (i = 0; i < VC_C__COUNT; i++) {
		v = json_object_get(c, vc_counter_ids[i]);
		cur = v != NULL ? (uint64_t)json_integer_value(v) : 0;
		if (v == NULL && d->c[i] == 0)
			continue; /* no noise for counters never used */
		sum = cur + d->c[i];
		if (sum < cur || sum > (uint64_t)INT64_MAX)
			sum = (uint64_t)INT64_MAX; /* saturates */
		json_object_set_new(c, vc_counter_ids[i],
		    json_integer((json_int_t)sum));
	}
}

int
vc_stats_add(const char *cache_dir, const struct vc_stats *delta,
    struct vc_error *err)
{
	/* A read-only store (a shared one, or a read-only mount) keeps no
	 * counters of ours: not an error. */
	if (access(cache_dir, W_OK) == -1 &&
	    (errno == EROFS || errno == EACCES)) {
		vc_debug("not counting in '%s': %s", cache_dir,
		    strerror(errno));
		return 0;
	}
	return update(cache_dir, apply_add, delta, err);
}

static void
apply_zero(json_t *root, const void *arg)
{
	json_t *c = json_object_get(root, "counters"), *v;
	const char *k;

	(void)arg;
	json_object_foreach(c, k, v)
	{
		json_integer_set(v, 0);
	}
	json_object_set_new(root, "zeroed",
	    json_integer((json_int_t)time(NULL)));
}

int
vc_stats_zero(const char *cache_dir, struct vc_error *err)
{
	return update(cache_dir, apply_zero, NULL, err);
}
