/* gate.h - the files in $venv/bin that start entry points in the sandbox.
 *
 * A gate is a tiny script whose interpreter is the sandbox-venv binary:
 *
 *   #!/usr/bin/sandbox-venv --gate
 *   # sandbox-venv gate: runs this entry point inside the venv's sandbox
 *   exec '/usr/bin/sandbox-venv' --gate "$0" "$@"
 *
 * The kernel runs "sandbox-venv --gate $venv/bin/NAME ARGS..." with no
 * shell in between; the third line serves "sh $venv/bin/NAME" too.
 *
 * The host side executes only gates and activate scripts, and only
 * sandbox-venv writes them. The real entry points live in the private bin
 * ($venv/.sandbox-venv/bin), which sandboxes see as $venv/bin.
 */
#ifndef SV_GATE_H
#define SV_GATE_H

#include <stdbool.h>
#include "strbuf.h"
#include "strvec.h"
#include "venv.h"

#define GATE_MARKER "# sandbox-venv gate: runs this entry point inside the venv's sandbox\n"
#define GATE_SHELL "shell"
/* Starts what sandbox-venv appends to the POSIX activate script. */
#define ACTIVATE_MARKER "\n# Added by sandbox-venv: deactivate_sandbox restores an ordinary venv.\n"
#define GATE_MAX_BYTES 4096
/* Read-only: a host tool that would write into a gate in place (cp over
 * it, venv re-run on it) fails loudly rather than leaving an entry point
 * that runs unsandboxed. Replacing it by rename still works. */
#define GATE_MODE 0555

void gate_render(const char *exe, struct strbuf *out);

/* Names a package can never claim: they are sourced or run by the host
 * (activate*, deactivate*, Activate.ps1), reserved (shell), hidden (".x"),
 * or carry control characters. */
bool entry_name_reserved(const char *name);
/* Names that would shadow a host program that asks for a password or a
 * key (sudo, ssh, git, gpg, ...) on an activated venv's PATH: such an
 * entry point stays in the private bin, usable inside, and gets no gate. */
bool entry_name_shadows(const char *name);
/* activate scripts the venv tools write; they stay in the host bin. */
bool entry_is_activate(const char *name);

/* Refuse a bin/ we cannot wrap (a broken symlink), changing nothing. */
int gate_check_bin(struct venv *v, struct strbuf *err);

/* Wrap time: for every program in bin/ that is not a gate, hard-link it
 * into the private bin and give bin/ a gate in its place. The first wrap
 * builds a new bin/, exchanges it with the old one in one rename, and
 * renames the old one, whole, into the private bin; later ones rename
 * each gate over its name, so a name is the old program or the gate, never
 * missing. Copy activate scripts into the private bin. Write the shell
 * gate. Names gated are appended to `done`; on a venv wrapped before, each
 * also gets a line in `notes` (it came by another route). So does each
 * script that names a moved venv's python (gate_stale_scripts(); on a
 * first wrap, from the reads that tell gates). The caller has run
 * gate_check_bin() first. Returns 1 when all it wrote is on disk (the
 * first wrap syncs before its exchange), 0 when a sync is still due, -1
 * with err. */
int gate_wrap_bin(struct venv *v, const char *exe, struct strvec *done,
		  struct strvec *notes, struct strbuf *err);

/* bin/shell is a gate: the venv was wrapped (a first wrap writes it
 * before the exchange, and every wrap keeps it). */
bool gate_wrapped(struct venv *v);
/* A first wrap killed after its exchange, before the old bin/ became the
 * private bin: do that rename. Called whenever the state is opened
 * (venv.h). Returns 1 when it did, 0 when there was nothing to do, -1
 * with err. */
int gate_finish_first_wrap(struct venv *v, struct strbuf *err);

/* After a sandbox wrote the private bin: gate each new entry point (after
 * its name is checked), remove gates whose entry point is gone, and never
 * overwrite anything in bin/ that is not a gate. Messages about refused
 * names go to `notes`. Returns the number of gates written or removed. */
int gate_reconcile(struct venv *v, const char *exe, struct strvec *notes,
		   struct strbuf *err);

/* At launch, when bin/ or the private bin changed since the last wrap,
 * and at pip's end: gate programs that appeared in bin/ by another route
 * (each reported in notes), then gate_reconcile(), whose notes on refused
 * names go to notes only when say_refused. Returns the number of changes,
 * or -1. */
int gate_sync(struct venv *v, const char *exe, bool say_refused, struct strvec *notes,
	      struct strbuf *err);

/* Give every entry point its own name back in bin/ and restore the
 * activate scripts; the caller then removes the state directory. */
int gate_unwrap(struct venv *v, struct strbuf *err);

/* Scripts in dirfd (shown as `shown`) whose #! line names the python of
 * another place: the venv was moved, and venvs cannot be. One line each. */
void gate_stale_scripts(struct venv *v, int dirfd, const char *shown, struct strvec *out);

/* --check: append one line per thing in bin/ or the private bin that is
 * not as sandbox-venv wrote it. */
int gate_audit(struct venv *v, const char *exe, struct strvec *findings,
	       struct strbuf *err);

#endif
