#!/bin/bash
# config.t - configuration that does what the user said (issue 12): one or
# more tests per item of the issue, labelled config[N], judged on behaviour.
# Items about the documents (17) are tested by tests/docs.t, and those about
# the source tree (17, 20) read it where it is found (see find_src below).
. "$(dirname "$0")/lib.sh"
case $SV in /*) ;; *) SV=$PWD/$SV ;; esac   # it is run from other directories

# Nothing of the caller's configuration decides what is tested here.
for _v in $(compgen -e); do
	case $_v in PIP_* | SANDBOX_* | BWRAP_ARGS | VERBOSE | VIRTUAL_ENV) unset "$_v" ;; esac
done
unset _v
export VIRTUALENV_OVERRIDE_APP_DATA=$SV_TMP/virtualenv-app-data
pyver=$("$SV_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
cd "$SV_TMP" || exit 1

# run DIR COMMAND...: run it there; sets $out, $err and $rc.
run() {
	local dir=$1
	shift
	(cd "$dir" && timeout 60 "$@") >"$SV_TMP/run.out" 2>"$SV_TMP/run.err" </dev/null
	rc=$?
	out=$(cat "$SV_TMP/run.out")
	err=$(cat "$SV_TMP/run.err")
}



# The recorded options, as --show prints them.
show_options() { "$SV" --show "$1" 2>/dev/null | grep '^option '; }

# A venv's files as a fingerprint, to prove nothing was written.
snapshot() { (cd "$1" && find . -printf '%p %y %m %s %T@\n' | sort | sha256sum); }

src=$(find_src)

# A host server on the loopback: reachable from a sandbox sharing the
# network, not from one with --unshare-net.
"$SV_PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
time.sleep(120)' >"$SV_TMP/port" &
server=$!
made_etc=0
# lib.sh's own EXIT trap (removing the SV_TMP it made), kept.
lib_trap=$(trap -p EXIT | sed "s/^trap -- '//; s/' EXIT\$//")
cleanup() {
	kill "$server" 2>/dev/null
	[ "$made_etc" -eq 1 ] && rm -f /etc/pip.conf && made_etc=0
	eval "$lib_trap"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -s "$SV_TMP/port" ] && break; sleep 0.1; done
port=$(cat "$SV_TMP/port")
reach='
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3).close()
    print("reached")
except OSError as e:
    print("unreachable", e.errno)'

# === 1. re-running keeps what is recorded; --reset; --show ====================
p=$SV_TMP/p1
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
run "$p" "$SV" .venv
run "$p" .venv/bin/python -c "$reach" "$port"
is "$out" reached "config[1] a host loopback server is reachable from a sandbox sharing the network"
run "$p" "$SV" .venv --unshare-net
is "$rc" 0 "config[1] sandbox-venv .venv --unshare-net records it"
run "$p" .venv/bin/python -c "$reach" "$port"
like "$out" '^unreachable' "config[1] ... and the host server is unreachable inside"
run "$p" "$SV" .venv
is "$rc" 0 "config[1] re-running sandbox-venv .venv (as the move hint says) succeeds"
run "$p" .venv/bin/python -c "$reach" "$port"
like "$out" '^unreachable' "config[1] ... and keeps --unshare-net: the host server stays unreachable"
run "$p" "$SV" --show .venv
is "$rc" 0 "config[1] --show .venv succeeds"
like "$out" "^venv  *$p/.venv\$" "config[1] --show prints the venv"
like "$out" "^project  *$p\$" "config[1] --show prints the project"
like "$out" "^python  */" "config[1] --show prints the base python"
is "$(show_options "$p/.venv")" "option   --unshare-net" "config[1] --show prints the recorded option, one per line"
run "$p" "$SV" .venv --unshare-net --setenv GREETING 'hello world'
is "$(show_options "$p/.venv")" "option   --unshare-net
option   --setenv GREETING 'hello world'" \
	"config[1] options given are added, one already recorded is not added twice, and --show quotes them"
run "$p" .venv/bin/python -c 'import os; print(os.environ.get("GREETING"))'
is "$out" "hello world" "config[1] ... and both reach the launch"
run "$p" "$SV" --reset .venv --uid 0
is "$(show_options "$p/.venv")" "option   --uid 0" "config[1] --reset with options replaces the recorded ones"
run "$p" "$SV" --reset .venv --chmod 0755 /no/such/path
is "$rc:$(show_options "$p/.venv")" "1:option   --uid 0" "config[1] a --reset whose options bwrap refuses changes nothing"
run "$p" "$SV" --reset .venv
is "$rc" 0 "config[1] --reset alone succeeds"
is "$(show_options "$p/.venv")" "option   (none recorded)" "config[1] --reset alone clears them: --show says none recorded"
run "$p" .venv/bin/python -c "$reach" "$port"
is "$out" reached "config[1] ... and the network is shared again"

# === 2. options probed in the layout of a real launch; bwrap's own words ======
p=$SV_TMP/p2
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
run "$p" "$SV" .venv
run "$p" "$SV" .venv --ro-bind /etc/os-release /data/os-release
is "$rc" 0 "config[2] --ro-bind /etc/os-release /data/os-release (a path only the sandbox has) is recorded"
[ "$rc" -eq 0 ] || printf '%s\n' "$err" | sed 's/^/#   /'
run "$p" .venv/bin/python -c 'print(open("/data/os-release").readline().strip())'
is "$out" "$(head -n 1 /etc/os-release)" "config[2] ... and /data/os-release is readable inside"
shown=$(show_options "$p/.venv")
run "$p" "$SV" .venv --chmod 0755 /no/such/path
is "$rc" 1 "config[2] an option bwrap refuses in that layout (--chmod of a missing path) fails the wrap"
like "$err" 'bwrap.*: .*[^ ]' "config[2] ... with bwrap's own words after the colon, not an empty reason"
contains "$err" "/no/such/path" "config[2] ... which name the path"
is "$(show_options "$p/.venv")" "$shown" "config[2] ... and nothing is recorded"

# === 3. each option's arguments checked; plumbing options refused =============
run "$p" "$SV" .venv --setenv X
is "$rc" 1 "config[3] --setenv X (one argument): an error"
like "$err" '--setenv.*needs 2 arguments' "config[3] ... naming --setenv and that it needs 2 arguments"
for opt in "--info-fd 3" "--args 3" "--seccomp 3" "--userns 3" "--as-pid-1" "--block-fd 3" "--clearenv"; do
	# shellcheck disable=SC2086 # the option and its argument
	run "$p" "$SV" .venv $opt
	ok "$([ "$rc" -ne 0 ] && printf '%s\n' "$err" | grep -qF -e "${opt%% *} is refused"; echo $?)" \
		"config[3] sandbox-venv .venv $opt is refused, naming the option (\"${opt%% *} is refused\")"
