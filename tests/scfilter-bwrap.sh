#!/bin/bash
# tests/scfilter-bwrap.sh - the default seccomp filter under real bwrap.
#
# Exports the default-policy BPF (test-scfilter --export), hands it to
#   bwrap --ro-bind / / --dev /dev --proc /proc --unshare-user --unshare-pid
#         --seccomp 3 3<FILTER
# and runs try-syscall inside for a sample of rows: once as the current
# user and, when that is root, again as an unprivileged user through
# `runuser -u USER --` (SV_TEST_USER, default sandbox-venv-test, created
# when missing). Each call is also made in the same sandbox without the
# filter; when the kernel alone already gives the filter's answer the case
# is skipped, because it could not fail. Prints TAP.
#
# Run from anywhere; B names the build directory (default: build), BWRAP
# the bwrap binary (default: /usr/bin/bwrap, else bwrap on PATH).

set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
tap_n=0
tap_failed=0

ok() {      # ok STATUS "description"
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

finish() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit
}

if [ -n "${BWRAP:-}" ]; then
	bwrap=$BWRAP
elif [ -x /usr/bin/bwrap ]; then
	bwrap=/usr/bin/bwrap
else
	bwrap=$(command -v bwrap 2>/dev/null || true)
fi
if [ -z "$bwrap" ] || [ ! -x "$bwrap" ]; then
	skip "bwrap is not installed (apt install bubblewrap)"
	finish
fi
if [ ! -x "$B/tests/test-scfilter" ] || [ ! -x "$B/tests/try-syscall" ]; then
	skip "no $B/tests/test-scfilter or $B/tests/try-syscall: run 'make tests'"
	finish
fi

# A directory any user can read: the filter and the helper.
work=$(mktemp -d /tmp/sv-scfilter.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp "$B/tests/try-syscall" "$work/try-syscall"
chmod 755 "$work/try-syscall"
if ! "$B/tests/test-scfilter" --export "$work/filter.bpf" 2>"$work/export.err"; then
	ok 1 "export the default filter"
	sed 's/^/#   /' "$work/export.err"
	finish
fi
chmod 644 "$work/filter.bpf"
ok 0 "export the default filter ($(stat -c %s "$work/filter.bpf") bytes)"

# Cases: CALL[:NUMBER] EXPECTED. EXPECTED is the errno name try-syscall
# prints under the filter, "same" for calls the filter lets through, or
# SIGSYS for the bad-architecture kill (bwrap reports it as status 159).
cases='
keyctl EPERM
add_key EPERM
request_key EPERM
unshare EPERM
setns EPERM
clone-newuser EPERM
clone-newns EPERM
clone:0 same
fork same
clone3 ENOSYS
mount EPERM
umount2 EPERM
chroot EPERM
open_tree EPERM
fsconfig EPERM
mount_setattr EPERM
io_uring_setup EPERM
io_uring_enter EPERM
bpf EPERM
userfaultfd EPERM
perf_event_open EPERM
acct EPERM
quotactl EPERM
syslog EPERM
modify_ldt EPERM
personality EPERM
personality-high EPERM
personality-query same
tiocsti EPERM
tiocsti-high EPERM
tioclinux EPERM
ioctl same
socket-packet EAFNOSUPPORT
socket-high EAFNOSUPPORT
socket-unix same
socket-inet same
ptrace same
process_vm_readv same
getpid same
x32-getpid SIGSYS
'

# sandbox LABEL FILTER CALL [NUMBER] -- with the runuser prefix in $as:
# prints what try-syscall printed (or "status N" when it printed nothing).
sandbox() {
	local filter=$1 out rc
	shift
	if [ "$filter" = yes ]; then
		out=$("${as[@]}" "$bwrap" --ro-bind / / --dev /dev --proc /proc \
			--unshare-user --unshare-pid --seccomp 3 \
			"$work/try-syscall" "$@" 3<"$work/filter.bpf" 2>/dev/null </dev/null)
	else
		out=$("${as[@]}" "$bwrap" --ro-bind / / --dev /dev --proc /proc \
			--unshare-user --unshare-pid \
			"$work/try-syscall" "$@" 2>/dev/null </dev/null)
	fi
	rc=$?
	if [ $rc -eq 159 ]; then
		echo SIGSYS
	elif [ -n "$out" ]; then
		echo "$out"
	else
		echo "status $rc"
	fi
}

run_as() {   # run_as LABEL [runuser prefix...]
	local label=$1 line call num want with without args
	shift
	as=("$@")
	if ! "${as[@]}" "$bwrap" --ro-bind / / --dev /dev --proc /proc \
		--unshare-user --unshare-pid true 2>"$work/bwrap.err"; then
		skip "$label: bwrap cannot make a sandbox: $(head -1 "$work/bwrap.err")"
		return
	fi
	if ! "${as[@]}" test -x "$work/try-syscall"; then
		skip "$label: cannot run $work/try-syscall"
		return
	fi
	while read -r line want; do
		[ -n "$line" ] || continue
		call=${line%%:*}
		args=("$call")
		if [ "$line" != "$call" ]; then
			num=${line#*:}
			args+=("$num")
		fi
		without=$(sandbox no "${args[@]}")
		with=$(sandbox yes "${args[@]}")
		if [ "$want" = same ]; then
			[ "$with" = "$without" ]
			ok $? "$label: ${args[*]} is allowed in bwrap ($with)"
			[ "$with" = "$without" ] ||
				echo "#   without the filter: $without"
			continue
		fi
		if [ "$without" = "$want" ]; then
			skip "$label: ${args[*]}: the kernel alone answers $want here"
			continue
		fi
		[ "$with" = "$want" ]
		ok $? "$label: ${args[*]} gives $want in bwrap ($without without the filter)"
		[ "$with" = "$want" ] || echo "#   got: $with"
	done <<<"$cases"
}

run_as "$(id -un)"

if [ "$(id -u)" -eq 0 ]; then
	user=${SV_TEST_USER:-sandbox-venv-test}
	if ! id "$user" >/dev/null 2>&1; then
		useradd --create-home --shell /bin/bash "$user" >/dev/null 2>&1 ||
			echo "# cannot create user $user"
	fi
	if ! command -v runuser >/dev/null 2>&1; then
		skip "unprivileged run: runuser is not installed"
	elif id "$user" >/dev/null 2>&1; then
		run_as "$user" runuser -u "$user" --
	else
		skip "unprivileged run: no user $user"
	fi
else
	skip "unprivileged run: already unprivileged ($(id -un))"
fi

finish
