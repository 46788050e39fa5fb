/*
 * req-line.c: one requirement-file line, as pip 24 parses it
 * (req_file.py, req/constructors.py): shlex words, optparse options,
 * requirements, -e, includes.
 */
#include "req-int.h"

static const struct ropt ropts[] = {
    {"index-url", 'i', 1, R_INDEX_URL, 1},
    {"pypi-url", 0, 1, R_INDEX_URL, 1},
    {"extra-index-url", 0, 1, R_EXTRA_INDEX_URL, 1},
    {"no-index", 0, 0, R_NO_INDEX, 1},
    {"constraint", 'c', 1, R_CONSTRAINT, 1},
    {"requirement", 'r', 1, R_REQUIREMENT, 1},
    {"editable", 'e', 1, R_EDITABLE, 1},
    {"find-links", 'f', 1, R_FIND_LINKS, 1},
    {"no-binary", 0, 1, R_NO_BINARY, 1},
    {"only-binary", 0, 1, R_ONLY_BINARY, 1},
    {"prefer-binary", 0, 0, R_PREFER_BINARY, 1},
    {"require-hashes", 0, 0, R_REQUIRE_HASHES, 1},
    {"pre", 0, 0, R_PRE, 1},
    {"trusted-host", 0, 1, R_TRUSTED_HOST, 1},
    {"use-feature", 0, 1, R_USE_FEATURE, 1},
    {"global-option", 0, 1, R_GLOBAL_OPTION, 1},
    {"hash", 0, 1, R_HASH, 1},
    {"config-settings", 'C', 1, R_CONFIG_SETTINGS, 1},
    /* pip < 23.1; exact spelling only, so that abbreviations stay
     * those of current pip. */
    {"install-option", 0, 1, R_INSTALL_OPTION, 0},
};

static void
lineopts_release(struct lineopts *lo)
{
	size_t i;

	for (i = 0; i < lo->n; i++)
		free(lo->v[i].value);
	free(lo->v);
	vc_strv_release(&lo->positional);
	memset(lo, 0, sizeof *lo);
}

/* Python's shlex.split() in POSIX mode. */
static int
shlex_split(const char *s, struct vc_strv *out, const char **why)
{
	struct vc_buf tok;
	int in_tok = 0, quote = 0;
	const char *p;

	vc_buf_init(&tok);
	for (p = s; *p != '\0'; p++) {
		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
			else
				vc_buf_addc(&tok, *p);
		} else if (quote == '"') {
			if (*p == '"') {
				quote = 0;
			} else if (*p == '\\') {
				if (p[1] == '\0')
					goto no_escaped;
				if (p[1] != '"' && p[1] != '\\')
					vc_buf_addc(&tok, '\\');
				vc_buf_addc(&tok, *++p);
			} else {
				vc_buf_addc(&tok, *p);
			}
		} else if (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n') {
			if (in_tok) {
				vc_strv_push(out,
				    tok.data != NULL ? tok.data : "");
				vc_buf_reset(&tok);
				in_tok = 0;
			}
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			in_tok = 1;
		} else if (*p == '\\') {
			if (p[1] == '\0')
				goto no_escaped;
			vc_buf_addc(&tok, *++p);
			in_tok = 1;
		} else {
			/* A run of ordinary characters. */
			size_t n = strcspn(p, " \t\r\n'\"\\");

			vc_buf_add(&tok, p, n);
			p += n - 1;
			in_tok = 1;
		}
	}
	if (quote != 0) {
		*why = "no closing quotation";
		vc_buf_release(&tok);
		return -1;
	}
	if (in_tok)
		vc_strv_push(out, tok.data != NULL ? tok.data : "");
	vc_buf_release(&tok);
	return 0;
no_escaped:
	*why = "no escaped character";
	vc_buf_release(&tok);
	return -1;
}

/* PEP 508's names: [A-Za-z0-9], and [A-Za-z0-9._-] between two of them. */
static int
project_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		int alnum = (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9');

		if (!alnum && ((i == 0 || i == n - 1) || !strchr("._-", s[i])))
			return 0;
	}
	return 1;
}

