/* state.h - what sandbox-venv records about a venv, and where.
 *
 * Layout of a wrapped venv (STATE_DIR is ".sandbox-venv"):
 *
 *   $venv/bin/NAME                 a gate (host side), or an activate script
 *   $venv/.sandbox-venv/policy     the recorded policy (this file's format)
 *   $venv/.sandbox-venv/libs       host libraries to expose (a cache)
 *   $venv/.sandbox-venv/lock       flock(2) target while state changes
 *   $venv/.sandbox-venv/stamp      when bin/ last changed (wrap.c)
 *   $venv/.sandbox-venv/orig/NAME  the activate scripts as the venv tool
 *                                  wrote them, for --check and --unwrap
 *   $venv/.sandbox-venv/bin/NAME   the real entry points; mounted over
 *                                  $venv/bin inside every sandbox
 *   $venv/.sandbox-venv/empty/     an empty directory, shown in place of
 *                                  .sandbox-venv in every sandbox
 *   $venv/.sandbox-venv/runs/ID    host-side work of a running launch
 *                                  (guard.h)
 *   $venv/.sandbox-venv/filter     the seccomp filter as last built, with
 *                                  what it was built for (scfilter.h): a
 *                                  cache
 *   $venv/.sandbox-venv/lookups    the host's paths the last plan looked
 *                                  up, with the directories they lie in
 *                                  (lookups.h): a cache
 *   $venv/.sandbox-venv/views/H/   a directory of links (root/) and the
 *                                  list it was made from (manifest), bound
 *                                  read-only at /etc, /usr/bin, ... in the
 *                                  Landlock layout (view.h): a cache
 *   $venv/home, $venv/cache        the sandbox's $HOME and ~/.cache
 *   $venv/.bin.sandbox-venv-new    only during a first wrap: the gates
 *                                  before they become bin/, then the old
 *                                  bin/ before it becomes the private bin
 *
 * No sandbox can write $venv/bin (it is covered by the private bin inside)
 * nor see $venv/.sandbox-venv (covered by the empty directory): only pip's
 * sandbox writes the private bin, which it sees as $venv/bin. Sandboxes of
 * another venv of the project could write all of it before this venv was
 * wrapped, though: the policy, libs, filter, lookups and each view's
 * manifest carry a seal (seal.h), and one without is never obeyed.
 *
 * Both files are text, one record per line: a key, one space, a value.
 * Values escape backslash as "\\", newline as "\n" and any other control
 * byte as "\xHH", so any byte string round-trips. The first record is
 * "sandbox-venv N" with the format version. Unknown keys are errors: a
 * policy we do not understand is not applied.
 */
#ifndef SV_STATE_H
#define SV_STATE_H

#include <stdbool.h>
#include "strbuf.h"
#include "strvec.h"
#include "perms.h"

#define STATE_DIR ".sandbox-venv"
#define STATE_POLICY "policy"
#define STATE_LIBS "libs"
#define STATE_LOCK "lock"
#define STATE_STAMP "stamp"
#define STATE_BIN "bin"
#define STATE_ORIG "orig"
#define STATE_EMPTY "empty"
#define STATE_RUNS "runs"
#define STATE_FILTER "filter"
#define STATE_VIEWS "views"
#define STATE_LOOKUPS "lookups"
#define STATE_LISTED "listed"
#define STATE_NEW_BIN ".bin.sandbox-venv-new"   /* in $venv, not in STATE_DIR */
#define STATE_FORMAT_STR "1"
#define STATE_MAX_BYTES (4u << 20)

struct policy {
	char *venv;             /* absolute, canonical path of the venv */
	char *project;          /* the venv's parent: read-write inside */
	char *python;           /* canonical path of the base interpreter */
	struct strvec expose;   /* interpreter paths to expose read-only */
	struct strvec expose_to; /* where each led at wrap time (realpath):
				  * a launch refuses one that leads elsewhere */
	struct strvec lib_dirs; /* the interpreter's own library directories:
				 * trusted for resolving NEEDED, not exposed */
	struct strvec bwrap_args; /* recorded at wrap time, used every launch */
	struct strvec protect;  /* other venvs below the project, found at
				 * wrap time: read-only in every sandbox */
	bool system_site;       /* include-system-site-packages */
	bool disable_userns;    /* bwrap supports --disable-userns here */
	struct perms perms;     /* network, desktop sockets, devices, links */
};

void policy_init(struct policy *p);
void policy_release(struct policy *p);
void policy_format(const struct policy *p, struct strbuf *out);
int policy_parse(const char *text, size_t len, struct policy *p, struct strbuf *err);

/* The library cache: a sorted list of absolute paths. */
void libs_format(const struct strvec *libs, struct strbuf *out);
int libs_parse(const char *text, size_t len, struct strvec *libs, struct strbuf *err);

/* The record codec, exposed for tests. */
void state_add_record(struct strbuf *out, const char *key, const char *value);
typedef int (*state_record_fn)(const char *key, const char *value, void *data,
			       struct strbuf *err);
int state_parse_records(const char *text, size_t len, const char *file,
			state_record_fn fn, void *data, struct strbuf *err);

#endif
