#!/usr/bin/env bats
# rec-dedup: exact and near-duplicate removal and decontamination, in one
# run and in stages over shards.  The oracle is tests/helpers/dedup_oracle.py,
# written from the documented rules on numpy (MinHash) and xxhash (keys);
# the near-duplicate quality is measured against exact Jaccard similarity.

load test_helper

ORACLE=$HELPERS/dedup_oracle.py

# corpus SEED N: docs.jsonl and docs.rec, N documents {"id", "text"} with
# exact and near copies planted.
corpus() {
	"$PY" "$ORACLE" corpus "$1" "$2" > docs.jsonl
	rec-pack -J --json docs.jsonl > docs.rec
}

# decisions OUT REMOVED N: the program's decision for each id 0..N-1, in
# the oracle's words, from its output and --removed rows.
decisions() {
	"$PY" - "$1" "$2" "$3" "$REC_CAT" <<'PY'
import json, subprocess, sys
out, removed, n, rec_cat = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def rows(path):
    for line in subprocess.run([rec_cat, path], capture_output=True, check=True).stdout.splitlines():
        r = json.loads(line)
        if r["type"] == "json":
            yield r["json"]
d = ["missing"] * n
for r in rows(out):
    d[r["id"]] = "keep"
for r in rows(removed):
    if "contaminated_by" in r:
        d[r["id"]] = "contam %d" % r["contaminated_by"]
    elif "jaccard" in r:
        d[r["id"]] = "dup %d %.6f" % (r["duplicate_of"], r["jaccard"])
    else:
        d[r["id"]] = "dup %d" % r["duplicate_of"]
print("\n".join(d))
PY
}

# agrees N OPTIONS...: rec-dedup OPTIONS over docs.rec decides as the oracle
# does, on every document.
agrees() {
	local n=$1
	shift
	rec-dedup -q "$@" --removed removed.rec docs.rec > out.rec || fail "rec-dedup $* failed"
	decisions out.rec removed.rec "$n" > got.txt
	# The program reads the evaluation records, the oracle their JSON lines.
	"$PY" "$ORACLE" decide "${@/eval.rec/eval.jsonl}" < docs.jsonl > want.txt
	cmp -s got.txt want.txt || fail "rec-dedup $*: $(diff got.txt want.txt | head -6)"
}

# records FILE...: the frames of the streams after their headers, as JSON
# lines (what the stages must reproduce, lineage aside).
records() {
	cat "$@" | rec-cat | grep -v '^{"type":"header"' | grep -v '^{"type":"trailer"' || true
}

@test "exact: the first of each copy is kept, as the oracle decides, for every normalisation" {
	corpus 1 1500
	for mode in none ws lower-punct; do
		agrees 1500 --normalize "$mode"
	done
	# The corpus has copies only lower-punct sees as such.
	grep -c '^dup' got.txt > n-lower
	agrees 1500 --normalize none
	[ "$(grep -c '^dup' got.txt)" -lt "$(cat n-lower)" ] || fail "none found as many copies as lower-punct"
}

@test "exact: --by keys copies by a JSON field" {
	"$PY" -c '
import json
for i in range(400):
    print(json.dumps({"id": i, "url": "https://x/%d" % (i % 150) if i % 7 else None, "text": "doc %d" % i}))' > docs.jsonl
	rec-pack -J --json docs.jsonl > docs.rec
	agrees 400 --by url
	[ "$(grep -c '^keep' got.txt)" -eq 151 ] || fail "kept $(grep -c '^keep' got.txt), want 150 urls and one null"
}

@test "near: at the defaults the decisions are the oracle's (numpy MinHash, union-find)" {
	corpus 2 2000
	agrees 2000 --near
	agrees 2000 --near --ngram 3 --bands 9 --rows 13 --seed 7
	agrees 2000 --near --normalize ws --ngram 1 --bands 20 --rows 5 --seed 0
}

