/*
 * url.c: the userinfo of a URL ("user:token@"), found, hidden and removed,
 * and in free text. Needs util only: the settings (config.c) and the mirror
 * (mirror.c) both use it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/url.h"

/*
 * Finds the userinfo of "scheme://userinfo@host...": sets *start and *len
 * and returns 1, or returns 0 when there is none.
 */
static int
find_userinfo(const char *url, size_t *start, size_t *len)
{
	const char *p = url, *auth, *end, *at = NULL;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (
	    isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return 0;
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return 0;
	*start = (size_t)(auth - url);
	*len = (size_t)(at - auth);
	return 1;
}

char *
vc_url_redact(const char *url)
{
	size_t start, len;

	if (!find_userinfo(url, &start, &len))
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)start, url, url + start + len);
}

char *
vc_url_strip_auth(const char *url)
{
	size_t start, len;

	if (!find_userinfo(url, &start, &len))
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)start, url, url + start + len + 1);
}

void
vc_url_secrets(const char *url, struct vc_strv *out)
{
	size_t start, len;
	const char *colon;

	if (!find_userinfo(url, &start, &len) || len == 0)
		return;
	vc_strv_take(out, xstrndup(url + start, len));
	colon = memchr(url + start, ':', len);
	if (colon != NULL && colon + 1 < url + start + len)
		vc_strv_take(out,
		    xstrndup(colon + 1,
		        (size_t)(url + start + len - colon - 1)));
}

char *
vc_text_redact(const char *text, const struct vc_strv *secrets)
{
	struct vc_buf b;
	const char *p = text, *word;
	size_t i, n, best;

	vc_buf_init(&b);
	while (*p != '\0') {
		/* A secret of the configuration, longest match first. */
		best = 0;
		for (i = 0; secrets != NULL && i < secrets->n; i++) {
			n = strlen(secrets->v[i]);
			if (n > best && n >= 3 &&
			    strncmp(p, secrets->v[i], n) == 0)
				best = n;
		}
		if (best > 0) {
			vc_buf_adds(&b, "***");
			p += best;
			continue;
		}
		/* Any URL with userinfo, even one we were not told of. */
		if (isalpha((unsigned char)*p) &&
		    (p == text || !isalnum((unsigned char)p[-1]))) {
			size_t start, len;
			char *tok;

			word = p + strcspn(p, " \t\r\n'\"<>()[]{},;");
			tok = xstrndup(p, (size_t)(word - p));
			if (find_userinfo(tok, &start, &len)) {
				vc_buf_add(&b, p, start);
				vc_buf_adds(&b, "***");
				p += start + len;
				free(tok);
				continue;
			}
			free(tok);
		}
		vc_buf_addc(&b, *p++);
	}
	return vc_buf_detach(&b);
}
