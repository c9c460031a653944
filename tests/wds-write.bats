#!/usr/bin/env bats
# wds-write: record streams into WebDataset tar shards.  The shards are read
# back with GNU tar, bsdtar and Python's tarfile, never with our own reader.

load test_helper

# tarls SHARD : "name size" per member, in archive order, from Python's tarfile.
tarls() {
	"$PY" - "$1" <<-'EOF'
		import sys, tarfile
		for m in tarfile.open(sys.argv[1]):
		    print(m.name, m.size)
	EOF
}

# samples SHARD... : webdataset's grouping (webdataset.tariterators): a member
# name splits at the first dot of its base name into key and extension, and
# consecutive members with the same key make one sample.  Prints one JSON
# object per sample: {"__key__": key, ext: text, ...}.
samples() {
	"$PY" - "$@" <<-'EOF'
		import json, re, sys, tarfile
		for path in sys.argv[1:]:
		    cur = None
		    t = tarfile.open(path)
		    for m in t:
		        prefix, suffix = re.match(r"^((?:.*/|)[^.]+)[.]([^/]*)$", m.name).groups()
		        if cur is None or cur["__key__"] != prefix:
		            if cur is not None:
		                print(json.dumps(cur))
		            cur = {"__key__": prefix}
		        assert suffix not in cur, m.name
		        cur[suffix] = t.extractfile(m).read().decode("utf-8", "backslashreplace")
		    if cur is not None:
		        print(json.dumps(cur))
	EOF
}

# sample_bytes SHARD : the tar bytes each sample takes, one line each: its
# headers, pax records included, and its data padded to 512.
sample_bytes() {
	"$PY" - "$1" <<-'EOF'
		import re, sys, tarfile
		sizes = {}
		order = []
		for m in tarfile.open(sys.argv[1]):
		    key = re.match(r"^((?:.*/|)[^.]+)[.]", m.name).group(1)
		    if key not in sizes:
		        order.append(key)
		        sizes[key] = 0
		    sizes[key] += m.offset_data - m.offset + (m.size + 511) // 512 * 512
		for k in order:
		    print(sizes[k])
	EOF
}

# no_temp_files DIR : nothing left under a temporary name.
no_temp_files() {
	run find "$1" -name '*.tmp.*'
	assert_output ''
}

# ---- members and their headers ---------------------------------------------

@test "each line becomes one sample with a txt member, keyed by its number" {
	printf 'alpha\nbeta gamma\n' | wds-write -q out
	run tarls out-000000.tar
	assert_output "$(printf '%s\n' '000000000.txt 5' '000000001.txt 10')"
	tar -xOf out-000000.tar 000000001.txt > got
	printf 'beta gamma' | cmp - got
}

@test "GNU tar lists regular files, mode 0644, owner 0/0, mtime 0" {
	printf 'a\nbb\n' | wds-write -q out
	run tar --utc --numeric-owner -tvf out-000000.tar
	assert_success
	assert_output "$(printf '%s\n' \
		'-rw-r--r-- 0/0               1 1970-01-01 00:00 000000000.txt' \
		'-rw-r--r-- 0/0               2 1970-01-01 00:00 000000001.txt')"
}

@test "bsdtar reads the shard and lists the same members" {
	seq 3 | wds-write -q out
	run bsdtar -tf out-000000.tar
	assert_success
	assert_output "$(printf '%s\n' 000000000.txt 000000001.txt 000000002.txt)"
}

@test "tarfile sees uid/gid 0, empty owner names, mtime 0, mode 0644, ustar format" {
	echo x | wds-write -q out
	run "$PY" -c '
import sys, tarfile
t = tarfile.open("out-000000.tar")
for m in t:
    print(m.type == tarfile.REGTYPE, m.uid, m.gid, repr(m.uname), repr(m.gname), m.mtime, oct(m.mode), m.pax_headers)'
	assert_output "True 0 0 '' '' 0 0o644 {}"
}

