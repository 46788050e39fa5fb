/*
 * archive-extract.c: a hostile pax tar in zstd frames into a directory.
 *
 * Two sides joined by a small ring of blocks of tar stream:
 *  - decoders: with a usable frame index, threads that each read one whole
 *    frame and decompress it in one call (frames in parallel); without
 *    one, a single thread that streams the archive through zstd;
 *  - the writer (the calling thread): parses the tar headers itself and
 *    writes each member straight from the decoded blocks.
 * Memory is bounded by the ring, whatever the archive's size.
 *
 * Every name is checked before use, every directory is reached without
 * following a symlink (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or an
 * O_NOFOLLOW walk, through vc_openat_beneath), every file, directory and
 * link is created exclusively, and limits are checked before a byte is
 * written. The open directories along the current path are kept on a stack,
 * so that consecutive members of one directory cost one openat each.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_forceIgnoreChecksum */
#include <zstd.h>

#include "venvcache/archive.h"
#include "venvcache/log.h"

/* Tar stream per block when streaming. */
#define CHUNK_SIZE (4u << 20)
/* Compressed bytes read at once when streaming. */
#define IN_SIZE (1u << 20)
/* Frames larger than this make the index unusable (then: streaming). */
#define MAX_FRAME_USIZE (32u << 20)
/* Decoder threads at most (each block may hold 32 MiB). */
#define MAX_DECODERS 16
/* Writer threads at most, and writes queued for them at most. */
#define MAX_WRITERS 8
#define WQ_SIZE 256
/* Largest pax extended header or GNU long name accepted. */
#define MAX_EXT_SIZE (64u << 10)
/* Extended headers in a row before a member. */
#define MAX_EXT_RUN 8
/* Directory fds kept open on the stack beyond the root. */
#define MAX_OPEN_DIRS 48
/* Window limit of a streamed frame (actions/cache: no long mode). */
#define MAX_WINDOW_LOG 27
/* Stream accepted after the end-of-archive block (GNU tar pads to 10 KiB). */
#define MAX_TRAILING (1u << 20)
/* Bytes of a member name quoted in a message. */
#define MSG_NAME_MAX 200

#define TAR_BLOCK 512
#define NONE UINT64_MAX

/* --- decoders ---------------------------------------------------------- */

struct block {
	char *out;
	size_t outcap;
	size_t len;
	char *in;
	size_t incap;
	uint64_t seq;
	int ready;
	atomic_int refs; /* the parser's, and queued writes' */
};

struct source {
	int fd;
	int seekable;
	int verified; /* skip zstd's frame checksums: the file's was checked */
	const struct vc_frame *frames; /* NULL: streaming */
	size_t nframes;
	struct block *blk;
	size_t nblk;
	pthread_mutex_t mu;
	pthread_cond_t space; /* a block was released, or stop */
	pthread_cond_t data;  /* a block is ready, or failure, or the end */
	uint64_t claimed;     /* frames taken by a decoder */
	uint64_t consumed;    /* blocks the parser has moved past */
	uint64_t released;    /* blocks freed, in order: no one uses them */
	uint64_t total;       /* blocks in all, NONE until known */
	uint64_t fail_seq;    /* the first block that failed, or NONE */
	enum vc_errcode fail_code;
	char fail_msg[256];
	int stop;
	pthread_t *tids;
	int nstarted;
	int holding; /* the parser holds block `cur` */
	uint64_t cur;
};

static void src_fail(struct source *s, uint64_t seq, enum vc_errcode code,
    const char *fmt, ...) VC_PRINTF(4, 5);

static void
src_fail(struct source *s, uint64_t seq, enum vc_errcode code, const char *fmt,
    ...)
{
	va_list ap;

	pthread_mutex_lock(&s->mu);
	if (seq < s->fail_seq) {
		s->fail_seq = seq;
		s->fail_code = code;
		va_start(ap, fmt);
		vsnprintf(s->fail_msg, sizeof s->fail_msg, fmt, ap);
		va_end(ap);
	}
	pthread_cond_broadcast(&s->data);
	pthread_mutex_unlock(&s->mu);
}

