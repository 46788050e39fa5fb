/* mirror.c: pip's index settings, and keeping credentials out of sight. */
#include <string.h>
#include <stdlib.h>

#include "venvcache/installer.h"
#include "venvcache/mirror.h"

static const enum vc_setting_id url_settings[] = {
    VC_S_INDEX_URL,
    VC_S_EXTRA_INDEX_URL,
    VC_S_FIND_LINKS,
};

void
vc_mirror_secrets(const struct vc_config *cfg, struct vc_strv *out)
{
	struct vc_strv words;
	size_t i, j;

	vc_strv_init(&words);
	for (i = 0; i < VC_ARRAY_SIZE(url_settings); i++)
		vc_config_list(cfg, url_settings[i], &words);
	for (j = 0; j < words.n; j++)
		vc_url_secrets(words.v[j], out);
	vc_strv_release(&words);
	vc_strv_sort_uniq(out);
}

void
vc_mirror_pip_env(const struct vc_config *cfg, struct vc_strv *env)
{
	static const struct {
		enum vc_setting_id id;
		const char *var;
	} map[] = {
	    {VC_S_INDEX_URL, "PIP_INDEX_URL"},
	    {VC_S_EXTRA_INDEX_URL, "PIP_EXTRA_INDEX_URL"},
	    {VC_S_TRUSTED_HOST, "PIP_TRUSTED_HOST"},
	    {VC_S_FIND_LINKS, "PIP_FIND_LINKS"},
	    {VC_S_CERT, "PIP_CERT"},
	};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(map); i++) {
		const char *v = vc_config_str(cfg, map[i].id);

		if (*v != '\0')
			vc_strv_pushf(env, "%s=%s", map[i].var, v);
	}
	if (vc_config_bool(cfg, VC_S_NO_INDEX))
		vc_strv_push(env, "PIP_NO_INDEX=1");
}

void
vc_mirror_uv_env(const struct vc_config *cfg, struct vc_strv *env)
{
	struct vc_strv links;
	struct vc_buf b;
	size_t i;

	if (*vc_config_str(cfg, VC_S_INDEX_URL) != '\0')
		vc_strv_pushf(env, "UV_INDEX_URL=%s",
		    vc_config_str(cfg, VC_S_INDEX_URL));
	if (*vc_config_str(cfg, VC_S_EXTRA_INDEX_URL) != '\0')
		vc_strv_pushf(env, "UV_EXTRA_INDEX_URL=%s",
		    vc_config_str(cfg, VC_S_EXTRA_INDEX_URL));
	if (*vc_config_str(cfg, VC_S_TRUSTED_HOST) != '\0')
		vc_strv_pushf(env, "UV_INSECURE_HOST=%s",
		    vc_config_str(cfg, VC_S_TRUSTED_HOST));
	if (*vc_config_str(cfg, VC_S_CERT) != '\0')
		vc_strv_pushf(env, "SSL_CERT_FILE=%s",
		    vc_config_str(cfg, VC_S_CERT));
	if (vc_config_bool(cfg, VC_S_NO_INDEX))
		vc_strv_push(env, "UV_NO_INDEX=1");
	/* uv separates find-links with commas, pip with spaces. */
	vc_strv_init(&links);
	vc_buf_init(&b);
	vc_config_list(cfg, VC_S_FIND_LINKS, &links);
	for (i = 0; i < links.n; i++)
		vc_buf_addf(&b, "%s%s", i > 0 ? "," : "", links.v[i]);
	if (links.n > 0)
		vc_strv_pushf(env, "UV_FIND_LINKS=%s", b.data);
	vc_buf_release(&b);
	vc_strv_release(&links);
}

const char *const vc_tool_env_unset[] = {"PYTHONHOME", "VIRTUAL_ENV",
    "PIP_REQUIRE_VIRTUALENV", "PIP_USER", "PIP_TARGET", "PIP_PREFIX", NULL};