@test "a shard is its samples plus the 1024-byte end of archive, unpadded" {
	printf 'a\nb\n' | wds-write -q out
	# two samples of one 512-byte header and one 512-byte data block each
	assert_equal "$(filesize out-000000.tar)" $((4 * 512 + 1024))
	assert_equal "$(tail -c 1024 out-000000.tar | tr -d '\0' | wc -c)" 0
}

@test "a key over 100 bytes is stored whole with a pax record" {
	key=$(printf 'k%.0s' {1..150})
	printf '{"id":"%s","text":"t"}\n' "$key" | rec-pack -J --key-field id | wds-write -q out
	run tar -tf out-000000.tar
	assert_output "$key.txt"
}

@test "a UTF-8 key is stored as UTF-8, which GNU tar reads without a warning" {
	printf '{"id":"caf\\u00e9/na\\u00efve","text":"t"}\n' | rec-pack -J --key-field id | wds-write -q out
	run --separate-stderr env LC_ALL=C.UTF-8 tar -tf out-000000.tar
	assert_no_stderr
	assert_output "café/naïve.txt"
}

# ---- records into samples ----------------------------------------------------

@test "text, JSON, tokens and vector records become txt, json and bin members" {
	mkframes header 'text@t:hello' 'json@j:{"a":1}' 'tokens16@k:1,258,65535' 'vector@v:1.5,-2:{"m":1}' end > in.rec
	wds-write -q out in.rec
	run tarls out-000000.tar
	assert_output "$(printf '%s\n' 't.txt 5' 'j.json 7' 'k.bin 6' 'v.bin 8' 'v.json 7')"
	tar -xOf out-000000.tar k.bin | od -An -tu2 --endian=little | tr -s ' ' > ids
	assert_equal "$(cat ids)" " 1 258 65535"
	"$PY" -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<2f", 1.5, -2))' > want
	tar -xOf out-000000.tar v.bin | cmp - want
	assert_equal "$(tar -xOf out-000000.tar v.json)" '{"m":1}'
}

@test "u32 token records are written as 4-byte little-endian ids" {
	mkframes header 'tokens32@a:70000,1' end > in.rec
	wds-write -q out in.rec
	tar -xOf out-000000.tar a.bin | od -An -tu4 --endian=little | tr -s ' ' > ids
	assert_equal "$(cat ids)" " 70000 1"
}

@test "a vector without metadata has only a bin member" {
	mkframes header 'vector@v:1,2' end > in.rec
	wds-write -q out in.rec
	run tarls out-000000.tar
	assert_output 'v.bin 8'
}

@test "the index names the token dtype when token records were written" {
	mkframes header 'tokens16@a:1' 'tokens16@b:2' end > in.rec
	wds-write -q out in.rec
	assert_equal "$(jq -r .token_dtype out.json)" u16
	printf 'x\n' | wds-write -q txt
	assert_equal "$(jq -r 'has("token_dtype")' txt.json)" false
}

@test "token records of two dtypes: status 8" {
	mkframes header 'tokens16@a:1' 'tokens32@b:2' end > in.rec
	run --separate-stderr wds-write -q out in.rec
	assert_error 8 "wds-write: in.rec:$(frame_offset in.rec 2): token records of more than one dtype: the index can name only one"
}

@test "sample records: one member per part, in bytewise order of part names" {
	mkframes header 'sample@s1:txt=hello,B=up,a.json={},cls=3' end > in.rec
	wds-write -q out in.rec
	run tar -tf out-000000.tar
	assert_output "$(printf '%s\n' s1.B s1.a.json s1.cls s1.txt)"
	assert_equal "$(tar -xOf out-000000.tar s1.txt)" hello
}

