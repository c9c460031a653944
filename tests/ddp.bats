#!/usr/bin/env bats
# libcommon/train/ddp: a process's rank from each launcher's environment (and
# the errors for values that are malformed or do not agree), the TCP
# rendezvous that hands rank 0's bytes to every rank (real processes on
# loopback), its timeout naming the ranks that never came, a failure on
# one rank ending all of them at once, and NCCL loaded only on demand with
# a clear message when it cannot be.  The averaging itself runs only where
# a GPU is visible.

load test_helper

dt() { "$SLUICE_TEST_BIN/ddp-tool" "$@"; }

setup() {
	# The launchers' variables of the machine running the suite (a CI job
	# under Slurm or mpirun) must not leak into the cases.
	unset RANK WORLD_SIZE LOCAL_RANK OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE \
		OMPI_COMM_WORLD_LOCAL_RANK PMI_RANK PMI_SIZE MPI_LOCALRANKID SLURM_PROCID \
		SLURM_NTASKS SLURM_LOCALID SLURM_STEP_ID MASTER_ADDR MASTER_PORT NCCL_LIBRARY \
		TORCHELASTIC_USE_AGENT_STORE
	[ -x "$SLUICE_TEST_BIN/ddp-tool" ] || fail "no ddp-tool in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	# A port nobody holds now, so that suites running side by side do not
	# meet on one.
	export MASTER_PORT
	MASTER_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
}

@test "no launcher: rank 0 of 1" {
	run dt env
	assert_success
	assert_output "rank 0 world 1 local 0"
}

@test "torchrun's RANK, WORLD_SIZE and LOCAL_RANK; the local rank defaults to the rank" {
	run env RANK=5 WORLD_SIZE=8 LOCAL_RANK=1 "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 5 world 8 local 1"
	run env RANK=2 WORLD_SIZE=4 "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 2 world 4 local 2"
}

@test "Open MPI's, MPICH's (with and without MPI_LOCALRANKID) and srun's variables" {
	run env OMPI_COMM_WORLD_RANK=3 OMPI_COMM_WORLD_SIZE=4 OMPI_COMM_WORLD_LOCAL_RANK=1 "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 3 world 4 local 1"
	run env PMI_RANK=6 PMI_SIZE=7 MPI_LOCALRANKID=2 "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 6 world 7 local 2"
	run env PMI_RANK=1 PMI_SIZE=2 "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 1 world 2 local 1"
	run env SLURM_STEP_ID=0 SLURM_PROCID=9 SLURM_NTASKS=16 SLURM_LOCALID=1 "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 9 world 16 local 1"
}

@test "a Slurm batch script outside srun is one process, whatever its allocation" {
	run env SLURM_PROCID=0 SLURM_NTASKS=4 SLURM_LOCALID=0 "$SLUICE_TEST_BIN/ddp-tool" env
	assert_success
	assert_output "rank 0 world 1 local 0"
}

@test "the first launcher found wins: torchrun over mpirun over Hydra over srun" {
	all=(RANK=1 WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=2 OMPI_COMM_WORLD_SIZE=3 PMI_RANK=3 PMI_SIZE=4
		SLURM_STEP_ID=0 SLURM_PROCID=4 SLURM_NTASKS=5)
	run env "${all[@]}" "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 1 world 2 local 1"
	run env "${all[@]:2}" "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 2 world 3 local 2"
	run env "${all[@]:4}" "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 3 world 4 local 3"
	run env "${all[@]:6}" "$SLUICE_TEST_BIN/ddp-tool" env
	assert_output "rank 4 world 5 local 4"
}

# env_error MESSAGE VAR=VALUE...: ddp-tool env fails with exactly MESSAGE.
env_error() {
	local want=$1
	shift
	run --separate-stderr env "$@" "$SLUICE_TEST_BIN/ddp-tool" env
	assert_error 1 "ddp-tool: $want"
	assert_output ""
}

