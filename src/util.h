/* util.h - errors, allocation and scope-bound cleanup.
 *
 * Two levels of errors: library code returns -1 and appends one line of
 * context to a caller's `struct strbuf *err` ("cannot open 'path': reason");
 * it never exits. Only the driver (main.c) calls die().
 */
#ifndef SV_UTIL_H
#define SV_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#define PROG "sandbox-venv"
#ifndef VERSION
#define VERSION "0.1.0"
#endif

#define ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ATTR_NORETURN __attribute__((noreturn))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Print "sandbox-venv: MSG" (and "hint: HINT" when hint is not NULL) and
 * exit with status 1 (die) or return (warn). */
void die(const char *fmt, ...) ATTR_PRINTF(1, 2) ATTR_NORETURN;
void die_hint(const char *hint, const char *fmt, ...) ATTR_PRINTF(2, 3) ATTR_NORETURN;
void warn(const char *fmt, ...) ATTR_PRINTF(1, 2);
/* prefix and msg, then a newline, to f in one write, as
 * strbuf_add_shown(flags) shows them: how every message reaches a
 * terminal. */
void put_shown(FILE *f, const char *prefix, const char *msg, unsigned flags);

/* Allocation that cannot fail: out of memory aborts. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) ATTR_PRINTF(1, 2);
/* a then b, allocated: xasprintf("%s%s") without the formatting. */
char *xstrcat2(const char *a, const char *b);

/* Scope-bound cleanup, as bubblewrap's utils.h. */
void cleanup_freep(void *p);
void cleanup_closep(int *fd);
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_fd __attribute__((cleanup(cleanup_closep)))

#define FREE_AND_NULL(p) do { free(p); (p) = NULL; } while (0)

/* Hand ownership over: returns *p and clears it. */
static inline void *steal_pointer(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* The value of name in an environment array (NULL-ended), or NULL. */
const char *env_lookup(const char *const *envp, const char *name);
/* A yes/no variable of the caller's: set, and neither empty nor "0". */
bool env_flag(const char *name);

/* qsort comparator for an array of strings. */
int strcmp_ptr(const void *a, const void *b);
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* path is dir or lies below it (both absolute and clean; "/" holds all). */
bool path_is_under(const char *path, const char *dir);
/* Does the absolute path, walked component by component as the kernel
 * would ("." and ".." too), reach dir and then take one more step (into
 * it, or through it if it is a link)? */
bool path_goes_past(const char *path, const char *dir);
/* path (absolute) with "//", "." and ".." taken out, lexically; allocated. */
char *path_normalize(const char *path);
/* True when s contains a byte below 0x20 or 0x7f. */
bool str_has_control(const char *s);
/* FNV-1a over n bytes: for hash tables and checksums, not against an
 * adversary. */
uint64_t hash_bytes(const void *p, size_t n);
/* 128 random bits, in hex (32 digits); dies when there are none. */
char *random_hex(void);
/* What the linker marked to be read-only once relocated (the GOT, the
 * tables of pointers), made so. glibc's start-up does it; musl's static
 * PIE start-up leaves it writable: the init and the lean launcher call
 * this before anything else runs. A binary linked without the mark has
 * nothing to protect; one whose mark cannot be applied does not start
 * (prog names it), as glibc's loader would not start it. */
void protect_relro(const char *prog);

#endif
