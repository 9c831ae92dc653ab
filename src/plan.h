/* plan.h - from parsed inputs to a list of sandbox operations.
 *
 * The planner turns the recorded policy, the library cache and the
 * invocation (entry point, arguments, environment, .env) into a plan: a
 * list of typed operations plus the environment bwrap starts with. Only
 * plan_to_args() turns operations into bwrap arguments, and only main.c
 * executes. The planner reads host metadata (lstat, readlink) to mirror
 * symlinks; it never writes.
 *
 * What MUST hold for every plan (DESIGN.md, "The invariant"):
 *  1. Every directory of the venv is bound by an fd opened without
 *     following symlinks; no bind source is a path a sandbox can swap.
 *  2. No mount destination lies inside a tree a sandbox can write (home,
 *     cache, project, a writable venv), except the venv's own mountpoints,
 *     which every sandbox sees as mountpoints and so cannot rename.
 *  3. bwrap's own environment holds only the fixed safe list; variables from
 *     .env and those the user passes on purpose reach the program through
 *     --setenv, after bwrap has started, so a loader variable from .env
 *     (LD_PRELOAD) can never act on the host's bwrap.
 *  4. The venv, its pyvenv.cfg and the state directory are read-only; in
 *     a pip launch the venv is writable but those stay read-only and every
 *     directory we bind from it is itself a mountpoint. The state directory
 *     is seen empty: its lock, policy and records are out of every
 *     sandbox's reach.
 *  5. A caller running as root gives the sandbox no host-root power (DESIGN
 *     MUST 11): every capability is dropped (a recorded --cap-add comes
 *     after and wins), and the kernel's tunables, /proc/sys and
 *     /proc/sysrq-trigger, are read-only whatever bwrap does by itself:
 *     they check the writer's uid, not its capabilities. The sandbox's
 *     /proc and those binds over it come after the user's options
 *     (plan_to_args), so nothing of theirs lies over or in it (the init
 *     runs from /proc/self/fd/N: run.c).
 *  6. Every path the host follows later is out of reach (DESIGN MUST 12):
 *     the directories between the project and a venv inside it are
 *     mountpoints (they cannot be renamed), and every other wrapped venv
 *     below the project is bound read-only (plan_input.binds), with its
 *     state, home and cache shown empty (what was recorded for it and
 *     what its sandboxes keep are its own). One that holds this venv is
 *     bound before this venv's mounts; one inside this venv (only pip's
 *     writable venv needs it) after them. The project is never a venv nor
 *     inside one (venv_check_not_in_venv).
 *  7. Under --network=none and allow= the sandbox has a network of its
 *     own (--unshare-net), which no recorded option or BWRAP_ARGS can
 *     share again (--share-net is refused); the caller's proxy variables
 *     stay out, and under allow= the program's point at the launcher's
 *     proxy, set last so that nothing before them wins.
 *  8. The desktop is there only by permission (desktop.h): its sockets
 *     are bound one by one, read-only, into the sandbox's fresh /tmp
 *     (X11) or /run/user/UID (made by bwrap, read-only), never into a tree
 *     a sandbox keeps (rule 2); the toolkit data only with a permission
 *     that needs it. Links (links.h): the launcher's socket, read-only at
 *     a fixed path, and the helper's names as symlinks to the init, at the
 *     end of PATH.
 *  9. Both layouts expose the same host files. The per-file layout binds
 *     each one (PLAN_LAYOUT_BINDS). The Landlock layout mounts a few whole
 *     system trees read-only (/usr, /etc and the top-level links into
 *     them) and gives the sandbox's init a path rule for each file the
 *     per-file layout binds, read and execute only; only the project, the
 *     venv's home and cache, /tmp, /var/tmp, /dev, /proc, the venv for
 *     pip, and what the caller binds get more. The directories on the
 *     sandbox's PATH show only the programs it may run, so a lookup of any
 *     other finds nothing, as in the per-file layout. bwrap makes them
 *     (a tmpfs, a link at a time), or the host keeps them made (view.h:
 *     plan_view_entries(), plan_use_view()), with the same entries.
 * 10. Secrets stay unmounted: no whole tree is mounted from /home, /root,
 *     /run/user or /var (private_roots), so nothing there is mounted in
 *     the Landlock layout that the per-file layout does not mount too.
 */
#ifndef SV_PLAN_H
#define SV_PLAN_H

#include <stdbool.h>
#include "netpolicy.h"
#include "desktop.h"
#include "pip.h"
#include "landlock.h"
#include "lookups.h"
#include "state.h"
#include "strbuf.h"
#include "strmap.h"
#include "strvec.h"

