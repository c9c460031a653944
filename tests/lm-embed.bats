#!/usr/bin/env bats
# lm-embed: vectors against a float64 PyTorch oracle that runs the model
# through gpt2_torch.py and pools on its own (tests/helpers/embed_oracle.py);
# mean and last pooling, windows over a long document, batching; ids and
# metadata from text, JSON and token input; the way into vs-upsert and
# vs-query; bad input.

load test_helper
load helpers/tokservers

teardown() { servers_stop; }

oracle() { "$PY" "$HELPERS/embed_oracle.py" "$@"; }

# model : bytes.json (the 256 bytes and <|endoftext|>) and m.bin, a tiny
# GPT-2 on it (context 16) trained a few steps, so that its hidden states
# are not those of the initialisation.
model() {
	printf 'the cat sat on the mat\nthe dog sat on the log\na bird flew over the house\n' > corpus.txt
	tok-bpe train -q --bytes-only -o bytes.json corpus.txt
	for i in 1 2 3 4 5 6; do cat corpus.txt; done > big.txt
	tok-bpe encode -q -t bytes.json --eot big.txt | batchify -q -B 4 -T 16 -o b.rec
	train-step -q --layers 2 --heads 2 --dim 32 --seed 4 --data b.rec --steps 4 --lr 1e-2 --export m.bin "$@"
}

# docs : docs.txt, documents of 1, 5, 16 (the context), 17 and 61 bytes
# (four windows), and others, with their ids in ids.txt.
docs() {
	{
		echo 'a'
		echo 'hello'
		echo 'sixteen bytes ok'
		echo 'seventeen bytes!!'
		echo 'a much longer document that runs over four windows of context'
		echo 'the cat sat on the mat'
		echo 'the dog sat on the log'
	} > docs.txt
	tok-bpe encode -q -t bytes.json --ids docs.txt > ids.txt
}

# norms FILE : each JSON line's vector length, one a line.
norms() {
	"$PY" -c '
import json, math, sys
for line in open(sys.argv[1]):
    print("%.6f" % math.sqrt(sum(x * x for x in json.loads(line)["vector"])))' "$1"
}

# same_vectors A B TOL : the JSON lines of A and B hold the same ids and
# vectors within TOL.
same_vectors() {
	"$PY" - "$@" <<-'EOF'
		import json, sys
		a = [json.loads(l) for l in open(sys.argv[1])]
		b = [json.loads(l) for l in open(sys.argv[2])]
		assert [x["id"] for x in a] == [x["id"] for x in b], ([x["id"] for x in a], [x["id"] for x in b])
		worst = max(abs(p - q) for x, y in zip(a, b) for p, q in zip(x["vector"], y["vector"]))
		assert len(a) == len(b) and worst <= float(sys.argv[3]), (len(a), len(b), worst)
	EOF
}

@test "mean pooling equals PyTorch's, over windows of the context for long documents; unit length" {
	model
	docs
	run --separate-stderr lm-embed -m m.bin -t bytes.json --format jsonl docs.txt
	assert_success
	assert_equal "$stderr" "lm-embed: 7 vectors (dim 32) from 144 tokens"
	echo "$output" > ours.jsonl
	run oracle m.bin ids.txt ours.jsonl
	echo "$output"
	assert_success
	assert_output --partial "7 vectors"
	[ "$(norms ours.jsonl | sort -u)" = 1.000000 ]
	# the ids are the documents' numbers
	assert_equal "$(json_get <(sed -n 5p ours.jsonl) 'j["id"]')" 4
	# the oracle can tell: a model with another seed is not within 1e-4
	model --seed 5
	run oracle m.bin ids.txt ours.jsonl
	assert_failure
}

@test "--pool last is the last token's state in its final window; --no-normalize keeps the length" {
	model
	docs
	lm-embed -q -m m.bin -t bytes.json --format jsonl --pool last docs.txt > last.jsonl
	run oracle m.bin ids.txt last.jsonl --pool last
	echo "$output"
	assert_success
	lm-embed -q -m m.bin -t bytes.json --format jsonl --pool last --no-normalize docs.txt > raw.jsonl
	run oracle m.bin ids.txt raw.jsonl --pool last --no-normalize
	echo "$output"
	assert_success
	[ "$(norms raw.jsonl | sort -u)" != 1.000000 ]
	lm-embed -q -m m.bin -t bytes.json --format jsonl --no-normalize docs.txt > mean.jsonl
	run oracle m.bin ids.txt mean.jsonl --no-normalize
	assert_success
	# last and mean differ
	run oracle m.bin ids.txt last.jsonl
	assert_failure
}

