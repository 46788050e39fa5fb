/*
 * vc_store_tool.c: makes store entries for the CLI cases, through the
 * store's own API, from an archive made by the system's tar and zstd.
 *
 *   vc_store_tool put STORE KEY ARCHIVE [ENV [PYTHON_VERSION]]
 *   vc_store_tool checksum FILE        XXH3-128 as the manifest has it
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "venvcache/store.h"

static int
checksum(const char *path, char out[33], uint64_t *size)
{
	struct vc_buf b;
	struct vc_error err;
	XXH128_canonical_t c;
	size_t i;

	vc_buf_init(&b);
	if (vc_read_file(path, 0, &b, &err) == -1) {
		fprintf(stderr, "vc_store_tool: %s\n", err.msg);
		return -1;
	}
	XXH128_canonicalFromHash(&c, XXH3_128bits(b.data, b.len));
	for (i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", c.digest[i]);
	*size = b.len;
	vc_buf_release(&b);
	return 0;
}

static int
put(int argc, char **argv)
{
	struct vc_store_txn txn;
	struct vc_manifest m;
	struct vc_store st;
	struct vc_error err;
	struct vc_buf b;
	uint64_t size;
	int rc = 1;

	vc_error_clear(&err);
	vc_buf_init(&b);
	vc_manifest_init(&m);
	m.format = VC_MANIFEST_FORMAT;
	m.key = strdup(argv[1]);
	m.env = strdup(argc > 3 ? argv[3] : "default");
	m.python = strdup("/usr/bin/python3");
	m.python_version = strdup(argc > 4 ? argv[4] : "3.11.2");
	m.prefix = strdup("/dev/shm/venvcache/default");
	m.create_seconds = 20.0;
	m.created = 1700000000;
	m.file_count = 1;
	if (checksum(argv[2], m.checksum, &size) == -1)
		goto out;
	m.archive_size = size;
	m.unpacked_size = size * 3;
	if (vc_read_file(argv[2], 0, &b, &err) == -1 ||
	    vc_store_open(&st, argv[0], &err) == -1)
		goto fail;
	if (vc_store_begin(&st, m.key, &txn, &err) == 0 &&
	    write(txn.fd, b.data, b.len) != (ssize_t)b.len)
		vc_error_sys(&err, "cannot write '%s'", txn.tmp_archive);
	if (err.code != VC_OK || vc_store_commit(&st, &txn, &m, &err) == -1) {
		vc_store_abort(&st, &txn);
		vc_store_close(&st);
		goto fail;
	}
	vc_store_abort(&st, &txn);
	vc_store_close(&st);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "vc_store_tool: %s\n", err.msg);
out:
	vc_buf_release(&b);
	vc_manifest_release(&m);
	return rc;
}

int
main(int argc, char **argv)
{
	char hex[33];
	uint64_t size;

	if (argc >= 5 && argc <= 7 && strcmp(argv[1], "put") == 0)
		return put(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "checksum") == 0) {
		if (checksum(argv[2], hex, &size) == -1)
			return 1;
		printf("%s\n", hex);
		return 0;
	}
	fprintf(stderr,
	    "usage: vc_store_tool put STORE KEY ARCHIVE [ENV "
	    "[PYTHON_VERSION]]\n"
	    "       vc_store_tool checksum FILE\n");
	return 2;
}