@test "near: recall of pairs at Jaccard 0.85 or more is at least 0.95, and each similarity band follows the S-curve" {
	"$PY" "$ORACLE" pairs 3 1500 > docs.jsonl
	rec-pack -J --json docs.jsonl > docs.rec
	"$PY" "$ORACLE" jaccard < docs.jsonl > jaccard.txt
	rec-dedup -q --near --removed removed.rec docs.rec > out.rec
	decisions out.rec removed.rec 3000 > got.txt
	"$PY" - jaccard.txt got.txt <<'PY'
import math, sys
js = [float(x) for x in open(sys.argv[1])]
got = open(sys.argv[2]).read().split("\n")
caught = [got[2 * k + 1] == "dup %d" % (2 * k) for k in range(len(js))]
high = [c for j, c in zip(js, caught) if j >= 0.85]
recall = sum(high) / len(high)
assert len(high) > 100, len(high)
assert recall >= 0.95, "recall %.3f over %d pairs" % (recall, len(high))
# Per similarity band: caught pairs against the expected number
# sum 1-(1-s^8)^14, within 4 standard deviations (a binomial per pair).
for lo in [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]:
    sel = [(j, c) for j, c in zip(js, caught) if lo <= j < lo + 0.1]
    if len(sel) < 30:
        continue
    p = [1 - (1 - j ** 8) ** 14 for j, _ in sel]
    want, var = sum(p), sum(q * (1 - q) for q in p)
    have = sum(c for _, c in sel)
    assert abs(have - want) <= 4 * math.sqrt(var) + 1, "band %.1f: %d caught, %.1f expected (sd %.1f)" % (lo, have, want, math.sqrt(var))
    print("band %.1f: %d pairs, %d caught, %.1f expected" % (lo, len(sel), have, want))
print("recall at 0.85: %.3f over %d pairs" % (recall, len(high)))
PY
}

@test "near: --verify-jaccard drops no record below T of the record it names, and decides as the oracle" {
	corpus 4 1500
	for t in 0.5 0.8 0.95; do
		agrees 1500 --near --verify-jaccard "$t"
		awk -v t="$t" '$1 == "dup" && $3 + 0 < t { bad = 1 } END { exit bad }' got.txt ||
			fail "a record dropped below $t: $(awk -v t="$t" '$1 == "dup" && $3 + 0 < t' got.txt | head -2)"
	done
}

@test "stages over 1, 2, 3 and 5 shards give the records and removed rows of one run over them in order" {
	corpus 5 1200
	for opts in "" "--near" "--near --verify-jaccard 0.7"; do
		# shellcheck disable=SC2086
		rec-dedup -q $opts --removed one-removed.rec docs.rec > one.rec
		for shards in 1 2 3 5; do
			rm -rf s && mkdir s
			split -n "l/$shards" -d docs.jsonl s/part
			for p in s/part??; do rec-pack -J --json "$p" > "$p.rec"; done
			sigs=() outs=() rms=()
			for p in s/part??.rec; do
				# shellcheck disable=SC2086
				rec-dedup sign -q $opts -o "${p%.rec}.sig" "$p" || fail "sign $p"
				sigs+=("${p%.rec}.sig")
			done
			bands=$(if [ -n "$opts" ]; then echo 14; else echo 0; fi)
			if [ "$bands" -gt 0 ]; then
				rec-dedup buckets -o s/a.bkt --band-range 0-5 "${sigs[@]}"
				rec-dedup buckets -o s/b.bkt --band-range 6-$bands "${sigs[@]}"
				bkts=(s/a.bkt s/b.bkt)
			else
				rec-dedup buckets -o s/a.bkt "${sigs[@]}"
				bkts=(s/a.bkt)
			fi
			verify=$(echo "$opts" | grep -o -- '--verify-jaccard [0-9.]*' || true)
			# shellcheck disable=SC2086
			rec-dedup clusters $verify -o s/drops "${sigs[@]}" "${bkts[@]}" || fail "clusters"
			for p in s/part??; do
				rec-dedup remove -q --drop "s/drops/$(basename "$p").drop" --removed "$p.rm" -o "$p.out" "$p.rec"
				outs+=("$p.out")
				rms+=("$p.rm")
			done
			records "${outs[@]}" > staged.txt
			records one.rec > single.txt
			cmp -s staged.txt single.txt || fail "[$opts] $shards shards: $(diff staged.txt single.txt | head -4)"
			records "${rms[@]}" > staged.txt
			records one-removed.rec > single.txt
			cmp -s staged.txt single.txt || fail "[$opts] $shards shards, removed: $(diff staged.txt single.txt | head -4)"
		done
	done
}

