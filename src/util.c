/* util.c - errors, allocation and scope-bound cleanup. */
#include "util.h"
#include "strbuf.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

void put_shown(FILE *f, const char *prefix, const char *msg, unsigned flags)
{
	cleanup_strbuf struct strbuf line = STRBUF_INIT;

	strbuf_add_shown(&line, prefix, flags);
	strbuf_add_shown(&line, msg, flags);
	strbuf_addch(&line, '\n');
	fputs(line.buf, f);
}

/* One line, in one write: lines of launches running side by side do not
 * mix, and a thousand warnings cost a thousand writes. */
static void vreport(const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs(PROG ": (out of memory for a message)\n", stderr);
		return;
	}
	put_shown(stderr, PROG ": ", msg, 0);
	free(msg);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(1);
}

void die_hint(const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	if (hint)
		put_shown(stderr, "hint: ", hint, 0);
	exit(1);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

const char *env_lookup(const char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] && strcmp(v, "0");
}

static void *check_alloc(void *p)
{
	if (!p) {
		fputs(PROG ": out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t n)
{
	return check_alloc(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check_alloc(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return check_alloc(strndup(s, n));
}

char *xstrcat2(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = xmalloc(na + nb + 1);

	memcpy(s, a, na);
	memcpy(s + na, b, nb + 1);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		check_alloc(NULL);
	return s;
}

void cleanup_freep(void *p)
{
	void **pp = p;

	free(*pp);
	*pp = NULL;
}

void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool path_goes_past(const char *path, const char *dir)
{
	cleanup_strbuf struct strbuf cur = STRBUF_INIT;
	const char *p = path;
	bool at = !strcmp(dir, "/");

	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);

		if (n && !(n == 1 && p[0] == '.')) {
			if (at)
				return true;
			if (n == 2 && p[0] == '.' && p[1] == '.') {
				char *slash = strrchr(cur.buf, '/');

				strbuf_setlen(&cur, slash ? (size_t)(slash - cur.buf) : 0);
			} else {
				strbuf_addch(&cur, '/');
				strbuf_add(&cur, p, n);
			}
			at = !strcmp(cur.len ? cur.buf : "/", dir);
		}
		p = *e ? e + 1 : e;
	}
	return false;
}

bool path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return true;
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool str_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *path_normalize(const char *path)
{
	cleanup_strbuf struct strbuf out = STRBUF_INIT;
	const char *p = path;

	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out.buf, '/');

			strbuf_setlen(&out, slash ? (size_t)(slash - out.buf) : 0);
		} else {
			strbuf_addch(&out, '/');
			strbuf_add(&out, p, n);
		}
		p = e;
	}
	return xstrdup(out.len ? out.buf : "/");
}

uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

char *random_hex(void)
{
	unsigned char r[16];
	char hex[sizeof(r) * 2 + 1];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		die("cannot read random bytes: %s", strerror(errno));
	for (i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	return xstrdup(hex);
}

/* The ELF header, where the linker put it: the start of the first
 * segment, which the kernel's AT_PHDR does not tell. */
extern const ElfW(Ehdr) __ehdr_start;

void protect_relro(const char *prog)
{
	const ElfW(Phdr) *ph = (const void *)getauxval(AT_PHDR);
	uintptr_t page = getauxval(AT_PAGESZ), base = 0, start, end;
	size_t i, n = ph ? getauxval(AT_PHNUM) : 0;
	const ElfW(Phdr) *relro = NULL;
	bool based = false;

	for (i = 0; i < n; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			base = (uintptr_t)&__ehdr_start - ph[i].p_vaddr;
			based = true;
		} else if (ph[i].p_type == PT_GNU_RELRO) {
			relro = &ph[i];
		}
	}
	if (ph && !relro)
		return;
	if (!relro || !based || !page) {
		fprintf(stderr, "%s: cannot find its program headers\n", prog);
		exit(127);
	}
	start = (base + relro->p_vaddr) & ~(page - 1);
	end = (base + relro->p_vaddr + relro->p_memsz) & ~(page - 1);
	if (end > start && mprotect((void *)start, end - start, PROT_READ) < 0) {
		fprintf(stderr, "%s: cannot make its relocated data read-only\n", prog);
		exit(127);
	}
}
