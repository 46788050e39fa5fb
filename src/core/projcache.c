/* projcache.c: the project's installed files, kept and put back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <xxhash.h>

#include "venvcache/archive.h"
#include "venvcache/log.h"
#include "venvcache/projcache.h"
#include "venvcache/store.h"
#include "venvcache/trust.h"

/* An entry larger than this is neither kept nor extracted. */
#define ENTRY_MAX_FILES 4096
#define ENTRY_MAX_BYTES (64ull << 20)

static void
hex128(XXH128_hash_t h, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	XXH128_canonical_t c;
	size_t i;

	XXH128_canonicalFromHash(&c, h);
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[c.digest[i] >> 4];
		out[2 * i + 1] = hex[c.digest[i] & 15];
	}
	out[32] = '\0';
}

void
vc_projcache_hash_text(const char *text, char out[33])
{
	hex128(XXH3_128bits(text, strlen(text)), out);
}

/* --- the tree's hash ----------------------------------------------- */

struct walk {
	XXH3_state_t *st;
	struct stat skip[8];
	size_t nskip;
	uint64_t files, bytes;
	int too_big;
	struct vc_error *err;
	char buf[65536];
};

static int
skipped_name(const char *n)
{
	static const char *const names[] = {".tox", ".nox", ".venv", "build",
	    "dist", "__pycache__", "node_modules", NULL};
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(n, names[i]) == 0)
			return 1;
	return vc_str_endswith(n, ".egg-info");
}

/*
 * A record: type, path and NUL, the length of what follows and NUL, then
 * `extra` when it is not NULL (a file's bytes follow from the caller).
 */
static void
feed(struct walk *w, const char *type, const char *rel, const char *extra,
    size_t elen)
{
	char n[32];

	XXH3_128bits_update(w->st, type, strlen(type));
	XXH3_128bits_update(w->st, rel, strlen(rel) + 1);
	snprintf(n, sizeof n, "%zu", elen);
	XXH3_128bits_update(w->st, n, strlen(n) + 1);
	if (extra != NULL && elen > 0)
		XXH3_128bits_update(w->st, extra, elen);
}

static int
count(struct walk *w, uint64_t bytes)
{
	w->files++;
	w->bytes += bytes;
	if (w->files > VC_PROJCACHE_MAX_FILES ||
	    w->bytes > VC_PROJCACHE_MAX_BYTES) {
		w->too_big = 1;
		return vc_error_set(w->err, VC_EFAIL,
		    "the project's tree has more than %d files or %llu MiB",
		    VC_PROJCACHE_MAX_FILES,
		    (unsigned long long)(VC_PROJCACHE_MAX_BYTES >> 20));
	}
	return 0;
}

static int
hash_file(struct walk *w, int dfd, const char *name, const char *rel,
    const struct stat *sb)
{
	int fd;
	ssize_t n;
	uint64_t left = (uint64_t)sb->st_size;

	if (count(w, left) == -1)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return vc_error_sys(w->err, "cannot open '%s'", rel);
	/* The size first, then exactly that many bytes. */
	feed(w, (sb->st_mode & 0111) ? "fx " : "f ", rel, NULL, (size_t)left);
	while (left > 0) {
		n = read(fd, w->buf,
		    left < sizeof w->buf ? (size_t)left : sizeof w->buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return vc_error_set(w->err, VC_EFAIL,
			    "'%s' changed while it was read", rel);
		}
		XXH3_128bits_update(w->st, w->buf, (size_t)n);
		left -= (uint64_t)n;
	}
	close(fd);
	return 0;
}

/* A small file under `dfd`, or NULL when it is not there. */
static char *
read_small(int dfd, const char *path, size_t max, size_t *len)
{
	struct vc_buf b;
	ssize_t n;
	int fd = vc_openat_beneath(dfd, path, O_RDONLY | O_NONBLOCK, 0);

	if (fd == -1)
		return NULL;
	vc_buf_init(&b);
	for (;;) {
		vc_buf_grow(&b, 4096);
		n = read(fd, b.data + b.len, 4096);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += (size_t)n;
		if (b.len > max)
			break;
	}
	close(fd);
	vc_buf_addc(&b, '\0');
	*len = b.len - 1;
	return vc_buf_detach(&b);
}

/*
 * .git: its HEAD and the ref HEAD names (setuptools-scm's version comes
 * from them), or packed-refs when the ref is packed; not the objects.
 */
