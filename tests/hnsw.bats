#!/usr/bin/env bats
# hnsw: the HNSW index (libcommon/vs/hnsw.c) and its distance kernels
# (libcommon/vs/vdist.c) through tests/helpers/hnsw-tool, with numpy brute
# force (tests/helpers/hnsw_data.py) as the oracle: recall on clustered
# data for each metric, exact answers on tiny sets, deletions, allowed-node
# bitmaps, save and open (mapped and writable) round trips, growing an
# opened index, damaged files (refused at open when the header or size is
# wrong; otherwise searched without harm, and caught by verify and the
# writable open), determinism.

load test_helper

ht() { "$SLUICE_TEST_BIN/hnsw-tool" "$@"; }
hd() { "$PY" "$HELPERS/hnsw_data.py" "$@"; }

# 20k clustered 32-d vectors and 500 queries of the same clusters, made
# once for the file; D is where they live.
setup_file() {
	export D=$BATS_FILE_TMPDIR
	"$PY" "$HELPERS/hnsw_data.py" gen "$D/data.f32" 20000 32 --clusters 100 --queries "$D/q.f32" 500
	"$PY" "$HELPERS/hnsw_data.py" truth "$D/data.f32" "$D/q.f32" 32 10 l2 "$D/truth-l2.i32"
}

# build_l2 INDEX: the l2 index of the shared data, built on 2 threads
# (made once, copied for each test that needs it).  Tests running at the
# same time (bats --jobs) may both build it: each into a name of its own,
# then renamed into place whole.
build_l2() {
	if [ ! -s "$D/l2.hnsw" ]; then
		ht build --dim 32 --metric l2 --efc 100 --threads 2 "$D/data.f32" "$D/l2.hnsw.$BATS_TEST_NUMBER" > /dev/null
		mv "$D/l2.hnsw.$BATS_TEST_NUMBER" "$D/l2.hnsw"
	fi
	cp "$D/l2.hnsw" "$1"
}

@test "vdist kernels agree with a double-precision loop at odd sizes, and with each other bit for bit, pairwise and batched, in every instruction set this CPU has" {
	run ht vdist-check
	assert_success
	refute_output --partial WRONG
	refute_output --partial DIFFERENT
	for d in 1 3 17 127 128 1000; do
		assert_output --partial "portable l2 dim $d: ok"
		assert_output --partial "portable dot dim $d: ok"
		assert_output --partial "bits l2 dim $d: same"
		assert_output --partial "bits dot dim $d: same"
	done
	# the comparison covered more than the portable kernel where the CPU has more
	if grep -q ' avx2 ' /proc/cpuinfo && grep -q ' fma ' /proc/cpuinfo; then
		assert_output --partial "avx2 dot dim 17: ok"
	fi
}

# recall_for METRIC: build on 2 threads, search at ef 64, recall@10 >= 0.95.
recall_for() {
	hd truth "$D/data.f32" "$D/q.f32" 32 10 "$1" truth.i32
	ht build --dim 32 --metric "$1" --efc 100 --threads 2 "$D/data.f32" idx.hnsw
	ht query --ef 64 idx.hnsw "$D/q.f32" > got.txt
	run hd check truth.i32 10 got.txt --min 0.95
	assert_success
	echo "$1: $output" >&3
}

@test "recall@10 >= 0.95 on 20k clustered vectors: l2" { recall_for l2; }
@test "recall@10 >= 0.95 on 20k clustered vectors: dot" { recall_for dot; }
@test "recall@10 >= 0.95 on 20k clustered vectors: cosine" { recall_for cosine; }

@test "tiny sets, smaller than ef: every node is reached and the answers are exact, for each metric" {
	hd gen tiny.f32 50 8 --clusters 3 --seed 3 --queries tq.f32 20
	for m in l2 dot cosine; do
		hd truth tiny.f32 tq.f32 8 10 $m truth.i32
		ht build --dim 8 --metric $m tiny.f32 tiny.hnsw > /dev/null
		ht query --ef 64 tiny.hnsw tq.f32 > got.txt
		run hd check truth.i32 10 got.txt --exact
		assert_success
	done
}

