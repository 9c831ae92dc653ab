/* init.h - the first process inside every sandbox.
 *
 * bwrap runs it as pid 1 (--as-pid-1) in place of the program:
 *
 *   /proc/self/fd/N --init MASK CHANNEL [OPTION...] -- PROGRAM [ARGS...]
 *
 * It is sandbox-venv-init, a static program of the same sources
 * (init-main.c), where the install put it, or else the launcher's own
 * binary; bwrap runs either from a descriptor the launcher passes (run.c),
 * which the init closes first; it is bound read-only at INIT_PATH as well
 * only where a name inside runs it (the links' helper). It closes
 * every descriptor but 0, 1, 2, CHANNEL and its options' own, gives the
 * program the signal dispositions of the launcher's caller (MASK, in hex: bit N-1 set when
 * signal N was ignored; every other signal at its default), starts it as
 * the leader of a session of its own, with the terminal on its 0, 1 or 2
 * (the sandbox's own: pty.h) as its controlling one, with descriptors 0, 1
 * and 2 only, passes on the signals the launcher forwards, reaps every
 * orphan, and exits with the program's status (128+N for a death by signal
 * N). CHANNEL is one end of a socket pair whose other end only the
 * launcher holds: the init writes INIT_STOPPED there when the program has
 * stopped and, with it, the whole sandbox (INIT_CONTINUE continues it);
 * when it closes, the launcher is gone, and the init exits at once, which
 * ends every process of the sandbox. The init runs under the
 * same seccomp filter as the program; the allowlist mode always allows
 * what it uses (scfilter.c).
 *
 * OPTIONs, each NAME=VALUE, each at most once:
 *   proxy=FD   FD is a socket to the launcher: before the program starts,
 *              the init makes the network proxy's listeners in the
 *              sandbox's network and hands them over on it (proxy.h),
 *              then closes its copies and FD. The program, as always,
 *              starts with 0, 1 and 2 only.
 *   build=ID   first (the launcher always passes it): the sources the
 *              launcher was built from (SV_BUILD_ID). An init built from
 *              others exits at once with status 127 and says so, rather
 *              than misread what it was handed.
 *   rules=FD   FD is a sealed memory file of Landlock path rules
 *              (landlock.h) that the init reads and closes before anything
 *              else of the sandbox runs: the program then starts inside a
 *              domain built from them, which the init itself stays out of.
 */
#ifndef SV_INIT_H
#define SV_INIT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Which sources the launcher and the init were built from (Makefile). */
#ifndef SV_BUILD_ID
#define SV_BUILD_ID "unknown"
#endif

/* Where the init is bound inside the sandbox, and its role argument. */
#define INIT_DIR "/run/sandbox-venv"
#define INIT_PATH INIT_DIR "/init"
#define INIT_ROLE "--init"

/* Variables that act on a process before its main() (the dynamic loader's
 * LD_*, glibc's tunables) are set for the program only: the plan hands
 * them to bwrap as INIT_ENV_PREFIX<n>=NAME=VALUE (n = 0, 1, ... in order),
 * and the init sets NAME=VALUE right before it execs the program, so they
 * never act on the init itself (a broken LD_PRELOAD in .env, say). */
#define INIT_ENV_PREFIX "SANDBOX_VENV_LOADER_"
#define INIT_ENV_MAX 4096
bool init_env_is_loader(const char *name);

/* The signals the launcher passes on, through the init, to the program:
 * sent by a process to the gate's pid, or by the caller's terminal. The
 * launcher sends them to the init with si_code SI_QUEUE and the value
 * INIT_SIG_GROUP when they are for the program's whole process group (the
 * terminal's, and job control's), 0 for the program alone. */
#define INIT_SIG_GROUP 1
/* What the init writes on the channel when the program has stopped: this
 * byte, then the number of the signal that stopped it. */
#define INIT_STOPPED 'S'
/* What the launcher writes there when the launch is continued. */
#define INIT_CONTINUE 'C'
/* What the init writes there when the program has ended, last: this byte,
 * then the status it exits with. The launcher takes it once the init is
 * gone (its pidfd), and with it everything of the sandbox, without
 * waiting for bwrap to see that and exit as well. */
#define INIT_EXITED 'E'
/* With rules=: what the launcher writes there first, this byte and the
 * path ruleset it has begun on the host (landlock_host_ruleset), which the
 * init finishes with the rules of rules= before the program runs. */
#define INIT_RULESET 'R'
/* Without rules=: what the launcher writes there first, this byte alone,
 * once bwrap has all its options. In either case the program starts only
 * after that first message: a launcher that died while it gave bwrap its
 * options leaves no sandbox built from a part of them (run.c). */
#define INIT_GO 'G'
void init_forwarded_set(sigset_t *set);
bool init_is_forwarded(int sig);

/* The mask of the signals the calling process ignores, as MASK above. */
uint64_t init_ignored_signals(void);

/* "INIT --init MASK CHANNEL [OPTION...] -- PROGRAM [ARGS...]",
 * argv starting at MASK.
 * Returns the exit status for main(). */
int init_main(int argc, char **argv);

#endif
