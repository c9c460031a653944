#!/usr/bin/env bash
# train-step on one GPU beside llm.c's train_gpt2.cu (issue 9, section 6):
# GPT-2 124M from a random initialisation, T=1024, bf16 with fp32 master
# weights, each program at the largest B that fits in GPU memory, both fed
# the same token shard; tokens/s, their ratio and bf16 MFU.
#
#   bash bench/train-step-gpu.sh           the benchmark (needs an NVIDIA GPU)
#   bash bench/train-step-gpu.sh --pack    no GPU needed: build train-step with
#       CUDA here and pack it with the shared libraries it needs beyond glibc
#       and CUDA's into bench/.work/gpu-pack.tar.xz, for a GPU machine that
#       lacks sluice's -dev packages (its make stops at the pkg-config checks)
#
# llm.c: this script never builds or changes llm.c; it runs the
# train_gpt2cu that you built yourself, on this machine, in your checkout of
# karpathy/llm.c at $LLMC_DIR (default bench/.work/llm.c), with llm.c's own
# Makefile:
#     cd "$LLMC_DIR" && make train_gpt2cu PRECISION=BF16 USE_CUDNN=0 NO_MULTI_GPU=1 NO_USE_MPI=1
# (bf16; USE_CUDNN=0: its own attention kernels, as ours; one GPU: no NCCL,
# no MPI; its Makefile asks nvidia-smi for the compute capability, so build it
# on the GPU machine).  Without that binary the script says so and exits 77.
# A caveat for that build: the llm.c checked out at bench/.work/llm.c calls
# cudaMemAdvise with a device number (llmc/cuda_utils.cuh), which CUDA 13's
# headers no longer accept (they take a cudaMemLocation), so it needs a
# CUDA 12 nvcc first on PATH, or an llm.c that builds with CUDA 13.
# No data or checkpoint downloads are needed: `-e d12` starts GPT-2 124M
# from llm.c's own random initialisation.  It runs in a directory of its own
# under bench/.work, so it writes nothing into the checkout.
#
# "The largest B that fits": where cudaMalloc of its optimizer state or
# master weights fails, llm.c falls back to managed memory (slow, and
# oversubscribing managed memory can hang a GPU) and prints "WARNING: Fell
# back to cudaMallocManaged ..." before its first step.  A run that prints
# it is stopped at once and its B counted as not fitting; every run of
# either program is also bounded by RUN_TIMEOUT.
#
# The GPU machine of the device tool (the working tree is copied there; the
# ignored bench/.work paths must be carried, 64 MiB in all): run --pack here;
# in a first call, carry bench/.work/llm.c and bench/.work/gpu-pack.tar.xz
# and build train_gpt2cu there yourself with the make command above; then,
# on the same machine while it is still warm, run the benchmark without carrying
# bench/.work/llm.c again (a carried path replaces what is there, your build
# with it; ignored paths not carried are kept between calls):
#   run(command="set -o pipefail; bash bench/train-step-gpu.sh 2>&1 | tee $OUT/train-step-gpu.txt",
#       carry=["bench/.work/gpu-pack.tar.xz"], timeout_s=600)
#
# Data: one llm.c shard (magic 20240520, u16 tokens) of random GPT-2 token
# ids, which both programs read (train-step with --data); random tokens cost
# what real ones do.
#
# Timing: each program's log gives milliseconds a step (llm.c's CUDA-event
# timing of its whole step; train-step's "ms" of --log); the first WARMUP
# steps are dropped and the median of the rest taken, in each of ROUNDS
# alternating runs, and the median over rounds reported.  tokens/s =
# B * T * 1000 / ms.
#
# MFU = tokens/s * flops per token / peak, flops per token = 6 N + 6 L C T
# (Kaplan et al. 2020, section 2.1: the weight matmuls forward and backward,
# plus attention's; the formula llm.c prints its MFU with), N = 124,439,808
# parameters of GPT-2 124M (vocabulary 50257, unpadded), L = 12, C = 768,
# T = 1024: 803.26 MFLOP a token.  Peak: bf16 dense tensor-core throughput,
# 989.4 TFLOPS for the H100 SXM and the H200 (the same chip and clocks),
# 756 for the H100 PCIe, 835 for the H100 NVL, 312 for the A100; others:
# set PEAK_TFLOPS.  Target (issue 9): at least llm.c's tokens/s, and at
# least 50% MFU on an H100.
#
# Environment:
#   LLMC_DIR          the llm.c checkout (default bench/.work/llm.c)
#   TRAIN_STEP_FLAGS  train-step's device flags (default "--device cuda --precision bf16")
#   TRAIN_STEP        a train-step to use instead of building one
#   BATCHES           B to try, largest first (default "128 96 64 48 32 24 16 8 4")
#   STEPS, WARMUP     steps a run and untimed first steps (default 30 and 5)
#   ROUNDS            runs of each program, alternating (default 3)
#   RUN_TIMEOUT       seconds one run of either program may take (default 300)
#   PEAK_TFLOPS       the device's bf16 dense peak, overriding the table above
# Exit status: 0 done, 1 a build or a run failed (a timeout included),
# 77 skipped: no GPU visible, or no train_gpt2cu in $LLMC_DIR.
. "$(dirname "$0")/lib.sh"
set -o pipefail