@test "fewer nodes than k: all of them, best first" {
	hd gen five.f32 5 4 --clusters 1 --queries fq.f32 3
	hd truth five.f32 fq.f32 4 10 l2 truth.i32
	ht build --dim 4 five.f32 five.hnsw > /dev/null
	ht query -k 10 five.hnsw fq.f32 > got.txt
	[ "$(wc -w < got.txt)" -eq 15 ]
	run hd check truth.i32 10 got.txt --exact
	assert_success
}

@test "deleted nodes are never returned, and after deleting 30% the rest keep their recall" {
	build_l2 idx.hnsw
	hd ids del.u32 20000 0.3
	ht delete idx.hnsw del.u32
	run ht info idx.hnsw
	assert_line "deleted 6000"
	hd truth "$D/data.f32" "$D/q.f32" 32 10 l2 truth.i32 --exclude del.u32
	ht query --ef 64 idx.hnsw "$D/q.f32" > got.txt
	run hd check truth.i32 10 got.txt --never del.u32 --min 0.95
	assert_success
	echo "after deleting 30%: $output" >&3
}

# filtered FRACTION MIN: an allowed bitmap of FRACTION of the nodes; every
# result is allowed and recall against exact filtered search is >= MIN.
filtered() {
	build_l2 idx.hnsw
	hd ids allowed.u32 20000 "$1"
	hd truth "$D/data.f32" "$D/q.f32" 32 10 l2 truth.i32 --allowed allowed.u32
	ht query --ef 64 --allowed allowed.u32 idx.hnsw "$D/q.f32" > got.txt
	run hd check truth.i32 10 got.txt --only allowed.u32 --min "$2"
	assert_success
	echo "allowed $1: $output" >&3
}

@test "allowed bitmap admitting 10% of the nodes: only allowed results, recall >= 0.95" { filtered 0.1 0.95; }
@test "allowed bitmap admitting 1% of the nodes: only allowed results, recall >= 0.95" { filtered 0.01 0.95; }

@test "saved and reopened, mapped or writable, the index gives the answers it gave in memory" {
	ht build --dim 32 --efc 100 --threads 2 --dists --query "$D/q.f32" "$D/data.f32" idx.hnsw |
		grep -v build_seconds > mem.txt
	ht query --dists idx.hnsw "$D/q.f32" > mapped.txt
	ht query --dists --writable idx.hnsw "$D/q.f32" > writable.txt
	[ "$(wc -l < mem.txt)" -eq 500 ]
	cmp mem.txt mapped.txt
	cmp mem.txt writable.txt
}

@test "an opened index grows: 15k built, 5k added after reopening, recall over all 20k" {
	head -c $((15000 * 32 * 4)) "$D/data.f32" > first.f32
	tail -c $((5000 * 32 * 4)) "$D/data.f32" > rest.f32
	ht build --dim 32 --efc 100 --threads 2 first.f32 idx.hnsw > /dev/null
	ht add --threads 2 idx.hnsw rest.f32
	run ht info idx.hnsw
	assert_line "count 20000"
	ht query --ef 64 idx.hnsw "$D/q.f32" > got.txt
	run hd check "$D/truth-l2.i32" 10 got.txt --min 0.95
	assert_success
	# The added nodes are found: some answers lie among them.
	awk '{ for (i = 1; i <= NF; i++) if ($i >= 15000) n++ } END { exit !(n > 0) }' got.txt
}

@test "with one thread the index depends only on the seed and the data" {
	head -c $((3000 * 32 * 4)) "$D/data.f32" > small.f32
	ht build --dim 32 --efc 64 --seed 5 small.f32 a.hnsw > /dev/null
	ht build --dim 32 --efc 64 --seed 5 small.f32 b.hnsw > /dev/null
	ht build --dim 32 --efc 64 --seed 6 small.f32 c.hnsw > /dev/null
	cmp a.hnsw b.hnsw
	! cmp -s a.hnsw c.hnsw
	# Adding after reopening continues the same sequence of levels.
	head -c $((2000 * 32 * 4)) small.f32 > part.f32
	tail -c $((1000 * 32 * 4)) small.f32 > more.f32
	ht build --dim 32 --efc 64 --seed 5 part.f32 d.hnsw > /dev/null
	ht add d.hnsw more.f32
	cmp a.hnsw d.hnsw
}

