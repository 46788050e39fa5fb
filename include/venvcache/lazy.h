/*
 * lazy.h: libcurl and libarchive, loaded the first time they are used.
 *
 * Between them they bring about 45 shared libraries (krb5, ldap, gnutls,
 * ICU, libxml2, ...). Linked, the dynamic loader maps and relocates them at
 * every start of venvcache: about 6 ms, three times what a no-op warm does
 * itself. Only remote stores need libcurl and only the archive oracle
 * (verify --deep) needs libarchive, so they are opened with dlopen(3) when
 * first needed, by their sonames (the ones the headers were built for).
 */
#ifndef VENVCACHE_LAZY_H
#define VENVCACHE_LAZY_H

#include <archive.h>
#include <archive_entry.h>
/* Calls go through struct vc_curl's members, which share the functions'
 * names: curl's type-checking macros would expand them. */
#define CURL_DISABLE_TYPECHECK
/* CURLOPT_PROTOCOLS, for a libcurl older than 7.85 (vc_curl_http_only). */
#define CURL_DISABLE_DEPRECATION
#include <curl/curl.h>

#include "venvcache/error.h"

#define VC_FN(f) __typeof__(&f) f

/* The libcurl functions venvcache calls; names as libcurl's. */
struct vc_curl {
	VC_FN(curl_global_init);
	VC_FN(curl_easy_init);
	VC_FN(curl_easy_reset);
	VC_FN(curl_easy_cleanup);
	VC_FN(curl_easy_setopt);
	VC_FN(curl_easy_perform);
	VC_FN(curl_easy_getinfo);
	VC_FN(curl_easy_strerror);
	VC_FN(curl_slist_append);
	VC_FN(curl_slist_free_all);
	VC_FN(curl_version_info);
};

/* The libarchive functions of the oracle (archive-oracle.c). */
struct vc_libarchive {
	VC_FN(archive_read_new);
	VC_FN(archive_read_support_filter_zstd);
	VC_FN(archive_read_support_format_tar);
	VC_FN(archive_read_open);
	VC_FN(archive_read_next_header);
	VC_FN(archive_read_data_block);
	VC_FN(archive_read_free);
	VC_FN(archive_error_string);
	VC_FN(archive_set_error);
	VC_FN(archive_entry_filetype);
	VC_FN(archive_entry_hardlink);
	VC_FN(archive_entry_hardlink_utf8);
	VC_FN(archive_entry_pathname);
	VC_FN(archive_entry_pathname_utf8);
	VC_FN(archive_entry_symlink);
	VC_FN(archive_entry_symlink_utf8);
	VC_FN(archive_entry_perm);
	VC_FN(archive_entry_size);
	VC_FN(archive_entry_mtime);
	VC_FN(archive_entry_mtime_nsec);
};

#undef VC_FN

/*
 * libcurl (curl_global_init done) or libarchive, loaded once per process
 * (thread-safe); NULL with `err` naming the library and what to install
 * when it cannot be loaded or lacks a function.
 */
const struct vc_curl *vc_curl(struct vc_error *);
const struct vc_libarchive *vc_libarchive(struct vc_error *);

/*
 * Limits `h` to http and https (and its redirects too, when `redirects`),
 * whatever the loaded libcurl's age: the libcurl found at run time may be
 * older than the headers (CURLOPT_PROTOCOLS_STR is 7.85's; before, the
 * bitmask). -1 when libcurl takes neither form.
 */
int vc_curl_http_only(const struct vc_curl *, CURL *h, int redirects);

#endif