@test "--mem: sorting spilled to disk gives the output of sorting in memory" {
	"$PY" -c 'import random; r = random.Random(9); print("\n".join("line %d" % r.randrange(40000) for _ in range(90000)))' > lines.txt
	rec-dedup -q lines.txt > big.rec
	mkdir t
	rec-dedup -q --mem 1M --tmpdir t lines.txt > small.rec
	[ -z "$(ls -A t)" ] || fail "temporary files left: $(ls t)"
	cmp -s <(records big.rec) <(records small.rec) || fail "exact: spilled output differs"
	[ "$(records small.rec | wc -l)" -eq "$(sort -u lines.txt | wc -l)" ] || fail "kept $(records small.rec | wc -l), want $(sort -u lines.txt | wc -l)"
	corpus 6 3000
	cmp -s <(rec-dedup -q --near docs.rec | records) <(rec-dedup -q --near --mem 1M docs.rec | records) ||
		fail "near: spilled output differs"
}

@test "decontamination: records sharing a 13-gram with an evaluation text go, naming it; an index saves and reloads" {
	corpus 7 1000
	"$PY" - <<'PY'
import json, random
r = random.Random(1)
docs = [json.loads(l)["text"].split() for l in open("docs.jsonl")]
with open("eval.jsonl", "w") as f:
    for k in range(30):
        w = r.choice(docs)
        s = r.randrange(max(1, len(w) - 20))
        f.write(json.dumps({"text": " ".join(w[s:s + r.choice([5, 13, 20])]).upper()}) + "\n")
    f.write(json.dumps({"text": "nothing of this is in any document at all ever"}) + "\n")
PY
	rec-pack -J --json eval.jsonl > eval.rec
	agrees 1000 --decontaminate eval.rec --no-dedup
	grep -q '^contam' got.txt || fail "nothing contaminated"
	rec-dedup -q --decontaminate eval.rec --no-dedup --removed r1.rec docs.rec > o1.rec
	rec-dedup index -o eval.idx eval.rec
	rec-dedup -q --decontaminate eval.idx --no-dedup --removed r2.rec docs.rec > o2.rec
	cmp -s <(records o1.rec) <(records o2.rec) || fail "the saved index decides otherwise"
	agrees 1000 --decontaminate eval.rec --decontam-ngram 8 --near
	run rec-dedup -q --decontaminate eval.idx --decontam-ngram 8 docs.rec
	assert_failure 2
	assert_output --partial "eval.idx"
}

@test "-j1 and -j2 write the same records; pipes and stdin are read twice through a temporary copy" {
	corpus 8 1500
	rec-dedup -q -j1 --near docs.rec | records > j1.txt
	rec-dedup -q -j2 --near docs.rec | records > j2.txt
	cmp -s j1.txt j2.txt || fail "-j2 differs"
	rec-dedup -q -j2 --near < docs.rec | records > stdin.txt
	cmp -s j1.txt stdin.txt || fail "stdin differs"
	cat docs.rec | rec-dedup -q --near - | records > pipe.txt
	cmp -s j1.txt pipe.txt || fail "a pipe differs"
	rec-dedup -q --near <(cat docs.rec) | records > fifo.txt
	cmp -s j1.txt fifo.txt || fail "a process substitution differs"
}

@test "the trailer counts what was read, kept and dropped, and the header keeps the lineage" {
	corpus 9 500
	rec-dedup -q --near docs.rec > out.rec
	rec-cat --stats out.rec > stats.json
	"$PY" - <<'PY'
import json
s = json.load(open("stats.json"))
t = s["trailer"]
assert t["read"] == 500 and t["kept"] + t["removed"] == 500 and t["removed"] == t["duplicates"] > 0, t
PY
	rec-cat --header out.rec | grep -q '"prog": *"rec-dedup"' || fail "no lineage entry: $(rec-cat --header out.rec)"
}

