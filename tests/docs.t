#!/bin/bash
# docs.t - every example in README.md (its indented code blocks) and in
# doc/sandbox-venv.1 (its .EX/.EE blocks) is tested: run here in a fixture
# project, or named where another test runs it, or skipped with the reason
# it cannot run here. The examples are read from the documents themselves;
# an example line that the table below does not name is a failing test, and
# so is a table entry whose example is no longer in the documents.
. "$(dirname "$0")/lib.sh"
case $SV in /*) ;; *) SV=$PWD/$SV ;; esac   # it is run from other directories

for _v in $(compgen -e); do
	case $_v in PIP_* | SANDBOX_* | BWRAP_ARGS | VERBOSE | VIRTUAL_ENV | OPENAI_API_KEY) unset "$_v" ;; esac
done
unset _v
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
cd "$SV_TMP" || exit 1

if ! src=$(find_src); then
	skip "docs: no source tree found (README.md, doc/sandbox-venv.1): set SV_SRC"
	done_testing
	exit
fi

# === the examples, as the documents give them ====================================
# One line per example: FILE<TAB>block<TAB>FIRST-LINE for each code block,
# then FILE<TAB>line<TAB>TEXT for each command in it (comment lines left out,
# lines continued with a trailing backslash or pipe joined).
"$SV_PYTHON" - "$src/README.md" "$src/doc/sandbox-venv.1" >"$SV_TMP/examples" <<'PY'
import re, sys

def join(lines):
    out, cur = [], None
    for l in lines:
        if cur is not None:
            l = cur + " " + l.strip()
            cur = None
        s = l.rstrip()
        if s.lstrip().startswith("#") or not s.strip():
            out.append(s)
        elif s.endswith("\\"):
            cur = s[:-1].rstrip()
        elif s.endswith("|"):
            cur = s
        else:
            out.append(s)
    if cur is not None:
        out.append(cur)
    return out

def markdown_blocks(text):
    # Indented code blocks: 4 spaces (more inside a list item) after a
    # blank line; the block ends at a line indented less.
    blocks, cur, cur_ind, prev_blank = [], None, 0, True
    for l in text.split("\n"):
        ind = len(l) - len(l.lstrip(" "))
        if not l.strip():
            if cur is not None:
                cur.append("")
            prev_blank = True
            continue
        if cur is not None and ind >= cur_ind:
            cur.append(l)
        elif ind >= 4 and prev_blank and not l.lstrip().startswith(("* ", "- ", "|")):
            cur, cur_ind = [l], ind
            blocks.append(cur)
        else:
            cur = None
        prev_blank = False
    for b in blocks:
        while b and not b[-1]:
            b.pop()
        ind = min(len(l) - len(l.lstrip(" ")) for l in b if l)
        yield [l[ind:] for l in b]

ESCAPES = (("\\-", "-"), ("\\(aq", "'"), ("\\(dq", '"'), ("\\&", ""), ("\\e", "\\"))

def man_blocks(text, path):
    cur = None
    for n, l in enumerate(text.split("\n"), 1):
        if l.startswith(".EX"):
            cur = []
        elif l.startswith(".EE"):
            yield cur
            cur = None
        elif cur is not None:
            if l.startswith((".", "'")):
                sys.exit("%s:%d: a request inside .EX/.EE: %s" % (path, n, l))
            u = l
            for a, b in ESCAPES:
                u = u.replace(a, b)
            # Anything else escaped would need reading as roff does.
            if re.search(r"\\.", u[:-1] if u.endswith("\\") else u):
                sys.exit("%s:%d: an escape docs.t cannot read: %s" % (path, n, l))
            cur.append(u)

for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    name = path.rsplit("/", 1)[-1]
    blocks = man_blocks(text, path) if path.endswith(".1") else markdown_blocks(text)
    for b in blocks:
        print("%s\tblock\t%s" % (name, b[0]))
        for l in join(b):
            if l.strip() and not l.lstrip().startswith("#"):
                print("%s\tline\t%s" % (name, l))
PY
ok $? "docs: the examples of README.md and doc/sandbox-venv.1 are read"

# === how each example is tested ===================================================
# TEXT ==> run NAME              run here by ex_NAME (below), as root and as the user
# TEXT ==> covered FILE :: FIXED-STRING :: why   run by FILE (which must hold FIXED-STRING)
# TEXT ==> skip REASON           not runnable here: a TAP skip with the reason
# TEXT ==> block REASON          TEXT is the first line of a block that is not
#                                commands (a diagram): the block as a whole
cat >"$SV_TMP/table" <<'TABLE'
sandbox-venv .venv ==> run wrap_fresh
scripts/deps && make demo ==> run quickstart
make check ==> covered Makefile :: SAN_B=build-san tests/run-all :: make check runs tests/run-all, which runs this file
make ==> covered tests/run-all :: make -s install DESTDIR :: tests/run-all's install test runs make install, which builds first (install: all)
sudo make install                  # PREFIX=/usr/local ==> covered tests/run-all :: make -s install DESTDIR="$dest" PREFIX=/opt/sv :: tests/run-all's install test (PREFIX and DESTDIR; root is not needed with DESTDIR)
sudo make install PREFIX=/usr      # or DESTDIR=/some/root for staging ==> covered tests/run-all :: make -s install DESTDIR="$dest" PREFIX=/opt/sv :: tests/run-all's install test (PREFIX and DESTDIR)
sudo make uninstall                # with the same PREFIX and DESTDIR ==> covered tests/run-all :: make -s uninstall DESTDIR="$dest" PREFIX=/opt/sv :: tests/run-all's install test
sudo apt-get install -y dpkg-dev debhelper fakeroot pkg-config libseccomp-dev musl-tools ==> run build_deps
dpkg-buildpackage -us -uc -b       # writes ../sandbox-venv_0.1.0_*.deb ==> covered tests/package-deb :: dpkg-buildpackage -us -uc -b :: tests/package-deb (tests/run-all package) builds the package from a copy of the tree
sudo apt-get install ../sandbox-venv_0.1.0_amd64.deb ==> covered tests/package-deb :: apt-get install -y "$deb" :: tests/package-deb installs the .deb it built
sudo apt-get remove sandbox-venv ==> covered tests/package-deb :: apt-get remove -y sandbox-venv :: tests/package-deb removes it again
python3 -m venv .venv ==> run make_venv
sandbox-venv .venv                 # VENV_DIR: see below ==> run wrap_main
.venv/bin/pip install -e .         # runs sandboxed; new entry points are gated ==> run pip_editable
.venv/bin/python -m myproject      # sandboxed ==> run run_module
.venv/bin/shell                    # an interactive shell inside ==> run shell_interactive
.venv/bin/shell -c 'python -m unittest'   # one command inside ==> run unittest
sandbox-venv [--project DIR] [--reset] [VENV_DIR] [BWRAP_OPTS...] ==> run synopsis
sandbox-venv --show [VENV_DIR]     # the project and the recorded options ==> run show_synopsis
sandbox-venv --list                # the sandboxes running now ==> run list
sandbox-venv --project . "$(poetry env info -p)" ==> run poetry
sandbox-venv --check [VENV_DIR]    # silent and exit 0 when intact, else one line per finding, exit 1 ==> run check
sandbox-venv --unwrap [VENV_DIR]   # an ordinary venv again (home/ and cache/ stay) ==> run unwrap
host                                      inside each sandbox ==> block a diagram of how a launch works, not commands
BWRAP_ARGS='--ro-bind /usr /usr' .venv/bin/pip install ./needs-a-compiler ==> run compiler
sandbox-venv .venv --uid 0 ==> run uid0
sandbox-venv .venv --unshare-net --uid 0 --cap-add cap_net_bind_service ==> run low_port
SANDBOX_PASS_ENV=OPENAI_API_KEY .venv/bin/my-ai-prog ==> run pass_env
BWRAP_ARGS='--ro-bind /usr/share/python-wheels /usr/share/python-wheels' .venv/bin/pip install --no-index --find-links /usr/share/python-wheels wheel ==> run debian_wheels
sandbox-venv .venv --ro-bind ~/.vscode-server/extensions ~/.vscode-server/extensions ==> run vscode
sandbox-venv .venv --ro-bind /opt/pycharm/plugins/python/helpers /opt/pycharm/plugins/python/helpers ==> skip PyCharm is not installed here (/opt/pycharm); the same recorded --ro-bind of an IDE's directory is run for VS Code's path
.venv/bin/pip install debugpy ==> skip no network access to PyPI, and no debugpy wheel or Debian package (python3-debugpy) on this machine
.venv/bin/python -m debugpy --listen 127.0.0.1:5678 --wait-for-client app.py ==> skip debugpy cannot be installed here (no network access to PyPI); tests/ecosystem.t tests a debugger's ptrace inside
.venv/bin/pip install jupyter ==> skip no network access to PyPI
.venv/bin/jupyter lab --no-browser ==> skip JupyterLab cannot be installed here (no network access to PyPI; Debian 12 does not package it)
make              # ./sandbox-venv, warnings are errors ==> covered Makefile :: -Werror :: the build of the binary under test (make check builds it first)
make check        # the whole suite (see Quick start) ==> covered Makefile :: SAN_B=build-san tests/run-all :: make check runs tests/run-all, which runs this file
make check-san    # the ASan/UBSan part alone ==> covered Makefile :: SAN_B=build-san tests/run-all :: make check runs the same sanitizer build and tests (SAN_B)
tests/run-all shell core.t   # one shell test ==> run run_all_core
for t in tests/attacks.t tests/invariants.t tests/desktop.t; do SV=./sandbox-venv SV_HELPERS=build/tests bash $t; done | grep -o 'attack\[[a-z]*\]' | sort | uniq -c ==> covered tests/attacks.t :: attack[ :: tests/run-all runs attacks.t, invariants.t and desktop.t (every tests/*.t); the pipeline counts the attack[class] labels of their test names
.venv/bin/pip install -e . ==> run pip_editable
.venv/bin/python -m myproject ==> run run_module
.venv/bin/shell -c 'python -m unittest' ==> run unittest
sandbox-venv --show .venv ==> run show
sandbox-venv .venv --setenv PYTHONDONTWRITEBYTECODE 1 ==> run setenv
sandbox-venv --reset .venv ==> run reset
BWRAP_ARGS='--ro-bind /usr /usr' .venv/bin/pip install ./pkg ==> run compiler
VERBOSE=1 .venv/bin/python -c pass ==> run verbose
sandbox-venv .venv --network=none  # no network (or allow=HOST,...: see Network) ==> run unshare_net
sandbox-venv .venv --network=none                       # no network at all ==> run unshare_net
sandbox-venv .venv --network=none ==> run unshare_net
sandbox-venv .venv --network=allow=api.example.com      # that host, port 443 ==> covered tests/network.t :: "$SV" "$v" --network=allow=allowed.test :: network.t records allow= for a host its hosts file names, and tests that port 443 alone is let through
sandbox-venv .venv --network=allow=api.example.com ==> covered tests/network.t :: "$SV" "$v" --network=allow=allowed.test :: network.t records allow= for a host its hosts file names, and tests that port 443 alone is let through
sandbox-venv .venv --network=allow=*.example.com,10.1.2.3:5432 ==> covered tests/network.t :: SANDBOX_NETWORK=allow=*.allowed.test :: network.t tests a *.DOMAIN entry and IP:PORT entries (there are no outside hosts here)
SANDBOX_NETWORK=none .venv/bin/python untrusted.py      # one launch ==> covered tests/network.t :: SANDBOX_NETWORK=none overrides a recorded allow= for one launch :: network.t runs a launch with SANDBOX_NETWORK=none over a recorded allow=
SANDBOX_NETWORK=none .venv/bin/python untrusted.py ==> covered tests/network.t :: SANDBOX_NETWORK=none overrides a recorded allow= for one launch :: network.t runs a launch with SANDBOX_NETWORK=none over a recorded allow=
sandbox-venv: network: blocked evil.example:443 (not allowed by --network) ==> covered tests/network.t :: (not allowed by --network) :: network.t checks the words of a refusal, for its own host names
sandbox-venv .venv --socket=x11 ==> covered tests/desktop.t :: recipe: sandbox-venv .venv --socket=x11 :: desktop.t records it and connects a real Xlib client to an Xvfb of its own
sandbox-venv .venv --socket=wayland ==> covered tests/desktop.t :: recipe: sandbox-venv .venv --socket=wayland :: desktop.t records it and reaches a compositor's socket of its own
sandbox-venv .venv --socket=pulseaudio ==> covered tests/desktop.t :: recipe: sandbox-venv .venv --socket=pulseaudio :: desktop.t records it and reaches a sound server's socket of its own
sandbox-venv .venv --device=dri ==> covered tests/desktop.t :: recipe: sandbox-venv .venv --device=dri :: desktop.t records it and checks what the sandbox then sees of /dev/dri
sandbox-venv .venv --links=off ==> covered tests/desktop.t :: recipe: sandbox-venv .venv --links=off :: desktop.t records it and checks that no xdg-open, BROWSER or link socket is inside
TABLE

# === the fixtures ====================================================================
# The main project, as the README's usage has it: myproject with two
# console scripts (my-ai-prog, my-gui), a unit test, and two packages that
# need a compiler (./needs-a-compiler, ./pkg).
P=$SV_TMP/project
R=$SV_TMP/recipes   # a project for the recorded options, reset after each
mkdir -p "$P/myproject"
cat >"$P/setup.py" <<'PY'
from setuptools import setup
setup(name="myproject", version="1.0", packages=["myproject"],
      entry_points={"console_scripts": ["my-ai-prog = myproject.ai:main",
                                        "my-gui = myproject.gui:main"]})
PY
: >"$P/myproject/__init__.py"
cat >"$P/myproject/__main__.py" <<'PY'
import os, sys
print("myproject in", os.getcwd(), "home", os.environ["HOME"], "prefix", sys.prefix)
PY
cat >"$P/myproject/ai.py" <<'PY'
import os
def main():
    print("key", os.environ.get("OPENAI_API_KEY"))
PY
cat >"$P/myproject/gui.py" <<'PY'
import os, socket, struct
def main():
    # An X11 client's first words: the connection setup; status 1 is success.
    s = socket.socket(socket.AF_UNIX)
    s.connect("/tmp/.X11-unix/X" + os.environ["DISPLAY"].lstrip(":"))
    s.sendall(struct.pack("<cxHHHHxx", b"l", 11, 0, 0, 0))
    print("x11 setup status", s.recv(8)[0])
PY
cat >"$P/test_myproject.py" <<'PY'
import os, sys, unittest
class T(unittest.TestCase):
    def test_inside(self):
        self.assertEqual(os.environ["HOME"], sys.prefix + "/home")
PY
for pkg in needs-a-compiler:fastsum pkg:fastpkg; do
	d=$P/${pkg%%:*} m=${pkg##*:}
	mkdir -p "$d"
	printf 'from setuptools import setup, Extension\nsetup(name="%s", version="1.0", ext_modules=[Extension("%s", ["%s.c"])])\n' \
		"$m" "$m" "$m" >"$d/setup.py"
	cat >"$d/$m.c" <<C
#include <Python.h>
static PyObject *add(PyObject *self, PyObject *args)
{
	long a, b;
	(void)self;
	if (!PyArg_ParseTuple(args, "ll", &a, &b))
		return NULL;
	return PyLong_FromLong(a + b);
}
static PyMethodDef methods[] = { { "add", add, METH_VARARGS, "" }, { NULL, NULL, 0, NULL } };
static struct PyModuleDef mod = { PyModuleDef_HEAD_INIT, "$m", NULL, -1, methods, NULL, NULL, NULL, NULL };
PyMODINIT_FUNC PyInit_$m(void) { return PyModule_Create(&mod); }
C
done

# What an example runs with: sandbox-venv is the binary under test, python3
# the interpreter of the tests, and pip installs offline (a pip launch gets
# the caller's PIP_* variables): PIP_NO_BUILD_ISOLATION=0 is pip's
# --no-build-isolation.
cat >"$SV_TMP/shims.sh" <<'SH'
sandbox-venv() { "$SV" "$@"; }
python3() { "$SV_PYTHON" "$@"; }
poetry() {   # only what the README asks of it
	if [ "$*" = "env info -p" ]; then printf '%s\n' "$POETRY_VENV"; else echo "poetry: not here: $*" >&2; return 1; fi
}
export PIP_NO_INDEX=1 PIP_NO_BUILD_ISOLATION=0 PIP_DISABLE_PIP_VERSION_CHECK=1
SH

# doc_run DIR TEXT [STDIN-FILE]: the example's text run by bash in DIR; sets
# $out, $err, $rc. Variables set before (env) reach it.
doc_run() {
	timeout 120 bash -c '. "$0"; cd "$1" || exit 99; eval "$2"' "$SV_TMP/shims.sh" "$1" "$2" \
		>"$SV_TMP/doc.out" 2>"$SV_TMP/doc.err" <"${3:-/dev/null}"
	rc=$?
	out=$(cat "$SV_TMP/doc.out")
	err=$(cat "$SV_TMP/doc.err")
}


ran() {   # ran "what": the example exited 0 (stderr shown when not)
	is "$rc" 0 "docs: run: $text${1:+ ($1)}"
	[ "$rc" -eq 0 ] || printf '%s\n' "$err" | tail -n 8 | sed 's/^/#   /'
}

# The main project's venv, wrapped, with myproject installed: what the
# usage examples build, made here when an earlier example did not.
need_main() {
	[ -e "$P/.venv/pyvenv.cfg" ] || "$SV_PYTHON" -m venv "$P/.venv" >/dev/null 2>&1
	is_gate "$P/.venv/bin/python" || (cd "$P" && "$SV" .venv) >/dev/null 2>&1
	[ -e "$P/.venv/bin/my-ai-prog" ] ||
		(cd "$P" && PIP_NO_INDEX=1 PIP_NO_BUILD_ISOLATION=0 .venv/bin/pip install -q -e .) >/dev/null 2>&1
}
need_recipes() {
	[ -e "$R/.venv/pyvenv.cfg" ] || { mkdir -p "$R" && "$SV_PYTHON" -m venv --without-pip "$R/.venv"; }
	(cd "$R" && "$SV" --reset .venv) >/dev/null 2>&1
}
reset_recipes() { (cd "$R" && "$SV" --reset .venv) >/dev/null 2>&1; }

# === the examples run here ============================================================
ex_wrap_fresh() {
	local d=$SV_TMP/fresh
	mkdir -p "$d"
	"$SV_PYTHON" -m venv --without-pip "$d/.venv"
	doc_run "$d" "$text"
	ran
	check "docs: ... every entry point is a gate" is_gate "$d/.venv/bin/python"
	doc_run "$d" '.venv/bin/python -c "import sys; print(sys.prefix)"'
	is "$out" "$d/.venv" "docs: ... and runs inside"
}

ex_quickstart() {
	# scripts/deps: apt-get (and sudo) as stand-ins that log their use, since
	# there is no network here; make demo: scripts/demo (what the Makefile's
	# demo target runs after building) with the binary under test.
	local stub=$SV_TMP/deps-stub
	mkdir -p "$stub"
	printf '#!/bin/sh\necho "apt-get $*" >>%s/log\n' "$stub" >"$stub/apt-get"
	printf '#!/bin/sh\necho "sudo $*" >>%s/log\n' "$stub" >"$stub/sudo"
	chmod 755 "$stub/apt-get" "$stub/sudo"
	ln -sf "$(command -v id)" "$stub/id"
	ln -sf "$(command -v env)" "$stub/env"
	(cd "$src" && PATH=$stub scripts/deps) >/dev/null 2>"$SV_TMP/deps.err"
	rc=$?
	err=$(cat "$SV_TMP/deps.err")
	ran "scripts/deps, apt-get stood in for"
	if [ "$is_root" -eq 1 ]; then
		is "$(cut -d' ' -f1-2 "$stub/log" 2>/dev/null | sort -u | tr '\n' ' ')" "apt-get install apt-get update " \
			"docs: ... as root it runs apt-get itself, never sudo"
	else
		is "$(cut -d' ' -f1-3 "$stub/log" 2>/dev/null | sort -u | tr '\n' ' ')" "sudo apt-get update sudo env DEBIAN_FRONTEND=noninteractive " \
			"docs: ... as a user, apt-get through sudo"
	fi
	grep -q '^demo: all' "$src/Makefile" && grep -q '^	scripts/demo' "$src/Makefile"
	ok $? "docs: ... make demo is the build, then scripts/demo"
	local q=$SV_TMP/quickstart
	mkdir -p "$q/scripts"
	cp "$src/scripts/demo" "$q/scripts/demo"
	cp "$SV" "$q/sandbox-venv"
	(cd "$q" && PYTHON=$SV_PYTHON timeout 120 scripts/demo "$SV_TMP/demo-project") >"$SV_TMP/demo.out" 2>&1
	rc=$?
	out=$(cat "$SV_TMP/demo.out")
	err=$out
	ran "scripts/demo in $SV_TMP/demo-project"
	for l in "read your real ~/.ssh.*blocked" "read your real ~/.bashrc.*blocked" \
		"append to .venv/bin/pip.*blocked" "write a file in the project.*allowed" \
		"see the token exported in your shell.*blocked"; do
		like "$out" "$l" "docs: ... the demo's probe: ${l//.\*/ ... }"
	done
}

