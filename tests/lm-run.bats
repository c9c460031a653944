#!/usr/bin/env bats
# lm-run: generation against greedy decoding in a float64 PyTorch oracle
# that recomputes the whole prefix (tests/helpers/lm_oracle.py), so the key/
# value cache and the context sliding are checked; scoring against the same
# oracle's log-probabilities; sampling options; text through a tokenizer;
# the char LSTM; bad input.

load test_helper
load helpers/tokservers

teardown() { servers_stop; }

TINY="--layers 2 --heads 2 --dim 32"
oracle() { "$PY" "$HELPERS/lm_oracle.py" "$@"; }

# model FILE [ARGS] : a tiny GPT-2 (ctx 16, vocab 101), trained a few steps
# on random batches so that its logits are not those of the initialisation.
model() {
	local out=$1
	shift
	"$PY" "$HELPERS/train-batches.py" 2 16 101 3 11 > train.rec
	train-step -q $TINY --seed 4 --data train.rec --steps 3 --lr 1e-2 --export "$out" "$@"
}

# ids2rec ID... : one token record of the ids (u16), keyed "p".
ids2rec() {
	mkframes 'header:{"kind":"tokens","dtype":"u16","vocab_size":101}' "tokens16:$(IFS=,; echo "$*")" end
}

@test "greedy generation equals a full recomputation in PyTorch, past the context too" {
	model m.bin
	ids2rec 5 17 42 > p.rec
	# 30 new tokens from a 3-token prompt: past the context of 16, where
	# lm-run keeps the newest half and the oracle the newest 16
	run --separate-stderr lm-run generate -m m.bin --temperature 0 -n 12 --format jsonl p.rec
	assert_success
	ours=$(json_get <(echo "$output") '" ".join(map(str, j["ids"]))')
	assert_equal "$ours" "$(oracle greedy m.bin 12 5 17 42)"
	assert_equal "$(json_get <(echo "$output") 'j["stop"]')" length
	# --top-k 1 is greedy too, whatever the temperature and seed
	lm-run generate -m m.bin --top-k 1 --temperature 2 --seed 9 -n 12 p.rec > k1.txt
	lm-run generate -m m.bin --temperature 0 -n 12 p.rec > greedy.txt
	cmp k1.txt greedy.txt
	assert_equal "$(cat greedy.txt)" "5 17 42 $ours"
}

@test "generation past the context keeps the newest half and goes on from there" {
	model m.bin
	ids2rec 5 17 42 > p.rec
	lm-run generate -m m.bin --temperature 0 -n 30 --completion-only p.rec > ours.txt
	read -ra got < ours.txt
	[ "${#got[@]}" -eq 30 ]
	# the first 13 fit in the context of 16 and are plain greedy
	assert_equal "${got[*]:0:13}" "$(oracle greedy m.bin 13 5 17 42)"
	# then the decoder was refilled with the newest 8 tokens: from there,
	# each token is greedy given at most the tokens since that refill
	seq=(5 17 42 "${got[@]:0:13}")
	tail=("${seq[@]: -8}")
	next=$(oracle greedy m.bin 1 "${tail[@]}")
	assert_equal "${got[13]}" "$next"
}

@test "sampling: the same seed the same text, another seed another; top-p and top-k limit the draw" {
	model m.bin
	ids2rec 1 2 3 > p.rec
	lm-run generate -m m.bin -n 40 --seed 1 --ignore-eot p.rec > a.txt
	lm-run generate -m m.bin -n 40 --seed 1 --ignore-eot p.rec > b.txt
	lm-run generate -m m.bin -n 40 --seed 2 --ignore-eot p.rec > c.txt
	cmp a.txt b.txt
	! cmp -s a.txt c.txt
	# --samples 3 gives three different continuations of one prompt
	run lm-run generate -m m.bin -n 20 --seed 1 --samples 3 --completion-only p.rec
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" != "${lines[1]}" ] && [ "${lines[1]}" != "${lines[2]}" ]
	# a tiny top-p keeps only the most likely token: greedy
	lm-run generate -m m.bin -n 10 --seed 5 --top-p 1e-9 p.rec > p.txt
	lm-run generate -m m.bin -n 10 --temperature 0 p.rec > g.txt
	cmp p.txt g.txt
}