static void
hash_git(struct walk *w, int gfd, const char *rel)
{
	char *head, *ref = NULL, *text, *p;
	size_t len;

	head = read_small(gfd, "HEAD", 4096, &len);
	if (head == NULL)
		return;
	p = xasprintf("%s/HEAD", rel);
	feed(w, "g ", p, head, len);
	free(p);
	if (strncmp(head, "ref: ", 5) == 0) {
		ref = xstrndup(head + 5, strcspn(head + 5, "\r\n"));
		p = vc_path_normalize(ref);
		if (p != NULL && vc_str_startswith(p, "refs/")) {
			text = read_small(gfd, p, 4096, &len);
			if (text == NULL) {
				free(p);
				p = xstrdup("packed-refs");
				text = read_small(gfd, p, 16 << 20, &len);
			}
			if (text != NULL) {
				char *r = xasprintf("%s/%s", rel, p);

				feed(w, "g ", r, text, len);
				free(r);
				free(text);
			}
		}
		free(p);
	}
	free(ref);
	free(head);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
walk_dir(struct walk *w, int dfd, const char *rel)
{
	struct vc_strv names;
	struct dirent *de;
	DIR *d;
	size_t i;
	int fd, rc = -1;

	vc_strv_init(&names);
	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return vc_error_sys(w->err, "cannot read '%s'",
		    *rel ? rel : ".");
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			vc_strv_push(&names, de->d_name);
	closedir(d);
	if (names.n > 0)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	for (i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		char *path =
		    *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		struct stat sb;
		int r = 0;

		if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			r = vc_error_sys(w->err, "cannot read '%s'", path);
		} else if (S_ISDIR(sb.st_mode)) {
			size_t k;
			int sub;

			for (k = 0; k < w->nskip; k++)
				if (w->skip[k].st_dev == sb.st_dev &&
				    w->skip[k].st_ino == sb.st_ino)
					break;
			if (k < w->nskip || skipped_name(name))
				goto next;
			sub = openat(dfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1) {
				r = vc_error_sys(w->err, "cannot open '%s'",
				    path);
			} else {
				if (strcmp(name, ".git") == 0) {
					hash_git(w, sub, path);
				} else {
					feed(w, "d ", path, NULL, 0);
					r = walk_dir(w, sub, path);
				}
				close(sub);
			}
		} else if (S_ISLNK(sb.st_mode)) {
			char target[PATH_MAX];
			ssize_t n =
			    readlinkat(dfd, name, target, sizeof target);

			if (n == -1)
				r = vc_error_sys(w->err, "cannot read '%s'",
				    path);
			else if ((r = count(w, 0)) == 0)
				feed(w, "l ", path, target, (size_t)n);
		} else if (S_ISREG(sb.st_mode)) {
			r = hash_file(w, dfd, name, path, &sb);
		} else if ((r = count(w, 0)) == 0) {
			feed(w, "o ", path, NULL, 0);
		}
	next:
		free(path);
		if (r == -1)
			goto out;
	}
	rc = 0;
out:
	vc_strv_release(&names);
	return rc;
}

int
vc_projcache_tree_hash(const char *dir, const char *const *skip, char out[33],
    struct vc_error *err)
{
	struct walk *w = xcalloc(1, sizeof *w);
	size_t i;
	int fd = -1, rc = -1;

	w->err = err;
	for (i = 0; skip != NULL && skip[i] != NULL && w->nskip < 8; i++)
		if (stat(skip[i], &w->skip[w->nskip]) == 0)
			w->nskip++;
	w->st = XXH3_createState();
	if (w->st == NULL || XXH3_128bits_reset(w->st) != XXH_OK) {
		vc_error_set(err, VC_EFAIL, "out of memory");
		goto out;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		vc_error_sys(err, "cannot open '%s'", dir);
		goto out;
	}
	if (walk_dir(w, fd, "") == -1) {
		rc = w->too_big ? 1 : -1;
		goto out;
	}
	hex128(XXH3_128bits_digest(w->st), out);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (w->st != NULL)
		XXH3_freeState(w->st);
	free(w);
	return rc;
}

