#!/usr/bin/env bash
# rec-mix only moves frames: beside `cat` of the same two files, for three
# shapes of record: tiny text records (lines of the licence texts, about 50
# bytes), 4 KB documents and 1 MB token records (u16).  Two inputs of
# BENCH_BYTES/2 each (default 1 GB in all per shape) of the same record
# count, taking turns under all_exhausted, so every record goes out once
# and no input is read twice.  Both write into a pipe.  Target: 1 GB/s.
. "$(dirname "$0")/lib.sh"

: "${BENCH_BYTES:=1000000000}"
half=$((BENCH_BYTES / 2))
PY=/usr/bin/python3

# make_input SHAPE PATH: half of BENCH_BYTES of one shape of record.
make_input() {
	local shape=$1 out=$2
	[ -s "$out" ] && return
	case $shape in
	tiny)
		cat /usr/share/common-licenses/* | grep -v '^$' > "$WORK/mix-seed.txt"
		local seed_bytes reps
		seed_bytes=$(stat -c %s "$WORK/mix-seed.txt")
		reps=$(((half + seed_bytes - 1) / seed_bytes))
		for ((i = 0; i < reps; i++)); do cat "$WORK/mix-seed.txt"; done | head -c "$half" | head -n -1 |
			"$SLUICE_BIN/rec-pack" > "$out.tmp"
		;;
	4k)
		head -c $((half * 3 / 4)) /dev/urandom | base64 -w 4096 | "$SLUICE_BIN/rec-pack" > "$out.tmp"
		;;
	1m)
		# The independent Python writer of the tests: 1 MB u16 token records.
		"$PY" - "$half" > "$out.tmp" <<-'EOF'
			import json, struct, sys
			import numpy as np
			import xxhash
			def frame(ftype, dtype, payload):
			    body = payload + b"\0" * (-len(payload) % 8)
			    head = b"\x89SLR" + struct.pack("<BBHI", ftype, dtype, 0, len(payload))
			    head += struct.pack("<I", xxhash.xxh3_64_intdigest(head) & 0xFFFFFFFF)
			    return head + struct.pack("<Q", xxhash.xxh3_64_intdigest(body)) + body
			out = sys.stdout.buffer
			header = {"format": "sluice-rec", "version": 1, "kind": "tokens", "dtype": "u16",
			          "tokenizer": "gpt2", "vocab_size": 50257, "lineage": []}
			out.write(frame(0x01, 0, json.dumps(header).encode()))
			rng = np.random.default_rng(0)
			n = max(1, int(sys.argv[1]) >> 20)
			for _ in range(n):
			    out.write(frame(0x11, 2, rng.integers(0, 50257, 1 << 19, dtype=np.uint16).tobytes()))
			out.write(frame(0x02, 0, struct.pack("<Q", n)))
		EOF
		;;
	esac
	mv "$out.tmp" "$out"
}

for shape in tiny 4k 1m; do
	a="$WORK/mix-$shape-a-$BENCH_BYTES.rec"
	b="$WORK/mix-$shape-b-$BENCH_BYTES.rec"
	make_input "$shape" "$a"
	[ -s "$b" ] || cp "$a" "$b"
	bytes=$(($(stat -c %s "$a") + $(stat -c %s "$b")))
	records=$("$SLUICE_BIN/rec-cat" --stats "$a" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["records"])')
	echo "rec-mix, $shape records: $bytes bytes, $((2 * records)) records"
	# Every record out once: the counts agree.
	out=$("$SLUICE_BIN/rec-mix" -q --stop all_exhausted "$a" "$b" | "$SLUICE_BIN/rec-cat" --stats |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["records"])')
	[ "$out" = $((2 * records)) ] || { echo "rec-mix: $out records out of $((2 * records))" >&2; exit 1; }
	bench_pair "rec-mix ($shape) vs cat" \
		"'$SLUICE_BIN/rec-mix' -q --stop all_exhausted '$a' '$b' | cat" \
		"cat '$a' '$b' | cat" "$bytes"
done