@test "scoring: per-token log-probabilities equal PyTorch's, with the window sliding over a long document" {
	model m.bin
	ids=$("$PY" -c 'import random; r = random.Random(3); print(" ".join(str(r.randrange(101)) for _ in range(40)))')
	read -ra a <<<"$ids"
	ids2rec "${a[@]}" > doc.rec
	run --separate-stderr lm-run score -m m.bin --per-token --no-eot-context doc.rec
	assert_success
	echo "$output" > ours.jsonl
	oracle score m.bin "${a[@]}" > want.txt
	run "$PY" - <<-'EOF'
		import json, math
		j = json.loads(open("ours.jsonl").read())
		want = [float(x) for x in open("want.txt")]
		got = [-b * math.log(2) for b in j["surprisal_bits"]]
		assert j["tokens"] == len(want) == 39, (j["tokens"], len(want))
		worst = max(abs(g - w) for g, w in zip(got, want))
		print("max |diff| of log p", worst)
		assert worst < 1e-4, worst
		loss = -sum(want) / len(want)
		assert abs(j["loss"] - loss) < 1e-5 * loss, (j["loss"], loss)
		assert abs(j["ppl"] - math.exp(j["loss"])) < 1e-9 * j["ppl"]
	EOF
	echo "$output"
	assert_success
	# with the end-of-text context (the default), every token is scored
	run --separate-stderr lm-run score -m m.bin --eot 100 doc.rec
	assert_success
	assert_equal "$(json_get <(echo "$output") 'j["tokens"]')" 40
	assert_equal "${stderr_lines[0]}" "lm-run: 1 documents, 40 tokens scored: loss $(json_get <(echo "$output") '"%.4f" % j["loss"]'), perplexity $(json_get <(echo "$output") '"%.3f" % j["ppl"]')"
	# as vector records: the surprisals, the loss in the metadata
	lm-run score -m m.bin --eot 100 --format records doc.rec > s.rec
	rec-cat s.rec > s.json
	assert_equal "$(json_get s.json 'len(j["vector"])')" 40
	assert_equal "$(json_get s.json 'j["metadata"]["tokens"]')" 40
}

@test "text in and out through a tokenizer; --stop cuts the text; the char LSTM generates too" {
	printf 'the cat sat on the mat\nthe dog sat on the log\n' > corpus.txt
	tok-bpe train --bytes-only -o bytes.json corpus.txt
	for i in 1 2 3 4 5 6 7 8; do cat corpus.txt; done > big.txt
	tok-bpe encode -t bytes.json --eot big.txt | batchify -q -B 4 -T 16 -o chars.rec
	train-step -q --model lstm:1,32 --data chars.rec --steps 60 --lr 1e-2 --ckpt-dir ck
	run --separate-stderr lm-run generate -m ck -t bytes.json -p 'the ' -n 40 --temperature 0
	assert_success
	[[ $output == "the "* ]]
	[ "${#output}" -gt 4 ]
	# text before a stop string only
	run --separate-stderr lm-run generate -m ck -t bytes.json -p 'the ' -n 40 --seed 3 --stop 'a' --format jsonl
	assert_success
	text=$(json_get <(echo "$output") 'j["text"]')
	[[ $text != *a* ]]
	# ... and the stop reason says why it ended
	[[ $(json_get <(echo "$output") 'j["stop"]') =~ ^(stop|eot|length)$ ]]
	# the LSTM's scores are per token too: the training text is likely
	run --separate-stderr lm-run score -m ck -t bytes.json corpus.txt
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	assert_equal "$(json_get <(echo "${lines[0]}") 'j["tokens"]')" 22
	json_get <(echo "${lines[0]}") 'j["loss"] < 2.5 or sys.exit("loss %s" % j["loss"])'
}

