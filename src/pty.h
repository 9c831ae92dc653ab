/* pty.h - the sandbox's own terminal, relayed by the launcher.
 *
 * A sandbox that shares the caller's terminal can take it over: make a
 * process group of its own the terminal's foreground one (TIOCSPGRP), so
 * that the launcher, touching the terminal, is stopped by SIGTTOU, the
 * shell prints its prompt while the sandbox lives on, and what is typed at
 * that prompt is read inside; or type into it (TIOCSTI). So no process of
 * a sandbox is in the caller's session (bwrap --new-session), none holds
 * the caller's terminal, and where the caller's 0, 1 or 2 is a terminal,
 * the sandbox gets there the slave of a new pseudo-terminal, its
 * controlling terminal, which the launcher relays to the caller's, as
 * sudo's use_pty and ssh do.
 *
 * What MUST hold:
 *  1. The sandbox never gets a descriptor of the caller's terminal: each of
 *     0, 1, 2 that is one is replaced by the slave of a new pty.
 *  2. The caller's terminal is in raw mode only while the launch is in its
 *     foreground, and has its own settings back when the launch ends,
 *     stops, or goes to the background; only then is what is typed read
 *     (a launch in the background reads nothing). The pty starts with the
 *     caller's settings and window size, and follows its size. A shell's
 *     fg of a job that was never stopped sends no signal, so a launch in
 *     the background looks again every PTY_POLL_MS whether it has the
 *     foreground now.
 *  3. The relay never blocks the loop where it can help it, and its memory
 *     is bounded: one buffer each way, and a side that cannot take more
 *     stops the other from being read. The caller's terminal is opened
 *     anew for that, non-blocking, so that the shell's descriptor of it is
 *     left as it was; where it cannot be (a terminal of another user), a
 *     copy of the descriptor is used, blocking.
 */
#ifndef SV_PTY_H
#define SV_PTY_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>
#include "evloop.h"
#include "strbuf.h"

#define PTY_BUF 4096
#define PTY_POLL_MS 100

struct pty_dir {
	char buf[PTY_BUF];
	size_t len;
	bool eof;               /* nothing more to read */
};

struct pty {
	int master;             /* -1: no pty (no terminal on 0, 1, 2) */
	int slave;              /* for bwrap's 0, 1, 2; closed once it runs */
	int in;                 /* the caller's terminal to read (its 0), or -1 */
	int out;                /* the caller's terminal to write, or -1 */
	int timer;              /* looks again at the foreground, or -1 */
	bool raw;               /* the caller's terminal is in raw mode */
	bool have_saved;
	struct termios saved;   /* its settings before */
	struct pty_dir up;      /* caller -> sandbox */
	struct pty_dir down;    /* sandbox -> caller */
	struct evloop *loop;    /* while relaying */
};

/* stdio: bwrap's 0, 1, 2, -1 for the launcher's own. Where one is -1 and
 * the launcher's is a terminal, make the pty (once) and put its slave
 * there. Returns 0 (p->master -1 when there was no terminal), or -1 with
 * err. */
int pty_open(struct pty *p, int stdio[3], struct strbuf *err);
/* bwrap runs: relay through l from now on; the slave is closed. */
int pty_start(struct pty *p, struct evloop *l, struct strbuf *err);
/* Look again whether the launch is in the foreground (at the start, after
 * SIGCONT): raw mode and input on, or the caller's settings and input off. */
void pty_foreground(struct pty *p);
/* The caller's settings back, input off (before the launcher stops). */
void pty_cooked(struct pty *p);
/* The caller's terminal changed size (SIGWINCH): the pty follows. */
void pty_winch(struct pty *p);
/* After the sandbox ended: what it wrote last goes out, the caller's
 * settings back, every descriptor closed. */
void pty_finish(struct pty *p);

#endif
