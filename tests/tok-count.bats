#!/usr/bin/env bats
# tok-bpe count and train --from-counts: the word counts of a corpus, or of
# each of its shards, equal an independent pre-tokenizer's (Python's regex
# module, as GPT-2's own encoder); bounded memory that spills without
# changing a byte; --shard that counts every record once; training from
# the counts of every shard that gives the very tokenizer training on all
# the text does, and HF tokenizers' BpeTrainer's merges; counts past 2^32
# trained as the BPE rule says (an independent writer and trainer); bad
# count files refused in one line.

load test_helper

COUNTS=$TOP/tests/helpers/bpecounts.py
CL100K="(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

setup_file() {
	local d=$BATS_FILE_TMPDIR
	# Documents of many distinct words (enough for sorted runs past a
	# tiny --mem), words longer than the sort's 32-byte prefix sharing
	# it, long runs of spaces and digits, the end-of-text special inside
	# the text; then random documents from every character class.
	"$PY" - > "$d/docs.jsonl" <<-'EOF'
		import json, random
		r = random.Random(7)
		letters = "abcdefghijklmnopqrstuvwxyzéøßж"
		for i in range(6000):
		    ws = []
		    for _ in range(r.randint(5, 50)):
		        k = r.random()
		        if k < 0.6:
		            ws.append(" " + "".join(r.choice(letters) for _ in range(r.randint(1, 9))))
		        elif k < 0.7:
		            ws.append(" " + "q" * r.randint(31, 34) + "".join(r.choice("ab") for _ in range(r.randint(0, 9))))
		        elif k < 0.75:
		            ws.append(" " * r.randint(2, 70) + "z")
		        elif k < 0.8:
		            ws.append(" " + str(r.randint(0, 10 ** r.randint(1, 40))))
		        elif k < 0.82:
		            ws.append("<|endoftext|>")
		        else:
		            ws.append(r.choice([",", ".", " the", " of", "'s", "\n", "\t!", "\r\n"]))
		    print(json.dumps({"text": "".join(ws)}, ensure_ascii=False))
	EOF
	"$PY" "$TOP/tests/helpers/tok-randdocs.py" 600 11 >> "$d/docs.jsonl"
	"$SLUICE_BIN/rec-pack" -J "$d/docs.jsonl" > "$d/docs.rec"
}

DOCS() { echo "$BATS_FILE_TMPDIR/docs.jsonl"; }
DOCS_REC() { echo "$BATS_FILE_TMPDIR/docs.rec"; }

# records FILE: the data frames of a record file and its trailer, not its
# header (whose lineage names the command line).
records() { rec-cat "$1"; }

# The text as documents in several record files, for sharding by file.
split_docs() {
	local n=$1 i
	for ((i = 0; i < n; i++)); do
		awk -v n="$n" -v i="$i" 'NR % n == i' "$(DOCS)" | rec-pack -J > part$i.rec
	done
}

@test "count: the words and counts of an independent pre-tokenizer, sorted by their bytes; header and trailer" {
	tok-bpe count -o c.rec "$(DOCS_REC)"
	"$PY" "$COUNTS" read c.rec > got
	"$PY" "$COUNTS" oracle < "$(DOCS)" > want
	cmp got want
	[ "$(wc -l < got)" -gt 40000 ]
	# words past the sort's 32-byte prefix, many sharing it
	[ "$(grep -c '^20\(71\)\{31\}[0-9a-f]\{2,\} ' got)" -gt 100 ]
	rec-cat --stats c.rec > st.json
	assert_equal "$(json_get st.json 'j["header"]["kind"], j["header"]["bpe_counts"]["specials"], j["header"]["bpe_counts"]["order"]')" '["sample", ["<|endoftext|>"], "bytes"]'
	assert_equal "$(json_get st.json 'j["header"]["bpe_counts"]["pattern"]')" \
		"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
	assert_equal "$(json_get st.json 'j["trailer"]["documents"], j["trailer"]["words"]')" "[$(wc -l < "$(DOCS)"), $(wc -l < want)]"
	assert_equal "$(json_get st.json 'j["trailer"]["pieces"]')" "$(awk '{ s += $2 } END { print s }' want)"
}

@test "count: --pattern and --special change the words as they change train's; plain lines are documents too" {
	tok-bpe count --pattern cl100k --special '<|endoftext|>' --special ' the' "$(DOCS_REC)" > c.rec
	"$PY" "$COUNTS" read c.rec > got
	"$PY" "$COUNTS" oracle --pattern "$CL100K" --special '<|endoftext|>' --special ' the' < "$(DOCS)" > want
	cmp got want
	assert_equal "$(json_get <(rec-cat --stats c.rec) 'j["header"]["bpe_counts"]["specials"]')" '["<|endoftext|>", " the"]'
	printf 'one line\nanother line\n' > lines.txt
	tok-bpe count lines.txt | "$PY" "$COUNTS" read /dev/stdin > got
	printf '{"text": "one line"}\n{"text": "another line"}\n' | "$PY" "$COUNTS" oracle > want
	cmp got want
}

