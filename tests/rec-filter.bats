#!/usr/bin/env bats
# rec-filter: what the program does around its filters (predicates, rejects,
# counts, order, threads, bad input).  The quality rules are checked against
# their Python oracle in tests/quality.bats and rec-filter-quality below;
# fastText predictions against the fasttext program in tests/fasttext.bats.

load test_helper

assert_stderr_line0_partial() { [[ ${stderr_lines[0]} == *"$1"* ]] || fail "stderr: $stderr"; }
assert_stderr_line0_regexp() { [[ ${stderr_lines[0]} =~ $1 ]] || fail "stderr: $stderr"; }

# rows N : N JSON rows {"id": i, "score": i/N, "lang": "en"|"de", "text": ...}
rows() {
	"$PY" - "$1" <<-'EOF'
		import json, sys
		n = int(sys.argv[1])
		for i in range(n):
		    print(json.dumps({"id": i, "score": i / n, "lang": "en" if i % 3 else "de",
		                      "text": "document %d " % i + "word " * (i % 7)}))
	EOF
}

@test "--where keeps the JSON rows that match, unchanged, in order, with the lineage appended" {
	rows 30 | rec-pack -J --json --key-field id > in.rec
	rec-filter -q --where 'score>=0.5' --where lang=en in.rec > out.rec
	rec-cat in.rec | "$PY" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line); j = r["json"]
    if j["score"] >= 0.5 and j["lang"] == "en": print(line, end="")' > want.jsonl
	[ -s want.jsonl ]
	rec-cat out.rec > got.jsonl
	assert_equal "$(cat got.jsonl)" "$(cat want.jsonl)"
	rec-cat --stats out.rec > stats.json
	assert_equal "$(json_get stats.json 'j["header"]["lineage"][-1]["prog"]')" rec-filter
	assert_equal "$(json_get stats.json '[l["prog"] for l in j["header"]["lineage"]]')" '["rec-pack", "rec-filter"]'
	assert_equal "$(json_get stats.json 'j["header"]["kind"]')" json
}

@test "--where compares numbers by value and everything else by its JSON text" {
	printf '%s\n' '{"n":3,"x":0.50,"ok":true,"t":null,"s":"3"}' | rec-pack -J --json > in.rec
	for p in n=3 x=0.5 'x!=0.6' ok=true t=null missing=null s=3 'n<4' 'n<=3' 'n>2.5' 'n>=3' 'x<1'; do
		rec-filter -q --where "$p" in.rec > out.rec
		[ "$(rec-cat --stats out.rec | json_get /dev/stdin 'j["records"]')" = 1 ] || fail "--where $p dropped the row"
	done
	for p in n=4 'n!=3' ok=false s=4 'n<3' 'n>3' 's>1' 'missing>0'; do
		rec-filter -q --where "$p" in.rec > out.rec
		assert_equal "$(rec-cat --stats out.rec | json_get /dev/stdin 'j["records"]')" 0
	done
}

@test "a bad --where is a usage error naming the predicate" {
	run --separate-stderr rec-filter --where score < /dev/null
	assert_equal "$status" 2
	assert_stderr_line0_partial "--where score: no operator"
	run --separate-stderr rec-filter --where '=3' < /dev/null
	assert_equal "$status" 2
	assert_stderr_line0_partial "no field before the operator"
	run --separate-stderr rec-filter --where 'score>high' < /dev/null
	assert_equal "$status" 2
	assert_stderr_line0_partial "'high' is not a number"
}

