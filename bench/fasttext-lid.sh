#!/usr/bin/env bash
# fastText language identification (text/fasttext.h, through the test
# driver ft-predict) beside `fasttext predict-prob`, both on one core, on
# about BENCH_LID_BYTES (default 30 MB) of English prose: the licence texts
# in /usr/share/doc/*/copyright and the rendered manual pages, one
# paragraph a line.  The model is shaped like lid.176.ftz: dimension 16,
# subwords of 2 to 4 characters, no word n-grams, hierarchical softmax,
# 176 labels (synthetic: 8 languages of fortune cookies x 22), quantized
# with norms and pruned to 100000 rows.  Target: 20 MB/s at least.
. "$(dirname "$0")/lib.sh"

: "${BENCH_LID_BYTES:=30000000}"
: "${SLUICE_TEST_BIN:=$TOP/build/tests}"
make -s -C "$TOP" test-helpers >&2
text=$WORK/lid-english-$BENCH_LID_BYTES.txt
if [ ! -s "$text" ]; then
	{
		cat /usr/share/common-licenses/* /usr/share/doc/*/copyright 2>/dev/null || true
		for f in /usr/share/man/man1/* /usr/share/man/man3/* /usr/share/man/man5/* /usr/share/man/man8/*; do
			[ -f "$f" ] && { mandoc -T ascii "$f" 2>/dev/null | col -bx || true; }
		done
	} | /usr/bin/python3 -c '
import sys
want, made = int(sys.argv[1]), 0
para = []
for raw in sys.stdin.buffer:
    line = raw.strip()
    if line:
        para.append(line)
        continue
    if para:
        p = b" ".join(para)
        para = []
        if len(p) > 20:
            sys.stdout.buffer.write(p + b"\n")
            made += len(p) + 1
            if made >= want:
                break
' "$BENCH_LID_BYTES" > "$text.tmp"
	mv "$text.tmp" "$text"
fi
model=$WORK/lid176-like.ftz
if [ ! -s "$model" ]; then
	/usr/bin/python3 "$TOP/tests/helpers/ft_corpus.py" 1000 0 "$WORK/lid-train.txt.tmp" /dev/null
	awk '{ sp = index($0, " "); printf "%s%d%s\n", substr($0, 1, sp - 1), NR % 22, substr($0, sp) }' \
		"$WORK/lid-train.txt.tmp" > "$WORK/lid-train.txt"
	fasttext supervised -input "$WORK/lid-train.txt" -output "$WORK/lid176-like" -dim 16 -minn 2 -maxn 4 \
		-wordNgrams 1 -loss hs -epoch 5 -lr 0.5 -thread 2 -verbose 0
	fasttext quantize -input "$WORK/lid-train.txt" -output "$WORK/lid176-like" -qnorm -cutoff 100000 \
		-thread 2 -verbose 0 > /dev/null
	rm -f "$WORK/lid-train.txt.tmp" "$WORK/lid176-like.bin" "$WORK/lid176-like.vec"
fi
bytes=$(stat -c %s "$text")
echo "fasttext-lid: $bytes bytes, $(wc -l < "$text") lines; $("$SLUICE_TEST_BIN/ft-predict" -i "$model" | head -n 2 | tr '\n' ' ')"
echo "ft-predict's own loop (model loaded, text in memory): $("$SLUICE_TEST_BIN/ft-predict" -t "$model" 3 < "$text")"
bench_pair "top label of each line" \
	"'$SLUICE_TEST_BIN/ft-predict' '$model' 1 < '$text' > /dev/null" \
	"fasttext predict-prob '$model' '$text' 1 > /dev/null" "$bytes"

# The program: rec-filter --lang-model over the same lines as text
# records, keeping one synthetic language (datatrove's rule, all labels
# scored), on one thread and then two.
[ -s "$text.rec" ] || "$SLUICE_BIN/rec-pack" "$text" > "$text.rec"
bench_pair "rec-filter --lang en0, 1 thread" \
	"'$SLUICE_BIN/rec-filter' -q -j1 --lang-model '$model' --lang en0 '$text.rec'" \
	"fasttext predict-prob '$model' '$text' 1 > /dev/null" "$bytes"
# Two threads on three copies one after another, so that starting the
# process and loading the model weigh what they weigh in real runs.
[ -s "$text.x3.rec" ] || cat "$text.rec" "$text.rec" "$text.rec" > "$text.x3.rec"
bench_pair "rec-filter --lang en0, 2 threads vs 1" \
	"'$SLUICE_BIN/rec-filter' -q -j2 --lang-model '$model' --lang en0 '$text.x3.rec'" \
	"'$SLUICE_BIN/rec-filter' -q -j1 --lang-model '$model' --lang en0 '$text.x3.rec'" "$((bytes * 3))"
