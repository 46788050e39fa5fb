/* index.c: every file of a release on a PEP 503 simple index. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "venvcache/index.h"
#include "venvcache/lazy.h"
#include "venvcache/url.h"
#include "venvcache/version.h"

#define PAGE_MAX (64u << 20) /* PyPI's largest pages are a few MiB */

/* --- the page ------------------------------------------------------ */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c); /* a negative char is not a letter */
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "%41" and "&amp;" decoded; the caller frees. */
static char *
decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '&' && n - i >= 5 &&
		    strncmp(s + i, "&amp;", 5) == 0) {
			*o++ = '&';
			i += 4;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Whether `file` is a wheel or an sdist of `name` (normalised) `version`. */
static int
file_of(const char *file, const char *name, const char *version)
{
	static const char *const sdist[] = {".tar.gz", ".zip"};
	size_t len = strlen(file), i;
	char *stem = NULL, *n = NULL, *v = NULL, *dash;
	int ok = 0;

	if (len > 4 && strcmp(file + len - 4, ".whl") == 0) {
		/* NAME-VERSION(-BUILD)?-PY-ABI-PLATFORM.whl */
		stem = xstrndup(file, len - 4);
		dash = strchr(stem, '-');
		if (dash == NULL)
			goto out;
		*dash = '\0';
		n = vc_name_normalize(stem);
		v = xstrndup(dash + 1, strcspn(dash + 1, "-"));
		if (strchr(dash + 1, '-') == NULL)
			goto out; /* no tags */
	} else {
		for (i = 0; i < sizeof sdist / sizeof *sdist; i++) {
			size_t e = strlen(sdist[i]);

			if (len > e && strcmp(file + len - e, sdist[i]) == 0)
				stem = xstrndup(file, len - e);
		}
		if (stem == NULL || (dash = strrchr(stem, '-')) == NULL)
			goto out;
		*dash = '\0';
		n = vc_name_normalize(stem);
		v = xstrdup(dash + 1);
	}
	if (strcmp(n, name) == 0) {
		char *a = vc_version_normalize(v),
		     *b = vc_version_normalize(version);

		ok = a != NULL && b != NULL ? strcmp(a, b) == 0
		                            : strcasecmp(v, version) == 0;
		free(a);
		free(b);
	}
out:
	free(stem);
	free(n);
	free(v);
	return ok;
}

/* The value of the href attribute in the tag [p, end), or NULL. */
static char *
href_of(const char *p, const char *end)
{
	while (p < end) {
		const char *q;

		/* an attribute name */
		while (p < end && (isspace((unsigned char)*p) || *p == '/'))
			p++;
		q = p;
		while (p < end && !isspace((unsigned char)*p) && *p != '=' &&
		    *p != '>')
			p++;
		if (p == q) {
			p++;
			continue;
		}
		{
			int is_href =
			    p - q == 4 && strncasecmp(q, "href", 4) == 0;
			const char *v;
			char quote = 0;

			while (p < end && isspace((unsigned char)*p))
				p++;
			if (p == end || *p != '=')
				continue; /* no value */
			p++;
			while (p < end && isspace((unsigned char)*p))
				p++;
			if (p < end && (*p == '"' || *p == '\''))
				quote = *p++;
			v = p;
			while (p < end &&
			    (quote ? *p != quote : !isspace((unsigned char)*p)))
				p++;
			if (is_href)
				return decode(v, (size_t)(p - v));
			if (p < end)
				p++;
		}
	}
	return NULL;
}

/* The '>' that ends the tag from p, outside quoted values; or `end`. */
static const char *
tag_end(const char *p, const char *end)
{
	char quote = 0, prev = 0;

	for (; p < end; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '>')
			return p;
		/* a quote opens a value only after '=' */
		if ((*p == '"' || *p == '\'') && prev == '=')
			quote = *p;
		if (!isspace((unsigned char)*p))
			prev = *p;
	}
	return end;
}

