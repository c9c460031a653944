#!/usr/bin/env bats
# gpt2gen: GPT-2 inference with a key/value cache (libcommon/model/gpt2gen.c)
# against gpt2_forward (gpt2.c, itself checked against PyTorch in
# gpt2.bats), through tests/helpers/gen-check: the logits after every
# prefix, whatever the feed sizes; reset; the cache's limit; bad tokens.
#
# The model: L=2 NH=4 C=64 maxT=32 V=1000, a random 32-token sequence.  With
# -g 8 its weights and embeddings are 8 times gpt2_init's, so attention is
# far from uniform (scores of standard deviation ~1.6 rather than ~0.03)
# and a wrong key, value or mask shows.  gen-check compares softmax of the
# cached logits with gpt2_probs and fails when a probability is off by more
# than 1e-5 relative or a log-probability by more than 1e-5 absolute: the
# reference's own float softmax rounds its probabilities by ~1e-6.

load test_helper

check() { "$SLUICE_TEST_BIN/gen-check" "$@"; }

# logits_match ARGS...: gen-check logits passes and prints its errors.
logits_match() {
	run check "$@" logits
	echo "$*: $output"
	assert_success
	# and it compared the positions it should have
	assert_line --index 0 --regexp "^positions $want "
}

@test "one token at a time: every position's logits equal gpt2_forward's" {
	want=32 logits_match -P 1
	want=32 logits_match -g 8 -P 1
}

@test "a 5-token prompt, then one token at a time" {
	want=28 logits_match -P 5,1
	want=28 logits_match -g 8 -P 5,1
	want=28 logits_match -g 8 -s 2 -P 5,1
}

@test "the whole sequence as one prompt" {
	want=1 logits_match -g 8 -P 32
	want=1 logits_match -g 8 -s 3 -T 17 -P 17
}

@test "chunks of 3 (the last one 2)" {
	want=11 logits_match -g 8 -P 3
}

@test "another shape: 3 layers, 2 heads, a vocab that is not a multiple of 128" {
	want=20 logits_match -L 3 -H 2 -C 48 -S 20 -V 333 -T 20 -g 8 -P 1
	want=14 logits_match -L 3 -H 2 -C 48 -S 20 -V 333 -T 20 -g 8 -P 7,1
}

@test "a prompt longer than one internal chunk (128 positions)" {
	want=1 logits_match -S 300 -T 300 -g 8 -P 300
	want=4 logits_match -S 300 -T 300 -g 8 -P 129,120,50,1
}

@test "reset, then the same feeds: the same logits, bit for bit" {
	run check -g 8 -P 5,1 reset
	assert_success
	assert_output "identical 28"
	run check -g 8 -P 3 reset
	assert_success
	assert_output "identical 11"
}

@test "a full cache refuses one more token" {
	run --separate-stderr check -c 8 overflow
	assert_equal "$output" "fed 8"
	assert_error 1 "gen-check: gpt2gen: cannot feed 1 tokens at position 8 of a cache of 8"
}

@test "a token id at or beyond the vocab is refused, not read" {
	run --separate-stderr check badtoken
	assert_error 1 "gen-check: gpt2gen: token 1000 at 1 is not below the vocab size 1000"
}

@test "speed: a prompt, then one token at a time" {
	run check -n 200 -T 16 -S 256 speed
	assert_success
	assert_output --regexp '^prompt 16 tokens [0-9.]+ ms; 200 steps: [0-9.]+ ms/token, [0-9.]+ tokens/s$'
	echo "# $output" >&3
}