done
run "$p" "$SV" .venv --unshare-net oops
is "$rc" 1 "config[3] --unshare-net oops: an error"
contains "$err" "'oops'" "config[3] ... naming 'oops'"
is "$(show_options "$p/.venv")" "$shown" "config[3] after these errors nothing new is recorded (--show)"
run "$p" env BWRAP_ARGS='--setenv ONLYNAME' .venv/bin/python -c 'print("ran")'
ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ]; echo $?)" "config[3] BWRAP_ARGS='--setenv ONLYNAME': the launch fails before the program runs"
like "$err" 'BWRAP_ARGS.*--setenv needs 2 arguments' "config[3] ... naming BWRAP_ARGS and --setenv"
run "$p" env BWRAP_ARGS='--info-fd 3' .venv/bin/python -c 'print("ran")'
ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ]; echo $?)" "config[3] BWRAP_ARGS='--info-fd 3': the launch fails before the program runs"
contains "$err" "--info-fd is refused" "config[3] ... naming --info-fd"
# A second /proc, or the host's writable, would give a caller running as
# root the kernel's tunables (an outside attack: --proc /proc looked
# harmless, and was recorded); the host's read-only is fine.
for opt in "--proc /proc" "--proc /var/tmp/p2" "--bind /proc/sys /proc/sys" "--bind /proc /hostproc" \
	"--dev-bind /proc/./sys /s" "--bind-try /proc/../proc/sys /s"; do
	# shellcheck disable=SC2086 # the option and its arguments
	run "$p" "$SV" .venv $opt
	ok "$([ "$rc" -ne 0 ] && printf '%s\n' "$err" | grep -qF -e "${opt%% *}" && printf '%s\n' "$err" | grep -qF "is refused"; echo $?)" \
		"config[3] sandbox-venv .venv $opt is refused, and says why"
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "is refused"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': refused before the program runs"
done
# Nor may an option mount at or in the sandbox's /proc, which comes after
# them (pid 1 is run from there, run.c).
for opt in "--symlink /tmp /proc" "--bind $p /proc" "--tmpfs /proc/x" "--ro-bind /usr /proc/./usr"; do
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "/proc is the sandbox's own"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': refused, /proc is the sandbox's own"
done
# A writable bind of a kernel file system, reached any way, or of a tree
# with one mounted in it (an outside attack: a symlink to /proc, /sys).
ln -sfn /proc "$SV_TMP/to-proc"
for opt in "--bind $SV_TMP/to-proc/sys /mnt/x" "--bind /dev/fd/../../sys /mnt/x" "--bind /sys /mnt/sys" \
	"--dev-bind /sys/kernel /mnt/k"; do
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "a kernel file system"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': refused, a kernel file system"
done
if [ "$(id -u)" -eq 0 ] && mkdir -p "$SV_TMP/chroot/proc" && mount -t proc proc "$SV_TMP/chroot/proc" 2>/dev/null; then
	run "$p" env BWRAP_ARGS="--bind $SV_TMP/chroot /chroot" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "chroot/proc (proc)"; echo $?)" \
		"config[3] a writable bind of a directory with a /proc mounted in it (a build chroot): refused"
	umount "$SV_TMP/chroot/proc"
else
	skip "config[3] a writable bind of a directory with a /proc mounted in it: mounting one takes root (the root pass runs it)"
fi
for opt in "--bind /dev /mnt/dev" "--bind /dev/pts /mnt/pts"; do
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "kernel file system"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': refused, a directory of device nodes (a third outside attack: root chmods the host's nodes)"
done
run "$p" env BWRAP_ARGS="--dev-bind /dev/null /mnt/null" .venv/bin/python -c 'print(open("/mnt/null").read() == "")'
is "$out" "True" "config[3] BWRAP_ARGS='--dev-bind /dev/null ...': a device node alone is fine (NVIDIA's devices)"
# Where an option mounts, makes or changes something: not inside what
# sandboxes write and keep (the project, the venv, a writable bind of
# yours before it): a sandbox can leave a symlink on the way, and bwrap
# follows it (a third outside attack: a recorded --bind to
# PROJECT/build/scratch, build swapped for a link, mounted the scratch
# directory as the sandbox's root, and pid 1 was the sandbox's).
mkdir -p "$SV_TMP/scratch"
for opt in "--bind $SV_TMP/scratch $p/build/scratch" "--ro-bind /usr/share $p/share" "--chmod 0755 $p/x.sh" \
	"--dir $p/.venv/d" "--bind $SV_TMP/scratch /mnt/s --ro-bind /usr/share /mnt/s/share" "--ro-bind $SV_TMP/scratch /"; do
	run "$p" "$SV" .venv $opt
	ok "$([ "$rc" -ne 0 ] && printf '%s\n' "$err" | grep -qF "is refused"; echo $?)" \
		"config[3] sandbox-venv .venv $opt is refused, and says why"
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "is refused"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': refused before the program runs"
done
# Another wrapped project is written by its own sandboxes (a fourth
# outside attack: its sandbox turned dist into a link to a venv's bin/,
# and a --bind of dist here made that writable; a --dir there, through a
# link to /oldroot, made a directory on the host as root).
o=$SV_TMP/other-proj
mkdir -p "$o/dist"
"$SV_PYTHON" -m venv --without-pip "$o/.venv" && "$SV" "$o/.venv" >/dev/null 2>&1
run "$p" env BWRAP_ARGS="--bind $o/dist /wheels" .venv/bin/python -c 'import os; print(os.path.isdir("/wheels"))'
is "$out" "True" "config[3] a bind of a directory of another wrapped project works"
rmdir "$o/dist" && ln -s "$o/.venv" "$o/dist"
for opt in "--bind $o/dist /wheels" "--ro-bind $o/dist /wheels"; do
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "a symlink is on the way, in '$o'"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt', dist now a link its sandbox could have made: refused, not followed"
done
# A place BWRAP_ARGS binds writable is remembered as one this venv's
# sandboxes write, through later wraps too: another venv's bind below it
# follows no link planted there (a fifth outside attack wrote into /root
# through such a link).
mkdir -p "$SV_TMP/shared/sub"
run "$p" env BWRAP_ARGS="--bind $SV_TMP/shared /mnt/shared" .venv/bin/python -c '
import os; os.rename("/mnt/shared/sub", "/mnt/shared/sub.old"); os.symlink("/etc", "/mnt/shared/sub"); print("planted")'
is "$out" "planted" "config[3] a sandbox with BWRAP_ARGS='--bind SHARED ...' plants a link in SHARED"
"$SV" "$p/.venv" >/dev/null 2>&1
for opt in "--bind $SV_TMP/shared/sub /mnt/sub" "--ro-bind $SV_TMP/shared/sub /mnt/sub"; do
	run "$o" env BWRAP_ARGS="$opt" .venv/bin/python -c 'import os; print(os.listdir("/mnt/sub")[:1])'
	# (refused where the link is found: on the way from the place, or,
	# for a writable bind, where it leads, now a place sandboxes write)
	ok "$([ "$rc" -ne 0 ] && [ -z "$out" ] &&
		printf '%s\n' "$err" | grep -qE "a symlink is on the way, in '$SV_TMP/shared'|where sandboxes can write"; echo $?)" \
		"config[3] ... after a re-wrap, another venv's BWRAP_ARGS='$opt' is refused, the link not followed"
