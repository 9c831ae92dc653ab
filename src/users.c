/* users.c - the host's user database, asked once per uid (users.h). */
#include "users.h"

#include <stdbool.h>

#include "util.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

const struct passwd *user_entry(uid_t uid)
{
	static struct {
		uid_t uid;
		bool found;
		struct passwd pw;
	} kept[4];
	static size_t nr;
	const struct passwd *pw;
	size_t i;

	for (i = 0; i < nr; i++)
		if (kept[i].uid == uid)
			return kept[i].found ? &kept[i].pw : NULL;
	pw = getpwuid(uid);
	if (nr == ARRAY_SIZE(kept))
		return pw;	/* not kept: a process that asks for five users */
	i = nr++;
	kept[i].uid = uid;
	kept[i].found = pw != NULL;
	if (pw) {
		kept[i].pw = *pw;
		kept[i].pw.pw_name = dup_or_null(pw->pw_name);
		kept[i].pw.pw_passwd = dup_or_null(pw->pw_passwd);
		kept[i].pw.pw_gecos = dup_or_null(pw->pw_gecos);
		kept[i].pw.pw_dir = dup_or_null(pw->pw_dir);
		kept[i].pw.pw_shell = dup_or_null(pw->pw_shell);
	}
	return kept[i].found ? &kept[i].pw : NULL;
}
