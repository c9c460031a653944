#!/usr/bin/env bash
# wds-cat throughput on about BENCH_WDS_BYTES (default 1 GB) of uncompressed
# WebDataset shards of ~10 KB samples (a .txt of 9800 bytes and a .json of
# 200 per sample, 10 shards), single-threaded, beside GNU tar -xOf (which
# only extracts) and cat of the same bytes.  Each runs twice: writing into
# a pipe (how wds-cat is used: its records go to the next program) and to
# /dev/null (where cat only copies from the page cache).
# Target: at least 1 GB/s, and within 1.5x of cat.
. "$(dirname "$0")/lib.sh"

: "${BENCH_WDS_BYTES:=1000000000}"
dir=$WORK/wds-$BENCH_WDS_BYTES
if [ ! -s "$dir/shard-000009.tar" ]; then
	mkdir -p "$dir"
	/usr/bin/python3 - "$dir" "$BENCH_WDS_BYTES" <<'PY'
import io, os, random, sys, tarfile
out, total = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))) for _ in range(5000)]
text = " ".join(rng.choice(words) for _ in range(400000)).encode()
per_shard = total // 10 // 10000
n = 0
for s in range(10):
    with tarfile.open(os.path.join(out, "shard-%06d.tar.tmp" % s), "w", format=tarfile.USTAR_FORMAT) as t:
        for _ in range(per_shard):
            key = "%09d" % n
            off = (n * 7919) % (len(text) - 9800)
            for ext, data in (("txt", text[off:off + 9800]), ("json", b'{"id": %d, "pad": "%s"}' % (n, b"x" * 170))):
                ti = tarfile.TarInfo(key + "." + ext)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            n += 1
    os.rename(os.path.join(out, "shard-%06d.tar.tmp" % s), os.path.join(out, "shard-%06d.tar" % s))
PY
fi
shards="$dir/shard-{000000..000009}.tar"
bytes=$(cat "$dir"/shard-*.tar | wc -c)
echo "wds-cat: $bytes bytes in 10 shards, $("$SLUICE_BIN/wds-cat" -q "$shards" | "$SLUICE_BIN/rec-cat" --stats | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["records"])') samples"
bench_pair "samples into a pipe, beside cat" \
	"'$SLUICE_BIN/wds-cat' -q '$shards' | cat > /dev/null" \
	"cat $dir/shard-*.tar | cat > /dev/null" "$bytes"
bench_pair "samples into a pipe, beside tar -xOf" \
	"'$SLUICE_BIN/wds-cat' -q '$shards' | cat > /dev/null" \
	"for f in $dir/shard-*.tar; do tar -xOf \"\$f\"; done | cat > /dev/null" "$bytes"
bench_pair "--key txt (text records) into a pipe" \
	"'$SLUICE_BIN/wds-cat' -q --key txt '$shards' | cat > /dev/null" \
	"cat $dir/shard-*.tar | cat > /dev/null" "$bytes"
bench_pair "samples to /dev/null, beside cat" \
	"'$SLUICE_BIN/wds-cat' -q '$shards' > /dev/null" \
	"cat $dir/shard-*.tar > /dev/null" "$bytes"
