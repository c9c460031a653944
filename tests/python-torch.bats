#!/usr/bin/env bats
# The PyTorch data pipe (python/sluice/pytorch.py) and the example that
# trains with it (examples/pytorch-train): the dataset yields batchify's
# batches as (x, y) shifted by one, padding as -1; DataLoader workers and
# ranks each get a disjoint share, together all of it, in a fixed order; a
# pipe refuses workers; train.py's losses equal train-step's from the same
# model file and batches.

load test_helper

export PYTHONPATH=$TOP/python
EXAMPLE=$TOP/examples/pytorch-train
FILES=(b0.rec b1.rec b2.rec b3.rec b4.rec)

# Five batch files of unequal lengths from five licence texts (bytes as
# tokens, 2 rows of 48 + 1 ids: every batch differs from the others), a padded
# file, and the example run once at SMALL=1 (all, then parity); each test
# works on a copy.
setup_file() {
	local made=$BATS_FILE_TMPDIR/made bin=${SLUICE_BIN:-$TOP/bin}
	mkdir "$made"
	cd "$made"
	"$bin/tok-bpe" train --bytes-only -q -o bytes.json /usr/share/common-licenses/GPL-3
	local i=0
	for t in Apache-2.0 Artistic BSD MPL-1.1 LGPL-2.1; do
		awk -v RS= '{ gsub(/\n/, " "); print }' "/usr/share/common-licenses/$t" |
			"$bin/tok-bpe" encode -t bytes.json --eot -q |
			"$bin/batchify" -q -B 2 -T 48 -o "b$i.rec"
		i=$((i + 1))
	done
	awk -v RS= '{ gsub(/\n/, " "); print }' /usr/share/common-licenses/MPL-1.1 |
		"$bin/tok-bpe" encode -t bytes.json --eot -q | "$bin/batchify" -q --pad -B 3 -T 40 -o pad.rec
	mkdir example
	cp "$EXAMPLE"/Makefile "$EXAMPLE"/*.py example/
	make -C example SMALL=1 PYTHON="$PY" SLUICE_BIN="$bin" SLUICE_PY="$TOP/python" all parity \
		>"$BATS_FILE_TMPDIR/make.out" 2>&1 || echo failed >"$BATS_FILE_TMPDIR/make.failed"
}

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	cp -a "$BATS_FILE_TMPDIR/made/." .
}

py() { "$PY" - "$@"; }

# ---- the batches --------------------------------------------------------------

@test "the dataset yields the batches batchify wrote: x = rows[:, :-1], y = rows[:, 1:], int64" {
	rec-cat b0.rec > want.jsonl
	py b0.rec want.jsonl <<-'EOF'
		import json, sys, torch
		from sluice.pytorch import BatchDataset
		want = [json.loads(l)["batch"]["rows"] for l in open(sys.argv[2])]
		got = list(BatchDataset(sys.argv[1]))
		assert len(got) == len(want) > 10, (len(got), len(want))
		for (x, y), rows in zip(got[:-1], want):
		    rows = torch.tensor(rows)
		    assert x.dtype == y.dtype == torch.int64 and x.shape == y.shape == (2, 48)
		    assert torch.equal(x, rows[:, :-1]) and torch.equal(y, rows[:, 1:])
		    assert x.is_contiguous() and y.is_contiguous()
		# the last batch, a partial one, is padded (the next test looks at that)
		x, y = got[-1]
		rows = torch.tensor(want[-1])
		n = int((y != -1).sum())
		assert torch.equal(x, rows[:, :-1]) and torch.equal(y.flatten()[:n], rows[:, 1:].flatten()[:n])
		# mask=True: all targets count in a batch without a mask
		x, y, m = next(iter(BatchDataset(sys.argv[1], mask=True)))
		assert m.dtype == torch.bool and m.shape == (2, 48) and bool(m.all())
	EOF
}

@test "padding: a target the mask marks 0 is -1 in y (nanoGPT's ignore_index); mask=True yields the counted ones" {
	rec-cat pad.rec > want.jsonl
	grep -q '"mask"' want.jsonl
	py pad.rec want.jsonl <<-'EOF'
		import json, sys, torch
		from sluice.pytorch import BatchDataset
		want = [json.loads(l)["batch"] for l in open(sys.argv[2])]
		got = list(BatchDataset(sys.argv[1], mask=True))
		assert len(got) == len(want)
		padded = 0
		for (x, y, m), b in zip(got, want):
		    rows, mask = torch.tensor(b["rows"]), torch.tensor(b["mask"]).bool()
		    assert torch.equal(x, rows[:, :-1])  # inputs as written, padding ids too
		    assert torch.equal(m, mask[:, 1:])  # a target counts when its id is real
		    assert torch.equal(y[m], rows[:, 1:][m]) and bool((y[~m] == -1).all())
		    padded += int((~m).sum())
		assert padded > 0
		# cross_entropy with ignore_index=-1 is the mean over the counted targets
		x, y, m = got[0]
		logits = torch.randn(*y.shape, 300, generator=torch.Generator().manual_seed(1))
		loss = torch.nn.functional.cross_entropy(logits.view(-1, 300), y.view(-1), ignore_index=-1)
		each = torch.nn.functional.cross_entropy(logits[m], y[m], reduction="none")
		assert torch.allclose(loss, each.mean())
	EOF
}

@test "a stream from a pipe or a file object gives the same batches as the file" {
	# the script in a file: standard input is the pipe
	cat > check.py <<-'EOF'
		import io, sys, torch
		from sluice.pytorch import BatchDataset
		want = list(BatchDataset(sys.argv[1]))
		for src in ("-", io.BytesIO(open(sys.argv[1], "rb").read())):
		    ds = BatchDataset(src)
		    assert ds.stream is not None
		    # the header first (train.py sizes its model by it): the stream
		    # is read once, its batches still all there
		    assert ds.header["T"] == 48
		    got = list(ds)
		    assert len(got) == len(want) and all(
		        torch.equal(a, b) for g, w in zip(got, want) for a, b in zip(g, w))
	EOF
	cat b1.rec | "$PY" check.py b1.rec
}

@test "a glob is its files in sorted order; one that matches nothing is an error" {
	py <<-'EOF'
		import torch
		from sluice.pytorch import BatchDataset
		ds = BatchDataset("b*.rec")
		assert ds.inputs == ["b0.rec", "b1.rec", "b2.rec", "b3.rec", "b4.rec"], ds.inputs
		assert ds.header["B"] == 2 and ds.header["T"] == 48
		try:
		    BatchDataset("nothing-*.rec")
		    raise SystemExit("no error")
		except FileNotFoundError as e:
		    assert str(e) == "nothing-*.rec: no file matches", e
	EOF
}

@test "records that are not batches are refused, naming the input and offset" {
	echo hello | rec-pack > text.rec
	run py <<-'EOF'
		from sluice.pytorch import BatchDataset
		list(BatchDataset("text.rec"))
	EOF
	assert_failure
	assert_line --partial "ValueError: text.rec:"
	assert_line --partial ": a text record where a batch was expected (make batches with batchify)"
}

# ---- shares: workers and ranks ---------------------------------------------------

@test "DataLoader with 2 workers over 5 files: worker w reads files w, w+2, ...; every batch once, the same order each time" {
	py "$HELPERS" <<-'EOF'
		import sys; sys.path.insert(0, sys.argv[1])
		from torch_shares import *
		ds = BatchDataset(FILES)
		got = loader(ds, 2)
		assert sorted(got) == sorted(ALL) and len(got) == len(ALL)  # each exactly once
		assert got == interleave([FILES[0::2], FILES[1::2]])  # the shares are the files'
		assert loader(ds, 2) == got  # deterministic, epoch after epoch
		assert loader(ds, 0) == ALL  # no workers: the files in order
	EOF
}

@test "ranks, given or from RANK and WORLD_SIZE (even=False): disjoint shares of files that cover them, also with workers" {
	py "$HELPERS" <<-'EOF'
		import os, sys; sys.path.insert(0, sys.argv[1])
		from torch_shares import *
		seen = []
		for r in range(3):
		    mine = loader(BatchDataset(FILES, rank=r, world_size=3, even=False), 0)
		    assert mine == of(FILES[r::3]), r
		    os.environ.update(RANK=str(r), WORLD_SIZE="3")
		    assert loader(BatchDataset(FILES, even=False), 0) == mine  # torchrun's variables
		    seen += mine
		assert sorted(seen) == sorted(ALL)
		# 2 ranks of 2 workers: part rank * 2 + worker of 4
		os.environ.update(RANK="1", WORLD_SIZE="2")
		one = loader(BatchDataset(FILES, even=False), 2)
		assert one == interleave([FILES[2::4], FILES[3::4]])
		os.environ.update(RANK="0")
		zero = loader(BatchDataset(FILES, even=False), 2)
		assert zero == interleave([FILES[0::4], FILES[1::4]])
		assert sorted(zero + one) == sorted(ALL)
		del os.environ["RANK"], os.environ["WORLD_SIZE"]
		assert loader(BatchDataset(FILES), 0) == ALL  # unset: the whole input
	EOF
}

@test "torch.distributed: an initialised process group's rank and size make the shares" {
	cat > rank.py <<-'EOF'
		import os, sys; sys.path.insert(0, sys.argv[2])
		import torch.distributed as dist
		r = int(sys.argv[1])
		dist.init_process_group("gloo", init_method="file://" + os.path.abspath("pg"), rank=r, world_size=2)
		from torch_shares import *
		ds = BatchDataset(FILES, even=False)
		assert (ds.rank, ds.world_size) == (r, 2)
		assert loader(ds, 0) == of(FILES[r::2]), r
		dist.destroy_process_group()
	EOF
	"$PY" rank.py 0 "$HELPERS" & zero=$!
	"$PY" rank.py 1 "$HELPERS"
	wait $zero
}

@test "split='batches' (even=False): rank r of W takes batches r, r+W, ... (train-step's rule), from a file or its own copy of a pipe" {
	cat > check.py <<-'EOF'
		import sys; sys.path.insert(0, sys.argv[1])
		from torch_shares import *
		whole = of(["b2.rec"])
		parts = [loader(BatchDataset("b2.rec", rank=r, world_size=3, split="batches", even=False), 0)
		         for r in range(3)]
		assert [whole[r::3] for r in range(3)] == parts
		assert loader(BatchDataset("-", rank=1, world_size=3, split="batches", even=False), 0) == whole[1::3]
		# with workers, over several files: still disjoint and covering
		got = loader(BatchDataset(FILES, split="batches"), 2)
		assert sorted(got) == sorted(ALL)
	EOF
	cat b2.rec | "$PY" check.py "$HELPERS"
}

# The oracle of even shares, from the rule the module states: a rank keeps
# as many batches as the rank with the fewest; its parts give up the rest
# one at a time, always from the part with the most left (the last of them
# on a tie).
@test "even shares (the default with several ranks): every rank yields the smallest rank's count, trimmed from its largest parts; it says so once" {
	py "$HELPERS" <<-'EOF'
		import sys; sys.path.insert(0, sys.argv[1])
		from torch_shares import *
		import contextlib, io
		def trimmed(lists, keep):
		    lists = [list(l) for l in lists]
		    while sum(map(len, lists)) > keep:
		        most = max(map(len, lists))
		        i = max(i for i, l in enumerate(lists) if len(l) == most)
		        lists[i].pop()
		    return lists
		for W, workers in ((2, 0), (3, 0), (2, 2), (2, 3)):
		    k = max(workers, 1)
		    parts = W * k
		    share = [of(FILES[p::parts]) for p in range(parts)]
		    keep = min(sum(len(share[r * k + w]) for w in range(k)) for r in range(W))
		    got = []
		    for r in range(W):
		        err = io.StringIO()
		        with contextlib.redirect_stderr(err):
		            mine = loader(BatchDataset(FILES, rank=r, world_size=W), workers)
		        want = interleave_lists(trimmed(share[r * k:(r + 1) * k], keep))
		        assert mine == want, (W, workers, r)
		        assert len(mine) == keep
		        have = sum(len(share[r * k + w]) for w in range(k))
		        if workers == 0:  # (workers write to their own stderr)
		            lines = err.getvalue().splitlines()
		            if have > keep:
		                assert lines == ["sluice.pytorch: rank %d of %d yields %d of its %d batches, as many as every rank has (even=False yields all)" % (r, W, keep, have)], lines
		            else:
		                assert lines == [], lines
		        got += mine
		    assert len(set(got)) == len(got)  # still disjoint
		# the rule on its own, over small counts full of ties
		import random
		from sluice.pytorch import _quotas
		rng = random.Random(7)
		for _ in range(3000):
		    counts = [rng.randrange(6) for _ in range(rng.randrange(1, 6))]
		    keep = rng.randrange(sum(counts) + 1)
		    want = [len(l) for l in trimmed([[0] * c for c in counts], keep)]
		    assert _quotas(counts, keep) == want, (counts, keep, _quotas(counts, keep), want)
		# one rank: nothing left out, whatever the files
		assert loader(BatchDataset(FILES), 2) == loader(BatchDataset(FILES, even=False), 2)
	EOF
}

@test "even shares with split='batches': each part yields floor(M/parts), the last incomplete round left out, from a file or a pipe" {
	cat > check.py <<-'EOF'
		import sys; sys.path.insert(0, sys.argv[1])
		from torch_shares import *
		whole = of(["b2.rec"])
		M = len(whole)
		assert any(M % W for W in (2, 3, 4)), "nothing would be left out: the test shows nothing"
		for W in (2, 3, 4):
		    for r in range(W):
		        got = loader(BatchDataset("b2.rec", rank=r, world_size=W, split="batches"), 0)
		        assert got == whole[r::W][:M // W], (W, r)
		assert loader(BatchDataset("-", rank=1, world_size=3, split="batches"), 0) == whole[1::3][:M // 3]
		# workers too: 2 ranks of 2 workers are 4 parts
		got = [loader(BatchDataset(FILES, rank=r, world_size=2, split="batches"), 2) for r in range(2)]
		n = len(ALL) // 4
		assert len(got[0]) == len(got[1]) == 2 * n
		assert sorted(got[0] + got[1]) == sorted(b for p in range(4) for b in ALL[p::4][:n])
	EOF
	cat b2.rec | "$PY" check.py "$HELPERS"
}

@test "torch.distributed over uneven files: an all_reduce every step on 2 gloo ranks ends (even shares), as many steps on each" {
	cat > ddp.py <<-'EOF'
		import os, sys; sys.path.insert(0, sys.argv[2])
		import torch, torch.distributed as dist
		r = int(sys.argv[1])
		dist.init_process_group("gloo", init_method="file://" + os.path.abspath("pg"), rank=r, world_size=2)
		from torch_shares import *
		steps = 0
		for x, y in torch.utils.data.DataLoader(BatchDataset(FILES), batch_size=None, num_workers=2):
		    t = x.float().sum().reshape(1)
		    dist.all_reduce(t)  # as DDP's backward does: every rank must come
		    steps += 1
		print(steps)
		dist.destroy_process_group()
	EOF
	timeout 120 "$PY" ddp.py 0 "$HELPERS" >steps0 2>err0 & zero=$!
	timeout 120 "$PY" ddp.py 1 "$HELPERS" >steps1 2>err1 || fail "rank 1: $(cat err1)"
	wait $zero || fail "rank 0: $(cat err0)"
	[ "$(cat steps0)" = "$(cat steps1)" ]
	[ "$(cat steps0)" -gt 0 ]
}

@test "even shares of files need files: a stream among the inputs is refused, even=False takes it" {
	run py <<-'EOF'
		from sluice.pytorch import BatchDataset
		BatchDataset(["b0.rec", open("b1.rec", "rb")], rank=0, world_size=2)
	EOF
	assert_failure
	assert_line "ValueError: b1.rec is a stream: even shares of files need files, whose batches can be counted first (write them with batchify -o, use split='batches', or even=False)"
	py <<-'EOF'
		from sluice.pytorch import BatchDataset
		BatchDataset(["b0.rec", open("b1.rec", "rb")], rank=0, world_size=2, even=False)
	EOF
}

@test "more ranks than files with split='files' is refused: a rank without data would hang DDP" {
	run py <<-'EOF'
		from sluice.pytorch import BatchDataset
		BatchDataset(["b0.rec", "b1.rec"], rank=0, world_size=3)
	EOF
	assert_failure
	assert_line "ValueError: 2 inputs for 3 ranks: rank 2 would have none (give at least one file a rank, or split='batches')"
}

@test "a pipe with DataLoader workers is refused with the documented error" {
	for n in 2 1; do # even one: a worker's stdin is /dev/null
		run bash -c "cat b0.rec | '$PY' -c '
import torch
from sluice.pytorch import BatchDataset
for b in torch.utils.data.DataLoader(BatchDataset(\"-\"), batch_size=None, num_workers=$n):
    pass'"
		assert_failure
		assert_line --partial "RuntimeError: <stdin> is a stream (standard input, a pipe or a file object), which only the main process can read: use DataLoader(num_workers=0), or write the batches to files (batchify -o) for workers to share"
	done
}

@test "sluice imports without torch; sluice.pytorch then says what it needs" {
	py <<-'EOF'
		import sys
		sys.modules["torch"] = None  # import torch fails, as where it is not installed
		import sluice
		assert sluice.open("b0.rec").header["kind"] == "batch"
		try:
		    import sluice.pytorch
		    raise SystemExit("sluice.pytorch imported without torch")
		except ImportError as e:
		    assert str(e) == "sluice.pytorch needs PyTorch (python3-torch, or pip install torch)", e
	EOF
}

@test "to_device: the batch's tensors on the device, values unchanged (CPU here; CUDA pins and copies non-blocking)" {
	py <<-'EOF'
		import torch
		from sluice.pytorch import BatchDataset, to_device
		b = next(iter(BatchDataset("pad.rec", mask=True)))
		moved = to_device(b, "cpu")
		assert len(moved) == 3 and all(torch.equal(a, c) and c.device.type == "cpu"
		                               for a, c in zip(b, moved))
	EOF
}

# ---- the example -----------------------------------------------------------------

example_ran() {
	[ ! -f "$BATS_FILE_TMPDIR/make.failed" ] || fail "make SMALL=1: $(cat "$BATS_FILE_TMPDIR/make.out")"
	cd example
}

@test "examples/pytorch-train: SMALL=1 trains train.py from hf-stream | tok-bpe | batchify over a pipe" {
	example_ran
	grep -q 'hf-stream data/train.txt -q | .*tok-bpe encode .*| .*batchify -q -B 4 -T 64 .*| .* train.py ' \
		"$BATS_FILE_TMPDIR/make.out"
	assert_equal "$(jq -s 'map(.step) == [range(1; 21)]' log.jsonl)" true
	# it learns: the last loss well below the first (ln 257 = 5.55)
	jq -s -e '.[0].loss > 5 and .[-1].loss < .[0].loss - 0.5' log.jsonl
	# its model file is llm.c's: train-step starts from it
	train-step --init model.bin --data batches.rec --steps 1 -q -j 2
}

@test "examples/pytorch-train: train.py's losses equal train-step's from the same model file and batches" {
	example_ran
	cat parity.txt
	assert_equal "$(wc -l < parity-c.jsonl) $(wc -l < parity-torch.jsonl)" "8 8"
	# Both compute in float32 on the CPU, with different kernels (OpenBLAS
	# and PyTorch's) that sum in different orders: a loss differs by a few
	# float32 roundings (eps 6e-8), measured at most 1e-7 relative over
	# these steps; 1e-5 leaves that a margin of 100, while a difference in
	# the optimisation moves the losses by more (measured on the next
	# test's batches: weight decay of every tensor, or a cosine 1% off,
	# 3e-4 within six steps; a warmup one step off, 3e-2).
	paste <(jq .loss parity-c.jsonl) <(jq .loss parity-torch.jsonl) |
		awk '{ d = ($1 - $2) / $1; if (d < 0) d = -d; if (d > 1e-5) { print "step " NR ": " $0; bad = 1 } }
		     END { exit bad }'
	# the batches were the same: train.py read them from a pipe of batches.rec
	assert_equal "$(jq -s 'map(.step) == [range(1; 9)]' parity-torch.jsonl)" true
}

@test "train.py and train-step agree with padded batches and every optimizer option changed" {
	"$PY" "$EXAMPLE/train.py" --layers 1 --heads 2 --dim 32 --ctx 40 --vocab 257 --steps 0 --seed 3 --export init.bin
	opts=(--steps 6 --lr 3e-3 --lr-min 1e-4 --warmup 2 --beta1 0.8 --beta2 0.99 --eps 1e-6
		--weight-decay 0.3 --grad-clip 0.5 --device cpu -q)
	train-step --init init.bin --data pad.rec "${opts[@]}" -j 2 --log c.jsonl
	cat pad.rec | "$PY" "$EXAMPLE/train.py" --init init.bin "${opts[@]}" --log torch.jsonl
	# the clipping took part (gradient norms over 0.5), and padding: 3 x 40 targets a batch, fewer counted
	jq -s -e 'map(.grad_norm > 0.5) | all' c.jsonl
	# the tolerance of the test above, for the same reasons
	paste <(jq .loss c.jsonl) <(jq .loss torch.jsonl) |
		awk '{ d = ($1 - $2) / $1; if (d < 0) d = -d; if (d > 1e-5) { print "step " NR ": " $0; bad = 1 } }
		     END { exit bad || NR != 6 }'
}

@test "train.py reads and writes llm.c model files as train-step does, float32 and bfloat16" {
	"$PY" "$EXAMPLE/train.py" --layers 1 --heads 2 --dim 32 --ctx 48 --vocab 257 --steps 0 --export init.bin
	train-step --init init.bin --data b0.rec --steps 2 -q -j 2 --export c.bin
	"$PY" "$EXAMPLE/train.py" --init c.bin --steps 0 --export again.bin
	cmp c.bin again.bin
	# bfloat16: train.py widens it as train-step does (an lr of 0 leaves the model as read)
	train-step --init c.bin --data b0.rec --steps 1 -q --export-dtype bf16 --export bf16.bin
	train-step --init bf16.bin --data b0.rec --steps 1 --lr 0 -q --export c32.bin
	"$PY" "$EXAMPLE/train.py" --init bf16.bin --steps 0 --export torch32.bin
	cmp c32.bin torch32.bin
}
