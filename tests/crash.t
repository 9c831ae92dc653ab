#!/bin/bash
# crash.t - SIGKILL at many points of a wrap, a re-wrap and a pip reconcile:
# afterwards the venv works and every entry point in bin/ is a gate (or, for
# a first wrap killed early, the venv is wholly as it was).
#
# SV_CRASH_KILLS sets the number of kills (default 200), spread over the
# three cases.
. "$(dirname "$0")/lib.sh"

kills=${SV_CRASH_KILLS:-200}
rewrap_kills=$((kills * 65 / 100))
first_kills=$((kills * 3 / 10))
pip_kills=$((kills - rewrap_kills - first_kills))
marker=$gate_marker

# Every program in bin/ is a gate: nothing in it runs unsandboxed.
# Prints the offenders.
ungated() {
	local f files=()
	for f in "$1"/bin/*; do
		case ${f##*/} in activate*|Activate.ps1) continue ;; esac
		if [ -L "$f" ]; then
			echo "${f##*/}"   # a symlink is never a gate
		elif [ -f "$f" ] && [ -x "$f" ]; then
			files+=("$f")
		fi
	done
	[ ${#files[@]} -eq 0 ] && return
	# grep -L names the files without the marker.
	grep -L -x -F "$marker" "${files[@]}" 2>/dev/null | while read -r f; do
		echo "${f##*/}"
	done
}

# Runs sandboxed: HOME is the venv's home.
works_sandboxed() {
	[ "$("$1/bin/python" -c 'import os; print(os.environ["HOME"])' 2>/dev/null)" = "$1/home" ]
}

# next_delay MAX: set delay to a number of microseconds in [0, MAX) from a
# fixed sequence, so a failure can be replayed. (A variable, not output:
# in a command substitution the sequence would not advance.)
seed=4242
delays=()
next_delay() {
	seed=$(((seed * 1103515245 + 12345) % 2147483648))
	delay=$((seed % $1))
	delays+=("$delay")
}
# How many different delays the kills of a phase used, and their range;
# reset delays=() after each phase (this runs in a command substitution).
spread() {
	printf '%s\n' "${delays[@]}" | sort -n | uniq | awk 'NR == 1 { lo = $1 } { n++; hi = $1 }
		END { printf "%d distinct delays, %d-%dus", n, lo, hi }'
}

# kill_after USEC COMMAND...: start it, SIGKILL it after USEC, wait.
kill_after() {
	local us=$1
	shift
	"$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$(printf '0.%06d' "$us")"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

elapsed_us() {   # elapsed_us COMMAND...: how long it runs
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}

# --- a re-wrap, killed ---------------------------------------------------------
SECONDS=0
p=$(new_project crash-rewrap --without-pip) || exit 1
v=$p/.venv
span=$(elapsed_us "$SV" "$v" --setenv K 0)
[ "$span" -lt 999999 ] || span=999999
bad_gate=0 bad_run=0
for i in $(seq "$rewrap_kills"); do
	next_delay "$span"
	kill_after "$delay" "$SV" "$v" --setenv K "$i"
	off=$(ungated "$v")
	if [ -n "$off" ]; then
		bad_gate=$((bad_gate + 1))
		echo "# kill $i of a re-wrap: ungated: $off"
	fi
	works_sandboxed "$v" || { bad_run=$((bad_run + 1)); echo "# kill $i of a re-wrap: the venv does not run sandboxed"; }
done
is "$bad_gate" 0 "$rewrap_kills kills of a re-wrap (span ${span}us, $(spread)): never an ungated entry point"
delays=()
is "$bad_run" 0 "... and the venv ran sandboxed after each"
"$SV" "$v" >/dev/null 2>&1
out=$("$SV" --check "$v")
ok $? "... and --check is clean after wrapping once more"

echo "# re-wrap phase: ${SECONDS}s"
# --- a first wrap, killed ----------------------------------------------------------
SECONDS=0
tpl=$SV_TMP/crash-template
"$SV_PYTHON" -m venv --without-pip "$tpl/.venv"
# Enough entry points that gating them one by one would take a while: a
# kill in the middle of that would show.
for i in $(seq 100); do
	printf '#!%s/.venv/bin/python\nimport sys\n' "$tpl" >"$tpl/.venv/bin/tool$i"
done
chmod 755 "$tpl"/.venv/bin/tool*
before=$(cd "$tpl/.venv/bin" && ls | sort | tr '\n' ' ')
cp -a "$tpl" "$SV_TMP/crash-first"
span=$(elapsed_us "$SV" "$SV_TMP/crash-first/.venv")
[ "$span" -lt 999999 ] || span=999999
mixed=0 broken=0 wrapped=0 unwrapped=0
for i in $(seq "$first_kills"); do
	p=$SV_TMP/crash-first-$i
	cp -a "$tpl" "$p"
	v=$p/.venv
	next_delay "$span"
	kill_after "$delay" "$SV" "$v"
	off=$(ungated "$v")
	n=$(ls "$v/bin" | grep -v -e '^activate' -e '^Activate' | wc -l)
	if [ -z "$off" ]; then
		wrapped=$((wrapped + 1))
		works_sandboxed "$v" || { broken=$((broken + 1)); echo "# kill $i of a first wrap: wrapped but does not run"; }
	elif [ "$(echo "$off" | wc -l)" -eq "$n" ] && [ ! -e "$v/bin/shell" ]; then
		unwrapped=$((unwrapped + 1))
		"$v/bin/python" -c pass || { broken=$((broken + 1)); echo "# kill $i: the untouched venv does not run"; }
	else
		mixed=$((mixed + 1))
		echo "# kill $i of a first wrap: partly wrapped, ungated: $(echo $off)"
	fi
	# Whatever the kill left, wrapping again completes it.
	"$SV" "$v" >/dev/null 2>&1 && [ -z "$(ungated "$v")" ] && [ -e "$v/bin/shell" ] ||
		{ broken=$((broken + 1)); echo "# kill $i of a first wrap: wrapping again did not repair it"; }
	rm -rf "$p"
done
is "$mixed" 0 "$first_kills kills of a first wrap ($(spread); $unwrapped left it as it was, $wrapped wrapped): never half-wrapped"
delays=()
is "$broken" 0 "... each venv worked, and wrapping again completed it"


# The first wrap's last window, made by hand: the gates are in place, and
# the old bin/ has not yet become the private bin. Whatever opens the venv
# next (a launch, --check, a wrap) finishes the move; nothing is lost.
newbin=.bin.sandbox-venv-new
for opener in launch check wrap; do
	p=$SV_TMP/crash-window-$opener
	cp -a "$tpl" "$p"
	v=$p/.venv
	"$SV" "$v" >/dev/null 2>&1
	mv "$v/.sandbox-venv/bin" "$v/$newbin"
	case $opener in
	launch) out=$("$v/bin/tool1" -c 'import os; print(os.environ["HOME"])' 2>&1) ;;
	check) out=$("$SV" --check "$v" 2>&1) ;;
	wrap) out=$("$SV" "$v" 2>&1) ;;
	esac
	after=$(cd "$v/.sandbox-venv/bin" 2>/dev/null && ls | grep -v -e '^activate' -e '^Activate' | sort | tr '\n' ' ')
	ok "$([ ! -e "$v/$newbin" ] && [ -z "$(ungated "$v")" ] && works_sandboxed "$v" &&
		[ "$after" = "$(echo "$before" | tr ' ' '\n' | grep -v -e '^activate' -e '^Activate' -e '^$' | sort | tr '\n' ' ')" ]
		echo $?)" "a first wrap killed between its exchange and its last rename: the next $opener finishes it, every entry point kept"
	[ -n "$after" ] || printf '%s\n' "$out" | sed 's/^/#   /' | head -5
	rm -rf "$p"
