#!/bin/bash
# pip.t - installing into a wrapped venv: gates follow the entry points, and
# install-time code cannot touch what the host executes or trusts.
. "$(dirname "$0")/lib.sh"

marker=$gate_marker
pip_opts=(--no-index --no-build-isolation --disable-pip-version-check -q)

p=$(new_project pip) || { ok 1 "make the test project"; done_testing; exit; }
v=$p/.venv
cd "$p" || exit 1

# --- console scripts get gates, and lose them --------------------------------
make_package "$p/pkg-hello" svhello sv-hello
"$v/bin/pip" install "${pip_opts[@]}" ./pkg-hello >"$SV_TMP/pip.out" 2>&1
ok $? "pip install of a local setup.py package succeeds"
[ -s "$SV_TMP/pip.out" ] && grep -v DEPRECATION "$SV_TMP/pip.out" | sed 's/^/#   /' | head -5
check "its console script got a gate in bin/" is_gate "$v/bin/sv-hello"
check "the real script is in the private bin" grep -q svhello "$v/.sandbox-venv/bin/sv-hello"
out=$("$v/bin/sv-hello" 2>&1)
like "$out" "^sv-hello $v/bin/python" "the console script runs inside"
"$v/bin/pip" uninstall -y -q svhello >"$SV_TMP/pip.out" 2>&1
ok $? "pip uninstall succeeds"
check "pip uninstall removed the gate" test ! -e "$v/bin/sv-hello"
check "... and the real script" test ! -e "$v/.sandbox-venv/bin/sv-hello"

make_package "$p/pkg-hello2" svhello2 sv-hello2
"$v/bin/python" -m pip install "${pip_opts[@]}" ./pkg-hello2 >"$SV_TMP/pip.out" 2>&1
ok $? "python -m pip install succeeds"
check "python -m pip install also gates the new console script" is_gate "$v/bin/sv-hello2"
out=$("$v/bin/sv-hello2" 2>&1)
like "$out" "^sv-hello2 $v/bin/python" "... which runs inside"
"$v/bin/pip3" uninstall -y -q svhello2 >/dev/null 2>&1
check "pip3 uninstall removes that gate" test ! -e "$v/bin/sv-hello2"

# --- install-time code attacks the host side -----------------------------------
gate_sums() { (cd "$v/bin" && sha256sum "$@"); }
gates=$(cd "$v/bin" && ls)
sums_before=$(gate_sums $gates)
policy_before=$(sha256sum <"$v/.sandbox-venv/policy")
libs_before=$(sha256sum <"$v/.sandbox-venv/libs")
cfg_before=$(sha256sum <"$v/pyvenv.cfg")
mkdir -p "$SV_TMP/outside-cache"

mkdir -p "$p/pkg-evil"
make_package "$p/pkg-evil" svevil sv-evil "
import ctypes, os
V = '$v'
log = open('$p/attack.log', 'a')
def attempt(what, fn):
    try:
        fn()
        log.write('done %s\n' % what)
    except Exception as e:
        log.write('denied %s: %r\n' % (what, e))
def append(path, text='\n# pwned\n'):
    with open(path, 'a') as f:
        f.write(text)
# Inside, \$venv/bin is the private bin: writing there is allowed.
attempt('append private bin/pip', lambda: append(V + '/bin/pip'))
# Every way to the host gate that comes to mind.
for path in ['/proc/self/root' + V + '/bin/pip', '/proc/1/root' + V + '/bin/pip',
             V + '/../.venv/bin/pip', V + '/home/../bin/pip',
             '/proc/self/cwd/.venv/bin/pip', V + '/bin/shell', V + '/bin/activate']:
    attempt('append ' + path, lambda path=path: append(path))
libc = ctypes.CDLL(None, use_errno=True)
def umount_then_write(target):
    if libc.umount2(target.encode(), 2) != 0:
        raise OSError(ctypes.get_errno(), 'umount2 ' + target)
    append(V + '/bin/pip')
attempt('umount bin', lambda: umount_then_write(V + '/bin'))
# Directory fds leaked into the sandbox would lead to the host bin/.
for fd in os.listdir('/proc/self/fd'):
    attempt('open via fd ' + fd, lambda fd=fd: os.close(os.open('pip', os.O_WRONLY | os.O_APPEND, dir_fd=int(fd))))
attempt('append policy', lambda: append(V + '/.sandbox-venv/policy', 'bwrap-arg --bind\n'))
attempt('append libs', lambda: append(V + '/.sandbox-venv/libs', '/ /\n'))
attempt('write private bin directly', lambda: append(V + '/.sandbox-venv/bin/pip'))
attempt('rename .sandbox-venv', lambda: os.rename(V + '/.sandbox-venv', V + '/sv-old'))
attempt('write pyvenv.cfg', lambda: append(V + '/pyvenv.cfg', 'home = /\n'))
attempt('replace pyvenv.cfg', lambda: (open(V + '/cfg.new', 'w').write('home = /\n'), os.rename(V + '/cfg.new', V + '/pyvenv.cfg')))
def swap_home():
    os.rename(V + '/home', V + '/home.old')
    os.symlink('/', V + '/home')