void
vc_mirror_tool_env(const struct vc_config *cfg, struct vc_strv *env)
{
	vc_mirror_pip_env(cfg, env);
	vc_mirror_uv_env(cfg, env);
	vc_installer_env(cfg, env);
	vc_strv_push(env, "PIP_NO_INPUT=1");
	vc_strv_push(env, "PIP_DISABLE_PIP_VERSION_CHECK=1");
}

int
vc_mirror_configured(const struct vc_config *cfg)
{
	return *vc_config_str(cfg, VC_S_INDEX_URL) != '\0' ||
	    *vc_config_str(cfg, VC_S_EXTRA_INDEX_URL) != '\0' ||
	    *vc_config_str(cfg, VC_S_TRUSTED_HOST) != '\0' ||
	    *vc_config_str(cfg, VC_S_FIND_LINKS) != '\0' ||
	    *vc_config_str(cfg, VC_S_CERT) != '\0' ||
	    vc_config_bool(cfg, VC_S_NO_INDEX);
}

/* Appends "name = a b c" with credentials stripped from each word. */
static int
conf_line(struct vc_buf *b, const struct vc_config *cfg, enum vc_setting_id id)
{
	struct vc_strv words;
	size_t i;
	int had_auth = 0;

	vc_strv_init(&words);
	vc_config_list(cfg, id, &words);
	if (words.n > 0) {
		vc_buf_addf(b, "%s =", vc_settings[id].name);
		for (i = 0; i < words.n; i++) {
			char *s = vc_url_strip_auth(words.v[i]);

			had_auth |= strcmp(s, words.v[i]) != 0;
			vc_buf_addf(b, " %s", s);
			free(s);
		}
		vc_buf_addc(b, '\n');
	}
	vc_strv_release(&words);
	return had_auth;
}

char *
vc_mirror_pip_conf(const struct vc_config *cfg)
{
	struct vc_buf b;
	int auth = 0;

	if (!vc_mirror_configured(cfg))
		return NULL;
	vc_buf_init(&b);
	vc_buf_adds(&b,
	    "# Written by venvcache: the mirror this venv was made "
	    "with.\n[global]\n");
	auth |= conf_line(&b, cfg, VC_S_INDEX_URL);
	auth |= conf_line(&b, cfg, VC_S_EXTRA_INDEX_URL);
	auth |= conf_line(&b, cfg, VC_S_FIND_LINKS);
	conf_line(&b, cfg, VC_S_TRUSTED_HOST);
	conf_line(&b, cfg, VC_S_CERT);
	if (vc_config_bool(cfg, VC_S_NO_INDEX))
		vc_buf_adds(&b, "no-index = yes\n");
	if (auth)
		vc_buf_adds(&b,
		    "# Credentials were removed. pip finds them in ~/.netrc, "
		    "in a keyring\n# (--keyring-provider) or in "
		    "PIP_INDEX_URL / PIP_EXTRA_INDEX_URL.\n");
	return vc_buf_detach(&b);
}

char *
vc_mirror_identity(const struct vc_config *cfg)
{
	struct vc_buf b;

	vc_buf_init(&b);
	(void)conf_line(&b, cfg, VC_S_INDEX_URL);
	(void)conf_line(&b, cfg, VC_S_EXTRA_INDEX_URL);
	(void)conf_line(&b, cfg, VC_S_FIND_LINKS);
	if (vc_config_bool(cfg, VC_S_NO_INDEX))
		vc_buf_adds(&b, "no-index\n");
	return vc_buf_detach(&b);
}

/* The printable bytes of s[0..n) (others become '?'), at most `max`. */
static char *
clean(const char *s, size_t n, size_t max)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	for (i = 0; i < n && i < max; i++)
		vc_buf_addc(&b,
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i]);
	if (n > max)
		vc_buf_adds(&b, "...");
	return vc_buf_detach(&b);
}