# The flags that put train-step on the GPU, in one place.
: "${TRAIN_STEP_FLAGS:=--device cuda --precision bf16}"
: "${LLMC_DIR:=$WORK/llm.c}"
: "${BATCHES:=128 96 64 48 32 24 16 8 4}"
: "${STEPS:=30}" "${WARMUP:=5}" "${ROUNDS:=3}" "${RUN_TIMEOUT:=300}"
T=1024
FLOPS_PER_TOKEN=803260416 # 6 * 124439808 + 6 * 12 * 768 * 1024

die() {
	echo "train-step-gpu: $*" >&2
	exit 1
}

NPROC=$(nproc 2>/dev/null || echo 4)
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
CUDA_HOME=${CUDA_HOME:-$(cd "$(dirname "$NVCC")/.." 2>/dev/null && pwd || echo /usr/local/cuda)}
export PATH="$CUDA_HOME/bin:$PATH"

GPU_DIR=$WORK/gpu
PACK=$WORK/gpu-pack.tar.xz

build_sluice() { # the log of make CUDA=1 for train-step goes to $1
	make -C "$TOP" CUDA=1 O="$GPU_DIR/build" BIN="$GPU_DIR/bin" -j"$NPROC" "$GPU_DIR/bin/train-step" \
		"$GPU_DIR/lib/sluice/sluice-cuda.so" >"$1" 2>&1
}

if [ "${1:-}" = --pack ]; then
	[ -x "$NVCC" ] || die "--pack: no nvcc (set NVCC or CUDA_HOME)"
	echo "building train-step with CUDA (make CUDA=1) ..." >&2
	build_sluice "$WORK/gpu-build.log" || {
		tail -n 20 "$WORK/gpu-build.log" >&2
		die "make CUDA=1 failed (the whole log: $WORK/gpu-build.log)"
	}
	rm -rf "$WORK/gpu-pack"
	mkdir -p "$WORK/gpu-pack/bin" "$WORK/gpu-pack/lib/sluice"
	cp "$GPU_DIR/bin/train-step" "$WORK/gpu-pack/bin/"
	# where train-step looks for its CUDA plugin: ../lib/sluice
	cp "$GPU_DIR/lib/sluice/sluice-cuda.so" "$WORK/gpu-pack/lib/sluice/"
	# What a CUDA machine has anyway stays out: glibc, the C++ runtime (the
	# target's is as new or newer), the driver's and the toolkit's libraries.
	ldd "$GPU_DIR/bin/train-step" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
		while read -r name path; do
			case $name in
			linux-vdso* | ld-linux* | libc.so* | libm.so* | libpthread* | libdl.so* | librt.so* | \
				libstdc++* | libgcc_s* | libcuda.so* | libcudart* | libcublas* | libnvidia*) ;;
			*) cp -L "$path" "$WORK/gpu-pack/lib/$name" ;;
			esac
		done
	tar -cJf "$PACK.tmp" -C "$WORK" gpu-pack && mv "$PACK.tmp" "$PACK"
	size=$(du -sk "$PACK" | cut -f1)
	llmc_size=$( [ -d "$LLMC_DIR" ] && du -sk --exclude=dev/data --exclude=build "$LLMC_DIR" | cut -f1 || echo 0)
	echo "packed $(find "$WORK/gpu-pack" -type f | wc -l) files: $PACK, $((size / 1024)) MiB (llm.c checkout $((llmc_size / 1024)) MiB; 64 MiB may travel)"
	exit 0
