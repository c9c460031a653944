#!/usr/bin/env bash
# The Python reader (python/sluice) on batch records, checksums verified:
# from a file (memory-mapped) beside `cat FILE`, and from a pipe beside
# `cat FILE | cat`, on 1 GB of u16 ids (BENCH_BYTES to change it).
# Targets: 2 GB/s of ids from a file, 1 GB/s from a pipe.
# The "reader alone" lines are the reader's own clock (without Python's
# start-up and numpy's import), the median of RUNS runs; bench_pair's
# lines time the whole command, start-up included.
. "$(dirname "$0")/lib.sh"

: "${BENCH_BYTES:=1000000000}"
PY=/usr/bin/python3
input="$WORK/batches-$BENCH_BYTES.rec"
if [ ! -s "$input" ]; then
	"$PY" "$BENCH_DIR/python-records.py" make "$input.tmp" "$BENCH_BYTES"
	mv "$input.tmp" "$input"
fi
"$SLUICE_BIN/rec-cat" -c "$input" || { echo "python-records: rec-cat rejects $input" >&2; exit 1; }
bytes=$(stat -c %s "$input")
echo "python records: $bytes bytes of batch records, $(uptime | sed 's/.*load/load/')"

reader_alone() {
	local name=$1 cmd=$2 i
	for ((i = 0; i < RUNS; i++)); do
		bash -c "$cmd" | sed 's/ GB.*//'
	done | median | xargs printf "%-34s %.2f GB/s of ids (median of $RUNS)\n" "$name"
}
reader_alone "reader alone, file" "'$PY' '$BENCH_DIR/python-records.py' read '$input'"
reader_alone "reader alone, pipe" "cat '$input' | '$PY' '$BENCH_DIR/python-records.py' read -"
bench_pair "python reader (file) vs cat" \
	"'$PY' '$BENCH_DIR/python-records.py' read '$input'" \
	"cat '$input'" "$bytes"
bench_pair "python reader (pipe) vs cat|cat" \
	"cat '$input' | '$PY' '$BENCH_DIR/python-records.py' read -" \
	"cat '$input' | cat" "$bytes"
