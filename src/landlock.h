/* landlock.h - the sandbox's two Landlock domains.
 *
 * The scope domain (ABI 6, Linux 6.12): its processes cannot connect to
 * an abstract unix socket created outside it (X11, D-Bus, a host agent)
 * nor send a signal to a process outside it, even when they share the
 * host's network namespace. It handles no file system or network rights,
 * so bwrap still builds its mount layout under it. The launcher prepares
 * it before it forks, and its child enters it right before it execs bwrap,
 * so every process of the sandbox, bwrap included, is in it and the
 * launcher is not. Processes outside it (the launcher) can still signal in.
 *
 * The path domain (ABI 1, Linux 5.13): nested inside the first, entered by
 * the program's process in the sandbox's init, after bwrap has built the
 * mounts and right before the program runs. It handles every file system
 * right the kernel knows and allows each path only what the plan says
 * (plan.h, "the Landlock layout"): the rules arrive as records, written
 * by landlock_rules_add() on the host and read by landlock_path_ruleset()
 * inside, or, for a launch, in two halves: landlock_host_ruleset() on the
 * host, landlock_finish_ruleset() inside.
 */
#ifndef SV_LANDLOCK_H
#define SV_LANDLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

/* The Landlock ABI that introduced scopes, and file system rules. */
#define LANDLOCK_SCOPE_MIN_ABI 6
#define LANDLOCK_PATHS_MIN_ABI 1

/* What a path rule allows, by class (the record's first byte). */
/* No class that other sandboxes share may make a socket: two sandboxes
 * that meet at one pass each other descriptors, and a descriptor of a
 * sandbox's project mount, kept by another after the first has ended,
 * reaches what was mounted read-only over its venv (those mounts go with
 * the first sandbox's namespace). Only a private file system (/tmp) may. */
enum landlock_class {
	LANDLOCK_READ = 'r',    /* read files, list directories, execute */
	LANDLOCK_WRITE = 'w',   /* all of it but device nodes, device ioctls, sockets */
	LANDLOCK_PRIVATE = 't', /* LANDLOCK_WRITE and sockets: a sandbox's own tmpfs */
	LANDLOCK_DEV = 'd',     /* LANDLOCK_WRITE and device ioctls: /dev */
	LANDLOCK_PROC = 'p',    /* read, list, write, truncate: /proc */
};

/* The kernel's Landlock ABI version: 0 when Landlock is missing or
 * disabled, otherwise 1, 2, ... */
int landlock_abi(void);

/* The scope ruleset for a kernel with ABI abi. Returns its fd
 * (close-on-exec); -1 when abi < LANDLOCK_SCOPE_MIN_ABI (nothing to do, not
 * an error); -2 with err when the kernel refuses it. */
int landlock_scope_ruleset(int abi, struct strbuf *err);

/* Append one rule record: CLASS PATH NUL. path is absolute and non-empty. */
void landlock_rules_add(struct strbuf *rules, enum landlock_class c, const char *path);

/* Inside the sandbox: the path ruleset for ABI abi (>= 1) from the
 * records in rules[0..len), plus, for descriptors 0, 1 and 2, rules that
 * let them be reopened (/dev/stdin, /proc/self/fd/N) with no more than
 * their own open mode. A path that does not exist is skipped; anything
 * else that fails is an error. Returns the ruleset's fd (close-on-exec),
 * or -1 with err. */
int landlock_path_ruleset(int abi, const char *rules, size_t len, struct strbuf *err);

/* The same in two halves. On the host, while bwrap builds the mounts: a
 * ruleset with the records whose paths name the same file on the host as
 * inside (plan.h), opened here. Inside: the rest of the records and the
 * rules for 0, 1 and 2, added to that ruleset. Return the ruleset's fd
 * (close-on-exec), and 0; -1 with err. */
int landlock_host_ruleset(int abi, const char *rules, size_t len, struct strbuf *err);
int landlock_finish_ruleset(int ruleset, int abi, const char *rules, size_t len,
			    struct strbuf *err);

/* The file system rights the ruleset handles on a kernel with ABI abi,
 * and what class c allows before that cut (bits as in <linux/landlock.h>).
 * Exported for the tests. */
uint64_t landlock_fs_rights(int abi);
uint64_t landlock_class_rights(enum landlock_class c);

/* Confine the calling thread to the ruleset (no_new_privs is set first
 * when it is not yet). Only async-signal-safe calls: meant for a child
 * between fork and exec. Returns 0, or -1 with errno. */
int landlock_restrict(int ruleset_fd);

#endif
