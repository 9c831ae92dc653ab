/* init.h - the first process inside every sandbox.
 *
 * bwrap runs it as pid 1 (--as-pid-1) in place of the program:
 *
 *   INIT_PATH --init MASK LIFELINE RULES -- PROGRAM [ARGS...]
 *
 * It is this very binary, bound read-only into the sandbox. It closes
 * every descriptor but 0, 1, 2, LIFELINE and RULES, gives the program the signal
 * dispositions of the launcher's caller (MASK, in hex: bit N-1 set when
 * signal N was ignored; every other signal at its default), starts it in
 * the caller's process group with descriptors 0, 1 and 2 only, passes on
 * the signals the launcher forwards, reaps every orphan, and exits with the
 * program's status (128+N for a death by signal N). LIFELINE is the read
 * end of a pipe whose write end only the launcher holds: when it closes,
 * the launcher is gone, and the init exits at once, which ends every
 * process of the sandbox. RULES is "-", or a sealed memory file of Landlock
 * path rules (landlock.h) that the init reads and closes before anything
 * else of the sandbox runs: the program then starts inside a domain built
 * from them, which the init itself stays out of. The init runs under the
 * same seccomp filter as the program; the allowlist mode always allows
 * what it uses (scfilter.c).
 */
#ifndef SV_INIT_H
#define SV_INIT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Where the init is bound inside the sandbox, and its role argument. */
#define INIT_PATH "/run/sandbox-venv/init"
#define INIT_ROLE "--init"

/* Variables that act on a process before its main() (the dynamic loader's
 * LD_*, glibc's tunables) are set for the program only: the plan hands
 * them to bwrap as INIT_ENV_PREFIX<n>=NAME=VALUE (n = 0, 1, ... in order),
 * and the init sets NAME=VALUE right before it execs the program, so they
 * never act on the init itself (a broken LD_PRELOAD in .env, say). */
#define INIT_ENV_PREFIX "SANDBOX_VENV_LOADER_"
#define INIT_ENV_MAX 4096
bool init_env_is_loader(const char *name);

/* The signals passed on to the program when a process, not the terminal,
 * sends them: to the gate's pid (the launcher) or to the init. */
void init_forwarded_set(sigset_t *set);
bool init_is_forwarded(int sig);

/* The mask of the signals the calling process ignores, as MASK above. */
uint64_t init_ignored_signals(void);

/* "sandbox-venv --init MASK LIFELINE RULES -- PROGRAM [ARGS...]", argv
 * starting at MASK.
 * Returns the exit status for main(). */
int init_main(int argc, char **argv);

#endif
