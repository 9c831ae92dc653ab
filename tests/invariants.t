#!/bin/bash
# invariants.t - the invariant of DESIGN.md, MUST 9-13, and the small leaks
# found with them, tested as properties rather than instances: each is
# checked for every kind of launch (python -c, python script.py, pip,
# python -m pip, a console script, a compiled entry point, bin/shell), the
# whole file runs as root and as an unprivileged user, and each outcome is
# judged on the host wherever it lands there.
#
# Every test line reads "attack[CLASS] ...", as in attacks.t, CLASS one of descriptors,
# hostwork, root, layout, git, shadowing, dos, leaks, paths, state, start:
#   SV=./sandbox-venv tests/invariants.t | grep -o 'attack\[[a-z]*\]' | sort | uniq -c
# Attacks print "ID DONE" or "ID blocked ERRNO" (see report() below); the
# host-side check decides.
. "$(dirname "$0")/lib.sh"

# --- fixtures and helpers -------------------------------------------------------
W=$(mktemp -d "$SV_TMP/inv.XXXXXX") || { ok 1 "attack[setup] a scratch directory"; done_testing; exit; }
W=$(cd "$W" && pwd -P)
lib_trap=$(trap -p EXIT)
bg_pids=()
home_tmp=
cleanup() {
	stop_pids "${bg_pids[@]}"
	if [ -n "$home_tmp" ]; then
		chmod -R u+w "$home_tmp" 2>/dev/null
		rm -rf "$home_tmp"
	fi
	chmod -R u+w "$W" 2>/dev/null
	rm -rf "$W"
	if [ -n "$lib_trap" ]; then   # lib.sh made SV_TMP: its cleanup too
		chmod -R u+w "$SV_TMP" 2>/dev/null
		rm -rf "$SV_TMP"
	fi
}
trap cleanup EXIT

uid=$(id -u)
pip_opts=(-q --no-build-isolation --no-index --disable-pip-version-check)

t() {       # t CLASS "description" STATUS [DIAGNOSTICS]
	ok "$3" "attack[$1] $2"
	if [ "$3" -ne 0 ] && [ -n "${4:-}" ]; then
		printf '%s\n' "$4" | head -40 | sed 's/^/#   /'
	fi
}
tskip() { skip "attack[$1] $2"; }

# Host git, deaf to the caller's own configuration and to anything above $W.
hgit() {
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_CEILING_DIRECTORIES=$W \
		git "$@" </dev/null >/dev/null 2>&1
}
have_git=$(command -v git >/dev/null && echo 1)

# The payload prelude: report(ID, FN) prints "ID DONE" or "ID blocked ERRNO".
PRELUDE='import errno, os, sys
print("start"); sys.stdout.flush()
def report(id, fn):
    try:
        fn()
        print(id, "DONE")
    except OSError as e:
        print(id, "blocked", errno.errorcode.get(e.errno, e.errno))
    sys.stdout.flush()
'
line() { printf '%s\n' "$1" | grep -m1 "^$2 "; }
# blocked OUT ID [ERRNO-REGEX]: the payload started and attack ID failed
# (with that errno, when given).
blocked() {
	if [ -n "${3:-}" ]; then
		printf '%s\n' "$1" | grep -q "^$2 blocked $3\$"
	else
		printf '%s\n' "$1" | grep -q "^$2 blocked\( \|\$\)"
	fi
}
started() { printf '%s\n' "$1" | grep -q '^start$'; }

# mkproj NAME: $W/NAME with a wrapped venv without pip; prints its path.
mkproj() {
	local dir=$W/$1
	mkdir -p "$dir" &&
		"$SV_PYTHON" -m venv --without-pip "$dir/.venv" >/dev/null 2>"$W/mkproj.err" &&
		"$SV" "$dir/.venv" >/dev/null 2>>"$W/mkproj.err" || {
		echo "# cannot make project $dir:" >&2
		sed 's/^/#   /' "$W/mkproj.err" >&2
		return 1
	}
	printf '%s\n' "$dir"
}

# A venv with pip, made once; mkproj_pip copies it (ensurepip costs seconds
# per venv) and points its scripts at the copy before wrapping.
pip_template=$W/pip-template/.venv
"$SV_PYTHON" -m venv "$pip_template" >/dev/null 2>"$W/template.err" || {
	sed 's/^/# pip template: /' "$W/template.err"
	pip_template=
}
mkproj_pip() {
	local dir=$W/$1
	[ -n "$pip_template" ] || { echo "# no venv with pip" >&2; return 1; }
	mkdir -p "$dir" && cp -a "$pip_template" "$dir/.venv" &&
		"$SV_PYTHON" - "$pip_template" "$dir/.venv" <<'PY' &&
import os, sys
src, dst = sys.argv[1], sys.argv[2]
paths = [os.path.join(dst, "bin", n) for n in os.listdir(os.path.join(dst, "bin"))]
for p in paths + [os.path.join(dst, "pyvenv.cfg")]:
    if os.path.islink(p) or not os.path.isfile(p):
        continue
    with open(p, "rb") as f:
        data = f.read()
    if src.encode() in data:
        with open(p, "wb") as f:
            f.write(data.replace(src.encode(), dst.encode()))
PY
		"$SV" "$dir/.venv" >/dev/null 2>"$W/mkproj.err" || {
		echo "# cannot make project $dir:" >&2
		sed 's/^/#   /' "$W/mkproj.err" >&2
		return 1
	}
	printf '%s\n' "$dir"
}

# install_probe VENV: a .pth in site-packages that, at every interpreter
# start with SV_FDLIST set (passed in with SANDBOX_PASS_ENV), writes there
# "self FD TARGET" for each descriptor of the process but the .pth being
# read and the listing's own, then "pid1 FD KIND TARGET" for the sandbox's
# pid 1 (KIND dir, reg or other); with SV_MOUNTINFO set, a copy of
# /proc/self/mountinfo.
install_probe() {
	local sp
	sp=$(ls -d "$1"/lib/python3*/site-packages 2>/dev/null | head -1)
	[ -n "$sp" ] && [ -d "$sp" ] || return 1
	cat >"$sp/svinv_probe.py" <<'PY'
import os, stat
def _probe():
    out = os.environ.get("SV_FDLIST")
    if out:
        lines = []
        for name in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink("/proc/self/fd/" + name)
            except OSError:
                continue    # the listing's own descriptor, closed by now
            if target.endswith("/zz-svinv-probe.pth"):
                continue    # the .pth file site.py is reading
            lines.append("self %s %s" % (name, target))
        try:
            names = os.listdir("/proc/1/fd")
        except OSError as e:
            names = []
            lines.append("pid1-unreadable %d" % e.errno)
        for name in names:
            path = "/proc/1/fd/" + name
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            try:
                mode = os.stat(path).st_mode
                kind = "dir" if stat.S_ISDIR(mode) else "reg" if stat.S_ISREG(mode) else "other"
            except OSError:
                kind = "?"
            lines.append("pid1 %s %s %s" % (name, kind, target))
        with open(out, "w") as f:
            f.write("\n".join(lines) + "\n")
    out = os.environ.get("SV_MOUNTINFO")
    if out:
        with open("/proc/self/mountinfo") as src, open(out, "w") as f:
            f.write(src.read())
_probe()
PY
	echo 'import svinv_probe' >"$sp/zz-svinv-probe.pth"
}

# marker_procs MARK: "PID EXE CMDLINE" for each process whose command line
# holds MARK (this check excluded).
marker_procs() {
	MARK=$1 "$SV_PYTHON" -c '
import os
mark, me = os.environ["MARK"].encode(), os.getpid()
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == me:
        continue
    try:
        cmd = open("/proc/%s/cmdline" % pid, "rb").read()
    except OSError:
        continue
    if mark in cmd:
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
        except OSError:
            exe = "?"
        print(pid, exe, cmd.replace(b"\0", b" ").decode(errors="replace"))'
}

