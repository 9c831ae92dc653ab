/* wrap.h - turn a venv into a sandboxed one, and keep it so.
 *
 * What MUST hold (DESIGN.md, "The invariant"):
 *  1. The files the host executes or sources in $venv/bin (gates, activate
 *     scripts) are written only here, on the host; no sandbox sees them.
 *  2. The policy (bwrap arguments, the base interpreter, the library cache)
 *     is recorded in $venv/.sandbox-venv, which no sandbox can write, and is
 *     read back with O_NOFOLLOW relative to the venv's fd.
 *  3. The base interpreter is found once, here, from pyvenv.cfg; a launch
 *     never reads pyvenv.cfg. It must not live in the venv or the project.
 *  4. State changes hold the venv's lock, and each file is replaced by
 *     rename, so a crash leaves the old state or the new.
 */
#ifndef SV_WRAP_H
#define SV_WRAP_H

#include <sys/types.h>
#include "libdeps.h"
#include "state.h"
#include "strbuf.h"
#include "strvec.h"
#include "venv.h"

#ifndef BWRAP_PATH
#define BWRAP_PATH "/usr/bin/bwrap"
#endif

/* The project (v->project: the venv's parent, or the directory the user
 * named, `named`) becomes writable in every sandbox: refuse one that is
 * "/", holds the home directory, lies inside the venv, holds another venv
 * (whose gates a sandbox could then rewrite), or, when not named, lies in
 * the user's cache directory (poetry's venvs: the whole cache would be
 * writable). Errors carry a hint. */
int wrap_check_project(struct venv *v, const char *home, bool named, struct strbuf *err);
/* Make dir (resolved) the venv's project. */
int wrap_set_project(struct venv *v, const char *dir, struct strbuf *err);
/* A venv wrapped with --project before keeps that project: returns 1
 * when v->project was set from the recorded policy. */
int wrap_recorded_project(struct venv *v);

/* Build the policy for an opened venv from its pyvenv.cfg and bin/. */
int wrap_make_policy(struct venv *v, const struct strvec *bwrap_args,
		     struct policy *pol, struct strbuf *err);
/* Check that bwrap makes a sandbox here; learn whether it supports
 * --disable-userns. The first run starts in the background
 * (wrap_probe_start) while the caller reads what it needs; finishing it
 * waits. Errors carry a hint. A yes to both is remembered for this user
 * while bwrap, the boot, the user-namespace sysctls and the caller's
 * namespaces and filters stay the same (no run then). (The options to
 * record are tried in a launch's own layout: launch_probe.) Every start
 * is followed by a finish. */
struct wrap_probe {
	pid_t pid;              /* the first run, or -1 */
	int err_fd;             /* its stderr */
	bool remembered;        /* yes, from an earlier run */
	struct strbuf key;      /* what the answer depends on */
};
void wrap_probe_start(struct wrap_probe *p);
int wrap_probe_finish(struct wrap_probe *p, bool *disable_userns, struct strbuf *err);

/* Collect the host libraries the sandbox needs and write the cache. In two
 * parts, so that a wrap does the first while bwrap is probed: what the
 * trusted host paths need (the interpreter, the table in plan.c, the
 * standard library's modules), into ld (libdeps_init()ed); then what the
 * venv's lib/ and private bin need, and the write. */
int wrap_scan_host_libs(const struct policy *pol, struct libdeps *ld, struct strbuf *err);
int wrap_write_libs(struct venv *v, struct libdeps *ld, struct strbuf *err);
int wrap_update_libs(struct venv *v, const struct policy *pol, struct strbuf *err);
/* Read the recorded policy of a wrapped venv. */
int wrap_read_policy(struct venv *v, struct policy *pol, struct strbuf *err);
/* The whole wrap: lock, record policy, libraries, gates. The options
 * recorded are those recorded before (none with reset) and then each of
 * bwrap_args (checked by bwrapopt_check) not there yet; the permissions
 * (perms.h) those recorded before (the defaults with reset), changed by
 * each option in perms. Both are tried in a launch's layout before
 * anything is written. */
int wrap_venv(struct venv *v, const char *exe, const struct strvec *bwrap_args,
	      const struct strvec *perms, bool reset, struct strvec *gated, struct strbuf *err);
/* At launch: if bin/ or the private bin changed since the last wrap or
 * reconcile (two fstat calls when nothing did), gate newcomers, drop stale
 * gates, refresh the library cache, and say on stderr what was gated. */
int wrap_sync_if_changed(struct venv *v, const struct policy *pol, const char *exe,
			 struct strbuf *err);
/* --unwrap: give the venv its entry points back and drop the state. */
int wrap_unwrap(struct venv *v, struct strbuf *err);
/* --check: one line per finding; none when the venv is intact. */
int wrap_check(struct venv *v, const char *exe, struct strvec *findings, struct strbuf *err);
/* After a sandbox may have changed the private bin: gates and libraries. */
int wrap_reconcile(struct venv *v, const char *exe, struct strbuf *err);

#endif
