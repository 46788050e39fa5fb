/*
 * archive-pack.c: a tree into a pax tar cut into independent zstd frames.
 *
 * One thread walks the tree in sorted order, writes the tar headers and
 * reads each file once, straight into the frame being filled (scanning it
 * for the prefix on the way). The tar stream is cut into frames of
 * FRAME_SIZE bytes that worker threads compress while the walk goes on;
 * frames are written in order, hashed as they are written and recorded in
 * the frame index.
 *
 * The tar format is what libarchive's pax writers and GNU tar --posix
 * write: ustar headers, and a pax extended header ('x') only where ustar
 * cannot say it: long or non-ASCII names and link targets, sizes of 8 GiB
 * and more, and sub-second mtimes (which libarchive's pax_restricted drops,
 * and which Python's .pyc checks and a byte-identical restore need). The
 * headers are written here rather than by libarchive because its pax writer
 * depends on the process's locale for non-ASCII names (it adds
 * hdrcharset=BINARY in the C locale, and crashes on a UTF-8 name it cannot
 * convert), and an archive must not depend on who packs it. Owners are
 * not recorded (uid and gid 0, no names): a restore belongs to its user.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "venvcache/archive.h"
#include "venvcache/log.h"

/* Bytes of tar stream per zstd frame: a multiple of the tar block. */
#define FRAME_SIZE (4u << 20)
/* Bytes read from a file at once (reads also stop at frame ends). */
#define READ_SIZE (1u << 20)
/* Bytes read at once by vc_archive_checksum. */
#define HASH_READ_SIZE (4u << 20)
#define TAR_BLOCK 512
/* Compression threads at most: each holds two frames' worth of memory. */
#define MAX_THREADS 32
/* Sizes and mtimes from 2^33 on do not fit ustar's octal fields. */
#define USTAR_MAX (1ULL << 33)

enum slot_state {
	SLOT_FREE,
	SLOT_QUEUED, /* full, waiting for a worker */
	SLOT_BUSY,   /* a worker compresses it */
	SLOT_DONE,   /* compressed, waiting to be written */
	SLOT_FAILED, /* compression failed */
};

struct slot {
	char *in;
	size_t inlen;
	char *out;
	size_t outcap;
	size_t outlen;
	enum slot_state state;
	const char *zerr; /* zstd's message when FAILED */
};

struct packer {
	/* Options. */
	int level;
	const char *prefix;
	size_t plen;
	const char *const *exclude;
	int out_fd;

	/* The ring of frames: sequence number n lives in slots[n % nslots]. */
	struct slot *slots;
	size_t nslots;
	uint64_t filled;  /* frames handed to the workers */
	uint64_t taken;   /* frames a worker has taken */
	uint64_t written; /* frames written out */
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t work; /* a frame was queued, or stop */
	pthread_cond_t done; /* a frame was compressed */
	pthread_t *tids;
	int nthreads;
	int nstarted;

	/* Output. */
	XXH3_state_t *xxh;
	uint64_t offset;
	size_t framecap;

	/* The tree walk. */
	struct vc_buf path;
	struct vc_buf pax; /* extended header records of a member */
	char *join;        /* 2 * plen bytes: the prefix scan across reads */
	struct vc_pack_result *res;
	struct vc_error *err;
};

void
vc_pack_result_init(struct vc_pack_result *r)
{
	memset(r, 0, sizeof *r);
	vc_strv_init(&r->prefix_files);
	vc_strv_init(&r->prefix_binary);
}

void
vc_pack_result_release(struct vc_pack_result *r)
{
	vc_strv_release(&r->prefix_files);
	vc_strv_release(&r->prefix_binary);
	free(r->frames);
	vc_pack_result_init(r);
}

static void
hex128(XXH128_hash_t h, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	XXH128_canonical_t c;
	size_t i;

	XXH128_canonicalFromHash(&c, h);
	for (i = 0; i < sizeof c.digest; i++) {
		out[2 * i] = digits[c.digest[i] >> 4];
		out[2 * i + 1] = digits[c.digest[i] & 15];
	}
	out[32] = '\0';
}

/* A multiple of the page size. */
#define HASH_WINDOW ((size_t)8 << 20)

