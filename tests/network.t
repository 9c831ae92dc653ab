#!/bin/bash
# network.t - --network=none and --network=allow=: the sandbox's own
# network, the launcher's CONNECT proxy and what it lets through, as root
# and as an unprivileged user.
#
# Nothing leaves this machine. The test runs in a network and mount
# namespace of its own (unshare; for a user, with a user namespace whose
# capabilities are dropped again before anything is tested): there,
# 203.0.113.7 (a documentation address, "public" to the policy) sits on the
# loopback interface, and a hosts file of the test's own is bound over
# /etc/hosts, so that the shipped binary's resolver (getaddrinfo, in the
# proxy's resolver child) reads it: allowed.test, other.test and index.test
# are 203.0.113.7, and so are www.allowed.test and evil.test; loop.test is
# 127.0.0.1, mixed.test is both. The servers are in
# tests/fixtures/network/server.py, the probes run inside in client.py.
#
# Attack lines read "attack[network] ...", as in attacks.t.
. "$(dirname "$0")/lib.sh"

FIX=${SV_FIXTURES:-$(cd "$(dirname "$0")" && pwd)/fixtures}/network

# --- namespaces of the test's own ------------------------------------------------
case ${SV_NET_PHASE:-} in
"")
	if [ "$(id -u)" -eq 0 ]; then
		ns=(unshare --mount --net)
	else
		ns=(unshare --user --map-current-user --mount --net --keep-caps)
	fi
	if ! "${ns[@]}" true 2>"$SV_TMP/unshare.err"; then
		skip "network: cannot make a network namespace: $(head -1 "$SV_TMP/unshare.err")"
		done_testing
		exit
	fi
	"${ns[@]}" env SV_NET_PHASE=setup bash "$0"
	exit
	;;
setup)
	N=$SV_TMP/net-ns
	mkdir -p "$N"
	printf '%s\n' '127.0.0.1 localhost' '::1 localhost' \
		'203.0.113.7 allowed.test other.test index.test mixed.test www.allowed.test evil.test' \
		'127.0.0.1 loop.test' \
		'127.0.0.1 mixed.test' >"$N/hosts"
	if ! { ip link set lo up && ip addr add 203.0.113.7/32 dev lo &&
		echo 0 >/proc/sys/net/ipv4/ip_unprivileged_port_start &&
		"$SV_PYTHON" -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(sys.argv[1].encode(), b"/etc/hosts", None, 4096, None):   # MS_BIND
    sys.exit("mount: " + os.strerror(ctypes.get_errno()))' "$N/hosts"; } >"$N/setup.err" 2>&1; then
		skip "network: cannot set up the test's namespace: $(tr '\n' ' ' <"$N/setup.err")"
		done_testing
		exit
	fi
	if [ "$(id -u)" -eq 0 ]; then
		SV_NET_PHASE=test exec bash "$0"
	fi
	# A user: the namespace's capabilities go before anything runs.
	exec setpriv --inh-caps=-all --ambient-caps=-all -- env SV_NET_PHASE=test bash "$0"
	;;
esac

# --- fixtures ------------------------------------------------------------------------
W=$SV_TMP/net
mkdir -p "$W/www/simple/svnetpkg" "$W/www/files"
srv_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	chmod -R u+w "$SV_TMP" 2>/dev/null
}
trap cleanup EXIT

t() {       # t CLASS "description" STATUS [DIAGNOSTICS]
	ok "$3" "attack[$1] $2"
	if [ "$3" -ne 0 ] && [ -n "${4:-}" ]; then
		printf '%s\n' "$4" | head -20 | sed 's/^/#   /'
	fi
}

