#!/bin/bash
# core.t - wrapping venvs and running their entry points inside the sandbox.
. "$(dirname "$0")/lib.sh"

marker=$gate_marker



# --- a plain stdlib venv, wrapped by hand so the state before is known -----
p=$SV_TMP/plain
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
v=$p/.venv

# A compiled entry point, placed in bin/ before wrapping.
have_cc=0
if command -v cc >/dev/null 2>&1; then
	cat >"$SV_TMP/hello.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	printf("compiled uid=%d home=%d args=%d\n", (int)getuid(),
	       access("/root/.bashrc", F_OK) == 0, argc - 1);
	return 5;
}
C
	cc -o "$v/bin/hello-c" "$SV_TMP/hello.c" && have_cc=1
fi

# A console script in the form uv writes: sh re-executes it with python.
cat >"$v/bin/uv-style" <<'SH'
#!/bin/sh
'''exec' "$(dirname -- "$(realpath -- "$0")")"/'python' "$0" "$@"
' '''
import sys
print("uv-style", sys.executable, sys.argv[1:])
SH
chmod 755 "$v/bin/uv-style"

act_before=$(sha256sum <"$v/bin/activate")
fish_before=$(sha256sum <"$v/bin/activate.fish")
"$SV" "$v" >"$SV_TMP/wrap.out" 2>&1
ok $? "wrapping a stdlib venv succeeds"

all_gates=0
for n in python python3 python3.11 shell uv-style; do
	[ "$n" = python3.11 ] && [ ! -e "$v/.sandbox-venv/bin/python3.11" ] && continue
	is_gate "$v/bin/$n" || all_gates=1
done
ok $all_gates "bin/python, python3, shell and the uv-style script are gates with the marker"
check "the private bin holds the real python (a symlink, not a gate)" \
	test -L "$v/.sandbox-venv/bin/python"
check "the private bin holds the real uv-style script" \
	grep -q "^print(\"uv-style\"" "$v/.sandbox-venv/bin/uv-style"
is "$(sed '/^# Added by sandbox-venv: /,$d' "$v/bin/activate" | head -c -1 | sha256sum)" "$act_before" \
	"bin/activate keeps its content; sandbox-venv only appends deactivate_sandbox"
is "$(sed '/^# Added by sandbox-venv: /,$d' "$v/bin/activate.fish" | head -c -1 | sha256sum)" "$fish_before" \
	"bin/activate.fish keeps its content; sandbox-venv only appends deactivate_sandbox"
check "bin/activate is not turned into a gate" sh -c "! grep -qF 'sandbox-venv gate' '$v/bin/activate'"
check "the policy is recorded" test -f "$v/.sandbox-venv/policy"

out=$("$v/bin/python" -c 'import sys; print(sys.executable); print(sys.prefix)' 2>&1)
is "$out" "$v/bin/python
$v" "python runs inside with sys.executable == \$venv/bin/python and sys.prefix == \$venv"

"$v/bin/python" -c 'raise SystemExit(7)' 2>/dev/null
is "$?" 7 "exit status of the program propagates"
"$v/bin/python" -c 'import os,signal; os.kill(os.getpid(), signal.SIGTERM)' 2>/dev/null
is "$?" 143 "death by SIGTERM gives 128+15"

