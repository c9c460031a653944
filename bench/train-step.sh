#!/usr/bin/env bash
# train-step beside PyTorch 1.13 (CPU, the same GPT-2 124M, AdamW and
# clipping): B=4, T=64, two threads; milliseconds a step (the median after
# the first), and train-step's peak RSS.  Target: at most 1.5 s/step.
#
# llm.c's train_gpt2 (CPU, OpenMP) joins when you have built it yourself in
# your checkout of karpathy/llm.c at $LLMC_DIR (default bench/.work/llm.c),
# on this machine, with llm.c's own Makefile:
#     cd "$LLMC_DIR" && make train_gpt2
# This script never builds or changes llm.c: it runs $LLMC_DIR/train_gpt2 as
# it finds it, fed the same model and tokens; without it, llm.c's line says
# how to build it and only PyTorch's comparison is printed.
#
# Environment: LLMC_DIR (above), TRAIN_STEPS (train-step's and PyTorch's
# steps, default 6), LLMC_TIMEOUT (seconds llm.c may run, default 600).
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
# llm.c's train_gpt2 (CPU, OpenMP) on the same machine, model and data:
# the binary the user built in $LLMC_DIR, given our random GPT-2 124M
# exported in its format and our tokens as its shards, in a directory of its
# own under bench/.work (it reads them from its working directory by fixed
# names); it runs its fixed loop (B=4, T=64), and the median of its steps 1-4
# is taken.
: "${LLMC_DIR:=$WORK/llm.c}"
: "${LLMC_TIMEOUT:=600}"
case $LLMC_DIR in
/*) llmc_bin=$LLMC_DIR/train_gpt2 ;;
*) llmc_bin=$PWD/$LLMC_DIR/train_gpt2 ;;
esac
if [ ! -f "$llmc_bin" ] || [ ! -x "$llmc_bin" ]; then
	echo "llm.c: no $llmc_bin; not run (build it in your llm.c checkout: cd \"$LLMC_DIR\" && make train_gpt2)"
else
	llmc=$WORK/llmc
	mkdir -p "$llmc/dev/data/tinyshakespeare"
	if [ ! -s "$llmc/gpt2_124M.bin" ]; then
		"$SLUICE_BIN/train-step" -q -j2 --model gpt2:124M --steps 1 --lr 0 --lr-min 0 --data "$batches" \
			--export "$llmc/gpt2_124M.bin"
		cat /usr/share/common-licenses/* | "$SLUICE_BIN/rec-pack" |
			"$SLUICE_BIN/tok-bpe" encode -q -t "$RANKS/r50k_base.tiktoken" --eot |
			"$SLUICE_BIN/batchify" -q -B 4 -T 64 --to-bin "$llmc/shards"
		cp "$llmc/shards/train_000000.bin" "$llmc/dev/data/tinyshakespeare/tiny_shakespeare_train.bin"
		cp "$llmc/shards/train_000000.bin" "$llmc/dev/data/tinyshakespeare/tiny_shakespeare_val.bin"
	fi
	# Its output is line-buffered (stdbuf) so that awk sees each step as it
	# ends and can stop it after the fifth; timeout bounds a run that hangs.
	llmc_steps=$(cd "$llmc" || exit; OMP_NUM_THREADS=2 /usr/bin/time -f '%M' -o "$WORK/rss-llmc" \
		timeout -k 10 "$LLMC_TIMEOUT" stdbuf -oL "$llmc_bin" 2>/dev/null |
		awk '/^step [0-9]+: train loss .* \(took [0-9.]+ ms\)/ { n++; if (n > 1) { sub(/.*took /, ""); sub(/ ms.*/, ""); print } if (n == 5) exit }' |
		sort -g)
	if [ "$(printf '%s\n' "$llmc_steps" | grep -c .)" -ne 4 ]; then
		echo "llm.c: $llmc_bin printed fewer than 5 lines \"step N: train loss L (took T ms)\"; not compared"
	else
		llmc_ms=$(printf '%s\n' "$llmc_steps" | awk '{ v[NR] = $1 } END { print (v[2] + v[3]) / 2 }')
		printf '%-34s sluice %7.0f ms   llm.c   %7.0f ms   ratio %5.2fx   (llm.c peak RSS %d MB)\n' \
			"GPT-2 124M step, B=4 T=64, 2 threads" "$ours" "$llmc_ms" "$(echo "$ours / $llmc_ms" | bc -l)" \
			"$(( $(tail -n 1 "$WORK/rss-llmc") / 1024 ))"
	fi
fi
