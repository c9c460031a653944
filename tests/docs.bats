#!/usr/bin/env bats
# Every program carries its companions: a man page whose options match
# --help, completions for bash, zsh and fish, a README section, --version.

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	BIN=${SLUICE_BIN:-$TOP/bin}
	PROGS=$(cd "$TOP/cmd" && ls *.c | sed 's/\.c$//')
}

# Long options a program's --help lists.
help_options() { "$BIN/$1" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u; }

@test "every program has a man page, completions for three shells and a README section" {
	for p in $PROGS; do
		[ -f "$TOP/man/man1/$p.1" ] || fail "$p: no man/man1/$p.1"
		[ -f "$TOP/completions/bash/$p" ] || fail "$p: no completions/bash/$p"
		[ -f "$TOP/completions/zsh/_$p" ] || fail "$p: no completions/zsh/_$p"
		[ -f "$TOP/completions/fish/$p.fish" ] || fail "$p: no completions/fish/$p.fish"
		grep -q "^## $p\$" "$TOP/README.md" || fail "$p: no '## $p' section in README.md"
	done
}

@test "every option in --help is documented in the man page" {
	for p in $PROGS; do
		page=$(mandoc -T utf8 "$TOP/man/man1/$p.1" | col -b)
		for o in $(help_options "$p"); do
			grep -q -- "$o" <<<"$page" || fail "$p: $o is in --help but not in $p(1)"
		done
	done
}

@test "every option in --help is offered by the bash, zsh and fish completions" {
	for p in $PROGS; do
		for o in $(help_options "$p"); do
			grep -q -- "$o" "$TOP/completions/bash/$p" || fail "$p: bash completion lacks $o"
			grep -q -- "$o" "$TOP/completions/zsh/_$p" || fail "$p: zsh completion lacks $o"
			grep -qE -- "-l ${o#--}( |\$)|--long-option[= ]${o#--}( |\$)" "$TOP/completions/fish/$p.fish" ||
				fail "$p: fish completion lacks $o"
		done
	done
}

@test "the man pages are free of mandoc warnings" {
	run mandoc -T lint -W warning "$TOP"/man/man1/*.1 "$TOP"/man/man5/*.5 "$TOP"/man/man7/*.7
	assert_success
	assert_output ''
}

@test "--version prints the program name and a version number" {
	for p in $PROGS; do
		run "$BIN/$p" --version
		assert_success
		assert_output --regexp "^$p \(sluice\) [0-9]+\.[0-9]+\.[0-9]+\$"
	done
}

@test "-h and --help print the same usage on stdout and exit 0" {
	for p in $PROGS; do
		run "$BIN/$p" -h
		assert_success
		assert_line --index 0 --regexp "^Usage: $p "
		short=$output
		run "$BIN/$p" --help
		assert_output "$short"
	done
}

@test "an unknown option is a usage error: exit 2 with a hint to --help" {
	for p in $PROGS; do
		run "$BIN/$p" --no-such-option
		assert_failure 2
		assert_output --partial "Try '$p --help'"
	done
}

# The option lines of one program's --help that mention a flag (the
# flag's own line: it starts with the short or long form).
flag_lines() { "$BIN/$1" --help | grep -E -- "^ +(-[a-zA-Z], )?$2( |,|=|\$)" || true; }

@test "shared flags mean the same in every program: -j, -q, --progress, --seed, --shard, --take, -o" {
	progress_text='show a progress line on stderr even when it is not a terminal'
	for p in $PROGS; do
		help=$("$BIN/$p" --help)
		# -j is always the thread count, and the thread count always -j.
		if grep -qE -- '^ +-j, ' <<<"$help"; then
			grep -qE -- '^ +-j, --threads N +threads' <<<"$help" || fail "$p: -j is not '-j, --threads N  threads...'"
		fi
		if grep -qE -- '--threads' <<<"$help"; then
			grep -qE -- '^ +-j, --threads N' <<<"$help" || fail "$p: --threads without -j"
		fi
		line=$(flag_lines "$p" --quiet)
		[ -z "$line" ] || grep -qE -- '^ +-q, --quiet +no progress line' <<<"$line" || fail "$p: --quiet is not '-q, --quiet  no progress line...': $line"
		line=$(flag_lines "$p" --progress)
		[ -z "$line" ] || grep -qF -- "$progress_text" <<<"$line" || fail "$p: --progress says otherwise: $line"
		line=$(flag_lines "$p" --seed)
		[ -z "$line" ] || grep -qE -- '^ +--seed S +.*seed.*\(default 0\)' <<<"$line" || fail "$p: --seed is not '--seed S ... (default 0)': $line"
		line=$(flag_lines "$p" --shard)
		[ -z "$line" ] || grep -qE -- '^ +--shard I/N\|auto +.*\(0-based\)' <<<"$line" || fail "$p: --shard is not '--shard I/N|auto ... (0-based)': $line"
		line=$(flag_lines "$p" --take)
		[ -z "$line" ] || grep -qE -- '^ +-n, --take N +stop after N' <<<"$line" || fail "$p: --take is not '-n, --take N  stop after N ...': $line"
		if grep -qE -- '^ +-o, ' <<<"$help"; then
			grep -qE -- '^ +-o, --output FILE +write' <<<"$help" || fail "$p: -o is not '-o, --output FILE  write...'"
		fi
	done
}

@test "every man page has a synopsis, description, options, examples, exit status, environment and see-also" {
	for p in $PROGS; do
		for s in SYNOPSIS DESCRIPTION OPTIONS EXAMPLES 'EXIT STATUS' ENVIRONMENT 'SEE ALSO'; do
			grep -qE "^\.Sh \"?$s\"?\$" "$TOP/man/man1/$p.1" || fail "$p(1) has no $s section"
		done
	done
}