@test "malformed values: not a decimal integer, signed, blank, empty, too large" {
	env_error "RANK='x' is not a non-negative integer" RANK=x WORLD_SIZE=2
	env_error "RANK='-1' is not a non-negative integer" RANK=-1 WORLD_SIZE=2
	env_error "RANK=' 1' is not a non-negative integer" 'RANK= 1' WORLD_SIZE=2
	env_error "WORLD_SIZE='2 ' is not a non-negative integer" RANK=1 'WORLD_SIZE=2 '
	env_error "WORLD_SIZE='' is not a non-negative integer" RANK=0 WORLD_SIZE=
	env_error "LOCAL_RANK='0x1' is not a non-negative integer" RANK=0 WORLD_SIZE=2 LOCAL_RANK=0x1
	env_error "OMPI_COMM_WORLD_SIZE='4.0' is not a non-negative integer" OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=4.0
	env_error "WORLD_SIZE=99999999999999999999 is out of range (at most 65536)" RANK=0 WORLD_SIZE=99999999999999999999
	env_error "PMI_SIZE=70000 is out of range (at most 65536)" PMI_RANK=0 PMI_SIZE=70000
}

@test "inconsistent values: a rank or local rank not below the world size, no process, half a launcher" {
	env_error "RANK=4 is not below WORLD_SIZE=4" RANK=4 WORLD_SIZE=4
	env_error "LOCAL_RANK=2 is not below WORLD_SIZE=2" RANK=1 WORLD_SIZE=2 LOCAL_RANK=2
	env_error "SLURM_PROCID=8 is not below SLURM_NTASKS=8" SLURM_STEP_ID=3 SLURM_PROCID=8 SLURM_NTASKS=8
	env_error "MPI_LOCALRANKID=5 is not below PMI_SIZE=3" PMI_RANK=0 PMI_SIZE=3 MPI_LOCALRANKID=5
	env_error "WORLD_SIZE=0: a run has at least one process" RANK=0 WORLD_SIZE=0
	env_error "RANK is set but WORLD_SIZE is not: set both (or neither)" RANK=0
	env_error "OMPI_COMM_WORLD_SIZE is set but OMPI_COMM_WORLD_RANK is not: set both (or neither)" OMPI_COMM_WORLD_SIZE=2
	env_error "LOCAL_RANK is set without RANK and WORLD_SIZE" LOCAL_RANK=0
}

# rank R WORLD INPUT ARGS...: ddp-tool ARGS as rank R of WORLD in the
# background, reading the file INPUT; its output in out.R, its errors in
# err.R and its status in status.R when it ends.
rank() {
	local r=$1 world=$2 in=$3
	shift 3
	(
		# (bats runs tests under set -e, which would end this subshell)
		RANK=$r WORLD_SIZE=$world "$SLUICE_TEST_BIN/ddp-tool" "$@" >"out.$r" 2>"err.$r" && s=0 || s=$?
		echo $s >"status.$r"
	) <"$in" &
}

@test "rendezvous: three processes on loopback, rank 0's 100 kB reach the others byte for byte" {
	head -c 100000 /dev/urandom >blob
	rank 2 3 /dev/null rendezvous 20 100000
	rank 1 3 /dev/null rendezvous 20 100000
	sleep 0.2 # the others start first: they wait for rank 0 to listen
	rank 0 3 blob rendezvous 20 100000
	wait
	for r in 0 1 2; do
		assert_equal "$(cat status.$r) $(cat err.$r)" "0 "
		cmp blob "out.$r"
	done
}

@test "rendezvous: rank 0 first, zero bytes, and a world of one, which needs no network" {
	rank 0 2 /dev/null rendezvous 20 0
	sleep 0.2
	rank 1 2 /dev/null rendezvous 20 0
	wait
	assert_equal "$(cat status.0 status.1 err.0 err.1 out.0 out.1)" "$(printf '0\n0')"
	printf abc >three
	MASTER_PORT=1 run dt rendezvous 1 3 <three
	assert_success
	assert_output abc
}