@test "count: the same records whether the counts spill to disk or not, and whatever -j" {
	tok-bpe count -j1 "$(DOCS_REC)" > a.rec
	records a.rec > want
	for args in "-j2" "--mem 1 -j1" "--mem 1 -j2" "--mem 3M -j2" "--mem 0"; do
		tok-bpe count $args --tmpdir "$PWD" "$(DOCS_REC)" > b.rec
		records b.rec | cmp - want || fail "count $args differs"
	done
	# The tiny --mem did spill: with nowhere to spill it fails, while the
	# default fits in memory and needs no temporary file at all.
	run --separate-stderr tok-bpe count --mem 1 --tmpdir "$PWD/none" -o x.rec "$(DOCS_REC)"
	assert_equal "$status" 1
	[[ $stderr == *"$PWD/none"* ]]
	[ ! -e x.rec ]
	tok-bpe count --tmpdir "$PWD/none" "$(DOCS_REC)" | records /dev/stdin | cmp - want
}

@test "count: memory stays near --mem however many distinct words the text holds" {
	[ -z "${SLUICE_SANITIZED:-}" ] || skip "the sanitizers' own memory hides the program's"
	# 1.2 million words, nearly all distinct
	"$PY" -c '
import json, random
r = random.Random(3)
for i in range(12000):
    print(json.dumps({"text": " ".join("w%x" % r.getrandbits(40) for _ in range(100))}))' | rec-pack -J > many.rec
	/usr/bin/time -f %M -o all.kb tok-bpe count -j2 many.rec > a.rec
	/usr/bin/time -f %M -o small.kb tok-bpe count -j2 --mem 8M --tmpdir "$PWD" many.rec > b.rec
	records a.rec | cmp - <(records b.rec)
	# KiB: every word in memory, and 8 MiB asked with the program's own ~10
	[ "$(tail -1 all.kb)" -gt 45000 ] || fail "without --mem: $(tail -1 all.kb) KiB"
	[ "$(tail -1 small.kb)" -lt 30000 ] || fail "--mem 8M: $(tail -1 small.kb) KiB"
}

@test "count --shard I/N: over I = 0..N-1 every record is counted exactly once (N = 1, 2, 3 and more than the files)" {
	split_docs 2
	tok-bpe count part0.rec part1.rec > all.rec
	"$PY" "$COUNTS" read all.rec > want
	sum_shards() {
		"$PY" "$COUNTS" read "$@" | awk '{ s[$1] += $2 } END { for (w in s) print w, s[w] }' | LC_ALL=C sort
	}
	LC_ALL=C sort want > want.sorted
	for n in 1 2 3 5; do
		for ((i = 0; i < n; i++)); do
			tok-bpe count --shard $i/$n part0.rec part1.rec > s$i.rec
		done
		sum_shards $(for ((i = 0; i < n; i++)); do echo s$i.rec; done) | cmp - want.sorted || fail "N=$n"
		# each shard is a proper share, none of them all of it
		if [ $n -gt 1 ]; then
			[ "$(json_get <(rec-cat --stats s0.rec) 'j["trailer"]["documents"]')" -lt "$(wc -l < "$(DOCS)")" ]
		fi
	done
	# by file, with as many files as shards: each reads only its own
	tok-bpe count --shard 1/2 part0.rec part1.rec | rec-cat > a
	tok-bpe count part1.rec | rec-cat | cmp - a
	tok-bpe count --shard 1/2 /nonexistent part1.rec | rec-cat | cmp - a
	# one file, by record: every other document
	tok-bpe count --shard 0/2 "$(DOCS_REC)" | rec-cat > a
	awk 'NR % 2 == 1' "$(DOCS)" | rec-pack -J | tok-bpe count | rec-cat | cmp - a
	# SLUICE_SHARD, and auto from a Slurm array
	SLUICE_SHARD=1/3 tok-bpe count part0.rec part1.rec | rec-cat > a
	tok-bpe count --shard 1/3 part0.rec part1.rec | rec-cat | cmp - a
	SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3 tok-bpe count --shard auto part0.rec part1.rec | rec-cat | cmp - a
}

