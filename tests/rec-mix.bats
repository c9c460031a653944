#!/usr/bin/env bats
# rec-mix: several record streams interleaved in the order of Hugging Face
# datasets.interleave_datasets.  The oracle is numpy itself: nprandom-dump
# against numpy's Generator, and rec-mix against tests/helpers/mix_oracle.py,
# which replays datasets' loop on numpy's default_rng(seed).choice draws.

load test_helper

NPDUMP=${SLUICE_TEST_BIN:-$TOP/build/tests}/nprandom-dump

# numbered N I: a text stream of N records "I:0" ... "I:N-1", in inI.rec.
numbered() {
	local n=$1 i=$2
	for ((k = 0; k < n; k++)); do echo "$i:$k"; done | rec-pack > "in$i.rec"
}

# mix_matches "OPTIONS" LEN...: rec-mix OPTIONS over inputs of these lengths
# prints the records datasets would give, in the same order.
mix_matches() {
	local opts=$1 files=() i=0
	shift
	for len in "$@"; do
		numbered "$len" "$i"
		files+=("in$i.rec")
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	rec-mix $opts "${files[@]}" > mix.rec || fail "rec-mix $opts failed"
	rec-cat --text mix.rec > got.txt
	# shellcheck disable=SC2086
	"$PY" "$HELPERS/mix_oracle.py" $opts "$@" > want.txt
	cmp -s got.txt want.txt || fail "rec-mix $opts over $*: $(diff got.txt want.txt | head -5)"
}

# ---- numpy's Generator ----------------------------------------------------

@test "nprandom: SeedSequence, PCG64, random() and choice(p=) draw what numpy draws" {
	for seed in 0 1 42 4294967295 4294967296 18446744073709551615; do
		"$NPDUMP" words "$seed" 8 > got.txt
		"$PY" -c "import numpy as np; print(*np.random.SeedSequence($seed).generate_state(8), sep='\n')" > want.txt
		cmp -s got.txt want.txt || fail "generate_state, seed $seed"
		"$NPDUMP" raw "$seed" 50 > got.txt
		"$PY" -c "import numpy as np; print(*np.random.default_rng($seed).bit_generator.random_raw(50), sep='\n')" > want.txt
		cmp -s got.txt want.txt || fail "random_raw, seed $seed"
		"$NPDUMP" random "$seed" 50 > got.txt
		"$PY" -c "import numpy as np; print(*('%.17g' % x for x in np.random.default_rng($seed).random(50)), sep='\n')" > want.txt
		cmp -s got.txt want.txt || fail "random(), seed $seed"
		for p in 0.5,0.5 0.1,0,0.2,0.7 0,1 0.3333333333333333,0.3333333333333333,0.3333333333333334; do
			"$NPDUMP" choice "$seed" 3000 "$p" > got.txt
			"$PY" -c "import numpy as np; p=[$p]; print(*np.random.default_rng($seed).choice(len(p), 3000, p=p), sep='\n')" > want.txt
			cmp -s got.txt want.txt || fail "choice, seed $seed, p $p"
		done
	done
}

@test "nprandom: p is refused where numpy's choice refuses it, and accepted where it accepts it" {
	for p in 0.5,0.6 -0.5,1.5 nan,1 inf,0 0,0 0.5,0.49999 0.5,0.50000002; do
		run "$NPDUMP" choice 0 1 "$p"
		assert_failure 1
		run "$PY" -c "import numpy as np; np.random.default_rng(0).choice(2, 1, p=[float(x) for x in '$p'.split(',')])"
		assert_failure
	done
	# within sqrt(eps) of 1 is a sum of 1 to numpy
	for p in 0.5,0.500000001 0.1,0.2,0.7; do
		run "$NPDUMP" choice 0 1 "$p"
		assert_success
	done
}

# ---- the order ------------------------------------------------------------

@test "without probabilities the inputs take turns, as datasets cycles them (both strategies)" {
	mix_matches "" 3 5 2
	mix_matches "--stop all_exhausted" 3 5 2
	mix_matches "--stop first_exhausted" 4 4 4
	mix_matches "--stop all_exhausted" 1 6
	mix_matches "" 7
	run rec-cat --text mix.rec
	assert_output "$(seq 0 6 | sed 's/^/0:/')"
}