@test "bad input: one line on stderr and the documented status" {
	model m.bin
	run --separate-stderr lm-run generate -m nope.bin -n 3
	assert_error 1 "lm-run: nope.bin: No such file or directory"
	head -c 600 m.bin > short.bin
	run --separate-stderr lm-run generate -m short.bin -n 3
	assert_error 8 "lm-run: short.bin: too short for a model file header (600 bytes)"
	mkframes header text:hello end > t.rec
	run --separate-stderr lm-run generate -m m.bin -n 3 t.rec
	assert_error 8 "lm-run: t.rec:$(frame_offset t.rec 1): a text record: lm-run reads token records (give -t TOKENIZER for text)"
	ids2rec 1 2 500 > big.rec
	run --separate-stderr lm-run generate -m m.bin -n 3 big.rec
	assert_error 2 "lm-run: big.rec:$(frame_offset big.rec 1): token id 500 is outside the model's vocabulary of 101"
	run --separate-stderr lm-run generate -m m.bin -p hello
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "lm-run: --prompt and --stop are text: give -t TOKENIZER"
	# a tokenizer found nowhere is an I/O error, as in tok-bpe and lm-embed
	run --separate-stderr env TIKTOKEN_CACHE_DIR="$PWD/none" SLUICE_DATA_DIR="$PWD/none" HF_HUB_CACHE="$PWD/none" \
		lm-run generate -m m.bin -t no-such-tokenizer -p hello
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} == "lm-run: tokenizer no-such-tokenizer not found: "* ]]
	# one with more ids than the model has (256 bytes and an end-of-text > 101) is not its tokenizer
	printf 'the cat\n' > c.txt
	tok-bpe train -q --bytes-only -o bytes.json c.txt
	run --separate-stderr lm-run generate -m m.bin -t bytes.json -p hello
	assert_equal "$status" 2
	assert_equal "$stderr" "lm-run: bytes.json: the tokenizer's 257 ids do not fit the model's vocabulary of 101: not the model's tokenizer"
	run --separate-stderr lm-run speak -m m.bin
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "lm-run: unknown command 'speak' (generate or score)"
	run --separate-stderr lm-run score -m m.bin --temperature 0
	assert_equal "$status" 2
	run --separate-stderr lm-run generate -m m.bin --top-p 0
	assert_equal "$status" 2
	head -c 100 t.rec > cut.rec
	run --separate-stderr lm-run score -m m.bin cut.rec
	assert_equal "$status" 4
}

@test "a tokenizer named by Hub model id or tiktoken name is fetched as tok-bpe fetches it; offline, the message says how" {
	printf 'the cat sat on the mat\nthe dog sat on the log\n' > corpus.txt
	tok-bpe train -q --bytes-only -o bytes.json corpus.txt
	for i in 1 2 3 4 5 6; do cat corpus.txt; done > big.txt
	tok-bpe encode -q -t bytes.json --eot big.txt | batchify -q -B 4 -T 16 -o b.rec
	train-step -q --layers 2 --heads 2 --dim 32 --seed 4 --data b.rec --steps 4 --lr 1e-2 --export m.bin
	hub_serve
	mkdir -p hub/models/acme/bytes
	cp bytes.json hub/models/acme/bytes/tokenizer.json
	want=$(lm-run generate -q -m m.bin -t bytes.json -p 'the ' -n 8 --temperature 0)
	run --separate-stderr lm-run generate -q -m m.bin -t acme/bytes -p 'the ' -n 8 --temperature 0
	assert_success
	assert_equal "$output" "$want"
	# a tiktoken name, offline and not cached: one line, naming tok-bpe fetch; nothing fetched
	blob_serve
	run --separate-stderr env TIKTOKEN_CACHE_DIR="$PWD/tk" SLUICE_DATA_DIR="$PWD/none" \
		lm-run generate --offline -m m.bin -t r50k_base -p hello
	assert_error 1 "lm-run: tokenizer r50k_base not found, and offline (--offline or HF_HUB_OFFLINE): looked in $PWD/tk/$(tk_name /encodings/r50k_base.tiktoken), $PWD/none/r50k_base.{tiktoken,json}; run tok-bpe fetch r50k_base where there is network (it fills these caches), or go online"
	[ ! -s blob.log ]
	# online it is fetched, and then does not fit this model's 257 ids
	run --separate-stderr env TIKTOKEN_CACHE_DIR="$PWD/tk" lm-run generate -m m.bin -t r50k_base -p hello
	assert_error 2 "lm-run: r50k_base: the tokenizer's 50257 ids do not fit the model's vocabulary of 257: not the model's tokenizer"
	[ -f "tk/$(tk_name /encodings/r50k_base.tiktoken)" ]
}
