/* fuzz-elf.c - libFuzzer target for elf_parse() and elf_read_fd().
 *
 * The input is parsed from memory (libFuzzer hands over an exact-size
 * copy, so ASan sees any read past its end), then written to a memfd and
 * read back through elf_read_fd(), then parsed from memory once more into
 * the struct the file result is in. What MUST hold (elf.h):
 *  1. The result is 1 exactly when the input does not start with the ELF
 *     magic, with no error text and nothing filled in; -1 with exactly one
 *     line of error text and nothing filled in; or 0 with no error text.
 *  2. An accepted file has class 32 or 64 bit, a non-empty PT_INTERP of at
 *     most ELF_MAX_NAME bytes when present, at most ELF_MAX_NEEDED DT_NEEDED
 *     names of at most ELF_MAX_NAME bytes, and a RUNPATH of at most
 *     ELF_MAX_RUNPATH bytes.
 *  3. Reading from a file descriptor gives the same result and the same
 *     message as parsing from memory, and parsing into a struct that holds
 *     an earlier result gives the same as parsing into an empty one.
 * Any violation aborts, so libFuzzer records the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

/* The name elf_parse() uses in its messages, so that the two paths give
 * identical text. */
#define MEM_NAME "<memory>"

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_info(const struct elf_info *a, const struct elf_info *b)
{
	size_t i;

	if (a->elf_class != b->elf_class || a->machine != b->machine ||
	    a->type != b->type || !same_str(a->interp, b->interp) ||
	    !same_str(a->runpath, b->runpath) || a->needed.nr != b->needed.nr)
		return false;
	for (i = 0; i < a->needed.nr; i++)
		if (strcmp(a->needed.v[i], b->needed.v[i]) != 0)
			return false;
	return true;
}

static bool is_empty(const struct elf_info *ei)
{
	return !ei->interp && !ei->runpath && ei->needed.nr == 0 &&
	       ei->needed.v[0] == NULL;
}

static void check_result(int rc, const struct elf_info *ei, const struct strbuf *err,
			 const uint8_t *data, size_t size)
{
	bool magic = size >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0;
	size_t i;

	CHECK(rc == 0 || rc == 1 || rc == -1);
	CHECK((rc == 1) == !magic);
	if (rc == 1) {
		CHECK(err->len == 0 && is_empty(ei));
		return;
	}
	if (rc == -1) {
		CHECK(err->len > 0 && !memchr(err->buf, '\n', err->len));
		CHECK(is_empty(ei));
		return;
	}
	CHECK(err->len == 0);
	CHECK(ei->elf_class == 1 || ei->elf_class == 2);
	CHECK(!ei->interp || (ei->interp[0] && strlen(ei->interp) <= ELF_MAX_NAME));
	CHECK(ei->needed.nr <= ELF_MAX_NEEDED && ei->needed.v[ei->needed.nr] == NULL);
	for (i = 0; i < ei->needed.nr; i++)
		CHECK(strlen(ei->needed.v[i]) <= ELF_MAX_NAME);
	CHECK(!ei->runpath || strlen(ei->runpath) <= ELF_MAX_RUNPATH);
}

/* A memory file reused for every input. */
static int memory_file(void)
{
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
	}
	return fd;
}

static void write_all(int fd, const uint8_t *data, size_t size)
{
	size_t done = 0;

	CHECK(ftruncate(fd, 0) == 0);
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		CHECK(n > 0);
		done += (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT, ferr = STRBUF_INIT, rerr = STRBUF_INIT;
	struct elf_info ei, fi;
	int rc, frc, rrc, fd = memory_file();

	elf_info_init(&ei);
	elf_info_init(&fi);
	rc = elf_parse(data, size, &ei, &err);
	check_result(rc, &ei, &err, data, size);

	write_all(fd, data, size);
	frc = elf_read_fd(fd, MEM_NAME, &fi, &ferr);
	if (frc != rc || strcmp(ferr.buf, err.buf) != 0)
		fprintf(stderr, "memory: %d '%s'; file: %d '%s'\n", rc, err.buf,
			frc, ferr.buf);
	CHECK(frc == rc);
	CHECK(strcmp(ferr.buf, err.buf) == 0);
	CHECK(same_info(&fi, &ei));

	/* fi holds a result now: parsing into it must release and replace it. */
	rrc = elf_parse(data, size, &fi, &rerr);
	CHECK(rrc == rc);
	CHECK(strcmp(rerr.buf, err.buf) == 0);
	CHECK(same_info(&fi, &ei));

	elf_info_release(&ei);
	elf_info_release(&fi);
	strbuf_release(&err);
	strbuf_release(&ferr);
	strbuf_release(&rerr);
	return 0;
}
