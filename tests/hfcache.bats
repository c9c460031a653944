#!/usr/bin/env bats
# libcommon/hub/hfcache: the huggingface_hub cache layout, through its driver
# hfcache-tool.  What our code writes must be what @huggingface/hub (the JS
# port of huggingface_hub's cache, tests/node/hfcache-oracle.mjs) reads, and
# what it or Python writes must read back here.  Hostile names and planted
# symlinks must never lead a write out of the cache.

load test_helper

C1=0123456789abcdef0123456789abcdef01234567
C2=89abcdef0123456789abcdef0123456789abcdef
REPO=HuggingFaceFW/fine-web_2
FOLDER=datasets--HuggingFaceFW--fine-web_2

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	if [ ! -d "$TOP/tests/node/node_modules/@huggingface/hub" ]; then
		npm ci --prefix "$TOP/tests/node" --no-audit --no-fund >&2
	fi
}

hc() { "$SLUICE_TEST_BIN/hfcache-tool" "$@"; }
oracle() { node "$TOP/tests/node/hfcache-oracle.mjs" "$@"; }
# git's blob id of a file: the ETag the Hub gives a file not in LFS.
git_oid() { printf 'blob %s\0' "$(filesize "$1")" | cat - "$1" | sha1sum | cut -d' ' -f1; }

@test "the cache root comes from HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, HOME" {
	run env -u HF_HUB_CACHE -u HUGGINGFACE_HUB_CACHE -u HF_HOME -u XDG_CACHE_HOME HOME=/h "$SLUICE_TEST_BIN/hfcache-tool" root
	assert_output /h/.cache/huggingface/hub
	run env -u HF_HUB_CACHE -u HUGGINGFACE_HUB_CACHE -u HF_HOME HOME=/h XDG_CACHE_HOME=/x "$SLUICE_TEST_BIN/hfcache-tool" root
	assert_output /x/huggingface/hub
	run env -u HF_HUB_CACHE -u HUGGINGFACE_HUB_CACHE HOME=/h XDG_CACHE_HOME=/x HF_HOME=/hf "$SLUICE_TEST_BIN/hfcache-tool" root
	assert_output /hf/hub
	run env -u HF_HUB_CACHE HOME=/h HF_HOME=/hf HUGGINGFACE_HUB_CACHE=/old "$SLUICE_TEST_BIN/hfcache-tool" root
	assert_output /old
	run env HOME=/h HF_HOME=/hf HUGGINGFACE_HUB_CACHE=/old HF_HUB_CACHE=/c "$SLUICE_TEST_BIN/hfcache-tool" root
	assert_output /c
	# "~" is expanded, as os.path.expanduser does; empty means unset.
	run env HOME=/h HF_HUB_CACHE='~/c' "$SLUICE_TEST_BIN/hfcache-tool" root
	assert_output /h/c
	run env -u HUGGINGFACE_HUB_CACHE HOME=/h HF_HUB_CACHE= HF_HOME='~/hf' "$SLUICE_TEST_BIN/hfcache-tool" root
	assert_output /h/hf/hub
	# The repo folder: datasets--ORG--NAME.
	run env HF_HUB_CACHE=/c "$SLUICE_TEST_BIN/hfcache-tool" dir - "$REPO"
	assert_output "/c/$FOLDER"
}

