#!/usr/bin/env bats
# The CLI suite of the vector store (tests/vs-query.bats) against a Qdrant
# collection instead of the embedded store: VS_BACKEND=qdrant makes each of
# its tests use a collection of a Qdrant-shaped server on loopback
# (tests/helpers/qdrantserver.py), through the Qdrant driver.

load test_helper

@test "the whole vs-query.bats suite passes against a Qdrant collection" {
	"$PY" -c 'import jsonschema' 2>/dev/null || skip "no python3-jsonschema for qdrantserver.py"
	# The driver runs under the sanitizers in qdrant-driver.bats; this
	# second pass of the whole CLI suite is for the plain build.
	[ -z "${SLUICE_SANITIZED:-}" ] || skip "the plain build runs it (qdrant-driver.bats covers the driver under the sanitizers)"
	run env VS_BACKEND=qdrant SLUICE_BIN="$SLUICE_BIN" SLUICE_TEST_BIN="${SLUICE_TEST_BIN:-}" \
		bats "$TOP/tests/vs-query.bats"
	[ "$status" -eq 0 ] || fail "$(printf 'VS_BACKEND=qdrant bats tests/vs-query.bats: exit %s\n%s' "$status" "$output")"
	assert_output --partial 'ok 1 '
	refute_output --partial 'not ok'
}