/*
 * urllib3's "Retrying (...) after connection broken by '<repr>': <url>":
 * the cause is the repr's text after its last ": " (the exception's
 * message, as "[Errno 111] Connection refused"), without the repr's
 * closing quotes and parentheses; "proxy: " before it for a ProxyError.
 */
static char *
broken_by(const char *line, size_t n)
{
	static const char marker[] = "connection broken by '";
	const char *p = memmem(line, n, marker, sizeof marker - 1);
	const char *e = line + n, *s, *q;
	char *cause, *msg;
	long depth = 0;

	if (p == NULL)
		return NULL;
	p += sizeof marker - 1;
	/* the repr ends at the last "': " (the URL follows) */
	for (q = e; q - p >= 3; q--)
		if (q[-3] == '\'' && q[-2] == ':' && q[-1] == ' ')
			break;
	if (q - p >= 3)
		e = q - 3;
	/* "[Errno 111] ...", "[SSL: ...] ..." where there is one */
	if ((s = memmem(p, (size_t)(e - p), "[Errno ", 7)) == NULL &&
	    (s = memmem(p, (size_t)(e - p), "[SSL", 4)) == NULL) {
		for (s = e; s - p >= 2 && !(s[-2] == ':' && s[-1] == ' '); s--)
			;
		if (s - p < 2)
			s = p;
	}
	for (q = s; q < e; q++)
		depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
	while (e > s &&
	    (e[-1] == '\'' || e[-1] == '"' || (e[-1] == ')' && depth < 0))) {
		if (e[-1] == ')')
			depth++;
		e--;
	}
	if (e == s || (e - s == 4 && strncmp(s, "None", 4) == 0))
		return NULL;
	cause = clean(s, (size_t)(e - s), 300);
	msg = xasprintf("%s%s",
	    (size_t)(line + n - p) >= 10 && strncmp(p, "ProxyError", 10) == 0
	        ? "proxy: "
	        : "",
	    cause);
	free(cause);
	return msg;
}

char *
vc_pip_index_error(const char *output)
{
	static const char *const markers[] = {"Retrying (",
	    "Could not fetch URL", "connection broken by", "ProxyError",
	    "SSLError", "CERTIFICATE_VERIFY_FAILED", "Connection refused",
	    "Name or service not known", "Temporary failure in name",
	    "401 Error", "403 Client Error", "404 Client Error", "HTTP error",
	    "timed out"};
	const char *line, *nl;
	size_t n, i;

	for (line = output; line != NULL && *line != '\0';
	     line = nl != NULL ? nl + 1 : NULL) {
		char *cause, *where, *msg;
		const char *p;

		nl = strchr(line, '\n');
		n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		for (i = 0; i < VC_ARRAY_SIZE(markers); i++)
			if (memmem(line, n, markers[i], strlen(markers[i])) !=
			    NULL)
				break;
		if (i == VC_ARRAY_SIZE(markers))
			continue;
		if ((cause = broken_by(line, n)) != NULL) {
			/* the URL path pip retried ends the line: "': /x/" */
			for (p = line + n; p > line && p[-1] != ' '; p--)
				;
			where = p < line + n &&
			        (*p == '/' ||
			            memmem(p, (size_t)(line + n - p), "://",
			                3) != NULL)
			    ? clean(p, (size_t)(line + n - p), 200)
			    : NULL;
			msg = xasprintf("cannot reach the index: %s%s%s%s",
			    cause, where != NULL ? " (" : "",
			    where != NULL ? where : "",
			    where != NULL ? ")" : "");
			free(cause);
			free(where);
			return msg;
		}
		/* Else the line itself, without pip's level. */
		if (n > 9 && strncmp(line, "WARNING: ", 9) == 0)
			line += 9, n -= 9;
		else if (n > 7 && strncmp(line, "ERROR: ", 7) == 0)
			line += 7, n -= 7;
		return clean(line, n, 300);
	}
	return NULL;
}