@test "batches of any size and any thread count give the same vectors" {
	model
	docs
	lm-embed -q -m m.bin -t bytes.json --format jsonl -b 1 -j 1 docs.txt > b1.jsonl
	lm-embed -q -m m.bin -t bytes.json --format jsonl -b 3 -j 2 docs.txt > b3.jsonl
	lm-embed -q -m m.bin -t bytes.json --format jsonl docs.txt > b32.jsonl
	same_vectors b1.jsonl b3.jsonl 1e-6
	same_vectors b1.jsonl b32.jsonl 1e-6
	# many documents, more than one gathering of 8 batches of 3
	for i in $(seq 40); do sed -n "$((i % 7 + 1))p" docs.txt; done > many.txt
	lm-embed -q -m m.bin -t bytes.json --format jsonl -b 3 many.txt > many3.jsonl
	lm-embed -q -m m.bin -t bytes.json --format jsonl -b 1 many.txt > many1.jsonl
	same_vectors many1.jsonl many3.jsonl 1e-6
	assert_equal "$(wc -l < many3.jsonl)" 40
	assert_equal "$(json_get <(sed -n 40p many3.jsonl) 'j["id"]')" 39
}

@test "records: the header describes the vectors; -o writes the file; a checkpoint directory is a model" {
	model --ckpt-dir ck
	docs
	lm-embed -q -m m.bin -t bytes.json -o v.rec docs.txt
	rec-cat -c v.rec
	assert_equal "$(rec-cat -H v.rec | jq -c '[.kind, .dtype, .dim, .metric, .model, .pool, .normalized, .tokenizer]')" \
		'["vector","f32",32,"cosine","m.bin","mean",true,"bytes.json"]'
	assert_equal "$(rec-cat -H v.rec | jq -r .model_config)" "gpt2 L=2 H=2 C=32 T=16 V=257"
	assert_equal "$(rec-cat -H v.rec | jq -r '.lineage[-1].prog')" lm-embed
	# the records hold what the JSON lines hold
	lm-embed -q -m m.bin -t bytes.json --format jsonl docs.txt > v.jsonl
	rec-cat v.rec | jq -c '{id: .key, vector}' > from-rec.jsonl
	same_vectors v.jsonl from-rec.jsonl 0
	# the checkpoint directory's newest checkpoint is the same model
	lm-embed -q -m ck -t bytes.json --format jsonl docs.txt > ck.jsonl
	cmp v.jsonl ck.jsonl
	lm-embed -q -m ck/step-00000004 -t bytes.json --format jsonl docs.txt > ck1.jsonl
	cmp v.jsonl ck1.jsonl
	# a lineage from the input is kept
	rec-pack docs.txt | lm-embed -q -m m.bin -t bytes.json > p.rec
	assert_equal "$(rec-cat -H p.rec | jq -c '[.lineage[].prog]')" '["rec-pack","lm-embed"]'
}