@test "webdataset's grouping gives back the samples as they were written" {
	mkframes header 'sample@a/k1:txt=one,cls=1' 'sample@a/k2:txt=two,cls=2' 'text@b/k3:three' end > in.rec
	wds-write -q -c 2 out in.rec
	run samples out-000000.tar out-000001.tar
	assert_output "$(printf '%s\n' \
		'{"__key__": "a/k1", "cls": "1", "txt": "one"}' \
		'{"__key__": "a/k2", "cls": "2", "txt": "two"}' \
		'{"__key__": "b/k3", "txt": "three"}')"
}

@test "concatenated streams and several inputs make one sequence of samples" {
	mkframes header 'text@a:1' end header 'text@b:2' end > one.rec
	printf 'plain line\n' > two.txt
	wds-write -q out one.rec two.txt
	run tar -tf out-000000.tar
	assert_output "$(printf '%s\n' a.txt b.txt 000000002.txt)"
}

# ---- keys ----------------------------------------------------------------------

@test "record keys are used; a record without one gets its sample number" {
	mkframes header 'text@doc-a:1' 'text:2' 'text@doc-c:3' end > in.rec
	wds-write -q out in.rec
	run tar -tf out-000000.tar
	assert_output "$(printf '%s\n' doc-a.txt 000000001.txt doc-c.txt)"
}

@test "--keys index numbers every sample, whatever its key" {
	mkframes header 'text@x.y:1' 'text@x.y:2' end > in.rec
	wds-write -q --keys index out in.rec
	run tar -tf out-000000.tar
	assert_output "$(printf '%s\n' 000000000.txt 000000001.txt)"
}

@test "a key with a dot in its last component: status 8, naming the key and suggesting --keys index" {
	mkframes header 'text@ok:1' 'text@img.01:2' end > in.rec
	run --separate-stderr wds-write -q out in.rec
	assert_error 8 "wds-write: in.rec:$(frame_offset in.rec 2): invalid sample key \"img.01\": its last component holds a '.', where webdataset would end the key (--keys index numbers the samples instead)"
}

@test "keys that are not webdataset keys: status 8 each" {
	for key in '/abs' 'a//b' 'a/./b' 'a/../b' 'a/.hidden/b' 'a/' '__key__' '__meta__/x' 'nul\x00byte'; do
		mkframes header "text@$key:1" end > in.rec
		run --separate-stderr wds-write -q out in.rec
		assert_equal "$status" 8
		assert_regex "$stderr" '^wds-write: in\.rec:88: invalid sample key ".*": .* \(--keys index numbers the samples instead\)$'
	done
	# a dot may appear in a directory part, and __x__ below the top
	mkframes header 'text@v1.2/__x__/k:1' end > in.rec
	run wds-write -q out in.rec
	assert_success
}

@test "a key over 4096 bytes: status 8" {
	mkframes header "text@$(printf 'k%.0s' {1..4097}):1" end > in.rec
	run --separate-stderr wds-write -q out in.rec
	assert_equal "$status" 8
	assert_regex "$stderr" 'invalid sample key "k{64}"\.\.\.: it is longer than 4096 bytes'
}

@test "two consecutive samples with the same key: status 8" {
	mkframes header 'text@k:1' 'json@k:{}' end > in.rec
	run --separate-stderr wds-write -q out in.rec
	assert_error 8 "wds-write: in.rec:$(frame_offset in.rec 2): sample key \"k\": the same as the previous sample's, so readers would merge the two"
}

@test "a part name used twice in a sample: status 8" {
	mkframes header 'sample@s:txt=a,txt=b' end > in.rec
	run --separate-stderr wds-write -q out in.rec
	assert_error 8 "wds-write: in.rec:$(frame_offset in.rec 1): part name \"txt\": it appears twice in the sample"
}

@test "part names that are not extensions: status 8 each" {
	for part in '.txt' 'a/b'; do
		mkframes header "sample@s:$part=x" end > in.rec
		run --separate-stderr wds-write -q out in.rec
		assert_equal "$status" 8
		assert_regex "$stderr" "^wds-write: in\\.rec:$(frame_offset in.rec 1): invalid part name \"$part\": it (starts with '\\.'|holds '/')\$"
	done
}

