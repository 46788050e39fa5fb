/*
 * fuzz_req.c: the requirements reader on any text. It must never crash,
 * leak or read out of bounds; a refusal names the file and line; what it
 * accepts has a canonical form that reads back as itself (unless it hides
 * credentials as ***), and a pip text that reads back to the same
 * canonical form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Includes point nowhere: the fuzzer reads no file of the machine. */
#define BASEDIR "/nonexistent/vc-fuzz"

static char *
canonical(const struct vc_reqset *set)
{
	struct vc_strv c;
	struct vc_buf b;
	size_t i;

	vc_strv_init(&c);
	vc_buf_init(&b);
	vc_reqset_canonical(set, &c);
	for (i = 0; i < c.n; i++)
		vc_buf_addf(&b, "%s\n", c.v[i]);
	vc_strv_release(&c);
	return vc_buf_detach(&b);
}

/* Parses `text` into a fresh set; aborts on a refusal without file:line. */
static int
parse(struct vc_reqset *set, const char *text, const char *name)
{
	struct vc_error err;
	size_t n = strlen(name);

	vc_reqset_init(set);
	vc_error_clear(&err);
	if (vc_reqset_add_text(set, text, name, NULL, BASEDIR, 0, &err) == 0)
		return 0;
	if (err.code == VC_OK || strncmp(err.msg, name, n) != 0 ||
	    err.msg[n] != ':' || strcmp(err.file, name) != 0)
		abort();
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_reqset set, again, pip;
	char *text, *c1 = NULL, *c2 = NULL, *c3 = NULL, *p = NULL, *cons;

	if (size > 65536)
		return 0;
	text = xstrndup((const char *)data, size);
	if (parse(&set, text, "fuzz.txt") == -1)
		goto out;
	(void)vc_reqset_pinned(&set);
	cons = vc_reqset_pip_constraints(&set);
	free(cons);
	c1 = canonical(&set);
	/* Credentials are shown as ***: such a form is for hashing only. */
	if (strstr(c1, "***") == NULL) {
		if (parse(&again, c1, "canonical.txt") == -1)
			abort(); /* the canonical form must read back */
		c2 = canonical(&again);
		if (strcmp(c1, c2) != 0)
			abort(); /* ... as itself */
		vc_reqset_release(&again);
	}
	p = vc_reqset_pip_text(&set);
	if (parse(&pip, p, "pip.txt") == -1)
		abort(); /* what pip is given must read back */
	c3 = canonical(&pip);
	if (strcmp(c1, c3) != 0)
		abort(); /* ... to the same set */
	vc_reqset_release(&pip);
out:
	vc_reqset_release(&set);
	free(text);
	free(c1);
	free(c2);
	free(c3);
	free(p);
	return 0;
}
