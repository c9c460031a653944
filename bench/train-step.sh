#!/usr/bin/env bash
# train-step beside PyTorch 1.13 (CPU, the same GPT-2 124M, AdamW and
# clipping): B=4, T=64, two threads; milliseconds a step (the median after
# the first), and train-step's peak RSS.  Target: at most 1.5 s/step.
# llm.c's train_gpt2.c joins when a checkout of karpathy/llm.c is at
# $LLMC_DIR: it is built here and fed the same model and tokens.
. "$(dirname "$0")/lib.sh"

: "${TRAIN_STEPS:=6}"
make -s -C "$TOP" test-deps >&2
RANKS=$TOP/tests/node/node_modules/gpt-tokenizer/data
batches=$WORK/batches-124M.rec
if [ ! -s "$batches" ]; then
	cat /usr/share/common-licenses/* | "$SLUICE_BIN/rec-pack" |
		"$SLUICE_BIN/tok-bpe" encode -q -t "$RANKS/r50k_base.tiktoken" --eot |
		"$SLUICE_BIN/batchify" -q -B 4 -T 64 > "$batches"
fi
log=$WORK/train-step.log
rm -f "$log"
/usr/bin/time -f '%M' -o "$WORK/rss" "$SLUICE_BIN/train-step" -q -j2 --model gpt2:124M --steps "$TRAIN_STEPS" \
	--data "$batches" --log "$log"
ours=$(/usr/bin/python3 -c '
import json, statistics, sys
ms = [json.loads(l)["ms"] for l in open(sys.argv[1])]
print(f"{statistics.median(ms[1:]):.0f}")' "$log")
peer=$(/usr/bin/time -f '%M' -o "$WORK/rss-torch" /usr/bin/python3 "$BENCH_DIR/torch-gpt2.py" "$TRAIN_STEPS" 4 64 2)
printf '%-34s sluice %7.0f ms   PyTorch %7.0f ms   ratio %5.2fx   (peak RSS %d MB, PyTorch %d MB)\n' \
	"GPT-2 124M step, B=4 T=64, 2 threads" "$ours" "$peer" "$(echo "$ours / $peer" | bc -l)" \
	"$(( $(cat "$WORK/rss") / 1024 ))" "$(( $(tail -n 1 "$WORK/rss-torch") / 1024 ))"
# llm.c's train_gpt2.c (CPU, OpenMP) on the same machine, model and data:
# built from the checkout at $LLMC_DIR with its Makefile's flags, given our
# random GPT-2 124M exported in its format and our tokens as its shards; it
# runs its fixed loop (B=4, T=64), and the median of its steps 1-4 is taken.
if [ -n "${LLMC_DIR:-}" ] && [ -f "$LLMC_DIR/train_gpt2.c" ]; then
	llmc=$WORK/llmc
	mkdir -p "$llmc/dev/data/tinyshakespeare"
	if [ ! -x "$llmc/train_gpt2" ] || [ "$LLMC_DIR/train_gpt2.c" -nt "$llmc/train_gpt2" ]; then
		gcc -Ofast -march=native -fopenmp -DOMP -Wno-unused-result -I"$LLMC_DIR" \
			-o "$llmc/train_gpt2" "$LLMC_DIR/train_gpt2.c" -lm -lgomp
	fi
	if [ ! -s "$llmc/gpt2_124M.bin" ]; then
		"$SLUICE_BIN/train-step" -q -j2 --model gpt2:124M --steps 1 --lr 0 --lr-min 0 --data "$batches" \
			--export "$llmc/gpt2_124M.bin"
		cat /usr/share/common-licenses/* | "$SLUICE_BIN/rec-pack" |
			"$SLUICE_BIN/tok-bpe" encode -q -t "$RANKS/r50k_base.tiktoken" --eot |
			"$SLUICE_BIN/batchify" -q -B 4 -T 64 --to-bin "$llmc/shards"
		cp "$llmc/shards/train_000000.bin" "$llmc/dev/data/tinyshakespeare/tiny_shakespeare_train.bin"
		cp "$llmc/shards/train_000000.bin" "$llmc/dev/data/tinyshakespeare/tiny_shakespeare_val.bin"
	fi
	llmc_ms=$(cd "$llmc" && OMP_NUM_THREADS=2 /usr/bin/time -f '%M' -o "$WORK/rss-llmc" stdbuf -oL ./train_gpt2 2>/dev/null |
		awk '/^step [0-9]+: train loss/ { n++; if (n > 1) { sub(/.*took /, ""); sub(/ ms.*/, ""); print } if (n == 5) exit }' |
		sort -n | awk '{ v[NR] = $1 } END { print (v[2] + v[3]) / 2 }')
	printf '%-34s sluice %7.0f ms   llm.c   %7.0f ms   ratio %5.2fx   (llm.c peak RSS %d MB)\n' \
		"GPT-2 124M step, B=4 T=64, 2 threads" "$ours" "$llmc_ms" "$(echo "$ours / $llmc_ms" | bc -l)" \
		"$(( $(tail -n 1 "$WORK/rss-llmc") / 1024 ))"
else
	echo "llm.c: no checkout at \$LLMC_DIR (a clone of karpathy/llm.c); not run"
fi