void
vc_index_page_hashes(const char *html, size_t len, const char *name,
    const char *version, struct vc_strv *out)
{
	const char *p = html, *end = html + len;
	char *want = vc_name_normalize(name);

	while (p < end) {
		const char *tag = memchr(p, '<', (size_t)(end - p)), *close;
		char *href, *hash, *file;
		size_t i, flen;

		if (tag == NULL || end - tag < 3)
			break;
		p = tag + 1;
		if ((tag[1] != 'a' && tag[1] != 'A') ||
		    !(isspace((unsigned char)tag[2]) || tag[2] == '>'))
			continue;
		close = tag_end(tag + 2, end);
		href = href_of(tag + 2, close);
		p = close;
		if (href == NULL)
			continue;
		hash = strstr(href, "#sha256=");
		if (hash == NULL) {
			free(href);
			continue;
		}
		hash += 8;
		for (i = 0; i < 64 && hexval(hash[i]) >= 0; i++)
			hash[i] = (char)tolower((unsigned char)hash[i]);
		if (i != 64 || (hash[64] != '\0' && hash[64] != '&')) {
			free(href);
			continue;
		}
		hash[64] = '\0';
		/* The file: the path's last segment. */
		flen = strcspn(href, "#?");
		file = href + flen;
		while (file > href && file[-1] != '/')
			file--;
		{
			char *f = xstrndup(file, (size_t)(href + flen - file));

			if (file_of(f, want, version) &&
			    !vc_strv_contains(out, hash))
				vc_strv_push(out, hash);
			free(f);
		}
		free(href);
	}
	free(want);
}

/* --- the indexes --------------------------------------------------- */

static size_t
on_page(char *data, size_t size, size_t nmemb, void *arg)
{
	struct vc_buf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > PAGE_MAX)
		return 0;
	vc_buf_add(b, data, n);
	return n;
}

/* The host of a URL ("h" of "https://u:p@h:1/x"), to compare with
 * trusted-host; the caller frees. */
static char *
url_host(const char *url)
{
	const char *p = strstr(url, "://"), *at, *end;

	if (p == NULL)
		return xstrdup("");
	p += 3;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL)
		p = at + 1;
	return xstrndup(p, (size_t)(end - p));
}

static int
trusted(const struct vc_config *cfg, const struct vc_reqset *reqs,
    const char *url)
{
	struct vc_strv hosts;
	char *host = url_host(url);
	size_t i, colon = strcspn(host, ":");
	int yes = 0;

	vc_strv_init(&hosts);
	vc_config_list(cfg, VC_S_TRUSTED_HOST, &hosts);
	for (i = 0; reqs != NULL && i < reqs->index_options.n; i++)
		if (strncmp(reqs->index_options.v[i], "--trusted-host ", 15) ==
		    0)
			vc_strv_push(&hosts, reqs->index_options.v[i] + 15);
	for (i = 0; i < hosts.n && !yes; i++)
		yes = strcmp(hosts.v[i], host) == 0 ||
		    (strlen(hosts.v[i]) == colon &&
		        strncmp(hosts.v[i], host, colon) == 0);
	vc_strv_release(&hosts);
	free(host);
	return yes;
}

/* GET <index>/<name>/ into `page`; 0, 1 when the index has no such page,
 * -1 with `err` set. */
static int
get_page(const struct vc_config *cfg, const struct vc_reqset *reqs,
    const char *index, const char *name, struct vc_buf *page,
    struct vc_error *err)
{
	size_t n = strlen(index);
	char *url, *shown, errbuf[CURL_ERROR_SIZE] = "";
	const char *cert = vc_config_str(cfg, VC_S_CERT);
	const struct vc_curl *C = NULL;
	struct curl_slist *hdrs = NULL;
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int rc = -1;

