/* lazy.c: libcurl and libarchive opened with dlopen(3) when first used. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "venvcache/lazy.h"

/* One library: its sonames to try, its functions (name, slot) in order. */
struct lib {
	const char *const *sonames;
	const char *const *names;
	void *table; /* a struct of n function pointers, in names' order */
	size_t n;
	const char *package; /* what to install, for the message */
	char why[256];       /* empty when loaded */
	int loaded;
	pthread_once_t once;
};

static void
lib_load(struct lib *l)
{
	void *h = NULL;
	char first[160] = "";
	size_t i;

	for (i = 0; l->sonames[i] != NULL && h == NULL; i++)
		if ((h = dlopen(l->sonames[i], RTLD_NOW | RTLD_LOCAL)) ==
		        NULL &&
		    i == 0)
			snprintf(first, sizeof first, "%s", dlerror());
	if (h == NULL) {
		snprintf(l->why, sizeof l->why,
		    "cannot load %s (%s): install %s", l->sonames[0], first,
		    l->package);
		return;
	}
	for (i = 0; i < l->n; i++) {
		void *f = dlsym(h, l->names[i]);

		if (f == NULL) {
			snprintf(l->why, sizeof l->why,
			    "%s has no %s: install %s", l->sonames[0],
			    l->names[i], l->package);
			dlclose(h);
			return;
		}
		/* POSIX: a function's address fits a void *. */
		memcpy((char *)l->table + i * sizeof f, &f, sizeof f);
	}
	l->loaded = 1; /* never closed: its functions are used to the end */
}

static struct vc_curl curl;
static const char *const curl_sonames[] = {"libcurl.so.4",
    "libcurl-gnutls.so.4", NULL};
static const char *const curl_names[] = {"curl_global_init", "curl_easy_init",
    "curl_easy_reset", "curl_easy_cleanup", "curl_easy_setopt",
    "curl_easy_perform", "curl_easy_getinfo", "curl_easy_strerror",
    "curl_slist_append", "curl_slist_free_all", "curl_version_info"};
static struct lib curl_lib = {curl_sonames, curl_names, &curl,
    sizeof curl_names / sizeof *curl_names,
    "libcurl 7.75 or later (Debian and Ubuntu: libcurl4)", "", 0,
    PTHREAD_ONCE_INIT};

static void
curl_load(void)
{
	const curl_version_info_data *v;

	lib_load(&curl_lib);
	if (!curl_lib.loaded)
		return;
	/* What remote.c needs: AWS Signature V4 (7.75). */
	v = curl.curl_version_info(CURLVERSION_NOW);
	if (v == NULL || v->version_num < 0x074b00) {
		snprintf(curl_lib.why, sizeof curl_lib.why,
		    "libcurl %s is older than 7.75: install %s",
		    v != NULL && v->version != NULL ? v->version : "(unknown)",
		    curl_lib.package);
		curl_lib.loaded = 0;
		return;
	}
	if (curl.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl_lib.why, sizeof curl_lib.why,
		    "cannot initialise libcurl");
		curl_lib.loaded = 0;
	}
}

const struct vc_curl *
vc_curl(struct vc_error *err)
{
	_Static_assert(sizeof curl ==
	        sizeof curl_names / sizeof *curl_names * sizeof(void *),
	    "struct vc_curl and curl_names differ");
	pthread_once(&curl_lib.once, curl_load);
	if (!curl_lib.loaded) {
		vc_error_set(err, VC_EFAIL, "remote stores: %s", curl_lib.why);
		return NULL;
	}
	return &curl;
}

int
vc_curl_http_only(const struct vc_curl *c, CURL *h, int redirects)
{
	long bits = CURLPROTO_HTTP | CURLPROTO_HTTPS;

#if LIBCURL_VERSION_NUM >= 0x075500
	if (c->curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ==
	        CURLE_OK &&
	    (!redirects ||
	        c->curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
	            "http,https") == CURLE_OK))
		return 0;
#endif
	if (c->curl_easy_setopt(h, CURLOPT_PROTOCOLS, bits) == CURLE_OK &&
	    (!redirects ||
	        c->curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, bits) ==
	            CURLE_OK))
		return 0;
	return -1;
}

static struct vc_libarchive la;
static const char *const la_sonames[] = {"libarchive.so.13", NULL};
static const char *const la_names[] = {"archive_read_new",
    "archive_read_support_filter_zstd", "archive_read_support_format_tar",
    "archive_read_open", "archive_read_next_header", "archive_read_data_block",
    "archive_read_free", "archive_error_string", "archive_set_error",
    "archive_entry_filetype", "archive_entry_hardlink",
    "archive_entry_hardlink_utf8", "archive_entry_pathname",
    "archive_entry_pathname_utf8", "archive_entry_symlink",
    "archive_entry_symlink_utf8", "archive_entry_perm", "archive_entry_size",
    "archive_entry_mtime", "archive_entry_mtime_nsec"};
static struct lib la_lib = {la_sonames, la_names, &la,
    sizeof la_names / sizeof *la_names,
    "libarchive 3.6 or later (Debian and Ubuntu: libarchive13)", "", 0,
    PTHREAD_ONCE_INIT};

static void
la_load(void)
{
	lib_load(&la_lib);
}

const struct vc_libarchive *
vc_libarchive(struct vc_error *err)
{
	_Static_assert(sizeof la ==
	        sizeof la_names / sizeof *la_names * sizeof(void *),
	    "struct vc_libarchive and la_names differ");
	pthread_once(&la_lib.once, la_load);
	if (!la_lib.loaded) {
		vc_error_set(err, VC_EFAIL, "libarchive: %s", la_lib.why);
		return NULL;
	}
	return &la;
}