nobits() {   # nobits FILE: absent, or without setuid and setgid bits
	[ ! -e "$1" ] || [ $((8#$(stat -c %a "$1") & 8#6000)) -eq 0 ]
}
noxattr() {  # noxattr FILE NAME: FILE absent, or without xattr NAME
	"$SV_PYTHON" -c '
import os, sys
try:
    os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False)
except OSError:
    sys.exit(0)
sys.exit(1)' "$1" "$2"
}

real_home=$("$SV_PYTHON" -c 'import os, pwd; print(pwd.getpwuid(os.getuid()).pw_dir)')

# === descriptors (MUST 9) ==========================================================
# Every launch kind runs with the caller holding 7 (a directory above the
# project), 8 (a secret file) and 9 (another directory) open; inside, the
# program must have 0, 1 and 2 only.
secret=$W/secret-file
somedir=$W/some-dir
echo "SECRET-FD-$$" >"$secret"
mkdir -p "$somedir"
helper=${SV_HELPERS:-}/fd-list
[ -n "${SV_HELPERS:-}" ] && [ -x "$helper" ] || helper=

fd_judge() {   # fd_judge WHAT LISTING OUTPUT ("FD TARGET" lines)
	local got fd rest nums=()
	while read -r fd rest; do
		[[ $fd =~ ^[0-9]+$ ]] && nums+=("$fd")
	done <<<"$2"
	got=$( ((${#nums[@]})) && printf '%s\n' "${nums[@]}" | sort -n | tr '\n' ' ')
	got=${got% }
	t descriptors "$1: the program starts with descriptors 0, 1 and 2 only" \
		"$([ "$got" = "0 1 2" ]; echo $?)" "descriptors inside: ${got:-none}
$2
output: $3"
}
# fd_python TAG WHAT COMMAND...: a python launch with the probe's listing
fd_python() {
	local tag=$1 what=$2 out
	shift 2
	rm -f "$p/fdlist.$tag"
	out=$(cd "$p" && SV_FDLIST=$p/fdlist.$tag SANDBOX_PASS_ENV=SV_FDLIST \
		"$@" 7<"$W" 8<"$secret" 9<"$somedir" </dev/null 2>&1)
	if [ ! -s "$p/fdlist.$tag" ]; then
		t descriptors "$what: the program starts with descriptors 0, 1 and 2 only" 1 \
			"no listing came from inside; output: $out"
		return
	fi
	fd_judge "$what" "$(sed -n 's/^self //p' "$p/fdlist.$tag")" "$out"
}
# pid1_judge TAG WHAT: the sandbox's pid 1 holds no directory or regular
# file (pipes, sockets, anonymous inodes and memfds are no way out)
pid1_judge() {
	local f=$p/fdlist.$1 all bad
	if [ ! -s "$f" ]; then
		t descriptors "$2: the sandbox's pid 1 holds no directory or regular file" 1 "no listing"
		return
	fi
	if grep -q '^pid1-unreadable' "$f"; then
		t descriptors "$2: the sandbox's pid 1 holds no directory or regular file (its fds cannot even be listed)" 0
		return
	fi
	all=$(grep '^pid1 ' "$f")
	bad=$(printf '%s\n' "$all" | grep -E '^pid1 [0-9]+ (dir|reg) ' | grep -vE '^pid1 [0-9]+ [a-z]+ (/memfd:|anon_inode:)')
	t descriptors "$2: the sandbox's pid 1 holds no directory or regular file" \
		"$([ -n "$all" ] && [ -z "$bad" ]; echo $?)" "offenders:
$bad
all of pid 1:
$all"
}

if p=$(mkproj_pip desc) && install_probe "$p/.venv"; then
	v=$p/.venv
	make_package "$p/pkg-fd" svfdtool sv-fdtool
	(cd "$p" && "$v/bin/pip" install "${pip_opts[@]}" ./pkg-fd) >"$W/pip.out" 2>&1 ||
		sed 's/^/# pip install of the console script: /' "$W/pip.out" | tail -5
	echo pass >"$p/script.py"
	if [ -n "$helper" ]; then
		cp "$helper" "$v/bin/fd-list"
		cp "$helper" "$p/fd-list"
		"$SV" "$v" >/dev/null 2>"$W/wrap.err" || sed 's/^/# wrap with fd-list: /' "$W/wrap.err"
	fi

	fd_python pyc "python -c" "$v/bin/python" -c pass
	fd_python script "python script.py" "$v/bin/python" "$p/script.py"
	fd_python pip "pip --version" "$v/bin/pip" --version
	fd_python mpip "python -m pip --version" "$v/bin/python" -m pip --version
	if is_gate "$v/bin/sv-fdtool"; then
		fd_python console "a console script" "$v/bin/sv-fdtool"
	else
		t descriptors "a console script: the program starts with descriptors 0, 1 and 2 only" 1 \
			"the console script was not installed: $(tail -5 "$W/pip.out")"
	fi
	# With links on (a desktop session) and with --socket=x11: the link
	# socket and the X socket are bound by path, never handed over as
	# descriptors. The X server is a stand-in listener at a free number,
	# with a cookie for it.
	if xd=$(free_x_display 300 500); then
		"$SV_PYTHON" - "$xd" "$W/xauth" "$(uname -n)" <<'PY' >"$W/xstub.out" 2>&1 &
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
d, auth, host = sys.argv[1:4]
e = lambda b: len(b).to_bytes(2, "big") + b
open(auth, "wb").write((256).to_bytes(2, "big") + e(host.encode()) + e(d.encode()) +
                       e(b"MIT-MAGIC-COOKIE-1") + e(os.urandom(16)))
os.makedirs("/tmp/.X11-unix", exist_ok=True)
s = socket.socket(socket.AF_UNIX)
s.bind("/tmp/.X11-unix/X" + d)
s.listen(1)
print("ready", flush=True)
try:
    time.sleep(120)
finally:
    os.unlink("/tmp/.X11-unix/X" + d)
PY
		bg_pids+=("$!")
		for _ in $(seq 50); do grep -qs ready "$W/xstub.out" && break; sleep 0.1; done
		fd_python links "python -c with links on (DISPLAY set)" env DISPLAY=":$xd" "$v/bin/python" -c pass
		pid1_judge links "python -c with links on"
		"$SV" "$v" --socket=x11 >/dev/null 2>"$W/wrap.err" || sed 's/^/# --socket=x11: /' "$W/wrap.err"
		out=$(cd "$p" && env DISPLAY=":$xd" XAUTHORITY="$W/xauth" "$v/bin/python" -c '
import os
print(os.environ.get("DISPLAY"), os.path.exists("/run/sandbox-venv/links"),
      os.path.exists("/run/sandbox-venv/Xauthority"), os.path.exists("/tmp/.X11-unix/X" + os.environ.get("DISPLAY", ":")[1:]))' 2>&1)
		t descriptors "with --socket=x11 and links on, the X socket, the cookie and the link socket are inside (what the next check lists)" \
			"$([ "$out" = ":99 True True True" ] || [ "$out" = ":100 True True True" ]; echo $?)" \
			"$out; the wrap: $(cat "$W/wrap.err"); the stub: $(cat "$W/xstub.out"); $(ls -ld /tmp/.X11-unix "/tmp/.X11-unix/X$xd" 2>&1)"
		fd_python x11 "python -c with --socket=x11 and links on" env DISPLAY=":$xd" XAUTHORITY="$W/xauth" "$v/bin/python" -c pass
		pid1_judge x11 "python -c with --socket=x11"
	else
		tskip descriptors "--socket=x11 and links on: no X display number in 300..500 is free (live servers, or other users' files in /tmp/.X11-unix)"
	fi
	"$SV" "$v" --nosocket=x11 >/dev/null 2>&1
	if [ -n "$helper" ] && is_gate "$v/bin/fd-list"; then
		out=$(cd "$p" && "$v/bin/fd-list" 7<"$W" 8<"$secret" 9<"$somedir" </dev/null 2>&1)
		fd_judge "a compiled entry point" "$(printf '%s\n' "$out" | grep -E '^[0-9]+ ')" "$out"
		out=$(cd "$p" && "$v/bin/shell" -c 'exec ./fd-list' 7<"$W" 8<"$secret" 9<"$somedir" </dev/null 2>&1)
		fd_judge "shell -c 'exec ./fd-list'" "$(printf '%s\n' "$out" | grep -E '^[0-9]+ ')" "$out"
	else
		tskip descriptors "a compiled entry point: no fd-list helper (run through tests/run-all after make tests)"
		tskip descriptors "shell -c 'exec ./fd-list': no fd-list helper"
	fi
	pid1_judge pyc "python -c"
	pid1_judge pip "pip --version"

	# --network=allow=: the init makes the proxy's listeners and hands them
	# to the launcher over a socket it inherited, before the program starts.
	# Neither the program nor pid 1 keeps any of them.
	SANDBOX_NETWORK=allow=example.com fd_python allow "python -c, --network=allow=" \
		"$v/bin/python" -c pass
	SANDBOX_NETWORK=allow=example.com fd_python allowpip "pip --version, --network=allow=" \
		"$v/bin/pip" --version
	if [ -n "$helper" ] && is_gate "$v/bin/fd-list"; then
		out=$(cd "$p" && SANDBOX_NETWORK=allow=example.com "$v/bin/shell" -c 'exec ./fd-list' \
			7<"$W" 8<"$secret" 9<"$somedir" </dev/null 2>&1)
		fd_judge "shell -c 'exec ./fd-list', --network=allow=" \
			"$(printf '%s\n' "$out" | grep -E '^[0-9]+ ')" "$out"
	else
		tskip descriptors "shell -c 'exec ./fd-list', --network=allow=: no fd-list helper"
	fi
	pid1_judge allow "python -c, --network=allow="
	# (Its one socket is the launcher's channel, there without allow= too.)
	all=$(grep '^pid1 ' "$p/fdlist.allow" 2>/dev/null)
	plain=$(grep '^pid1 ' "$p/fdlist.pyc" 2>/dev/null | grep -c 'socket:')
	t descriptors "python -c, --network=allow=: the sandbox's pid 1 holds no socket more than without it (listeners and the launcher's socket handed over and closed)" \
		"$( { [ -n "$all" ] || grep -q '^pid1-unreadable' "$p/fdlist.allow"; } &&
			[ "$(printf '%s\n' "$all" | grep -c 'socket:')" -le "$plain" ]; echo $?)" "$all"

	# Seen from the host: no process of the launch but the launcher itself
	# (bwrap, the init, the program) holds a descriptor the caller had open.
	marker=sv-inv-fd-$$-$RANDOM
	(cd "$p" && exec "$v/bin/python" -c 'import time; time.sleep(30)' "$marker" \
		7<"$W" 8<"$secret" 9<"$somedir" </dev/null >/dev/null 2>&1) &
	gpid=$!
	bg_pids+=("$gpid")
	for _ in $(seq 50); do
		marker_procs "$marker" | grep -qE "^[0-9]+ [^ ]+ $v/bin/python -c " && break
		sleep 0.1
	done
	# The launcher: the program the gate's #! line names (the lean one,
	# when installed), or sandbox-venv after a hand-over.
	gate_launcher=$(head -n 1 "$v/bin/python" | sed 's/^#!//; s/ --gate$//')
	out=$(MARK=$marker "$SV_PYTHON" - "$(readlink -f "$SV")" "$(readlink -f "$gate_launcher")" \
		"$W" "$secret" "$somedir" <<'PY'
import os, sys
launchers, bad = set(sys.argv[1:3]), set(sys.argv[3:])
mark, me = os.environ["MARK"].encode(), os.getpid()
checked, unreadable, offenders = 0, 0, []
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == me:
        continue
    try:
        if mark not in open("/proc/%s/cmdline" % pid, "rb").read():
            continue
        exe = os.readlink("/proc/%s/exe" % pid)
    except OSError:
        continue
    if exe in launchers:
        continue    # the launcher: the caller's own child
    try:
        fds = os.listdir("/proc/%s/fd" % pid)
    except OSError:
        unreadable += 1
        continue
    checked += 1
    for fd in fds:
        try:
            target = os.readlink("/proc/%s/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target in bad:
            offenders.append("pid %s (%s): fd %s -> %s" % (pid, exe, fd, target))
print("checked", checked, "unreadable", unreadable)
print("\n".join(offenders))
PY
)
	kill -KILL "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	if [ "$(printf '%s\n' "$out" | head -1)" = "checked 0 unreadable 0" ]; then
		t descriptors "host side: bwrap, the init and the program hold none of the caller's descriptors" 1 \
			"no process of the launch was found: $(marker_procs "$marker")"
	elif printf '%s\n' "$out" | grep -q '^checked 0 '; then
		tskip descriptors "host side: the launch's processes cannot be inspected from here ($(head -1 <<<"$out"))"
	else
		t descriptors "host side: bwrap, the init and the program hold none of the caller's descriptors" \
			"$([ "$(printf '%s\n' "$out" | sed 1d | grep -c .)" -eq 0 ]; echo $?)" "$out"
	fi

	# Each layer alone. The launcher: what reaches bwrap itself, seen by a
	# stand-in at the fixed path a test build of the launcher runs
	# (sandbox-venv-fdprobe): only what bwrap's arguments name (they
	# come from the launcher: memory files, the venv's directories, pipes),
	# never a descriptor of the caller's. Both launchers: sandbox-venv, and
	# the lean build the gates name (sandbox-venv-launch).
	probe_bwrap=/tmp/sandbox-venv-fdprobe-bwrap
	for probe_sv in "${SV_HELPERS:-}/sandbox-venv-fdprobe" "${SV_HELPERS:-}/sandbox-venv-launch-fdprobe"; do
	probe=${probe_sv##*/}
	if [ -x "$probe_sv" ] && { [ -x "$probe_bwrap" ] || { printf '%s\n' '#!/bin/sh' \
		'ls -l /proc/$$/fd/ > "$PWD/fdprobe.out" 2>&1; exit 1' >"$probe_bwrap" &&
		chmod 755 "$probe_bwrap"; }; }; then
		rm -f "$p/fdprobe.out"
		(cd "$p" && "$probe_sv" --gate "$v/bin/python" -c pass \
			7<"$W" 8<"$secret" 9<"$somedir" </dev/null >/dev/null 2>&1)
		got=$(grep -- '->' "$p/fdprobe.out" 2>/dev/null)
		sockets_off=$(printf '%s\n' "$got" | grep -c -- '-> socket:')
		t descriptors "the launcher alone ($probe): bwrap gets none of the caller's descriptors" \
			"$([ -n "$got" ] && ! printf '%s\n' "$got" | grep -qE -- "-> ($W|$secret|$somedir)\$"; echo $?)" \
			"bwrap's descriptors:
$got"
		rm -f "$p/fdprobe.out"
		(cd "$p" && DISPLAY=:0 "$probe_sv" --gate "$v/bin/python" -c pass \
			7<"$W" 8<"$secret" 9<"$somedir" </dev/null >/dev/null 2>&1)
		got=$(grep -- '->' "$p/fdprobe.out" 2>/dev/null)
		# (One socket is the init's channel, there with links off too.)
		t descriptors "the launcher alone ($probe), links on: bwrap gets no socket more than with links off (the link service's stays in the launcher) and none of the caller's descriptors" \
			"$([ -n "$got" ] && [ "$(printf '%s\n' "$got" | grep -c -- '-> socket:')" -eq "$sockets_off" ] &&
				! printf '%s\n' "$got" | grep -qE -- "-> ($W|$secret|$somedir)\$"; echo $?)" \
			"bwrap's descriptors:
$got"
		# A bwrap that has ended before the launcher waits for it (here: the
		# launcher stopped from the moment it has a child until that child,
		# the stand-in, has ended): its end is still seen, not waited for.
		out=$(cd "$p" && "$SV_PYTHON" - "$probe_sv" "$v/bin/python" <<'PY' 2>&1
import os, signal, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "--gate", sys.argv[2], "-c", "pass"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
kids = "/proc/%d/task/%d/children" % (p.pid, p.pid)
deadline = time.monotonic() + 5
child = ""
while time.monotonic() < deadline and not child:
    try:
        with open(kids) as f:
            child = f.read().split()
    except OSError:
        break
if child:
    os.kill(p.pid, signal.SIGSTOP)
    while time.monotonic() < deadline:
        try:
            with open("/proc/%s/stat" % child[0]) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.01)
    os.kill(p.pid, signal.SIGCONT)
try:
    print("status", p.wait(timeout=30))
except subprocess.TimeoutExpired:
    p.kill()
    print("waited 30 s")
PY
)
		t hostwork "the launcher alone ($probe): a bwrap that ended before the launcher waits for it is seen to end (its status), not waited for" \
			"$([ "$out" = "status 1" ]; echo $?)" "$out"
	else
		tskip descriptors "the launcher alone: no $probe helper, or $probe_bwrap cannot be written"
		tskip hostwork "the launcher alone, a bwrap ended early: no $probe helper"
	fi
	done
	# The init: started by hand under bwrap with descriptors of ours and a
	# lifeline that says to go on (INIT_GO), it must give the program 0, 1
	# and 2 only.
	if [ -n "$helper" ]; then
		out=$(cd "$p" && exec 6< <(printf G; sleep 20) && bwrap --ro-bind / / --dev /dev --proc /proc \
			--unshare-user --unshare-pid --as-pid-1 --die-with-parent --tmpfs /run \
			--ro-bind "$(readlink -f "$SV")" /run/sv-init -- /run/sv-init --init 0 6 -- \
			"$p/fd-list" 7<"$W" 8<"$secret" 9<"$somedir" </dev/null 2>&1)
		fd_judge "the init alone (under bwrap by hand, the caller's 7, 8, 9 given to it)" \
			"$(printf '%s\n' "$out" | grep -E '^[0-9]+ ')" "$out"
	else
		tskip descriptors "the init alone: no fd-list helper"
	fi
	# The program starts only on the launcher's word, which comes once bwrap
	# has all its options: a launcher gone before (killed while it gave
	# them) leaves no program running in a sandbox built from a part.
	for word in '' X; do
		out=$(cd "$p" && exec 6< <(printf '%s' "$word") && bwrap --ro-bind / / --dev /dev \
			--proc /proc --unshare-user --unshare-pid --as-pid-1 --die-with-parent \
			--tmpfs /run --ro-bind "$(readlink -f "$SV")" /run/sv-init -- /run/sv-init \
			--init 0 6 -- /bin/echo PROGRAM-RAN </dev/null 2>&1; echo "status $?")
		t start "the init, its launcher gone ${word:+(it said '$word') }before it said to go on: the program does not run" \
			"$(! printf '%s\n' "$out" | grep -q PROGRAM-RAN &&
			   printf '%s\n' "$out" | grep -q '^status 127$'; echo $?)" "$out"
	done

	# fd 0 from a directory: no way to the host directory through it. (Python
	# refuses to start with a directory as stdin; bash does not mind.)
	fd0dir=$W/fd0-dir
	mkdir -p "$fd0dir"
	echo "SECRET-FD0-$$" >"$fd0dir/probe-secret"
	out=$(cd "$p" && "$v/bin/shell" -c '
echo "list: $(ls -A /proc/self/fd/0/ 2>/dev/null | tr "\n" " ")"
if cat /proc/self/fd/0/probe-secret 2>/dev/null; then echo "open DONE"; else echo "open blocked"; fi
if : 2>/dev/null >/proc/self/fd/0/planted-by-sandbox; then echo "create DONE"; else echo "create blocked"; fi
' <"$fd0dir" 2>&1)
	t descriptors "stdin from a host directory: no file in it can be opened or listed through fd 0" \
		"$(printf '%s\n' "$out" | grep -q '^open blocked' &&
			! printf '%s\n' "$out" | grep -q -e "SECRET-FD0-$$" -e '^list: .*probe-secret'; echo $?)" "$out"
	t descriptors "stdin from a host directory: nothing can be created in it through fd 0 (host)" \
		"$([ ! -e "$fd0dir/planted-by-sandbox" ]; echo $?)" "$out"

	# A file redirected in (< file) and one appended to (>> file), both
	# outside the project: with Landlock path rules, reopening them through
	# /proc/self/fd allows what the redirection did and no more (README,
	# "not protected": the per-file layout has no such rules).
	redir_in=$W/redirected-in
	redir_app=$W/appended-to
	echo "IN-$$" >"$redir_in"
	echo "APPENDED-SECRET-$$" >"$redir_app"
	out=$(cd "$p" && "$v/bin/python" -c '
import errno, os, sys
def report(id, fn):
    try:
        fn()
        r = "DONE"
    except OSError as e:
        r = "blocked " + errno.errorcode.get(e.errno, str(e.errno))
    os.write(2, ("%s %s\n" % (id, r)).encode())
def put(path, mode, text):
    def fn():
        with open(path, mode) as f:
            f.write(text)
    return fn
def get(path):
    def fn():
        with open(path) as f:
            os.write(2, ("got " + f.read()).encode())
    return fn
report("w0", put("/proc/self/fd/0", "a", "PLANTED-BY-SANDBOX\n"))
report("t0", put("/proc/self/fd/0", "w", ""))
report("r0", get("/dev/stdin"))
report("r1", get("/proc/self/fd/1"))
report("t1", put("/proc/self/fd/1", "w", ""))
report("w1", put("/dev/stdout", "a", "appended-through-reopen\n"))
' <"$redir_in" 2>&1 >>"$redir_app")
	if [ "$(VERBOSE=1 "$v/bin/python" -c pass 2>&1 | grep -c '^sandbox-venv: landlock   ')" -gt 0 ]; then
		t descriptors "< file outside the project: not reopened for writing through /proc/self/fd/0" \
			"$(blocked "$out" w0 EACCES && blocked "$out" t0 EACCES &&
				[ "$(cat "$redir_in")" = "IN-$$" ]; echo $?)" "$out"
		t descriptors ">> file outside the project: not reopened for reading or truncating through /proc/self/fd/1" \
			"$(blocked "$out" r1 EACCES && blocked "$out" t1 EACCES &&
				! grep -q "got APPENDED-SECRET" <<<"$out" && grep -q "APPENDED-SECRET-$$" "$redir_app"
				echo $?)" "$out"
		t descriptors "control: each reopens as the caller opened it (/dev/stdin reads, /dev/stdout appends)" \
			"$(grep -q "^got IN-$$" <<<"$out" && grep -q '^appended-through-reopen$' "$redir_app"; echo $?)" "$out"
	else
		tskip descriptors "< file: reopened for writing through /proc/self/fd/0: possible in the per-file layout (no Landlock path rules; README, not protected)"
		tskip descriptors ">> file: reopened for reading through /proc/self/fd/1: possible in the per-file layout (README, not protected)"
		tskip descriptors "control: reopening as the caller opened it: per-file layout"
	fi
else
	t descriptors "make the descriptor test project (venv with pip and the probe)" 1
fi

# === host-side work the sandbox cannot stop (MUST 10) ================================
# A program plants a .git, then takes its launcher down with it; the .git
# must still be set aside, by then or before the next launch.
cat >"$W/hostwork.py" <<'PY'
import os, signal, sys, time
top, mode, pwned = sys.argv[1], sys.argv[2], sys.argv[3]
git = os.path.join(top, ".git")
for d in ("objects", "refs/heads", "hooks"):
    os.makedirs(os.path.join(git, d), exist_ok=True)
with open(os.path.join(git, "HEAD"), "w") as f:
    f.write("ref: refs/heads/main\n")
with open(os.path.join(git, "config"), "w") as f:
    f.write("[core]\n\trepositoryformatversion = 0\n\tfsmonitor = touch %s\n" % pwned)
with open(os.path.join(top, "planted"), "w") as f:
    f.write("yes\n")
sys.stdout.flush()
if mode == "kill":
    os.kill(0, signal.SIGKILL)
elif mode == "pipe":
    os.kill(0, signal.SIGPIPE)
elif mode == "stop":
    # Stop the program's group (kill(0) reaches no further: the sandbox is
    # a session of its own), while a child in another group plants again
    # and again: the launch stops, and nothing may run while it is.
    child = os.fork()
    if child == 0:
        os.setpgid(0, 0)
        while True:
            if not os.path.lexists(git):
                os.makedirs(os.path.join(git, "objects"), exist_ok=True)
                os.makedirs(os.path.join(git, "refs"), exist_ok=True)
                with open(os.path.join(git, "HEAD"), "w") as f:
                    f.write("ref: refs/heads/main\n")
                with open(os.path.join(git, "config"), "w") as f:
                    f.write("[core]\n\tfsmonitor = touch %s\n" % pwned)
            time.sleep(0.02)
    time.sleep(0.3)
    os.kill(0, signal.SIGSTOP)
    time.sleep(60)
elif mode == "sleep":
    time.sleep(60)
PY

no_git_at_top() { [ ! -e "$1/.git" ] && [ ! -L "$1/.git" ]; }
t_git_runs_nothing() {   # t_git_runs_nothing "what" DIR PWNED: host git status there, twice
	if [ -z "$have_git" ]; then
		tskip hostwork "$1: git status on the host runs nothing of it: no git"
		return
	fi
	(cd "$2" && hgit status)
	hgit -C "$2" status
	t hostwork "$1: git status on the host runs nothing of it" "$([ ! -e "$3" ]; echo $?)" "$3 exists"
}

hostwork_case() {   # hostwork_case MODE "what"
	local mode=$1 what=$2 P rc pw
	if ! P=$(mkproj "hostwork-$mode"); then
		t hostwork "$what: make the project" 1
		return
	fi
	pw=$W/pwned-hostwork-$mode
	cp "$W/hostwork.py" "$P/"
	# timeout puts the launch in a process group of its own, so that
	# kill(0, ...) from inside cannot reach this script.
	# (The braces keep bash's "Killed" note out of the output.)
	{
		(cd "$P" && timeout -k 5 40 "$P/.venv/bin/python" "$P/hostwork.py" "$P" "$mode" "$pw") \
			>"$W/hostwork.out" 2>&1
		rc=$?
	} 2>/dev/null
	t hostwork "$what: the .git it planted is set aside on the host (gate exit $rc)" \
		"$([ -e "$P/planted" ] && no_git_at_top "$P"; echo $?)" \
		"planted: $(cat "$P/planted" 2>/dev/null || echo no); at the top: $(ls -A "$P" | tr '\n' ' ')
$(cat "$W/hostwork.out")"
	t_git_runs_nothing "$what" "$P" "$pw"
}
hostwork_case kill "a program that plants .git then kill(0, SIGKILL)s its process group"
hostwork_case pipe "a program that plants .git then kill(0, SIGPIPE)s its process group"

# A program that stops itself stops its launch (job control), and the
# caller gets control back, the prompt and its git with it: by then the
# whole sandbox is stopped, and what it planted is set aside.
if P=$(mkproj hostwork-stop); then
	pw=$W/pwned-hostwork-stop
	cp "$W/hostwork.py" "$P/"
	(cd "$P" && exec "$P/.venv/bin/python" "$P/hostwork.py" "$P" stop "$pw") \
		</dev/null >"$W/hostwork.out" 2>&1 &
	gpid=$!
	bg_pids+=("$gpid")
	state=
	for _ in $(seq 150); do
		state=$(awk '{ print $3 }' "/proc/$gpid/stat" 2>/dev/null)
		[ "$state" = T ] && break
		sleep 0.1
	done
	t hostwork "a program that stops itself: its launcher stops too (state $state)" \
		"$([ "$state" = T ]; echo $?)" "$(cat "$W/hostwork.out")"
	sleep 1	# a planter left running would plant again by now
	t hostwork "... and by then the .git it planted is set aside, and stays so" \
		"$([ -e "$P/planted" ] && no_git_at_top "$P"; echo $?)" \
		"at the top: $(ls -A "$P" | tr '\n' ' ')
$(cat "$W/hostwork.out")"
	t_git_runs_nothing "... while the launch is stopped" "$P" "$pw"
	kill -KILL "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
else
	t hostwork "make the project for the stopped launch" 1
fi

if P=$(mkproj hostwork-hostkill); then
	pw=$W/pwned-hostwork-hostkill
	cp "$W/hostwork.py" "$P/"
	marker=sv-inv-hw-$$-$RANDOM
	(cd "$P" && exec "$P/.venv/bin/python" "$P/hostwork.py" "$P" sleep "$pw" "$marker") \
		</dev/null >/dev/null 2>&1 &
	gpid=$!
	bg_pids+=("$gpid")
	for _ in $(seq 100); do [ -e "$P/planted" ] && break; sleep 0.1; done
	kill -KILL "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	for _ in $(seq 50); do [ -z "$(marker_procs "$marker")" ] && break; sleep 0.1; done
	left=$(marker_procs "$marker")
	t hostwork "the launcher killed from the host (kill -KILL on the gate's pid): no process of its sandbox is left after 5 s" \
		"$([ -e "$P/planted" ] && [ -z "$left" ]; echo $?)" \
		"planted: $(cat "$P/planted" 2>/dev/null || echo no); left: $left"
	out=$(cd "$P" && "$P/.venv/bin/python" -c 'import os, sys; print(os.path.lexists(sys.argv[1]))' \
		"$P/.git" 2>"$W/next.err")
	t hostwork "... the next launch sets the planted .git aside before its program runs" \
		"$([ "$out" = False ]; echo $?)" "inside, .git exists: $out
$(cat "$W/next.err")"
	t hostwork "... and after it no .git is at the project's top" "$(no_git_at_top "$P"; echo $?)" \
		"at the top: $(ls -A "$P" | tr '\n' ' ')"
	t_git_runs_nothing "... and after it" "$P" "$pw"
else
	t hostwork "make the project for the killed launcher" 1
fi

# === root callers (MUST 11) =========================================================
# As root and as the user alike: no kernel tunable, no setuid/setgid bit,
# no file capability or xattr, no capability, no writable mount beyond the
# project, the venv's home and cache, /tmp, /var/tmp, /dev and /proc.
cat >"$W/root.py" <<'PY'
import ctypes, stat
P = sys.argv[1]
report("core_pattern", lambda: os.close(os.open("/proc/sys/kernel/core_pattern", os.O_WRONLY)))
if os.path.lexists("/proc/sysrq-trigger"):
    report("sysrq", lambda: os.close(os.open("/proc/sysrq-trigger", os.O_WRONLY)))
else:
    print("sysrq absent")
writable = []
for root, dirs, files in os.walk("/proc"):
    if root == "/proc":
        dirs[:] = [d for d in dirs if not d.isdigit() and d not in ("self", "thread-self")]
    for name in files:
        path = os.path.join(root, name)
        # Pressure stall triggers: mode 0666 on the host, open to every
        # user, and only a caller with CAP_SYS_RESOURCE (dropped) gets
        # more from them than any user does.
        if root == "/proc/pressure":
            continue
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError:
            continue
        os.close(fd)
        writable.append(path)
# the tunables first in the diagnostics
writable.sort(key=lambda p: (not p.startswith(("/proc/sys/", "/proc/sysrq")), p))
print("procwritable", len(writable), " ".join(writable))
print("capeff", [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff:")][0])
def fresh(name):
    path = os.path.join(P, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(path, 0o755)
    return path
report("chmod_u", lambda: os.chmod(fresh("inv-chmod-u"), 0o4755))
report("chmod_g", lambda: os.chmod(fresh("inv-chmod-g"), 0o2755))
report("creat", lambda: os.close(os.open(os.path.join(P, "inv-creat"), os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o4755)))
report("mknod", lambda: os.mknod(os.path.join(P, "inv-mknod"), stat.S_IFREG | 0o4755))
# VFS_CAP_REVISION_2 granting cap_net_bind_service
cap = (0x02000000).to_bytes(4, "little") + (1 << 10).to_bytes(4, "little") + bytes(12)
report("xattr_cap", lambda: os.setxattr(fresh("inv-xattr-cap"), "security.capability", cap))
report("xattr_user", lambda: os.setxattr(fresh("inv-xattr-user"), "user.x", b"1"))
libc = ctypes.CDLL(None, use_errno=True)
def sc(nr, *args):
    def fn():
        a = [ctypes.c_long(x) if isinstance(x, int) else x for x in args]
        if libc.syscall(ctypes.c_long(nr), *a) == -1:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    return fn
class XattrArgs(ctypes.Structure):
    _fields_ = [("value", ctypes.c_uint64), ("size", ctypes.c_uint32), ("flags", ctypes.c_uint32)]
if os.uname().machine == "x86_64":
    f = fresh("inv-fchmodat2")
    report("fchmodat2", sc(452, -100, f.encode(), 0o4755, 0))
    f = fresh("inv-setxattrat")
    val = ctypes.create_string_buffer(b"1", 1)
    xa = XattrArgs(ctypes.addressof(val), 1, 0)
    report("setxattrat", sc(463, -100, f.encode(), 0, b"user.sv-at", ctypes.byref(xa), ctypes.sizeof(xa)))
else:
    print("newer-syscalls skip")
PY
if P=$(mkproj root); then
	v=$P/.venv
	out=$(cd "$P" && "$v/bin/python" -c "$PRELUDE$(cat "$W/root.py")" "$P" 2>&1)
	if ! started "$out"; then
		t root "the root payload runs" 1 "$out"
	fi
	t root "/proc/sys/kernel/core_pattern cannot be opened for writing" \
		"$(blocked "$out" core_pattern; echo $?)" "$(line "$out" core_pattern)"
	n=$(line "$out" procwritable | cut -d' ' -f2)
	t root "walking /proc (pid directories aside), no file opens for writing" \
		"$([ "${n:-x}" = 0 ]; echo $?)" "${n:-no} files open for writing, among them:
$(line "$out" procwritable | cut -d' ' -f3- | tr ' ' '\n' | head -30)"
	if printf '%s\n' "$out" | grep -q '^sysrq absent'; then
		if [ -e /proc/sysrq-trigger ]; then
			t root "/proc/sysrq-trigger is not writable (absent inside)" 0
		else
			tskip root "/proc/sysrq-trigger: this kernel has none"
		fi
	else
		t root "/proc/sysrq-trigger is not writable" "$(blocked "$out" sysrq; echo $?)" "$(line "$out" sysrq)"
	fi
	cap=$(line "$out" capeff | cut -d' ' -f2)
	t root "CapEff inside is 0" "$([[ ${cap:-x} =~ ^0+$ ]]; echo $?)" "CapEff: ${cap:-none}"
	t root "chmod 04755 on a project file fails with EPERM (host: no setuid bit)" \
		"$(blocked "$out" chmod_u EPERM && nobits "$P/inv-chmod-u"; echo $?)" \
		"$(line "$out" chmod_u); host: $(stat -c %A "$P/inv-chmod-u" 2>&1)"
	t root "chmod 02755 on a project file fails with EPERM (host: no setgid bit)" \
		"$(blocked "$out" chmod_g EPERM && nobits "$P/inv-chmod-g"; echo $?)" \
		"$(line "$out" chmod_g); host: $(stat -c %A "$P/inv-chmod-g" 2>&1)"
	t root "open(O_CREAT, 04755) fails with EPERM (host: no file with the bit)" \
		"$(blocked "$out" creat EPERM && nobits "$P/inv-creat"; echo $?)" \
		"$(line "$out" creat); host: $(stat -c %A "$P/inv-creat" 2>&1)"
	t root "mknod(S_IFREG | 04755) fails (host: no file with the bit)" \
		"$(blocked "$out" mknod && nobits "$P/inv-mknod"; echo $?)" \
		"$(line "$out" mknod); host: $(stat -c %A "$P/inv-mknod" 2>&1)"
	t root "setxattr security.capability fails (host: no file capability)" \
		"$(blocked "$out" xattr_cap && noxattr "$P/inv-xattr-cap" security.capability; echo $?)" \
		"$(line "$out" xattr_cap)"
	t root "setxattr user.x fails (ENOTSUP expected; host: no xattr)" \
		"$(blocked "$out" xattr_user && noxattr "$P/inv-xattr-user" user.x; echo $?)" \
		"$(line "$out" xattr_user)"
	if printf '%s\n' "$out" | grep -q '^newer-syscalls skip'; then
		tskip root "fchmodat2 (452) with 04755: the numbers are x86_64's"
		tskip root "setxattrat (463): the numbers are x86_64's"
	else
		t root "fchmodat2 (452, newer than the filter's table) with 04755 fails (host: no setuid bit)" \
			"$(blocked "$out" fchmodat2 && nobits "$P/inv-fchmodat2"; echo $?)" \
			"$(line "$out" fchmodat2); host: $(stat -c %A "$P/inv-fchmodat2" 2>&1)"
		t root "setxattrat (463, newer than the filter's table) fails (host: no xattr)" \
			"$(blocked "$out" setxattrat && noxattr "$P/inv-setxattrat" user.sv-at; echo $?)" \
			"$(line "$out" setxattrat)"
	fi
else
	t root "make the project for the root payload" 1
fi

# A root caller that nested user namespaces show as uid 4242 (each map
# shows one step: "4242 4242 1" inside, "4242 0 1" above it) is still the
# host's root to the kernel: the tunables stay read-only. A check on the
# existing defence (the binds over /proc/sys, for every caller), for a
# caller that passes for another user (an outside attack got them
# writable from a build that judged by the ids and the map).
if [ "$(id -u)" -ne 0 ]; then
	tskip root "a root caller behind nested user namespaces: making them takes root (the root pass runs it)"
elif ! unshare -m true 2>/dev/null || ! unshare -U --map-user=4242 --map-group=4242 true 2>/dev/null; then
	tskip root "a root caller behind nested user namespaces: unshare cannot make them here"
else
	N=$W/nested-root
	rm -rf "$N" && mkdir -p "$N/home" "$N/proj"
	{ cat /etc/passwd; echo "nested:x:4242:4242::$N/home:/bin/sh"; } >"$N/passwd"
	{ cat /etc/group; echo "nested:x:4242:"; } >"$N/group"
	# The launch as 4242 finds its home in a passwd bound only in a mount
	# namespace of its own.
	cat >"$N/inner.sh" <<'SH'
cd "$N/proj" && "$SV_PYTHON" -m venv --without-pip .venv && "$SV" .venv >/dev/null || exit 1
echo map $(cat /proc/self/uid_map)
exec .venv/bin/python -c '
import os
try:
    os.close(os.open("/proc/sys/kernel/core_pattern", os.O_WRONLY))
    print("core_pattern writable")
except OSError as e:
    print("core_pattern", e.errno)'
SH
	cat >"$N/outer.sh" <<'SH'
mount --bind "$N/passwd" /etc/passwd && mount --bind "$N/group" /etc/group || exit 1
exec unshare -U --map-user=4242 --map-group=4242 -- \
	unshare -U --map-user=4242 --map-group=4242 -- sh "$N/inner.sh"
SH
	out=$(N=$N SV=$SV SV_PYTHON=$SV_PYTHON unshare -m --propagation private sh "$N/outer.sh" 2>&1)
	if ! printf '%s\n' "$out" | grep -q '^map 4242 4242 1$'; then
		t root "a root caller behind nested user namespaces: the setup" 1 "$out"
	else
		t root "a root caller seen as uid 4242 through nested user namespaces: core_pattern cannot be opened for writing" \
			"$(printf '%s\n' "$out" | grep -Eq '^core_pattern (30|13)$'; echo $?)" "$out"
	fi
fi

# What a launch obeys in a venv's state (the policy, the library cache, the
# kept filter, the directories of links) it takes only under the seal of the
# state owner's key (seal.h): a sandbox can write the state of a venv that
# is not wrapped yet, or of one wrapped while that sandbox was running, but
# it cannot know the key. Each forgery below is refused as a sandbox would
# write it, and obeyed once the test seals it with the real key, which
# shows that the check can fail.
secret_dir=$W/state-secret
mkdir -p "$secret_dir" && echo "state-secret-$$" >"$secret_dir/id_rsa"
read_secret="print(open('$secret_dir/id_rsa').read().strip())"
keyctl='import ctypes, os; libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(250, 0x7fff, 0, 0, 0, 0)
print("keyctl", "EPERM" if r < 0 and ctypes.get_errno() == 1 else "reached")'
seen() { printf '%s\n' "$1" | grep -qx "state-secret-$$"; }

if P=$(new_project inv-seal) && (cd "$P" && "$P/.venv/bin/python" -c pass) &&
	[ -f "$P/.venv/.sandbox-venv/filter" ]; then
	S=$P/.venv/.sandbox-venv
	# The filter: an allow-all program under the header of the one kept.
	forge_filter() {
		"$SV_PYTHON" - "$S/filter" <<'PY'
import struct, sys
path = sys.argv[1]
data = open(path, "rb").read()
head = data[:data.index(b"\nbpf ") + 1]
prog = struct.pack("<HBBI", 0x06, 0, 0, 0x7fff0000)   # BPF_RET | BPF_K: SECCOMP_RET_ALLOW
open(path, "wb").write(head + b"bpf %d\n" % len(prog) + prog)
PY
	}
	forge_filter
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$keyctl" 2>&1)
	t state "a kept filter without the seal (an allow-all one, as a sandbox would put it) is not taken: keyctl refused" \
		"$(printf '%s\n' "$out" | grep -q '^keyctl EPERM'; echo $?)" "$out"
	forge_filter
	seal_state "$S/filter" filter
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$keyctl" 2>&1)
	t state "(the same filter sealed with the owner's key is taken: the test can fail)" \
		"$(printf '%s\n' "$out" | grep -q '^keyctl reached'; echo $?)" "$out"
	if [ "$uid" -eq 0 ]; then
		# Root running a venv whose state another user owns takes no
		# filter from it, sealed or not.
		chown 65534 "$S"
		out=$(cd "$P" && "$P/.venv/bin/python" -c "$keyctl" 2>&1)
		t state "root takes no kept filter from a state another user owns (keyctl not reached)" \
			"$(printf '%s\n' "$out" | grep -q '^keyctl reached'; [ $? -ne 0 ]; echo $?)" "$out"
		chown 0 "$S"
	else
		tskip state "root and another user's state: only root can give the state away"
	fi
	rm -f "$S/filter"

	# The library cache: a "library" that is a secret.
	cp "$S/libs" "$W/libs.orig"
	unseal_state "$S/libs"
	echo "lib $secret_dir/id_rsa" >>"$S/libs"
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$read_secret" 2>&1)
	t state "a library cache without the seal naming a secret: the secret is not exposed" \
		"$(seen "$out"; [ $? -ne 0 ]; echo $?)" "$out"
	unseal_state "$S/libs"
	echo "lib $secret_dir/id_rsa" >>"$S/libs"
	seal_state "$S/libs" "$(cd "$S" && pwd -P)/libs"
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$read_secret" 2>&1)
	t state "(the same cache sealed with the owner's key exposes it: the test can fail)" \
		"$(seen "$out"; echo $?)" "$out"
	cp "$W/libs.orig" "$S/libs"

	# The policy, changed after the wrap (a sandbox that was running when
	# the venv was wrapped still sees it writable): a bind of the secret.
	cp "$S/policy" "$W/policy.orig"
	unseal_state "$S/policy"
	printf 'bwrap-arg --ro-bind\nbwrap-arg %s\nbwrap-arg %s\n' "$secret_dir" "$secret_dir" >>"$S/policy"
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$read_secret" 2>&1)
	rc=$?
	t state "a policy without the seal (a bind of a secret added) is refused: the launch stops" \
		"$(! seen "$out" && [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q 'seal'; echo $?)" "rc=$rc: $out"
	seal_state "$S/policy" policy
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$read_secret" 2>&1)
	t state "(the same policy sealed with the owner's key is obeyed: the test can fail)" \
		"$(seen "$out"; echo $?)" "$out"
	cp "$W/policy.orig" "$S/policy"
else
	for i in 1 2 3 4 5 6 7; do t state "make the project for the sealed state" 1; done
fi

# A venv directory not wrapped yet (a .tox env made after .venv was
# wrapped) is writable from another venv's sandbox in the same project:
# nothing put in its state there outlives its first wrap. Planted here from
# the host: the same files a sandbox writes.
if P=$(new_project inv-plant) && "$SV_PYTHON" -m venv --without-pip "$P/.v2" >/dev/null; then
	S=$P/.v2/.sandbox-venv
	mkdir -p "$S/views/0000000000000000/root" && echo planted >"$S/filter"
	printf 'sandbox-venv 1\nvenv %s\nproject %s\npython %s\nsystem-site 0\nbwrap-arg --ro-bind\nbwrap-arg %s\nbwrap-arg %s\n' \
		"$P/.v2" "$P" "$(readlink -f "$P/.v2/bin/python")" "$secret_dir" "$secret_dir" >"$S/policy"
	err=$("$SV" "$P/.v2" 2>&1 >/dev/null)
	out=$(cd "$P" && "$P/.v2/bin/python" -c "$read_secret" 2>&1)
	t state "a policy planted in an unwrapped venv (a bind of a secret) is not kept by its first wrap" \
		"$(! seen "$out" && ! grep -q -- "$secret_dir" "$S/policy"; echo $?)" "$out"
	t state "... and the wrap says it did not keep it" \
		"$(printf '%s\n' "$err" | grep -q 'nothing it records is kept'; echo $?)" "$err"
	t state "a filter and views planted there are gone after the first wrap" \
		"$(! grep -qx planted "$S/filter" 2>/dev/null && [ ! -e "$S/views/0000000000000000" ]; echo $?)" \
		"after: $(ls -A "$S" 2>&1 | tr '\n' ' ')"
	# The same sealed with the real key (a key that leaked, say): a first
	# wrap keeps nothing it finds, sealed or not.
	"$SV" --unwrap "$P/.v2" >/dev/null 2>&1
	rm -rf "$S" && mkdir -p "$S"
	printf 'sandbox-venv 1\nvenv %s\nproject %s\npython %s\nsystem-site 0\nbwrap-arg --ro-bind\nbwrap-arg %s\nbwrap-arg %s\n' \
		"$P/.v2" "$P" "$(readlink -f "$P/.v2/bin/python")" "$secret_dir" "$secret_dir" >"$S/policy"
	seal_state "$S/policy" policy
	"$SV" "$P/.v2" >/dev/null 2>&1
	out=$(cd "$P" && "$P/.v2/bin/python" -c "$read_secret" 2>&1)
	t state "a policy sealed with the real key, planted before the first wrap: not kept either" \
		"$(! seen "$out" && ! grep -q -- "$secret_dir" "$S/policy"; echo $?)" "$out"
else
	for i in 1 2 3 4; do t state "make the project for the planted state" 1; done
fi

# The other files of such a venv that a wrap or a launch reads. Its
# pyvenv.cfg names the interpreter: one naming a secret (an executable
# file, a directory) must not get it exposed. A record of pending work in
# its state (runs/) names what the host renames aside: an unsealed one is
# never obeyed, or a sandbox could have the wrapped .venv of the project
# renamed and a fake one put in its place. And the first wrap leaves no
# entry and no mode of what was planted in the state.
if P=$(new_project inv-plant2) && "$SV_PYTHON" -m venv --without-pip "$P/.v3" >/dev/null &&
	"$SV_PYTHON" -m venv --without-pip "$P/.v4" >/dev/null; then
	cp "$secret_dir/id_rsa" "$secret_dir/run-me" && chmod 755 "$secret_dir/run-me"
	for target in "$secret_dir/run-me" "$secret_dir"; do
		sed -i '/^executable/d' "$P/.v3/pyvenv.cfg"
		echo "executable = $target" >>"$P/.v3/pyvenv.cfg"
		"$SV" --unwrap "$P/.v3" >/dev/null 2>&1
		rm -rf "$P/.v3/.sandbox-venv"
		"$SV" "$P/.v3" >/dev/null 2>&1
		out=$(cd "$P" && "$P/.v3/bin/python" -c "import os
for p in ('$secret_dir/run-me', '$secret_dir/id_rsa'):
    try: print(open(p).read().strip())
    except OSError as e: print(p, e.errno)
try: print(os.listdir('$secret_dir'))
except OSError as e: print('list', e.errno)" 2>&1)
		t state "pyvenv.cfg of an unwrapped venv naming a secret as its interpreter ($(basename "$target")): not exposed" \
			"$(! seen "$out" && ! printf '%s\n' "$out" | grep -q "run-me'"; echo $?)" "$out"
	done
	# Paths in the project, where pyvenv.cfg may lead: a link to the
	# interpreter (executable, home) and a standard library (base-prefix),
	# each swapped for the secret after the wrap. A launch must not follow
	# them: they were never recorded.
	real_py=$("$SV_PYTHON" -c 'import os, sys; print(os.path.realpath(sys.executable))')
	ver=$("$real_py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	# (base-prefix with a version the interpreter's own prefix lacks, so
	# that only the project's would do.)
	cfg_version=$(grep '^version' "$P/.v3/pyvenv.cfg")
	mkdir -p "$P/evil/bin" "$P/evil/lib/python$ver" "$P/evil/lib/python3.99"
	ln -sf "$real_py" "$P/evil/bin/python$ver"
	: >"$P/evil/lib/python$ver/os.py"
	: >"$P/evil/lib/python3.99/os.py"
	for key in executable home base-prefix; do
		"$SV" --unwrap "$P/.v3" >/dev/null 2>&1
		rm -rf "$P/.v3/.sandbox-venv"
		sed -i -e '/^executable/d' -e '/^base-prefix/d' "$P/.v3/pyvenv.cfg"
		case $key in
		executable) echo "executable = $P/evil/bin/python$ver" >>"$P/.v3/pyvenv.cfg" ;;
		home) sed -i "s|^home = .*|home = $P/evil/bin|" "$P/.v3/pyvenv.cfg" ;;
		base-prefix) echo "base-prefix = $P/evil" >>"$P/.v3/pyvenv.cfg"
			sed -i 's|^version.*|version = 3.99.0|' "$P/.v3/pyvenv.cfg" ;;
		esac
		wrapped=no
		"$SV" "$P/.v3" >/dev/null 2>&1 && wrapped=yes
		rm -rf "$P/evil" && mkdir -p "$P/evil/bin" "$P/evil/lib"
		ln -s "$secret_dir/id_rsa" "$P/evil/bin/python$ver"
		ln -s "$secret_dir" "$P/evil/lib/python$ver"
		ln -s "$secret_dir" "$P/evil/lib/python3.99"
		# (By the shell: a Python without its standard library would
		# fail before it tried.)
		out=$(cd "$P" && "$P/.v3/bin/shell" -c "cat '$secret_dir/id_rsa'" 2>&1)
		t state "pyvenv.cfg's $key leading into the project, swapped for a secret after the wrap: not followed" \
			"$([ "$wrapped" = yes ] && ! seen "$out"; echo $?)" \
			"wrapped: $wrapped; $out; $(grep -e '^expose' -e '^lib-dir' "$P/.v3/.sandbox-venv/policy" 2>&1 | grep -F "$P/")"
		rm -rf "$P/evil" && mkdir -p "$P/evil/bin" "$P/evil/lib/python$ver" "$P/evil/lib/python3.99"
		ln -sf "$real_py" "$P/evil/bin/python$ver"
		: >"$P/evil/lib/python$ver/os.py"
		: >"$P/evil/lib/python3.99/os.py"
		sed -i -e "s|^home = .*|home = $(dirname "$real_py")|" -e "s|^version.*|$cfg_version|" \
			"$P/.v3/pyvenv.cfg"
	done
	# Where sandboxes write besides the project: the pip cache they may
	# share (SANDBOX_USE_PIP_CACHE). A link there is not recorded either.
	pipc=$HOME/.cache/pip/sv-inv-$$
	if mkdir -p "$pipc/bin" 2>/dev/null && ln -sf "$real_py" "$pipc/bin/python$ver"; then
		"$SV" --unwrap "$P/.v3" >/dev/null 2>&1
		rm -rf "$P/.v3/.sandbox-venv"
		sed -i "s|^home = .*|home = $pipc/bin|" "$P/.v3/pyvenv.cfg"
		"$SV" "$P/.v3" >/dev/null 2>&1
		t state "pyvenv.cfg's home in the shared pip cache: the link there is not recorded" \
			"$(! grep -q -- "$pipc" "$P/.v3/.sandbox-venv/policy" 2>/dev/null &&
				[ -f "$P/.v3/.sandbox-venv/policy" ]; echo $?)" \
			"$(grep -e '^expose' "$P/.v3/.sandbox-venv/policy" 2>&1)"
		sed -i "s|^home = .*|home = $(dirname "$real_py")|" "$P/.v3/pyvenv.cfg"
	else
		tskip state "pyvenv.cfg's home in the shared pip cache: cannot write $pipc"
	fi
	rm -rf "$pipc"
	# The project of a wrapped venv that lies elsewhere (--project, as
	# for poetry's): a link there is not recorded for a venv deeper in it.
	P2=$W/p2 && mkdir -p "$P2/sub" "$P2/evil/bin" "$W/envs" &&
		ln -sf "$real_py" "$P2/evil/bin/python$ver"
	if "$SV_PYTHON" -m venv --without-pip "$W/envs/x" >/dev/null &&
		"$SV" --project "$P2" "$W/envs/x" >/dev/null 2>&1 &&
		"$SV_PYTHON" -m venv --without-pip "$P2/sub/y" >/dev/null; then
		sed -i -e '/^executable/d' -e "s|^home = .*|home = $P2/evil/bin|" "$P2/sub/y/pyvenv.cfg"
		"$SV" "$P2/sub/y" >/dev/null 2>&1
		t state "pyvenv.cfg's home in the project of a venv wrapped with --project elsewhere: not recorded" \
			"$(! grep -q -- "$P2/evil" "$P2/sub/y/.sandbox-venv/policy" 2>/dev/null &&
				[ -f "$P2/sub/y/.sandbox-venv/policy" ]; echo $?)" \
			"$(grep -e '^expose' "$P2/sub/y/.sandbox-venv/policy" 2>&1)"
		"$SV" --unwrap "$W/envs/x" >/dev/null 2>&1
	else
		t state "make the venv wrapped with --project elsewhere" 1
	fi
	# And one in a place the wrap cannot know a sandbox writes (a bind
	# given in BWRAP_ARGS to one launch of another venv), turned after the
	# wrap: each launch checks that what was recorded leads where it led.
	mkdir -p "$W/shared/bin" && ln -sf "$real_py" "$W/shared/bin/python$ver"
	"$SV" --unwrap "$P/.v3" >/dev/null 2>&1
	rm -rf "$P/.v3/.sandbox-venv"
	sed -i -e '/^executable/d' "$P/.v3/pyvenv.cfg"
	echo "executable = $W/shared/bin/python$ver" >>"$P/.v3/pyvenv.cfg"
	"$SV" "$P/.v3" >/dev/null 2>&1
	recorded=$(grep -c -- "$W/shared/bin" "$P/.v3/.sandbox-venv/policy" 2>/dev/null)
	ln -sfn "$secret_dir/id_rsa" "$W/shared/bin/python$ver"
	out=$(cd "$P" && "$P/.v3/bin/shell" -c "cat '$secret_dir/id_rsa'" 2>&1)
	rc=$?
	t state "a recorded link turned after the wrap: the launch stops and says so" \
		"$([ "${recorded:-0}" -gt 0 ] && [ "$rc" -ne 0 ] && ! seen "$out" &&
			printf '%s\n' "$out" | grep -q 'as when the venv was wrapped'; echo $?)" \
		"recorded: $recorded; rc=$rc; $out"
	sed -i -e '/^executable/d' "$P/.v3/pyvenv.cfg"
	# The base Python in a directory that becomes a wrapped project after
	# the venv was wrapped (tools/ with a copied interpreter): its
	# sandboxes could turn the way; the launch refuses.
	if mkdir -p "$W/tools/bin" && cp "$real_py" "$W/tools/bin/python$ver" &&
		"$SV_PYTHON" -m venv --without-pip "$W/p3/.venv" >/dev/null; then
		sed -i -e '/^executable/d' -e "s|^home = .*|home = $W/tools/bin|" "$W/p3/.venv/pyvenv.cfg"
		"$SV" "$W/p3/.venv" >/dev/null 2>&1
		out1=$(cd "$W/p3" && "$W/p3/.venv/bin/shell" -c 'echo ran' 2>&1)
		"$SV_PYTHON" -m venv --without-pip "$W/tools/.venv" >/dev/null &&
			"$SV" "$W/tools/.venv" >/dev/null 2>&1
		out=$(cd "$W/p3" && "$W/p3/.venv/bin/shell" -c 'echo ran' 2>&1)
		t state "a recorded path in a project wrapped since: the launch stops and says so" \
			"$([ "$out1" = ran ] && ! printf '%s\n' "$out" | grep -qx ran &&
				printf '%s\n' "$out" | grep -q 'where sandboxes can write'; echo $?)" \
			"before: $out1; after: $out"
		"$SV" --unwrap "$W/tools/.venv" >/dev/null 2>&1
		"$SV" --unwrap "$W/p3/.venv" >/dev/null 2>&1
	else
		t state "make the venv of a copied interpreter" 1
	fi
	# Root wrapping a venv of a user's: that user's sandboxes write that
	# user's other projects too. An interpreter planted in one of them is
	# refused (root's own list of wrapped venvs does not name them).
	tu=${SV_TEST_USER:-sandbox-venv-test}
	if [ "$uid" -ne 0 ]; then
		tskip state "root wrapping a user's venv: runs as root only"
	elif ! id "$tu" >/dev/null 2>&1; then
		tskip state "root wrapping a user's venv: no user $tu"
	else
		asu() { runuser -u "$tu" -- env HOME="$(getent passwd "$tu" | cut -d: -f6)" "$@"; }
		modes=$(stat -c %a "$SV_TMP" "$W")
		chmod 755 "$SV_TMP" "$W"
		R=$W/rootown && mkdir -p "$R" && chown "$tu:" "$R"
		asu mkdir -p "$R/B/py/bin" "$R/A"
		asu cp "$real_py" "$R/B/py/bin/python$ver"
		asu "$SV_PYTHON" -m venv --without-pip "$R/B/.venv" >/dev/null 2>&1
		asu "$SV" "$R/B/.venv" >/dev/null 2>&1
		asu "$SV_PYTHON" -m venv --without-pip "$R/A/.venv2" >/dev/null 2>&1
		asu sed -i -e '/^executable/d' -e "s|^home = .*|home = $R/B/py/bin|" "$R/A/.venv2/pyvenv.cfg"
		out=$("$SV" "$R/A/.venv2" 2>&1)
		rc=$?
		t state "root wrapping a user's venv whose interpreter lies in another project of that user: refused" \
			"$([ -f "$R/B/.venv/.sandbox-venv/policy" ] && [ "$rc" -ne 0 ] &&
				printf '%s\n' "$out" | grep -q 'where sandboxes can write'; echo $?)" "rc=$rc: $out"
		asu "$SV" --unwrap "$R/B/.venv" >/dev/null 2>&1
		chmod "${modes%%$'\n'*}" "$SV_TMP"
		chmod "${modes##*$'\n'}" "$W"
	fi
	# A record in a wrapped venv's state, as a sandbox that was running
	# when it was wrapped could put there.
	record='sandbox-venv 1\ngit 0\ntop-repo 0\nmode 755\nwatch 0\\x09.venv\\x09.venv\n'
	"$SV" "$P/.v4" >/dev/null 2>&1
	mkdir -p "$P/.v4/.sandbox-venv/runs"
	printf "$record" >"$P/.v4/.sandbox-venv/runs/1-0000"
	out=$(cd "$P" && "$P/.v4/bin/python" -c 'print("ran")' 2>&1)
	t state "an unsealed record of pending work naming the wrapped .venv: not obeyed (.venv stays)" \
		"$([ -d "$P/.venv/.sandbox-venv" ] && ! ls -d "$P"/.venv.from-sandbox* >/dev/null 2>&1; echo $?)" \
		"$out; $(ls -A "$P")"
	printf "$record" >"$P/.v4/.sandbox-venv/runs/1-0000"
	seal_state "$P/.v4/.sandbox-venv/runs/1-0000" runs
	out=$(cd "$P" && "$P/.v4/bin/python" -c 'print("ran")' 2>&1)
	aside=$(ls -d "$P"/.venv.from-sandbox* 2>/dev/null | head -1)
	t state "(the same record sealed with the owner's key is obeyed: the test can fail)" \
		"$([ -n "$aside" ]; echo $?)" "$out; $(ls -A "$P")"
	[ -n "$aside" ] && mv "$aside" "$P/.venv"
	# What the first wrap leaves of a state planted with modes and entries.
	"$SV_PYTHON" -m venv --without-pip "$P/.v5" >/dev/null
	"$SV_PYTHON" -m venv --without-pip "$P/.v6" >/dev/null
	mkdir -p "$P/.v5/.sandbox-venv/runs" "$P/.v5/.sandbox-venv/orig" "$P/.v5/.sandbox-venv/empty/x"
	printf "$record" >"$P/.v5/.sandbox-venv/runs/1-0000"
	echo planted >"$P/.v5/.sandbox-venv/orig/activate.fish"
	echo planted >"$P/.v5/.sandbox-venv/stamp"
	chmod 777 "$P/.v5/.sandbox-venv" "$P/.v5/.sandbox-venv/runs" "$P/.v5/.sandbox-venv/empty"
	"$SV" "$P/.v5" >/dev/null 2>&1
	"$SV" "$P/.v6" >/dev/null 2>&1
	snap() { (cd "$1/.sandbox-venv" && find . -path ./bin -prune -o -printf '%p %m\n' | grep -v '^./bin ' | sort); }
	t state "a first wrap leaves nothing planted in the state: entries and modes as in a fresh venv's" \
		"$([ -n "$(snap "$P/.v6")" ] && [ "$(snap "$P/.v5")" = "$(snap "$P/.v6")" ]; echo $?)" \
		"$(diff <(snap "$P/.v5") <(snap "$P/.v6"))"
	# A state directory of another user's in a venv not wrapped yet: a
	# first wrap refuses it rather than keep or empty it.
	tu=${SV_TEST_USER:-sandbox-venv-test}
	if [ "$uid" -eq 0 ] && tuh=$(getent passwd "$tu" | cut -d: -f6) && [ -d "$tuh" ]; then
		# (That user has a key, so that nothing else stops the wrap.)
		# Whole or not at all, and never over one the user's own
		# tests (running beside this one) made meanwhile.
		if [ ! -f "$tuh/.local/state/sandbox-venv/key" ]; then
			runuser -u "$tu" -- mkdir -p "$tuh/.local/state/sandbox-venv"
			kt=$tuh/.local/state/sandbox-venv/key.$$
			"$SV_PYTHON" -c 'import secrets; print(secrets.token_hex(16))' >"$kt"
			chown "$tu:" "$kt"
			chmod 600 "$kt"
			ln "$kt" "$tuh/.local/state/sandbox-venv/key" 2>/dev/null
			rm -f "$kt"
		fi
		"$SV_PYTHON" -m venv --without-pip "$P/.v7" >/dev/null &&
			mkdir -p "$P/.v7/.sandbox-venv" && chown "$tu:" "$P/.v7/.sandbox-venv"
		out=$("$SV" "$P/.v7" 2>&1)
		t state "a first wrap refuses a state directory another user owns" \
			"$(! is_gate "$P/.v7/bin/python" && printf '%s\n' "$out" | grep -q 'belongs to another user'; echo $?)" "$out"
	else
		tskip state "a state directory another user owns: only root can give one away (and needs $tu)"
	fi
	# A wrapped venv that a sandbox puts out of the host's reach (no mode
	# on a directory on the way) stays on the list when another is wrapped.
	if [ "$uid" -ne 0 ]; then
		"$SV_PYTHON" -m venv --without-pip "$P/hid/.v8" >/dev/null && "$SV" "$P/hid/.v8" >/dev/null 2>&1
		chmod 000 "$P/hid"
		"$SV_PYTHON" -m venv --without-pip "$P/.v9" >/dev/null && "$SV" "$P/.v9" >/dev/null 2>&1
		chmod 755 "$P/hid"
		t state "a listed venv out of reach when another is wrapped stays on the list" \
			"$(grep -qxF "venv $P/hid/.v8" "$HOME/.local/state/sandbox-venv/venvs"; echo $?)" \
			"$(grep -F "$P" "$HOME/.local/state/sandbox-venv/venvs")"
		"$SV" --unwrap "$P/hid/.v8" >/dev/null 2>&1
	else
		tskip state "a listed venv out of reach: root reads through any mode"
	fi
else
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do t state "make the project for the planted files" 1; done
fi

# rw_offenders MOUNTINFO ALLOWED...: mount points mounted read-write that
# are not in ALLOWED (nor /dev and below), one per line.
rw_offenders() {
	"$SV_PYTHON" - "$@" <<'PY'
import re, sys
path, allowed = sys.argv[1], set(sys.argv[2:])
unescape = lambda s: re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)
for line in open(path):
    f = line.split()
    if len(f) < 6 or "rw" not in f[5].split(","):
        continue
    mp = unescape(f[4])
    if mp in allowed or mp == "/dev" or mp.startswith("/dev/"):
        continue
    print(mp)
PY
}
if P=$(mkproj_pip mounts) && install_probe "$P/.venv"; then
	v=$P/.venv
	allowed=("$P" "$v/home" "$v/cache" /tmp /var/tmp /proc)
	for kind in python pip; do
		rm -f "$P/mountinfo.$kind"
		if [ $kind = python ]; then
			(cd "$P" && SV_MOUNTINFO=$P/mountinfo.$kind SANDBOX_PASS_ENV=SV_MOUNTINFO \
				"$v/bin/python" -c pass) >"$W/mi.out" 2>&1
			extra=()
		else
			(cd "$P" && SV_MOUNTINFO=$P/mountinfo.$kind SANDBOX_PASS_ENV=SV_MOUNTINFO \
				"$v/bin/pip" --version) >"$W/mi.out" 2>&1
			extra=("$v" "$v/bin")
		fi
		if grep -q " $P " "$P/mountinfo.$kind" 2>/dev/null; then
			bad=$(rw_offenders "$P/mountinfo.$kind" "${allowed[@]}" "${extra[@]}")
			t root "a $kind launch: every read-write mount is the project, .venv/home, .venv/cache, /tmp, /var/tmp, /dev or /proc${extra:+, or the venv and its bin}" \
				"$([ -z "$bad" ]; echo $?)" "read-write elsewhere:
