#!/usr/bin/env bash
# rec-dedup beside the tests' Python oracle on English prose (the manual
# pages of this machine, rendered; BENCH_DEDUP_BYTES, default 20 MB), in
# two shapes: documents of about 3 KB ("pages") and one-paragraph
# documents ("paragraphs"), as bench/rec-filter.sh makes them.
#  - MinHash signatures at the defaults (5-grams, 14 bands x 8 rows),
#    `rec-dedup sign --near` on one thread beside numpy
#    (tests/helpers/minhash_oracle.py --quiet: the same normalisation,
#    shingles, signatures and band keys, vectorised); target 30 MB/s;
#  - exact dedup, the whole run on one thread, beside a Python loop over
#    the same normalisation and XXH3-128 keys in a set; target 200 MB/s;
#  - two threads beside one, for signing (the stage that runs on
#    threads) and for the whole --near run (whose sorting and writing run
#    on one), on five copies of the input one after another (about 100
#    MB), as in bench/rec-filter.sh, and for signing on twenty (about
#    400 MB, where the ~10 ms of starting and committing that one thread
#    does either way is a fortieth of the run, not a tenth); target 1.8x.
#    One thread is timed on each CPU in turn (bench_scaling in lib.sh):
#    a shared machine's two CPUs need not be equally fast.  The
#    signature file goes to memory (BENCH_SIG_DIR, default /dev/shm where
#    it exists): the fsync committing it to disk, a tenth of a second here
#    whatever the thread count, is not what threads can speed up; the row
#    after it times the same with the file on disk.
. "$(dirname "$0")/lib.sh"

: "${BENCH_DEDUP_BYTES:=20000000}"
if [ -z "${BENCH_SIG_DIR:-}" ]; then
	BENCH_SIG_DIR=$WORK
	[ -d /dev/shm ] && [ -w /dev/shm ] && BENCH_SIG_DIR=$(mktemp -d /dev/shm/sluice-bench.XXXXXX)
fi
PY=/usr/bin/python3
HELPERS=$TOP/tests/helpers

for shape in pages paragraphs; do
	base=$WORK/filter-$shape-$BENCH_DEDUP_BYTES
	[ -s "$base.docs" ] || "$PY" "$BENCH_DIR/make-filter-docs.py" "$shape" "$BENCH_DEDUP_BYTES" "$base"
	[ -s "$base.rec" ] || "$SLUICE_BIN/rec-pack" -J "$base.jsonl" > "$base.rec"
	bytes=$(stat -c %s "$base.docs")
	# The same exact decisions from both, or the comparison means nothing.
	kept=$("$SLUICE_BIN/rec-dedup" -q -j1 "$base.rec" | "$SLUICE_BIN/rec-cat" --stats |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["trailer"]["kept"])')
	peer_kept=$("$PY" "$BENCH_DIR/exact-dedup.py" < "$base.docs")
	[ "$kept" = "$peer_kept" ] ||
		{ echo "rec-dedup bench: $shape: kept $kept, the Python loop $peer_kept" >&2; exit 1; }
	RUNS=${ORACLE_RUNS:-1} bench_pair "signatures, $shape, 1 thread" \
		"'$SLUICE_BIN/rec-dedup' sign -q -j1 --near -o '$WORK/dedup.sig' '$base.rec'" \
		"'$PY' '$HELPERS/minhash_oracle.py' -z --quiet < '$base.docs'" "$bytes"
	RUNS=${ORACLE_RUNS:-1} bench_pair "exact, $shape, 1 thread" \
		"'$SLUICE_BIN/rec-dedup' -q -j1 '$base.rec' > /dev/null" \
		"'$PY' '$BENCH_DIR/exact-dedup.py' < '$base.docs'" "$bytes"
	[ -s "$base.x5.rec" ] || cat "$base.rec" "$base.rec" "$base.rec" "$base.rec" "$base.rec" > "$base.x5.rec"
	[ -s "$base.x20.rec" ] || cat "$base.x5.rec" "$base.x5.rec" "$base.x5.rec" "$base.x5.rec" > "$base.x20.rec"
	bench_scaling "signatures, $shape, 2 threads vs 1" \
		"'$SLUICE_BIN/rec-dedup' sign -q -j2 --near -o '$BENCH_SIG_DIR/dedup.sig' '$base.x5.rec'" \
		"'$SLUICE_BIN/rec-dedup' sign -q -j1 --near -o '$BENCH_SIG_DIR/dedup.sig' '$base.x5.rec'" "$((bytes * 5))"
	bench_scaling "  the same, 4x the input" \
		"'$SLUICE_BIN/rec-dedup' sign -q -j2 --near -o '$BENCH_SIG_DIR/dedup.sig' '$base.x20.rec'" \
		"'$SLUICE_BIN/rec-dedup' sign -q -j1 --near -o '$BENCH_SIG_DIR/dedup.sig' '$base.x20.rec'" "$((bytes * 20))"
	bench_scaling "  the same, the file on disk" \
		"'$SLUICE_BIN/rec-dedup' sign -q -j2 --near -o '$WORK/dedup.sig' '$base.x5.rec'" \
		"'$SLUICE_BIN/rec-dedup' sign -q -j1 --near -o '$WORK/dedup.sig' '$base.x5.rec'" "$((bytes * 5))"
	bench_scaling "--near run, $shape, 2 threads vs 1" \
		"'$SLUICE_BIN/rec-dedup' -q -j2 --near '$base.x5.rec' > /dev/null" \
		"'$SLUICE_BIN/rec-dedup' -q -j1 --near '$base.x5.rec' > /dev/null" "$((bytes * 5))"
done
rm -f "$WORK/dedup.sig" "$BENCH_SIG_DIR/dedup.sig"
case $BENCH_SIG_DIR in /dev/shm/sluice-bench.*) rmdir "$BENCH_SIG_DIR" ;; esac
