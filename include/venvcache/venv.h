/*
 * venv.h: making a venv ready under the venv root.
 *
 * warm: present and valid -> nothing; in the store -> restore; else create
 * (venv + pip through the mirror) and save. A venv is either complete (its
 * stamp written last, then renamed into place) or absent.
 */
#ifndef VENVCACHE_VENV_H
#define VENVCACHE_VENV_H

#include "venvcache/config.h"

/* <venv-root>/<env name>. Caller frees. */
char *vc_venv_path(const struct vc_config *, const char *env_name);

#endif
