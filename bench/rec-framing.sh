#!/usr/bin/env bash
# The cost of the record framing: `rec-pack | rec-cat --text` beside
# `cat | cat` on the same 1 GB of text lines (BENCH_BYTES to change it).
# Target: under 2x.
. "$(dirname "$0")/lib.sh"

: "${BENCH_BYTES:=1000000000}"
input="$WORK/lines-$BENCH_BYTES.txt"
if [ ! -s "$input" ]; then
	# Real prose: the licence texts every Debian system ships, repeated.
	cat /usr/share/common-licenses/* > "$WORK/seed.txt"
	seed_bytes=$(stat -c %s "$WORK/seed.txt")
	reps=$(( (BENCH_BYTES + seed_bytes - 1) / seed_bytes ))
	for ((i = 0; i < reps; i++)); do cat "$WORK/seed.txt"; done | head -c "$BENCH_BYTES" | head -n -1 > "$input.tmp"
	mv "$input.tmp" "$input"
fi
bytes=$(stat -c %s "$input")
lines=$(wc -l < "$input")
echo "rec framing: $bytes bytes, $lines lines"
"$SLUICE_BIN/rec-pack" < "$input" | "$SLUICE_BIN/rec-cat" --text | cmp -s - "$input" ||
	{ echo "rec-framing: round trip differs from the input" >&2; exit 1; }
bench_pair "rec-pack | rec-cat --text vs cat|cat" \
	"'$SLUICE_BIN/rec-pack' < '$input' | '$SLUICE_BIN/rec-cat' --text" \
	"cat '$input' | cat" "$bytes"
