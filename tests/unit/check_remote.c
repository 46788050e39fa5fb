/*
 * check_remote.c: the parts of the remote store that need no server:
 * object paths, keys and signatures (the HMAC against Python's hmac
 * module, Ed25519 round trips, what the reader of a downloaded .sig
 * object accepts and refuses).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/remote.h"

#include "helpers.h"

#define KEY "fleet-key-0123456789"
#define SUM "0123456789abcdef0123456789abcdef"
#define MAN "{\"key\": \"venv-x\"}\n"
/* python3: hmac.new(KEY, b"venvcache-entry-v1\n" + SUM + b"\n" + MAN,
 * hashlib.sha256).hexdigest() */
#define MAC "4d29f0d20c54cb7075b9a9e67bfc8fbe796bd02454cff892337ba071814e0561"

static int
ok(const char *key, const char *sum, const char *man, const char *sig,
    size_t siglen)
{
	return vc_remote_signature_ok(key, sum, man, strlen(man), sig, siglen);
}

START_TEST(test_sign)
{
	char *sig = vc_remote_sign(KEY, SUM, MAN, strlen(MAN));

	ck_assert_str_eq(sig, "hmac-sha256 " MAC "\n");
	free(sig);
}
END_TEST

START_TEST(test_accepts)
{
	const char *sig = "hmac-sha256 " MAC "\n";

	ck_assert_int_eq(ok(KEY, SUM, MAN, sig, strlen(sig)), 1);
	/* Without the newline, as an editor or a server may leave it. */
	ck_assert_int_eq(ok(KEY, SUM, MAN, sig, strlen(sig) - 1), 1);
}
END_TEST

START_TEST(test_refuses)
{
	char sig[] = "hmac-sha256 " MAC "\n", buf[256];
	size_t n = strlen(sig), i;

	/* Another key, checksum or manifest. */
	ck_assert_int_eq(ok("fleet-key-0123456788", SUM, MAN, sig, n), 0);
	ck_assert_int_eq(ok(KEY, "1123456789abcdef0123456789abcdef", MAN, sig,
	                     n),
	    0);
	ck_assert_int_eq(ok(KEY, SUM, "{\"key\": \"venv-y\"}\n", sig, n), 0);
	ck_assert_int_eq(ok(KEY, SUM, "{\"key\": \"venv-x\"}", sig, n), 0);
	/* Any byte changed. */
	for (i = 0; i < n - 1; i++) {
		memcpy(buf, sig, n + 1);
		buf[i] ^= 0x20;
		ck_assert_msg(ok(KEY, SUM, MAN, buf, n) == 0,
		    "accepted with byte %zu changed", i);
	}
	/* Cut short, longer, two newlines, a NUL, uppercase hex. */
	ck_assert_int_eq(ok(KEY, SUM, MAN, sig, n - 2), 0);
	ck_assert_int_eq(ok(KEY, SUM, MAN, sig, 0), 0);
	snprintf(buf, sizeof buf, "%s\n", sig);
	ck_assert_int_eq(ok(KEY, SUM, MAN, buf, strlen(buf)), 0);
	snprintf(buf, sizeof buf, "%sx", sig);
	ck_assert_int_eq(ok(KEY, SUM, MAN, buf, strlen(buf)), 0);
	ck_assert_int_eq(ok(KEY, SUM, MAN, sig, n + 1), 0); /* the NUL */
	for (i = 0; sig[i] != '\0'; i++)
		buf[i] = i >= 12 && sig[i] >= 'a' && sig[i] <= 'f'
		    ? (char)(sig[i] - 32)
		    : sig[i];
	buf[i] = '\0';
	ck_assert_int_eq(ok(KEY, SUM, MAN, buf, n), 0);
	ck_assert_int_eq(ok(KEY, SUM, MAN, "hmac-sha256 ", 12), 0);
}
END_TEST

