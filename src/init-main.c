/* init-main.c - sandbox-venv-init: the sandbox's init (init.h) as a
 * program of its own. It is linked statically (Makefile), so that bwrap
 * starts it without a loader, and the launcher runs it in place of its own
 * binary where the install put it (run.c). Whatever that binary does
 * inside a sandbox, this one does too: be the init, be xdg-open (links.h),
 * say its version. */
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "init.h"
#include "links.h"
#include "util.h"

/* The ELF header, where the linker put it: the start of the first
 * segment, which the kernel's AT_PHDR does not tell. */
extern const ElfW(Ehdr) __ehdr_start;

/* What the linker marked to be read-only once relocated (the GOT, the
 * tables of pointers), made so. glibc's start-up does it; musl's static
 * PIE start-up leaves it writable. Before anything else runs. A binary
 * linked without the mark has nothing to protect; one whose mark cannot be
 * applied is not started, as glibc's loader would not start it. */
static void protect_relro(void)
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
		fprintf(stderr, PROG "-init: cannot find its program headers\n");
		exit(127);
	}
	start = (base + relro->p_vaddr) & ~(page - 1);
	end = (base + relro->p_vaddr + relro->p_memsz) & ~(page - 1);
	if (end > start && mprotect((void *)start, end - start, PROT_READ) < 0) {
		fprintf(stderr, PROG "-init: cannot make its relocated data read-only\n");
		exit(127);
	}
}

int main(int argc, char **argv)
{
	protect_relro();
	if (argc >= 2 && !strcmp(argv[1], INIT_ROLE))
		return init_main(argc - 2, argv + 2);
	/* xdg-open and the browsers' names inside are links to the init
	 * (links.h), as they are to the launcher's binary. */
	if (argc >= 1 && links_is_client(argv[0]))
		return links_client_main(argc, argv);
	/* The launcher's trial run of a sandbox (launch_probe) runs this. */
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		puts(PROG "-init " VERSION);
		return 0;
	}
	fputs("sandbox-venv-init: the first process of each of sandbox-venv's sandboxes, "
	      "which sandbox-venv starts there; not a command\n", stderr);
	return 2;
}
