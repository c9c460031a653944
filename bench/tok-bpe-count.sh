#!/usr/bin/env bash
# tok-bpe count + train --from-counts beside HF tokenizers' BpeTrainer (the
# Rust library through npm tokenizers, as the tests run it) training on the
# same English text (manual pages, bench/make-english.sh, one paragraph a
# line) at several sizes: wall time and peak memory (/usr/bin/time's %M)
# of each side, their ratios, and how memory grows with the text and with
# its distinct words.  HF holds every word of the corpus, and more, in
# memory while it reads (its issue 1824: over 750 GB for 100 GB of text);
# count holds at most --mem, and train --from-counts the distinct words.
#
#   BENCH_COUNT_TEXT     english (default), or zipf: words drawn from an
#                        unbounded Zipf vocabulary (numpy, s = 1.2), whose
#                        distinct words keep growing with the text, as a
#                        web crawl's do, where the manual pages run out of
#                        new paragraphs at about 14 MB and repeat
#   BENCH_COUNT_SIZES    text sizes in bytes (default 25, 50, 100, 200 MB)
#   BENCH_COUNT_SHARDS   shards counted one after another (default 2)
#   BENCH_COUNT_MEM      count's --mem (default 1G)
#   BENCH_COUNT_PEER_MAX text sizes above this many bytes run ours alone
#                        (default: none), for the sizes whose HF training
#                        would not fit in this machine's memory; their
#                        peer and ratio columns print "-"
#   THREADS              threads for both sides (default 2)
#
# Both sides learn as many merges as HF's defaults make (a vocabulary of
# 30000, its alphabet the characters of the text, no minimum frequency)
# from the same documents (each line with its newline, as HF reads a
# file), and the script checks the merges are the same before it prints.
. "$(dirname "$0")/lib.sh"

: "${BENCH_COUNT_TEXT:=english}"
: "${BENCH_COUNT_SIZES:=25000000 50000000 100000000 200000000}"
: "${BENCH_COUNT_SHARDS:=2}"
: "${BENCH_COUNT_MEM:=1G}"
: "${BENCH_COUNT_PEER_MAX:=}"
: "${THREADS:=2}"
make -s -C "$TOP" test-deps build/tests/count-words >&2
[ -x /usr/bin/time ] || { echo "tok-bpe-count bench: no /usr/bin/time (apt-get install time)" >&2; exit 1; }
TOK=$SLUICE_BIN/tok-bpe

# measure OUT CMD: runs CMD, appends "seconds peak-KiB" to OUT.
measure() {
	/usr/bin/time -f '%e %M' -o "$WORK/time.out" bash -c "set -o pipefail; $2" > /dev/null
	cat "$WORK/time.out" >> "$1"
}
# sum and max of the columns of measure's lines: "seconds peak-MiB".
total() { awk '{ s += $1; if ($2 > m) m = $2 } END { printf "%.2f %.0f\n", s, m / 1024 }' "$1"; }

printf '%-8s %8s %9s | %9s %8s | %9s %8s | %9s %8s | %6s %6s\n' \
	"text MB" "docs" "words" "count s" "peak MB" "train s" "peak MB" "HF s" "peak MB" "time" "mem"
