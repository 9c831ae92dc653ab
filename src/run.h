/* run.h - execute bwrap for a finished plan.
 *
 * The only place that starts bwrap: from its fixed path (BWRAP_PATH), with
 * the plan's environment, its options passed through a sealed memory file
 * (--args), so that nothing of them shows in the process list.
 */
#ifndef SV_RUN_H
#define SV_RUN_H

#include <stdbool.h>
#include "strbuf.h"
#include "strvec.h"

/* Run bwrap with options `opts`, then "--" and `argv`, environment `env`.
 * When wait is false, exec: returns only on error. When wait is true,
 * fork and wait; *status is the exit code as a shell reports it (128+N for
 * a death by signal N). Returns -1 with err on failure. */
int run_sandbox(const struct strvec *opts, const struct strvec *argv,
		const struct strvec *env, bool wait, int *status, struct strbuf *err);

#endif