/* pip's FormatControl.handle_mutual_excludes(). */
static void
format_control(const char *value, struct vc_strv *target, struct vc_strv *other)
{
	struct vc_strv names;
	size_t i, j, all = (size_t)-1;

	vc_strv_init(&names);
	for (const char *p = value;; p++) {
		size_t n = strcspn(p, ",");

		vc_strv_take(&names, xstrndup(p, n));
		p += n;
		if (*p == '\0')
			break;
	}
	for (i = 0; i < names.n; i++)
		if (strcmp(names.v[i], ":all:") == 0)
			all = i;
	if (all != (size_t)-1) {
		int none_after = 0;

		for (i = all + 1; i < names.n; i++)
			if (strcmp(names.v[i], ":none:") == 0)
				none_after = 1;
		vc_strv_release(other);
		vc_strv_release(target);
		vc_strv_push(target, ":all:");
		if (!none_after)
			goto out;
	}
	for (i = all == (size_t)-1 ? 0 : all + 1; i < names.n; i++) {
		char *name;

		if (strcmp(names.v[i], ":none:") == 0) {
			vc_strv_release(target);
			continue;
		}
		/* A name no project can have matches no package: it changes
		 * nothing pip installs, and "-x" would read as an option. */
		if (!project_name(names.v[i]))
			continue;
		name = vc_name_normalize(names.v[i]);
		for (j = 0; j < other->n; j++) {
			if (strcmp(other->v[j], name) == 0) {
				free(other->v[j]);
				memmove(&other->v[j], &other->v[j + 1],
				    (other->n - j) * sizeof *other->v);
				other->n--;
				break;
			}
		}
		vc_strv_take(target, name);
		vc_strv_sort_uniq(target);
	}
out:
	vc_strv_sort_uniq(target);
	vc_strv_release(&names);
}

/*
 * Replaces the format control entry of set->options: one option line that
 * recreates pip's state when read ("--no-binary=a,b", "--only-binary=c",
 * or both on one line, the set holding ":all:" first, since ":all:"
 * empties the other set).
 */
void
req_update_format_options(struct vc_reqset *set)
{
	struct vc_strv *lists[2] = {&set->no_binary, &set->only_binary};
	static const char *const names[2] = {"--no-binary=", "--only-binary="};
	struct vc_buf b;
	size_t i, j, k, order[2] = {0, 1};

	for (i = 0, j = 0; i < set->options.n; i++) {
		if (vc_str_startswith(set->options.v[i], names[0]) ||
		    vc_str_startswith(set->options.v[i], names[1]))
			free(set->options.v[i]);
		else
			set->options.v[j++] = set->options.v[i];
	}
	set->options.n = j;
	if (set->options.v != NULL)
		set->options.v[j] = NULL;
	if (vc_strv_contains(lists[1], ":all:")) {
		order[0] = 1;
		order[1] = 0;
	}
	vc_buf_init(&b);
	for (j = 0; j < 2; j++) {
		k = order[j];
		if (lists[k]->n == 0)
			continue;
		if (b.len > 0)
			vc_buf_addc(&b, ' ');
		vc_buf_adds(&b, names[k]);
		/*
		 * With ":all:" in a set, its names change nothing: pip looks
		 * at names of the other set first, and the sets are disjoint.
		 */
		if (vc_strv_contains(lists[k], ":all:")) {
			vc_buf_adds(&b, ":all:");
			continue;
		}
		for (i = 0; i < lists[k]->n; i++) {
			if (i > 0)
				vc_buf_addc(&b, ',');
			vc_buf_adds(&b, lists[k]->v[i]);
		}
	}
	if (b.len > 0)
		vc_strv_push(&set->options, b.data);
	vc_buf_release(&b);
	vc_strv_sort_uniq(&set->options);
}

/* optparse's _match_long_opt(): the exact name, or a unique prefix. */
static const struct ropt *
match_long(const char *name, size_t n, struct vc_error *err,
    const struct where *w)
{
	const struct ropt *found = NULL;
	struct vc_buf cands;
	size_t i, count = 0;

	for (i = 0; i < VC_ARRAY_SIZE(ropts); i++)
		if (strlen(ropts[i].name) == n &&
		    strncmp(ropts[i].name, name, n) == 0)
			return &ropts[i];
	vc_buf_init(&cands);
	for (i = 0; i < VC_ARRAY_SIZE(ropts); i++) {
		if (!ropts[i].abbrev || strncmp(ropts[i].name, name, n) != 0)
			continue;
		vc_buf_addf(&cands, "%s--%s", count > 0 ? ", " : "",
		    ropts[i].name);
		found = &ropts[i];
		count++;
	}
	if (count == 0)
		vc_error_at(err, w->file, w->line, "no such option: --%.*s",
		    (int)n, name);
	else if (count > 1)
		vc_error_at(err, w->file, w->line,
		    "ambiguous option: --%.*s (%s?)", (int)n, name, cands.data);
	vc_buf_release(&cands);
	return count == 1 ? found : NULL;
}

static const struct ropt *
match_short(char c)
{
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(ropts); i++)
		if (ropts[i].short_name == c)
			return &ropts[i];
	return NULL;
}

