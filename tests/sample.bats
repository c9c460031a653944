#!/usr/bin/env bats
# sample: picking the next token (libcommon/model/sample.c) against an independent
# numpy implementation (tests/helpers/sample_oracle.py): greedy and its
# ties, temperature, top-k, top-p (and Hugging Face's own top-p formula),
# the frequencies of many draws, seeds, and the log-softmax of scoring.

load test_helper

check() { "$SLUICE_TEST_BIN/gen-check" "$@"; }
oracle() { "$PY" "$HELPERS/sample_oracle.py" "$@"; }

# probs_match FILE T K P: the kept set and its probabilities equal the oracle's.
probs_match() {
	check -t "$2" -k "$3" -p "$4" probs "$1" > got.txt
	run oracle probs "$1" "$2" "$3" "$4" < got.txt
	echo "$1 T=$2 K=$3 P=$4: $output"
	assert_success
}

# freq_match FILE T K P: 200000 draws (seed 5) match the kept distribution.
freq_match() {
	check -s 5 -n 200000 -t "$2" -k "$3" -p "$4" draw "$1" > counts.txt
	run oracle freq "$1" "$2" "$3" "$4" 200000 < counts.txt
	echo "$1 T=$2 K=$3 P=$4: $output"
	assert_success
}

@test "greedy: the argmax, the lowest id on ties, whatever the seed and truncation" {
	echo "0 3 -1 3 2.5 3" > l.txt
	for s in 1 2 3; do
		run check -t 0 -s $s -n 5 seq l.txt
		assert_success
		assert_output "1
1
1
1
1"
	done
	run check -t 0 -k 2 -p 0.3 -n 1 seq l.txt
	assert_output 1
	run check -t 0 probs l.txt
	assert_output "1 1"
	# the first finite maximum even when it is last, or negative
	echo "-5 -inf -4.5 -7" > l.txt
	run check -t 0 -n 1 seq l.txt
	assert_output 2
}

@test "top_k 1 is greedy: the lowest id of the tied largest" {
	echo "0 3 -1 3 2.5 3" > l.txt
	run check -k 1 -n 3 seq l.txt
	assert_output "1
1
1"
}

@test "temperature 1, no truncation: 200000 draws have softmax's frequencies" {
	oracle gen normal 1 30 > l.txt
	freq_match l.txt 1 0 1
	oracle gen peaked 2 50 > l.txt
	freq_match l.txt 1 0 1
}

@test "temperature 0.5 sharpens: the frequencies of softmax(logits / 0.5)" {
	oracle gen normal 1 30 > l.txt
	freq_match l.txt 0.5 0 1
	# and it is not softmax(logits): the likeliest token is drawn more often
	check -s 5 -n 200000 draw l.txt | sort -k2,2n | tail -1 > t1.txt
	check -s 5 -n 200000 -t 0.5 draw l.txt | sort -k2,2n | tail -1 > t05.txt
	[ "$(cut -d' ' -f1 t1.txt)" = "$(cut -d' ' -f1 t05.txt)" ]
	[ "$(cut -d' ' -f2 t05.txt)" -gt "$(cut -d' ' -f2 t1.txt)" ]
	probs_match l.txt 0.5 0 1
	probs_match l.txt 2 0 1
}

@test "top-k keeps exactly the k most likely, ties to the lower ids, renormalised" {
	oracle gen normal 3 40 > l.txt
	for k in 1 2 5 39 40 100; do probs_match l.txt 1 $k 1; done
	# ties at the k-th: of the tokens tied at 1.0, ids 1 and 3 are kept
	echo "0 1 2 1 1 -1" > l.txt
	run check -k 3 probs l.txt
	assert_line --index 0 --regexp '^1 '
	assert_line --index 1 --regexp '^2 '
	assert_line --index 2 --regexp '^3 '
	assert_equal "${#lines[@]}" 3
	oracle gen ties 4 60 > l.txt
	for k in 1 3 7 20; do probs_match l.txt 1 $k 1; done
}

