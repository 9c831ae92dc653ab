#!/bin/bash
# desktop.t - links opened on the host, and the desktop by permission
# (src/links.h, src/desktop.h), headless: a private session bus with a
# stand-in portal that records its calls, a stand-in xdg-open, Xvfb, and
# stand-in Wayland and PulseAudio servers. As root and as a user.
#
# The security checks read "attack[desktop] ...": each fails when its
# defence is taken out (refused schemes, the bus out of reach, the host's
# abstract X socket, no socket without its permission, no program of the
# sandbox's run by the host).
. "$(dirname "$0")/lib.sh"

W=$(mktemp -d "$SV_TMP/desk.XXXXXX") || { ok 1 "a scratch directory"; done_testing; exit; }
W=$(cd "$W" && pwd -P)
chmod 700 "$W"
lib_trap=$(trap -p EXIT)
bg_pids=()
cleanup() {
	stop_pids "${bg_pids[@]}"
	chmod -R u+w "$W" 2>/dev/null
	rm -rf "$W"
	if [ -n "$lib_trap" ]; then
		chmod -R u+w "$SV_TMP" 2>/dev/null
		rm -rf "$SV_TMP"
	fi
}
trap cleanup EXIT

t() {       # t "description" STATUS [DIAGNOSTICS]: a security check
	ok "$2" "attack[desktop] $1"
	if [ "$2" -ne 0 ] && [ -n "${3:-}" ]; then
		printf '%s\n' "$3" | head -30 | sed 's/^/#   /'
	fi
}
has() { printf '%s\n' "$1" | grep -qF -e "$2"; }
wait_for() {   # wait_for TESTCMD...: up to 10 s
	local _
	for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
	return 1
}

# The tools the fixtures need, from Debian (scripts/deps).
SYSPY=/usr/bin/python3
have_bus=$(command -v dbus-daemon >/dev/null && "$SYSPY" -c 'import dbus, dbus.service, dbus.mainloop.glib; from gi.repository import GLib' 2>/dev/null && echo 1)
have_x=$(command -v Xvfb >/dev/null && command -v xauth >/dev/null && echo 1)

# A project whose venv sees Debian's packages (tkinter, dbus).
p=$W/proj
mkdir -p "$p"
if ! "$SV_PYTHON" -m venv --without-pip --system-site-packages "$p/.venv" >/dev/null 2>&1 ||
	! "$SV" "$p/.venv" >/dev/null 2>"$W/wrap.err"; then
	ok 1 "make the project"
	sed 's/^/#   /' "$W/wrap.err"
	done_testing
	exit
fi
v=$p/.venv
cd "$p" || exit 1

# A launch with a desktop session of our making: only the variables named.
desk() {   # desk VAR=VALUE... -- COMMAND...
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY -u WAYLAND_DISPLAY -u XAUTHORITY \
		-u XDG_RUNTIME_DIR -u PULSE_SERVER -u BROWSER "${vars[@]}" "$@"
}

# === links through the portal ===================================================
cat >"$W/portal.py" <<'PY'
import sys, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
log, mode = sys.argv[1], sys.argv[2]
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
name = dbus.service.BusName("org.freedesktop.portal.Desktop", bus)
def rec(line):
    with open(log, "a") as f:
        f.write(line + "\n")
class Portal(dbus.service.Object):
    @dbus.service.method("org.freedesktop.portal.OpenURI", in_signature="ssa{sv}",
                         out_signature="o", async_callbacks=("ok", "err"))
    def OpenURI(self, parent, uri, options, ok, err):
        rec("OpenURI %r %s %d" % (str(parent), uri, len(options)))
        if mode != "hang":
            ok(dbus.ObjectPath("/org/freedesktop/portal/desktop/request/1_1/t"))
    @dbus.service.method("org.freedesktop.portal.Screenshot", in_signature="sa{sv}",
                         out_signature="o")
    def Screenshot(self, parent, options):
        rec("Screenshot")
        return dbus.ObjectPath("/org/freedesktop/portal/desktop/request/1_1/s")
