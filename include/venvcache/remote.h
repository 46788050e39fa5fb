/*
 * remote.h: remote stores shared by many machines (the `remote` setting).
 *
 * A remote store holds the same entries as the local store, one object
 * each for the manifest and the archive, under <url>/<layout path>:
 *   subdirs (default)  <url>/<hh>/<stem>.json
 *                      <url>/<hh>/<stem>.<checksum>.tar.zst
 *   flat               <url>/<stem>.json, <url>/<stem>.<checksum>.tar.zst
 *   bazel              <url>/ac/<sha256 of the subdirs path>, each object
 * where <stem> is the entry's file name in the local store, <hh> the
 * first two hex digits of the key's hash and <checksum> the archive's
 * XXH3-128, as its manifest says. An entry exists when its manifest does:
 * uploads put the archive first and the manifest last, and never
 * overwrite (a HEAD first, and If-None-Match: *); nothing is ever deleted.
 * Naming the archive by its checksum means two machines that pack the
 * same key at once never replace each other's archive under a manifest.
 *
 * URLs: http://, https:// (GET, HEAD and PUT, as a WebDAV server with PUT
 * takes them, or bazel-remote under layout bazel) and s3://bucket/prefix (AWS
 * Signature V4). Credentials come from the environment only:
 * VENVCACHE_REMOTE_TOKEN (bearer) or VENVCACHE_REMOTE_USER and
 * VENVCACHE_REMOTE_PASSWORD (basic) for http(s); AWS_* as the AWS SDKs read
 * them for s3. URLs are shown redacted, as the mirror's are.
 *
 * A remote's faults never fail a build: a 404 is a miss; a 401 or 403 on
 * an upload makes the remote read-only for the rest of the process; 5xx,
 * 408, 429, timeouts and resets are retried (remote-retries, with
 * backoff) and then turn the remote off for the rest of the process. Each
 * of these warns once. A download is verified exactly as a local entry
 * is (vc_store_verify) before it is published into the local store; one
 * that fails is discarded and counted (remote_rejected).
 *
 * Signing: with VENVCACHE_SIGNING_KEY in the environment, an upload
 * also puts <stem>.<sha256 of the manifest>.sig, an Ed25519 signature or
 * an HMAC-SHA256 over the manifest and the archive's checksum, before the
 * manifest. With VENVCACHE_VERIFY_KEY, a download is used only when that
 * object exists and holds a good signature under the key; otherwise it is
 * refused and counted (remote_rejected). A malformed key, or one under 16
 * bytes, turns every remote off for the process, with a warning.
 *
 * The state "read-only" or "off" lives in the process: a `warm -j N` has
 * N processes, and each learns it for itself.
 */
#ifndef VENVCACHE_REMOTE_H
#define VENVCACHE_REMOTE_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/stats.h"
#include "venvcache/store.h"

/* Whether the remote setting names at least one remote store. */
int vc_remote_configured(const struct vc_config *);

/*
 * Looks for `key` in each remote in turn and publishes the first entry
 * that passes vc_store_verify() into the local store. Returns 1 when it
 * did, 0 otherwise (a miss, or a fault: warned and counted in `delta`).
 * Call it under the key's exclusive lock, after a local miss.
 */
int vc_remote_fetch(const struct vc_config *, struct vc_store *,
    const char *key, struct vc_stats *delta);

/*
 * Uploads the local entry of `key` to every writable remote that lacks
 * it. Takes the key's lock shared while it reads the entry. Never fails:
 * faults are warned and counted in `delta`.
 */
void vc_remote_upload(const struct vc_config *, struct vc_store *,
    const char *key, struct vc_stats *delta);

/* What `venvcache remote check` found about one remote. */
struct vc_remote_report {
	const char *url; /* redacted, borrowed until the next call */
	long status;     /* HTTP status of the GET, 0: no answer */
	int reachable;   /* it answered HTTP */
	int auth_ok;     /* the GET was not refused (401, 403) */
	int writable;    /* 1, 0, or -1: not tried (read-only, unreachable) */
	double latency;  /* seconds of the GET */
	char read_detail[160], write_detail[160];
};

/*
 * Checks each remote: a GET of an object that does not exist (reachable,
 * auth, latency) and, unless read-only, a PUT of a small probe object
 * <url>/venvcache-probe.txt (write permission; it is overwritten by the
 * next check, never an entry). Calls `report` for each. Returns the
 * number of remotes that failed a check, or -1 with `err` when the
 * remote setting is unusable.
 */
int vc_remote_check(const struct vc_config *,
    void (*report)(const struct vc_remote_report *, void *), void *arg,
    struct vc_error *);

/*
 * The object path of the entry of `key` (a valid key) under a remote of
 * layout `flat` (0: subdirs), without suffix ("ab/venv-...-ab12..."). The
 * caller frees it. For tests.
 */
char *vc_remote_entry_path(const char *key, int flat);

/*
 * Signing keys (VENVCACHE_SIGNING_KEY, VENVCACHE_VERIFY_KEY) are of two
 * kinds. "ed25519:<64 hex digits>": an Ed25519 private key (signing) or
 * public key (verifying), so that whoever verifies cannot sign. Anything
 * else, of 16 bytes or more: an HMAC-SHA256 secret, the same on both sides.
 */

/* Whether `key` (from the variable `name`) is usable; -1 with `err`,
 * which names the variable but never shows the key. */
int vc_remote_key_check(const char *name, const char *key,
    struct vc_error *err);

/*
 * The signature object of a manifest (`len` bytes at `manifest`, whose
 * archive has checksum `checksum`) under `key`, a signature of
 *   "venvcache-entry-v1\n<checksum>\n<manifest>":
 * "ed25519 <128 hex>\n" or "hmac-sha256 <64 hex>\n". The caller frees it.
 * NULL when `key` is "ed25519:" and not 64 hex digits.
 */
char *vc_remote_sign(const char *key, const char *checksum,
    const char *manifest, size_t len);

/*
 * Whether `sig` (`siglen` bytes, as downloaded: any bytes) signs the
 * manifest under `key` (a public key or the HMAC secret), in the form
 * vc_remote_sign() makes, with or without its final newline. 1 or 0.
 */
int vc_remote_signature_ok(const char *key, const char *checksum,
    const char *manifest, size_t len, const char *sig, size_t siglen);

/* A new Ed25519 key pair, as "ed25519:<hex>" strings the caller frees. */
int vc_remote_keygen(char **signing_key, char **verify_key,
    struct vc_error *err);

#endif
