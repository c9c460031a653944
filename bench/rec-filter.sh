#!/usr/bin/env bash
# rec-filter beside its peers on English prose (the manual pages of this
# machine, rendered; BENCH_FILTER_BYTES, default 20 MB), in two shapes:
# documents of about 3 KB with their lines and paragraphs ("pages", the
# size of a median FineWeb page), and one-line paragraphs ("paragraphs").
#  - the four quality filters together, one thread, beside the Python
#    implementation of the same rules that the tests use as their oracle
#    (tests/helpers/quality_oracle.py: datatrove's rules, spaCy's English
#    word splitting); target at least 50 MB/s;
#  - the same with two threads beside one, on five copies of the input
#    one after another (about 100 MB), so that what does not divide
#    (starting the process: about 6 ms; reading and writing the stream on
#    the main thread) weighs what it weighs in real runs; target at least
#    1.8x (ratio <= 0.56);
# Language identification is in bench/fasttext-lid.sh.
. "$(dirname "$0")/lib.sh"

: "${BENCH_FILTER_BYTES:=20000000}"
PY=/usr/bin/python3
ALL='--gopher-repetition --gopher-quality --c4 --fineweb'

for shape in pages paragraphs; do
	base=$WORK/filter-$shape-$BENCH_FILTER_BYTES
	[ -s "$base.docs" ] || "$PY" "$BENCH_DIR/make-filter-docs.py" "$shape" "$BENCH_FILTER_BYTES" "$base"
	[ -s "$base.rec" ] || "$SLUICE_BIN/rec-pack" -J "$base.jsonl" > "$base.rec"
	bytes=$(stat -c %s "$base.docs")
	# The same decisions from both, or the comparison means nothing.
	"$SLUICE_BIN/rec-filter" -q -j1 $ALL "$base.rec" | "$SLUICE_BIN/rec-cat" --stats |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["trailer"]["kept"])' > "$WORK/filter-ours"
	"$PY" "$TOP/tests/helpers/quality_oracle.py" $ALL < "$base.docs" | grep -c '^keep' > "$WORK/filter-peer" || true
	cmp -s "$WORK/filter-ours" "$WORK/filter-peer" ||
		{ echo "rec-filter bench: $shape: kept $(cat "$WORK/filter-ours"), the oracle $(cat "$WORK/filter-peer")" >&2; exit 1; }
	RUNS=${ORACLE_RUNS:-1} bench_pair "quality, all four, $shape, 1 thread" \
		"'$SLUICE_BIN/rec-filter' -q -j1 $ALL '$base.rec'" \
		"'$PY' '$TOP/tests/helpers/quality_oracle.py' $ALL --quiet < '$base.docs'" "$bytes"
	[ -s "$base.x5.rec" ] || cat "$base.rec" "$base.rec" "$base.rec" "$base.rec" "$base.rec" > "$base.x5.rec"
	bench_pair "quality, all four, $shape, 2 threads vs 1" \
		"'$SLUICE_BIN/rec-filter' -q -j2 $ALL '$base.x5.rec'" \
		"'$SLUICE_BIN/rec-filter' -q -j1 $ALL '$base.x5.rec'" "$((bytes * 5))"
done