for bytes in $BENCH_COUNT_SIZES; do
	corpus=$WORK/$BENCH_COUNT_TEXT-$bytes.jsonl
	if [ ! -s "$corpus" ] && [ "$BENCH_COUNT_TEXT" = zipf ]; then
		/usr/bin/python3 - "$corpus" "$bytes" <<-'PY'
			import json, sys
			import numpy as np
			rng = np.random.default_rng(0)
			letters = np.array(list("etaoinshrdlucmfwypvbgkjqxz"))
			def word(i):  # the id in base 26, frequent words short
			    out = []
			    while True:
			        out.append(letters[i % 26])
			        i //= 26
			        if not i:
			            return "".join(out)
			made, want = 0, int(sys.argv[2])
			with open(sys.argv[1], "w") as f:
			    while made < want:
			        ids = rng.zipf(1.2, size=100000) - 1
			        words = [word(int(i)) for i in ids]
			        for d in range(0, len(words), 100):
			            text = " ".join(words[d:d + 100])
			            f.write(json.dumps({"text": text}) + "\n")
			            made += len(text) + 1
		PY
	fi
	[ -s "$corpus" ] || bash "$BENCH_DIR/make-english.sh" "$corpus" "$bytes"
	# HF reads a text file line by line, each line with its newline: give
	# count the same documents as records.
	if [ ! -s "$corpus.nl.rec" ]; then
		"$SLUICE_BIN/rec-pack" -J "$corpus" | "$SLUICE_BIN/rec-cat" --text > "$corpus.txt"
		/usr/bin/python3 "$TOP/tests/helpers/hf_docs.py" jsonl "$corpus.txt" | "$SLUICE_BIN/rec-pack" -J > "$corpus.nl.rec"
	fi
	run=$WORK/count-$bytes
	rm -rf "$run" && mkdir -p "$run"
	: > "$run/count" && : > "$run/train" && : > "$run/hf"
	for ((i = 0; i < BENCH_COUNT_SHARDS; i++)); do
		measure "$run/count" "'$TOK' count -q -j$THREADS --mem $BENCH_COUNT_MEM --tmpdir '$run' --shard $i/$BENCH_COUNT_SHARDS -o '$run/c$i.counts' '$corpus.nl.rec'"
	done
	peer=1
	[ -z "$BENCH_COUNT_PEER_MAX" ] || [ "$bytes" -le "$BENCH_COUNT_PEER_MAX" ] || peer=0
	if [ $peer = 1 ]; then
		measure "$run/hf" "RAYON_NUM_THREADS=$THREADS node '$TOP/tests/helpers/hf-tok.mjs' train '$corpus.txt' '$run/hf.json'"
		# HF's alphabet is the characters the text holds, ours all 256
		# bytes and the end-of-text special: as many merges as HF made.
		merges=$(/usr/bin/python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["model"]["merges"]))' "$run/hf.json")
	else
		merges=$((30000 - 256)) # HF's default vocabulary, less its byte alphabet at most
	fi
	measure "$run/train" "'$TOK' train -q --from-counts --vocab-size $((257 + merges)) --min-frequency 0 -o '$run/ours.json' '$run'/c*.counts"
	if [ $peer = 1 ]; then
		/usr/bin/python3 "$TOP/tests/helpers/hf_docs.py" same-merges "$run/hf.json" "$run/ours.json" ||
			{ echo "tok-bpe-count bench: tok-bpe's merges are not HF's" >&2; exit 1; }
	fi
	docs=$("$SLUICE_BIN/rec-cat" --stats "$corpus.nl.rec" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["records"])')
	# distinct words of the shards' union (a C merge: tens of millions of
	# words at the large sizes, where a Python set took longer than training)
	words=$("$TOP/build/tests/count-words" "$run"/c*.counts | cut -d' ' -f2)
	read -r cs cm < <(total "$run/count")
	read -r ts tm < <(total "$run/train")
	mm=$((cm > tm ? cm : tm))
	mb=$(echo "scale=1; $(stat -c %s "$corpus.txt") / 1000000" | bc)
	if [ $peer = 1 ]; then
		read -r hs hm < <(total "$run/hf")
		printf '%-8s %8s %9s | %9s %8s | %9s %8s | %9s %8s | %5.2fx %5.2fx\n' \
			"$mb" "$docs" "$words" "$cs" "$cm" "$ts" "$tm" "$hs" "$hm" \
			"$(echo "($cs + $ts) / $hs" | bc -l)" "$(echo "$mm / $hm" | bc -l)"
	else
		printf '%-8s %8s %9s | %9s %8s | %9s %8s | %9s %8s | %6s %6s\n' \
			"$mb" "$docs" "$words" "$cs" "$cm" "$ts" "$tm" - - - -
	fi
	rm -f "$run"/c*.counts
done
echo "$BENCH_COUNT_TEXT text; count s: all $BENCH_COUNT_SHARDS shards one after another (-j$THREADS each), peak of the largest;"
echo "time: (count + train) / HF; mem: the larger of count's and train's peaks / HF's; words: distinct pre-tokenized words"
