#!/usr/bin/env bash
# train-step beside PyTorch 1.13 (CPU, the same GPT-2 124M, AdamW and
# clipping): B=4, T=64, two threads; milliseconds a step (the median after
# the first), and train-step's peak RSS.  Target: at most 1.5 s/step.
# llm.c's train_gpt2.c joins when a checkout is at $LLMC_DIR (with its
# gpt2_124M.bin and tinyshakespeare data prepared as its README says).
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
peer=$(/usr/bin/python3 "$BENCH_DIR/torch-gpt2.py" "$TRAIN_STEPS" 4 64 2)
printf '%-34s sluice %7.0f ms   peer %7.0f ms   ratio %5.2fx   (peak RSS %d MB)\n' \
	"GPT-2 124M step, B=4 T=64, 2 threads" "$ours" "$peer" "$(echo "$ours / $peer" | bc -l)" "$(( $(cat "$WORK/rss") / 1024 ))"
if [ -n "${LLMC_DIR:-}" ] && [ -x "$LLMC_DIR/train_gpt2" ]; then
	echo "llm.c: $(cd "$LLMC_DIR" && OMP_NUM_THREADS=2 ./train_gpt2 2>&1 | grep -m3 'took')"
else
	echo "llm.c: no checkout at \$LLMC_DIR; not run"
fi
