#!/bin/bash
# workloads.t - real work under the default policy, offline, in a venv with
# --system-site-packages over the distribution's packages: pip building and
# installing an sdist and a wheel, numpy, cryptography, lxml, sqlite3, ssl,
# threads, multiprocessing (fork, spawn, forkserver), asyncio subprocesses,
# a shell, git, tempfile, locales, time zones, memfd_create.
. "$(dirname "$0")/lib.sh"

if ! "$SV_PYTHON" -c 'import ensurepip' 2>/dev/null; then
	skip "no ensurepip for $SV_PYTHON: cannot make a venv with pip (apt install python3-venv)"
	done_testing
	exit
fi
p=$(new_project work --system-site-packages) || {
	ok 1 "a wrapped --system-site-packages venv with pip"
	done_testing
	exit
}
v=$p/.venv

cat >"$p/work.py" <<'PY'
"""One workload per name; prints a short, deterministic result."""
import os, sys


def numpy_():
    import numpy
    a = numpy.arange(12, dtype=float).reshape(3, 4)
    print(int((a @ a.T).trace()), round(float(numpy.linalg.norm(a)), 3))


def cryptography_():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.exceptions import InvalidSignature
    key = Ed25519PrivateKey.generate()
    sig = key.sign(b"payload")
    key.public_key().verify(sig, b"payload")
    try:
        key.public_key().verify(sig, b"tampered")
        print("forged")
    except InvalidSignature:
        print("signed verified", len(sig))


def lxml_():
    from lxml import etree
    root = etree.fromstring(b"<r><i n='1'/><i n='2'/><j/></r>")
    print(len(root.findall("i")), root.xpath("sum(//i/@n)"))


def sqlite_():
    import sqlite3
    db = sqlite3.connect("work.db")
    db.execute("create table if not exists t (x integer)")
    db.executemany("insert into t values (?)", [(i,) for i in range(10)])
    db.commit()
    mem = sqlite3.connect(":memory:")
    print(db.execute("select sum(x) from t").fetchone()[0],
          mem.execute("select sqlite_version() is not null").fetchone()[0])
    db.close()
    os.unlink("work.db")


def ssl_():
    import ssl
    ctx = ssl.create_default_context()
    print(ctx.cert_store_stats()["x509_ca"] > 0, ctx.verify_mode == ssl.CERT_REQUIRED)


def threads():
    import threading
    out = []
    lock = threading.Lock()

    def work(n):
        with lock:
            out.append(n * n)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(sum(out))


def square(n):
    return n * n


def multiprocessing_(method):
    import multiprocessing
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        r = pool.map(square, range(6))
    q = ctx.Queue()
    p = ctx.Process(target=q.put, args=(method,))
    p.start()
    got = q.get(timeout=30)
    p.join()
    print(sum(r), got, p.exitcode)


def asyncio_():
    import asyncio

    async def main():
        p = await asyncio.create_subprocess_exec(
            "echo", "exec", stdout=asyncio.subprocess.PIPE)
        a, _ = await p.communicate()
        s = await asyncio.create_subprocess_shell(
            "echo shell $((6*7))", stdout=asyncio.subprocess.PIPE)
        b, _ = await s.communicate()
        return a.decode().strip(), b.decode().strip(), p.returncode, s.returncode
    print(*asyncio.run(main()))


def shell():
    import subprocess
    r = subprocess.run("echo $((6*7)) | cat; exit 3", shell=True,
                       capture_output=True, text=True)
    print(r.stdout.strip(), r.returncode)


def tempfile_():
    import tempfile
    with tempfile.NamedTemporaryFile("w+") as f:
        f.write("x" * 10)
        f.flush()
        size = os.path.getsize(f.name)
    d = tempfile.mkdtemp()
    print(size, os.path.dirname(d), os.path.isdir(d))


def locale_():
    import locale
    print(locale.setlocale(locale.LC_ALL, "C.UTF-8"),
          locale.getpreferredencoding(False), "é".upper())


def zoneinfo_():
    import datetime, zoneinfo
    tz = zoneinfo.ZoneInfo("Europe/Paris")
    print(datetime.datetime(2024, 7, 1, tzinfo=tz).utcoffset(),
          datetime.datetime(2024, 1, 1, tzinfo=tz).tzname())


def memfd():
    fd = os.memfd_create("work", os.MFD_CLOEXEC)
    os.write(fd, b"in memory")
    os.lseek(fd, 0, 0)
    print(os.read(fd, 100).decode())


if __name__ == "__main__":
    name = sys.argv[1]
    if name.startswith("multiprocessing-"):
        multiprocessing_(name.split("-", 1)[1])
    else:
        globals()[name]()
PY