/* --- the project's installed files --------------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "file:///a%20b" as "/a b"; NULL for anything else. */
static char *
file_url_path(const char *url)
{
	struct vc_buf b;
	const char *s;

	if (url == NULL || strncmp(url, "file://", 7) != 0)
		return NULL;
	s = url + 7;
	if (*s != '/')
		return NULL;
	vc_buf_init(&b);
	for (; *s != '\0'; s++) {
		int hi, lo;

		if (*s == '%' && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0) {
			vc_buf_addc(&b, hi * 16 + lo);
			s += 2;
		} else {
			vc_buf_addc(&b, *s);
		}
	}
	vc_buf_addc(&b, '\0');
	return vc_buf_detach(&b);
}

/* Whether the dist-info at `di` was installed from `project`. */
static int
from_project(const char *di, const char *project)
{
	char *f = vc_path_join(di, "direct_url.json"), *path;
	char real[PATH_MAX];
	json_t *du;
	int yes = 0;

	du = json_load_file(f, 0, NULL);
	free(f);
	path = file_url_path(json_string_value(json_object_get(du, "url")));
	yes = path != NULL && realpath(path, real) != NULL &&
	    strcmp(real, project) == 0;
	free(path);
	json_decref(du);
	return yes;
}

/* The first CSV field of a RECORD line; NULL when it is empty. */
static char *
record_path(const char *line)
{
	struct vc_buf b;
	const char *s = line;

	vc_buf_init(&b);
	if (*s == '"') {
		for (s++; *s != '\0'; s++) {
			if (*s == '"' && s[1] == '"')
				s++;
			else if (*s == '"')
				break;
			vc_buf_addc(&b, *s);
		}
	} else {
		vc_buf_add(&b, s, strcspn(s, ","));
	}
	vc_buf_addc(&b, '\0');
	if (b.data[0] == '\0') {
		vc_buf_release(&b);
		return NULL;
	}
	return vc_buf_detach(&b);
}

int
vc_projcache_parse_record(char *text, const char *rel, const char *what,
    struct vc_strv *out, struct vc_error *err)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\r\n", &save); line != NULL;
	     line = strtok_r(NULL, "\r\n", &save)) {
		char *path = record_path(line), *joined, *norm;

		if (path == NULL)
			continue;
		joined = *path == '/' ? xstrdup(path) : vc_path_join(rel, path);
		norm = vc_path_normalize(joined);
		free(joined);
		if (norm == NULL || *norm == '/' || strcmp(norm, ".") == 0) {
			vc_error_set(err, VC_EHOSTILE,
			    "'%s' lists '%s', outside the venv", what, path);
			free(norm);
			free(path);
			return -1;
		}
		free(path);
		/* Removed after every uv install (venv.c's uv_tidy). */
		if (vc_str_endswith(norm, ".dist-info/uv_cache.json"))
			free(norm);
		else
			vc_strv_take(out, norm);
	}
	return 0;
}

/* The files of one dist-info, its RECORD's and its own, into `out`. */
static int
record_files(const char *site, const char *rel, const char *name,
    struct vc_strv *out, struct vc_error *err)
{
	char *di = xasprintf("%s/%s", site, name), *f;
	struct vc_buf b;
	struct dirent *de;
	DIR *d;
	int rc = -1;

	vc_buf_init(&b);
	f = vc_path_join(di, "RECORD");
	if (vc_read_file(f, 16 << 20, &b, err) == -1 ||
	    vc_projcache_parse_record(b.data != NULL ? b.data : (char *)"", rel,
	        f, out, err) == -1)
		goto out;
	/* Its own files, whether RECORD lists them or not. */
	if ((d = opendir(di)) != NULL) {
		struct stat sb;

		while ((de = readdir(d)) != NULL)
			if (fstatat(dirfd(d), de->d_name, &sb,
			        AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(sb.st_mode) &&
			    strcmp(de->d_name, "uv_cache.json") != 0)
				vc_strv_pushf(out, "%s/%s/%s", rel, name,
				    de->d_name);
		closedir(d);
	}
	rc = 0;
out:
	vc_buf_release(&b);
	free(f);
	free(di);
	return rc;
}

int
vc_projcache_files(const char *venv, const char *project, struct vc_strv *out,
    struct vc_error *err)
{
	char *lib = vc_path_join(venv, "lib");
	struct dirent *de, *pe;
	DIR *ld, *sd;
	int found = 0;

