#!/bin/bash
# filter.t - the kernel-enforced policy through the launcher: the seccomp
# filter binds every process (python, python -I -S, shell -c, a compiled
# entry point), SANDBOX_SECCOMP_ALLOW, --disable-userns, and the Landlock
# scopes (abstract unix sockets, signals).
. "$(dirname "$0")/lib.sh"

helper=${SV_HELPERS:-}/try-syscall
if [ -z "${SV_HELPERS:-}" ] || [ ! -x "$helper" ]; then
	skip "no try-syscall helper (SV_HELPERS): run through tests/run-all after make tests"
	done_testing
	exit
fi

# A venv with try-syscall as a compiled entry point, placed before wrapping,
# and a copy in the project for shell and python to run.
p=$SV_TMP/filter
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv" >/dev/null
v=$p/.venv
cp "$helper" "$v/bin/try-syscall"
cp "$helper" "$p/try-syscall"
if ! "$SV" "$v" >/dev/null 2>"$SV_TMP/wrap.err"; then
	ok 1 "wrap a venv with a compiled entry point"
	sed 's/^/#   /' "$SV_TMP/wrap.err"
	done_testing
	exit
fi

# Rows: CALL EXPECTED, as tests/scfilter-bwrap.sh. EXPECTED is the errno
# name under the filter, "same" for calls it lets through, SIGSYS for the
# other-architecture kill.
rows='
keyctl EPERM
add_key EPERM
request_key EPERM
unshare EPERM
setns EPERM
clone-newuser EPERM
clone-newns EPERM
clone-newnet EPERM
clone3 ENOSYS
mount EPERM
umount2 EPERM
pivot_root EPERM
chroot EPERM
open_tree EPERM
move_mount EPERM
fsopen EPERM
fsconfig EPERM
fsmount EPERM
fspick EPERM
mount_setattr EPERM
open_by_handle_at EPERM
io_uring_setup EPERM
io_uring_enter EPERM
io_uring_register EPERM
bpf EPERM
userfaultfd EPERM
perf_event_open EPERM
kexec_load EPERM
kexec_file_load EPERM
init_module EPERM
finit_module EPERM
delete_module EPERM
acct EPERM
quotactl EPERM
quotactl_fd EPERM
syslog EPERM
uselib EPERM
modify_ldt EPERM
move_pages EPERM
migrate_pages EPERM
personality EPERM
personality-high EPERM
tiocsti EPERM
tiocsti-high EPERM
tioclinux EPERM
socket-packet EAFNOSUPPORT
socket-high EAFNOSUPPORT
x32-getpid SIGSYS
i386-getpid SIGSYS
fork same
personality-query same
socket-unix same
socket-inet same
socket-netlink same
ptrace same
process_vm_readv same
getpid same
'
calls=$(printf '%s\n' "$rows" | awk 'NF { print $1 }' | tr '\n' ' ')

# Each runner prints "CALL RESULT" lines; RESULT is what try-syscall printed,
# or SIGSYS when it was killed by SIGSYS (status 159, or -31 in python).
shell_loop='for c in "$@"; do
	out=$(./try-syscall "$c" 2>/dev/null </dev/null); rc=$?
	[ $rc -eq 159 ] && out=SIGSYS; [ -n "$out" ] || out="status-$rc"
	echo "$c $out"