@test "bad input: one line naming the file and the problem, and the documented status" {
	corpus 10 50
	printf 'a\nb\n' | rec-pack > small.rec
	# usage
	run rec-dedup --bands 4 docs.rec
	assert_failure 2
	assert_output --partial "need --near"
	run rec-dedup buckets --removed x -o b.bkt
	assert_failure 2
	assert_output --partial "--removed is not an option of \`rec-dedup buckets\`"
	run rec-dedup --near --verify-jaccard 1.5 docs.rec
	assert_failure 2
	run rec-dedup --normalize upper docs.rec
	assert_failure 2
	# a JSON row without its text, a record of another kind
	echo '{"title": "x"}' | rec-pack -J --json > notext.rec
	run --separate-stderr rec-dedup -q notext.rec
	assert_failure 8
	[[ $stderr == *"notext.rec:"*"no field \"text\""* ]] || fail "$stderr"
	mkframes header tokens16:1,2,3 end > tokens.rec
	run --separate-stderr rec-dedup -q tokens.rec
	assert_failure 8
	[[ $stderr == *"tokens.rec:"*"rec-dedup reads text or JSON-row records"* ]] || fail "$stderr"
	# stage files that do not fit together
	rec-dedup sign -q -o a.sig docs.rec
	rec-dedup sign -q --near -o n.sig docs.rec
	rec-dedup sign -q -o s.sig small.rec
	run rec-dedup buckets -o x.bkt a.sig n.sig
	assert_failure 2
	assert_output --partial "other options"
	rec-dedup buckets -o a.bkt a.sig
	run rec-dedup clusters -o d a.sig s.sig a.bkt
	assert_failure 2
	assert_output --partial "other signature files"
	rec-dedup buckets -o n0.bkt --band-range 0-3 n.sig
	run rec-dedup clusters -o d n.sig n0.bkt
	assert_failure 2
	assert_output --partial "band 4 is in none"
	run rec-dedup clusters --verify-jaccard 0.8 -o d n.sig n0.bkt
	assert_failure 2
	rec-dedup clusters -o d a.sig a.bkt
	run rec-dedup remove --drop d/a.drop small.rec
	assert_failure 2
	assert_output --partial "d/a.drop"
	# damaged files
	head -c 200 a.sig > cut.sig
	run rec-dedup buckets -o x.bkt cut.sig
	assert_failure 8
	assert_output --partial "cut.sig"
	head -c 100 a.bkt > cut.bkt
	cp a.sig a2.sig
	run rec-dedup clusters -o d2 a.sig cut.bkt
	assert_failure 8
	assert_output --partial "cut.bkt"
	run rec-dedup remove --drop a.sig docs.rec
	assert_failure
	[ ! -e x.bkt ] || fail "a failed stage left its output"
	# a stage file that cannot be read is an I/O error, not a damaged file
	run --separate-stderr rec-dedup buckets -o x.bkt missing.sig
	assert_failure 1
	[[ $stderr == "rec-dedup: missing.sig: No such file or directory" ]] || fail "$stderr"
	mkdir dir.sig
	run --separate-stderr rec-dedup buckets -o x.bkt dir.sig
	assert_failure 8
	run --separate-stderr rec-dedup clusters -o d3 a.sig missing.bkt
	assert_failure 1
	[[ $stderr == "rec-dedup: missing.bkt: No such file or directory" ]] || fail "$stderr"
}

@test "remove: drop rows as clusters writes them and as a hand writes them decide alike; a malformed row is refused at its offset" {
	# Records 2 and 3 copy 0 and 1.  The kept record 0's key has a quote,
	# so its copy's row names it with an escape; record 1's key is plain.
	printf '%s\n' '{"id":"k\"0","text":"one two"}' '{"id":"k1","text":"three"}' '{"id":"k2","text":"one two"}' \
		'{"id":"k3","text":"three"}' '{"id":"k4","text":"four"}' | rec-pack -J --key-field id > s.rec
	rec-dedup sign -q -o s.sig s.rec
	rec-dedup buckets -o s.bkt s.sig
	rec-dedup clusters -o d s.sig s.bkt
	rec-dedup remove -q --drop d/s.drop --removed want.rm s.rec > want.rec
	assert_equal "$(rec-cat want.rec | grep -v '"type":"\(header\|trailer\)"' | "$PY" -c '
import json, sys; print(" ".join(json.loads(l)["key"] for l in sys.stdin))')" 'k"0 k1 k4'
	assert_equal "$(rec-cat want.rm | grep -v '"type":"\(header\|trailer\)"' | "$PY" -c '
import json, sys
for l in sys.stdin:
    j = json.loads(l); print(j["key"], j["json"]["duplicate_of"], j["json"]["duplicate_of_key"])')" \
		"$(printf 'k2 0 k"0\nk3 1 k1')"
	# The same drops written by hand: fields in another order, spaces.
	header=$(rec-cat --header d/s.drop)
	mkframes "header:$header" 'json:{"duplicate_of":0,"index":2}' 'json:{ "index" : 3 , "duplicate_of" : 1 }' end > hand.drop
	rec-dedup remove -q --drop hand.drop s.rec > got.rec
	assert_equal "$(records got.rec)" "$(records want.rec)"
	# Malformed rows: a padded, repeated, negative or too large index, a
	# row cut short or with junk: one line naming the file at the row.
	for row in '{"index":02,"duplicate_of":0}' '{"index":2,"duplicate_of":0,"index":3}' \
		'{"index":-2,"duplicate_of":0}' '{"index":5,"duplicate_of":0}' '{"index":2,"duplicate_of":0' \
		'{"index":2,"duplicate_of":0 x}' '{"index":99999999999999999999,"duplicate_of":0}'; do
		mkframes "header:$header" "json:$row" end > bad.drop
		at=$(frame_offset bad.drop 1)
		run --separate-stderr rec-dedup remove -q --drop bad.drop s.rec
		assert_failure 8
		assert_equal "$stderr" "rec-dedup: bad.drop:$at: a drop row without a valid \"index\" (rows go in increasing order, below the shard's 5 records)"
	done
}