# An index small enough to damage by hand: 100 nodes of 4 dimensions
# (M 16, so 192-byte layer-0 blocks from byte 128 on: 4 floats, the link
# count at +16, the links from +20).
small_index() {
	hd gen s.f32 100 4 --clusters 2
	ht build --dim 4 s.f32 s.hnsw > /dev/null
}

# searches_complete INDEX: every query of s.f32 answered, read-only, with
# status 0 and nothing on stderr, and every node named one of the 100.
searches_complete() {
	run --separate-stderr ht query --ef 16,64 "$1" s.f32
	assert_success
	assert_no_stderr
	[ "${#lines[@]}" -eq 200 ]
	echo "$output" | awk '{ for (i = 1; i <= NF; i++) if ($i !~ /^[0-9]+$/ || $i >= 100) exit 1 }'
}

# fix_checksum INDEX: the xxh3 at byte 120 recomputed over the file with
# those 8 bytes zeroed, as a careless or malicious writer would.
fix_checksum() {
	"$PY" - "$1" <<-'EOF'
		import struct, sys, xxhash
		d = bytearray(open(sys.argv[1], "rb").read())
		d[120:128] = bytes(8)
		d[120:128] = struct.pack("<Q", xxhash.xxh3_64(bytes(d)).intdigest())
		open(sys.argv[1], "wb").write(d)
	EOF
}

@test "verify passes on a sound index, and after deleting through a read-only mapping and saving" {
	small_index
	run ht verify s.hnsw
	assert_success
	assert_output "ok"
	printf '\001\000\000\000\077\000\000\000' > ids.u32
	ht delete s.hnsw ids.u32
	run ht info s.hnsw
	assert_line "deleted 2"
	run ht verify s.hnsw
	assert_output "ok"
}

@test "a flipped byte in a link: the read-only open and the searches go on, verify and a writable open catch it" {
	small_index
	# The high byte of node 0's first layer-0 link: now a node far past
	# the last one.
	flip_byte s.hnsw $((128 + 20 + 3))
	searches_complete s.hnsw
	run --separate-stderr ht verify s.hnsw
	assert_error 1 "hnsw-tool: s.hnsw: checksum mismatch: the file is corrupt"
	run --separate-stderr ht query --writable s.hnsw s.f32
	assert_error 1 "hnsw-tool: s.hnsw: checksum mismatch: the file is corrupt"
}

@test "a link out of range with the checksum put right: searches skip it, verify names it" {
	small_index
	"$PY" - s.hnsw <<-'EOF'
		import struct, sys
		d = bytearray(open(sys.argv[1], "rb").read())
		d[128 + 20:128 + 24] = struct.pack("<I", 4000000)
		open(sys.argv[1], "wb").write(d)
	EOF
	fix_checksum s.hnsw
	searches_complete s.hnsw
	run --separate-stderr ht verify s.hnsw
	assert_error 1 "hnsw-tool: s.hnsw: node 0 links to 4000000 on level 0, which is not there"
	run --separate-stderr ht query --writable s.hnsw s.f32
	assert_error 1 "hnsw-tool: s.hnsw: node 0 links to 4000000 on level 0, which is not there"
}

# scramble INDEX SEED: every link count, link, level and upper-layer
# offset replaced by random values, some in range and most not (the
# vectors and the header are left alone, so the open succeeds).
scramble() {
	"$PY" - "$1" "$2" <<-'EOF'
		import random, struct, sys
		path, seed = sys.argv[1], int(sys.argv[2])
		r = random.Random(seed)
		d = bytearray(open(path, "rb").read())
		dim, block = struct.unpack_from("<I", d, 16)[0], struct.unpack_from("<I", d, 32)[0]
		count, upper_len = struct.unpack_from("<QQ", d, 56)
		a64 = lambda n: (n + 63) & ~63
		u32 = lambda: r.choice([r.randrange(count + 20), r.randrange(1 << 32), 0xFFFFFFFF])
		for i in range(count):
		    at = 128 + i * block + 4 * dim
		    for j in range(at, 128 + (i + 1) * block, 4):
		        struct.pack_into("<I", d, j, r.choice([r.randrange(40), u32()]))
		lv = 128 + count * block
		for i in range(count):
		    d[lv + i] = r.choice([0, 1, 2, 5, 31, 255])
		ua = a64(lv + count)
		for i in range(count):
		    struct.pack_into("<Q", d, ua + 8 * i, r.choice([r.randrange(upper_len + 40), (1 << 64) - 1 - r.randrange(40), r.randrange(1 << 64)]))
		up = a64(ua + 8 * count)
		for j in range(upper_len):
		    struct.pack_into("<I", d, up + 4 * j, r.choice([r.randrange(40), u32()]))
		open(path, "wb").write(d)
	EOF
}

