/* test-leanalloc.c - the lean launcher's allocator (src/leanalloc.c),
 * under other names, beside the C library's own. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *lean_malloc(size_t n);
void lean_free(void *p);
void *lean_calloc(size_t nr, size_t size);
void *lean_realloc(void *p, size_t n);
void *lean_aligned_alloc(size_t align, size_t n);
size_t lean_malloc_usable_size(void *p);

#define malloc lean_malloc
#define free lean_free
#define calloc lean_calloc
#define realloc lean_realloc
#define aligned_alloc lean_aligned_alloc
#define malloc_usable_size lean_malloc_usable_size
#include "../../src/leanalloc.c"
#undef malloc
#undef free
#undef calloc
#undef realloc
#undef aligned_alloc
#undef malloc_usable_size

#include "tap.h"

static int aligned(const void *p)
{
	return ((uintptr_t)p & 15) == 0;
}

static void test_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 4096, 65536, (1u << 20) - 16,
					(1u << 20), 3u << 20 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = lean_malloc(sizes[i]);

		ok(p && aligned(p) && lean_malloc_usable_size(p) >= sizes[i],
		   "malloc(%zu): 16-byte aligned, at least that many bytes", sizes[i]);
		if (p)
			memset(p, 0xa5, sizes[i]);
		lean_free(p);
	}
}

static void test_reuse(void)
{
	char *a = lean_malloc(40), *b = lean_malloc(40), *c;

	strcpy(b, "kept");
	lean_free(a);
	c = lean_malloc(33);
	ok(c == a, "a freed block of the same size is used again");
	ok(!strcmp(b, "kept"), "a block beside it is untouched");
	lean_free(b);
	lean_free(c);
	lean_free(NULL);
	ok(1, "free(NULL) does nothing");
}

static void test_calloc_realloc(void)
{
	unsigned char *p = lean_malloc(200), *q;
	volatile size_t huge = SIZE_MAX / 2;
	size_t i, zero = 1;

	memset(p, 0xff, 200);
	lean_free(p);
	q = lean_calloc(50, 4);
	for (i = 0; q && i < 200; i++)
		zero &= q[i] == 0;
	ok(q && zero, "calloc clears a block used before");
	lean_free(q);
	errno = 0;
	ok(!lean_calloc(huge, 4) && errno == ENOMEM, "calloc: an overflowing size is ENOMEM");
	p = lean_malloc(10);
	memcpy(p, "0123456789", 10);
	q = lean_realloc(p, 5000);
	ok(q && !memcmp(q, "0123456789", 10), "realloc keeps what was there");
	p = lean_realloc(q, 2u << 20);
	ok(p && !memcmp(p, "0123456789", 10), "realloc to a mapped block keeps it too");
	q = lean_realloc(p, 100);
	ok(q == p, "realloc to fewer bytes keeps the block");
	lean_free(q);
	q = lean_realloc(NULL, 7);
	ok(q != NULL, "realloc(NULL) is malloc");
	lean_free(q);
	ok(lean_aligned_alloc(16, 24) != NULL && !lean_aligned_alloc(64, 24) && errno == EINVAL,
	   "aligned_alloc: 16 bytes, and no more");
}

/* A child that frees one block twice: it must die (abort), not go on. */
static void test_double_free(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		char *p = lean_malloc(64);

		lean_free(p);
		lean_free(p);
		_exit(0);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	   WTERMSIG(status) == SIGABRT, "a block freed twice stops the program (SIGABRT)");
}

int main(void)
{
	test_sizes();
	test_reuse();
	test_calloc_realloc();
	test_double_free();
	return done_testing();
}
