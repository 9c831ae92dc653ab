/* scfilter.h - the seccomp system call filter: a table, libseccomp, BPF.
 *
 * The policy is data: scfilter.c holds one row per rule (system call,
 * action, optional argument test, reason), and one loop turns the rows into
 * libseccomp rules. The result is exported as classic BPF into a sealed
 * memfd that the launcher hands to `bwrap --seccomp FD`; bwrap installs it
 * right before it execs the program, so it binds every process in the
 * sandbox, not only Python.
 *
 * Modes, chosen by SANDBOX_SECCOMP_ALLOW (see scfilter_parse):
 *
 *   SCFILTER_DEFAULT    everything is allowed except what the table denies.
 *   SCFILTER_ALLOWLIST  only the listed system calls are allowed, every other
 *                       one fails with EPERM. The rows marked
 *                       SCFILTER_KEEP (clone's namespace flags, clone3,
 *                       ioctl's TIOCSTI/TIOCLINUX) still apply, and execve is
 *                       always allowed, because bwrap installs the filter and
 *                       then execs the program: without execve nothing
 *                       would ever run.
 *   SCFILTER_OFF        no filter at all.
 *
 * In every mode with a filter, only the native architecture is accepted:
 * a call made through another ABI of the same kernel (i386 `int 0x80`, x32
 * numbers with bit 0x40000000 on x86_64) kills the process, so it cannot
 * reach a system call the native table denies.
 */
#ifndef SV_SCFILTER_H
#define SV_SCFILTER_H

#include <stddef.h>
#include <stdint.h>
#include "seal.h"
#include "strbuf.h"
#include "strvec.h"

enum scfilter_mode { SCFILTER_DEFAULT, SCFILTER_ALLOWLIST, SCFILTER_OFF };

struct scfilter_policy {
	enum scfilter_mode mode;
	struct strvec allow;	/* ALLOWLIST: distinct known system call names */
};

/* The first system call number this table was not written for: every
 * number from here on answers ENOSYS, in every mode (scfilter.c). 463 is
 * setxattrat (Linux 6.13); the numbers are shared by all architectures. */
#define SCFILTER_FIRST_UNREVIEWED 463

/* Caps on SANDBOX_SECCOMP_ALLOW. */
#define SCFILTER_VALUE_MAX 65536	/* bytes in the variable */
#define SCFILTER_NAMES_MAX 1024		/* names in the list */
#define SCFILTER_NAME_MAX 64		/* bytes in one name */

/* Parse the value of SANDBOX_SECCOMP_ALLOW: NULL (unset) -> DEFAULT;
 * set but only whitespace -> OFF; otherwise a whitespace-separated
 * allowlist of syscall names -> ALLOWLIST. An unknown name is an error:
 * "unknown system call 'foo' in SANDBOX_SECCOMP_ALLOW". p is overwritten
 * (not released first); on error it is left DEFAULT with no names. */
int scfilter_parse(const char *value, struct scfilter_policy *p, struct strbuf *err);
void scfilter_policy_release(struct scfilter_policy *p);

/* Build the BPF for the policy into a sealed memfd (close-on-exec: run.h
 * passes it to bwrap; offset 0) and return it in *fd_out; for OFF, *fd_out = -1 and 0 is
 * returned. In ALLOWLIST mode the list replaces the default policy: every
 * syscall not listed fails with EPERM, but the argument filters for ioctl
 * (TIOCSTI/TIOCLINUX) and clone (namespace flags) are kept, clone3 answers
 * ENOSYS even when listed (its flags are in memory, out of the filter's
 * sight; ENOSYS makes libc fall back to clone), and execve is always
 * allowed (bwrap execs the program after installing the filter). */
int scfilter_build_fd(const struct scfilter_policy *p, int *fd_out, struct strbuf *err);

/* The same, with the program kept in dirfd/name (the venv's state: no
 * sandbox sees it, but one may have written it before the venv was
 * wrapped, seal.h) and taken from there when it was built for the same
 * policy by this binary, its libseccomp and this kernel, and its seal
 * under `seal` holds; otherwise built and kept there for the next launch.
 * A directory that cannot be written is no error. dirfd < 0, name or
 * seal NULL: built, not kept. */
int scfilter_build_fd_cached(const struct scfilter_policy *p, int dirfd, const char *name,
			     const struct seal_key *seal,
			     int *fd_out, struct strbuf *err);

/* The argument test of a row: which calls of the system call the row's
 * action applies to. Every comparison is on the full 64-bit register unless
 * the name says otherwise. */
enum scfilter_test {
	SCFILTER_TEST_NONE,	/* every call */
	SCFILTER_TEST_ANY_BIT,	/* (arg & mask) != 0 */
	SCFILTER_TEST_LOW32_IN,	/* (arg & 0xffffffff) is one of values[] */
	SCFILTER_TEST_NOT_IN,	/* arg is none of values[] */
};

enum scfilter_rule_flags {
	SCFILTER_KEEP = 1 << 0,	/* also applied in ALLOWLIST mode */
};

#define SCFILTER_VALUES_MAX 8

/* One row of the policy. action_errno 0 records a decision to allow the
 * call (the reason says why); the loop adds no rule for it. values[] is in
 * strictly ascending order. At most one SCFILTER_KEEP row per system call. */
struct scfilter_rule {
	const char *name;
	int action_errno;
	enum scfilter_test test;
	unsigned int arg;	/* index of the tested argument, 0-5 */
	uint64_t mask;		/* ANY_BIT */
	uint64_t values[SCFILTER_VALUES_MAX];	/* LOW32_IN, NOT_IN */
	unsigned int nvalues;
	unsigned int flags;	/* enum scfilter_rule_flags */
	const char *reason;
};

/* The rows, for --help style listings and tests: */
size_t scfilter_rules(const struct scfilter_rule **rows);

#endif
