#!/bin/bash
# terminal.t - a launch in a terminal behaves like the program itself:
# Ctrl-C, Ctrl-D, Ctrl-Z and fg, SIGTERM to the gate, exit statuses, and
# no keystroke injection. Driven through a real pseudo-terminal (tmux).
. "$(dirname "$0")/lib.sh"

p=$(new_project term --without-pip) || { ok 1 "a wrapped venv for the terminal tests"; done_testing; exit; }
v=$p/.venv

# --- without a terminal -----------------------------------------------------
"$v/bin/python" -c 'import os; os.kill(os.getpid(), 9)' 2>/dev/null
is "$?" 137 "a program killed by SIGKILL gives 128+9"
"$v/bin/python" -c 'raise SystemExit(42)' 2>/dev/null
is "$?" 42 "the exit status is the program's own"
"$v/bin/shell" -c 'kill -HUP $$' 2>/dev/null
is "$?" 129 "shell -c 'kill -HUP \$\$' gives 128+1"

# SIGTERM sent to the gate's process reaches the program.
rm -f "$p/term.out" "$p/ready"
"$v/bin/python" -c '
import signal, sys, time
def on_term(sig, frame):
    open("term.out", "w").write("SIGTERM %d" % sig)
    sys.exit(3)
signal.signal(signal.SIGTERM, on_term)
open("ready", "w").close()
time.sleep(30)' 2>/dev/null &
gate=$!
for _ in $(seq 100); do [ -e "$p/ready" ] && break; sleep 0.1; done
kill -TERM "$gate"
wait "$gate"
rc=$?
is "$(cat "$p/term.out" 2>/dev/null)" "SIGTERM 15" "kill -TERM on the gate's pid reaches the program's handler"
is "$rc" 3 "... and the gate exits with the status the handler chose"

rm -f "$p/ready"
"$v/bin/python" -c 'import time; open("ready", "w").close(); time.sleep(30)' 2>/dev/null &
gate=$!
for _ in $(seq 100); do [ -e "$p/ready" ] && break; sleep 0.1; done
kill -TERM "$gate"
wait "$gate"
is "$?" 143 "kill -TERM on the gate's pid ends a program without a handler: 128+15"

# ... and so does one sent while the sandbox is still starting: queued for
# its init, not dropped before the init has its handlers.
lost=
for d in 0.001 0.002 0.003 0.004 0.005 0.006 0.008 0.010 0.015; do
	"$v/bin/python" -c 'import time; time.sleep(5)' 2>/dev/null &
	gate=$!
	sleep "$d"
	kill -TERM "$gate" 2>/dev/null
	wait "$gate"
	rc=$?
	[ "$rc" -eq 143 ] || lost="$lost ${d}s:$rc"
done
ok "$([ -z "$lost" ]; echo $?)" "kill -TERM on the gate's pid 1 to 15 ms after its start ends the program (128+15) every time"
[ -z "$lost" ] || echo "#   lost at (delay:status):$lost"

# with_signals DISPOSITION CMD...: run CMD with SIGINT and SIGQUIT ignored
# (ign) or at their default (dfl), whatever this shell inherited.
with_signals() {
	"$SV_PYTHON" -c '
import os, signal, sys
how = signal.SIG_IGN if sys.argv[1] == "ign" else signal.SIG_DFL
signal.signal(signal.SIGINT, how)
signal.signal(signal.SIGQUIT, how)
os.execv(sys.argv[2], sys.argv[2:])' "$@"
}
# A caller that ignores SIGINT (a background job of a non-interactive
# shell, as POSIX has it) has a program that ignores it too, as outside.
probe='import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN, signal.getsignal(signal.SIGQUIT) == signal.SIG_IGN)'
out=$(with_signals ign "$v/bin/python" -c "$probe" 2>&1)
is "$out" "True True" "a caller's ignored SIGINT and SIGQUIT stay ignored for the program"
out=$(with_signals dfl "$v/bin/python" -c 'import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.getsignal(signal.SIGQUIT) == signal.SIG_DFL)' 2>&1)
is "$out" "True True" "otherwise python starts with its own SIGINT handler and SIGQUIT at its default"

# --- in a terminal ------------------------------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
	skip "tmux is not installed: no pseudo-terminal tests (apt install tmux)"
	done_testing
	exit
fi

sock="sv-term-$$"
tm() { tmux -L "$sock" "$@"; }
prev_trap=$(trap -p EXIT)
eval "set -- ${prev_trap:-x x '' x}"
trap 'tmux -L "$sock" kill-server 2>/dev/null; '"$3" EXIT

