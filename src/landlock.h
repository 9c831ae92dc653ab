/* landlock.h - a scope-only Landlock domain around the sandbox.
 *
 * Landlock ABI 6 (Linux 6.12) can scope a process and its descendants:
 * they cannot connect to an abstract unix socket created outside their
 * domain (X11, D-Bus, a host agent) nor send a signal to a process
 * outside it, even when they share the host's network namespace. The
 * ruleset handles no file system or network rights, so bwrap still builds
 * its mount layout under it; namespaces and the seccomp filter do the
 * rest. Processes outside the domain (the launcher) can still signal in.
 *
 * The launcher prepares the ruleset before it forks, and its child applies
 * it right before it execs bwrap, so every process of the sandbox, bwrap
 * included, is in the domain and the launcher is not.
 */
#ifndef SV_LANDLOCK_H
#define SV_LANDLOCK_H

#include "strbuf.h"

/* The Landlock ABI that introduced scopes. */
#define LANDLOCK_SCOPE_MIN_ABI 6

/* The kernel's Landlock ABI version: 0 when Landlock is missing or
 * disabled, otherwise 1, 2, ... */
int landlock_abi(void);

/* Create the ruleset for a kernel with ABI abi. Returns its fd
 * (close-on-exec); -1 when abi < LANDLOCK_SCOPE_MIN_ABI (nothing to do, not
 * an error); -2 with err when the kernel refuses it. */
int landlock_scope_ruleset(int abi, struct strbuf *err);

/* Set no_new_privs and confine the calling thread to the ruleset. Only
 * async-signal-safe calls: meant for a child between fork and exec.
 * Returns 0, or -1 with errno. */
int landlock_scope_apply(int ruleset_fd);

#endif
