/* launch.h - what a gate runs: the sandboxed start of one entry point.
 *
 * What MUST hold (DESIGN.md, "The invariant"):
 *  1. The venv is found from the gate's own path on the host; the policy is
 *     read from the state directory with O_NOFOLLOW and must name this venv.
 *  2. bwrap is executed from its fixed path (BWRAP_PATH), never found
 *     through PATH, with an environment built from the safe list alone.
 *  3. .env is parsed as data; it cannot change BWRAP_ARGS, SANDBOX_* or
 *     VERBOSE, and it is refused when it is not a regular file.
 *  4. Every venv directory handed to bwrap is an fd opened with
 *     O_NOFOLLOW; a symlink planted in its place stops the launch.
 *  5. Nothing is printed on a successful launch unless VERBOSE is set, or
 *     unless the sandbox created a .git (or a bare repository's HEAD) at
 *     the project's top where there was none: that is renamed aside when
 *     the sandbox ends, and said.
 *  6. The user's options (recorded and BWRAP_ARGS, checked at every
 *     launch: bwrapopts.h) mount, make or change nothing at a path that
 *     goes into what sandboxes write and keep (the project, the venv, any
 *     place of reach.h, a bind of theirs from one or a writable one, a
 *     link an option made), nor at /: bwrap follows the symlinks a sandbox
 *     can leave on the way. A bind source below such a place is opened
 *     from the place down without following links. A writable bind's
 *     source, as bwrap reaches it, is no kernel file system (proc, sysfs,
 *     cgroup, ...; devtmpfs and devpts for a directory) and holds none
 *     below it; elsewhere it is bound from the descriptor checked.
 *  7. The layout (plan.h) is chosen from the kernel and the caller's own
 *     environment only (LAYOUT_ENV; .env cannot set it, rule 3): Landlock
 *     path rules wherever the kernel has Landlock, one bind per file where
 *     it has not or where the caller asks for it. VERBOSE and --check say
 *     which.
 */
#ifndef SV_LAUNCH_H
#define SV_LAUNCH_H

#include "plan.h"
#include "state.h"
#include "strbuf.h"
#include "venv.h"

/* The caller's switch: "binds" forces the per-file layout, "landlock"
 * insists on the Landlock layout (an error where the kernel has none);
 * unset or empty, the kernel decides. */
#define LAYOUT_ENV "SANDBOX_LAYOUT"

struct launch_layout {
	enum plan_layout layout;
	int abi;              /* the kernel's Landlock ABI */
	bool forced;          /* the per-file layout because LAYOUT_ENV says so */
};

/* The layout for launches from this environment, or -1 with err (a value
 * of LAYOUT_ENV it does not know, or "landlock" without Landlock). */
int launch_choose_layout(struct launch_layout *out, struct strbuf *err);
/* One line, "layout: ...", without a newline. */
void launch_describe_layout(const struct launch_layout *l, struct strbuf *out);

/* Run the entry point whose gate is at gate_path with args, and return its
 * exit status once the sandbox has ended (after pip, with the gates
 * reconciled). Dies on error. */
int launch_gate(const char *exe, const char *gate_path, const char *const *args);

/* Try pol (not recorded yet) in the layout a launch of v really has, with
 * the sandbox's init as the program: so that bwrap judges the recorded
 * options where they will be used (a bind to a path that exists only in
 * the sandbox's own /tmp, say). v's home and cache must exist. Returns 0,
 * or -1 with bwrap's own words in err. */
int launch_probe(struct venv *v, struct policy *pol, struct strbuf *err);

#endif
