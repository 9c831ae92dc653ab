# tests/lib.sh - TAP helpers and fixtures for the shell tests.
#
# Sourced by tests/*.t. The test prints "ok N - what" lines and ends with
# done_testing. Environment:
#   SV        the sandbox-venv binary under test (required)
#   SV_PYTHON the base interpreter for test venvs (default /usr/bin/python3)
#   SV_TMP    a scratch directory the current user owns (default: mktemp)

set -u
tap_n=0
tap_failed=0

ok() {      # ok CONDITION-STATUS "description"
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

check() {   # check "description" COMMAND...: ok when COMMAND succeeds
	local what=$1
	shift
	if "$@" >"$SV_TMP/check.out" 2>&1; then
		ok 0 "$what"
	else
		ok 1 "$what"
		sed 's/^/#   /' "$SV_TMP/check.out" | head -20
	fi
}

check_fails() {   # check_fails "description" COMMAND...: ok when COMMAND fails
	local what=$1
	shift
	if "$@" >"$SV_TMP/check.out" 2>&1; then
		ok 1 "$what"
		sed 's/^/#   /' "$SV_TMP/check.out" | head -20
	else
		ok 0 "$what"
	fi
}

is() {      # is GOT WANT "description"
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf 'got:  %s\nwant: %s\n' "$1" "$2" | sed 's/^/#   /' | head -20
	fi
}

like() {    # like GOT GREP-PATTERN "description"
	if printf '%s\n' "$1" | grep -q -e "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf 'got:  %s\nwant match: %s\n' "$1" "$2" | sed 's/^/#   /' | head -20
	fi
}

unlike() {  # unlike GOT GREP-PATTERN "description"
	if printf '%s\n' "$1" | grep -q -e "$2"; then
		ok 1 "$3"
		printf 'got:  %s\nmust not match: %s\n' "$1" "$2" | sed 's/^/#   /' | head -20
	else
		ok 0 "$3"
	fi
}

skip() {    # skip "reason"
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

: "${SV:?SV must name the sandbox-venv binary}"
: "${SV_PYTHON:=/usr/bin/python3}"
if [ -z "${SV_TMP:-}" ]; then
	SV_TMP=$(mktemp -d /tmp/sv-test.XXXXXX)
	trap 'chmod -R u+w "$SV_TMP" 2>/dev/null; rm -rf "$SV_TMP"' EXIT
fi
export SV SV_PYTHON SV_TMP

# new_project NAME [venv options]: a project with a wrapped .venv; prints
# the project's path.
new_project() {
	local dir="$SV_TMP/$1"
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	"$SV_PYTHON" -m venv "$@" "$dir/.venv" >/dev/null &&
		"$SV" "$dir/.venv" >/dev/null 2>"$SV_TMP/wrap.err" || {
		echo "# cannot make project $dir:" >&2
		sed 's/^/#   /' "$SV_TMP/wrap.err" >&2
		return 1
	}
	printf '%s\n' "$dir"
}

# A local package with a console script, built offline; prints its path.
# make_package DIR NAME SCRIPT-NAME [extra setup.py body]
make_package() {
	local dir=$1 name=$2 script=$3
	mkdir -p "$dir/$name"
	cat >"$dir/setup.py" <<PY
from setuptools import setup
setup(name="$name", version="1.0", packages=["$name"],
      entry_points={"console_scripts": ["$script = $name:main"]})
${4:-}
PY
	cat >"$dir/$name/__init__.py" <<PY
import os, sys
def main():
    print("$script", sys.executable, os.getuid())
PY
}

# The marker line every gate carries (src/gate.h, GATE_MARKER).
gate_marker="# sandbox-venv gate: runs this entry point inside the venv's sandbox"

is_gate() {   # is_gate FILE: a regular file carrying the gate marker line
	[ -f "$1" ] && [ ! -L "$1" ] && grep -qxF "$gate_marker" "$1"
}

# dir_snapshot DIR: a listing that changes when any entry's name, type,
# mode, link target or content changes.
dir_snapshot() {
	local d=$1 f
	for f in "$d"/* "$d"/.[!.]*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		if [ -L "$f" ]; then
			printf '%s link %s\n' "${f##*/}" "$(readlink "$f")"
		else
			printf '%s %s %s\n' "${f##*/}" "$(stat -c %a "$f")" \
				"$(sha256sum <"$f" | cut -d' ' -f1)"
		fi
	done
}

contains() {   # contains GOT FIXED-STRING "description"
	if printf '%s\n' "$1" | grep -qF -e "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf 'got:  %s\nwant: %s\n' "$1" "$2" | sed 's/^/#   /' | head -20
	fi
}

lacks() {      # lacks GOT FIXED-STRING "description"
	if printf '%s\n' "$1" | grep -qF -e "$2"; then
		ok 1 "$3"
		printf 'got:  %s\nmust not contain: %s\n' "$1" "$2" | sed 's/^/#   /' | head -20
	else
		ok 0 "$3"
	fi
}

# find_src: the source tree (README.md, doc/, scripts/): SV_SRC (tests/run-all
# sets it), else the tree the binary was built in (SV=./build/sandbox-venv).
find_src() {
	local d
	for d in "${SV_SRC:-}" "$(dirname "$SV")/.." "$(dirname "$SV")"; do
		[ -n "$d" ] && [ -f "$d/README.md" ] && [ -f "$d/doc/sandbox-venv.1" ] &&
			[ -f "$d/tests/run-all" ] && { (cd "$d" && pwd); return 0; }
	done
	return 1
}

# seal_state FILE SCOPE: seal FILE as sandbox-venv does (seal.h), with the
# key of the owner of its directory, replacing the seal it has. The tests'
# own SipHash-2-4-128: a forgery sealed with it must be obeyed, which shows
# that a check refusing it unsealed can fail.
seal_state() {
	"$SV_PYTHON" - "$1" "$2" <<'PY'
import os, pwd, re, struct, sys
path, scope = sys.argv[1], sys.argv[2].encode()
home = pwd.getpwuid(os.stat(os.path.dirname(path)).st_uid).pw_dir
key = bytes.fromhex(open(home + "/.local/state/sandbox-venv/key").read().strip())
M = (1 << 64) - 1
rotl = lambda x, b: ((x << b) | (x >> (64 - b))) & M
def sip128(k, m):
    k0, k1 = struct.unpack("<QQ", k)
    v = [0x736f6d6570736575 ^ k0, 0x646f72616e646f6d ^ k1 ^ 0xee,
         0x6c7967656e657261 ^ k0, 0x7465646279746573 ^ k1]
    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & M; v[1] = rotl(v[1], 13) ^ v[0]; v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & M; v[3] = rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & M; v[3] = rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & M; v[1] = rotl(v[1], 17) ^ v[2]; v[2] = rotl(v[2], 32)
    n = len(m) - len(m) % 8
    for i in range(0, n, 8):
        w, = struct.unpack_from("<Q", m, i)
        v[3] ^= w; rounds(2); v[0] ^= w
    w = int.from_bytes(m[n:], "little") | (len(m) & 0xff) << 56
    v[3] ^= w; rounds(2); v[0] ^= w
    v[2] ^= 0xee; rounds(4); a = v[0] ^ v[1] ^ v[2] ^ v[3]
    v[1] ^= 0xdd; rounds(4); b = v[0] ^ v[1] ^ v[2] ^ v[3]
    return struct.pack("<QQ", a, b)
data = open(path, "rb").read()
if re.search(rb"seal [0-9a-f]{32}\n\Z", data):
    data = data[:-38]
open(path, "wb").write(data + b"seal " + sip128(key, scope + b"\0" + data).hex().encode() + b"\n")
PY
}

# unseal_state FILE: FILE without its seal, as a sandbox would write it.
unseal_state() {
	"$SV_PYTHON" - "$1" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[1], "wb").write(re.sub(rb"seal [0-9a-f]{32}\n\Z", b"", data))
PY
}