# screen: the visible pane, without trailing blank lines.
screen() { tm capture-pane -p -t sv 2>/dev/null; }
# wait_for PATTERN [TENTHS]: until the pane shows a line matching PATTERN.
wait_for() {
	local i
	for i in $(seq "${2:-150}"); do
		screen | grep -q -e "$1" && return 0
		sleep 0.1
	done
	return 1
}
# count_lines PATTERN: how many lines of the pane match.
count_lines() { screen | grep -c -e "$1"; }
# A fresh interactive bash in an 120x40 terminal, prompt "SV-PROMPT$ ".
# The server never runs out of sessions: a server that ended with its
# last one, just as the next new-session started another, once left the
# harness with "no server running" from then on (CI; its socket gone, as
# far as the symptom shows).
start_shell() {   # start_shell [VAR=VALUE]: one more variable, e.g. a prompt's git
	tm has-session -t keep 2>/dev/null || tm new-session -d -s keep -x 20 -y 5 'exec sleep 86400'
	tm kill-session -t sv 2>/dev/null
	tm new-session -d -s sv -x 120 -y 40 \
		"cd '$p' && env -i HOME='$HOME' PATH=/usr/bin:/bin TERM=screen PS1='SV-PROMPT\$ ' ${1:+'$1'} bash --norc --noprofile -i"
	wait_for '^SV-PROMPT\$' 100
}
show_screen() { screen | grep -v "^$" | tail -12 | sed "s/^/#   /"; }

if ! start_shell; then
	ok 1 "tmux starts an interactive bash"
	show_screen
	done_testing
	exit
fi

# The REPL: Ctrl-C during time.sleep raises KeyboardInterrupt, the REPL goes on.
tm send-keys -t sv "'$v/bin/python' -q" Enter
if wait_for '^>>> *$'; then
	tm send-keys -t sv 'import time; print("SLEEP" + "ING"); time.sleep(20)' Enter
	wait_for '^SLEEPING$' 100
	sleep 0.3
	tm send-keys -t sv C-c
	wait_for '^KeyboardInterrupt' 50
	ok $? "Ctrl-C during time.sleep(20) in the REPL raises KeyboardInterrupt"
	tm send-keys -t sv 'print(6*7)' Enter
	wait_for '^42$' 50
	ok $? "... and the REPL goes on: print(6*7) gives 42"
	[ "$(count_lines '^SV-PROMPT')" -eq 1 ]
	ok $? "... and the shell never took the terminal back"

	# Ctrl-Z stops the whole job; fg resumes it.
	tm send-keys -t sv C-z
	wait_for 'Stopped.*bin/python' 50
	ok $? "Ctrl-Z suspends the gate: the shell reports the job stopped"
	tm send-keys -t sv 'echo "BACK""-AT-SHELL"' Enter
	wait_for '^BACK-AT-SHELL$' 50
	ok $? "... and the shell has the terminal"
	tm send-keys -t sv 'fg' Enter
	sleep 0.5
	tm send-keys -t sv 'print(7*8)' Enter
	wait_for '^56$' 50
	ok $? "fg resumes the REPL: print(7*8) gives 56"

	# Ctrl-D ends the REPL and the prompt returns.
	tm send-keys -t sv C-d
	wait_for '^SV-PROMPT\$ *$' 50
	tm send-keys -t sv 'echo "status=$?" "jobs=$(jobs | wc -l)"' Enter
	wait_for '^status=0 jobs=0$' 50
	ok $? "Ctrl-D ends the REPL: the prompt returns, status 0, no job left"
else
	ok 1 "the REPL starts in a terminal"
	show_screen
fi

# Ctrl-C ends a program that does not handle it, with 128+2.
start_shell
tm send-keys -t sv "'$v/bin/shell' -c 'echo SLEEP\"ING\"; sleep 30'; echo \"status=\$?\"" Enter
wait_for '^SLEEPING$' 100
sleep 0.3
tm send-keys -t sv C-c
wait_for 'status=130$' 50
ok $? "Ctrl-C ends shell -c 'sleep 30': status 130 and the prompt returns"

# TIOCSTI: the ioctl fails with EPERM and nothing reaches the terminal's input.
tiocsti='
import errno, fcntl, sys, termios
text = "echo INJ\"\"ECTED\n"
try:
    for c in text:
        fcntl.ioctl(0, termios.TIOCSTI, c.encode())
    print("TIOCSTI-" + "ALLOWED")