	if ((ld = opendir(lib)) == NULL)
		goto out;
	while (found == 0 && (de = readdir(ld)) != NULL) {
		char *site, *rel;

		if (strncmp(de->d_name, "python", 6) != 0)
			continue;
		rel = xasprintf("lib/%s/site-packages", de->d_name);
		site = vc_path_join(venv, rel);
		if ((sd = opendir(site)) != NULL) {
			while (found == 0 && (pe = readdir(sd)) != NULL) {
				char *di;

				if (!vc_str_endswith(pe->d_name, ".dist-info"))
					continue;
				di = vc_path_join(site, pe->d_name);
				if (from_project(di, project))
					found = record_files(site, rel,
					            pe->d_name, out, err) == 0
					    ? 1
					    : -1;
				free(di);
			}
			closedir(sd);
		}
		free(site);
		free(rel);
	}
	closedir(ld);
out:
	free(lib);
	vc_strv_sort_uniq(out);
	return found;
}

/* --- keeping an entry ---------------------------------------------- */

/* project-install/<the store key's file name stem>. */
static char *
entry_dir(const char *cache_dir, const char *store_key)
{
	char *stem = vc_store_stem(store_key);
	char *dir = xasprintf("%s/%s/%s", cache_dir, VC_PROJCACHE_DIR, stem);

	free(stem);
	return dir;
}

char *
vc_projcache_entry_path(const char *cache_dir, const char *store_key,
    const char *key)
{
	char *dir = entry_dir(cache_dir, store_key);
	char *path = xasprintf("%s/%s.tar.zst", dir, key);

	free(dir);
	return path;
}

/* An entry not used for this long is removed when another is saved. */
#define ENTRY_MAX_AGE (30 * 86400)

/*
 * Removes the entries that `key` replaces: the others with its prefix (up
 * to and including its '-'), any not used for ENTRY_MAX_AGE (a restore
 * touches its entry), and temporary files left by a crash (older than ten
 * minutes).
 */
static void
drop_replaced(const char *dir, const char *key)
{
	const char *dash = strchr(key, '-');
	struct dirent *de;
	struct stat sb;
	char *mine = xasprintf("%s.tar.zst", key);
	size_t n;
	DIR *d;

	if (dash == NULL || (d = opendir(dir)) == NULL)
		goto out;
	n = (size_t)(dash - key) + 1;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		time_t now = time(NULL);

		if (strcmp(name, mine) == 0 ||
		    fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    S_ISDIR(sb.st_mode))
			continue;
		if (name[0] == '.' ? sb.st_mtime < now - 600
		                   : (strncmp(name, key, n) == 0 ||
		                         sb.st_mtime < now - ENTRY_MAX_AGE))
			(void)unlinkat(dirfd(d), name, 0);
	}
	closedir(d);
out:
	free(mine);
}

int
vc_projcache_save(const char *cache_dir, const char *store_key, const char *key,
    const char *venv, const char *stage, const struct vc_strv *files,
    struct vc_error *err)
{
	struct vc_pack_opts po;
	struct vc_pack_result pr;
	char *dir = entry_dir(cache_dir, store_key), *tmp = NULL, *dest = NULL;
	size_t i;
	int fd = -1, rc = -1;

	vc_pack_result_init(&pr);
	for (i = 0; i < files->n; i++) {
		char *from = vc_path_join(venv, files->v[i]);
		char *to = vc_path_join(stage, files->v[i]);
		char *parent = vc_path_dirname(to);
		struct stat sb;
		int r = 0;

		if (lstat(from, &sb) == -1 || !S_ISREG(sb.st_mode))
			r = vc_error_set(err, VC_EFAIL,
			    "'%s' is not a regular file", from);
		else if (vc_mkdir_p(parent, 0755, err) == -1)
			r = -1;
		else if (link(from, to) == -1)
			r = vc_error_sys(err, "cannot link '%s' to '%s'", from,
			    to);
		free(from);
		free(to);
		free(parent);
		if (r == -1)
			goto out;
	}
	if (vc_mkdir_p(dir, 0755, err) == -1 ||
	    vc_trust_dir(dir, "cache-dir", err) == -1)
		goto out;
	tmp = xasprintf("%s/.%s.XXXXXX", dir, key);
	if ((fd = mkstemp(tmp)) == -1) {
		vc_error_sys(err, "cannot create a file in '%s'", dir);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	memset(&po, 0, sizeof po);
	po.level = 3;
	po.threads = 1;
	if (vc_archive_pack(stage, fd, &po, &pr, err) == -1)
		goto out;
	if (pr.file_count > ENTRY_MAX_FILES ||
	    pr.unpacked_size > ENTRY_MAX_BYTES) {
		vc_error_set(err, VC_EFAIL,
		    "the project's installed files are too many or too large");
		goto out;
	}
	if (fchmod(fd, 0644) == -1 || fsync(fd) == -1) {
		vc_error_sys(err, "cannot write '%s'", tmp);
		goto out;
	}
	dest = xasprintf("%s/%s.tar.zst", dir, key);
	if (rename(tmp, dest) == -1) {
		vc_error_sys(err, "cannot rename '%s' to '%s'", tmp, dest);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	drop_replaced(dir, key);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dest);
	free(dir);
	vc_pack_result_release(&pr);
	return rc;
}

/* --- putting an entry in place ------------------------------------- */

struct placed {
	struct vc_strv files; /* relative to the venv, in order */
	struct vc_strv dirs;  /* made by us, in order */
};

/*
 * Moves what the directory `sfd` holds into `vfd` (`rel` their path under
 * the stage and the venv): directories merged (existing ones only when they
 * are real directories), files renamed in only where nothing is.
 */
static int
place(int sfd, int vfd, const char *rel, struct placed *pl,
    struct vc_error *err)
{
	struct vc_strv names;
	struct dirent *de;
	DIR *d;
	size_t i;
	int fd, rc = -1;

