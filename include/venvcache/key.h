/*
 * key.h: the cache key of an environment.
 *
 *   <key-prefix>-<impl><major><minor>-<platform>-<32 hex of XXH3-128>
 *
 * The hash covers a text document, one "field value" line each, in a
 * fixed order: the key format version, the interpreter's
 * identity, the venv creation settings, and the canonical requirement set
 * (or, when resolved, the resolved set). --explain prints that document,
 * so what is hashed is exactly what is shown. docs/key.md specifies it.
 *
 * Strings are owned by the struct; vc_key_release() frees them.
 */
#ifndef VENVCACHE_KEY_H
#define VENVCACHE_KEY_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/interp.h"
#include "venvcache/req.h"
#include "venvcache/util.h"

#define VC_KEY_FORMAT 2
#define VC_KEY_MAX 512

struct vc_key {
	char *key;                   /* the whole key */
	char hash[33];               /* 32 hex digits + NUL */
	char *document;              /* what was hashed */
	struct vc_strv restore_keys; /* one: up to the hash */
};

void vc_key_init(struct vc_key *);
void vc_key_release(struct vc_key *);

/*
 * Computes the key of `env` with interpreter `interp` and requirements
 * `reqs`. `resolved`, when not NULL, holds the resolved set as canonical
 * lines ("name==version" or "name @ url") and replaces the declared
 * requirements in the document (the declared options stay).
 */
int vc_key_compute(struct vc_key *, const struct vc_config *,
    const struct vc_envdef *, const struct vc_interp *,
    const struct vc_reqset *, const struct vc_strv *resolved,
    struct vc_error *);

/* Checks a key against actions/cache's rules: <= 512 chars, no ','. */
int vc_key_valid(const char *key, struct vc_error *);

/* Reads an env's requirement files and inline deps into `set`. */
int vc_key_load_requirements(struct vc_reqset *set, const struct vc_envdef *env,
    struct vc_error *);

#endif
