/* pip.h - what makes a launch pip's, and the pip configuration it gets.
 *
 * A pip launch gets the venv writable (plan.h). It is recognised by the
 * entry point's name, as pip, virtualenv and uv write it (pip, pip3,
 * pip3.11, pip-3.11), or by python's own command line naming the module
 * pip (python -m pip, -mpip, -Im pip, -m pip.__main__, ...).
 *
 * pip's configuration is the caller's: a user of a private index must not
 * silently install from PyPI instead (dependency confusion). A pip launch
 * gets the caller's PIP_* variables and pip's configuration files, read
 * on the host and shown read-only, in the order pip reads them on the host
 * (through XDG_CONFIG_DIRS, XDG_CONFIG_HOME and PIP_CONFIG_FILE, since HOME
 * inside is the venv's: pip.c); no other launch gets any of it. Credentials written there
 * are visible to what pip runs (setup.py, build backends).
 */
#ifndef SV_PIP_H
#define SV_PIP_H

#include <stdbool.h>
#include "strbuf.h"
#include "strvec.h"

/* Is the entry point `name` with arguments args pip? */
bool pip_is_launch(const char *name, const char *const *args);
/* Is name one pip's installers give pip itself (pip, pip3, pip3.11, pip-3.11)? */
bool pip_is_name(const char *name);

/* A file for the sandbox: its place inside and its content. */
struct pip_file {
	char *dest;
	struct strbuf content;
};

struct pip_config {
	struct strvec env;          /* NAME=VALUE to set inside */
	struct pip_file *files;
	size_t nr_files;
	struct strvec notes;        /* files left out, and why */
	const struct strvec *reach; /* where sandboxes write (reach.h) */
};

void pip_config_init(struct pip_config *c);
void pip_config_release(struct pip_config *c);
/* Gather the caller's pip configuration from envp and the files pip reads
 * (home: the caller's home directory). Unreadable files are left out, and
 * so are those where sandboxes write (reach: reach.h), on the way to them
 * included: those are said in c->notes. */
void pip_config_gather(const char *const *envp, const char *home, const struct strvec *reach,
		       struct pip_config *c);

/* The URLs pip may fetch from, as the caller configured them: index-url,
 * extra-index-url and find-links from c (PIP_* variables, pip.conf files,
 * any section) and from pip's own command line args. Returns true when
 * an index URL is set (pip then does not use PyPI). */
bool pip_index_urls(const struct pip_config *c, const char *const *args, struct strvec *urls);

#endif
