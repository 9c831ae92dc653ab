/* lean.h - the launcher the gates name, and its way to sandbox-venv.
 *
 * sandbox-venv-launch is this same program built with SV_LEAN: with musl
 * where the init is (Makefile), linked statically, without libseccomp.
 * glibc's start (its loader, its probes of the processor) takes a launch
 * more than half a millisecond on a virtual machine, musl's a tenth of
 * that (bench/RESULTS.md). The gates name it when it is installed beside
 * sandbox-venv or in ../libexec/sandbox-venv (lean_gate_launcher).
 *
 * It does the launches it can do exactly as sandbox-venv would, and hands
 * the rest to sandbox-venv by exec, with the same arguments and
 * environment, before the launch has changed anything (lean_hand_over):
 *
 *   - any command but --gate;
 *   - a user that a database other than the files may answer for:
 *     nsswitch.conf names more for passwd or group than "files" and
 *     "systemd", or the caller, or the owner of the venv or of its
 *     project, is not in /etc/passwd (the caller's group: /etc/group);
 *   - a system call filter that is not kept in the venv's state for this
 *     build, kernel and libseccomp, or an allowlist
 *     (SANDBOX_SECCOMP_ALLOW): libseccomp makes them;
 *   - a network reached through the proxy (--network=allow=...), which
 *     resolves names as the host's C library does.
 *
 * sandbox-venv is found as the init is (run.h: run_open_beside): beside
 * this binary, then in ../../bin, through directories that only root or
 * the binary's owner can change. In the full build, lean_build is false
 * and lean_hand_over is never called.
 */
#ifndef SV_LEAN_H
#define SV_LEAN_H

#include <stdbool.h>

#include "strbuf.h"
#include "strvec.h"
#include "util.h"

extern const bool lean_build;

/* main's argv, for the hand-over. */
void lean_keep_args(char **argv);

/* Exec sandbox-venv with this process's arguments and environment; why,
 * for VERBOSE. Not one that lies where sandboxes write: the venv's, once
 * a launch has said where that is (lean_set_reach), else those of the
 * caller's list (reach.h). Dies when it cannot. */
void lean_hand_over(const char *why) ATTR_NORETURN;
/* The places the venv's sandboxes write (reach.h), put in out by fn
 * when a hand-over asks: a launch knows them once it knows the venv. */
void lean_set_reach(void (*fn)(struct strvec *out, void *data), void *data);

/* The lean build: hands over unless the files alone answer for the
 * caller (above). The full build: nothing. */
void lean_check_users(void);

/* Whether every line of nsswitch.conf (its size bytes at conf) for db
 * ("passwd") names the files first and, after them, nothing but systemd.
 * No such line: the C library's default, the files. */
bool lean_files_answer(const char *conf, size_t size, const char *db);

/* run_check_program (run.h) for the program at path, if one is there:
 * 0, or -1 with err. */
int lean_check_program(const char *path, const struct strvec *reach, struct strbuf *err);
/* The same for this binary and the other build beside it (the lean
 * build's sandbox-venv, sandbox-venv's lean build): every launch, since
 * its sandbox could rewrite the one that is not running. */
int lean_check_launchers(const struct strvec *reach, struct strbuf *err);

/* The launcher the gates name: sandbox-venv-launch beside this binary,
 * or in ../libexec/sandbox-venv, when it is there and trusted and would
 * hand over to this very binary; else exe. Newly allocated. */
char *lean_gate_launcher(const char *exe);

#endif
