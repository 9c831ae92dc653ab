/* elf.h - bounded ELF reader: PT_INTERP, DT_NEEDED, RUNPATH.
 *
 * Nothing here executes the file it inspects (unlike ldd). The input is
 * hostile:
 *
 * 1. Every offset, size and count read from the file is checked for
 *    overflow and against the file size before it is used.
 * 2. Counts and lengths are capped (ELF_MAX_* below); a file over a cap is
 *    malformed, never truncated silently.
 * 3. Strings are read only inside their table and must end with a NUL
 *    inside it.
 * 4. Both classes (32, 64 bit) and both byte orders are decoded; fields
 *    are read byte by byte, so no alignment is assumed.
 * 5. elf_read_fd() reads only the file's first ELF_HEAD_BYTES (where the
 *    headers, and in a small file the strings, lie: one read), then what
 *    else of PT_INTERP, PT_DYNAMIC and the strings it needs, with pread;
 *    the parser's own reads never add up to more than ELF_MAX_READ bytes.
 */
#ifndef SV_ELF_H
#define SV_ELF_H

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"
#include "strvec.h"

/* More program headers than this is malformed (also rejects PN_XNUM). */
#define ELF_MAX_PHDRS 4096
/* Dynamic entries read before DT_NULL. */
#define ELF_MAX_DYN 16384
/* DT_NEEDED entries per file. */
#define ELF_MAX_NEEDED 1024
/* Length of the PT_INTERP path and of a DT_NEEDED name, NUL excluded. */
#define ELF_MAX_NAME 4095
/* Length of a DT_RUNPATH / DT_RPATH string, NUL excluded. */
#define ELF_MAX_RUNPATH 65535
/* Bytes read from one file, all parts together. */
#define ELF_MAX_READ ((uint64_t)64 << 20)
/* Read at once when a file is opened: its headers, the program headers
 * of all but odd files, and often the strings. */
#define ELF_HEAD_BYTES 4096

struct elf_info {
	uint8_t elf_class;       /* ELFCLASS32 or ELFCLASS64 */
	uint16_t machine;        /* e_machine */
	uint16_t type;           /* e_type (ET_EXEC, ET_DYN, ...) */
	char *interp;            /* PT_INTERP path, or NULL */
	struct strvec needed;    /* DT_NEEDED names, in order */
	char *runpath;           /* DT_RUNPATH, else DT_RPATH, else NULL (raw string) */
};

void elf_info_init(struct elf_info *ei);
/* Free what ei holds and leave it as elf_info_init() does. */
void elf_info_release(struct elf_info *ei);

/* Parse an ELF image held in memory into ei (initialised by the caller; its
 * previous contents are released). Returns 0 on success, 1 when data is not
 * an ELF file at all (no \x7fELF magic: not an error, ei left empty), -1 on
 * a malformed ELF with one line in err (ei left empty). */
int elf_parse(const unsigned char *data, size_t len, struct elf_info *ei,
	      struct strbuf *err);

/* Read the ELF at fd (a regular file; its file offset is not used) with
 * pread, only the parts elf_parse() looks at, and parse it. Same return
 * convention as elf_parse(); read errors and a non-regular file are -1.
 * `what` names the file in errors. */
int elf_read_fd(int fd, const char *what, struct elf_info *ei,
		struct strbuf *err);
/* The same, for a caller that has fstat()ed fd already (into st). */
struct stat;
int elf_read_fd_stat(int fd, const struct stat *st, const char *what,
		     struct elf_info *ei, struct strbuf *err);

/* fd's first bytes are ELF's magic (one read). */
bool elf_magic_fd(int fd);

#endif
