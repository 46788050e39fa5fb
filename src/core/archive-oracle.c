/*
 * archive-oracle.c: every member of an archive as libarchive reads it.
 *
 * The restore path keeps its own tar parser (archive-extract.c), which is
 * faster; this is the independent second reading that checks it (see
 * archive.h). Only the tar formats and the zstd filter are enabled: an
 * archive venvcache would not restore is not read as cpio or zip here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "venvcache/archive.h"
#include "venvcache/lazy.h"

#define BLOCK (256 * 1024)

/* libarchive, loaded by the first vc_archive_oracle() (lazy.h). */
static const struct vc_libarchive *L;

struct source {
	int fd;
	off_t off;
	char *buf;
};

static la_ssize_t
source_read(struct archive *a, void *arg, const void **out)
{
	struct source *s = arg;
	ssize_t n;

	while (
	    (n = pread(s->fd, s->buf, BLOCK, s->off)) == -1 && errno == EINTR)
		;
	if (n == -1) {
		L->archive_set_error(a, errno, "cannot read the archive");
		return -1;
	}
	s->off += n;
	*out = s->buf;
	return n;
}

static char
type_of(struct archive_entry *e)
{
	if (L->archive_entry_hardlink(e) != NULL)
		return 'h';
	switch (L->archive_entry_filetype(e)) {
	case AE_IFREG:
		return 'f';
	case AE_IFDIR:
		return 'd';
	case AE_IFLNK:
		return 'l';
	default:
		return '?';
	}
}

/*
 * libarchive converts names to the current locale's charset and warns
 * when it cannot (a UTF-8 name under LC_ALL=C): the names are then read in
 * UTF-8, as stored, which is what venvcache compares. Any other warning
 * is a refusal.
 */
static int
charset_warning(struct archive *a, int r)
{
	const char *why = L->archive_error_string(a);

	return r == ARCHIVE_WARN && why != NULL &&
	    strstr(why, "can't be converted") != NULL;
}

/* A name in the locale's charset, else as stored (UTF-8), else "". */
static const char *
text(const char *mbs, const char *utf8)
{
	return mbs != NULL ? mbs : utf8 != NULL ? utf8 : "";
}

static int
refused(struct vc_error *err, struct archive *a, const char *name)
{
	const char *why = L->archive_error_string(a);

	if (name != NULL)
		return vc_error_set(err, VC_ECORRUPT,
		    "libarchive: after member '%s': %s", name,
		    why != NULL ? why : "unknown error");
	return vc_error_set(err, VC_ECORRUPT, "libarchive: %s",
	    why != NULL ? why : "unknown error");
}

int
vc_archive_oracle(int fd, int (*each)(const struct vc_oracle_member *, void *),
    void *arg, struct vc_error *err)
{
	struct source src = {fd, 0, NULL};
	struct archive *a = NULL;
	struct archive_entry *e;
	XXH3_state_t *xxh = XXH3_createState();
	char *last = NULL, *name = NULL;
	int rc = -1, r;

	if (L == NULL && (L = vc_libarchive(err)) == NULL)
		goto out;
	if ((a = L->archive_read_new()) == NULL || xxh == NULL) {
		vc_error_set(err, VC_EFAIL, "libarchive: out of memory");
		goto out;
	}
	src.buf = xmalloc(BLOCK);
	L->archive_read_support_filter_zstd(a);
	L->archive_read_support_format_tar(a);
	if (L->archive_read_open(a, &src, NULL, source_read, NULL) !=
	    ARCHIVE_OK) {
		refused(err, a, NULL);
		goto out;
	}
	while ((r = L->archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		struct vc_oracle_member m;
		const void *block;
		size_t len;
		la_int64_t at;
		size_t n;

		if (r != ARCHIVE_OK && !charset_warning(a, r)) {
			refused(err, a, last);
			goto out;
		}
		free(name);
		name = xstrdup(text(L->archive_entry_pathname(e),
		    L->archive_entry_pathname_utf8(e)));
		n = strlen(name);
		while (n > 1 && name[n - 1] == '/')
			name[--n] = '\0';
		memset(&m, 0, sizeof m);
		m.name = name;
		m.type = type_of(e);
		m.mode = (unsigned)L->archive_entry_perm(e) & 07777;
		m.size = m.type == 'f' ? (uint64_t)L->archive_entry_size(e) : 0;
		if (m.type == 'h')
			m.link = text(L->archive_entry_hardlink(e),
			    L->archive_entry_hardlink_utf8(e));
		else if (m.type == 'l')
			m.link = text(L->archive_entry_symlink(e),
			    L->archive_entry_symlink_utf8(e));
		m.mtime = (int64_t)L->archive_entry_mtime(e);
		m.mtime_nsec = L->archive_entry_mtime_nsec(e);
		XXH3_64bits_reset(xxh);
		while ((r = L->archive_read_data_block(a, &block, &len, &at)) ==
		    ARCHIVE_OK)
			XXH3_64bits_update(xxh, block, len);
		if (r != ARCHIVE_EOF) {
			refused(err, a, name);
			goto out;
		}
		m.data_hash = XXH3_64bits_digest(xxh);
		if ((r = each(&m, arg)) != 0) {
			rc = r;
			goto out;
		}
		free(last);
		last = name;
		name = NULL;
	}
	rc = 0;
out:
	if (a != NULL)
		L->archive_read_free(a);
	XXH3_freeState(xxh);
	free(src.buf);
	free(last);
	free(name);
	return rc;
}

struct census {
	uint64_t members, bytes;
	struct vc_error *err;
};

static int
census_member(const struct vc_oracle_member *m, void *arg)
{
	struct census *c = arg;
	char *norm = vc_path_normalize(m->name);
	const char *why = NULL;

	c->members++;
	if (norm == NULL || *norm == '/' || strcmp(norm, ".") == 0)
		why = "not a relative name below the top";
	else if (m->type == '?')
		why = "not a file, directory, symlink or hardlink";
	else if (m->mode & 06000)
		why = "setuid or setgid bit";
	free(norm);
	if (why != NULL)
		return vc_error_set(c->err, VC_ECORRUPT,
		    "libarchive: archive member '%s': %s", m->name, why);
	c->bytes += m->size;
	return 0;
}

int
vc_archive_deep_check(int fd, uint64_t file_count, uint64_t unpacked_size,
    struct vc_error *err)
{
	struct census c = {0, 0, err};

	if (vc_archive_oracle(fd, census_member, &c, err) != 0)
		return -1;
	if (c.members != file_count || c.bytes != unpacked_size)
		return vc_error_set(err, VC_ECORRUPT,
		    "libarchive reads %llu members and %llu bytes of files; "
		    "the manifest says %llu and %llu",
		    (unsigned long long)c.members, (unsigned long long)c.bytes,
		    (unsigned long long)file_count,
		    (unsigned long long)unpacked_size);
	return 0;
}