Portal(bus, "/org/freedesktop/portal/desktop")
rec("ready " + mode)
GLib.MainLoop().run()
PY
# A Screenshot call, as any client on the bus makes it (in the project,
# for the sandbox to run).
cat >"$p/screenshot.py" <<'PY'
import sys, dbus
try:
    bus = dbus.bus.BusConnection(sys.argv[1])
    o = bus.get_object("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop")
    o.Screenshot("", dbus.Dictionary({}, signature="sv"),
                 dbus_interface="org.freedesktop.portal.Screenshot")
    print("screenshot DONE")
except Exception as e:
    print("screenshot blocked", type(e).__name__)
PY

portal_pid=
start_portal() {   # start_portal MODE: (re)start the stand-in portal
	[ -z "$portal_pid" ] || { kill "$portal_pid" 2>/dev/null; wait "$portal_pid" 2>/dev/null; }
	DBUS_SESSION_BUS_ADDRESS=$BUS "$SYSPY" "$W/portal.py" "$W/portal.log" "$1" \
		>>"$W/portal.out" 2>&1 &
	portal_pid=$!
	bg_pids+=("$portal_pid")
	wait_for grep -qsx "ready $1" "$W/portal.log"
}
reached() { grep -cxF "OpenURI '' $1 0" "$W/portal.log" 2>/dev/null; }

if [ -n "$have_bus" ]; then
	abstract=/sv-test-bus-$$-$RANDOM
	cat >"$W/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$W/bus</listen>
  <listen>unix:abstract=$abstract</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
	dbus-daemon --config-file="$W/bus.conf" --nofork >"$W/dbus.out" 2>&1 &
	bg_pids+=("$!")
	wait_for test -S "$W/bus"
	BUS=unix:path=$W/bus
	start_portal ok
	ok $? "a private session bus with a stand-in portal"

	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/python" -c '
import webbrowser
print(webbrowser.open("https://example.org/from-webbrowser?a=1&b=2"))' 2>&1)
	is "$out|$(reached 'https://example.org/from-webbrowser?a=1&b=2')" "True|1" \
		"webbrowser.open(\"https://...\") inside reaches the portal on the host's bus, once"
	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/shell" -c '
xdg-open https://example.org/from-xdg-open; echo "xdg-open $?"
x-www-browser http://example.org/from-x-www-browser; echo "x-www-browser $?"
"$BROWSER" https://example.org/from-BROWSER; echo "BROWSER $?"
command -v xdg-open' 2>&1)
	is "$out" "xdg-open 0
x-www-browser 0
BROWSER 0
/run/sandbox-venv/bin/xdg-open" "xdg-open, x-www-browser and \$BROWSER inside open links, and exit 0"
	is "$(reached https://example.org/from-xdg-open)$(reached http://example.org/from-x-www-browser)$(reached https://example.org/from-BROWSER)" \
		111 "... each reached the portal (OpenURI, no parent window, no options)"
	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/shell" -c \
		'xdg-open "mailto:someone@example.org?subject=hi&body=there"; echo $?' 2>&1)
	is "$out|$(reached 'mailto:someone@example.org?subject=hi&body=there')" "0|1" \
		"a mailto link with a subject and a body is opened"
	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/shell" -c \
		'xdg-open "https://example.org/K$(printf "\303\266")ln/{x}"; echo $?' 2>&1)
	is "$out|$(reached 'https://example.org/K%C3%B6ln/%7Bx%7D')" "0|1" \
		"a link with non-ASCII bytes and braces is opened %-encoded"

	# Refused: said on one line, the helper exits non-zero, the portal
	# never hears of it.
	refused() {   # refused URL REASON-PATTERN "what"
		local out n
		n=$(grep -c . "$W/portal.log")
		out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/shell" -c 'xdg-open "$1"; echo "rc $?"' sh "$1" 2>&1)
		t "$3: refused, said on one line, never reaches the portal" \
			"$(has "$out" "rc 4" && printf '%s\n' "$out" | grep -q "^sandbox-venv: links: refused '.*' ($2" &&
				[ "$(grep -c . "$W/portal.log")" = "$n" ]; echo $?)" "$out
portal: $(tail -3 "$W/portal.log")"
	}
	refused "file:///etc/passwd" "only http, https and mailto" "xdg-open file:///etc/passwd"
	refused "javascript:alert(document.cookie)" "only http, https and mailto" "xdg-open javascript:..."
	refused "FILE:/etc/shadow" "only http, https and mailto" "xdg-open FILE:/etc/shadow"
	refused "data:text/html,<script>x</script>" "only http, https and mailto" "xdg-open data:..."
	refused "http:/etc/passwd" "no host" "xdg-open http:/etc/passwd (a path, not a host)"
	refused "mailto:a@example.org?attach=/home/u/.ssh/id_rsa" "mailto field 'attach'" \
		"a mailto link with attach= (a mail program would attach your key)"
	refused "https://example.org/$(printf 'a\033]0;x\007')" "control characters" "a link with escape sequences"
	refused "https://example.org/a b" "spaces" "a link with a space"
	refused "https://example.org/$(head -c 5000 /dev/zero | tr '\0' a)" "longer than 4096 bytes" "a link of 5000 bytes"
	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/python" -c '