@test "a blob, its snapshot links and refs in the huggingface_hub layout, and the JS library reads them" {
	printf 'hello world\n' > top
	printf '{"a":1}\n' > nested
	run hc put cache "$REPO" e1 "$C1" README.md 12 < top
	assert_success
	assert_output "have 0"
	hc put cache "$REPO" e2 "$C1" data/train/part-0.jsonl 8 < nested
	# The same blob under another name, and another commit: no new blob.
	run hc put cache "$REPO" e1 "$C2" README.md 12 < top
	assert_output "have complete"
	hc link cache "$REPO" e2 "$C2" data.jsonl
	hc setref cache "$REPO" main "$C2"
	hc setref cache "$REPO" v1.0 "$C1"
	hc setref cache "$REPO" refs/convert/parquet "$C1"
	d=cache/$FOLDER
	run bash -c "cd '$d' && find . | LC_ALL=C sort"
	assert_output ".
./blobs
./blobs/e1
./blobs/e2
./refs
./refs/main
./refs/refs
./refs/refs/convert
./refs/refs/convert/parquet
./refs/v1.0
./snapshots
./snapshots/$C1
./snapshots/$C1/README.md
./snapshots/$C1/data
./snapshots/$C1/data/train
./snapshots/$C1/data/train/part-0.jsonl
./snapshots/$C2
./snapshots/$C2/README.md
./snapshots/$C2/data.jsonl"
	# Relative links, one ../ more per directory (os.path.relpath).
	[ "$(readlink "$d/snapshots/$C1/README.md")" = ../../blobs/e1 ]
	[ "$(readlink "$d/snapshots/$C1/data/train/part-0.jsonl")" = ../../../../blobs/e2 ]
	[ "$(readlink "$d/snapshots/$C2/data.jsonl")" = ../../blobs/e2 ]
	cmp top "$d/snapshots/$C2/README.md"
	cmp nested "$d/snapshots/$C1/data/train/part-0.jsonl"
	# A ref is the bare hash, no newline (Path.write_text(commit_hash)).
	printf %s "$C2" | cmp - "$d/refs/main"
	printf %s "$C1" | cmp - "$d/refs/refs/convert/parquet"
	# Modes: the blob as any new file (umask), the lock 0664 (filelock).
	[ "$(stat -c %a "$d/blobs/e1")" = "$(umask -S >/dev/null; printf '%o' $((0666 & ~$(umask))))" ]
	[ "$(stat -c %a "cache/.locks/$FOLDER/e1.lock")" = 664 ]
	[ -f cache/.locks/$FOLDER/e2.lock ]
	head -1 cache/CACHEDIR.TAG | grep -qx 'Signature: 8a477f597d28d172789f06886806bc55'
	# scanCacheDir lists the top level of each snapshot and of refs/.
	oracle scan cache > scan.json
	run json_get scan.json 'j'
	assert_output '{"repos": [{"id": "HuggingFaceFW/fine-web_2", "type": "dataset", "revisions": [{"commit": "0123456789abcdef0123456789abcdef01234567", "refs": ["v1.0"], "files": {"README.md": "e1"}}, {"commit": "89abcdef0123456789abcdef0123456789abcdef", "refs": ["main"], "files": {"README.md": "e1", "data.jsonl": "e2"}}]}], "warnings": []}'
}

@test "refs are rewritten only when they change, atomically, and read back" {
	hc setref cache o/n main "$C1"
	f=cache/datasets--o--n/refs/main
	touch -d @1000000000 "$f"
	ino=$(stat -c %i "$f")
	hc setref cache o/n main "$C1"
	[ "$(stat -c %Y "$f")" = 1000000000 ]
	hc setref cache o/n main "$C2"
	[ "$(stat -c %i "$f")" != "$ino" ] # renamed into place, not rewritten
	run hc ref cache o/n main
	assert_output "$C2"
	run ls -A cache/datasets--o--n/refs
	assert_output main
	# A revision that is the commit itself gets no ref (as in huggingface_hub).
	hc setref cache o/n "$C1" "$C1"
	[ ! -e "cache/datasets--o--n/refs/$C1" ]
	run hc ref cache o/n dev
	assert_equal "$status" 3
	run hc ref nowhere o/n main
	assert_equal "$status" 3
	# A hand-edited ref ending in a newline is forgiven here; the JS
	# library would not match it to its snapshot, which is why we write none.
	printf '%s\n' "$C1" > cache/datasets--o--n/refs/edited
	run hc ref cache o/n edited
	assert_output "$C1"
	echo garbage/../x > cache/datasets--o--n/refs/bad
	run --separate-stderr hc ref cache o/n bad
	assert_error 1 "hfcache-tool: cache/datasets--o--n/refs/bad: not a commit"
}