done
# sandbox-venv's own state (the list every check reads, the key of the
# seals) is in no bind, read-only or not, by any path (a sixth outside
# attack rewrote the list through --bind ~/.local/state, and read the key).
st=$(getent passwd "$(id -u)" | cut -d: -f6)/.local/state
for opt in "--ro-bind $st /mnt/s" "--bind $(dirname "$st") /mnt/l" "--ro-bind $st/sandbox-venv/venvs /mnt/v" \
	"--ro-bind $(dirname "$(dirname "$st")") /mnt/home"; do
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "sandbox-venv's state"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': refused, it holds or lies in sandbox-venv's state"
done
# A writable bind of a repository of the user's own, recorded: its .git
# is the user's to share (it became one of this venv's places when
# recorded; that does not stop the next launch).
mkdir -p "$SV_TMP/ownrepo" && git -C "$SV_TMP/ownrepo" init -q 2>/dev/null
"$SV" "$o/.venv" --bind "$SV_TMP/ownrepo" /mnt/repo >/dev/null 2>&1
run "$o" .venv/bin/python -c 'import os; print(os.path.isdir("/mnt/repo/.git"))'
is "$out" "True" "config[3] a recorded writable bind of a repository of yours: the launches after the wrap work"
"$SV" --reset "$o/.venv" >/dev/null 2>&1
# Writable, another project or its venv would let this sandbox rewrite
# that venv's gates, which run on the host (a fifth outside attack).
for opt in "--bind $o /mnt/o" "--bind $o/.venv/bin /mnt/b" "--bind $(dirname "$o") /mnt/all"; do
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qE "a wrapped venv or a project's repository|holds the venv or .git"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': a writable bind holding, or in, another wrapped venv is refused"
done
run "$p" env BWRAP_ARGS="--bind $o/.venv/home /mnt/h" .venv/bin/python -c 'import os; print(os.path.isdir("/mnt/h"))'
is "$out" "True" "config[3] ... its home is fine (its sandboxes write it anyway)"
for opt in "--dir $o/build/cache" "--ro-bind $o $o --chmod 0755 $o/notes.txt" "--ro-bind $o /mnt/o --dir /mnt/o/build/x"; do
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "is refused"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': a path inside another project (or bound from one) is refused"
done
for opt in "--symlink .. /tmp/up" "--symlink /newroot/x /tmp/y" "--symlink ../proc /tmp/p" \
	"--symlink ../tmp /mnt/a --symlink a/.. /mnt/r" "--symlink ../tmp /mnt/a --tmpfs /mnt/a/../r"; do
	run "$p" env BWRAP_ARGS="$opt" .venv/bin/python -c 'print("ran")'
	ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ] && printf '%s\n' "$err" | grep -qF "is refused"; echo $?)" \
		"config[3] BWRAP_ARGS='$opt': a link to / or bwrap's roots is refused (a later path through it could reach /proc)"
done
run "$p" env BWRAP_ARGS="--bind $SV_TMP/scratch /mnt/s --tmpfs /mnt/t --ro-bind /usr/share /mnt/t/share --symlink /usr/lib /tmp/lib" \
	.venv/bin/python -c 'import os; print(os.path.isdir("/mnt/s"), os.path.isdir("/mnt/t/share"), os.path.isdir("/tmp/lib"))'
is "$out" "True True True" "config[3] binds outside what sandboxes write, into a tmpfs of yours, and other links are fine"
is "$(show_options "$p/.venv")" "$shown" "config[3] after the refused destinations nothing new is recorded (--show)"
run "$p" env BWRAP_ARGS="--ro-bind /sys/kernel /mnt/k" .venv/bin/python -c 'import os; print(os.path.isdir("/mnt/k"))'
is "$out" "True" "config[3] BWRAP_ARGS='--ro-bind /sys/kernel ...': a kernel file system read-only is allowed"
run "$p" env BWRAP_ARGS="--ro-bind /proc/cpuinfo /tmp/cpuinfo" .venv/bin/python -c 'print(open("/tmp/cpuinfo").read(9))'
is "$out" "processor" "config[3] BWRAP_ARGS='--ro-bind /proc/cpuinfo ...': the host's /proc read-only is allowed"
is "$(show_options "$p/.venv")" "$shown" "config[3] after the refused /proc options nothing new is recorded (--show)"

# === 4. relative host paths recorded as absolute ==============================
p=$SV_TMP/p4
mkdir -p "$p/sub" "$p/other" "$SV_TMP/other"
echo sibling >"$SV_TMP/other/f"
echo decoy >"$p/other/f"   # what ../other means from sub/
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
run "$p" "$SV" .venv --ro-bind ../other /other
is "$rc" 0 "config[4] --ro-bind ../other /other from the project is recorded"
is "$(show_options "$p/.venv")" "option   --ro-bind $SV_TMP/other /other" \
	"config[4] ... as an absolute path (--show)"
run "$p/sub" ../.venv/bin/python -c 'print(open("/other/f").read().strip())'
is "$out" sibling "config[4] ... and a launch from a sub-directory binds the project's sibling, not sub/../other"

# === 5. a typo in our own options =============================================
p=$SV_TMP/p5
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
before=$(snapshot "$p")
for typo in --hlep "--projcet ." -x; do
	# shellcheck disable=SC2086 # the option and its argument
	run "$p" "$SV" $typo
	is "$rc" 2 "config[5] sandbox-venv $typo: exit 2"
	contains "$err" "unknown option '${typo%% *}'" "config[5] ... says unknown option '${typo%% *}'"
	like "$err" '^Usage: sandbox-venv ' "config[5] ... and shows the usage line"
done
is "$(snapshot "$p")" "$before" "config[5] ... and nothing was written"

# === 6. pip launches get the caller's pip configuration, others do not ========
# A venv with pip: virtualenv's (fast, offline) when it is there.
have_virtualenv=0
"$SV_PYTHON" -m virtualenv --version >/dev/null 2>&1 && have_virtualenv=1
pp=$SV_TMP/pp
mkdir -p "$pp"
if [ "$have_virtualenv" -eq 1 ]; then
	"$SV_PYTHON" -m virtualenv -q --no-periodic-update "$pp/.venv" >/dev/null 2>&1
else
	"$SV_PYTHON" -m venv "$pp/.venv" >/dev/null 2>&1
fi
run "$pp" "$SV" .venv
if [ "$rc" -ne 0 ]; then
	ok 1 "config[6] wrap a venv with pip"
	printf '%s\n' "$err" | sed 's/^/#   /'
fi
pv=$pp/.venv
make_package "$pp/pkg" svcfg sv-cfg
pip_opts=(--no-index --no-build-isolation --disable-pip-version-check -q)

H=$SV_TMP/home-xdg        # ~/.config/pip/pip.conf only
mkdir -p "$H/.config/pip"
printf '[global]\nindex-url = http://xdg.invalid/simple\n' >"$H/.config/pip/pip.conf"
H2=$SV_TMP/home-legacy    # ~/.pip/pip.conf only
mkdir -p "$H2/.pip"
printf '[global]\ntimeout = 77\n' >"$H2/.pip/pip.conf"
H3=$SV_TMP/home-both      # both, as pip reads them on the host: the newer wins
mkdir -p "$H3/.config/pip" "$H3/.pip"
cp "$H/.config/pip/pip.conf" "$H3/.config/pip/"
printf '[global]\ntimeout = 77\nindex-url = http://legacy.invalid/simple\n' >"$H3/.pip/pip.conf"
printf '[install]\nno-compile = yes\n' >"$SV_TMP/pip-config-file.conf"

run "$pp" env PIP_INDEX_URL=http://example.invalid/simple .venv/bin/pip config list
contains "$out" ":env:.index-url='http://example.invalid/simple'" \
	"config[6] pip gets the caller's PIP_INDEX_URL (pip config list)"