/* Checks a value as pip's option callbacks do; applies format control. */
static int
check_value(struct reader *rd, const struct ropt *o, const char *optstr,
    const char *value, const struct where *w)
{
	const char *colon;
	size_t len, want;

	switch (o->id) {
	case R_HASH:
		colon = strchr(value, ':');
		if (colon == NULL)
			return vc_error_at(rd->err, w->file, w->line,
			    "arguments to %s must be a hash name followed by "
			    "a value, like --hash=sha256:abcde...",
			    optstr);
		len = (size_t)(colon - value);
		if (len == 6 && strncmp(value, "sha256", 6) == 0)
			want = 64;
		else if (len == 6 && strncmp(value, "sha384", 6) == 0)
			want = 96;
		else if (len == 6 && strncmp(value, "sha512", 6) == 0)
			want = 128;
		else
			return vc_error_at(rd->err, w->file, w->line,
			    "allowed hash algorithms for %s are sha256, "
			    "sha384, sha512",
			    optstr);
		for (len = 0; req_is_hex(colon[1 + len]); len++)
			;
		if (len != want || colon[1 + len] != '\0')
			return vc_error_at(rd->err, w->file, w->line,
			    "%s: '%s' is not a %.6s digest (%zu hex digits)",
			    optstr, value, value, want);
		return 0;
	case R_CONFIG_SETTINGS:
		if (strchr(value, '=') == NULL)
			return vc_error_at(rd->err, w->file, w->line,
			    "arguments to %s must be of the form KEY=VAL",
			    optstr);
		return 0;
	case R_NO_BINARY:
	case R_ONLY_BINARY:
		if (*value == '-')
			return vc_error_at(rd->err, w->file, w->line,
			    "--no-binary / --only-binary option requires 1 "
			    "argument");
		if (o->id == R_NO_BINARY)
			format_control(value, &rd->set->no_binary,
			    &rd->set->only_binary);
		else
			format_control(value, &rd->set->only_binary,
			    &rd->set->no_binary);
		return 0;
	default:
		return 0;
	}
}

static void
add_opt(struct lineopts *lo, const struct ropt *o, const char *value)
{
	lo->v = xgrow(lo->v, &lo->cap, lo->n + 1, sizeof *lo->v);
	lo->v[lo->n].o = o;
	lo->v[lo->n].value = value != NULL ? xstrdup(value) : NULL;
	lo->n++;
}

/* optparse's parse_args() over the words of the options part. */
static int
parse_options(struct reader *rd, const struct vc_strv *args,
    struct lineopts *lo, const struct where *w)
{
	const struct ropt *o;
	char optstr[64];
	size_t i;

	for (i = 0; i < args->n; i++) {
		const char *a = args->v[i], *value = NULL, *eq;

		if (strcmp(a, "--") == 0) {
			for (i++; i < args->n; i++)
				vc_strv_push(&lo->positional, args->v[i]);
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			eq = strchr(a, '=');
			o = match_long(a + 2,
			    eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2),
			    rd->err, w);
			if (o == NULL)
				return -1;
			optstr[0] = optstr[1] = '-';
			memcpy(optstr + 2, o->name, strlen(o->name) + 1);
			if (!o->takes_value && eq != NULL)
				return vc_error_at(rd->err, w->file, w->line,
				    "%s option does not take a value", optstr);
			if (o->takes_value) {
				if (eq != NULL)
					value = eq + 1;
				else if (i + 1 < args->n)
					value = args->v[++i];
				else
					return vc_error_at(rd->err, w->file,
					    w->line,
					    "%s option requires 1 argument",
					    optstr);
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			/* Every short option of pip's takes a value. */
			o = match_short(a[1]);
			if (o == NULL)
				return vc_error_at(rd->err, w->file, w->line,
				    "no such option: -%c", a[1]);
			optstr[0] = '-';
			optstr[1] = a[1];
			optstr[2] = '\0';
			if (a[2] != '\0')
				value = a + 2;
			else if (i + 1 < args->n)
				value = args->v[++i];
			else
				return vc_error_at(rd->err, w->file, w->line,
				    "%s option requires 1 argument", optstr);
		} else {
			vc_strv_push(&lo->positional, a);
			continue;
		}
		if (value != NULL && check_value(rd, o, optstr, value, w) == -1)
			return -1;
		add_opt(lo, o, value);
	}
	return 0;
}

/* "--name=value" or "--name", credentials in URLs shown as ***. */
static char *
opt_text(const struct lopt *l)
{
	char *v, *s;

	if (l->value == NULL)
		return xasprintf("--%s", l->o->name);
	v = vc_url_redact(l->value);
	s = xasprintf("--%s=%s", l->o->name, v);
	free(v);
	return s;
}

static void
add_ignored(struct reader *rd, const struct where *w, const struct lopt *l,
    const char *why)
{
	char *t = opt_text(l);

	vc_strv_pushf(&rd->set->ignored, "%s:%u: '%s' ignored: %s", w->file,
	    w->line, t, why);
	free(t);
}

