#!/bin/bash
# attacks.t - the attack suite. Each attack is written as a malicious
# package or program would do it, runs inside a wrapped venv, and is judged
# on the host afterwards: nothing read, nothing written, nothing run.
#
# Every test line reads "attack[CLASS] ...", so that
#   SV=./sandbox-venv tests/attacks.t | grep -o 'attack\[[a-z]*\]' | sort | uniq -c
# counts the attacks by class. Several attacks share one launch: each
# payload prints "ID RESULT" lines, RESULT being "blocked ERRNO" or "DONE"
# (the attack's step went through inside); the host-side check decides.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null || { skip "attack suite: no git"; done_testing; exit; }

# A home of our own, with the secrets and the files a persistence attack
# aims at, so that the real home's files are never touched. It lives in a
# fresh directory of the real home when that is writable: outside /tmp, so
# that what hides it inside is that it is not mounted, not the sandbox's
# private /tmp.
real_home=$(getent passwd "$(id -u)" | cut -d: -f6)
if [ -d "$real_home" ] && [ -w "$real_home" ] && base=$(mktemp -d "$real_home/sv-attacks.XXXXXX"); then
	trap 'chmod -R u+w "$base" "$SV_TMP" 2>/dev/null; rm -rf "$base"' EXIT
else
	base=$SV_TMP
	echo "# the real home '$real_home' is not writable: the test home is under $SV_TMP"
fi
H=$base/home
proj=$H/code/proj
mkdir -p "$H/code"
plant() {   # plant PATH: a file holding a secret marker named after PATH
	mkdir -p "$(dirname "$1")"
	printf 'SECRET-%s\n' "$(printf '%s' "$1" | sha256sum | cut -c1-12)" >"$1"
}
secrets=(.ssh/id_ed25519 .aws/credentials .kube/config .docker/config.json .gitconfig .netrc
	.mozilla/firefox/x.default-release/logins.json ".config/google-chrome/Default/Login Data"
	Documents/notes.txt)
for s in "${secrets[@]}"; do plant "$H/$s"; done
plant "$H/.bashrc"
plant "$H/.profile"
chmod 700 "$H/.ssh"
host_tmp_secret=/tmp/sv-attack-secret-$$
plant "$host_tmp_secret"
snapshot_home() { find "$H" -path "$proj" -prune -o -print0 | sort -z | xargs -0 stat -c '%n %s %Y' 2>/dev/null; }

p=$proj
v=$p/.venv
mkdir -p "$p"
"$SV_PYTHON" -m venv "$v" >/dev/null && "$SV" "$v" >/dev/null 2>"$SV_TMP/wrap.err" ||
	{ ok 1 "make the test project"; sed 's/^/#   /' "$SV_TMP/wrap.err"; done_testing; exit; }
git -C "$p" init -q
home_before=$(snapshot_home)
cd "$p" || exit 1