@test "with probabilities the order is datasets', drawn by numpy, on several seeds and weights" {
	mix_matches "--probabilities 0.5,0.3,0.2" 30 50 20
	mix_matches "--probabilities 0.5,0.3,0.2 --seed 7" 30 50 20
	mix_matches "--probabilities 0.5,0.3,0.2 --seed 7 --stop all_exhausted" 30 50 20
	mix_matches "--probabilities 0.9,0.1 --seed 123456789 --stop all_exhausted" 5 40
	mix_matches "--probabilities 0.05,0.95 --seed 42 --stop all_exhausted" 3000 2000
	mix_matches "--probabilities 0.2,0.3,0.1,0.4 --seed 18446744073709551615 --stop all_exhausted" 100 1 2500 40
	mix_matches "--probabilities 0.2,0.3,0.1,0.4 --seed 4294967296" 100 1 2500 40
	mix_matches "--probabilities 1 --seed 5 --stop all_exhausted" 7
}

@test "a zero probability: that input is never drawn" {
	mix_matches "--probabilities 0.7,0,0.3 --seed 3" 300 50 200
	run grep -c '^1:' got.txt
	assert_output 0
	mix_matches "--probabilities 0.7,0,0.3 --seed 3 --stop all_exhausted --take 700" 300 50 200
	assert_equal "$(wc -l < got.txt)" 700
}

@test "an empty input: ends first_exhausted on its first turn, takes nothing under all_exhausted" {
	mix_matches "--probabilities 0.25,0.25,0.5 --seed 1" 5 0 20
	mix_matches "--probabilities 0.25,0.25,0.5 --seed 1 --stop all_exhausted" 0 10 20
	mix_matches "" 2 0 3
	assert_equal "$(cat got.txt)" "0:0"
	mix_matches "--stop all_exhausted" 2 0 3
	mix_matches "--stop all_exhausted" 0 0
	assert_equal "$(wc -c < got.txt)" 0
}

@test "--take stops after N records of the same order" {
	mix_matches "--probabilities 0.6,0.4 --seed 9 --take 25" 100 100
	assert_equal "$(wc -l < got.txt)" 25
	mix_matches "--take 0" 3 3
	assert_equal "$(wc -c < got.txt)" 0
}

# ---- frames, header, trailer ----------------------------------------------