@test "a closed pipe ends rec-dedup quietly" {
	corpus 11 3000
	run --separate-stderr bash -c 'rec-dedup -q --near docs.rec | head -c 100 > /dev/null'
	assert_success
	[ -z "$stderr" ] || fail "$stderr"
}

@test "small shards: three records sign, bucket and cluster; a drop list refuses another shard of the same length" {
	printf 'one two three four five six\none two three four five six\nsomething else here\n' | rec-pack > a.rec
	printf 'one two three four five six\nanother line entirely\nand a third one\n' | rec-pack > b.rec
	rec-dedup -q --near a.rec > out.rec || fail "a three-record --near run"
	[ "$(records out.rec | wc -l)" -eq 2 ] || fail "kept $(records out.rec | wc -l) of 3, want 2"
	rec-dedup sign -q --near -o a.sig a.rec
	rec-dedup sign -q --near -o b.sig b.rec
	rec-dedup buckets -o ab.bkt a.sig b.sig
	rec-dedup clusters -o d a.sig b.sig ab.bkt
	rec-dedup remove -q --drop d/b.drop b.rec > b.out
	[ "$(records b.out | wc -l)" -eq 2 ] || fail "b kept $(records b.out | wc -l), want 2 (its first line is a's)"
	run rec-dedup remove -q --drop d/b.drop -o a.out a.rec
	assert_failure 2
	assert_output --partial "d/b.drop: made for another shard"
	[ ! -e a.out ] || fail "a refused remove left its output"
}

@test "buckets: a thousand bands within 64 open files, into a file or a pipe, decide as one run" {
	"$PY" -c 'import random; r = random.Random(5); w = ["w%d" % i for i in range(60)]
for _ in range(400): print(" ".join(r.choice(w) for _ in range(12)))' > lines.txt
	# A hundred exact copies and a hundred with their last word changed.
	{ cat lines.txt; sed -n '1,100p' lines.txt; sed -n '101,200s/ [^ ]*$/ changed/p' lines.txt; } | rec-pack > a.rec
	rec-dedup sign -q --near --bands 1000 --rows 1 -o a.sig a.rec
	# A band's temporary file stays open only while it is sorted and
	# copied out: a thousand of them at once would pass the limit.
	bash -c 'ulimit -n 64 && exec rec-dedup buckets -q -j2 -o a.bkt a.sig' || fail "buckets needed more than 64 open files"
	rec-dedup buckets -q -j2 -o /dev/stdout a.sig | cat > piped.bkt
	cmp a.bkt piped.bkt || fail "the bucket file written to a pipe differs"
	rec-dedup clusters -o d a.sig a.bkt
	rec-dedup remove -q --drop d/a.drop a.rec > staged.rec
	rec-dedup -q --near --bands 1000 --rows 1 a.rec > run.rec
	assert_equal "$(records run.rec | wc -l)" 400
	assert_equal "$(records staged.rec)" "$(records run.rec)"
}

