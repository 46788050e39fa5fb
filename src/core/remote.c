/*
 * remote.c: remote stores over HTTP(S) and S3, with libcurl.
 *
 * Each configured URL has a state for the life of the process (read-only,
 * off, what it warned) and one curl handle, so that its connection is
 * reused from one request to the next. A request is retried on faults a
 * server or network recovers from (5xx, 408, 429, timeouts, resets) with
 * a doubling backoff; what it ends as decides what the remote becomes.
 */
#include <ctype.h>
#include <errno.h>
#include <nettle/eddsa.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "venvcache/lazy.h"
#include "venvcache/log.h"
#include "venvcache/mirror.h"
#include "venvcache/remote.h"
#include "venvcache/util.h"
#include "venvcache/version.h"

#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS 3000
/* Below this many bytes a second for remote-timeout, a transfer stalls. */
#define LOW_SPEED_BYTES 1024
#define PROBE_NAME "venvcache-probe.txt"
/* The most of an answer read and dropped: a PUT's (Apache's 201 has a
 * page), a MKCOL's. */
#define DROPPED_BODY_MAX (1 << 16)
#define SIG_PREFIX "hmac-sha256 "
#define ED25519_SIG_PREFIX "ed25519 "
#define ED25519_KEY_PREFIX "ed25519:"
#define SIG_MAX 256
/* Shortest VENVCACHE_SIGNING_KEY and VENVCACHE_VERIFY_KEY. */
#define KEY_MIN 16
/* sha256 of nothing, the payload hash of GET and HEAD. */
#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One remote store, as this process knows it. */
struct remote {
	char *url;   /* as configured (may hold credentials) */
	char *shown; /* redacted, for messages */
	char *base;  /* http(s) URL the object paths are appended to */
	int s3;
	int bazel;     /* remote-layout bazel: objects at ac/<sha256> */
	char *region;  /* s3 */
	char *sigv4;   /* s3: "aws:amz:REGION:s3" */
	char *userpwd; /* s3: "KEY:SECRET" */
	char *token;   /* s3: AWS_SESSION_TOKEN */
	int read_only; /* by setting, or since a refused upload */
	int off;       /* since faults that outlasted the retries */
	int denied;    /* a read was refused (warned once) */
	CURL *curl;
};

static struct {
	char *setting; /* the remote setting these were made from */
	struct remote *v;
	size_t n;
} run;

/* libcurl, loaded by the first remotes() (lazy.h). */
static const struct vc_curl *C;

enum outcome {
	RES_OK,        /* 2xx */
	RES_MISSING,   /* 404, 410 */
	RES_EXISTS,    /* 412: If-None-Match found the object */
	RES_DENIED,    /* 401, 403 */
	RES_TRANSIENT, /* retried in vain: 5xx, 408, 429, timeouts, resets */
	RES_FAILED,    /* anything else: other 4xx, a body over its limit */
};

struct req {
	const char *method; /* "GET", "HEAD", "PUT", "MKCOL" */
	char *path;         /* object path under the remote's base */
	char *url;          /* MKCOL: the collection's URL, not the path's */
	int big;            /* an archive: stall timeout, not a total one */
	/* GET: the body goes to fd_out (pwrite from 0) or into buf */
	int fd_out;
	struct vc_buf *buf;
	uint64_t max; /* body limit */
	/* PUT: the body comes from fd_in (pread) or from data */
	int fd_in;
	const char *data;
	uint64_t in_size;
	const char *payload_sha256; /* s3: hex, or NULL for EMPTY_SHA256 */
	int if_none_match;
	/* results */
	uint64_t got, sent;
	int too_big, write_failed;
	long status;
	int tries;
	char why[160];
};

static void
req_init(struct req *q, const char *method, char *path)
{
	memset(q, 0, sizeof *q);
	q->method = method;
	q->path = path;
	q->fd_out = -1;
	q->fd_in = -1;
}

/* --- the remotes --------------------------------------------------- */

static void
remote_release(struct remote *r)
{
	free(r->url);
	free(r->shown);
	free(r->base);
	free(r->region);
	free(r->sigv4);
	if (r->userpwd != NULL) {
		memset(r->userpwd, 0, strlen(r->userpwd));
		free(r->userpwd);
	}
	free(r->token);
	if (r->curl != NULL)
		C->curl_easy_cleanup(r->curl);
}

