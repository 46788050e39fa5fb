/*
 * req-int.h: what the requirement-file sources share (req.c reads files and
 * text, req-line.c parses one line, req-form.c writes the canonical form).
 * Not a public header: include/venvcache/req.h is the interface.
 */
#ifndef VENVCACHE_REQ_INT_H
#define VENVCACHE_REQ_INT_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "pep508.h"
#include "venvcache/mirror.h"
#include "venvcache/req.h"

#define MAX_DEPTH 64              /* nested -r/-c */
#define MAX_FILES 10000           /* files read into one set */
#define MAX_FILE_SIZE (64u << 20) /* bytes of one file */

/* pip's options in requirement files, and the per-requirement ones. */
enum ropt_id {
	R_INDEX_URL,
	R_EXTRA_INDEX_URL,
	R_NO_INDEX,
	R_CONSTRAINT,
	R_REQUIREMENT,
	R_EDITABLE,
	R_FIND_LINKS,
	R_NO_BINARY,
	R_ONLY_BINARY,
	R_PREFER_BINARY,
	R_REQUIRE_HASHES,
	R_PRE,
	R_TRUSTED_HOST,
	R_USE_FEATURE,
	R_GLOBAL_OPTION,
	R_HASH,
	R_CONFIG_SETTINGS,
	R_INSTALL_OPTION,
};

struct ropt {
	const char *name; /* long name without "--" */
	char short_name;
	int takes_value;
	enum ropt_id id;
	int abbrev; /* found by a unique prefix, as optparse does */
};

/* One option of a line, as parsed. */
struct lopt {
	const struct ropt *o;
	char *value; /* NULL for flags */
};

struct lineopts {
	struct lopt *v;
	size_t n;
	size_t cap;
	struct vc_strv positional; /* words pip ignores */
};

/* A file open in the include chain, for cycles. */
struct frame {
	const char *name;
	dev_t dev;
	ino_t ino;
	const struct frame *up;
};

#define MARKER_MEMO 128 /* markers remembered (a power of two) */

struct reader {
	struct vc_reqset *set;
	struct vc_error *err;
	const struct frame *top;
	unsigned depth;
	char cwd[4096];
	/* Markers repeat (python_version < "3.8" on many lines): their
	 * canonical forms, by their text as written. */
	struct {
		char *text;
		char *canonical;
	} memo[MARKER_MEMO];
};

/* Where a line came from. */
struct where {
	const char *file;
	unsigned line;
};

/* req-form.c */
int req_is_hex(int c);
char *req_display_path(const struct reader *rd, const char *path);
char *req_normpath(const char *path);
char *req_canonical_path(const char *path);
char *req_url_scheme(const char *s);
int req_is_vcs_scheme(const char *scheme);
int req_is_url(const char *s);
int req_looks_like_path(const char *s);
int req_is_archive(const char *path);
char *req_strip_extras(const char *s, char **extras);
int req_convert_extras(const char *extras, struct vc_strv *out,
    struct vc_error *err);
char *req_egg_fragment(const char *url);
char *req_url_filename(const char *url);
int req_wheel_name(const char *filename, char **name);
void req_add_quoted(struct vc_buf *b, const char *s);
char *req_format_req(const struct vc_req *r, int redact);

/* req-line.c */
void req_update_format_options(struct vc_reqset *set);
int req_handle_line(struct reader *rd, const char *line, const struct where *w,
    const char *basedir, int constraint);

/* req.c */
void req_release(struct vc_req *r);
int req_read_file(struct reader *rd, const char *path, int constraint,
    const struct where *from);

#endif
