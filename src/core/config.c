/* config.c: the settings table, the INI and environment readers. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <xxhash.h>

#include "venvcache/config.h"
#include "venvcache/log.h"
#include "venvcache/url.h"

const struct vc_setting vc_settings[] = {
#define VC_X_ROW(id, sec, name, env, type, def, choices, help) \
	{VC_S_##id, sec, name, env, type, def, choices, help},
    VC_SETTINGS(VC_X_ROW)
#undef VC_X_ROW
};

/* Marker variables (PEP 508): a ';' before one of these is not a comment. */
static const char *const marker_vars[] = {
    "python_version",
    "python_full_version",
    "os_name",
    "sys_platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform_machine",
    "platform_python_implementation",
    "implementation_name",
    "implementation_version",
    "extra",
    "os.name",
    "sys.platform",
    "platform.version",
    "platform.machine",
    "platform.python_implementation",
    "python_implementation",
};

const struct vc_setting *
vc_setting_find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < VC_S__COUNT; i++)
		if (strcmp(vc_settings[i].section, section) == 0 &&
		    strcmp(vc_settings[i].name, name) == 0)
			return &vc_settings[i];
	return NULL;
}

/*
 * A directory of the user's cache: <XDG cache>/<name>. cache-dir is
 * "venvcache"; uv-cache-dir is "venvcache-uv" and bytecode-cache-dir
 * "venvcache-bytecode", beside it and not inside it, so that carrying the
 * store (actions/cache) never carries what runs as code.
 */
static char *
default_cache_dir(const char *name)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (xdg != NULL && *xdg == '/')
		return xasprintf("%s/%s", xdg, name);
	if (home != NULL && *home != '\0')
		return xasprintf("%s/.cache/%s", home, name);
	return xasprintf("/tmp/%s-cache-%lu", name, (unsigned long)geteuid());
}

/*
 * /dev/shm/venvcache-UID: a RAM disk of this user's own (vc_trust_dir()
 * refuses one that another user made first), or under $XDG_RUNTIME_DIR
 * (private by design) where there is no /dev/shm.
 */
static char *
default_venv_root(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if ((stat("/dev/shm", &st) == -1 || !S_ISDIR(st.st_mode)) &&
	    xdg != NULL && *xdg == '/' && stat(xdg, &st) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 077) == 0)
		return xasprintf("%s/venvcache", xdg);
	return xasprintf("/dev/shm/venvcache-%lu", (unsigned long)geteuid());
}

void
vc_config_init(struct vc_config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	for (i = 0; i < VC_S__COUNT; i++) {
		if (vc_settings[i].def != NULL)
			cfg->value[i] = xstrdup(vc_settings[i].def);
		else if (i == VC_S_VENV_ROOT)
			cfg->value[i] = default_venv_root();
		else
			cfg->value[i] = default_cache_dir(i == VC_S_UV_CACHE_DIR
			        ? "venvcache-uv"
			        : i == VC_S_BYTECODE_CACHE_DIR
			        ? "venvcache-bytecode"
			        : "venvcache");
		cfg->origin_kind[i] = VC_ORIGIN_DEFAULT;
		cfg->origin[i] = xstrdup("default");
	}
}

static void
envdef_release(struct vc_envdef *e)
{
	free(e->name);
	free(e->python);
	free(e->install_project);
	free(e->basedir);
	vc_strv_release(&e->requirements);
	vc_strv_release(&e->constraints);
	vc_strv_release(&e->labels);
	vc_strv_release(&e->deps);
	free(e->deps_lines);
	free(e->file);
}

void
vc_config_release(struct vc_config *cfg)
{
	size_t i;

	for (i = 0; i < VC_S__COUNT; i++) {
		free(cfg->value[i]);
		free(cfg->origin[i]);
	}
	for (i = 0; i < cfg->nenvs; i++)
		envdef_release(&cfg->envs[i]);
	free(cfg->envs);
	free(cfg->file);
	free(cfg->looked);
	memset(cfg, 0, sizeof *cfg);
}