# stop_pids PID...: end background helpers the way a user would, with
# SIGTERM (an X server then removes its socket and lock files), and
# SIGKILL whatever is still there 2 s later.
stop_pids() {
	local pid
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	for _ in $(seq 20); do
		kill -0 "$@" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null
	for pid; do wait "$pid" 2>/dev/null; done
	return 0
}

# free_x_display FIRST LAST: print a display number in FIRST..LAST that no
# X server of this network namespace listens on, by path or abstract name,
# whose lock names no live process, and whose socket and lock files, if
# any, are stale ones of this user's (removed here: a server killed
# outright leaves them). Fails when there is none.
free_x_display() {
	local d f pid usable
	for d in $(seq "$1" "$2"); do
		grep -q "/tmp/\.X11-unix/X$d\$" /proc/net/unix && continue
		pid=$(tr -dc 0-9 <"/tmp/.X$d-lock" 2>/dev/null)
		[ -n "$pid" ] && [ -d "/proc/$pid" ] && continue
		usable=1
		for f in "/tmp/.X11-unix/X$d" "/tmp/.X$d-lock"; do
			if [ -e "$f" ] || [ -L "$f" ]; then
				{ [ -O "$f" ] && rm -f "$f" 2>/dev/null; } || usable=
			fi
		done
		[ -n "$usable" ] && { echo "$d"; return 0; }
	done
	return 1
}

# relro_perms PID BINARY: the permissions of the pages of BINARY's
# PT_GNU_RELRO (what is read-only once relocated) in PID's maps, one line
# per mapping; "r--p" when they are read-only. Reading another process's
# maps may take root.
relro_perms() {
	"${SV_PYTHON:-/usr/bin/python3}" - "$1" "$2" <<'PY'
import os, struct, sys
pid, binary = int(sys.argv[1]), sys.argv[2]
data = open(binary, "rb").read()
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
relro = None
for i in range(phnum):
    ptype, _, _, vaddr, _, _, memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
    if ptype == 0x6474e552:
        relro = (vaddr, memsz)
if not relro:
    sys.exit("no PT_GNU_RELRO in " + binary)
ino = os.stat(binary).st_ino
maps = []
for line in open(f"/proc/{pid}/maps"):
    f = line.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    if int(f[4]) == ino:
        maps.append((lo, hi, f[1], int(f[2], 16)))
base = min(lo - off for lo, hi, perms, off in maps if off == 0)
page = (base + relro[0]) & ~4095
end = (base + relro[0] + relro[1]) & ~4095
for lo, hi, perms, off in maps:
    if lo < end and page < hi:
        print(perms)
PY
}