	vc_strv_init(&names);
	if ((fd = dup(sfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return vc_error_sys(err, "cannot read the extracted entry");
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			vc_strv_push(&names, de->d_name);
	closedir(d);
	for (i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		char *path =
		    *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		struct stat sb;
		int r = 0, s2 = -1, v2 = -1;

		if (fstatat(sfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			r = vc_error_sys(err, "cannot read '%s'", path);
		} else if (S_ISDIR(sb.st_mode)) {
			v2 = openat(vfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (v2 == -1 && errno == ENOENT) {
				if (mkdirat(vfd, name, 0755) == -1)
					r = vc_error_sys(err,
					    "cannot create '%s' in the venv",
					    path);
				else {
					vc_strv_push(&pl->dirs, path);
					v2 = openat(vfd, name,
					    O_RDONLY | O_DIRECTORY |
					        O_NOFOLLOW | O_CLOEXEC);
				}
			}
			if (r == 0 && v2 == -1)
				r = vc_error_set(err, VC_EHOSTILE,
				    "'%s' is not a directory of the venv",
				    path);
			s2 = r == 0 ? openat(sfd, name,
			                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			                      O_CLOEXEC)
			            : -1;
			if (r == 0 && s2 == -1)
				r = vc_error_sys(err, "cannot open '%s'", path);
			if (r == 0)
				r = place(s2, v2, path, pl, err);
		} else if (!S_ISREG(sb.st_mode)) {
			r = vc_error_set(err, VC_EHOSTILE,
			    "'%s' is not a regular file", path);
		} else if (renameat2(sfd, name, vfd, name, RENAME_NOREPLACE) ==
		    -1) {
			if (errno == EEXIST)
				r = vc_error_set(err, VC_EHOSTILE,
				    "'%s' is already in the venv", path);
			else
				r = vc_error_sys(err,
				    "cannot move '%s' into the venv", path);
		} else {
			vc_strv_push(&pl->files, path);
			(void)fchmodat(vfd, name, sb.st_mode & 0755, 0);
		}
		if (s2 != -1)
			close(s2);
		if (v2 != -1)
			close(v2);
		free(path);
		if (r == -1)
			goto out;
	}
	rc = 0;
out:
	vc_strv_release(&names);
	return rc;
}

/* Takes out what place() put in. */
static void
unplace(int vfd, struct placed *pl)
{
	size_t i;

	for (i = 0; i < pl->files.n; i++)
		(void)unlinkat(vfd, pl->files.v[i], 0);
	for (i = pl->dirs.n; i-- > 0;)
		(void)unlinkat(vfd, pl->dirs.v[i], AT_REMOVEDIR);
}

/* Every file placed is one the project's RECORD lists, and all exist. */
static int
check_placed(int vfd, const char *venv, const char *project, struct placed *pl,
    struct vc_error *err)
{
	struct vc_strv want;
	struct stat sb;
	size_t i;
	int rc = -1, found;

	vc_strv_init(&want);
	found = vc_projcache_files(venv, project, &want, err);
	if (found == 0)
		vc_error_set(err, VC_EHOSTILE,
		    "it holds no installed project from '%s'", project);
	if (found != 1)
		goto out;
	for (i = 0; i < pl->files.n; i++)
		if (!vc_strv_contains(&want, pl->files.v[i])) {
			vc_error_set(err, VC_EHOSTILE,
			    "'%s' is not in the project's RECORD",
			    pl->files.v[i]);
			goto out;
		}
	for (i = 0; i < want.n; i++)
		if (fstatat(vfd, want.v[i], &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode)) {
			vc_error_set(err, VC_EFAIL,
			    "'%s', in the project's RECORD, is missing",
			    want.v[i]);
			goto out;
		}
	rc = 0;
out:
	vc_strv_release(&want);
	return rc;
}

int
vc_projcache_restore(const char *cache_dir, const char *store_key,
    const char *key, const char *venv, const char *project, const char *stage,
    struct vc_error *err)
{
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct placed pl;
	struct stat sb;
	char *dir = entry_dir(cache_dir, store_key), *path;
	int fd = -1, sfd = -1, vfd = -1, rc = -1;

	vc_strv_init(&pl.files);
	vc_strv_init(&pl.dirs);
	path = xasprintf("%s/%s.tar.zst", dir, key);
	if (lstat(path, &sb) == -1 && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if (vc_trust_dir(dir, "cache-dir", err) == -1)
		goto out;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		vc_error_sys(err, "cannot open '%s'", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > ENTRY_MAX_BYTES) {
		vc_error_set(err, VC_EHOSTILE,
		    "'%s' is not a regular file of at most %llu MiB", path,
		    (unsigned long long)(ENTRY_MAX_BYTES >> 20));
		goto out;
	}
	memset(&xo, 0, sizeof xo);
	xo.max_bytes = ENTRY_MAX_BYTES;
	xo.max_files = ENTRY_MAX_FILES;
	xo.threads = 1;
	xo.writers = -1;
	if (vc_archive_extract(fd, stage, &xo, &xr, err) == -1)
		goto out;
	sfd = open(stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	vfd = open(venv, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd == -1 || vfd == -1) {
		vc_error_sys(err, "cannot open '%s'", sfd == -1 ? stage : venv);
		goto out;
	}
	if (place(sfd, vfd, "", &pl, err) == -1 ||
	    check_placed(vfd, venv, project, &pl, err) == -1) {
		unplace(vfd, &pl);
		goto out;
	}
	(void)futimens(fd, NULL); /* used: kept (drop_replaced) */
	rc = 1;
out:
	if (rc == -1)
		vc_error_prefix(err, "project cache entry '%s'", path);
	if (fd != -1)
		close(fd);
	if (sfd != -1)
		close(sfd);
	if (vfd != -1)
		close(vfd);
	vc_strv_release(&pl.files);
	vc_strv_release(&pl.dirs);
	free(path);
	free(dir);
	return rc;
}

/* --- gc ------------------------------------------------------------ */

struct gc {
	struct vc_store *st;
	uint64_t max_age;
	int dry_run;
	int64_t now;
	const struct vc_strv *gone;
	struct vc_gc_result *res;
	void (
	    *report)(const struct vc_projcache_item *, enum vc_gc_what, void *);
	void *arg;
};

static void
gc_report(struct gc *g, const char *rel, const struct stat *sb,
    enum vc_gc_what what)
{
	struct vc_projcache_item it;

	it.name = rel;
	it.size = sb != NULL ? (uint64_t)sb->st_size : 0;
	it.last_used = sb != NULL ? (int64_t)sb->st_mtime : 0;
	if (g->report != NULL)
		g->report(&it, what, g->arg);
}

/*
 * The entries in `dfd` (`where`, relative to the cache dir): each removed
 * when `all` or unused for more than max_age, else kept; temporary files
 * of a save that died (older than ten minutes) removed quietly.
 */
static void
gc_entries(struct gc *g, int dfd, const char *where, int all)
{
	struct vc_strv names;
	struct dirent *de;
	struct stat sb;
	size_t i;
	DIR *d;
	int fd;

	vc_strv_init(&names);
	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(d); /* the offset is shared with `dfd`, maybe read before */
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			vc_strv_push(&names, de->d_name);
	closedir(d);
	vc_strv_sort_uniq(&names);
	for (i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		char *rel;

		if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (name[0] == '.') {
			if (!g->dry_run && sb.st_mtime < g->now - 600)
				(void)unlinkat(dfd, name, 0);
			continue;
		}
		if (!vc_str_endswith(name, ".tar.zst"))
			continue;
		if (!all &&
		    !(g->max_age > 0 && g->now > (int64_t)sb.st_mtime &&
		        (uint64_t)(g->now - sb.st_mtime) > g->max_age)) {
			g->res->kept++;
			g->res->kept_size += (uint64_t)sb.st_size;
			continue;
		}
		rel = xasprintf("%s/%s", where, name);
		if (!g->dry_run && unlinkat(dfd, name, 0) == -1) {
			if (errno != ENOENT)
				vc_warn("gc: cannot remove '%s': %s", rel,
				    strerror(errno));
			free(rel);
			continue;
		}
		g->res->removed++;
		g->res->freed += (uint64_t)sb.st_size;
		gc_report(g, rel, &sb, VC_GC_REMOVED);
		free(rel);
	}
	vc_strv_release(&names);
}

/*
 * The directory of one store key: all its entries go when the store holds
 * no entry of the key (or gc removes it: `gone`), under the key's lock
 * taken exclusively without waiting, as the store's gc takes it: a warm
 * creating the key's entry holds it while it installs the project.
 */
static void
gc_key_dir(struct gc *g, int pfd, const char *name)
{
	struct vc_lock lk = {-1};
	struct vc_error e2;
	char *where;
	int has = vc_store_has_stem(g->st, name), gone, dfd;

	if (has == -1)
		return; /* not a store key's: left alone */
	gone = has == 0 || (g->gone != NULL && vc_strv_contains(g->gone, name));
	where = xasprintf("%s/%s", VC_PROJCACHE_DIR, name);
	if (gone) {
		vc_error_clear(&e2);
		if (vc_store_lock_stem(g->st, name,
		        VC_LOCK_EXCLUSIVE | VC_LOCK_NOWAIT, &lk, &e2) == -1) {
			g->res->busy++;
			gc_report(g, where, NULL, VC_GC_BUSY);
			free(where);
			return;
		}
		/* Saved meanwhile? */
		gone = vc_store_has_stem(g->st, name) == 0 ||
		    (g->gone != NULL && vc_strv_contains(g->gone, name));
	}
	dfd =
	    openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd != -1) {
		gc_entries(g, dfd, where, gone);
		close(dfd);
		if (gone && !g->dry_run)
			(void)unlinkat(pfd, name, AT_REMOVEDIR); /* if empty */
	}
	if (lk.fd != -1)
		vc_store_unlock_stem(g->st, name, &lk);
	free(where);
}

int
vc_projcache_gc(struct vc_store *st, const char *cache_dir, uint64_t max_age,
    int dry_run, const struct vc_strv *gone, struct vc_gc_result *res,
    void (*report)(const struct vc_projcache_item *, enum vc_gc_what, void *),
    void *arg, struct vc_error *err)
{
	char *dir = vc_path_join(cache_dir, VC_PROJCACHE_DIR);
	struct vc_strv names;
	struct dirent *de;
	struct stat sb;
	struct gc g;
	size_t i;
	DIR *d;
	int pfd, fd;

	memset(res, 0, sizeof *res);
	memset(&g, 0, sizeof g);
	g.st = st;
	g.max_age = max_age;
	g.dry_run = dry_run;
	g.now = (int64_t)time(NULL);
	g.gone = gone;
	g.res = res;
	g.report = report;
	g.arg = arg;
	pfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd == -1) {
		int e = errno;

		free(dir);
		errno = e;
		return errno == ENOENT
		    ? 0
		    : vc_error_sys(err, "cannot open '%s/%s'", cache_dir,
		          VC_PROJCACHE_DIR);
	}
	free(dir);
	vc_strv_init(&names);
	if ((fd = dup(pfd)) != -1 && (d = fdopendir(fd)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				vc_strv_push(&names, de->d_name);
		closedir(d);
	} else if (fd != -1) {
		close(fd);
	}
	vc_strv_sort_uniq(&names);
	for (i = 0; i < names.n; i++)
		if (fstatat(pfd, names.v[i], &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode))
			gc_key_dir(&g, pfd, names.v[i]);
	/* Entries of the layout before the key's directory: their store
	 * key is unknown, and nothing reads them any more. */
	gc_entries(&g, pfd, VC_PROJCACHE_DIR, 1);
	vc_strv_release(&names);
	close(pfd);
	return 0;
}
