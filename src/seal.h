/* seal.h - proof that a file in a venv's state was written on the host.
 *
 * The state directory lies in the venv, and the venv in a project that
 * sandboxes can write: a sandbox of another venv can write the state of a
 * venv not wrapped yet (tox makes .tox/py311 after .venv was wrapped), or
 * of one wrapped while that sandbox was already running (its mounts were
 * made before the wrap). Ownership proves nothing, since sandboxes run as
 * the user. So each file of the state whose content a launch obeys (the
 * policy, the library cache, the kept filter, a view's manifest) ends
 * with a seal:
 *
 *   seal HEX\n      HEX: 32 digits, SipHash-2-4-128 of SCOPE, a NUL
 *                   byte and every byte before "seal"
 *
 * under the key of the account that owns the state, kept where no sandbox
 * sees it:
 *
 *   ~/.local/state/sandbox-venv/key     32 hex digits, mode 0600
 *
 * SCOPE names the file, so that a sealed file is no good in place of
 * another; for the library cache, its venv too ("/p/.venv/.sandbox-venv/
 * libs": venv.h, venv_seal_scope). The policy names its venv itself; a
 * record of runs/ stays good when the project moves; a filter or a view
 * of another venv would be one made for the same policy or entries. A
 * file whose seal is missing or wrong is one a sandbox could have
 * written: never obeyed. The seal is as good as the key's secrecy: no path a
 * sandbox can turn elsewhere is recorded for a launch to expose
 * (wrap.c), and a first wrap keeps nothing it finds in the state.
 */
#ifndef SV_SEAL_H
#define SV_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

#define SEAL_KEY_BYTES 16
#define SEAL_FILE "key"
#define SEAL_TAG "seal "
#define SEAL_TRAILER_LEN (sizeof(SEAL_TAG) - 1 + 2 * 16 + 1)

struct seal_key {
	unsigned char k[SEAL_KEY_BYTES];
};

/* SipHash-2-4 with a 128-bit result (Aumasson and Bernstein). */
void siphash128(const unsigned char key[SEAL_KEY_BYTES], const void *data, size_t len,
		unsigned char out[16]);

/* The key in dirfd/SEAL_FILE, made first (random, 0600) when create is
 * true and there is none. A key that is not a regular file of `owner`'s is
 * refused. */
int seal_key_load_at(int dirfd, uid_t owner, bool create, struct seal_key *key,
		     struct strbuf *err);

/* Append text's seal for scope. */
void seal_add(const struct seal_key *key, const char *scope, struct strbuf *text);
/* Check text's seal for scope and take it off: 0, or -1 with errno
 * EBADMSG when it is missing or wrong. */
int seal_check(const struct seal_key *key, const char *scope, struct strbuf *text);

#endif