@test "ids and metadata: text keys, JSON fields, token records; --keep-text cuts whole characters" {
	model
	# text records: the key is the id, else the record's number
	mkframes header 'text@doc-a:the cat' 'text:the dog' 'text@doc-c:a bird' end > t.rec
	run --separate-stderr lm-embed -q -m m.bin -t bytes.json --format jsonl t.rec
	assert_success
	assert_equal "$(echo "$output" | jq -r .id | tr '\n' ' ')" "doc-a 1 doc-c "
	assert_equal "$(echo "$output" | jq -c .metadata | sort -u)" null
	# JSON lines: the id field (string or integer), the metadata object,
	# else the other fields; no id: the record's number
	cat > rows.jsonl <<-'EOF'
		{"id": "a1", "text": "the cat sat", "lang": "en", "n": 3}
		{"id": 7, "text": "héllo wörld", "metadata": {"src": "x"}, "other": 1}
		{"text": "the dog"}
	EOF
	lm-embed -q -m m.bin -t bytes.json --format jsonl --keep-text 4 rows.jsonl > rows.out
	assert_equal "$(jq -c '[.id, .metadata]' rows.out)" '["a1",{"lang":"en","n":3,"text":"the "}]
["7",{"src":"x","text":"héll"}]
["2",{"text":"the "}]'
	# the same rows as JSON records from hf-stream: the same points
	hf-stream -q --format json rows.jsonl | lm-embed -q -m m.bin -t bytes.json --format jsonl --keep-text 4 > hf.out
	cmp rows.out hf.out
	# as vector records, the metadata rides along
	lm-embed -q -m m.bin -t bytes.json rows.jsonl | rec-cat | jq -c '[.key, .metadata]' > rec.out
	assert_equal "$(cat rec.out)" '["a1",{"lang":"en","n":3}]
["7",{"src":"x"}]
["2",null]'
	# other field names
	echo '{"doc": "z9", "body": "the cat sat", "text": "unused"}' > named.jsonl
	lm-embed -q -m m.bin -t bytes.json --format jsonl --text-field body --id-field doc named.jsonl > named.out
	assert_equal "$(jq -c '[.id, .metadata]' named.out)" '["z9",{"text":"unused"}]'
	# (the same text, in a batch of its own: the same vector to rounding)
	jq -c 'select(.id == "a1") | {id: "x", vector}' rows.out > a1.out
	jq -c '{id: "x", vector}' named.out > x.out
	same_vectors a1.out x.out 1e-6
	# "content" is the text when there is no "text"
	echo '{"content": "the cat sat"}' > content.jsonl
	lm-embed -q -m m.bin -t bytes.json --format jsonl content.jsonl | jq -c '{id: "x", vector}' > x.out
	same_vectors a1.out x.out 1e-6
	# token records need no tokenizer and give the vectors of their text
	tok-bpe encode -q -t bytes.json t.rec > tok.rec
	lm-embed -q -m m.bin --format jsonl tok.rec > tok.out
	lm-embed -q -m m.bin -t bytes.json --format jsonl t.rec > txt.out
	cmp tok.out txt.out
	# ... and keep their text, decoded, when there is a tokenizer
	assert_equal "$(lm-embed -q -m m.bin -t bytes.json --keep-text 100 --format jsonl tok.rec | jq -r .metadata.text | head -1)" "the cat"
}

@test "into vs-upsert; a query of one document's own text finds that document first" {
	model
	cat > rows.jsonl <<-'EOF'
		{"id": "cat", "text": "the cat sat on the mat", "kind": "animal"}
		{"id": "dog", "text": "the dog sat on the log", "kind": "animal"}
		{"id": "bird", "text": "a bird flew over the house", "kind": "animal"}
		{"id": "car", "text": "my car is parked in the street", "kind": "thing"}
		{"id": "sea", "text": "waves roll onto the sandy beach", "kind": "place"}
	EOF
	lm-embed -q -m m.bin -t bytes.json rows.jsonl | vs-upsert -q --store mem --dim 32
	for doc in cat bird sea; do
		text=$(jq -r "select(.id == \"$doc\") | .text" rows.jsonl)
		run --separate-stderr bash -c "lm-embed -q -m m.bin -t bytes.json --text '$text' | vs-query --store mem -k 3"
		assert_success
		assert_equal "$(echo "${lines[0]}" | jq -r .id)" "$doc"
		assert_equal "$(echo "${lines[0]}" | jq -r .query)" 0
		echo "${lines[0]}" | jq -e '.score > 0.99999'
		[ "$(echo "${lines[0]}" | jq -r .metadata.kind)" != null ]
	done
	# JSON lines go in too
	lm-embed -q -m m.bin -t bytes.json --format jsonl rows.jsonl | vs-upsert -q --store mem2 --dim 32
	lm-embed -q -m m.bin -t bytes.json --format jsonl --text 'the dog sat on the log' > q.jsonl
	assert_equal "$(vs-query --store mem2 -k 1 q.jsonl | jq -r .id)" dog
}