static void add_note(struct reader *rd, const struct where *w, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
add_note(struct reader *rd, const struct where *w, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	vc_strv_pushf(&rd->set->notes, "%s:%u: %s", w->file, w->line, msg);
	free(msg);
}

/* Sorts "--config-settings=KEY=VAL" by KEY, keeping the order of a key. */
static void
sort_config_settings(struct vc_strv *v)
{
	size_t i, j;
	char *t;

	for (i = 1; i < v->n; i++) {
		for (j = i; j > 0; j--) {
			const char *a =
			    v->v[j - 1] + strlen("--config-settings=");
			const char *b = v->v[j] + strlen("--config-settings=");
			size_t na = strcspn(a, "="), nb = strcspn(b, "=");
			int c = strncmp(a, b, na < nb ? na : nb);

			if (c < 0 || (c == 0 && na <= nb))
				break;
			t = v->v[j - 1];
			v->v[j - 1] = v->v[j];
			v->v[j] = t;
		}
	}
}

/* The options of a requirement line that pip applies to the requirement. */
static void
take_req_options(struct reader *rd, struct vc_req *r, struct lineopts *lo,
    int editable, const struct where *w)
{
	struct vc_strv config, later;
	char *h;
	size_t i;

	vc_strv_init(&config);
	vc_strv_init(&later);
	for (i = 0; i < lo->n; i++) {
		const struct lopt *l = &lo->v[i];

		switch (l->o->id) {
		case R_HASH:
			if (editable) {
				add_ignored(rd, w, l,
				    "pip takes no --hash for an editable");
				break;
			}
			h = xstrdup(l->value);
			vc_str_lower(h);
			vc_strv_take(&r->hashes, h);
			break;
		case R_CONFIG_SETTINGS:
			vc_strv_pushf(&config, "--config-settings=%s",
			    l->value);
			break;
		case R_GLOBAL_OPTION:
		case R_INSTALL_OPTION:
			if (editable) {
				add_ignored(rd, w, l,
				    "pip takes only --config-settings for an "
				    "editable");
				break;
			}
			vc_strv_pushf(&later, "--%s=%s", l->o->name, l->value);
			break;
		case R_NO_BINARY:
		case R_ONLY_BINARY:
			break; /* applied while parsing, as in pip */
		case R_EDITABLE:
			if (editable && l == &lo->v[0])
				break;
			/* fall through */
		default:
			add_ignored(rd, w, l,
			    editable ? "pip ignores it on an -e line"
			             : "pip ignores it on a requirement line");
			break;
		}
	}
	vc_strv_sort_uniq(&r->hashes);
	sort_config_settings(&config);
	for (i = 0; i < config.n; i++)
		vc_strv_push(&r->options, config.v[i]);
	for (i = 0; i < later.n; i++)
		vc_strv_push(&r->options, later.v[i]);
	vc_strv_release(&config);
	vc_strv_release(&later);
}

/* Sets the project under test, merging extras. */
static void
set_project(struct reader *rd, const struct vc_strv *extras,
    const struct where *w, const char *as_written)
{
	struct vc_strv all;
	struct vc_buf b;
	const char *open;
	size_t i;

	vc_strv_init(&all);
	if (rd->set->project != NULL &&
	    (open = strchr(rd->set->project, '[')) != NULL) {
		const char *p = open + 1;

		while (*p != ']' && *p != '\0') {
			size_t n = strcspn(p, ",]");

			vc_strv_take(&all, xstrndup(p, n));
			p += n + (p[n] == ',');
		}
	}
	for (i = 0; i < extras->n; i++)
		vc_strv_push(&all, extras->v[i]);
	vc_strv_sort_uniq(&all);
	vc_buf_init(&b);
	vc_buf_addc(&b, '.');
	if (all.n > 0) {
		vc_buf_addc(&b, '[');
		for (i = 0; i < all.n; i++) {
			if (i > 0)
				vc_buf_addc(&b, ',');
			vc_buf_adds(&b, all.v[i]);
		}
		vc_buf_addc(&b, ']');
	}
	free(rd->set->project);
	rd->set->project = vc_buf_detach(&b);
	vc_strv_release(&all);
	add_note(rd, w,
	    "'%s' is the project under test: left out of the key, installed "
	    "after create or restore",
	    as_written);
}

/* A VCS URL not pinned to a commit: "@<40 or 64 hex digits>" at its end. */
static int
vcs_pinned(const char *url)
{
	size_t n = strcspn(url, "#"), i;
	const char *at = NULL, *p;

	for (p = url; p < url + n; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return 0;
	for (i = 0; at + 1 + i < url + n && req_is_hex(at[1 + i]); i++)
		;
	return at + 1 + i == url + n && (i == 40 || i == 64);
}

/* The hint pip adds to a requirement that does not parse. */
static const char *
hint_for(const char *s, char *buf, size_t len)
{
	static const char *const ops[] = {"~=", "==", "!=", "<=", ">=", "<",
	    ">", "==="};
	size_t i;
	struct stat st;

	if (strchr(s, '/') != NULL) {
		if (stat(s, &st) == -1)
			snprintf(buf, len,
			    " (it looks like a path, and '%s' does not exist)",
			    s);
		else if (S_ISREG(st.st_mode))
			snprintf(buf, len,
			    " (it looks like a path: if '%s' is a requirements "
			    "file, include it with -r)",
			    s);
		else
			snprintf(buf, len, " (it looks like a path)");
		return buf;
	}
	if (strchr(s, '=') != NULL) {
		for (i = 0; i < VC_ARRAY_SIZE(ops); i++)
			if (strstr(s, ops[i]) != NULL)
				return "";
		return " ('=' is not a valid operator: did you mean '=='?)";
	}
	return "";
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The name (and, with `take_extras`, the extras) of a requirement from an
 * egg fragment ("name[extras]").
 */
static int
name_from(const char *text, struct vc_req *r, int take_extras,
    struct vc_error *err)
{
	struct vc_pep508 p;
	size_t i;

	vc_pep508_init(&p);
	if (vc_pep508_parse(text, &p, err) == -1)
		return -1;
	free(r->name);
	r->name = xstrdup(p.name);
	for (i = 0; take_extras && i < p.extras.n; i++)
		vc_strv_push(&r->extras, p.extras.v[i]);
	vc_strv_sort_uniq(&r->extras);
	vc_pep508_release(&p);
	return 0;
}

/*
 * The canonical form of marker text, from the memo or computed. The memo
 * is 4-way set-associative: two markers of one slot do not evict each
 * other on every line.
 */
static char *
marker(struct reader *rd, const char *text, struct vc_error *err)
{
	XXH64_hash_t h = XXH3_64bits(text, strlen(text));
	size_t set = ((size_t)h & (MARKER_MEMO - 1)) & ~(size_t)3, i, slot;
	char *c;

	for (i = set; i < set + 4; i++)
		if (rd->memo[i].text != NULL &&
		    strcmp(rd->memo[i].text, text) == 0)
			return xstrdup(rd->memo[i].canonical);
	if ((c = vc_marker_normalize(text, err)) == NULL)
		return NULL;
	for (slot = set; slot < set + 3 && rd->memo[slot].text != NULL; slot++)
		;
	if (rd->memo[slot].text != NULL)
		slot = set + (size_t)(h >> 32) % 4;
	free(rd->memo[slot].text);
	free(rd->memo[slot].canonical);
	rd->memo[slot].text = xstrdup(text);
	rd->memo[slot].canonical = xstrdup(c);
	return c;
}

/*
 * parse_req_from_line(): what the requirement part of a line names.
 * Returns 1 for the project under test, 0 for a requirement, -1.
 */
static int
parse_requirement(struct reader *rd, const char *args, struct vc_req *r,
    const struct where *w)
{
	struct vc_error *err = rd->err;
	const char *sep = req_is_url(args) ? "; " : ";", *at;
	char *name = NULL, *path = NULL, *extras = NULL, *egg = NULL;
	char *file = NULL, hint[4200];
	struct vc_pep508 p;
	int rc = -1;

	vc_pep508_init(&p);
	at = strstr(args, sep);
	if (at != NULL) {
		char *m = vc_py_strip(at + 1, strlen(at + 1));

		if (*m != '\0' && (r->marker = marker(rd, m, err)) == NULL) {
			vc_error_at(err, w->file, w->line,
			    "invalid marker '%s': %s", m, err->msg);
			free(m);
			goto out;
		}
		free(m);
		name = vc_py_strip(args, (size_t)(at - args));
	} else {
		name = vc_py_strip(args, strlen(args));
	}
	if (req_is_url(name)) {
		r->kind = VC_REQ_URL;
		r->bare = 1;
		r->url = xstrdup(name);
		file = req_url_filename(name);
		if (vc_str_endswith(file, ".whl")) {
			if (req_wheel_name(file, &r->name) == -1) {
				vc_error_at(err, w->file, w->line,
				    "'%s' is not a valid wheel file name",
				    file);
				goto out;
			}
		} else if ((egg = req_egg_fragment(name)) != NULL &&
		    name_from(egg, r, 0, err) == -1) {
			vc_error_at(err, w->file, w->line,
			    "invalid egg fragment '%s': %s", egg, err->msg);
			goto out;
		}
		rc = 0;
		goto out;
	}
	path = req_strip_extras(name, &extras);
	if (extras != NULL &&
	    req_convert_extras(extras, &r->extras, err) == -1) {
		vc_error_at(err, w->file, w->line, "invalid extras '%s': %s",
		    extras, err->msg);
		goto out;
	}
	if (req_looks_like_path(name) && is_dir(path)) {
		char *norm = req_normpath(path), *f1, *f2;

		if (strcmp(norm, ".") == 0) {
			free(norm);
			set_project(rd, &r->extras, w, name);
			rc = 1;
			goto out;
		}
		free(norm);
		f1 = vc_path_join(path, "setup.py");
		f2 = vc_path_join(path, "pyproject.toml");
		if (!is_file(f1) && !is_file(f2)) {
			vc_error_at(err, w->file, w->line,
			    "directory '%s' is not installable: neither "
			    "'setup.py' nor 'pyproject.toml' found",
			    path);
			free(f1);
			free(f2);
			goto out;
		}
		free(f1);
		free(f2);
		r->kind = VC_REQ_PATH;
		r->url = req_canonical_path(path);
		rc = 0;
		goto out;
	}
	if (req_is_archive(path)) {
		const char *atsign = strchr(name, '@');
		char *before = atsign != NULL
		    ? xstrndup(name, (size_t)(atsign - name))
		    : NULL;
		int named = !is_file(path) && before != NULL &&
		    !req_looks_like_path(before);

		free(before);
		if (!named) {
			const char *base = strrchr(path, '/');

			r->kind = VC_REQ_PATH;
			r->url = req_canonical_path(path);
			base = base != NULL ? base + 1 : path;
			if (vc_str_endswith(base, ".whl") &&
			    req_wheel_name(base, &r->name) == -1) {
				vc_error_at(err, w->file, w->line,
				    "'%s' is not a valid wheel file name",
				    base);
				goto out;
			}
			if (!is_file(path))
				add_note(rd, w,
				    "'%s' looks like a file name, but the file "
				    "does not exist",
				    name);
			rc = 0;
			goto out;
		}
	}
	if (vc_pep508_parse(name, &p, err) == -1) {
		vc_error_at(err, w->file, w->line,
		    "invalid requirement '%s': %s%s", name, err->msg,
		    hint_for(name, hint, sizeof hint));
		goto out;
	}
	r->kind = p.url != NULL ? VC_REQ_URL : VC_REQ_NAMED;
	r->name = p.name;
	p.name = NULL;
	for (size_t i = 0; i < p.extras.n; i++)
		vc_strv_push(&r->extras, p.extras.v[i]);
	vc_strv_sort_uniq(&r->extras);
	r->specifier = p.specifier;
	p.specifier = NULL;
	r->url = p.url;
	p.url = NULL;
	rc = 0;
out:
	vc_pep508_release(&p);
	free(name);
	free(path);
	free(extras);
	free(egg);
	free(file);
	return rc;
}

/* parse_editable(): the value of -e. Returns 1 for the project, 0, -1. */
static int
parse_editable(struct reader *rd, const char *value, struct vc_req *r,
    const struct where *w)
{
	static const char *const vcs[] = {"git", "hg", "svn", "bzr"};
	struct vc_error *err = rd->err;
	char *extras = NULL, *path, *url = NULL, *scheme = NULL, *egg = NULL;
	int rc = -1;
	size_t i;

	r->kind = VC_REQ_EDITABLE;
	path = req_strip_extras(value, &extras);
	if (is_dir(path) || strncasecmp(path, "file:", 5) == 0) {
		char *norm;

		if (extras != NULL &&
		    req_convert_extras(extras, &r->extras, err) == -1) {
			vc_error_at(err, w->file, w->line,
			    "invalid extras '%s': %s", extras, err->msg);
			goto out;
		}
		if (strncasecmp(path, "file:", 5) == 0) {
			r->url = xstrdup(path);
			if ((egg = req_egg_fragment(path)) != NULL &&
			    name_from(egg, r, 0, err) == -1) {
				vc_error_at(err, w->file, w->line,
				    "invalid egg fragment '%s': %s", egg,
				    err->msg);
				goto out;
			}
			rc = 0;
			goto out;
		}
		norm = req_normpath(path);
		if (strcmp(norm, ".") == 0) {
			free(norm);
			set_project(rd, &r->extras, w, value);
			rc = 1;
			goto out;
		}
		free(norm);
		r->url = req_canonical_path(path);
		rc = 0;
		goto out;
	}
	url = xstrdup(value);
	for (i = 0; i < VC_ARRAY_SIZE(vcs); i++) {
		size_t n = strlen(vcs[i]);

		if (strncasecmp(url, vcs[i], n) == 0 && url[n] == ':') {
			char *u = xasprintf("%s+%s", vcs[i], url);

			free(url);
			url = u;
			break;
		}
	}
	scheme = req_url_scheme(url);
	if (scheme == NULL || !req_is_vcs_scheme(scheme)) {
		vc_error_at(err, w->file, w->line,
		    "'%s' is not a valid editable requirement: it should be a "
		    "path to a local project or a VCS URL (git+https://..., "
		    "hg+https://..., svn+https://..., bzr+https://...)",
		    value);
		goto out;
	}
	if ((egg = req_egg_fragment(url)) == NULL) {
		vc_error_at(err, w->file, w->line,
		    "could not detect the requirement name of '%s': add "
		    "#egg=NAME",
		    value);
		goto out;
	}
	if (name_from(egg, r, 0, err) == -1) {
		vc_error_at(err, w->file, w->line,
		    "invalid egg fragment '%s': %s", egg, err->msg);
		goto out;
	}
	r->url = url;
	url = NULL;
	rc = 0;
out:
	free(extras);
	free(path);
	free(url);
	free(scheme);
	free(egg);
	return rc;
}

/* Adds a requirement line (or an -e line) to the set. */
static int
add_requirement(struct reader *rd, const char *args, const char *editable,
    struct lineopts *lo, int constraint, const struct where *w)
{
	struct vc_req r;
	char *shown;
	int rc;

	memset(&r, 0, sizeof r);
	vc_strv_init(&r.extras);
	vc_strv_init(&r.hashes);
	vc_strv_init(&r.options);
	rc = editable != NULL ? parse_editable(rd, editable, &r, w)
	                      : parse_requirement(rd, args, &r, w);
	if (rc == 1 && constraint) {
		vc_error_at(rd->err, w->file, w->line,
		    "the project under test cannot be a constraint");
		rc = -1;
	}
	if (rc != 0)
		goto out;
	if (constraint &&
	    (r.kind == VC_REQ_EDITABLE || r.name == NULL || r.extras.n > 0)) {
		vc_error_at(rd->err, w->file, w->line, "%s",
		    r.kind == VC_REQ_EDITABLE
		        ? "editable requirements are not allowed as "
		          "constraints"
		        : r.name == NULL
		        ? "unnamed requirements are not allowed as "
		          "constraints"
		        : "constraints cannot have extras");
		rc = -1;
		goto out;
	}
	take_req_options(rd, &r, lo, editable != NULL, w);
	if (r.specifier == NULL)
		r.specifier = xstrdup("");
	r.constraint = constraint;
	r.file = xstrdup(w->file);
	r.line = w->line;
	r.canonical = req_format_req(&r, 1);
	if (r.kind == VC_REQ_PATH ||
	    (r.kind == VC_REQ_EDITABLE && r.url != NULL &&
	        strchr(r.url, ':') == NULL) ||
	    (r.url != NULL && strncasecmp(r.url, "file:", 5) == 0)) {
		add_note(rd, w,
		    "local path '%s' is keyed by its path, not its "
		    "contents",
		    r.url);
	} else if (r.url != NULL && strchr(r.url, '+') != NULL &&
	    strchr(r.url, '+') < strchr(r.url, ':') && !vcs_pinned(r.url)) {
		shown = vc_url_redact(r.url);
		add_note(rd, w,
		    "'%s' is keyed by its URL, not by the commit it resolves "
		    "to: pin a commit with @<sha>",
		    shown);
		free(shown);
	}
	rd->set->reqs = xgrow(rd->set->reqs, &rd->set->cap, rd->set->n + 1,
	    sizeof *rd->set->reqs);
	rd->set->reqs[rd->set->n++] = r;
	return 0;
out:
	req_release(&r);
	return rc == 1 ? 0 : rc;
}

/* handle_option_line(): a line of options only. */
static void
option_line(struct reader *rd, struct lineopts *lo, const struct where *w,
    const char *basedir)
{
	struct vc_reqset *set = rd->set;
	int find_links = 0;
	size_t i;

	for (i = 0; i < lo->n; i++) {
		const struct lopt *l = &lo->v[i];
		char *s;

		switch (l->o->id) {
		case R_INDEX_URL:
			s = xasprintf("--index-url %s", l->value);
			break;
		case R_EXTRA_INDEX_URL:
			s = xasprintf("--extra-index-url %s", l->value);
			break;
		case R_NO_INDEX:
			s = xstrdup("--no-index");
			break;
		case R_TRUSTED_HOST:
			s = xasprintf("--trusted-host %s", l->value);
			break;
		case R_FIND_LINKS:
			if (find_links++ > 0) {
				add_ignored(rd, w, l,
				    "pip takes only the first --find-links "
				    "of a line");
				continue;
			}
			/* A path relative to the file, when it exists. */
			s = vc_path_join(basedir, l->value);
			if (strchr(l->value, ':') == NULL && *l->value != '/' &&
			    access(s, F_OK) == 0) {
				char *t = xasprintf("--find-links %s", s);

				free(s);
				s = t;
			} else {
				free(s);
				s = xasprintf("--find-links %s", l->value);
			}
			break;
		case R_PRE:
			vc_strv_push(&set->options, "--pre");
			continue;
		case R_PREFER_BINARY:
			vc_strv_push(&set->options, "--prefer-binary");
			continue;
		case R_REQUIRE_HASHES:
			vc_strv_push(&set->options, "--require-hashes");
			continue;
		case R_USE_FEATURE: {
			struct vc_buf q;

			vc_buf_init(&q);
			vc_buf_adds(&q, "--use-feature=");
			req_add_quoted(&q, l->value);
			vc_strv_take(&set->options, vc_buf_detach(&q));
			continue;
		}
		case R_NO_BINARY:
		case R_ONLY_BINARY:
			continue; /* applied while parsing */
		case R_HASH:
			add_ignored(rd, w, l, "--hash without a requirement");
			continue;
		default:
			add_ignored(rd, w, l,
			    "pip takes it only after a requirement");
			continue;
		}
		if (!vc_strv_contains(&set->index_options, s))
			vc_strv_take(&set->index_options, s);
		else
			free(s);
	}
	vc_strv_sort_uniq(&set->options);
}

/* An -r or -c line: reads the file it names. */
static int
include_line(struct reader *rd, struct lineopts *lo, const struct where *w,
    const char *basedir)
{
	const struct lopt *inc = NULL;
	char *path = NULL, *scheme;
	size_t i;
	int rc;

	for (i = 0; i < lo->n; i++)
		if (lo->v[i].o->id == R_REQUIREMENT && inc == NULL)
			inc = &lo->v[i];
	for (i = 0; i < lo->n && inc == NULL; i++)
		if (lo->v[i].o->id == R_CONSTRAINT)
			inc = &lo->v[i];
	if (inc == NULL)
		return 0; /* not an include line */
	for (i = 0; i < lo->n; i++) {
		const struct lopt *l = &lo->v[i];

		if (l == inc || l->o->id == R_NO_BINARY ||
		    l->o->id == R_ONLY_BINARY)
			continue;
		add_ignored(rd, w, l,
		    l->o->id == R_REQUIREMENT || l->o->id == R_CONSTRAINT
		        ? "pip reads only the first -r (else -c) of a line"
		        : "pip ignores options on a line that includes a file");
	}
	scheme = req_url_scheme(inc->value);
	if (scheme != NULL && strcmp(scheme, "file") == 0) {
		const char *p = inc->value + 5;

		if (strncmp(p, "//", 2) == 0) {
			p += 2;
			if (strncmp(p, "localhost/", 10) == 0)
				p += 9;
		}
		if (*p != '/') {
			free(scheme);
			return vc_error_at(rd->err, w->file, w->line,
			    "cannot read '%s': only file:///absolute/path "
			    "URLs are supported",
			    inc->value);
		}
		path = xstrdup(p);
	} else if (scheme != NULL &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
		char *shown = vc_url_redact(inc->value);

		vc_error_at(rd->err, w->file, w->line,
		    "cannot key requirements fetched from '%s': a key must "
		    "cover their contents; download the file and include it "
		    "by its path",
		    shown);
		free(shown);
		free(scheme);
		return -1;
	} else if (strcmp(basedir, ".") == 0) {
		/* os.path.join(os.path.dirname("a.txt"), x) is x. */
		path = xstrdup(inc->value);
	} else {
		path = vc_path_join(basedir, inc->value);
	}
	free(scheme);
	rc = req_read_file(rd, path, inc->o->id == R_CONSTRAINT, w);
	free(path);
	return rc;
}

/* break_args_options(): the requirement before the first "-word". */
static void
break_args_options(const char *line, char **args, const char **opts)
{
	const char *p;

	for (p = line; *p != '\0'; p++) {
		if (*p == '-' && (p == line || p[-1] == ' ')) {
			*args = xstrndup(line,
			    p == line ? 0 : (size_t)(p - line) - 1);
			*opts = p;
			return;
		}
	}
	*args = xstrdup(line);
	*opts = p;
}

/* One logical line, after comments and ${VAR}. */
int
req_handle_line(struct reader *rd, const char *line, const struct where *w,
    const char *basedir, int constraint)
{
	struct lineopts lo;
	struct vc_strv words;
	const char *opts, *why = NULL;
	const char *editable = NULL;
	char *args;
	size_t i;
	int rc = -1, includes = 0;

	memset(&lo, 0, sizeof lo);
	vc_strv_init(&lo.positional);
	vc_strv_init(&words);
	break_args_options(line, &args, &opts);
	if (shlex_split(opts, &words, &why) == -1) {
		vc_error_at(rd->err, w->file, w->line,
		    "cannot split options '%s': %s", opts, why);
		goto out;
	}
	if (parse_options(rd, &words, &lo, w) == -1)
		goto out;
	for (i = 0; i < lo.positional.n; i++)
		vc_strv_pushf(&rd->set->ignored, "%s:%u: '%s' ignored: %s",
		    w->file, w->line, lo.positional.v[i],
		    "pip ignores words after the options");
	for (i = 0; i < lo.n; i++) {
		if (lo.v[i].o->id == R_EDITABLE && editable == NULL)
			editable = lo.v[i].value;
		if (lo.v[i].o->id == R_REQUIREMENT ||
		    lo.v[i].o->id == R_CONSTRAINT)
			includes = 1;
	}
	if (*args != '\0') {
		rc = add_requirement(rd, args, NULL, &lo, constraint, w);
	} else if (editable != NULL) {
		/* The first -e leads; take_req_options() skips it. */
		for (i = 0; lo.v[i].value != editable; i++)
			;
		if (i != 0) {
			struct lopt t = lo.v[0];

			lo.v[0] = lo.v[i];
			lo.v[i] = t;
		}
		rc = add_requirement(rd, NULL, editable, &lo, constraint, w);
	} else if (includes) {
		rc = include_line(rd, &lo, w, basedir);
	} else {
		option_line(rd, &lo, w, basedir);
		rc = 0;
	}
out:
	free(args);
	vc_strv_release(&words);
	lineopts_release(&lo);
	return rc;
}