char *
vc_config_find_up(const char *name, char **looked)
{
	char cwd[PATH_MAX], *dir = NULL, *p, *found = NULL;
	int root = 0;

	if (getcwd(cwd, sizeof cwd) == NULL) {
		*looked = xstrdup(".");
		return access(name, F_OK) == 0 ? xstrdup(name) : NULL;
	}
	dir = xstrdup(cwd);
	for (;;) {
		p = vc_path_join(dir, name);
		if (access(p, F_OK) == 0) {
			/* in the current directory: as before, relative */
			found = strcmp(dir, cwd) == 0 ? xstrdup(name) : p;
			if (found != p)
				free(p);
			break;
		}
		free(p);
		p = vc_path_join(dir, ".git");
		root = access(p, F_OK) == 0;
		free(p);
		if (root || strcmp(dir, "/") == 0)
			break;
		p = vc_path_dirname(dir);
		free(dir);
		dir = p;
	}
	if (strcmp(dir, cwd) == 0)
		*looked = xasprintf("%s%s", cwd,
		    root ? " (the repository root)" : "");
	else
		*looked = xasprintf("%s up to %s%s", cwd, dir,
		    root ? " (the repository root)" : "");
	free(dir);
	return found;
}

char *
vc_config_locate(const char *explicit, char **looked, struct vc_error *err)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *path, *where = NULL;

	vc_error_clear(err);
	if (looked != NULL)
		*looked = NULL;
	/* -c, else $VENVCACHE_CONFIG (what the GitHub action exports). */
	if (explicit == NULL &&
	    (explicit = getenv("VENVCACHE_CONFIG")) != NULL &&
	    explicit[0] == '\0')
		explicit = NULL;
	if (explicit != NULL) {
		if (access(explicit, R_OK) == -1) {
			vc_error_sys(err, "cannot read config file '%s'",
			    explicit);
			return NULL;
		}
		return xstrdup(explicit);
	}
	path = vc_config_find_up("venvcache.ini", &where);
	if (path != NULL)
		goto out;
	if (xdg != NULL && *xdg == '/')
		path = xasprintf("%s/venvcache/config.ini", xdg);
	else if (home != NULL && *home != '\0')
		path = xasprintf("%s/.config/venvcache/config.ini", home);
	if (path != NULL) {
		char *w = xasprintf("venvcache.ini in %s, and %s", where, path);

		free(where);
		where = w;
		if (access(path, F_OK) == -1) {
			free(path);
			path = NULL;
		}
	} else {
		char *w = xasprintf("venvcache.ini in %s", where);

		free(where);
		where = w;
	}
out:
	if (looked != NULL)
		*looked = where;
	else
		free(where);
	return path;
}

static int is_name_char(int);

char *
vc_config_adhoc_name(void)
{
	char cwd[PATH_MAX], *git, *looked = NULL, *root, *base;
	struct vc_buf b;
	const char *p;

	if (getcwd(cwd, sizeof cwd) == NULL)
		return xstrdup("default");
	git = vc_config_find_up(".git", &looked);
	root = git == NULL || strcmp(git, ".git") == 0 ? xstrdup(cwd)
	                                               : vc_path_dirname(git);
	base =
	    xstrdup(strcmp(root, "/") == 0 ? "root" : strrchr(root, '/') + 1);
	vc_buf_init(&b);
	for (p = base; *p != '\0' && b.len < 40; p++) {
		if (b.len == 0 && (*p == '.' || *p == '-'))
			continue;
		vc_buf_addc(&b,
		    is_name_char((unsigned char)*p) || *p == '+' ? *p : '_');
	}
	vc_buf_addf(&b, "%s%08llx", b.len > 0 ? "-" : "",
	    (unsigned long long)(XXH3_64bits(root, strlen(root)) &
	        0xffffffffULL));
	free(git);
	free(looked);
	free(root);
	free(base);
	return vc_buf_detach(&b);
}

static int
is_name_char(int c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-';
}

int
vc_env_name_valid(const char *s)
{
	size_t n = 0;

	if (*s == '\0' || *s == '.' || *s == '-')
		return 0;
	for (; *s != '\0'; s++, n++)
		if (!is_name_char((unsigned char)*s) && *s != '+')
			return 0;
	return n <= 100;
}

static int
parse_bool(const char *v)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Index of `v` in "a|b|c", or -1. */
static int
choice_index(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;
	int i = 0;

	for (;;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return i;
		if (bar == NULL)
			return -1;
		p = bar + 1;
		i++;
	}
}

