#!/bin/bash
# lifecycle.t - a wrapped venv stays sandboxed through what is done to it:
# --check, --unwrap and deactivate_sandbox, re-runs, entry points added by
# other routes or left by a killed pip, pip however it is run, reserved
# names, concurrent launches, pips and re-runs, and moved things.
. "$(dirname "$0")/lib.sh"

marker=$gate_marker
are_gates() { local f; for f; do is_gate "$f" || return 1; done; }
pip_opts=(--no-index --no-build-isolation --disable-pip-version-check -q)
pyver=$("$SV_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')



check_intact() {   # check_intact VENV "description": --check exits 0 and prints nothing
	local got rc
	got=$("$SV" --check "$1" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$got" ]; then
		ok 0 "$2"
	else
		ok 1 "$2"
		printf 'exit %s\n%s\n' "$rc" "$got" | sed 's/^/#   /' | head -20
	fi
}

finding() {   # finding VENV FIXED-STRING "description": --check exits 1 with that line
	local got rc
	got=$("$SV" --check "$1" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && printf '%s\n' "$got" | grep -qxF -e "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf 'exit %s (want 1), want the line: %s\n%s\n' "$rc" "$2" "$got" |
			sed 's/^/#   /' | head -20
	fi
}

# A package whose console script prints its name and version.
versioned_package() {   # versioned_package DIR NAME SCRIPT VERSION
	mkdir -p "$1/$2"
	cat >"$1/setup.py" <<PY
from setuptools import setup
setup(name="$2", version="$4", packages=["$2"],
      entry_points={"console_scripts": ["$3 = $2:main"]})
PY
	printf 'def main():\n    print("%s %s")\n' "$3" "$4" >"$1/$2/__init__.py"
}

# A file outside every project: a sandbox must not see it.
outside=$SV_TMP/outside-marker
echo host >"$outside"

# A script that tells where it runs.
write_probe() {   # write_probe PATH NAME
	cat >"$1" <<SH
#!/bin/sh
if [ -e '$outside' ]; then o=visible; else o=absent; fi
echo "$2 HOME=\$HOME outside=\$o"
SH
	chmod 755 "$1"
}

gated_msg() { printf "sandbox-venv: gated 'bin/%s': it was added to the venv outside sandbox-venv" "$1"; }

# === a stdlib venv: check, unwrap, re-runs, entry points from elsewhere ======
p=$SV_TMP/plain
mkdir -p "$p"
"$SV_PYTHON" -m venv --without-pip "$p/.venv"
v=$p/.venv
vr=$(realpath "$v")
printf '#!/bin/sh\necho premade\n' >"$v/bin/premade"
chmod 755 "$v/bin/premade"
# A hidden file is never gated: it goes with the old bin/ into the
# private bin, and back with --unwrap.
printf '#!/bin/sh\necho hidden\n' >"$v/bin/.hidden-tool"
chmod 755 "$v/bin/.hidden-tool"
raw=$(dir_snapshot "$v/bin")

"$SV" "$v" >/dev/null 2>"$SV_TMP/wrap.err"
ok $? "wrapping a stdlib venv succeeds"
check_intact "$v" "--check on a freshly wrapped venv: exit 0 and silent (for a prompt hook)"
out=$(cd "$p" && "$SV" --check 2>&1; echo "rc=$?")
is "$out" "rc=0" "--check without an argument audits ./.venv"
out=$(cd "$p/bin" 2>/dev/null || cd "$p" && mkdir -p sub/deeper && cd sub/deeper && "$SV" --check 2>&1; echo "rc=$?")
is "$out" "rc=0" "... and from a sub-directory, the nearest .venv above"

# --- unwrap --------------------------------------------------------------------
out=$("$SV" --unwrap "$v" 2>&1)
ok $? "--unwrap succeeds"
is "$(dir_snapshot "$v/bin")" "$raw" "--unwrap restores bin/ byte for byte (entry points, links, activate scripts)"
check "--unwrap removes the state directory" test ! -e "$v/.sandbox-venv"
check "--unwrap keeps home/ and cache/" test -d "$v/home" -a -d "$v/cache"
out=$("$v/bin/python" -c "import os; print(os.path.exists('$outside'))" 2>&1)
is "$out" True "after --unwrap python runs on the host again (sees a file outside the project)"
finding "$v" "$vr: not wrapped: cannot open directory '.sandbox-venv': No such file or directory" \
	"--check on an unwrapped venv: 'not wrapped', exit 1"
"$SV" "$v" >/dev/null 2>"$SV_TMP/wrap.err"
ok $? "wrapping again after --unwrap succeeds"
check_intact "$v" "... and --check is clean"
out=$("$v/bin/python" -c "import os, sys; print(sys.prefix, os.path.exists('$outside'))" 2>&1)
is "$out" "$vr False" "... and python runs inside again"
is "$(grep -c '^deactivate_sandbox ()' "$v/bin/activate")" 1 \
	"bin/activate defines deactivate_sandbox once after unwrap and re-wrap"

out=$(cd "$p" && bash -c '. .venv/bin/activate && deactivate_sandbox' 2>&1)
ok $? "deactivate_sandbox in an activated shell succeeds"
is "$(dir_snapshot "$v/bin")" "$raw" "deactivate_sandbox restores bin/ byte for byte"
check "deactivate_sandbox removes the state directory" test ! -e "$v/.sandbox-venv"
check "deactivate_sandbox keeps home/ and cache/" test -d "$v/home" -a -d "$v/cache"
"$SV" "$v" >/dev/null 2>"$SV_TMP/wrap.err"
ok $? "wrapping again after deactivate_sandbox succeeds"
check_intact "$v" "... and --check is clean"

# --- re-running ------------------------------------------------------------------
snap_bin=$(dir_snapshot "$v/bin")
snap_priv=$(dir_snapshot "$v/.sandbox-venv/bin")
policy=$(cat "$v/.sandbox-venv/policy")
err=$("$SV" "$v" 2>&1 >/dev/null)
ok $? "re-running sandbox-venv succeeds"
is "$err" "" "... silently on stderr"
is "$(dir_snapshot "$v/bin")$(dir_snapshot "$v/.sandbox-venv/bin")$(cat "$v/.sandbox-venv/policy")" \
	"$snap_bin$snap_priv$policy" "... and changes neither bin/, the private bin nor the policy"
"$SV" "$v" --setenv SVA 1 >/dev/null 2>&1 && "$SV" "$v" --setenv SVB 2 >/dev/null 2>&1
ok $? "re-running with --setenv SVA 1, then with --setenv SVB 2"
out=$("$v/bin/python" -c 'import os; print(os.environ.get("SVA"), os.environ.get("SVB"))' 2>&1)
is "$out" "1 2" "new bwrap args are added to the recorded ones"
"$SV" --reset "$v" --setenv SVB 2 >/dev/null 2>&1
out=$("$v/bin/python" -c 'import os; print(os.environ.get("SVA"), os.environ.get("SVB"))' 2>&1)
is "$out" "None 2" "--reset with new args replaces the recorded ones"
unlike "$(cat "$v/.sandbox-venv/policy")" SVA "... and the policy no longer holds the old ones"
"$SV" --reset "$v" >/dev/null 2>&1

# --- entry points that appear in bin/ by another route -----------------------------
cp /bin/true "$v/bin/mytool"
finding "$v" "$vr: bin/mytool: an entry point without a gate: it runs unsandboxed" \
	"--check reports an executable copied into bin/ as running unsandboxed"
write_probe "$v/bin/probe1" probe1
check "control: on the host the probe sees the file outside" grep -q visible <("$v/bin/probe1")
out=$("$v/bin/python" -c 'print(1)' 2>"$SV_TMP/launch.err")
is "$out" 1 "the next launch of a gate (python) runs"
is "$(cat "$SV_TMP/launch.err")" "$(gated_msg mytool; echo; gated_msg probe1)" \
	"... and says on stderr that it gated bin/mytool and bin/probe1"
check "bin/mytool is a gate now" is_gate "$v/bin/mytool"
check "bin/probe1 is a gate now" is_gate "$v/bin/probe1"
check "the real mytool is in the private bin" cmp -s /bin/true "$v/.sandbox-venv/bin/mytool"
check_intact "$v" "--check is clean afterwards"
check "mytool runs through its gate" "$v/bin/mytool"
out=$("$v/bin/probe1" 2>&1)
is "$out" "probe1 HOME=$vr/home outside=absent" \
	"the host-written script runs inside: HOME is \$venv/home, the outside file is absent"
err=$("$v/bin/python" -c pass 2>&1 >/dev/null)
is "$err" "" "when nothing changed, a launch prints nothing"
sleep 0.2
err=$("$v/bin/python" -c pass 2>&1 >/dev/null)
is "$err" "" "... nor a later one"

write_probe "$v/bin/probe2" probe2
err=$("$SV" "$v" 2>&1 >/dev/null)
ok $? "re-running sandbox-venv with a new script in bin/ succeeds"
check "... which gates bin/probe2" is_gate "$v/bin/probe2"
contains "$err" "$(gated_msg probe2)" "... and says so on stderr"
out=$("$v/bin/probe2" 2>&1)
is "$out" "probe2 HOME=$vr/home outside=absent" "bin/probe2 runs inside"
check_intact "$v" "--check is clean afterwards"

# --- the stamp: bin/ is read again only when it may have changed --------------------
# A launch that finds bin/ changed gates what is new and writes the stamp
# anew (a new file: its inode changes). A stamp taken within a tick of the
# file system's clock after bin/ changed is not trusted (wrap.c: 100 ms
# where the file system keeps nanoseconds, two seconds where it keeps
# whole ones), a later one is.
stamp_id() { stat -c %i "$v/.sandbox-venv/stamp"; }
past=$(($(date +%s%N) - 250000000))
[ $((past % 1000000000)) -ne 0 ] || past=$((past + 1))
touch -m -d "@$((past / 1000000000)).$(printf '%09d' $((past % 1000000000)))" "$v/bin" "$v/.sandbox-venv/bin"
"$v/bin/python" -c pass
before=$(stamp_id)
"$v/bin/python" -c pass
is "$(stamp_id)" "$before" \
	"a stamp taken 250 ms after bin/ changed (nanosecond times) is trusted: the next launch does not read bin/ again"
touch -m -d "@$(date +%s)" "$v/bin"
"$v/bin/python" -c pass
before=$(stamp_id)
"$v/bin/python" -c pass
check "one taken within two seconds of a change at a whole second (a file system that keeps seconds) is not" \
	test "$(stamp_id)" != "$before"
sleep 2.1
"$v/bin/python" -c pass
before=$(stamp_id)
"$v/bin/python" -c pass
is "$(stamp_id)" "$before" "... and once two seconds have passed, it is"

# A host tool writing into bin/ while a launch gates it (here, while the
# launch updates the library cache, held there by strace for 1.5 s):
# what it wrote is in bin/'s mtime, but not in the listing the gates were
# matched with. The stamp counts from before that listing, so the next
# launch looks again and gates it; counted from the end of the work, it
# looked clean, and the program ran unsandboxed for good.
if command -v strace >/dev/null 2>&1; then
	cp /bin/true "$v/bin/trigger"
	printf '#!/bin/sh\necho UNSANDBOXED\n' >"$SV_TMP/late"
	chmod 755 "$SV_TMP/late"
	(sleep 0.7; cp "$SV_TMP/late" "$v/bin/.late.tmp" && mv "$v/bin/.late.tmp" "$v/bin/late") &
	writer=$!
	# renameat: the moved entry point, its gate, the library cache.
	strace -o /dev/null -e trace=renameat -e inject=renameat:delay_enter=1500000:when=3 \
		"$v/bin/python" -c pass 2>/dev/null
	wait "$writer"
	"$v/bin/python" -c pass 2>/dev/null
	check "an entry point a host tool adds while a launch gates bin/ is gated by the next launch" \
		is_gate "$v/bin/late"
	rm -f "$SV_TMP/late"
else
	skip "strace is not installed: no launch held while it gates bin/"
fi

# --- an entry point a killed pip left behind, and one pip removed -------------------
printf '#!/bin/sh\necho "killed-pip HOME=$HOME"\n' >"$v/.sandbox-venv/bin/kp"
chmod 755 "$v/.sandbox-venv/bin/kp"
finding "$v" "$vr: bin/kp: installed, but not gated yet" \
	"--check reports an entry point in the private bin without a gate"
"$v/bin/python" -c pass >/dev/null 2>&1
ok $? "the next launch runs"
check "... and gates bin/kp" is_gate "$v/bin/kp"
out=$("$v/bin/kp" 2>&1)
is "$out" "killed-pip HOME=$vr/home" "bin/kp runs inside"
check_intact "$v" "--check is clean afterwards"
rm "$v/.sandbox-venv/bin/kp"
finding "$v" "$vr: bin/kp: a gate without an entry point" \
	"--check reports a gate whose entry point left the private bin"
"$v/bin/python" -c pass >/dev/null 2>&1
ok $? "the next launch runs"
check "... and removes the gate bin/kp" test ! -e "$v/bin/kp"
check_intact "$v" "--check is clean afterwards"

# --- damage on the host side ----------------------------------------------------------
# Gates are read-only: a host tool writing into one in place fails instead
# of leaving an entry point that runs unsandboxed.
check "gates are mode 0555" test "$(stat -c %a "$v/bin/python3")" = 555
if [ "$(id -u)" = 0 ]; then
	skip "an in-place write into a gate fails: root writes through any mode"
else
	check_fails "an in-place write into a gate (cp over it) fails" cp /bin/true "$v/bin/python3"
	is "$("$v/bin/python3" -c 'import os; print(os.environ["HOME"])' 2>&1)" "$vr/home" \
		"... and the gate still runs python in the sandbox"
fi
# Damage by replacing files, as editors and tools that rename do.
replace() { printf '%s' "$2" >"$1.new" && chmod 755 "$1.new" && mv -f "$1.new" "$1"; }
cp "$v/bin/activate" "$SV_TMP/activate.wrapped"
replace "$v/bin/python3" "$(printf '#!/bin/sh\n%s\nexec /bin/true\n' "$marker")"
replace "$v/bin/shell" "$(cat "$v/bin/shell"; echo 'echo extra')"
echo '# edited' >>"$v/bin/activate"
: >"$v/bin/.python.tmp.999"
echo data >"$v/bin/README"
out=$("$SV" --check "$v" 2>&1)
is "$?" 1 "--check on a damaged venv exits 1"
is "$out" "$vr: bin/.python.tmp.999: a leftover file
$vr: bin/README: a file sandbox-venv did not write
$vr: bin/activate: differs from what sandbox-venv wrote
$vr: bin/python3: a damaged gate
$vr: bin/shell: a gate with content sandbox-venv did not write" \
	"... one line per finding: leftover, foreign file, modified activate, damaged gate, altered gate"
rm "$v/bin/README"
"$SV" "$v" >/dev/null 2>&1
ok $? "re-running sandbox-venv on it succeeds"
check_intact "$v" "... repairs the gates and activate and removes the leftover"
check "bin/activate is again what sandbox-venv wrote" cmp -s "$v/bin/activate" "$SV_TMP/activate.wrapped"
out=$("$v/bin/python3" -c 'import sys; print(sys.prefix)' 2>&1)
is "$out" "$vr" "the repaired python3 gate runs inside"

rm "$v/.sandbox-venv/libs"
finding "$v" "$vr: library cache: cannot open 'libs': No such file or directory" \
	"--check reports a missing library cache"
out=$("$v/bin/python" -c 'print(1)' 2>&1)
is "$out" 1 "a launch rebuilds the missing library cache"
check_intact "$v" "--check is clean afterwards"

# --- a first wrap killed right after its exchange left the old bin/ -------------------
mkdir "$v/.bin.sandbox-venv-new"
ln -s "$SV_PYTHON" "$v/.bin.sandbox-venv-new/python"
finding "$v" "$vr: .bin.sandbox-venv-new: left by an interrupted wrap, with programs that run unsandboxed (hint: run 'sandbox-venv $vr' again)" \
	"--check reports the old bin/ an interrupted first wrap left"
"$SV" "$v" >/dev/null 2>&1
check "... and the next wrap removes it" test ! -e "$v/.bin.sandbox-venv-new"
check_intact "$v" "--check is clean afterwards"

# --- nothing of the sandbox outlives the program's end --------------------------------
# When the gate returns, no process of the sandbox is left, not one the
# program left in a session of its own that ignores every signal it can:
# the launcher returns once the init is gone (the kernel ends every other
# process of the sandbox first), with the program's status.
marker=sv-left-$$-$RANDOM
cat >"$p/leave.py" <<'PY'
import os, signal, sys, time
child = os.fork()
if child == 0:
    os.setsid()
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, signal.SIG_IGN)
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
os.waitpid(child, 0)            # two processes left: this one and the grandchild
open("leave.ready", "w").close()
time.sleep(0.5)
sys.exit(7)
PY
# Five launches; in each, once the program says the two are all there
# are, both are found on the host (pidfds), and looked at the moment the
# gate's status is in: gone, or "ALIVE".
out=$("$SV_PYTHON" - "$p" "$v/bin/python" "$marker" <<'PY' 2>&1
import os, select, subprocess, sys, time
d, gate, marker = sys.argv[1:4]
ready = os.path.join(d, "leave.ready")
for _ in range(5):
    if os.path.exists(ready):
        os.unlink(ready)
    g = subprocess.Popen([gate, "leave.py", marker], cwd=d)
    for _ in range(200):
        if os.path.exists(ready) or g.poll() is not None:
            break
        time.sleep(0.01)
    fds = []
    for pid in os.listdir("/proc"):
        try:
            cmd = open("/proc/%s/cmdline" % pid, "rb").read().rstrip(b"\0").split(b"\0")
            if cmd[0].endswith(b"/.venv/bin/python") and cmd[1:] == [b"leave.py", marker.encode()]:
                fds.append(os.pidfd_open(int(pid)))
        except (OSError, ValueError):
            pass
    rc = g.wait()
    left = [f for f in fds if not select.select([f], [], [], 0)[0]]
    print("status", rc, "seen", len(fds), "ALIVE" * len(left))
PY
)
is "$(printf '%s\n' "$out" | sort -u)" "status 7 seen 2 " \
	"attack[process] when the gate returns (with the program's status), nothing the program left running is: a process in a session of its own that ignores the signals it can, seen at once (five launches: $(printf '%s' "$out" | sort | uniq -c | tr '\n' ' '))"
pkill -KILL -f "leave.py $marker" 2>/dev/null
rm -f "$p/leave.py" "$p/leave.ready"

# --- the sandbox does not outlive its launcher -----------------------------------------
# Once the program runs (its init watches the launcher's end of a channel),
# and at any moment before: no bwrap, and nothing of the sandbox, is left.
marker=sv-orphan-$$-$RANDOM
"$v/bin/python" -c "import time; time.sleep(60)" "$marker" &
launcher=$!
for _ in $(seq 100); do pgrep -f "^[^ ]*/bin/python -c .* $marker\$" >/dev/null && break; sleep 0.1; done
kill -KILL "$launcher"
wait "$launcher" 2>/dev/null
for _ in $(seq 50); do pgrep -f "$marker" >/dev/null || break; sleep 0.1; done
check_fails "a sandbox whose launcher is killed dies with it" pgrep -f "$marker"
pkill -KILL -f "$marker" 2>/dev/null
# Killed at any moment of its start (bwrap, started before the plan, may
# be waiting for its options, reading them, or building the mounts).
marker=sv-orphan-start-$$-$RANDOM
: >"$SV_TMP/start-kills.err"
codes=
for n in $(seq 80); do
	# What a launcher killed with SIGKILL leaves may say so (its init:
	# "the launcher is gone"); one sent SIGTERM ends cleanly.
	errs=/dev/null
	[ $((n % 2)) -eq 0 ] || errs=$SV_TMP/start-kills.err
	"$v/bin/python" -c pass "$marker" </dev/null >/dev/null 2>>"$errs" &
	launcher=$!
	sleep "$(printf '0.%03d' $((RANDOM % 45)))"
	if [ $((n % 2)) -eq 0 ]; then
		kill -KILL "$launcher" 2>/dev/null
		wait "$launcher" 2>/dev/null
	else
		kill -TERM "$launcher" 2>/dev/null
		wait "$launcher"
		codes="$codes $?"
	fi
done
for _ in $(seq 50); do pgrep -f "$marker" >/dev/null || break; sleep 0.1; done
check_fails "80 launches killed (SIGKILL, SIGTERM) at random moments of their start: nothing of them is left (no bwrap waiting forever)" \
	pgrep -af "$marker"
pkill -KILL -f "$marker" 2>/dev/null
is "$(cat "$SV_TMP/start-kills.err")" "" \
	"... and none sent SIGTERM says a word (no bwrap run with a part of its options)"
is "$(printf '%s\n' $codes | grep -cvE '^(0|143)$')" 0 \
	"... each SIGTERM ends the launch as SIGTERM would (143), or comes after its end (0):$codes"
# The same, at the worst moment: SIGTERM as soon as the launcher has a
# child, bwrap waiting for its options. The launcher kills it first, and
# dies of the signal; else bwrap would run with none of them.
# Under load the signal can come after the options instead: the launch
# then ends as SIGTERM ends it (143), silently too. Tried until one came
# before (20 times at most); no other outcome is allowed.
if [ -r "/proc/$$/task/$$/children" ]; then
	early=0 outcomes=
	for _ in $(seq 20); do
		out=$("$SV_PYTHON" - "$v/bin/python" <<'PY'
import os, signal, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "-c", "pass"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
kids = "/proc/%d/task/%d/children" % (p.pid, p.pid)
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        with open(kids) as f:
            if f.read().strip():
                break
    except OSError:
        break
os.kill(p.pid, signal.SIGTERM)
err = p.communicate()[1].decode(errors="replace")
print(p.returncode, repr(err))
PY
	)
		outcomes="$outcomes; $out"
		[ "$out" = "143 ''" ] || break
	done
	[ "$out" = "-15 ''" ] && early=1
	ok "$([ "$early" -eq 1 ]; echo $?)" "SIGTERM the moment bwrap is started, before it has its options: the launcher dies of it, and bwrap says nothing (it never ran) (${outcomes#; })"
else
	skip "SIGTERM the moment bwrap is started: this kernel lists no children in /proc (CONFIG_PROC_CHILDREN)"
fi

# --- the project moved ----------------------------------------------------------------
mv "$p" "$SV_TMP/plain-moved"
p=$SV_TMP/plain-moved
v=$p/.venv
old_vr=$vr
vr=$(realpath "$v")
finding "$v" "$vr: policy: recorded for '$old_vr', the venv is at '$vr'" \
	"--check reports a venv moved since it was wrapped"
err=$("$v/bin/python" -c pass 2>&1)
is "$?" 1 "a launch in the moved venv fails"
contains "$err" "hint: venvs cannot be moved" "... saying that venvs cannot be moved"
"$SV" "$v" >/dev/null 2>&1
ok $? "sandbox-venv on the moved venv succeeds"
finding "$v" "$vr: bin/activate: it sets VIRTUAL_ENV to '$old_vr', where the venv was made: venvs cannot be moved" \
	"... and --check says what still names the old place"
out=$("$v/bin/python" -c 'import sys; print(sys.prefix)' 2>&1)
is "$out" "$vr" "... and python runs inside at the new place"

"$SV" --unwrap "$v" >/dev/null 2>&1
ok $? "--unwrap after all that succeeds"
check "the copied mytool is back in bin/ as itself" cmp -s /bin/true "$v/bin/mytool"
check "the host-written probe1 is back in bin/ as itself" grep -q '^echo "probe1' "$v/bin/probe1"
check "bin/premade is itself again" grep -qx 'echo premade' "$v/bin/premade"
check "no gate is left in bin/" sh -c "! grep -rlF 'sandbox-venv gate' '$v/bin'"

# === pip, however it is run ==================================================
p=$(new_project piplife) || { ok 1 "make the pip test project"; done_testing; exit; }
v=$p/.venv
vr=$(realpath "$v")
cd "$p" || exit 1
pip3n=$(cd "$v/bin" && ls -d pip3.[0-9]* 2>/dev/null | head -1)
[ -n "$pip3n" ] || pip3n=pip3
echo "# pip names: pip pip3 $pip3n"

make_package "$p/pkg-a" sva sv-a
"$v/bin/pip" install "${pip_opts[@]}" ./pkg-a >"$SV_TMP/pip.out" 2>&1
ok $? "pip install of a local setup.py package"
check "... gates its console script" is_gate "$v/bin/sv-a"
like "$("$v/bin/sv-a" 2>&1)" "^sv-a $vr/bin/python" "... which runs inside"

# A program a host tool adds to bin/ while pip runs: pip's end gates it
# (it lists bin/ as a launch does), or else the stamp it wrote counted as
# clean and the program ran unsandboxed for good. The package's build
# takes 1.5 s inside the sandbox and then fails, so that pip itself
# changes nothing in bin/ or the private bin.
make_package "$p/pkg-slow" svslow sv-slow "import time; time.sleep(1.5); raise SystemExit('no')"
printf '#!/bin/sh\necho UNSANDBOXED\n' >"$SV_TMP/during"
chmod 755 "$SV_TMP/during"
(sleep 0.5; cp "$SV_TMP/during" "$v/bin/.during.tmp" && mv "$v/bin/.during.tmp" "$v/bin/during-pip") &
writer=$!
"$v/bin/pip" install "${pip_opts[@]}" ./pkg-slow >"$SV_TMP/pip.out" 2>&1
check_fails "pip install of a package whose build takes 1.5 s and fails" test $? -eq 0
wait "$writer"
"$v/bin/python" -c pass 2>/dev/null
"$v/bin/python" -c pass 2>/dev/null
check "a program a host tool added to bin/ while pip ran is a gate after pip's end and two launches" \
	is_gate "$v/bin/during-pip"
contains "$(cat "$SV_TMP/pip.out")" "gated 'bin/during-pip'" "... and pip's end said so"
rm -f "$SV_TMP/during"

# Wheels built on the host, into directories inside the project.
src=$SV_TMP/src
versioned_package "$src/w1" svw sv-w 1.0
versioned_package "$src/f1" svf sv-f 1.0
versioned_package "$src/w2" svw sv-w 2.0
links=
if "$SV_PYTHON" -c 'import wheel, setuptools' 2>/dev/null &&
	"$SV_PYTHON" -m pip --version >/dev/null 2>&1; then
	wopts=(-q --no-deps --no-build-isolation --no-index --no-cache-dir --disable-pip-version-check)
	"$SV_PYTHON" -m pip wheel "${wopts[@]}" -w "$p/links1" "$src/w1" "$src/f1" >"$SV_TMP/wheel.out" 2>&1 &&
		"$SV_PYTHON" -m pip wheel "${wopts[@]}" -w "$p/links2" "$src/w2" >>"$SV_TMP/wheel.out" 2>&1 &&
		links=wheel
	[ -n "$links" ] || sed 's/^/# pip wheel: /' "$SV_TMP/wheel.out" | head -5
elif "$SV_PYTHON" -c 'import setuptools' 2>/dev/null; then
	echo "# no wheel package for $SV_PYTHON: --find-links directories of sdists instead"
	(cd "$src/w1" && "$SV_PYTHON" setup.py -q sdist -d "$p/links1") >"$SV_TMP/sdist.out" 2>&1 &&
		(cd "$src/f1" && "$SV_PYTHON" setup.py -q sdist -d "$p/links1") >>"$SV_TMP/sdist.out" 2>&1 &&
		(cd "$src/w2" && "$SV_PYTHON" setup.py -q sdist -d "$p/links2") >>"$SV_TMP/sdist.out" 2>&1 &&
		links=sdist
fi

if [ "$links" = wheel ]; then
	"$v/bin/$pip3n" install "${pip_opts[@]}" ./links1/svw-1.0-py3-none-any.whl >"$SV_TMP/pip.out" 2>&1
	ok $? "$pip3n install of a local wheel built on the host"
	check "... gates its console script" is_gate "$v/bin/sv-w"
	is "$("$v/bin/sv-w" 2>&1)" "sv-w 1.0" "... which runs"
	installs=(svf)
else
	skip "no wheel package for $SV_PYTHON: no local wheel to install"
	installs=(svf svw)
fi
if [ -n "$links" ]; then
	"$v/bin/python" -m pip install "${pip_opts[@]}" --find-links ./links1 "${installs[@]}" >"$SV_TMP/pip.out" 2>&1
	ok $? "python -m pip install --find-links DIR ($links)"
	check "... gates the console scripts" are_gates "$v/bin/sv-f" "$v/bin/sv-w"
	is "$("$v/bin/sv-f" 2>&1)" "sv-f 1.0" "... which run"
	"$v/bin/pip" install -U "${pip_opts[@]}" --find-links ./links2 svw >"$SV_TMP/pip.out" 2>&1
	ok $? "pip install -U --find-links DIR to version 2.0"
	check "... the console script is still a gate" is_gate "$v/bin/sv-w"
	is "$("$v/bin/sv-w" 2>&1)" "sv-w 2.0" "... and prints the new version"
	"$v/bin/pip3" uninstall -y -q svf >"$SV_TMP/pip.out" 2>&1
	ok $? "pip3 uninstall"
	check "... removes the gate and the real script" test ! -e "$v/bin/sv-f" -a ! -e "$v/.sandbox-venv/bin/sv-f"
	"$v/bin/python" -m pip uninstall -y -q svw >"$SV_TMP/pip.out" 2>&1
	ok $? "python -m pip uninstall"
	check "... removes the gate and the real script" test ! -e "$v/bin/sv-w" -a ! -e "$v/.sandbox-venv/bin/sv-w"
else
	skip "no setuptools for $SV_PYTHON: no --find-links directory"
fi
"$v/bin/$pip3n" uninstall -y -q sva >"$SV_TMP/pip.out" 2>&1
ok $? "$pip3n uninstall"
check "... removes the gate" test ! -e "$v/bin/sv-a"
check_intact "$v" "--check is clean after installs, an upgrade and uninstalls"

# pip upgrading itself: its own entry points are replaced inside.
if ls /usr/share/python-wheels/pip-*.whl >/dev/null 2>&1; then
	BWRAP_ARGS='--ro-bind /usr/share/python-wheels /usr/share/python-wheels' \
		"$v/bin/pip" install -U --force-reinstall "${pip_opts[@]}" \
		--find-links /usr/share/python-wheels pip >"$SV_TMP/pip.out" 2>&1
	ok $? "pip install -U --force-reinstall pip from /usr/share/python-wheels"
	check "pip, pip3 and $pip3n are still gates" are_gates "$v/bin/pip" "$v/bin/pip3" "$v/bin/$pip3n"
	like "$("$v/bin/pip" --version 2>&1)" "^pip [0-9].* from $vr/lib/" "pip --version works"
	like "$("$v/bin/$pip3n" --version 2>&1)" "^pip [0-9]" "$pip3n --version works"
	like "$("$v/bin/python" -m pip --version 2>&1)" "^pip [0-9]" "python -m pip --version works"
	check_intact "$v" "--check is clean after pip upgraded itself"
else
	skip "no pip wheel in /usr/share/python-wheels"
fi

# --- concurrency -------------------------------------------------------------------
make_package "$p/pkg-c1" svc1 sv-c1
make_package "$p/pkg-c2" svc2 sv-c2
make_package "$p/pkg-c3" svc3 sv-c3
"$v/bin/pip" install "${pip_opts[@]}" ./pkg-c1 >"$SV_TMP/c1.out" 2>&1 &
c1=$!
"$v/bin/pip" install "${pip_opts[@]}" ./pkg-c2 >"$SV_TMP/c2.out" 2>&1 &
c2=$!
wait "$c1"
rc1=$?
wait "$c2"
rc2=$?
is "$rc1 $rc2" "0 0" "two pip installs at once both finish"
check "... both console scripts are gates" are_gates "$v/bin/sv-c1" "$v/bin/sv-c2"
like "$("$v/bin/sv-c1" 2>&1; "$v/bin/sv-c2" 2>&1)" "^sv-c2 $vr/bin/python" "... and both run"
check_intact "$v" "... and --check is clean"

"$v/bin/pip" install "${pip_opts[@]}" ./pkg-c3 >"$SV_TMP/c3.out" 2>&1 &
c3=$!
fails=0
for i in $(seq 10); do
	out=$("$v/bin/python" -c 'print(1)' 2>>"$SV_TMP/loop.err") && [ "$out" = 1 ] || fails=$((fails + 1))
done
wait "$c3"
rc=$?
is "$rc $fails" "0 0" "pip install during 10 launches: pip finishes and no launch fails"
[ "$fails" -eq 0 ] || sed 's/^/#   /' "$SV_TMP/loop.err" | head -10
check "... its console script is a gate" is_gate "$v/bin/sv-c3"
check_intact "$v" "... and --check is clean"

for i in $(seq 20); do
	("$v/bin/python" -c 'print(1)' >"$SV_TMP/l$i.out" 2>"$SV_TMP/l$i.err"; echo $? >"$SV_TMP/l$i.rc") &
done
wait
outs=$(for i in $(seq 20); do cat "$SV_TMP/l$i.out"; done | sort | uniq -c | sed 's/^ *//')
rcs=$(for i in $(seq 20); do cat "$SV_TMP/l$i.rc"; done | sort | uniq -c | sed 's/^ *//')
is "$outs" "20 1" "20 launches at once all print 1"
is "$rcs" "20 0" "... and all exit 0"
[ "$rcs" = "20 0" ] || cat "$SV_TMP"/l*.err | sort | uniq -c | sed 's/^/#   /' | head -10

# Three loops launch python until the re-runs are done.
launch_loop() {   # launch_loop ID: writes "launches failures" to $SV_TMP/loopID.count
	local n=0 f=0 out
	while [ ! -e "$SV_TMP/stop" ] || [ "$n" -lt 2 ]; do
		out=$("$v/bin/python" -c 'print(1)' 2>>"$SV_TMP/loop$1.err") && [ "$out" = 1 ] ||
			f=$((f + 1))
		n=$((n + 1))
	done
	echo "$n $f" >"$SV_TMP/loop$1.count"
}
rm -f "$SV_TMP/stop"
: >"$SV_TMP/rewrap.err"
loops=()
for i in 1 2 3; do
	launch_loop "$i" &
	loops+=($!)
done
for i in 1 2 3 4 5; do
	"$SV" "$v" --setenv N "$i" >/dev/null 2>>"$SV_TMP/rewrap.err" || echo "re-run $i failed" >>"$SV_TMP/rewrap.err"
done
touch "$SV_TMP/stop"
wait "${loops[@]}"
read -r runs fails < <(cat "$SV_TMP"/loop[123].count | awk '{ n += $1; f += $2 } END { print n + 0, f + 0 }')
echo "# $runs launches in 3 loops during 5 re-runs"
is "$fails" 0 "sandbox-venv re-run 5 times during launches: no launch fails"
[ "$fails" -eq 0 ] || cat "$SV_TMP"/loop[123].err | sort | uniq -c | sed 's/^/#   /' | head -10
unlike "$(cat "$SV_TMP/rewrap.err")" "failed" "... and every re-run succeeds"
check_intact "$v" "... and --check is clean at the end"
out=$("$v/bin/python" -c 'import os; print(os.environ.get("N"))' 2>&1)
is "$out" 5 "... and the recorded policy is the last run's (N=5)"
policy=$(cat "$v/.sandbox-venv/policy")
"$SV" "$v" --setenv N 5 >/dev/null 2>&1
is "$(cat "$v/.sandbox-venv/policy")" "$policy" "... the same policy a quiet re-run with --setenv N 5 records"

# --- console scripts with reserved names ----------------------------------------------
snap=$(dir_snapshot "$v/bin")
mkdir -p "$p/pkg-names/svnames"
cat >"$p/pkg-names/setup.py" <<'PY'
from setuptools import setup
setup(name="svnames", version="1.0", packages=["svnames"],
      entry_points={"console_scripts": [
          ".hidden = svnames:main", "activate.fish = svnames:main",
          "deactivate = svnames:main", "shell = svnames:main",
          "Activate.ps1 = svnames:main"]})
PY
printf 'def main():\n    print("pwned")\n' >"$p/pkg-names/svnames/__init__.py"
"$v/bin/pip" install "${pip_opts[@]}" ./pkg-names >"$SV_TMP/pip.out" 2>&1
echo "# pip install of svnames exited with $?"
if [ -e "$v/.sandbox-venv/bin/.hidden" ]; then
	echo "# setuptools wrote a console script named .hidden"
fi
is "$(dir_snapshot "$v/bin")" "$snap" \
	"scripts named .hidden, activate.fish, deactivate, shell, Activate.ps1: bin/ on the host stays byte-identical"
check "no host gate named .hidden" test ! -e "$v/bin/.hidden"
check "no host gate named deactivate" test ! -e "$v/bin/deactivate"
out=$("$v/bin/shell" -c 'echo inside-shell' 2>&1)
is "$out" inside-shell "bin/shell still opens the sandbox shell"
check_intact "$v" "--check is clean with those scripts installed"
skip "a console script named 'evil/../x': setuptools refuses such names"
"$v/bin/pip" uninstall -y -q svnames >"$SV_TMP/pip.out" 2>&1
ok $? "pip uninstall of svnames"
is "$(dir_snapshot "$v/bin")" "$snap" "... leaves bin/ on the host byte-identical"

# --- unwrap with pip-installed entry points ----------------------------------------------
"$SV" --unwrap "$v" >/dev/null 2>&1
ok $? "--unwrap of the pip venv succeeds"
check "the real console scripts are back in bin/" grep -q svc1 "$v/bin/sv-c1"
like "$("$v/bin/sv-c1" 2>&1)" "^sv-c1 " "... and run directly"
like "$("$v/bin/pip" --version 2>&1)" "^pip [0-9]" "pip runs directly"
"$SV" "$v" >/dev/null 2>&1
ok $? "wrapping the pip venv again succeeds"
check "... sv-c1 is a gate again" is_gate "$v/bin/sv-c1"
check_intact "$v" "... and --check is clean"
cd "$SV_TMP" || exit 1

# === moved things ============================================================
# A venv whose base interpreter is removed: a copy of $SV_PYTHON with just
# enough standard library to start.
fake=$SV_TMP/fake-python
mkdir -p "$fake/bin" "$fake/lib/python$pyver"
fake_ok=0
if read -r real stdlib dynload < <("$SV_PYTHON" -c '
import os, sys, sysconfig
p = sysconfig.get_paths()
print(os.path.realpath(sys.executable), p["stdlib"], os.path.join(p["platstdlib"], "lib-dynload"))') &&
	cp "$real" "$fake/bin/python$pyver" &&
	cp -rL "$stdlib/os.py" "$stdlib/site.py" "$stdlib/encodings" "$dynload" "$fake/lib/python$pyver/" &&
	"$fake/bin/python$pyver" -c 'import encodings' 2>/dev/null; then
	fake_ok=1
fi
if [ "$fake_ok" -eq 1 ]; then
	pm=$SV_TMP/gone-python
	vm=$pm/.venv
	mkdir -p "$vm/bin" "$vm/lib/python$pyver/site-packages"
	printf 'home = %s\ninclude-system-site-packages = false\nversion = %s\nexecutable = %s\n' \
		"$fake/bin" "$pyver" "$fake/bin/python$pyver" >"$vm/pyvenv.cfg"
	ln -s "$fake/bin/python$pyver" "$vm/bin/python$pyver"
	ln -s "python$pyver" "$vm/bin/python"
	"$SV" "$vm" >/dev/null 2>"$SV_TMP/wrap.err"
	ok $? "a venv of a copied interpreter can be wrapped"
	vmr=$(realpath "$vm")
	fpy=$(realpath "$fake/bin/python$pyver")
	out=$("$vm/bin/python" -c 'import sys; print(sys.prefix)' 2>&1)
	is "$out" "$vmr" "control: it runs inside"
	rm "$fake/bin/python$pyver"
	err=$("$vm/bin/python" -c 'print(1)' 2>&1)
	is "$?" 1 "after the base interpreter is removed a launch exits 1"
	contains "$err" "'$fpy', is gone" "... naming the missing interpreter"
	contains "$err" "hint:" "... with a hint"
	finding "$vm" "$vmr: policy: the base Python '$fpy' is gone" "--check reports the missing base Python"
else
	skip "cannot run a copy of $SV_PYTHON outside its prefix"
fi

# A gate whose sandbox-venv binary moved away.
pl=$SV_TMP/moved-launcher
mkdir -p "$pl" "$SV_TMP/launcher-copy"
"$SV_PYTHON" -m venv --without-pip "$pl/.venv"
plr=$(realpath "$pl/.venv")
cp "$SV" "$SV_TMP/launcher-copy/sandbox-venv"
copy=$(realpath "$SV_TMP/launcher-copy/sandbox-venv")
"$copy" "$pl/.venv" >/dev/null 2>"$SV_TMP/wrap.err"
ok $? "wrapping with a copy of sandbox-venv"
out=$("$pl/.venv/bin/python" -c 'print(1)' 2>&1)
is "$out" 1 "control: its gates run"
rm "$copy"
out=$("$pl/.venv/bin/python" -c 'print(1)' 2>&1)
check_fails "with its launcher gone, a gate fails to start (the kernel's error)" test "$out" = 1
out=$(sh -c '. "$1/bin/activate"' sh "$pl/.venv" 2>&1)
is "$out" "sandbox-venv: '$copy', which starts this venv's entry points, is gone
hint: run 'sandbox-venv $plr' with the sandbox-venv you have now" \
	"activating the venv says the launcher is gone and what to run"
finding "$pl/.venv" "$plr: gates: their launcher '$copy' is gone, so they cannot start (hint: run 'sandbox-venv $plr' with the sandbox-venv you have now)" \
	"--check reports the missing launcher once, with what to run"
is "$("$SV" --check "$pl/.venv" | grep -c "is gone")" 1 "... in one line for all the gates"
"$SV" "$pl/.venv" >/dev/null 2>"$SV_TMP/wrap.err"
ok $? "running sandbox-venv on the venv again"
out=$("$pl/.venv/bin/python" -c 'import sys; print(sys.prefix)' 2>&1)
is "$out" "$plr" "... repairs it: python runs inside"
check_intact "$pl/.venv" "... and --check is clean"

# Gates made non-executable by hand are still gates: --check says so, and
# a wrap again or --unwrap never takes them for files to keep in place of
# the entry points they stand for (which they were: the real entry points
# were lost).
pm=$SV_TMP/gate-modes
"$SV_PYTHON" -m venv --without-pip "$pm/.venv"
pmr=$(realpath "$pm/.venv")
printf '#!%s/bin/python\nprint("the real tool")\n' "$pmr" >"$pm/.venv/bin/tool"
chmod 755 "$pm/.venv/bin/tool"
"$SV" "$pm/.venv" >/dev/null 2>&1
# Regular files only (never through a symlink: a venv's python leads to
# the host's).
noexec() { find "$1" -maxdepth 1 -type f -exec chmod a-x {} +; }
noexec "$pm/.venv/bin"
finding "$pm/.venv" "$pmr: bin/tool: a gate of mode 444, not 555 (hint: run 'sandbox-venv $pmr' to write it again)" \
	"--check reports a gate made non-executable, and what to run"
"$SV" "$pm/.venv" >"$SV_TMP/wrap.out" 2>&1
out=$(cd "$pm" && .venv/bin/tool 2>&1)
is "$out" "the real tool" "every gate made non-executable, then wrapped again: the entry points are kept, and run ($(cat "$SV_TMP/wrap.out"))"
check_intact "$pm/.venv" "... and --check is clean: the gates are written again"
noexec "$pm/.venv/bin"
"$SV" --unwrap "$pm/.venv" >/dev/null 2>&1
out=$("$pm/.venv/bin/python" "$pm/.venv/bin/tool" 2>&1)
is "$out" "the real tool" "... and --unwrap puts each entry point back in place of its gate"

# A plain file named shell in bin/: the first wrap still writes the shell gate.
ps=$SV_TMP/plain-shell
"$SV_PYTHON" -m venv --without-pip "$ps/.venv"
echo data >"$ps/.venv/bin/shell"
"$SV" "$ps/.venv" >/dev/null 2>&1
ok $? "wrapping a venv whose bin/ holds a plain file named shell"
check "... bin/shell is the shell gate" is_gate "$ps/.venv/bin/shell"
is "$(cat "$ps/.venv/.sandbox-venv/bin/shell" 2>&1)" data "... and the file is kept in the private bin"

# pip's sandbox writes the venv: where the next wrap builds its gates it
# can leave a tree as deep as it likes (an outside attack made one 40 deep,
# and every wrap after it failed "too deep"). The wrap clears it.
mkdir -p "$ps/.venv/.bin.sandbox-venv-new/$(printf 'd/%.0s' $(seq 300))"
touch "$ps/.venv/.bin.sandbox-venv-new/.deep-0"
# ... and directories it took its own rights away from (a second outside
# attack: mode 000 stopped every wrap of the user's after it).
mkdir -p "$ps/.venv/.bin.sandbox-venv-new/c/d" "$ps/.venv/.bin.sandbox-venv-new/ro/sub"
touch "$ps/.venv/.bin.sandbox-venv-new/ro/f"
chmod 000 "$ps/.venv/.bin.sandbox-venv-new/c"
chmod 0500 "$ps/.venv/.bin.sandbox-venv-new/ro"
# (and one 40 levels down, where the wrap moves directories up: a move
# needs the rights too)
chmod 000 "$ps/.venv/.bin.sandbox-venv-new/$(printf 'd/%.0s' $(seq 40))"
"$SV" "$ps/.venv" >/dev/null 2>"$SV_TMP/wrap.err"
ok $? "attack[state] a tree 300 deep, and directories of mode 000 and 0500, left in .bin.sandbox-venv-new do not stop a wrap: $(cat "$SV_TMP/wrap.err")"
ok "$([ ! -e "$ps/.venv/.bin.sandbox-venv-new" ]; echo $?)" "... and none of it is left"
check "... bin/shell is still the shell gate" is_gate "$ps/.venv/bin/shell"

done_testing