except OSError as e:
    print("TIOCSTI-" + errno.errorcode[e.errno])
'
printf '%s' "$tiocsti" >"$p/tiocsti.py"
start_shell
tm send-keys -t sv "'$v/bin/python' tiocsti.py; echo DONE\"-\"1" Enter
wait_for '^DONE-1$' 100
sleep 0.5
out=$(screen)
like "$out" '^TIOCSTI-EPERM$' "TIOCSTI inside fails with EPERM"
unlike "$out" '^INJECTED$' "... and nothing is injected into the terminal"

# Without the filter, TIOCSTI works, but only on the sandbox's own terminal:
# nothing reaches the shell's input (the relay is the defence; the filter
# is one more).
if [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)" = 0 ]; then
	skip "dev.tty.legacy_tiocsti=0: the kernel blocks TIOCSTI by itself"
else
	start_shell
	tm send-keys -t sv "SANDBOX_SECCOMP_ALLOW= '$v/bin/python' tiocsti.py 2>/dev/null; echo DONE\"-\"2" Enter
	wait_for '^DONE-2$' 100
	sleep 0.5
	out=$(screen)
	like "$out" '^TIOCSTI-ALLOWED$' "without the filter (SANDBOX_SECCOMP_ALLOW=) TIOCSTI is allowed inside"
	unlike "$out" '^INJECTED$' "attack[terminal] ... and still injects nothing into the shell: the sandbox's terminal is its own"
fi

# Property: no process of a sandbox holds the caller's terminal, or can
# open it (/dev/tty, /dev/console): every terminal device inside differs
# from the shell's.
cat >"$p/ttys.py" <<'PY'
import glob, os, stat, sys
seen = set()
for path in glob.glob("/proc/[0-9]*/fd/*") + ["/dev/tty", "/dev/console", "/dev/stdin"]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        continue
    st = os.fstat(fd)
    os.close(fd)
    if stat.S_ISCHR(st.st_mode):
        seen.add("%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
open(sys.argv[1], "w").write(" ".join(sorted(seen)) + "\n")
PY
start_shell
tm send-keys -t sv "python3 -c 'import os; s = os.stat(os.ttyname(0)); print(\"%d:%d\" % (os.major(s.st_rdev), os.minor(s.st_rdev)))' >host-tty; '$v/bin/python' ttys.py inside-ttys & '$v/bin/shell' -c 'python ttys.py inside-ttys2 </dev/null'; wait; echo DONE\"-\"3" Enter
wait_for '^DONE-3$' 150
host_tty=$(cat "$p/host-tty" 2>/dev/null)
inside=$(cat "$p/inside-ttys" "$p/inside-ttys2" 2>/dev/null)
if [ -z "$host_tty" ] || [ -z "$inside" ]; then
	ok 1 "attack[terminal] the terminal devices inside a launch, and the shell's (none found)"
else
	case " $(echo $inside) " in
	*" $host_tty "*) ok 1 "attack[terminal] no descriptor inside is the caller's terminal ($host_tty), and /dev/tty is not: found it in [$inside]" ;;
	*) ok 0 "attack[terminal] no descriptor inside, /dev/tty or /dev/console is the caller's terminal ($host_tty), in the foreground or the background" ;;
	esac
fi

# The terminal hijack: a process of the sandbox makes its own group the
# terminal's foreground (TIOCSPGRP), then touches the terminal from the
# group left behind, so that the terminal stops that group (SIGTTOU), and
# keeps reading. Outside, that stopped the launcher and gave the shell its
# prompt back while the sandbox read what was typed there. Now the terminal
# is the sandbox's own: the launch stops as a whole, and what is typed at
# the prompt never reaches the sandbox.
cat >"$p/hijack.py" <<'PY'
import fcntl, os, select, signal, struct, termios, time
tty = os.open("/dev/tty", os.O_RDWR)
if os.fork() == 0:
    for s in (signal.SIGTTOU, signal.SIGTTIN, signal.SIGHUP, signal.SIGTSTP):
        signal.signal(s, signal.SIG_IGN)
    os.setpgid(0, 0)
    me = struct.pack("i", os.getpgrp())
    def log(data):   # not held open: a file open for writing keeps a launch from stopping
        with open(os.environ["HOME"] + "/keylog.txt", "ab") as f:
            f.write(data)
    end = time.time() + 8
    while time.time() < end:
        try:
            fcntl.ioctl(tty, termios.TIOCSPGRP, me)
        except OSError:
            pass
        if select.select([tty], [], [], 0.1)[0]:
            try:
                log(os.read(tty, 4096))
            except OSError:
                time.sleep(0.1)
    os._exit(0)
