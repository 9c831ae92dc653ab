#!/bin/bash
# isolation.t - attacks from inside the sandbox; each must fail, and each
# would succeed if the defence named in the comment above it were removed.
. "$(dirname "$0")/lib.sh"

p=$(new_project iso --without-pip) || { ok 1 "make the test project"; done_testing; exit; }
v=$p/.venv
git -C "$p" init -q >/dev/null 2>&1 || true
cd "$p" || exit 1

# try CODE: run python CODE inside; prints "done" when it raised no OSError,
# "denied ERRNO-NAME" when it did.
try() {
	"$v/bin/python" -c '
import errno, os, sys
try:
    exec(sys.argv[1])
    print("done")
except OSError as e:
    print("denied", errno.errorcode.get(e.errno, e.errno))
' "$1" 2>&1
}

gate_sums() { sha256sum "$v"/bin/* | sort; }
gates_before=$(gate_sums)
policy_before=$(sha256sum <"$v/.sandbox-venv/policy")
cfg_before=$(sha256sum <"$v/pyvenv.cfg")

# --- the real home ------------------------------------------------------------
home=$(getent passwd "$(id -u)" | cut -d: -f6)
secret=$home/.sv-secret-$$
if [ -n "$home" ] && [ -d "$home" ] && echo "top secret" >"$secret" 2>/dev/null; then
	# defence: only selected host paths are bound; the real home is not
	out=$(try "open('$secret').read()")
	like "$out" '^denied' "the real home: a secret there cannot be read by absolute path"
	# defence: the sandbox's root is its own tmpfs, /proc/self/root leads there
	out=$(try "open('/proc/self/root$secret').read()")
	like "$out" '^denied' "the real home: not via /proc/self/root"
	# defence: pid namespace; pid 1 is the sandbox's own init
	out=$(try "open('/proc/1/root$secret').read()")
	like "$out" '^denied' "the real home: not via /proc/1/root"
	# defence: the project bind does not expose its parents
	rel=$(printf '../%.0s' 1 2 3 4 5 6 7 8 9 10 11 12)
	out=$(try "open('$rel${secret#/}').read()")
	like "$out" '^denied' "the real home: not via ../.. from the project"
	out=$(try "os.listdir('$home')")
	like "$out" '^denied' "the real home cannot be listed"
	# defence: /etc/passwd is synthesized with home = \$venv/home
	out=$("$v/bin/python" -c 'import os, pwd; print(pwd.getpwuid(os.getuid()).pw_dir, os.path.expanduser("~"))' 2>&1)
	is "$out" "$v/home $v/home" "the user's home inside is \$venv/home in passwd and ~"
	rm -f "$secret"
else
	skip "cannot write a secret into the real home '$home'"
fi

# --- read-only venv and .git ---------------------------------------------------
# defence: the private bin is mounted read-only over \$venv/bin
out=$(try "open('$v/bin/evil', 'w').write('x')")
like "$out" '^denied' "cannot create a file in \$venv/bin"
out=$(try "open('$v/bin/activate', 'a').write('echo pwned')")
like "$out" '^denied' "cannot append to \$venv/bin/activate"
# defence: the venv is bound read-only
out=$(try "open('$v/.sandbox-venv/policy', 'a').write('bwrap-arg --bind\n')")
like "$out" '^denied' "cannot append to the policy"
out=$(try "os.rename('$v/.sandbox-venv', '$v/sv-moved')")
like "$out" '^denied' "cannot rename \$venv/.sandbox-venv"
out=$(try "open('$v/pyvenv.cfg', 'a').write('home = /tmp\n')")
like "$out" '^denied' "cannot write pyvenv.cfg"
# Every file and directory of the venv except the writable home and cache.
out=$(try "
wrote = []
for root, dirs, files in os.walk('$v'):
    if root in ('$v/home', '$v/cache'):
        dirs[:] = []
        continue
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ('$v/home', '$v/cache')]
    try:
        fd = os.open(os.path.join(root, '.sv-probe'), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.close(fd)
        wrote.append(root)
    except OSError:
        pass
    for f in files:
        path = os.path.join(root, f)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK)
            os.close(fd)
            wrote.append(path)
        except OSError:
            pass
print(len(wrote), wrote[:5])
")
is "$out" "0 []
done" "no file or directory of the venv (outside home/ and cache/) is writable"

if [ -d "$p/.git" ]; then
	# defence: the project's .git is bound read-only over the writable project
	out=$(try "open('$p/.git/config', 'a').write('[core]\n\tfsmonitor = touch pwned\n')")
	like "$out" '^denied' "cannot write .git/config"
	out=$(try "open('$p/.git/hooks/pre-commit', 'w').write('#!/bin/sh\ntouch pwned\n')")
	like "$out" '^denied' "cannot plant .git/hooks/pre-commit"
	check "... and no hook appeared on the host" test ! -e "$p/.git/hooks/pre-commit"
	# defence: .git is a mount point (EBUSY), so it cannot be swapped out
	out=$(try "os.rename('$p/.git', '$p/git-moved')")
	like "$out" '^denied' "cannot rename .git"
	check ".git is still in place on the host" test -d "$p/.git" -a ! -e "$p/git-moved"
else
	skip "git init failed: .git tests"
fi
# defence: .venv is a mount point, so it cannot be swapped for a fake venv
out=$(try "os.rename('$v', '$p/venv-moved')")
like "$out" '^denied' "cannot rename .venv"
# defence: the root bwrap builds is remounted read-only, so a write outside
# the project, home, cache and /tmp fails rather than landing somewhere
out=$(try "os.makedirs('/etc/profile.d', exist_ok=True); open('/etc/profile.d/sv.sh', 'w')")
is "$out" "denied EROFS" "a write to /etc/profile.d inside fails: the sandbox's root is read-only"
check ".venv is still in place on the host" test -d "$v" -a ! -e "$p/venv-moved"

# defence: a .git planted where there was none would be run by host git;
# the launcher renames it aside when the sandbox ends (guard.c).
plant_git() {   # plant_git DIR: a repository whose fsmonitor touches DIR/pwned
	"$2/.venv/bin/python" -c '
import os, sys
d = sys.argv[1]
os.makedirs(d + "/.git/hooks"); os.makedirs(d + "/.git/objects"); os.makedirs(d + "/.git/refs")
open(d + "/.git/HEAD", "w").write("ref: refs/heads/main\n")
open(d + "/.git/config", "w").write("[core]\n\tfsmonitor = touch " + d + "/pwned\n")
print("planted")' "$1"
}
if command -v git >/dev/null && p2=$(new_project iso-nogit --without-pip); then
	err=$(plant_git "$p2" "$p2" 2>&1 >/dev/null)
	check "a .git planted where there was none is gone from the project when the sandbox ends" \
		test ! -e "$p2/.git" -a -d "$(echo "$p2"/.git.from-sandbox-*)"
	like "$err" "renamed it to '.git.from-sandbox-[0-9a-f]\{32\}'" "... and the launcher says so"
	(cd "$p2" && git status >/dev/null 2>&1)
	check "... so git on the host runs nothing of it" test ! -e "$p2/pwned"
	# The project is a sub-directory of a repository: a planted .git there
	# would take over from the real one.
	mono=$SV_TMP/mono
	mkdir -p "$mono" && git -C "$mono" init -q && mv "$p2" "$mono/pkg" && rm -rf "$mono"/pkg/.git.from-sandbox-* &&
		"$SV" "$mono/pkg/.venv" >/dev/null 2>&1
	plant_git "$mono/pkg" "$mono/pkg" >/dev/null 2>&1
	is "$(git -C "$mono/pkg" rev-parse --show-toplevel 2>&1)" "$mono" \
		"in a sub-directory of a repository, git there still finds the real repository afterwards"
	check "... and runs nothing of the planted one" test ! -e "$mono/pkg/pwned"
	# A bare repository made of the project's top.
	"$mono/pkg/.venv/bin/python" -c '
import os
os.makedirs("objects"); os.makedirs("refs"); open("HEAD", "w").write("ref: refs/heads/main\n")
open("config", "w").write("[core]\n\tbare = true\n\tfsmonitor = touch pwned\n")' 2>/dev/null
	check "a bare repository made of the project's top loses its HEAD when the sandbox ends" \
		test ! -e "$mono/pkg/HEAD" -a -e "$(echo "$mono"/pkg/HEAD.from-sandbox-*)"
else
	skip "no git or no project: planted .git tests"
fi

is "$(gate_sums)" "$gates_before" "the gates on the host are unchanged"
is "$(sha256sum <"$v/.sandbox-venv/policy")" "$policy_before" "the policy on the host is unchanged"
is "$(sha256sum <"$v/pyvenv.cfg")" "$cfg_before" "pyvenv.cfg on the host is unchanged"

# --- what the sandbox may do -------------------------------------------------------
out=$(try "open('$p/written-inside', 'w').write('hello')")
is "$out" done "the project directory is writable"
is "$(cat "$p/written-inside" 2>/dev/null)" hello "... and the file is there on the host"

# defence: /tmp is a private tmpfs
host_marker=$(mktemp /tmp/sv-host-marker.XXXXXX)
out=$("$v/bin/python" -c "import os; print(os.path.exists('$host_marker'), sorted(os.listdir('/tmp')))
open('/tmp/sv-inside-$$', 'w').write('x')" 2>&1)
# Inside, /tmp holds at most the top directory of the path to the project.
case $p in
/tmp/*) anc=${p#/tmp/}; want="['${anc%%/*}']" ;;
*) want="[]" ;;
esac
is "$out" "False $want" "/tmp inside is a fresh tmpfs: a host /tmp file is invisible"
check "a file written to /tmp inside does not reach the host /tmp" test ! -e "/tmp/sv-inside-$$"
rm -f "$host_marker" "/tmp/sv-inside-$$"

# --- environment -------------------------------------------------------------------
# defence: the environment is cleared, then filled from a fixed list
out=$(SV_TEST_TOKEN=secret "$v/bin/python" -c 'import os; print(os.environ.get("SV_TEST_TOKEN"))' 2>&1)
is "$out" None "an exported token does not reach the sandbox"
out=$(SV_TEST_TOKEN=secret SANDBOX_PASS_ENV=SV_TEST_TOKEN "$v/bin/python" -c 'import os; print(os.environ.get("SV_TEST_TOKEN"))' 2>&1)
is "$out" secret "SANDBOX_PASS_ENV=SV_TEST_TOKEN passes it"
out=$(SV_A=1 SV_B=2 SV_C=3 SANDBOX_PASS_ENV='SV_A SV_C' "$v/bin/python" -c 'import os; print(os.environ.get("SV_A"), os.environ.get("SV_B"), os.environ.get("SV_C"))' 2>&1)
is "$out" "1 None 3" "SANDBOX_PASS_ENV passes exactly the names it lists"

# --- .env ----------------------------------------------------------------------------
cat >"$p/.env" <<EOF
# a comment
KEY=value
SPACED=value with spaces # and a comment
DQ="double # not a comment"
SQ='single \$HOME \`id\`'
export EXPORTED=yes
X=\$(touch $p/pwned)
Y=\`touch $p/pwned2\`
EOF
out=$("$v/bin/python" -c '
import os
for k in "KEY SPACED DQ SQ EXPORTED X Y".split():
    print(k, os.environ.get(k))' 2>&1)
is "$out" "KEY value
SPACED value with spaces
DQ double # not a comment
SQ single \$HOME \`id\`
EXPORTED yes
X \$(touch $p/pwned)
Y \`touch $p/pwned2\`" ".env: KEY=value, quotes, export prefix and comments"
# defence: .env is parsed as data, never run by a shell
check ".env command substitution created nothing" test ! -e "$p/pwned" -a ! -e "$p/pwned2"

# Positive controls: the probes below can see a /host bind and a disabled
# filter when the caller asks for them.
out=$(BWRAP_ARGS='--ro-bind /etc /host' "$v/bin/python" -c 'import os; print(os.path.isdir("/host"))' 2>&1)
is "$out" True "control: BWRAP_ARGS from the caller does bind /host"
out=$(SANDBOX_SECCOMP_ALLOW= "$v/bin/python" -c 'print([l for l in open("/proc/self/status") if l.startswith("Seccomp:")][0].split()[1])' 2>/dev/null)
is "$out" 0 "control: SANDBOX_SECCOMP_ALLOW= from the caller disables the filter"

# defence: .env may not set sandbox policy
cat >"$p/.env" <<'EOF'
BWRAP_ARGS=--bind / /host
SANDBOX_SECCOMP_ALLOW=
VERBOSE=1
SV_OK=fine
EOF
out=$("$v/bin/python" -c '
import os
print(os.path.exists("/host"), os.environ.get("SV_OK"))
print([l for l in open("/proc/self/status") if l.startswith("Seccomp:")][0].split()[1])' 2>"$SV_TMP/err")
rc=$?
err=$(cat "$SV_TMP/err")
is "$rc:$out" "0:False fine
2" ".env BWRAP_ARGS/SANDBOX_SECCOMP_ALLOW are ignored: no /host, seccomp still filtering"
like "$err" 'BWRAP_ARGS' "... a warning names BWRAP_ARGS"
like "$err" 'SANDBOX_SECCOMP_ALLOW' "... a warning names SANDBOX_SECCOMP_ALLOW"
like "$err" 'VERBOSE' "... a warning names VERBOSE"
unlike "$err" '/usr/bin/bwrap ' "... and VERBOSE=1 from .env prints no bwrap line"

# defence: .env variables are set inside the sandbox, never on bwrap itself
if command -v cc >/dev/null 2>&1 &&
	cat >"$SV_TMP/preload.c" <<C &&
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
__attribute__((constructor)) static void note(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	int fd = open("$p/preload.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (n < 0 || fd < 0)
		return;
	exe[n] = 0;
	dprintf(fd, "%s\n", exe);
	close(fd);
}
C
	cc -shared -fPIC -o "$p/preload.so" "$SV_TMP/preload.c"; then
	printf 'LD_PRELOAD=%s\n' "$p/preload.so" >"$p/.env"
	rm -f "$p/preload.log"
	out=$("$v/bin/python" -c 'import os; print(os.environ.get("LD_PRELOAD"))' 2>&1)
	is "$out" "$p/preload.so" "LD_PRELOAD from .env reaches the sandboxed program"
	log=$(cat "$p/preload.log" 2>/dev/null)
	like "$log" 'python' "... and is loaded into it"
	unlike "$log" 'bwrap' "... but never into bwrap on the host"
else
	skip "no cc: LD_PRELOAD library"
fi
printf 'LD_PRELOAD=/nonexistent.so\n' >"$p/.env"
out=$("$v/bin/python" -c 'import os; print(os.environ.get("LD_PRELOAD"))' 2>"$SV_TMP/err")
rc=$?
is "$rc:$out" "0:/nonexistent.so" "LD_PRELOAD=/nonexistent.so in .env: the launch works and the program sees it"
is "$(grep -c 'nonexistent.so' "$SV_TMP/err")" 1 "... only the sandboxed program's loader complains (not bwrap's)"

# defence: .env is opened without following symlinks
echo "SV_LEAK=leaked-from-outside" >"$SV_TMP/outside.env"
rm -f "$p/.env"
ln -s "$SV_TMP/outside.env" "$p/.env"
out=$("$v/bin/python" -c 'import os; print(os.environ.get("SV_LEAK"))' 2>"$SV_TMP/err")
rc=$?
err=$(cat "$SV_TMP/err")
is "$rc:$out" "0:None" "a .env symlink is not followed: the launch goes on without it"
like "$err" "ignoring '.*/\.env': not a regular file" "... with a warning about .env"
unlike "$out" 'leaked' "... and the target's content never reaches the sandbox"
rm -f "$p/.env"
# A FIFO there would block a launch that opened it to read; a directory
# cannot be read: both are said and left out.
mkfifo "$p/.env"
out=$(timeout 20 "$v/bin/python" -c 'print("ran")' 2>"$SV_TMP/err")
is "$?:$out" "0:ran" "a FIFO named .env does not stop or block a launch"
like "$(cat "$SV_TMP/err")" "ignoring '.*/\.env'" "... and is said"
rm -f "$p/.env"

# --- namespaces -----------------------------------------------------------------------
# defence: a new pid namespace
sleep 60 &
sleeper=$!
out=$("$v/bin/python" -c "
import os
pids = [d for d in os.listdir('/proc') if d.isdigit()]
print(len(pids) <= 4, os.path.exists('/proc/$sleeper'))" 2>&1)
is "$out" "True False" "only the sandbox's few pids are visible, not host processes"
kill "$sleeper" 2>/dev/null
wait "$sleeper" 2>/dev/null

# defence: nested user namespaces are blocked (--disable-userns / seccomp)
probe='import ctypes; print(ctypes.CDLL(None).unshare(0x10000000))'
host=$("$SV_PYTHON" -c "$probe" 2>&1)
out=$("$v/bin/python" -c "$probe" 2>&1)
is "$out" -1 "unshare(CLONE_NEWUSER) fails inside (on the host it gives $host)"

done_testing