@test "a cache written by the JS library's downloadFileToCacheDir reads back" {
	printf 'line one\nline two\n' > a
	head -c 3000 /dev/urandom > b
	oracle layout js "$REPO" "$C1" data/train.jsonl a
	oracle layout js "$REPO" main README.md b "$C1"
	ea=$(git_oid a)
	eb=$(git_oid b)
	[ "$(readlink "js/$FOLDER/snapshots/$C1/data/train.jsonl")" = "../../../blobs/$ea" ]
	run hc list js "$REPO" "$C1"
	assert_output "$(printf 'README.md\t3000\ndata/train.jsonl\t18')"
	run hc file js "$REPO" "$C1" data/train.jsonl
	assert_output "js/$FOLDER/snapshots/$C1/data/train.jsonl"
	cmp a "$output"
	run hc file js "$REPO" "$C1" README.md
	cmp b "$output"
	run hc file js "$REPO" "$C1" missing.txt
	assert_equal "$status" 3
	# The library writes no refs; ours make its scan (which wants a refs/
	# folder) agree.
	hc setref js "$REPO" main "$C1"
	oracle scan js > scan.json
	run json_get scan.json 'j["repos"][0]["revisions"]'
	assert_output "[{\"commit\": \"$C1\", \"refs\": [\"main\"], \"files\": {\"README.md\": \"$eb\"}}]"
	# Our writer and the library's agree on the same file, byte for byte.
	hc put ours "$REPO" "$ea" "$C1" data/train.jsonl 18 < a
	[ "$(readlink "ours/$FOLDER/snapshots/$C1/data/train.jsonl")" = "$(readlink "js/$FOLDER/snapshots/$C1/data/train.jsonl")" ]
}

@test "a cache laid out by hand by huggingface_hub's rules reads back (refs/convert/parquet, nested files)" {
	# file_download.py: blobs/ETAG, snapshots/COMMIT/PATH -> relpath to
	# the blob, refs/REVISION = the bare hash, REVISION joined as is.
	d=hub/$FOLDER
	mkdir -p "$d/blobs" "$d/snapshots/$C1/default/train" "$d/snapshots/$C2" "$d/refs/refs/convert"
	printf 'PAR1....PAR1' > "$d/blobs/aaaa"
	printf 'readme' > "$d/blobs/bbbb"
	ln -s ../../../../blobs/aaaa "$d/snapshots/$C1/default/train/0000.parquet"
	ln -s ../../blobs/bbbb "$d/snapshots/$C2/README.md"
	ln -s ../../blobs/cccc "$d/snapshots/$C2/gone.txt" # blob not there: not cached
	printf %s "$C1" > "$d/refs/refs/convert/parquet"
	printf %s "$C2" > "$d/refs/main"
	run env HF_HUB_CACHE="$PWD/hub" "$SLUICE_TEST_BIN/hfcache-tool" ref - "$REPO" refs/convert/parquet
	assert_output "$C1"
	run hc ref hub "$REPO" main
	assert_output "$C2"
	run hc list hub "$REPO" "$C1"
	assert_output "$(printf 'default/train/0000.parquet\t12')"
	run hc list hub "$REPO" "$C2"
	assert_output "$(printf 'README.md\t6')"
	run hc file hub "$REPO" "$C1" default/train/0000.parquet
	assert_output "$d/snapshots/$C1/default/train/0000.parquet"
	run hc file hub "$REPO" "$C2" gone.txt
	assert_equal "$status" 3
	run hc list hub "$REPO" ffffffffffffffffffffffffffffffffffffffff
	assert_equal "$status" 3
	# A snapshot link pointing anywhere but this repo's blobs is not ours.
	ln -s /etc/passwd "$d/snapshots/$C2/evil"
	run --separate-stderr hc file hub "$REPO" "$C2" evil
	assert_equal "$status" 3
	run hc list hub "$REPO" "$C2"
	assert_output "$(printf 'README.md\t6')"
	# The JS library reads the same cache (top level of each snapshot).
	rm "$d/snapshots/$C2/gone.txt" "$d/snapshots/$C2/evil"
	oracle scan hub > scan.json
	run json_get scan.json '[(r["commit"], r["refs"], r["files"]) for r in j["repos"][0]["revisions"]]'
	assert_output "[[\"$C1\", [], {}], [\"$C2\", [\"main\"], {\"README.md\": \"bbbb\"}]]"
}

