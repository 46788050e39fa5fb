/*
 * toml.h: TOML documents (pyproject.toml, tox.toml) read as JSON values.
 *
 * The parser is toml++ (Debian's libtomlplusplus-dev, used header-only
 * behind a small C++ shim, src/core/toml.cc): a maintained, conformant TOML
 * 1.0 parser, never a hand-written one. A document becomes a jansson tree:
 * tables are objects, arrays arrays, strings strings, integers integers,
 * floats reals, booleans booleans; dates and times become their TOML text
 * (RFC 3339) as strings.
 *
 * Ownership: a returned json_t is the caller's (json_decref(3) it).
 */
#ifndef VENVCACHE_TOML_H
#define VENVCACHE_TOML_H

#include <jansson.h>
#include <stddef.h>

#include "venvcache/error.h"

/* Documents larger than this are refused: no pyproject.toml is near it. */
#define VC_TOML_MAX_SIZE (16u << 20)

/*
 * Parses `len` bytes of TOML. `name` is the file named in errors. Returns
 * the root table, or NULL with `err` set ("name:LINE:COL: message",
 * VC_EFAIL, err->file and err->line filled) when the text is not TOML.
 */
json_t *vc_toml_parse(const char *text, size_t len, const char *name,
    struct vc_error *err);

/*
 * vc_toml_parse(), and in `*lines` (the caller's) the line of every key
 * and array element: an object whose keys are the paths of the nodes,
 * their keys (or array indexes, in decimal) joined by VC_TOML_SEP, and
 * whose values are integers. `lines` may be NULL: vc_toml_parse().
 */
#define VC_TOML_SEP "\x1f"
json_t *vc_toml_parse_lines(const char *text, size_t len, const char *name,
    json_t **lines, struct vc_error *err);

/* Reads and parses the file at `path`; errors name it. */
json_t *vc_toml_load(const char *path, struct vc_error *err);

#endif