@test "frames are moved unchanged: type, dtype, keys, payloads and checksums, byte for byte" {
	h='{"kind":"tokens","dtype":"u16","tokenizer":"gpt2","vocab_size":50257,"lineage":[{"prog":"a"}]}'
	mkframes "header:$h" 'tokens16@doc-a0:1,2,3' 'tokens16:' 'tokens16@doc-a2:65535,0' end > a.rec
	mkframes "header:$h" 'tokens16@b0:7' 'tokens16@a-much-longer-key-than-eight-bytes:9,9,9,9,9' end > b.rec
	rec-mix --probabilities 0.5,0.5 --seed 11 --stop all_exhausted a.rec b.rec > mix.rec
	"$PY" "$HELPERS/mix_oracle.py" --probabilities 0.5,0.5 --seed 11 --stop all_exhausted 3 2 > order.txt
	"$PY" - a.rec b.rec mix.rec order.txt <<-'EOF'
		import struct, sys
		def frames(path):
		    data, at, out = open(path, "rb").read(), 0, []
		    while at < len(data):
		        typ, klen, plen = data[at + 4], *struct.unpack_from("<HI", data, at + 6)
		        size = 24 + -(-klen // 8) * 8 + -(-plen // 8) * 8
		        if typ >= 0x10:
		            out.append(data[at:at + size])
		        at += size
		    return out
		inputs = [frames(sys.argv[1]), frames(sys.argv[2])]
		want = [inputs[int(i)][int(k)] for i, k in (l.split(":") for l in open(sys.argv[4]))]
		assert frames(sys.argv[3]) == want, "the mix's frames are not the inputs' frames"
	EOF
	rec-cat -c mix.rec
}

@test "the header keeps what all inputs agree on and lists every input's header" {
	printf 'a\n' | rec-pack > a.rec
	printf 'b\n' | rec-pack --quiet > b.rec
	rec-mix --quiet a.rec b.rec > mix.rec
	rec-cat --header mix.rec > h.json
	assert_equal "$(json_get h.json '[j["format"], j["version"], j["kind"]]')" '["sluice-rec", 1, "text"]'
	assert_equal "$(json_get h.json '[s["prog"] for s in j["lineage"]]')" '["rec-mix"]'
	assert_equal "$(json_get h.json 'j["lineage"][0]["args"]')" '["--quiet", "a.rec", "b.rec"]'
	rec-cat --header a.rec > ha.json
	rec-cat --header b.rec > hb.json
	assert_equal "$(json_get h.json 'j["inputs"]')" "$("$PY" -c 'import json,sys; print(json.dumps([json.load(open(f)) for f in sys.argv[1:]]))' ha.json hb.json)"
	assert_equal "$(json_get h.json 'j["inputs"][1]["lineage"][0]["args"]')" '["--quiet"]'
}

@test "the trailer counts the records taken from each input; rec-cat --stats shows it" {
	numbered 4 0
	numbered 2 1
	rec-mix --stop all_exhausted in0.rec in1.rec > mix.rec
	rec-cat --stats mix.rec > stats.json
	# 0:0 1:0 0:1 1:1 (in1 exhausted) 0:2 1:0 0:3 (in0 exhausted: all are)
	assert_equal "$(json_get stats.json 'j["records"]')" 7
	assert_equal "$(json_get stats.json 'j["trailer"]')" \
		'{"records": 7, "inputs": [{"input": "in0.rec", "records": 4, "rereads": 0}, {"input": "in1.rec", "records": 3, "rereads": 1}]}'
}

@test "inputs of different kinds, or tokens of two tokenizers, are refused in one line naming both" {
	printf 'a\n' | rec-pack > text.rec
	mkframes 'header:{"kind":"tokens","dtype":"u16","tokenizer":"gpt2"}' 'tokens16:1' end > gpt2.rec
	mkframes 'header:{"kind":"tokens","dtype":"u16","tokenizer":"other"}' 'tokens16:1' end > other.rec
	run --separate-stderr rec-mix text.rec gpt2.rec
	assert_error 8 "rec-mix: cannot mix text.rec (kind text) with gpt2.rec (kind tokens)"
	assert_equal "$output" ""
	run --separate-stderr rec-mix gpt2.rec other.rec
	assert_error 8 "rec-mix: cannot mix gpt2.rec (tokenizer gpt2) with other.rec (tokenizer other)"
}

# ---- inputs that are streams ----------------------------------------------

@test "inputs from FIFOs and process substitution" {
	numbered 5 0
	numbered 3 1
	rec-mix in0.rec in1.rec > want.rec
	mkfifo f0
	cat in0.rec > f0 &
	rec-mix f0 <(cat in1.rec) > got.rec
	wait
	cmp <(rec-cat got.rec) <(rec-cat want.rec)
	rec-mix - in1.rec < in0.rec > got.rec
	cmp <(rec-cat got.rec) <(rec-cat want.rec)
}

@test "all_exhausted on a pipe is an error naming it, before any output" {
	numbered 3 0
	run --separate-stderr rec-mix --stop all_exhausted in0.rec <(cat in0.rec)
	assert_failure 2
	assert_equal "${#stderr_lines[@]}" 2
	assert_regex "${stderr_lines[0]}" '^rec-mix: /dev/fd/[0-9]+: --stop all_exhausted reads an exhausted input again from its start, and a pipe cannot be read twice \(give a file\)$'
	assert_equal "$output" ""
	run --separate-stderr rec-mix --stop all_exhausted - < <(cat in0.rec)
	assert_failure 2
	assert_regex "${stderr_lines[0]}" '^rec-mix: <stdin>: '
}

# ---- bad command lines ----------------------------------------------------

@test "bad probabilities: each a usage error with one clear line" {
	numbered 2 0
	numbered 2 1
	check() {
		run --separate-stderr rec-mix --probabilities "$1" in0.rec in1.rec
		assert_equal "$status" 2
		assert_equal "${stderr_lines[0]}" "rec-mix: $2"
		assert_equal "${stderr_lines[1]}" "Try 'rec-mix --help' for more information."
		assert_equal "$output" ""
	}
	check 1 "--probabilities: 1 value for 2 inputs"
	check 0.2,0.3,0.5 "--probabilities: 3 values for 2 inputs"
	check -0.5,1.5 "--probabilities: probability 1 is negative (-0.5)"
	check 0.5,0.6 "--probabilities: the probabilities sum to 1.1000000000000001, not 1"
	check 0.5,0.4999 "--probabilities: the probabilities sum to 0.99990000000000001, not 1"
	check half,0.5 "--probabilities: 'half' is not a number"
	check 0.5,0.5x "--probabilities: '0.5x' is not a number"
	check 0.5, "--probabilities: '' is not a number"
	check nan,1 "--probabilities: a probability is not a number"
}

@test "a zero probability under all_exhausted without --take, --seed without --probabilities: usage errors" {
	numbered 2 0
	numbered 2 1
	run --separate-stderr rec-mix --probabilities 1,0 --stop all_exhausted in0.rec in1.rec
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "rec-mix: --probabilities: input 2 has probability 0, so with --stop all_exhausted the mix never ends (give --take N, or drop the input)"
	run --separate-stderr rec-mix --seed 3 in0.rec in1.rec
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "rec-mix: --seed goes with --probabilities (without them the inputs take turns)"
	run --separate-stderr rec-mix --stop never in0.rec
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "rec-mix: --stop: 'never' is neither first_exhausted nor all_exhausted"
	run --separate-stderr rec-mix
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "rec-mix: no INPUT: name the record streams to mix"
}

# ---- damaged inputs -------------------------------------------------------

@test "a truncated input: its file:offset error, a non-zero status, no end marker out" {
	numbered 5 0
	numbered 5 1
	third=$(frame_offset in1.rec 3)
	head -c $((third + 10)) in1.rec > cut.rec
	want=$(rec-cat -c cut.rec 2>&1 | sed 's/^rec-cat:/rec-mix:/')
	run --separate-stderr rec-mix in0.rec cut.rec
	assert_error 4 "$want"
	assert_regex "$stderr" "^rec-mix: cut.rec:$third: truncated frame"
	printf '%s' "$output" > out.rec
	run rec-cat -c out.rec
	assert_failure
	run --separate-stderr rec-mix -o mix.rec in0.rec cut.rec
	assert_failure 4
	[ ! -e mix.rec ] || fail "-o left a partial mix.rec"
}

@test "a corrupt input: checksum error with its file:offset" {
	numbered 5 0
	numbered 5 1
	second=$(frame_offset in0.rec 2)
	flip_byte in0.rec $((second + 26))
	run --separate-stderr rec-mix in0.rec in1.rec
	assert_error 5 "rec-mix: in0.rec:$second: frame checksum mismatch"
	run --separate-stderr rec-mix in1.rec nosuch.rec
	assert_error 1 "rec-mix: nosuch.rec: No such file or directory"
	printf 'plain text\n' > plain.txt
	run --separate-stderr rec-mix in1.rec plain.txt
	assert_equal "$status" 3
	assert_regex "$stderr" '^rec-mix: plain.txt:0: '
}

# ---- output ---------------------------------------------------------------

@test "-o writes the file; | head ends quietly" {
	numbered 3 0
	numbered 3 1
	rec-mix -o mix.rec in0.rec in1.rec
	run rec-cat --text mix.rec
	# in0 runs out on its third turn, and first_exhausted ends the mix there
	assert_output "$(printf '0:0\n1:0\n0:1\n1:1\n0:2')"
	seq 200000 | rec-pack > big.rec
	run --separate-stderr bash -c 'set -o pipefail; rec-mix --stop all_exhausted big.rec big.rec | head -c 100 > /dev/null'
	assert_no_stderr
}