@test "an aborted download keeps .incomplete and the next one resumes from it" {
	head -c 200000 /dev/urandom > data
	run hc put --chunk 1000 --stop-after 70000 cache o/n e9 "$C1" f.bin 200000 < data
	assert_success
	assert_output "have 0"
	b=cache/datasets--o--n/blobs
	[ "$(filesize $b/e9.incomplete)" = 70000 ]
	[ ! -e $b/e9 ]
	[ ! -e "cache/datasets--o--n/snapshots/$C1/f.bin" ]
	run hc put cache o/n e9 "$C1" f.bin 200000 < data
	assert_output "have 70000"
	cmp data $b/e9
	[ ! -e $b/e9.incomplete ]
	cmp data "cache/datasets--o--n/snapshots/$C1/f.bin"
}

@test "a download killed mid-way leaves .incomplete that the next run resumes" {
	head -c 100000 /dev/urandom > data
	run hc put --chunk 4096 --kill-after 50000 cache o/n e8 "$C1" f.bin 100000 < data
	assert_equal "$status" 137
	b=cache/datasets--o--n/blobs
	[ "$(filesize $b/e8.incomplete)" = 50000 ]
	cmp -n 50000 data $b/e8.incomplete
	# The lock died with the process: the next run does not wait.
	run timeout 10 "$SLUICE_TEST_BIN/hfcache-tool" put cache o/n e8 "$C1" f.bin 100000 < data
	assert_success
	assert_output "have 50000"
	cmp data $b/e8
}

@test "two processes writing one blob at once: both succeed, one blob, the right bytes" {
	head -c 300000 /dev/urandom > data
	hc put --chunk 10000 --sleep-ms 20 --locked first.locked cache o/n e7 "$C1" a.bin 300000 < data > out1 2>err1 &
	p1=$!
	for _ in $(seq 200); do [ -e first.locked ] && break; sleep 0.05; done
	[ -e first.locked ]
	hc put --chunk 10000 cache o/n e7 "$C2" b.bin 300000 < data > out2 2>err2 &
	p2=$!
	wait $p1
	wait $p2
	assert_equal "$(cat out1)" "have 0"
	assert_equal "$(cat out2)" "have complete"
	assert_equal "$(cat err1 err2)" ""
	run ls -A cache/datasets--o--n/blobs
	assert_output e7
	cmp data cache/datasets--o--n/blobs/e7
	cmp data "cache/datasets--o--n/snapshots/$C1/a.bin"
	cmp data "cache/datasets--o--n/snapshots/$C2/b.bin"
}

@test "many concurrent writers of one blob never corrupt it" {
	head -c 100000 /dev/urandom > data
	pids=()
	for i in 1 2 3 4 5 6; do
		hc put --chunk 3000 cache o/n e6 "$C1" "f$i" 100000 < data > "out$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	run bash -c 'cat out* | sort | uniq -c | sed "s/^ *//"'
	assert_output $'1 have 0\n5 have complete'
	run ls -A cache/datasets--o--n/blobs
	assert_output e6
	cmp data cache/datasets--o--n/blobs/e6
}

