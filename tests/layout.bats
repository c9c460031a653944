#!/usr/bin/env bats
# The house rule of libcommon/README, through scripts/check-layers: the tree
# as it is passes, and a copy of it with one offence planted fails, naming
# the file, the line and the rule.

bats_require_minimum_version 1.5.0

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	CHECK=$TOP/scripts/check-layers
	TREE=$BATS_TEST_TMPDIR/tree
	mkdir -p "$TREE"
	cp -R "$TOP/libcommon" "$TOP/cmd" "$TREE/"
}

# Inserts LINE as line 2 of FILE (after the opening comment's first line
# would break it, so after the own-header include when there is one).
plant() {
	local file=$TREE/$1 line=$2
	awk -v l="$line" '{ print } /^#include "/ && !done { print l; done = 1 }' "$file" >"$file.new"
	mv "$file.new" "$file"
	grep -qxF "$line" "$file" || fail "could not plant $line in $1"
}

@test "the tree follows the layers, every include names its folder, no cycle" {
	run "$CHECK" "$TOP"
	assert_success
	assert_output ''
}

@test "every folder in libcommon is declared in the README's layers and entry headers" {
	for d in "$TOP"/libcommon/*/; do
		d=$(basename "$d")
		sed -n '/^## Layers/,/^## /p' "$TOP/libcommon/README" | grep -q "^    $d:" ||
			fail "$d/ has no line in the README's layers"
		sed -n '/^## Entry/,$p' "$TOP/libcommon/README" | grep -q "^    $d:" ||
			fail "$d/ has no line in the README's entry headers"
	done
}

@test "an upward include fails: base/ may not include rec/" {
	plant libcommon/base/buf.c '#include "rec/rec.h"'
	run "$CHECK" "$TREE"
	assert_failure 1
	assert_line --regexp '^check-layers: libcommon/base/buf\.c:[0-9]+: #include "rec/rec\.h": base/ may not include rec/ \(libcommon/README\)$'
}

@test "a sideways include fails: vs/ may not include tok/" {
	plant libcommon/vs/vstore.c '#include "tok/bpe.h"'
	run "$CHECK" "$TREE"
	assert_failure 1
	assert_output --partial 'libcommon/vs/vstore.c:'
	assert_output --partial 'vs/ may not include tok/'
}

@test "an internal header included from a program fails" {
	plant cmd/rec-cat.c '#include "vs/vseg.h"'
	run "$CHECK" "$TREE"
	assert_failure 1
	assert_output --regexp '^check-layers: cmd/rec-cat\.c:[0-9]+: #include "vs/vseg\.h": internal to vs/'
}

@test "an internal header included from a folder above fails, though the layer is allowed" {
	plant libcommon/train/batcher.c '#include "model/gpt2cuda.h"'
	run "$CHECK" "$TREE"
	assert_failure 1
	assert_output --partial 'internal to model/'
}

@test "an include that does not name its folder fails" {
	plant libcommon/rec/header.c '#include "buf.h"'
	run "$CHECK" "$TREE"
	assert_failure 1
	assert_output --regexp 'libcommon/rec/header\.c:[0-9]+: #include "buf\.h": name the folder'
}

@test "an include of a header that does not exist fails" {
	plant libcommon/rec/header.c '#include "base/nosuch.h"'
	run "$CHECK" "$TREE"
	assert_failure 1
	assert_output --partial 'no such header'
}

@test "a cycle of modules fails, and is named" {
	printf '#include "base/bb.h"\n' >"$TREE/libcommon/base/aa.h"
	printf '#include "base/cc.h"\n' >"$TREE/libcommon/base/bb.h"
	printf '#include "base/aa.h"\n' >"$TREE/libcommon/base/cc.h"
	run "$CHECK" "$TREE"
	assert_failure 1
	assert_output --regexp 'include cycle: base/(aa|bb|cc) -> base/(aa|bb|cc) -> base/(aa|bb|cc) -> base/(aa|bb|cc)$'
	[ "${#lines[@]}" -eq 1 ] || fail "one cycle, reported once: $output"
}

@test "a file outside an area folder, or in an undeclared one, fails" {
	printf 'int x;\n' >"$TREE/libcommon/loose.c"
	mkdir "$TREE/libcommon/misc"
	printf 'int y;\n' >"$TREE/libcommon/misc/y.c"
	run "$CHECK" "$TREE"
	assert_failure 1
	assert_output --partial 'libcommon/loose.c: not in an area folder'
	assert_output --partial "libcommon/misc/y.c: folder misc/ is not in libcommon/README's layers"
}
