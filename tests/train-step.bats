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

@test "loss parity: the issue's model through llm.c's file format, five AdamW steps: PyTorch's losses and parameters" {
	# 2 layers, 4 heads, 64 channels, vocabulary 1000 (padded to 1024), T 16
	batches 3 16 1000 1 7 > one.rec
	# a model file: random init, one step, exported in llm.c's format
	train-step -q --layers 2 --heads 4 --dim 64 --seed 5 --data one.rec --steps 1 --export init.bin
	# constant lr, no clipping: what gpt2_torch.py's AdamW does
	train-step -q --init init.bin --data one.rec --steps 6 --lr 1e-3 --lr-min 1e-3 --grad-clip 0 -j 2 --log log.jsonl
	train-step -q --init init.bin --data one.rec --steps 5 --lr 1e-3 --lr-min 1e-3 --grad-clip 0 -j 2 --export after5.bin
	"$PY" - <<-'EOF'
		import json, numpy as np
		h = np.fromfile("init.bin", dtype="<i4", count=8)
		assert list(h) == [20240326, 3, 16, 1000, 2, 4, 64, 1024], h
		np.fromfile("init.bin", dtype="<f4")[256:].tofile("params.bin")
		np.fromfile("after5.bin", dtype="<f4")[256:].tofile("final.bin")
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
	run "$PY" "$HELPERS/gpt2_torch.py" train . 2 4 64 16 1000 3 16 5 1e-4 < c.txt
	echo "$output"
	assert_success
	assert_output --partial "qkvw"
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
    assert set(j) == {"step", "loss", "lr", "grad_norm", "tokens_per_s", "ms", "device", "precision"}, j
    assert (j["device"], j["precision"]) == ("cpu", "fp32"), j'
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

@test "resume: the log lines a killed run wrote after its last checkpoint are dropped, a cut line too" {
	batches 2 16 101 3 2 > d.rec
	args="$TINY --data d.rec --steps 10 --warmup 2 -j 2 -q --ckpt-dir ck --ckpt-every 5"
	train-step $args --ckpt-dir straight --log straight.jsonl
	train-step $args --log resumed.jsonl
	# as if killed in step 9's write: steps 6-8 logged, step 9 cut short,
	# no checkpoint after step 5
	rm -r ck/step-00000010
	head -n 8 resumed.jsonl > cut.jsonl
	sed -n 9p resumed.jsonl | head -c 20 >> cut.jsonl
	mv cut.jsonl resumed.jsonl
	run --separate-stderr train-step $args --resume --log resumed.jsonl
	assert_success
	assert_equal "$(losses resumed.jsonl)" "$(losses straight.jsonl)"
	run "$PY" -c 'import json; print(*(json.loads(l)["step"] for l in open("resumed.jsonl")))'
	assert_output "1 2 3 4 5 6 7 8 9 10"
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
	assert_error 8 "train-step: --init: short.bin: too short for a model file header (100 bytes)"
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

@test "bad input: vocab too big, not a batch, truncated, --total-batch not a multiple" {
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
	assert_error 8 "train-step: tok.rec:$off: a tokens record where a batch record was expected (batchify makes them)"
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
	assert_equal "${stderr_lines[0]}" "train-step: --model: 'gpt2:9M' is not gpt2:124M, gpt2:350M, gpt2:774M, gpt2:1558M or lstm:L,H"
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

# tokens N V SEED : a token record stream of one document of N random ids.
tokens() {
	"$PY" - "$@" <<-'EOF2' | xargs -I{} "$PY" "$HELPERS/mkframes.py" 'header:{"kind":"tokens","dtype":"u16","vocab_size":'"$2"'}' "tokens16:{}" end
		import random, sys
		n, v, seed = map(int, sys.argv[1:4])
		r = random.Random(seed)
		print(",".join(str(r.randrange(v)) for _ in range(n)))
	EOF2
}

@test "llm.c shards: a shard, a raw nanoGPT .bin and batch records of the same tokens train alike" {
	tokens $((4 * 2 * 16 + 1)) 101 8 > tok.rec
	batchify -q -B 2 -T 16 --eot 100 --drop-last tok.rec -o d.rec
	batchify -q -B 2 -T 16 --eot 100 tok.rec --to-bin sh
	args="$TINY --seed 1 --steps 6 -q"
	train-step $args --data d.rec --log rec.jsonl
	train-step $args --vocab 101 -B 2 -T 16 --data sh/train_000000.bin --log shard.jsonl
	assert_equal "$(losses shard.jsonl)" "$(losses rec.jsonl)"
	# the same ids with no header, as nanoGPT's prepare scripts write them
	tail -c +1025 sh/train_000000.bin > raw.bin
	train-step $args --vocab 101 -B 2 -T 16 --data raw.bin --log raw.jsonl
	assert_equal "$(losses raw.jsonl)" "$(losses rec.jsonl)"
	"$PY" -c 'import numpy as np; np.fromfile("raw.bin", dtype="<u2").astype("<u4").tofile("raw32.bin")'
	train-step $args --vocab 101 -B 2 -T 16 --bin-dtype u32 --data raw32.bin --log raw32.jsonl
	assert_equal "$(losses raw32.jsonl)" "$(losses rec.jsonl)"
	# resumed from the middle of the shard
	args="$args --vocab 101 -B 2 -T 16 --data sh/train_000000.bin --ckpt-every 3"
	train-step $args --ckpt-dir ck --log resumed.jsonl
	assert_equal "$(json_get ck/step-00000003/state.json '[j["data"]["batch"], j["data"]["offset"]]')" "[3, 96]"
	rm -r ck/step-00000006
	head -n 3 resumed.jsonl > cut.jsonl && mv cut.jsonl resumed.jsonl
	train-step $args --ckpt-dir ck --resume --log resumed.jsonl
	assert_equal "$(losses resumed.jsonl)" "$(losses shard.jsonl)"
	# a shard needs a vocabulary; a shard whose header lies is refused
	run --separate-stderr train-step $TINY --steps 1 -q -B 2 -T 16 --data sh/train_000000.bin
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "train-step: the input has no vocab_size (a stream header's, or --vocab for shards): give --vocab"
	head -c 1200 sh/train_000000.bin > cut.bin
	run --separate-stderr train-step $TINY --vocab 101 --steps 1 -q -B 2 -T 16 --data cut.bin
	assert_error 8 "train-step: cut.bin:8: the header says 130 tokens of 2 bytes, the file holds 176 bytes after it"
}

@test "evaluation: --val loss and perplexity records and eval events" {
	batches 2 16 101 1 4 > one.rec
	batches 2 16 101 3 5 > val.rec
	# at lr 0 the model never changes: the validation loss of the training
	# batch is the training loss of step 1, to the bit
	train-step -q $TINY --seed 2 --data one.rec --val one.rec --steps 4 --lr 0 --lr-min 0 --eval-every 2 \
		--log log.jsonl --events ev.jsonl
	run "$PY" - <<-'EOF'
		import json, math, numpy as np
		recs = [json.loads(l) for l in open("log.jsonl")]
		steps = [r for r in recs if "loss" in r]
		evals = [r for r in recs if "val_loss" in r]
		assert [r["step"] for r in evals] == [2, 4], evals
		for e in evals:
		    assert np.float32(e["val_loss"]) == np.float32(steps[0]["loss"]), (e, steps[0])
		    assert abs(e["val_ppl"] - math.exp(e["val_loss"])) <= 1e-12 * e["val_ppl"], e
		    assert set(e) == {"step", "val_loss", "val_ppl", "val_batches"}, e
		assert [json.loads(l)["event"] for l in open("ev.jsonl")] == ["started", "eval", "eval", "finished"]
	EOF
	echo "$output"
	assert_success
	# --eval-batches K reads the first K batches; the default all of them
	train-step -q $TINY --seed 2 --data one.rec --val val.rec --steps 1 --log all.jsonl
	train-step -q $TINY --seed 2 --data one.rec --val val.rec --steps 1 --eval-batches 1 --log first.jsonl
	tail -n 1 all.jsonl > all-eval.json
	tail -n 1 first.jsonl > first-eval.json
	assert_equal "$(json_get all-eval.json 'j["val_batches"]')" 3
	assert_equal "$(json_get first-eval.json 'j["val_batches"]')" 1
	[ "$(json_get all-eval.json 'j["val_loss"]')" != "$(json_get first-eval.json 'j["val_loss"]')" ]
	run --separate-stderr train-step -q $TINY --data one.rec --steps 1 --eval-every 2
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "train-step: --eval-every and --eval-batches need --val"
	run --separate-stderr train-step -q $TINY --data one.rec --val - --steps 1
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "train-step: --val must be files: validation data is read again at each evaluation"
}

@test "llm.c bfloat16 model files (version 5): export rounds to nearest even, import widens" {
	batches 2 16 101 2 3 > d.rec
	train-step -q $TINY --data d.rec --steps 2 --export f32.bin --export-dtype fp32
	train-step -q --init f32.bin --data d.rec --steps 1 --lr 0 --lr-min 0 --export bf.bin --export-dtype bf16
	train-step -q --init bf.bin --data d.rec --steps 1 --lr 0 --lr-min 0 --export back.bin
	run "$PY" - <<-'EOF'
		import numpy as np, torch
		h = np.fromfile("bf.bin", dtype="<i4", count=256)
		assert list(h[:8]) == [20240326, 5, 16, 101, 2, 2, 32, 128], h[:8]
		p = np.fromfile("f32.bin", dtype="<f4")[256:]
		bf = np.fromfile("bf.bin", dtype="<u2", offset=1024)
		want = torch.from_numpy(p.copy()).to(torch.bfloat16).view(torch.int16).numpy().view("<u2")
		assert bf.size == p.size and (bf == want).all(), np.flatnonzero(bf != want)[:5]
		back = np.fromfile("back.bin", dtype="<f4")[256:]
		assert (back == torch.from_numpy(p.copy()).to(torch.bfloat16).float().numpy()).all()
		assert list(np.fromfile("back.bin", dtype="<i4", count=2)) == [20240326, 3]
	EOF
	echo "$output"
	assert_success
	run --separate-stderr train-step -q --model lstm:1,8 --data d.rec --steps 1 --export x.bin --export-dtype bf16
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "train-step: --export-dtype bf16 is llm.c's GPT-2 format: an LSTM is exported as fp32"
}

@test "the char LSTM: its loss falls on a small text; resume and model files work as for GPT-2" {
	tok-bpe train --bytes-only -q -o bytes.json /usr/share/common-licenses/GPL-3
	awk -v RS= '{ gsub(/\n/, " "); print }' /usr/share/common-licenses/GPL-3 |
		tok-bpe encode -t bytes.json --eot -q | batchify -q -B 8 -T 32 -o chars.rec
	args="--model lstm:1,64 --data chars.rec --steps 80 --lr 1e-2 --warmup 4 --seed 3 -j 2 -q"
	train-step $args --log log.jsonl --ckpt-dir straight --export lstm.bin
	run "$PY" - <<-'EOF2'
		import json, math
		loss = [json.loads(l)["loss"] for l in open("log.jsonl")]
		first, last = sum(loss[:5]) / 5, sum(loss[-5:]) / 5
		print("first", first, "last", last, "log(257)", math.log(257))
		assert abs(loss[0] - math.log(257)) < 0.3, loss[0]
		assert last < first - 1.5, (first, last)
	EOF2
	echo "$output"
	assert_success
	# the model file: magic, layers, hidden, vocabulary; --init goes on from it
	assert_equal "$("$PY" -c 'import numpy as np; print(*np.fromfile("lstm.bin", dtype="<i4", count=5))')" "20261122 1 1 64 257"
	train-step -q --init lstm.bin --data chars.rec --steps 1 --lr 0 --lr-min 0 --export again.bin
	cmp lstm.bin again.bin
	assert_equal "$(json_get straight/step-00000080/manifest.json 'j["config"]')" '{"arch": "lstm", "hidden": 64, "layers": 1, "vocab": 257}'
	# interrupted at step 40 and resumed: the same losses
	train-step $args --ckpt-dir ck --ckpt-every 40 --log resumed.jsonl
	rm -r ck/step-00000080
	head -n 40 resumed.jsonl > cut.jsonl && mv cut.jsonl resumed.jsonl
	train-step $args --ckpt-dir ck --ckpt-every 40 --resume --log resumed.jsonl
	assert_equal "$(losses resumed.jsonl)" "$(losses log.jsonl)"
	# resuming with another model is refused
	run --separate-stderr train-step --model lstm:2,64 --data chars.rec --steps 81 --ckpt-dir ck --resume -q
	assert_error 2 "train-step: ck/step-00000080: the checkpoint's model (lstm L=1 H=64 V=257) is not the one the options give"
	run --separate-stderr train-step --model lstm:1 --data chars.rec --steps 1 -q
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "train-step: --model: 'lstm:1' is not lstm:LAYERS,HIDDEN (1-64 layers, 1-65536 hidden)"
}

@test "masked batches: targets under a 0 mask take no part in the loss or the update" {
	h='header:{"kind":"batch","vocab_size":101,"lineage":[]}'
	row() { "$PY" -c 'import random, sys; r = random.Random(int(sys.argv[1])); print(",".join(str(r.randrange(101)) for _ in range(17)))' "$1"; }
	a=$(row 1) b=$(row 2)
	# the second row's last 6 ids are padding, masked out; then the same
	# with other ids in the padding, and with the mask off
	mask="$(printf '1,%.0s' {1..17})$(printf '1,%.0s' {1..11})0,0,0,0,0,0"
	other=$(echo "$b" | awk -F, -v OFS=, '{ for (i = 12; i <= 17; i++) $i = (i * 7) % 101; print }')
	mkframes "$h" "batch16:2:16:$a,$b:$mask" end > m1.rec
	mkframes "$h" "batch16:2:16:$a,$other:$mask" end > m2.rec
	mkframes "$h" "batch16:2:16:$a,$other" end > plain.rec
	for f in m1 m2 plain; do
		train-step -q $TINY --seed 6 --steps 3 --data $f.rec --log $f.jsonl --export $f.bin
	done
	assert_equal "$(losses m1.jsonl)" "$(losses m2.jsonl)"
	cmp m1.bin m2.bin
	[ "$(losses m1.jsonl)" != "$(losses plain.jsonl)" ]
}

@test "examples/char-model: SMALL=1 trains, evaluates, plots and prints samples of each prompt" {
	cp "$TOP/examples/char-model/Makefile" .
	run make SMALL=1 SLUICE_BIN="$SLUICE_BIN"
	echo "$output"
	assert_success
	[ "$(wc -l < samples.txt)" -eq 3 ]
	grep -q '^This License' samples.txt
	grep -q '^You may' samples.txt
	grep -q '^The ' samples.txt
	[ "$(head -c 8 loss.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
	run "$PY" - <<-'EOF2'
		import json
		recs = [json.loads(l) for l in open("log.jsonl")]
		steps = [r["loss"] for r in recs if "loss" in r]
		vals = [r["val_loss"] for r in recs if "val_loss" in r]
		assert len(steps) == 40 and len(vals) == 5, (len(steps), len(vals))
		assert vals[-1] < steps[0] - 1, (steps[0], vals)
	EOF2
	echo "$output"
	assert_success
	# a second make is a no-op: the checkpoint is there
	run make SMALL=1 SLUICE_BIN="$SLUICE_BIN" -q ckpt/.done
	assert_success
}
