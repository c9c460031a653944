#!/usr/bin/env bats
# train-step and lm-run on a CUDA GPU: the GPU's losses against the CPU's
# on a tiny GPT-2 (fp32 within 1e-5 relative after 10 steps, bf16 within
# 2e-2), fp16 with loss scaling, a run that moves GPU -> CPU -> GPU through
# its checkpoints with the loss curve of an uninterrupted CPU run, and
# greedy generation and scoring on the GPU as on the CPU.  Those need a
# GPU and a CUDA build and skip, saying so, without them.  The --device and
# --precision checks that need no GPU run everywhere.

SLUICE_TEST_GPU=1 # test_helper.bash hides GPUs from every other suite
load test_helper

# CUDA's runtime does not start under AddressSanitizer's default options
# (its shadow memory takes the addresses the driver maps), and the driver's
# allocations read as leaks: under the sanitizers the GPU is hidden.
if [ "${SLUICE_SANITIZED:-}" = 1 ]; then
	export CUDA_VISIBLE_DEVICES=
fi

TINY="--layers 2 --heads 2 --dim 32"

batches() { "$PY" "$HELPERS/train-batches.py" "$@"; }
losses() { "$PY" -c 'import json, sys
for l in open(sys.argv[1]): j = json.loads(l); print(j["step"], repr(j["loss"]))' "$1"; }
# jl FILE EXPR : EXPR of each JSON line j of FILE, one a line.
jl() { "$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l); v = eval(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"; }

# The programs find the CUDA plugin beside them (../lib/sluice); the test
# helpers live elsewhere and are told where it is.
PLUGIN=$SLUICE_BIN/../lib/sluice/sluice-cuda.so

# gpu_info : gpu-check's line ("cuda=1 devices=1 bf16=1 name=...").
gpu_info() {
	local tool=${SLUICE_TEST_BIN:-$TOP/build/tests}/gpu-check
	[ -x "$tool" ] || fail "no gpu-check in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	SLUICE_CUDA_PLUGIN=$PLUGIN "$tool"
}

# fake_driver DIR : an empty libcuda.so.1 in DIR, for LD_LIBRARY_PATH: the
# programs then take the machine for one with a CUDA driver and load the
# plugin, whose CUDA runtime finds no GPU through it.
fake_driver() {
	mkdir -p "$1"
	echo 'int sluice_fake_driver;' > "$1/fake.c"
	cc -shared -fPIC -o "$1/libcuda.so.1" "$1/fake.c"
}

# need_gpu : skips the test, with the reason, unless this build has CUDA
# and a GPU is visible.
need_gpu() {
	local info
	info=$(gpu_info)
	[ "${SLUICE_SANITIZED:-}" != 1 ] ||
		skip "the sanitized build runs with the GPU hidden (CUDA and AddressSanitizer do not mix): GPU test not run"
	case $info in
	cuda=0*) skip "this build has no CUDA (nvcc was not found, or CUDA=0): GPU test not run" ;;
	*devices=0*) skip "no CUDA GPU is visible: GPU test not run ($info)" ;;
	esac
	echo "# $info" >&3
}

need_bf16() {
	need_gpu
	case $(gpu_info) in
	*bf16=0*) skip "GPU 0 has no bf16 (compute capability below 8.0)" ;;
	esac
}

# cpu_vs_gpu PRECISION TOL ARG... : train-step ARG... on the CPU and on the
# GPU in PRECISION (logs cpu.jsonl and gpu.jsonl), then each step's loss
# within TOL relative of the CPU's.
cpu_vs_gpu() {
	local prec=$1 tol=$2
	shift 2
	train-step "$@" --device cpu --log cpu.jsonl
	train-step "$@" --device cuda --precision "$prec" --log gpu.jsonl
	losses cpu.jsonl > cpu.txt
	losses gpu.jsonl > gpu.txt
	run close gpu.txt cpu.txt "$tol"
	echo "$output"
	assert_success
}