@test "a batch record: status 8 with a hint" {
	mkframes header 'text:a' batch16:1:1:5,6 end > in.rec
	run --separate-stderr wds-write -q out in.rec
	assert_error 8 "wds-write: in.rec:$(frame_offset in.rec 2): a batch record cannot become a sample (write the token records before batchify)"
}

# ---- shard boundaries ------------------------------------------------------------

@test "--maxcount: exactly N samples per shard, the rest in the last" {
	seq 10 | wds-write -q -c 3 out
	for n in 0 1 2 3; do
		counts+="$(tar -tf out-00000$n.tar | wc -l) "
	done
	assert_equal "$counts" "3 3 3 1 "
	[ ! -e out-000004.tar ]
	assert_equal "$(jq -c '[.shardlist[].nsamples]' out.json)" "[3,3,3,1]"
}

@test "--maxsize: a shard takes samples while its tar bytes stay within the limit" {
	# each sample: a 512-byte header and one 512-byte block of data
	seq 7 | wds-write -q -s 3072 out
	assert_equal "$(jq -c '[.shardlist[].nsamples]' out.json)" "[3,3,1]"
	seq 7 | wds-write -q -s 3071 less
	assert_equal "$(jq -c '[.shardlist[].nsamples]' less.json)" "[2,2,2,1]"
}

@test "--maxsize: no shard holds more sample bytes than the limit unless one sample alone does" {
	"$PY" -c '
import random
r = random.Random(7)
for i in range(60):
    print("x" * r.choice([0, 1, 100, 511, 512, 513, 1500, 5000, 9000]))' > in.txt
	wds-write -q -s 6k out in.txt
	total=0
	for s in out-*.tar; do
		sample_bytes "$s" > sizes
		sum=$(paste -sd+ sizes | bc)
		n=$(wc -l < sizes)
		[ "$sum" -le 6144 ] || [ "$n" -eq 1 ] || fail "$s: $sum bytes in $n samples"
		assert_equal "$(filesize "$s")" $((sum + 1024))
		total=$((total + n))
	done
	assert_equal "$total" 60
	# the limit is used: each shard but the last could not take the next sample
	"$PY" - out-*.tar <<-'EOF'
		import re, sys, tarfile
		def sizes(p):
		    out = {}
		    for m in tarfile.open(p):
		        k = re.match(r"^([^.]+)", m.name).group(1)
		        out[k] = out.get(k, 0) + m.offset_data - m.offset + (m.size + 511) // 512 * 512
		    return list(out.values())
		shards = [sizes(p) for p in sys.argv[1:]]
		for a, b in zip(shards, shards[1:]):
		    assert sum(a) + b[0] > 6144, (a, b)
	EOF
}

@test "--maxsize: a sample larger than the limit gets a shard of its own" {
	{ echo small; head -c 5000 /dev/zero | tr '\0' y; echo; echo small; } | wds-write -q -s 2048 out
	assert_equal "$(jq -c '[.shardlist[].nsamples]' out.json)" "[1,1,1]"
}

@test "--maxsize accepts k/M/G suffixes and exponent forms; garbage is a usage error" {
	seq 4 | wds-write -q -s 2k a
	seq 4 | wds-write -q -s 2.048e3 b
	assert_equal "$(jq -c '[.shardlist[].nsamples]' a.json)" "[2,2]"
	assert_equal "$(jq -c '[.shardlist[].nsamples]' b.json)" "[2,2]"
	for bad in 12x 1e 1.5 -3 0 e3 ''; do
		run --separate-stderr wds-write -q -s "$bad" c
		assert_equal "$status" 2
		assert_regex "${stderr_lines[0]}" "^wds-write: --maxsize: "
		assert_equal "${stderr_lines[1]}" "Try 'wds-write --help' for more information."
	done
	[ ! -e c.json ]
}