fi

# ---- the GPU ----
if ! command -v nvidia-smi >/dev/null; then
	echo "train-step-gpu: no nvidia-smi: this benchmark needs an NVIDIA GPU (not run)" >&2
	exit 77
fi
# "NVIDIA H100 80GB HBM3, 81559 MiB, 9.0"; not "No devices were found".
gpu=$(nvidia-smi --query-gpu=name,memory.total,compute_cap --format=csv,noheader 2>/dev/null |
	grep -E -m 1 ', [0-9]+ MiB, [0-9]+\.[0-9]+$' || true)
if [ -z "$gpu" ]; then
	echo "train-step-gpu: nvidia-smi lists no GPU: this benchmark needs one (not run)" >&2
	exit 77
fi
IFS=, read -r GPU_NAME GPU_MEM GPU_CAP <<<"$gpu"
GPU_NAME=$(echo "$GPU_NAME" | sed 's/^ *//; s/ *$//')
GPU_MEM=${GPU_MEM# }
GPU_CAP=$(echo "$GPU_CAP" | tr -d ' .')
case $GPU_NAME in
*H100*PCIe*) peak=756 ;;
*H100*NVL*) peak=835 ;;
*H100* | *H200*) peak=989.4 ;;
*A100*) peak=312 ;;
*) peak= ;;
esac
peak=${PEAK_TFLOPS:-$peak}

