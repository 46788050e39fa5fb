/*
 * pep508.h: dependency specifiers (PEP 508), versions (PEP 440) and
 * environment markers, parsed as packaging 24 parses them and written back
 * in venvcache's canonical form (docs/key.md). Internal to src/core.
 *
 * Every returned `char *` is the caller's.
 */
#ifndef VENVCACHE_PEP508_H
#define VENVCACHE_PEP508_H

#include <stddef.h>

#include "venvcache/error.h"
#include "venvcache/util.h"

/*
 * Length in bytes of the character at `s` when Python's str.isspace() is
 * true for it (ASCII and Unicode white space, in UTF-8), else 0.
 */
size_t vc_py_space(const char *s);
/* Python's str.strip() of the `n` bytes at `s`. */
char *vc_py_strip(const char *s, size_t n);

struct vc_pep508 {
	char *name;            /* PEP 503 normalised */
	struct vc_strv extras; /* normalised, sorted, unique */
	char *specifier;       /* canonical clauses, sorted, ','-joined; "" */
	char *url;             /* after "@", or NULL */
	char *marker;          /* canonical, or NULL */
};

void vc_pep508_init(struct vc_pep508 *);
void vc_pep508_release(struct vc_pep508 *);

/*
 * Parses a dependency specifier ("name[extras] specifier ; marker" or
 * "name[extras] @ url ; marker"). The error message says what was expected
 * and at which column.
 */
int vc_pep508_parse(const char *s, struct vc_pep508 *, struct vc_error *);

/* Parses a marker expression; returns its canonical form, or NULL. */
char *vc_marker_normalize(const char *s, struct vc_error *);

/* Appends "name[extras]specifier" (no marker) to `b`. */
void vc_pep508_format(const struct vc_pep508 *, struct vc_buf *b);

#endif