done

echo "# first-wrap phase: ${SECONDS}s"
# --- pip, killed while it installs or reconciles ------------------------------
SECONDS=0
p=$(new_project crash-pip) || exit 1
v=$p/.venv
make_package "$p/pkg" crashpkg crashpkg
span=$(elapsed_us "$v/bin/pip" install --no-index --no-build-isolation "$p/pkg")
"$v/bin/pip" uninstall -y crashpkg >/dev/null 2>&1
[ "$span" -lt 5000000 ] || span=5000000
bad_gate=0 bad_run=0
for i in $(seq "$pip_kills"); do
	# Kill the gate's launcher late: while pip finishes in its sandbox or
	# while the launcher reconciles. Install and uninstall alternate.
	next_delay $((span * 4 / 10))
	us=$((span * 7 / 10 + delay))
	if [ $((i % 2)) -eq 1 ]; then
		set -- install --no-index --no-build-isolation ./pkg
	else
		set -- uninstall -y crashpkg
	fi
	(cd "$p" && exec "$v/bin/pip" "$@" >/dev/null 2>&1) &
	pid=$!
	sleep "$(awk -v u="$us" 'BEGIN { printf "%.6f", u / 1e6 }')"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# pip itself may still finish in its sandbox; wait for it.
	for _ in $(seq 100); do pgrep -f "$v/bin/pip" >/dev/null || break; sleep 0.1; done
	off=$(ungated "$v")
	[ -z "$off" ] || { bad_gate=$((bad_gate + 1)); echo "# pip kill $i: ungated: $off"; }
	works_sandboxed "$v" || { bad_run=$((bad_run + 1)); echo "# pip kill $i: the venv does not run sandboxed"; }
done
"$v/bin/pip" uninstall -y crashpkg >/dev/null 2>&1
is "$bad_gate" 0 "$pip_kills kills of pip install (span ${span}us, $(spread)): never an ungated entry point"
delays=()
is "$bad_run" 0 "... and the venv ran sandboxed after each"
(cd "$p" && "$v/bin/pip" install --no-index --no-build-isolation ./pkg >/dev/null 2>&1)
out=$("$v/bin/crashpkg" 2>&1)
like "$out" "^crashpkg $v/bin/python" "after all that, pip installs and the new entry point runs sandboxed"
out=$("$SV" --check "$v")
ok $? "... and --check is clean"

echo "# pip phase: ${SECONDS}s"
done_testing