static int
parse_int(const char *v, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
url_valid(const char *v)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	return 1;
}

int
vc_setting_validate(const struct vc_setting *s, const char *v,
    struct vc_error *err)
{
	long long n, lo, hi;
	uint64_t u;
	const char *p;

	if (*v == '\0' && (s->def == NULL || *s->def != '\0'))
		return vc_error_set(err, VC_EFAIL, "empty value");
	switch (s->type) {
	case VC_T_STR:
	case VC_T_PATH:
	case VC_T_URLS:
	case VC_T_WORDS:
		for (p = v; *p != '\0'; p++)
			if (iscntrl((unsigned char)*p) && *p != '\n' &&
			    *p != '\t')
				return vc_error_set(err, VC_EFAIL,
				    "control character in value");
		return 0;
	case VC_T_NAME:
		if (*v == '\0')
			return vc_error_set(err, VC_EFAIL, "empty value");
		for (p = v; *p != '\0'; p++)
			if (!is_name_char((unsigned char)*p))
				return vc_error_set(err, VC_EFAIL,
				    "'%s' may only hold letters, digits, "
				    "'.', '_' and '-'",
				    v);
		if (strlen(v) > 100)
			return vc_error_set(err, VC_EFAIL, "'%s' is too long",
			    v);
		return 0;
	case VC_T_URL:
		if (!url_valid(v))
			return vc_error_set(err, VC_EFAIL,
			    "a URL cannot contain spaces");
		return 0;
	case VC_T_INT:
		if (parse_int(v, &n) == -1)
			return vc_error_set(err, VC_EFAIL,
			    "'%s' is not a number", v);
		if (s->choices != NULL &&
		    sscanf(s->choices, "%lld..%lld", &lo, &hi) == 2 &&
		    (n < lo || n > hi))
			return vc_error_set(err, VC_EFAIL,
			    "%lld is out of range %s", n, s->choices);
		return 0;
	case VC_T_BOOL:
		if (parse_bool(v) == -1)
			return vc_error_set(err, VC_EFAIL,
			    "'%s' is not yes or no", v);
		return 0;
	case VC_T_ENUM:
		if (choice_index(s->choices, v) == -1)
			return vc_error_set(err, VC_EFAIL,
			    "'%s' is not one of %s", v, s->choices);
		return 0;
	case VC_T_SIZE:
		if (vc_parse_size(v, &u) == -1)
			return vc_error_set(err, VC_EFAIL,
			    "'%s' is not a size (like 512M or 10G)", v);
		return 0;
	case VC_T_TMPFS_SIZE:
		n = (long long)strlen(v);
		if (n > 1 && v[n - 1] == '%') {
			char *t = xstrndup(v, (size_t)n - 1);
			int bad = parse_int(t, &lo) == -1 || lo < 1 || lo > 100;

			free(t);
			if (!bad)
				return 0;
		} else if (vc_parse_size(v, &u) == 0 && u > 0) {
			return 0;
		}
		return vc_error_set(err, VC_EFAIL,
		    "'%s' is not a size (like 4G) or a percentage of RAM", v);
	case VC_T_DURATION:
		if (vc_parse_duration(v, &u) == -1)
			return vc_error_set(err, VC_EFAIL,
			    "'%s' is not a duration (like 90s, 15m, 1h, 7d)",
			    v);
		return 0;
	}
	return 0;
}

static int
is_list(enum vc_type t)
{
	return t == VC_T_URLS || t == VC_T_WORDS;
}

/* An absolute path for a PATH value; relative ones start at `base`. */
static char *
absolute_path(const char *v, const char *base)
{
	char cwd[PATH_MAX];
	char *home, *p;

	if (*v == '\0')
		return xstrdup("");
	home = vc_path_expand_home(v);
	if (*home == '/')
		return home;
	if (base == NULL)
		base = getcwd(cwd, sizeof cwd) != NULL ? cwd : ".";
	p = vc_path_join(base, home);
	free(home);
	return p;
}

/*
 * The first ${NAME} left in a value after expansion (unset or empty), into
 * name; 0 when there is none. Used as written, as pip does, but a URL
 * like "${MIRROR}/simple" on a fork's pull request (no secrets) would
 * otherwise fail later in pip, far from its cause.
 */