@test "rendezvous: a rank that never arrives times out; rank 0 names it, and tells the ranks that came" {
	head -c 16 /dev/zero >zeros16
	rank 0 4 zeros16 rendezvous 2 16
	rank 2 4 /dev/null rendezvous 2 16
	wait
	want="ddp-tool: rendezvous: ranks 1, 3 never arrived at 127.0.0.1:$MASTER_PORT within 2 s (2 of 4 did)"
	assert_equal "$(cat status.0) $(cat err.0)" "1 $want"
	assert_equal "$(cat status.2) $(cat err.2)" "1 $want"
	assert_equal "$(cat out.0 out.2)" ""
}

@test "rendezvous: without rank 0, the others give up at their timeout" {
	run --separate-stderr env RANK=1 WORLD_SIZE=2 "$SLUICE_TEST_BIN/ddp-tool" rendezvous 1 8
	assert_error 1 "ddp-tool: rendezvous: rank 0 at 127.0.0.1:$MASTER_PORT not reached within 1 s: Connection refused"
}

@test "rendezvous: ranks that disagree on the world size or the length fail together, with the reason" {
	head -c 8 /dev/zero >zeros8
	rank 0 3 zeros8 rendezvous 20 8
	rank 1 3 /dev/null rendezvous 20 9
	rank 2 3 /dev/null rendezvous 20 8
	wait
	for r in 0 1 2; do
		assert_equal "$(cat status.$r) $(cat err.$r)" "1 ddp-tool: rendezvous: rank 1 expects 9 bytes, rank 0 has 8"
	done
	rank 0 2 zeros8 rendezvous 20 8
	RANK=1 WORLD_SIZE=3 "$SLUICE_TEST_BIN/ddp-tool" rendezvous 20 8 2>err.odd >/dev/null || true
	rank 1 2 /dev/null rendezvous 20 8
	wait
	want="ddp-tool: rendezvous: a process of rank 1 says the world size is 3, rank 0 says 2"
	assert_equal "$(cat err.odd)" "$want"
	assert_equal "$(cat status.0) $(cat err.0)" "1 $want"
	assert_equal "$(cat status.1) $(cat err.1)" "1 $want"
}

@test "rendezvous: a rank that cannot go on ends every rank at once with its reason, not at the timeout" {
	start=$SECONDS
	printf abcd >abcd
	rank 0 3 abcd rendezvous 60 4
	rank 2 3 /dev/null rendezvous 60 4
	rank 1 3 /dev/null abort 60 4 "no GPU visible"
	wait
	[ $((SECONDS - start)) -lt 20 ] || fail "took $((SECONDS - start)) s"
	for r in 0 1 2; do
		assert_equal "$(cat status.$r) $(cat err.$r)" "1 ddp-tool: rendezvous: rank 1: no GPU visible"
	done
}

@test "rendezvous: a second rank 0, and a bad MASTER_PORT" {
	printf x >x
	rank 0 2 x rendezvous 2 1
	sleep 0.3
	run --separate-stderr env RANK=0 WORLD_SIZE=2 "$SLUICE_TEST_BIN/ddp-tool" rendezvous 2 1 <x
	assert_error 1 "ddp-tool: rendezvous: rank 0 cannot listen on 127.0.0.1:$MASTER_PORT: Address already in use"
	wait
	for p in 0 65536 http x; do
		run --separate-stderr env RANK=1 WORLD_SIZE=2 MASTER_PORT=$p "$SLUICE_TEST_BIN/ddp-tool" rendezvous 2 1
		assert_error 1 "ddp-tool: MASTER_PORT='$p' is not a port number (1-65535)"
	done
}

