#!/usr/bin/env bats
# batchify: packing and padding arithmetic checked against an independent
# oracle (tests/helpers/batch-oracle.py), determinism, a validation split
# that holds under shuffle, llm.c shards in and out against shards written
# by an independent script, and bad input.

load test_helper

oracle() { "$PY" "$HELPERS/batch-oracle.py" "$@"; }
shard() { "$PY" "$HELPERS/llmc-shard.py" "$@"; }
RANKS=$TOP/tests/node/node_modules/gpt-tokenizer/data

# docs N SEED: N documents of random lengths (0 to 40) and ids (< 1000).
docs() {
	"$PY" -c '
import random, sys
rng = random.Random(int(sys.argv[2]))
for _ in range(int(sys.argv[1])):
    n = rng.choice([0, 1, 2, 3, 5, 8, 13, 21, 40, rng.randint(0, 40)])
    print(" ".join(str(rng.randrange(1000)) for _ in range(n)))' "$1" "$2"
}

# records < docs: token records (u16) with a header giving eot and vocab_size,
# each document keyed doc-N.
records() {
	local args=() i=0 line
	while IFS= read -r line; do
		args+=("tokens16@doc-$i:${line// /,}")
		i=$((i + 1))
	done
	mkframes 'header:{"format":"sluice-rec","version":1,"kind":"tokens","dtype":"u16","eot":999,"vocab_size":1000}' "${args[@]}" end
}

@test "packing: batches at document boundaries equal the oracle's, for many B and T" {
	docs 60 1 > docs.txt
	records < docs.txt > in.rec
	for bt in "1 1" "1 7" "2 3" "3 8" "4 16" "8 5" "2 200"; do
		set -- $bt
		batchify -B $1 -T $2 in.rec | rec-cat > got
		oracle $1 $2 999 pack keep < docs.txt > want
		cmp want got || { diff want got | head; fail "B=$1 T=$2"; }
		batchify -B $1 -T $2 --drop-last in.rec | rec-cat > got
		oracle $1 $2 999 pack drop < docs.txt > want
		cmp want got || fail "B=$1 T=$2 --drop-last"
	done
}

@test "packing: documents that already end or start with the eot id are not doubled" {
	printf '1 2 999\n3 4 999\n999 5 6\n\n7\n' > docs.txt
	records < docs.txt > in.rec
	# a document that starts with the eot id after one that ends with it
	# keeps both (they are the documents' own); an empty document is an eot
	run bash -c "batchify -B 1 -T 12 in.rec | rec-cat"
	assert_output '{"type":"batch","batch":{"B":1,"T":12,"rows":[[999,1,2,999,3,4,999,999,5,6,999,999,7]]}}'
	oracle 1 12 999 pack keep < docs.txt | cmp - <(batchify -B 1 -T 12 in.rec | rec-cat)
}

@test "--pad: a document a row, cut or padded, with a mask; the last batch smaller" {
	docs 25 2 > docs.txt
	records < docs.txt > in.rec
	for bt in "1 4" "3 8" "4 30"; do
		set -- $bt
		oracle $1 $2 999 pad keep < docs.txt | cmp - <(batchify --pad -B $1 -T $2 in.rec | rec-cat)
		oracle $1 $2 999 pad drop < docs.txt | cmp - <(batchify --pad --drop-last -B $1 -T $2 in.rec | rec-cat)
	done
}

@test "the header carries B, T, dtype, vocab_size, eot, seed, the split and the lineage" {
	docs 10 3 | records > in.rec
	batchify -B 2 -T 8 --shuffle 4 --seed 7 in.rec > out.rec
	rec-cat --validate out.rec
	assert_equal "$(json_get <(rec-cat --header out.rec) '[j[k] for k in ("kind", "dtype", "B", "T", "vocab_size", "eot", "seed", "split", "packing")]')" \
		'["batch", "u16", 2, 8, 1000, 999, 7, "train", "pack"]'
	assert_equal "$(json_get <(rec-cat --header out.rec) '[s["prog"] for s in j["lineage"]]')" '["batchify"]'
	# from tok-bpe: its header's eot and vocabulary carry through
	printf 'hello world\nagain\n' | tok-bpe encode -t "$RANKS/cl100k_base.tiktoken" | batchify -B 1 -T 4 > cl.rec
	assert_equal "$(json_get <(rec-cat --header cl.rec) '[j["dtype"], j["eot"], j["vocab_size"], j["tokenizer"]]')" \
		'["u32", 100257, 100277, "cl100k_base"]'
}