(
	cd "$W" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout ca.key -out ca.pem -days 2 -subj /CN=sv-network-test-ca &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout leaf.key -out leaf.csr -subj /CN=allowed.test &&
	printf '%s\n' 'basicConstraints=CA:FALSE' \
		'subjectAltName=DNS:allowed.test,DNS:www.allowed.test,DNS:other.test,DNS:loop.test,DNS:index.test,IP:203.0.113.7,IP:127.0.0.1' >leaf.ext &&
	openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out leaf.pem -days 2 -extfile leaf.ext
) >"$W/openssl.log" 2>&1 || { ok 1 "make the test certificates"; sed 's/^/#   /' "$W/openssl.log"; done_testing; exit; }
echo "hello over TLS" >"$W/www/hello.txt"
# A package index with one wheel, as pip's simple API serves it.
"$SV_PYTHON" - "$W/www" <<'PY'
import os, sys, zipfile
www = sys.argv[1]
whl = "svnetpkg-1.0-py3-none-any.whl"
files = {
    "svnetpkg/__init__.py": "",
    "svnetpkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: svnetpkg\nVersion: 1.0\n",
    "svnetpkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
with zipfile.ZipFile(os.path.join(www, "files", whl), "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
    z.writestr("svnetpkg-1.0.dist-info/RECORD", "".join(n + ",,\n" for n in files) +
               "svnetpkg-1.0.dist-info/RECORD,,\n")
with open(os.path.join(www, "simple", "svnetpkg", "index.html"), "w") as f:
    f.write('<html><body><a href="../../files/%s">%s</a></body></html>\n' % (whl, whl))
PY
"$SV_PYTHON" "$FIX/server.py" "$W" "$W/ready" 2>"$W/server.err" &
srv_pid=$!
for _ in $(seq 100); do [ -e "$W/ready" ] && break; sleep 0.1; done
if [ ! -e "$W/ready" ]; then
	ok 1 "start the test servers"
	sed 's/^/#   /' "$W/server.err"
	done_testing
	exit
fi

# The project: a venv with pip, the probe and the CA.
P=$W/proj
mkdir -p "$P"
cp "$FIX/client.py" "$W/ca.pem" "$P/"
if ! "$SV_PYTHON" -m venv "$P/.venv" >"$W/venv.err" 2>&1 ||
	! "$SV" "$P/.venv" --network=none >/dev/null 2>"$W/wrap.err"; then
	ok 1 "make the project"
	sed 's/^/#   /' "$W/venv.err" "$W/wrap.err"
	done_testing
	exit
fi
v=$P/.venv
# probe [ENV=VALUE...] -- ARGS: client.py inside, its output; stderr in $W/err
probe() {
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	(cd "$P" && env "${envs[@]}" "$v/bin/python" client.py "$@" 2>"$W/err" </dev/null)
}
err() { cat "$W/err"; }

# --- none ----------------------------------------------------------------------------
is "$("$SV" --show "$v" | grep '^network')" "network  none" "--network=none is recorded"
is "$(probe -- ifaces)" "IFACES lo" "none: the sandbox has a loopback interface only"
# The raw bwrap option cuts it too, and --show says so rather than "host".
"$SV" "$v" --network=host --unshare-net >/dev/null 2>&1
is "$("$SV" --show "$v" | grep '^network')" "network  none (the recorded options unshare it)" \
	"--show: --network=host with --unshare-net recorded says the network is cut"
"$SV" --reset "$v" --network=none >/dev/null 2>&1
is "$("$SV" --show "$v" | grep -E '^(network|option)')" "option   (none recorded)
network  none" "... and --reset with --network=none records that alone again"
is "$(probe SANDBOX_NETWORK=host -- direct 127.0.0.1 9999)" "CONNECTED hello from the host" \
	"(control: the host's loopback server answers a sandbox sharing the network)"
is "$(probe -- direct 127.0.0.1 9999)" "FAIL ECONNREFUSED" \
	"none: the host's loopback server is out of reach (the sandbox's own loopback)"
is "$(probe -- direct 203.0.113.7 443)" "FAIL ENETUNREACH" "none: no route anywhere else"
out=$(cd "$P" && HTTPS_PROXY=http://203.0.113.7:8443 https_proxy=http://203.0.113.7:8443 \
	"$v/bin/python" -c 'import os; print(sorted(k for k in os.environ if "proxy" in k.lower()))')
is "$out" "[]" "none: no proxy variables, not even the caller's"

# --- allow= ----------------------------------------------------------------------------
"$SV" "$v" --network=allow=allowed.test >/dev/null 2>"$W/wrap.err"
is "$("$SV" --show "$v" | grep '^network')" "network  allow=allowed.test" \
	"--network=allow=... replaces the recorded mode"
is "$(probe -- get https://allowed.test/hello.txt)" "GOT hello over TLS" \
	"allow=: an allowed host answers through the proxy (urllib, the proxy variables)"
unlike "$(err)" "network: allowed" "... without VERBOSE, nothing is said of it"
out=$(probe VERBOSE=1 -- get https://allowed.test/hello.txt)
like "$(err)" "^sandbox-venv: network: allowed allowed.test:443 (203.0.113.7; allowed.test:443 from --network)" \
	"VERBOSE=1 says what is allowed, with the address and the entry"
is "$(probe -- get https://other.test/hello.txt)" "FAIL OSError: Tunnel connection failed: 403 Forbidden" \
	"allow=: another host is refused (403)"
is "$(err)" "sandbox-venv: network: blocked other.test:443 (not allowed by --network)" \
	"... and said on stderr, one line"
is "$(probe -- connect other.test:443)" \
	"HTTP/1.1 403 Forbidden | sandbox-venv: network: blocked other.test:443 (not allowed by --network)" \
	"... the 403's body says the same"
is "$(probe -- connect allowed.test:8443)" \
	"HTTP/1.1 403 Forbidden | sandbox-venv: network: blocked allowed.test:8443 (not allowed by --network)" \
	"allow=: the allowed host on another port is refused"
is "$(probe -- connect other.test:443 ::1)" \
	"HTTP/1.1 403 Forbidden | sandbox-venv: network: blocked other.test:443 (not allowed by --network)" \
	"the proxy listens on [::1]:3128 too"
out=$(cd "$P" && HTTPS_PROXY=http://203.0.113.7:8443 NO_PROXY='*' "$v/bin/python" -c '
import os; print(os.environ["HTTPS_PROXY"], os.environ["http_proxy"], os.environ["NO_PROXY"])')
is "$out" "http://127.0.0.1:3128 http://127.0.0.1:3128 localhost,127.0.0.1,::1" \
	"allow=: the proxy variables point at the proxy, whatever the caller's say"
printf 'HTTPS_PROXY=http://203.0.113.7:8443\n' >"$P/.env"
out=$(cd "$P" && "$v/bin/python" -c 'import os; print(os.environ["HTTPS_PROXY"])' 2>/dev/null)
is "$out" "http://127.0.0.1:3128" "... and whatever .env says"
rm -f "$P/.env"
is "$(probe -- direct 203.0.113.7 443)" "FAIL ENETUNREACH" \
	"allow=: a connection without the proxy fails (no route)"
is "$(probe -- direct 127.0.0.1 9999)" "FAIL ECONNREFUSED" \
	"allow=: the host's loopback is out of reach"
is "$(probe SANDBOX_NETWORK=host -- udp 203.0.113.7 53)" "ECHO ping" \
	"(control: UDP to port 53 answers a sandbox sharing the network)"
is "$(probe -- udp 203.0.113.7 53)" "FAIL ENETUNREACH" "allow=: UDP and DNS to a server fail"
like "$(probe -- dns pypi.org)" "^FAIL" "allow=: a name the hosts file lacks does not resolve inside"

# Names that resolve to loopback.
is "$(probe SANDBOX_NETWORK=allow=loop.test:8443 -- connect loop.test:8443)" \
	"HTTP/1.1 403 Forbidden | sandbox-venv: network: blocked loop.test:8443 (127.0.0.1 is a loopback address: not allowed by --network unless named there)" \
	"a name that resolves to loopback is refused"
out=$(probe SANDBOX_NETWORK=allow=mixed.test -- connect mixed.test:443)
t network "a name with a loopback address among its public ones is refused (rebinding to the host)" \
	"$(case $out in *"403 Forbidden | "*"blocked mixed.test:443 (127.0.0.1 is a loopback address"*) echo 0 ;; *) echo 1 ;; esac)" "$out"
is "$(probe SANDBOX_NETWORK=allow=127.0.0.1:8443 -- tls 127.0.0.1:8443 -)" "TLS OK hello over TLS" \
	"... the explicit address is allowed"
is "$(probe SANDBOX_NETWORK=allow=loop.test:8443,127.0.0.1:8443 -- tls loop.test:8443 loop.test)" \
	"TLS OK hello over TLS" "... and so is the name, when its address is named too"

# Port 443: a ClientHello whose server name is the CONNECT host.
is "$(probe -- tls allowed.test:443 allowed.test)" "TLS OK hello over TLS" \
	"port 443: TLS naming the CONNECT host passes"
out=$(probe -- tls allowed.test:443 other.test)
t network "port 443: a server name other than the CONNECT host is reset (domain fronting)" \
	"$([ "$out" = "TLS FAIL ECONNRESET" ]; echo $?)" "$out"
is "$(err)" "sandbox-venv: network: blocked allowed.test:443 (reset: the TLS server name is 'other.test')" \
	"... and said"
out=$(probe -- plain allowed.test:443)
t network "port 443: bytes that are not TLS are reset" "$([ "$out" = "RESET ECONNRESET" ]; echo $?)" "$out"
like "$(err)" "blocked allowed.test:443 (reset: the client's first bytes are not a TLS ClientHello)" \
	"... and said"
is "$(probe SANDBOX_NETWORK=allow=203.0.113.7 -- tls 203.0.113.7:443 -)" "TLS OK hello over TLS" \
	"port 443 to an allowed address: TLS without a server name passes"
out=$(probe SANDBOX_NETWORK=allow=203.0.113.7 -- tls 203.0.113.7:443 other.test)
t network "port 443 to an address: a TLS server name is reset (no name was allowed)" \
	"$([ "$out" = "TLS FAIL ECONNRESET" ]; echo $?)" "$out"

is "$(probe SANDBOX_NETWORK=allow=allowed.test:9002 -- halfclose allowed.test:9002)" "BACK read 100000 bytes" \
	"a tunnel passes a half-close on and still carries the answer"

# pip: its configured index, and nothing else.
rm -rf "$P/dl"
out=$(cd "$P" && SANDBOX_NETWORK=allow=allowed.test PIP_INDEX_URL=https://index.test:8444/simple/ \
	PIP_CERT=$P/ca.pem PIP_DISABLE_PIP_VERSION_CHECK=1 VERBOSE=1 \
	"$v/bin/pip" download --no-deps -d "$P/dl" svnetpkg 2>&1 </dev/null)
check "pip download from an HTTPS index configured (PIP_INDEX_URL), under allow= naming another host" \
	test -f "$P/dl/svnetpkg-1.0-py3-none-any.whl"
like "$out" "network: allowed index.test:8444 (203.0.113.7; index.test:8444 from pip's configuration)" \
	"... through the proxy, allowed by pip's configuration"
is "$(probe SANDBOX_NETWORK=allow=allowed.test PIP_INDEX_URL=https://index.test:8444/simple/ -- connect index.test:8444)" \
	"HTTP/1.1 403 Forbidden | sandbox-venv: network: blocked index.test:8444 (not allowed by --network)" \
	"... a launch that is not pip's does not reach the index"

# SANDBOX_NETWORK, and where it cannot come from.
"$SV" "$v" --network=none >/dev/null 2>&1
is "$(probe SANDBOX_NETWORK=allow=allowed.test -- get https://allowed.test/hello.txt)" \
	"GOT hello over TLS" "SANDBOX_NETWORK=allow=... overrides the recorded none for one launch"
is "$(probe -- ifaces)" "IFACES lo" "... the next launch is none again"
"$SV" "$v" --network=allow=allowed.test >/dev/null 2>&1
like "$(probe SANDBOX_NETWORK=none -- get https://allowed.test/hello.txt)" "^FAIL" \
	"SANDBOX_NETWORK=none overrides a recorded allow= for one launch"
is "$(probe SANDBOX_NETWORK=allow=other.test -- connect allowed.test:443)" \
	"HTTP/1.1 403 Forbidden | sandbox-venv: network: blocked allowed.test:443 (not allowed by --network)" \
	"SANDBOX_NETWORK=allow=... replaces the recorded entries"
printf 'SANDBOX_NETWORK=host\n' >"$P/.env"
out=$(probe -- direct 203.0.113.7 443)
t network "SANDBOX_NETWORK=host in .env changes nothing" "$([ "$out" = "FAIL ENETUNREACH" ]; echo $?)" "$out"
like "$(err)" "'SANDBOX_NETWORK' is sandbox policy and cannot be set from .env" "... and is said"
rm -f "$P/.env"
out=$(cd "$P" && SANDBOX_NETWORK=allow=bad_host "$v/bin/python" -c 'print("ran")' 2>&1)
like "$out" "SANDBOX_NETWORK=allow=bad_host: 'bad_host' is not a host name" \
	"a bad SANDBOX_NETWORK stops the launch, naming the entry"
unlike "$out" "^ran" "... before the program runs"
out=$(cd "$P" && BWRAP_ARGS=--share-net "$v/bin/python" -c 'print("ran")' 2>&1)
like "$out" "share-net.*would give the sandbox the host's network" "BWRAP_ARGS=--share-net is refused under allow="
out=$("$SV" "$v" --network=allow=127.1 2>&1)
like "$out" "'127.1' is neither a host name nor an IPv4 address" "wrapping checks every entry"

# --- attacks on the proxy ----------------------------------------------------------------
for a in 'evil.com\x00.allowed.test:443' 'allowed.test\x00.evil.com:443' 'allowed.test.evil.com:443' \
	'127.1:443' '[::ffff:127.0.0.1]:443' '0x7f000001:443' '2130706433:443' 'ALLOWED.TEST%2e:443' \
	'allowed.test.:443' 'allowed.test :443' '[allowed.test]:443' 'allowed.test:0443'; do
	out=$(probe -- connect "$a")
	t network "CONNECT smuggling: $a is refused" "$(case $out in "HTTP/1.1 40"[0-9]*) echo 0 ;; *) echo 1 ;; esac)" "$out"
done
# With a wildcard, a name that ends in the domain but is another name to
# the resolver (a NUL, a %00, a space) must not pass.
is "$(probe SANDBOX_NETWORK=allow=*.allowed.test -- tls www.allowed.test:443 www.allowed.test)" \
	"TLS OK hello over TLS" "(control: *.allowed.test lets www.allowed.test through)"
for a in 'evil.test\x00.allowed.test:443' 'evil.test%00.allowed.test:443' 'evil.test .allowed.test:443' \
	'evil.test\t.allowed.test:443' 'evil.test/.allowed.test:443' 'evil.test:443/.allowed.test:443'; do
	out=$(probe SANDBOX_NETWORK=allow=*.allowed.test -- connect "$a")
	t network "CONNECT smuggling past *.allowed.test: $a is refused" \
		"$(case $out in "HTTP/1.1 40"[0-9]*) echo 0 ;; *) echo 1 ;; esac)" "$out"
done
# The host itself through the unspecified address, or through a CIDR that
# covers everything.
for a in 0.0.0.0:9999 127.0.0.1:9999 '[::]:9999' '[::ffff:127.0.0.1]:9999' 0:9999 127.1:9999; do
	out=$(probe SANDBOX_NETWORK=allow=0.0.0.0/0:9999,[::/0]:9999 -- connect "$a")
	t network "allow=0.0.0.0/0:9999: $a (the host's own loopback) is refused" \
		"$(case $out in "HTTP/1.1 403"*) echo 0 ;; *) echo 1 ;; esac)" "$out"
done
like "$(probe -- connect '0x7f000001:443')" "blocked 127.0.0.1:443 (asked as 0x7f000001:443; not allowed" \
	"... a numeric host is shown as the address it is"
like "$(probe -- connect 'evil.com\x00.allowed.test:443')" 'blocked evil.com\\x00.allowed.test:443 (not a host name' \
	"... a NUL is shown escaped, never raw"
is "$(probe SANDBOX_NETWORK=allow=203.0.113.7:9000 -- send 'GET http://203.0.113.7:9000/ HTTP/1.1\r\n\r\n')" \
	"HTTP/1.1 405 Method Not Allowed | sandbox-venv: network: blocked a request that is not CONNECT (only HTTPS and other tunnels pass the proxy)" \
	"a request that is not CONNECT is refused"

long=$(printf 'X%.0s' $(seq 9000))
is "$(probe -- send "CONNECT allowed.test:443 HTTP/1.1\\r\\nX-Long: $long\\r\\n\\r\\n")" \
	"HTTP/1.1 431 Request Header Fields Too Large | sandbox-venv: network: blocked a CONNECT request longer than 8192 bytes" \
	"a CONNECT header over 8 KiB is refused"

out=$(probe -- slow allowed.test:443)
secs=$(printf '%s\n' "$out" | awk '{print $2}')
t network "slowloris: a header sent a byte a second is cut off at its deadline (408)" \
	"$([ "${out#CLOSED * }" = "HTTP/1.1 408 Request Timeout" ] && [ "${secs:-99}" -le 14 ]; echo $?)" "$out"

rm -f "$P/flooded" "$P/release"
(cd "$P" && SANDBOX_NETWORK=allow=allowed.test:9001 exec "$v/bin/python" client.py flood 1000 allowed.test:9001 \
	>"$W/flood.out" 2>"$W/flood.err" </dev/null) &
gpid=$!
for _ in $(seq 900); do [ -e "$P/flooded" ] && break; sleep 0.1; done
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$gpid/status" 2>/dev/null)
touch "$P/release"
wait "$gpid"
rc=$?
out=$(cat "$W/flood.out")
t network "1,000 parallel CONNECTs: each is answered, 200 up to the cap, 503 beyond" \
	"$(printf '%s\n' "$out" | grep -qE '^FLOOD 200=256 503=744 unanswered=0$'; echo $?)" "$out"
t network "... the launcher stays bounded in memory (VmHWM ${hwm:-?} kB < 32 MiB)" \
	"$([ -n "$hwm" ] && [ "$hwm" -lt 32768 ]; echo $?)"
t network "... and serves again once they are gone; the program ends normally" \
	"$(printf '%s\n' "$out" | grep -q '^AFTER HTTP/1.1 200' && [ "$rc" -eq 0 ]; echo $?)" "$out rc=$rc"

rm -f "$P/stalled"
(cd "$P" && SANDBOX_NETWORK=allow=allowed.test:9000 exec "$v/bin/python" client.py noread allowed.test:9000 3 \
	>"$W/noread.out" 2>&1 </dev/null) &
gpid=$!
for _ in $(seq 100); do [ -e "$P/stalled" ] && break; sleep 0.1; done
sleep 2
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$gpid/status" 2>/dev/null)
wait "$gpid"
out=$(cat "$W/noread.out")
t network "a client that never reads a 200 MiB stream: the launcher stays bounded (VmHWM ${hwm:-?} kB < 16 MiB)" \
	"$([ -n "$hwm" ] && [ "$hwm" -lt 16384 ]; echo $?)" "$out"
t network "... and the stream goes on when it reads again" \
	"$(printf '%s\n' "$out" | grep -qE '^READ [0-9]{7,}$'; echo $?)" "$out"

done_testing