@test "rendezvous: under torchrun, whose agent holds MASTER_PORT, the port after it" {
	run --separate-stderr env RANK=1 WORLD_SIZE=2 TORCHELASTIC_USE_AGENT_STORE=True \
		"$SLUICE_TEST_BIN/ddp-tool" rendezvous 1 8
	assert_error 1 "ddp-tool: rendezvous: rank 0 at 127.0.0.1:$((MASTER_PORT + 1)) not reached within 1 s: Connection refused"
	run --separate-stderr env RANK=1 WORLD_SIZE=2 TORCHELASTIC_USE_AGENT_STORE=True MASTER_PORT=65535 \
		"$SLUICE_TEST_BIN/ddp-tool" rendezvous 1 8
	assert_error 1 "ddp-tool: MASTER_PORT=65535 is torchrun's, and there is no port after it for the rendezvous"
	# The agent's store on MASTER_PORT; the ranks meet on the next.
	"$PY" -c 'import socket, sys, time; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(3)' "$MASTER_PORT" &
	sleep 0.3
	printf abcd >abcd
	TORCHELASTIC_USE_AGENT_STORE=True rank 0 2 abcd rendezvous 20 4
	TORCHELASTIC_USE_AGENT_STORE=True rank 1 2 /dev/null rendezvous 20 4
	wait
	assert_equal "$(cat status.0 status.1 err.0 err.1 out.0 out.1)" "$(printf '0\n0\nabcdabcd')"
}

@test "NCCL: a library that cannot be loaded, or is not NCCL, is named in one line" {
	NCCL_LIBRARY=/nonexistent/libnccl.so.2 run --separate-stderr dt nccl 0
	assert_error 1 "ddp-tool: NCCL_LIBRARY=/nonexistent/libnccl.so.2: cannot load it: /nonexistent/libnccl.so.2: cannot open shared object file: No such file or directory"
	echo 'not a library' >fake.so
	NCCL_LIBRARY=$PWD/fake.so run --separate-stderr dt nccl 0
	assert_equal "$status" 1
	[[ $stderr == "ddp-tool: NCCL_LIBRARY=$PWD/fake.so: cannot load it: "* ]] || fail "$stderr"
	NCCL_LIBRARY=libm.so.6 run --separate-stderr dt nccl 0
	assert_error 1 "ddp-tool: libm.so.6: no ncclGetVersion in it: not NCCL?"
}

@test "NCCL: a failure on one rank reaches the others through the rendezvous" {
	rank 0 2 /dev/null nccl 0
	NCCL_LIBRARY=/nonexistent/libnccl.so.2 rank 1 2 /dev/null nccl 0
	wait
	assert_equal "$(cat status.1) $(cat err.1)" \
		"1 ddp-tool: NCCL_LIBRARY=/nonexistent/libnccl.so.2: cannot load it: /nonexistent/libnccl.so.2: cannot open shared object file: No such file or directory"
	# Rank 0 fails too, with its own reason if it has one (no NCCL or no
	# GPU here), else with rank 1's.
	assert_equal "$(cat status.0)" 1
	[ "$(wc -l <err.0)" -eq 1 ]
}

gpu_visible() { command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; }

@test "NCCL present but no GPU: one line saying why, no crash" {
	gpu_visible && skip "a GPU is visible: the next test uses it"
	"$PY" -c 'import ctypes; ctypes.CDLL("libnccl.so.2")' 2>/dev/null || skip "no libnccl.so.2 on this machine"
	run --separate-stderr dt nccl 0
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "ddp-tool: NCCL needs the CUDA runtime, and this program has not loaded it (built without CUDA?)" ||
		$stderr == "ddp-tool: CUDA device 0: "* ]] || fail "$stderr"
}

@test "NCCL on a GPU: the average of one rank is itself" {
	gpu_visible || skip "no GPU visible (nvidia-smi -L lists none)"
	ldd "$SLUICE_TEST_BIN/ddp-tool" | grep -q libcudart || skip "ddp-tool was built without CUDA"
	run --separate-stderr dt nccl 0 100000
	assert_success
	assert_line --index 0 --regexp '^NCCL 2\.[0-9]+\.[0-9]+ rank 0 of 1$'
	assert_line --index 1 "average of 100000 floats over 1 ranks ok"
}