out=$("$v/bin/python3" -c 'import sys; print(sys.prefix)' 2>&1)
is "$out" "$v" "the python3 symlinked entry point runs inside"
pyver=$("$SV_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -e "$v/.sandbox-venv/bin/python$pyver" ] || [ -L "$v/.sandbox-venv/bin/python$pyver" ]; then
	out=$("$v/bin/python$pyver" -c 'import sys; print(sys.executable)' 2>&1)
	is "$out" "$v/bin/python$pyver" "the python$pyver symlinked entry point runs inside"
else
	skip "no python$pyver entry point in this venv"
fi

if [ "$have_cc" -eq 1 ]; then
	check "the compiled entry point is a gate on the host" is_gate "$v/bin/hello-c"
	out=$("$v/bin/hello-c" a b 2>&1)
	rc=$?
	is "$out" "compiled uid=$(id -u) home=0 args=2" "a compiled entry point runs inside (no /root/.bashrc visible)"
	is "$rc" 5 "the compiled entry point's exit status propagates"
else
	skip "no cc: compiled entry point"
	skip "no cc: compiled entry point exit status"
	skip "no cc: compiled entry point gate"
fi

out=$("$v/bin/uv-style" x 'y z' 2>&1)
is "$out" "uv-style $v/bin/python ['x', 'y z']" "a uv-style #!/bin/sh console script runs inside"

# --- shell ---------------------------------------------------------------
out=$(cd "$p" && "$v/bin/shell" -c 'echo $HOME; pwd' 2>&1)
is "$out" "$v/home
$p" "shell -c sees HOME=\$venv/home and the caller's working directory"
"$v/bin/shell" -c 'exit 3' 2>/dev/null
is "$?" 3 "exit status of shell -c 'exit 3' is 3"

# --- stderr --------------------------------------------------------------
err=$(VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
like "$err" '^/usr/bin/bwrap ' "VERBOSE=1 prints the bwrap command line"
like "$err" "^sandbox-venv: read-write $p: the project, read-write\$" \
	"... and before it, each mount with why: the project"
like "$err" "^sandbox-venv: read-only  $v: the venv, read-only\$" "... the venv"
like "$err" '^sandbox-venv: \(read-only \|landlock  \) /etc/ssl/certs: \(read and execute: \)\?TLS certificates$' \
	"... a host path of the table, bound or allowed"
like "$err" '^sandbox-venv: layout: ' "... and the layout"
like "$err" '^sandbox-venv: tmpfs      /tmp: private and empty' "... the private /tmp"
err=$("$v/bin/python" -c pass 2>&1 >/dev/null)
is "$err" "" "without VERBOSE a successful launch prints nothing on stderr"

# --- idempotence and recorded arguments -------------------------------------
snap_bin=$(dir_snapshot "$v/bin")
snap_priv=$(dir_snapshot "$v/.sandbox-venv/bin")
policy=$(cat "$v/.sandbox-venv/policy")
"$SV" "$v" >/dev/null 2>"$SV_TMP/wrap.err"
ok $? "wrapping an already wrapped venv succeeds"
is "$(dir_snapshot "$v/bin")" "$snap_bin" "re-wrapping leaves bin/ unchanged"
is "$(dir_snapshot "$v/.sandbox-venv/bin")" "$snap_priv" "re-wrapping leaves the private bin unchanged"
is "$(cat "$v/.sandbox-venv/policy")" "$policy" "re-wrapping leaves the policy unchanged"

"$SV" "$v" --setenv FOOBAR 1 >/dev/null 2>&1
ok $? "re-wrapping with --setenv FOOBAR 1"
err=$(VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
like "$err" ' --setenv FOOBAR 1 ' "recorded bwrap args appear on the bwrap command line"
out=$("$v/bin/python" -c 'import os; print(os.environ.get("FOOBAR"))' 2>&1)
is "$out" 1 "a recorded --setenv reaches the program"
"$SV" "$v" >/dev/null 2>&1
out=$("$v/bin/python" -c 'import os; print(os.environ.get("FOOBAR"))' 2>&1)
is "$out" 1 "re-wrapping without args keeps the recorded --setenv"
"$SV" --reset "$v" >/dev/null 2>&1
out=$("$v/bin/python" -c 'import os; print(os.environ.get("FOOBAR"))' 2>&1)
is "$out" None "re-wrapping with --reset forgets the recorded --setenv"
err=$(VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
unlike "$err" 'FOOBAR' "... and it is gone from the bwrap command line"

out=$(BWRAP_ARGS='--setenv A 1' "$v/bin/python" -c 'import os; print(os.environ.get("A"))' 2>&1)
is "$out" 1 "BWRAP_ARGS='--setenv A 1' reaches the program"
out=$(BWRAP_ARGS=$'--setenv\nB\nvalue with spaces' "$v/bin/python" -c 'import os; print(os.environ.get("B"))' 2>&1)
is "$out" "value with spaces" "BWRAP_ARGS split on newlines keeps spaces in a value"
"$SV" "$v" --setenv X 1 >/dev/null 2>&1
out=$(BWRAP_ARGS='--setenv X 2' "$v/bin/python" -c 'import os; print(os.environ.get("X"))' 2>&1)
is "$out" 2 "BWRAP_ARGS come after the recorded args (later wins)"
out=$("$v/bin/python" -c 'import os; print(os.environ.get("X"))' 2>&1)
is "$out" 1 "BWRAP_ARGS last for one launch only"
"$SV" "$v" >/dev/null 2>&1

# --- kinds of venvs ----------------------------------------------------------
if p=$(new_project copies --without-pip --copies); then
	check "a --copies venv: python is a copy in the private bin" \
		sh -c "test -f '$p/.venv/.sandbox-venv/bin/python' && ! test -L '$p/.venv/.sandbox-venv/bin/python'"
	out=$("$p/.venv/bin/python" -c 'import sys, json; print(sys.prefix, json.dumps([1]))' 2>&1)
	is "$out" "$p/.venv [1]" "a --copies venv runs inside"
else
	ok 1 "a --copies venv can be made and wrapped"
	ok 1 "a --copies venv runs inside"
fi

if p=$(new_project syssite --without-pip --system-site-packages); then
	out=$("$p/.venv/bin/python" -c 'import sys; print(sys.prefix)' 2>&1)
	is "$out" "$p/.venv" "a --system-site-packages venv runs inside"
	if "$SV_PYTHON" -c 'import numpy' 2>/dev/null; then
		out=$("$p/.venv/bin/python" -c 'import numpy; a = numpy.arange(12).reshape(3, 4); print(int((a @ a.T).trace()))' 2>&1)
		is "$out" 506 "system numpy imports and computes inside"
	else
		skip "numpy is not installed for $SV_PYTHON"
	fi
	if "$SV_PYTHON" -c 'import cryptography.hazmat.primitives.hashes' 2>/dev/null; then
		out=$("$p/.venv/bin/python" -c '
from cryptography.hazmat.primitives import hashes
h = hashes.Hash(hashes.SHA256()); h.update(b"abc"); print(h.finalize().hex()[:16])' 2>&1)
		is "$out" ba7816bf8f01cfea "system cryptography (with its OpenSSL) works inside"
	else
		skip "cryptography is not installed for $SV_PYTHON"
	fi
	if "$SV_PYTHON" -c 'import lxml.etree' 2>/dev/null; then
		out=$("$p/.venv/bin/python" -c '
from lxml import etree
print(len(etree.fromstring("<a><b/><b/><c/></a>").findall("b")))' 2>&1)
		is "$out" 2 "system lxml (with libxml2) works inside"
	else
		skip "lxml is not installed for $SV_PYTHON"
	fi
else
	ok 1 "a --system-site-packages venv can be made and wrapped"
fi

if "$SV_PYTHON" -m virtualenv --version >/dev/null 2>&1; then
	p=$SV_TMP/venv-virtualenv
	mkdir -p "$p"
	if VIRTUALENV_OVERRIDE_APP_DATA=$SV_TMP/virtualenv-data \
		"$SV_PYTHON" -m virtualenv -q --no-pip --no-setuptools --no-wheel \
		"$p/.venv" >"$SV_TMP/virtualenv.out" 2>&1; then
		"$SV" "$p/.venv" >/dev/null 2>"$SV_TMP/wrap.err"
		ok $? "a virtualenv venv can be wrapped"
		out=$("$p/.venv/bin/python" -c 'import sys; print(sys.executable, sys.prefix)' 2>&1)
		is "$out" "$p/.venv/bin/python $p/.venv" "a virtualenv venv runs inside"
	else
		ok 1 "virtualenv creates a venv"
		sed 's/^/#   /' "$SV_TMP/virtualenv.out" | head -10
	fi
else
	skip "virtualenv is not available for $SV_PYTHON"
fi

# A base interpreter outside /usr (pyenv): its prefix must be exposed.
pyenv_py=
if [ "$(id -u)" -eq 0 ]; then
	for cand in /root/.pyenv/versions/3.1[0-9].*/bin/python3.1[0-9]; do
		[ -x "$cand" ] && pyenv_py=$cand
	done
fi
if [ -n "$pyenv_py" ]; then
	if p=$(SV_PYTHON=$pyenv_py new_project pyenv --without-pip); then
		want=$("$pyenv_py" -c 'import sys; print(sys.version.split()[0], sys.base_prefix)')
		out=$("$p/.venv/bin/python" -c 'import sys, ssl, sqlite3; print(sys.version.split()[0], sys.base_prefix)' 2>&1)
		is "$out" "$want" "a venv of a pyenv interpreter ($pyenv_py) runs inside with its stdlib"
	else
		ok 1 "a venv of a pyenv interpreter can be made and wrapped"
	fi
else
	skip "no pyenv interpreter readable by $(id -un) under /root/.pyenv"
fi

# --- odd paths ----------------------------------------------------------------
if p=$(new_project "my proj é" --without-pip); then
	out=$("$p/.venv/bin/python" -c 'import sys; print(sys.prefix)' 2>&1)
	is "$out" "$p/.venv" "a venv path with spaces and non-ASCII characters works"
	out=$(cd "$p" && "$p/.venv/bin/shell" -c 'pwd' 2>&1)
	is "$out" "$p" "... and shell starts in it"
else
	ok 1 "a venv path with spaces and non-ASCII characters can be wrapped"
fi

p=$SV_TMP/$'new\nline'
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
before=$(cd "$p" && find . -printf '%p %y %m %s\n' | sort; cat .venv/bin/* | sha256sum)
err=$("$SV" "$p/.venv" 2>&1)
rc=$?
ok $((rc == 0)) "a venv path with a newline is refused"
like "$err" 'newline' "... with a message naming the newline"
after=$(cd "$p" && find . -printf '%p %y %m %s\n' | sort; cat .venv/bin/* | sha256sum)
is "$after" "$before" "... and nothing is written"

# --- pip's cache and the network ----------------------------------------------
if p=$(new_project cache-net --without-pip); then
	real_cache="$HOME/.cache/pip"
	if mkdir -p "$real_cache" 2>/dev/null && [ -w "$real_cache" ]; then
		marker="$real_cache/sv-marker-$$"
		echo host >"$marker"
		# defence: the user's pip cache is absent unless asked for
		out=$("$p/.venv/bin/python" -c "import os; print(os.path.exists('$marker'), os.environ.get('PIP_CACHE_DIR'))" 2>&1)
		is "$out" "False None" "without SANDBOX_USE_PIP_CACHE the real pip cache is absent"
		out=$(SANDBOX_USE_PIP_CACHE=1 "$p/.venv/bin/python" -c "
import os
print(open('$marker').read().strip(), os.environ.get('PIP_CACHE_DIR') == os.path.realpath('$real_cache'))
open('$marker', 'w').write('sandbox')" 2>&1)
		is "$out" "host True" "SANDBOX_USE_PIP_CACHE=1 shares the real pip cache as PIP_CACHE_DIR"
		is "$(cat "$marker")" sandbox "... read-write"
		rm -f "$marker"
	else
		skip "no writable ~/.cache/pip for $(id -un)"
	fi
	out=$("$p/.venv/bin/python" -c 'import os; print(os.environ["XDG_CACHE_HOME"], os.path.realpath(os.path.expanduser("~/.cache")))' 2>&1)
	is "$out" "$p/.venv/cache $p/.venv/cache" "~/.cache is the venv's cache directory"

	# The network is shared (the reference's default): a server on the
	# host's loopback answers the sandbox.
	"$SV_PYTHON" - "$SV_TMP/port" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(20)
c, _ = s.accept(); c.sendall(b"hello from the host\n"); c.close()
PY
	server=$!
	for _ in $(seq 50); do [ -s "$SV_TMP/port" ] && break; sleep 0.1; done
	out=$(BWRAP_ARGS=--unshare-net "$p/.venv/bin/python" -c "
import socket
try:
    socket.create_connection(('127.0.0.1', $(cat "$SV_TMP/port" 2>/dev/null || echo 1)), timeout=5); print('connected')
except OSError as e: print('refused')" 2>&1)
	is "$out" refused "BWRAP_ARGS=--unshare-net cuts it: the same server is unreachable"
	out=$("$p/.venv/bin/python" -c "
import socket
s = socket.create_connection(('127.0.0.1', $(cat "$SV_TMP/port" 2>/dev/null || echo 1)), timeout=10)
print(s.recv(100).decode().strip())" 2>&1)
	is "$out" "hello from the host" "the network is shared: a host loopback server answers"
	wait "$server" 2>/dev/null
fi

# --- the init: sandbox-venv-init beside the binary, else the binary itself ---
# Each copy of the launcher below wraps a venv of its own, whose gates name
# that copy; it looks for its init beside itself, then in
# ../libexec/sandbox-venv (run.c, run_open_init).
sv_real=$(readlink -f "$SV")
init_real=$(dirname "$sv_real")/sandbox-venv-init
# init_probe LAUNCHER [PROJECT]: wrap a fresh venv in PROJECT with LAUNCHER
# and run it under VERBOSE; prints the line that names the init, the size
# whether the init shows inside (it runs from a descriptor: nothing is
# mounted for it), or what failed, and the status.
init_probe() {
	local pp=${2:-$SV_TMP/initprobe} out
	rm -rf "$pp/.venv"
	mkdir -p "$pp"
	if ! "$SV_PYTHON" -m venv --without-pip "$pp/.venv" >/dev/null 2>&1 ||
		! "$1" "$pp/.venv" >/dev/null 2>"$SV_TMP/initprobe.err"; then
		echo "cannot wrap: $(cat "$SV_TMP/initprobe.err")"
		return
	fi
	out=$(cd "$pp" && VERBOSE=1 .venv/bin/python -c '
import os; print("inside", os.path.lexists("/run/sandbox-venv/init"))' 2>&1)
	printf '%s\nstatus %s\n' "$out" "$?" |
		grep -E '^sandbox-venv: the init:|^inside |another build|^status '
}
# self_init REASON: what init_probe prints when the launcher is its own init.
self_init() {
	printf 'sandbox-venv: the init: this binary (%s)\ninside False\nstatus 0' "$1"
}
if [ ! -f "$init_real" ]; then
	skip "the init: no sandbox-venv-init beside $sv_real"
else
	out=$(init_probe "$SV")
	build_id=$(cd "$p" 2>/dev/null; VERBOSE=1 "$v/bin/python" -c pass 2>&1 | grep -o 'build=[0-9a-z]*' | head -1)
	is "$out" "sandbox-venv: the init: $init_real
inside False
status 0" "the init is sandbox-venv-init, beside the binary (VERBOSE says so), run from a descriptor: nothing at /run/sandbox-venv/init"
	d=$SV_TMP/init-alone
	mkdir -p "$d" && cp "$sv_real" "$d/sandbox-venv"
	is "$(init_probe "$d/sandbox-venv")" "$(self_init "no sandbox-venv-init beside it, nor in ../libexec/sandbox-venv")" \
		"without sandbox-venv-init beside it, the binary itself is the init, and the launch works"
	d=$SV_TMP/init-prefix
	mkdir -p "$d/bin" "$d/libexec/sandbox-venv"
	cp "$sv_real" "$d/bin/sandbox-venv" && cp "$init_real" "$d/libexec/sandbox-venv/"
	is "$(init_probe "$d/bin/sandbox-venv")" "sandbox-venv: the init: $d/libexec/sandbox-venv/sandbox-venv-init
inside False
status 0" "an install's layout: PREFIX/bin/sandbox-venv runs PREFIX/libexec/sandbox-venv/sandbox-venv-init"
	# pid 1 runs from its descriptor in the sandbox's own /proc, which is
	# mounted after the user's options, whatever they mount: a mount of
	# theirs at /run/sandbox-venv (or at /dev/fd, a link into /proc) holds
	# nothing bwrap runs (an outside attack raced a second sandbox renaming
	# its own file over the init bound there, and won).
	# A host directory with a relative link up to /proc (hd/p -> ../proc),
	# bound at /x, lets a later option reach /proc/self/fd through
	# /x/p/self/fd, past every check of its path: with the sandbox's /proc
	# mounted first, the planted files would be pid 1.
	pp=$SV_TMP/initprobe
	mkdir -p "$pp/r" "$SV_TMP/fp" "$SV_TMP/hd"
	printf '#!/bin/sh\necho PLANTED-PID1\n' >"$pp/r/init"
	chmod +x "$pp/r/init"
	for i in $(seq 3 64); do cp "$pp/r/init" "$SV_TMP/fp/$i"; done
	ln -sfn ../proc "$SV_TMP/hd/p"
	for opt in "--bind $pp/r /run/sandbox-venv" "--ro-bind $SV_TMP/hd /x --ro-bind $SV_TMP/fp /x/p/self/fd" \
		"--ro-bind /usr/share /srv/share"; do
		out=$(cd "$pp" && BWRAP_ARGS="$opt" .venv/bin/python -c '
print("pid1", open("/proc/1/cmdline").read().split("\0")[0])' 2>&1)
		unlike "$out" "PLANTED-PID1" "attack[init] BWRAP_ARGS='$opt': nothing the sandbox wrote runs as pid 1"
		case $opt in
		*/x/p/self/fd*)	# bwrap finds no /proc there yet, and stops
			like "$out" "^bwrap: " "... bwrap stops: nothing is mounted in /proc before the sandbox's own" ;;
		*)	like "$out" "^pid1 /proc/self/fd/[0-9]*$" "... pid 1 is the init, from its descriptor" ;;
		esac
	done
	rm -rf "$SV_TMP/fp" "$SV_TMP/hd" "$pp/r"
	# Attacks: an init someone else could have put or changed is never
	# run; VERBOSE says why the binary is its own init instead.
	d=$SV_TMP/init-writable
	mkdir -p "$d" && cp "$sv_real" "$init_real" "$d/" && chmod o+w "$d/sandbox-venv-init"
	is "$(init_probe "$d/sandbox-venv")" "$(self_init "'$d/sandbox-venv-init' is writable by its group or others")" \
		"attack[init] a sandbox-venv-init that others can write is not run: the binary itself is the init"
	chmod o-w,g+w "$d/sandbox-venv-init"
	is "$(init_probe "$d/sandbox-venv")" "$(self_init "'$d/sandbox-venv-init' is writable by its group or others")" \
		"attack[init] nor one its group can write"
	d=$SV_TMP/init-link
	mkdir -p "$d" && cp "$sv_real" "$d/" && ln -s "$init_real" "$d/sandbox-venv-init"
	is "$(init_probe "$d/sandbox-venv")" "$(self_init "'$d/sandbox-venv-init' is not a regular file")" \
		"attack[init] nor a symbolic link in its place"
	d=$SV_TMP/init-linkdir
	mkdir -p "$d/bin" "$d/elsewhere/sandbox-venv" && ln -s elsewhere "$d/libexec"
	cp "$sv_real" "$d/bin/sandbox-venv" && cp "$init_real" "$d/elsewhere/sandbox-venv/"
	is "$(init_probe "$d/bin/sandbox-venv")" "$(self_init "'$d/libexec' is not a directory")" \
		"attack[init] nor one reached through a symlinked directory (PREFIX/libexec -> elsewhere)"
	d=$SV_TMP/init-opendir
	mkdir -p "$d/bin" "$d/libexec/sandbox-venv"
	cp "$sv_real" "$d/bin/sandbox-venv" && cp "$init_real" "$d/libexec/sandbox-venv/"
	chmod o+w "$d/libexec/sandbox-venv"
	is "$(init_probe "$d/bin/sandbox-venv")" "$(self_init "'$d/libexec/sandbox-venv' is a directory others can change")" \
		"attack[init] nor one in a directory others can write (not sticky)"
	# In the project of the venv launched: its sandboxes write there.
	d=$SV_TMP/init-reach
	mkdir -p "$d/bin" "$d/libexec/sandbox-venv"
	cp "$sv_real" "$d/bin/sandbox-venv" && cp "$init_real" "$d/libexec/sandbox-venv/"
	is "$(init_probe "$d/bin/sandbox-venv" "$d/libexec")" \
		"$(self_init "'$d/libexec/sandbox-venv/sandbox-venv-init' lies in '$d/libexec', which sandboxes can write")" \
		"attack[init] nor one where the venv's sandboxes write (its project)"
	if [ "$(id -u)" -eq 0 ]; then
		d=$SV_TMP/init-owner
		mkdir -p "$d" && cp "$sv_real" "$init_real" "$d/" && chown 65534 "$d/sandbox-venv-init"
		is "$(init_probe "$d/sandbox-venv")" "$(self_init "'$d/sandbox-venv-init' belongs to uid 65534, neither root nor this binary's owner")" \
			"attack[init] nor one owned by a user other than the binary's owner and root"
	else
		skip "attack[init] an init owned by another user: making one takes root (the root pass runs it)"
	fi
	# An init from other sources: its build differs from the launcher's.
	d=$SV_TMP/init-other
	mkdir -p "$d" && cp "$sv_real" "$init_real" "$d/"
	"$SV_PYTHON" - "$d/sandbox-venv-init" "${build_id#build=}" <<'PY'
import sys
path, bid = sys.argv[1], sys.argv[2].encode()
data = open(path, "rb").read()
other = bid.translate(bytes.maketrans(b"0123456789", b"1234567890"))
if not bid or bid not in data:
    sys.exit("no build id %r in %s" % (bid, path))
open(path, "wb").write(data.replace(bid, other))
PY
	out=$(init_probe "$d/sandbox-venv")
	like "$out" "is from another build than the launcher" \
		"an init from another build refuses to start, and says so"
	like "$out" "^status 127" "... and the launch fails (127) rather than run a program with it"
fi

# --- the init's relocated data (its GOT, its tables of pointers) is
# read-only while it runs, whatever C library it is linked with (musl's
# static start-up leaves it writable: the init does it, init-main.c) ---
if [ ! -f "$init_real" ]; then
	skip "the init's read-only data: no sandbox-venv-init beside $sv_real"
elif [ "$(id -u)" -ne 0 ]; then
	skip "the init's read-only data: reading the maps of the init, which is not dumpable, takes root (the root pass runs it)"
else
	pp=$SV_TMP/relro
	mkdir -p "$pp" && "$SV_PYTHON" -m venv --without-pip "$pp/.venv" && "$SV" "$pp/.venv" >/dev/null
	(cd "$pp" && exec .venv/bin/python -c 'import time; time.sleep(60)') &
	launcher=$!
	out=$("$SV_PYTHON" - "$launcher" <<'PY'
import sys, time
launcher = int(sys.argv[1])

def children(pid):
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []

# The launcher's bwrap, and its child: the init.
pid = None
for _ in range(200):
    for b in children(launcher):
        for c in children(b):
            if open(f"/proc/{c}/comm").read().strip() == "init":
                pid = c
    if pid:
        break
    time.sleep(0.05)
if not pid:
    sys.exit("no init under the launcher")
print(pid)
PY
)
	out=$(relro_perms "$out" "$init_real" 2>&1)
	kill "$launcher" 2>/dev/null
	wait "$launcher" 2>/dev/null
	is "$out" "r--p" "attack[init] the init's relocated data (PT_GNU_RELRO) is mapped read-only while it runs"
fi

done_testing
