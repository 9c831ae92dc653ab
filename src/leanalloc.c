/* leanalloc.c - the lean launcher's memory allocator (lean.h).
 *
 * musl's allocator gives memory back to the kernel as soon as a group of
 * blocks is free: a launch made some 130 mmap and 60 munmap calls, and
 * each munmap of a process that vforked interrupts the processor bwrap
 * starts on (the child ran on this memory there), which slowed bwrap's
 * start by half a millisecond (bench/RESULTS.md). A launcher lives as long
 * as its sandbox, allocates little, and is single-threaded: blocks of a
 * power of two, cut from arenas that are never given back, and kept on
 * one free list per size once freed. Blocks above the largest size are
 * mapped each and unmapped when freed.
 *
 * Built into the lean launcher only (Makefile), where it replaces musl's
 * malloc at link time, as musl allows.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ALIGN 16
#define MIN_SHIFT 5                     /* 32 bytes: a head, and room for a link when free */
#define MAX_SHIFT 20                    /* 1 MiB: larger blocks are mapped each */
#define NR_CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define ARENA_BYTES ((size_t)4 << 20)
#define MAPPED 0xff                     /* the class of a block mapped on its own */

/* Before each block: its class, whether it is in use, and for a mapped
 * one the mapping's length. */
struct head {
	size_t mapped;
	unsigned char cls;
	unsigned char state;
	unsigned char pad[ALIGN - sizeof(size_t) - 2];
};

/* A block freed twice, or a pointer that is not a block: a bug to stop at,
 * not a free list to corrupt. */
#define IN_USE 0xa5
#define FREED 0x5a

_Static_assert(sizeof(struct head) == ALIGN, "the head keeps blocks aligned");

struct free_block {
	struct free_block *next;
};

static struct free_block *free_lists[NR_CLASSES];
static char *arena, *arena_end;

static int class_of(size_t n)
{
	int c = 0;

	while (((size_t)1 << (c + MIN_SHIFT)) < n)
		c++;
	return c;
}

static struct head *head_of(void *p)
{
	return (struct head *)p - 1;
}

static void *map_block(size_t n)
{
	size_t len;
	struct head *h;

	if (n > SIZE_MAX - sizeof(struct head) - 4095) {
		errno = ENOMEM;
		return NULL;
	}
	len = (n + sizeof(struct head) + 4095) & ~(size_t)4095;
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	h->mapped = len;
	h->cls = MAPPED;
	h->state = IN_USE;
	return h + 1;
}

/* malloc's work, under a name the compiler does not know: calloc's
 * malloc and memset would otherwise become a call to calloc itself. */
static void *alloc_block(size_t n)
{
	size_t size;
	struct head *h;
	int c;

	if (n > ((size_t)1 << MAX_SHIFT) - sizeof(struct head))
		return map_block(n);
	c = class_of(n + sizeof(struct head));
	if (free_lists[c]) {
		struct free_block *b = free_lists[c];

		h = head_of(b);
		if (h->state != FREED || h->cls != c)
			abort();
		free_lists[c] = b->next;
		h->state = IN_USE;
		return b;
	}
	size = (size_t)1 << (c + MIN_SHIFT);
	if ((size_t)(arena_end - arena) < size) {
		char *a = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (a == MAP_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
		arena = a;
		arena_end = a + ARENA_BYTES;
	}
	h = (struct head *)arena;
	arena += size;
	h->mapped = 0;
	h->cls = (unsigned char)c;
	h->state = IN_USE;
	return h + 1;
}

void *malloc(size_t n)
{
	return alloc_block(n);
}

void free(void *p)
{
	struct head *h;
	struct free_block *b = p;

	if (!p)
		return;
	h = head_of(p);
	if (h->state != IN_USE || (h->cls != MAPPED && h->cls >= NR_CLASSES))
		abort();
	if (h->cls == MAPPED) {
		munmap(h, h->mapped);
		return;
	}
	h->state = FREED;
	b->next = free_lists[h->cls];
	free_lists[h->cls] = b;
}

size_t malloc_usable_size(void *p)
{
	struct head *h;

	if (!p)
		return 0;
	h = head_of(p);
	if (h->cls == MAPPED)
		return h->mapped - sizeof(struct head);
	return ((size_t)1 << (h->cls + MIN_SHIFT)) - sizeof(struct head);
}

void *calloc(size_t nr, size_t size)
{
	void *p;

	if (size && nr > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	p = alloc_block(nr * size);
	if (p)
		memset(p, 0, nr * size);
	return p;
}

void *realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (!p)
		return malloc(n);
	have = malloc_usable_size(p);
	if (n <= have)
		return p;
	q = alloc_block(n);
	if (!q)
		return NULL;
	memcpy(q, p, have);
	free(p);
	return q;
}

/* Nothing here asks for more than malloc's alignment. */
void *aligned_alloc(size_t align, size_t n)
{
	if (align > ALIGN || !align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_block(n);
}
