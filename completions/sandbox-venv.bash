# bash completion for sandbox-venv(1)
#
#   sandbox-venv [--project DIR] [--reset] [VENV_DIR] [BWRAP_OPTS...]
#                (--network=MODE and the permissions --socket=, --device=,
#                --links= anywhere among them)
#   sandbox-venv --show|--check|--unwrap [VENV_DIR]
#   sandbox-venv --list
#   sandbox-venv -h|--help|--version
#
# The first argument completes to directories (the venv) or to an option;
# after it, bwrap options and their arguments. Options sandbox-venv
# refuses (those that take a file descriptor, --as-pid-1, --clearenv) are
# left out.

# What each bwrap option takes, one word per argument:
# path, dir, cap, var, or "-" for free text.
_sandbox_venv_bwrap_argspec()
{
	case $1 in
	--unshare-all | --share-net | --unshare-user | --unshare-user-try | \
	--unshare-ipc | --unshare-pid | --unshare-net | --unshare-uts | \
	--unshare-cgroup | --unshare-cgroup-try | --disable-userns | \
	--assert-userns-disabled | --new-session | --die-with-parent)
		echo "" ;;
	--uid | --gid | --hostname | --exec-label | --file-label | --perms | --size)
		echo "-" ;;
	--chdir | --proc | --dev | --tmpfs | --mqueue | --dir)
		echo "dir" ;;
	--lock-file | --remount-ro)
		echo "path" ;;
	--unsetenv)
		echo "var" ;;
	--cap-add | --cap-drop)
		echo "cap" ;;
	--setenv)
		echo "var -" ;;
	--bind | --bind-try | --dev-bind | --dev-bind-try | --ro-bind | \
	--ro-bind-try | --symlink)
		echo "path path" ;;
	--chmod)
		echo "- path" ;;
	*)
		return 1 ;;
	esac
}

_sandbox_venv_bwrap_options="--assert-userns-disabled --bind
--bind-try --cap-add --cap-drop --chdir --chmod --dev --dev-bind
--dev-bind-try --die-with-parent --dir --disable-userns --exec-label
--file-label --gid --hostname --lock-file --mqueue --new-session --perms
--proc --remount-ro --ro-bind --ro-bind-try --setenv --share-net --size
--symlink --tmpfs --uid --unsetenv --unshare-all --unshare-cgroup
--unshare-cgroup-try --unshare-ipc --unshare-net --unshare-pid
--unshare-user --unshare-user-try --unshare-uts"

# sandbox-venv's own options that may come anywhere in a wrap: the network
# and the permissions, each exposes something (see sandbox-venv(1)).
_sandbox_venv_perms="--network=host --network=none --network=allow=
--socket=x11 --socket=wayland --socket=pulseaudio
--nosocket=x11 --nosocket=wayland --nosocket=pulseaudio --device=dri
--nodevice=dri --links=auto --links=off"

_sandbox_venv_caps="cap_audit_control cap_audit_read cap_audit_write
cap_block_suspend cap_bpf cap_checkpoint_restore cap_chown cap_dac_override
cap_dac_read_search cap_fowner cap_fsetid cap_ipc_lock cap_ipc_owner cap_kill
cap_lease cap_linux_immutable cap_mac_admin cap_mac_override cap_mknod
cap_net_admin cap_net_bind_service cap_net_broadcast cap_net_raw cap_perfmon
cap_setfcap cap_setgid cap_setpcap cap_setuid cap_sys_admin cap_sys_boot
cap_sys_chroot cap_sys_module cap_sys_nice cap_sys_pacct cap_sys_ptrace
cap_sys_rawio cap_sys_resource cap_sys_time cap_sys_tty_config cap_syslog
cap_wake_alarm ALL"

# COMPREPLY for one kind of word ($1) and the word typed so far ($2).
_sandbox_venv_reply()
{
	local kind=$1 cur=$2
	case $kind in
	dir)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
	path)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	var)
		mapfile -t COMPREPLY < <(compgen -v -- "$cur") ;;
	cap)
		mapfile -t COMPREPLY < <(compgen -W "$_sandbox_venv_caps" -- "$cur") ;;
	option)
		mapfile -t COMPREPLY < <(compgen -W "$_sandbox_venv_perms $_sandbox_venv_bwrap_options" -- "$cur")
		# allow= wants its entries right after the '='.
		[ "${COMPREPLY[*]}" = --network=allow= ] && compopt -o nospace 2>/dev/null ;;
	*)
		COMPREPLY=() ;;
	esac
}

_sandbox_venv()
{
	local cur words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -n =: || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
	fi

	COMPREPLY=()
	if [ "$cword" -eq 1 ]; then
		case $cur in
		-*)
			mapfile -t COMPREPLY < <(compgen -W "-h --help --version --show --check --unwrap
--list --project --reset $_sandbox_venv_perms $_sandbox_venv_bwrap_options" -- "$cur")
			[ "${COMPREPLY[*]}" = --network=allow= ] && compopt -o nospace 2>/dev/null ;;
		*)
			_sandbox_venv_reply dir "$cur" ;;
		esac
		return 0
	fi

	local i=1 spec
	local -a pending=()
	case ${words[1]} in
	--show | --check | --unwrap)
		[ "$cword" -eq 2 ] && _sandbox_venv_reply dir "$cur"
		return 0 ;;
	-h | --help | --version | --list)
		return 0 ;;
	esac
	# Our options first (--project DIR, --reset), then the venv directory
	# or a bwrap option.
	while [ "$i" -lt "$cword" ]; do
		case ${words[i]} in
		--project) i=$((i + 2)) ;;
		--reset | --network=*) i=$((i + 1)) ;;
		*) break ;;
		esac
	done
	if [ "$i" -gt "$cword" ] || { [ "$i" -eq "$cword" ] && [ "${words[i - 1]}" = --project ]; }; then
		_sandbox_venv_reply dir "$cur"
		return 0
	fi
	if [ "$i" -eq "$cword" ]; then
		case $cur in
		-*) _sandbox_venv_reply option "$cur"
		    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "--project --reset" -- "$cur") ;;
		*) _sandbox_venv_reply dir "$cur" ;;
		esac
		return 0
	fi
	[ "${words[i]#-}" = "${words[i]}" ] && i=$((i + 1))   # the venv directory

	# Walk the bwrap options before the cursor; pending holds the kinds
	# of the arguments the last option still expects.
	for (( ; i < cword; i++ )); do
		if [ ${#pending[@]} -gt 0 ]; then
			pending=("${pending[@]:1}")
			continue
		fi
		spec=$(_sandbox_venv_bwrap_argspec "${words[i]}") || spec=""
		read -r -a pending <<<"$spec"
	done
	if [ ${#pending[@]} -gt 0 ]; then
		_sandbox_venv_reply "${pending[0]}" "$cur"
	else
		_sandbox_venv_reply option "$cur"
	fi
	return 0
}

complete -F _sandbox_venv sandbox-venv