@test "--rejects gets every dropped record with the rule that dropped it; the trailer counts them" {
	rows 20 | rec-pack -J --json --key-field id > in.rec
	rec-filter -q --where 'score<0.5' --where lang=en --rejects rej.rec in.rec > out.rec
	rec-cat rej.rec > rej.jsonl
	"$PY" - rej.jsonl <<-'EOF'
		import json, sys
		n = 20
		want = []
		for i in range(n):
		    lang = "en" if i % 3 else "de"
		    if not i / n < 0.5: want.append((str(i), "where/score<0.5"))
		    elif lang != "en": want.append((str(i), "where/lang=en"))
		got = [(json.loads(l)["key"], json.loads(l)["json"]["rejected_by"]) for l in open(sys.argv[1])]
		assert got == want, (got, want)
	EOF
	rec-cat --stats out.rec > stats.json
	assert_equal "$(json_get stats.json '[j["trailer"][k] for k in ("read", "kept", "dropped")]')" "[20, $((20 - $(wc -l < rej.jsonl))), $(wc -l < rej.jsonl)]"
	assert_equal "$(json_get stats.json 'j["trailer"]["rules"]')" '{"where/score<0.5": 10, "where/lang=en": 4}'
	assert_equal "$(json_get stats.json 'j["trailer"]["dropped_by"]')" '{"where": 14}'
	# the rejects are a record stream of their own, keys kept
	assert_equal "$(rec-cat --stats rej.rec | json_get /dev/stdin 'j["header"]["rejects"]')" true
}

@test "-j 2 writes the bytes -j 1 writes, across many chunks" {
	rows 12000 | rec-pack -J --json --key-field id > in.rec
	rec-filter -q -j1 --where lang=en --rejects r1.rec in.rec > one.rec
	rec-filter -q -j2 --where lang=en --rejects r2.rec in.rec > two.rec
	# the same records and trailer; only the headers' lineage (-j1, -j2) differs
	cmp <(tail -c +$(($(frame_offset one.rec 1) + 1)) one.rec) <(tail -c +$(($(frame_offset two.rec 1) + 1)) two.rec)
	cmp <(tail -c +$(($(frame_offset r1.rec 1) + 1)) r1.rec) <(tail -c +$(($(frame_offset r2.rec 1) + 1)) r2.rec)
	assert_equal "$(rec-cat --stats one.rec | json_get /dev/stdin 'j["records"]')" 8000
}

@test "--take N stops after N kept records; | head ends it quietly" {
	rows 5000 | rec-pack -J --json > in.rec
	rec-filter -q --take 7 --where lang=de in.rec > out.rec
	run rec-cat out.rec
	assert_equal "${#lines[@]}" 7
	assert_equal "$(rec-cat --stats out.rec | json_get /dev/stdin 'j["trailer"]["kept"]')" 7
	run --separate-stderr bash -c 'set -o pipefail; rec-filter -q --where lang=en in.rec | head -c 100 > /dev/null'
	assert_no_stderr
}

@test "plain text lines are read as text records; keys of text records are kept" {
	printf 'one\ntwo\n' | rec-filter -q > out.rec
	assert_equal "$(rec-cat --text out.rec)" "$(printf 'one\ntwo')"
	printf '{"k":"a","text":"x"}\n{"k":"b","text":"y"}\n' | rec-pack -J --key-field k > keyed.rec
	rec-filter -q keyed.rec > out.rec
	assert_equal "$(rec-cat out.rec)" "$(rec-cat keyed.rec)"
	assert_equal "$(rec-cat --stats out.rec | json_get /dev/stdin 'j["header"]["kind"]')" text
}

@test "predicates and annotations need JSON rows: text records are refused at the first one" {
	printf 'one\n' | rec-pack > text.rec
	run --separate-stderr rec-filter -q --where a=1 text.rec
	assert_error 8 "rec-filter: text.rec:0: text records: --where needs JSON rows"
}