$bad"
		else
			t root "a $kind launch: every read-write mount is an allowed one" 1 \
				"no mountinfo came from inside: $(cat "$W/mi.out")"
		fi
	done
else
	t root "make the mountinfo test project" 1
fi

# === paths the host follows later (MUST 12) ============================================
# (a) tox: the venv two levels down in its project.
P=$W/tox
pw=$W/pwned-tox
mkdir -p "$P"
if "$SV_PYTHON" -m venv --without-pip "$P/.tox/py311" >/dev/null 2>&1 &&
	"$SV" --project "$P" "$P/.tox/py311" >/dev/null 2>"$W/wrap.err"; then
	out=$(cd "$P" && "$P/.tox/py311/bin/python" -c "$PRELUDE"'
P, pw = sys.argv[1], sys.argv[2]
report("rename", lambda: os.rename(P + "/.tox", P + "/.tox-moved"))
def plant():
    os.makedirs(P + "/.tox/py311/bin", exist_ok=True)
    path = P + "/.tox/py311/bin/python"
    if os.path.lexists(path):
        os.remove(path)
    with open(path, "w") as f:
        f.write("#!/bin/sh\ntouch " + pw + "\n")
    os.chmod(path, 0o755)
report("plant", plant)' "$P" "$pw" 2>&1)
	t layout "tox layout: P/.tox/py311's sandbox cannot rename P/.tox" \
		"$(blocked "$out" rename; echo $?)" "$(line "$out" rename)"
	t layout "tox layout: host: P/.tox/py311/bin/python is still a gate" \
		"$(is_gate "$P/.tox/py311/bin/python"; echo $?)" "$out
at the top: $(ls -A "$P" | tr '\n' ' ')"
else
	t layout "tox layout: wrap P/.tox/py311 with --project P" 1 "$(cat "$W/wrap.err")"
	tskip layout "tox layout: host: P/.tox/py311/bin/python is still a gate: not wrapped"
fi

# (b) a venv reached through a symlink in the project.
P=$W/symlinked
E=$W/elsewhere/venv
pw=$W/pwned-symlink
mkdir -p "$P" "$W/elsewhere"
wrapped=
if "$SV_PYTHON" -m venv --without-pip "$E" >/dev/null 2>&1 && ln -s "$E" "$P/.venv"; then
	if "$SV" --project "$P" "$P/.venv" >/dev/null 2>"$W/wrap.err"; then
		wrapped="--project P P/.venv"
	elif "$SV" --project "$P" "$E" >/dev/null 2>>"$W/wrap.err"; then
		wrapped="--project P \$SV_TMP/elsewhere/venv"
	fi
fi
if [ -n "$wrapped" ]; then
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$PRELUDE"'
P, pw = sys.argv[1], sys.argv[2]
def swap():
    link = P + "/.venv"
    try:
        os.rename(link, P + "/.venv-old")
    except OSError:
        os.remove(link)
    os.makedirs(link + "/bin")
    with open(link + "/bin/python", "w") as f:
        f.write("#!/bin/sh\ntouch " + pw + "\n")
    os.chmod(link + "/bin/python", 0o755)
report("swap", swap)' "$P" "$pw" 2>"$W/sym.err")
	rc=$?
	st=1
	if ! started "$out"; then
		[ $rc -ne 0 ] && [ -s "$W/sym.err" ] && st=0
	elif blocked "$out" swap; then
		st=0
	fi
	t layout "symlinked venv ($wrapped): the launch is refused with a message, or its sandbox cannot replace P/.venv" \
		$st "exit $rc; $out
$(cat "$W/sym.err")"
	t layout "symlinked venv: host: P/.venv/bin/python is still a gate" \
		"$(is_gate "$P/.venv/bin/python"; echo $?)" "P/.venv: $(ls -ld "$P/.venv" 2>&1)"
else
	t layout "symlinked venv: wrapping is refused, so nothing runs through P/.venv" 0
	tskip layout "symlinked venv: host: P/.venv/bin/python is still a gate: the layout is refused"
fi

# (c) more venvs in the project, wrapped after the first.
if P=$(mkproj multi); then
	mkdir -p "$P/sub/deep/deeper"
	deep=$P/sub/deep/deeper/.v2
	second=$P/.venv-2
	"$SV_PYTHON" -m venv --without-pip "$deep" >/dev/null 2>&1
	"$SV" "$deep" >/dev/null 2>"$W/wrap-deep.err"
	rc_deep=$?
	"$SV_PYTHON" -m venv --without-pip "$second" >/dev/null 2>&1
	"$SV" "$second" >/dev/null 2>"$W/wrap-second.err"
	rc_second=$?
	t layout "a second venv next to the first (P/.venv-2) can be wrapped" "$rc_second" \
		"$(cat "$W/wrap-second.err")"
	snap() {
		dir_snapshot "$1/bin"
		[ -d "$1/.sandbox-venv" ] || return 0
		dir_snapshot "$1/.sandbox-venv"
		dir_snapshot "$1/.sandbox-venv/bin"
	} 2>/dev/null
	deep_wrapped=$([ -d "$deep/.sandbox-venv" ] && echo 1)
	second_wrapped=$([ -d "$second/.sandbox-venv" ] && echo 1)
	deep_bin=$(dir_snapshot "$deep/bin")
	deep_state=$(snap "$deep")
	second_bin=$(dir_snapshot "$second/bin")
	second_state=$(snap "$second")
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$PRELUDE"'
P = sys.argv[1]
for tag, V in (("deep", sys.argv[2]), ("second", sys.argv[3])):
    def append_gate(V=V):
        with open(V + "/bin/python", "a") as f:
            f.write("\ntouch pwned\n")
    def replace_gate(V=V):
        with open(V + "/bin/.python.new", "w") as f:
            f.write("#!/bin/sh\ntouch pwned\n")
        os.chmod(V + "/bin/.python.new", 0o755)
        os.replace(V + "/bin/.python.new", V + "/bin/python")
    def append_policy(V=V):
        with open(V + "/.sandbox-venv/policy", "a") as f:
            f.write("bwrap-arg --bind\n")
    def new_state(V=V):
        with open(V + "/.sandbox-venv/new-file", "w") as f:
            f.write("x\n")
    def rename_state(V=V):
        os.rename(V + "/.sandbox-venv", V + "/sv-old")
    report(tag + "-gate-append", append_gate)
    report(tag + "-gate-replace", replace_gate)
    if os.path.isdir(V + "/.sandbox-venv"):
        report(tag + "-policy", append_policy)
        report(tag + "-state-new", new_state)
        report(tag + "-state-rename", rename_state)' "$P" "$deep" "$second" 2>&1)
	for tag in deep second; do
		case $tag in
		deep) V=$deep bin0=$deep_bin state0=$deep_state rcw=$rc_deep wrapped=$deep_wrapped
			what="a venv wrapped later 4 levels down (sub/deep/deeper/.v2)" ;;
		second) V=$second bin0=$second_bin state0=$second_state rcw=$rc_second wrapped=$second_wrapped
			what="a second venv (P/.venv-2)" ;;
		esac
		t layout "$what: P/.venv's sandbox cannot write or replace its bin/python" \
			"$(blocked "$out" $tag-gate-append && blocked "$out" $tag-gate-replace &&
				[ "$(dir_snapshot "$V/bin")" = "$bin0" ]; echo $?)" \
			"$(line "$out" $tag-gate-append); $(line "$out" $tag-gate-replace)