time.sleep(0.5)
termios.tcsetattr(tty, termios.TCSANOW, termios.tcgetattr(tty))
time.sleep(8)
PY
rm -f "$v/home/keylog.txt"
start_shell
tm send-keys -t sv "'$v/bin/python' hijack.py" Enter
wait_for 'Stopped.*hijack' 60
ok $? "the hijacker's group stops on its own terminal (SIGTTOU): the launch stops with it, the shell says so"
tm send-keys -t sv 'echo "SECRET""-TYPED"' Enter
wait_for '^SECRET-TYPED$' 50
ok $? "... and the shell has the terminal"
tm send-keys -t sv 'kill -9 %1' Enter
sleep 1
log=$(cat "$v/home/keylog.txt" 2>/dev/null)
unlike "$log" 'SECRET' "attack[terminal] what is typed at the shell's prompt never reaches the sandbox"

# A sandbox that stops itself gives the shell its prompt back: by then the
# whole sandbox is stopped (a process left running could plant a
# repository for the prompt's git), and what it planted is set aside, as at
# the end of a run.
cat >"$p/plant.py" <<'PY'
import os, signal, subprocess, time
P = os.getcwd()
def plant():
    subprocess.run(["git", "init", "-q", P])
    subprocess.run(["git", "-C", P, "config", "core.fsmonitor", "echo FSMON-RAN >>" + P + "/fsmon.out; false"])