import webbrowser
print(webbrowser.open("file:///etc/passwd"))' 2>&1)
	t "webbrowser.open(\"file:///etc/passwd\") returns False (the helper exits non-zero), said once, never reaches the portal" \
		"$([ "$(printf '%s\n' "$out" | tail -1)" = False ] &&
			[ "$(printf '%s\n' "$out" | grep -c 'links: refused')" = 1 ] &&
			! grep -qF 'file:///etc/passwd' "$W/portal.log"; echo $?)" "$out"

	# The rate: LINKS_BURST (5) in a row, then one every 2 s.
	before=$(grep -c '^OpenURI' "$W/portal.log")
	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/shell" -c '
for i in 1 2 3 4 5 6 7 8; do xdg-open "https://example.org/flood-$i"; echo "rc $?"; done' 2>&1)
	after=$(grep -c '^OpenURI' "$W/portal.log")
	t "8 links in a row: 5 reach the portal, the rest are refused and said once" \
		"$([ $((after - before)) = 5 ] && [ "$(printf '%s\n' "$out" | grep -c 'more than 5 links')" = 1 ] &&
			[ "$(printf '%s\n' "$out" | grep -c '^rc 4')" = 3 ]; echo $?)" "reached: $((after - before))
$out"

	# Nothing of the bus inside: neither its address, nor its socket by
	# path, nor its abstract name (the Landlock scope).
	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/python" -c '