	while (n > 0 && index[n - 1] == '/')
		n--;
	url = xasprintf("%.*s/%s/", (int)n, index, name);
	shown = vc_url_redact(url);
	if ((C = vc_curl(err)) == NULL)
		goto out;
	if ((c = C->curl_easy_init()) == NULL) {
		vc_error_set(err, VC_EFAIL, "cannot start libcurl");
		goto out;
	}
	if (vc_curl_http_only(C, c, 1) == -1) {
		vc_error_set(err, VC_EFAIL,
		    "libcurl cannot be limited to http and https");
		goto out;
	}
	C->curl_easy_setopt(c, CURLOPT_URL, url);
	/* As pip: redirects followed (credentials stay with the host); not
	 * from a trusted-host, whose certificate goes unchecked: its
	 * redirect could lead to any host, equally unchecked. */
	C->curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION,
	    trusted(cfg, reqs, url) ? 0L : 1L);
	C->curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	C->curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	C->curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	C->curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	C->curl_easy_setopt(c, CURLOPT_USERAGENT, "venvcache/" VC_VERSION);
	C->curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	C->curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_page);
	C->curl_easy_setopt(c, CURLOPT_WRITEDATA, page);
	hdrs = C->curl_slist_append(hdrs,
	    "Accept: application/vnd.pypi.simple.v1+html, text/html;q=0.9");
	C->curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (*cert != '\0')
		C->curl_easy_setopt(c, CURLOPT_CAINFO, cert);
	if (trusted(cfg, reqs, url)) {
		C->curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		C->curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	cc = C->curl_easy_perform(c);
	C->curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		vc_error_set(err, VC_EFAIL, "cannot read '%s': %s", shown,
		    *errbuf != '\0' ? errbuf : C->curl_easy_strerror(cc));
	else if (status == 404)
		rc = 1;
	else if (status != 200)
		vc_error_set(err, VC_EFAIL, "cannot read '%s': HTTP %ld", shown,
		    status);
	else
		rc = 0;
out:
	if (c != NULL)
		C->curl_easy_cleanup(c);
	if (C != NULL)
		C->curl_slist_free_all(hdrs);
	free(url);
	free(shown);
	return rc;
}

int
vc_index_release_hashes(const struct vc_config *cfg,
    const struct vc_reqset *reqs, const char *name, const char *version,
    struct vc_strv *out, struct vc_error *err)
{
	struct vc_strv indexes;
	const char *index = vc_config_str(cfg, VC_S_INDEX_URL);
	char *norm = vc_name_normalize(name);
	int no_index = vc_config_bool(cfg, VC_S_NO_INDEX), rc = 0;
	size_t i;

	vc_strv_init(&indexes);
	for (i = 0; reqs != NULL && i < reqs->index_options.n; i++) {
		const char *o = reqs->index_options.v[i];

		if (strncmp(o, "--index-url ", 12) == 0)
			index = o + 12;
		else if (strcmp(o, "--no-index") == 0)
			no_index = 1;
	}
	if (!no_index) {
		vc_strv_push(&indexes,
		    *index != '\0' ? index : "https://pypi.org/simple");
		vc_config_list(cfg, VC_S_EXTRA_INDEX_URL, &indexes);
		for (i = 0; reqs != NULL && i < reqs->index_options.n; i++)
			if (strncmp(reqs->index_options.v[i],
			        "--extra-index-url ", 18) == 0)
				vc_strv_push(&indexes,
				    reqs->index_options.v[i] + 18);
	}
	for (i = 0; i < indexes.n && rc == 0; i++) {
		struct vc_buf page;

		vc_buf_init(&page);
		rc = get_page(cfg, reqs, indexes.v[i], norm, &page, err);
		if (rc == 0)
			vc_index_page_hashes(page.data != NULL ? page.data : "",
			    page.len, norm, version, out);
		if (rc == 1)
			rc = 0;
		vc_buf_release(&page);
	}
	vc_strv_release(&indexes);
	free(norm);
	return rc;
}
