#!/usr/bin/env bats
# braces: shard patterns expanded as webdataset's braceexpand does, checked
# against bash's brace expansion, which follows the same rules (ranges with
# zero padding and steps, letter ranges, comma lists, nesting, literal
# pairs, escapes); the "::" join; errors.

load test_helper

bt() { "$SLUICE_TEST_BIN/braces-tool" "$@"; }

# like_bash PATTERN: our expansion is bash's, name for name.
like_bash() {
	want=$(bash -c "printf '%s\n' $1")
	got=$(bt "$1")
	[ "$got" = "$want" ] || fail "$1: got [$got] want [$want]"
}

@test "ranges, padding, steps, letters, lists, nesting and literal pairs: as bash expands them" {
	for p in 'shard-{000000..000011}.tar' 'a{0..3}b' 'x{3..0}' 'x{1..10..3}' 'x{10..1..4}' 'p{007..10}' \
		'p{7..010}' '{a..e}' '{e..a}' '{a..k..3}' '{train,val}/part-{0..3}.tar' '{a,b{1,2},c}x' \
		'{a{1..3},b}' 'x{a}y' '{abc}' '{a{b,c}}' 'pre{,-x}post' 'a\{b,c\}' 'a{b\,c,d}' \
		'{0..2}{0..1}' 'data/{en,fr}/{00..02}.tar.gz' '{1..1}' 'plain.tar'; do
		like_bash "$p"
	done
}

@test "several patterns joined with ::, in order" {
	run bt 'a-{0..1}.tar::b.tar::c-{x,y}.tar'
	assert_success
	assert_output "$(printf 'a-0.tar\na-1.tar\nb.tar\nc-x.tar\nc-y.tar')"
	[ "$(bt 'shard-{000000..000099}.tar' | wc -l)" -eq 100 ]
	assert_equal "$(bt 'shard-{000000..000099}.tar' | tail -n 1)" shard-000099.tar
}

@test "bad patterns: unbalanced braces, and a pattern too large to hold" {
	run --separate-stderr bt 'shard-{0..9.tar'
	assert_error 1 "braces-tool: shard-{0..9.tar: unbalanced braces"
	run --separate-stderr bt 'a}b'
	assert_error 1 "braces-tool: a}b: unbalanced braces"
	run --separate-stderr bt '{0..999}{0..9999}'
	assert_error 1 "braces-tool: {0..999}{0..9999}: expands to too many names (more than 1000000, or 256 MB)"
}