if os.fork() == 0:
    os.setpgid(0, 0)
    for s in (signal.SIGTTOU, signal.SIGTTIN, signal.SIGTSTP, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    while True:
        if not os.path.exists(P + "/.git"):
            plant()
        time.sleep(0.02)
time.sleep(0.5)
plant()
os.kill(os.getpid(), signal.SIGSTOP)
time.sleep(30)
PY
if command -v git >/dev/null 2>&1; then
	rm -rf "$p/.git" "$p"/.git.from-sandbox-* "$p/fsmon.out"
	start_shell "PROMPT_COMMAND=git status --short >/dev/null 2>&1"
	tm send-keys -t sv "'$v/bin/python' plant.py" Enter
	wait_for 'Stopped.*plant' 100
	ok $? "a program that stops itself stops the launch"
	sleep 1.5	# the prompt's git runs, a live planter would plant again
	tm send-keys -t sv 'echo "AT""-PROMPT"' Enter
	wait_for '^AT-PROMPT$' 50
	ok $? "... and the prompt (with its git) comes back"
	[ ! -e "$p/.git" ] && ls -d "$p"/.git.from-sandbox-* >/dev/null 2>&1
	ok $? "attack[gitdir] at the prompt, the repository the stopped sandbox planted is set aside, and none comes back"
	[ ! -e "$p/fsmon.out" ]
	ok $? "attack[gitdir] ... and the prompt's git ran nothing of it"
	tm send-keys -t sv 'fg' Enter
	sleep 1
	tm send-keys -t sv C-c
	sleep 1
	rm -rf "$p/.git" "$p"/.git.from-sandbox-* "$p/fsmon.out"
else
	skip "git is not installed: no repository planted during a stop"
fi

# The same, by a process of the sandbox that has the kernel continue it
# while the sandbox is stopped (a POSIX timer's SIGCONT: signals cannot
# keep it stopped): while the prompt is back, the project is read-only
# inside the sandbox, so it plants nothing (run.c, MUST 7). It writes what
# it got into the sandbox's home, which stays writable.
cat >"$p/plant-later.py" <<'PY'
import ctypes, errno, os, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
P, H = os.getcwd(), os.environ["HOME"]
def attempt(path):
    try:
        os.mkdir(path)
        return "made"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
if os.fork() == 0:
    class sigevent(ctypes.Structure):
        _fields_ = [("v", ctypes.c_void_p), ("signo", ctypes.c_int), ("notify", ctypes.c_int),
                    ("pad", ctypes.c_int * 12)]
    class ts(ctypes.Structure): _fields_ = [("s", ctypes.c_long), ("ns", ctypes.c_long)]
    class its(ctypes.Structure): _fields_ = [("i", ts), ("v", ts)]
    signal.signal(signal.SIGCONT, lambda *_: None)
    tid = ctypes.c_void_p()
    libc.timer_create(0, ctypes.byref(sigevent(signo=signal.SIGCONT, notify=0)), ctypes.byref(tid))
    libc.timer_settime(tid, 0, ctypes.byref(its(ts(0, 0), ts(2, 0))), None)
    time.sleep(1.5)                  # stopped by the freeze meanwhile; the timer continues it
    got = "%s %s" % (attempt(P + "/.git"), attempt(H + "/planted"))
    open("/tmp/while-stopped", "w").write(got)
    os._exit(0)
time.sleep(0.5)
os.kill(os.getpid(), signal.SIGSTOP)
os.wait()
print("WHILE-STOPPED", open("/tmp/while-stopped").read(), "AFTER-FG", attempt(P + "/after-fg"),
      attempt(H + "/after-fg"))
PY
if command -v git >/dev/null 2>&1; then
	rm -rf "$p/.git" "$p"/.git.from-sandbox-* "$p/fsmon.out" "$p/after-fg" "$v/home/after-fg" \
		"$v/home/planted"
	start_shell "PROMPT_COMMAND=git status --short >/dev/null 2>&1"
	tm send-keys -t sv "'$v/bin/python' plant-later.py" Enter
	wait_for 'Stopped.*plant-later' 100
	ok $? "a program that stops itself stops the launch (one of its processes armed a timer that continues it)"
	sleep 2.5	# the timer fires; the prompt's git runs
	[ ! -e "$p/.git" ] && [ ! -e "$v/home/planted" ]
	ok $? "attack[gitdir] a process the kernel continues while the launch is stopped plants nothing, in the project or a mount below it (the venv's home)"
	tm send-keys -t sv 'fg' Enter
	wait_for 'WHILE-STOPPED' 100
	like "$(screen)" "WHILE-STOPPED EROFS EROFS AFTER-FG made made" \
		"... it found them read-only, and after fg the project and the home are writable again in that sandbox"
	rm -rf "$p/.git" "$p"/.git.from-sandbox-* "$p/fsmon.out" "$p/after-fg" "$v/home/after-fg" \
		"$v/home/planted"
else
	skip "git is not installed: no repository planted during a stop"
fi

# A file open for writing in the project: its mount cannot be made
# read-only, so the sandbox is not stopped (it could not be kept from the
# project): it goes on, says so, and ends as it would have.
cat >"$p/busy-stop.py" <<'PY'
import os, signal, time
f = open("busy.log", "w")
os.kill(os.getpid(), signal.SIGSTOP)
f.write("still running\n"); f.close()
print("BUSY-DONE")
PY
rm -f "$p/busy.log"
start_shell
tm send-keys -t sv "'$v/bin/python' busy-stop.py" Enter
wait_for 'BUSY-DONE' 100
ok $? "a program that stops itself with a file open for writing in the project goes on: the sandbox is not stopped"
like "$(screen)" "cannot be stopped safely now" "... and the launcher says why"
[ "$(cat "$p/busy.log" 2>/dev/null)" = "still running" ]
ok $? "... and the program wrote its file"
rm -f "$p/busy.log"

# run_outside DIR GATE SCRIPT [ARG...]: run GATE SCRIPT ARG... in DIR
# outside a terminal; prints STOPPED if the launch stopped (and continues
# it), then what it printed. A launch that stopped would otherwise stop
# this test.
run_outside() {
	"$SV_PYTHON" - "$@" <<'PY' 2>&1
import subprocess, sys, time
d, gate = sys.argv[1:3]
p = subprocess.Popen([gate] + sys.argv[3:], cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
for _ in range(150):
    if p.poll() is not None:
        break
    state = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()[0]
    if state == "T":
        print("STOPPED")
        p.send_signal(18)
        break
    time.sleep(0.1)
print(p.communicate(timeout=30)[0].decode().strip())
PY
}

# The project's mount is found without following links: a sandbox can
# rename what lies above the project (here in /tmp, a tmpfs of its own)
# and leave a link there, to another venv's read-only mount; making that
# read-only would leave the project writable while the prompt is back.
# The launch does not stop then. (Outside a terminal: a launch that
# stopped would stop this test, which continues it and says so.)
q=$SV_TMP/steer/proj
rm -rf "$SV_TMP/steer" "$SV_TMP/steer2"
mkdir -p "$q/proj"
touch "$q/proj/pyvenv.cfg"
if "$SV_PYTHON" -m venv --without-pip "$q/.venv" >/dev/null 2>&1 && "$SV" "$q/.venv" >/dev/null 2>&1; then
	cat >"$q/steer.py" <<'PY'
import os, signal
P = os.getcwd()
A = os.path.dirname(P)
os.rename(A, A + "2")
os.symlink(A + "2/proj", A)          # P now leads to P/proj, another venv's read-only mount
os.kill(os.getpid(), signal.SIGSTOP)
print("WENT-ON")
PY
	out=$(run_outside "$q" "$q/.venv/bin/python" steer.py)
	st=1
	if ! printf '%s\n' "$out" | grep -q '^STOPPED' && printf '%s\n' "$out" | grep -q 'WENT-ON'; then
		st=0
	fi
	ok "$st" "attack[gitdir] the path to the project steered by the sandbox to another mount: the launch does not stop (it cannot make the project read-only), and says so ($(printf '%s' "$out" | tr '\n' ' ' | cut -c1-160))"
else
	skip "attack[gitdir] a steered project path: cannot make the project"
fi
rm -rf "$SV_TMP/steer" "$SV_TMP/steer2"

# The project's mount is found by its path, and must be writable: a
# read-only bind of the project (BWRAP_ARGS) that the sandbox moves to the
# project's path, by renaming what lies above both in its own /tmp, is not
# the project's mount; making it read-only would leave the project
# writable while the prompt is back. The launch does not stop then.
sw=$SV_TMP/swap
rm -rf "$sw"
mkdir -p "$sw/A/proj"
cat >"$sw/A/proj/swap.py" <<'PY'
import os, signal, sys
P = os.getcwd()
A = os.path.dirname(P)
try:
    os.rename(A, A + "-real")
    os.rename(sys.argv[1], A)       # the read-only bind, at the project's path
except OSError as e:
    print("NO-RENAME", e)
    sys.exit(0)
os.kill(os.getpid(), signal.SIGSTOP)
print("WENT-ON")
PY
if "$SV_PYTHON" -m venv --without-pip "$sw/A/proj/.venv" >/dev/null 2>&1 &&
	"$SV" "$sw/A/proj/.venv" >/dev/null 2>&1; then
	out=$(BWRAP_ARGS="--ro-bind $sw/A/proj $sw/B/proj" run_outside "$sw/A/proj" \
		"$sw/A/proj/.venv/bin/python" swap.py "$sw/B")
	if printf '%s\n' "$out" | grep -q '^NO-RENAME'; then
		skip "attack[gitdir] a read-only bind of the project moved to its path: the sandbox cannot rename above the project here ($out)"
	else
		st=1
		if ! printf '%s\n' "$out" | grep -q '^STOPPED' && printf '%s\n' "$out" | grep -q 'WENT-ON' &&
			printf '%s\n' "$out" | grep -q 'cannot be stopped safely'; then
			st=0
		fi
		ok "$st" "attack[gitdir] a read-only bind of the project that the sandbox moves to the project's path: the launch does not stop, and says so ($(printf '%s' "$out" | tr '\n' ' ' | cut -c1-160))"
	fi
else
	skip "attack[gitdir] a read-only bind of the project moved to its path: cannot make the project"
fi
rm -rf "$sw"

# The init checks that every process of the sandbox stopped by reading
# each one's /proc/PID/stat. A sandbox can lower the init's limit on
# descriptors (prlimit(2) on pid 1, same uid) so that /proc opens but
# no stat file does: a process the init cannot read is not counted as
# stopped, so the launch does not stop. (Outside a terminal, as above.)
cat >"$p/limit-init.py" <<'PY'
import os, resource, signal
resource.prlimit(1, resource.RLIMIT_NOFILE, (4, 4))
print("LIMIT", resource.prlimit(1, resource.RLIMIT_NOFILE))
os.kill(os.getpid(), signal.SIGSTOP)
print("WENT-ON")
PY
out=$(run_outside "$p" "$v/bin/python" limit-init.py)
st=1
if printf '%s\n' "$out" | grep -q '^LIMIT (4, 4)' && ! printf '%s\n' "$out" | grep -q '^STOPPED' &&
	printf '%s\n' "$out" | grep -q 'WENT-ON'; then
	st=0
fi
ok "$st" "attack[init] a sandbox that limits the init's descriptors (prlimit on pid 1) before it stops itself: the init cannot see that all stopped, and the launch does not stop ($(printf '%s' "$out" | tr '\n' ' ' | cut -c1-160))"
rm -f "$p/limit-init.py"

tm kill-server 2>/dev/null
done_testing