int
vc_archive_checksum(int fd, char out[33], uint64_t *size, struct vc_error *err)
{
	XXH3_state_t *st = NULL;
	struct stat sb;
	char *buf = NULL;
	uint64_t off = 0;
	ssize_t n;
	int rc = -1;

	st = XXH3_createState();
	if (st == NULL || XXH3_128bits_reset(st) != XXH_OK) {
		vc_error_set(err, VC_EFAIL, "cannot start a checksum");
		goto out;
	}
	/*
	 * The common case, an archive in the page cache: hash it in place,
	 * a window at a time (memory stays bounded whatever its size),
	 * without copying it through a buffer first.
	 */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		size_t len;
		void *map;

		for (off = 0; off < (uint64_t)sb.st_size; off += len) {
			len = (uint64_t)sb.st_size - off < HASH_WINDOW
			    ? (size_t)((uint64_t)sb.st_size - off)
			    : HASH_WINDOW;
			map = mmap(NULL, len, PROT_READ,
			    MAP_PRIVATE | MAP_POPULATE, fd, (off_t)off);
			if (map == MAP_FAILED)
				break; /* read() the rest */
			XXH3_128bits_update(st, map, len);
			munmap(map, len);
		}
	}
	buf = xmalloc(HASH_READ_SIZE);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		n = pread(fd, buf, HASH_READ_SIZE, (off_t)off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			vc_error_sys(err, "cannot read the archive");
			goto out;
		}
		if (n == 0)
			break;
		XXH3_128bits_update(st, buf, (size_t)n);
		off += (uint64_t)n;
	}
	hex128(XXH3_128bits_digest(st), out);
	if (size != NULL)
		*size = off;
	rc = 0;
out:
	free(buf);
	XXH3_freeState(st);
	return rc;
}

/* --- compression workers --------------------------------------------- */

static void *
worker(void *arg)
{
	struct packer *p = arg;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	struct slot *s;
	size_t r;

	if (cc != NULL) {
		ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, p->level);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->taken == p->filled)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->filled)
			break;
		s = &p->slots[p->taken++ % p->nslots];
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		/*
		 * The size is known, so the frame records it and its window
		 * is at most FRAME_SIZE: far below 2^27, never long mode.
		 */
		if (cc == NULL)
			r = (size_t)-1;
		else
			r = ZSTD_compress2(cc, s->out, s->outcap, s->in,
			    s->inlen);
		pthread_mutex_lock(&p->mu);
		if (ZSTD_isError(r)) {
			s->zerr =
			    cc == NULL ? "out of memory" : ZSTD_getErrorName(r);
			s->state = SLOT_FAILED;
		} else {
			s->outlen = r;
			s->state = SLOT_DONE;
		}
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	ZSTD_freeCCtx(cc);
	return NULL;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes out the oldest frame once it is compressed. */
static int
write_oldest(struct packer *p)
{
	struct slot *s = &p->slots[p->written % p->nslots];
	struct vc_frame *f;

	pthread_mutex_lock(&p->mu);
	while (s->state == SLOT_QUEUED || s->state == SLOT_BUSY)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (s->state == SLOT_FAILED)
		return vc_error_set(p->err, VC_EFAIL, "cannot compress: %s",
		    s->zerr);
	if (write_all(p->out_fd, s->out, s->outlen) == -1)
		return vc_error_sys(p->err, "cannot write the archive");
	XXH3_128bits_update(p->xxh, s->out, s->outlen);
	p->res->frames = xgrow(p->res->frames, &p->framecap,
	    p->res->nframes + 1, sizeof *p->res->frames);
	f = &p->res->frames[p->res->nframes++];
	f->offset = p->offset;
	f->csize = s->outlen;
	f->usize = s->inlen;
	p->offset += s->outlen;
	s->inlen = 0;
	s->state = SLOT_FREE;
	p->written++;
	return 0;
}

