/* running.h - the launchers and sandboxes running now, as /proc shows them.
 *
 * A launcher is a process, of any user, whose arguments begin
 * "--gate GATE": what a gate's #! line runs (gate.h). No sandbox can make
 * one: it starts no process on the host. Its sandbox is the child of its
 * child bwrap, in a mount namespace of its own; bwrap makes the mounts
 * there before it runs the init (init.h) in that child, so a sandbox whose
 * first process is still bwrap is not built yet.
 *
 * What a first wrap asks of them (wrap.c): a venv on no list of wrapped
 * venvs (registry.h) is writable in the sandboxes of a project that holds
 * it, built from the list before it was on it. Gates written there would
 * run on the host whatever such a sandbox put in their place; the wrap
 * lists the venv, then goes ahead only if no sandbox built before can
 * reach it.
 */
#ifndef SV_RUNNING_H
#define SV_RUNNING_H

#include <stdbool.h>
#include <sys/types.h>
#include "strbuf.h"
#include "strvec.h"

struct running {
	pid_t pid;
	const char *gate;               /* as the launcher was given it */
	unsigned long long started;     /* clock ticks after boot (proc(5)); 0: unknown */
};

/* Each launcher now, to fn. 0, or -1 with errno when /proc cannot be read. */
int running_each(void (*fn)(const struct running *r, void *data), void *data);

/* The launchers whose sandbox can reach path (a directory; canonical): a
 * writable mount there shows path or a directory above it, or a
 * read-only one shows a directory above it while the launcher is
 * stopping (run.h: a stop makes the project read-only until the launch is
 * continued). A sandbox that bwrap is still building is waited for, for a
 * while, then counted too; so is every launcher when the mounts cannot
 * be read. Each is added to out as "PID GATE" (and why, when it is not
 * built). Meant for a caller that holds the launches
 * (registry_launches_held). */
void running_reaching(const char *path, struct strvec *out);

#endif
