/* run.h - execute bwrap for a finished plan, and stay to pass signals on.
 *
 * The only place that starts bwrap: from its fixed path (BWRAP_PATH), with
 * the plan's environment, its options passed through a sealed memory file
 * (--args), so that nothing of them shows in the process list. The program
 * runs under the sandbox's init (init.h), inside a Landlock scope domain
 * where the kernel has one (landlock.h); the launcher stays outside it, as
 * bwrap's parent. See run.c for what must hold.
 */
#ifndef SV_RUN_H
#define SV_RUN_H

#include <stddef.h>
#include "strbuf.h"
#include "strvec.h"

enum run_flags {
	RUN_VERBOSE = 1 << 0,	/* print the command line and the Landlock state */
};

struct run_spec {
	const struct strvec *opts;   /* bwrap options (plan_to_args) */
	const int *fds;              /* every descriptor those options name */
	size_t nr_fds;
	const struct strvec *argv;   /* the program and its arguments */
	const struct strvec *env;    /* bwrap's environment */
	const struct strbuf *rules;  /* the init's path rules (landlock.h), or NULL */
	unsigned int flags;          /* enum run_flags */
};

/* Run bwrap with spec->opts (plus the init's own), then "--", the init and
 * spec->argv. Only the descriptors in spec->fds (and the init's own) reach
 * bwrap; every other one the launcher has is close-on-exec. *status is the
 * program's exit status as a shell reports it (128+N for a death by signal
 * N). Returns 0 when the sandbox has ended, -1 with err when bwrap could
 * not be started. */
int run_sandbox(const struct run_spec *spec, int *status, struct strbuf *err);

#endif