import os, socket, sys
print("address", os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
for name, addr in (("path", sys.argv[1]), ("abstract", "\0" + sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(addr); print(name, "DONE")
    except OSError as e:
        print(name, "blocked", e.errno)
' "$W/bus" "$abstract" 2>&1)
	t "inside, the session bus is out of reach: no address, its socket not there, its abstract name refused" \
		"$(has "$out" "address None" && has "$out" "path blocked 2" && has "$out" "abstract blocked"; echo $?)" "$out"
	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/python" "$p/screenshot.py" "unix:abstract=$abstract" 2>&1 |
		tail -1)
	out2=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/python" "$p/screenshot.py" "$BUS" 2>&1 | tail -1)
	shots=$(grep -c '^Screenshot' "$W/portal.log")
	"$SYSPY" "$p/screenshot.py" "$BUS" >"$W/shot.out" 2>&1
	t "a portal Screenshot call from inside (dbus-python, by the abstract name and by path) never arrives; the same call from the host does" \
		"$(has "$out" "screenshot blocked" && has "$out2" "screenshot blocked" && [ "$shots" = 0 ] &&
			[ "$(grep -c '^Screenshot' "$W/portal.log")" = 1 ]; echo $?)" "inside: $out / $out2; before the host's: $shots; host: $(cat "$W/shot.out")"

	# A hung portal: the launcher's loop goes on (signals, the end of the
	# program), and the link fails after 10 s.
	start_portal hang
	marker=sv-desk-$$-$RANDOM
	# (env execs the launcher: $! is the gate's pid, as a shell's job.)
	env -u DISPLAY -u WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS="$BUS" "$v/bin/shell" -c \
		'xdg-open https://example.org/hung & exec sleep 30' "$marker" >"$W/hung.out" 2>&1 &
	gpid=$!
	wait_for grep -q 'OpenURI .* https://example.org/hung ' "$W/portal.log"
	sleep 0.3
	start=$(date +%s%N)
	kill -TERM "$gpid" 2>/dev/null
	wait "$gpid"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	ok "$([ "$rc" = 143 ] && [ "$ms" -lt 3000 ]; echo $?)" \
		"while the portal hangs, kill -TERM on the launcher still reaches the program at once (status $rc after $ms ms)"
	start=$(date +%s)
	out=$(desk DBUS_SESSION_BUS_ADDRESS="$BUS" -- "$v/bin/shell" -c 'xdg-open https://example.org/hung2; echo "rc $?"' 2>&1)
	s=$(($(date +%s) - start))
	ok "$(has "$out" "rc 4" && has "$out" "the portal did not answer in 10 s" && [ "$s" -lt 20 ]; echo $?)" \
		"a portal that never answers: the link fails after 10 s, said on one line (${s} s)"
	start_portal ok
else
	skip "no dbus-daemon, python3-dbus or python3-gi: links through the portal"
fi

# === links without a session bus: the host's xdg-open ==============================
mkdir -p "$W/stub" "$p/planted-bin"
cat >"$W/stub/xdg-open" <<EOF
#!/bin/sh
{ printf 'args'; printf ' [%s]' "\$@"; echo; env | sort; } > "$W/xdg.log"
case \$1 in *fails*) exit 3 ;; esac
EOF
printf '#!/bin/sh\ntouch "%s/PLANTED-RAN"\n' "$W" >"$p/planted-bin/xdg-open"
cp "$p/planted-bin/xdg-open" "$p/xdg-open"
chmod 755 "$W/stub/xdg-open" "$p/planted-bin/xdg-open" "$p/xdg-open"
out=$(desk DISPLAY=:0 SECRET_TOKEN=s3cret LD_PRELOAD= PATH="$W/stub:$PATH" -- "$v/bin/shell" -c \
	'xdg-open "https://example.org/fallback?q=1"; echo "rc $?"' 2>&1)
is "$out|$(head -1 "$W/xdg.log" 2>/dev/null)" "rc 0|args [https://example.org/fallback?q=1]" \
	"no session bus (DISPLAY only): the host's xdg-open is run with the link as its one argument"
names=$(sed 1d "$W/xdg.log" 2>/dev/null | cut -d= -f1 | grep -vx -e PWD -e SHLVL -e _ | tr '\n' ' ')
t "... with a clean environment: only DISPLAY, HOME, LANG, PATH and the like, no secret, no loader variable" \
	"$(! grep -q -e s3cret -e SECRET_TOKEN -e LD_PRELOAD "$W/xdg.log" &&
		[ -z "$(printf '%s\n' $names | grep -vx -e DISPLAY -e WAYLAND_DISPLAY -e XAUTHORITY -e XDG_RUNTIME_DIR \
			-e XDG_CURRENT_DESKTOP -e DBUS_SESSION_BUS_ADDRESS -e HOME -e LANG -e PATH)" ]; echo $?)" "names: $names"
rm -f "$W/xdg.log" "$W/PLANTED-RAN"
out=$(desk DISPLAY=:0 PATH="$p/planted-bin:.:$W/stub:$PATH" -- "$v/bin/shell" -c \
	'xdg-open https://example.org/planted; echo "rc $?"' 2>&1)
t "an xdg-open the sandbox can write (in the project, first on PATH, or found through '.') is never run; the next one on PATH is" \
	"$([ ! -e "$W/PLANTED-RAN" ] && grep -q '^args \[https://example.org/planted\]' "$W/xdg.log" &&
		! grep -q "^PATH=.*$p" "$W/xdg.log"; echo $?)" "$out; ran: $(ls "$W" | tr '\n' ' ')
$(cat "$W/xdg.log" 2>/dev/null | head -3)"
out=$(desk DISPLAY=:0 PATH="$W/stub:$PATH" -- "$v/bin/shell" -c \
	'xdg-open https://example.org/fails; echo "rc $?"' 2>&1)
