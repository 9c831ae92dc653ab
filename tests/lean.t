#!/bin/bash
# lean.t - the launcher the gates name (src/lean.h): sandbox-venv-launch,
# the lean build, does the launches it can and hands the rest to
# sandbox-venv; where it finds sandbox-venv and its init, and what it
# refuses to run.
. "$(dirname "$0")/lib.sh"
case $SV in /*) ;; *) SV=$PWD/$SV ;; esac

for _v in $(compgen -e); do
	case $_v in PIP_* | SANDBOX_* | BWRAP_ARGS | VERBOSE | VIRTUAL_ENV) unset "$_v" ;; esac
done
unset _v
SV_PYTHON=${SV_PYTHON:-/usr/bin/python3}
cd "$SV_TMP" || exit 1

sv_real=$(readlink -f "$SV")
dir=$(dirname "$sv_real")
lean=$dir/sandbox-venv-launch
init=$dir/sandbox-venv-init
if [ ! -x "$lean" ]; then
	skip "the lean launcher: no sandbox-venv-launch beside $sv_real"
	done_testing
	exit
fi

# wrap_new LAUNCHER PROJECT: a fresh venv in PROJECT, wrapped by LAUNCHER.
wrap_new() {
	rm -rf "$2/.venv"
	mkdir -p "$2"
	"$SV_PYTHON" -m venv --without-pip "$2/.venv" >/dev/null 2>&1 &&
		"$1" "$2/.venv" >/dev/null 2>"$SV_TMP/wrap.err"
}
# gates_name LAUNCHER PROJECT WANT WHAT: a fresh venv in PROJECT wrapped by
# LAUNCHER has gates whose #! line names WANT.
gates_name() {
	if wrap_new "$1" "$2"; then
		is "$(head -1 "$2/.venv/bin/python")" "#!$3 --gate" "$4"
	else
		ok 1 "$4 (the wrap failed)"
		sed 's/^/#   /' "$SV_TMP/wrap.err"
	fi
}
# launcher_lines PROJECT COMMAND...: under VERBOSE, the lines that say
# which launcher ran and why a launch was handed over, and the status.
launcher_lines() {
	local pp=$1
	shift
	(cd "$pp" && VERBOSE=1 timeout 60 "$@" 2>&1 >/dev/null </dev/null; echo "status $?") |
		grep -E '^sandbox-venv: the launch(er:| goes on)|^status '
}
full_line="sandbox-venv: the launcher: sandbox-venv"
lean_line="sandbox-venv: the launcher: sandbox-venv-launch, the lean build"

p=$SV_TMP/proj
v=$p/.venv
if ! wrap_new "$SV" "$p"; then
	ok 1 "lean: wrap a venv"
	sed 's/^/#   /' "$SV_TMP/wrap.err"
	done_testing
	exit
fi
is "$(head -1 "$v/bin/python")" "#!$lean --gate" \
	"lean: the gates name the lean launcher installed beside sandbox-venv"

# The filter is made by libseccomp, which the lean build does not have.
rm -f "$v/.sandbox-venv/filter"
is "$(launcher_lines "$p" "$v/bin/python" -c pass)" \
	"sandbox-venv: the launch goes on in $sv_real: no system call filter is kept in the venv's state for this build, kernel and libseccomp: libseccomp makes it
$full_line
status 0" "lean: no filter kept yet: the launch is handed to sandbox-venv, which runs it"
is "$(launcher_lines "$p" "$v/bin/python" -c pass)" "$lean_line
status 0" "lean: the filter sandbox-venv kept then is one the lean launcher takes: the next launch is its own"
is "$(cd "$p" && "$v/bin/python" -c 'import sys; print(sys.prefix, 40 + 2)' 2>&1)" "$v 42" \
	"lean: a launch of its own runs the entry point in the venv"

out=$(launcher_lines "$p" env SANDBOX_SECCOMP_ALLOW="read write exit exit_group" "$v/bin/python" -c pass)
like "$out" "^sandbox-venv: the launch goes on in $sv_real: SANDBOX_SECCOMP_ALLOW names system calls" \
	"lean: an allowlist of system calls (SANDBOX_SECCOMP_ALLOW) is handed to sandbox-venv"
like "$out" "^$full_line\$" "lean: ... and sandbox-venv launches it"
is "$(launcher_lines "$p" env SANDBOX_SECCOMP_ALLOW=" " "$v/bin/python" -c pass)" "$lean_line
status 0" "lean: no filter at all (SANDBOX_SECCOMP_ALLOW empty) needs no libseccomp: its own"

# (One filter is kept at a time: the allowlist's replaced the default's.)
"$v/bin/python" -c pass 2>/dev/null
is "$(launcher_lines "$p" env SANDBOX_NETWORK=allow=example.invalid "$v/bin/python" -c pass)" \
	"sandbox-venv: the launch goes on in $sv_real: the network goes through the proxy, which resolves names as the host's C library does
$full_line
status 0" "lean: a network through the proxy (allow=) is handed to sandbox-venv, which launches it"
is "$(launcher_lines "$p" env SANDBOX_NETWORK=none "$v/bin/python" -c pass)" "$lean_line
status 0" "lean: no network at all is its own"

# A project whose owner no file names: another database might, and that
# owner's list counts among the places sandboxes write.
if [ "$(id -u)" -eq 0 ]; then
	chown 54321 "$p"
	is "$(launcher_lines "$p" "$v/bin/python" -c pass)" \
		"sandbox-venv: the launch goes on in $sv_real: the owner of the venv or of its project is not in /etc/passwd
$full_line
status 0" "lean: a project whose owner is not in /etc/passwd is handed to sandbox-venv, which launches it"
	chown 0 "$p"
else
	skip "lean: a project owned by a uid not in /etc/passwd: only root can make one"
fi
is "$("$lean" --version 2>&1)" "$("$SV" --version 2>&1)" \
	"lean: a command of sandbox-venv's own (--version) is handed to it"
out=$(cd "$p" && VERBOSE=1 "$lean" --check "$v" 2>&1)
is "$?" 0 "lean: --check through the lean launcher: sandbox-venv checks the venv (exit status 0)"

# The lean launcher's relocated data (the GOT, tables of pointers) is
# read-only while it runs, as glibc's start-up would make it: musl's
# static start-up leaves it writable (util.c, protect_relro).
if [ "$(id -u)" -ne 0 ]; then
	skip "lean: the launcher's read-only data: reading its maps takes root (the root pass runs it)"
else
	(cd "$p" && "$v/bin/python" -c pass) >/dev/null 2>&1
	(cd "$p" && exec "$v/bin/python" -c 'import time; time.sleep(60)') >/dev/null 2>&1 &
	launcher=$!
	for _ in $(seq 100); do
		[ -n "$(cat "/proc/$launcher/task/$launcher/children" 2>/dev/null)" ] && break
		sleep 0.05
	done
	out=$(relro_perms "$launcher" "$lean" 2>&1)
	kill "$launcher" 2>/dev/null
	wait "$launcher" 2>/dev/null
	is "$out" "r--p" "attack[lean] the lean launcher's relocated data (PT_GNU_RELRO) is mapped read-only while it runs"
fi

# --- an install's layout: PREFIX/bin and PREFIX/libexec/sandbox-venv ---
d=$SV_TMP/prefix
mkdir -p "$d/bin" "$d/libexec/sandbox-venv"
cp "$sv_real" "$d/bin/sandbox-venv" && cp "$lean" "$init" "$d/libexec/sandbox-venv/"
pp=$SV_TMP/prefix-proj
if wrap_new "$d/bin/sandbox-venv" "$pp"; then
	is "$(head -1 "$pp/.venv/bin/python")" "#!$d/libexec/sandbox-venv/sandbox-venv-launch --gate" \
		"lean: an install's gates name PREFIX/libexec/sandbox-venv/sandbox-venv-launch"
	rm -f "$pp/.venv/.sandbox-venv/filter"
	out=$(cd "$pp" && VERBOSE=1 .venv/bin/python -c pass 2>&1; echo "status $?")
	like "$out" "^sandbox-venv: the launch goes on in $d/bin/sandbox-venv: " \
		"lean: an install's lean launcher hands over to PREFIX/bin/sandbox-venv (../../bin)"
	out=$(cd "$pp" && VERBOSE=1 .venv/bin/python -c pass 2>&1; echo "status $?")
	like "$out" "^sandbox-venv: the init: $d/libexec/sandbox-venv/sandbox-venv-init\$" \
		"lean: an install's lean launcher runs the init beside it"
	like "$out" "^$lean_line\$" "lean: ... and launches by itself once the filter is kept"
	like "$out" "^status 0\$" "lean: ... with status 0"
	# A sandbox-venv it would hand over to that comes to lie where
	# sandboxes write (here: the project of another venv, wrapped since)
	# is not run: the launch says so and stops.
	pq=$d/bin
	if wrap_new "$SV" "$pq"; then
		rm -f "$pp/.venv/.sandbox-venv/filter"
		out=$(cd "$pp" && .venv/bin/python -c 'print("ran")' 2>&1)
		like "$out" "'$d/bin/sandbox-venv' lies in '$d/bin', which sandboxes can write" \
			"attack[lean] the hand-over refuses a sandbox-venv in a project that sandboxes write"
		unlike "$out" "^ran\$" "attack[lean] ... and nothing is launched"
		"$SV" --unwrap "$pq/.venv" >/dev/null 2>&1
		rm -rf "$pq/.venv"
	else
		ok 1 "lean: wrap a venv in PREFIX/bin"
		sed 's/^/#   /' "$SV_TMP/wrap.err"
	fi
else
	ok 1 "lean: wrap a venv with an install's layout"
	sed 's/^/#   /' "$SV_TMP/wrap.err"
fi

# --- what the lean launcher refuses to run, and to be named ---
# A lean launcher that would not hand over to the sandbox-venv wrapping
# (none in its ../../bin, or another one there): the gates name
# sandbox-venv itself.
d=$SV_TMP/lean-other
mkdir -p "$d/tools" "$d/bin" "$d/libexec/sandbox-venv"
cp "$sv_real" "$d/tools/sandbox-venv" && cp "$lean" "$init" "$d/libexec/sandbox-venv/"
pp=$SV_TMP/lean-other-proj
gates_name "$d/tools/sandbox-venv" "$pp" "$d/tools/sandbox-venv" \
	"attack[lean] a lean launcher with no sandbox-venv to hand over to is not what the gates name"
cp "$sv_real" "$d/bin/sandbox-venv"
gates_name "$d/tools/sandbox-venv" "$pp" "$d/tools/sandbox-venv" \
	"attack[lean] nor one that would hand over to another sandbox-venv than the one wrapping"

# A sandbox-venv beside it that others can change: never run.
d=$SV_TMP/lean-open
mkdir -p "$d" && cp "$lean" "$d/"
printf '#!/bin/sh\ntouch "%s/ran"\n' "$d" >"$d/sandbox-venv"
chmod 0777 "$d/sandbox-venv"
out=$("$d/sandbox-venv-launch" --version 2>&1)
rc=$?
like "$out" "'$d/sandbox-venv' is writable by its group or others" \
	"attack[lean] a sandbox-venv beside the lean launcher that others can write is not run (it says why)"
is "$rc:$([ -e "$d/ran" ] && echo ran)" "1:" "attack[lean] ... nothing of it ran, and the command fails"
chmod 0755 "$d/sandbox-venv"
out=$("$d/sandbox-venv-launch" --version 2>&1)
is "$([ -e "$d/ran" ] && echo ran)" ran \
	"lean: the same, mode 0755 (so that the test above can fail): it is the one run"
# Itself under that name: no loop. (A hard link is refused as such, for
# its other name: as root, the same file bound over the name, in a mount
# namespace of the test's own.)
d=$SV_TMP/lean-self
mkdir -p "$d" && cp "$lean" "$d/"
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	: >"$d/sandbox-venv"
	out=$(timeout 10 unshare -m sh -c 'mount --bind "$1/sandbox-venv-launch" "$1/sandbox-venv" &&
		exec "$1/sandbox-venv-launch" --version' sh "$d" 2>&1)
	rc=$?
	want="'$d/sandbox-venv' is this very binary"
else
	ln "$d/sandbox-venv-launch" "$d/sandbox-venv"
	out=$(timeout 10 "$d/sandbox-venv-launch" --version 2>&1)
	rc=$?
	want="'$d/sandbox-venv' has other names (hard links)"
fi
like "$out" "$want" "attack[lean] a sandbox-venv that is the lean launcher itself is not run again (no loop)"
is "$rc" 1 "attack[lean] ... the command fails at once"
# A lean launcher that others can change beside sandbox-venv: the gates
# do not name it, they name sandbox-venv.
d=$SV_TMP/lean-gw
mkdir -p "$d" && cp "$sv_real" "$lean" "$init" "$d/" && chmod g+w "$d/sandbox-venv-launch"
gates_name "$d/sandbox-venv" "$SV_TMP/lean-gw-proj" "$d/sandbox-venv" \
	"attack[lean] a sandbox-venv-launch its group can write is not what the gates name: sandbox-venv is"
# An install hard-linked from a checkout that is the project: another
# name of each program lies where the sandboxes write, where they could
# rewrite the one that does not run during their launch (sandbox-venv
# while the lean launcher runs; either, once a killed launcher's init has
# exited and the sandbox's last processes have not). No program with
# other names is used, root's included.
src=$SV_TMP/lean-links-src
d=$SV_TMP/lean-links
mkdir -p "$src" "$d/bin" "$d/libexec/sandbox-venv"
cp "$sv_real" "$lean" "$init" "$src/"
ln "$src/sandbox-venv" "$d/bin/sandbox-venv" &&
	ln "$src/sandbox-venv-launch" "$src/sandbox-venv-init" "$d/libexec/sandbox-venv/"
if wrap_new "$d/bin/sandbox-venv" "$src"; then
	ok 1 "attack[lean] a wrap by a sandbox-venv with other names (hard links) is refused"
else
	like "$(cat "$SV_TMP/wrap.err")" "'$d/bin/sandbox-venv' has other names (hard links)" \
		"attack[lean] a wrap by a sandbox-venv with other names (hard links) is refused"
fi
# The lean launcher and the init alone linked: neither is used, and a
# launch by sandbox-venv refuses while its lean build has another name.
rm "$src/sandbox-venv"
gates_name "$d/bin/sandbox-venv" "$src" "$d/bin/sandbox-venv" \
	"attack[lean] a lean launcher with other names (hard links) is not what the gates name, root's included"
out=$(cd "$src" && .venv/bin/python -c 'print("ran")' 2>&1)
like "$out" "'$d/libexec/sandbox-venv/sandbox-venv-launch' has other names (hard links)" \
	"attack[lean] ... and a launch refuses while it has them: its sandbox could rewrite it"
unlike "$out" "^ran\$" "attack[lean] ... nothing is launched"
rm "$src/sandbox-venv-launch"
out=$(cd "$src" && VERBOSE=1 .venv/bin/python -c 'print("ran")' 2>&1)
like "$out" "the init: this binary ('$d/libexec/sandbox-venv/sandbox-venv-init' has other names (hard links)" \
	"attack[lean] an init with other names (hard links) is not run: sandbox-venv is the init"
like "$out" "^ran\$" "lean: ... and the launch runs"
# Linked after the wrap: the lean launch refuses.
pp=$SV_TMP/lean-late
d=$SV_TMP/lean-late-pfx
mkdir -p "$d/bin" "$d/libexec/sandbox-venv"
cp "$sv_real" "$d/bin/sandbox-venv" && cp "$lean" "$init" "$d/libexec/sandbox-venv/"
if wrap_new "$d/bin/sandbox-venv" "$pp"; then
	(cd "$pp" && .venv/bin/python -c pass) >/dev/null 2>&1
	ln "$d/bin/sandbox-venv" "$pp/sandbox-venv"
	out=$(cd "$pp" && VERBOSE=1 .venv/bin/python -c 'print("ran")' 2>&1)
	like "$out" "'$d/bin/sandbox-venv' has other names (hard links)" \
		"attack[lean] sandbox-venv linked into the project after the wrap: the lean launch refuses (it would be idle, and rewritable)"
	unlike "$out" "^ran\$" "attack[lean] ... nothing is launched"
	rm "$pp/sandbox-venv"
	# Bound writable by the caller's BWRAP_ARGS: the same, by a relative
	# path as by an absolute one.
	out=$(cd "$d" && BWRAP_ARGS="--bind bin /tools" "$pp/.venv/bin/python" -c 'print("ran")' 2>&1)
	like "$out" "'$d/bin/sandbox-venv' lies in '$d/bin', which sandboxes can write" \
		"attack[lean] sandbox-venv bound writable by BWRAP_ARGS by a relative path: the lean launch refuses"
	out=$(cd "$pp" && BWRAP_ARGS="--bind $d/bin $d/bin" .venv/bin/python -c 'print("ran")' 2>&1)
	like "$out" "'$d/bin/sandbox-venv' lies in '$d/bin', which sandboxes can write" \
		"attack[lean] sandbox-venv bound writable by BWRAP_ARGS: the lean launch refuses"
	# (The list keeps the places sandboxes were given to write: the
	# venv launches again once wrapped anew, or the bind's source moved.)
else
	ok 1 "lean: wrap with a prefix"
	sed 's/^/#   /' "$SV_TMP/wrap.err"
fi
# A hand-over from a command (no venv known yet) refuses a sandbox-venv
# where the caller's sandboxes write: here, the project of a venv wrapped
# since, where the lean launcher was installed.
d=$SV_TMP/lean-cmd
mkdir -p "$d/bin" "$d/libexec/sandbox-venv"
cp "$sv_real" "$d/bin/sandbox-venv" && cp "$lean" "$init" "$d/libexec/sandbox-venv/"
if wrap_new "$SV" "$d"; then
	printf '#!/bin/sh\ntouch "%s/ran"\n' "$d" >"$d/libexec/sandbox-venv/sandbox-venv"
	chmod 0755 "$d/libexec/sandbox-venv/sandbox-venv"
	out=$("$d/libexec/sandbox-venv/sandbox-venv-launch" --version 2>&1)
	like "$out" "'$d/libexec/sandbox-venv/sandbox-venv' lies in '$d', which sandboxes can write" \
		"attack[lean] a command handed over refuses a sandbox-venv where the caller's sandboxes write"
	is "$([ -e "$d/ran" ] && echo ran)" "" "attack[lean] ... and does not run it"
	"$SV" --unwrap "$d/.venv" >/dev/null 2>&1
else
	ok 1 "lean: wrap a venv in the prefix"
	sed 's/^/#   /' "$SV_TMP/wrap.err"
fi
# The lean launcher where the venv's sandboxes write: refused at the wrap.
pp=$SV_TMP/lean-reach
mkdir -p "$pp/tools"
cp "$sv_real" "$lean" "$init" "$pp/tools/"
if wrap_new "$pp/tools/sandbox-venv" "$pp"; then
	ok 1 "attack[lean] a wrap whose launchers lie in the project is refused"
else
	like "$(cat "$SV_TMP/wrap.err")" "this sandbox-venv, '$pp/tools/sandbox-venv-launch', lies in the project" \
		"attack[lean] a wrap whose lean launcher lies in the project is refused (a sandbox could replace it)"
fi
# sandbox-venv in the project, the lean launcher outside it: refused too,
# since the lean launcher hands commands to sandbox-venv. (The project is
# PREFIX/bin itself; PREFIX/libexec is out of the sandboxes' reach.)
d=$SV_TMP/lean-split
mkdir -p "$d/bin" "$d/libexec/sandbox-venv"
cp "$sv_real" "$d/bin/sandbox-venv" && cp "$lean" "$init" "$d/libexec/sandbox-venv/"
if wrap_new "$d/bin/sandbox-venv" "$d/bin"; then
	ok 1 "attack[lean] a wrap by a sandbox-venv in the project is refused"
else
	like "$(cat "$SV_TMP/wrap.err")" "this sandbox-venv, '$d/bin/sandbox-venv', lies in the project" \
		"attack[lean] a wrap by a sandbox-venv in the project is refused, though the launcher the gates name is outside it"
fi

done_testing