@test "--on-empty skip leaves empty documents out and counts them; --take stops" {
	model
	printf 'the cat\n\nthe dog\n\n\na bird\n' > gaps.txt
	run --separate-stderr lm-embed -m m.bin -t bytes.json --format jsonl --on-empty skip gaps.txt
	assert_success
	assert_equal "$(echo "$output" | jq -r .id | tr '\n' ' ')" "0 2 5 "
	assert_equal "$stderr" "lm-embed: 3 vectors (dim 32) from 20 tokens; 3 empty documents skipped"
	run --separate-stderr lm-embed -m m.bin -t bytes.json --format jsonl --take 2 --on-empty skip gaps.txt
	assert_success
	assert_equal "$(echo "$output" | jq -r .id | tr '\n' ' ')" "0 2 "
	lm-embed -q -m m.bin -t bytes.json -n 1 gaps.txt > one.rec
	assert_equal "$(rec-cat one.rec | wc -l)" 1
}

@test "bad input: one line on stderr and the documented status" {
	model
	printf 'the cat\n' > one.txt
	run --separate-stderr lm-embed -m nope.bin -t bytes.json one.txt
	assert_error 1 "lm-embed: nope.bin: No such file or directory"
	head -c 600 m.bin > short.bin
	run --separate-stderr lm-embed -m short.bin -t bytes.json one.txt
	assert_error 8 "lm-embed: short.bin: too short for a model file header (600 bytes)"
	mkdir empty
	run --separate-stderr lm-embed -m empty -t bytes.json one.txt
	assert_error 1 "lm-embed: empty: neither a checkpoint (no model.bin) nor a directory of checkpoints"
	# an LSTM
	tok-bpe encode -q -t bytes.json --eot big.txt | batchify -q -B 2 -T 8 -o l.rec
	train-step -q --model lstm:1,16 --data l.rec --steps 1 --export lstm.bin
	run --separate-stderr lm-embed -m lstm.bin -t bytes.json one.txt
	assert_error 2 "lm-embed: lstm.bin: an LSTM model: lm-embed embeds with GPT-2 models only"
	# text without a tokenizer
	run --separate-stderr lm-embed -m m.bin one.txt
	assert_error 2 "lm-embed: one.txt:0: a text record needs the model's tokenizer: give -t TOKENIZER"
	echo '{"text": "x"}' | hf-stream -q -t jsonl --format json - > j.rec
	run --separate-stderr lm-embed -m m.bin j.rec
	assert_error 2 "lm-embed: j.rec:$(frame_offset j.rec 1): a JSON record needs the model's tokenizer: give -t TOKENIZER"
	run --separate-stderr lm-embed -m m.bin --text hello
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "lm-embed: --text needs the model's tokenizer: give -t TOKENIZER"
	# a token the model does not know
	mkframes 'header:{"kind":"tokens"}' tokens16:1,2,3 tokens16@big:5,300,7 end > big.rec
	run --separate-stderr lm-embed -m m.bin big.rec
	assert_error 2 "lm-embed: big.rec:$(frame_offset big.rec 2): token id 300 is outside the model's vocabulary of 257"
	# a tokenizer found nowhere
	run --separate-stderr env TIKTOKEN_CACHE_DIR="$PWD/none" SLUICE_DATA_DIR="$PWD/none" HF_HUB_CACHE="$PWD/none" \
		lm-embed -m m.bin -t no-such-tokenizer one.txt
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} == "lm-embed: tokenizer no-such-tokenizer not found: "* ]]
	# a tokenizer larger than the model's vocabulary
	tok-bpe train -q --vocab-size 300 --min-frequency 1 -o wide.json big.txt
	run --separate-stderr lm-embed -m m.bin -t wide.json one.txt
	assert_equal "$status" 2
	[[ ${stderr_lines[0]} == "lm-embed: wide.json: the tokenizer's "*" ids do not fit the model's vocabulary of 257: not the model's tokenizer" ]]
	# an empty document
	mkframes header text:abc text: end > e.rec
	run --separate-stderr lm-embed -m m.bin -t bytes.json e.rec
	assert_error 8 "lm-embed: e.rec:$(frame_offset e.rec 2): an empty document (no tokens); --on-empty skip leaves them out"
	# malformed records and rows
	mkframes header 'vector:1,2' end > v.rec
	run --separate-stderr lm-embed -m m.bin -t bytes.json v.rec
	assert_error 8 "lm-embed: v.rec:$(frame_offset v.rec 1): a vector record: lm-embed reads text, JSON or token records"
	printf '{"id": 1, "text": "ok"}\n{"id": 2, "text": \n' > bad.jsonl
	run --separate-stderr lm-embed -m m.bin -t bytes.json bad.jsonl
	assert_equal "$status" 8
	[[ $stderr == "lm-embed: bad.jsonl:24: not JSON: "* ]]
	echo '{"id": 1, "body": "x"}' > nofield.jsonl
	run --separate-stderr lm-embed -m m.bin -t bytes.json nofield.jsonl
	assert_error 8 "lm-embed: nofield.jsonl:0: no \"text\" field for the text (name it with --text-field)"
	echo '{"id": 1, "text": 5}' > notstr.jsonl
	run --separate-stderr lm-embed -m m.bin -t bytes.json notstr.jsonl
	assert_error 8 "lm-embed: notstr.jsonl:0: the \"text\" field is not a string"
	echo '{"id": [1], "text": "x"}' > badid.jsonl
	run --separate-stderr lm-embed -m m.bin -t bytes.json badid.jsonl
	assert_error 8 "lm-embed: badid.jsonl:0: the \"id\" field is neither a string nor a non-negative integer"
	mkframes header 'json:[1,2]' end > arr.rec
	run --separate-stderr lm-embed -m m.bin -t bytes.json arr.rec
	assert_error 8 "lm-embed: arr.rec:$(frame_offset arr.rec 1): a JSON array, not an object"
	mkframes header 'text:ok \xff' end > utf.rec
	run --separate-stderr lm-embed -m m.bin -t bytes.json utf.rec
	assert_equal "$status" 8
	# a cut stream: no output file is left behind
	mkframes header text:abc text:def end > ok.rec
	head -c 100 ok.rec > cut.rec
	run --separate-stderr lm-embed -m m.bin -t bytes.json -o out.rec cut.rec
	assert_equal "$status" 4
	[ ! -e out.rec ]
	[ -z "$(ls -A | grep -F out.rec)" ]
	# usage
	run --separate-stderr lm-embed -t bytes.json one.txt
	assert_equal "$status" 2
	run --separate-stderr lm-embed -m m.bin --pool max one.txt
	assert_equal "$status" 2
	run --separate-stderr lm-embed -m m.bin --on-empty keep one.txt
	assert_equal "$status" 2
	run --separate-stderr lm-embed -m m.bin -b 0 one.txt
	assert_equal "$status" 2
	run --separate-stderr lm-embed -m m.bin -t bytes.json --text a one.txt
	assert_equal "$status" 2
}

