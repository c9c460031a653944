#!/usr/bin/env bash
# tok-bpe beside its peers on the same English prose (the manual pages of
# this machine, paragraph by paragraph; BENCH_TOK_BYTES, default 100 MB):
#  - encode, single-threaded, beside tiktoken-rs (npm tiktoken-rs-node) for
#    r50k, cl100k and o200k; target at least 4x tiktoken's throughput
#    (ratio <= 0.25);
#  - encode with two threads beside one; target at least 1.8x (ratio <= 0.56);
#  - train to a 32k vocabulary beside SentencePiece's spm_train
#    --model_type=bpe (BENCH_TRAIN_BYTES, default the same text); target at
#    least 5x faster (ratio <= 0.20).
. "$(dirname "$0")/lib.sh"

: "${BENCH_TOK_BYTES:=100000000}"
: "${BENCH_TRAIN_BYTES:=$BENCH_TOK_BYTES}"
make -s -C "$TOP" test-deps >&2
command -v spm_train >/dev/null || { echo "tok-bpe bench: no spm_train (apt-get install sentencepiece)" >&2; exit 1; }
RANKS=$TOP/tests/node/node_modules/gpt-tokenizer/data
corpus=$WORK/english-$BENCH_TOK_BYTES.jsonl
[ -s "$corpus" ] || bash "$BENCH_DIR/make-english.sh" "$corpus" "$BENCH_TOK_BYTES"
[ -s "$corpus.rec" ] || "$SLUICE_BIN/rec-pack" -J "$corpus" > "$corpus.rec"
bytes=$("$SLUICE_BIN/rec-cat" --text "$corpus.rec" | wc -c)
stat() { "$SLUICE_BIN/rec-cat" --stats | /usr/bin/python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
echo "tok-bpe: $bytes bytes of English text in $(stat '["records"]' < "$corpus.rec") documents"

for e in r50k_base cl100k_base o200k_base; do
	# The same number of tokens from both, or the comparison means nothing.
	ours=$("$SLUICE_BIN/tok-bpe" encode -q -t "$RANKS/$e.tiktoken" "$corpus.rec" | stat '["tokens"]')
	peer=$(node "$BENCH_DIR/tiktoken-encode.mjs" "$corpus" "$e")
	[ "$ours" = "$peer" ] || { echo "tok-bpe bench: $e: $ours tokens, tiktoken $peer" >&2; exit 1; }
	bench_pair "encode $e, 1 thread" \
		"'$SLUICE_BIN/tok-bpe' encode -q -j1 -t '$RANKS/$e.tiktoken' '$corpus.rec'" \
		"node '$BENCH_DIR/tiktoken-encode.mjs' '$corpus' $e" "$bytes"
done
bench_pair "encode cl100k, 2 threads vs 1" \
	"'$SLUICE_BIN/tok-bpe' encode -q -j2 -t '$RANKS/cl100k_base.tiktoken' '$corpus.rec'" \
	"'$SLUICE_BIN/tok-bpe' encode -q -j1 -t '$RANKS/cl100k_base.tiktoken' '$corpus.rec'" "$bytes"

train=$WORK/english-$BENCH_TRAIN_BYTES.jsonl
[ -s "$train" ] || bash "$BENCH_DIR/make-english.sh" "$train" "$BENCH_TRAIN_BYTES"
[ -s "$train.txt" ] || "$SLUICE_BIN/rec-pack" -J "$train" | "$SLUICE_BIN/rec-cat" --text > "$train.txt"
RUNS=${TRAIN_RUNS:-1} bench_pair "train 32k vocab, 2 threads" \
	"'$SLUICE_BIN/tok-bpe' train -q -j2 --vocab-size 32000 -o '$WORK/tok.json' '$train.txt'" \
	"spm_train --input='$train.txt' --model_prefix='$WORK/spm' --model_type=bpe --vocab_size=32000 --num_threads=2 --minloglevel=2 --input_sentence_size=100000000 --max_sentence_length=100000" \
	"$(wc -c < "$train.txt")"