@test "records of another kind, a truncated stream and a malformed row each fail naming the place" {
	mkframes 'header:{"format":"sluice-rec","version":1,"kind":"tokens"}' 'tokens16:1,2' end:1 > tok.rec
	run --separate-stderr rec-filter -q tok.rec
	assert_equal "$status" 8
	assert_output ''
	assert_equal "${stderr_lines[0]}" "rec-filter: tok.rec:0: a stream of another kind: rec-filter reads text or JSON-row records"
	rows 50 | rec-pack -J --json > in.rec
	head -c $(($(filesize in.rec) - 40)) in.rec > cut.rec
	run --separate-stderr rec-filter -q -o out.rec cut.rec
	[ "$status" -ge 3 ] && [ "$status" -le 7 ] || fail "status $status"
	assert_stderr_line0_partial "rec-filter: cut.rec:"
	[ ! -e out.rec ] || fail "a partial output was left behind"
	mkframes 'header:{"format":"sluice-rec","version":1,"kind":"json"}' 'json:{"text":"ok"}' 'json:{"text":' end:2 > bad.rec
	run --separate-stderr rec-filter -q --gopher-quality bad.rec
	assert_equal "$status" 8
	assert_stderr_line0_regexp '^rec-filter: bad\.rec:[0-9]+: record 2: '
}

@test "a JSON row without the text field fails when a filter needs the text; a null text is dropped" {
	printf '%s\n' '{"body":"x"}' | rec-pack -J --json > in.rec
	run --separate-stderr rec-filter -q --gopher-quality in.rec
	assert_error 8 "rec-filter: in.rec:$(frame_offset in.rec 1): record 1: no field \"text\" (choose the text with --field)"
	run --separate-stderr rec-filter -q --gopher-quality --field body -o out.rec in.rec
	assert_success
	printf '%s\n' '{"text":null}' | rec-pack -J --json > null.rec
	rec-filter -q --gopher-quality null.rec > out.rec
	assert_equal "$(rec-cat --stats out.rec | json_get /dev/stdin 'j["trailer"]["rules"]["null-text"]')" 1
}

@test "--lang and --annotate need a model; an unreadable model is exit 1" {
	run --separate-stderr rec-filter --lang en < /dev/null
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-filter: --lang and --annotate need --lang-model"
	run --separate-stderr rec-filter --lang-model nosuch.ftz < /dev/null
	assert_equal "$status" 1
	assert_stderr_line0_partial "nosuch.ftz"
	run --separate-stderr rec-filter --gopher-quality=no_such_param=1 < /dev/null
	assert_equal "$status" 2
	assert_stderr_line0_partial "no_such_param"
}

# decisions DOCS ARGS... : run rec-filter with ARGS over the NUL-separated
# documents (as JSON rows keyed by number, invalid UTF-8 replaced) and print
# one line a document as the oracle prints them: "keep", "keep<TAB>TEXT"
# when the text changed, or the rule that dropped it.  The documents as
# given to rec-filter go to DOCS.utf8 for the oracle.
decisions() {
	local docs=$1
	shift
	"$PY" - "$docs" <<-'EOF2' > rows.jsonl
		import json, sys
		docs = open(sys.argv[1], "rb").read().split(b"\0")[:-1]
		with open(sys.argv[1] + ".utf8", "wb") as f:
		    for i, d in enumerate(docs):
		        t = d.decode("utf-8", "replace")
		        f.write(t.encode() + b"\0")
		        print(json.dumps({"id": i, "text": t}))
	EOF2
	rec-pack -J --json --key-field id rows.jsonl > rows.rec
	rec-filter -q "$@" --rejects rej.rec rows.rec > kept.rec
	rec-cat kept.rec > kept.jsonl
	rec-cat rej.rec > rej.jsonl
	"$PY" - rows.jsonl kept.jsonl rej.jsonl <<-'EOF2'
		import json, sys
		docs = [json.loads(l)["text"] for l in open(sys.argv[1])]
		out = {}
		for l in open(sys.argv[2]):
		    r = json.loads(l); t = r["json"]["text"]; i = int(r["key"])
		    out[i] = "keep" if t == docs[i] else "keep\t" + t.replace("\\", "\\\\").replace("\n", "\\n")
		for l in open(sys.argv[3]):
		    r = json.loads(l); out[int(r["key"])] = r["json"]["rejected_by"]
		assert sorted(out) == list(range(len(docs))), "a document is missing or doubled"
		for i in range(len(docs)): print(out[i])
	EOF2
}