run "$pp" env PIP_INDEX_URL=http://example.invalid/simple .venv/bin/python -m pip config list
contains "$out" ":env:.index-url='http://example.invalid/simple'" "config[6] ... and so does python -m pip"
run "$pp" env HOME="$H" .venv/bin/pip config list
contains "$out" "global.index-url='http://xdg.invalid/simple'" "config[6] pip reads the caller's ~/.config/pip/pip.conf (of \$HOME)"
run "$pp" env HOME="$H2" .venv/bin/pip config list
contains "$out" "global.timeout='77'" "config[6] pip reads the caller's ~/.pip/pip.conf"
host=$(cd "$pp" && env HOME="$H3" "$SV_PYTHON" -m pip config list 2>/dev/null | grep index-url)
run "$pp" env HOME="$H3" .venv/bin/pip config list
is "$(printf '%s\n' "$out" | grep index-url)" "$host" \
	"config[6] with both user files, pip inside reads ~/.config/pip/pip.conf too, as on the host (the newer file wins)"
contains "$out" "global.timeout='77'" "config[6] ... and ~/.pip/pip.conf"
run "$pp" env PIP_CONFIG_FILE="$SV_TMP/pip-config-file.conf" .venv/bin/pip config list
contains "$out" "install.no-compile='yes'" "config[6] pip reads the file PIP_CONFIG_FILE names"
# What pip runs (a setup.py) sees the configuration, read-only.
mkdir -p "$pp/probe"
cat >"$pp/probe/setup.py" <<PY
import os
with open("$pp/probe.log", "w") as log:
    log.write("index %s\n" % os.environ.get("PIP_INDEX_URL"))
    for name in ("PIP_CONFIG_FILE", "XDG_CONFIG_HOME"):
        path = os.environ.get(name, "")
        if name == "XDG_CONFIG_HOME":
            path = os.path.join(path, "pip", "pip.conf")
        try:
            open(path, "a").close()
            log.write("%s writable\n" % name)
        except OSError as e:
            log.write("%s %s\n" % (name, "read-only" if e.errno == 30 else e.strerror))
raise SystemExit("probe done")
PY
conf_sums=$(cat "$SV_TMP/pip-config-file.conf" "$H/.config/pip/pip.conf" | sha256sum)
run "$pp" env HOME="$H" PIP_INDEX_URL=http://example.invalid/simple \
	.venv/bin/pip install "${pip_opts[@]}" ./probe
is "$(sed -n '1p;3p' "$pp/probe.log" 2>/dev/null)" "index http://example.invalid/simple
XDG_CONFIG_HOME read-only" \
	"config[6] what pip runs (setup.py) sees PIP_INDEX_URL, and ~/.config/pip/pip.conf read-only"
# With PIP_CONFIG_FILE naming a file, pip reads no user file (as on the
# host): that file is there, read-only, and the user files are not.
run "$pp" env HOME="$H" PIP_CONFIG_FILE="$SV_TMP/pip-config-file.conf" \
	.venv/bin/pip install "${pip_opts[@]}" ./probe
is "$(sed -n '2,3p' "$pp/probe.log" 2>/dev/null)" "PIP_CONFIG_FILE read-only
XDG_CONFIG_HOME No such file or directory" \
	"config[6] ... with PIP_CONFIG_FILE, that file read-only and no user file, as pip reads them"
is "$(cat "$SV_TMP/pip-config-file.conf" "$H/.config/pip/pip.conf" | sha256sum)" "$conf_sums" \
	"config[6] ... and the caller's files are unchanged"

# attack: a file pip would read that lies where sandboxes write, or is
# reached through a link there, is not read on the host (a sandbox of the
# project makes it a link to any file of the caller's, /proc/self/environ
# among them, and reads it inside). What pip's sandbox finds is read by a
# .pth, as a package it installed would.
secret=$SV_TMP/pip-secret
echo "SECRET-PIPCONF-$$" >"$secret"
pth=$(echo "$pv"/lib/python3*/site-packages)/zz_conf_probe.pth
printf '%s\n' 'import os, sys; [sys.stderr.write("FOUND %s: %s\n" % (f, open(f).read().strip())) for f in ("/run/sandbox-venv/pip-config-file.conf", "/run/sandbox-venv/pip-user/pip/pip.conf", "/run/sandbox-venv/pip-legacy/pip/pip.conf", "/run/sandbox-venv/pip-etc/pip/pip.conf") if os.path.isfile(f)]' >"$pth"
ln -sf "$secret" "$pp/pip.conf"
ln -sf "$pp/pip.conf" "$SV_TMP/pip-via-link.conf"
mkdir -p "$pp/xdg/pip" && ln -sf "$secret" "$pp/xdg/pip/pip.conf"
for how in "PIP_CONFIG_FILE=pip.conf" "PIP_CONFIG_FILE=$pp/pip.conf" \
	"PIP_CONFIG_FILE=$SV_TMP/pip-via-link.conf" "XDG_CONFIG_HOME=$pp/xdg"; do
	run "$pp" env HOME="$H2" "$how" .venv/bin/pip --version
	unlike "$err" "SECRET-PIPCONF" "config[6] attack: $how, a link to a secret planted where sandboxes write: pip's sandbox does not see the secret"
	contains "$err" "pip's configuration '" "... the file is left out, and the launch says so"
done
# Places this caller's list does not know: another user's (their sandboxes
# write where they can), and another name for a known one (a bind mount).
if [ "$is_root" -eq 1 ]; then
	mkdir -p "$SV_TMP/theirs" && ln -sf "$secret" "$SV_TMP/theirs/pip.conf" &&
		chown -h 65534 "$SV_TMP/theirs" "$SV_TMP/theirs/pip.conf"
	run "$pp" env HOME="$H2" PIP_CONFIG_FILE="$SV_TMP/theirs/pip.conf" .venv/bin/pip --version
	unlike "$err" "SECRET-PIPCONF" "config[6] attack: root's PIP_CONFIG_FILE in a directory of another user's, a link there to a secret: not followed"
	mkdir -p "$SV_TMP/alias" && ln -sf "$secret" "$pp/pip.conf"
	if mount --bind "$pp" "$SV_TMP/alias" 2>/dev/null; then
		run "$pp" env HOME="$H2" PIP_CONFIG_FILE="$SV_TMP/alias/pip.conf" .venv/bin/pip --version
		umount "$SV_TMP/alias"
		unlike "$err" "SECRET-PIPCONF" "config[6] attack: PIP_CONFIG_FILE through a bind mount of the project, a link there to a secret: not followed"
	else
		skip "config[6] attack: a bind mount of the project: mount --bind is refused here"
	fi
	cp "$SV_TMP/pip-config-file.conf" "$SV_TMP/theirs.conf" && chown 65534 "$SV_TMP/theirs.conf"
	run "$pp" env HOME="$H2" PIP_CONFIG_FILE="$SV_TMP/theirs.conf" .venv/bin/pip --version
	unlike "$err" "FOUND /run/sandbox-venv/pip-config-file.conf" "config[6] ... nor a file of another user's"
	rm -rf "$SV_TMP/theirs" "$SV_TMP/alias" "$SV_TMP/theirs.conf"