START_TEST(test_ed25519)
{
	struct vc_error err;
	char *sk = NULL, *vk = NULL, *sig, *hsig, buf[256];
	size_t n, i;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_remote_keygen(&sk, &vk, &err), 0);
	ck_assert_int_eq(vc_remote_key_check("SK", sk, &err), 0);
	ck_assert_int_eq(vc_remote_key_check("VK", vk, &err), 0);
	sig = vc_remote_sign(sk, SUM, MAN, strlen(MAN));
	ck_assert_ptr_nonnull(sig);
	n = strlen(sig);
	ck_assert_uint_eq(n, strlen("ed25519 ") + 128 + 1);
	ck_assert_int_eq(ok(vk, SUM, MAN, sig, n), 1);
	ck_assert_int_eq(ok(vk, SUM, MAN, sig, n - 1), 1);
	/* The private key verifies nothing; nor does an HMAC key. */
	ck_assert_int_eq(ok(sk, SUM, MAN, sig, n), 0);
	ck_assert_int_eq(ok(KEY, SUM, MAN, sig, n), 0);
	ck_assert_int_eq(ok(vk, SUM, "{\"key\": \"venv-y\"}\n", sig, n), 0);
	ck_assert_int_eq(ok(vk, "1123456789abcdef0123456789abcdef", MAN, sig,
	                     n),
	    0);
	for (i = 0; i < n - 1; i++) {
		memcpy(buf, sig, n + 1);
		buf[i] ^= 0x01;
		ck_assert_msg(ok(vk, SUM, MAN, buf, n) == 0,
		    "accepted with byte %zu changed", i);
	}
	/* An HMAC signature under an Ed25519 public key used as secret. */
	hsig = vc_remote_sign("not-ed25519:"
	                      "0123456789",
	    SUM, MAN, strlen(MAN));
	ck_assert_int_eq(ok(vk, SUM, MAN, hsig, strlen(hsig)), 0);
	free(hsig);
	free(sig);
	free(sk);
	free(vk);
}
END_TEST

START_TEST(test_key_check)
{
	struct vc_error err;

	vc_error_clear(&err);
	ck_assert_int_eq(vc_remote_key_check("K", "0123456789abcdef", &err), 0);
	ck_assert_int_eq(vc_remote_key_check("K", "0123456789abcde", &err), -1);
	ck_assert_str_eq(err.msg,
	    "K: shorter than 16 bytes (openssl rand "
	    "-hex 32 makes one)");
	ck_assert_int_eq(vc_remote_key_check("VENVCACHE_SIGNING_KEY",
	                     "ed25519:0123456789abcdef0123456789abcdef", &err),
	    -1);
	ck_assert_ptr_null(strstr(err.msg, "0123456789"));
	ck_assert_ptr_nonnull(strstr(err.msg, "VENVCACHE_SIGNING_KEY: "));
	/* 63 digits, 65 digits, a non-digit. */
	ck_assert_int_eq(vc_remote_key_check("K",
	                     "ed25519:0123456789abcdef0123456789abcdef"
	                     "0123456789abcdef0123456789abcde",
	                     &err),
	    -1);
	ck_assert_int_eq(vc_remote_key_check("K",
	                     "ed25519:0123456789abcdef0123456789abcdef"
	                     "0123456789abcdef0123456789abcdef0",
	                     &err),
	    -1);
	ck_assert_int_eq(vc_remote_key_check("K",
	                     "ed25519:0123456789abcdef0123456789abcdef"
	                     "0123456789abcdef0123456789abcdeg",
	                     &err),
	    -1);
	ck_assert_ptr_null(vc_remote_sign("ed25519:00", SUM, MAN, 3));
	ck_assert_int_eq(vc_remote_key_check("K",
	                     "ed25519:0123456789abcdef0123456789abcdef"
	                     "0123456789ABCDEF0123456789abcdef",
	                     &err),
	    0);
}
END_TEST

START_TEST(test_entry_path)
{
	const char *key = "venv-demo-cp311-linux_x86_64-2a331b7aaea666d1";
	char *p;

	p = vc_remote_entry_path(key, 0);
	ck_assert_str_eq(p, "2a/venv-demo-cp311-linux_x86_64-2a331b7aaea666d1");
	free(p);
	p = vc_remote_entry_path(key, 1);
	ck_assert_str_eq(p, "venv-demo-cp311-linux_x86_64-2a331b7aaea666d1");
	free(p);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_sign,
	    test_accepts,
	    test_refuses,
	    test_ed25519,
	    test_key_check,
	    test_entry_path,
	};
	Suite *s = suite_create("remote");

	vc_test_case(s, "remote", NULL, NULL, 0, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