# run_payload NAME [ARGS]: run python file $p/NAME inside with HOME=$H in
# the caller's environment (as a real user's shell has it).
run_payload() {
	local name=$1
	shift
	HOME=$H "$v/bin/python" "$p/$name" "$@" 2>"$SV_TMP/payload.err"
}
# verdict OUT ID CLASS DESCRIPTION [HOST-CHECK...]: ok when the payload's
# line for ID is "blocked ..." (with want_errno set: "blocked $want_errno")
# and the host check, if any, passes.
want_errno=
verdict() {
	local out=$1 id=$2 class=$3 what=$4 line blocked=0
	shift 4
	line=$(printf '%s\n' "$out" | grep -m1 "^$id ")
	case "$line" in
	"$id blocked $want_errno"*) blocked=1 ;;
	esac
	if [ "$blocked" = 1 ] && { [ $# -eq 0 ] || "$@" >/dev/null 2>&1; }; then
		ok 0 "attack[$class] $what"
	else
		ok 1 "attack[$class] $what"
		printf '#   payload: %s\n' "${line:-no line for $id}"
		sed 's/^/#   stderr: /' "$SV_TMP/payload.err" | head -5
	fi
}
# no_loot [ID]: no secret in what attack ID (or any attack) carried off.
no_loot() { ! grep -rqs 'SECRET-' "$p/loot/${1:-}"; }

# The payloads share these helpers.
cat >"$p/attack_lib.py" <<'PY'
import errno, os, sys
current = [""]
def report(id, fn):
    current[0] = id
    try:
        fn()
        print(id, "DONE")
    except OSError as e:
        print(id, "blocked", errno.errorcode.get(e.errno, e.errno))
    sys.stdout.flush()
def steal(path):
    def fn():
        with open(path, "rb") as f:
            data = f.read()
        with open("loot/" + current[0], "ab") as f:
            f.write(data)
    return fn
def write(path, text, mode="a"):
    def fn():
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(text)
    return fn
PY
mkdir -p "$p/loot"

# === secrets: reading the user's files ==========================================
cat >"$p/attack_secrets.py" <<'PY'
import os, sys
from attack_lib import report, steal
H, tmp_secret, host_pid = sys.argv[1], sys.argv[2], sys.argv[3]
names = sys.argv[4:]
for i, n in enumerate(names):
    report("s%d" % i, steal(H + "/" + n))
report("rel", steal("../../.ssh/id_ed25519"))
report("selfroot", steal("/proc/self/root" + H + "/.ssh/id_ed25519"))
report("initroot", steal("/proc/1/root" + H + "/.aws/credentials"))
os.symlink(H + "/.ssh/id_ed25519", "loot-link")
report("link", steal("loot-link"))
report("list", lambda: open("loot/list", "w").write("\n".join(os.listdir(H))))
report("shadow", steal("/etc/shadow"))
report("sslpriv", lambda: open("loot/sslpriv", "w").write("\n".join(os.listdir("/etc/ssl/private"))))
report("tmp", steal(tmp_secret))
report("environ", steal("/proc/%s/environ" % host_pid))
def token():
    if "SV_ATTACK_TOKEN" in os.environ:
        open("loot/token", "w").write("SECRET-" + os.environ["SV_ATTACK_TOKEN"])
        return
    raise OSError(2, "not in the environment")
report("token", token)
PY
sleep 300 &
victim=$!
out=$(SV_ATTACK_TOKEN=token-$$ run_payload attack_secrets.py "$H" "$host_tmp_secret" "$victim" "${secrets[@]}")
for i in "${!secrets[@]}"; do
	verdict "$out" "s$i" secrets "~/${secrets[$i]} by absolute path" no_loot "s$i"
done
verdict "$out" rel secrets "~/.ssh through ../.. from the project" no_loot rel
verdict "$out" selfroot secrets "~/.ssh through /proc/self/root" no_loot selfroot
verdict "$out" initroot secrets "~/.aws through /proc/1/root" no_loot initroot
verdict "$out" link secrets "~/.ssh through a symlink planted in the project" no_loot link
# The path down to the project exists inside (bwrap makes it), empty; with
# Landlock path rules it cannot even be listed.
list=$(cat "$p/loot/list" 2>/dev/null)
[ -n "$list" ] || list=$(printf '%s\n' "$out" | grep -m1 '^list ')
like "$list" '^\(code\|list blocked EACCES\)$' \
	"attack[secrets] listing the real home shows only the way to the project"
verdict "$out" shadow secrets "/etc/shadow" no_loot shadow
verdict "$out" sslpriv secrets "the host's TLS keys in /etc/ssl/private" no_loot sslpriv
verdict "$out" tmp secrets "a secret in the host's /tmp" no_loot tmp
verdict "$out" environ secrets "a host process's environment through /proc/PID/environ" no_loot environ
verdict "$out" token secrets "a token exported in the caller's shell" no_loot token
rm -f "$p/loot-link"
out=$(HOME=$H BWRAP_ARGS="--ro-bind $H/.ssh $H/.ssh" "$v/bin/python" -c '
import sys
print(open(sys.argv[1]).read().startswith("SECRET-"))' "$H/.ssh/id_ed25519" 2>&1)
is "$out" True "control: with the home's .ssh bound in, the same read goes through"

# === persistence: writing what the host later runs ==================================
cat >"$p/attack_persist.py" <<'PY'
import os, sys
from attack_lib import report, write as write_plain
def write(path, text):
    return write_plain(path, text + "\n# SV-ATTACK-PERSIST\n")
H, user, pyver = sys.argv[1], sys.argv[2], sys.argv[3]
evil = "touch /tmp/sv-pwned\n"
report("bashrc", write(H + "/.bashrc", evil))
report("profile", write(H + "/.profile", evil))
report("systemd", write(H + "/.config/systemd/user/evil.service", "[Service]\nExecStart=/bin/sh -c 'id'\n"))
report("autostart", write(H + "/.config/autostart/evil.desktop", "[Desktop Entry]\nExec=id\n"))
report("pth", write(H + "/.local/lib/python%s/site-packages/evil.pth" % pyver, "import os; os.system('id')\n"))
report("authkeys", write(H + "/.ssh/authorized_keys", "ssh-ed25519 AAAA attacker\n"))
report("gitconfig", write(H + "/.gitconfig", "[core]\n\tpager = id\n"))
report("crontab", write("/var/spool/cron/crontabs/" + user, "* * * * * id\n"))
report("profiled", write("/etc/profile.d/evil.sh", evil))
report("homercs", write(os.path.expanduser("~/.bashrc"), evil))
PY
pyver=$("$SV_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
out=$(run_payload attack_persist.py "$H" "$(id -un)" "$pyver")
home_now=$(snapshot_home)
home_same() { [ "$home_now" = "$home_before" ]; }
# Under a private /tmp a write to $H may go through inside: what counts is
# that nothing of it reaches the host.
persist() {   # persist ID "what" HOST-PATH
	local line
	line=$(printf '%s\n' "$out" | grep -m1 "^$1 ")
	if home_same && ! grep -qs SV-ATTACK-PERSIST "$3"; then
		ok 0 "attack[persistence] $2"
	else
		ok 1 "attack[persistence] $2"
		printf '#   payload: %s\n' "$line"
	fi
}
persist bashrc "append to ~/.bashrc" "$H/.bashrc"
persist profile "append to ~/.profile" "$H/.profile"
persist systemd "a systemd user unit" "$H/.config/systemd/user/evil.service"
persist autostart "an XDG autostart entry" "$H/.config/autostart/evil.desktop"
persist pth "a .pth file in the user site-packages" "$H/.local/lib/python$pyver/site-packages/evil.pth"
persist authkeys "an ssh key in ~/.ssh/authorized_keys" "$H/.ssh/authorized_keys"
persist gitconfig "core.pager in ~/.gitconfig" "$H/.gitconfig"
persist crontab "a crontab in the cron spool" "/var/spool/cron/crontabs/$(id -un)"
persist profiled "a script in /etc/profile.d" /etc/profile.d/evil.sh
persist homercs "~/.bashrc through the sandbox's HOME reaches only .venv/home" "$H/.bashrc"

# === project files the host runs: .git and .env =====================================
cat >"$p/attack_project.py" <<'PY'
import os, sys
from attack_lib import report, write
report("hook", write(".git/hooks/pre-commit", "#!/bin/sh\ntouch pwned\n", "w"))
report("fsmonitor", write(".git/config", "[core]\n\tfsmonitor = touch pwned\n"))
report("pager", write(".git/config", "[core]\n\tpager = touch pwned\n"))
report("hookspath", write(".git/config", "[core]\n\thooksPath = evilhooks\n"))
report("gitrename", lambda: os.rename(".git", "git-old"))
report("gitreplace", lambda: os.rename("fake-git", ".git"))
report("gitfile", write(".git/../.git/HEAD", "ref: refs/heads/evil\n", "w"))
report("venvrename", lambda: os.rename(".venv", "venv-old"))
report("dotenv", write(".env", "BWRAP_ARGS=--bind / /host\nSANDBOX_SECCOMP_ALLOW=\nVERBOSE=1\n"
                       "SHELLCODE=$(touch pwned-env)\nBT=`touch pwned-env`\n", "w"))
PY
mkdir -p "$p/fake-git/hooks" "$p/evilhooks"
printf '#!/bin/sh\ntouch pwned\n' >"$p/evilhooks/pre-commit"
chmod +x "$p/evilhooks/pre-commit"
git_before=$(cd "$p/.git" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
out=$(run_payload attack_project.py)
git_same() { [ "$(cd "$p/.git" && find . -type f -print0 | sort -z | xargs -0 sha256sum)" = "$git_before" ]; }
verdict "$out" hook project "plant .git/hooks/pre-commit" git_same
verdict "$out" fsmonitor project "core.fsmonitor in .git/config" git_same
verdict "$out" pager project "core.pager in .git/config" git_same
verdict "$out" hookspath project "core.hooksPath to a directory of hooks in the project" git_same
verdict "$out" gitrename project "rename .git away" test -d "$p/.git" -a ! -e "$p/git-old"
verdict "$out" gitreplace project "replace .git by a planted repository" git_same
verdict "$out" gitfile project "rewrite .git/HEAD" git_same
verdict "$out" venvrename project "rename .venv to swap in a fake venv" test -d "$v" -a ! -e "$p/venv-old"
git -C "$p" -c user.name=t -c user.email=t@t commit -q --allow-empty -m t >/dev/null 2>&1
git -C "$p" status >/dev/null 2>&1
check "attack[project] git on the host afterwards runs nothing planted" test ! -e "$p/pwned"
# The .env the sandbox wrote is read by the next launch: as data only.
err=$(HOME=$H "$v/bin/python" -c '
import os, subprocess
print(os.path.exists("/host"), subprocess.run(["/bin/sh", "-c", "exit 0"]).returncode,
      os.environ.get("SHELLCODE"))' 2>&1 >"$SV_TMP/out")
is "$(cat "$SV_TMP/out")" 'False 0 $(touch pwned-env)' \
	"attack[project] .env written by a sandbox: BWRAP_ARGS ignored, its shell code stays a string"
check "... and no .env shell code ran on the host" test ! -e "$p/pwned-env"
out=$(HOME=$H "$v/bin/python" -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.syscall(248, b"user", b"k", b"v", 1, -3) == -1 and ctypes.get_errno())' 2>/dev/null)
is "$out" 1 "attack[project] .env's SANDBOX_SECCOMP_ALLOW= does not turn the filter off (add_key: EPERM)"
like "$err" "'BWRAP_ARGS' is sandbox policy" "... and the launcher names what it ignored"
rm -f "$p/.env"
ln -s "$H/.aws/credentials" "$p/.env"
out=$(HOME=$H "$v/bin/python" -c 'import os; print(os.environ.get("SECRET"))' 2>&1)
unlike "$out" 'SECRET-' "attack[project] a .env symlink to a file outside is refused, not read"
rm -f "$p/.env"
# Repositories planted where there was none. plant.py VARIANT makes the
# current directory a repository whose core.fsmonitor (run by "git status")
# touches ./pwned; run on the host first, as a control that each plant works.
rm -rf "$p/loot"/*
cat >"$SV_TMP/plant.py" <<'PY'
import os, sys
def repo(d, extra=""):
    for sub in ("hooks", "objects", "refs"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    open(os.path.join(d, "HEAD"), "w").write("ref: refs/heads/main\n")
    open(os.path.join(d, "config"), "w").write(
        "[core]\n\trepositoryformatversion = 0\n\tfsmonitor = touch pwned\n" + extra)
v = sys.argv[1]
here = os.getcwd()
if v == "git":            # a .git at the top
    repo(".git")
elif v == "both":         # a .git, and a repository made of the top itself
    repo(".git")
    repo(".", "\tbare = false\n\tworktree = %s\n" % here)
elif v == "links":        # the top as a repository, objects and refs symlinked
    repo("elsewhere")
    repo(".", "\tbare = false\n\tworktree = %s\n" % here)
    for sub in ("objects", "refs"):
        os.rmdir(sub); os.symlink("elsewhere/" + sub, sub)
elif v == "swap":         # a .git symlink replaced by a directory
    os.unlink(".git")
    repo(".git")
PY
plant_cases=(git "a .git planted where there was none"
	both "a .git and a repository made of the project's top, together"
	links "a repository made of the project's top with objects and refs as symlinks"
	swap "a .git symlink to a real repository, replaced by a planted directory")
for ((i = 0; i < ${#plant_cases[@]}; i += 2)); do
	case=${plant_cases[i]} what=${plant_cases[i + 1]}
	ctl=$SV_TMP/plant-control-$case
	q=$SV_TMP/plant-$case
	mkdir -p "$ctl" "$SV_TMP/realrepo-$case"
	git -C "$SV_TMP/realrepo-$case" init -q
	if [ "$case" = swap ]; then
		ln -s "$SV_TMP/realrepo-$case/.git" "$ctl/.git"
	fi
	(cd "$ctl" && "$SV_PYTHON" "$SV_TMP/plant.py" "$case" && git status) >/dev/null 2>&1
	if [ ! -e "$ctl/pwned" ]; then
		skip "attack[project] $what: the plant does not make this git run anything (control)"
		continue
	fi
	rm -rf "$q"
	mkdir -p "$q"
	"$SV_PYTHON" -m venv --without-pip "$q/.venv" >/dev/null && "$SV" "$q/.venv" >/dev/null 2>&1
	[ "$case" = swap ] && ln -s "$SV_TMP/realrepo-$case/.git" "$q/.git"
	cp "$SV_TMP/plant.py" "$q/plant.py"
	(cd "$q" && "$q/.venv/bin/python" plant.py "$case") >/dev/null 2>&1
	(cd "$q" && git status) >/dev/null 2>&1
	check "attack[project] $what: host git runs nothing of it" test ! -e "$q/pwned"
done

# === the venv, through install-time code run by the sandboxed pip ====================
if "$v/bin/python" -c 'import pip' 2>/dev/null; then
	pkg=$p/evilpkg
	mkdir -p "$pkg/evilpkg"
	printf 'def main():\n    print("evil")\n' >"$pkg/evilpkg/__init__.py"
	cat >"$pkg/setup.py" <<PY
import os
from setuptools import setup
V = os.environ.get("VIRTUAL_ENV", "")
H = "$H"
log = open("$p/loot/venv-attacks.log", "a")
def attempt(id, fn):
    try:
        fn(); log.write(id + " DONE\\n")
    except OSError as e:
        log.write(id + " blocked %d\\n" % e.errno)
    log.flush()
attempt("gate", lambda: open(V + "/bin/python", "a").write("\\nid\\n"))
attempt("activate", lambda: open(V + "/bin/activate", "a").write("\\nid\\n"))
attempt("policy", lambda: open(V + "/.sandbox-venv/policy", "a").write("bwrap-arg --bind\\n"))
attempt("libs", lambda: open(V + "/.sandbox-venv/libs", "a").write("lib " + H + "/.ssh\\n"))
attempt("stamp", lambda: open(V + "/.sandbox-venv/stamp", "w").write("0 0 0\\n"))
attempt("statedir", lambda: os.rename(V + "/.sandbox-venv", V + "/state-old"))
attempt("home", lambda: (os.rename(V + "/home", V + "/home-old"), os.symlink(H, V + "/home")))
attempt("cache", lambda: (os.rename(V + "/cache", V + "/cache-old"), os.symlink(H, V + "/cache")))
attempt("bin", lambda: os.rename(V + "/bin", V + "/bin-old"))
attempt("cfg", lambda: open(V + "/pyvenv.cfg", "a").write("home = /tmp/evil\\n"))
attempt("venv", lambda: os.rename(V, V + "-old"))
setup(name="evilpkg", version="1.0", packages=["evilpkg"],
      entry_points={"console_scripts": ["evil-tool = evilpkg:main", "activate.sh = evilpkg:main",
                                        "deactivate = evilpkg:main", "shell = evilpkg:main",
                                        "Activate-x = evilpkg:main"]})
PY
	bin_before=$(dir_snapshot "$v/bin")
	state_before=$(cd "$v/.sandbox-venv" && sha256sum policy libs)
	cfg_before=$(sha256sum <"$v/pyvenv.cfg")
	HOME=$H "$v/bin/pip" install -q --no-build-isolation --no-index --disable-pip-version-check \
		"$pkg" >"$SV_TMP/pip.out" 2>&1
	rc=$?
	ok $rc "control: the malicious package installs through the sandboxed pip"
	[ $rc = 0 ] || sed 's/^/#   /' "$SV_TMP/pip.out" | tail -8
	log=$(cat "$p/loot/venv-attacks.log" 2>/dev/null)
	bin_now=$(dir_snapshot "$v/bin")
	bin_kept() {   # every entry of bin/ before is there, unchanged
		[ -z "$(comm -23 <(printf '%s\n' "$bin_before") <(printf '%s\n' "$bin_now"))" ]
	}
	verdict "$log" gate venv "append to a gate (install-time code)" bin_kept
	# Inside, bin/activate is the private bin's copy: writing it is
	# allowed and reaches nothing the host sources.
	check "attack[venv] append to bin/activate: the host's bin/activate is unchanged" bin_kept
	verdict "$log" policy venv "add a bwrap argument to the recorded policy" \
		test "$(cd "$v/.sandbox-venv" && sha256sum policy libs)" = "$state_before"
	verdict "$log" libs venv "add the real home to the library cache" \
		test "$(cd "$v/.sandbox-venv" && sha256sum policy libs)" = "$state_before"
	verdict "$log" stamp venv "reset the stamp so that a launch trusts bin/" test -d "$v/.sandbox-venv"
	verdict "$log" statedir venv "rename the state directory" test -d "$v/.sandbox-venv" -a ! -e "$v/state-old"
	verdict "$log" home venv "swap .venv/home for a symlink to the real home" test ! -L "$v/home"
	verdict "$log" cache venv "swap .venv/cache for a symlink to the real home" test ! -L "$v/cache"
	verdict "$log" bin venv "rename bin/ to plant a bin of its own" test -d "$v/bin" -a ! -e "$v/bin-old"
	verdict "$log" cfg venv "point pyvenv.cfg's home at another interpreter" \
		test "$(sha256sum <"$v/pyvenv.cfg")" = "$cfg_before"
	verdict "$log" venv venv "rename the whole venv" test -d "$v" -a ! -e "$v-old"
	reserved_kept_out() {
		local n
		for n in activate.sh deactivate Activate-x; do [ ! -e "$v/bin/$n" ] || return 1; done
		[ "$(printf '%s\n' "$bin_before" | grep '^shell ')" = "$(printf '%s\n' "$bin_now" | grep '^shell ')" ]
	}
	check "attack[venv] entry points with reserved names (activate.sh, deactivate, shell, Activate-x) get no gate" \
		reserved_kept_out
	check "control: the package's ordinary console script is gated" is_gate "$v/bin/evil-tool"
	is "$("$SV" --check "$v" 2>&1 | grep -v 'installed, but not gated yet' | grep -v 'intact' |
		grep -v ': layout: ' | grep -c .)" 0 \
		"attack[venv] --check finds nothing sandbox-venv did not write"
else
	for a in gate activate policy libs stamp statedir home cache bin cfg venv reserved check; do
		skip "attack[venv] $a: the venv has no pip"
	done
fi

# === the environment ===============================================================
if command -v cc >/dev/null; then
	cat >"$SV_TMP/preload.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void hit(void)
{
	char comm[64] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	const char *log = getenv("SV_PRELOAD_LOG");
	if (f) { fgets(comm, sizeof comm, f); fclose(f); }
	if (log && (f = fopen(log, "a"))) { fputs(comm, f); fclose(f); }
}
C
	cc -shared -fPIC -o "$p/preload.so" "$SV_TMP/preload.c"
	printf 'LD_PRELOAD=%s\nSV_PRELOAD_LOG=%s\n' "$p/preload.so" "$p/preload.log" >"$p/.env"
	HOME=$H "$v/bin/python" -c pass >/dev/null 2>&1
	like "$(cat "$p/preload.log" 2>/dev/null)" 'python' "control: LD_PRELOAD from .env loads in the sandboxed program"
	unlike "$(cat "$p/preload.log" 2>/dev/null)" 'bwrap\|sandbox-venv' "attack[env] ... and never in bwrap or the launcher on the host"
	rm -f "$p/.env" "$p/preload.log"
else
	skip "control: LD_PRELOAD from .env: no cc"
	skip "attack[env] LD_PRELOAD never on the host: no cc"
fi
printf 'import os\nopen("%s/startup-ran", "w").write(os.environ.get("HOME", ""))\n' "$p" >"$p/startup.py"
printf 'PYTHONSTARTUP=%s/startup.py\n' "$p" >"$p/.env"
HOME=$H "$v/bin/python" -i </dev/null >/dev/null 2>&1
is "$(cat "$p/startup-ran" 2>/dev/null)" "$v/home" "attack[env] PYTHONSTARTUP from .env runs inside only (its HOME is the sandbox's)"
rm -f "$p/.env" "$p/startup-ran"
out=$(HOME=$H DBUS_SESSION_BUS_ADDRESS=unix:path=$SV_TMP/run/bus XAUTHORITY=$H/.Xauthority \
	DISPLAY=:0 SSH_AUTH_SOCK=$H/agent.sock "$v/bin/python" -c '
import os
print(sorted(k for k in ("DBUS_SESSION_BUS_ADDRESS", "XAUTHORITY", "DISPLAY", "SSH_AUTH_SOCK") if k in os.environ))' 2>&1)
is "$out" "[]" "attack[env] D-Bus, X11 and ssh-agent addresses do not reach the sandbox"

# === the kernel and host services =================================================
# Host listeners: a D-Bus-like socket by path, an abstract socket, and an X
# server's abstract and path sockets. Each connection writes "hit".
listen_log=$SV_TMP/listen.log
: >"$listen_log"
mkdir -p "$SV_TMP/run"
# A display number no server holds; with none free, the path socket is
# not made (its attack is skipped) and nobody's socket is touched.
xdisp=$(free_x_display 90 98) && xpath=/tmp/.X11-unix/X$xdisp || {
	xdisp=$((90 + $$ % 9))
	xpath=
}
x11dir_made=
if [ ! -d /tmp/.X11-unix ] && mkdir -m 1777 /tmp/.X11-unix 2>/dev/null; then
	x11dir_made=1
fi
abstract_name=sv-attack-$$-$RANDOM
"$SV_PYTHON" - "$SV_TMP/run/bus" "$abstract_name" "/tmp/.X11-unix/X$xdisp" "$listen_log" "$xpath" <<'PY' &
import os, signal, socket, sys, select, time
path, abstract, x11, log, xpath = sys.argv[1:]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
socks = []
for addr in (path, "\0" + abstract, "\0" + x11, xpath):
    if not addr:            # no free display: that attack is skipped
        continue
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(addr)
    except OSError as e:
        if addr is xpath:   # no /tmp/.X11-unix of ours: that attack is skipped
            continue
        open(log, "a").write("cannot bind %r: %s\n" % (addr, e)); sys.exit(1)
    s.listen(5); socks.append(s)
open(log, "a").write("ready %d\n" % len(socks))
end = time.time() + 120
try:
    while time.time() < end:
        r, _, _ = select.select(socks, [], [], 1)
        for s in r:
            c, _ = s.accept(); open(log, "a").write("hit\n"); c.close()
finally:
    if len(socks) > 3:
        os.unlink(xpath)
PY
listener=$!
for _ in $(seq 50); do grep -q "^ready\|^cannot" "$listen_log" && break; sleep 0.1; done
listening=$(sed -n 's/^ready //p' "$listen_log")
check "control: the host's listeners are up ($(head -1 "$listen_log"))" test -n "$listening"
x11path_bound=$([ -n "$xpath" ] && [ -S "$xpath" ] && echo 1)
no_hits() { [ "$(grep -c '^hit' "$listen_log")" = 0 ]; }
cat >"$p/attack_kernel.py" <<'PY'
import ctypes, errno, fcntl, os, pty, signal, socket, sys, termios
from attack_lib import report
bus, abstract, x11, victim = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
def sc(*a):
    def fn():
        if libc.syscall(*a) == -1:
            e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
    return fn
def connect(addr):
    def fn():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(addr); s.close()
    return fn
report("userns", sc(272, 0x10000000))
report("mountns", sc(272, 0x00020000))
report("keyring", sc(248, b"user", b"k", b"v", 1, -3))
report("keyctl", sc(250, 0, -3, 0, 0, 0))
report("iouring", sc(425, 1, ctypes.create_string_buffer(120)))
report("bpf", sc(321, 0, ctypes.create_string_buffer(128), 128))
tty = pty.openpty()[1]
report("tiocsti", lambda: fcntl.ioctl(tty, termios.TIOCSTI, b"x"))
report("tioclinux", lambda: fcntl.ioctl(tty, 0x541C, b"\x06"))
report("mount", sc(165, b"none", b"/tmp", b"tmpfs", 0, 0))
report("bus", connect(bus))
report("abstract", connect("\0" + abstract))
report("x11", connect("\0" + x11))
report("x11path", connect(x11))
report("kill", lambda: os.kill(victim, signal.SIGKILL))
report("proc", lambda: os.stat("/proc/%d" % victim))
report("ptrace", sc(101, 16, victim, 0, 0))
# A namespace's descriptor from /proc (the init, pid 1, is not dumpable:
# its ns files cannot be opened), or where path rules refuse that
# (Landlock), from pidfd_open: the filter is what is tested.
def ns_fd():
    try:
        return os.open("/proc/self/ns/mnt", os.O_RDONLY)
    except PermissionError:
        return libc.syscall(434, os.getpid(), 0)
report("setns", lambda: sc(308, ns_fd(), 0)())
# A payload run from memory: it is confined like everything else.
def memfd():
    fd = os.memfd_create("payload", 0)
    os.write(fd, b"#!/bin/sh\ncat " + sys.argv[5].encode() + b" >> loot/memfd 2>/dev/null\n")
    os.lseek(fd, 0, 0)
    r = os.spawnv(os.P_WAIT, "/proc/self/fd/%d" % fd, ["payload"])
    raise OSError(errno.EACCES, "ran, status %d" % r)
report("memfd", memfd)
PY
out=$(HOME=$H "$v/bin/python" "$p/attack_kernel.py" "$SV_TMP/run/bus" "$abstract_name" \
	"/tmp/.X11-unix/X$xdisp" "$victim" "$H/.ssh/id_ed25519" </dev/null 2>"$SV_TMP/payload.err")
# The filter answers EPERM; without it these would go through, or fail
# with another error.
want_errno=EPERM
verdict "$out" userns kernel "a nested user namespace"
verdict "$out" mountns kernel "a new mount namespace"
verdict "$out" keyring kernel "a key in the session keyring (add_key)"
verdict "$out" keyctl kernel "the caller's keyring (keyctl)"
verdict "$out" iouring kernel "io_uring_setup"
verdict "$out" bpf kernel "bpf"
verdict "$out" tiocsti kernel "TIOCSTI: typing into a terminal"
verdict "$out" tioclinux kernel "TIOCLINUX"
verdict "$out" mount kernel "mount"
verdict "$out" setns kernel "setns into another mount namespace"
want_errno=
verdict "$out" bus kernel "the D-Bus session socket" no_hits
if "$SV" --check "$v" 2>&1 | grep -q "no Landlock scopes"; then
	skip "attack[kernel] a host abstract unix socket: this kernel has no Landlock scopes"
	skip "attack[kernel] an X server's abstract socket: this kernel has no Landlock scopes"
else
	verdict "$out" abstract kernel "a host abstract unix socket" no_hits
	verdict "$out" x11 kernel "an X server's abstract socket" no_hits
fi
if [ -n "$x11path_bound" ]; then
	verdict "$out" x11path kernel "an X server's socket in /tmp/.X11-unix" no_hits
else
	skip "attack[kernel] an X server's socket in /tmp/.X11-unix: cannot make one on the host"
fi
# The same connections from the host reach every listener.
"$SV_PYTHON" -c '
import socket, sys
bus, abstract, x11, path_bound = sys.argv[1:]
for a in [bus, "\0" + abstract, "\0" + x11] + ([x11] if path_bound else []):
    s = socket.socket(socket.AF_UNIX); s.connect(a); s.close()' \
	"$SV_TMP/run/bus" "$abstract_name" "/tmp/.X11-unix/X$xdisp" "$x11path_bound"
for _ in $(seq 100); do [ "$(grep -c '^hit' "$listen_log")" -ge "${listening:-1}" ] && break; sleep 0.1; done
is "$(grep -c '^hit' "$listen_log")" "${listening:-?}" "control: from the host, every listener answers"
verdict "$out" kill kernel "SIGKILL to a host process" kill -0 "$victim"
verdict "$out" proc kernel "a host process in /proc"
verdict "$out" ptrace kernel "ptrace of a host process" kill -0 "$victim"
verdict "$out" memfd kernel "a payload run from memfd_create stays confined" no_loot memfd
kill "$victim" "$listener" 2>/dev/null
wait "$victim" "$listener" 2>/dev/null
[ -z "$x11path_bound" ] || rm -f "$xpath"
[ -z "$x11dir_made" ] || rmdir /tmp/.X11-unix 2>/dev/null

# What a sandbox writes into a venv (pip's can: the names in bin/ and the
# private bin, a script's #! line) reaches the host's terminal, in a
# wrap's notes, --check's findings and a launch's notes, only as text:
# no escape sequence moves the cursor over a finding, retitles the window
# or makes the terminal type an answer.
tv=$SV_TMP/term/.venv
mkdir -p "$SV_TMP/term"
if "$SV_PYTHON" -m venv --without-pip "$tv" >/dev/null && "$SV" "$tv" >/dev/null 2>&1; then
	evil=$(printf 'evil\033]0;OWNED\007\033[1A\033[2K\302\233x')
	printf '#!/gone/venv/bin/python\033[2K\033]0;OWNED\007\nprint(1)\n' >"$tv/.sandbox-venv/bin/$evil"
	# A raw C1 CSI after a stray byte, and a name that would start a
	# line of its own: a hint of ours, to all appearances.
	fake=$(printf 'zz\x80\x9b2K\nsandbox-venv: hint: FAKE')
	printf '#!/gone/venv/bin/python\nprint(1)\n' >"$tv/.sandbox-venv/bin/$fake"
	printf '#!/bin/sh\n' >"$tv/bin/new$(printf '\033[2K')"
	chmod 755 "$tv/.sandbox-venv/bin/$evil" "$tv/.sandbox-venv/bin/$fake" \
		"$tv/bin/new$(printf '\033[2K')"
	out=$( { "$tv/bin/python" -c pass; "$SV" "$tv"; "$SV" --check "$tv"; } 2>&1)
	# Control characters (C1 as UTF-8 too), and bytes that are not
	# UTF-8 (a raw C1 among them).
	ctl=$(printf '%s' "$out" | python3 -c 'import re, sys
d = sys.stdin.buffer.read()
n = len(re.findall(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", d))
try:
    d.decode("utf-8")
except UnicodeDecodeError:
    n += 1
print(n)')
	is "$ctl" 0 "attack[terminal] names and #! lines a sandbox chose reach the terminal with no control character"
	contains "$out" 'evil\x1b]0;OWNED\x07' "attack[terminal] ... they are shown escaped"
	is "$(printf '%s\n' "$out" | grep -c '^sandbox-venv: hint: FAKE')" 0 \
		"attack[terminal] ... and a name with a newline does not start a line of its own"
else
	skip "attack[terminal] cannot make the venv"
fi

check "no secret reached the project in any attack" no_loot
is "$(snapshot_home)" "$home_before" "the home is as it was before the attacks"
rm -f "$host_tmp_secret"
done_testing