@test "a tokenizer named by Hub model id is fetched as tok-bpe fetches it; offline, the message says how to fetch it" {
	model
	docs
	hub_serve
	mkdir -p hub/models/acme/bytes
	cp bytes.json hub/models/acme/bytes/tokenizer.json
	lm-embed -q -m m.bin -t bytes.json --format jsonl docs.txt > want.jsonl
	run --separate-stderr lm-embed -q -m m.bin -t acme/bytes --format jsonl docs.txt
	assert_success
	assert_equal "$output" "$(cat want.jsonl)"
	[ -L "cache/models--acme--bytes/snapshots/$(cat cache/models--acme--bytes/refs/main)/tokenizer.json" ]
	# a model id not cached, offline: nothing is asked of the Hub
	n=$(wc -l < hub.log)
	run --separate-stderr lm-embed -q -m m.bin -t acme/other --offline docs.txt
	assert_error 1 "lm-embed: acme/other: offline, and the Hub cache ($PWD/cache/models--acme--other) has no tokenizer.json, nor vocab.json and merges.txt, of it at main: run tok-bpe fetch acme/other where there is network (with the same HF_HUB_CACHE), or drop --offline and HF_HUB_OFFLINE"
	HF_HUB_OFFLINE=1 run --separate-stderr lm-embed -q -m m.bin -t acme/other docs.txt
	assert_equal "$status" 1
	assert_equal "$(wc -l < hub.log)" "$n"
}