/* Hands the frame being filled to the workers and frees the next slot. */
static int
queue_frame(struct packer *p)
{
	struct slot *s = &p->slots[p->filled % p->nslots];

	if (s->inlen == 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_QUEUED;
	p->filled++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	/* The slot to fill next may still hold a frame to write out. */
	if (p->filled - p->written >= p->nslots)
		return write_oldest(p);
	return 0;
}

/* Appends to the tar stream, cutting it into frames. */
static int
emit(struct packer *p, const void *buf, size_t len)
{
	const char *src = buf;
	struct slot *s;
	size_t n;

	while (len > 0) {
		s = &p->slots[p->filled % p->nslots];
		n = FRAME_SIZE - s->inlen;
		if (n > len)
			n = len;
		memcpy(s->in + s->inlen, src, n);
		s->inlen += n;
		src += n;
		len -= n;
		if (s->inlen == FRAME_SIZE && queue_frame(p) == -1)
			return -1;
	}
	return 0;
}

static int
emit_padding(struct packer *p, uint64_t size)
{
	static const char zeros[TAR_BLOCK];

	return emit(p, zeros, (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);
}

static int
start_workers(struct packer *p)
{
	size_t i;
	int e;

	/* One frame per worker, one being filled, one being written. */
	p->nslots = (size_t)p->nthreads + 2;
	p->slots = xcalloc(p->nslots, sizeof *p->slots);
	for (i = 0; i < p->nslots; i++) {
		p->slots[i].in = xmalloc(FRAME_SIZE);
		p->slots[i].outcap = ZSTD_compressBound(FRAME_SIZE);
		p->slots[i].out = xmalloc(p->slots[i].outcap);
	}
	p->tids = xcalloc((size_t)p->nthreads, sizeof *p->tids);
	for (p->nstarted = 0; p->nstarted < p->nthreads; p->nstarted++) {
		e = pthread_create(&p->tids[p->nstarted], NULL, worker, p);
		if (e != 0) {
			errno = e;
			if (p->nstarted > 0)
				break; /* fewer threads do */
			return vc_error_sys(p->err, "cannot start a thread");
		}
	}
	return 0;
}

static void
stop_workers(struct packer *p)
{
	int i;

	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nstarted; i++)
		pthread_join(p->tids[i], NULL);
	p->nstarted = 0;
}

/* --- the tree walk ---------------------------------------------------- */

static int
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Appends one pax record, "<len> key=value\n", <len> counting itself. */
static void
pax_record(struct vc_buf *b, const char *key, const char *val, size_t vlen)
{
	size_t body = strlen(key) + vlen + 3, d, t, digits;

	/* The number of digits of the length, itself included. */
	for (d = 1;; d++) {
		for (t = body + d, digits = 1; t >= 10; t /= 10)
			digits++;
		if (digits == d)
			break;
	}
	vc_buf_addf(b, "%zu %s=", body + d, key);
	vc_buf_add(b, val, vlen);
	vc_buf_addc(b, '\n');
}

/* An octal field: width - 1 digits and a NUL, as GNU tar writes them. */
static void
octal(char *field, size_t width, uint64_t v)
{
	snprintf(field, width + 1, "%0*llo", (int)(width - 1),
	    (unsigned long long)v);
}

/* Where ustar's prefix field ends for `name`, or NULL: no split fits. */
static const char *
ustar_split(const char *name, size_t n)
{
	const char *slash;

	if (n <= 100 || n > 256)
		return NULL;
	/* The first slash that leaves at most 100 bytes after it. */
	for (slash = name + n - 101; slash < name + n; slash++)
		if (*slash == '/')
			break;
	if (slash >= name + n - 1 || slash == name || slash - name > 155)
		return NULL;
	return slash;
}

/* Does `name` fit ustar's name and prefix fields as it is? */
static int
ustar_fits(const char *name)
{
	size_t n = strlen(name);

	return ascii(name) && (n <= 100 || ustar_split(name, n) != NULL);
}

/*
 * A ustar header block. A `name` that does not fit (the caller has then
 * written a pax path record) gets a shortened copy.
 */
static void
ustar_header(char *h, const char *name, char type, mode_t perm, uint64_t size,
    int64_t mtime, const char *link)
{
	size_t n = strlen(name), i;
	unsigned sum = 0;
	const char *slash = ustar_fits(name) ? ustar_split(name, n) : NULL;

	memset(h, 0, TAR_BLOCK);
	if (slash != NULL) {
		memcpy(h + 345, name, (size_t)(slash - name));
		memcpy(h, slash + 1, n - (size_t)(slash - name) - 1);
	} else {
		memcpy(h, name, n < 100 ? n : 100);
	}
	octal(h + 100, 8, perm);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size < USTAR_MAX ? size : 0);
	octal(h + 136, 12,
	    mtime >= 0 && (uint64_t)mtime < USTAR_MAX ? (uint64_t)mtime : 0);
	h[156] = type;
	if (link != NULL)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	octal(h + 329, 8, 0);
	octal(h + 337, 8, 0);
	memset(h + 148, ' ', 8);
	for (i = 0; i < TAR_BLOCK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
}

/* Starts a member: its headers, everything but the data. */
static int
put_header(struct packer *p, const struct stat *st, char type, const char *link,
    uint64_t size)
{
	char h[TAR_BLOCK], num[48], *name = NULL, *xname = NULL;
	const char *slash;
	mode_t perm = st->st_mode & 07777;
	int64_t sec = st->st_mtim.tv_sec;
	long nsec = st->st_mtim.tv_nsec;
	int rc = -1, k;

	/*
	 * The packer's own tree is trusted, but what it writes must pass its
	 * own extractor: no setuid/setgid bits, no sticky bit on files.
	 */
	perm &= ~(mode_t)(S_ISUID | S_ISGID);
	if (type != '5')
		perm &= ~(mode_t)S_ISVTX;
	name = type == '5' ? xasprintf("%s/", p->path.data)
	                   : xstrdup(p->path.data);
	vc_buf_reset(&p->pax);
	if (!ustar_fits(name))
		pax_record(&p->pax, "path", name, strlen(name));
	if (link != NULL && (strlen(link) > 100 || !ascii(link)))
		pax_record(&p->pax, "linkpath", link, strlen(link));
	if (size >= USTAR_MAX) {
		k = snprintf(num, sizeof num, "%llu", (unsigned long long)size);
		pax_record(&p->pax, "size", num, (size_t)k);
	}
	if (nsec != 0 || sec < 0 || (uint64_t)sec >= USTAR_MAX) {
		if (sec < 0 && nsec != 0)
			k = snprintf(num, sizeof num, "-%lld.%09ld",
			    -(long long)sec - 1, 1000000000L - nsec);
		else
			k = snprintf(num, sizeof num, "%lld.%09ld",
			    (long long)sec, nsec);
		while (num[k - 1] == '0')
			k--;
		if (num[k - 1] == '.')
			k--;
		pax_record(&p->pax, "mtime", num, (size_t)k);
	}
	if (p->pax.len > 0) {
		/* Named as libarchive names it: dir/PaxHeader/base. */
		slash = strrchr(p->path.data, '/');
		if (slash == NULL)
			xname = xasprintf("PaxHeader/%s", p->path.data);
		else
			xname = xasprintf("%.*s/PaxHeader/%s",
			    (int)(slash - p->path.data), p->path.data,
			    slash + 1);
		for (k = 0; xname[k] != '\0'; k++)
			if ((unsigned char)xname[k] >= 0x80)
				xname[k] = '_';
		ustar_header(h, xname, 'x', 0644, p->pax.len, sec, NULL);
		if (emit(p, h, TAR_BLOCK) == -1 ||
		    emit(p, p->pax.data, p->pax.len) == -1 ||
		    emit_padding(p, p->pax.len) == -1)
			goto out;
	}
	ustar_header(h, name, type, perm, size, sec, link);
	if (emit(p, h, TAR_BLOCK) == -1)
		goto out;
	p->res->file_count++;
	rc = 0;
out:
	free(xname);
	free(name);
	return rc;
}

/* The prefix scan of one file: matches across reads are found too. */
struct scan {
	size_t tail; /* bytes of the previous reads kept in p->join */
	int found;
	int nul;
};

static void
scan_chunk(const struct packer *p, struct scan *sc, const char *data, size_t n)
{
	size_t keep = p->plen - 1, head, old;

	if (!sc->nul && memchr(data, '\0', n) != NULL)
		sc->nul = 1;
	if (sc->found)
		return;
	if (sc->tail > 0) {
		/* The end of what came before, and the start of this. */
		head = n < keep ? n : keep;
		memcpy(p->join + sc->tail, data, head);
		if (memmem(p->join, sc->tail + head, p->prefix, p->plen)) {
			sc->found = 1;
			return;
		}
	}
	if (memmem(data, n, p->prefix, p->plen) != NULL) {
		sc->found = 1;
		return;
	}
	if (n >= keep) {
		memcpy(p->join, data + n - keep, keep);
		sc->tail = keep;
	} else {
		/* A short read: the last `keep` bytes of both. */
		old = sc->tail + n > keep ? keep - n : sc->tail;
		memmove(p->join, p->join + sc->tail - old, old);
		memcpy(p->join + old, data, n);
		sc->tail = old + n;
	}
}

static int
pack_file(struct packer *p, int dfd, const char *name)
{
	struct scan sc = {0, 0, 0};
	struct stat st;
	struct slot *s;
	uint64_t left;
	ssize_t n;
	size_t want;
	char *dst;
	int fd, rc = -1, scanning = p->plen > 0;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return vc_error_sys(p->err, "cannot open '%s'", p->path.data);
	if (fstat(fd, &st) == -1) {
		vc_error_sys(p->err, "cannot stat '%s'", p->path.data);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = 0; /* replaced while we walked: leave it out */
		goto out;
	}
	if (put_header(p, &st, '0', NULL, (uint64_t)st.st_size) == -1)
		goto out;
	/* Straight into the frame being filled. */
	for (left = (uint64_t)st.st_size; left > 0; left -= (uint64_t)n) {
		s = &p->slots[p->filled % p->nslots];
		want = FRAME_SIZE - s->inlen;
		if (want > READ_SIZE)
			want = READ_SIZE;
		if (want > left)
			want = (size_t)left;
		dst = s->in + s->inlen;
		n = read(fd, dst, want);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1) {
			vc_error_sys(p->err, "cannot read '%s'", p->path.data);
			goto out;
		}
		if (n == 0) {
			vc_error_set(p->err, VC_EFAIL,
			    "cannot pack '%s': the file shrank while read",
			    p->path.data);
			goto out;
		}
		if (scanning) {
			scan_chunk(p, &sc, dst, (size_t)n);
			scanning = !(sc.found && sc.nul);
		}
		s->inlen += (size_t)n;
		if (s->inlen == FRAME_SIZE && queue_frame(p) == -1)
			goto out;
	}
	if (emit_padding(p, (uint64_t)st.st_size) == -1)
		goto out;
	p->res->unpacked_size += (uint64_t)st.st_size;
	vc_phase_bytes(p->res->unpacked_size);
	if (sc.found)
		vc_strv_push(sc.nul ? &p->res->prefix_binary
		                    : &p->res->prefix_files,
		    p->path.data);
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
cmpname(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
excluded(const struct packer *p, const char *rel)
{
	const char *base = strrchr(rel, '/');
	size_t i;

	/* What actions/cache's tar leaves out (--exclude cache.tzst). */
	if (strcmp(base != NULL ? base + 1 : rel, "cache.tzst") == 0)
		return 1;
	for (i = 0; p->exclude != NULL && p->exclude[i] != NULL; i++)
		if (strcmp(p->exclude[i], rel) == 0)
			return 1;
	return 0;
}

static int
pack_symlink(struct packer *p, int dfd, const char *name, const struct stat *st)
{
	char target[PATH_MAX + 1];
	ssize_t n;

	n = readlinkat(dfd, name, target, sizeof target);
	if (n == -1)
		return vc_error_sys(p->err, "cannot read link '%s'",
		    p->path.data);
	if ((size_t)n >= sizeof target) {
		errno = ENAMETOOLONG;
		return vc_error_sys(p->err, "cannot read link '%s'",
		    p->path.data);
	}
	target[n] = '\0';
	return put_header(p, st, '2', target, 0);
}

/* Packs the entries of the directory open as `dfd`; p->path is its name. */
static int
pack_dir(struct packer *p, int dfd)
{
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	char **names = NULL;
	size_t n = 0, cap = 0, i, len = p->path.len;
	int fd, rc = -1;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return vc_error_sys(p->err, "cannot read directory '%s'",
		    len ? p->path.data : ".");
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		names = xgrow(names, &cap, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	if (errno != 0) {
		vc_error_sys(p->err, "cannot read directory '%s'",
		    len ? p->path.data : ".");
		goto out;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, cmpname);
	for (i = 0; i < n; i++) {
		p->path.len = len;
		if (len > 0)
			vc_buf_addc(&p->path, '/');
		vc_buf_adds(&p->path, names[i]);
		if (excluded(p, p->path.data))
			continue;
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			if (errno == ENOENT)
				continue; /* gone while we walked */
			vc_error_sys(p->err, "cannot stat '%s'", p->path.data);
			goto out;
		}
		if (S_ISREG(st.st_mode)) {
			if (pack_file(p, dirfd(d), names[i]) == -1)
				goto out;
		} else if (S_ISLNK(st.st_mode)) {
			if (pack_symlink(p, dirfd(d), names[i], &st) == -1)
				goto out;
		} else if (S_ISDIR(st.st_mode)) {
			if (put_header(p, &st, '5', NULL, 0) == -1)
				goto out;
			fd = openat(dirfd(d), names[i],
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1) {
				vc_error_sys(p->err,
				    "cannot open directory '%s'", p->path.data);
				goto out;
			}
			if (pack_dir(p, fd) == -1)
				goto out;
		}
		/* Sockets, FIFOs and devices have nothing to cache. */
	}
	rc = 0;
out:
	p->path.len = len;
	p->path.data[len] = '\0';
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int
vc_archive_pack(const char *dir, int out_fd, const struct vc_pack_opts *opts,
    struct vc_pack_result *res, struct vc_error *err)
{
	static const char end[2 * TAR_BLOCK];
	struct packer p;
	int fd = -1, rc = -1, mu_init = 0;
	size_t i;

	memset(&p, 0, sizeof p);
	vc_pack_result_release(res);
	p.level = opts->level < 1 ? 3 : opts->level > 19 ? 19 : opts->level;
	p.nthreads = opts->threads > 0 ? opts->threads : vc_ncpus();
	if (p.nthreads > MAX_THREADS)
		p.nthreads = MAX_THREADS;
	p.prefix = opts->prefix;
	p.plen = opts->prefix != NULL ? strlen(opts->prefix) : 0;
	p.exclude = opts->exclude;
	p.out_fd = out_fd;
	p.res = res;
	p.err = err;
	vc_buf_init(&p.path);
	vc_buf_adds(&p.path, "");
	vc_buf_init(&p.pax);
	p.join = xmalloc(2 * p.plen + 1);

	if (pthread_mutex_init(&p.mu, NULL) != 0 ||
	    pthread_cond_init(&p.work, NULL) != 0 ||
	    pthread_cond_init(&p.done, NULL) != 0) {
		vc_error_set(err, VC_EFAIL, "cannot start the packer");
		goto out;
	}
	mu_init = 1;
	p.xxh = XXH3_createState();
	if (p.xxh == NULL || XXH3_128bits_reset(p.xxh) != XXH_OK) {
		vc_error_set(err, VC_EFAIL, "cannot start a checksum");
		goto out;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		vc_error_sys(err, "cannot open '%s'", dir);
		goto out;
	}
	if (start_workers(&p) == -1)
		goto out;
	if (pack_dir(&p, fd) == -1) {
		fd = -1; /* pack_dir closed it */
		goto out;
	}
	fd = -1;
	/* The two zero blocks that end the archive; the last frame. */
	if (emit(&p, end, sizeof end) == -1 || queue_frame(&p) == -1)
		goto out;
	while (p.written < p.filled)
		if (write_oldest(&p) == -1)
			goto out;
	res->archive_size = p.offset;
	hex128(XXH3_128bits_digest(p.xxh), res->checksum);
	vc_strv_sort_uniq(&res->prefix_files);
	vc_strv_sort_uniq(&res->prefix_binary);
	rc = 0;
out:
	if (p.nstarted > 0)
		stop_workers(&p);
	if (fd != -1)
		close(fd);
	for (i = 0; p.slots != NULL && i < p.nslots; i++) {
		free(p.slots[i].in);
		free(p.slots[i].out);
	}
	free(p.slots);
	free(p.tids);
	XXH3_freeState(p.xxh);
	if (mu_init) {
		pthread_mutex_destroy(&p.mu);
		pthread_cond_destroy(&p.work);
		pthread_cond_destroy(&p.done);
	}
	free(p.join);
	vc_buf_release(&p.pax);
	vc_buf_release(&p.path);
	if (rc == -1)
		vc_pack_result_release(res);
	return rc;
}
