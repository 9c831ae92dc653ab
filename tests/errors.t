#!/bin/bash
# errors.t - bad input: one clear line, a hint where the user can act, a
# non-zero exit, and nothing half-written.
. "$(dirname "$0")/lib.sh"

cd "$SV_TMP" || exit 1

# run_sv DIR ARGS...: run sandbox-venv, keep status and stderr.
run_sv() {
	local dir=$1
	shift
	err=$(cd "$dir" && "$SV" "$@" 2>&1 >/dev/null)
	rc=$?
}

# The venv's bin/ and state as a fingerprint, to prove nothing changed.
snapshot() { (cd "$1" && find . -printf '%p %y %m %s\n' | sort | sha256sum); }

mkdir -p empty
run_sv empty
is "$rc" 1 "no .venv: exit 1"
like "$err" "no venv at '.venv'" "no .venv: says so"
like "$err" "^hint: create one with: python3 -I -m venv .venv" "no .venv: hint to create it (-I: no module from the working directory)"

run_sv empty does-not-exist
like "$err" "no venv at 'does-not-exist'" "missing dir named in the message"

mkdir -p notvenv/.venv/bin
run_sv notvenv
is "$rc" 1 "a directory without pyvenv.cfg: exit 1"
like "$err" "is not a venv" "a directory without pyvenv.cfg: not a venv"
check "a directory without pyvenv.cfg: nothing written" test ! -e notvenv/.venv/.sandbox-venv

touch afile
run_sv . afile
is "$rc" 1 "a file, not a directory: exit 1"
like "$err" "not a directory" "a file, not a directory: says so"

# Malformed pyvenv.cfg: nothing written, the line named.
"$SV_PYTHON" -m venv bad/.venv
before=$(snapshot bad/.venv)
printf 'home = /usr/bin\nthis line has no equals sign\nversion = 3.11.2\n' >bad/.venv/pyvenv.cfg
run_sv bad
is "$rc" 1 "malformed pyvenv.cfg: exit 1"
like "$err" "pyvenv.cfg line 2" "malformed pyvenv.cfg: the line is named"
like "$err" "^hint: " "malformed pyvenv.cfg: a hint"
check "malformed pyvenv.cfg: no state written" test ! -e bad/.venv/.sandbox-venv
check "malformed pyvenv.cfg: bin/ untouched" test ! -e bad/.venv/bin/shell

printf 'version = 3.11.2\n' >bad/.venv/pyvenv.cfg
run_sv bad
like "$err" "home" "pyvenv.cfg without home: says so"

printf 'home = /nonexistent/bin\nversion = 3.11.2\n' >bad/.venv/pyvenv.cfg
run_sv bad
is "$rc" 1 "base Python gone: exit 1"
like "$err" "base Python of this venv is gone" "base Python gone: says so"
check "base Python gone: nothing written" test ! -e bad/.venv/.sandbox-venv

if [ "$(id -u)" -ne 0 ]; then
	"$SV_PYTHON" -m venv unread/.venv
	chmod 000 unread/.venv/pyvenv.cfg
	run_sv unread
	is "$rc" 1 "unreadable pyvenv.cfg: exit 1"
	like "$err" "cannot open 'pyvenv.cfg': Permission denied" "unreadable pyvenv.cfg: says why"
	check "unreadable pyvenv.cfg: nothing written" test ! -e unread/.venv/.sandbox-venv
	chmod 644 unread/.venv/pyvenv.cfg
else
	skip "unreadable pyvenv.cfg: root reads any file"
fi

# A broken symlink in bin/: refused before anything changes.
"$SV_PYTHON" -m venv broken/.venv
ln -s /nonexistent/python9 broken/.venv/bin/python9
before=$(snapshot broken/.venv)
run_sv broken
is "$rc" 1 "broken symlink in bin/: exit 1"
like "$err" "'bin/python9' is a broken symlink to '/nonexistent/python9'" "broken symlink: named with its target"
like "$err" "^hint: " "broken symlink: a hint"
is "$(snapshot broken/.venv)" "$before" "broken symlink: the venv is unchanged"

# Paths: a newline is refused, spaces and non-ASCII work (core.t).
nl_dir="$SV_TMP/new
line"
mkdir -p "$nl_dir"
"$SV_PYTHON" -m venv "$nl_dir/.venv" 2>/dev/null
run_sv "$nl_dir"
is "$rc" 1 "a venv path with a newline: exit 1"
like "$err" "contains a newline" "a venv path with a newline: says so"
check "a venv path with a newline: nothing written" test ! -e "$nl_dir/.venv/.sandbox-venv"

# bwrap refuses a recorded option: caught at wrap time.
"$SV_PYTHON" -m venv opts/.venv
run_sv opts .venv --no-such-option
is "$rc" 1 "an option bwrap rejects: exit 1"
like "$err" "'--no-such-option' is not a bwrap option" "an option bwrap does not have: named"
check "an option bwrap rejects: nothing written" test ! -e opts/.venv/.sandbox-venv