done'
py_loop='
import subprocess, sys
for c in sys.argv[1:]:
    r = subprocess.run(["./try-syscall", c], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    out = "SIGSYS" if r.returncode == -31 else (r.stdout.strip() or "status-%d" % r.returncode)
    print(c, out)
'
# shellcheck disable=SC2086
run_shell() { (cd "$p" && "$v/bin/shell" -c "$shell_loop" sh $calls) 2>"$SV_TMP/err"; }
# shellcheck disable=SC2086
run_python() { (cd "$p" && "$v/bin/python" -c "$py_loop" $calls) 2>"$SV_TMP/err"; }
# shellcheck disable=SC2086
run_isolated() { (cd "$p" && "$v/bin/python" -I -S -c "$py_loop" $calls) 2>"$SV_TMP/err"; }
run_compiled() {
	local c out rc
	for c in $calls; do
		out=$("$v/bin/try-syscall" "$c" 2>/dev/null </dev/null)
		rc=$?
		[ $rc -eq 159 ] && out=SIGSYS
		[ -n "$out" ] || out="status-$rc"
		echo "$c $out"
	done
}
lookup() { printf '%s\n' "$1" | awk -v c="$2" '$1 == c { print $2; exit }'; }

without=$(SANDBOX_SECCOMP_ALLOW= run_shell)
like "$(cat "$SV_TMP/err")" 'running without a system call filter' \
	"SANDBOX_SECCOMP_ALLOW= (blank) warns that the filter is off"
by_shell=$(run_shell)
by_python=$(run_python)
by_isolated=$(run_isolated)
by_compiled=$(run_compiled)

while read -r call want; do
	[ -n "$call" ] || continue
	wo=$(lookup "$without" "$call")
	got="shell=$(lookup "$by_shell" "$call") python=$(lookup "$by_python" "$call")"
	got="$got python-I-S=$(lookup "$by_isolated" "$call") compiled=$(lookup "$by_compiled" "$call")"
	if [ "$want" = same ]; then
		is "$got" "shell=$wo python=$wo python-I-S=$wo compiled=$wo" \
			"$call is allowed: $wo everywhere, as without the filter"
	elif [ "$want" = SIGSYS ] && [ "$wo" = status-139 ]; then
		skip "$call: this kernel has no entry for that ABI (SIGSEGV without the filter)"
	elif [ "$wo" = "$want" ]; then
		skip "$call: the kernel alone answers $want here, the row cannot be told apart"
	else
		is "$got" "shell=$want python=$want python-I-S=$want compiled=$want" \
			"$call gives $want in shell -c, python, python -I -S and a compiled program ($wo without the filter)"
	fi
done <<<"$rows"

# Python itself, not only its children, in isolated mode (no site, no
# sitecustomize): direct calls through ctypes.
out=$("$v/bin/python" -I -S -c '
import ctypes, errno, fcntl, os, socket, termios
libc = ctypes.CDLL(None, use_errno=True)
def call(nr, *args):
    r = libc.syscall(nr, *[ctypes.c_long(a) for a in args])
    return "OK" if r >= 0 else errno.errorcode[ctypes.get_errno()]
res = [call(250, 0x7fff, 0, 0, 0, 0),           # keyctl
       call(272, 1),                             # unshare(CSIGNAL)
       call(321, 0x7fff, 0, 0)]                  # bpf
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"x"); res.append("OK")
except OSError as e:
    res.append(errno.errorcode[e.errno])
try:
    socket.socket(17, socket.SOCK_RAW); res.append("OK")   # AF_PACKET
except OSError as e:
    res.append(errno.errorcode[e.errno])
print(" ".join(res))' 2>&1 </dev/null)
if [ "$(uname -m)" = x86_64 ]; then
	is "$out" "EPERM EPERM EPERM EPERM EAFNOSUPPORT" \
		"python -I -S itself: keyctl, unshare, bpf, TIOCSTI and AF_PACKET are refused"
else
	skip "direct system call numbers are for x86_64"
fi

# --- SANDBOX_SECCOMP_ALLOW ---------------------------------------------------------
# What the dynamic loader, the sandbox's init and try-syscall need.
allow='execve brk arch_prctl mmap munmap mprotect openat read pread64 close newfstatat
access set_tid_address set_robust_list rseq prlimit64 getrandom write exit_group
rt_sigaction rt_sigprocmask clone wait4 rt_sigtimedwait getpid'
if grep -qa 'libasan\.so' "$SV"; then
	skip "a sanitizer build: its runtime needs more system calls than a short allowlist"
else
	out=$(SANDBOX_SECCOMP_ALLOW="$allow" "$v/bin/try-syscall" getpid 2>&1)
	is "$out" OK "a short SANDBOX_SECCOMP_ALLOW runs a compiled program: getpid is listed"
	out=$(SANDBOX_SECCOMP_ALLOW="$allow" "$v/bin/try-syscall" socket-inet 2>&1)
	is "$out" EPERM "... socket, not listed, fails with EPERM"
	out=$(SANDBOX_SECCOMP_ALLOW="$allow" "$v/bin/try-syscall" fork 2>&1)
	is "$out" OK "... clone is listed: a plain fork works"
	out=$(SANDBOX_SECCOMP_ALLOW="$allow" "$v/bin/try-syscall" clone-newuser 2>&1)
	is "$out" EPERM "... but clone with CLONE_NEWUSER stays refused"
	out=$(SANDBOX_SECCOMP_ALLOW="$allow ioctl" "$v/bin/try-syscall" tiocsti 2>&1)
	is "$out" EPERM "... with ioctl listed, TIOCSTI stays refused"
	out=$(SANDBOX_SECCOMP_ALLOW="$allow ioctl" "$v/bin/try-syscall" ioctl 2>&1)
	is "$out" EBADF "... while other ioctls pass"
fi
out=$(SANDBOX_SECCOMP_ALLOW="$allow frobnicate" "$v/bin/try-syscall" getpid 2>&1)
rc=$?
ok $((rc == 0)) "an unknown name in SANDBOX_SECCOMP_ALLOW stops the launch"
like "$out" "unknown system call 'frobnicate' in SANDBOX_SECCOMP_ALLOW" "... and names it"

# --- --disable-userns ---------------------------------------------------------------
userns='
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print("OK" if libc.unshare(0x10000000) == 0 else os.strerror(ctypes.get_errno()))'
err=$(VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
if printf '%s\n' "$err" | grep -q -e '--disable-userns'; then
	out=$(SANDBOX_SECCOMP_ALLOW= "$v/bin/python" -c "$userns" 2>/dev/null)
	is "$out" "No space left on device" \
		"--disable-userns: with the filter off, a nested user namespace cannot be created"
	if bwrap --ro-bind / / --unshare-user --unshare-pid true 2>/dev/null; then
		out=$(bwrap --ro-bind / / --dev /dev --proc /proc --unshare-user --unshare-pid \
			"$SV_PYTHON" -c "$userns" 2>&1)
		is "$out" OK "... while bwrap without --disable-userns allows it"
	else
		skip "bare bwrap cannot make a sandbox here"
	fi
	out=$("$v/bin/python" -c "$userns" 2>/dev/null)
	is "$out" "Operation not permitted" "with the filter, unshare(CLONE_NEWUSER) is refused first"
else
	skip "this bwrap has no --disable-userns"
fi

# --- Landlock scopes -------------------------------------------------------------------
landlock=$(printf '%s\n' "$err" | grep 'landlock:')
if ! printf '%s\n' "$landlock" | grep -q 'scoped to the sandbox'; then
	like "$landlock" 'landlock: .*not' "without Landlock scopes the launch says so under VERBOSE"
	skip "Landlock scopes are not available: ${landlock:-no landlock line}"
	done_testing
	exit
fi
ok 0 "VERBOSE reports the Landlock scopes (${landlock#*: })"

# An abstract unix socket on the host.
name="sv-filter-$$-$RANDOM"
"$SV_PYTHON" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind("\0" + sys.argv[1]); s.listen(8); s.settimeout(30)
open(sys.argv[2] + ".tmp", "w").close(); os.rename(sys.argv[2] + ".tmp", sys.argv[2])
try:
    while True:
        c, _ = s.accept(); c.sendall(b"hello"); c.close()
except socket.timeout:
    pass' "$name" "$SV_TMP/abstract.ready" &
listener=$!
for _ in $(seq 100); do [ -e "$SV_TMP/abstract.ready" ] && break; sleep 0.1; done
connect='
import errno, socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("\0" + sys.argv[1]); print(s.recv(10).decode())
except OSError as e:
    print(errno.errorcode[e.errno])'
out=$("$SV_PYTHON" -c "$connect" "$name" 2>&1)
is "$out" hello "an abstract unix socket created on the host answers a host client"
out=$(bwrap --ro-bind / / --unshare-user --unshare-pid "$SV_PYTHON" -c "$connect" "$name" 2>&1)
is "$out" hello "... and a client in a bare bwrap sharing the network"
out=$("$v/bin/python" -c "$connect" "$name" 2>&1)
is "$out" EPERM "from the sandbox, connecting to it fails with EPERM (network shared)"
out=$("$v/bin/python" -c '
import errno, os, socket, threading
s = socket.socket(socket.AF_UNIX); s.bind("\0inside-%d" % os.getpid()); s.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect("\0inside-%d" % os.getpid())
print("own socket ok")' 2>&1)
is "$out" "own socket ok" "an abstract socket created inside still works inside"
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null

# Signals: a process can signal its whole process group, kill(0, sig), and
# the group of a gate run from a script holds host processes. A witness in
# a fresh session records SIGUSR1; the sender shares its process group.
witness='
import os, signal, sys, time
def hit(sig, frame):
    open(sys.argv[1], "a").write("hit\n")
signal.signal(signal.SIGUSR1, hit)
open(sys.argv[1] + ".ready", "w").close()
time.sleep(3)'
sender='import os, signal; os.kill(0, signal.SIGUSR1)'
# pgrp_signal SENDER...: "hit" when the witness got the signal.
pgrp_signal() {
	local w=$SV_TMP/witness
	rm -f "$w" "$w.ready"
	setsid bash -c '
		trap "" USR1
		"$SV_PYTHON" -c "$1" "$2" &
		for _ in $(seq 100); do [ -e "$2.ready" ] && break; sleep 0.1; done
		shift 2
		"$@" >/dev/null 2>&1
		wait' _ "$witness" "$w" "$@" </dev/null
	cat "$w" 2>/dev/null || echo "not hit"
}
is "$(pgrp_signal "$SV_PYTHON" -c "$sender")" hit \
	"kill(0, SIGUSR1) from a host process reaches a host process of its group"
if bwrap --ro-bind / / --unshare-user --unshare-pid true 2>/dev/null; then
	is "$(pgrp_signal bwrap --ro-bind / / --unshare-user --unshare-pid "$SV_PYTHON" -c "$sender")" hit \
		"... and from a bare bwrap with its own pid namespace too"
else
	skip "bare bwrap cannot make a sandbox here"
fi
is "$(pgrp_signal "$v/bin/python" -c "$sender")" "not hit" \
	"from the sandbox, kill(0, SIGUSR1) does not reach the host process"
out=$("$v/bin/python" -c '
import os, signal, subprocess
p = subprocess.Popen(["sleep", "10"])
os.kill(p.pid, signal.SIGTERM); print(p.wait())' 2>&1)
is "$out" -15 "signals between processes inside the sandbox still work"

done_testing
