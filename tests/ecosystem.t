#!/bin/bash
# ecosystem.t - venv managers' layouts and the README's recipes: a venv kept
# outside its project (poetry's cache), a uv-managed Python reached through
# a version-directory symlink, IDE helper scripts outside the project, a
# compiler, a root-like user inside, and X11 by permission.
. "$(dirname "$0")/lib.sh"

# === a venv outside its project: poetry keeps them in its cache ===============
# A home of our own, so that ~/.cache is ours to fill.
H=$SV_TMP/home
cachedir=$H/.cache/pypoetry/virtualenvs
app=$H/src/app
mkdir -p "$cachedir" "$app"
"$SV_PYTHON" -m venv --without-pip "$cachedir/app-Xy12-py3" >/dev/null
venv=$cachedir/app-Xy12-py3
venvr=$(realpath "$venv")
appr=$(realpath "$app")
err=$(HOME=$H "$SV" "$venv" 2>&1)
is "$?" 1 "a venv alone in the cache directory: wrapping without --project is refused"
like "$err" "a hidden directory of your home" "... because the whole cache would be writable"
like "$err" "sandbox-venv --project" "... with a hint to name the project"
check "... and nothing was written" test ! -e "$venv/.sandbox-venv"
"$SV_PYTHON" -m venv --without-pip "$cachedir/other-Ab34-py3" >/dev/null
err=$(cd "$app" && HOME=/nonexistent "$SV" "$venv" 2>&1)
like "$err" "also holds the venv '.*other-Ab34-py3', which is not wrapped: it is read-only" \
	"a venv beside another venv (home unknown): the other is read-only in its sandboxes, and said"