host bin/python: $(ls -l "$V/bin/python" 2>&1)"
		if [ -n "$wrapped" ]; then
			t layout "$what: P/.venv's sandbox cannot write any file in its .sandbox-venv" \
				"$(blocked "$out" $tag-policy && blocked "$out" $tag-state-new &&
					blocked "$out" $tag-state-rename && [ "$(snap "$V")" = "$state0" ]; echo $?)" \
				"$(line "$out" $tag-policy); $(line "$out" $tag-state-new); $(line "$out" $tag-state-rename)"
		else
			tskip layout "$what: its .sandbox-venv: not wrapped (exit $rcw)"
		fi
	done
	# What the second venv keeps of its own: its policy (with what was
	# recorded for it) and its sandboxes' home.
	if [ -n "$second_wrapped" ] && [ -d "$second/home" ]; then
		echo "SECRET-SECOND-HOME-$$" >"$second/home/token"
		out=$(cd "$P" && "$P/.venv/bin/python" -c "$PRELUDE"'
V = sys.argv[1]
report("read-policy", lambda: open(V + "/.sandbox-venv/policy").read())
report("read-home", lambda: open(V + "/home/token").read())
print("listed", len(os.listdir(V + "/.sandbox-venv")), len(os.listdir(V + "/home")))' "$second" 2>&1)
		t layout "a second venv (P/.venv-2): P/.venv's sandbox reads nothing of its state or its home (both shown empty)" \
			"$(blocked "$out" read-policy && blocked "$out" read-home &&
				printf '%s\n' "$out" | grep -qx 'listed 0 0'; echo $?)" "$out"
		rm -f "$second/home/token"
	else
		tskip layout "a second venv's state and home: not wrapped (exit $rc_second)"
	fi
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$PRELUDE"'
report("rename-sub", lambda: os.rename(sys.argv[1] + "/sub", sys.argv[1] + "/sub-moved"))' "$P" 2>&1)
	t layout "P/.venv's sandbox cannot rename P/sub, which holds another venv" \
		"$(blocked "$out" rename-sub && [ -d "$P/sub" ] && [ ! -e "$P/sub-moved" ]; echo $?)" \
		"$(line "$out" rename-sub)"