# ---- llm.c: the binary the user built (see the top), else skipped ----
case $LLMC_DIR in
/*) LLMC_BIN=$LLMC_DIR/train_gpt2cu ;;
*) LLMC_BIN=$PWD/$LLMC_DIR/train_gpt2cu ;;
esac
if [ ! -f "$LLMC_BIN" ] || [ ! -x "$LLMC_BIN" ]; then
	echo "train-step-gpu: no llm.c binary $LLMC_BIN: build it in your llm.c checkout (cd \"$LLMC_DIR\" && make train_gpt2cu PRECISION=BF16 USE_CUDNN=0 NO_MULTI_GPU=1 NO_USE_MPI=1); skipped" >&2
	exit 77
fi
LLMC_RUN=$WORK/llmc-gpu-run
mkdir -p "$LLMC_RUN"
export LD_LIBRARY_PATH="$CUDA_HOME/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# ---- train-step: built here, else the --pack build carried here ----
if [ -n "${TRAIN_STEP:-}" ]; then
	ts=$TRAIN_STEP
elif [ -x "$NVCC" ] && make -n -C "$TOP" CUDA=1 O="$GPU_DIR/build" BIN="$GPU_DIR/bin" "$GPU_DIR/bin/train-step" >/dev/null 2>&1; then
	echo "building train-step (make CUDA=1) ..." >&2
	build_sluice "$WORK/gpu-build.log" || {
		tail -n 20 "$WORK/gpu-build.log" >&2
		die "make CUDA=1 failed (the whole log: $WORK/gpu-build.log)"
	}
	ts=$GPU_DIR/bin/train-step
elif [ -s "$PACK" ]; then
	why=$(make -n -C "$TOP" CUDA=1 O="$GPU_DIR/build" BIN="$GPU_DIR/bin" 2>&1 | sed -n 's/.*\*\*\* \(.*\)  Stop\./\1/p' | head -n 1 || true)
	[ -x "$NVCC" ] || why="no nvcc at $NVCC"
	echo "train-step: this machine cannot build sluice ($why); using the build of --pack, $PACK" >&2
	rm -rf "$WORK/gpu-pack"
	tar -xJf "$PACK" -C "$WORK"
	ts=$WORK/gpu-pack/bin/train-step
	export LD_LIBRARY_PATH="$WORK/gpu-pack/lib:$LD_LIBRARY_PATH"
else
	make -n -C "$TOP" CUDA=1 O="$GPU_DIR/build" BIN="$GPU_DIR/bin" 2>&1 | tail -n 3 >&2 || true
	[ -x "$NVCC" ] || echo "train-step-gpu: no nvcc at $NVCC (set NVCC or CUDA_HOME)" >&2
	die "cannot build sluice on this machine, and no $PACK: run 'bash bench/train-step-gpu.sh --pack' where sluice builds, and bring $PACK"
fi
missing=$(ldd "$ts" 2>/dev/null | awk '/not found/ { print $1 }' | tr '\n' ' ' || true)
[ -z "$missing" ] || die "$ts: shared libraries not found: $missing"
help=$("$ts" --help 2>&1 || true)
grep -q -- "${TRAIN_STEP_FLAGS%% *}" <<<"$help" ||
	die "$ts --help has no ${TRAIN_STEP_FLAGS%% *}: not a GPU build of train-step, or TRAIN_STEP_FLAGS needs changing"

# ---- data: one shard of random token ids, enough for the largest B ----
# shellcheck disable=SC2086 # BATCHES is a list
max_b=$(printf '%s\n' $BATCHES | sort -n | tail -n 1)
ntok=$((max_b * T * 4 + 1))
shard=$WORK/gpu-data/train_000000.bin
if [ ! -s "$shard" ] || [ "$(stat -c %s "$shard")" -ne $((1024 + 2 * ntok)) ]; then
	mkdir -p "$WORK/gpu-data"
	python3 - "$shard" "$ntok" <<-'EOF' || die "could not write $shard"
		import os, random, struct, sys
		path, n = sys.argv[1], int(sys.argv[2])
		header = struct.pack("<256i", 20240520, 1, n, *([0] * 253))
		try:
		    import numpy as np
		    body = np.random.default_rng(1234).integers(0, 50257, n, dtype=np.uint16).tobytes()
		except ImportError:
		    rng = random.Random(1234)
		    body = struct.pack("<%dH" % n, *(rng.randrange(50257) for _ in range(n)))
		with open(path + ".tmp", "wb") as f:
		    f.write(header + body)
		os.replace(path + ".tmp", path)
	EOF
fi

# ---- runs ----
LOGS=$WORK/gpu-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
# median_ms FILE: the median of the step times (one a line) after WARMUP.
median_ms() { tail -n +$((WARMUP + 1)) "$1" | median; }
oom() { grep -qiE 'out of (gpu )?memory|ALLOC_FAILED|cudaErrorMemoryAllocation' "$1"; }

# What llm.c prints (train_gpt2.cu, after allocating optimizer state) when
# cudaMalloc failed and it fell back to managed memory.
LLMC_FALLBACK='Fell back to cudaMallocManaged'

# run_status RC LOG: a run's exit status RC as the runs below return it.
run_status() {
	case $1 in
	0) return 0 ;;
	124 | 137) return 3 ;;
	*)
		oom "$2" && return 2
		return 1
		;;
	esac
}

# run_ours B ROUND / run_llmc B ROUND: one run; the step times in
# $LOGS/NAME-B-ROUND.ms; status 0 ok, 2 out of GPU memory (llm.c: or its
# fall-back to managed memory), 3 timed out (RUN_TIMEOUT), 1 another failure.
run_ours() {
	local log=$LOGS/sluice-$1-$2 rc=0
	rm -f "$log.jsonl"
	# shellcheck disable=SC2086 # TRAIN_STEP_FLAGS is a list of flags
	timeout -k 10 "$RUN_TIMEOUT" "$ts" -q --model gpt2:124M --data "$shard" -B "$1" -T $T --steps "$STEPS" --lr 3e-4 \
		--weight-decay 0.1 --log "$log.jsonl" $TRAIN_STEP_FLAGS >"$log.out" 2>&1 || rc=$?
	run_status "$rc" "$log.out" || return $?
	sed -n 's/.*"ms":\([0-9.eE+-]*\).*/\1/p' "$log.jsonl" >"$log.ms"
	[ "$(wc -l <"$log.ms")" -gt "$WARMUP" ] || return 1
}
# llm.c runs in the background, its output line-buffered into its log, so
# that its fall-back to managed memory is seen when it is printed (before the
# first step) and the run stopped there: a run on oversubscribed managed
# memory can take far longer than RUN_TIMEOUT, or hang.
run_llmc() {
	local log=$LOGS/llmc-$1-$2 pid rc=0
	: >"$log.out"
	(cd "$LLMC_RUN" && exec timeout -k 10 "$RUN_TIMEOUT" stdbuf -oL -eL "$LLMC_BIN" -i "$shard" -j "$shard" -e d12 \
		-b "$1" -t $T -x "$STEPS" -l 3e-4 -c 0.1 -v 1000000 -m 1 -s 0 -n 0 -h 0) >"$log.out" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if grep -q "$LLMC_FALLBACK" "$log.out"; then
			kill "$pid" 2>/dev/null || true # timeout passes it on to llm.c
			wait "$pid" 2>/dev/null || true
			return 2
		fi
		sleep 0.5
	done
	wait "$pid" || rc=$?
	grep -q "$LLMC_FALLBACK" "$log.out" && return 2
	run_status "$rc" "$log.out" || return $?
	sed -n 's/^step *[0-9]*\/[0-9]* |.*| \([0-9.]*\) ms |.*/\1/p' "$log.out" >"$log.ms"
	[ "$(wc -l <"$log.ms")" -gt "$WARMUP" ] || return 1
}