@test "top-k draws: never outside the k most likely, at their renormalised frequencies" {
	oracle gen normal 3 40 > l.txt
	freq_match l.txt 1 5 1
	oracle gen ties 4 60 > l.txt
	freq_match l.txt 1 7 1
}

@test "top-p keeps the set numpy computes, for several p, with ties, and p=1 keeps all" {
	oracle gen normal 1 30 > normal.txt
	oracle gen ties 2 40 > ties.txt
	oracle gen peaked 3 50 > peaked.txt
	for f in normal.txt ties.txt peaked.txt; do
		for p in 0.05 0.3 0.5 0.9 0.95 0.999 1; do probs_match $f 1 0 $p; done
	done
	check -p 1 probs ties.txt > all.txt
	assert_equal "$(wc -l < all.txt)" 40
}

@test "top-p: the boundary is inclusive, ties at it go to the lower ids" {
	echo "1 1 1 1" > l.txt
	# probabilities 1/4 each, exact: 0.5 is reached by two tokens, 0.75 by three
	run check -p 0.5 probs l.txt
	assert_output "0 0.5
1 0.5"
	run check -p 0.75 probs l.txt
	assert_output "0 0.33333333333333331
1 0.33333333333333331
2 0.33333333333333331"
	run check -p 0.76 probs l.txt
	assert_equal "${#lines[@]}" 4
	# at least one token, however small p
	run check -p 0.000001 probs l.txt
	assert_output "0 1"
	echo "0 2 2 1 2 0 1" > l.txt
	for p in 0.2 0.5 0.7 0.9 0.99; do probs_match l.txt 1 0 $p; done
}

@test "top-p agrees with Hugging Face's TopPLogitsWarper formula on untied logits" {
	for seed in 1 2 3; do
		oracle gen normal $seed 100 > l.txt
		for p in 0.1 0.5 0.8 0.9 0.95; do
			check -p $p probs l.txt > got.txt
			run oracle hf l.txt $p < got.txt
			echo "seed $seed p $p: $output"
			assert_success
		done
	done
}

@test "top-k, then top-p, at a temperature: the composition numpy computes, and its draws" {
	oracle gen normal 5 80 > l.txt
	for p in 0.3 0.8 0.95; do
		probs_match l.txt 0.7 10 $p
		probs_match l.txt 1.5 30 $p
	done
	freq_match l.txt 0.7 10 0.8
	oracle gen ties 6 80 > l.txt
	freq_match l.txt 1 12 0.6
}

@test "a large vocabulary: 200000 logits, top-k 40 and top-p 0.9" {
	oracle gen normal 7 200000 > l.txt
	probs_match l.txt 1 40 0.9
	probs_match l.txt 0.8 0 0.5
	run check -n 100 -k 40 -p 0.9 seq l.txt
	assert_success
	assert_equal "${#lines[@]}" 100
}

@test "the same seed gives the same sequence, another seed another" {
	oracle gen normal 1 30 > l.txt
	check -s 11 -n 200 seq l.txt > a.txt
	check -s 11 -n 200 seq l.txt > b.txt
	cmp a.txt b.txt
	check -s 12 -n 200 seq l.txt > c.txt
	! cmp -s a.txt c.txt
	# and with truncation
	check -s 11 -n 200 -k 10 -p 0.9 seq l.txt > a.txt
	check -s 11 -n 200 -k 10 -p 0.9 seq l.txt > b.txt
	cmp a.txt b.txt
}

@test "sample_logprob is numpy's log-softmax within 1e-12, also for large logits" {
	oracle gen normal 1 1000 > l.txt
	check logprob l.txt > got.txt
	run oracle logprob l.txt < got.txt
	echo "$output"
	assert_success
	echo "1000 -1000 999.5 0 -inf 88.75" > l.txt
	check logprob l.txt > got.txt
	run oracle logprob l.txt < got.txt
	echo "$output"
	assert_success
}
