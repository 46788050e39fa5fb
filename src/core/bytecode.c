/* bytecode.c: a venv's *.pyc, from the bytecode cache or compileall. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "venvcache/bytecode.h"
#include "venvcache/log.h"
#include "venvcache/proc.h"
#include "venvcache/util.h"

/* Deeper than any package; a hostile tree stops here. */
#define MAX_DEPTH 64

/*
 * Run by the env's interpreter with -I -S: argv[1] names a file of
 * NUL-separated paths, argv[2] how many processes compile them. Each is
 * compiled as uv and pip compile (compileall.compile_file, errors
 * ignored), with timestamp pycs whatever SOURCE_DATE_EPOCH says, the only
 * kind the cache writes.
 */
static const char compile_script[] =
    "import compileall, os, py_compile, sys, traceback, warnings\n"
    "warnings.filterwarnings('ignore')\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    paths = [os.fsdecode(p) for p in f.read().split(b'\\0') if p]\n"
    "n = max(1, min(int(sys.argv[2]), len(paths)))\n"
    "mode = py_compile.PycInvalidationMode.TIMESTAMP\n"
    "def work(part):\n"
    "    for p in part:\n"
    "        compileall.compile_file(p, force=True, quiet=2,\n"
    "                                invalidation_mode=mode)\n"
    "kids = []\n"
    "for i in range(1, n):\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        try:\n"
    "            work(paths[i::n])\n"
    "        except BaseException:\n"
    "            traceback.print_exc()\n"
    "            os._exit(1)\n"
    "        os._exit(0)\n"
    "    kids.append(pid)\n"
    "work(paths[::n])\n"
    "bad = 0\n"
    "for pid in kids:\n"
    "    bad |= os.waitpid(pid, 0)[1]\n"
    "sys.exit(1 if bad else 0)\n";

struct pending {
	char *path; /* the source, absolute */
	char *pyc;  /* its pyc, absolute */
	char hex[33];
	uint32_t mtime, size;
};

struct ctx {
	const char *cache;
	char tag[32];             /* "cpython-311" */
	unsigned char interp[16]; /* the interpreter's part of every key */
	int keep; /* entries may be written (and bad ones removed) */
	struct vc_bytecode_stats *st;
	struct pending *todo;
	size_t ntodo, captodo;
	struct vc_buf src, entry;
	struct vc_error *err;
};

int
vc_bytecode_supported(const struct vc_interp *ip)
{
	return ip->impl != NULL && strcmp(ip->impl, "cpython") == 0 &&
	    (ip->major > 3 || (ip->major == 3 && ip->minor >= 7));
}

static uint32_t le32(const unsigned char *);

int
vc_bytecode_entry_ok(const unsigned char *d, size_t len)
{
	uint64_t sum;
	size_t i;

	/* "VCB1", the pyc's magic (two bytes, then "\r\n"), the code's
	 * length and XXH3-64, then marshalled code: a code object (TYPE_CODE
	 * 'c', with or without FLAG_REF 0x80). */
	if (len <= VC_BYTECODE_HEAD || len > VC_BYTECODE_MAX ||
	    memcmp(d, "VCB1", 4) != 0 || d[6] != '\r' || d[7] != '\n' ||
	    le32(d + 8) != len - VC_BYTECODE_HEAD ||
	    (d[VC_BYTECODE_HEAD] & 0x7f) != 'c')
		return 0;
	for (sum = 0, i = 0; i < 8; i++)
		sum |= (uint64_t)d[12 + i] << (8 * i);
	return sum == XXH3_64bits(d + VC_BYTECODE_HEAD, len - VC_BYTECODE_HEAD);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8 & 0xff;
	p[2] = v >> 16 & 0xff;
	p[3] = v >> 24 & 0xff;
}

/* Reads all of fd, a regular file of at most `max` bytes, into b. */
static int
read_fd(int fd, size_t max, struct vc_buf *b)
{
	struct stat st;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max)
		return -1;
	return vc_read_fd(fd, max, b);
}

/* The name of the pyc of `name` ("x.py"): "x.cpython-311.pyc". */
static char *
pyc_name(const struct ctx *c, const char *name)
{
	return xasprintf("%.*s.%s.pyc", (int)(strlen(name) - 3), name, c->tag);
}

static char *
entry_path(const struct ctx *c, const char *hex)
{
	return xasprintf("%s/%.2s/%s", c->cache, hex, hex + 2);
}