attempt('swap home for a symlink to /', swap_home)
def swap_cache():
    os.rename(V + '/cache', V + '/cache.old')
    os.symlink('/', V + '/cache')
attempt('swap cache for a symlink to /', swap_cache)
def swap_dotcache():
    os.unlink(V + '/home/.cache')
    os.symlink('$SV_TMP/outside-cache', V + '/home/.cache')
attempt('point home/.cache outside', swap_dotcache)
log.close()
"
"$v/bin/pip" install "${pip_opts[@]}" ./pkg-evil >"$SV_TMP/pip.out" 2>&1
ok $? "pip install of the attacking package completes"
grep '^done' "$p/attack.log" 2>/dev/null | sort -u | sed 's/^/# attack log: /'
check "the attack code did run at install time" grep -q 'append private bin/pip' "$p/attack.log"
like "$(cat "$p/attack.log")" '^done append private bin/pip' "control: \$venv/bin inside pip's sandbox is writable (the private bin)"

is "$(gate_sums $gates)" "$sums_before" "every gate in bin/ on the host is unchanged"
is "$(sha256sum <"$v/.sandbox-venv/policy")" "$policy_before" "the policy is unchanged"
is "$(sha256sum <"$v/.sandbox-venv/libs")" "$libs_before" "the library cache is unchanged"
is "$(sha256sum <"$v/pyvenv.cfg")" "$cfg_before" "pyvenv.cfg is unchanged"
check "\$venv/home is still a directory, not a symlink" test -d "$v/home" -a ! -L "$v/home"
check "\$venv/cache is still a directory, not a symlink" test -d "$v/cache" -a ! -L "$v/cache"
check "\$venv/.sandbox-venv is in place" test -d "$v/.sandbox-venv" -a ! -e "$v/sv-old"
check "the new console script got a gate" is_gate "$v/bin/sv-evil"

# Whatever the attack left behind, launches still see only the sandbox.
out=$("$v/bin/python" -c '
import os
h = os.path.expanduser("~")
print(h, os.path.exists("/root/.bashrc") or os.path.exists(h + "/etc/passwd"))
try:
    open(h + "/.cache/probe", "w").write("x")
except OSError:
    pass' 2>&1)
is "$out" "$v/home False" "after the attack, HOME is still \$venv/home and nothing of / leaks in"
check "writes to ~/.cache never reach a host directory outside" test ! -e "$SV_TMP/outside-cache/probe"

# --- console scripts with the names of host-side files --------------------------
act_before=$(sha256sum <"$v/bin/activate")
fish_before=$(sha256sum <"$v/bin/activate.fish")
shell_before=$(sha256sum <"$v/bin/shell")
mkdir -p "$p/pkg-names/svnames"
cat >"$p/pkg-names/setup.py" <<'PY'
from setuptools import setup
setup(name="svnames", version="1.0", packages=["svnames"],
      entry_points={"console_scripts": [
          "activate = svnames:main", "shell = svnames:main",
          "deactivate = svnames:main", "activate.fish = svnames:main"]})
PY
printf 'def main():\n    print("pwned")\n' >"$p/pkg-names/svnames/__init__.py"
"$v/bin/pip" install "${pip_opts[@]}" ./pkg-names >"$SV_TMP/pip.out" 2>&1
echo "# pip install of svnames exited with $?"
# defence: activate* and shell on the host are written only by sandbox-venv
is "$(sha256sum <"$v/bin/activate")" "$act_before" "a console script named activate does not replace the host's activate"
is "$(sha256sum <"$v/bin/shell")" "$shell_before" "a console script named shell does not replace the shell gate"
is "$(sha256sum <"$v/bin/activate.fish")" "$fish_before" "... nor activate.fish"
check "no host gate named deactivate" test ! -e "$v/bin/deactivate"
out=$("$v/bin/shell" -c 'echo inside-shell' 2>&1)
is "$out" inside-shell "bin/shell still opens the sandbox shell"
check "activate is still not a gate" sh -c "! grep -qF 'sandbox-venv gate' '$v/bin/activate'"

# --- a wheel from outside the project, with an explicit bind ----------------------
whl=$(ls /usr/share/python-wheels/wheel-*.whl 2>/dev/null | head -1)
if [ -n "$whl" ]; then
	BWRAP_ARGS='--ro-bind /usr/share/python-wheels /usr/share/python-wheels' \
		"$v/bin/pip" install "${pip_opts[@]}" "$whl" >"$SV_TMP/pip.out" 2>&1
	ok $? "pip installs wheel from /usr/share/python-wheels with a BWRAP_ARGS bind"
	check "the wheel console script got a gate" is_gate "$v/bin/wheel"
	out=$("$v/bin/wheel" version 2>&1)
	like "$out" '^wheel ' "the wheel gate runs"
	check "/usr/share/python-wheels cannot be listed without the bind" \
		"$v/bin/python" -c '
import os, sys
try:
    os.listdir("/usr/share/python-wheels")
except OSError:
    sys.exit(0)
sys.exit(1)'
else
	skip "no wheel in /usr/share/python-wheels"
fi

done_testing