static void
run_reset(void)
{
	size_t i;

	for (i = 0; i < run.n; i++)
		remote_release(&run.v[i]);
	free(run.v);
	free(run.setting);
	run.v = NULL;
	run.n = 0;
	run.setting = NULL;
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static char *
strip_slashes(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		n--;
	return xstrndup(s, n);
}

/*
 * s3://bucket/prefix: the endpoint and region as the AWS SDKs read them.
 * A custom endpoint is addressed path-style (<endpoint>/<bucket>/...),
 * AWS itself virtual-hosted (https://<bucket>.s3.<region>.amazonaws.com).
 */
static int
s3_setup(const struct vc_config *cfg, struct remote *r, struct vc_error *err)
{
	const char *rest = r->url + 5, *slash, *endpoint, *region, *key,
	           *secret;
	char *bucket, *prefix, *ep;
	size_t i;

	slash = strchr(rest, '/');
	bucket = slash != NULL ? xstrndup(rest, (size_t)(slash - rest))
	                       : xstrdup(rest);
	prefix = strip_slashes(slash != NULL ? slash + 1 : "");
	for (i = 0; bucket[i] != '\0'; i++)
		if (!(islower((unsigned char)bucket[i]) ||
		        isdigit((unsigned char)bucket[i]) || bucket[i] == '-' ||
		        bucket[i] == '.'))
			break;
	if (bucket[0] == '\0' || bucket[i] != '\0') {
		vc_error_set(err, VC_EFAIL,
		    "remote '%s': not a bucket name (s3://bucket/prefix, "
		    "lowercase letters, digits, '-' and '.')",
		    r->shown);
		free(bucket);
		free(prefix);
		return -1;
	}
	region = *vc_config_str(cfg, VC_S_REMOTE_S3_REGION) != '\0'
	    ? vc_config_str(cfg, VC_S_REMOTE_S3_REGION)
	    : env_nonempty("AWS_REGION") != NULL ? getenv("AWS_REGION")
	    : env_nonempty("AWS_DEFAULT_REGION") != NULL
	    ? getenv("AWS_DEFAULT_REGION")
	    : "us-east-1";
	endpoint = *vc_config_str(cfg, VC_S_REMOTE_S3_ENDPOINT) != '\0'
	    ? vc_config_str(cfg, VC_S_REMOTE_S3_ENDPOINT)
	    : env_nonempty("AWS_ENDPOINT_URL_S3") != NULL
	    ? getenv("AWS_ENDPOINT_URL_S3")
	    : env_nonempty("AWS_ENDPOINT_URL");
	if (endpoint != NULL) {
		ep = strip_slashes(endpoint);
		r->base = xasprintf("%s/%s%s%s", ep, bucket,
		    *prefix != '\0' ? "/" : "", prefix);
		free(ep);
	} else {
		r->base = xasprintf("https://%s.s3.%s.amazonaws.com%s%s",
		    bucket, region, *prefix != '\0' ? "/" : "", prefix);
	}
	r->region = xstrdup(region);
	r->sigv4 = xasprintf("aws:amz:%s:s3", region);
	key = env_nonempty("AWS_ACCESS_KEY_ID");
	secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
	if (key != NULL && secret != NULL)
		r->userpwd = xasprintf("%s:%s", key, secret);
	if (env_nonempty("AWS_SESSION_TOKEN") != NULL)
		r->token = xstrdup(getenv("AWS_SESSION_TOKEN"));
	free(bucket);
	free(prefix);
	return 0;
}

static int
remote_setup(const struct vc_config *cfg, struct remote *r, const char *url,
    struct vc_error *err)
{
	memset(r, 0, sizeof *r);
	r->url = xstrdup(url);
	r->shown = vc_url_redact(url);
	r->read_only = vc_config_bool(cfg, VC_S_REMOTE_READ_ONLY);
	r->bazel = vc_config_enum(cfg, VC_S_REMOTE_LAYOUT) == 2;
	if (vc_str_startswith(url, "http://") ||
	    vc_str_startswith(url, "https://")) {
		r->base = strip_slashes(url);
	} else if (vc_str_startswith(url, "s3://")) {
		r->s3 = 1;
		if (s3_setup(cfg, r, err) == -1)
			return -1;
	} else {
		return vc_error_set(err, VC_EFAIL,
		    "remote '%s': not an http://, https:// or s3:// URL",
		    r->shown);
	}
	return 0;
}

/* The remotes of `cfg`, made once per process (again if it changes). */
static int
remotes(const struct vc_config *cfg, struct vc_error *err)
{
	static const char *const keys[] = {"VENVCACHE_SIGNING_KEY",
	    "VENVCACHE_VERIFY_KEY"};
	const char *setting = vc_config_str(cfg, VC_S_REMOTE), *k;
	struct vc_strv urls;
	size_t i;
	int rc = -1;

	/* A guessable or malformed key signs nothing: refuse the remotes
	 * rather than trust or publish entries under it. */
	for (i = 0; i < sizeof keys / sizeof *keys; i++)
		if ((k = env_nonempty(keys[i])) != NULL &&
		    vc_remote_key_check(keys[i], k, err) == -1) {
			vc_error_prefix(err, "no remote store is used");
			return -1;
		}
	if (run.setting != NULL && strcmp(run.setting, setting) == 0)
		return 0;
	run_reset();
	if (C == NULL && (C = vc_curl(err)) == NULL)
		return -1;
	vc_strv_init(&urls);
	vc_config_list(cfg, VC_S_REMOTE, &urls);
	run.v = xcalloc(urls.n > 0 ? urls.n : 1, sizeof *run.v);
	for (i = 0; i < urls.n; i++) {
		run.n++;
		if (remote_setup(cfg, &run.v[i], urls.v[i], err) == -1)
			goto out;
	}
	run.setting = xstrdup(setting);
	rc = 0;
out:
	if (rc != 0)
		run_reset();
	vc_strv_release(&urls);
	return rc;
}

int
vc_remote_configured(const struct vc_config *cfg)
{
	struct vc_strv urls;
	int n;

	vc_strv_init(&urls);
	vc_config_list(cfg, VC_S_REMOTE, &urls);
	n = urls.n > 0;
	vc_strv_release(&urls);
	return n;
}

/* --- object names -------------------------------------------------- */

static int
is_lower_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

char *
vc_remote_entry_path(const char *key, int flat)
{
	char *stem = vc_store_stem(key), *path, hh[3];
	const char *last = strrchr(key, '-');

	if (flat)
		return stem;
	/* Keys end in the hash of what they key: its first two digits. */
	if (last != NULL && is_lower_hex(last[1]) && is_lower_hex(last[2])) {
		hh[0] = last[1];
		hh[1] = last[2];
	} else {
		snprintf(hh, sizeof hh, "%02x",
		    (unsigned)(XXH3_64bits(key, strlen(key)) & 0xff));
	}
	hh[2] = '\0';
	path = xasprintf("%s/%s", hh, stem);
	free(stem);
	return path;
}

static char *
manifest_path(const struct vc_config *cfg, const char *key)
{
	char *p = vc_remote_entry_path(key,
	    vc_config_enum(cfg, VC_S_REMOTE_LAYOUT) == 1);
	char *m = xasprintf("%s.json", p);

	free(p);
	return m;
}

static char *
archive_path(const struct vc_config *cfg, const char *key, const char *checksum)
{
	char *p = vc_remote_entry_path(key,
	    vc_config_enum(cfg, VC_S_REMOTE_LAYOUT) == 1);
	char *a = xasprintf("%s.%s.tar.zst", p, checksum);

	free(p);
	return a;
}

static void sha256_mem(const char *data, size_t len, char out[65]);

/*
 * The URL of an object; S3 wants '+' escaped in its canonical path. Under
 * remote-layout bazel, the object path P is <base>/ac/<sha256 of P>, as
 * ccache's bazel layout stores its entries: what bazel-remote's HTTP
 * protocol takes (with --disable_http_ac_validation, since entries are
 * no ActionResult).
 */
static char *
object_url(const struct remote *r, const char *path)
{
	struct vc_buf b;
	const char *p;
	char sha[65];

	vc_buf_init(&b);
	vc_buf_adds(&b, r->base);
	vc_buf_addc(&b, '/');
	if (r->bazel) {
		sha256_mem(path, strlen(path), sha);
		vc_buf_adds(&b, "ac/");
		vc_buf_adds(&b, sha);
		return vc_buf_detach(&b);
	}
	for (p = path; *p != '\0'; p++) {
		if (*p == '+')
			vc_buf_adds(&b, "%2B");
		else
			vc_buf_addc(&b, *p);
	}
	return vc_buf_detach(&b);
}

/* --- one request --------------------------------------------------- */

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct req *q = arg;
	size_t len = size * nmemb, done = 0;

	if (q->got + len > q->max) {
		q->too_big = 1;
		return 0;
	}
	if (q->fd_out != -1) {
		while (done < len) {
			ssize_t n = pwrite(q->fd_out, data + done, len - done,
			    (off_t)(q->got + done));

			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				q->write_failed = errno != 0 ? errno : EIO;
				return 0;
			}
			done += (size_t)n;
		}
	} else if (q->buf != NULL) {
		vc_buf_add(q->buf, data, len);
	}
	q->got += len;
	if (q->big)
		vc_phase_bytes(q->got);
	return len;
}

