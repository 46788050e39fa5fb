/*
 * url.h: credentials in URLs and text. A URL may carry "user:token@"; these
 * find that part, hide it (***) or remove it. Beside util, below the
 * settings: config.c and mirror.c both use it, and it uses neither. Every
 * function returning a string returns one the caller frees.
 */
#ifndef VENVCACHE_URL_H
#define VENVCACHE_URL_H

#include "venvcache/util.h"

/* Hides the userinfo of a URL: "https://u:t@h/x" gives "https://" "***@h/x". */
char *vc_url_redact(const char *url);
/* "https://user:tok@host/x" -> "https://host/x". */
char *vc_url_strip_auth(const char *url);
/* Appends what must be masked in logs: the userinfo and its password. */
void vc_url_secrets(const char *url, struct vc_strv *out);
/*
 * Replaces every occurrence of each secret in `text` with "***", and the
 * userinfo of every URL in it likewise.
 */
char *vc_text_redact(const char *text, const struct vc_strv *secrets);

#endif