# The venv's parent holds the home directory: refused.
mkdir -p fakehome
"$SV_PYTHON" -m venv fakehome/.venv
err=$(cd fakehome && HOME="$SV_TMP/fakehome" "$SV" 2>&1 >/dev/null)
rc=$?
is "$rc" 1 "venv directly in the home directory: exit 1"
like "$err" "holds your home directory" "venv directly in the home directory: says why"
check "venv directly in the home directory: nothing written" test ! -e fakehome/.venv/.sandbox-venv

# Two venvs in one project: the sandbox of one could rewrite the other,
# which the host runs. It is wrapped, the other is read-only in its
# sandboxes, and the user is told to wrap that one too.
"$SV_PYTHON" -m venv --without-pip twin/.venv
"$SV_PYTHON" -m venv --without-pip twin/tools-venv
run_sv twin .venv
is "$rc" 0 "a project holding a second venv: wrapped"
like "$err" "also holds the venv '.*/twin/tools-venv', which is not wrapped: it is read-only" \
	"... naming the other venv, read-only in its sandboxes"
like "$err" "^hint: wrap it too: sandbox-venv --project" "... with a hint to wrap it"
out=$(cd twin && .venv/bin/python -c 'open("tools-venv/pyvenv.cfg", "a")' 2>&1)
like "$out" "Read-only file system" "... and inside, the other venv is read-only"

# bwrap missing: a build whose bwrap path does not exist.
if [ -x "${SV_HELPERS:-}/sandbox-venv-nobwrap" ]; then
	"$SV_PYTHON" -m venv nobwrap/.venv
	err=$(cd nobwrap && "$SV_HELPERS/sandbox-venv-nobwrap" 2>&1 >/dev/null)
	rc=$?
	is "$rc" 1 "bwrap missing: exit 1"
	like "$err" "cannot run '/nonexistent/bwrap'" "bwrap missing: says so"
	like "$err" "hint: install bubblewrap" "bwrap missing: names the package"
	check "bwrap missing: nothing written" test ! -e nobwrap/.venv/.sandbox-venv
else
	skip "bwrap missing: no sandbox-venv-nobwrap helper build"
fi

# bwrap's yes is remembered for this user, under a key of what it depends
# on (wrap.c): a wrap under the same key runs no bwrap; under another key,
# or with the file tampered with, it asks bwrap again.
probe_file=$HOME/.local/state/sandbox-venv/bwrap-works
proj=$(new_project probe-memo) || exit 1
check "bwrap's yes is remembered after a wrap" test -s "$probe_file"
is "$(stat -c %a "$probe_file" 2>&1)" 600 "... in a file only its user can read"
if command -v strace >/dev/null 2>&1 && strace -f -qq -e trace=execve -o /dev/null true 2>/dev/null; then
	# How many times a wrap of proj runs bwrap.
	bwrap_runs() {
		strace -f -qq -e trace=execve -o "$SV_TMP/probe.trace" "$SV" "$proj/.venv" >/dev/null 2>&1
		grep -c 'execve("/usr/bin/bwrap"' "$SV_TMP/probe.trace"
	}
	# The same after a change to the file (the command in "$@"). Another
	# job of this user (the sanitizer build's) may write the file between
	# the change and the wrap, which then rightly runs no bwrap: a count of
	# 0 is taken only when it comes up four times in a row.
	bwrap_runs_after() {
		local n
		for _ in 1 2 3 4; do
			"$@"
			n=$(bwrap_runs)
			[ "$n" = 0 ] || break
		done
		printf '%s\n' "$n"
	}
	other_key() {
		printf '%s\n' "$key" | sed 's/^uid .*/uid 12345 12345/' >"$probe_file"
	}
	is "$(bwrap_runs)" 0 "a wrap with bwrap's yes remembered runs no bwrap"
	key=$(cat "$probe_file")
	is "$(bwrap_runs_after other_key)" 1 "... a yes remembered under another key: the wrap asks bwrap again"
	is "$(cat "$probe_file")" "$key" "... and remembers its yes under this key"
	is "$(bwrap_runs_after chmod 620 "$probe_file")" 1 \
		"... the right key in a file others could write: the wrap asks bwrap again"
	is "$(bwrap_runs_after sh -c 'printf "yes\n" >"$0"' "$probe_file")" 1 \
		"... a tampered file: the wrap asks bwrap again"
	is "$(bwrap_runs_after rm -f "$probe_file")" 1 "... no file: the wrap asks bwrap"
else
	skip "when a wrap asks bwrap: strace cannot trace here"
fi