@test "bad option values: usage errors (status 2)" {
	run --separate-stderr wds-write -c 0 out
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "wds-write: --maxcount: must be at least 1"
	run --separate-stderr wds-write -z lz4 out
	assert_equal "${stderr_lines[0]}" "wds-write: --compress: 'lz4' is not none, gz or zstd"
	run --separate-stderr wds-write --keys name out
	assert_equal "${stderr_lines[0]}" "wds-write: --keys: 'name' is not record or index"
	run --separate-stderr wds-write --level 3 out
	assert_equal "${stderr_lines[0]}" "wds-write: --level needs a compression (--compress gz or zstd)"
	run --separate-stderr wds-write -z gz --level 12 out
	assert_equal "${stderr_lines[0]}" "wds-write: --level: 12 is not a level gzip accepts"
	run --separate-stderr wds-write
	assert_equal "${stderr_lines[0]}" "wds-write: no PATTERN for the shard names"
	run --separate-stderr wds-write --index i.json --no-index out
	assert_equal "$status" 2
}

# ---- shard names -------------------------------------------------------------------

@test "a pattern with %d or %0Nd is used as it is; --start sets the first number" {
	seq 3 | wds-write -q -c 1 --start 7 'x-%04d.tar'
	seq 1 | wds-write -q 'y%d.tar'
	run ls
	assert_output "$(printf '%s\n' x-0007.tar x-0008.tar x-0009.tar x.json y.json y0.tar)"
}

@test "a prefix with a .tar.gz extension gets the number before it" {
	mkdir data
	seq 2 | wds-write -q -c 1 data/train.tar.gz
	run ls data
	assert_output "$(printf '%s\n' train-000000.tar.gz train-000001.tar.gz train.json)"
	gzip -t data/train-000000.tar.gz
}

@test "patterns with a second or another % directive are usage errors" {
	for p in 'a-%d-%d.tar' 'a-%s.tar' 'a-%%d.tar' 'a-%5d.tar' 'a-%00d' '100%' 'out/'; do
		run --separate-stderr wds-write "$p"
		assert_equal "$status" 2
		assert_regex "${stderr_lines[0]}" '^wds-write: PATTERN'
	done
}

@test "a compressed extension and a different --compress: usage error" {
	run --separate-stderr wds-write -z gz 'x-%03d.tar.zst'
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "wds-write: PATTERN's extension and --compress ask for different compressions"
}

# ---- compression and determinism -----------------------------------------------------

@test "gz and zstd shards hold the same tar bytes as the uncompressed run" {
	seq 1000 | sed 's/^/line /' > in.txt
	wds-write -q -c 400 plain in.txt
	wds-write -q -c 400 -z gz gz in.txt
	wds-write -q -c 400 -z zstd --level 19 zs in.txt
	for n in 0 1 2; do
		gzip -dc gz-00000$n.tar.gz | cmp - plain-00000$n.tar
		zstd -qdc zs-00000$n.tar.zst | cmp - plain-00000$n.tar
	done
	assert_equal "$(jq -r '.shardlist[0].url' gz.json)" gz-000000.tar.gz
	assert_equal "$(jq -r '.shardlist[0].filesize' zs.json)" "$(filesize zs-000000.tar.zst)"
}

@test "the gzip header carries no timestamp" {
	echo x | wds-write -q -z gz out
	assert_equal "$(od -An -tx1 -j4 -N4 out-000000.tar.gz | tr -d ' ')" 00000000
}