@test "determinism: the same seed and input give the same bytes; another seed another order" {
	docs 200 4 | records > in.rec
	batchify -B 2 -T 16 --shuffle 50 --seed 1 in.rec > a.rec
	batchify -B 2 -T 16 --shuffle 50 --seed 1 in.rec > b.rec
	cmp a.rec b.rec
	batchify -B 2 -T 16 --shuffle 50 --seed 2 in.rec > c.rec
	! cmp -s <(rec-cat a.rec) <(rec-cat c.rec)
	# a shuffle moves documents, it does not lose or invent any: with --pad
	# and rows as long as the longest, each row is a whole document
	rows() { batchify --pad -B 3 -T 40 --shuffle 50 --seed $1 in.rec | rec-cat | "$PY" -c '
import json, sys
for l in sys.stdin:
    b = json.loads(l)["batch"]
    for row, m in zip(b["rows"], b["mask"]):
        print(" ".join(str(x) for x, k in zip(row, m) if k))' | sort; }
	rows 1 > a.docs
	rows 2 > c.docs
	! cmp -s <(batchify --pad -B 3 -T 40 --shuffle 50 --seed 1 in.rec | rec-cat) <(batchify --pad -B 3 -T 40 --shuffle 50 --seed 2 in.rec | rec-cat)
	cmp a.docs c.docs
	rec-cat in.rec | "$PY" -c '
import json, sys
for l in sys.stdin:
    print(" ".join(str(x) for x in json.loads(l)["tokens"]))' | sort | cmp - a.docs
	# two epochs: twice the documents, each epoch in its own order
	batchify -B 2 -T 16 --shuffle 50 --seed 1 --epochs 2 in.rec > e2.rec
	[ "$(rec-cat e2.rec | wc -l)" -ge "$(( 2 * $(rec-cat a.rec | wc -l) - 1 ))" ]
	assert_equal "$(json_get <(rec-cat --header e2.rec) 'j["epochs"]')" 2
}

@test "the validation split is decided by the document, whatever the shuffle, seed or epochs" {
	docs 300 5 | records > in.rec
	batchify -B 1 -T 40 --pad --val-frac 0.2 --val-out v1.rec -o t1.rec in.rec
	batchify -B 1 -T 40 --pad --shuffle 40 --seed 9 --epochs 2 --val-frac 0.2 --val-out v2.rec -o t2.rec in.rec
	# the same validation documents, in input order both times
	cmp <(rec-cat v1.rec) <(rec-cat v2.rec)
	nv=$(rec-cat v1.rec | wc -l)
	nt=$(rec-cat t1.rec | wc -l)
	[ "$nv" -gt 30 ] && [ "$nv" -lt 100 ]
	[ "$((nv + nt))" -eq 300 ]
	assert_equal "$(json_get <(rec-cat --header v1.rec) 'j["split"]')" val
	# train holds the other documents, twice (two epochs), in another order
	[ "$(rec-cat t2.rec | wc -l)" -eq "$((2 * nt))" ]
	cmp <({ rec-cat t1.rec; rec-cat t1.rec; } | sort) <(rec-cat t2.rec | sort)
	! cmp -s <(rec-cat t1.rec) <(rec-cat t2.rec | head -n "$nt")
	# the same keyed documents in reverse order: the same validation set
	docs 300 5 | tac | "$PY" -c '
import sys
lines = sys.stdin.read().split("\n")[:-1]
print("\n".join(lines))' > rev.txt
	local args=() i=299 line
	while IFS= read -r line; do
		args+=("tokens16@doc-$i:${line// /,}")
		i=$((i - 1))
	done < rev.txt
	mkframes 'header:{"eot":999,"vocab_size":1000}' "${args[@]}" end > rev.rec
	batchify -B 1 -T 40 --pad --val-frac 0.2 --val-out v3.rec -o t3.rec rev.rec
	cmp <(rec-cat v1.rec | sort) <(rec-cat v3.rec | sort)
	cmp <(rec-cat v1.rec) <(rec-cat v3.rec | tac)
}

@test "llm.c shards: --to-bin equals a shard written by llm.c's recipe; --from-bin reads it back" {
	docs 80 6 | sed 's/\b999\b/998/g' > docs.txt
	records < docs.txt > in.rec
	shard want.bin 2 999 < docs.txt
	batchify --to-bin out in.rec
	cmp want.bin out/train_000000.bin
	[ ! -e out/train_000001.bin ]
	# split into shards of 100 ids: the same ids, headers counting each
	batchify --to-bin small --shard-tokens 100 in.rec
	n=$(ls small | wc -l)
	[ "$n" -gt 3 ]
	cat small/*.bin | "$PY" -c '
import struct, sys
data = sys.stdin.buffer.read()
ids = []
while data:
    magic, version, n = struct.unpack("<3i", data[:12])
    assert (magic, version) == (20240520, 1), (magic, version)
    ids += struct.unpack("<%dH" % n, data[1024:1024 + 2 * n])
    data = data[1024 + 2 * n:]
want = open("want.bin", "rb").read()[1024:]
assert struct.pack("<%dH" % len(ids), *ids) == want'
	# reading the shard back gives the batches the records give
	for bt in "2 8" "4 33"; do
		set -- $bt
		cmp <(batchify -B $1 -T $2 --eot 999 --from-bin 'want.bin' | rec-cat) <(batchify -B $1 -T $2 in.rec | rec-cat)
		cmp <(batchify -B $1 -T $2 --eot 999 --from-bin 'small/train_*.bin' | rec-cat) <(batchify -B $1 -T $2 in.rec | rec-cat)
	done
	# u32 shards, version 7
	shard want32.bin 4 999 < docs.txt
	cmp <(batchify -B 2 -T 8 --eot 999 --from-bin want32.bin | rec-cat) <(batchify -B 2 -T 8 in.rec | rec-cat)
	assert_equal "$(json_get <(batchify -B 2 -T 8 --eot 999 --from-bin want32.bin | rec-cat --header) 'j["dtype"]')" u32
	# nanoGPT's raw u16 .bin
	shard raw.bin raw2 999 < docs.txt
	cmp <(batchify -B 2 -T 8 --eot 999 --from-bin raw.bin | rec-cat) <(batchify -B 2 -T 8 in.rec | rec-cat)
	# documents found in a shard by their eot: padding works from shards too
	cmp <(batchify --pad -B 3 -T 10 --eot 999 --from-bin want.bin | rec-cat) \
		<(sed 's/^/999 /; s/ $//' docs.txt | oracle 3 10 999 pad keep)
}

@test "--to-bin with --val-frac writes val shards beside the train shards" {
	docs 100 8 | records > in.rec
	batchify --to-bin out --val-frac 0.3 in.rec
	[ -s out/train_000000.bin ] && [ -s out/val_000000.bin ]
	batchify -B 1 -T 1 --val-frac 0.3 --val-out v.rec -o t.rec in.rec
	cmp <(batchify -B 1 -T 1 --eot 999 --from-bin out/val_000000.bin | rec-cat) <(rec-cat v.rec)
	cmp <(batchify -B 1 -T 1 --eot 999 --from-bin out/train_000000.bin | rec-cat) <(rec-cat t.rec)
}

@test "bad input: an id at or above vocab_size, records that are not tokens, T beyond every document with --pad" {
	mkframes 'header:{"eot":9,"vocab_size":10}' tokens16:1,2,3 tokens16:4,10,5 end > big.rec
	run --separate-stderr batchify -B 1 -T 2 big.rec
	assert_equal "$status" 8
	off=$(mkframes --offsets 'header:{"eot":9,"vocab_size":10}' tokens16:1,2,3 tokens16:4,10,5 end | sed -n 3p)
	assert_equal "$stderr" "batchify: big.rec:$off: token id 10 at or above vocab_size 10"
	rec-pack <<<"some text" > text.rec
	run --separate-stderr batchify text.rec
	assert_equal "$status" 8
	[[ $stderr == "batchify: text.rec:"*": a text record: batchify reads token records" ]]
	docs 10 9 | records > in.rec
	run --separate-stderr batchify --pad -T 100 -o out.rec in.rec
	assert_equal "$status" 2
	assert_equal "$stderr" "batchify: -T 100 with --pad is longer than every document (the longest has 40 ids)"
	[ ! -e out.rec ]
	printf 'garbage' > bad.bin
	head -c 1024 /dev/zero >> bad.bin
	run --separate-stderr batchify --bin-dtype u32 --eot 0 --from-bin bad.bin
	assert_equal "$status" 8
	[[ $stderr == "batchify: bad.bin: neither an llm.c shard"* ]]
	shard s.bin 2 999 < <(docs 5 1)
	size=$(stat -c %s s.bin)
	head -c $((size - 2)) s.bin > cut.bin
	run --separate-stderr batchify --eot 999 --from-bin cut.bin
	assert_equal "$status" 8
	assert_equal "$stderr" "batchify: cut.bin:8: the header says $(( (size - 1024) / 2 )) tokens of 2 bytes, the file holds $((size - 1026)) bytes after it"
	mkframes 'header:{"vocab_size":10}' tokens16:1,2 end > noeot.rec
	run --separate-stderr batchify noeot.rec
	assert_equal "$status" 2
	[[ $stderr == *"give --eot" ]]
	batchify --eot 3 noeot.rec | rec-cat --validate
}

@test "usage errors exit 2" {
	run batchify -B 0
	assert_equal "$status" 2
	run batchify --val-frac 0.1
	assert_equal "$status" 2
	run batchify --val-out x.rec
	assert_equal "$status" 2
	run batchify --epochs 2
	assert_equal "$status" 2
	run batchify --to-bin d --pad
	assert_equal "$status" 2
	run batchify --from-bin '*.bin' x.rec
	assert_equal "$status" 2
	run batchify --from-bin nothing-here-*.bin
	assert_equal "$status" 1
}

@test "--shard I/N: part I packs the documents base/shard.h's rule gives it (every Nth file, else every Nth document)" {
	docs 60 5 > docs.txt
	split -n l/3 -d docs.txt d
	for f in d00 d01 d02; do records < $f > $f.rec; done
	for n in 1 2 3 5 7; do
		for ((i = 0; i < n; i++)); do
			batchify -B 2 -T 8 --shard $i/$n d00.rec d01.rec d02.rec > got.rec
			rec-cat got.rec > got
			shard_cut $i $n d00 d01 d02 | oracle 2 8 999 pack keep > want
			cmp want got || { diff want got | head; fail "part $i/$n"; }
			if [ $n -gt 1 ]; then
				rec-cat --header got.rec | grep -q "\"shard\":\"$i/$n\"" || fail "part $i/$n: no shard in the header"
			fi
		done
	done
	SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=5 batchify -B 2 -T 8 --shard auto d00.rec d01.rec d02.rec | rec-cat > got
	shard_cut 1 5 d00 d01 d02 | oracle 2 8 999 pack keep > want
	cmp want got || fail "--shard auto"
	shard d00.bin 2 999 < d00
	run batchify -B 2 -T 8 --shard 1/2 --from-bin d00.bin
	assert_failure 2
	assert_output --partial "--eot"
}