# work NAME: run one workload inside, from the project.
work() { (cd "$p" && "$v/bin/python" work.py "$@" 2>&1); }
# have MODULE: is the distribution's module importable by the base python?
have() { "$SV_PYTHON" -c "import $1" 2>/dev/null; }

if have numpy; then
	is "$(work numpy_)" "506 22.494" "numpy computes"
else
	skip "numpy is not installed for $SV_PYTHON (apt install python3-numpy)"
fi
if have cryptography.hazmat.primitives.asymmetric.ed25519; then
	is "$(work cryptography_)" "signed verified 64" "cryptography signs and verifies with ed25519"
else
	skip "cryptography is not installed for $SV_PYTHON (apt install python3-cryptography)"
fi
if have lxml.etree; then
	is "$(work lxml_)" "2 3.0" "lxml parses and runs XPath"
else
	skip "lxml is not installed for $SV_PYTHON (apt install python3-lxml)"
fi
is "$(work sqlite_)" "45 1" "sqlite3 on a file in the project and in memory"
is "$(work ssl_)" "True True" "ssl.create_default_context() loads the CA store"
is "$(work threads)" 140 "threads"
for m in fork spawn forkserver; do
	is "$(work "multiprocessing-$m")" "55 $m 0" "multiprocessing with $m: a pool, a process and a queue"
done
is "$(work asyncio_)" "exec shell 42 0 0" "asyncio runs subprocesses, exec and shell"
is "$(work shell)" "42 3" "subprocess through a shell with a pipe"
# (With Landlock, a project that lies in /tmp makes /var/tmp TMPDIR: no
# socket can be made in a /tmp that holds a shared place.)
like "$(work tempfile_)" "^10 \(/tmp\|/var/tmp\) True\$" "tempfile in the private /tmp (or /var/tmp)"
is "$(work locale_)" "C.UTF-8 UTF-8 É" "locale.setlocale(LC_ALL, 'C.UTF-8')"
is "$(work zoneinfo_)" "2:00:00 CET" "zoneinfo.ZoneInfo('Europe/Paris')"
is "$(work memfd)" "in memory" "os.memfd_create"

# git: a repository made and committed to inside, and the project's own
# (made on the host, read-only inside) read.
if command -v git >/dev/null 2>&1; then
	git -C "$p" init -q 2>/dev/null && echo tracked >"$p/tracked" &&
		git -C "$p" add tracked && git -C "$p" -c user.name=host -c user.email=host@example.org \
			commit -q -m "host commit" >/dev/null 2>&1
	out=$(cd "$p" && "$v/bin/shell" -c '
		git init -q sub && cd sub && echo hello >f && git add f &&
		git -c user.name=in -c user.email=in@example.org commit -q -m "inside commit" &&
		git log --format=%s && cd .. && git log --format=%s' 2>&1)
	is "$out" "inside commit
host commit" "git init and commit in the project, and git log of the project's repository"
else
	skip "git is not installed"
fi

# --- pip, offline: a local sdist and a wheel ------------------------------------------
make_package "$SV_TMP/src-sdist" svsdist sv-sdist-tool
make_package "$SV_TMP/src-wheel" svwheel sv-wheel-tool
mkdir -p "$p/dist"
if (cd "$SV_TMP/src-sdist" && "$SV_PYTHON" setup.py -q sdist -d "$p/dist" >/dev/null 2>&1); then
	out=$(cd "$p" && "$v/bin/pip" install -q --no-index --no-build-isolation \
		dist/svsdist-1.0.tar.gz 2>&1)
	rc=$?
	ok $rc "pip builds and installs a local sdist (setup.py) inside"
	[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -15 | sed 's/^/#   /'
	out=$("$v/bin/sv-sdist-tool" 2>&1)
	like "$out" "^sv-sdist-tool $v/bin/python3\\? $(id -u)\$" "... its console script is gated and runs inside"
else
	skip "$SV_PYTHON cannot build an sdist (setuptools missing)"
fi
if (cd "$SV_TMP/src-wheel" && "$SV_PYTHON" -m pip wheel -q --no-deps --no-build-isolation \
	-w "$p/dist" . >/dev/null 2>&1) ||
	(cd "$SV_TMP/src-wheel" && "$SV_PYTHON" setup.py -q bdist_wheel -d "$p/dist" >/dev/null 2>&1); then
	out=$(cd "$p" && "$v/bin/pip" install -q --no-index dist/svwheel-1.0-py3-none-any.whl 2>&1)
	rc=$?
	ok $rc "pip installs a wheel inside"
	[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -15 | sed 's/^/#   /'
	out=$("$v/bin/sv-wheel-tool" 2>&1)
	like "$out" "^sv-wheel-tool $v/bin/python3\\? $(id -u)\$" "... its console script is gated and runs inside"
else
	skip "$SV_PYTHON cannot build a wheel (python3-wheel or pip missing)"
fi

done_testing