/*
 * The source's mtime as a pyc header holds it: CPython's int(st_mtime) of
 * the float st_mtime (seconds plus nanoseconds, a double, truncated toward
 * zero), modulo 2^32; 1700000000.999999999 is 1700000001 there.
 */
static uint32_t
pyc_mtime(const struct stat *st)
{
	double t =
	    (double)st->st_mtim.tv_sec + (double)st->st_mtim.tv_nsec * 1e-9;

	return (uint32_t)(int64_t)t;
}

/*
 * 1 when `pcfd` (a __pycache__, or -1) holds an up-to-date pyc of the
 * source: what compileall's force=False checks (flags 0, the source's
 * mtime and size).
 */
static int
current_pyc(int pcfd, const char *pyc, const struct stat *st)
{
	unsigned char h[16];
	int fd;
	ssize_t n;

	if (pcfd == -1 ||
	    (fd = openat(pcfd, pyc, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, h, sizeof h);
	close(fd);
	return n == (ssize_t)sizeof h && h[2] == '\r' && h[3] == '\n' &&
	    le32(h + 4) == 0 && le32(h + 8) == pyc_mtime(st) &&
	    le32(h + 12) == (uint32_t)st->st_size;
}

/*
 * *pcfd: the __pycache__ of dirfd, a real directory (made if missing),
 * opened without following a link. -1 when it cannot be one (a symlink
 * or a file there, in a tree from the store): its sources are skipped.
 */
static int
pycache(int dirfd, int *pcfd)
{
	if (*pcfd >= 0)
		return 0;
	if (*pcfd == -2) /* tried, and it is not ours to write */
		return -1;
	if ((*pcfd = openat(dirfd, "__pycache__",
	         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
		return 0;
	if ((mkdirat(dirfd, "__pycache__", 0777) == 0 || errno == EEXIST) &&
	    (*pcfd = openat(dirfd, "__pycache__",
	         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
		return 0;
	*pcfd = -2;
	return -1;
}

/* Writes data to `name` in dirfd, made afresh (a link there is replaced,
 * never followed). */
static int
write_at(int dirfd, const char *name, mode_t mode, const void *a, size_t alen,
    const void *b, size_t blen)
{
	int fd, ok;

	(void)unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	ok = write(fd, a, alen) == (ssize_t)alen &&
	    write(fd, b, blen) == (ssize_t)blen;
	if (close(fd) == -1 || !ok) {
		(void)unlinkat(dirfd, name, 0);
		return -1;
	}
	return 0;
}

/* The cached entry for hex into c->entry; 0 when there is a good one. */
static int
cached(struct ctx *c, const char *hex)
{
	char *path;
	int fd, rc = -1;

	if (c->cache == NULL)
		return -1;
	path = entry_path(c, hex);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		free(path);
		return -1;
	}
	if (read_fd(fd, VC_BYTECODE_MAX, &c->entry) == 0 &&
	    vc_bytecode_entry_ok((unsigned char *)c->entry.data, c->entry.len))
		rc = 0;
	else if (c->keep)
		(void)unlink(path); /* torn or foreign: made again below */
	close(fd);
	free(path);
	return rc;
}

/*
 * One source, `name` in dirfd (the directory `dir`): up to date already,
 * written from the cache, left for compileall, or skipped (its
 * __pycache__ cannot be ours). A write that fails leaves it to
 * compileall, which skips what it cannot write, as uv's and pip's do.
 */
static void
source(struct ctx *c, int dirfd, int *pcfd, const char *dir, const char *name)
{
	XXH128_canonical_t canon;
	unsigned char h[16], both[32];
	char hex[33] = "";
	struct stat st;
	char *pyc = pyc_name(c, name);
	struct pending *p;
	size_t i;
	int fd, big;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		goto out; /* gone, or not a file: compileall would skip it */
	}
	c->st->sources++;
	if (*pcfd == -1)
		(void)pycache(dirfd, pcfd);
	if (current_pyc(*pcfd, pyc, &st)) {
		close(fd);
		c->st->current++;
		goto out;
	}
	/* (fstat above: a regular file.) */
	big = (uint64_t)st.st_size > VC_BYTECODE_MAX ||
	    vc_read_fd(fd, VC_BYTECODE_MAX, &c->src) == -1;
	close(fd);
	if (pycache(dirfd, pcfd) == -1) {
		c->st->skipped++;
		goto out;
	}
	if (!big) {
		/* key = XXH3-128(interpreter's digest, source's digest) */
		memcpy(both, c->interp, 16);
		XXH128_canonicalFromHash(&canon,
		    XXH3_128bits(c->src.data, c->src.len));
		memcpy(both + 16, canon.digest, 16);
		XXH128_canonicalFromHash(&canon, XXH3_128bits(both, 32));
		for (i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", canon.digest[i]);
		if (cached(c, hex) == 0) {
			memcpy(h, c->entry.data + 4, 4);
			put_le32(h + 4, 0);
			put_le32(h + 8, pyc_mtime(&st));
			put_le32(h + 12, (uint32_t)st.st_size);
			if (write_at(*pcfd, pyc, (st.st_mode | 0200) & 0666, h,
			        sizeof h, c->entry.data + VC_BYTECODE_HEAD,
			        c->entry.len - VC_BYTECODE_HEAD) == 0) {
				c->st->reused++;
				goto out;
			}
		}
	}
	/* compileall writes it afresh: nothing of the tree's is read back. */
	(void)unlinkat(*pcfd, pyc, 0);
	c->todo = xgrow(c->todo, &c->captodo, c->ntodo + 1, sizeof *c->todo);
	p = &c->todo[c->ntodo++];
	memcpy(p->hex, hex, sizeof p->hex); /* "": too big to keep */
	p->path = xasprintf("%s/%s", dir, name);
	p->pyc = xasprintf("%s/__pycache__/%s", dir, pyc);
	p->mtime = pyc_mtime(&st);
	p->size = (uint32_t)st.st_size;
out:
	free(pyc);
}

/*
 * Every directory under dirfd (the directory `dir`), depth first, without
 * following links: real directories only, so that the paths handed to
 * compileall lead through nothing else.
 */
static int
walk(struct ctx *c, int dirfd, const char *dir, int depth)
{
	struct vc_strv subdirs;
	struct dirent *de;
	DIR *d;
	size_t i;
	int pcfd = -1, rc = 0;

	if ((d = fdopendir(dirfd)) == NULL) {
		close(dirfd);
		return vc_error_sys(c->err, "cannot read '%s'", dir);
	}
	vc_strv_init(&subdirs);
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		unsigned char type = de->d_type;
		struct stat st;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (type == DT_UNKNOWN) {
			if (fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) == -1)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR
			    : S_ISREG(st.st_mode)  ? DT_REG
			                           : DT_LNK;
		}
		if (type == DT_DIR && strcmp(n, "__pycache__") != 0)
			vc_strv_push(&subdirs, n);
		else if (type == DT_REG && len > 3 &&
		    strcmp(n + len - 3, ".py") == 0)
			source(c, dirfd, &pcfd, dir, n);
	}
	if (errno != 0)
		rc = vc_error_sys(c->err, "cannot read '%s'", dir);
	if (pcfd >= 0)
		close(pcfd);
	if (depth >= MAX_DEPTH && subdirs.n > 0)
		vc_debug("bytecode: not below '%s': nested %d deep", dir,
		    MAX_DEPTH);
	for (i = 0; rc == 0 && depth < MAX_DEPTH && i < subdirs.n; i++) {
		char *sub = xasprintf("%s/%s", dir, subdirs.v[i]);
		int fd = openat(dirfd, subdirs.v[i],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd != -1)
			rc = walk(c, fd, sub, depth + 1);
		free(sub);
	}
	vc_strv_release(&subdirs);
	closedir(d);
	return rc;
}

/* Runs compileall over c->todo. */
static int
compile_pending(struct ctx *c, const char *python, const char *scratch)
{
	char *list =
	    xasprintf("%s/bytecode-sources.%ld", scratch, (long)getpid());
	char workers[16];
	const char *argv[] = {python, "-I", "-S", "-c", compile_script, list,
	    workers, NULL};
	struct vc_proc proc;
	struct vc_buf names, out;
	size_t i;
	int n, status, rc = -1;

	vc_buf_init(&names);
	vc_buf_init(&out);
	for (i = 0; i < c->ntodo; i++) {
		vc_buf_adds(&names, c->todo[i].path);
		vc_buf_addc(&names, '\0');
	}
	if (vc_write_file_atomic(list, names.data, names.len, 0600, c->err) ==
	    -1)
		goto out;
	/* A process per CPU, none for fewer than 16 files. */
	n = vc_ncpus();
	if ((size_t)n > (c->ntodo + 15) / 16)
		n = (int)((c->ntodo + 15) / 16);
	snprintf(workers, sizeof workers, "%d", n < 1 ? 1 : n);
	memset(&proc, 0, sizeof proc);
	proc.argv = argv;
	proc.shown = "compileall";
	proc.null_stdin = 1;
	proc.output = &out;
	proc.max_output = 4 * 1024;
	proc.timeout = 3600;
	status = vc_proc_run(&proc, c->err);
	if (status > 0) {
		vc_error_set(c->err, VC_EFAIL,
		    "compiling bytecode with '%s' failed with exit status %d: "
		    "%s",
		    python, status, out.data != NULL ? out.data : "");
		goto out;
	}
	if (status == 0)
		rc = 0;
out:
	(void)unlink(list);
	free(list);
	vc_buf_release(&names);
	vc_buf_release(&out);
	return rc;
}

/*
 * Adds what compileall wrote for p to the cache (when it wrote one),
 * under its final name, made exclusively: no temporary file and rename
 * (on ext4 that tripled the cost: 1.54 s against 0.43 s for 9,155
 * entries), never synced. A reader that meets it half written, or torn by
 * a crash, finds the length or the checksum wrong and removes it; one
 * that another run is writing is left to that run.
 */
static void
store(struct ctx *c, const struct pending *p)
{
	unsigned char *d, head[VC_BYTECODE_HEAD];
	struct iovec iov[2];
	uint64_t sum;
	char *path, *dir;
	size_t i, blen;
	int fd, ok;

	if (p->hex[0] == '\0' ||
	    (fd = open(p->pyc, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return; /* not cacheable, or compileall could not (syntax) */
	ok = read_fd(fd, VC_BYTECODE_MAX, &c->entry) == 0;
	close(fd);
	d = (unsigned char *)c->entry.data;
	/* Exactly the source it was compiled from, as this run saw it. */
	if (!ok || c->entry.len <= 16 || d[2] != '\r' || d[3] != '\n' ||
	    le32(d + 4) != 0 || le32(d + 8) != p->mtime ||
	    le32(d + 12) != p->size || (d[16] & 0x7f) != 'c')
		return;
	blen = c->entry.len - 16;
	memcpy(head, "VCB1", 4);
	memcpy(head + 4, d, 4);
	put_le32(head + 8, (uint32_t)blen);
	sum = XXH3_64bits(d + 16, blen);
	for (i = 0; i < 8; i++)
		head[12 + i] = (unsigned char)(sum >> (8 * i));
	path = entry_path(c, p->hex);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 && errno == ENOENT) {
		dir = vc_path_dirname(path);
		if (mkdir(dir, 0700) == 0 || errno == EEXIST)
			fd = open(path,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			        O_CLOEXEC,
			    0600);
		free(dir);
	}
	if (fd != -1) {
		iov[0].iov_base = head;
		iov[0].iov_len = sizeof head;
		iov[1].iov_base = d + 16;
		iov[1].iov_len = blen;
		ok = writev(fd, iov, 2) == (ssize_t)(sizeof head + blen);
		if (close(fd) == 0 && ok)
			c->st->stored++;
		else
			(void)unlink(path);
	}
	free(path);
}

/*
 * Opens <venv>/lib/<python*>/site-packages of the venv open at vfd, each
 * step a real directory (no link followed); names it in *site. -1 when
 * there is none.
 */
static int
open_site(int vfd, const char *venv, char **site)
{
	struct dirent *de;
	DIR *d;
	int lib, fd = -1;

	lib =
	    openat(vfd, "lib", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lib == -1 || (d = fdopendir(lib)) == NULL) {
		if (lib != -1)
			close(lib);
		return -1;
	}
	while (fd == -1 && (de = readdir(d)) != NULL) {
		int py;

		if (strncmp(de->d_name, "python", 6) != 0 ||
		    (py = openat(lib, de->d_name,
		         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) ==
		        -1)
			continue;
		fd = openat(py, "site-packages",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(py);
		if (fd != -1)
			*site = xasprintf("%s/lib/%s/site-packages", venv,
			    de->d_name);
	}
	closedir(d);
	return fd;
}

int
vc_bytecode_compile(const struct vc_interp *ip, const char *venv,
    const char *cache, int keep, const char *scratch,
    struct vc_bytecode_stats *st, struct vc_error *err)
{
	struct ctx c;
	char *site = NULL;
	double t0, t1, t2;
	size_t i;
	int vfd, fd, rc = -1;

	memset(st, 0, sizeof *st);
	memset(&c, 0, sizeof c);
	c.cache = cache != NULL && *cache != '\0' ? cache : NULL;
	c.keep = keep;
	c.st = st;
	c.err = err;
	vc_buf_init(&c.src);
	vc_buf_init(&c.entry);
	snprintf(c.tag, sizeof c.tag, "cpython-%d%d", ip->major, ip->minor);
	{
		/* What the marshalled code depends on besides the source. */
		const char *parts[] = {"venvcache bytecode 1", ip->impl,
		    ip->version, ip->build, ip->soabi};
		XXH128_canonical_t canon;
		struct vc_buf b;

		vc_buf_init(&b);
		for (i = 0; i < sizeof parts / sizeof *parts; i++)
			vc_buf_add(&b, parts[i] != NULL ? parts[i] : "",
			    strlen(parts[i] != NULL ? parts[i] : "") + 1);
		XXH128_canonicalFromHash(&canon, XXH3_128bits(b.data, b.len));
		memcpy(c.interp, canon.digest, 16);
		vc_buf_release(&b);
	}
	vfd = open(venv, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (vfd == -1) {
		vc_error_sys(err, "cannot open '%s'", venv);
		goto out;
	}
	fd = open_site(vfd, venv, &site);
	close(vfd);
	if (fd == -1) {
		rc = 0; /* no site-packages: nothing to compile */
		goto out;
	}
	t0 = vc_monotonic();
	if (walk(&c, fd, site, 0) == -1)
		goto out;
	st->compiled = c.ntodo;
	t1 = t2 = vc_monotonic();
	if (c.ntodo > 0) {
		if (compile_pending(&c, ip->executable, scratch) == -1)
			goto out;
		t2 = vc_monotonic();
		if (c.cache != NULL && c.keep)
			for (i = 0; i < c.ntodo; i++)
				store(&c, &c.todo[i]);
	}
	vc_debug("bytecode: walk %.3f s, compileall %.3f s, keeping %.3f s",
	    t1 - t0, t2 - t1, vc_monotonic() - t2);
	rc = 0;
out:
	for (i = 0; i < c.ntodo; i++) {
		free(c.todo[i].path);
		free(c.todo[i].pyc);
	}
	free(c.todo);
	free(site);
	vc_buf_release(&c.src);
	vc_buf_release(&c.entry);
	return rc;
}

int
vc_bytecode_gc(const char *cache, uint64_t max_age, int dry_run,
    uint64_t *removed, uint64_t *freed, uint64_t *kept, uint64_t *kept_size,
    struct vc_error *err)
{
	int64_t now = (int64_t)time(NULL);
	struct dirent *de, *fe;
	DIR *top, *shard;
	int tfd, sfd;

	*removed = *freed = *kept = *kept_size = 0;
	if ((tfd = open(cache,
	         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return vc_error_sys(err, "cannot open '%s'", cache);
	}
	if ((top = fdopendir(tfd)) == NULL) {
		close(tfd);
		return vc_error_sys(err, "cannot read '%s'", cache);
	}
	while ((de = readdir(top)) != NULL) {
		/* The shards: two hex digits. */
		if (strlen(de->d_name) != 2 ||
		    !isxdigit((unsigned char)de->d_name[0]) ||
		    !isxdigit((unsigned char)de->d_name[1]) ||
		    (sfd = openat(tfd, de->d_name,
		         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) ==
		        -1)
			continue;
		if ((shard = fdopendir(sfd)) == NULL) {
			close(sfd);
			continue;
		}
		while ((fe = readdir(shard)) != NULL) {
			struct stat st;
			int64_t used;

			if (fe->d_name[0] == '.' ||
			    fstatat(sfd, fe->d_name, &st,
			        AT_SYMLINK_NOFOLLOW) == -1 ||
			    !S_ISREG(st.st_mode))
				continue;
			/* Read last (atime: relatime moves it once a day),
			 * or written. */
			used = st.st_atime > st.st_mtime ? st.st_atime
			                                 : st.st_mtime;
			if (max_age == 0 || now - used < (int64_t)max_age) {
				(*kept)++;
				*kept_size += (uint64_t)st.st_size;
				continue;
			}
			if (!dry_run && unlinkat(sfd, fe->d_name, 0) == -1)
				continue;
			(*removed)++;
			*freed += (uint64_t)st.st_size;
		}
		closedir(shard);
	}
	closedir(top);
	return 0;
}