static int
unexpanded(const char *v, char *name, size_t cap)
{
	const char *p, *end;

	for (p = strstr(v, "${"); p != NULL; p = strstr(p + 2, "${")) {
		end = p + 2 +
		    strspn(p + 2,
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		        "0123456789_");
		if (*end == '}' && end > p + 2 && (size_t)(end - p - 2) < cap) {
			memcpy(name, p + 2, (size_t)(end - p - 2));
			name[end - p - 2] = '\0';
			return 1;
		}
	}
	return 0;
}

static int
set_value(struct vc_config *cfg, enum vc_setting_id id, const char *value,
    enum vc_origin_kind kind, const char *origin, const char *base,
    struct vc_error *err)
{
	const struct vc_setting *s = &vc_settings[id];
	char *v, *stripped;
	int rc;

	stripped = vc_str_strip(value);
	if (s->type == VC_T_URL || s->type == VC_T_URLS ||
	    s->type == VC_T_WORDS) {
		char name[256];

		v = vc_expand_env(stripped);
		free(stripped);
		if (unexpanded(v, name, sizeof name))
			vc_warn("%s: %s: ${%s} is not set (or empty); the "
			        "value "
			        "is used as written",
			    origin, s->name, name);
	} else {
		v = stripped;
	}
	if (vc_setting_validate(s, v, err) == -1) {
		free(v);
		return -1;
	}
	if (s->type == VC_T_PATH) {
		char *abs = absolute_path(v, base);

		free(v);
		v = abs;
	}
	rc = 0;
	if (is_list(s->type) && cfg->origin_kind[id] == kind &&
	    kind != VC_ORIGIN_DEFAULT && *cfg->value[id] != '\0' &&
	    *v != '\0') {
		char *joined = xasprintf("%s %s", cfg->value[id], v);

		free(v);
		v = joined;
	}
	free(cfg->value[id]);
	cfg->value[id] = v;
	free(cfg->origin[id]);
	cfg->origin[id] = xstrdup(origin);
	cfg->origin_kind[id] = kind;
	return rc;
}

int
vc_config_set(struct vc_config *cfg, enum vc_setting_id id, const char *value,
    enum vc_origin_kind kind, const char *origin, struct vc_error *err)
{
	if (set_value(cfg, id, value, kind, origin, NULL, err) == -1) {
		if (kind == VC_ORIGIN_CLI)
			return vc_error_prefix(err, "--%s",
			    vc_settings[id].name);
		return vc_error_prefix(err, "%s", origin);
	}
	return 0;
}

int
vc_config_load_env(struct vc_config *cfg, struct vc_error *err)
{
	size_t i;
	const char *v;

	for (i = 0; i < VC_S__COUNT; i++) {
		v = getenv(vc_settings[i].env);
		if (v == NULL)
			continue;
		if (set_value(cfg, (enum vc_setting_id)i, v, VC_ORIGIN_ENV,
		        vc_settings[i].env, NULL, err) == -1)
			return vc_error_prefix(err, "%s", vc_settings[i].env);
	}
	return 0;
}

/* --- INI reading --------------------------------------------------- */

struct ini_ctx {
	struct vc_config *cfg;
	const char *name; /* file name for messages */
	char *dir;        /* absolute directory of the file */
	const char *text; /* whole file */
	const char *next; /* next line to hand to inih */
	const char *line; /* current raw line */
	size_t linelen;
	unsigned lineno;
	int continuation;      /* current line starts with whitespace */
	struct vc_envdef *env; /* current [env NAME] or NULL */
	char section[128];
	struct vc_strv seen; /* "section\nname" of keys set */
	struct vc_error *err;
	int failed;
};

static struct vc_envdef *
add_env(struct vc_config *cfg, const char *name)
{
	struct vc_envdef *e;

	cfg->envs =
	    xgrow(cfg->envs, &cfg->envs_cap, cfg->nenvs + 1, sizeof *cfg->envs);
	e = &cfg->envs[cfg->nenvs++];
	memset(e, 0, sizeof *e);
	e->name = xstrdup(name);
	return e;
}

struct vc_envdef *
vc_config_env(const struct vc_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nenvs; i++)
		if (strcmp(cfg->envs[i].name, name) == 0)
			return &cfg->envs[i];
	return NULL;
}