@test "train --from-counts: the same tokenizer as train on all the text, from the counts of 1 to 4 shards" {
	split_docs 3
	tok-bpe train --vocab-size 2000 -o want.json part0.rec part1.rec part2.rec
	tok-bpe train --vocab-size 2000 -o want.tiktoken part0.rec part1.rec part2.rec
	for n in 1 2 3 4; do
		files=()
		for ((i = 0; i < n; i++)); do
			tok-bpe count --shard $i/$n --mem 1 part0.rec part1.rec part2.rec > s$i.rec
			files+=(s$i.rec)
		done
		tok-bpe train --from-counts --vocab-size 2000 -o got.json "${files[@]}"
		cmp want.json got.json || fail "$n shards: another tokenizer"
		tok-bpe train --from-counts --vocab-size 2000 -o got.tiktoken "${files[@]}"
		cmp want.tiktoken got.tiktoken || fail "$n shards: another rank file"
	done
	assert_equal "$(json_get want.json 'len(j["model"]["merges"])')" 1743
	# the pattern and the specials come from the files
	tok-bpe count --pattern cl100k --special '<|pad|>' part0.rec > c.rec
	tok-bpe train --pattern cl100k --special '<|pad|>' --vocab-size 1000 -o want.json part0.rec
	tok-bpe train --from-counts --vocab-size 1000 -o got.json c.rec
	cmp want.json got.json
	tok-bpe train --from-counts --pattern cl100k --special '<|pad|>' --vocab-size 1000 -o got.json c.rec
	cmp want.json got.json
	tok-bpe train --from-counts --vocab-size 1000 -o got.json - < c.rec
	cmp want.json got.json
}