@test "the program's decisions are the Python oracle's: threshold corpus and real text, each filter and all four" {
	"$PY" "$HELPERS/quality_corpus.py" corpus
	for g in corpus/*.args; do
		g=${g%.args}
		mapfile -t args < "$g.args"
		decisions "$g.docs" "${args[@]}" > got
		cmp -s got "$g.expected" || fail "$g: $(diff got "$g.expected" | head -n 6 | cut -c1-200)"
	done
	"$PY" "$HELPERS/quality_realtext.py" 600000 > real
	for args in --gopher-repetition --gopher-quality --c4 --fineweb '--gopher-repetition --gopher-quality --c4 --fineweb'; do
		decisions real $args > got
		"$PY" "$HELPERS/quality_oracle.py" $args < real.utf8 > want
		cmp -s got want || fail "$args: $(diff got want | head -n 6 | cut -c1-200)"
		grep -q '^keep' got || fail "$args kept nothing"
		grep -qv '^keep' got || fail "$args dropped nothing"
	done
	# -j 2 decides the same
	decisions real -j2 --gopher-repetition --gopher-quality --c4 --fineweb > got2
	cmp got got2
}

# lang_model DIR: DIR/m.bin and DIR/m.ftz, small fastText models of the
# fortunes in eight languages, and DIR/test.txt, held-out lines.
lang_model() {
	command -v fasttext > /dev/null || fail "no fasttext program (apt-get install fasttext)"
	"$PY" "$HELPERS/ft_corpus.py" 200 30 "$1/train.txt" "$1/test.txt"
	fasttext supervised -input "$1/train.txt" -output "$1/m" -loss hs -dim 8 -epoch 10 -lr 0.5 -minn 2 -maxn 4 \
		-minCount 2 -thread 1 -seed 1 -verbose 0
	fasttext quantize -input "$1/train.txt" -output "$1/m" -qnorm -cutoff 2000 -thread 1 -verbose 0 > /dev/null
	[ -s "$1/m.ftz" ]
}

@test "--lang keeps what datatrove's LanguageFilter keeps by the scores of fasttext predict-prob (.bin and .ftz)" {
	lang_model .
	rec-pack test.txt > test.rec
	for model in m.bin m.ftz; do
		fasttext predict-prob "$model" test.txt -1 > scores.txt
		for spec in 'en,de 0.65' 'es 0.3' 'pl,ru,cs 0.9'; do
			set -- $spec
			rec-filter -q --lang-model "$model" --lang "$1" --lang-threshold "$2" test.rec > kept.rec
			rec-cat --text kept.rec > got.txt
			# datatrove: kept when one of the languages scores above the
			# threshold; a line fastText finds nothing in is not kept
			"$PY" - "$1" "$2" test.txt scores.txt > want.txt <<-'EOF2'
				import sys
				langs, thr = sys.argv[1].split(","), float(sys.argv[2])
				lines = open(sys.argv[3], "rb").read().split(b"\n")[:-1]
				scores = open(sys.argv[4]).read().split("\n")[:-1]
				assert len(lines) == len(scores)
				kept = []
				for line, s in zip(lines, scores):
				    t = s.split()
				    pairs = {t[i][len("__label__"):]: float(t[i + 1]) for i in range(0, len(t), 2)}
				    if any(pairs.get(l, 0.0) > thr for l in langs):
				        kept.append(line)
				sys.stdout.buffer.write(b"".join(k + b"\n" for k in kept))
			EOF2
			[ -s want.txt ] || fail "$model $spec: the oracle keeps nothing"
			cmp got.txt want.txt || fail "$model $spec: $(diff <(cat got.txt) <(cat want.txt) | head -n 4 | cut -c1-120)"
		done
	done
}

@test "--annotate writes the best language and its score, as predict-prob gives them, into JSON rows" {
	lang_model .
	# valid UTF-8 lines only: JSON holds text
	"$PY" -c '
import json, sys
for i, l in enumerate(open("test.txt", "rb").read().split(b"\n")[:-1]):
    try: t = l.decode()
    except UnicodeDecodeError: continue
    if t.strip() and "\r" not in t and "__label__" not in t: print(json.dumps({"id": i, "text": t}))' > rows.jsonl
	jq -r .text rows.jsonl > rows.txt
	fasttext predict-prob m.ftz rows.txt 1 > top.txt
	rec-pack -J --json --key-field id rows.jsonl > rows.rec
	rec-filter -q --lang-model m.ftz --lang-threshold 0 --annotate rows.rec > out.rec
	rec-cat out.rec > out.jsonl
	"$PY" - rows.jsonl out.jsonl top.txt <<-'EOF2'
		import json, sys
		rows = [json.loads(l) for l in open(sys.argv[1])]
		out = [json.loads(l)["json"] for l in open(sys.argv[2])]
		top = [l.split() for l in open(sys.argv[3])]
		assert len(rows) == len(out) == len(top), (len(rows), len(out), len(top))
		for r, o, t in zip(rows, out, top):
		    assert list(o)[:len(r)] == list(r) and all(o[k] == r[k] for k in r), (r, o)
		    assert list(o)[len(r):] == ["language", "language_score"], o
		    assert o["language"] == t[0][len("__label__"):], (o, t)
		    assert abs(o["language_score"] - float(t[1])) <= 1e-5, (o, t)
	EOF2
	# the annotation goes into rows kept by --lang too, and text records refuse it
	rec-pack test.txt > test.rec
	run --separate-stderr rec-filter -q --lang-model m.ftz --annotate test.rec
	assert_equal "$status" 8
	assert_stderr_line0_partial "--annotate writes into JSON rows"
}

@test "--shard I/N: part I is what base/shard.h's rule gives it, and the parts together are the whole" {
	shard_texts_files 60
	rec-filter a.txt b.txt c.txt > all.rec
	rec-cat --text all.rec | sort > all.txt
	[ "$(wc -l < all.txt)" = 60 ] || fail "the whole: $(wc -l < all.txt) records, not 60"
	for n in 1 2 3 5 8; do
		: > parts.txt
		for ((i = 0; i < n; i++)); do
			rec-filter --shard $i/$n a.txt b.txt c.txt > p.rec
			shard_cut $i $n a.txt b.txt c.txt > cut.txt
			rec-filter cut.txt > want.rec
			assert_equal "$(rec-cat --text p.rec)" "$(rec-cat --text want.rec)"
			if [ $n -gt 1 ]; then
				rec-cat --header p.rec | grep -q "\"shard\":\"$i/$n\"" || fail "part $i/$n: no shard in the header"
			fi
			rec-cat --text p.rec >> parts.txt
		done
		assert_equal "$(sort parts.txt)" "$(cat all.txt)"
	done
}

@test "--shard auto takes the part from a Slurm array task; SLUICE_SHARD without --shard" {
	shard_texts_files 30
	rec-filter --shard 2/4 a.txt b.txt c.txt > want.rec
	SLURM_ARRAY_TASK_ID=12 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_COUNT=4 rec-filter --shard auto a.txt b.txt c.txt > slurm.rec
	assert_equal "$(rec-cat --text slurm.rec)" "$(rec-cat --text want.rec)"
	SLUICE_SHARD=2/4 rec-filter a.txt b.txt c.txt > env.rec
	assert_equal "$(rec-cat --text env.rec)" "$(rec-cat --text want.rec)"
	run env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX rec-filter --shard auto a.txt
	assert_failure 2
	assert_output --partial "SLURM_ARRAY_TASK_ID"
	run rec-filter --shard 4/4 a.txt
	assert_failure 2
	assert_output --partial "needs 0 <= I < N"
}
