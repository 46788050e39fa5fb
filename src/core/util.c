/* util.c: memory, buffers, string vectors, paths and file helpers. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "venvcache/util.h"

static void
oom(void)
{
	static const char msg[] = "venvcache: out of memory\n";

	(void)!write(2, msg, sizeof msg - 1);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 8;

	if (need <= *cap)
		return p;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			oom();
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		oom();
	*cap = ncap;
	return xrealloc(p, ncap * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
vc_buf_init(struct vc_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
vc_buf_release(struct vc_buf *b)
{
	free(b->data);
	vc_buf_init(b);
}

void
vc_buf_reset(struct vc_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
vc_buf_grow(struct vc_buf *b, size_t extra)
{
	if (extra >= SIZE_MAX - b->len)
		oom();
	b->data = xgrow(b->data, &b->cap, b->len + extra + 1, 1);
	b->data[b->len] = '\0'; /* a fresh buffer is a string too */
}

void
vc_buf_add(struct vc_buf *b, const void *p, size_t n)
{
	vc_buf_grow(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
vc_buf_adds(struct vc_buf *b, const char *s)
{
	vc_buf_add(b, s, strlen(s));
}

void
vc_buf_addc(struct vc_buf *b, int c)
{
	char ch = (char)c;

	vc_buf_add(b, &ch, 1);
}

void
vc_buf_addf(struct vc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	vc_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
vc_buf_detach(struct vc_buf *b)
{
	char *p = b->data != NULL ? b->data : xstrdup("");

	vc_buf_init(b);
	return p;
}

void
vc_strv_init(struct vc_strv *sv)
{
	sv->v = NULL;
	sv->n = 0;
	sv->cap = 0;
}

void
vc_strv_release(struct vc_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	vc_strv_init(sv);
}

void
vc_strv_take(struct vc_strv *sv, char *s)
{
	sv->v = xgrow(sv->v, &sv->cap, sv->n + 2, sizeof *sv->v);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
vc_strv_push(struct vc_strv *sv, const char *s)
{
	vc_strv_take(sv, xstrdup(s));
}

void
vc_strv_pushf(struct vc_strv *sv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vc_strv_take(sv, xvasprintf(fmt, ap));
	va_end(ap);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
vc_strv_sort_uniq(struct vc_strv *sv)
{
	size_t i, j;

	if (sv->n < 2)
		return;
	qsort(sv->v, sv->n, sizeof *sv->v, cmpstr);
	for (i = 1, j = 1; i < sv->n; i++) {
		if (strcmp(sv->v[i], sv->v[j - 1]) == 0)
			free(sv->v[i]);
		else
			sv->v[j++] = sv->v[i];
	}
	sv->n = j;
	sv->v[j] = NULL;
}

int
vc_strv_contains(const struct vc_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void
vc_strv_split_ws(struct vc_strv *sv, const char *s)
{
	const char *start;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			return;
		start = s;
		while (*s != '\0' && !isspace((unsigned char)*s))
			s++;
		vc_strv_take(sv, xstrndup(start, (size_t)(s - start)));
	}
}

int
vc_str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
vc_str_endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

char *
vc_str_strip(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

void
vc_str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

char *
vc_path_join(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (*b == '/' || n == 0)
		return xstrdup(b);
	if (a[n - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

char *
vc_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *
vc_path_normalize(const char *path)
{
	int absolute = *path == '/';
	const char *p = path;
	size_t *ends = NULL, cap = 0, n = 0;
	struct vc_buf b;
	char *out = NULL;

	/* b holds the folded path; ends[i] is its length before part i. */
	vc_buf_init(&b);
	if (absolute)
		vc_buf_addc(&b, '/');
	while (*p != '\0') {
		size_t len = 0;

		/* Not strcspn(): ASan's strict_string_checks measures the
		 * whole rest of the string on every call. */
		while (p[len] != '\0' && p[len] != '/')
			len++;

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			/* "/.." is "/"; "a/../.." climbs above "a"'s start. */
			if (n > 0) {
				b.len = ends[--n];
				b.data[b.len] = '\0';
			} else if (!absolute) {
				goto out;
			}
		} else if (len > 0 && !(len == 1 && p[0] == '.')) {
			ends = xgrow(ends, &cap, n + 1, sizeof(*ends));
			ends[n++] = b.len;
			if (b.len > 0 && b.data[b.len - 1] != '/')
				vc_buf_addc(&b, '/');
			vc_buf_add(&b, p, len);
		}
		p += len + (p[len] == '/');
	}
	if (b.len == 0)
		vc_buf_addc(&b, '.');
	out = vc_buf_detach(&b);
out:
	vc_buf_release(&b);
	free(ends);
	return out;
}

char *
vc_path_expand_home(const char *path)
{
	const char *home;

	if (path[0] != '~' || (path[1] != '/' && path[1] != '\0'))
		return xstrdup(path);
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		return xstrdup(path);
	return xasprintf("%s%s", home, path + 1);
}

int
vc_read_fd(int fd, size_t max, struct vc_buf *out)
{
	ssize_t n;

	vc_buf_reset(out);
	for (;;) {
		vc_buf_grow(out, 65536);
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (max != 0 && out->len > max) {
			errno = EFBIG;
			return -1;
		}
	}
}

int
vc_read_file(const char *path, size_t max, struct vc_buf *out,
    struct vc_error *err)
{
	int fd, rc = 0;

	vc_buf_reset(out);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return vc_error_sys(err, "cannot open '%s'", path);
	if (vc_read_fd(fd, max, out) == -1)
		rc = errno == EFBIG
		    ? vc_error_set(err, VC_EFAIL,
		          "'%s' is larger than %zu bytes", path, max)
		    : vc_error_sys(err, "cannot read '%s'", path);
	close(fd);
	return rc;
}

int
vc_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct vc_error *err)
{
	char *tmp = xasprintf("%s.tmp.%ld.%lx", path, (long)getpid(),
	    (unsigned long)random());
	const char *p = data;
	int fd, rc = -1;
	ssize_t n;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		vc_error_sys(err, "cannot create '%s'", tmp);
		goto out;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			vc_error_sys(err, "cannot write '%s'", tmp);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		vc_error_sys(err, "cannot sync '%s'", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		vc_error_sys(err, "cannot write '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		vc_error_sys(err, "cannot rename '%s' to '%s'", tmp, path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The fallback of vc_openat_beneath: one O_NOFOLLOW component at a time. */
static int
openat_walk(int dirfd, const char *path, int flags, mode_t mode)
{
	char *copy = xstrdup(path), *comp, *next;
	int fd = dirfd, nfd;

	for (comp = copy;; comp = next) {
		next = strchr(comp, '/');
		if (next != NULL)
			*next++ = '\0';
		if (strcmp(comp, "..") == 0 || *comp == '\0') {
			errno = EXDEV;
			nfd = -1;
		} else if (next == NULL || *next == '\0') {
			nfd = openat(fd, comp, flags | O_NOFOLLOW, mode);
		} else {
			nfd = openat(fd, comp,
			    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd != dirfd)
			close(fd);
		fd = nfd;
		if (fd == -1 || next == NULL || *next == '\0')
			break;
	}
	free(copy);
	return fd;
}

int
vc_openat_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	static int no_openat2;
	struct open_how how;
	int fd;

	if (*path == '/' || *path == '\0') {
		errno = EXDEV;
		return -1;
	}
	if (!no_openat2) {
		memset(&how, 0, sizeof how);
		how.flags = (uint64_t)(flags | O_CLOEXEC);
		how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd != -1 || errno != ENOSYS)
			return fd;
		no_openat2 = 1;
	}
	return openat_walk(dirfd, path, flags | O_CLOEXEC, mode);
}

int
vc_mkdir_p(const char *path, mode_t mode, struct vc_error *err)
{
	char *p = xstrdup(path), *s;
	struct stat st;
	int rc = -1;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			vc_error_sys(err, "cannot create directory '%s'", p);
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (stat(path, &st) == -1) {
		vc_error_sys(err, "cannot create directory '%s'", path);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		vc_error_sys(err, "cannot create directory '%s'", path);
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

static int
rm_tree_fd(int dfd, const char *what, struct vc_error *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return vc_error_sys(err, "cannot read directory '%s'", what);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (vc_rm_rf_at(dirfd(d), de->d_name, err) == -1) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

int
vc_rm_rf_at(int dirfd, const char *name, struct vc_error *err)
{
	int fd;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return vc_error_sys(err, "cannot remove '%s'", name);
	fd = openat(dirfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		return vc_error_sys(err, "cannot open directory '%s'", name);
	}
	/* Make it writable so that its entries can go, as rm -rf would. */
	(void)fchmod(fd, 0700);
	if (rm_tree_fd(fd, name, err) == -1)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return vc_error_sys(err, "cannot remove directory '%s'", name);
	return 0;
}

int
vc_dir_is_empty(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int empty = 1;

	if (d == NULL)
		return 0;
	while (empty && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

int
vc_empty_dir(const char *path, struct vc_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		return vc_error_sys(err, "cannot open directory '%s'", path);
	return rm_tree_fd(fd, path, err);
}

int
vc_rm_rf(const char *path, struct vc_error *err)
{
	return vc_rm_rf_at(AT_FDCWD, path, err);
}

double
vc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
vc_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *
vc_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < VC_ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

int
vc_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	uint64_t mult = 1;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	/* Digits and an optional fraction: not strtod's 1e3, 0x10 or inf. */
	n = strspn(s, "0123456789");
	if (n == 0)
		return -1;
	if (s[n] == '.')
		n += 1 + strspn(s + n + 1, "0123456789");
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end != s + n)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	case 'T':
		mult = 1ULL << 40;
		end++;
		break;
	case 'B':
		break;
	default:
		return -1;
	}
	if (mult != 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0' || v * (double)mult >= 1.8e19)
		return -1;
	*out = (uint64_t)(v * (double)mult);
	return 0;
}

int
vc_parse_duration(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 's':
		end++;
		break;
	case 'm':
		mult = 60;
		end++;
		break;
	case 'h':
		mult = 3600;
		end++;
		break;
	case 'd':
		mult = 86400;
		end++;
		break;
	default:
		return -1;
	}
	if (*end != '\0' || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

char *
vc_expand_env(const char *s)
{
	struct vc_buf b;
	const char *p, *end, *val;
	char name[256];
	size_t n;

	vc_buf_init(&b);
	for (p = s; *p != '\0'; p++) {
		if (p[0] != '$' || p[1] != '{')
			goto literal;
		for (end = p + 2; (*end >= 'A' && *end <= 'Z') ||
		     (*end >= '0' && *end <= '9') || *end == '_';
		     end++)
			;
		n = (size_t)(end - (p + 2));
		if (*end != '}' || n == 0 || n >= sizeof name)
			goto literal;
		memcpy(name, p + 2, n);
		name[n] = '\0';
		val = getenv(name);
		if (val == NULL || *val == '\0')
			goto literal;
		vc_buf_adds(&b, val);
		p = end;
		continue;
	literal:
		vc_buf_addc(&b, *p);
	}
	return vc_buf_detach(&b);
}

int
vc_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

/* --- did you mean -------------------------------------------------- */

#define SUGGEST_MAX 128

static int
suggest_fold(int c)
{
	return c == '_' ? '-' : tolower(c);
}

/* Restricted Damerau-Levenshtein distance of a and b (both short). */
static size_t
suggest_distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t rows[3][SUGGEST_MAX + 1], *pp = rows[0], *p = rows[1],
	                                 *c = rows[2], *t, i, j, v;

	for (j = 0; j <= m; j++)
		p[j] = j;
	for (i = 1; i <= n; i++) {
		c[0] = i;
		for (j = 1; j <= m; j++) {
			int ai = suggest_fold((unsigned char)a[i - 1]);
			int bj = suggest_fold((unsigned char)b[j - 1]);

			v = p[j - 1] + (ai != bj);
			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (i > 1 && j > 1 &&
			    ai == suggest_fold((unsigned char)b[j - 2]) &&
			    suggest_fold((unsigned char)a[i - 2]) == bj &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
		}
		t = pp, pp = p, p = c, c = t;
	}
	return p[m];
}

void
vc_suggest_init(struct vc_suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = SIZE_MAX;
}

void
vc_suggest_add(struct vc_suggest *s, const char *cand)
{
	size_t n = strlen(s->word), m, d;

	if (cand == NULL)
		return;
	m = strlen(cand);
	if (n > SUGGEST_MAX || m > SUGGEST_MAX || (n > m ? n - m : m - n) > 3)
		return;
	d = suggest_distance(s->word, n, cand, m);
	if (d < s->dist) {
		s->dist = d;
		s->best = cand;
	}
}

const char *
vc_suggest_best(const struct vc_suggest *s)
{
	size_t n = strlen(s->word);
	size_t max = n <= 5 ? 1 : n <= 8 ? 2 : 3;

	if (s->best == NULL || s->dist > max || strcmp(s->best, s->word) == 0)
		return NULL;
	return s->best;
}
