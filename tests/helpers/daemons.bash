# daemons.bash - what slurm-cluster and sshd-local share: starting daemons
# that a test owns, and stopping them and everything they started, never a
# process that is not theirs.  Source it after setting MARK, a NAME=value
# that the helper puts in its daemons' environment (and, through them, in
# their children's): a process is the helper's when its environment holds
# MARK (or one of the extra lines a helper names), whatever its pid file
# says.  PY is the Python to run.

# ours PID: PID is alive and carries MARK.
ours() {
	[ -n "$1" ] && grep -qzxF -e "$MARK" "/proc/$1/environ" 2>/dev/null
}

# pidof_file FILE: the pid in FILE, when it names a process of ours.
pidof_file() {
	local p
	[ -s "$1" ] || return 1
	read -r p <"$1" || true
	ours "$p" && echo "$p"
}

# marked [LINE...]: the pids of the processes whose environment holds MARK
# or one of the LINEs.
marked() {
	local pats=(-e "$MARK") l
	for l in "$@"; do pats+=(-e "$l"); done
	grep -lzxF "${pats[@]}" /proc/[0-9]*/environ 2>/dev/null |
		sed -E 's,^/proc/([0-9]+)/environ$,\1,'
}

# descendants PID: the pids of PID's children, their children, and so on.
descendants() {
	cat /proc/[0-9]*/stat 2>/dev/null | sed -E 's/^([0-9]+) \(.*\) . ([0-9]+) .*/\1 \2/' |
		awk -v root="$1" '{ kids[$2] = kids[$2] " " $1 }
			END { todo = root; while (todo != "") { n = split(todo, a, " "); todo = ""
				for (i = 1; i <= n; i++) { m = split(kids[a[i]], k, " ")
					for (j = 1; j <= m; j++) { print k[j]; todo = todo " " k[j] } } } }'
}

# alive PID: not gone, nor a zombie (whose parent, pid 1 in a container,
# may never reap it).
alive() {
	local st
	st=$(sed -n 's/^State:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) &&
		[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# wait_gone SECONDS PID...: wait until none of the PIDs is alive.
wait_gone() {
	local n=$(($1 * 10)) p alive
	shift
	while [ $n -gt 0 ]; do
		alive=
		for p in "$@"; do alive "$p" && alive=1; done
		[ -z "$alive" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# term PID...: SIGTERM, 10 s to exit, then SIGKILL.
term() {
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	wait_gone 10 "$@" && return 0
	kill -KILL "$@" 2>/dev/null
	wait_gone 5 "$@"
}

# free_ports N: N distinct TCP ports free on every address, from 10000-29999:
# below the kernel's ephemeral range, which the loopback servers of other
# suites (binding port 0) and outgoing connections draw from, so only
# another helper could take one, and it too checks first.
free_ports() {
	"$PY" - "$1" <<-'PYEOF'
		import random, socket, sys
		want, got = int(sys.argv[1]), []
		for port in random.sample(range(10000, 30000), 2000):
		    s = socket.socket()
		    try:
		        s.bind(("", port))
		    except OSError:
		        continue
		    finally:
		        s.close()
		    got.append(port)
		    if len(got) == want:
		        print(*got)
		        sys.exit(0)
		sys.exit("no free ports")
	PYEOF
}
