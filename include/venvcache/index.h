/*
 * index.h: the files of a release on a package index (PEP 503 simple
 * pages), for `lock`: pip's report names the one file it chose, while a
 * lock file that installs on every platform lists the sha256 of every
 * file of the pinned version, its wheels and its sdist, as
 * `pip-compile --generate-hashes` and `uv pip compile --generate-hashes`
 * write it.
 */
#ifndef VENVCACHE_INDEX_H
#define VENVCACHE_INDEX_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/req.h"
#include "venvcache/util.h"

/*
 * Appends to `out` the sha256 digest (64 lower-case hex digits) of every
 * file of `name` (any spelling) at `version` that the project page `html`
 * (`len` bytes, any content) links with a "#sha256=" fragment: wheels
 * (NAME-VERSION-...-TAG.whl) and sdists (NAME-VERSION.tar.gz, .zip).
 * Other files, and links without a sha256, are left out. Never fails.
 */
void vc_index_page_hashes(const char *html, size_t len, const char *name,
    const char *version, struct vc_strv *out);

/*
 * The digests of every file of `name` `version` on the indexes pip would
 * ask: the index-url setting (PyPI's when unset), or a requirement file's
 * --index-url, and every extra-index-url; none with no-index. Each page
 * is GET <index>/<name>/ with the index's credentials (from its URL), the
 * cert setting and trusted-host as pip takes them. A page the index does
 * not have (404) adds nothing; any other failure fails, naming the URL
 * with its credentials hidden. `reqs` may be NULL.
 */
int vc_index_release_hashes(const struct vc_config *,
    const struct vc_reqset *reqs, const char *name, const char *version,
    struct vc_strv *out, struct vc_error *);

#endif