@test "train --from-counts: the merges equal HF tokenizers' BpeTrainer on the same text, counted in 3 shards" {
	cat /usr/share/common-licenses/* | head -c 300000 | tr -d '\r' > corpus.txt
	node "$TOP/tests/helpers/hf-tok.mjs" train corpus.txt hf.json
	# HF trains on each line with its newline: give tok-bpe the same documents.
	"$PY" "$HELPERS/hf_docs.py" jsonl corpus.txt | rec-pack -J > corpus.rec
	for i in 0 1 2; do tok-bpe count --shard $i/3 corpus.rec > s$i.rec; done
	tok-bpe train --from-counts --vocab-size 100000 --min-frequency 0 -o ours.json s0.rec s1.rec s2.rec
	"$PY" "$HELPERS/hf_docs.py" same-merges hf.json ours.json 3000
}

@test "train --from-counts: counts past 2^32, from an independent writer, train as the BPE rule says" {
	# Pair counts that differ by less than 2^32, and counts that wrap to
	# small numbers in 32 bits: any truncation changes the merge order.
	cat > words.jsonl <<-'EOF'
		[" cat", 3]
		[" the", 5000000000]
		[" then", 4294967297]
		["qq", 1]
		["xy", 8589934593]
		["yx", 8589934592]
		["zz", 1099511627776]
	EOF
	# the same counts split over two files, sorted by the words' bytes
	printf '%s\n' '[" cat", 3]' '[" the", 5000000000]' '["xy", 4294967296]' '["zz", 549755813888]' |
		"$PY" "$COUNTS" write a.rec
	printf '%s\n' '[" then", 4294967297]' '["qq", 1]' '["xy", 4294967297]' '["yx", 8589934592]' '["zz", 549755813888]' |
		"$PY" "$COUNTS" write b.rec
	"$PY" "$COUNTS" bpe 290 < words.jsonl > want.json
	tok-bpe train --from-counts --vocab-size 290 --min-frequency 1 -o got.json a.rec b.rec
	json_get got.json 'j["model"]["merges"]' > got-merges.json
	"$PY" -c '
import json
want, got = json.load(open("want.json")), json.load(open("got-merges.json"))
# z z (2^40) first; x y (2^33 + 1) before y x (2^33); in 32 bits they would be 0, 1 and 0
assert want[0] == ["z", "z"] and want.index(["x", "y"]) < want.index(["y", "x"]), want
assert got == want, (got, want)'
	# a word whose counts sum past 2^64 - 1 is refused
	printf '["zz", 18446744073709551615]\n' | "$PY" "$COUNTS" write max.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json a.rec max.rec
	assert_equal "$status" 8
	[[ $stderr == "tok-bpe: max.rec:"*": the counts of a word sum past 2^64 - 1" ]]
	# pair counts past 2^63 - 1 cannot be trained on, and are refused
	printf '["abc", 4611686018427387904]\n' | "$PY" "$COUNTS" write big.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json big.rec
	assert_error 8 "tok-bpe: the counts are too large: their pairs would count past 2^63 - 1"
	[ ! -e x.json ]
}

@test "train --from-counts: bad count files are refused in one line" {
	printf '["a", 1]\n["b", 2]\n' | "$PY" "$COUNTS" write good.rec
	# truncated
	head -c -8 good.rec > cut.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json cut.rec
	assert_equal "$status" 4
	assert_equal "${#stderr_lines[@]}" 1
	# a record file of another kind
	printf 'a line\n' | rec-pack > text.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json text.rec
	assert_error 8 "tok-bpe: text.rec:0: not a tok-bpe count file (a text stream): make one with tok-bpe count"
	printf '["a", 1]\n' | "$PY" "$COUNTS" write nohead.rec --no-bpe-counts
	run --separate-stderr tok-bpe train --from-counts -o x.json nohead.rec
	assert_error 8 "tok-bpe: nohead.rec:0: not a tok-bpe count file (a sample stream): make one with tok-bpe count"
	# counted with other pre-tokenizers
	printf 'some text\n' > t.txt
	tok-bpe count t.txt > gpt2.rec
	tok-bpe count --pattern cl100k t.txt > cl.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json gpt2.rec cl.rec
	assert_error 8 "tok-bpe: cl.rec:0: counted with the pre-tokenizer pattern cl100k, but gpt2.rec with gpt2: count files to be summed must come from the same pre-tokenizer"
	tok-bpe count --special '<|pad|>' t.txt > pad.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json gpt2.rec pad.rec
	assert_error 8 'tok-bpe: pad.rec:0: counted with the specials ["<|pad|>"], but gpt2.rec with ["<|endoftext|>"]: count files to be summed must cut the same special tokens out'
	# out of order, and a word twice
	printf '["b", 1]\n["a", 2]\n' | "$PY" "$COUNTS" write unsorted.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json unsorted.rec
	assert_error 8 "tok-bpe: unsorted.rec:$(frame_offset unsorted.rec 2): an out-of-order word: count files are sorted by the words' bytes, each word once"
	printf '["a", 1]\n["ab", 1]\n["ab", 2]\n' | "$PY" "$COUNTS" write twice.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json twice.rec
	assert_error 8 "tok-bpe: twice.rec:$(frame_offset twice.rec 3): a repeated word: count files are sorted by the words' bytes, each word once"
	# the shorter word first
	printf '["ab", 1]\n["a", 2]\n' | "$PY" "$COUNTS" write longfirst.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json longfirst.rec
	assert_equal "$status" 8
	# joined with cat instead of named
	cat good.rec good.rec > joined.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json joined.rec
	assert_error 8 "tok-bpe: joined.rec:$(frame_offset joined.rec 4): a second stream: count files are summed by naming each one, not by joining them"
	# a sample that is not a count
	mkframes header:'{"format":"sluice-rec","version":1,"kind":"sample","bpe_counts":{"version":1,"pattern":"x","specials":[],"order":"bytes"}}' \
		'sample:count=\x01\x00,word=a' end > short.rec
	run --separate-stderr tok-bpe train --from-counts -o x.json short.rec
	assert_error 8 "tok-bpe: short.rec:$(frame_offset short.rec 1): a sample record that is not a word count (a sample of \"count\", 8 bytes, and \"word\")"
	[ ! -e x.json ]
}

@test "count and train --from-counts: usage errors exit 2" {
	printf 'some text\n' > t.txt
	tok-bpe count t.txt > c.rec
	for args in "count --mem 12X t.txt" "count --mem -1 t.txt" "count --mem '' t.txt" "count --shard 2/2 t.txt" \
		"count --shard x t.txt" "count --vocab-size 10 t.txt" "count --from-counts t.txt" "count --holdout 0.1 t.txt" \
		"count -t gpt2 t.txt" "train --mem 1G -o x.json t.txt" "train --shard 0/2 -o x.json t.txt" \
		"train --from-counts --holdout 0.1 -o x.json c.rec" "train --from-counts --pattern cl100k -o x.json c.rec" \
		"train --from-counts --special '<|pad|>' -o x.json c.rec" "train --from-counts c.rec" \
		"encode -t gpt2 --from-counts"; do
		eval "run --separate-stderr tok-bpe $args"
		assert_equal "$status" 2 || fail "tok-bpe $args: status $status"
		[[ ${stderr_lines[-1]} == "Try 'tok-bpe --help' for more information." ]] || fail "tok-bpe $args: $stderr"
	done
	run --separate-stderr tok-bpe count --mem 12X t.txt
	[[ ${stderr_lines[0]} == *"--mem"* ]]
	SLUICE_SHARD=bad run --separate-stderr tok-bpe count t.txt
	assert_equal "$status" 2
	[ ! -e x.json ]
}

@test "count: records that are not text are an error naming where, and -o leaves nothing behind" {
	mkframes header 'tokens16:1,2' end > tok.rec
	run --separate-stderr tok-bpe count -o x.rec tok.rec
	assert_error 8 "tok-bpe: tok.rec:$(frame_offset tok.rec 1): a tokens record: tok-bpe count reads text records"
	[ ! -e x.rec ]
	head -c -8 "$(DOCS_REC)" > cut.rec
	run --separate-stderr tok-bpe count -o x.rec cut.rec
	assert_equal "$status" 4
	[ ! -e x.rec ]
}