# close A B TOL : |A - B| <= TOL |B| for two loss columns ("step loss" lines).
close() {
	"$PY" - "$1" "$2" "$3" <<-'EOF'
		import sys
		a = [l.split() for l in open(sys.argv[1])]
		b = [l.split() for l in open(sys.argv[2])]
		tol = float(sys.argv[3])
		assert len(a) == len(b) and a, (len(a), len(b))
		for (sa, la), (sb, lb) in zip(a, b):
		    assert sa == sb, (sa, sb)
		    la, lb = float(la), float(lb)
		    print("step %s  gpu %.9g  cpu %.9g  rel %.3g" % (sa, la, lb, abs(la - lb) / abs(lb)))
		    assert abs(la - lb) <= tol * abs(lb), "step %s: %r vs %r beyond %g relative" % (sa, la, lb, tol)
	EOF
}

# ---- everywhere ----

@test "--device and --precision: bad values are usage errors" {
	batches 2 16 101 1 1 > d.rec
	run --separate-stderr train-step -q $TINY --data d.rec --steps 1 --device gpu
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "train-step: --device: 'gpu' is not auto, cpu, cuda or cuda:N"
	run --separate-stderr train-step -q $TINY --data d.rec --steps 1 --device cuda:x
	assert_failure 2
	run --separate-stderr train-step -q $TINY --data d.rec --steps 1 --precision fp8
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "train-step: --precision: 'fp8' is not auto, fp32, bf16 or fp16"
	run --separate-stderr lm-run generate -m nothing.bin --device tpu
	assert_failure 2
	run --separate-stderr lm-run generate -m nothing.bin --precision half
	assert_failure 2
}

@test "the CPU takes fp32 only: --precision bf16 or fp16 with --device cpu is a usage error" {
	batches 2 16 101 1 1 > d.rec
	for p in bf16 fp16; do
		run --separate-stderr train-step -q $TINY --data d.rec --steps 1 --device cpu --precision $p
		assert_failure 2
		assert_equal "$stderr" "train-step: --device: --precision $p needs a GPU: the CPU trains in fp32"
	done
	train-step -q $TINY --data d.rec --steps 1 --device cpu --precision fp32
	train-step -q $TINY --data d.rec --steps 1 --device cpu --precision auto
}

@test "--device auto: the CPU without a GPU, GPU 0 with one; the log and the started event say which" {
	batches 2 16 101 2 1 > d.rec
	train-step -q $TINY --data d.rec --steps 2 --log log.jsonl --events ev.jsonl
	info=$(gpu_info)
	case $info in
	cuda=1*devices=[1-9]*) want=cuda:0 ;;
	*) want=cpu ;;
	esac
	[ "$(jl log.jsonl 'j["device"]' | sort -u)" = "$want" ]
	started=$(head -n 1 ev.jsonl)
	run "$PY" -c 'import json, sys; j = json.loads(sys.argv[1]); print(j["device"].split(" ")[0], j["precision"], j["world"])' "$started"
	case $want in
	cpu) assert_output "cpu fp32 1" ;;
	*) assert_output --regexp '^cuda:0 (bf16|fp32) 1$' ;;
	esac
	# the startup line of a run that shows its progress
	run --separate-stderr train-step --progress $TINY --data d.rec --steps 1
	assert_success
	assert_regex "${stderr_lines[0]}" "^train-step: gpt2 L=2 H=2 C=32 T=16 V=101 on $want"
}

@test "--device cuda without a GPU (or without CUDA in the build): exit 2, one clear line, no output" {
	case $(gpu_info) in
	cuda=1*devices=[1-9]*) skip "a GPU is visible: this checks the failure without one" ;;
	esac
	batches 2 16 101 1 1 > d.rec
	for d in cuda:0 cuda:3; do
		run --separate-stderr train-step -q $TINY --data d.rec --steps 1 --device $d --log log.jsonl --export m.bin
		assert_failure 2
		assert_equal "${#stderr_lines[@]}" 1
		assert_output ""
		case $(gpu_info) in
		cuda=0*) assert_equal "$stderr" "train-step: --device: $d: this build has no CUDA (rebuild with nvcc installed, or make CUDA=1)" ;;
		*) assert_regex "$stderr" "^train-step: --device: $d: no CUDA GPU is visible \((CUDA_VISIBLE_DEVICES is empty|no CUDA driver: libcuda.so.1 is not installed|or the driver is not loaded)\)\$" ;;
		esac
		[ ! -e log.jsonl ] && [ ! -e m.bin ]
	done
	run --separate-stderr train-step -q $TINY --data d.rec --steps 1 --device cuda
	assert_failure 2
	train-step -q $TINY --seed 1 --data d.rec --steps 1 --export m.bin
	mkframes 'header:{"kind":"tokens","dtype":"u16","vocab_size":101}' "tokens16:5,17" end > p.rec
	run --separate-stderr lm-run generate -m m.bin --device cuda -n 2 p.rec
	assert_failure 2
	assert_regex "$stderr" "^lm-run: --device: cuda:0: "
}

