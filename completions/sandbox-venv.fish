# fish completion for sandbox-venv(1)
#
#   sandbox-venv [--project DIR] [--reset] [VENV_DIR] [BWRAP_OPTS...]
#                (--network=MODE and the permissions --socket=, --device=,
#                --links= anywhere among them)
#   sandbox-venv --show|--check|--unwrap [VENV_DIR]
#   sandbox-venv --list
#   sandbox-venv -h|--help|--version
#
# The first argument completes to directories (the venv) or to an option;
# after it, bwrap options and their arguments. Options sandbox-venv refuses
# (those that take a file descriptor, --as-pid-1, --clearenv) are left out.

# What each bwrap option takes, one word per argument:
# path, dir, cap, var, or text.
function __sandbox_venv_argspec
    switch $argv[1]
        case --unshare-all --share-net --unshare-user --unshare-user-try \
            --unshare-ipc --unshare-pid --unshare-net --unshare-uts \
            --unshare-cgroup --unshare-cgroup-try --disable-userns \
            --assert-userns-disabled --new-session --die-with-parent
            return 0
        case --uid --gid --hostname --exec-label --file-label --perms --size
            echo text
        case --chdir --proc --dev --tmpfs --mqueue --dir
            echo dir
        case --lock-file --remount-ro
            echo path
        case --unsetenv
            echo var
        case --cap-add --cap-drop
            echo cap
        case --setenv
            echo var text
        case --bind --bind-try --dev-bind --dev-bind-try --ro-bind \
            --ro-bind-try --symlink
            echo path path
        case --chmod
            echo text path
        case '*'
            return 1
    end
end

# What the word under the cursor is: first, venv, option, path, dir, cap,
# var, text or none.
function __sandbox_venv_expect
    set -l words (commandline -opc)
    set -l n (count $words)
    if test $n -le 1
        echo first
        return
    end
    set -l i 2
    switch $words[2]
        case --show --check --unwrap
            if test $n -eq 2
                echo venv
            else
                echo none
            end
            return
        case -h --help --version --list
            echo none
            return
    end
    # Our options first (--project DIR, --reset), then the venv or a bwrap option.
    while test $i -le $n
        switch $words[$i]
            case --project
                if test $i -eq $n
                    echo venv
                    return
                end
                set i (math $i + 2)
            case --reset '--network=*'
                set i (math $i + 1)
            case '*'
                break
        end
    end
    if test $i -gt $n
        echo first
        return
    end
    if not string match -q -- '-*' $words[$i]
        set i (math $i + 1)
    end
    set -l pending
    while test $i -le $n
        if test (count $pending) -gt 0
            set -e pending[1]
        else
            set -l spec (__sandbox_venv_argspec $words[$i])
            set pending
            if test -n "$spec"
                set pending (string split ' ' -- $spec)
            end
        end
        set i (math $i + 1)
    end
    if test (count $pending) -gt 0
        echo $pending[1]
    else
        echo option
    end
end

function __sandbox_venv_is
    contains -- (__sandbox_venv_expect) $argv
end

complete -c sandbox-venv -f

# The first argument: a venv directory, or one of sandbox-venv's own options.
complete -c sandbox-venv -n '__sandbox_venv_is first venv' -a '(__fish_complete_directories (commandline -ct) "venv directory")'
complete -c sandbox-venv -n '__sandbox_venv_is first' -s h -l help -d 'Show help'
complete -c sandbox-venv -n '__sandbox_venv_is first' -l version -d 'Show the version'
complete -c sandbox-venv -n '__sandbox_venv_is first' -l show -d 'Print the project and the recorded options'
complete -c sandbox-venv -n '__sandbox_venv_is first' -l check -d 'Audit a wrapped venv'
complete -c sandbox-venv -n '__sandbox_venv_is first' -l unwrap -d 'Restore an ordinary venv'
complete -c sandbox-venv -n '__sandbox_venv_is first' -l list -d 'List the sandboxes running now'
complete -c sandbox-venv -n '__sandbox_venv_is first' -l project -d 'The project directory, when not the venv\'s parent'
complete -c sandbox-venv -n '__sandbox_venv_is first' -l reset -d 'Forget the recorded options first'

# Arguments of bwrap options.
complete -c sandbox-venv -n '__sandbox_venv_is path' -F
complete -c sandbox-venv -n '__sandbox_venv_is dir' -a '(__fish_complete_directories (commandline -ct))'
complete -c sandbox-venv -n '__sandbox_venv_is var' -a '(set -n)'
complete -c sandbox-venv -n '__sandbox_venv_is cap' -a 'cap_audit_control cap_audit_read
    cap_audit_write cap_block_suspend cap_bpf cap_checkpoint_restore cap_chown
    cap_dac_override cap_dac_read_search cap_fowner cap_fsetid cap_ipc_lock
    cap_ipc_owner cap_kill cap_lease cap_linux_immutable cap_mac_admin
    cap_mac_override cap_mknod cap_net_admin cap_net_bind_service
    cap_net_broadcast cap_net_raw cap_perfmon cap_setfcap cap_setgid
    cap_setpcap cap_setuid cap_sys_admin cap_sys_boot cap_sys_chroot
    cap_sys_module cap_sys_nice cap_sys_pacct cap_sys_ptrace cap_sys_rawio
    cap_sys_resource cap_sys_time cap_sys_tty_config cap_syslog
    cap_wake_alarm ALL'