ex_build_deps() {
	# apt-get needs the network: the packages it names are installed, and
	# scripts/deps (which CI runs) names them too.
	local p missing='' unlisted=''
	for p in ${text#sudo apt-get install -y }; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
		grep -qw -- "$p" "$src/scripts/deps" || unlisted="$unlisted $p"
	done
	is "$missing" "" "docs: run (its effect): $text: each package is installed"
	is "$unlisted" "" "docs: ... and scripts/deps installs each of them"
}

ex_make_venv() {
	doc_run "$P" "$text"
	ran
	check "docs: ... a venv with pip" test -e "$P/.venv/bin/pip"
}

ex_wrap_main() {
	[ -e "$P/.venv/pyvenv.cfg" ] || "$SV_PYTHON" -m venv "$P/.venv" >/dev/null 2>&1
	doc_run "$P" "$text"
	ran
	check "docs: ... pip is a gate" is_gate "$P/.venv/bin/pip"
}

ex_pip_editable() {
	need_main
	doc_run "$P" "$text"
	ran
	check "docs: ... its new entry point my-ai-prog is gated" is_gate "$P/.venv/bin/my-ai-prog"
}

ex_run_module() {
	need_main
	doc_run "$P" "$text"
	ran
	is "$out" "myproject in $P home $P/.venv/home prefix $P/.venv" "docs: ... inside: the project, the venv's home"
}

ex_shell_interactive() {
	need_main
	printf 'echo "inside: $HOME"\nexit 3\n' >"$SV_TMP/shell.in"
	doc_run "$P" "$text" "$SV_TMP/shell.in"
	is "$rc:$out" "3:inside: $P/.venv/home" "docs: run: $text (commands on its input, its exit status)"
}

ex_unittest() {
	need_main
	doc_run "$P" "$text"
	ran
	contains "$err" "Ran 1 test" "docs: ... the project's test ran inside"
}

ex_synopsis() {
	# Each form: no argument (the nearest .venv), --project, --reset, options.
	need_main
	doc_run "$P/myproject" "sandbox-venv"
	ran "sandbox-venv, from a sub-directory"
	doc_run "$P" "sandbox-venv --project . --reset .venv --unshare-net"
	ran "sandbox-venv --project . --reset .venv --unshare-net"
	is "$("$SV" --show "$P/.venv" | grep -E '^(project|option) ')" "project  $P
option   --unshare-net" "docs: ... recorded"
	doc_run "$P" "sandbox-venv --reset"
	ran "sandbox-venv --reset"
	is "$("$SV" --show "$P/.venv" | grep '^option ')" "option   (none recorded)" "docs: ... cleared"
}

ex_show_synopsis() {
	need_main
	doc_run "$P" "sandbox-venv --show"
	ran "sandbox-venv --show"
	contains "$out" "project  $P" "docs: ... the project"
	doc_run "$P" "sandbox-venv --show .venv"
	ran "sandbox-venv --show .venv"
	contains "$out" "option " "docs: ... the recorded options"
}

ex_list() {
	need_main
	(cd "$P" && exec .venv/bin/python -c 'import time; time.sleep(5)') &
	local gate=$!
	for _ in $(seq 40); do
		"$SV" --list 2>/dev/null | grep -q "^$gate " && break
		sleep 0.1
	done
	doc_run "$P" "$text"
	ran
	like "$out" "^$gate .* $P/.venv  *python\$" "docs: ... it lists a running gate"
	kill "$gate" 2>/dev/null
	wait "$gate" 2>/dev/null
}

ex_poetry() {
	# A poetry layout (its venv in ~/.cache/pypoetry/virtualenvs), with a
	# stand-in for "poetry env info -p", which is not installed here.
	local h=$SV_TMP/poetry-home app venv
	app=$h/src/app
	venv=$h/.cache/pypoetry/virtualenvs/app-Xy12-py3
	mkdir -p "$app" "${venv%/*}"
	"$SV_PYTHON" -m venv --without-pip "$venv"
	HOME=$h POETRY_VENV=$venv doc_run "$app" "$text"
	ran
	contains "$("$SV" --show "$venv")" "project  $app" "docs: ... the project is recorded"
	doc_run "$app" "$venv/bin/python -c 'import os; print(os.getcwd())'"
	is "$out" "$app" "docs: ... and a launch runs in it"
}

ex_check() {
	need_main
	doc_run "$P" "sandbox-venv --check"
	is "$rc:$out" "0:" "docs: run: sandbox-venv --check: intact: silent, exit 0"
	doc_run "$P" "sandbox-venv --check .venv"
	is "$rc:$out" "0:" "docs: run: sandbox-venv --check .venv: the same"
	local d=$SV_TMP/tampered
	mkdir -p "$d"
	"$SV_PYTHON" -m venv --without-pip "$d/.venv"
	(cd "$d" && "$SV" .venv) >/dev/null 2>&1
	printf '#!/bin/sh\necho unsandboxed\n' >"$d/.venv/bin/planted"
	chmod 755 "$d/.venv/bin/planted"
	doc_run "$d" "sandbox-venv --check"
	is "$rc:$(printf '%s\n' "$out" | wc -l)" "1:1" "docs: ... not intact: one line per finding, exit 1"
	contains "$out" "bin/planted" "docs: ... naming it"
}

ex_unwrap() {
	local d=$SV_TMP/unwrap
	mkdir -p "$d"
	"$SV_PYTHON" -m venv --without-pip "$d/.venv"
	(cd "$d" && "$SV" .venv && .venv/bin/python -c pass) >/dev/null 2>&1
	doc_run "$d" "sandbox-venv --unwrap"
	ran "sandbox-venv --unwrap"
	ok "$(! is_gate "$d/.venv/bin/python" && [ -d "$d/.venv/home" ] && [ -d "$d/.venv/cache" ]; echo $?)" \
		"docs: ... an ordinary venv again; home/ and cache/ stay"
	doc_run "$d" "sandbox-venv --unwrap .venv"
	is "$rc" 0 "docs: run: sandbox-venv --unwrap .venv: again, exit 0"
}

ex_compiler() {
	need_main
	local pyinc
	pyinc=$("$SV_PYTHON" -c 'import sysconfig; print(sysconfig.get_path("include"))')
	if ! command -v cc >/dev/null 2>&1 || [ ! -f "$pyinc/Python.h" ]; then
		skip "docs: not runnable here: $text: no C compiler or no Python.h ($pyinc)"
		return
	fi
	doc_run "$P" "$text"
	ran
	local m=fastsum
	case $text in *./pkg) m=fastpkg ;; esac
	doc_run "$P" ".venv/bin/python -c 'import $m; print($m.add(2, 3))'"
	is "$out" 5 "docs: ... and its compiled module works inside"
}

