#!/bin/bash
# layout.t - the two layouts (src/plan.h, rule 7): whole read-only trees
# with Landlock path rules applied by the sandbox's init, and one bind per
# file where the kernel has no Landlock or the caller asks for it
# (SANDBOX_LAYOUT=binds; tests/run-all runs this file both ways). What each
# layout says about itself; the init's handoff of the rules; secrets left
# unmounted; and the probes that must still take their fallback when a
# file is there but not allowed (EACCES) instead of absent (ENOENT).
. "$(dirname "$0")/lib.sh"

p=$(new_project layout) || { ok 1 "a wrapped venv with pip"; done_testing; exit; }
v=$p/.venv
uid=$(id -u)

# The layout this environment's launches take, as --check says it.
layout=$(VERBOSE=1 "$SV" --check "$v" 2>&1 | sed -n 's/^[^ ]*: layout: //p')
case $layout in
whole*) landlock=1 ;;
*) landlock= ;;
esac
like "$layout" '.' "--check names the layout: $layout"
err=$(cd "$p" && VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
like "$err" "^sandbox-venv: layout: $layout\$" "... and VERBOSE names the same one"

# --- the switch --------------------------------------------------------------------
out=$(SANDBOX_LAYOUT=binds "$SV" --check "$v" 2>&1)
like "$out" ': layout: one read-only bind per listed file (SANDBOX_LAYOUT=binds)$' \
	"SANDBOX_LAYOUT=binds: --check says the fallback is forced"
err=$(cd "$p" && SANDBOX_LAYOUT=binds VERBOSE=1 "$v/bin/python" -c 'print("ran")' 2>&1)
like "$err" '^sandbox-venv: layout: one read-only bind per listed file (SANDBOX_LAYOUT=binds)$' \
	"... and a launch takes it"
unlike "$err" '^sandbox-venv: landlock   ' "... with no path rules"
like "$err" '^ran$' "... and runs"
# bwrap starts while the plan is made (run.h), with the descriptors the
# plan may name: the files the per-file layout writes (/etc/passwd and
# group) among them, made empty beforehand; where the plan names one more,
# it is started again.
unlike "$err" 'bwrap started again' \
	"... its bwrap, started before the plan, has every descriptor the plan names (its files made beforehand)"
if [ -n "$landlock" ]; then
	err=$(cd "$p" && VERBOSE=1 "$v/bin/python" -c 'print("ran")' 2>&1)
	unlike "$err" 'bwrap started again' \
		"the Landlock layout: bwrap, started before the plan, has every descriptor it names (the kept views too)"
	like "$err" '^ran$' "... and runs"
	rm -rf "$v/.sandbox-venv/views"
	err=$(cd "$p" && VERBOSE=1 "$v/bin/python" -c 'print("ran")' 2>&1)
	like "$err" '^sandbox-venv: bwrap starts after the plan: no view is kept yet' \
		"... with no view kept (a first launch after a wrap), the plan makes them, and bwrap starts after it"
	unlike "$err" 'bwrap started again' "... once: not started before and again"
	like "$err" '^ran$' "... and runs"
	err=$(cd "$p" && VERBOSE=1 "$v/bin/python" -c 'print("ran")' 2>&1)
	unlike "$err" 'bwrap started again\|bwrap starts after the plan' \
		"the next launch finds them kept: bwrap starts before the plan, once"
else
	for n in 1 2 3 4 5 6; do skip "the Landlock layout's early start: this run takes the per-file layout"; done
fi
err=$(cd "$p" && SANDBOX_LAYOUT=bogus "$v/bin/python" -c 'print("ran")' 2>&1)
like "$err" "SANDBOX_LAYOUT='bogus': the layouts are 'landlock' and 'binds'" \
	"an unknown SANDBOX_LAYOUT stops the launch"
unlike "$err" '^ran$' "... before the program runs"
printf 'SANDBOX_LAYOUT=binds\n' >"$p/.env"
err=$(cd "$p" && VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
like "$err" "^sandbox-venv: layout: $layout\$" "SANDBOX_LAYOUT in the project's .env changes nothing"
like "$err" "'SANDBOX_LAYOUT' is sandbox policy" "... and is named as ignored"
rm -f "$p/.env"
if [ -n "$landlock" ]; then
	err=$(cd "$p" && VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
	like "$err" "^sandbox-venv: landlock   /usr/bin/git: read and execute: " \
		"VERBOSE names each path rule with its reason"
	like "$err" "^sandbox-venv: landlock   $p: read, write and execute (no socket made): the project\$" \
		"... the project's among them"
else
	skip "no Landlock path rules in this layout ($layout)"
	skip "no Landlock path rules in this layout"
fi

# --- what the program sees: the same files either way ---------------------------
cat >"$p/probe.py" <<'PY'
"""One probe per name: prints a short, deterministic result."""
import errno, os, shutil, subprocess, sys


def outcome(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def which():
    print(shutil.which("git"), shutil.which("gcc"), shutil.which("sv-no-such-tool"))


def run_missing():
    # Code that catches FileNotFoundError for a tool that is not there.
    try:
        subprocess.run(["gcc", "--version"], stdout=subprocess.DEVNULL)
        print("ran")
    except FileNotFoundError:
        print("FileNotFoundError")
    except OSError as e:
        print(type(e).__name__)


def pager():
    # pydoc looks for less, then more, when both ends are a terminal.
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.pop("PAGER", None)
        os.environ.pop("MANPAGER", None)
        os.environ["TERM"] = "xterm"
        import pydoc
        p = pydoc.getpager()
        print("PAGER", getattr(p, "__name__", "?"), flush=True)
        os._exit(0)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    words = out.decode(errors="replace").split()
    print(words[words.index("PAGER") + 1] if "PAGER" in words else "no answer: %r" % out)


def find_library():
    import ctypes.util
    print(ctypes.util.find_library("c"), ctypes.util.find_library("sv_no_such_lib"))


def etc():
    # Files of /etc that code probes for, then opens.
    print(outcome(lambda: open("/etc/shadow").read()), os.path.exists("/etc/shadow"),
          outcome(lambda: open("/etc/hostname").read()))


def visible(path):
    # A host file that is there in the Landlock layout but not allowed.
    print(os.path.exists(path), outcome(lambda: open(path, "rb").read(1)))


def writable():
    def w(path):
        def fn():
            with open(path, "w") as f:
                f.write("x")
            os.unlink(path)
        return fn
    print(outcome(w("written")), outcome(w("/tmp/x")), outcome(w("/var/tmp/x")),
          outcome(w(os.environ["HOME"] + "/x")), outcome(w(sys.prefix + "/x")),
          outcome(w("/usr/x")), outcome(w("/etc/x")), outcome(w("/usr/bin/x")))


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
PY
probe() { (cd "$p" && "$v/bin/python" probe.py "$@" 2>&1); }

is "$(probe which)" "/usr/bin/git None None" \
	"shutil.which finds the tools the sandbox may run, and no other (gcc) on the PATH"
is "$(probe run_missing)" FileNotFoundError \
	"running a tool that is not allowed raises FileNotFoundError, as for one that is not there"
# less is among the listed tools (a pager for help()): pydoc finds it and
# pipes through it (a lambda); where it is not listed, pydoc's own.
if [ -x /usr/bin/less ] || [ -x /usr/bin/more ]; then
	is "$(probe pager)" "<lambda>" "pydoc's pager: less (or more), which the sandbox may run"
else
	is "$(probe pager)" ttypager "pydoc's pager: neither less nor more, so its own"
fi
like "$(probe find_library)" '^libc\.so\.6 None$' \
	"ctypes.util.find_library finds libc (ldconfig -p) and says None for a missing library"
is "$(probe etc)" "ENOENT False ENOENT" "/etc shows only its listed files: /etc/shadow, /etc/hostname absent"
lic=$(ls /usr/share/common-licenses/* 2>/dev/null | head -1)
if [ -z "$lic" ]; then
	skip "no /usr/share/common-licenses to probe"
elif [ -n "$landlock" ]; then
	is "$(probe visible "$lic")" "True EACCES" \
		"the documented change: an unlisted file under /usr is there, but opening it fails with EACCES"
else
	is "$(probe visible "$lic")" "False ENOENT" "an unlisted file under /usr is absent"
fi
is "$(probe writable)" "ok ok ok ok EROFS EROFS EROFS EROFS" \
	"writable: the project, /tmp, /var/tmp, HOME; not the venv, /usr, /etc, the PATH's links"

# setuptools looking for a compiler: an optional extension is skipped.
mkdir -p "$p/optext/optext"
cat >"$p/optext/setup.py" <<'PY'
from setuptools import Extension, setup
setup(name="optext", version="1.0", packages=["optext"],
      ext_modules=[Extension("optext._speedups", ["optext/_speedups.c"], optional=True)])
PY
echo 'int x;' >"$p/optext/optext/_speedups.c"
echo 'try:
    from . import _speedups
    KIND = "compiled"
except ImportError:
    KIND = "pure"' >"$p/optext/optext/__init__.py"
out=$(cd "$p" && "$v/bin/pip" install -q --no-index --no-build-isolation ./optext 2>&1)
rc=$?
ok $rc "pip installs a package whose C extension is optional, with no compiler inside"
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -8 | sed 's/^/#   /'
is "$(cd "$p" && "$v/bin/python" -c 'import optext; print(optext.KIND)' 2>&1)" pure \
	"... and it runs without the extension"

# pip looking for version control tools: git is there, hg is not.
if command -v git >/dev/null 2>&1; then
	mkdir -p "$p/gitpkg/gitpkg"
	echo 'from setuptools import setup
setup(name="gitpkg", version="1.0", packages=["gitpkg"])' >"$p/gitpkg/setup.py"
	: >"$p/gitpkg/gitpkg/__init__.py"
	git -C "$p/gitpkg" init -q && git -C "$p/gitpkg" add . &&
		git -C "$p/gitpkg" -c user.name=t -c user.email=t@example.org commit -q -m init
	out=$(cd "$p" && "$v/bin/pip" install -q --no-index --no-build-isolation \
		"git+file://$p/gitpkg#egg=gitpkg" 2>&1)
	rc=$?
	ok $rc "pip installs from a git repository in the project (git+file://)"
	[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -8 | sed 's/^/#   /'
else
	skip "git is not installed"
fi
out=$(cd "$p" && "$v/bin/pip" install -q --no-index "hg+file://$p/nothing#egg=nothing" 2>&1)
like "$out" "Cannot find command 'hg'" "pip says hg is missing, as it would outside"

# --- the directories of links, kept by the host (src/view.h) ---------------------------
# /etc, /usr/bin and /usr/local/bin show the same entries, links and files
# whether the launch binds the directories the venv's state keeps or bwrap
# makes them one link at a time (a state the launch cannot use for them:
# views/ is a file here).
listing='for d in /etc /usr/bin /usr/local/bin; do for f in "$d"/* "$d"/.[!.]*; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	printf "%s %s %s\n" "$f" "$(stat -c %F "$f")" "$(readlink "$f")"
done; done; cat /etc/passwd /etc/group'
if [ -n "$landlock" ]; then
	kept=$(cd "$p" && "$v/bin/shell" -c "$listing" 2>&1)
	err=$(cd "$p" && VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
	like "$err" '^sandbox-venv: read-only  /etc: only links .*made once on the host' \
		"views: /etc is the directory the venv's state keeps, bound read-only"
	n=$(ls "$v/.sandbox-venv/views" 2>/dev/null | grep -cE '^[0-9a-f]{16}$')
	ok "$([ "$n" -ge 2 ]; echo $?)" "views: kept in the venv's state ($n of them)"
	mv "$v/.sandbox-venv/views" "$v/.sandbox-venv/views.aside" && : >"$v/.sandbox-venv/views"
	made=$(cd "$p" && "$v/bin/shell" -c "$listing" 2>&1)
	err=$(cd "$p" && VERBOSE=1 "$v/bin/python" -c pass 2>&1 >/dev/null)
	like "$err" '^sandbox-venv: tmpfs      /etc: only links' \
		"views: where the state cannot hold them, bwrap makes the directories, and the launch goes on"
	rm -f "$v/.sandbox-venv/views" && mv "$v/.sandbox-venv/views.aside" "$v/.sandbox-venv/views"
	like "$kept" '^/usr/bin/git symbolic link ' "views: the listing has the links (git among them)"
	is "$kept" "$made" "views: the same entries, kinds, link targets and files either way"
else
	skip "views: only the Landlock layout shows directories of links ($layout)"
	skip "views: only the Landlock layout"
	skip "views: only the Landlock layout"
	skip "views: only the Landlock layout"
	skip "views: only the Landlock layout"
fi

# --- secrets stay unmounted (plan.h, rule 8) -----------------------------------------
# What is mounted below /home, /root, /run/user and /var in the Landlock
# layout is mounted in the per-file layout too (the pip cache when shared
# on request, a base Python kept in a home), and a path rule there names
# only something the plan bound or linked. The pip cache is a fresh one
# in a directory of the real home, removed at the end.
real_home=$("$SV_PYTHON" -c 'import os, pwd; print(pwd.getpwuid(os.getuid()).pw_dir)')
H=$(mktemp -d "$real_home/.sv-layout.XXXXXX" 2>/dev/null) && mkdir -p "$H/.cache/pip" || H=
lib_trap=$(trap -p EXIT)
trap '[ -z "$H" ] || rm -rf "$H"; [ -z "$lib_trap" ] || { chmod -R u+w "$SV_TMP"; rm -rf "$SV_TMP"; } 2>/dev/null' EXIT
MOUNTS='
import sys
with open("/proc/self/mountinfo") as f:
    for line in f:
        point = line.split()[4].replace("\\040", " ")
        if any(point == d or point.startswith(d + "/") for d in sys.argv[1].split(":")):
            print(point)'
private=/home:/root:/run/user:/var
# private_judge PROJECT VENV WHAT
private_judge() {
	local pr=$1 ve=$2 what=$3 in_ll in_binds extra ops rules bad= r
	in_ll=$(cd "$pr" && HOME=$H SANDBOX_USE_PIP_CACHE=1 "$ve/bin/python" -c "$MOUNTS" "$private" 2>&1 | sort)
	in_binds=$(cd "$pr" && HOME=$H SANDBOX_USE_PIP_CACHE=1 SANDBOX_LAYOUT=binds \
		"$ve/bin/python" -c "$MOUNTS" "$private" 2>&1 | sort)
	extra=$(comm -23 <(printf '%s\n' "$in_ll") <(printf '%s\n' "$in_binds") | grep -vx /var/tmp)
	is "$extra" "" "$what: no mount below /home, /root, /run/user, /var that the per-file layout lacks"
	ops=$(cd "$pr" && HOME=$H SANDBOX_USE_PIP_CACHE=1 VERBOSE=1 "$ve/bin/python" -c pass 2>&1)
	rules=$(printf '%s\n' "$ops" | sed -n 's/^sandbox-venv: landlock   \([^:]*\): .*/\1/p')
	ops=$(printf '%s\n' "$ops" | sed -n 's/^sandbox-venv: \(read-only \|read-write\|symlink   \) \([^:]*\): .*/\2/p')
	while read -r r; do
		case $r in /home|/home/*|/root|/root/*|/run/user|/run/user/*|/var|/var/*) ;; *) continue ;; esac
		[ "$r" = /var/tmp ] || [[ $r == "$pr" || $r == "$pr"/* ]] && continue
		printf '%s\n' "$ops" | grep -qxF -e "$r" || bad="$bad $r"
	done <<<"$rules"
	is "$bad" "" "$what: no path rule there but for what the plan bound or linked"
}
if [ -z "$landlock" ]; then
	skip "secrets unmounted: compared from the Landlock layout"
	skip "secrets unmounted: compared from the Landlock layout"
elif [ -z "$H" ]; then
	skip "secrets unmounted: cannot make a directory in $real_home"
	skip "secrets unmounted: cannot make a directory in $real_home"
else
	private_judge "$p" "$v" "with the pip cache shared"
fi

# --- the init's handoff (src/init.h) ---------------------------------------------------
# The rules reach the init in two halves: a ruleset the launcher began on
# the host, the first message on the channel, and the rest in a sealed
# memory file. A memory file it could change is refused, a malformed rule
# stops the start, no ruleset on the channel stops the start, and the
# program runs confined to both halves.
if [ -n "$landlock" ]; then
	init_run() {   # init_run SEAL(0|1) RULES HOST(ruleset PATH|none|pipe|gone) PROGRAM...
		"$SV_PYTHON" - "$SV" "$@" <<'PY'
import ctypes, fcntl, os, socket, struct, subprocess, sys
sv, seal, rules, host, prog = sys.argv[1], sys.argv[2] == "1", eval(sys.argv[3]), sys.argv[4], sys.argv[5:]
if host == "ruleset":
    host, prog = (host, prog[0]), prog[1:]
fd = os.memfd_create("rules", os.MFD_ALLOW_SEALING)
os.write(fd, rules)
os.lseek(fd, 0, 0)
if seal:
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK |
                fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
chan, mine = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
if isinstance(host, tuple):
    # What landlock_host_ruleset makes: every right of the kernel's ABI
    # handled, and read and execute below one path.
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(444, None, 0, 1)
    handled = (1 << 13) - 1 | (1 << 13 if abi >= 2 else 0) | (1 << 14 if abi >= 3 else 0) | \
        (1 << 15 if abi >= 5 else 0)
    attr = struct.pack("QQQ", handled, 0, 0)
    rs = libc.syscall(444, ctypes.c_char_p(attr), 8, 0)
    pfd = os.open(host[1], os.O_PATH)
    rule = struct.pack("=Qi", (1 << 0) | (1 << 2) | (1 << 3), pfd)
    assert rs >= 0 and libc.syscall(445, rs, 1, ctypes.c_char_p(rule), 0) == 0
    mine.sendmsg([b"R"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", rs))])
elif host == "pipe":
    r_, w_ = os.pipe()
    mine.sendmsg([b"R"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", r_))])
elif host == "gone":
    mine.close()
r = subprocess.run([sv, "--init", "0", str(chan.fileno()), "rules=%d" % fd, "--"] + prog,
                   pass_fds=(chan.fileno(), fd), capture_output=True, text=True, timeout=20)
print(r.returncode, (r.stdout + r.stderr).strip().replace("\n", " | "))
PY
	}
	readable='b"r/lib\0r/lib64\0r/etc/ld.so.cache\0"'
	out=$(init_run 1 "$readable" ruleset /usr /usr/bin/cat /etc/hostname)
	like "$out" "^1 .*Permission denied" "init: the program runs confined to the rules (cat /etc/hostname refused)"
	out=$(init_run 1 "$readable" ruleset /usr /usr/bin/true)
	is "$out" "0 " "... and what both halves allow runs (/usr from the host's half)"
	out=$(init_run 1 "$readable" ruleset /etc /usr/bin/true)
	like "$out" "^126 " "... and what neither allows does not run (/usr left out of both)"
	out=$(init_run 0 "$readable" ruleset /usr /usr/bin/true)
	like "$out" "^127 .*not in a sealed memory file" "init: rules in a memory file that is not sealed are refused"
	out=$(init_run 1 'b"x/usr\0"' ruleset /usr /usr/bin/true)
	like "$out" "^127 .*malformed landlock rule" "init: a malformed rule stops the start"
	out=$(init_run 1 'b"r/usr"' ruleset /usr /usr/bin/true)
	like "$out" "^127 .*malformed landlock rule" "init: a rule without its end stops the start"
	out=$(init_run 1 "$readable" pipe /usr/bin/true)
	like "$out" "^127 .*sent no landlock ruleset" "init: a descriptor on the channel that is no ruleset stops the start"
	out=$(init_run 1 "$readable" gone /usr/bin/true)
	like "$out" "^127 .*launcher is gone" "init: a channel closed before the ruleset stops the start"
else
	for n in 1 2 3 4 5 6 7 8; do skip "the init's handoff: no Landlock path rules in this layout"; done
fi

# --- a base Python kept in a home (pyenv) ------------------------------------------
pyenv=${SV_PYENV:-$HOME/.pyenv/versions/3.11.7/bin/python3.11}
if [ -x "$pyenv" ] && "$pyenv" -c pass 2>/dev/null; then
	pe=$SV_TMP/layout-pyenv
	mkdir -p "$pe"
	if "$pyenv" -m venv --without-pip "$pe/.venv" >/dev/null 2>&1 && "$SV" "$pe/.venv" >/dev/null 2>&1; then
		out=$(cd "$pe" && "$pe/.venv/bin/python" -c 'import sys, ssl, sqlite3; print(sys.base_prefix)' 2>&1)
		is "$out" "$(cd "$(dirname "$pyenv")/.." && pwd -P)" "a pyenv-based venv runs, with ssl and sqlite3"
		if [ -n "$landlock" ] && [ -n "$H" ]; then
			private_judge "$pe" "$pe/.venv" "a pyenv-based venv"
		else
			skip "a pyenv-based venv, secrets unmounted: compared from the Landlock layout"
			skip "a pyenv-based venv, secrets unmounted: compared from the Landlock layout"
		fi
	else
		ok 1 "a pyenv-based venv: cannot make or wrap it"
	fi
else
	for n in 1 2 3; do skip "no pyenv Python at $pyenv readable by $(id -un) (SV_PYENV names another)"; done
fi

done_testing