# User namespaces disabled: inside a user namespace of our own whose limit
# for nested ones is 0, as on a host with them switched off.
if unshare --user --map-root-user true 2>/dev/null; then
	"$SV_PYTHON" -m venv nouserns/.venv
	err=$(cd nouserns && unshare --user --map-root-user \
		sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0"' "$SV" 2>&1 >/dev/null)
	rc=$?
	is "$rc" 1 "user namespaces disabled: exit 1"
	like "$err" "bwrap cannot create a sandbox here" "user namespaces disabled: says so"
	like "$err" "hint: .*unprivileged_userns_clone.*apparmor_restrict_unprivileged_userns" \
		"user namespaces disabled: the sysctls, Ubuntu's AppArmor one too"
	check "user namespaces disabled: nothing written" test ! -e nouserns/.venv/.sandbox-venv
	check "... and that with bwrap's yes remembered from the wraps above" test -s "$probe_file"
else
	skip "user namespaces disabled: unshare --user is not available to simulate it"
fi

# Launch-time errors.
proj=$(new_project moved) || exit 1
mv "$proj" "$SV_TMP/moved2"
err=$("$SV_TMP/moved2/.venv/bin/python" -c pass 2>&1)
rc=$?
is "$rc" 1 "a moved venv: exit 1"
like "$err" "was wrapped at '$proj/.venv'" "a moved venv: says where it was"
like "$err" "hint: venvs cannot be moved" "a moved venv: says that venvs cannot be moved, and what to do"
"$SV" "$SV_TMP/moved2/.venv" >/dev/null
check "a moved venv works after wrapping again" "$SV_TMP/moved2/.venv/bin/python" -c pass

proj=$(new_project gone) || exit 1
rm "$proj/.venv/.sandbox-venv/bin/pip3"
err=$("$proj/.venv/bin/pip3" --version 2>&1)
rc=$?
is "$rc" 1 "an entry point that is gone: exit 1"
like "$err" "'pip3' has no entry point in this venv any more" "an entry point that is gone: says so"

err=$(cd "$proj" && SANDBOX_SECCOMP_ALLOW='read write no_such_call' .venv/bin/python -c pass 2>&1)
rc=$?
is "$rc" 1 "unknown system call in SANDBOX_SECCOMP_ALLOW: exit 1"
like "$err" "no_such_call" "unknown system call: named"

err=$(cd "$proj" && BWRAP_ARGS=$'--setenv\nA\x01' .venv/bin/python -c pass 2>&1)
rc=$?
is "$rc" 1 "BWRAP_ARGS with a control character: exit 1"
like "$err" "BWRAP_ARGS" "BWRAP_ARGS error: names the variable"

err=$(cd "$proj" && SANDBOX_PASS_ENV='BWRAP_ARGS' .venv/bin/python -c pass 2>&1)
is "$?" 1 "SANDBOX_PASS_ENV cannot pass policy: exit 1"
like "$err" "sandbox policy" "SANDBOX_PASS_ENV cannot pass policy: says so"

# A venv directory replaced by a symlink (as a sandbox would, could it
# rename it) is refused, never followed into what it points at.
proj=$(new_project swapped) || exit 1
mkdir -p "$SV_TMP/elsewhere" && echo secret >"$SV_TMP/elsewhere/secret"
mv "$proj/.venv/home" "$proj/.venv/home.real"
ln -s "$SV_TMP/elsewhere" "$proj/.venv/home"
err=$("$proj/.venv/bin/python" -c 'import os; print(os.listdir(os.environ["HOME"]))' 2>&1)
rc=$?
is "$rc" 1 "home swapped for a symlink: the launch is refused"
like "$err" "cannot use '$proj/.venv/home'" "... naming the directory"
unlike "$err" "secret" "... and nothing of the symlink's target is shown"
rm "$proj/.venv/home" && mv "$proj/.venv/home.real" "$proj/.venv/home"
check "... and it works again once home is a directory" "$proj/.venv/bin/python" -c pass

# A launch refused by its plan, which is made while bwrap starts (run.h):
# that bwrap is killed before it has its options, and says nothing.
err=$(cd "$proj" && BWRAP_ARGS=--share-net SANDBOX_NETWORK=none \
	"$proj/.venv/bin/python" -c 'print("PROGRAM-RAN")' 2>&1)
rc=$?
is "$rc" 1 "a launch its plan refuses (--share-net against --network=none): exit 1"
like "$err" "share-net.*would give the sandbox the host's network" "... saying why"
unlike "$err" "bwrap|PROGRAM-RAN" "... and the bwrap begun meanwhile is gone without a word: it never ran a thing"
is "$(printf '%s\n' "$err" | wc -l)" 2 "... the error and its hint, nothing more"

out=$("$SV" --help)
like "$out" "^Usage: sandbox-venv \[--project DIR\] \[--reset\] \[VENV_DIR\] \[BWRAP_OPTS...\]" "--help shows the usage"
out=$("$SV" -h)
like "$out" "^Usage:" "-h shows the usage"
out=$("$SV" --version)
like "$out" "^sandbox-venv [0-9]" "--version"

done_testing