# largest_b NAME: the first B of BATCHES whose run (round 1) ends well.
largest_b() {
	local b rc log
	for b in $BATCHES; do
		rc=0
		"run_$1" "$b" 1 || rc=$?
		log=$LOGS/$(prefix "$1")-$b-1.out
		case $rc in
		0)
			echo "$b"
			return 0
			;;
		2)
			if grep -q "$LLMC_FALLBACK" "$log"; then
				echo "$(label "$1"): B=$b does not fit in GPU memory (it fell back to managed memory; stopped)" >&2
			else
				echo "$(label "$1"): B=$b does not fit in GPU memory" >&2
			fi
			;;
		3)
			tail -n 15 "$log" >&2
			die "$(label "$1") timed out at B=$b after ${RUN_TIMEOUT}s (RUN_TIMEOUT; the whole log: $log)"
			;;
		*)
			tail -n 15 "$log" >&2
			die "$(label "$1") failed at B=$b, not for memory (the whole log: $log)"
			;;
		esac
	done
	die "$(label "$1"): not even B=${b} fits"
}
prefix() { [ "$1" = ours ] && echo sluice || echo llmc; }
label() { [ "$1" = ours ] && echo train-step || echo llm.c; }

echo "device: $GPU_NAME ($GPU_MEM, compute capability ${GPU_CAP:0:1}.${GPU_CAP:1}); bf16 dense peak ${peak:-unknown (set PEAK_TFLOPS)} TFLOPS"
b_ours=$(largest_b ours) || exit 1
b_llmc=$(largest_b llmc) || exit 1
for ((r = 2; r <= ROUNDS; r++)); do
	run_ours "$b_ours" "$r" || die "train-step failed in round $r (status $? of run_ours: 2 memory, 3 timeout; log: $LOGS/sluice-$b_ours-$r.out)"
	run_llmc "$b_llmc" "$r" || die "llm.c failed in round $r (status $? of run_llmc: 2 memory, 3 timeout; log: $LOGS/llmc-$b_llmc-$r.out)"
done
ms_ours=$(for ((r = 1; r <= ROUNDS; r++)); do median_ms "$LOGS/sluice-$b_ours-$r.ms"; done | median)
ms_llmc=$(for ((r = 1; r <= ROUNDS; r++)); do median_ms "$LOGS/llmc-$b_llmc-$r.ms"; done | median)

tps() { echo "$1 * $T * 1000 / $2" | bc -l; }
mfu() { [ -n "$peak" ] && printf '%.1f%%' "$(echo "100 * $1 * $FLOPS_PER_TOKEN / ($peak * 10^12)" | bc -l)" || echo "n/a"; }
tps_ours=$(tps "$b_ours" "$ms_ours")
tps_llmc=$(tps "$b_llmc" "$ms_llmc")
echo "GPT-2 124M, T=$T, bf16, $STEPS steps a run (median of steps $((WARMUP + 1))-$STEPS), median of $ROUNDS runs each:"
printf '  %-22s B=%-4d %8.2f ms/step %10.0f tokens/s   MFU %s\n' "sluice train-step" "$b_ours" "$ms_ours" "$tps_ours" "$(mfu "$tps_ours")"
printf '  %-22s B=%-4d %8.2f ms/step %10.0f tokens/s   MFU %s\n' "llm.c train_gpt2cu" "$b_llmc" "$ms_llmc" "$tps_llmc" "$(mfu "$tps_llmc")"
printf '  ratio (sluice / llm.c tokens/s): %.3fx\n' "$(echo "$tps_ours / $tps_llmc" | bc -l)"
echo "  (MFU = tokens/s * 803.26 MFLOP / peak; the logs: $LOGS)"
