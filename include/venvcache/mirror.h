/*
 * mirror.h: the package index settings as pip sees them, and credentials.
 *
 * A mirror URL may carry "user:token@". That part reaches pip only through
 * its environment; it is never printed (shown as ***), never written into
 * an archive, a manifest, the stats or a summary. Every function returns
 * a string the caller frees.
 */
#ifndef VENVCACHE_MIRROR_H
#define VENVCACHE_MIRROR_H

#include "venvcache/config.h"
#include "venvcache/url.h"
#include "venvcache/util.h"

/* Every secret of every mirror setting (for ::add-mask:: and redaction). */
void vc_mirror_secrets(const struct vc_config *, struct vc_strv *out);

/*
 * The first line of pip's `output` that says why an index could not be
 * reached (a refused or broken connection, a TLS, proxy or HTTP error),
 * shortened to its cause, as "cannot reach the index: [Errno 111]
 * Connection refused (/simple/foo/)"; NULL when there is none. Not
 * redacted: pass it through vc_text_redact(). The caller frees it.
 */
char *vc_pip_index_error(const char *output);

/*
 * Appends "NAME=value" strings for pip's environment: PIP_INDEX_URL,
 * PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST, PIP_FIND_LINKS, PIP_NO_INDEX,
 * PIP_CERT, for the settings that are set. Credentials are kept: this goes
 * to pip's environment only.
 */
void vc_mirror_pip_env(const struct vc_config *, struct vc_strv *env);
/* The same for uv (creator = uv): UV_INDEX_URL, UV_EXTRA_INDEX_URL, ... */
void vc_mirror_uv_env(const struct vc_config *, struct vc_strv *env);
/*
 * The environment of every pip or uv run: the mirror for both, no
 * prompts, no version check. vc_tool_env_unset lists what is removed
 * (a user's PIP_USER or PIP_TARGET would send the install elsewhere).
 */
void vc_mirror_tool_env(const struct vc_config *, struct vc_strv *env);
extern const char *const vc_tool_env_unset[];
/* Whether any mirror setting is set. */
int vc_mirror_configured(const struct vc_config *);
/*
 * The text of a pip.conf for inside a venv (pip reads $VIRTUAL_ENV/pip.conf)
 * so that a later `pip install` there uses the same mirror; credentials
 * are removed and a comment says how pip can get them. NULL when no
 * mirror setting is set.
 */
char *vc_mirror_pip_conf(const struct vc_config *);
/* A canonical description of the mirror without credentials. */
char *vc_mirror_identity(const struct vc_config *);

#endif
