#!/usr/bin/env bats
# vfilter: Qdrant's filter language over point payloads (libcommon/vs/vfilter.h),
# through tests/helpers/vfilter-tool: each condition and its edge cases as
# Qdrant's condition checkers decide them, the errors for filters we do not
# take, and a randomized cross-check against an evaluator written apart
# from the C (tests/helpers/vfilter_oracle.py).

load test_helper

vt() { "$SLUICE_TEST_BIN/vfilter-tool" "$@"; }

# points: one payload per edge case, ids that say what they hold.
points() {
	cat <<-'EOF'
		{"id": "str", "payload": {"f": "red"}}
		{"id": "int", "payload": {"f": 1}}
		{"id": "real", "payload": {"f": 1.0}}
		{"id": "strnum", "payload": {"f": "1"}}
		{"id": "true", "payload": {"f": true}}
		{"id": "null", "payload": {"f": null}}
		{"id": "empty", "payload": {"f": []}}
		{"id": "arrnull", "payload": {"f": [null]}}
		{"id": "arr", "payload": {"f": ["red", 2, 2.5]}}
		{"id": "obj", "payload": {"f": {"g": "red"}}}
		{"id": "missing", "payload": {"other": 1}}
		{"id": "nopayload"}
	EOF
}

# match FILTER: the ids of the points above that FILTER matches, on one line.
match() { points | vt "$1" | tr '\n' ' ' | sed 's/ $//'; }

@test "an empty filter matches every point, with or without a payload" {
	assert_equal "$(match '{}')" "str int real strnum true null empty arrnull arr obj missing nopayload"
}

@test "match value: a string matches equal strings only, and any element of an array" {
	assert_equal "$(match '{"must": {"key": "f", "match": {"value": "red"}}}')" "str arr"
}

@test "match value: an integer matches integers, not the string \"1\" nor the real 1.0" {
	assert_equal "$(match '{"must": {"key": "f", "match": {"value": 1}}}')" "int"
	assert_equal "$(match '{"must": {"key": "f", "match": {"value": "1"}}}')" "strnum"
}

@test "match value: a boolean matches the boolean only" {
	assert_equal "$(match '{"must": {"key": "f", "match": {"value": true}}}')" "true"
}

@test "match any: one value (or array element) in the list" {
	assert_equal "$(match '{"must": {"key": "f", "match": {"any": ["red", "blue"]}}}')" "str arr"
	assert_equal "$(match '{"must": {"key": "f", "match": {"any": [1, 2]}}}')" "int arr"
	assert_equal "$(match '{"must": {"key": "f", "match": {"any": []}}}')" ""
}

@test "match except: some value that is not null and not in the list; missing, null, [] and [null] never pass" {
	assert_equal "$(match '{"must": {"key": "f", "match": {"except": ["red"]}}}')" \
		"int real strnum true arr obj"
	assert_equal "$(match '{"must": {"key": "f", "match": {"except": [1]}}}')" \
		"str real strnum true arr obj"
}

@test "must_not of a missing field: points without the field pass" {
	assert_equal "$(match '{"must_not": {"key": "f", "match": {"value": "red"}}}')" \
		"int real strnum true null empty arrnull obj missing nopayload"
}

@test "range: integers and reals, any element of an array; strings, booleans and null never" {
	assert_equal "$(match '{"must": {"key": "f", "range": {"gte": 1}}}')" "int real arr"
	assert_equal "$(match '{"must": {"key": "f", "range": {"gt": 1, "lt": 2.5}}}')" "arr"
	assert_equal "$(match '{"must": {"key": "f", "range": {"gt": 1, "lte": 2.5}}}')" "arr"
	assert_equal "$(match '{"must": {"key": "f", "range": {}}}')" "int real arr"
}

@test "values_count: arrays count their elements, null 0, a scalar 1, a missing field 0" {
	assert_equal "$(match '{"must": {"key": "f", "values_count": {"gte": 2}}}')" "arr"
	assert_equal "$(match '{"must": {"key": "f", "values_count": {"lt": 1}}}')" "null empty missing nopayload"
	assert_equal "$(match '{"must": {"key": "f", "values_count": {"gt": 0, "lte": 1}}}')" \
		"str int real strnum true arrnull obj"
}

@test "is_empty: missing, null and [] are empty; [null] is not" {
	assert_equal "$(match '{"must": {"is_empty": {"key": "f"}}}')" "null empty missing nopayload"
}

@test "is_null: only a null value; not [null], not a missing field" {
	assert_equal "$(match '{"must": {"is_null": {"key": "f"}}}')" "null"
}