else
	skip "config[6] attack: another user's directory, a bind mount: making them takes root (the root pass runs them)"
	skip "config[6] attack: a bind mount of the project: takes root"
	skip "config[6] ... nor a file of another user's: takes root"
fi
run "$pp" env HOME="$H2" PIP_CONFIG_FILE="$SV_TMP/pip-config-file.conf" .venv/bin/pip --version
contains "$err" "FOUND /run/sandbox-venv/pip-config-file.conf: [install]" \
	"... while a file outside them is shown inside (the probe sees what pip sees)"
rm -f "$pth" "$pp/pip.conf" "$SV_TMP/pip-via-link.conf" "$secret"
rm -rf "$pp/xdg"

# /etc/pip.conf: the one there, or (as root) one made for the test.
if [ ! -e /etc/pip.conf ] && [ "$is_root" -eq 1 ]; then
	printf '[global]\nretries = 3\n' >/etc/pip.conf && made_etc=1
fi
if [ -r /etc/pip.conf ]; then
	etc_key=$("$SV_PYTHON" -c '
import configparser
c = configparser.RawConfigParser()
c.read("/etc/pip.conf")
for s in c.sections():
    for k, v in c.items(s):
        print("%s.%s=%r" % (s, k, v)); raise SystemExit' 2>/dev/null)
	if [ -n "$etc_key" ]; then
		run "$pp" .venv/bin/pip config list
		contains "$out" "$etc_key" "config[6] pip reads /etc/pip.conf ($etc_key)"
	else
		skip "config[6] /etc/pip.conf holds no key to look for"
	fi
else
	skip "config[6] /etc/pip.conf: none here, and only root may make one for the test"
fi
[ "$made_etc" -eq 1 ] && rm -f /etc/pip.conf && made_etc=0

nonpip='
import os
print(sorted(k for k in os.environ if k.startswith("PIP_")),
      [p for p in ("/etc/pip.conf", os.path.expanduser("~/.config/pip/pip.conf"),
                   os.path.expanduser("~/.pip/pip.conf"), "/run/sandbox-venv/pip-config-file.conf")
       if os.path.exists(p)])'
run "$pp" env HOME="$H3" PIP_INDEX_URL=http://example.invalid/simple \
	PIP_CONFIG_FILE="$SV_TMP/pip-config-file.conf" .venv/bin/python -c "$nonpip"
is "$out" "[] []" "config[6] a non-pip launch (python -c) sees no PIP_* variable and none of the pip configuration files"
run "$pp" env HOME="$H3" PIP_INDEX_URL=http://example.invalid/simple .venv/bin/python -c \
	'import os, sys; print(os.path.exists(sys.argv[1]))' "$SV_TMP/pip-config-file.conf"
is "$out" False "config[6] ... nor the file PIP_CONFIG_FILE names"

# === 7. every name pip is known by, and python -m pip however spelled ==========
if [ "$have_virtualenv" -eq 1 ] && [ -e "$pv/.sandbox-venv/bin/pip-$pyver" ]; then
	run "$pp" ".venv/bin/pip-$pyver" install "${pip_opts[@]}" ./pkg
	is "$rc" 0 "config[7] virtualenv's pip-$pyver installs a local package (the venv is writable for it)"
	[ "$rc" -eq 0 ] || printf '%s\n' "$err" | tail -5 | sed 's/^/#   /'
	check "config[7] ... and its console script got a gate" is_gate "$pv/bin/sv-cfg"
else
	skip "config[7] no virtualenv (python3-virtualenv) here: its pip-$pyver"
	skip "config[7] no virtualenv: its pip-$pyver's console script"
fi
# Each spelling installs, then uninstalls: the venv is writable for it.
installed() { [ -e "$pv/bin/sv-cfg" ] && [ -e "$pv/.sandbox-venv/bin/sv-cfg" ]; }
for spelling in "-Im pip" "-mpip" "-m pip.__main__"; do
	installed && run "$pp" .venv/bin/pip uninstall -y -q svcfg
	# shellcheck disable=SC2086 # python's options
	run "$pp" .venv/bin/python $spelling install "${pip_opts[@]}" ./pkg
	ok "$([ "$rc" -eq 0 ] && installed && is_gate "$pv/bin/sv-cfg"; echo $?)" \
		"config[7] python $spelling install: a pip launch (installed, its console script gated)"
	[ "$rc" -eq 0 ] || printf '%s\n' "$err" | tail -3 | sed 's/^/#   /'
	installed || continue
	# shellcheck disable=SC2086
	run "$pp" .venv/bin/python $spelling uninstall -y -q svcfg
	ok "$([ "$rc" -eq 0 ] && ! installed; echo $?)" "config[7] python $spelling uninstall: a pip launch (uninstalled, gate removed)"
done

# === 8. pip from inside a non-pip sandbox: says what to run ====================
installed || run "$pp" .venv/bin/pip install "${pip_opts[@]}" ./pkg
run "$pp" .venv/bin/shell -c 'pip uninstall -y svcfg'
is "$rc" 1 "config[8] shell -c 'pip uninstall ...' inside: exit 1"
contains "$err" "pip cannot change the venv from inside a sandbox" "config[8] ... saying pip cannot change the venv from inside a sandbox"
like "$err" '^hint: .*pip uninstall -y svcfg' "config[8] ... with a hint line naming the command to run"
check "config[8] ... and the package is still installed" test -e "$pv/bin/sv-cfg"
run "$pp" .venv/bin/shell -c "pip install ${pip_opts[*]} ./pkg"
is "$rc" 1 "config[8] shell -c 'pip install ./pkg' inside: exit 1"
contains "$err" "pip cannot change the venv from inside a sandbox" "config[8] ... with the message"
run "$pp" .venv/bin/python -c '
import subprocess, sys
r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "-q", "./pkg"])
print("exit", r.returncode)'
is "$out" "exit 1" "config[8] subprocess.run([sys.executable, '-m', 'pip', 'install', ...]) inside exits 1"
contains "$err" "pip cannot change the venv from inside a sandbox" "config[8] ... with the message"
like "$err" '^hint: .*pip install' "config[8] ... and the hint line"
run "$pp" .venv/bin/shell -c 'pip list'
ok "$([ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^svcfg '; echo $?)" "config[8] pip list inside still works"

# === 9. a uv-style interpreter loads its own libpython ==========================
# tests/ecosystem.t tests this in full (import ssl inside); here, briefly,
# the library list of such a venv.
shared=/root/.pyenv/versions/3.11.7
if [ -r "$shared/bin/python3.11" ] && [ -r "$shared/lib/libpython3.11.so.1.0" ]; then
	up=$SV_TMP/uv/python
	real=$up/cpython-3.11.7-linux-x86_64-gnu
	mkdir -p "$real/bin" "$real/lib"
	cp "$shared/bin/python3.11" "$real/bin/python3.11"
	ln -s "$shared/lib/libpython3.11.so.1.0" "$real/lib/libpython3.11.so.1.0"
	ln -s "$shared/lib/python3.11" "$real/lib/python3.11"
	ln -s python3.11 "$real/bin/python3"
	ln -s cpython-3.11.7-linux-x86_64-gnu "$up/cpython-3.11-linux-x86_64-gnu"
	"$SV_PYTHON" - "$real/bin/python3.11" "$shared/lib" <<'PY'