enum plan_op_type {
	PLAN_PROC,          /* --proc DEST */
	PLAN_DEV,           /* --dev DEST */
	PLAN_TMPFS,         /* --tmpfs DEST */
	PLAN_RO_BIND,       /* --ro-bind SRC DEST */
	PLAN_RO_BIND_TRY,   /* --ro-bind-try SRC DEST: SRC may be missing */
	PLAN_BIND,          /* --bind SRC DEST */
	PLAN_RO_BIND_FD,    /* --ro-bind-fd FD DEST */
	PLAN_BIND_FD,       /* --bind-fd FD DEST */
	PLAN_DEV_BIND,      /* --dev-bind SRC DEST: device nodes (/dev/dri) */
	PLAN_SYMLINK,       /* --symlink SRC DEST (SRC is the link text) */
	PLAN_DATA,          /* --ro-bind-data FD DEST, FD holding SRC's len bytes */
	PLAN_SETENV,        /* --setenv SRC DEST (name, value) */
	PLAN_CHDIR,         /* --chdir DEST */
	PLAN_REMOUNT_RO,    /* --remount-ro DEST, after the caller's options */
};

/* How the host's files reach the sandbox (plan.h, rule 7). */
enum plan_layout {
	PLAN_LAYOUT_BINDS,      /* one read-only bind per exposed file */
	PLAN_LAYOUT_LANDLOCK,   /* whole trees read-only, Landlock path rules inside */
};

/* In the Landlock layout: what the program may do at a path (inside). */
struct plan_rule {
	enum landlock_class access;
	char *path;
	char *why;           /* for VERBOSE */
	bool host;           /* a host path the plan mirrors (plan_rules_data) */
};

struct plan_op {
	enum plan_op_type type;
	char *src;
	size_t len;          /* PLAN_DATA: src's length (it may hold NULs) */
	char *dest;
	int fd;
	char *why;           /* for VERBOSE: why the sandbox has this */
};

struct plan {
	enum plan_layout layout;
	struct plan_op *ops;
	size_t nr, alloc;
	struct plan_rule *rules; /* the Landlock layout's path rules */
	size_t nr_rules, alloc_rules;
	struct strvec linked;    /* directories that show only links (plan.c) */
	struct strvec extra_mounts; /* where the caller's options mount */
	struct strmap rule_set;  /* CLASS PATH of each rule, once */
	struct lookups *lookups; /* the host's paths looked up (lookups.h): */
	struct lookups own_lookups; /* plan_input's, or these */
	struct strmap host_links; /* where a link of the host's or to it is */
	struct strvec env;       /* bwrap's own environment */
	struct strmap bound;     /* destinations mounted or linked so far */
	struct strvec bound_dirs;/* those that are directories */
	bool disable_userns;
	bool unshare_net;        /* --network=none or allow= */
	int seccomp_fd;          /* -1 for none */
	const int *source_fds;   /* named by the caller's options (plan_input) */
	size_t nr_source_fds;
	struct strvec extra;     /* recorded, then BWRAP_ARGS: later ones win */
	struct strvec argv;      /* the program and its arguments */
	struct strvec notes;     /* for the caller to say (a variable held back) */
	struct strvec quiet;     /* for VERBOSE only (a permission not given) */
};

/* A directory the driver opened for the plan, bound at its path: those
 * between the project and a venv in it (writable: they only need to be
 * mountpoints), and other wrapped venvs below the project (read-only).
 * Sorted by path, so a parent is bound before what lies in it. */
struct plan_bind {
	const char *path;
	int fd;
	bool writable;
	const char *why;
	bool hidden;    /* an empty directory shown in place of what is there;
			 * with fd -1, an empty file system (it holds the venv,
			 * whose mounts make the way to it there) */
};

