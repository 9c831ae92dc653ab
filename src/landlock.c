/* landlock.c - a scope-only Landlock domain around the sandbox.
 *
 * What MUST hold:
 *  1. The ruleset handles no file system and no network rights, only the
 *     two scopes (abstract unix sockets, signals): bwrap's mounts, the
 *     program's files and its sockets to the network are untouched.
 *  2. A kernel without scopes (ABI < 6, Landlock off) is not an error: the
 *     caller is told and the launch goes on with the other defences.
 *  3. A kernel with scopes that refuses the ruleset or the confinement is
 *     an error: the launch never silently runs unscoped where scoping
 *     works.
 */
#include "landlock.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* From <linux/landlock.h>; Debian 12's headers predate scopes. */
#define SV_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define SV_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define SV_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

/* struct landlock_ruleset_attr as of ABI 6. */
struct sv_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   SV_LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

int landlock_scope_ruleset(int abi, struct strbuf *err)
{
	const struct sv_landlock_ruleset_attr attr = {
		.scoped = SV_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | SV_LANDLOCK_SCOPE_SIGNAL,
	};
	long fd;

	if (abi < LANDLOCK_SCOPE_MIN_ABI)
		return -1;
	fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0) {
		strbuf_addf(err, "cannot create the landlock ruleset: %s", strerror(errno));
		return -2;
	}
	return (int)fd;
}

int landlock_scope_apply(int ruleset_fd)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0 ? -1 : 0;
}