import sys
path, old = sys.argv[1], sys.argv[2].encode()
data = open(path, "rb").read()
new = b"$ORIGIN/../lib"
data = data.replace(old + b"\0", new + b"\0" * (len(old) - len(new) + 1), 1)
open(path, "wb").write(data)
PY
	u=$SV_TMP/uvproj
	mkdir -p "$u/.venv/bin" "$u/.venv/lib/python3.11/site-packages"
	printf 'home = %s\nimplementation = CPython\nuv = 0.5.11\nversion_info = 3.11.7\ninclude-system-site-packages = false\n' \
		"$up/cpython-3.11-linux-x86_64-gnu/bin" >"$u/.venv/pyvenv.cfg"
	ln -s "$up/cpython-3.11-linux-x86_64-gnu/bin/python3" "$u/.venv/bin/python"
	run "$u" "$SV" .venv
	is "$rc" 0 "config[9] wrapping a uv-style venv (RUNPATH \$ORIGIN/../lib, reached through cpython-3.11-* -> cpython-3.11.7-*)"
	libs=$(grep '^lib ' "$u/.venv/.sandbox-venv/libs" 2>/dev/null)
	# The directory by its real path (cpython-3.11.7-..., not the version
	# link); the library itself is a link to pyenv's here, to spare a copy.
	contains "$libs" "lib $(realpath "$up/cpython-3.11-linux-x86_64-gnu")/lib/libpython3.11.so.1.0" \
		"config[9] ... its library list names the interpreter's own libpython, by its real directory"
	is "$(printf '%s\n' "$libs" | grep -c libpython)" 1 "config[9] ... and no other libpython (Debian's has the same name)"
	run "$u" .venv/bin/python -c 'import ssl, sys; print(sys.version.split()[0])'
	is "$out" 3.11.7 "config[9] ... and import ssl works inside"
else
	skip "config[9] no shared-library Python readable here ($shared is root's pyenv): uv's \$ORIGIN/../lib layout"
fi

# === 10. the default venv ======================================================
p=$SV_TMP/p10
mkdir -p "$p/sub/deeper" "$SV_TMP/elsewhere"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
"$SV_PYTHON" -m venv --without-pip "$SV_TMP/elsewhere/.venv"
run "$p/sub/deeper" "$SV"
is "$rc" 0 "config[10] sandbox-venv with no argument from a sub-directory wraps the nearest .venv above"
check "config[10] ... which is the project's .venv" is_gate "$p/.venv/bin/python"
contains "$out$err" "$p/.venv" "config[10] ... and the message names it"
run "$p/sub/deeper" "$SV" --check
is "$rc:$out$err" "0:" "config[10] sandbox-venv --check from a sub-directory: silent, exit 0"
run "$SV_TMP/elsewhere" env VIRTUAL_ENV="$p/.venv" "$SV"
is "$rc" 0 "config[10] with \$VIRTUAL_ENV set, sandbox-venv wraps that venv"
contains "$err" "the venv is '$p/.venv' (\$VIRTUAL_ENV)" "config[10] ... and says so on stderr"
check "config[10] ... not the .venv of the working directory" test ! -e "$SV_TMP/elsewhere/.venv/.sandbox-venv"
run / env VIRTUAL_ENV="$p/.venv" "$SV" --check
is "$rc:$out" "0:" "config[10] --check with \$VIRTUAL_ENV from / checks that venv (intact, exit 0)"

# === 11. a moved venv ===========================================================
p=$SV_TMP/p11
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
# A console script as pip writes it: its #! line names the venv's python.
printf '#!%s/.venv/bin/python3\nimport sys\nprint("pip stand-in")\n' "$p" >"$p/.venv/bin/pip"
chmod 755 "$p/.venv/bin/pip"
# Moved before its first wrap: the wrap says so for each file that names
# the old place, from the same reads that tell gates from programs, and
# still gates them all.
cp -a "$p" "$SV_TMP/p11-early"
mv "$SV_TMP/p11-early" "$SV_TMP/p11-early-moved"
pe=$SV_TMP/p11-early-moved
printf '#!%s/.venv/bin/python3\nprint("mine")\n' "$pe" >"$pe/.venv/bin/mine"
chmod 755 "$pe/.venv/bin/mine"
cp -p "$p/.venv/bin/pip" "$pe/.venv/bin/.hidden"
run "$pe" "$SV" .venv
is "$rc" 0 "config[11] a venv moved before its first wrap: the wrap succeeds"
contains "$err" "bin/pip: its #! line names '$p/.venv/bin/python3', where the venv was made" \
	"config[11] ... naming bin/pip's stale #! line"
contains "$err" "bin/activate: it sets VIRTUAL_ENV to '$p/.venv'" "config[11] ... and activate's VIRTUAL_ENV"
contains "$err" "bin/.hidden: its #! line names '$p/.venv/bin/python3'" \
	"config[11] ... and a script with a hidden name (never gated)"
ok "$(! printf '%s\n' "$err" | grep -q 'bin/mine:'; echo $?)" \
	"config[11] ... but not a script that names the venv's own python"
check "config[11] ... and bin/pip is a gate" grep -q 'sandbox-venv gate' "$pe/.venv/bin/pip"
run "$p" "$SV" .venv
mv "$p" "$SV_TMP/p11-moved"
p=$SV_TMP/p11-moved
run "$p" .venv/bin/python -c 'print("ran")'
ok "$([ "$rc" -ne 0 ] && [ "$out" != ran ]; echo $?)" "config[11] after mv, a launch fails"
contains "$err" "venvs cannot be moved" "config[11] ... saying venvs cannot be moved"
run "$p" "$SV" .venv
is "$rc" 0 "config[11] re-wrapping the moved venv succeeds"
contains "$err" "bin/pip: its #! line names '$SV_TMP/p11/.venv/bin/python3'" \
	"config[11] ... saying which scripts still name the old place"
run "$p" "$SV" --check .venv
is "$rc" 1 "config[11] ... but --check then exits 1"
like "$out$err" "bin/pip: its #! line names '$SV_TMP/p11/.venv/bin/python3'" "config[11] ... naming bin/pip's stale #! line"
like "$out$err" "bin/activate: it sets VIRTUAL_ENV to '$SV_TMP/p11/.venv'" "config[11] ... and activate's VIRTUAL_ENV"

# A name not gated (it would shadow a host tool) is said once, though the
# gating of bin/ and its reconciling with the private bin both meet it.
p=$SV_TMP/p11-shadow
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
ln -s /bin/true "$p/.venv/bin/ssh"
run "$p" "$SV" .venv
is "$(printf '%s\n' "$err" | grep -c "not gating 'bin/ssh'")" 1 "config[11] a name not gated is said once"

# === 12. VERBOSE=0, SANDBOX_USE_PIP_CACHE ======================================
p=$(new_project p12 --without-pip)
for val in 0 ""; do
	run "$p" env VERBOSE="$val" .venv/bin/python -c pass
	is "$rc:$err" "0:" "config[12] VERBOSE='$val' prints nothing extra"