@test "field is_empty / is_null flags follow Qdrant's field checker ([null] is null there)" {
	assert_equal "$(match '{"must": {"key": "f", "is_empty": true}}')" "null empty missing nopayload"
	assert_equal "$(match '{"must": {"key": "f", "is_null": true}}')" "null arrnull"
	assert_equal "$(match '{"must": {"key": "f", "is_null": false}}')" \
		"str int real strnum true empty arr obj missing nopayload"
}

@test "has_id: integer and string ids are the same when their text is" {
	run vt '{"must": {"has_id": [5, "b", 7]}}' <<-'EOF'
		{"id": "5"}
		{"id": 7, "payload": {}}
		{"id": "a"}
		{"id": "b"}
		{"id": 55}
	EOF
	assert_success
	assert_output "$(printf '5\n7\nb')"
}

@test "a has_id-only filter needs no payload and gives its ids for lookup" {
	run vt --info '{"must": {"has_id": [5, "5", "x"]}}'
	assert_output "$(printf 'payload: no\nids: 2 5 x')"
	run vt --info '{"should": [{"has_id": [1]}]}'
	assert_output "$(printf 'payload: no\nids: 1 1')"
	run vt --info '{"must": [{"has_id": [1]}, {"key": "a", "match": {"value": 1}}]}'
	assert_output "$(printf 'payload: yes\nids: none')"
	run vt --info '{"must_not": {"has_id": [1]}}'
	assert_output "$(printf 'payload: no\nids: none')"
}

@test "nested paths: a.b steps into objects, a[].b into every element, a[1].b into one" {
	pts='{"id": 1, "payload": {"a": {"b": 1}}}
{"id": 2, "payload": {"a": [{"b": 1}, {"b": 2}]}}
{"id": 3, "payload": {"a": [{"b": 2}, {"b": 1}]}}
{"id": 4, "payload": {"a": {"b": [3, 1]}}}
{"id": 5, "payload": {"x y": {"b": 1}}}'
	assert_equal "$(vt '{"must": {"key": "a.b", "match": {"value": 1}}}' <<<"$pts" | tr '\n' ' ')" "1 4 "
	assert_equal "$(vt '{"must": {"key": "a[].b", "match": {"value": 1}}}' <<<"$pts" | tr '\n' ' ')" "2 3 "
	assert_equal "$(vt '{"must": {"key": "a[1].b", "match": {"value": 1}}}' <<<"$pts" | tr '\n' ' ')" "3 "
	assert_equal "$(vt '{"must": {"key": "\"x y\".b", "match": {"value": 1}}}' <<<"$pts" | tr '\n' ' ')" "5 "
}

@test "values_count over a[].b: true when one reached value passes" {
	pts='{"id": 1, "payload": {"a": [{"b": [1, 2]}, {"b": 3}]}}
{"id": 2, "payload": {"a": [{"b": 1}]}}'
	assert_equal "$(vt '{"must": {"key": "a[].b", "values_count": {"gte": 2}}}' <<<"$pts")" "1"
}

@test "nested: one array element must pass the whole filter on its own" {
	pts='{"id": 1, "payload": {"d": [{"n": "a", "v": 1}, {"n": "b", "v": 2}]}}
{"id": 2, "payload": {"d": [{"n": "a", "v": 2}]}}
{"id": 3, "payload": {"d": {"n": "a", "v": 2}}}'
	f='{"must": {"nested": {"key": "d", "filter": {"must": [{"key": "n", "match": {"value": "a"}}, {"key": "v", "match": {"value": 2}}]}}}}'
	assert_equal "$(vt "$f" <<<"$pts")" "2"
	# The same conditions outside nested match across elements.
	f='{"must": [{"key": "d[].n", "match": {"value": "a"}}, {"key": "d[].v", "match": {"value": 2}}]}'
	assert_equal "$(vt "$f" <<<"$pts" | tr '\n' ' ')" "1 2 "
}

@test "should: at least one; an empty should matches nothing" {
	assert_equal "$(match '{"should": [{"key": "f", "match": {"value": true}}, {"key": "f", "match": {"value": 1}}]}')" "int true"
	assert_equal "$(match '{"should": []}')" ""
	assert_equal "$(match '{"should": [{"key": "nothere", "match": {"value": 1}}]}')" ""
}

@test "must: all; an empty must matches everything; must_not: none" {
	assert_equal "$(match '{"must": [{"key": "f", "range": {"gte": 1}}, {"key": "f", "match": {"any": [1]}}]}')" "int"
	assert_equal "$(match '{"must": []}' | wc -w)" 12
	assert_equal "$(match '{"must_not": [{"key": "f", "range": {"gte": 1}}, {"is_empty": {"key": "f"}}]}')" \
		"str strnum true arrnull obj"
}