@test "a commit with the wrong size fails, makes no blob and no link, and drops the bytes" {
	printf 'twelve bytes' > data
	run --separate-stderr hc put cache o/n e5 "$C1" f.txt 13 < data
	assert_error 1 "hfcache-tool: cache/datasets--o--n/blobs/e5: 12 bytes, expected 13"
	run ls -A cache/datasets--o--n/blobs
	assert_output ""
	[ ! -e "cache/datasets--o--n/snapshots/$C1/f.txt" ]
	# The right size afterwards works from scratch.
	run hc put cache o/n e5 "$C1" f.txt 12 < data
	assert_output "have 0"
	# On a complete blob, the size is checked too; the blob stays.
	run --separate-stderr hc put cache o/n e5 "$C2" f.txt 99 < data
	assert_error 1 "hfcache-tool: cache/datasets--o--n/blobs/e5: 12 bytes, expected 99"
	cmp data cache/datasets--o--n/blobs/e5
	# "-" leaves the size unchecked.
	hc put cache o/n e4 "$C1" g.txt - < data
	cmp data "cache/datasets--o--n/snapshots/$C1/g.txt"
}

@test "hostile names are refused by the validators (table)" {
	long=$(printf 'a%.0s' $(seq 300))
	long97=$(printf 'a%.0s' $(seq 97))
	while IFS='|' read -r want kind name; do
		[ -n "$kind" ] || continue
		run hc valid "$kind" "$name"
		[ "$status" = "$want" ] || fail "valid $kind '$name': exit $status, want $want"
	done <<-EOF
		0|repo|HuggingFaceFW/fineweb-edu
		0|repo|a/b
		0|repo|user_1/my.data-set_2
		1|repo|noslash
		1|repo|a/b/c
		1|repo|/abs
		1|repo|a/
		1|repo|/b
		1|repo|-a/b
		1|repo|a/-b
		1|repo|.a/b
		1|repo|a/.b
		1|repo|a./b
		1|repo|a/b-
		1|repo|../x
		1|repo|a/..
		1|repo|a/b..c
		1|repo|a/b--c
		1|repo|a\\\\b/c
		1|repo|a b/c
		1|repo|a/b\\ncd
		1|repo|a/b\\x00c
		1|repo|a/$long97
		0|revision|main
		0|revision|refs/convert/parquet
		0|revision|refs/pr/1
		0|revision|v1.0
		0|revision|$C1
		1|revision|
		1|revision|../x
		1|revision|/abs
		1|revision|a/../b
		1|revision|a..b
		1|revision|a//b
		1|revision|a/
		1|revision|.
		1|revision|..
		1|revision|a/./b
		1|revision|a\\\\b
		1|revision|main\\n
		1|revision|ma\\x01in
		1|revision|ma\\x7fin
		1|revision|ma\\x00in
		1|revision|$long
		0|etag|d7edf6bd2a681fb0175f7735299831ee1b22b812
		0|etag|abc-5
		1|etag|
		1|etag|a/b
		1|etag|../x
		1|etag|.
		1|etag|..
		1|etag|.hidden
		1|etag|-x
		1|etag|e1.incomplete
		1|etag|"quoted"
		1|etag|a\\nb
		1|etag|a\\x00b
		1|etag|$long
		0|path|README.md
		0|path|data/train/part-0.parquet
		0|path|a b/c,d.txt
		0|path|.gitattributes
		0|path|dir/..x
		1|path|
		1|path|../x
		1|path|/abs
		1|path|a/../b
		1|path|a/..
		1|path|a//b
		1|path|a/
		1|path|a\\\\b
		1|path|.
		1|path|..
		1|path|./a
		1|path|a/./b
		1|path|C:x
		1|path|a/c:\\\\x
		1|path|a\\nb
		1|path|a\\tb
		1|path|a\\x00b
		1|path|a\\x1bb
		1|path|$long
	EOF
	# The library refuses them too, before touching the disk.
	run --separate-stderr hc put cache o/n e1 "$C1" ../x 1 < /dev/null
	assert_error 1 "hfcache-tool: invalid file path '../x'"
	run --separate-stderr hc put cache o/n ../e1 "$C1" x 1 < /dev/null
	assert_error 1 "hfcache-tool: invalid etag '../e1'"
	run --separate-stderr hc setref cache o/n ../../../x "$C1"
	assert_error 1 "hfcache-tool: invalid revision '../../../x'"
	run --separate-stderr hc setref cache o/n main ../x
	assert_error 1 "hfcache-tool: invalid commit '../x'"
	run --separate-stderr hc link cache o/n e1 "$C1" "$(printf 'a\nb')"
	assert_error 1 "hfcache-tool: invalid file path 'a\\x0ab'"
	run --separate-stderr hc dir cache ../../etc
	assert_error 1 "hfcache-tool: invalid repo id '../../etc' (ORG/NAME expected)"
	run find . -path ./cache -prune -o -print
	[ ! -e x ] && [ ! -e ../x ]
}