static size_t
on_read(char *data, size_t size, size_t nmemb, void *arg)
{
	struct req *q = arg;
	size_t want = size * nmemb;
	ssize_t n;

	if (q->sent >= q->in_size)
		return 0;
	if (want > q->in_size - q->sent)
		want = (size_t)(q->in_size - q->sent);
	if (q->data != NULL) {
		memcpy(data, q->data + q->sent, want);
		n = (ssize_t)want;
	} else {
		do
			n = pread(q->fd_in, data, want, (off_t)q->sent);
		while (n == -1 && errno == EINTR);
		if (n <= 0)
			return CURL_READFUNC_ABORT;
	}
	q->sent += (uint64_t)n;
	return (size_t)n;
}

static enum outcome
classify_status(long status)
{
	if (status >= 200 && status < 300)
		return RES_OK;
	if (status == 404 || status == 410)
		return RES_MISSING;
	if (status == 412)
		return RES_EXISTS;
	if (status == 401 || status == 403)
		return RES_DENIED;
	if (status == 408 || status == 429 || status >= 500)
		return RES_TRANSIENT;
	return RES_FAILED;
}

static enum outcome
request_once(const struct vc_config *cfg, struct remote *r, struct req *q)
{
	struct curl_slist *hdrs = NULL;
	char *url = q->url != NULL ? xstrdup(q->url) : object_url(r, q->path),
	     *h;
	const char *tok;
	long secs;
	CURLcode cc;
	enum outcome o;

	q->got = 0;
	q->sent = 0;
	q->too_big = 0;
	q->write_failed = 0;
	q->status = 0;
	q->why[0] = '\0';
	if (q->buf != NULL)
		vc_buf_reset(q->buf);
	if (q->fd_out == -1 && q->buf == NULL && q->max == 0)
		q->max = DROPPED_BODY_MAX;
	if (q->fd_out != -1 && ftruncate(q->fd_out, 0) == -1) {
		snprintf(q->why, sizeof q->why, "cannot truncate: %s",
		    strerror(errno));
		free(url);
		return RES_FAILED;
	}
	if (r->curl == NULL && (r->curl = C->curl_easy_init()) == NULL) {
		snprintf(q->why, sizeof q->why, "cannot start libcurl");
		free(url);
		return RES_FAILED;
	}
	C->curl_easy_reset(r->curl);
	if (vc_curl_http_only(C, r->curl, 0) == -1) {
		snprintf(q->why, sizeof q->why,
		    "libcurl cannot be limited to http and https");
		free(url);
		return RES_FAILED;
	}
	C->curl_easy_setopt(r->curl, CURLOPT_URL, url);
	C->curl_easy_setopt(r->curl, CURLOPT_FOLLOWLOCATION, 0L);
	C->curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	C->curl_easy_setopt(r->curl, CURLOPT_USERAGENT,
	    "venvcache/" VC_VERSION);
	C->curl_easy_setopt(r->curl, CURLOPT_FAILONERROR, 1L);
	secs = (long)vc_config_duration(cfg, VC_S_REMOTE_CONNECT_TIMEOUT);
	C->curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT, secs);
	secs = (long)vc_config_duration(cfg, VC_S_REMOTE_TIMEOUT);
	if (q->big) { /* as long as it moves */
		C->curl_easy_setopt(r->curl, CURLOPT_LOW_SPEED_LIMIT,
		    (long)LOW_SPEED_BYTES);
		C->curl_easy_setopt(r->curl, CURLOPT_LOW_SPEED_TIME, secs);
	} else {
		C->curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, secs);
	}
	if (strcmp(q->method, "HEAD") == 0) {
		C->curl_easy_setopt(r->curl, CURLOPT_NOBODY, 1L);
	} else if (strcmp(q->method, "MKCOL") == 0) {
		C->curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, "MKCOL");
	} else if (strcmp(q->method, "PUT") == 0) {
		C->curl_easy_setopt(r->curl, CURLOPT_UPLOAD, 1L);
		C->curl_easy_setopt(r->curl, CURLOPT_READFUNCTION, on_read);
		C->curl_easy_setopt(r->curl, CURLOPT_READDATA, q);
		C->curl_easy_setopt(r->curl, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)q->in_size);
		/* An archive waits for 100 Continue, so that a refusal
		 * (Apache's 409 under a missing collection, a 401) costs no
		 * upload of it; a small body goes at once. S3 keeps curl's
		 * own: curl 7.88 signs a request wrongly with an emptied
		 * header (moto: 403). */
		if (!r->s3)
			hdrs = C->curl_slist_append(hdrs,
			    q->big ? "Expect: 100-continue" : "Expect:");
		if (q->if_none_match)
			hdrs = C->curl_slist_append(hdrs, "If-None-Match: *");
	}
	C->curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
	C->curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, q);
	if (r->s3) {
		if (r->userpwd != NULL) {
			/* Without Signature V4 the key and secret would go
			 * as Basic auth: never. */
			if (C->curl_easy_setopt(r->curl, CURLOPT_AWS_SIGV4,
			        r->sigv4) != CURLE_OK) {
				snprintf(q->why, sizeof q->why,
				    "this libcurl cannot sign for S3 "
				    "(Signature V4 needs 7.75 or later)");
				C->curl_slist_free_all(hdrs);
				free(url);
				return RES_FAILED;
			}
			C->curl_easy_setopt(r->curl, CURLOPT_USERPWD,
			    r->userpwd);
		}
		h = xasprintf("x-amz-content-sha256: %s",
		    q->payload_sha256 != NULL ? q->payload_sha256
		                              : EMPTY_SHA256);
		hdrs = C->curl_slist_append(hdrs, h);
		free(h);
		if (r->token != NULL) {
			h = xasprintf("x-amz-security-token: %s", r->token);
			hdrs = C->curl_slist_append(hdrs, h);
			memset(h, 0, strlen(h));
			free(h);
		}
	} else if ((tok = env_nonempty("VENVCACHE_REMOTE_TOKEN")) != NULL) {
		C->curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		C->curl_easy_setopt(r->curl, CURLOPT_XOAUTH2_BEARER, tok);
	} else if (env_nonempty("VENVCACHE_REMOTE_USER") != NULL) {
		C->curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		C->curl_easy_setopt(r->curl, CURLOPT_USERNAME,
		    getenv("VENVCACHE_REMOTE_USER"));
		C->curl_easy_setopt(r->curl, CURLOPT_PASSWORD,
		    env_nonempty("VENVCACHE_REMOTE_PASSWORD") != NULL
		        ? getenv("VENVCACHE_REMOTE_PASSWORD")
		        : "");
	}
	if (hdrs != NULL)
		C->curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = C->curl_easy_perform(r->curl);
	C->curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &q->status);
	/* The handle keeps pointers to these: drop them now. */
	C->curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, NULL);
	C->curl_easy_setopt(r->curl, CURLOPT_URL, NULL);
	C->curl_slist_free_all(hdrs);
	free(url);
	if (cc == CURLE_OK || cc == CURLE_HTTP_RETURNED_ERROR) {
		o = classify_status(q->status);
		if (o != RES_OK)
			snprintf(q->why, sizeof q->why, "HTTP %ld", q->status);
		return o;
	}
	if (q->too_big) {
		snprintf(q->why, sizeof q->why,
		    "more than the %llu bytes expected",
		    (unsigned long long)q->max);
		return RES_FAILED;
	}
	if (q->write_failed) {
		snprintf(q->why, sizeof q->why, "cannot write: %s",
		    strerror(q->write_failed));
		return RES_FAILED;
	}
	snprintf(q->why, sizeof q->why, "%s", C->curl_easy_strerror(cc));
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_READ_ERROR:
		return RES_FAILED;
	default: /* resolve, connect, timeouts, resets, partial bodies */
		return RES_TRANSIENT;
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * MKCOL of the collection `url` ends in (`path`: where its path starts,
 * for messages): its status, 0 for none.
 */