ok "$(has "$out" "rc 4" && has "$out" "xdg-open exited with status 3"; echo $?)" \
	"an xdg-open that fails: the helper exits non-zero, and the launcher says why"
out=$(desk DISPLAY=:0 PATH=/nonexistent -- "$v/bin/shell" -c 'xdg-open https://example.org/none; echo "rc $?"' 2>&1)
ok "$(has "$out" "rc 4" && has "$out" "no xdg-open on your PATH"; echo $?)" \
	"no session bus and no xdg-open: the link fails and that is said"

# A launcher killed with SIGKILL leaves its link directory behind; a later
# launch removes it once it is a minute old and nobody listens on it, and
# keeps one whose launcher still runs.
lrt=$W/lrt
mkdir -p "$lrt/sandbox-venv-links.live" && chmod 700 "$lrt"
"$SYSPY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True); time.sleep(120)' "$lrt/sandbox-venv-links.live/socket" >"$W/live.out" 2>&1 &
bg_pids+=("$!")
env -u DBUS_SESSION_BUS_ADDRESS DISPLAY=:0 XDG_RUNTIME_DIR="$lrt" "$v/bin/python" -c 'import time; time.sleep(30)' \
	>/dev/null 2>&1 &
gpid=$!
wait_for sh -c "ls '$lrt'/sandbox-venv-links.*/socket | grep -qv live"
kill -KILL "$gpid" 2>/dev/null
wait "$gpid" 2>/dev/null
wait_for grep -qs ready "$W/live.out"
left=$(ls -d "$lrt"/sandbox-venv-links.* | grep -v live)
touch -d '2 minutes ago' "$lrt"/sandbox-venv-links.*
desk DISPLAY=:0 XDG_RUNTIME_DIR="$lrt" -- "$v/bin/python" -c pass >/dev/null 2>&1
ok "$([ -n "$left" ] && [ ! -e "$left" ] && [ -S "$lrt/sandbox-venv-links.live/socket" ] &&
	[ "$(ls "$lrt")" = sandbox-venv-links.live ]; echo $?)" \
	"a killed launcher's link directory is removed by a later launch; one still listened on is kept (left: $(ls "$lrt" | tr '\n' ' '))"

# Off: no desktop session, or --links=off recorded.
out=$(desk -- "$v/bin/shell" -c 'command -v xdg-open; echo "browser=${BROWSER:-}"; test -e /run/sandbox-venv/links && echo socket' 2>&1)
is "$out" "browser=" "without a desktop session (no DISPLAY, WAYLAND_DISPLAY or session bus) there is no xdg-open, BROWSER or link socket inside"
"$SV" "$v" --links=off >/dev/null 2>&1
out=$(desk DISPLAY=:0 PATH="$W/stub:$PATH" -- "$v/bin/shell" -c 'command -v xdg-open; echo "browser=${BROWSER:-}"; test -e /run/sandbox-venv/links && echo socket' 2>&1)
is "$out|$("$SV" --show "$v" | grep '^links')" "browser=|links    off" \
	"recipe: sandbox-venv .venv --links=off: no xdg-open, BROWSER or link socket inside, and --show says so"
"$SV" "$v" --links=auto >/dev/null 2>&1
"$SV" "$v" --unshare-net >/dev/null 2>&1
out=$(desk DISPLAY=:0 PATH="$W/stub:$PATH" -- "$v/bin/shell" -c 'command -v xdg-open; echo "browser=${BROWSER:-}"; test -e /run/sandbox-venv/links && echo socket' 2>&1)
out2=$(desk DISPLAY=:0 BWRAP_ARGS=--unshare-all PATH="$W/stub:$PATH" -- "$v/bin/shell" -c 'test -e /run/sandbox-venv/links && echo socket' 2>&1)
"$SV" --reset "$v" >/dev/null 2>&1
t "links are off when the sandbox's network is cut (recorded --unshare-net, or --unshare-all in BWRAP_ARGS): a link would be a way out" \
	"$([ "$out" = "browser=" ] && [ -z "$out2" ]; echo $?)" "$out / $out2"

