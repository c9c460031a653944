#!/usr/bin/env bash
# hf-stream's readers beside DuckDB (single-threaded) on the same data:
# the text column of a parquet file of real prose in 1000-row row groups
# (snappy, then zstd), and the same rows as JSON lines and as CSV.
# hf-stream writes text records to /dev/null; DuckDB copies the column to
# /dev/null as CSV.  BENCH_BYTES sets the amount of text (default 1 GB).
# Target: at least DuckDB's throughput (ratio <= 1.00).  DuckDB reads the CSV
# with parallel=false: its parallel scanner (even on one thread) misreads
# quoted fields that span lines in this file.
. "$(dirname "$0")/lib.sh"

: "${BENCH_BYTES:=1000000000}"
make -s -C "$TOP" test-deps >&2
duck() { node "$TOP/tests/helpers/duck.mjs" "$@"; }

for codec in snappy zstd; do
	f="$WORK/text-$BENCH_BYTES-$codec.parquet"
	[ -s "$f" ] || node "$BENCH_DIR/make-text-parquet.mjs" "$f" "$BENCH_BYTES" "$codec"
done
base="$WORK/text-$BENCH_BYTES"
[ -s "$base.jsonl" ] || duck "COPY (SELECT text FROM '$base-snappy.parquet') TO '$base.jsonl' (FORMAT json)"
[ -s "$base.csv" ] || duck "COPY (SELECT text FROM '$base-snappy.parquet') TO '$base.csv' (HEADER)"
text_bytes=$(duck "SELECT sum(strlen(text))::BIGINT AS n FROM '$base-snappy.parquet'" | sed 's/[^0-9]//g')
echo "hf-stream: $text_bytes bytes of text; MB/s below are of text"
echo "(the peer's times include starting node and DuckDB: $(time_once "node '$TOP/tests/helpers/duck.mjs' 'SELECT 1'" | cut -c1-5) s)"

# The same rows come out of both (checked on the first thousand).
cmp <("$SLUICE_BIN/hf-stream" -q --take 1000 "$base-zstd.parquet" | "$SLUICE_BIN/rec-cat" --text) \
	<(duck "SELECT text FROM '$base-zstd.parquet' LIMIT 1000" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    print(json.loads(line)["text"])') || { echo "hf-stream bench: outputs differ" >&2; exit 1; }

for codec in snappy zstd; do
	bench_pair "parquet ($codec) text column" \
		"'$SLUICE_BIN/hf-stream' -q '$base-$codec.parquet'" \
		"node '$TOP/tests/helpers/duck.mjs' \"COPY (SELECT text FROM '$base-$codec.parquet') TO '/dev/null' (FORMAT csv)\"" \
		"$text_bytes"
done
bench_pair "jsonl text field" \
	"'$SLUICE_BIN/hf-stream' -q '$base.jsonl'" \
	"node '$TOP/tests/helpers/duck.mjs' \"COPY (SELECT text FROM read_json('$base.jsonl')) TO '/dev/null' (FORMAT csv)\"" \
	"$text_bytes"
bench_pair "csv text column" \
	"'$SLUICE_BIN/hf-stream' -q '$base.csv'" \
	"node '$TOP/tests/helpers/duck.mjs' \"COPY (SELECT text FROM read_csv('$base.csv', header=true, columns={'text': 'VARCHAR'}, parallel=false)) TO '/dev/null' (FORMAT csv)\"" \
	"$text_bytes"