static long
mkcol(const struct vc_config *cfg, struct remote *r, const char *url,
    size_t path, struct req *q)
{
	struct req m;

	req_init(&m, "MKCOL", NULL);
	m.url = xstrdup(url);
	request_once(cfg, r, &m);
	vc_debug("remote %s: MKCOL %s: HTTP %ld", r->shown, url + path,
	    m.status);
	if (m.status != 201 && m.status != 405)
		snprintf(q->why, sizeof q->why,
		    "HTTP 409, then MKCOL of a collection above it: %s",
		    m.why[0] != '\0' ? m.why : "no answer");
	q->status = m.status;
	free(m.url);
	return m.status;
}

/*
 * Makes the missing collections above the object `q` puts: Apache's
 * mod_dav answers a PUT under a missing collection with 409 (nginx's
 * create_full_put_path makes them itself). MKCOL of the nearest first,
 * further up only while that is 409 too, then down again; 201 made one,
 * 405 finds it there (RFC 4918). RES_OK when they all exist now.
 */
static enum outcome
make_parents(const struct vc_config *cfg, struct remote *r, struct req *q)
{
	char *url = object_url(r, q->path), *p, **cols = NULL;
	const char *path = strstr(url, "://");
	size_t n = 0, i, start;
	long st = 0;
	enum outcome o = RES_FAILED;

	/* The collections: each prefix of the URL's path up to a '/', but
	 * the server's root. */
	path = path != NULL ? strchr(path + 3, '/') : NULL;
	if (path == NULL)
		goto out;
	for (p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/'))
		n++;
	if (n == 0) /* an object at the root: no collection to make */
		goto out;
	cols = xcalloc(n, sizeof *cols);
	n = 0;
	for (p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/'))
		cols[n++] = xstrndup(url, (size_t)(p - url) + 1);
	start = (size_t)(path - url);
	for (i = n; i > 0; i--)
		if ((st = mkcol(cfg, r, cols[i - 1], start, q)) != 409)
			break;
	if (st != 201 && st != 405)
		goto fail;
	for (; i < n; i++)
		if ((st = mkcol(cfg, r, cols[i], start, q)) != 201 && st != 405)
			goto fail;
	o = RES_OK;
	goto out;
fail:
	o = st == 0 ? RES_TRANSIENT : classify_status(st);
	if (o == RES_OK || o == RES_MISSING || o == RES_EXISTS)
		o = RES_FAILED;
out:
	for (i = 0; i < n; i++)
		free(cols[i]);
	free(cols);
	free(url);
	return o;
}

/*
 * One try of `q`. A PUT refused with 409 (a collection above it is
 * missing) makes the collections and is sent again.
 */
static enum outcome
attempt(const struct vc_config *cfg, struct remote *r, struct req *q)
{
	enum outcome o = request_once(cfg, r, q);

	if (o != RES_FAILED || q->status != 409 || r->s3 ||
	    strcmp(q->method, "PUT") != 0)
		return o;
	if ((o = make_parents(cfg, r, q)) != RES_OK)
		return o;
	return request_once(cfg, r, q);
}

/* A request with its retries. */
static enum outcome
request(const struct vc_config *cfg, struct remote *r, struct req *q)
{
	long tries = 1 + vc_config_int(cfg, VC_S_REMOTE_RETRIES);
	long delay = BACKOFF_FIRST_MS;
	enum outcome o;

	for (q->tries = 1;; q->tries++) {
		o = attempt(cfg, r, q);
		vc_debug("remote %s: %s %s: %s", r->shown, q->method, q->path,
		    o == RES_OK ? "ok" : q->why);
		if (o != RES_TRANSIENT || q->tries >= tries)
			return o;
		sleep_ms(delay);
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
}

/* Records a fault: what the remote becomes, one warning, one error. */
static void
fault(struct remote *r, const struct req *q, enum outcome o, int writing,
    struct vc_stats *delta)
{
	char tries[48] = "";

	delta->c[VC_C_remote_errors]++;
	if (q->tries > 1)
		snprintf(tries, sizeof tries, " after %d tries", q->tries);
	if (writing && (o == RES_DENIED || o == RES_FAILED)) {
		if (!r->read_only)
			vc_warn("remote %s: %s of %s refused (%s): read-only "
			        "for the rest of this run",
			    r->shown, q->method, q->path, q->why);
		r->read_only = 1;
		return;
	}
	if (!r->off)
		vc_warn("remote %s: %s %s: %s%s: not used for the rest of "
		        "this run",
		    r->shown, q->method, q->path, q->why, tries);
	r->off = 1;
}

/* --- signatures ---------------------------------------------------- */

static void sha256_hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[65]);

static void
to_hex(const uint8_t *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	    : c >= 'a' && c <= 'f'  ? c - 'a' + 10
	    : c >= 'A' && c <= 'F'  ? c - 'A' + 10
	                            : -1;
}

/* 2n hex digits at `s` into n bytes: 0, or -1 on another character. */
static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = hex_digit((unsigned char)s[2 * i])) == -1 ||
		    (lo = hex_digit((unsigned char)s[2 * i + 1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * With VENVCACHE_SIGNING_KEY, an upload puts the manifest's signature
 * before the manifest, at <stem>.<sha256 of the manifest>.sig (named by
 * what it signs, so that two machines uploading the same key at once
 * never sign each other's manifest): a signature of
 *   "venvcache-entry-v1\n<archive checksum>\n<manifest bytes>",
 * "ed25519 <hex>\n" under an "ed25519:<hex>" private key, else
 * "hmac-sha256 <hex>\n", the HMAC-SHA256 under the key as a secret.
 * With VENVCACHE_VERIFY_KEY, a download whose signature is missing or
 * differs is refused. The manifest names the archive's checksum and size,
 * and the archive is verified against it, so the signature covers the
 * archive. HMAC: whoever can verify can sign; Ed25519: not.
 */
static void
entry_hmac(const char *key, const char *checksum, const char *text, size_t len,
    char out[65])
{
	struct hmac_sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	static const char tag[] = "venvcache-entry-v1\n";

	hmac_sha256_set_key(&c, strlen(key), (const uint8_t *)key);
	hmac_sha256_update(&c, sizeof tag - 1, (const uint8_t *)tag);
	hmac_sha256_update(&c, strlen(checksum), (const uint8_t *)checksum);
	hmac_sha256_update(&c, 1, (const uint8_t *)"\n");
	hmac_sha256_update(&c, len, (const uint8_t *)text);
	hmac_sha256_digest(&c, sizeof d, d);
	sha256_hex(d, out);
	memset(&c, 0, sizeof c);
	memset(d, 0, sizeof d);
}

/* The object path of the signature of the manifest `text` of `key`. */
static char *
sig_path(const struct vc_config *cfg, const char *key, const char *text,
    size_t len)
{
	char *p = vc_remote_entry_path(key,
	    vc_config_enum(cfg, VC_S_REMOTE_LAYOUT) == 1);
	char sha[65], *s;

	sha256_mem(text, len, sha);
	s = xasprintf("%s.%s.sig", p, sha);
	free(p);
	return s;
}

/* "ed25519:<64 hex digits>" into 32 bytes: 1; another kind of key: 0;
 * "ed25519:" followed by anything else: -1. */
static int
ed25519_key(const char *key, uint8_t out[ED25519_KEY_SIZE])
{
	size_t n = sizeof ED25519_KEY_PREFIX - 1;

	if (strncmp(key, ED25519_KEY_PREFIX, n) != 0)
		return 0;
	if (strlen(key + n) != 2 * ED25519_KEY_SIZE ||
	    unhex(key + n, out, ED25519_KEY_SIZE) == -1)
		return -1;
	return 1;
}

/* "venvcache-entry-v1\n<checksum>\n<manifest>", what is signed. */
static char *
signed_message(const char *checksum, const char *manifest, size_t len,
    size_t *out_len)
{
	static const char tag[] = "venvcache-entry-v1\n";
	size_t c = strlen(checksum), n = sizeof tag - 1 + c + 1 + len;
	char *msg = xmalloc(n > 0 ? n : 1);

	memcpy(msg, tag, sizeof tag - 1);
	memcpy(msg + sizeof tag - 1, checksum, c);
	msg[sizeof tag - 1 + c] = '\n';
	if (len > 0)
		memcpy(msg + sizeof tag + c, manifest, len);
	*out_len = n;
	return msg;
}

int
vc_remote_key_check(const char *name, const char *key, struct vc_error *err)
{
	uint8_t k[ED25519_KEY_SIZE];
	int rc = ed25519_key(key, k);

	memset(k, 0, sizeof k);
	if (rc == -1)
		return vc_error_set(err, VC_EFAIL,
		    "%s: '" ED25519_KEY_PREFIX "' must be followed by %d hex "
		    "digits (venvcache remote keygen makes a pair)",
		    name, 2 * ED25519_KEY_SIZE);
	if (rc == 0 && strlen(key) < KEY_MIN)
		return vc_error_set(err, VC_EFAIL,
		    "%s: shorter than %d bytes (openssl rand -hex 32 makes "
		    "one)",
		    name, KEY_MIN);
	return 0;
}

char *
vc_remote_sign(const char *key, const char *checksum, const char *manifest,
    size_t len)
{
	uint8_t priv[ED25519_KEY_SIZE], pub[ED25519_KEY_SIZE];
	uint8_t sig[ED25519_SIGNATURE_SIZE];
	char mac[65], hex[2 * ED25519_SIGNATURE_SIZE + 1], *msg, *out;
	size_t n;

	switch (ed25519_key(key, priv)) {
	case -1:
		return NULL;
	case 1:
		msg = signed_message(checksum, manifest, len, &n);
		ed25519_sha512_public_key(pub, priv);
		ed25519_sha512_sign(pub, priv, n, (const uint8_t *)msg, sig);
		memset(priv, 0, sizeof priv);
		free(msg);
		to_hex(sig, sizeof sig, hex);
		return xasprintf(ED25519_SIG_PREFIX "%s\n", hex);
	}
	entry_hmac(key, checksum, manifest, len, mac);
	out = xasprintf(SIG_PREFIX "%s\n", mac);
	memset(mac, 0, sizeof mac);
	return out;
}

/* Whether `sig` is `prefix` and `hexlen` more bytes, then maybe '\n'. */
static int
sig_shape(const char *sig, size_t siglen, const char *prefix, size_t hexlen)
{
	size_t n = strlen(prefix);

	if (siglen < n + hexlen || memcmp(sig, prefix, n) != 0)
		return 0;
	return siglen == n + hexlen ||
	    (siglen == n + hexlen + 1 && sig[n + hexlen] == '\n');
}

int
vc_remote_signature_ok(const char *key, const char *checksum,
    const char *manifest, size_t len, const char *sig, size_t siglen)
{
	uint8_t pub[ED25519_KEY_SIZE], raw[ED25519_SIGNATURE_SIZE];
	char want[65], *msg;
	size_t n = sizeof SIG_PREFIX - 1, mlen;
	int ok;

	switch (ed25519_key(key, pub)) {
	case -1:
		return 0;
	case 1:
		if (!sig_shape(sig, siglen, ED25519_SIG_PREFIX,
		        2 * ED25519_SIGNATURE_SIZE) ||
		    unhex(sig + sizeof ED25519_SIG_PREFIX - 1, raw,
		        sizeof raw) == -1)
			return 0;
		msg = signed_message(checksum, manifest, len, &mlen);
		ok = ed25519_sha512_verify(pub, mlen, (const uint8_t *)msg,
		         raw) == 1;
		free(msg);
		return ok;
	}
	if (!sig_shape(sig, siglen, SIG_PREFIX, 64))
		return 0;
	entry_hmac(key, checksum, manifest, len, want);
	ok = memeql_sec(want, sig + n, 64);
	memset(want, 0, sizeof want);
	return ok;
}

int
vc_remote_keygen(char **signing_key, char **verify_key, struct vc_error *err)
{
	uint8_t priv[ED25519_KEY_SIZE], pub[ED25519_KEY_SIZE];
	char hex[2 * ED25519_KEY_SIZE + 1];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof priv) {
		r = getrandom(priv + got, sizeof priv - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return vc_error_set(err, VC_EFAIL,
			    "cannot read random bytes: %s", strerror(errno));
		got += (size_t)r;
	}
	ed25519_sha512_public_key(pub, priv);
	to_hex(priv, sizeof priv, hex);
	*signing_key = xasprintf(ED25519_KEY_PREFIX "%s", hex);
	to_hex(pub, sizeof pub, hex);
	*verify_key = xasprintf(ED25519_KEY_PREFIX "%s", hex);
	memset(priv, 0, sizeof priv);
	return 0;
}

/*
 * Checks the signature of the manifest `b` (parsed into `m`) under
 * `vkey`: 1 signed, 0 refused (`err` says why), -1 a fault (warned and
 * counted). A 403 is taken as a missing signature, as S3 answers it for a
 * missing object to whoever may not list the bucket.
 */
static int
signature_check(const struct vc_config *cfg, struct remote *r, const char *vkey,
    const struct vc_manifest *m, const struct vc_buf *b, const char *name,
    struct vc_stats *delta, struct vc_error *err)
{
	struct vc_buf sig;
	struct req q;
	enum outcome o;
	int ok;

	vc_buf_init(&sig);
	req_init(&q, "GET", sig_path(cfg, m->key, b->data, b->len));
	q.buf = &sig;
	q.max = SIG_MAX;
	o = request(cfg, r, &q);
	if (o == RES_OK) {
		delta->c[VC_C_remote_bytes_in] += q.got;
		ok = vc_remote_signature_ok(vkey, m->checksum, b->data, b->len,
		    sig.data, sig.len);
		if (!ok)
			vc_error_set(err, VC_ECORRUPT, "%s: bad signature %s",
			    name, q.path);
	} else if (o == RES_MISSING || o == RES_DENIED) {
		ok = 0;
		vc_error_set(err, VC_ECORRUPT,
		    "%s: unsigned (no %s), and VENVCACHE_VERIFY_KEY is set",
		    name, q.path);
	} else if (q.too_big) {
		ok = 0;
		vc_error_set(err, VC_ECORRUPT,
		    "%s: bad signature %s (over %d bytes)", name, q.path,
		    SIG_MAX);
	} else {
		ok = -1; /* a fault, not a verdict */
		fault(r, &q, o, 0, delta);
	}
	free(q.path);
	vc_buf_release(&sig);
	return ok;
}

/* --- fetch --------------------------------------------------------- */

/*
 * Fetches the entry of `key` from `r` into the local store. 1: published;
 * 0: not there; -1: a fault or a bad entry (counted and warned).
 */
static int
fetch_one(const struct vc_config *cfg, struct remote *r, struct vc_store *st,
    const char *key, struct vc_stats *delta)
{
	struct vc_manifest m;
	struct vc_store_txn txn;
	struct vc_error err;
	struct vc_buf b;
	struct req q;
	enum outcome o;
	const char *vkey;
	char *name = NULL;
	int rc = -1;

	vc_manifest_init(&m);
	vc_buf_init(&b);
	memset(&txn, 0, sizeof txn);
	txn.fd = -1;
	req_init(&q, "GET", manifest_path(cfg, key));
	q.buf = &b;
	q.max = VC_MANIFEST_MAX;
	o = request(cfg, r, &q);
	if (o == RES_MISSING) {
		rc = 0;
		goto out;
	}
	if (o == RES_DENIED) {
		/* S3 answers 403 for a missing object to whoever may not
		 * list the bucket: a miss, said once. */
		if (!r->denied) {
			delta->c[VC_C_remote_errors]++;
			vc_warn("remote %s: GET %s: %s: taken as a miss (check "
			        "the credentials)",
			    r->shown, q.path, q.why);
		}
		r->denied = 1;
		rc = 0;
		goto out;
	}
	if (o != RES_OK) {
		fault(r, &q, o, 0, delta);
		goto out;
	}
	delta->c[VC_C_remote_bytes_in] += q.got;
	name = xasprintf("%s/%s", r->shown, q.path);
	vc_error_clear(&err);
	if (vc_manifest_parse(&m, b.data, b.len, name, &err) == -1)
		goto bad;
	if (strcmp(m.key, key) != 0) {
		vc_error_set(&err, VC_ECORRUPT,
		    "%s: the manifest is for another key", name);
		goto bad;
	}
	if ((vkey = env_nonempty("VENVCACHE_VERIFY_KEY")) != NULL) {
		int ok =
		    signature_check(cfg, r, vkey, &m, &b, name, delta, &err);

		if (ok == 0)
			goto bad;
		if (ok == -1)
			goto out;
	}
	if (vc_store_begin(st, key, &txn, &err) == -1) {
		vc_warn("remote %s: %s", r->shown, err.msg);
		goto out;
	}
	free(q.path);
	req_init(&q, "GET", archive_path(cfg, key, m.checksum));
	q.big = 1;
	q.fd_out = txn.fd;
	q.max = m.archive_size;
	vc_step("%s: downloading %s", r->shown, q.path);
	vc_phase(VC_PHASE_DOWNLOADING);
	o = request(cfg, r, &q);
	if (o == RES_MISSING) { /* a manifest without archive: a bad entry */
		vc_error_set(&err, VC_ECORRUPT, "%s: its archive %s is missing",
		    name, q.path);
		goto bad;
	}
	if (o != RES_OK) {
		if (q.too_big) {
			vc_error_set(&err, VC_ECORRUPT,
			    "%s: its archive %s has more than the %llu bytes "
			    "its manifest says",
			    name, q.path, (unsigned long long)m.archive_size);
			goto bad;
		}
		fault(r, &q, o, 0, delta);
		goto out;
	}
	delta->c[VC_C_remote_bytes_in] += q.got;
	/* What a local entry goes through before it is used. */
	if (vc_store_verify(st, &m, txn.fd, &err) == -1)
		goto bad;
	if (vc_store_commit(st, &txn, &m, &err) == -1) {
		vc_warn("remote %s: %s", r->shown, err.msg);
		goto out;
	}
	delta->c[VC_C_remote_hits]++;
	vc_note("remote %s: downloaded %s", r->shown, key);
	rc = 1;
	goto out;
bad:
	delta->c[VC_C_remote_rejected]++;
	vc_warn("remote %s: entry refused: %s", r->shown, err.msg);
out:
	vc_store_abort(st, &txn);
	vc_manifest_release(&m);
	vc_buf_release(&b);
	free(q.path);
	free(name);
	return rc;
}

int
vc_remote_fetch(const struct vc_config *cfg, struct vc_store *st,
    const char *key, struct vc_stats *delta)
{
	struct vc_error err;
	size_t i;
	int asked = 0, rc;

	if (!vc_remote_configured(cfg))
		return 0;
	vc_error_clear(&err);
	if (remotes(cfg, &err) == -1) {
		vc_warn("%s", err.msg);
		return 0;
	}
	for (i = 0; i < run.n; i++) {
		if (run.v[i].off)
			continue;
		asked++;
		rc = fetch_one(cfg, &run.v[i], st, key, delta);
		if (rc == 1)
			return 1;
	}
	if (asked > 0)
		delta->c[VC_C_remote_misses]++;
	return 0;
}

/* --- upload -------------------------------------------------------- */

static void
sha256_hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[65])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[64] = '\0';
}

static void
sha256_mem(const char *data, size_t len, char out[65])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&c);
	sha256_update(&c, len, (const uint8_t *)data);
	sha256_digest(&c, sizeof d, d);
	sha256_hex(d, out);
}

static int
sha256_fd(int fd, uint64_t size, char out[65])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	char *buf = xmalloc(1 << 16);
	uint64_t off = 0;
	ssize_t n;
	int rc = -1;

	sha256_init(&c);
	while (off < size) {
		n = pread(fd, buf, 1 << 16, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		sha256_update(&c, (size_t)n, (const uint8_t *)buf);
		off += (uint64_t)n;
	}
	sha256_digest(&c, sizeof d, d);
	sha256_hex(d, out);
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Uploads one entry to `r`: 1 uploaded, 0 already there, -1 a fault. */
static int
upload_one(const struct vc_config *cfg, struct remote *r,
    const struct vc_manifest *m, int fd, const char *text,
    const char *archive_sha, struct vc_stats *delta)
{
	struct req q;
	enum outcome o;
	const char *skey;
	char text_sha[65], *sig = NULL;
	int rc = -1;

	req_init(&q, "HEAD", manifest_path(cfg, m->key));
	o = request(cfg, r, &q);
	if (o == RES_OK) {
		rc = 0;
		goto out;
	}
	if (o != RES_MISSING) {
		fault(r, &q, o, 1, delta);
		goto out;
	}
	free(q.path);
	req_init(&q, "PUT", archive_path(cfg, m->key, m->checksum));
	q.big = 1;
	q.fd_in = fd;
	q.in_size = m->archive_size;
	q.payload_sha256 = archive_sha;
	q.if_none_match = 1;
	vc_step("%s: uploading %s", r->shown, q.path);
	o = request(cfg, r, &q);
	if (o != RES_OK && o != RES_EXISTS) {
		fault(r, &q, o, 1, delta);
		goto out;
	}
	delta->c[VC_C_remote_bytes_out] += q.sent;
	free(q.path);
	q.path = NULL;
	if ((skey = env_nonempty("VENVCACHE_SIGNING_KEY")) != NULL) {
		/* remotes() checked the key: never NULL here. */
		if ((sig = vc_remote_sign(skey, m->checksum, text,
		         strlen(text))) == NULL)
			goto out;
		req_init(&q, "PUT", sig_path(cfg, m->key, text, strlen(text)));
		q.data = sig;
		q.in_size = strlen(sig);
		sha256_mem(sig, strlen(sig), text_sha);
		q.payload_sha256 = text_sha;
		q.if_none_match = 1;
		o = request(cfg, r, &q);
		if (o != RES_OK && o != RES_EXISTS) {
			fault(r, &q, o, 1, delta);
			goto out;
		}
		delta->c[VC_C_remote_bytes_out] += q.sent;
		free(q.path);
	}
	req_init(&q, "PUT", manifest_path(cfg, m->key));
	q.data = text;
	q.in_size = strlen(text);
	sha256_mem(text, strlen(text), text_sha);
	q.payload_sha256 = text_sha;
	q.if_none_match = 1;
	o = request(cfg, r, &q);
	if (o == RES_EXISTS) { /* another machine was first */
		rc = 0;
		goto out;
	}
	if (o != RES_OK) {
		fault(r, &q, o, 1, delta);
		goto out;
	}
	delta->c[VC_C_remote_bytes_out] += q.sent;
	delta->c[VC_C_remote_uploads]++;
	rc = 1;
out:
	free(q.path);
	free(sig);
	return rc;
}

void
vc_remote_upload(const struct vc_config *cfg, struct vc_store *st,
    const char *key, struct vc_stats *delta)
{
	struct vc_manifest m;
	struct vc_lock lk;
	struct vc_error err;
	char *text = NULL, archive_sha[65] = "";
	size_t i;
	int fd = -1;

	if (!vc_remote_configured(cfg))
		return;
	vc_error_clear(&err);
	if (remotes(cfg, &err) == -1) {
		vc_warn("%s", err.msg);
		return;
	}
	for (i = 0; i < run.n; i++)
		if (!run.v[i].off && !run.v[i].read_only)
			break;
	if (i == run.n)
		return;
	vc_manifest_init(&m);
	lk.fd = -1;
	if (vc_store_lock(st, key, VC_LOCK_SHARED, &lk, &err) == -1 ||
	    vc_store_lookup(st, key, &m, &fd, &err) == -1) {
		vc_warn("remote: not uploaded: %s", err.msg);
		goto out;
	}
	text = vc_manifest_format(&m);
	for (i = 0; i < run.n; i++) {
		struct remote *r = &run.v[i];

		if (r->off || r->read_only)
			continue;
		if (r->s3 && archive_sha[0] == '\0' &&
		    sha256_fd(fd, m.archive_size, archive_sha) == -1) {
			vc_warn("remote: not uploaded: cannot read the archive "
			        "of '%s': %s",
			    key, strerror(errno));
			goto out;
		}
		if (upload_one(cfg, r, &m, fd, text, archive_sha, delta) == 1)
			vc_note("remote %s: uploaded %s", r->shown, key);
	}
out:
	if (fd != -1)
		close(fd);
	vc_store_unlock(&lk);
	vc_manifest_release(&m);
	free(text);
}

/* --- check --------------------------------------------------------- */

int
vc_remote_check(const struct vc_config *cfg,
    void (*report)(const struct vc_remote_report *, void *), void *arg,
    struct vc_error *err)
{
	struct vc_remote_report rep;
	struct req q;
	enum outcome o;
	size_t i;
	int failed = 0;
	double t0;
	char *text = NULL, sha[65];

	if (remotes(cfg, err) == -1)
		return -1;
	for (i = 0; i < run.n; i++) {
		struct remote *r = &run.v[i];

		memset(&rep, 0, sizeof rep);
		rep.url = r->shown;
		rep.writable = -1;
		/* An entry that cannot exist: a 404 says we may read. */
		req_init(&q, "GET",
		    xasprintf("%svenvcache-check-missing.json",
		        vc_config_enum(cfg, VC_S_REMOTE_LAYOUT) == 1 ? ""
		                                                     : "00/"));
		q.max = VC_MANIFEST_MAX;
		t0 = vc_monotonic();
		o = request_once(cfg, r, &q);
		rep.latency = vc_monotonic() - t0;
		rep.status = q.status;
		rep.reachable = q.status != 0;
		rep.auth_ok = rep.reachable && o != RES_DENIED;
		if (o != RES_MISSING)
			snprintf(rep.read_detail, sizeof rep.read_detail, "%s",
			    o == RES_OK ? "an object that should not exist "
			                  "exists"
			                : q.why);
		free(q.path);
		if (rep.reachable && !r->read_only) {
			free(text);
			text = xasprintf("venvcache %s probe, %lld\n",
			    VC_VERSION, (long long)vc_now());
			req_init(&q, "PUT", xstrdup(PROBE_NAME));
			q.data = text;
			q.in_size = strlen(text);
			sha256_mem(text, strlen(text), sha);
			q.payload_sha256 = sha;
			o = attempt(cfg, r, &q);
			rep.writable = o == RES_OK;
			if (!rep.writable)
				snprintf(rep.write_detail,
				    sizeof rep.write_detail, "%s", q.why);
			free(q.path);
		}
		if (!rep.reachable || !rep.auth_ok || rep.writable == 0)
			failed++;
		report(&rep, arg);
	}
	free(text);
	return failed;
}