@test "min_should: at least min_count of its conditions" {
	f='{"min_should": {"min_count": 2, "conditions": [{"key": "f", "range": {"gte": 1}},
		{"key": "f", "match": {"any": [1]}}, {"key": "f", "values_count": {"gte": 3}}]}}'
	assert_equal "$(match "$f")" "int arr"
}

@test "filters as conditions combine: should of musts, must_not inside must" {
	f='{"should": [{"must": [{"key": "f", "match": {"value": "red"}}, {"must_not": {"key": "f", "values_count": {"gt": 1}}}]},
		{"must": {"is_null": {"key": "f"}}}]}'
	assert_equal "$(match "$f")" "str null"
}

@test "a filter from a file (-f)" {
	printf '{"must": {"key": "f", "match": {"value": true}}}' > f.json
	assert_equal "$(points | vt -f f.json)" "true"
}

# bad FILTER MESSAGE: the filter is refused with that one line and status 2.
bad() {
	run --separate-stderr vt "$1" </dev/null
	assert_error 2 "vfilter-tool: $2"
}

assert_error() {
	[ "$status" -eq "$1" ] || fail "status $status, want $1 (stderr: $stderr)"
	[ "$stderr" = "$2" ] || fail "stderr [$stderr] want [$2]"
}

@test "bad filters: unsupported conditions are errors, not silent non-matches" {
	bad '{"must": [{}, {"key": "loc", "geo_radius": {"center": {"lon": 0, "lat": 0}, "radius": 1}}]}' \
		"must[1]: unsupported condition 'geo_radius'"
	bad '{"must": {"key": "t", "match": {"text": "hello"}}}' \
		"must.match: text match is not supported (only value, any, except)"
	bad '{"must": {"key": "t", "range": {"gt": "2024-01-01T00:00:00Z"}}}' \
		"must.range: datetime ranges are not supported (gt is a string)"
	bad '{"must": {"has_vector": "image"}}' "must: unsupported condition 'has_vector'"
	bad '{"should": [{"geo_radius": {}}]}' "should[0]: unknown condition 'geo_radius'"
}

@test "bad filters: wrong types name the member" {
	bad '{"must": {"key": "n", "range": {"gt": true}}}' "must.range: gt is not a number"
	bad '{"must": {"key": "n", "values_count": {"lt": -1}}}' "must.values_count: lt is not a non-negative integer"
	bad '{"must": {"key": "n", "match": {"value": 1.5}}}' "must.match: value must be a string, an integer or a boolean"
	bad '{"must": {"key": "n", "match": {"any": [1, "a"]}}}' "must.match: any must be an array of strings or an array of integers"
	bad '{"must": {"has_id": [-1]}}' "must: has_id[0] is not a non-negative integer or a string"
	bad '{"must": ["x"]}' "must[0]: condition is not an object"
	bad '{"must": 3}' "must is not a condition or an array of conditions"
	bad '[]' "filter is not an object"
}

@test "bad filters: structure" {
	bad '{"has_id": [1]}' "unknown filter member 'has_id' (conditions go in must, should or must_not)"
	bad '{"must": [], "limit": 3}' "unknown filter member 'limit'"
	bad '{"must": {"key": "n"}}' "must: no condition on the key (match, range, values_count, is_empty or is_null)"
	bad '{"must": {"key": "n", "match": {"value": 1}, "range": {"gt": 0}}}' \
		"must: more than one of match, range, values_count, is_empty, is_null (join them with must or should)"
	bad '{"must": {"key": "a..b", "match": {"value": 1}}}' "must: bad key 'a..b'"
	bad '{"must": {"key": "n", "match": {"value": 1}, "colour": 1}}' "must: unknown member 'colour' in field condition"
	bad '{"min_should": {"conditions": [], "min_count": 0}}' "min_should: min_count is not a positive integer"
	bad '{"must": {"nested": {"key": "d", "filter": {"must": {"has_id": [1]}}}}}' \
		"must.nested.filter.must: has_id is not supported inside nested"
	bad '{"must": ' "filter is not JSON: unexpected token near end of file (line 1, column 9)"
}

@test "randomized: the matched ids agree with an independent evaluator on thousands of filters" {
	for seed in 1 2; do
		"$PY" "$HELPERS/vfilter_oracle.py" gen "$seed" 200 1500 .
		vt --cases filters.jsonl < points.jsonl > got
		# Nothing refused, and enough filters that match some points but not all.
		run grep -c '^error' got
		assert_output 0
		[ "$(awk 'NF > 0 && NF < 200' expected | wc -l)" -gt 300 ]
		if ! cmp -s expected got; then
			n=$(cmp expected got | sed 's/.* line //')
			fail "seed $seed, filter $n: $(sed -n "${n}p" filters.jsonl)
want: $(sed -n "${n}p" expected)
got:  $(sed -n "${n}p" got)"
		fi
	done
}