else
	t layout "make the project for several venvs" 1
fi

# (d) a venv wrapped for the first time while a sandbox of the project
# runs, built before it was listed (so not keeping it read-only): that
# sandbox must not be able to put its own program in place of a gate.
# The sandbox waits in the project until the host has tried the wrap,
# then replaces bin/python. A sandbox of another project changes nothing.
if P=$(mkproj running) && Q=$(mkproj elsewhere); then
	late=$P/sub/.v3
	other=$P/sub/.v4
	# wait_in DIR NAME [PAYLOAD ARG...]: run in the background, becomes a
	# launch of DIR/.venv whose sandbox says DIR/NAME.ready, then waits
	# for DIR/NAME.go; the payload runs after.
	# (replace_gate V: a program of the sandbox's in place of V/bin/python.)
	wait_in() {
		cd "$1" && exec "$1/.venv/bin/python" -c "$PRELUDE"'
import time
def replace_gate(V):
    with open(V + "/bin/.python.new", "w") as f:
        f.write("#!/bin/sh\ntouch pwned\n")
    os.chmod(V + "/bin/.python.new", 0o755)
    os.replace(V + "/bin/.python.new", V + "/bin/python")
open(sys.argv[1] + ".ready", "w").close()
while not os.path.exists(sys.argv[1] + ".go"):
    time.sleep(0.05)
'"${3:-}" "$2" "${@:4}"
	}
	ready() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
	# wrap_beside DIR NAME ERR CMD...: CMD (a wrap) while a launch of
	# DIR/.venv waits (wait_in DIR NAME, with beside_args after); its
	# status in rc, its stderr in ERR, the launch's pid in beside_pid.
	beside_args=()
	wrap_beside() {
		local dir=$1 name=$2 err=$3
		shift 3
		wait_in "$dir" "$name" "${beside_args[@]}" >/dev/null 2>&1 &
		beside_pid=$!
		bg_pids+=("$beside_pid")
		ready "$dir/$name.ready"
		"$@" >/dev/null 2>"$err"
		rc=$?
		: >"$dir/$name.go"
		wait "$beside_pid"
	}
	wait_in "$P" late 'V = sys.argv[2]
report("late-gate-replace", lambda: replace_gate(V))' "$late" >"$W/late.out" 2>&1 &
	lpid=$!
	bg_pids+=("$lpid")
	wait_in "$Q" other >/dev/null 2>&1 &
	qpid=$!
	bg_pids+=("$qpid")
	ready "$P/late.ready" && ready "$Q/other.ready"
	"$SV_PYTHON" -m venv --without-pip "$late" >/dev/null 2>&1
	"$SV" "$late" >/dev/null 2>"$W/late-wrap.err"
	rc_late=$?
	touch "$P/late.go"
	wait "$lpid"
	out=$(cat "$W/late.out")
	t layout "a venv wrapped while a sandbox of its project built before runs: the wrap is refused, and names that launch alone" \
		"$([ "$rc_late" -ne 0 ] && grep -q "with a writable mount of it or of a directory above it" "$W/late-wrap.err" &&
			grep -qxF "  $lpid $P/.venv/bin/python" "$W/late-wrap.err" &&
			! grep -qF "$Q" "$W/late-wrap.err"; echo $?)" \
		"exit $rc_late: $(cat "$W/late-wrap.err")"
	t layout "... and that sandbox cannot leave a program of its own where a gate of it is (the wrap refused, or the gate kept)" \
		"$(started "$out" && { [ "$rc_late" -ne 0 ] || is_gate "$late/bin/python"; }; echo $?)" \
		"wrap exit $rc_late; $(line "$out" late-gate-replace); host bin/python: $(head -c 200 "$late/bin/python" 2>&1)"
	t layout "... the refused wrap leaves nothing of its own in the venv, nor on the list" \
		"$([ ! -e "$late/.sandbox-venv" ] && [ ! -e "$late/home" ] && [ ! -e "$late/cache" ] &&
			! grep -qxF "venv $late" "$HOME/.local/state/sandbox-venv/venvs" 2>/dev/null; echo $?)" \
		"$(ls -a "$late" 2>&1)"
	"$SV_PYTHON" -m venv --clear --without-pip "$late" >/dev/null 2>&1
	"$SV" "$late" >/dev/null 2>"$W/late-wrap2.err"
	rc=$?
	t layout "... once that sandbox has ended, the same wrap goes ahead" \
		"$([ "$rc" -eq 0 ] && is_gate "$late/bin/python"; echo $?)" "exit $rc: $(cat "$W/late-wrap2.err")"
	# A sandbox of another project, still running, is none of its business.
	"$SV_PYTHON" -m venv --without-pip "$other" >/dev/null 2>&1
	"$SV" "$other" >/dev/null 2>"$W/late-wrap3.err"
	rc=$?
	touch "$Q/other.go"
	wait "$qpid"
	t layout "a venv wrapped while only a sandbox of another project runs: the wrap goes ahead" \
		"$([ "$rc" -eq 0 ] && is_gate "$other/bin/python"; echo $?)" "exit $rc: $(cat "$W/late-wrap3.err")"
	# A venv wrapped and listed, then removed and made again at its path
	# while a sandbox of the project built before runs: that sandbox sees
	# the new directory writable (its read-only mount went with the old
	# one), and makes a state directory there before the wrap. The wrap
	# looks all the same, and is refused.
	again=$P/sub/.v5
	"$SV_PYTHON" -m venv --without-pip "$again" >/dev/null 2>&1
	"$SV" "$again" >/dev/null 2>&1
	wait_in "$P" again 'V = sys.argv[2]
st = os.stat(V).st_ino
open(sys.argv[1] + ".watching", "w").close()
for _ in range(400):
    try:
        if os.stat(V).st_ino != st and os.path.exists(V + "/pyvenv.cfg"):
            os.mkdir(V + "/.sandbox-venv")
            break
    except OSError:
        pass
    time.sleep(0.005)
for _ in range(400):
    try:
        if b"sandbox-venv gate" in open(V + "/bin/python", "rb").read(4096):
            break
    except OSError:
        pass
    time.sleep(0.005)
report("again-gate-replace", lambda: replace_gate(V))' "$again" >"$W/again.out" 2>&1 &
	apid=$!
	bg_pids+=("$apid")
	: >"$P/again.go"
	ready "$P/again.watching"
	rm -rf "$again"
	"$SV_PYTHON" -m venv --without-pip "$again" >/dev/null 2>&1
	for _ in $(seq 50); do [ -d "$again/.sandbox-venv" ] && break; sleep 0.02; done
	"$SV" "$again" >/dev/null 2>"$W/late-wrap6.err"
	rc=$?
	wait "$apid"
	out=$(cat "$W/again.out")
	t layout "a listed venv removed and made again beside a running sandbox that then writes a state directory into it: the wrap is refused" \
		"$([ "$rc" -ne 0 ] && grep -qxF "  $apid $P/.venv/bin/python" "$W/late-wrap6.err"; echo $?)" \
		"exit $rc: $(cat "$W/late-wrap6.err")"
	t layout "... and that sandbox cannot leave a program of its own where a gate of it is" \
		"$(started "$out" && { [ "$rc" -ne 0 ] || is_gate "$again/bin/python"; }; echo $?)" \
		"wrap exit $rc; $(line "$out" again-gate-replace); host bin/python: $(head -c 200 "$again/bin/python" 2>&1)"
	# Wrapped again, with no sandbox of the project running: no look is
	# needed, and none is taken (a sandbox of the project started now
	# keeps it read-only).
	"$SV_PYTHON" -m venv --clear --without-pip "$again" >/dev/null 2>&1
	"$SV" "$again" >/dev/null 2>&1
	wrap_beside "$P" again2 "$W/late-wrap7.err" "$SV" "$again"
	t layout "... wrapped again while a sandbox started after it was listed runs: the wrap goes ahead" \
		"$([ "$rc" -eq 0 ]; echo $?)" "exit $rc: $(cat "$W/late-wrap7.err")"
	# Without its record (a wrap by an older build), the next wrap looks,
	# and a refusal then leaves the venv on the list: the sandboxes
	# started since it was listed keep it read-only, and so must the next.
	rm -f "$again/.sandbox-venv/listed"
	wrap_beside "$P" again3 "$W/late-wrap9.err" "$SV" "$again"
	t layout "... with no record of its listing, refused beside a sandbox of the project, and still listed" \
		"$([ "$rc" -ne 0 ] && grep -qxF "venv $again" "$HOME/.local/state/sandbox-venv/venvs"; echo $?)" \
		"exit $rc: $(cat "$W/late-wrap9.err"); listed: $(grep -c "$again" "$HOME/.local/state/sandbox-venv/venvs")"
	# From another mount namespace, a sandbox of another project is none
	# of its business either (the namespaces are told apart from the
	# launcher's, not the wrap's).
	if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
		"$SV_PYTHON" -m venv --without-pip "$P/sub/.v8" >/dev/null 2>&1
		wrap_beside "$Q" other3 "$W/late-wrap8.err" \
			unshare -m --propagation slave "$SV" "$P/sub/.v8"
		t layout "a first wrap from a mount namespace of its own, while a sandbox of another project runs: it goes ahead" \
			"$([ "$rc" -eq 0 ]; echo $?)" "exit $rc: $(cat "$W/late-wrap8.err")"
	else
		tskip layout "a first wrap from a mount namespace of its own: making one takes root (the root pass runs it)"
	fi
	# A launch whose arguments run past a megabyte counts as well (its
	# first three are what tell a launch).
	big=$("$SV_PYTHON" -c 'print("x" * 120000)')
	beside_args=('' "$big" "$big" "$big" "$big" "$big" "$big" "$big" "$big" "$big")
	"$SV_PYTHON" -m venv --without-pip "$P/sub/.v9" >/dev/null 2>&1
	wrap_beside "$P" long "$W/late-wrap10.err" "$SV" "$P/sub/.v9"
	beside_args=()
	t layout "a venv wrapped beside a launch of the project with 1 MB of arguments: refused, and names it" \
		"$([ "$rc" -ne 0 ] && grep -qxF "  $beside_pid $P/.venv/bin/python" "$W/late-wrap10.err"; echo $?)" \
		"exit $rc: $(cat "$W/late-wrap10.err")"
	# A stopped launch has its project read-only inside until it is
	# continued: it counts as well. The sandbox stops itself, and once
	# continued replaces the gate.
	stopper='V = sys.argv[2]
import signal
os.kill(0, signal.SIGSTOP)
report("stopped-gate-replace", lambda: replace_gate(V))'
	: >"$P/stopped.go"
	wait_in "$P" stopped "$stopper" "$P/sub/.v7" </dev/null >"$W/stopped.out" 2>&1 &
	spid=$!
	bg_pids+=("$spid")
	state=
	for _ in $(seq 100); do
		state=$(awk '{ print $3 }' "/proc/$spid/stat" 2>/dev/null)
		[ "$state" = T ] && break
		sleep 0.1
	done
	"$SV_PYTHON" -m venv --without-pip "$P/sub/.v7" >/dev/null 2>&1
	"$SV" "$P/sub/.v7" >/dev/null 2>"$W/late-wrap5.err"
	rc=$?
	kill -CONT "$spid" 2>/dev/null
	wait "$spid"
	out=$(cat "$W/stopped.out")
	t layout "a venv wrapped while a launch of its project is stopped (state $state): the wrap is refused, and names it" \
		"$([ "$state" = T ] && [ "$rc" -ne 0 ] && grep -qxF "  $spid $P/.venv/bin/python" "$W/late-wrap5.err"; echo $?)" \
		"exit $rc: $(cat "$W/late-wrap5.err")"
	t layout "... and, continued, that sandbox cannot leave a program of its own where a gate of it is" \
		"$(started "$out" && { [ "$rc" -ne 0 ] || is_gate "$P/sub/.v7/bin/python"; }; echo $?)" \
		"wrap exit $rc; $(line "$out" stopped-gate-replace); host bin/python: $(head -c 200 "$P/sub/.v7/bin/python" 2>&1)"
	# No launch is between reading the list and having a sandbox to look
	# at while the wrap looks (registry.h): a launch waits while the lock
	# is held alone, and a first wrap waits while a launch holds it.
	lock=$HOME/.local/state/sandbox-venv/launches.lock
	hold_lock() {   # hold_lock -x|-s: for 1.5 s; DIR/held once held, the time of the release in DIR/released
		rm -f "$W/held" "$W/released"
		(exec 9>>"$lock" && flock "$1" 9 && : >"$W/held" && sleep 1.5 &&
			date +%s%N >"$W/released") &
		holder=$!
		ready "$W/held"
	}
	if command -v flock >/dev/null 2>&1 && hold_lock -x; then
		started=$(cd "$P" && "$P/.venv/bin/python" -c 'import time; print(time.time_ns())')
		wait "$holder"
		t layout "a launch waits while a first wrap holds the launches back" \
			"$([ -n "$started" ] && [ "$started" -ge "$(cat "$W/released")" ]; echo $?)" \
			"the program started at $started, the lock was released at $(cat "$W/released")"
		hold_lock -s
		"$SV_PYTHON" -m venv --without-pip "$P/sub/.v6" >/dev/null 2>&1
		"$SV" "$P/sub/.v6" >/dev/null 2>"$W/late-wrap4.err"
		rc=$?
		ended=$(date +%s%N)
		wait "$holder"
		t layout "a first wrap waits while a launch holds the list still" \
			"$([ "$rc" -eq 0 ] && [ "$ended" -ge "$(cat "$W/released")" ]; echo $?)" \
			"exit $rc, ended at $ended, the lock was released at $(cat "$W/released"): $(cat "$W/late-wrap4.err")"
	else
		tskip layout "the launches' lock: flock(1) is missing, or $lock cannot be locked"
		tskip layout "the launches' lock: see above"
	fi
else
	t layout "make the projects for a wrap beside a running sandbox" 1
fi