# === X11 ================================================================================
xclient='
import ctypes, os
x = ctypes.CDLL("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
d = x.XOpenDisplay(None)
print("DISPLAY=%s %s" % (os.environ.get("DISPLAY"), "open" if d else "failed"))'
d=
[ -z "$have_x" ] || d=$(free_x_display 150 400)
if [ -n "$d" ]; then
	touch "$W/xauth"
	xauth -f "$W/xauth" add ":$d" . "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" 2>/dev/null
	xauth -f "$W/xauth" add ":7" . "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" 2>/dev/null
	xauth -f "$W/xauth" add "otherhost/unix:$d" . "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" 2>/dev/null
	cookie=$(xauth -f "$W/xauth" list ":$d" | awk 'NR == 1 { print $3 }')
	Xvfb ":$d" -nolisten tcp -auth "$W/xauth" >"$W/xvfb.out" 2>&1 &
	bg_pids+=("$!")
	wait_for grep -q "@/tmp/.X11-unix/X$d\$" /proc/net/unix
	# The first number tried inside taken by an abstract socket on the
	# host (a stand-in listener, unless a server has it already).
	"$SYSPY" -c '
import socket, time
s = socket.socket(socket.AF_UNIX)
try:
    s.bind("\0/tmp/.X11-unix/X99"); s.listen(1)
except OSError:
    pass
print("ready", flush=True)
time.sleep(600)' >"$W/x99.out" 2>&1 &
	bg_pids+=("$!")
	wait_for grep -qs ready "$W/x99.out"
	xenv=(DISPLAY=":$d" XAUTHORITY="$W/xauth")

	out=$(desk "${xenv[@]}" -- "$v/bin/python" -c "$xclient" 2>&1)
	out2=$(desk "${xenv[@]}" SANDBOX_PASS_ENV="DISPLAY XAUTHORITY" -- "$v/bin/python" -c "$xclient" 2>&1)
	t "without --socket=x11, XOpenDisplay fails inside, even with DISPLAY and XAUTHORITY passed in" \
		"$(has "$out" "DISPLAY=None failed" && has "$out2" "DISPLAY=:$d failed"; echo $?)" "$out / $out2"
	# "There" is readable: in the Landlock layout the rest of /usr exists but
# cannot be listed or read.
out=$(desk "${xenv[@]}" -- "$v/bin/python" -c '
import os
def there(p):
    try:
        os.listdir(p); return True
    except OSError:
        return False
print(there("/tmp/.X11-unix"), [there(p) for p in ("/usr/share/tcltk", "/usr/share/fonts", "/etc/fonts", "/usr/share/X11/xkb")])' 2>&1)
	t "without a permission, no X socket and none of the toolkit data (Tcl/Tk, fonts, xkb) is inside" \
		"$([ "$out" = "False [False, False, False, False]" ]; echo $?)" "$out"

	"$SV" "$v" --socket=x11 >/dev/null 2>"$W/wrap.err"
	ok $? "recipe: sandbox-venv .venv --socket=x11"
	out=$(desk "${xenv[@]}" -- "$v/bin/python" -c "$xclient" 2>&1)
	m=$(printf '%s\n' "$out" | sed -n 's/^DISPLAY=:\([0-9]*\) open$/\1/p')
	ok "$([ -n "$m" ]; echo $?)" "with --socket=x11, a real Xlib client (XOpenDisplay through ctypes) connects to Xvfb ($out)"
	t "... under a display number with no abstract socket on the host (:99 is taken there; inside :$m)" \
		"$([ -n "$m" ] && [ "$m" != 99 ] && ! grep -q "@/tmp/.X11-unix/X$m\$" /proc/net/unix; echo $?)" "$out"
	out=$(desk DISPLAY=":$d.0" XAUTHORITY="$W/xauth" -- "$v/bin/python" -c "$xclient" 2>&1)
	is "$out" "DISPLAY=:$m.0 open" "DISPLAY with a screen (:$d.0): the same screen inside (:$m.0)"
	out=$(desk "${xenv[@]}" -- "$v/bin/python" -c '
import tkinter
r = tkinter.Tk()
tkinter.Label(r, text="sandboxed").pack()
r.update()
print("tk window", r.winfo_width() > 0, r.winfo_screenwidth())
r.destroy()' 2>&1)
	is "$out" "tk window True 1280" "a tkinter window opens (python3-tk, a --system-site-packages venv)"
	out=$(desk "${xenv[@]}" -- "$v/bin/python" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("\0/tmp/.X11-unix/X" + sys.argv[1]); print("abstract DONE")
except OSError as e:
    print("abstract blocked", e.errno)' "$d" 2>&1)
	t "with --socket=x11, the host's abstract X socket (@/tmp/.X11-unix/X$d) stays unreachable" \
		"$(has "$out" "abstract blocked"; echo $?)" "$out"
	out=$(desk "${xenv[@]}" -- "$v/bin/python" -c '
import os
d = open(os.environ["XAUTHORITY"], "rb").read()
i, out = 0, []
while i < len(d):
    fam = int.from_bytes(d[i:i + 2], "big"); i += 2
    f = []
    for _ in range(4):
        n = int.from_bytes(d[i:i + 2], "big"); i += 2
        f.append(d[i:i + n]); i += n
    out.append("%d %r %s %s %s" % (fam, f[0], f[1].decode(), f[2].decode(), f[3].hex()))
print("\n".join(out))' 2>&1)
	t "the Xauthority inside holds one entry: the cookie for display :$d, rewritten for :$m; not those of :7 or another host" \
		"$([ "$out" = "65535 b'' $m MIT-MAGIC-COOKIE-1 $cookie" ]; echo $?)" "$out"
	out=$(desk "${xenv[@]}" -- "$v/bin/python" -c 'import os; print([os.path.exists(p) for p in ("/usr/share/tcltk", "/usr/share/fonts", "/etc/fonts", "/usr/share/X11/xkb", "/usr/share/icons")])' 2>&1)
	is "$out" "[True, True, True, True, True]" "with --socket=x11, the toolkit data is there read-only: Tcl/Tk, fonts, fontconfig, xkb, icons"
	"$SV" "$v" --nosocket=x11 >/dev/null 2>&1
	out=$(desk "${xenv[@]}" -- "$v/bin/python" -c "$xclient" 2>&1)
	is "$out" "DISPLAY=None failed" "--nosocket=x11 takes it back"
elif [ -n "$have_x" ]; then
	skip "X11: no display number in 150..400 is free (live servers, or other users' files in /tmp/.X11-unix)"
else
	skip "no Xvfb or xauth: X11"
fi

# === Wayland and PulseAudio: stand-in servers at the caller's sockets =================
cat >"$W/servers.py" <<'PY'
import os, socket, sys, threading
socks = []
for a in sys.argv[1:]:
    name, path = a.split("=", 1)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(8)
    socks.append((name, s))
def serve(name, s):
    while True:
        c, _ = s.accept()
        c.sendall(("hello %s\n" % name).encode())
        c.close()
for name, s in socks:
    threading.Thread(target=serve, args=(name, s), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
rt=$W/xdg
mkdir -p "$rt" && chmod 700 "$rt"
"$SYSPY" "$W/servers.py" "wayland=$rt/wayland-7" "pulse=$rt/pulse/native" "bus=$rt/bus" \
	"project=$p/run/wayland-0" >"$W/servers.out" 2>&1 &
bg_pids+=("$!")
wait_for grep -qs ready "$W/servers.out"
aenv=(XDG_RUNTIME_DIR="$rt" WAYLAND_DISPLAY=wayland-7)
hello='
import os, sys, socket
def hello(path):
    if not path:
        return "unset"
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path); return s.recv(64).decode().strip()
    except OSError as e:
        return "errno %d" % e.errno
rt = os.environ.get("XDG_RUNTIME_DIR")
wl = os.environ.get("WAYLAND_DISPLAY")
ps = os.environ.get("PULSE_SERVER", "")
print("wayland:", hello(rt and wl and os.path.join(rt, wl)))
print("pulse:", hello(ps[5:] if ps.startswith("unix:") else ps))
for path in sys.argv[1:]:
    print(path.replace(sys.argv[1].rsplit("/", 1)[0], "RT"), hello(path))
if rt:
    print("inside:", sorted(os.listdir(rt)), "bus there:", hello(os.path.join(rt, "bus")))'
out=$(desk "${aenv[@]}" -- "$v/bin/python" -c "$hello" "$rt/wayland-7" "$rt/pulse/native" "$rt/bus" 2>&1)
t "without the permissions, neither the Wayland nor the PulseAudio socket is inside, by variable or by the host's path" \
	"$([ "$out" = "wayland: unset
pulse: unset
RT/wayland-7 errno 2
RT/pulse/native errno 2
RT/bus errno 2" ]; echo $?)" "$out"
"$SV" "$v" --socket=wayland >/dev/null 2>"$W/wrap.err"
ok $? "recipe: sandbox-venv .venv --socket=wayland"
out=$(desk "${aenv[@]}" -- "$v/bin/python" -c "$hello" 2>&1)
is "$(printf '%s\n' "$out" | sed -n 1,2p)" "wayland: hello wayland
pulse: unset" "with --socket=wayland alone, the compositor is reached and no sound server"
"$SV" "$v" --socket=pulseaudio >/dev/null 2>"$W/wrap.err"
ok $? "recipe: sandbox-venv .venv --socket=pulseaudio (kept with the other)"
out=$(desk "${aenv[@]}" -- "$v/bin/python" -c "$hello" "$rt/wayland-7" "$rt/pulse/native" "$rt/bus" 2>&1)
is "$(printf '%s\n' "$out" | sed -n 1,2p)" "wayland: hello wayland
pulse: hello pulse" "with them, a client inside reaches the Wayland and PulseAudio stand-ins through WAYLAND_DISPLAY and PULSE_SERVER"
t "... and only those two sockets: the caller's runtime directory is not there, nor the session bus beside them" \
	"$(has "$out" "RT/bus errno 2" && has "$out" "RT/wayland-7 errno 2" &&
		has "$out" "inside: ['pulse', 'wayland-0'] bus there: errno 2"; echo $?)" "$out"
out=$(desk XDG_RUNTIME_DIR="$p/run" WAYLAND_DISPLAY=wayland-0 VERBOSE=1 -- "$v/bin/python" -c "$hello" 2>&1)
t "a Wayland socket in the project (XDG_RUNTIME_DIR there) is not bound: a sandbox could have put it there" \
	"$(has "$out" "wayland: unset" && has "$out" "lies where a sandbox can write"; echo $?)" "$out"
out=$(desk "${aenv[@]}" -- "$v/bin/python" -c 'import os; print(open(os.environ["PULSE_CLIENTCONFIG"]).read().split())' 2>&1)
is "$out" "['enable-shm', '=', 'no', 'autospawn', '=', 'no']" "PulseAudio's client inside uses no shared memory and starts no server"
"$SV" "$v" --nosocket=wayland --nosocket=pulseaudio >/dev/null 2>&1

# === the GPU ============================================================================
"$SV" "$v" --device=dri >/dev/null 2>"$W/wrap.err"
ok $? "recipe: sandbox-venv .venv --device=dri"
out=$(desk VERBOSE=1 -- "$v/bin/python" -c 'import os; print("dri", os.path.exists("/dev/dri"), os.path.exists("/usr/lib/" + os.uname().machine + "-linux-gnu/dri"))' 2>&1)
if [ -d /dev/dri ]; then
	ok "$(has "$out" "dri True True"; echo $?)" "with --device=dri, /dev/dri and Mesa's drivers are inside"
else
	ok "$(has "$out" "dri False True" && has "$out" "dri: /dev/dri: No such file"; echo $?)" \
		"with --device=dri on a machine without /dev/dri: Mesa's drivers are inside, and VERBOSE says there is no GPU"
fi
"$SV" "$v" --nodevice=dri >/dev/null 2>&1
out=$("$v/bin/python" -c '
import os
try:
    os.listdir("/usr/lib/" + os.uname().machine + "-linux-gnu/dri"); print(True)
except OSError:
    print(False)' 2>&1)
is "$out" "False" "--nodevice=dri: no GL drivers either (none readable)"

done_testing
