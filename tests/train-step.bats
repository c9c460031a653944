#!/usr/bin/env bats
# train-step: the CPU trainer.  Losses against a float64 PyTorch model
# (tests/helpers/gpt2_torch.py) from the same llm.c model file; determinism;
# resume equivalence; the llm.c export/import round trip; gradient
# accumulation; bad input; SIGTERM.

load test_helper

# The tiny model: L=2 NH=2 C=32, ctx = T = 16, vocab 101 (Vp 128).
TINY="--layers 2 --heads 2 --dim 32"

# batches B T V N SEED [SPEC...] : a batch stream of random ids.
batches() { "$PY" "$HELPERS/train-batches.py" "$@"; }
# losses FILE : "step loss" of each line of a --log file.
losses() { "$PY" -c 'import json, sys
for l in open(sys.argv[1]): j = json.loads(l); print(j["step"], repr(j["loss"]))' "$1"; }

@test "loss parity: five AdamW steps give PyTorch's losses from the same --init file" {
	batches 3 16 101 1 7 > one.rec
	# a model file: random init, one step, exported in llm.c's format
	train-step -q $TINY --seed 5 --data one.rec --steps 1 --export init.bin
	# constant lr, no clipping: what gpt2_torch.py's AdamW does
	train-step -q --init init.bin --data one.rec --steps 6 --lr 1e-3 --lr-min 1e-3 --grad-clip 0 -j 2 --log log.jsonl
	"$PY" - <<-'EOF'
		import json, numpy as np
		np.fromfile("init.bin", dtype="<f4")[256:].tofile("params.bin")
		raw = open("one.rec", "rb").read()
		# the batch frame follows the header frame: 24-byte head, 16-byte batch head, ids
		hlen = int.from_bytes(raw[8:12], "little")
		at = 24 + (hlen + 7) // 8 * 8 + 24 + 16
		ids = np.frombuffer(raw, dtype="<u2", count=3 * 17, offset=at).reshape(3, 17).astype("<u4")
		ids[:, :-1].tofile("inputs.bin")
		ids[:, 1:].tofile("targets.bin")
		with open("c.txt", "w") as out:
		    for i, l in enumerate(open("log.jsonl")):
		        out.write("loss %d %s\n" % (i, json.loads(l)["loss"]))
	EOF
	run "$PY" "$HELPERS/gpt2_torch.py" train . 2 2 32 16 101 3 16 5 < c.txt
	echo "$output"
	assert_success
}

@test "determinism: the same seed, data and threads give the same loss bits" {
	batches 2 16 101 3 1 > d.rec
	for j in 1 2; do
		train-step -q $TINY --data d.rec --steps 6 --warmup 2 --seed 9 -j $j --log a.jsonl
		train-step -q $TINY --data d.rec --steps 6 --warmup 2 --seed 9 -j $j --log b.jsonl
		assert_equal "$(losses a.jsonl)" "$(losses b.jsonl)"
	done
	# another seed, another curve
	train-step -q $TINY --data d.rec --steps 6 --seed 10 -j 2 --log c.jsonl
	[ "$(losses a.jsonl)" != "$(losses c.jsonl)" ]
	[ "$(wc -l < a.jsonl)" -eq 6 ]
	run "$PY" -c 'import json, sys
for l in open("a.jsonl"):
    j = json.loads(l)
    assert set(j) == {"step", "loss", "lr", "grad_norm", "tokens_per_s", "ms"}, j'
	assert_success
}

@test "resume: interrupted after 5 of 10 steps and resumed, the same losses bit for bit" {
	batches 2 16 101 3 2 > d.rec
	args="$TINY --data d.rec --steps 10 --warmup 2 -j 2 -q --ckpt-dir ck --ckpt-every 5"
	train-step $args --ckpt-dir straight --log straight.jsonl
	train-step $args --log resumed.jsonl
	# as if it had died after step 5
	rm -r ck/step-00000010
	head -n 5 resumed.jsonl > cut.jsonl && mv cut.jsonl resumed.jsonl
	run --separate-stderr train-step $args --resume --log resumed.jsonl --events ev.jsonl
	assert_success
	assert_equal "$(losses resumed.jsonl)" "$(losses straight.jsonl)"
	[ "$(wc -l < resumed.jsonl)" -eq 10 ]
	# the checkpoint's files
	for f in manifest.json model.bin optim.bin state.json; do [ -f ck/step-00000010/$f ]; done
	assert_equal "$(json_get ck/step-00000010/state.json 'j["step"]')" 10
	assert_equal "$(json_get ck/step-00000010/manifest.json 'j["metrics"]["tokens_seen"]')" 320
	assert_equal "$(json_get ck/step-00000010/manifest.json 'j["input"]["lineage"][0]["prog"]')" train-batches.py
	assert_equal "$(json_get ck/step-00000010/manifest.json 'j["config"]["layers"]')" 2
	run "$PY" -c 'import json; print(" ".join(json.loads(l)["event"] for l in open("ev.jsonl")))'
	assert_output "started checkpoint finished"
}

@test "llm.c model files: export, init from it, the parameters are identical" {
	batches 2 16 101 2 3 > d.rec
	train-step -q $TINY --data d.rec --steps 2 --export a.bin
	"$PY" - <<-'EOF'
		import numpy as np
		h = np.fromfile("a.bin", dtype="<i4", count=256)
		assert list(h[:8]) == [20240326, 3, 16, 101, 2, 2, 32, 128], h[:8]
		n = 128 * 32 + 16 * 32 + 2 * (12 * 32 * 32 + 13 * 32) + 2 * 32
		assert np.fromfile("a.bin", dtype="<f4").size == 256 + n
	EOF
	# --steps 1 at lr 0: an AdamW step that leaves the parameters alone
	train-step -q --init a.bin --data d.rec --steps 1 --lr 0 --lr-min 0 --export b.bin
	cmp a.bin b.bin
	# and a model that is not one
	head -c 100 a.bin > short.bin
	run --separate-stderr train-step -q --init short.bin --data d.rec --steps 1
	assert_error 8 "train-step: --init: short.bin: too short for an llm.c model header (100 bytes)"
}

@test "accumulation and clipping: two micro-batches of B make the update of one batch of 2B" {
	ids=$("$PY" -c 'import random; r = random.Random(5); print(",".join(str(r.randrange(101)) for _ in range(4 * 17)))')
	IFS=, read -ra a <<<"$ids"
	first=$(IFS=,; echo "${a[*]:0:34}")
	second=$(IFS=,; echo "${a[*]:34:34}")
	h='header:{"kind":"batch","vocab_size":101,"lineage":[]}'
	mkframes "$h" "batch16:4:16:$ids" end > big.rec
	mkframes "$h" "batch16:2:16:$first" "batch16:2:16:$second" end > two.rec
	# the gradient norm is over 1: the default --grad-clip 1 clips both
	train-step -q $TINY --seed 3 --steps 1 --data big.rec --log big.jsonl --export big.bin
	train-step -q $TINY --seed 3 --steps 1 --data two.rec --total-batch 64 --log two.jsonl --export two.bin
	run "$PY" - <<-'EOF'
		import json, numpy as np
		a, b = (json.loads(open(f).read()) for f in ("big.jsonl", "two.jsonl"))
		assert a["grad_norm"] > 1, a
		for k in ("loss", "grad_norm"):
		    assert abs(a[k] - b[k]) <= 1e-6 * abs(a[k]), (k, a[k], b[k])
		p, q = (np.fromfile(f, dtype="<f4")[256:] for f in ("big.bin", "two.bin"))
		d = float(np.abs(p - q).max())
		print("max |diff|", d)
		assert d < 2e-6, d
	EOF
	echo "$output"
	assert_success
}

@test "bad input: vocab too big, not a batch, masked, truncated, --total-batch not a multiple" {
	batches 2 16 101 2 1 > d.rec
	run --separate-stderr train-step -q $TINY --vocab 50 --data d.rec --steps 1
	assert_error 2 "train-step: d.rec: the input's vocab_size 101 does not fit the model's vocabulary of 50"
	run --separate-stderr train-step -q $TINY --data d.rec --steps 1 --total-batch 48
	assert_error 2 "train-step: --total-batch 48 is not a multiple of B*T = 2*16 = 32"
	run --separate-stderr train-step -q $TINY --data d.rec --ctx 8 --steps 1
	assert_error 2 "train-step: d.rec: batches of T=16 are longer than the model's context of 8 (--ctx)"
	mkframes header tokens16:1,2,3 end > tok.rec
	off=$(frame_offset tok.rec 1)
	run --separate-stderr train-step -q $TINY --vocab 10 --data tok.rec --steps 1
	assert_error 8 "train-step: tok.rec:$off: a tokens record: train-step reads batch records"
	mkframes header batch16:1:2:1,2,3:1,1,0 end > mask.rec
	run --separate-stderr train-step -q $TINY --vocab 10 --data mask.rec --steps 1
	assert_error 8 "train-step: mask.rec:$(frame_offset mask.rec 1): a masked batch: train-step cannot leave masked positions out of the loss yet (make batches without batchify --pad)"
	mkframes 'header:{"kind":"batch"}' batch16:1:2:1,2,30 end > big-id.rec
	run --separate-stderr train-step -q $TINY --vocab 10 --data big-id.rec --steps 1
	assert_error 8 "train-step: big-id.rec:$(frame_offset big-id.rec 1): token id 30 at or above the model's vocabulary of 10"
	head -c $(($(filesize d.rec) - 50)) d.rec > cut.rec
	run --separate-stderr train-step -q $TINY --data cut.rec --steps 3
	assert_equal "$status" 4
	run --separate-stderr train-step -q $TINY --steps 3 < cut.rec
	assert_equal "$status" 4
	run --separate-stderr train-step -q $TINY --data d.rec
	assert_equal "$status" 2
}

@test "standard input that ends before --steps stops cleanly after the last whole step" {
	batches 2 16 101 3 1 > d.rec
	run --separate-stderr train-step -q $TINY --steps 10 --log log.jsonl --events ev.jsonl < d.rec
	assert_success
	assert_equal "$stderr" "train-step: the input ended after step 3 of 10 (standard input is not read again)"
	[ "$(wc -l < log.jsonl)" -eq 3 ]
	assert_equal "$(tail -n 1 ev.jsonl | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["reason"])')" data
}

@test "SIGTERM mid-run: the step finishes, a checkpoint is written, exit 0" {
	batches 2 16 101 3 1 > d.rec
	train-step -q $TINY --data d.rec --steps 100000000 --ckpt-dir ck --log log.jsonl 2> err.txt &
	pid=$!
	for _ in $(seq 200); do [ -s log.jsonl ] && break; sleep 0.05; done
	[ -s log.jsonl ]
	kill -TERM $pid
	rc=0
	wait $pid || rc=$?
	assert_equal "$rc" 0
	grep -q "stopped by SIGTERM after step" err.txt
	ls ck
	step=$(ls ck | sed -n 's/^step-0*//p')
	[ "$step" -ge 1 ]
	assert_equal "$(json_get ck/step-*/state.json 'j["step"]')" "$step"
}

@test "pipeline: token records through batchify into train-step, two --data files, events" {
	args=()
	for i in $(seq 20); do args+=("tokens16:$(seq -s, $i $((i + 12)))"); done
	mkframes 'header:{"kind":"tokens","dtype":"u16","eot":99,"vocab_size":100,"lineage":[{"prog":"tok-bpe"}]}' "${args[@]}" end |
		batchify -q -B 2 -T 8 --drop-last > a.rec
	cp a.rec b.rec
	run --separate-stderr train-step -q $TINY --data a.rec --data b.rec --steps 4 --total-batch 32 \
		--log log.jsonl --events ev.jsonl --ckpt-dir ck
	assert_success
	assert_no_stderr
	[ "$(wc -l < log.jsonl)" -eq 4 ]
	assert_equal "$(json_get ck/step-00000004/manifest.json 'j["config"]["vocab"]')" 100
	assert_equal "$(json_get ck/step-00000004/manifest.json 'j["config"]["max_seq"]')" 8
	assert_equal "$(json_get ck/step-00000004/manifest.json '[e["prog"] for e in j["input"]["lineage"]]')" '["tok-bpe", "batchify"]'
	# a run that fails says so in its events
	head -c 200 a.rec > cut.rec
	run --separate-stderr train-step -q $TINY --data cut.rec --steps 4 --events ev2.jsonl
	assert_equal "$status" 4
	run "$PY" -c 'import json; print(" ".join(json.loads(l)["event"] for l in open("ev2.jsonl")))'
	assert_output "failed"
	run --separate-stderr train-step -q --model gpt2:9M --steps 1
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "train-step: --model: 'gpt2:9M' is not gpt2:124M, gpt2:350M, gpt2:774M or gpt2:1558M"
}

@test "resume: two inputs and two micro-batches a step, from the middle of the second input" {
	batches 2 16 101 3 4 > a.rec
	batches 2 16 101 3 5 > b.rec
	args="$TINY --data a.rec --data b.rec --steps 8 --total-batch 64 -j 2 -q --ckpt-every 2"
	train-step $args --ckpt-dir straight --log straight.jsonl
	train-step $args --ckpt-dir ck --log resumed.jsonl
	assert_equal "$(json_get ck/step-00000002/state.json '[j["data"]["input"], j["data"]["batch"]]')" "[1, 1]"
	rm -r ck/step-0000000[468]
	head -n 2 resumed.jsonl > cut.jsonl && mv cut.jsonl resumed.jsonl
	train-step $args --ckpt-dir ck --resume --log resumed.jsonl
	assert_equal "$(losses resumed.jsonl)" "$(losses straight.jsonl)"
	cmp straight/step-00000008/model.bin ck/step-00000008/model.bin
	cmp straight/step-00000008/optim.bin ck/step-00000008/optim.bin
	# an input shorter than the checkpoint's position: said, not trained on
	rm -r ck/step-0000000[468]
	batches 2 16 101 0 6 > b.rec
	run --separate-stderr train-step $args --ckpt-dir ck --resume
	assert_error 8 "train-step: b.rec: ended before batch 1, where the checkpoint stopped"
}