out=$(cd "$app" && HOME=$H "$SV" --project . "$venv" 2>&1)
is "$?" 0 "sandbox-venv --project . VENV wraps a venv kept in the cache"
like "$out" "its project is '$appr'" "... and says which directory is the project"
echo data >"$app/input.txt"
out=$(cd "$app" && HOME=$H "$venv/bin/python" -c '
import os, sys
print(os.getcwd(), open("input.txt").read().strip(), sys.prefix)
open("output.txt", "w").write("ok")
print(os.path.exists(sys.argv[1]), os.listdir(os.path.dirname(sys.prefix)))' "$cachedir/other-Ab34-py3" 2>&1)
is "$out" "$appr data $venvr
False ['app-Xy12-py3']" "inside: the project is the working directory and writable; of the cache, only this venv is there"
is "$(cat "$app/output.txt" 2>/dev/null)" ok "... and what it wrote is in the project on the host"
out=$(HOME=$H "$venv/bin/python" -c '
import os, sys
try:
    open(sys.prefix + "/evil", "w"); print("written")
except OSError as e:
    print("denied", e.errno)' 2>&1)
like "$out" '^denied' "the venv itself stays read-only"
HOME=$H "$SV" "$venv" >/dev/null 2>&1
ok $? "re-running sandbox-venv on it without --project"
like "$(grep '^project ' "$venv/.sandbox-venv/policy")" "$appr" "... keeps the recorded project"
is "$("$SV" --check "$venv" 2>&1; echo "rc=$?")" "rc=0" "--check: intact (silent, exit 0)"
err=$(HOME=$H "$SV" --project "$venv/lib" "$venv" 2>&1)
like "$err" "lies inside the venv" "a project inside the venv is refused"
# Another venv in the project is read-only in its sandboxes; a project
# is never a hidden directory of the home or a shared /tmp.
mkdir -p "$H/src/b"
"$SV_PYTHON" -m venv --without-pip "$H/src/b/.venv" >/dev/null
err=$(HOME=$H "$SV" --project "$H/src" "$venv" 2>&1)
like "$err" "also holds the venv '.*/src/b/.venv', which is not wrapped" \
	"--project DIR holding a venv deeper in DIR: that venv is named (read-only in the sandboxes)"
HOME=$H "$SV" --project "$app" "$venv" >/dev/null 2>&1
mkdir -p "$H/.config/autostart"
err=$(HOME=$H "$SV" --project "$H/.config" "$venv" 2>&1)
like "$err" "hidden directory of your home" "--project ~/.config is refused"
err=$(HOME=/nonexistent "$SV" --project /tmp "$venv" 2>&1)
like "$err" "shared temporary directory" "--project /tmp is refused"
err=$(cd "$app" && HOME=$H "$SV" "$venv" --project . 2>&1)
like "$err" "--project comes first" "--project after the venv is refused with the order to use"

# === uv: a managed Python reached through a version-directory symlink ========
# uv installs cpython-3.X.Y-... and links cpython-3.X-... to it; its venvs
# name the link in pyvenv.cfg and bin/python.
uvp=$SV_TMP/uv/python
ver=$("$SV_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
full=$("$SV_PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
real_py=$(realpath "$SV_PYTHON")
stdlib=$("$SV_PYTHON" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
# A standalone build: the interpreter in its own prefix, finding its
# standard library there (here a link to the system's).
mkdir -p "$uvp/cpython-$full-linux-x86_64-gnu/bin" "$uvp/cpython-$full-linux-x86_64-gnu/lib"
cp "$real_py" "$uvp/cpython-$full-linux-x86_64-gnu/bin/python$ver"
ln -s "python$ver" "$uvp/cpython-$full-linux-x86_64-gnu/bin/python3"
ln -s "$stdlib" "$uvp/cpython-$full-linux-x86_64-gnu/lib/python$ver"
ln -s "cpython-$full-linux-x86_64-gnu" "$uvp/cpython-$ver-linux-x86_64-gnu"
u=$SV_TMP/uvproj
mkdir -p "$u/.venv/bin" "$u/.venv/lib/python$ver/site-packages"
cat >"$u/.venv/pyvenv.cfg" <<CFG
home = $uvp/cpython-$ver-linux-x86_64-gnu/bin
implementation = CPython
uv = 0.5.11
version_info = $full
include-system-site-packages = false
CFG
ln -s "$uvp/cpython-$ver-linux-x86_64-gnu/bin/python3" "$u/.venv/bin/python"
ln -s python "$u/.venv/bin/python3"
"$SV" "$u/.venv" >/dev/null 2>"$SV_TMP/wrap.err"
ok $? "wrapping a uv-style venv whose Python is reached through a version-directory symlink"
out=$("$u/.venv/bin/python" -c 'import sys, os; print(sys.prefix, os.path.exists(sys.argv[1]))' \
	"$uvp/cpython-$ver-linux-x86_64-gnu/bin/python3" 2>&1)
is "$out" "$(realpath "$u/.venv") True" "its python runs inside, with the link chain to the interpreter in place"

# The same, with a Python whose libpython is its own: uv's builds load it
# through RUNPATH $ORIGIN/../lib, and Debian's libpython of the same name
# must not stand in (import ssl would fail on a missing symbol). A
# shared-library build is copied (pyenv's, where readable) and its RUNPATH
# rewritten to $ORIGIN/../lib.
shared=/root/.pyenv/versions/3.11.7
if [ -r "$shared/bin/python3.11" ] && [ -r "$shared/lib/libpython3.11.so.1.0" ]; then
	up=$SV_TMP/uv2/python
	mkdir -p "$up/cpython-3.11.7-linux-x86_64-gnu/bin" "$up/cpython-3.11.7-linux-x86_64-gnu/lib"
	cp "$shared/bin/python3.11" "$up/cpython-3.11.7-linux-x86_64-gnu/bin/python3.11"
	cp "$shared/lib/libpython3.11.so.1.0" "$up/cpython-3.11.7-linux-x86_64-gnu/lib/"
	ln -s "$shared/lib/python3.11" "$up/cpython-3.11.7-linux-x86_64-gnu/lib/python3.11"
	ln -s python3.11 "$up/cpython-3.11.7-linux-x86_64-gnu/bin/python3"
	ln -s cpython-3.11.7-linux-x86_64-gnu "$up/cpython-3.11-linux-x86_64-gnu"
	"$SV_PYTHON" - "$up/cpython-3.11.7-linux-x86_64-gnu/bin/python3.11" "$shared/lib" <<'PY'
import sys
path, old = sys.argv[1], sys.argv[2].encode()
data = open(path, "rb").read()
new = b"$ORIGIN/../lib"
assert data.count(old + b"\0") == 1
data = data.replace(old + b"\0", new + b"\0" * (len(old) - len(new) + 1))
open(path, "wb").write(data)
PY
	u2=$SV_TMP/uvproj2
	mkdir -p "$u2/.venv/bin" "$u2/.venv/lib/python3.11/site-packages"
	cat >"$u2/.venv/pyvenv.cfg" <<CFG
home = $up/cpython-3.11-linux-x86_64-gnu/bin
implementation = CPython
uv = 0.5.11
version_info = 3.11.7
include-system-site-packages = false
CFG
	ln -s "$up/cpython-3.11-linux-x86_64-gnu/bin/python3" "$u2/.venv/bin/python"
	"$SV" "$u2/.venv" >/dev/null 2>"$SV_TMP/wrap.err"
	ok $? "wrapping a uv-style venv whose Python loads its own libpython through \$ORIGIN/../lib"
	out=$("$u2/.venv/bin/python" -c 'import ssl, sys; print(sys.version.split()[0], ssl.OPENSSL_VERSION[:7])' 2>&1)
	is "$out" "3.11.7 OpenSSL" "... it runs inside with its own libpython (import ssl works)"
	like "$(grep '^lib ' "$u2/.venv/.sandbox-venv/libs")" \
		"$(realpath "$up/cpython-3.11.7-linux-x86_64-gnu/lib")/libpython3.11.so.1.0" \
		"... and the library list names its own libpython, by its real path"
else
	skip "no shared-library Python readable here (pyenv's 3.11.7): uv's \$ORIGIN/../lib layout"
fi

# === recipes ===================================================================
p=$(new_project recipes --without-pip) || { ok 1 "make the recipes project"; done_testing; exit; }
v=$p/.venv

# IDE helper scripts live outside the project: visible only when bound.
ide=$SV_TMP/ide-helpers
mkdir -p "$ide"
printf 'import sys\nprint("helper ran", sys.prefix)\n' >"$ide/list_packages.py"
out=$("$v/bin/python" "$ide/list_packages.py" 2>&1)
like "$out" "can't open file" "an IDE's helper script outside the project is not visible by default"
out=$(BWRAP_ARGS="--ro-bind $ide $ide" "$v/bin/python" "$ide/list_packages.py" 2>&1)
is "$out" "helper ran $v" "... and runs with BWRAP_ARGS='--ro-bind DIR DIR'"
out=$(BWRAP_ARGS="--ro-bind $ide $ide" "$v/bin/python" -c '
import sys
try:
    open(sys.argv[1] + "/evil.py", "w"); print("written")
except OSError as e:
    print("denied", e.errno)' "$ide" 2>&1)
like "$out" '^denied' "... read-only"
# A debugger inside attaches to what it started (gdb, py-spy, debugpy's
# attach all use ptrace).
out=$("$v/bin/python" -c '
import ctypes, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
pid = os.fork()
if pid == 0:
    time.sleep(5); os._exit(0)
r = libc.ptrace(16, pid, 0, 0)
print("attach", r, ctypes.get_errno())
os.kill(pid, signal.SIGKILL)' 2>&1)
is "$out" "attach 0 0" "a debugger inside can ptrace-attach to a process of the sandbox"

# A compiler: expose /usr as a whole.
if command -v cc >/dev/null; then
	printf 'int main(void) { return 42; }\n' >"$p/t.c"
	out=$(cd "$p" && "$v/bin/shell" -c 'cc -o t t.c' 2>&1)
	check "cc is not in the sandbox by default" test ! -x "$p/t"
	out=$(cd "$p" && BWRAP_ARGS='--ro-bind /usr /usr' "$v/bin/shell" -c 'cc -o t t.c && ./t; echo $?' 2>&1)
	is "$out" 42 "with BWRAP_ARGS='--ro-bind /usr /usr' a C program builds and runs inside"
else
	skip "no cc: compiler recipe"
	skip "no cc: compiler recipe"
fi

# A root-like user inside; ports below 1024 only in the sandbox's own network.
out=$(BWRAP_ARGS='--uid 0' "$v/bin/python" -c 'import os; print(os.getuid())' 2>&1)
is "$out" 0 "--uid 0: uid 0 inside (still no privilege on the host)"
if [ "$(id -u)" = 0 ]; then
	out=$(BWRAP_ARGS='--unshare-net --uid 0 --cap-add cap_net_bind_service' "$v/bin/python" -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 81)); print("bound")' 2>&1)
	is "$out" bound "--unshare-net --uid 0 --cap-add cap_net_bind_service: port 81 binds in the sandbox's network"
	out=$(BWRAP_ARGS='--unshare-net --uid 0 --cap-add cap_net_bind_service' "$v/bin/python" -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.unshare(0x10000000), ctypes.get_errno())' 2>&1)
	is "$out" "-1 1" "... and the filter still refuses a nested user namespace"
	out=$(SANDBOX_SECCOMP_ALLOW= BWRAP_ARGS='--unshare-net --uid 0 --cap-add cap_net_bind_service' \
		"$v/bin/python" -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.unshare(0x10000000))' 2>/dev/null)
	is "$out" -1 "... and with the filter off, --disable-userns stays and refuses it"
else
	skip "--cap-add cap_net_bind_service: bwrap run by a user gets no port below 1024, even in its own network"
	skip "nested user namespace with --cap-add: see above"
	skip "--disable-userns with --cap-add and no filter: see above"
fi

# X11: the recipe "sandbox-venv .venv --socket=x11" (tests/desktop.t has
# the rest: Xlib, tkinter, the cookie, the abstract socket).
d=
! command -v Xvfb >/dev/null || d=$(free_x_display 50 89)
if [ -n "$d" ]; then
	Xvfb ":$d" -nolisten tcp >/dev/null 2>&1 &
	xvfb=$!
	for _ in $(seq 50); do [ -S "/tmp/.X11-unix/X$d" ] && break; sleep 0.1; done
	x11_hello='
import os, socket, struct
display = os.environ.get("DISPLAY")
if not display:
    raise SystemExit("no DISPLAY")
s = socket.socket(socket.AF_UNIX)
s.connect("/tmp/.X11-unix/X" + display.lstrip(":").split(".")[0])
s.sendall(struct.pack("<cxHHHHxx", b"l", 11, 0, 0, 0))
print("x11 setup status", s.recv(8)[0])'
	out=$(DISPLAY=":$d" "$v/bin/python" -c "$x11_hello" 2>&1 | tail -1)
	is "$out" "no DISPLAY" "without the X11 recipe there is no X server inside"
	"$SV" "$v" --socket=x11 >/dev/null 2>&1
	out=$(DISPLAY=":$d" "$v/bin/python" -c "$x11_hello" 2>&1)
	is "$out" "x11 setup status 1" "with the recipe (sandbox-venv .venv --socket=x11) a client inside completes the X11 handshake with Xvfb"
	"$SV" "$v" --nosocket=x11 >/dev/null 2>&1
	stop_pids "$xvfb"
elif command -v Xvfb >/dev/null; then
	skip "X11 recipe: no display number in 50..89 is free (live servers, or other users' files in /tmp/.X11-unix)"
	skip "X11 recipe: no display number in 50..89 is free"
else
	skip "no Xvfb: X11 recipe"
	skip "no Xvfb: X11 recipe"
fi

done_testing