@test "--mem bounds the memory: 600,000 records dedup within a 32 MB data limit that the in-memory table overflows" {
	[ -z "${SLUICE_SANITIZED:-}" ] || skip "ASan's shadow memory does not fit a data limit"
	"$PY" -c 'import random; r = random.Random(2); print("\n".join("line %d" % r.randrange(400000) for _ in range(600000)))' > lines.txt
	# ulimit -d counts the heap and private writable mappings, not the
	# read-only mappings of the signature file; the shared libraries' data
	# counts too (libcurl and its own, loaded since any -o may be s3://:
	# about 1 MB), hence 32 MB, still well short of the one-pass table's 48.
	bash -c 'ulimit -d 32768 && exec rec-dedup -q --mem 4M lines.txt' > small.rec || fail "rec-dedup --mem 4M ran out of 32 MB"
	[ "$(records small.rec | wc -l)" -eq "$(sort -u lines.txt | wc -l)" ] || fail "kept $(records small.rec | wc -l)"
	# The limit bites: with the default --mem the one-pass table is chosen,
	# and it does not fit.
	run bash -c 'ulimit -d 32768 && exec rec-dedup -q lines.txt > /dev/null'
	assert_failure 1
	assert_output --partial "out of memory"
}

@test "a count past any int is refused, not wrapped into a small one" {
	run rec-dedup --near --bands 4294967310 /dev/null
	assert_failure 2
	run rec-dedup --near --ngram 4294967301 /dev/null
	assert_failure 2
}

@test "--shard I/N: sign and remove read part I of the files (by file, else by record), buckets part I of the bands; the parts give one run over their records in part order" {
	corpus 7 900
	split -n l/3 -d docs.jsonl f
	for f in f00 f01 f02; do rec-pack -J --json "$f" > "$f.rec"; done
	for n in 2 3 5; do
		rm -rf p && mkdir p
		sigs=() outs=() cuts=()
		for ((i = 0; i < n; i++)); do
			rec-dedup sign -q --near --shard $i/$n -o p/s$i.sig f00.rec f01.rec f02.rec
			sigs+=(p/s$i.sig)
			shard_cut $i $n f00 f01 f02 > p/cut$i.jsonl
			rec-pack -J --json p/cut$i.jsonl > p/cut$i.rec
			cuts+=(p/cut$i.rec)
		done
		rec-dedup buckets --shard 0/2 -o p/a.bkt "${sigs[@]}"
		# Bands sorted on several threads are appended in band order.
		rec-dedup buckets -j1 -o p/all1.bkt "${sigs[@]}"
		rec-dedup buckets -j3 -o p/all3.bkt "${sigs[@]}"
		cmp p/all1.bkt p/all3.bkt || fail "buckets -j3 wrote other bytes than -j1"
		SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 rec-dedup buckets --shard auto -o p/b.bkt "${sigs[@]}"
		rec-dedup clusters -o p/drops "${sigs[@]}" p/a.bkt p/b.bkt
		for ((i = 0; i < n; i++)); do
			SLUICE_SHARD=$i/$n rec-dedup remove -q --drop p/drops/s$i.drop -o p/out$i.rec f00.rec f01.rec f02.rec
			rec-cat --header p/out$i.rec | grep -q "\"shard\":\"$i/$n\"" || fail "$n parts: part $i has no shard in its header"
			outs+=(p/out$i.rec)
		done
		rec-dedup -q --near "${cuts[@]}" > p/one.rec
		records "${outs[@]}" > staged.txt
		records p/one.rec > single.txt
		[ "$(wc -l < single.txt)" -lt 900 ] || fail "the corpus has no copies to remove"
		cmp -s staged.txt single.txt || fail "$n parts: $(diff staged.txt single.txt | head -4)"
	done
	# A part's drop list is its own: another part's is refused.
	run rec-dedup remove -q --shard 1/5 --drop p/drops/s0.drop -o x.rec f00.rec f01.rec f02.rec
	assert_failure
	run rec-dedup buckets --shard 0/16 -o x.bkt p/s0.sig
	assert_failure 2
	assert_output --partial "bands 0 to 14, too few for 16 parts"
	run rec-dedup buckets --shard 0/2 --band-range 0-3 -o x.bkt p/s0.sig
	assert_failure 2
	run rec-dedup clusters --shard 0/2 -o d p/s0.sig p/a.bkt
	assert_failure 2
}