/* Waits for the ring slot of block `seq`; 0 when told to stop. */
static int
wait_slot(struct source *s, uint64_t seq)
{
	int ok;

	pthread_mutex_lock(&s->mu);
	while (!s->stop && seq >= s->released + s->nblk)
		pthread_cond_wait(&s->space, &s->mu);
	ok = !s->stop;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static void
publish(struct source *s, struct block *b, uint64_t seq)
{
	pthread_mutex_lock(&s->mu);
	b->seq = seq;
	b->ready = 1;
	pthread_cond_broadcast(&s->data);
	pthread_mutex_unlock(&s->mu);
}

static int
pread_all(int fd, char *buf, size_t n, uint64_t off, size_t *got)
{
	ssize_t r;

	*got = 0;
	while (*got < n) {
		r = pread(fd, buf + *got, n - *got, (off_t)(off + *got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

/* Reads and decompresses frame `n` of the index into `b`. */
static int
decode_frame(struct source *s, ZSTD_DCtx *dc, uint64_t n, struct block *b)
{
	const struct vc_frame *f = &s->frames[n];
	unsigned long long fcs;
	size_t got, r;

	if (pread_all(s->fd, b->in, (size_t)f->csize, f->offset, &got) == -1) {
		src_fail(s, n, VC_EFAIL, "cannot read the archive: %s",
		    strerror(errno));
		return -1;
	}
	if (got != f->csize) {
		src_fail(s, n, VC_ECORRUPT,
		    "the archive is shorter than its frame index says");
		return -1;
	}
	fcs = ZSTD_getFrameContentSize(b->in, got);
	r = ZSTD_findFrameCompressedSize(b->in, got);
	if (fcs != f->usize || ZSTD_isError(r) || r != got) {
		src_fail(s, n, VC_ECORRUPT,
		    "zstd frame %llu does not match the frame index",
		    (unsigned long long)n);
		return -1;
	}
	r = ZSTD_decompressDCtx(dc, b->out, (size_t)f->usize, b->in, got);
	if (ZSTD_isError(r) || r != f->usize) {
		src_fail(s, n, VC_ECORRUPT, "cannot decompress the archive: %s",
		    ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short frame");
		return -1;
	}
	b->len = (size_t)r;
	return 0;
}

static void *
frame_decoder(void *arg)
{
	struct source *s = arg;
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	struct block *b;
	uint64_t n;

	if (dc == NULL) {
		src_fail(s, 0, VC_EFAIL, "cannot decompress: out of memory");
		return NULL;
	}
	if (s->verified)
		ZSTD_DCtx_setParameter(dc, ZSTD_d_forceIgnoreChecksum,
		    ZSTD_d_ignoreChecksum);
	for (;;) {
		pthread_mutex_lock(&s->mu);
		if (s->stop || s->fail_seq != NONE ||
		    s->claimed >= s->nframes) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		n = s->claimed++;
		pthread_mutex_unlock(&s->mu);
		if (!wait_slot(s, n))
			break;
		b = &s->blk[n % s->nblk];
		if (decode_frame(s, dc, n, b) == -1)
			break;
		publish(s, b, n);
	}
	ZSTD_freeDCtx(dc);
	return NULL;
}

/* Reads compressed input when streaming: 0 at the end, -1 on error. */
static ssize_t
read_in(struct source *s, char *buf, size_t n, uint64_t off)
{
	ssize_t r;

	for (;;) {
		r = s->seekable ? pread(s->fd, buf, n, (off_t)off)
		                : read(s->fd, buf, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == ESPIPE && s->seekable) {
			s->seekable = 0;
			continue;
		}
		return r;
	}
}

static void *
stream_decoder(void *arg)
{
	struct source *s = arg;
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	char *in = xmalloc(IN_SIZE);
	ZSTD_inBuffer ib = {in, 0, 0};
	ZSTD_outBuffer ob;
	struct block *b;
	uint64_t seq = 0, off = 0;
	int eof = 0, in_frame = 0;
	size_t r, before_in, before_out;
	ssize_t n;

	if (dc == NULL) {
		src_fail(s, 0, VC_EFAIL, "cannot decompress: out of memory");
		goto out;
	}
	ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax, MAX_WINDOW_LOG);
	if (s->verified)
		ZSTD_DCtx_setParameter(dc, ZSTD_d_forceIgnoreChecksum,
		    ZSTD_d_ignoreChecksum);
	for (;;) {
		if (!wait_slot(s, seq))
			goto out;
		b = &s->blk[seq % s->nblk];
		b->len = 0;
		while (b->len < b->outcap) {
			if (ib.pos == ib.size && !eof) {
				n = read_in(s, in, IN_SIZE, off);
				if (n == -1) {
					src_fail(s, seq, VC_EFAIL,
					    "cannot read the archive: %s",
					    strerror(errno));
					goto out;
				}
				if (n == 0)
					eof = 1;
				off += (uint64_t)n;
				ib.size = (size_t)n;
				ib.pos = 0;
				continue;
			}
			ob.dst = b->out;
			ob.size = b->outcap;
			ob.pos = b->len;
			before_in = ib.pos;
			before_out = ob.pos;
			r = ZSTD_decompressStream(dc, &ob, &ib);
			if (ZSTD_isError(r)) {
				src_fail(s, seq, VC_ECORRUPT,
				    "cannot decompress the archive: %s",
				    ZSTD_getErrorName(r));
				goto out;
			}
			b->len = ob.pos;
			if (ib.pos == before_in && ob.pos == before_out) {
				if (ib.pos < ib.size) {
					src_fail(s, seq, VC_ECORRUPT,
					    "cannot decompress the archive");
					goto out;
				}
				if (eof)
					break; /* nothing more to come */
				continue;
			}
			in_frame = r != 0;
		}
		if (b->len > 0)
			publish(s, b, seq++);
		if (eof && ib.pos == ib.size && b->len < b->outcap)
			break;
	}
	if (in_frame) {
		src_fail(s, seq, VC_ECORRUPT,
		    "the archive is truncated (its last zstd frame is cut)");
		goto out;
	}
	pthread_mutex_lock(&s->mu);
	s->total = seq;
	pthread_cond_broadcast(&s->data);
	pthread_mutex_unlock(&s->mu);
out:
	free(in);
	ZSTD_freeDCtx(dc);
	return NULL;
}

/*
 * An index is used only when it describes the whole file as contiguous
 * frames of a sane size; otherwise the archive is streamed (a bad index
 * then costs speed, never safety).
 */
static int
index_usable(const struct vc_frame *f, size_t n, uint64_t fsize, size_t *maxc,
    size_t *maxu)
{
	uint64_t off = 0;
	size_t i;

	*maxc = *maxu = 0;
	if (f == NULL || n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (f[i].offset != off || f[i].usize == 0 ||
		    f[i].usize > MAX_FRAME_USIZE || f[i].csize == 0 ||
		    f[i].csize > ZSTD_compressBound((size_t)f[i].usize))
			return 0;
		off += f[i].csize;
		if (f[i].csize > *maxc)
			*maxc = (size_t)f[i].csize;
		if (f[i].usize > *maxu)
			*maxu = (size_t)f[i].usize;
	}
	return off == fsize;
}

static int
src_start(struct source *s, int fd, const struct vc_extract_opts *o,
    struct vc_error *err)
{
	size_t maxc = 0, maxu = 0, i;
	struct stat st;
	int nthreads, e;

	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->total = NONE;
	s->fail_seq = NONE;
	if (pthread_mutex_init(&s->mu, NULL) != 0 ||
	    pthread_cond_init(&s->space, NULL) != 0 ||
	    pthread_cond_init(&s->data, NULL) != 0)
		return vc_error_set(err, VC_EFAIL, "cannot start decoding");
	s->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	s->verified = o->verified;
	if (s->seekable &&
	    index_usable(o->frames, o->nframes, (uint64_t)st.st_size, &maxc,
	        &maxu)) {
		s->frames = o->frames;
		s->nframes = o->nframes;
		s->total = o->nframes;
	}
	if (s->seekable)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* The writer takes one CPU; the decoders the others. */
	nthreads = o->threads > 0 ? o->threads : vc_ncpus() - 1;
	if (nthreads < 1)
		nthreads = 1;
	if (s->frames == NULL)
		nthreads = 1;
	else if (nthreads > MAX_DECODERS)
		nthreads = MAX_DECODERS;
	else if ((size_t)nthreads > s->nframes)
		nthreads = (int)s->nframes;
	s->nblk = (size_t)nthreads + 2;
	s->blk = xcalloc(s->nblk, sizeof *s->blk);
	for (i = 0; i < s->nblk; i++) {
		s->blk[i].outcap = s->frames != NULL ? maxu : CHUNK_SIZE;
		s->blk[i].out = xmalloc(s->blk[i].outcap);
		if (s->frames != NULL) {
			s->blk[i].incap = maxc;
			s->blk[i].in = xmalloc(maxc);
		}
	}
	s->tids = xcalloc((size_t)nthreads, sizeof *s->tids);
	for (s->nstarted = 0; s->nstarted < nthreads; s->nstarted++) {
		e = pthread_create(&s->tids[s->nstarted], NULL,
		    s->frames != NULL ? frame_decoder : stream_decoder, s);
		if (e != 0) {
			if (s->nstarted > 0)
				break;
			errno = e;
			return vc_error_sys(err, "cannot start a thread");
		}
	}
	return 0;
}

static void
src_stop(struct source *s)
{
	size_t i;
	int t;

	if (s->blk == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->space);
	pthread_mutex_unlock(&s->mu);
	for (t = 0; t < s->nstarted; t++)
		pthread_join(s->tids[t], NULL);
	for (i = 0; i < s->nblk; i++) {
		free(s->blk[i].out);
		free(s->blk[i].in);
	}
	free(s->blk);
	free(s->tids);
	s->blk = NULL;
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->space);
	pthread_cond_destroy(&s->data);
}

/*
 * Frees, in order, the blocks that the parser has moved past and that no
 * queued write uses any more. Under s->mu.
 */
static void
advance(struct source *s)
{
	struct block *b;
	int freed = 0;

	while (s->released < s->consumed) {
		b = &s->blk[s->released % s->nblk];
		if (atomic_load(&b->refs) != 0)
			break;
		b->ready = 0;
		s->released++;
		freed = 1;
	}
	if (freed)
		pthread_cond_broadcast(&s->space);
}

/* Drops a reference to block `seq`. */
static void
src_unref(struct source *s, uint64_t seq)
{
	if (atomic_fetch_sub(&s->blk[seq % s->nblk].refs, 1) == 1) {
		pthread_mutex_lock(&s->mu);
		advance(s);
		pthread_mutex_unlock(&s->mu);
	}
}

/*
 * Drops the block the parser held and waits for the next one:
 * 1 with it, 0 at the end of the stream, -1 on failure.
 */
static int
src_next(struct source *s, const char **data, size_t *len, struct vc_error *err)
{
	struct block *b;
	uint64_t n;
	int rc;

	pthread_mutex_lock(&s->mu);
	if (s->holding) {
		s->holding = 0;
		s->consumed = s->cur + 1;
		atomic_fetch_sub(&s->blk[s->cur % s->nblk].refs, 1);
		advance(s);
	}
	n = s->consumed;
	for (;;) {
		b = &s->blk[n % s->nblk];
		if (n >= s->fail_seq) {
			vc_error_set(err, s->fail_code, "%s", s->fail_msg);
			rc = -1;
			break;
		}
		if (b->ready && b->seq == n) {
			atomic_store(&b->refs, 1);
			*data = b->out;
			*len = b->len;
			s->holding = 1;
			s->cur = n;
			rc = 1;
			break;
		}
		if (n >= s->total) {
			rc = 0;
			break;
		}
		pthread_cond_wait(&s->data, &s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* --- the writer --------------------------------------------------------- */

/*
 * A regular file being written by the writer threads: created by the
 * parser (so that every name is created in archive order), written with
 * pwrite by whichever writers take its pieces, and finished (mode, mtime,
 * close) by whoever drops the last reference.
 */
struct wfile {
	atomic_int refs;
	int fd;
	int chmod;
	mode_t mode;
	struct timespec mtime;
	size_t namelen;
	char name[MSG_NAME_MAX + 1]; /* for messages */
};

/* One piece of a file's data, in a decoded block. */
struct wjob {
	struct wfile *f;
	const char *data;
	size_t len;
	uint64_t off;
	uint64_t seq; /* the block */
};

struct writers {
	pthread_mutex_t mu;
	pthread_cond_t job;  /* a job was queued, or stop */
	pthread_cond_t room; /* a job was taken */
	pthread_cond_t idle; /* nothing queued or being written */
	struct wjob ring[WQ_SIZE];
	size_t head, count;
	int busy, stop, init;
	atomic_int skip;   /* failed: drop the remaining writes */
	atomic_int failed; /* err holds the first failure */
	struct vc_error err;
	pthread_t tids[MAX_WRITERS];
	int nstarted;
};

struct level {
	size_t end; /* length of the path up to this directory */
	int fd;     /* O_PATH, or -1 until needed */
};

struct dirfix {
	char *path;
	mode_t mode;
	int chmod; /* the mode it was created with is not `mode` */
	struct timespec mtime;
};

/* What extended headers say about the next member. */
struct ext {
	int has_path, has_link, has_size, has_mtime, sparse;
	char *path; /* PATH_MAX + 1 */
	size_t pathlen;
	char *link;
	size_t linklen;
	uint64_t size;
	struct timespec mtime;
};

struct extractor {
	struct source src;
	struct writers w;
	struct vc_error *err;
	const char *dest;
	int rootfd;
	mode_t umask;
	int inherit_setgid; /* dest is setgid: new directories would be */
	uint64_t max_bytes, max_files, bytes, files;

	/* The block being read. */
	const char *cur;
	size_t pos, len;

	/* The member at hand. */
	char hdr[TAR_BLOCK];
	struct ext ext;
	char *name; /* raw, as in the archive: for messages */
	size_t namelen;
	char *link;
	size_t linklen;
	char *norm; /* checked and normalised */
	char *extbuf;
	char last[MSG_NAME_MAX + 1]; /* the previous member, raw */
	size_t lastlen;
	int seen;

	/* Open directories along the current path: lv[0] is dest. */
	char *dpath;
	size_t dlen;
	struct level *lv;
	size_t nlv, caplv;
	int nopen;

	struct dirfix *dirs;
	size_t ndirs, capdirs;
};

/* The member's raw name, with control characters escaped, shortened. */
static const char *
quoted(const char *s, size_t n, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < n && o + 5 < cap; i++) {
		c = (unsigned char)s[i];
		if (i >= MSG_NAME_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

static int member_error(struct extractor *x, enum vc_errcode code,
    const char *fmt, ...) VC_PRINTF(3, 4);

static int
member_error(struct extractor *x, enum vc_errcode code, const char *fmt, ...)
{
	char q[4 * MSG_NAME_MAX + 8], why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return vc_error_set(x->err, code, "archive member '%s': %s",
	    quoted(x->name, x->namelen, q, sizeof q), why);
}

/*
 * A failed system call on the member `name`, errno telling why, into
 * `err` (a writer thread's own).
 */
static int
name_errno(const struct extractor *x, struct vc_error *err, const char *name,
    size_t namelen, const char *what)
{
	char q[4 * MSG_NAME_MAX + 8];
	int e = errno;

	switch (e) {
	case ENOSPC:
	case EDQUOT:
		if (x->max_bytes > 0) {
			char sz[32];

			errno = e;
			return vc_error_sys(err,
			    "archive member '%s': cannot %s in '%s' (the "
			    "tree needs %s)",
			    quoted(name, namelen, q, sizeof q), what, x->dest,
			    vc_format_size(x->max_bytes, sz, sizeof sz));
		}
		/* fall through */
	default:
		errno = e;
		return vc_error_sys(err,
		    "archive member '%s': cannot %s in '%s'",
		    quoted(name, namelen, q, sizeof q), what, x->dest);
	}
}

/* A failed system call on the member at hand, errno telling why. */
static int
member_errno(struct extractor *x, const char *what)
{
	int e = errno;

	switch (e) {
	case EEXIST:
		return member_error(x, VC_EHOSTILE, "duplicate name");
	case ELOOP:
		return member_error(x, VC_EHOSTILE,
		    "path goes through a symlink");
	case EXDEV:
		return member_error(x, VC_EHOSTILE,
		    "path leaves the destination");
	case ENOTDIR:
		return member_error(x, VC_EHOSTILE,
		    "path goes through a symlink or a non-directory");
	case ENOENT:
		return member_error(x, VC_EHOSTILE,
		    "its directory is not an earlier member");
	case ENAMETOOLONG:
		return member_error(x, VC_EHOSTILE, "name too long");
	default:
		errno = e;
		return name_errno(x, x->err, x->name, x->namelen, what);
	}
}

static int
corrupt(struct extractor *x, const char *what)
{
	char q[4 * MSG_NAME_MAX + 8];

	if (!x->seen)
		return vc_error_set(x->err, VC_ECORRUPT,
		    "the archive is damaged at its start: %s", what);
	return vc_error_set(x->err, VC_ECORRUPT,
	    "the archive is damaged after member '%s': %s",
	    quoted(x->last, x->lastlen, q, sizeof q), what);
}

/* Makes sure some stream is at hand: 1, 0 at the end, -1 on failure. */
static int
rd_fill(struct extractor *x)
{
	int r;

	while (x->pos == x->len) {
		r = src_next(&x->src, &x->cur, &x->len, x->err);
		x->pos = 0;
		if (r <= 0) {
			x->len = 0;
			return r;
		}
	}
	return 1;
}

/* Copies `n` bytes of stream into `dst` (or drops them when NULL). */
static int
rd_read(struct extractor *x, char *dst, uint64_t n, int *eof)
{
	size_t k;
	int r;

	*eof = 0;
	while (n > 0) {
		if ((r = rd_fill(x)) <= 0) {
			*eof = r == 0;
			return -1;
		}
		k = x->len - x->pos;
		if (k > n)
			k = (size_t)n;
		if (dst != NULL) {
			memcpy(dst, x->cur + x->pos, k);
			dst += k;
		}
		x->pos += k;
		n -= k;
	}
	return 0;
}

static uint64_t
padding(uint64_t size)
{
	return (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
}

/* Parses an octal (or base-256) field; -1 when it is not a number. */
static int
tar_number(const char *f, size_t n, uint64_t *out)
{
	const unsigned char *u = (const unsigned char *)f;
	uint64_t v = 0;
	size_t i = 0;

	if (u[0] & 0x80) {
		/* base-256: negative values are refused */
		if (u[0] & 0x40)
			return -1;
		v = u[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v >> 55)
				return -1;
			v = v << 8 | u[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && u[i] == ' ')
		i++;
	for (; i < n && u[i] >= '0' && u[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v << 3 | (uint64_t)(u[i] - '0');
	}
	for (; i < n; i++)
		if (u[i] != ' ' && u[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static int
header_ok(const char *h)
{
	const unsigned char *u = (const unsigned char *)h;
	const signed char *sc = (const signed char *)h;
	uint64_t want;
	unsigned long sum = 0;
	long ssum = 0;
	size_t i;

	if (tar_number(h + 148, 8, &want) == -1)
		return 0;
	/* Loops the compiler vectorises; the field itself counts as spaces. */
	for (i = 0; i < TAR_BLOCK; i++)
		sum += u[i];
	for (i = 0; i < TAR_BLOCK; i++)
		ssum += sc[i];
	for (i = 148; i < 156; i++) {
		sum += (unsigned long)' ' - u[i];
		ssum += (long)' ' - sc[i];
	}
	return want == sum || (long)want == ssum;
}

static int
all_zero(const char *h)
{
	size_t i;

	for (i = 0; i < TAR_BLOCK; i++)
		if (h[i] != '\0')
			return 0;
	return 1;
}

/* Parses "12345" or "-12.5" (a pax time); -1 on error. */
static int
pax_time(const char *v, size_t n, struct timespec *ts)
{
	int64_t sec = 0;
	long nsec = 0;
	size_t i = 0, digits = 0, f;
	int neg = 0;

	if (i < n && v[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++) {
		if (digits >= 18)
			return -1;
		sec = sec * 10 + (v[i] - '0');
	}
	if (digits == 0)
		return -1;
	if (i < n && v[i] == '.') {
		for (i++, f = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++, f++)
			if (f < 9)
				nsec = nsec * 10 + (v[i] - '0');
		for (; f < 9; f++)
			nsec *= 10;
	}
	if (i != n)
		return -1;
	if (neg) {
		sec = -sec;
		if (nsec > 0) {
			sec--;
			nsec = 1000000000L - nsec;
		}
	}
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = nsec;
	return 0;
}

/* Keeps a name (possibly too long: then its length says so). */
static void
keep_name(char *dst, size_t *dlen, const char *v, size_t n)
{
	size_t k = n < PATH_MAX ? n : PATH_MAX;

	memcpy(dst, v, k);
	dst[k] = '\0';
	*dlen = n;
}

/* Parses the records of a pax extended header ("%d %s=%s\n"). */
static int
parse_pax(struct extractor *x, const char *d, size_t n)
{
	const char *kv, *eq, *val;
	size_t len, i, klen, vlen;
	uint64_t v;

	while (n > 0) {
		for (i = 0, len = 0;
		     i < n && i < 8 && d[i] >= '0' && d[i] <= '9'; i++)
			len = len * 10 + (size_t)(d[i] - '0');
		if (i == 0 || i == n || d[i] != ' ' || len > n || len < i + 4 ||
		    d[len - 1] != '\n')
			return corrupt(x, "a bad pax extended header");
		kv = d + i + 1;
		eq = memchr(kv, '=', len - i - 2);
		if (eq == NULL)
			return corrupt(x, "a bad pax extended header");
		klen = (size_t)(eq - kv);
		val = eq + 1;
		vlen = (size_t)(d + len - 1 - val);
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(kv, s, klen) == 0)
		if (KEY("path")) {
			keep_name(x->ext.path, &x->ext.pathlen, val, vlen);
			x->ext.has_path = vlen > 0;
		} else if (KEY("linkpath")) {
			keep_name(x->ext.link, &x->ext.linklen, val, vlen);
			x->ext.has_link = vlen > 0;
		} else if (KEY("size")) {
			for (i = 0, v = 0; i < vlen; i++) {
				if (val[i] < '0' || val[i] > '9' || v >> 59)
					return corrupt(x, "a bad pax size");
				v = v * 10 + (uint64_t)(val[i] - '0');
			}
			x->ext.size = v;
			x->ext.has_size = vlen > 0;
		} else if (KEY("mtime")) {
			if (pax_time(val, vlen, &x->ext.mtime) == -1)
				return corrupt(x, "a bad pax mtime");
			x->ext.has_mtime = 1;
		} else if (klen > 11 && memcmp(kv, "GNU.sparse.", 11) == 0) {
			x->ext.sparse = 1;
		}
#undef KEY
		d += len;
		n -= len;
	}
	return 0;
}

/*
 * Checks a member name and writes its normal form (no "." or empty
 * components, no trailing slash) into `out`: NULL, or why it is refused.
 */
static const char *
normalize(const char *name, size_t len, char *out)
{
	const char *p = name, *end = name + len, *q;
	size_t o = 0, clen;

	if (len == 0)
		return "empty name";
	if (len >= PATH_MAX)
		return "name longer than PATH_MAX";
	if (memchr(name, '\0', len) != NULL)
		return "name holds a NUL byte";
	if (name[0] == '/')
		return "absolute name";
	while (p < end) {
		q = memchr(p, '/', (size_t)(end - p));
		if (q == NULL)
			q = end;
		clen = (size_t)(q - p);
		if (clen == 2 && p[0] == '.' && p[1] == '.')
			return "'..' in name";
		if (clen > NAME_MAX)
			return "name component longer than NAME_MAX";
		if (clen > 0 && !(clen == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, clen);
			o += clen;
		}
		p = q + 1;
	}
	out[o] = '\0';
	return o == 0 ? "empty name" : NULL;
}

static void
close_level(struct extractor *x, size_t i)
{
	if (x->lv[i].fd != -1) {
		close(x->lv[i].fd);
		x->lv[i].fd = -1;
		x->nopen--;
	}
}

/*
 * The directory `dir` (normalised, `n` bytes, "" for dest) open as an
 * O_PATH fd, reached from the stack of open directories without following
 * a symlink; -1 with errno on failure. The fd belongs to the stack.
 */
static int
open_dir(struct extractor *x, const char *dir, size_t n)
{
	size_t k = 0, i, from;
	const char *p, *q, *end = dir + n;
	int fd;

	if (n == 0)
		return x->rootfd;
	/* The deepest level that is a prefix of `dir`. */
	while (k + 1 < x->nlv) {
		size_t e = x->lv[k + 1].end;

		if (e > n || memcmp(x->dpath, dir, e) != 0 ||
		    (e < n && dir[e] != '/'))
			break;
		k++;
	}
	while (x->nlv > k + 1)
		close_level(x, --x->nlv);
	/* Push the remaining components, not opened yet. */
	memcpy(x->dpath, dir, n);
	x->dpath[n] = '\0';
	x->dlen = n;
	p = x->lv[k].end == 0 ? dir : dir + x->lv[k].end + 1;
	while (p < end) {
		q = memchr(p, '/', (size_t)(end - p));
		if (q == NULL)
			q = end;
		x->lv = xgrow(x->lv, &x->caplv, x->nlv + 1, sizeof *x->lv);
		x->lv[x->nlv].end = (size_t)(q - dir);
		x->lv[x->nlv].fd = -1;
		x->nlv++;
		p = q + 1;
	}
	if (x->lv[x->nlv - 1].fd != -1)
		return x->lv[x->nlv - 1].fd;
	for (i = x->nlv - 1; x->lv[i].fd == -1; i--)
		;
	from = i == 0 ? 0 : x->lv[i].end + 1;
	fd = vc_openat_beneath(x->lv[i].fd, x->dpath + from,
	    O_PATH | O_DIRECTORY, 0);
	if (fd == -1)
		return -1;
	x->lv[x->nlv - 1].fd = fd;
	x->nopen++;
	/* Bound the open fds: shallow levels reopen on demand. */
	for (i = 1; x->nopen > MAX_OPEN_DIRS && i + 1 < x->nlv; i++)
		close_level(x, i);
	return fd;
}

/* Splits x->norm into its directory (length *dlen) and its last name. */
static const char *
split(const struct extractor *x, size_t *dlen)
{
	const char *slash = strrchr(x->norm, '/');

	if (slash == NULL) {
		*dlen = 0;
		return x->norm;
	}
	*dlen = (size_t)(slash - x->norm);
	return slash + 1;
}

/* --- the writer threads ------------------------------------------------ */

/* Records the first failure of a writer; the rest is dropped. */
static void
writer_failed(struct extractor *x, const struct wfile *f, const char *what)
{
	struct vc_error e;

	vc_error_clear(&e);
	name_errno(x, &e, f->name, f->namelen, what);
	pthread_mutex_lock(&x->w.mu);
	if (!atomic_load(&x->w.failed)) {
		x->w.err = e;
		atomic_store(&x->w.failed, 1);
	}
	atomic_store(&x->w.skip, 1);
	pthread_mutex_unlock(&x->w.mu);
}

/* Drops a reference to a file; the last one sets mode and mtime. */
static void
file_put(struct extractor *x, struct wfile *f)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, f->mtime};

	if (atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	if (!atomic_load(&x->w.skip)) {
		if (f->chmod && fchmod(f->fd, f->mode) == -1)
			writer_failed(x, f, "set the mode");
		else if (futimens(f->fd, ts) == -1)
			writer_failed(x, f, "set the mtime");
	}
	if (close(f->fd) == -1 && !atomic_load(&x->w.skip))
		writer_failed(x, f, "write");
	free(f);
}

static void
write_piece(struct extractor *x, const struct wjob *j)
{
	const char *p = j->data;
	size_t left = j->len;
	uint64_t off = j->off;
	ssize_t n;

	while (left > 0 && !atomic_load(&x->w.skip)) {
		n = pwrite(j->f->fd, p, left, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			writer_failed(x, j->f, "write");
			return;
		}
		p += n;
		off += (uint64_t)n;
		left -= (size_t)n;
	}
}

static void *
writer(void *arg)
{
	struct extractor *x = arg;
	struct writers *w = &x->w;
	struct wjob j;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && w->count == 0)
			pthread_cond_wait(&w->job, &w->mu);
		if (w->count == 0)
			break;
		j = w->ring[w->head];
		w->head = (w->head + 1) % WQ_SIZE;
		w->count--;
		w->busy++;
		pthread_cond_signal(&w->room);
		pthread_mutex_unlock(&w->mu);
		write_piece(x, &j);
		src_unref(&x->src, j.seq);
		file_put(x, j.f);
		pthread_mutex_lock(&w->mu);
		if (--w->busy == 0 && w->count == 0)
			pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
push_job(struct extractor *x, const struct wjob *j)
{
	struct writers *w = &x->w;

	if (w->nstarted == 0) {
		/* No writer threads: the parser writes. */
		write_piece(x, j);
		src_unref(&x->src, j->seq);
		file_put(x, j->f);
		return;
	}
	pthread_mutex_lock(&w->mu);
	while (w->count == WQ_SIZE)
		pthread_cond_wait(&w->room, &w->mu);
	w->ring[(w->head + w->count) % WQ_SIZE] = *j;
	w->count++;
	pthread_cond_signal(&w->job);
	pthread_mutex_unlock(&w->mu);
}

/* Waits until every queued write is done: 0, or -1 with the failure. */
static int
writers_wait(struct extractor *x)
{
	struct writers *w = &x->w;

	pthread_mutex_lock(&w->mu);
	while (w->count > 0 || w->busy > 0)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
	if (atomic_load(&w->failed)) {
		*x->err = w->err;
		return -1;
	}
	return 0;
}

static int
writers_start(struct extractor *x, int n, struct vc_error *err)
{
	struct writers *w = &x->w;
	int e;

	if (pthread_mutex_init(&w->mu, NULL) != 0 ||
	    pthread_cond_init(&w->job, NULL) != 0 ||
	    pthread_cond_init(&w->room, NULL) != 0 ||
	    pthread_cond_init(&w->idle, NULL) != 0)
		return vc_error_set(err, VC_EFAIL, "cannot start writing");
	w->init = 1;
	for (w->nstarted = 0; w->nstarted < n; w->nstarted++) {
		e = pthread_create(&w->tids[w->nstarted], NULL, writer, x);
		if (e != 0) {
			if (w->nstarted > 0)
				break;
			errno = e;
			return vc_error_sys(err, "cannot start a thread");
		}
	}
	return 0;
}

/* Stops the writers: what is still queued is dropped (fds closed). */
static void
writers_stop(struct extractor *x, int drop)
{
	struct writers *w = &x->w;
	int i;

	if (!w->init)
		return;
	if (drop)
		atomic_store(&w->skip, 1);
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->job);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nstarted; i++)
		pthread_join(w->tids[i], NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->job);
	pthread_cond_destroy(&w->room);
	pthread_cond_destroy(&w->idle);
	w->init = 0;
}

static int
skip(struct extractor *x, uint64_t n)
{
	int eof;

	if (rd_read(x, NULL, n, &eof) == 0)
		return 0;
	if (eof)
		return member_error(x, VC_ECORRUPT,
		    "the archive ends inside its data");
	return -1;
}

/*
 * Creates a regular file here, in archive order, and queues its data for
 * the writer threads, piece by piece as the blocks hold it.
 */
static int
put_file(struct extractor *x, int dfd, const char *base, mode_t mode,
    uint64_t size, const struct timespec *mtime)
{
	struct wfile *f;
	struct wjob j;
	uint64_t off;
	size_t k;
	int fd, r, rc = -1;

	/* x->bytes <= x->max_bytes: no overflow */
	if (x->max_bytes > 0 && size > x->max_bytes - x->bytes)
		return member_error(x, VC_EHOSTILE,
		    "%llu bytes take the archive past its limit of %llu bytes",
		    (unsigned long long)size, (unsigned long long)x->max_bytes);
	fd = openat(dfd, base,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1)
		return member_errno(x, "create the file");
	x->files++;
	f = xmalloc(sizeof *f);
	atomic_init(&f->refs, 1);
	f->fd = fd;
	f->mode = mode;
	f->chmod = (mode & x->umask) != 0;
	f->mtime = *mtime;
	f->namelen = x->namelen < sizeof f->name ? x->namelen : sizeof f->name;
	memcpy(f->name, x->name, f->namelen);
	for (off = 0; off < size; off += k) {
		if ((r = rd_fill(x)) <= 0) {
			if (r == 0)
				member_error(x, VC_ECORRUPT,
				    "the archive ends inside its data");
			goto out;
		}
		k = x->len - x->pos;
		if (k > size - off)
			k = (size_t)(size - off);
		atomic_fetch_add(&x->src.blk[x->src.cur % x->src.nblk].refs, 1);
		atomic_fetch_add(&f->refs, 1);
		j.f = f;
		j.data = x->cur + x->pos;
		j.len = k;
		j.off = off;
		j.seq = x->src.cur;
		push_job(x, &j);
		x->pos += k;
	}
	x->bytes += size;
	vc_phase_bytes(x->bytes);
	rc = 0;
out:
	file_put(x, f);
	return rc;
}

static int
put_link(struct extractor *x, int dfd, const char *base)
{
	char *target = xmalloc(PATH_MAX + 1), *slash;
	const char *why, *tbase = target;
	struct stat st;
	int tfd = -1, rc = -1;

	if ((why = normalize(x->link, x->linklen, target)) != NULL) {
		member_error(x, VC_EHOSTILE, "hardlink target: %s", why);
		goto out;
	}
	/* The target's directory, reached as any member's is. */
	if ((slash = strrchr(target, '/')) == NULL) {
		tfd = dup(x->rootfd);
	} else {
		*slash = '\0';
		tbase = slash + 1;
		tfd = vc_openat_beneath(x->rootfd, target, O_PATH | O_DIRECTORY,
		    0);
	}
	if (tfd == -1 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode)) {
		member_error(x, VC_EHOSTILE,
		    "hardlink to something other than an earlier file");
		goto out;
	}
	if (linkat(tfd, tbase, dfd, base, 0) == -1) {
		member_errno(x, "create the hardlink");
		goto out;
	}
	x->files++;
	rc = 0;
out:
	if (tfd != -1)
		close(tfd);
	free(target);
	return rc;
}

/* Creates the member described by x->hdr, x->norm and what ext said. */
static int
put_member(struct extractor *x, char type, mode_t mode, uint64_t size,
    const struct timespec *mtime)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, *mtime};
	const char *base;
	size_t dlen;
	int dfd;

	if (x->max_files > 0 && x->files >= x->max_files)
		return member_error(x, VC_EHOSTILE,
		    "the archive has more than its limit of %llu members",
		    (unsigned long long)x->max_files);
	if (type != '0' && size != 0)
		return member_error(x, VC_EHOSTILE,
		    "a directory or link with data");
	base = split(x, &dlen);
	if ((dfd = open_dir(x, x->norm, dlen)) == -1)
		return member_errno(x, "open its directory");
	switch (type) {
	case '0':
		return put_file(x, dfd, base, mode, size, mtime);
	case '5':
		/*
		 * Writable while extracting; the mtime at the end, and the
		 * mode then too when the umask or that took something away.
		 */
		if (mkdirat(dfd, base, mode | 0700) == -1)
			return member_errno(x, "create the directory");
		x->files++;
		x->dirs =
		    xgrow(x->dirs, &x->capdirs, x->ndirs + 1, sizeof *x->dirs);
		x->dirs[x->ndirs].path = xstrdup(x->norm);
		x->dirs[x->ndirs].mode = mode;
		x->dirs[x->ndirs].chmod =
		    ((mode | 0700) & ~x->umask) != mode || x->inherit_setgid;
		x->dirs[x->ndirs].mtime = *mtime;
		x->ndirs++;
		return 0;
	case '2':
		if (x->linklen == 0 || x->linklen >= PATH_MAX ||
		    memchr(x->link, '\0', x->linklen) != NULL)
			return member_error(x, VC_EHOSTILE,
			    "bad symlink target");
		if (symlinkat(x->link, dfd, base) == -1)
			return member_errno(x, "create the symlink");
		x->files++;
		if (utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW) == -1)
			return member_errno(x, "set the mtime");
		return 0;
	default: /* '1' */
		return put_link(x, dfd, base);
	}
}

/* Reads the data of an extended header into x->extbuf. */
static int
read_ext(struct extractor *x, uint64_t size)
{
	int eof;

	if (size > MAX_EXT_SIZE)
		return member_error(x, VC_EHOSTILE,
		    "extended header of %llu bytes", (unsigned long long)size);
	if (rd_read(x, x->extbuf, size, &eof) == -1 ||
	    rd_read(x, NULL, padding(size), &eof) == -1)
		return eof ? corrupt(x, "it ends early") : -1;
	return 0;
}

static const char *
refused_type(char t)
{
	switch (t) {
	case '3':
		return "character device";
	case '4':
		return "block device";
	case '6':
		return "FIFO";
	default:
		return NULL;
	}
}

static int
extract_members(struct extractor *x)
{
	const char *h = x->hdr, *why;
	char type, tname[1], q[4 * MSG_NAME_MAX + 8];
	uint64_t size, v;
	mode_t mode;
	struct timespec mtime;
	int eof, run = 0;

	for (;;) {
		/* A writer failed (out of space, say): stop here. */
		if (atomic_load(&x->w.failed))
			return writers_wait(x);
		if (rd_read(x, x->hdr, TAR_BLOCK, &eof) == -1)
			return eof ? corrupt(x, "it ends early") : -1;
		if (all_zero(h)) {
			if (run > 0)
				return corrupt(x,
				    "an extended header without "
				    "a member");
			return 0; /* the end of the archive */
		}
		if (!header_ok(h))
			return corrupt(x, "a bad tar header");
		/* Old (v7) headers are refused, though libarchive reads them.
		 */
		if (memcmp(h + 257, "ustar", 5) != 0)
			return corrupt(x, "not a ustar header");
		/*
		 * Owners are not restored, but their fields must be numbers:
		 * libarchive takes a first header with "000000" NUL "0" there
		 * for no tar at all (tests/fuzz/fuzz_tardiff).
		 */
		if (tar_number(h + 108, 8, &size) == -1 ||
		    tar_number(h + 116, 8, &size) == -1)
			return corrupt(x, "a bad uid or gid");
		type = h[156];
		if (tar_number(h + 124, 12, &size) == -1)
			return corrupt(x, "a bad size");
		/* The name for messages, as the archive gives it. */
		if (x->ext.has_path) {
			memcpy(x->name, x->ext.path, PATH_MAX + 1);
			x->namelen = x->ext.pathlen;
		} else {
			size_t pl = h[345] && h[262] == '\0'
			    ? strnlen(h + 345, 155)
			    : 0;

			x->namelen = 0;
			if (pl > 0) {
				memcpy(x->name, h + 345, pl);
				x->name[pl] = '/';
				x->namelen = pl + 1;
			}
			v = strnlen(h, 100);
			memcpy(x->name + x->namelen, h, (size_t)v);
			x->namelen += (size_t)v;
			x->name[x->namelen] = '\0';
		}
		if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
			if (++run > MAX_EXT_RUN)
				return member_error(x, VC_EHOSTILE,
				    "too many extended headers");
			if (read_ext(x, size) == -1)
				return -1;
			if (type == 'x' && parse_pax(x, x->extbuf, size) == -1)
				return -1;
			if (type == 'L' || type == 'K') {
				v = strnlen(x->extbuf, (size_t)size);
				if (type == 'L') {
					keep_name(x->ext.path, &x->ext.pathlen,
					    x->extbuf, (size_t)v);
					x->ext.has_path = v > 0;
				} else {
					keep_name(x->ext.link, &x->ext.linklen,
					    x->extbuf, (size_t)v);
					x->ext.has_link = v > 0;
				}
			}
			continue;
		}
		run = 0;
		if (x->ext.has_size)
			size = x->ext.size;
		if (x->ext.has_link) {
			memcpy(x->link, x->ext.link, PATH_MAX + 1);
			x->linklen = x->ext.linklen;
		} else {
			x->linklen = strnlen(h + 157, 100);
			memcpy(x->link, h + 157, x->linklen);
			x->link[x->linklen] = '\0';
		}
		if (x->ext.has_mtime) {
			mtime = x->ext.mtime;
		} else {
			if (tar_number(h + 136, 12, &v) == -1 ||
			    v > (uint64_t)INT64_MAX)
				return corrupt(x, "a bad mtime");
			mtime.tv_sec = (time_t)v;
			mtime.tv_nsec = 0;
		}
		if (tar_number(h + 100, 8, &v) == -1)
			return corrupt(x, "a bad mode");
		mode = (mode_t)(v & 07777);
		if (x->ext.sparse)
			return member_error(x, VC_EHOSTILE, "sparse file");
		memset(&x->ext, 0, offsetof(struct ext, path));
		x->seen = 1;
		x->lastlen =
		    x->namelen < sizeof x->last ? x->namelen : sizeof x->last;
		memcpy(x->last, x->name, x->lastlen);

		if ((why = refused_type(type)) != NULL)
			return member_error(x, VC_EHOSTILE, "%s", why);
		if (type == '\0' || type == '7')
			type = '0';
		tname[0] = type;
		if (type != '0' && type != '1' && type != '2' && type != '5')
			return member_error(x, VC_EHOSTILE,
			    "unsupported member type '%s'",
			    quoted(tname, 1, q, sizeof q));
		if ((why = normalize(x->name, x->namelen, x->norm)) != NULL)
			return member_error(x, VC_EHOSTILE, "%s", why);
		if (mode & (S_ISUID | S_ISGID))
			return member_error(x, VC_EHOSTILE,
			    "setuid or setgid bit");
		if ((mode & S_ISVTX) && type != '5')
			return member_error(x, VC_EHOSTILE,
			    "sticky bit on a file");
		if (put_member(x, type, mode, size, &mtime) == -1)
			return -1;
		if (type == '0' && skip(x, padding(size)) == -1)
			return -1;
	}
}

/*
 * After the end of the archive: the rest of the stream must decode (so that
 * every frame is checked to its end) and be short.
 */
static int
drain(struct extractor *x)
{
	uint64_t rest = 0;
	int r;

	for (;;) {
		rest += x->len - x->pos;
		x->pos = x->len;
		if (rest > MAX_TRAILING)
			return corrupt(x, "data after the end of the archive");
		if ((r = rd_fill(x)) <= 0)
			return r;
	}
}

/*
 * Directories' mtimes (and modes where needed), once nothing more is
 * created in them: deepest first, each through its parent reached on the
 * stack of open directories, never following a symlink.
 */
static int
finish_dirs(struct extractor *x)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, 0}};
	const char *base;
	struct dirfix *d;
	size_t i, dlen;
	int pfd;

	for (i = x->ndirs; i-- > 0;) {
		d = &x->dirs[i];
		base = strrchr(d->path, '/');
		dlen = base == NULL ? 0 : (size_t)(base - d->path);
		base = base == NULL ? d->path : base + 1;
		pfd = open_dir(x, d->path, dlen);
		ts[1] = d->mtime;
		if (pfd == -1 ||
		    (d->chmod && fchmodat(pfd, base, d->mode, 0) == -1) ||
		    utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) == -1)
			return vc_error_sys(x->err,
			    "cannot set the mode and mtime of '%s' in '%s'",
			    d->path, x->dest);
	}
	return 0;
}

/*
 * Writer threads beside the parser. On 2 CPUs (measured: decoder + parser
 * already fill them; a writer thread only adds synchronisation) none: the
 * parser writes. With more, the parser creates and the writers fill files,
 * about half of the CPUs the decoders leave.
 */
static int
writer_threads(const struct vc_extract_opts *o)
{
	int ncpus = vc_ncpus(), n;

	if (o->writers != 0)
		n = o->writers < 0 ? 0 : o->writers;
	else
		n = ncpus <= 2 ? 0 : (ncpus - 1) / 2;
	return n > MAX_WRITERS ? MAX_WRITERS : n;
}

static mode_t
current_umask(void)
{
	char buf[4096], *p;
	ssize_t n;
	mode_t m;
	int fd;

	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			p = strstr(buf, "\nUmask:");
			if (p != NULL)
				return (mode_t)strtoul(p + 7, NULL, 8) & 0777;
		}
	}
	/* Older kernels: racy with other threads, but only here. */
	m = umask(022);
	umask(m);
	return m;
}

int
vc_archive_extract(int fd, const char *dest, const struct vc_extract_opts *opts,
    struct vc_extract_result *res, struct vc_error *err)
{
	struct extractor *x = xcalloc(1, sizeof *x);
	struct stat st;
	int rc = -1, nwriters;
	size_t i;

	memset(res, 0, sizeof *res);
	x->err = err;
	x->dest = dest;
	x->max_bytes = opts->max_bytes;
	x->max_files = opts->max_files;
	x->umask = current_umask();
	x->ext.path = xmalloc(PATH_MAX + 1);
	x->ext.link = xmalloc(PATH_MAX + 1);
	x->name = xmalloc(PATH_MAX + 1);
	x->link = xmalloc(PATH_MAX + 1);
	x->norm = xmalloc(PATH_MAX + 1);
	x->dpath = xmalloc(PATH_MAX + 1);
	x->extbuf = xmalloc(MAX_EXT_SIZE + 1);
	x->lv = xgrow(NULL, &x->caplv, 16, sizeof *x->lv);
	x->rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->rootfd == -1) {
		vc_error_sys(err, "cannot open '%s'", dest);
		goto out;
	}
	if (fstat(x->rootfd, &st) == 0 && (st.st_mode & S_ISGID))
		x->inherit_setgid = 1;
	x->lv[0].end = 0;
	x->lv[0].fd = x->rootfd;
	x->nlv = 1;
	nwriters = writer_threads(opts);
	if (src_start(&x->src, fd, opts, err) == -1 ||
	    writers_start(x, nwriters, err) == -1)
		goto out;
	if (extract_members(x) == -1 || drain(x) == -1 || writers_wait(x) == -1)
		goto out;
	/* Nothing more is read or written: stop the threads. */
	writers_stop(x, 0);
	src_stop(&x->src);
	if (finish_dirs(x) == -1)
		goto out;
	rc = 0;
out:
	writers_stop(x, 1);
	src_stop(&x->src);
	res->bytes = x->bytes;
	res->files = x->files;
	for (i = 1; i < x->nlv; i++)
		close_level(x, i);
	if (x->rootfd != -1)
		close(x->rootfd);
	for (i = 0; i < x->ndirs; i++)
		free(x->dirs[i].path);
	free(x->dirs);
	free(x->lv);
	free(x->dpath);
	free(x->norm);
	free(x->link);
	free(x->name);
	free(x->extbuf);
	free(x->ext.link);
	free(x->ext.path);
	free(x);
	return rc;
}
