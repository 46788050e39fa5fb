/*
 * fuzz_remote_sig.c: vc_remote_signature_ok() on any bytes as the .sig
 * object a remote sent, and on any bytes as the manifest. It must never
 * crash or read out of bounds; it accepts exactly the signature
 * vc_remote_sign() makes, with or without its final newline (under an
 * HMAC key and under an Ed25519 pair); and a manifest's own signature
 * always verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY "fuzz-key-0123456789"
#define SUM "0123456789abcdef0123456789abcdef"
/* venvcache remote keygen */
#define ED_SK      \
	"ed25519:" \
	"7afcbce43c1c3e2897e7f614780947ef31b8e76d5220a3a3114e2eecbc6582ce"
#define ED_VK      \
	"ed25519:" \
	"6a4511c6cbd9c8fbece1f6b3891dd9ae27237a3d428c881a0cda164e1034475d"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char man[] = "{\"key\": \"venv-x\"}\n";
	const char *in = (const char *)data;
	char *good, *own;
	size_t n;
	int ok, want;

	/* The input as a downloaded signature of a fixed manifest. */
	good = vc_remote_sign(KEY, SUM, man, sizeof man - 1);
	n = strlen(good);
	want = (size == n && memcmp(in, good, n) == 0) ||
	    (size == n - 1 && memcmp(in, good, n - 1) == 0);
	ok = vc_remote_signature_ok(KEY, SUM, man, sizeof man - 1, in, size);
	if (ok != want)
		abort();
	free(good);
	/* The same with an Ed25519 key pair (deterministic signatures). */
	good = vc_remote_sign(ED_SK, SUM, man, sizeof man - 1);
	n = strlen(good);
	want = (size == n && memcmp(in, good, n) == 0) ||
	    (size == n - 1 && memcmp(in, good, n - 1) == 0);
	ok = vc_remote_signature_ok(ED_VK, SUM, man, sizeof man - 1, in, size);
	if (ok != want)
		abort();
	/* The input as a manifest: its own signature verifies. */
	own = vc_remote_sign(KEY, SUM, in, size);
	if (vc_remote_signature_ok(KEY, SUM, in, size, own, strlen(own)) != 1)
		abort();
	free(own);
	free(good);
	return 0;
}