@test "the CUDA plugin: no program links CUDA; it is loaded from beside the program only when a driver is there" {
	case $(gpu_info) in cuda=0*) skip "this build has no CUDA: no plugin to load" ;; esac
	[ "${SLUICE_SANITIZED:-}" != 1 ] || skip "the CUDA runtime is not loaded under the sanitizers"
	for p in "$SLUICE_BIN"/*; do
		! ldd "$p" | grep -E 'libcudart|libcublas' || fail "$p links CUDA"
	done
	ldd "$PLUGIN" | grep -q libcublasLt || fail "the plugin does not bring cuBLASLt"
	batches 2 16 101 1 1 > d.rec
	fake_driver drv
	# an installed layout: PREFIX/bin/train-step and PREFIX/lib/sluice/sluice-cuda.so
	mkdir -p pfx/bin pfx/lib/sluice bare/bin
	cp "$SLUICE_BIN/train-step" pfx/bin/ && cp "$PLUGIN" pfx/lib/sluice/ && cp "$SLUICE_BIN/train-step" bare/bin/
	unset CUDA_VISIBLE_DEVICES
	# the plugin's runtime ran and found no GPU through the empty driver
	run --separate-stderr env LD_LIBRARY_PATH="$PWD/drv" pfx/bin/train-step -q $TINY --data d.rec --steps 1 --device cuda
	assert_failure 2
	assert_equal "$stderr" "train-step: --device: cuda:0: no CUDA GPU is visible (or the driver is not loaded)"
	run --separate-stderr env LD_LIBRARY_PATH="$PWD/drv" bare/bin/train-step -q $TINY --data d.rec --steps 1 --device cuda
	assert_failure 2
	assert_regex "$stderr" "^train-step: --device: cuda:0: the CUDA plugin is missing: not at $PWD/bare/bin/../lib/sluice/sluice-cuda.so nor at .*\(or set SLUICE_CUDA_PLUGIN\)\$"
	run --separate-stderr env LD_LIBRARY_PATH="$PWD/drv" SLUICE_CUDA_PLUGIN="$PWD/none.so" pfx/bin/train-step -q $TINY --data d.rec --steps 1 --device cuda
	assert_failure 2
	assert_equal "$stderr" "train-step: --device: cuda:0: the CUDA plugin cannot be loaded: $PWD/none.so: cannot open shared object file: No such file or directory"
	run --separate-stderr env SLUICE_CUDA_PLUGIN="$PWD/none.so" pfx/bin/train-step -q $TINY --data d.rec --steps 1 --device cuda
	assert_failure 2
	assert_regex "$stderr" "^train-step: --device: cuda:0: no CUDA GPU is visible \(no CUDA driver: libcuda.so.1 is not installed\)\$"
	# --device auto trains on the CPU whatever is missing
	for e in "LD_LIBRARY_PATH=$PWD/drv" "SLUICE_CUDA_PLUGIN=$PWD/none.so"; do
		env "$e" bare/bin/train-step -q $TINY --data d.rec --steps 1 --log log.jsonl
		[ "$(jl log.jsonl 'j["device"]')" = cpu ]
	done
}

@test "the character LSTM: --device cuda is a usage error; auto trains it on the CPU" {
	batches 2 16 101 1 1 > d.rec
	run --separate-stderr train-step -q --model lstm:1,16 --data d.rec --steps 1 --device cuda
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "train-step: --device cuda: the character LSTM trains on the CPU only"
	train-step -q --model lstm:1,16 --data d.rec --steps 1 --log l.jsonl --device auto
	[ "$(jl l.jsonl 'j["device"]')" = cpu ]
}

@test "several processes (WORLD_SIZE > 1) on the CPU: a usage error" {
	batches 2 16 101 1 1 > d.rec
	RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 run --separate-stderr train-step -q $TINY --data d.rec --steps 1 --device cpu
	assert_failure 2
	assert_regex "$stderr" "^train-step: 2 processes \(rank 0\): training on several processes needs a CUDA build"
	RANK=0 WORLD_SIZE=2 LOCAL_RANK=x run --separate-stderr train-step -q $TINY --data d.rec --steps 1
	assert_failure 2
}

# ---- on a GPU ----

@test "GPU kernels against the CPU's: logits, loss, each tensor's gradient, AdamW, in fp32, bf16 and fp16" {
	need_gpu
	tool=${SLUICE_TEST_BIN:-$TOP/build/tests}/gpu-check
	for p in fp32 bf16 fp16; do
		[ $p != bf16 ] || case $(gpu_info) in *bf16=0*) continue ;; esac
		run env SLUICE_CUDA_PLUGIN="$PLUGIN" "$tool" parity $p
		echo "== $p"
		echo "$output"
		assert_success
		assert_line "parity: ok"
	done
}

@test "GPU fp32: the losses of 10 steps within 1e-5 relative of the CPU's" {
	need_gpu
	batches 4 16 101 5 3 > d.rec
	cpu_vs_gpu fp32 1e-5 -q $TINY --seed 7 --data d.rec --steps 10 --warmup 2 --lr 1e-3
	[ "$(jl gpu.jsonl 'j["precision"]' | sort -u)" = fp32 ]
}

@test "GPU fp32: two micro-batches (--total-batch) and masked targets as on the CPU" {
	need_gpu
	mask="$(printf '1,%.0s' {1..17})$(printf '1,%.0s' {1..11})0,0,0,0,0,0"
	batches 2 16 101 4 5 "batch16:2:16:$(seq -s, 1 34):$mask" > d.rec
	cpu_vs_gpu fp32 1e-5 -q $TINY --seed 3 --data d.rec --steps 4 --total-batch 64 --grad-clip 0.5
	# the norms agree too (before clipping)
	paste <(jl cpu.jsonl 'j["grad_norm"]') <(jl gpu.jsonl 'j["grad_norm"]') |
		"$PY" -c 'import sys
for l in sys.stdin:
    a, b = map(float, l.split()); assert abs(a - b) <= 1e-4 * a, (a, b)'
}

@test "GPU bf16: the losses of 10 steps within 2e-2 relative of the CPU's" {
	need_bf16
	batches 4 16 101 5 3 > d.rec
	cpu_vs_gpu bf16 2e-2 -q $TINY --seed 7 --data d.rec --steps 10 --warmup 2 --lr 1e-3
}

@test "GPU fp16: dynamic loss scaling, the metrics carry the scale and the skipped steps, the loss falls" {
	need_gpu
	batches 4 16 101 5 3 > d.rec
	args="-q $TINY --seed 7 --data d.rec --steps 30 --lr 3e-3"
	train-step $args --device cpu --log cpu.jsonl
	train-step $args --device cuda --precision fp16 --log gpu.jsonl --ckpt-dir ck
	run "$PY" - <<-'EOF'
		import json, math
		cpu = [json.loads(l) for l in open("cpu.jsonl")]
		gpu = [json.loads(l) for l in open("gpu.jsonl")]
		assert len(gpu) == 30
		for c, g in zip(cpu, gpu):
		    assert g["precision"] == "fp16" and g["device"] == "cuda:0", g
		    assert g["loss_scale"] >= 1 and g["skipped_steps"] >= 0, g
		    assert math.isfinite(g["loss"]), g
		    assert abs(g["loss"] - c["loss"]) <= 5e-2 * c["loss"], (g, c)
		assert gpu[-1]["loss"] < gpu[0]["loss"] - 0.2, (gpu[0], gpu[-1])
		# skipped steps never decrease; a skip halves the scale
		for a, b in zip(gpu, gpu[1:]):
		    assert b["skipped_steps"] >= a["skipped_steps"]
		    if b["skipped_steps"] > a["skipped_steps"]:
		        assert b["loss_scale"] == a["loss_scale"] / 2, (a, b)
		st = json.load(open("ck/step-00000030/state.json"))
		assert st["loss_scale"] == gpu[-1]["loss_scale"] and st["skipped_steps"] == gpu[-1]["skipped_steps"], st
		print("scale", gpu[-1]["loss_scale"], "skipped", gpu[-1]["skipped_steps"])
	EOF
	echo "$output"
	assert_success
}

@test "GPU -> CPU -> GPU through checkpoints: the loss curve of an uninterrupted CPU run" {
	need_gpu
	batches 4 16 101 6 4 > d.rec
	args="-q $TINY --seed 2 --data d.rec --steps 15 --warmup 3 --lr 1e-3 --ckpt-every 5"
	train-step $args --ckpt-dir straight --device cpu --log straight.jsonl
	# steps 1-5 on the GPU, 6-10 on the CPU, 11-15 on the GPU again
	train-step $args --ckpt-dir moved --device cuda --precision fp32 --log moved.jsonl
	rm -r moved/step-00000010 moved/step-00000015
	head -n 5 moved.jsonl > cut && mv cut moved.jsonl
	train-step $args --ckpt-dir moved --device cpu --resume --log moved.jsonl
	rm -r moved/step-00000015
	head -n 10 moved.jsonl > cut && mv cut moved.jsonl
	train-step $args --ckpt-dir moved --device cuda --precision fp32 --resume --log moved.jsonl
	[ "$(jl moved.jsonl 'j["device"]' | tr '\n' ' ')" = "$(printf 'cuda:0 %.0s' 1 2 3 4 5; printf 'cpu %.0s' 1 2 3 4 5; printf 'cuda:0 %.0s' 1 2 3 4 5)" ]
	losses straight.jsonl > cpu.txt
	losses moved.jsonl > moved.txt
	run close moved.txt cpu.txt 2e-5
	echo "$output"
	assert_success
	# the checkpoints' model files are the CPU format, and close
	"$PY" - <<-'EOF'
		import numpy as np
		a = np.fromfile("straight/step-00000015/model.bin", dtype="<f4")[256:]
		b = np.fromfile("moved/step-00000015/model.bin", dtype="<f4")[256:]
		assert a.shape == b.shape
		assert np.abs(a - b).max() <= 1e-4, np.abs(a - b).max()
	EOF
}

@test "lm-run on the GPU (fp32): the CPU's greedy continuation and scores" {
	need_gpu
	batches 2 16 101 3 11 > train.rec
	train-step -q $TINY --seed 4 --data train.rec --steps 3 --lr 1e-2 --device cpu --export m.bin
	mkframes 'header:{"kind":"tokens","dtype":"u16","vocab_size":101}' "tokens16:5,17,42" end > p.rec
	lm-run generate -m m.bin --temperature 0 -n 30 --format jsonl --device cpu p.rec > cpu.jsonl
	lm-run generate -m m.bin --temperature 0 -n 30 --format jsonl --device cuda --precision fp32 p.rec > gpu.jsonl
	assert_equal "$(jl gpu.jsonl 'j["ids"]')" "$(jl cpu.jsonl 'j["ids"]')"
	mkframes 'header:{"kind":"tokens","dtype":"u16","vocab_size":101}' "tokens16:$(seq -s, 1 40)" end > s.rec
	lm-run score -m m.bin --device cpu s.rec > cpu-s.jsonl
	lm-run score -m m.bin --device cuda --precision fp32 s.rec > gpu-s.jsonl
	paste <(jl cpu-s.jsonl 'j["loss"]') <(jl gpu-s.jsonl 'j["loss"]') |
		"$PY" -c 'import sys
for l in sys.stdin:
    a, b = map(float, l.split()); assert abs(a - b) <= 1e-5 * a, (a, b)'
	# bf16 (where there is bf16) generates too
	case $(gpu_info) in
	*bf16=1*) lm-run generate -m m.bin --temperature 0 -n 5 --format jsonl --device cuda p.rec > b.jsonl
	          [ "$(jl b.jsonl 'len(j["ids"])')" -eq 5 ] ;;
	esac
}
