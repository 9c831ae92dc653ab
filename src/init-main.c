/* init-main.c - sandbox-venv-init: the sandbox's init (init.h) as a
 * program of its own. It is linked statically (Makefile), so that bwrap
 * starts it without a loader, and the launcher runs it in place of its own
 * binary where the install put it (run.c). Whatever that binary does
 * inside a sandbox, this one does too: be the init, be xdg-open (links.h),
 * say its version. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "init.h"
#include "links.h"
#include "util.h"

int main(int argc, char **argv)
{
	protect_relro(PROG "-init");
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