/* What the launch knows, gathered and opened by the driver. */
struct plan_input {
	const struct policy *policy;
	const struct strvec *libs;
	const char *const *envp;       /* the caller's environment */
	const struct strvec *dotenv;   /* KEY=VALUE from the project's .env */
	const struct strvec *pass_env; /* names the user passes on purpose */
	const struct strvec *recorded_args; /* the policy's options as bwrap gets them,
					     * or NULL: the policy's own */
	const struct strvec *bwrap_args; /* split BWRAP_ARGS */
	const int *source_fds;         /* descriptors those options name */
	size_t nr_source_fds;
	const char *cwd;               /* the caller's working directory */
	const char *entry;             /* name in bin/, or NULL for the shell */
	const char *const *args;       /* arguments after the entry's name */
	const char *pip_cache;         /* host ~/.cache/pip to share, or NULL */
	bool writable_venv;            /* a pip launch */
	const struct pip_config *pip;  /* its configuration, or NULL */
	const struct net_policy *net;  /* the network policy; NULL: host */
	struct {
		int venv, privbin, empty, home, cache, git, pyvenv_cfg;
		int project;           /* -1: bound by its path */
	} fd;                          /* -1 where absent; empty: an empty
					* directory, shown for the state dir */
	const struct desktop *desktop; /* what the permissions give, or NULL */
	const char *links_socket;      /* the launcher's link socket, or NULL */
	const struct plan_bind *binds; /* see struct plan_bind */
	size_t nr_binds;
	const char *passwd;            /* synthesized /etc/passwd content */
	const char *group;             /* synthesized /etc/group content */
	enum plan_layout layout;
	struct lookups *lookups;       /* answers kept from the last launch, and
					* where this one's go (lookups.h); NULL:
					* the host's, each time */
};

void plan_init(struct plan *p);
void plan_release(struct plan *p);
int plan_build(struct plan *p, const struct plan_input *in, struct strbuf *err);
/* The program a launch runs, as plan_build puts it in p->argv: the entry
 * point (NULL: the shell) with args. */
void plan_program(struct strvec *argv, const char *venv, const char *entry,
		  const char *const *args);
/* Mirror a host path read-only: symlinks on the way become --symlink, the
 * final file or directory a --ro-bind. Missing paths are skipped. why is
 * the reason VERBOSE gives. */
void plan_expose(struct plan *p, const char *path, const char *why);
/* Serialize the options: bwrap arguments without argv[0] and without the
 * "--" and the program (p->argv), which bwrap takes only on its command
 * line, not from --args. PLAN_DATA ops must have their fd set first. */
void plan_to_args(const struct plan *p, struct strvec *args);
/* The descriptors the options name, for run.h; *nr of them, allocated. */
int *plan_fds(const struct plan *p, size_t *nr);
/* For VERBOSE: one line per operation and path rule, what and why (no
 * values). */
void plan_explain(const struct plan *p, struct strbuf *out);
/* The path rules as the sandbox's init reads them (landlock.h); empty in
 * the per-file layout. With host non-NULL, the rules whose path names the
 * same file on the host as inside go there instead, for the launcher to
 * open while bwrap builds the mounts: those of the host's files the plan
 * exposes (plan_expose) whose path inside lies in a mount that mirrors the
 * host (a read-only bind of the same path, a link of the host's, an entry
 * of a directory that shows links), and in none of the caller's mounts.
 * Everything else (/proc, /dev, /tmp, written files, the project, the
 * venv, its home and cache, the caller's mounts) is opened inside. */
void plan_rules_data(const struct plan *p, struct strbuf *out, struct strbuf *host);

/* A directory that shows only links (rule 9), as a directory the host
 * keeps and bwrap binds whole (view.h), instead of a tmpfs that bwrap
 * fills one link at a time: what it holds. */
enum plan_view_kind {
	PLAN_VIEW_LINK = 'l',      /* a symlink; data is its text */
	PLAN_VIEW_FILE = 'f',      /* a read-only file; data is its content */
	PLAN_VIEW_MOUNT_FILE = 'm',/* an empty file, mounted on later */
	PLAN_VIEW_MOUNT_DIR = 'd', /* an empty directory, mounted on later */
};

struct plan_view_entry {
	enum plan_view_kind kind;
	const char *name;          /* an entry of the directory */
	const char *data;
	size_t len;
};

/* The entries of p->linked's directory dir, sorted by name, or -1 when
 * bwrap has to make it: something is mounted at it or deeper below it
 * than one entry, or one of the caller's options mounts there. *out is
 * allocated; its strings are the plan's. */
int plan_view_entries(const struct plan *p, const char *dir, struct plan_view_entry **out,
		      size_t *nr);
/* dir is bound read-only from fd instead: its tmpfs, its remount and the
 * links and files in it go; what is mounted on its entries stays. */
void plan_use_view(struct plan *p, const char *dir, int fd);

/* The host paths of the exposure table, for this machine; with code_only,
 * just the programs and library directories, whose needs are collected.
 * When why is not NULL, it gets each path's reason. */
void plan_host_paths(struct strvec *out, struct strvec *why, bool code_only);

/* The environment variables copied from the caller: exact names, the
 * locale categories glibc knows among them. */
bool plan_env_is_safe(const char *name);
/* A proxy variable's value that carries credentials (user[:password]@). */
bool plan_proxy_has_credentials(const char *value);

#endif
