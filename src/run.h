/* run.h - execute bwrap for a finished plan, and stay to pass signals on.
 *
 * The only place that starts bwrap: from its fixed path (BWRAP_PATH), its
 * options, the plan's environment among them, passed through a socket
 * (--args), so that nothing of them shows in the process list. The program
 * runs under the sandbox's init (init.h), inside a Landlock scope domain
 * where the kernel has one (landlock.h); the launcher stays outside it, as
 * bwrap's parent. See run.c for what must hold.
 */
#ifndef SV_RUN_H
#define SV_RUN_H

#include <stddef.h>
#include <sys/stat.h>
#include "proxy.h"
#include "evloop.h"
#include "strbuf.h"
#include "strvec.h"

enum run_flags {
	RUN_VERBOSE = 1 << 0,	/* print the command line and the Landlock state */
	RUN_INIT_SHOWN = 1 << 1,	/* the init bound at INIT_PATH too, for a name
					 * inside that runs it (run.c) */
};

/* A source of events for the launcher's loop while the sandbox runs (the
 * link service, links.h): attach adds its descriptors to the loop; detach,
 * when the sandbox has ended, lets go of the loop before it is released
 * (the service's descriptors are still its own). Its handlers never end
 * the loop, and never block it. */
struct run_service {
	int (*attach)(struct evloop *loop, void *data, struct strbuf *err);
	void (*detach)(void *data);
	void *data;
};

/* The init to run (init.h), and what it is, for VERBOSE. */
struct run_init {
	int fd;                      /* O_PATH */
	const char *which;
};

/* The init: sandbox-venv-init where the install puts it, beside this
 * binary or in ../libexec/sandbox-venv from its directory (MUST 9 above),
 * else this binary itself, which holds the same init. Returns an O_PATH
 * descriptor on it, or -1 with err; *which says which and, for this
 * binary, why. reach: the places sandboxes write (reach.h). */
int run_open_init(const struct strvec *reach, char **which, struct strbuf *err);
/* The first of places (paths relative to this binary's directory) that
 * is there, by the same walk and the same checks: an O_PATH descriptor,
 * and its path in *which; or -1, with why when one was refused. */
int run_open_beside(const char *const *places, size_t nr, const struct strvec *reach,
		    char **which, struct strbuf *why);
/* A program of ours, st at path, has one name (another, a hard link, may
 * lie where sandboxes write: one could rewrite it there while it does
 * not run) and lies outside reach (may be NULL); 0, or -1 with why. The
 * lookups above check each program they find with it. */
int run_check_program(const struct stat *st, const char *path, const struct strvec *reach,
		      struct strbuf *why);
/* The same from the directory of another binary: self, an O_PATH
 * descriptor on it, at self_path. */
int run_open_beside_of(int self, const char *self_path, const char *const *places, size_t nr,
		       const struct strvec *reach, char **which, struct strbuf *why);

struct run_spec {
	const struct strvec *opts;   /* bwrap options (plan_to_args) */
	const int *fds;              /* every descriptor those options name */
	size_t nr_fds;
	const struct strvec *argv;   /* the program and its arguments */
	const struct strvec *env;    /* bwrap's environment */
	const struct strbuf *rules;  /* the init's path rules (landlock.h), or NULL */
	/* With rules: those the launcher opens on the host while bwrap
	 * builds the mounts (plan_rules_data), or NULL for none. */
	const struct strbuf *host_rules;
	unsigned int flags;          /* enum run_flags */
	int stdio[3];                /* bwrap's 0, 1, 2; -1: the launcher's */
	/* When the whole sandbox has stopped (Ctrl-Z), before the launcher
	 * stops and the shell's prompt comes back: the host-side work of the
	 * end of a run, done for the moment. Returns 0, or -1 when the launch
	 * must not stop (it is continued). NULL: none. */
	int (*on_stop)(void *data);
	void *stop_data;
	const struct proxy_config *proxy; /* --network=allow=: the proxy; or NULL */
	const struct run_service *services;
	size_t nr_services;
	const struct run_init *init; /* NULL: this binary (run_open_init) */
	/* The project's mount inside, read-only while the sandbox is
	 * stopped (run.c, MUST 7), and the project the launcher opened (an
	 * O_PATH descriptor); NULL: none. */
	const char *project;
	int project_fd;
};

/* Run bwrap with spec->opts (plus the init's own), then "--", the init and
 * spec->argv. With spec->proxy, the init hands the proxy's listeners over
 * and the launcher serves them while the sandbox runs (proxy.h). Only the descriptors in spec->fds (and the init's own) reach
 * bwrap; every other one the launcher has is close-on-exec. *status is the
 * program's exit status as a shell reports it (128+N for a death by signal
 * N). Returns 0 when the sandbox has ended, -1 with err when bwrap could
 * not be started. */
int run_sandbox(const struct run_spec *spec, int *status, struct strbuf *err);

/* The same in two steps, so that bwrap starts (its exec, its loader: a
 * millisecond or two) while the launcher still works out its options.
 * run_start reads of spec only what the init's command line and bwrap's
 * start need: argv, flags, stdio, proxy, init, and whether there are
 * rules (their text is read later); fds: every descriptor the options
 * may name, which bwrap inherits (run.c, rule 2). bwrap then waits for
 * its options, which run_finish gives with spec complete: the same
 * fields, and opts, fds, env, rules, host_rules, the rest. When
 * spec->fds names one that run_start was not given, that bwrap is killed
 * and another started: the descriptors are compared by number, so those
 * given to run_start stay open, as they were, until run_finish. Returns
 * NULL with err, or the run, which run_finish ends and frees whatever it
 * returns. A launcher that exits between the two, or is ended by a signal
 * then, kills that bwrap first; the caller's signal dispositions hold
 * until run_finish. */
struct run;
struct run *run_start(const struct run_spec *spec, const int *fds, size_t nr,
		      struct strbuf *err);
int run_finish(struct run *r, const struct run_spec *spec, int *status, struct strbuf *err);

/* The launcher's name (its comm) from before it makes the project
 * read-only for a stop until it has made it writable again: a first wrap
 * then counts a read-only mount above its venv (running.h). */
#define RUN_STOPPED_COMM "sv-stopped"

#endif