@test "the same input gives byte-identical shards and index, run after run" {
	seq 500 | sed 's/^/sample /' > in.txt
	for z in none gz zstd; do
		mkdir -p "one-$z" "two-$z"
		wds-write -q -c 200 -z $z "one-$z/s" in.txt
	done
	sleep 1
	for z in none gz zstd; do
		wds-write -q -c 200 -z $z "two-$z/s" in.txt
		for f in "one-$z"/*; do
			cmp "$f" "two-$z/${f#one-$z/}"
		done
		assert_equal "$(ls "one-$z" | wc -l)" 4
	done
}

# ---- the index ---------------------------------------------------------------------------

@test "the index lists each shard's name, samples and file size" {
	seq 5 | wds-write -q -c 2 out
	assert_equal "$(jq -r '.__kind__, .wids_version' out.json | paste -sd' ')" "wids-shard-index-v1 1"
	assert_equal "$(jq -c '[.shardlist[] | [.url, .nsamples, .filesize]]' out.json)" \
		"[[\"out-000000.tar\",2,3072],[\"out-000001.tar\",2,3072],[\"out-000002.tar\",1,2048]]"
	assert_equal "$(filesize out-000002.tar)" 2048
}

@test "the index of a %d pattern drops the number and its separator" {
	mkdir d
	seq 2 | wds-write -q 'd/x_%06d.tar'
	[ -f d/x.json ]
	assert_equal "$(jq -r '.shardlist[0].url' d/x.json)" x_000000.tar
}

@test "--index elsewhere: urls are relative to the index's directory" {
	mkdir -p shards/train meta
	seq 2 | wds-write -q --index meta/train.json shards/train/s
	assert_equal "$(jq -r '.shardlist[0].url' meta/train.json)" ../shards/train/s-000000.tar
	seq 2 | wds-write -q --index top.json shards/train/s
	assert_equal "$(jq -r '.shardlist[0].url' top.json)" shards/train/s-000000.tar
	[ ! -e shards/train/s.json ]
}

@test "--no-index writes no index" {
	seq 2 | wds-write -q --no-index out
	run ls
	assert_output out-000000.tar
}

@test "an empty input writes no shard, and an index with an empty list" {
	: | wds-write -q out
	run ls
	assert_output out.json
	assert_equal "$(jq -c .shardlist out.json)" "[]"
}

@test "a summary line on stderr, none with -q" {
	seq 5 | wds-write -c 2 out 2> err
	assert_equal "$(cat err)" "wds-write: 5 samples in 3 shards (8192 bytes)"
	seq 5 | wds-write -q -c 2 out 2> err
	assert_equal "$(cat err)" ""
}

# ---- failures -------------------------------------------------------------------------------

@test "a truncated stream: earlier shards stay, no partial shard, no temp file, no index" {
	mkframes header 'text@a:1' 'text@b:2' 'text@c:3' 'text@d:4' 'text@e:5' end > full.rec
	head -c $(($(filesize full.rec) - 60)) full.rec > cut.rec
	mkdir out
	run --separate-stderr wds-write -q -c 2 out/s cut.rec
	assert_equal "$status" 4
	assert_regex "$stderr" '^wds-write: cut\.rec:[0-9]+: '
	run ls out
	assert_output "$(printf '%s\n' s-000000.tar s-000001.tar)"
	assert_equal "$(tar -tf out/s-000001.tar | paste -sd' ')" "c.txt d.txt"
	no_temp_files out
}

@test "a bad record mid-shard leaves no partial shard under its final name" {
	mkframes header 'text@a:1' 'text@b:2' 'text@c:3' 'text@bad.key:4' end > in.rec
	mkdir out
	run wds-write -q -c 2 out/s in.rec
	assert_failure 8
	run ls out
	assert_output s-000000.tar
	no_temp_files out
}

@test "an unwritable directory: status 1 naming the shard" {
	[ "$(id -u)" -ne 0 ] || skip "root writes anywhere"
	mkdir ro && chmod 555 ro
	run --separate-stderr wds-write -q ro/s <<<"x"
	assert_error 1 "wds-write: ro/s-000000.tar: Permission denied"
}

@test "a missing directory: status 1 naming the shard" {
	run --separate-stderr wds-write -q nodir/s <<<"x"
	assert_error 1 "wds-write: nodir/s-000000.tar: No such file or directory"
}

@test "an input that cannot be opened: status 1" {
	run --separate-stderr wds-write -q out missing.rec
	assert_error 1 "wds-write: missing.rec: No such file or directory"
	[ ! -e out.json ]
}
