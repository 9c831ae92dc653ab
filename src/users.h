/* users.h - the host's user database, asked once per uid. */
#ifndef SV_USERS_H
#define SV_USERS_H

#include <pwd.h>
#include <sys/types.h>

/* getpwuid(3), asked once per uid and process: a launch needs the same
 * entry in several places, and each query reads the whole database. The
 * entry is kept until the process ends; NULL when uid has none.
 *
 * Apart from util.c: the init, a static program (Makefile), asks the
 * database nothing and links none of it. */
const struct passwd *user_entry(uid_t uid);

#endif