struct vc_envdef *
vc_config_add_env(struct vc_config *cfg, const char *name, struct vc_error *err)
{
	struct vc_envdef *e;
	char cwd[PATH_MAX];

	if (!vc_env_name_valid(name)) {
		vc_error_set(err, VC_EUSAGE,
		    "invalid environment name '%.60s%s': use at most 100 "
		    "letters, digits, '.', '_', '+' and '-'",
		    name, strlen(name) > 60 ? "..." : "");
		return NULL;
	}
	if (vc_config_env(cfg, name) != NULL) {
		vc_error_set(err, VC_EUSAGE,
		    "environment '%s' is already defined", name);
		return NULL;
	}
	e = add_env(cfg, name);
	e->basedir = xstrdup(getcwd(cwd, sizeof cwd) != NULL ? cwd : ".");
	return e;
}

static int ini_fail(struct ini_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
ini_fail(struct ini_ctx *c, const char *fmt, ...)
{
	char msg[VC_ERRMSG_MAX];
	va_list ap;

	if (c->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	vc_error_at(c->err, c->name, c->lineno, "%s", msg);
	c->failed = 1;
	return 0;
}

/* A section header seen by the reader: [venvcache], [mirror], [env NAME]. */
static void
section_header(struct ini_ctx *c, const char *p, size_t n)
{
	char *name, *inner;
	const char *close = memchr(p, ']', n);

	if (close == NULL)
		return; /* inih reports it */
	inner = xstrndup(p + 1, (size_t)(close - p - 1));
	name = vc_str_strip(inner);
	free(inner);
	c->env = NULL;
	snprintf(c->section, sizeof c->section, "%s", name);
	if (strcmp(name, "venvcache") == 0 || strcmp(name, "mirror") == 0)
		goto out;
	if (strncmp(name, "env", 3) == 0 && isspace((unsigned char)name[3])) {
		char *env = vc_str_strip(name + 4);

		if (!vc_env_name_valid(env))
			ini_fail(c,
			    "invalid environment name '%.60s%s': use at most "
			    "100 letters, digits, '.', '_', '+' and '-'",
			    env, strlen(env) > 60 ? "..." : "");
		else if (vc_config_env(c->cfg, env) != NULL)
			ini_fail(c, "environment '%s' is defined twice", env);
		else {
			c->env = add_env(c->cfg, env);
			c->env->file = xstrdup(c->name);
			c->env->line = c->lineno;
			c->env->basedir = xstrdup(c->dir);
			snprintf(c->section, sizeof c->section, "env");
		}
		free(env);
		goto out;
	}
	ini_fail(c,
	    "unknown section '[%s]' (expected [venvcache], [mirror] or "
	    "[env NAME])",
	    name);
out:
	free(name);
}

static char *
read_line(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	const char *nl, *p;
	size_t n;

	if (c->failed || *c->next == '\0')
		return NULL;
	nl = strchr(c->next, '\n');
	n = nl != NULL ? (size_t)(nl - c->next) + 1 : strlen(c->next);
	c->line = c->next;
	c->linelen = n;
	c->next += n;
	c->lineno++;
	if (n + 1 > (size_t)num) {
		ini_fail(c,
		    "line longer than %d characters (use a ${VAR} or "
		    "continuation lines)",
		    num - 2);
		return NULL;
	}
	memcpy(str, c->line, n);
	str[n] = '\0';
	c->continuation = n > 0 && (c->line[0] == ' ' || c->line[0] == '\t');
	for (p = c->line; p < c->line + n && isspace((unsigned char)*p); p++)
		;
	if (!c->continuation && p < c->line + n && *p == '[')
		section_header(c, p, (size_t)(c->line + n - p));
	return str;
}

/*
 * inih cuts a value at " ;" (an inline comment). In deps, a ';' may start
 * an environment marker instead: keep it when a marker variable follows.
 */
static char *
deps_value(struct ini_ctx *c, const char *value)
{
	const char *raw = c->line, *end = c->line + c->linelen, *semi, *p;
	char *all, *v;
	size_t i;

	if (!c->continuation) {
		raw = memchr(raw, '=', c->linelen);
		raw = raw != NULL ? raw + 1 : c->line;
	}
	for (semi = raw; semi < end; semi++) {
		if (*semi != ';' || semi == raw ||
		    !isspace((unsigned char)semi[-1]))
			continue;
		for (p = semi + 1; p < end && isspace((unsigned char)*p); p++)
			;
		for (i = 0; i < VC_ARRAY_SIZE(marker_vars); i++) {
			size_t n = strlen(marker_vars[i]);

			if ((size_t)(end - p) >= n &&
			    strncmp(p, marker_vars[i], n) == 0)
				goto marker;
		}
		if (p < end && (*p == '(' || *p == '"' || *p == '\''))
			goto marker;
		break;
	}
	return xstrdup(value);
marker:
	all = xstrndup(raw, (size_t)(end - raw));
	v = vc_str_strip(all);
	free(all);
	return v;
}

static int
env_key(struct ini_ctx *c, const char *name, const char *value)
{
	struct vc_envdef *e = c->env;
	char *v;

	if (strcmp(name, "python") == 0) {
		free(e->python);
		e->python = vc_str_strip(value);
		e->python_line = c->lineno;
		if (*e->python == '\0')
			return ini_fail(c, "python: empty value");
		return 1;
	}
	if (strcmp(name, "requirements") == 0) {
		e->requirements_line = c->lineno;
		vc_strv_split_ws(&e->requirements, value);
		return 1;
	}
	if (strcmp(name, "install-project") == 0) {
		free(e->install_project);
		e->install_project = vc_str_strip(value);
		e->install_project_line = c->lineno;
		if (*e->install_project == '\0')
			return ini_fail(c, "install-project: empty value");
		return 1;
	}
	if (strcmp(name, "constraints") == 0) {
		e->constraints_line = c->lineno;
		vc_strv_split_ws(&e->constraints, value);
		return 1;
	}
	if (strcmp(name, "deps") == 0) {
		v = deps_value(c, value);
		if (*v == '\0') {
			free(v);
			return 1;
		}
		e->deps_lines = xrealloc(e->deps_lines,
		    (e->deps.n + 1) * sizeof *e->deps_lines);
		e->deps_lines[e->deps.n] = c->lineno;
		vc_strv_take(&e->deps, v);
		return 1;
	}
	{
		static const char *const keys[] = {"python", "requirements",
		    "constraints", "deps", "install-project"};
		struct vc_suggest sg;
		const char *best;
		size_t i;

		vc_suggest_init(&sg, name);
		for (i = 0; i < VC_ARRAY_SIZE(keys); i++)
			vc_suggest_add(&sg, keys[i]);
		best = vc_suggest_best(&sg);
		return ini_fail(c,
		    "unknown key '%s' in [env %s]%s%s%s (expected python, "
		    "requirements, constraints, deps or install-project)",
		    name, e->name, best != NULL ? ": did you mean '" : "",
		    best != NULL ? best : "", best != NULL ? "'?" : "");
	}
}

static int
on_value(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = user;
	const struct vc_setting *s;
	char *seen, *origin;
	int rc;

	(void)section; /* c->section, set by the reader, is authoritative */
	if (c->failed)
		return 0;
	if (c->section[0] == '\0')
		return ini_fail(c,
		    "'%s' is outside any section (start with [venvcache])",
		    name);
	seen = xasprintf("%s\n%s\n%s", c->section,
	    c->env != NULL ? c->env->name : "", name);
	if (!c->continuation && vc_strv_contains(&c->seen, seen)) {
		free(seen);
		return ini_fail(c, "'%s' is set twice in [%s]", name,
		    c->env != NULL ? c->env->name : c->section);
	}
	vc_strv_take(&c->seen, seen);
	if (c->env != NULL)
		return env_key(c, name, value);
	s = vc_setting_find(c->section, name);
	if (s == NULL) {
		struct vc_suggest sg;
		const char *best;
		size_t i;

		vc_suggest_init(&sg, name);
		for (i = 0; i < VC_S__COUNT; i++)
			if (strcmp(vc_settings[i].section, c->section) == 0)
				vc_suggest_add(&sg, vc_settings[i].name);
		best = vc_suggest_best(&sg);
		return ini_fail(c, "unknown key '%s' in [%s]%s%s%s", name,
		    c->section, best != NULL ? ": did you mean '" : "",
		    best != NULL ? best : "", best != NULL ? "'?" : "");
	}
	if (c->continuation && !is_list(s->type))
		return ini_fail(c, "'%s' takes one value", name);
	origin = xasprintf("%s:%u", c->name, c->lineno);
	rc = set_value(c->cfg, s->id, value, VC_ORIGIN_FILE, origin, c->dir,
	    c->err);
	free(origin);
	if (rc == -1) {
		char msg[VC_ERRMSG_MAX];

		snprintf(msg, sizeof msg, "%s", c->err->msg);
		return ini_fail(c, "%s: %s", name, msg);
	}
	return 1;
}

int
vc_config_load_string(struct vc_config *cfg, const char *name, const char *text,
    struct vc_error *err)
{
	struct ini_ctx c;
	char cwd[PATH_MAX];
	char *dir;
	int rc;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.name = name;
	dir = vc_path_dirname(name);
	if (*dir == '/')
		c.dir = dir;
	else {
		c.dir =
		    vc_path_join(getcwd(cwd, sizeof cwd) != NULL ? cwd : ".",
		        dir);
		free(dir);
	}
	c.text = text;
	c.next = text;
	c.err = err;
	vc_strv_init(&c.seen);
	rc = ini_parse_stream(read_line, &c, on_value, &c);
	if (!c.failed && rc != 0) {
		c.lineno = rc > 0 ? (unsigned)rc : c.lineno;
		ini_fail(&c,
		    rc > 0 ? "syntax error: expected 'name = value' or "
		             "'[section]'"
		           : "cannot parse");
	}
	vc_strv_release(&c.seen);
	free(c.dir);
	return c.failed ? -1 : 0;
}

int
vc_config_load_file(struct vc_config *cfg, const char *path,
    struct vc_error *err)
{
	struct vc_buf b;
	int rc = -1;

	vc_buf_init(&b);
	if (vc_read_file(path, 16 << 20, &b, err) == -1)
		goto out;
	if (memchr(b.data, '\0', b.len) != NULL) {
		vc_error_at(err, path, 0, "not a text file");
		goto out;
	}
	if (vc_config_load_string(cfg, path, b.data, err) == -1)
		goto out;
	free(cfg->file);
	cfg->file = xstrdup(path);
	rc = 0;
out:
	vc_buf_release(&b);
	return rc;
}

/* --- getters ------------------------------------------------------- */

const char *
vc_config_str(const struct vc_config *cfg, enum vc_setting_id id)
{
	return cfg->value[id];
}

long long
vc_config_int(const struct vc_config *cfg, enum vc_setting_id id)
{
	long long n = 0;

	(void)parse_int(cfg->value[id], &n);
	return n;
}

int
vc_config_bool(const struct vc_config *cfg, enum vc_setting_id id)
{
	return parse_bool(cfg->value[id]) == 1;
}

uint64_t
vc_config_size(const struct vc_config *cfg, enum vc_setting_id id)
{
	uint64_t n = 0;

	(void)vc_parse_size(cfg->value[id], &n);
	return n;
}

uint64_t
vc_config_duration(const struct vc_config *cfg, enum vc_setting_id id)
{
	uint64_t n = 0;

	(void)vc_parse_duration(cfg->value[id], &n);
	return n;
}

int
vc_config_enum(const struct vc_config *cfg, enum vc_setting_id id)
{
	int i = choice_index(vc_settings[id].choices, cfg->value[id]);

	return i < 0 ? 0 : i;
}

void
vc_config_list(const struct vc_config *cfg, enum vc_setting_id id,
    struct vc_strv *out)
{
	vc_strv_split_ws(out, cfg->value[id]);
}

char *
vc_config_display(const struct vc_config *cfg, enum vc_setting_id id)
{
	struct vc_strv words;
	struct vc_buf b;
	size_t i;

	if (vc_settings[id].type != VC_T_URL &&
	    vc_settings[id].type != VC_T_URLS)
		return xstrdup(cfg->value[id]);
	vc_strv_init(&words);
	vc_buf_init(&b);
	vc_strv_split_ws(&words, cfg->value[id]);
	for (i = 0; i < words.n; i++) {
		char *r = vc_url_redact(words.v[i]);

		vc_buf_addf(&b, "%s%s", i ? " " : "", r);
		free(r);
	}
	vc_strv_release(&words);
	return vc_buf_detach(&b);
}
