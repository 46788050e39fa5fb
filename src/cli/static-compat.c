/*
 * static-compat.c: linked only with VENVCACHE_STATIC_DEPS, so that the
 * static binary runs on an older glibc than the one it was built on.
 *
 * libstdc++.a's random.o (pulled in by the string instantiations toml++
 * uses, never called by venvcache) refers to arc4random, which glibc has
 * only since 2.36: the link wraps it (-Wl,--wrap=arc4random) to this
 * definition over getrandom(2), glibc 2.25.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

uint32_t __wrap_arc4random(void);

uint32_t
__wrap_arc4random(void)
{
	uint32_t v;
	size_t got = 0;

	while (got < sizeof v) {
		ssize_t r = getrandom((char *)&v + got, sizeof v - got, 0);

		if (r < 0)
			abort(); /* as arc4random: it cannot fail */
		got += (size_t)r;
	}
	return v;
}