done
run "$p" env VERBOSE=1 .venv/bin/python -c pass
like "$err" '^/usr/bin/bwrap ' "config[12] (VERBOSE=1 still prints the bwrap command)"
HC=$SV_TMP/home-cache
mkdir -p "$HC"
run "$pp" env HOME="$HC" SANDBOX_USE_PIP_CACHE=0 .venv/bin/pip cache dir
is "$out" "$pv/cache/pip" "config[12] SANDBOX_USE_PIP_CACHE=0 does not share the cache (pip's is the venv's own)"
check "config[12] ... and ~/.cache/pip was not made" test ! -e "$HC/.cache/pip"
run "$pp" env HOME="$HC" SANDBOX_USE_PIP_CACHE= .venv/bin/pip cache dir
is "$out" "$pv/cache/pip" "config[12] SANDBOX_USE_PIP_CACHE= (empty) does not share it either"
run "$pp" env HOME="$HC" SANDBOX_USE_PIP_CACHE=1 .venv/bin/pip cache dir
is "$rc:$out" "0:$HC/.cache/pip" "config[12] SANDBOX_USE_PIP_CACHE=1 with a home lacking .cache/pip works and shares it"
check "config[12] ... having made ~/.cache/pip" test -d "$HC/.cache/pip"

# === 13. .env as python-dotenv reads it ========================================
p=$(new_project p13 --without-pip)
printf '\357\273\277B=bom\nexport A=1\nC='"'it''s'"'\nD=after\n' >"$p/.env"
show_env='import os; print(" ".join(str(os.environ.get(k)) for k in "ABCDE"))'
run "$p" .venv/bin/python -c "$show_env"
is "$rc:$out" "0:1 bom None after None" \
	"config[13] .env with a BOM, export A=1 and A='it''s': the launch goes on, the other lines read"
like "$err" "\.env line 3" "config[13] ... with a warning naming line 3"
run "$p" .venv/bin/shell -c 'echo $A'
is "$rc:$out" "0:1" "config[13] ... shell launches go on too"
lacks "$err" ".env" "config[13] ... and the warning is not said again while .env is unchanged"
run "$p" .venv/bin/python -c "$show_env"
lacks "$err" ".env" "config[13] ... nor at the next launch of python"
echo E=5 >>"$p/.env"
run "$p" .venv/bin/python -c "$show_env"
is "$out" "1 bom None after 5" "config[13] after .env changes, its new line counts"
like "$err" "\.env line 3" "config[13] ... and the warning is said again"

# === 14. --check silent when intact; --unwrap twice ==============================
p=$(new_project p14 --without-pip)
out=$("$SV" --check "$p/.venv" 2>"$SV_TMP/check.err")
rc=$?
is "$rc:$out" "0:" "config[14] --check on an intact venv: exit 0, nothing on stdout"
is "$(grep -iv landlock "$SV_TMP/check.err")" "" "config[14] ... and nothing on stderr but a Landlock note"
run "$p" "$SV" --unwrap .venv
is "$rc" 0 "config[14] --unwrap"
run "$p" "$SV" --unwrap .venv
is "$rc" 0 "config[14] --unwrap again: exit 0"
contains "$err" "not wrapped" "config[14] ... saying it is not wrapped"

# === 15. hints that would do harm ================================================
p=$SV_TMP/p15
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
before=$(snapshot "$p")
run "$SV_TMP" "$SV" p15
is "$rc" 1 "config[15] sandbox-venv PROJECT_DIR (holding .venv): exit 1"
contains "$err" "p15/.venv" "config[15] ... the hint names PROJECT_DIR/.venv"
lacks "$err" "-m venv" "config[15] ... and does not suggest python3 -m venv PROJECT_DIR"
run "$SV_TMP" "$SV" p15/.venv/bin
is "$rc" 1 "config[15] sandbox-venv .venv/bin: exit 1"
like "$err" "hint: .*p15/\.venv'*\$" "config[15] ... the hint names the venv"
lacks "$err" "-m venv" "config[15] ... and does not suggest a venv in bin"
run "$p" "$SV" --check --unwrap
is "$rc" 2 "config[15] sandbox-venv --check --unwrap: exit 2"
lacks "$err" "-m venv" "config[15] ... no suggestion to create a venv (named --unwrap)"
is "$(snapshot "$p")" "$before" "config[15] ... and nothing was written by these"

# === 16. launched from outside the project ======================================
p=$(new_project p16 --without-pip)
mkdir -p "$SV_TMP/outside16"
echo 'print("outside")' >"$SV_TMP/outside16/x.py"
echo 'print("project")' >"$p/x.py"
run "$SV_TMP/outside16" "$p/.venv/bin/python" x.py
contains "$err" "$p" "config[16] python x.py from outside the project: a note on stderr naming the project"
contains "$err" "x.py" "config[16] ... and the file"
run "$SV_TMP/outside16" "$p/.venv/bin/python" -c pass
is "$rc:$err" "0:" "config[16] python -c pass from outside: nothing on stderr"

# === 17. the documents' examples: tests/docs.t ===================================
if [ -n "$src" ]; then
	check "config[17] tests/docs.t runs every example of the README and the man page" \
		test -f "$src/tests/docs.t"
	man_cap=$(grep -F 'cap_net_bind_service' "$src/doc/sandbox-venv.1" | grep -v '^\.\\"' | grep -F 'sandbox')
	contains "$man_cap" "unshare" "config[17] the man page's cap_net_bind_service example has --unshare-net"
	lacks "$(cat "$src/README.md")" "shell -c 'make test'" "config[17] the README's usage no longer runs make inside"
	x_readme=$(grep -o "BWRAP_ARGS='--ro-bind /tmp/.X11-unix[^']*'" "$src/README.md")
	x_man=$(grep -o "BWRAP_ARGS=\\\\(aq.*X11.*\\\\(aq" "$src/doc/sandbox-venv.1" |
		sed 's/\\(aq/'"'"'/g; s/\\-/-/g')
	is "$x_man" "$x_readme" "config[17] the README and the man page give the same X11 recipe"
else
	skip "config[17] no source tree found (set SV_SRC): README.md and doc/ are checked by tests/docs.t"
fi

# === 18. --list ===================================================================
p=$(new_project p18 --without-pip)
(cd "$p" && exec .venv/bin/python -c 'import time; time.sleep(6)') &
gate=$!
line=
for _ in $(seq 40); do
	line=$("$SV" --list 2>/dev/null | awk -v p="$gate" '$1 == p')
	[ -n "$line" ] && break
	sleep 0.1
done
run "$SV_TMP" "$SV" --list
is "$rc" 0 "config[18] --list: exit 0"
like "$line" "^$gate  *[0-9-]* [0-9:]*  *$p/.venv  *python\$" \
	"config[18] --list shows the running gate: its pid, the venv and the entry point python"
started=$(printf '%s\n' "$line" | awk '{print $2 " " $3}')
age=$(( $(date +%s) - $(date -d "$started" +%s 2>/dev/null || echo 0) ))
ok "$([ "$age" -ge -5 ] && [ "$age" -le 60 ]; echo $?)" \
	"config[18] ... and when it started (now, not ${age}s ago: $started)"
kill "$gate" 2>/dev/null
wait "$gate" 2>/dev/null
line=$("$SV" --list 2>/dev/null | awk -v p="$gate" '$1 == p')
is "$line" "" "config[18] ... and not once it has ended"