@test "a symlink planted inside the repo folder is refused, not followed" {
	printf 'data' > data
	hc put cache o/n e1 "$C1" ok.txt 4 < data
	d=cache/datasets--o--n
	mkdir outside
	# A snapshot subdirectory that is a symlink out of the repo.
	ln -s "$PWD/outside" "$d/snapshots/$C1/sub"
	run --separate-stderr hc put cache o/n e2 "$C1" sub/x.txt 4 < data
	assert_error 1 "hfcache-tool: $d/snapshots/$C1/sub: is a symlink, refusing to follow it"
	run --separate-stderr hc link cache o/n e1 "$C1" sub/deeper/y.txt
	assert_error 1 "hfcache-tool: $d/snapshots/$C1/sub: is a symlink, refusing to follow it"
	run --separate-stderr hc file cache o/n "$C1" sub/x.txt
	assert_error 1 "hfcache-tool: $d/snapshots/$C1/sub: is a symlink, refusing to follow it"
	# Listing skips it rather than walking out.
	touch outside/planted
	run hc list cache o/n "$C1"
	assert_output "$(printf 'ok.txt\t4')"
	# A whole snapshot directory, refs/ or blobs/ as symlinks.
	ln -s "$PWD/outside" "$d/snapshots/$C2"
	run --separate-stderr hc link cache o/n e1 "$C2" z.txt
	assert_error 1 "hfcache-tool: $d/snapshots/$C2: is a symlink, refusing to follow it"
	mv "$d/refs" refs.real 2>/dev/null || true
	ln -s "$PWD/outside" "$d/refs"
	run --separate-stderr hc setref cache o/n main "$C1"
	assert_error 1 "hfcache-tool: $d/refs: is a symlink, refusing to follow it"
	mv "$d/blobs" blobs.real
	ln -s "$PWD/outside" "$d/blobs"
	run --separate-stderr hc put cache o/n e3 "$C1" w.txt 4 < data
	assert_error 1 "hfcache-tool: $d/blobs: is a symlink, refusing to follow it"
	# The lock directory too.
	rm -r cache/.locks/datasets--o--n
	ln -s "$PWD/outside" cache/.locks/datasets--o--n
	rm "$d/blobs" && mv blobs.real "$d/blobs"
	run --separate-stderr hc put cache o/n e3 "$C1" w.txt 4 < data
	assert_error 1 "hfcache-tool: cache/.locks/datasets--o--n: is a symlink, refusing to follow it"
	run ls -A outside
	assert_output planted
}

@test "a cache root that is itself a symlink (the user's choice) is followed" {
	mkdir -p real
	ln -s real link
	printf 'data' > data
	hc put link o/n e1 "$C1" x.txt 4 < data
	cmp data "real/datasets--o--n/snapshots/$C1/x.txt"
}