ex_uid0() {
	need_recipes
	doc_run "$R" "$text"
	ran
	doc_run "$R" ".venv/bin/python -c 'import os; print(os.getuid())'"
	is "$out" 0 "docs: ... uid 0 inside"
	reset_recipes
}

ex_low_port() {
	need_recipes
	doc_run "$R" "$text"
	ran
	doc_run "$R" ".venv/bin/python -c '
import socket
try:
    socket.socket().bind((\"127.0.0.1\", 81)); print(\"bound\")
except OSError as e:
    print(\"refused\", e.errno)'"
	if [ "$is_root" -eq 1 ]; then
		is "$out" bound "docs: ... as root, port 81 binds in the sandbox's own network"
	else
		is "$out" "refused 13" "docs: ... as a user, no port below 1024, as documented (bwrap run by a user gets none)"
	fi
	reset_recipes
}

ex_pass_env() {
	need_main
	OPENAI_API_KEY=sk-docs-test doc_run "$P" "$text"
	ran
	is "$out" "key sk-docs-test" "docs: ... the key reaches the program"
	OPENAI_API_KEY=sk-docs-test doc_run "$P" ".venv/bin/my-ai-prog"
	is "$out" "key None" "docs: ... and without SANDBOX_PASS_ENV it does not"
}

ex_debian_wheels() {
	need_main
	if ! ls /usr/share/python-wheels/wheel-*.whl >/dev/null 2>&1; then
		skip "docs: not runnable here: $text: no wheel in /usr/share/python-wheels (python3-venv)"
		return
	fi
	doc_run "$P" "$text"
	ran
	check "docs: ... wheel's entry point is gated" is_gate "$P/.venv/bin/wheel"
}

ex_vscode() {
	# VS Code's directory in a home of our own, with a helper script in it.
	need_recipes
	local h=$SV_TMP/ide-home
	mkdir -p "$h/.vscode-server/extensions/ms-python"
	printf 'import sys\nprint("helper ran", sys.prefix)\n' >"$h/.vscode-server/extensions/ms-python/helper.py"
	doc_run "$R" ".venv/bin/python $h/.vscode-server/extensions/ms-python/helper.py"
	contains "$err" "can't open file" "docs: ... (without it, the helper is not there: \"can't open file\", as documented)"
	HOME=$h doc_run "$R" "$text"
	ran
	doc_run "$R" ".venv/bin/python $h/.vscode-server/extensions/ms-python/helper.py"
	is "$out" "helper ran $R/.venv" "docs: ... the IDE's helper script then runs inside"
	reset_recipes
}

ex_run_all_core() {
	# One shell test through tests/run-all, in the source tree (as the
	# current user only: this file runs as both).
	(cd "$src" && SV_SHELL_CURRENT_USER_ONLY=1 timeout 300 bash -c "$text") >"$SV_TMP/runall.out" 2>&1
	rc=$?
	err=$(cat "$SV_TMP/runall.out")
	ran
	like "$(tail -n 1 "$SV_TMP/runall.out")" '^[1-9][0-9]* passed, 0 failed' "docs: ... its closing line counts passes and no failure"
}

ex_show() {
	need_recipes
	doc_run "$R" "$text"
	ran
	contains "$out" "venv     $R/.venv" "docs: ... the venv"
}

ex_setenv() {
	need_recipes
	doc_run "$R" "$text"
	ran
	doc_run "$R" ".venv/bin/python -c 'import sys; print(sys.dont_write_bytecode)'"
	is "$out" True "docs: ... it reaches every launch"
}

ex_reset() {
	need_recipes
	(cd "$R" && "$SV" .venv --setenv PYTHONDONTWRITEBYTECODE 1) >/dev/null 2>&1
	doc_run "$R" "$text"
	ran
	is "$("$SV" --show "$R/.venv" | grep '^option ')" "option   (none recorded)" "docs: ... nothing recorded"
	doc_run "$R" ".venv/bin/python -c 'import sys; print(sys.dont_write_bytecode)'"
	is "$out" False "docs: ... and launches lose it"
}

ex_unshare_net() {
	need_recipes
	# Not the port of the last run's server: the redirection below is
	# made by the background job, perhaps only after the wait has begun.
	rm -f "$SV_TMP/port"
	"$SV_PYTHON" -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$SV_TMP/port" &
	local server=$! port
	for _ in $(seq 100); do [ -s "$SV_TMP/port" ] && break; sleep 0.1; done
	port=$(cat "$SV_TMP/port")
	doc_run "$R" "$text"
	ran
	doc_run "$R" ".venv/bin/python -c '
import socket, sys
try:
    socket.create_connection((\"127.0.0.1\", $port), 3); print(\"reached\")
except OSError:
    print(\"unreachable\")'"
	is "$out" unreachable "docs: ... a server on the host's loopback is out of reach"
	[ "$out" = unreachable ] || printf '#   port %s; stderr: %s\n' "$port" "$(tail -n 3 "$SV_TMP/doc.err")"
	doc_run "$R" ".venv/bin/python -c pass"
	is "$rc" 0 "docs: ... and launches still work"
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	reset_recipes
}

ex_verbose() {
	need_main
	doc_run "$P" "$text"
	ran
	like "$err" '^/usr/bin/bwrap ' "docs: ... the bwrap command line"
	contains "$err" "read-write $P: the project" "docs: ... and each mount with its reason"
}

# === the table against the documents ================================================
declare -A how in_docs
order=()
while IFS= read -r entry; do
	[ -n "$entry" ] || continue
	key=${entry%% ==> *}
	if [ -n "${how[$key]+x}" ]; then
		ok 1 "docs: the table names an example twice: $key"
		continue
	fi
	how[$key]=${entry#* ==> }
	order+=("$key")
done <"$SV_TMP/table"

current_block=
while IFS=$'\t' read -r file kind text; do
	if [ "$kind" = block ]; then
		current_block=
		case ${how[$text]:-} in block\ *) current_block=$text; in_docs[$text]=$file ;; esac
		continue
	fi
	if [ -n "$current_block" ]; then
		continue   # the block's entry covers it
	fi
	if [ -z "${how[$text]+x}" ]; then
		ok 1 "docs: $file: an example with no test in tests/docs.t's table: $text"
		continue
	fi
	in_docs[$text]="${in_docs[$text]:+${in_docs[$text]}, }$file"
done <"$SV_TMP/examples"

for key in "${order[@]}"; do
	if [ -z "${in_docs[$key]+x}" ]; then
		ok 1 "docs: the table names an example that is not in README.md or the man page (any more): $key"
		continue
	fi
	text=$key
	h=${how[$key]}
	case $h in
	run\ *)
		fn=ex_${h#run }
		if declare -F "$fn" >/dev/null; then
			"$fn"
		else
			ok 1 "docs: no runner $fn for: $text"
		fi
		;;
	covered\ *)
		rest=${h#covered }
		file=${rest%% :: *}
		rest=${rest#* :: }
		needle=${rest%% :: *}
		why=${rest#* :: }
		if [ -f "$src/$file" ] && grep -qF -e "$needle" "$src/$file"; then
			ok 0 "docs: covered by $file: $text ($why)"
		else
			ok 1 "docs: covered by $file: $text: $file does not hold '$needle' any more"
		fi
		;;
	skip\ *) skip "docs: not runnable here: $text (${in_docs[$key]}): ${h#skip }" ;;
	block\ *) ok 0 "docs: ${in_docs[$key]}: the block beginning '$text' is ${h#block }" ;;
	*) ok 1 "docs: the table's entry for '$text' is not run, covered, skip or block: $h" ;;
	esac
done

# The package's file name in the README, against the version being built.
if [ -f "$src/debian/changelog" ]; then
	version=$(sed -n '1s/.*(\([^)]*\)).*/\1/p' "$src/debian/changelog")
	named=$(grep -o 'sandbox-venv_[0-9][^_]*_' "$src/README.md" | sort -u | tr '\n' ' ')
	is "$named" "sandbox-venv_${version}_ " "docs: the README's .deb file names carry debian/changelog's version ($version)"
fi

done_testing