# === 19. a pager inside; activate.fish and activate.csh ===========================
p=$(new_project p19 --without-pip)
run "$p" env -u PAGER .venv/bin/python -c 'help("len")'
contains "$out" "Return the number of items in a container" "config[19] help('len') inside, no terminal: the help text"
lacks "$out$err" "not found" "config[19] ... and no 'more: not found'"
if command -v script >/dev/null 2>&1; then
	tty_out=$(cd "$p" && printf q | env -u PAGER -u LESS TERM=xterm timeout 30 \
		script -qec '.venv/bin/python -c "help(\"len\"); print(\"after help\")"' /dev/null 2>&1 | tr -d '\r')
	contains "$tty_out" "Return the number of items" "config[19] help('len') on a terminal: the help text, through a pager ('q' quits it)"
	lacks "$tty_out" "not found" "config[19] ... and no 'more: not found'"
	contains "$tty_out" "after help" "config[19] ... and the program goes on after it"
else
	skip "config[19] no script(1) (util-linux): help() on a terminal"
fi
fishenv=(env HOME="$SV_TMP/fish-home" XDG_CONFIG_HOME="$SV_TMP/fish-home/.config" XDG_DATA_HOME="$SV_TMP/fish-home/.local/share")
mkdir -p "$SV_TMP/fish-home"
if command -v fish >/dev/null 2>&1; then
	run "$p" "${fishenv[@]}" fish -c 'source .venv/bin/activate.fish; functions -q deactivate_sandbox; and echo defined'
	is "$out" defined "config[19] bin/activate.fish defines deactivate_sandbox"
	run "$p" "${fishenv[@]}" fish -c 'source .venv/bin/activate.fish; deactivate_sandbox'
	ok "$([ "$rc" -eq 0 ] && ! is_gate "$p/.venv/bin/python"; echo $?)" "config[19] ... which unwraps the venv"
	run "$p" "$SV" .venv
else
	skip "config[19] no fish: activate.fish's deactivate_sandbox"
	skip "config[19] no fish: activate.fish's deactivate_sandbox unwraps"
fi
if command -v csh >/dev/null 2>&1; then
	# A script, not -c: csh expands an alias only on lines read after it.
	printf 'set prompt=x\nsource .venv/bin/activate.csh\nalias deactivate_sandbox\n' >"$SV_TMP/alias.csh"
	printf 'set prompt=x\nsource .venv/bin/activate.csh\ndeactivate_sandbox\n' >"$SV_TMP/deactivate.csh"
	run "$p" csh -f "$SV_TMP/alias.csh"
	contains "$out" "--unwrap" "config[19] bin/activate.csh defines deactivate_sandbox (an alias)"
	run "$p" csh -f "$SV_TMP/deactivate.csh"
	ok "$([ "$rc" -eq 0 ] && ! is_gate "$p/.venv/bin/python"; echo $?)" "config[19] ... which unwraps the venv"
	run "$p" "$SV" .venv
else
	skip "config[19] no csh: activate.csh's deactivate_sandbox"
	skip "config[19] no csh: activate.csh's deactivate_sandbox unwraps"
fi
# The missing-binary warning, as activate gives it.
mkdir -p "$SV_TMP/svcopy"
cp "$SV" "$SV_TMP/svcopy/sandbox-venv"
p=$SV_TMP/p19gone
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
(cd "$p" && "$SV_TMP/svcopy/sandbox-venv" .venv) >/dev/null 2>&1
rm -f "$SV_TMP/svcopy/sandbox-venv"
if command -v fish >/dev/null 2>&1; then
	run "$p" "${fishenv[@]}" fish -c 'source .venv/bin/activate.fish'
	contains "$err" "$SV_TMP/svcopy/sandbox-venv" "config[19] activate.fish names a sandbox-venv binary that is gone"
else
	skip "config[19] no fish: activate.fish's missing-binary warning"
fi
if command -v csh >/dev/null 2>&1; then
	run "$p" csh -f -c 'set prompt=x; source .venv/bin/activate.csh'
	contains "$err" "$SV_TMP/svcopy/sandbox-venv" "config[19] activate.csh names a sandbox-venv binary that is gone"
else
	skip "config[19] no csh: activate.csh's missing-binary warning"
fi

# === 20. scripts/deps: sudo only when not root =====================================
if [ -n "$src" ]; then
	deps=$src/scripts/deps
	check "config[20] scripts/deps exists and is executable" test -x "$deps"
	text=$(cat "$deps" 2>/dev/null)
	contains "$text" "id -u" "config[20] scripts/deps asks whether it runs as root (id -u)"
	contains "$text" "sudo" "config[20] ... and knows sudo"
	like "$(grep -v '^[[:space:]]*#' "$src/.ci/run" 2>/dev/null)" 'scripts/deps' "config[20] .ci/run calls scripts/deps"
	first=$(awk '/^## Quick start/ {q = 1} q && /^    [^ ]/ {sub(/^    /, ""); print; exit}' "$src/README.md")
	like "$first" '^scripts/deps' "config[20] the README's quick start begins with scripts/deps, not sudo"
	# Run it with apt-get and sudo as stand-ins that only log their use.
	stub=$SV_TMP/stub
	mkdir -p "$stub/with-sudo" "$stub/no-sudo"
	for d in with-sudo no-sudo; do
		printf '#!/bin/sh\necho "apt-get $*" >>%s/log\n' "$stub" >"$stub/$d/apt-get"
		ln -s "$(command -v id)" "$stub/$d/id"
		ln -s "$(command -v env)" "$stub/$d/env"
	done
	printf '#!/bin/sh\necho "sudo $*" >>%s/log\n' "$stub" >"$stub/with-sudo/sudo"
	chmod 755 "$stub"/*/apt-get "$stub/with-sudo/sudo"
	if [ -x "$deps" ]; then
		rm -f "$stub/log"
		PATH=$stub/with-sudo "$deps" >/dev/null 2>&1
		rc=$?
		log=$(cat "$stub/log" 2>/dev/null)
		if [ "$is_root" -eq 1 ]; then
			is "$rc" 0 "config[20] scripts/deps as root succeeds (apt-get stood in for)"
			like "$log" '^apt-get update' "config[20] ... runs apt-get itself"
			lacks "$log" "sudo" "config[20] ... and never sudo, which root-only machines lack"
			contains "$log" "python3-virtualenv" "config[20] ... installing the packages (python3-virtualenv among them)"
		else
			is "$rc" 0 "config[20] scripts/deps as a user succeeds (apt-get and sudo stood in for)"
			like "$log" '^sudo apt-get update' "config[20] ... through sudo"
			lacks "$(printf '%s\n' "$log" | grep '^apt-get')" "apt-get" "config[20] ... and never apt-get without it"
			contains "$log" "python3-virtualenv" "config[20] ... installing the packages (python3-virtualenv among them)"
			rm -f "$stub/log"
			PATH=$stub/no-sudo "$deps" >/dev/null 2>"$SV_TMP/deps.err"
			rc=$?
			ok "$([ "$rc" -ne 0 ] && [ ! -e "$stub/log" ]; echo $?)" "config[20] as a user without sudo: it fails before apt-get"
			contains "$(cat "$SV_TMP/deps.err")" "sudo" "config[20] ... saying to run it as root or to install sudo"
		fi
	fi
else
	skip "config[20] no source tree found (set SV_SRC): scripts/deps"
fi

done_testing