# (e) two sandboxes of a project meet at a socket in it: the first hands
# the second a descriptor of its project's mount, then ends. Its
# read-only mounts over the venv go with its namespace; through the kept
# descriptor the second would reach the venv's gates and state writable.
# With Landlock path rules no shared place lets a socket be made there.
if P=$(mkproj fdpass); then
	ll=$(VERBOSE=1 "$P/.venv/bin/python" -c pass 2>&1 | grep -c '^sandbox-venv: landlock   ')
	rm -f "$P/fdpass.sock" "$P/a.gone"
	(cd "$P" && exec "$P/.venv/bin/python" -c "$PRELUDE"'
import array, socket
s = socket.socket(socket.AF_UNIX)
def serve():
    s.bind("fdpass.sock")
    s.listen(1)
    s.settimeout(20)
    c, _ = s.accept()
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    c.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
report("fdpass-bind", serve)' >"$W/fdpass-a.out" 2>&1) &
	fapid=$!
	bg_pids+=("$fapid")
	for _ in $(seq 100); do [ -S "$P/fdpass.sock" ] || grep -qs blocked "$W/fdpass-a.out" && break; sleep 0.1; done
	(cd "$P" && exec "$P/.venv/bin/python" -c "$PRELUDE"'
import array, socket, time
got = []
def take():
    c = socket.socket(socket.AF_UNIX)
    c.connect("fdpass.sock")
    fds = array.array("i")
    msg, anc, flags, addr = c.recvmsg(1, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        fds.frombytes(data[:fds.itemsize])
    got.extend(fds)
    if not got:
        raise OSError(errno.EBADF, "no descriptor")
report("fdpass-take", take)
while not os.path.exists("a.gone"):
    time.sleep(0.05)
def plant():
    fd = os.open(".venv/bin/planted", os.O_WRONLY | os.O_CREAT, 0o755, dir_fd=got[0])
    os.write(fd, b"#!/bin/sh\ntouch pwned\n")
    os.close(fd)
if got:
    report("fdpass-plant", plant)' >"$W/fdpass-b.out" 2>&1) &
	fbpid=$!
	bg_pids+=("$fbpid")
	wait "$fapid"
	: >"$P/a.gone"
	wait "$fbpid"
	out="$(cat "$W/fdpass-a.out" "$W/fdpass-b.out")"
	if [ "$ll" -gt 0 ]; then
		t layout "two sandboxes of a project: the first cannot make a socket in the project to hand the second a descriptor" \
			"$(blocked "$out" fdpass-bind EACCES; echo $?)" "$out"
		t layout "... and once the first has ended, nothing of the second's lands in the venv's bin/" \
			"$([ ! -e "$P/.venv/bin/planted" ]; echo $?)" "$out"
	else
		tskip layout "a descriptor handed between two sandboxes of a project: open in the per-file layout (no Landlock path rules; README, not protected)"
		tskip layout "... the venv's bin/ through it: per-file layout"
	fi
	rm -f "$P/.venv/bin/planted" "$P/fdpass.sock"
else
	t layout "make the project for a descriptor handed between sandboxes" 1
fi

# A wrapped venv inside another venv of the project, which is read-only
# with it (P/outer/sub/inner, wrapped before P/outer was made around it):
# what it keeps of its own is shown empty as well. One in the outer venv's
# home is not there at all, and the launch still builds (no mount under a
# directory shown empty).
P=$W/nested-other
mkdir -p "$P/outer/sub" "$P/outer/home/x"
if "$SV_PYTHON" -m venv --without-pip "$P/outer/sub/inner" >/dev/null 2>&1 &&
	"$SV" "$P/outer/sub/inner" >/dev/null 2>&1 &&
	"$SV_PYTHON" -m venv --without-pip "$P/outer/home/x/in-home" >/dev/null 2>&1 &&
	"$SV" "$P/outer/home/x/in-home" >/dev/null 2>&1 &&
	"$SV_PYTHON" -m venv --without-pip "$P/outer" >/dev/null 2>&1 &&
	"$SV_PYTHON" -m venv --without-pip "$P/.venv" >/dev/null 2>&1 &&
	"$SV" "$P/.venv" >/dev/null 2>"$W/wrap.err" && [ -d "$P/outer/sub/inner/home" ]; then
	echo "SECRET-INNER-HOME-$$" >"$P/outer/sub/inner/home/token"
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$PRELUDE"'
V = sys.argv[1]
report("read-policy", lambda: open(V + "/.sandbox-venv/policy").read())
report("read-home", lambda: open(V + "/home/token").read())
print("listed", len(os.listdir(V + "/.sandbox-venv")), len(os.listdir(V + "/home")),
      os.path.exists(sys.argv[2]))' "$P/outer/sub/inner" "$P/outer/home/x" 2>&1)
	t layout "a wrapped venv inside another read-only venv (P/outer/sub/inner): P/.venv's sandbox reads nothing of its state or its home (both shown empty)" \
		"$(blocked "$out" read-policy && blocked "$out" read-home &&
			printf '%s\n' "$out" | grep -q '^listed 0 0 '; echo $?)" "$out"
	t layout "... and one in the outer venv's home, shown empty, is not there, and the launch builds (no mount below what is shown empty)" \
		"$(printf '%s\n' "$out" | grep -qx 'listed 0 0 False'; echo $?)" "$out"
	# Nor anything else below what is shown empty: git's hooks directory
	# set there by the user (core.hooksPath), which the launch pins.
	hgit init -q "$P" && hgit -C "$P" config core.hooksPath outer/home/x
	out=$(cd "$P" && "$P/.venv/bin/python" -c 'import os, sys; print("there", os.path.exists(sys.argv[1]))' \
		"$P/outer/home/x" 2>&1)
	t layout "... and git's hooks directory (core.hooksPath) in a directory shown empty: the launch builds, and it is not there" \
		"$([ "$out" = "there False" ]; echo $?)" "$out"
else
	t layout "make the project for a venv inside another venv of the project" 1 "$(cat "$W/wrap.err" 2>/dev/null)"
fi

# A venv inside another venv's home (wrapped with the project above): its
# sandboxes see that home as an empty file system holding only the way to
# the venv, not the other venv's files there.
if P=$(mkproj inhome); then
	if "$SV_PYTHON" -m venv --without-pip "$P/.venv/home/B" >/dev/null 2>&1 &&
		"$SV" --project "$P" "$P/.venv/home/B" >/dev/null 2>"$W/wrap.err"; then
		echo "TOKEN-OUTER-HOME-$$" >"$P/.venv/home/tok"
		out=$(cd "$P" && "$P/.venv/home/B/bin/python" -c "$PRELUDE"'
report("read-outer-home", lambda: open(sys.argv[1] + "/tok").read())
print("listed", sorted(os.listdir(sys.argv[1])))' "$P/.venv/home" 2>&1)
		t layout "a venv in another venv's home: its sandbox reads nothing of that home (only the way to the venv is there)" \
			"$(blocked "$out" read-outer-home && printf '%s\n' "$out" | grep -qx "listed \['B'\]"; echo $?)" "$out"
	else
		t layout "a venv in another venv's home: wrap it with --project" 1 "$(cat "$W/wrap.err")"
	fi
else
	t layout "make the project for a venv in another's home" 1
fi

# A read-write view elsewhere of a project directory that holds what git
# runs (core.fsmonitor = tools/fsmon): refused, as one of .git is; the
# sandbox would rewrite the program through it.
if P=$(mkproj gitview); then
	mkdir -p "$P/tools" "$P/data" "$W/gitview-srv"
	printf '#!/bin/sh\nexit 1\n' >"$P/tools/fsmon"
	chmod 755 "$P/tools/fsmon"
	hgit init -q "$P" && hgit -C "$P" config core.fsmonitor tools/fsmon
	out=$(cd "$P" && BWRAP_ARGS="--bind $P/tools $W/gitview-srv" .venv/bin/python -c 'print("ran")' 2>&1)
	out2=$(cd "$P" && BWRAP_ARGS="--bind $P/data $W/gitview-srv" .venv/bin/python -c 'print("ran")' 2>&1)
	t git "a read-write bind elsewhere of a directory holding what git runs (core.fsmonitor) is refused; one of another directory is not" \
		"$(printf '%s\n' "$out" | grep -q "which git on the host runs from" && [ "$out2" = ran ]; echo $?)" \
		"$out / $out2"
else
	t git "make the project for a view of git's paths" 1
fi

# A link in the venv's lib/ (pip's sandbox has the venv writable and can
# make one): the hint files the host writes into each site-packages at the
# end of a change, and unwrap deletes, go through no link.
if P=$(mkproj hintlink); then
	mkdir -p "$W/hint-target/site-packages"
	echo keep >"$W/hint-target/site-packages/_sandbox_venv_read_only.py"
	ln -s "$W/hint-target" "$P/.venv/lib/zz-link"
	"$SV" "$P/.venv" >/dev/null 2>&1
	written=$(ls "$W/hint-target/site-packages")
	"$SV" --unwrap "$P/.venv" >/dev/null 2>&1
	t hostwork "a link in the venv's lib/ to another site-packages: wrapping writes no hint file there, unwrapping deletes none" \
		"$([ "$written" = "_sandbox_venv_read_only.py" ] &&
			[ "$(cat "$W/hint-target/site-packages/_sandbox_venv_read_only.py" 2>&1)" = keep ]; echo $?)" \
		"after the wrap: $written; after unwrap: $(ls "$W/hint-target/site-packages" 2>&1)"
else
	t hostwork "make the project for a link in lib/" 1
fi

# The interpreter's and pip's entry points removed from the venv (pip's
# sandbox has it writable): their gates stay, and fail, so that an
# activated venv never runs the host's python or pip on the project.
if P=$(mkproj coregates); then
	# A console script whose name the host's PATH also has (true).
	printf '#!/bin/sh\necho venv-true\n' >"$P/.venv/bin/true"
	chmod 755 "$P/.venv/bin/true"
	"$SV" "$P/.venv" >/dev/null 2>&1
	rm -f "$P/.venv/.sandbox-venv/bin/"python* "$P/.venv/.sandbox-venv/bin/"pip* \
		"$P/.venv/.sandbox-venv/bin/true"
	touch "$P/.venv/.sandbox-venv/bin"   # as a change would
	out=$(cd "$P" && .venv/bin/python -c 'print("ran")' 2>&1)
	rc=$?
	found=$(cd "$P" && bash -c '. .venv/bin/activate && command -v python && command -v python3' 2>&1)
	t hostwork "the interpreter's entry points gone from the venv: its gates stay and fail; python in the activated venv is still the gate (and a console script named as a host program, true)" \
		"$([ $rc -ne 0 ] && [ "${out#ran}" = "$out" ] && is_gate "$P/.venv/bin/python" &&
			is_gate "$P/.venv/bin/true" &&
			[ "$found" = "$P/.venv/bin/python
$P/.venv/bin/python3" ]; echo $?)" "exit $rc: $out
command -v: $found"
else
	t hostwork "make the project for the interpreter's gates" 1
fi

# (e) a venv inside another venv (P/.venv/tools): as its project, the outer
# venv would be writable in the inner's sandboxes; with the project above,
# each venv's sandboxes must leave the other's gates and scripts alone,
# pip's writable venv included.
if P=$(mkproj nested); then
	outer=$P/.venv
	inner=$outer/tools
	"$SV_PYTHON" -m venv --without-pip "$inner" >/dev/null 2>&1
	err=$("$SV" "$inner" 2>&1 >/dev/null)
	rc=$?
	t layout "a venv inside another: wrapping it with the outer venv as its project is refused" \
		"$([ $rc -ne 0 ] && printf '%s\n' "$err" | grep -q "a venv itself"; echo $?)" \
		"exit $rc: $err"
	if "$SV" --project "$P" "$inner" >/dev/null 2>"$W/wrap-nested.err"; then
		outer_bin=$(dir_snapshot "$outer/bin")
		inner_bin=$(dir_snapshot "$inner/bin")
		out=$(cd "$P" && "$inner/bin/python" -c "$PRELUDE"'
V = sys.argv[1]
def replace_gate():
    with open(V + "/bin/.python.new", "w") as f:
        f.write("#!/bin/sh\ntouch pwned\n")
    os.chmod(V + "/bin/.python.new", 0o755)
    os.replace(V + "/bin/.python.new", V + "/bin/python")
def append_activate():
    with open(V + "/bin/activate", "a") as f:
        f.write("\ntouch pwned\n")
report("outer-gate", replace_gate)
report("outer-activate", append_activate)' "$outer" 2>&1)
		t layout "inner venv (--project P): its sandbox cannot replace the outer venv's gate or append to its activate" \
			"$(blocked "$out" outer-gate && blocked "$out" outer-activate &&
				[ "$(dir_snapshot "$outer/bin")" = "$outer_bin" ]; echo $?)" \
			"$(line "$out" outer-gate); $(line "$out" outer-activate)"
		# The outer venv's pip launch has it writable: code that runs
		# there (a .pth, as an installed package has) reaches for the
		# inner venv.
		sp=$(ls -d "$outer"/lib/python3*/site-packages 2>/dev/null | head -1)
		if [ -n "$sp" ]; then
			cat >"$sp/zz_nested_attack.pth" <<PTH
import os; exec("try:\n open('$inner/bin/activate', 'a').write('touch pwned\\\\n'); r = 'DONE'\nexcept OSError as e: r = 'blocked %d' % e.errno\nopen('$P/nested.log', 'a').write('inner-activate ' + r + '\\\\n')") if os.environ.get('VIRTUAL_ENV') == '$outer' else None
PTH
			(cd "$P" && "$outer/bin/python" -m pip --version) >/dev/null 2>&1
			rm -f "$sp/zz_nested_attack.pth"
			log=$(cat "$P/nested.log" 2>/dev/null)
			t layout "outer venv's pip launch (venv writable): its code cannot write the inner venv's activate" \
				"$(printf '%s\n' "$log" | grep -q '^inner-activate blocked' &&
					! printf '%s\n' "$log" | grep -q DONE &&
					[ "$(dir_snapshot "$inner/bin")" = "$inner_bin" ]; echo $?)" \
				"log: ${log:-(the .pth did not run)}"
		else
			tskip layout "outer venv's pip launch: no site-packages in $outer"
		fi
	else
		t layout "inner venv: wrap it with --project P" 1 "$(cat "$W/wrap-nested.err")"
		tskip layout "inner venv: not wrapped"
		tskip layout "outer venv's pip launch: inner not wrapped"
	fi
	# A venv inside this venv's home (writable in every sandbox of it):
	# read-only there too, and the way to it pinned.
	deep=$outer/home/x/.v3
	mkdir -p "$outer/home/x"
	if "$SV_PYTHON" -m venv --without-pip "$deep" >/dev/null 2>&1 &&
		"$SV" --project "$P" "$deep" >/dev/null 2>"$W/wrap-deep3.err"; then
		deep_bin=$(dir_snapshot "$deep/bin")
		out=$(cd "$P" && "$outer/bin/python" -c "$PRELUDE"'
V = sys.argv[1]
def replace_gate():
    os.rename(V + "/bin/python", V + "/bin/python.old")
report("home-venv-gate", replace_gate)
report("home-venv-rename", lambda: os.rename(os.path.dirname(V), os.path.dirname(V) + "-moved"))' "$deep" 2>&1)
		t layout "a venv in the outer venv's home: the outer venv's sandbox cannot move its gate or the directory holding it" \
			"$(blocked "$out" home-venv-gate && blocked "$out" home-venv-rename &&
				[ "$(dir_snapshot "$deep/bin")" = "$deep_bin" ]; echo $?)" \
			"$(line "$out" home-venv-gate); $(line "$out" home-venv-rename)"
	else
		t layout "a venv in the outer venv's home: wrap it with --project P" 1 "$(cat "$W/wrap-deep3.err")"
	fi
	# A pyvenv.cfg a sandbox puts in its project does not stop the next launch.
	(cd "$P" && "$outer/bin/shell" -c 'echo "home = /usr/bin" > pyvenv.cfg') >/dev/null 2>&1
	out=$(cd "$P" && "$outer/bin/python" -c 'print("ran")' 2>&1)
	t layout "a pyvenv.cfg a sandbox put in the project: the next launch still runs" \
		"$([ "$out" = ran ]; echo $?)" "$out"
	rm -f "$P/pyvenv.cfg"
	# A venv made around one already wrapped: P/around/tools was wrapped
	# with P/around as its project, then P/around became a wrapped venv.
	# Its project is now a venv whose gates its sandboxes could rewrite.
	if mkdir -p "$P/around" && "$SV_PYTHON" -m venv --without-pip "$P/around/tools" >/dev/null 2>&1 &&
		"$SV" "$P/around/tools" >/dev/null 2>&1 &&
		"$SV_PYTHON" -m venv --without-pip "$P/around" >/dev/null 2>&1 &&
		"$SV" --project "$P" "$P/around" >/dev/null 2>"$W/wrap-around.err"; then
		out=$(cd "$P" && "$P/around/tools/bin/python" -c 'print("ran")' 2>&1)
		rc=$?
		t layout "a venv made around a wrapped one: the inner venv's launch refuses its project, now the wrapped venv" \
			"$([ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "is the wrapped venv"; echo $?)" \
			"exit $rc: $out"
	else
		t layout "a venv made around a wrapped one: set it up" 1 "$(cat "$W/wrap-around.err" 2>/dev/null)"
	fi
else
	t layout "make the project for nested venvs" 1
fi

# (f) git's paths led into the venv through links in the work tree (a
# hook linked to a path the sandbox then makes a link into .venv): the
# venv stays read-only.
if [ -n "$have_git" ] && P=$(mkproj gitvenv); then
	hgit -C "$P" init -q
	mkdir -p "$P/.git/hooks"
	ln -s ../../tools/hooks/pre-commit "$P/.git/hooks/pre-commit"
	(cd "$P" && "$P/.venv/bin/shell" -c 'mkdir -p tools/hooks && ln -s "$1/.venv/lib/x" tools/hooks/pre-commit' sh "$P") \
		>/dev/null 2>&1
	out=$(cd "$P" && "$P/.venv/bin/python" -c "$PRELUDE"'
V = sys.argv[1]
report("venv-lib-write", lambda: open(V + "/lib/planted.pth", "w").write("import os\n"))' "$P/.venv" 2>&1)
	t layout "git's paths led into the venv by links the sandbox made: the venv stays read-only" \
		"$(blocked "$out" venv-lib-write && [ ! -e "$P/.venv/lib/planted.pth" ]; echo $?)" \
		"$(line "$out" venv-lib-write)"
else
	tskip layout "git's paths led into the venv: no git, or no project"
fi

# (d) install-time code repoints the private bin's python at a symlink in
# the project: the next wrap must not record it, and a later sandbox that
# repoints that symlink must not get the real home bound in.
if P=$(mkproj_pip repoint); then
	v=$P/.venv
	mkdir -p "$P/pkg-repoint/svrepoint"
	touch "$P/pkg-repoint/svrepoint/__init__.py"
	cat >"$P/pkg-repoint/setup.py" <<PY
import os
from setuptools import setup
V = os.environ.get("VIRTUAL_ENV", "")
P = "$P"
with open(P + "/repoint.log", "a") as log:
    try:
        real = os.path.realpath(V + "/bin/python")
        if os.path.lexists(P + "/pylink"):
            os.remove(P + "/pylink")
        os.symlink(real, P + "/pylink")
        if os.path.lexists(V + "/bin/.python-new"):
            os.remove(V + "/bin/.python-new")
        os.symlink(P + "/pylink", V + "/bin/.python-new")
        os.replace(V + "/bin/.python-new", V + "/bin/python")
        log.write("repointed to %s\n" % real)
    except OSError as e:
        log.write("blocked %r\n" % e)
setup(name="svrepoint", version="1.0", packages=["svrepoint"])
PY
	(cd "$P" && "$v/bin/pip" install "${pip_opts[@]}" ./pkg-repoint) >"$W/pip.out" 2>&1
	"$SV" "$v" >"$W/rewrap.out" 2>&1
	rc=$?
	if [ -s "$P/repoint.log" ]; then
		bad=$(grep -v -e '^venv ' -e '^project ' "$v/.sandbox-venv/policy" 2>/dev/null | grep -F "$P")
		t layout "pip repointing the private bin's python into the project: the next wrap's policy names nothing in the project" \
			"$([ -z "$bad" ]; echo $?)" "install-time code: $(cat "$P/repoint.log"); wrap exit $rc
policy lines in the project: $bad"
		if [ -d "$real_home" ] && [ -w "$real_home" ] && home_tmp=$(mktemp -d "$real_home/sv-invariants.XXXXXX"); then
			echo "SECRET-HOME-$$" >"$home_tmp/secret"
			(cd "$P" && "$v/bin/shell" -c 'rm -f "$1/pylink" && ln -s "$2" "$1/pylink"' sh "$P" "$home_tmp") \
				>"$W/repoint2.out" 2>&1
			out=$(cd "$P" && "$v/bin/shell" -c 'cat "$1/secret"' sh "$home_tmp" 2>&1)
			t layout "... and a later sandbox pointing that symlink at the real home gets nothing of it in the next launch" \
				"$(! printf '%s\n' "$out" | grep -q "SECRET-HOME-$$"; echo $?)" \
				"$(cat "$W/repoint2.out")
next launch read: $out"
			chmod -R u+w "$home_tmp"
			rm -rf "$home_tmp"
			home_tmp=
		else
			tskip layout "... a later sandbox pointing that symlink at the real home: '$real_home' is not writable"
		fi
	else
		t layout "pip repointing the private bin's python: the install-time code ran" 1 "$(tail -5 "$W/pip.out")"
	fi
else
	t layout "make the project for the repointed python" 1
fi

# === the .git guard agrees with git (MUST 13) ==========================================
# plant13.py VARIANT TOP PWNED makes TOP a repository by a layout git
# accepts, whose core.fsmonitor (run by git status) touches PWNED.
cat >"$W/plant13.py" <<'PY'
import os, sys
variant, top, pwned = sys.argv[1:4]
def w(path, text, mode=None):
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
cfg = ("[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = %s\n"
       "\tfsmonitor = touch %s\n" % (top, pwned))
def repo(d):
    os.makedirs(d + "/objects", exist_ok=True)
    os.makedirs(d + "/refs/heads", exist_ok=True)
    w(d + "/HEAD", "ref: refs/heads/main\n")
    w(d + "/config", cfg)
if variant == "files":        # the top a repository; objects, refs executable files
    w(top + "/HEAD", "ref: refs/heads/main\n")
    w(top + "/config", cfg)
    w(top + "/objects", "", 0o755)
    w(top + "/refs", "", 0o755)
elif variant == "commondir":  # HEAD at the top, objects and refs where commondir says
    common = ("[core]\n\trepositoryformatversion = 1\n\tfsmonitor = touch %s\n"
              "[extensions]\n\tworktreeConfig = true\n" % pwned)
    os.makedirs(top + "/stash/objects", exist_ok=True)
    os.makedirs(top + "/stash/refs/heads", exist_ok=True)
    w(top + "/stash/config", common)
    w(top + "/config", common)
    w(top + "/config.worktree", "[core]\n\tbare = false\n\tworktree = %s\n" % top)
    w(top + "/commondir", "stash\n")
    w(top + "/HEAD", "ref: refs/heads/main\n")
elif variant == "decoys":     # every aside name taken first
    for name in (".git", "HEAD"):
        w(top + "/%s.from-sandbox" % name, "decoy\n")
        for i in range(1, 100):
            w(top + "/%s.from-sandbox.%d" % (name, i), "decoy\n")
    repo(top + "/.git")
    repo(top)
elif variant == "chmod":      # a .git, then the project made read-only
    repo(top + "/.git")
    os.chmod(top, 0o555)
print("planted", variant)
PY

# git_case VARIANT "what" [mono]: a host-side control, then the same
# planted from inside.
git_case() {
	local variant=$1 what=$2 mono=${3:-} ctl P pw pwc
	if [ -z "$have_git" ]; then
		tskip git "$what: no git"
		return
	fi
	ctl=$W/git-ctl-$variant${mono:+-mono}
	pwc=$W/pwned-ctl-$variant${mono:+-mono}
	if [ -n "$mono" ]; then
		mkdir -p "$ctl/pkg" && hgit init -q "$ctl" && ctl=$ctl/pkg
	else
		mkdir -p "$ctl"
	fi
	"$SV_PYTHON" "$W/plant13.py" "$variant" "$ctl" "$pwc" >/dev/null 2>&1
	(cd "$ctl" && hgit status)
	chmod u+w "$ctl"
	if [ ! -e "$pwc" ]; then
		tskip git "$what: the layout does not make this git run anything (control)"
		return
	fi
	t git "control: $what, made on the host, does make host git run its payload" 0
	pw=$W/pwned-$variant${mono:+-mono}
	if [ -n "$mono" ]; then
		P=$W/git-mono/pkg
		mkdir -p "$P/subdir" && hgit init -q "$W/git-mono" &&
			"$SV_PYTHON" -m venv --without-pip "$P/.venv" >/dev/null 2>&1 &&
			"$SV" "$P/.venv" >/dev/null 2>"$W/wrap.err" ||
			{ t git "$what: make the project" 1 "$(cat "$W/wrap.err")"; return; }
	else
		P=$(mkproj "git-$variant") || { t git "$what: make the project" 1; return; }
	fi
	cp "$W/plant13.py" "$P/"
	out=$(cd "$P" && "$P/.venv/bin/python" "$P/plant13.py" "$variant" "$P" "$pw" 2>&1)
	chmod u+w "$P"
	(cd "$P" && hgit status)
	hgit -C "$P" status
	[ -z "$mono" ] || (cd "$P/subdir" && hgit status)
	t git "$what, planted inside: git status on the host runs nothing of it" \
		"$([ ! -e "$pw" ]; echo $?)" "inside: $out
at the top afterwards: $(ls -A "$P" | grep -v '\.from-sandbox\.[0-9]' | tr '\n' ' ')"
}
# Run as the user only: root renames in a read-only directory all the same.
git_case files "a repository made of the project's top, objects and refs executable regular files"
git_case files "the same at the top of a project inside an outer repository (monorepo)" mono
git_case commondir "HEAD and config at the top, a commondir file naming objects/ and refs/ elsewhere in the project"
git_case decoys "100 decoys (.git.from-sandbox, .git.from-sandbox.1-99, HEAD.from-sandbox*), then a .git"
if [ "$uid" -ne 0 ]; then
	git_case chmod "a .git, then the project chmod 0555 so that nothing can be renamed in it"
else
	tskip git "a .git, then the project chmod 0555: root renames in it regardless (runs as the user)"
fi

# Below the top: what git on the host follows into and runs from, in the
# work tree. A submodule (git status at the top recurses into it), its
# repository replaced from inside; and a hooks directory core.hooksPath
# names in the work tree, a hook written there from inside.
if [ -n "$have_git" ] && P=$(mkproj git-sub); then
	pw=$W/pwned-git-sub
	lib=$W/git-sub-lib
	(hgit init -q "$lib" && hgit -C "$lib" -c user.name=t -c user.email=t@t commit -q --allow-empty -m init &&
		hgit -C "$P" init -q &&
		hgit -C "$P" -c protocol.file.allow=always submodule add -q "$lib" lib &&
		hgit -C "$P" -c protocol.file.allow=always submodule add -q "$lib" vendor/later &&
		hgit -C "$P" -c user.name=t -c user.email=t@t commit -q -m subs &&
		hgit -C "$P" submodule deinit -q -f vendor/later) ||
		t git "make a project with two submodules" 1
	out=$(cd "$P" && .venv/bin/python - "$pw" <<'PY' 2>&1
import os, shutil, subprocess, sys
pwned = sys.argv[1]
def plant(d):
    subprocess.run(["git", "init", "-q", d], check=False)
    subprocess.run(["git", "-C", d, "config", "core.fsmonitor", "touch " + pwned], check=False)
# the populated submodule: its gitfile replaced by a repository
try:
    os.remove("lib/.git")
    plant("lib")
    print("lib DONE")
except OSError as e:
    print("lib blocked", e.errno)
# the other, not checked out: a repository where git will look
os.makedirs("vendor/later", exist_ok=True)
plant("vendor/later")
print("later DONE" if os.path.isdir("vendor/later/.git") else "later blocked")
PY
)
	(cd "$P" && hgit status) ; (cd "$P" && hgit status --ignore-submodules=none)
	(cd "$P/lib" && hgit status)
	t git "a submodule's .git replaced from inside: git status at the top, and in it, runs nothing" \
		"$([ ! -e "$pw" ]; echo $?)" "inside: $out
lib: $(ls -A "$P/lib" | tr '\n' ' ')"
	t git "... the populated submodule's .git is read-only inside" \
		"$(printf '%s\n' "$out" | grep -q '^lib blocked'; echo $?)" "$out"
	t git "... and a repository made in a submodule not checked out is set aside" \
		"$([ ! -e "$P/vendor/later/.git" ] && ls -d "$P"/vendor/later/.git.from-sandbox-* >/dev/null 2>&1; echo $?)" \
		"vendor/later: $(ls -A "$P/vendor/later" 2>&1 | tr '\n' ' ')"
else
	tskip git "submodules: no git, or no project"
fi
if [ -n "$have_git" ] && P=$(mkproj git-hooks); then
	pw=$W/pwned-git-hooks
	hgit -C "$P" init -q && mkdir -p "$P/.githooks" && hgit -C "$P" config core.hooksPath .githooks
	out=$(cd "$P" && .venv/bin/python - "$pw" <<'PY' 2>&1
import os, sys
try:
    with open(".githooks/pre-commit", "w") as f:
        f.write("#!/bin/sh\ntouch %s\n" % sys.argv[1])
    os.chmod(".githooks/pre-commit", 0o755)
    print("hook DONE")
except OSError as e:
    print("hook blocked", e.errno)
PY
)
	(cd "$P" && GIT_CONFIG_GLOBAL=/dev/null git -c user.name=t -c user.email=t@t commit -q --allow-empty -m t) >/dev/null 2>&1
	t git "core.hooksPath in the work tree: a hook written from inside never runs on the host" \
		"$([ ! -e "$pw" ]; echo $?)" "inside: $out"
	t git "... the hooks directory is read-only inside" \
		"$(printf '%s\n' "$out" | grep -q '^hook blocked'; echo $?)" "$out"
	rm -rf "$P/.githooks"
	pw=$W/pwned-git-hooks-2
	hgit -C "$P" config core.hooksPath tools/hooks
	mkdir -p "$P/tools"
	out=$(cd "$P" && .venv/bin/python - "$pw" <<'PY' 2>&1
import os, sys
os.makedirs("tools/hooks", exist_ok=True)
with open("tools/hooks/pre-commit", "w") as f:
    f.write("#!/bin/sh\ntouch %s\n" % sys.argv[1])
os.chmod("tools/hooks/pre-commit", 0o755)
print("made")
PY
)
	(cd "$P" && GIT_CONFIG_GLOBAL=/dev/null git -c user.name=t -c user.email=t@t commit -q --allow-empty -m t) >/dev/null 2>&1
	t git "core.hooksPath naming a directory not there: made from inside, it is set aside, its hook never runs" \
		"$([ ! -e "$pw" ] && [ ! -e "$P/tools/hooks" ]; echo $?)" "inside: $out
tools: $(ls -A "$P/tools" | tr '\n' ' ')"
else
	tskip git "core.hooksPath: no git, or no project"
fi

# The repository's own directory in the work tree, wherever git is told
# it is: a gitfile naming a directory of the project (git init
# --separate-git-dir), a .git symlink to one, and a hooks directory reached
# through a symlink (there, and not there yet). Its config or hooks,
# written from inside, never run on the host.
repo_dir_case() {   # repo_dir_case LAYOUT "what"
	local P pw out gcg=/dev/null
	if [ "$1" = parent ]; then
		P=$(mkproj "git-parent/p") || { t git "$2: make the project" 1; return; }
	else
		P=$(mkproj "git-$1") || { t git "$2: make the project" 1; return; }
	fi
	pw=$W/pwned-git-$1
	case $1 in
	parent) hgit -C "$W/git-parent" init -q && hgit -C "$W/git-parent" config core.hooksPath p/.githooks ;;
	global-include) hgit -C "$P" init -q && gcg=$W/git-global-include.cfg &&
		printf '[include]\n\tpath = %s\n' "$W/git-global-inc2.cfg" >"$gcg" &&
		printf '[core]\n\thooksPath = .githooks\n' >"$W/git-global-inc2.cfg" ;;
	program) hgit -C "$P" init -q && mkdir -p "$P/tools" && printf '#!/bin/sh\nexit 1\n' >"$P/tools/fsmonitor" &&
		chmod +x "$P/tools/fsmonitor" && hgit -C "$P" config core.fsmonitor tools/fsmonitor ;;
	filter) hgit -C "$P" init -q && mkdir -p "$P/tools" && printf '#!/bin/sh\ncat\n' >"$P/tools/fsmonitor" &&
		chmod +x "$P/tools/fsmonitor" && hgit -C "$P" config filter.fmt.clean 'sh tools/fsmonitor %f' &&
		echo '* filter=fmt' >"$P/.gitattributes" ;;
	dotfile) hgit -C "$P" init -q && gcg=$W/git-global-dotfile.cfg && : >"$P/shared.gitconfig" &&
		printf '[include]\n\tpath = %s\n' "$P/shared.gitconfig" >"$gcg" ;;
	gitfile) hgit -C "$P" init -q --separate-git-dir="$P/.repo" ;;
	symlink) hgit -C "$P" init -q && mv "$P/.git" "$P/gitmeta" && ln -s gitmeta "$P/.git" ;;
	hooklink) hgit -C "$P" init -q && mkdir -p "$P/scripts/hooks" && ln -s scripts/hooks "$P/.githooks" &&
		hgit -C "$P" config core.hooksPath .githooks ;;
	hooklink-missing) hgit -C "$P" init -q && ln -s scripts/hooks "$P/.githooks" &&
		hgit -C "$P" config core.hooksPath .githooks ;;
	include) hgit -C "$P" init -q && : >"$P/.gitconfig" && hgit -C "$P" config include.path ../.gitconfig ;;
	hookfile) hgit -C "$P" init -q && mkdir -p "$P/tools" && printf '#!/bin/sh\nexit 0\n' >"$P/tools/pre-commit" &&
		chmod +x "$P/tools/pre-commit" && ln -s ../../tools/pre-commit "$P/.git/hooks/pre-commit" ;;
	worktree) hgit -C "$P" init -q && hgit -C "$P" -c user.name=t -c user.email=t@t commit -q --allow-empty -m t &&
		hgit -C "$P" worktree add -q wt1 ;;
	esac
	out=$(cd "$P" && GIT_CONFIG_GLOBAL=$gcg .venv/bin/python - "$pw" "$1" <<'PY' 2>&1
import os, sys
pwned, layout = sys.argv[1], sys.argv[2]
def put(path, text, mode=0o644):
    try:
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        print(path, "DONE")
    except OSError as e:
        print(path, "blocked", e.errno)
if layout in ("gitfile", "symlink"):
    d = ".repo" if layout == "gitfile" else "gitmeta"
    put(d + "/config", "[core]\n\tfsmonitor = touch %s\n" % pwned)
    put(d + "/hooks/pre-commit", "#!/bin/sh\ntouch %s\n" % pwned, 0o755)
elif layout in ("parent", "global-include"):
    put(".githooks/pre-commit", "#!/bin/sh\ntouch %s\n" % pwned, 0o755)
elif layout == "dotfile":
    put("shared.gitconfig", "[core]\n\tfsmonitor = touch %s\n" % pwned)
elif layout in ("program", "filter"):
    put("tools/fsmonitor", "#!/bin/sh\ntouch %s\nexit 1\n" % pwned, 0o755)
elif layout == "include":
    put(".gitconfig", "[core]\n\tfsmonitor = touch %s\n" % pwned)
elif layout == "hookfile":
    put("tools/pre-commit", "#!/bin/sh\ntouch %s\n" % pwned, 0o755)
elif layout == "worktree":
    # the work tree's .git repointed at a repository of the sandbox's
    import subprocess
    subprocess.run(["git", "init", "-q", "--bare", "evil.git"])
    for k, v in (("core.bare", "false"), ("core.worktree", os.path.abspath("wt1")),
                 ("core.fsmonitor", "touch " + pwned)):
        subprocess.run(["git", "config", "--file", "evil.git/config", k, v])
    try:
        with open("wt1/.git", "w") as f:
            f.write("gitdir: %s\n" % os.path.abspath("evil.git"))
        print("wt1/.git DONE")
    except OSError as e:
        print("wt1/.git blocked", e.errno)
else:
    put("scripts/hooks/pre-commit", "#!/bin/sh\ntouch %s\n" % pwned, 0o755)
PY
)
	[ "$1" = worktree ] && (cd "$P/wt1" && GIT_CONFIG_GLOBAL=/dev/null git status >/dev/null 2>&1)
	(cd "$P" && GIT_CONFIG_GLOBAL=$gcg git status >/dev/null 2>&1;
	 [ "$1" = filter ] && GIT_CONFIG_GLOBAL=$gcg git add tools >/dev/null 2>&1;
	 GIT_CONFIG_GLOBAL=$gcg git -c user.name=t -c user.email=t@t commit -q --allow-empty -m t) >/dev/null 2>&1
	t git "$2: what a sandbox writes there never runs on the host" "$([ ! -e "$pw" ]; echo $?)" "inside: $out"
}
if [ -n "$have_git" ]; then
	repo_dir_case gitfile "a gitfile naming a directory of the project (git init --separate-git-dir)"
	repo_dir_case symlink "a .git symlink to a directory of the project"
	repo_dir_case hooklink "core.hooksPath through a symlink to a directory of the project"
	repo_dir_case hooklink-missing "core.hooksPath through a symlink to a directory not there yet"
	repo_dir_case include "include.path naming a file of the work tree (a shared .gitconfig)"
	repo_dir_case hookfile "a hook in .git/hooks that is a symlink to a script of the work tree"
	repo_dir_case worktree "a linked work tree in the project (git worktree add), its .git repointed"
	repo_dir_case parent "a project inside a bigger repository whose core.hooksPath lies in the project"
	repo_dir_case global-include "core.hooksPath from a file your global config includes (GIT_CONFIG_GLOBAL)"
	repo_dir_case program "core.fsmonitor naming a program of the work tree"
	repo_dir_case filter "a filter driver run as a shell command ('sh tools/x %f') from the work tree"
	repo_dir_case dotfile "a file of the project your global config includes (a dotfiles repository)"
	# A project with no repository at its top made to look like a bare one
	# whose HEAD is a FIFO: git's discovery would open it and hang.
	if P=$(mkproj git-fifo-head); then
		(cd "$P" && .venv/bin/python -c 'import os; os.mkfifo("HEAD"); os.mkdir("objects"); os.mkdir("refs")') >/dev/null 2>&1
		(cd "$P" && GIT_CEILING_DIRECTORIES=$W timeout -k 2 10 git status) >/dev/null 2>&1
		rc=$?
		t git "a FIFO HEAD with objects/ and refs/ at a top without a repository is set aside: host git does not hang" \
			"$([ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && [ ! -p "$P/HEAD" ]; echo $?)" "git status: $rc; top: $(ls -A "$P" | tr '\n' ' ')"
	fi