# The permissions (sandbox-venv(1), PERMISSIONS): each exposes something.
complete -c sandbox-venv -n '__sandbox_venv_is first option' -l socket -x -a 'x11\t"other windows readable" wayland\t"own windows" pulseaudio\t"the microphone too"' -d 'Give a desktop socket'
complete -c sandbox-venv -n '__sandbox_venv_is first option' -l nosocket -x -a 'x11 wayland pulseaudio' -d 'Take a desktop socket back'
complete -c sandbox-venv -n '__sandbox_venv_is first option' -l device -x -a 'dri\t"the GPU"' -d 'Give a device'
complete -c sandbox-venv -n '__sandbox_venv_is first option' -l nodevice -x -a dri -d 'Take a device back'
complete -c sandbox-venv -n '__sandbox_venv_is first option' -l links -x -a 'auto off' -d 'Open links from inside in your browser'

# bwrap options (see bwrap(1)), in the first place or after the venv.
set -l __sv_opt '__sandbox_venv_is first option'
complete -c sandbox-venv -n $__sv_opt -l network -x -a 'host none allow=' -d 'The network: host, none, or allow=ENTRY,... through the proxy'
complete -c sandbox-venv -n $__sv_opt -l assert-userns-disabled -d 'Fail unless nested user namespaces are disabled'
complete -c sandbox-venv -n $__sv_opt -l bind -d 'Bind mount SRC on DEST read-write'
complete -c sandbox-venv -n $__sv_opt -l bind-try -d 'Like --bind, ignoring a missing SRC'
complete -c sandbox-venv -n $__sv_opt -l cap-add -d 'Add a capability'
complete -c sandbox-venv -n $__sv_opt -l cap-drop -d 'Drop a capability'
complete -c sandbox-venv -n $__sv_opt -l chdir -d 'Change directory to DIR'
complete -c sandbox-venv -n $__sv_opt -l chmod -d 'Change the permissions of PATH'
complete -c sandbox-venv -n $__sv_opt -l dev -d 'Mount a new dev on DEST'
complete -c sandbox-venv -n $__sv_opt -l dev-bind -d 'Bind mount SRC on DEST, allowing device access'
complete -c sandbox-venv -n $__sv_opt -l dev-bind-try -d 'Like --dev-bind, ignoring a missing SRC'
complete -c sandbox-venv -n $__sv_opt -l die-with-parent -d 'Kill the program when bwrap or its parent dies'
complete -c sandbox-venv -n $__sv_opt -l dir -d 'Create a directory at DEST'
complete -c sandbox-venv -n $__sv_opt -l disable-userns -d 'Disable nested user namespaces'
complete -c sandbox-venv -n $__sv_opt -l exec-label -d 'Exec label for the sandbox'
complete -c sandbox-venv -n $__sv_opt -l file-label -d 'File label for temporary sandbox content'
complete -c sandbox-venv -n $__sv_opt -l gid -d 'Custom gid in the sandbox'
complete -c sandbox-venv -n $__sv_opt -l hostname -d 'Custom hostname in the sandbox'
complete -c sandbox-venv -n $__sv_opt -l lock-file -d 'Take a lock on DEST while the sandbox runs'
complete -c sandbox-venv -n $__sv_opt -l mqueue -d 'Mount a new mqueue on DEST'
complete -c sandbox-venv -n $__sv_opt -l new-session -d 'Create a new terminal session'
complete -c sandbox-venv -n $__sv_opt -l perms -d 'Set the permissions of the next argument'
complete -c sandbox-venv -n $__sv_opt -l proc -d 'Mount a new procfs on DEST'
complete -c sandbox-venv -n $__sv_opt -l remount-ro -d 'Remount DEST read-only'
complete -c sandbox-venv -n $__sv_opt -l ro-bind -d 'Bind mount SRC on DEST read-only'
complete -c sandbox-venv -n $__sv_opt -l ro-bind-try -d 'Like --ro-bind, ignoring a missing SRC'
complete -c sandbox-venv -n $__sv_opt -l setenv -d 'Set an environment variable'
complete -c sandbox-venv -n $__sv_opt -l share-net -d 'Keep the network namespace'
complete -c sandbox-venv -n $__sv_opt -l size -d 'Set the size of the next argument'
complete -c sandbox-venv -n $__sv_opt -l symlink -d 'Create a symlink at DEST with target SRC'
complete -c sandbox-venv -n $__sv_opt -l tmpfs -d 'Mount a new tmpfs on DEST'
complete -c sandbox-venv -n $__sv_opt -l uid -d 'Custom uid in the sandbox'
complete -c sandbox-venv -n $__sv_opt -l unsetenv -d 'Unset an environment variable'
complete -c sandbox-venv -n $__sv_opt -l unshare-all -d 'Unshare every namespace'
complete -c sandbox-venv -n $__sv_opt -l unshare-cgroup -d 'Create a new cgroup namespace'
complete -c sandbox-venv -n $__sv_opt -l unshare-cgroup-try -d 'Create a new cgroup namespace if possible'
complete -c sandbox-venv -n $__sv_opt -l unshare-ipc -d 'Create a new ipc namespace'
complete -c sandbox-venv -n $__sv_opt -l unshare-net -d 'Create a new network namespace'
complete -c sandbox-venv -n $__sv_opt -l unshare-pid -d 'Create a new pid namespace'
complete -c sandbox-venv -n $__sv_opt -l unshare-user -d 'Create a new user namespace'
complete -c sandbox-venv -n $__sv_opt -l unshare-user-try -d 'Create a new user namespace if possible'
complete -c sandbox-venv -n $__sv_opt -l unshare-uts -d 'Create a new uts namespace'
set -e __sv_opt