@test "every link, level and offset scrambled: read-only searches still complete and name only real nodes" {
	small_index
	for seed in 1 2 3; do
		cp s.hnsw x.hnsw
		scramble x.hnsw $seed
		searches_complete x.hnsw
		run --separate-stderr ht verify x.hnsw
		assert_equal "$status" 1
	done
}

@test "a truncated index is refused, saying so" {
	small_index
	head -c 4000 s.hnsw > cut.hnsw
	run --separate-stderr ht query cut.hnsw s.f32
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "hnsw-tool: cut.hnsw: truncated: 4000 bytes, the header promises "* ]]
	head -c 100 s.hnsw > stub.hnsw
	run --separate-stderr ht query stub.hnsw s.f32
	assert_error 1 "hnsw-tool: stub.hnsw: not an HNSW index (shorter than its header)"
}

# set_header INDEX OFFSET FORMAT VALUE: one header field rewritten.
set_header() {
	"$PY" -c 'import struct, sys; d = bytearray(open(sys.argv[1], "rb").read()); struct.pack_into(sys.argv[3], d, int(sys.argv[2]), int(sys.argv[4])); open(sys.argv[1], "wb").write(d)' "$@"
}

@test "a header whose counts do not fit the file size is refused: more nodes, fewer nodes, a longer upper pool" {
	small_index
	cp s.hnsw more.hnsw && set_header more.hnsw 56 '<Q' 101
	run --separate-stderr ht query more.hnsw s.f32
	assert_equal "$status" 1
	[[ $stderr == "hnsw-tool: more.hnsw: truncated: "*" bytes, the header promises "* ]]
	cp s.hnsw fewer.hnsw && set_header fewer.hnsw 56 '<Q' 90
	run --separate-stderr ht query fewer.hnsw s.f32
	assert_equal "$status" 1
	[[ $stderr == "hnsw-tool: fewer.hnsw: "*" bytes of junk after the index" ]]
	cp s.hnsw upper.hnsw
	"$PY" -c 'import struct, sys; d = bytearray(open(sys.argv[1], "rb").read()); n = struct.unpack_from("<Q", d, 64)[0]; struct.pack_into("<Q", d, 64, n + 1000); open(sys.argv[1], "wb").write(d)' upper.hnsw
	run --separate-stderr ht query upper.hnsw s.f32
	assert_equal "$status" 1
	[[ $stderr == "hnsw-tool: upper.hnsw: truncated: "* ]]
}

@test "a header with its entry point or deletion count out of range is refused" {
	small_index
	cp s.hnsw entry.hnsw && set_header entry.hnsw 36 '<I' 100
	run --separate-stderr ht query entry.hnsw s.f32
	assert_error 1 "hnsw-tool: entry.hnsw: corrupt header (counts or entry point out of range)"
	cp s.hnsw del.hnsw && set_header del.hnsw 104 '<Q' 101
	run --separate-stderr ht query del.hnsw s.f32
	assert_error 1 "hnsw-tool: del.hnsw: corrupt header (counts or entry point out of range)"
}

@test "foreign files and other versions are refused" {
	small_index
	head -c 1000 /dev/zero > zeros.hnsw
	run --separate-stderr ht query zeros.hnsw s.f32
	assert_error 1 "hnsw-tool: zeros.hnsw: not an HNSW index (bad magic)"
	cp s.hnsw v1.hnsw && set_header v1.hnsw 8 '<I' 1
	run --separate-stderr ht query v1.hnsw s.f32
	assert_error 1 "hnsw-tool: v1.hnsw: unsupported HNSW index version 1 (this build reads 2)"
	cp s.hnsw v3.hnsw && set_header v3.hnsw 8 '<I' 3
	run --separate-stderr ht query v3.hnsw s.f32
	assert_error 1 "hnsw-tool: v3.hnsw: unsupported HNSW index version 3 (this build reads 2)"
}