else
	tskip git "the repository's own directory in the work tree: no git"
fi

# === the caller's options: host paths a sandbox can replace =============================
# A recorded bind (or one in BWRAP_ARGS) whose source lies in the project: a
# sandbox replaces it with a symlink to a directory of the caller's; the
# next launch must not bind what the symlink leads to.
if P=$(mkproj opt-src); then
	sec=$W/opt-secret
	mkdir -p "$sec" "$P/data" "$P/out" && echo OPTSECRET >"$sec/key" && : >"$P/data/f"
	"$SV" "$P/.venv" --ro-bind "$P/data" /data --bind "$P/out" /out >/dev/null 2>"$W/opt.err"
	out=$(cd "$P" && .venv/bin/python -c 'import os; print(sorted(os.listdir("/data")), os.access("/out", os.W_OK))' 2>&1)
	t paths "(control: a recorded bind of the project's data works: $out)" \
		"$([ "$out" = "['f'] True" ]; echo $?)" "$(cat "$W/opt.err")"
	(cd "$P" && .venv/bin/shell -c "rm -rf data out && ln -s '$sec' data && ln -s '$sec' out") >/dev/null 2>&1
	out=$(cd "$P" && .venv/bin/python -c '
import os
try:
    print(open("/data/key").read().strip())
except OSError as e:
    print("blocked", e.errno)
try:
    open("/out/planted", "w").write("x"); print("planted")
except OSError as e:
    print("blocked", e.errno)' 2>&1)
	t paths "recorded binds of project paths, replaced by symlinks from inside: the next launch binds no host directory" \
		"$([ ! -e "$sec/planted" ] && ! printf '%s\n' "$out" | grep -q OPTSECRET; echo $?)" "$out"
	t paths "... and it says why it stops" \
		"$(printf '%s\n' "$out" | grep -q 'a symlink is on the way'; echo $?)" "$out"
	rm -rf "$P/data" "$P/out" && mkdir -p "$P/d2" && ln -s "$sec" "$P/d2/a" &&
		"$SV" --reset "$P/.venv" >/dev/null 2>&1
	out=$(cd "$P" && BWRAP_ARGS='--ro-bind d2/a /x' .venv/bin/python -c 'print(open("/x/key").read().strip())' 2>&1)
	t paths "BWRAP_ARGS binding a project path through a symlink (made inside): not followed" \
		"$(! printf '%s\n' "$out" | grep -q OPTSECRET && printf '%s\n' "$out" | grep -q 'BWRAP_ARGS: --ro-bind d2/a: a symlink is on the way'; echo $?)" "$out"
	# The same through a link of yours to the project (as /home -> /var/home).
	"$SV" --reset "$P/.venv" >/dev/null 2>&1
	rm -rf "$P/d2" && mkdir -p "$P/data" && : >"$P/data/f" && ln -sfn "$P" "$W/plink"
	"$SV" "$P/.venv" --ro-bind "$W/plink/data" /data >/dev/null 2>"$W/opt.err"
	rm -rf "$P/data" && ln -s "$sec" "$P/data"
	out=$(cd "$P" && .venv/bin/python -c 'print(open("/data/key").read().strip())' 2>&1)
	t paths "a recorded bind reaching the project through a link of yours, its source replaced from inside: not followed" \
		"$(! printf '%s\n' "$out" | grep -q OPTSECRET && printf '%s\n' "$out" | grep -q 'a symlink is on the way'; echo $?)" "$out"
	# The same through a path the kernel resolves differently from its
	# letters (/dev/fd/.. is /proc/self, whose cwd is the project).
	"$SV" --reset "$P/.venv" >/dev/null 2>&1
	out=$(cd "$P" && BWRAP_ARGS='--ro-bind /dev/fd/../cwd/data /data' .venv/bin/python -c 'print(open("/data/key").read().strip())' 2>&1)
	t paths "BWRAP_ARGS naming the project as /dev/fd/../cwd, its source replaced from inside: not followed" \
		"$(! printf '%s\n' "$out" | grep -q OPTSECRET; echo $?)" "$out"
	out=$(cd "$P" && BWRAP_ARGS='--bind /dev/fd/../cwd /src' .venv/bin/python -c 'print("ran")' 2>&1)
	t paths "--bind /dev/fd/../cwd /src (the project by another name) is refused" \
		"$(! printf '%s\n' "$out" | grep -q '^ran'; echo $?)" "$out"
	# A place BWRAP_ARGS binds writable by a relative path counts as one
	# sandboxes write, as an absolute one does: a symlink planted there is
	# not followed by a later launch's bind.
	"$SV" --reset "$P/.venv" >/dev/null 2>&1
	mkdir -p "$W/reldata/models" && : >"$W/reldata/models/f"
	(cd "$W" && BWRAP_ARGS='--bind reldata /data' "$P/.venv/bin/shell" -c \
		"rm -rf /data/models && ln -s '$sec' /data/models") >/dev/null 2>&1
	out=$(cd "$P" && BWRAP_ARGS="--ro-bind $W/reldata/models /models" .venv/bin/python -c \
		'print(open("/models/key").read().strip())' 2>&1)
	t paths "BWRAP_ARGS binding a place writable by a relative path: a symlink planted there is not followed later" \
		"$(! printf '%s\n' "$out" | grep -q OPTSECRET && printf '%s\n' "$out" | grep -q 'a symlink is on the way'; echo $?)" "$out"
	# A second, writable view of what is read-only inside.
	[ -e "$P/.git" ] || hgit -C "$P" init -q
	for src in "$P" "$P/.git" "$P/.venv/bin"; do
		"$SV" --reset "$P/.venv" --bind "$src" /view >/dev/null 2>"$W/view.err"
		rc=$?
		t paths "--bind P${src#"$P"} /view (it holds the venv or .git) is refused" \
			"$([ "$rc" -ne 0 ] && grep -q 'which the sandbox sees read-only' "$W/view.err"; echo $?)" "$(cat "$W/view.err")"
	done
	"$SV" --reset "$P/.venv" >/dev/null 2>&1
	# The binary every gate starts, kept in the project.
	cp "$SV" "$P/sv-copy" 2>/dev/null
	"$P/sv-copy" "$P/.venv" >/dev/null 2>"$W/copy.err"
	rc=$?
	t paths "wrapping with a sandbox-venv that lies in the project is refused" \
		"$([ "$rc" -ne 0 ] && grep -q 'lies in the project' "$W/copy.err"; echo $?)" "$(cat "$W/copy.err")"
	rm -f "$P/sv-copy"
	# A project (--project) inside another, replaced from that one's sandbox.
	mkdir -p "$P/inner" "$W/v-inner"
	if "$SV_PYTHON" -m venv --without-pip "$W/v-inner/.venv" >/dev/null 2>&1 &&
		"$SV" --project "$P/inner" "$W/v-inner/.venv" >/dev/null 2>&1; then
		(cd "$P" && .venv/bin/shell -c "rm -rf inner && ln -s '$sec' inner") >/dev/null 2>&1
		out=$(cd "$W/v-inner" && .venv/bin/python -c 'import os; print(os.listdir("."))' 2>&1)
		t paths "a project inside another's, replaced by a symlink from that one's sandbox: its launch stops" \
			"$(! printf '%s\n' "$out" | grep -q "'key'" && printf '%s\n' "$out" | grep -q 'a symlink is now on the way'; echo $?)" "$out"
	else
		t paths "make a project inside another" 1
	fi
else
	tskip paths "the caller's options: no project"
fi

# === shadowing host tools ===============================================================
if P=$(mkproj_pip shadow); then
	v=$P/.venv
	mkdir -p "$P/pkg-shadow/svshadow"
	cat >"$P/pkg-shadow/setup.py" <<'PY'
from setuptools import setup
setup(name="svshadow", version="1.0", packages=["svshadow"],
      entry_points={"console_scripts": ["sudo = svshadow:main", "ssh = svshadow:main",
                                        "git = svshadow:main", "sv-shadow-normal = svshadow:main",
                                        "sudoedit = svshadow:main", "ssh-askpass = svshadow:main",
                                        "git-credential-store = svshadow:main",
                                        "gpg-agent = svshadow:main", "pass = svshadow:main",
                                        "docker = svshadow:main", "psql = svshadow:main",
                                        "git-lfs = svshadow:main",
                                        "sandbox-venv = svshadow:main",
                                        "sandbox-venv-launch = svshadow:main",
                                        "sandbox-venv-init = svshadow:main",
                                        "bwrap = svshadow:main"]})
PY
	printf 'def main():\n    print("shadow")\n' >"$P/pkg-shadow/svshadow/__init__.py"
	(cd "$P" && "$v/bin/pip" install "${pip_opts[@]}" ./pkg-shadow) >/dev/null 2>"$W/shadow.err"
	for n in sudo ssh git sudoedit ssh-askpass git-credential-store gpg-agent pass docker psql git-lfs \
		sandbox-venv sandbox-venv-launch sandbox-venv-init bwrap; do
		t shadowing "a console script named $n gets no entry in bin/ on the host (no gate, no program)" \
			"$([ ! -e "$v/bin/$n" ] && [ ! -L "$v/bin/$n" ]; echo $?)" "$(ls -l "$v/bin/$n" 2>&1)"
	done
	t shadowing "control: the package's ordinary console script is gated" \
		"$(is_gate "$v/bin/sv-shadow-normal"; echo $?)" "$(tail -5 "$W/shadow.err")"
	missing=
	for n in sudo ssh git; do
		grep -qw -- "$n" "$W/shadow.err" || missing="$missing $n"
	done
	t shadowing "pip's stderr names the scripts it kept out of bin/ (sudo, ssh, git)" \
		"$([ -z "$missing" ]; echo $?)" "not named:$missing
$(grep -v DEPRECATION "$W/shadow.err" | tail -8)"
else
	t shadowing "make the shadowing project" 1
fi

# Permissions taken off from inside, so that the host's checks would see
# nothing (EACCES) and skip: the project itself, after planting a .git;
# a directory on the way to another venv, which would then go unbound.
# (As root, permissions stop nothing: the checks run all the same.)
if P=$(mkproj hostwork-chmod0); then
	pw=$W/pwned-hostwork-chmod0
	out=$(cd "$P" && .venv/bin/python - "$P" "$pw" <<'PY' 2>&1
import os, sys
top, pwned = sys.argv[1:3]
for d in ("objects", "refs"):
    os.makedirs(top + "/.git/" + d, exist_ok=True)
open(top + "/.git/HEAD", "w").write("ref: refs/heads/main\n")
open(top + "/.git/config", "w").write("[core]\n\tfsmonitor = touch %s\n" % pwned)
os.chmod(top, 0)
print("chmod 0 done")
PY
)
	chmod u+rwx "$P" 2>/dev/null
	t hostwork "a .git planted, then the project made chmod 0: the .git is set aside all the same" \
		"$(no_git_at_top "$P"; echo $?)" "inside: $out
at the top: $(ls -A "$P" | tr '\n' ' ')"
	t_git_runs_nothing "... and, the mode given back by hand" "$P" "$pw"
else
	t hostwork "make the project for chmod 0" 1
fi
if P=$(mkproj hostwork-chmod0-way); then
	mkdir -p "$P/a/b" && "$SV_PYTHON" -m venv --without-pip "$P/a/b/v2" >/dev/null 2>&1 &&
		"$SV" --project "$P" "$P/a/b/v2" >/dev/null 2>&1
	(cd "$P" && .venv/bin/python -c 'import os; os.chmod("a", 0)') >/dev/null 2>&1
	out=$(cd "$P" && .venv/bin/python - <<'PY' 2>&1
import os
try:
    os.chmod("a", 0o755)
except OSError:
    pass
try:
    with open("a/b/v2/bin/python3.sv-test", "w") as f:
        f.write("planted\n")
    print("v2 DONE")
except OSError as e:
    print("v2 blocked", e.errno)
PY
)
	t hostwork "a directory on the way to another venv made chmod 0: the next launch still binds that venv read-only" \
		"$(printf '%s\n' "$out" | grep -q '^v2 blocked'; echo $?)" "$out"
	chmod -R u+rwx "$P/a" 2>/dev/null
else
	t hostwork "make the project for chmod 0 on the way" 1
fi

# A full file system: the rename aside fails (ENOSPC), and git must still
# find no repository. Needs a small file system of its own (root).
if [ "$uid" -eq 0 ] && command -v mkfs.ext4 >/dev/null 2>&1; then
	fsimg=$W/small.img fsdir=$W/small
	if truncate -s 48M "$fsimg" && mkfs.ext4 -q -F "$fsimg" >/dev/null 2>&1 && mkdir -p "$fsdir" &&
		mount -o loop "$fsimg" "$fsdir" 2>/dev/null; then
		P=$fsdir/proj
		pw=$W/pwned-enospc
		mkdir "$P" && "$SV_PYTHON" -m venv --without-pip "$P/.venv" >/dev/null 2>&1 &&
			"$SV" "$P/.venv" >/dev/null 2>&1
		(cd "$P" && .venv/bin/python - "$pw" <<'PY') >"$W/enospc.out" 2>&1
import os, random, string, sys
for d in ("objects", "refs"):
    os.makedirs(".git/" + d, exist_ok=True)
open(".git/HEAD", "w").write("ref: refs/heads/main\n")
open(".git/config", "w").write("[core]\n\tfsmonitor = touch %s\n" % sys.argv[1])
fd = os.open("ballast", os.O_CREAT | os.O_WRONLY, 0o644)
for chunk in (1 << 20, 4096, 1):
    try:
        while True:
            os.write(fd, b"\0" * chunk)
    except OSError:
        pass
fails = 0
while fails < 200:
    try:
        os.close(os.open("f" + "".join(random.choice(string.hexdigits) for _ in range(49)), os.O_CREAT | os.O_WRONLY))
        fails = 0
    except OSError:
        fails += 1
PY
		t_git_runs_nothing "a .git planted on a full file system (no rename fits)" "$P" "$pw"
		t hostwork "... and the launcher said what it did" \
			"$(grep -q 'file system is full' "$W/enospc.out"; echo $?)" "$(tail -5 "$W/enospc.out")"
		umount "$fsdir"
	else
		tskip hostwork "a full file system: cannot make a loop file system here"
	fi
else
	tskip hostwork "a full file system: making one takes root and mkfs.ext4 (the root pass runs it)"
fi

# The init cannot be traced or stopped from inside: an attach would stop
# pid 1, and with it the whole launch.
if P=$(mkproj hostwork-init); then
	out=$(cd "$P" && timeout -k 5 30 .venv/bin/python -c "$PRELUDE"'
import ctypes, signal, time
libc = ctypes.CDLL(None, use_errno=True)
def attach():
    if libc.ptrace(16, 1, None, None) != 0:    # PTRACE_ATTACH
        raise OSError(ctypes.get_errno(), "ptrace")
report("ptrace", attach)
report("stop", lambda: os.kill(1, signal.SIGSTOP))
time.sleep(0.5)
print("state", open("/proc/1/stat").read().rsplit(")", 1)[1].split()[0])' 2>&1)
	t hostwork "the init (pid 1) cannot be traced from inside" "$(blocked "$out" ptrace; echo $?)" "$out"
	t hostwork "... and a SIGSTOP from inside leaves it running" \
		"$(printf '%s\n' "$out" | grep -q '^state [RS]$'; echo $?)" "$out"
else
	t hostwork "make the project for the init" 1
fi

# === denial of service ===================================================================
# (a) a file with a 250-byte name written into the private bin.
if P=$(mkproj_pip dos-name); then
	v=$P/.venv
	mkdir -p "$P/pkg-long/svlong"
	touch "$P/pkg-long/svlong/__init__.py"
	cat >"$P/pkg-long/setup.py" <<PY
import os
from setuptools import setup
V = os.environ.get("VIRTUAL_ENV", "")
name = V + "/bin/" + "x" * 250
with open("$P/longname.log", "a") as log:
    try:
        with open(name, "w") as f:
            f.write("#!/bin/sh\necho long\n")
        os.chmod(name, 0o755)
        log.write("written\n")
    except OSError as e:
        log.write("blocked %r\n" % e)
setup(name="svlong", version="1.0", packages=["svlong"])
PY
	(cd "$P" && "$v/bin/pip" install "${pip_opts[@]}" ./pkg-long) >"$W/pip.out" 2>&1
	rc_pip=$?
	if [ -s "$P/longname.log" ]; then
		"$v/bin/python" -c pass >"$W/dos.out" 2>&1
		rc=$?
		t dos "a 250-byte name written into the private bin by install-time code: python -c pass still succeeds" \
			"$rc" "exit $rc (pip exit $rc_pip): $(cat "$P/longname.log") $(tail -5 "$W/dos.out")"
		"$SV" "$v" >"$W/dos.out" 2>&1
		rc=$?
		t dos "... and sandbox-venv on the venv still succeeds" "$rc" "exit $rc: $(tail -5 "$W/dos.out")"
	else
		t dos "a 250-byte name in the private bin: the install-time code ran" 1 "$(tail -5 "$W/pip.out")"
	fi
else
	t dos "make the project for the long name" 1
fi

# (b) a sandbox holding flock(LOCK_EX) on everything in .venv/.sandbox-venv.
if P=$(mkproj_pip dos-lock); then
	v=$P/.venv
	(cd "$P" && exec "$v/bin/python" -c '
import fcntl, os, sys, time
state, top = sys.argv[1] + "/.sandbox-venv", sys.argv[2]
held, fds = [], []
paths = [state]
for root, dirs, files in os.walk(state):
    paths += [os.path.join(root, n) for n in dirs + files]
for path in paths:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        continue
    fds.append(fd)
    held.append(path)
with open(top + "/locked", "w") as f:
    f.write("\n".join(held) + "\n")
time.sleep(20)' "$v" "$P") </dev/null >/dev/null 2>&1 &
	lpid=$!
	bg_pids+=("$lpid")
	for _ in $(seq 100); do [ -e "$P/locked" ] && break; sleep 0.1; done
	timed() {   # timed OUT COMMAND...: "STATUS MILLISECONDS" into OUT
		local out=$1 t0
		shift
		t0=$(date +%s%N)
		timeout -k 2 12 "$@" >/dev/null 2>&1
		echo "$? $((($(date +%s%N) - t0) / 1000000))" >"$out"
	}
	timed "$W/dos-pip" "$v/bin/pip" --version &
	p1=$!
	timed "$W/dos-wrap" "$SV" "$v" &
	p2=$!
	wait "$p1" "$p2"
	kill -KILL "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	held="locks held inside: $(tr '\n' ' ' <"$P/locked" 2>/dev/null)"
	rc=x ms=
	read -r rc ms <"$W/dos-pip"
	ms=${ms:-99999}
	t dos "a sandbox holding flock(LOCK_EX) on .venv/.sandbox-venv: a concurrent pip --version succeeds within 10 s" \
		"$([ "$rc" = 0 ] && [ "$ms" -le 10000 ]; echo $?)" "exit $rc after $ms ms; $held"
	rc=x ms=
	read -r rc ms <"$W/dos-wrap"
	ms=${ms:-99999}
	t dos "... and a concurrent sandbox-venv on the venv succeeds within 10 s" \
		"$([ "$rc" = 0 ] && [ "$ms" -le 10000 ]; echo $?)" "exit $rc after $ms ms; $held"
else
	t dos "make the project for the locks" 1
fi

# (c) thousands of directories with a pyvenv.cfg made at the project's top:
# one read-only bind each would take bwrap past its limit.
if P=$(mkproj dos-venvs); then
	(cd "$P" && .venv/bin/python -c '
import os
for i in range(3000):
    os.mkdir(".c%04d" % i)
    open(".c%04d/pyvenv.cfg" % i, "w").close()') >/dev/null 2>&1
	out=$(cd "$P" && .venv/bin/python -c 'print("ran")' 2>"$W/dos-venvs.err")
	t dos "3000 fake venvs at the project's top: the next launch still runs" \
		"$([ "$out" = ran ]; echo $?)" "$(tail -3 "$W/dos-venvs.err")"
	t dos "... and says that it bound only the oldest" \
		"$(grep -q 'not bound read-only' "$W/dos-venvs.err"; echo $?)" "$(tail -3 "$W/dos-venvs.err")"
else
	t dos "make the project for fake venvs" 1
fi

# === small leaks ===========================================================================
if P=$(mkproj leaks); then
	v=$P/.venv
	out=$(cd "$P" && LC_FOO=x LC_ALL=C.UTF-8 "$v/bin/python" -c '
import os; print(os.environ.get("LC_FOO"), os.environ.get("LC_ALL"))' 2>&1)
	t leaks "LC_FOO=x from the caller is not passed, LC_ALL=C.UTF-8 is" \
		"$([ "$out" = "None C.UTF-8" ]; echo $?)" "inside: $out"
	proxy_probe='
import os
print("env", os.environ.get("https_proxy"))
for f in ("/proc/self/environ", "/proc/1/environ"):
    try:
        data = open(f, "rb").read()
    except OSError:
        data = b""
    print(f, [x.decode(errors="replace") for x in data.split(b"\0") if b"proxy" in x])'
	out=$(cd "$P" && https_proxy="http://user:secret-$$@proxy.invalid:3128" "$v/bin/python" -c "$proxy_probe" 2>&1)
	t leaks "https_proxy with a password: the password is not visible inside (environment, /proc/self/environ, /proc/1/environ)" \
		"$(! printf '%s\n' "$out" | grep -q "secret-$$"; echo $?)" "$out"
	out=$(cd "$P" && https_proxy=http://proxy.invalid:3128 "$v/bin/python" -c \
		'import os; print(os.environ.get("https_proxy"))' 2>&1)
	t leaks "control: https_proxy without credentials is passed" \
		"$([ "$out" = http://proxy.invalid:3128 ]; echo $?)" "inside: $out"
	out=$(cd "$P" && "$v/bin/python" -c "$PRELUDE"'
import socket
report("sock_diag", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4).close())
report("route", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close())' 2>&1)
	t leaks "socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG) fails inside" \
		"$(started "$out" && blocked "$out" sock_diag; echo $?)" "$out"
	t leaks "control: socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) works inside" \
		"$(printf '%s\n' "$out" | grep -q '^route DONE'; echo $?)" "$out"
else
	t leaks "make the leaks project" 1
fi

# The hints that tell the user to make a venv run the stdlib's venv in
# isolated mode: python3 -I -m venv.
hint_ok() { grep -q 'python3 -I -m venv' "$1" && ! grep -q 'python3 -m venv' "$1"; }
pybase=$(readlink -f "$SV_PYTHON")
Q=$W/hint-gone
mkdir -p "$W/pycopy/bin" "$Q"
if cp "$pybase" "$W/pycopy/bin/${pybase##*/}" &&
	"$W/pycopy/bin/${pybase##*/}" -m venv --without-pip "$Q/.venv" >/dev/null 2>&1 &&
	"$SV" "$Q/.venv" >/dev/null 2>"$W/hint.err"; then
	rm -rf "$W/pycopy"
	"$Q/.venv/bin/python" -c pass >/dev/null 2>"$W/hint.err"
	t leaks "a launch whose base Python is gone: the hint says python3 -I -m venv" \
		"$(hint_ok "$W/hint.err"; echo $?)" "$(cat "$W/hint.err")"
else
	t leaks "a launch whose base Python is gone: make the venv from a copied interpreter" 1 "$(cat "$W/hint.err" 2>/dev/null)"
fi
Q=$W/hint-cfg
mkdir -p "$Q"
if "$SV_PYTHON" -m venv --without-pip "$Q/.venv" >/dev/null 2>&1; then
	"$SV_PYTHON" - "$Q/.venv/pyvenv.cfg" "$W/no-such-python" <<'PY'
import re, sys
cfg, gone = sys.argv[1], sys.argv[2]
text = open(cfg).read()
text = re.sub(r"(?m)^home = .*$", "home = %s/bin" % gone, text)
text = re.sub(r"(?m)^executable = .*$", "executable = %s/bin/python3" % gone, text)
open(cfg, "w").write(text)
PY
	"$SV" "$Q/.venv" >/dev/null 2>"$W/hint.err"
	t leaks "wrapping a venv whose base Python is gone: the hint says python3 -I -m venv" \
		"$(hint_ok "$W/hint.err"; echo $?)" "$(cat "$W/hint.err")"
fi
"$SV" "$W/no-such-venv" >/dev/null 2>"$W/hint.err"
t leaks "wrapping a directory that is no venv: the hint says python3 -I -m venv" \
	"$(hint_ok "$W/hint.err"; echo $?)" "$(cat "$W/hint.err")"

done_testing
