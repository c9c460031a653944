#!/usr/bin/env bats
# libcommon/hub/dataset.c: a repository's configs, splits and files, resolved as
# Hugging Face `datasets` resolves a repository without a loading script.
# `datasets` is not installed here, so each expectation is what its code
# does, read from src/datasets (data_files.py, load.py, utils/metadata.py);
# the comments name the function.  The driver, tests/helpers/ds-resolve.c,
# prints one line per split: "CONFIG[*] SPLIT FORMAT FILE..." ('*': the
# default config), "CONFIG error: ..." for a config that did not resolve.

load test_helper

SLUICE_TEST_BIN=${SLUICE_TEST_BIN:-$TOP/build/tests}
DS=$SLUICE_TEST_BIN/ds-resolve

setup() {
	[ -x "$DS" ] || fail "no ds-resolve in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/repo"
	cd "$BATS_TEST_TMPDIR/repo"
}

# mk PATH... : empty files, with their directories
mk() {
	local p
	for p in "$@"; do
		mkdir -p "$(dirname "$p")"
		: > "$p"
	done
}

# readme LINE... : README.md with this YAML front matter
readme() {
	{
		echo ---
		printf '%s\n' "$@"
		echo ---
		echo '# A dataset'
	} > README.md
}

resolve() { run --separate-stderr "$DS" --lines .; }

# After `run --separate-stderr`: stderr is exactly / contains the text.
stderr_is() { assert_equal "$stderr" "$1"; }
stderr_has() {
	[[ $stderr == *"$1"* ]] || fail "stderr does not contain: $1"$'\n'"stderr: $stderr"
}

# ---- default split patterns (data_files.py _get_data_files_patterns) ------

@test "sharded data/{split}-NNNNN-of-NNNNN names: train, validation, test first, then the rest sorted" {
	mk data/train-00000-of-00002.parquet data/train-00001-of-00002.parquet \
		data/test-00000-of-00001.parquet data/validation-00000-of-00001.parquet \
		data/random-00000-of-00001.parquet data/extra-00000-of-00001.parquet README.md
	resolve
	assert_success
	assert_output - <<-'EOF'
		default* train parquet data/train-00000-of-00002.parquet data/train-00001-of-00002.parquet
		default* validation parquet data/validation-00000-of-00001.parquet
		default* test parquet data/test-00000-of-00001.parquet
		default* extra parquet data/extra-00000-of-00001.parquet
		default* random parquet data/random-00000-of-00001.parquet
	EOF
}

@test "sharded names win over split names elsewhere in the tree" {
	mk data/train-00000-of-00001.jsonl test.jsonl valid/x.jsonl
	resolve
	assert_success
	assert_output "default* train jsonl data/train-00000-of-00001.jsonl"
}

@test "a sharded name whose split is not a valid split name is an error" {
	mk data/my-set-00000-of-00001.parquet
	resolve
	assert_failure
	stderr_has "split name 'my-set' of 'data/my-set-00000-of-00001.parquet' is not a valid split name"
}

@test "split names as directories, at any depth, with every synonym" {
	mk train/a.csv train/b.csv data/dev/c.csv testing/d.csv
	resolve
	assert_success
	assert_output - <<-'EOF'
		default* train csv train/a.csv train/b.csv
		default* validation csv data/dev/c.csv
		default* test csv testing/d.csv
	EOF
}

@test "directory patterns: a split's files come pattern by pattern, not sorted together" {
	# train's patterns in order: **/train/**, **/train[-._ 0-9]*/**,
	# **/*[-._ 0-9]train/**, **/*[-._ 0-9]train[-._ 0-9]*/**, then training's
	mk training/a.csv my-train/b.csv train_2/c.csv train/d.csv
	resolve
	assert_success
	assert_output "default* train csv train/d.csv train_2/c.csv my-train/b.csv training/a.csv"
}

@test "split names in directories win over split names in file names" {
	mk train/x.csv test.csv
	resolve
	assert_success
	assert_output "default* train csv train/x.csv"
}

@test "split names in file names: prefix, surrounded, and every synonym" {
	mk train.csv my_train_01.csv training-2.csv valid.csv dev.csv val_1.csv test.csv \
		eval.csv evaluation.csv sub/testing.csv
	resolve
	assert_success
	assert_output - <<-'EOF'
		default* train csv train.csv my_train_01.csv training-2.csv
		default* validation csv valid.csv dev.csv val_1.csv
		default* test csv test.csv sub/testing.csv eval.csv evaluation.csv
	EOF
}

@test "a keyword must stand apart: trainer, pretrain and latest name no split" {
	mk trainer.csv pretrain.csv latest.csv test_1.csv
	resolve
	assert_success
	# once any file names a split, files naming none are not data at all
	assert_output "default* test csv test_1.csv"
}

@test "split keywords are case-sensitive" {
	mk Train.csv TEST.csv
	resolve
	assert_success
	assert_output "default* train csv TEST.csv Train.csv"
}

@test "no split names anywhere: every data file is train, at any depth" {
	mk a.jsonl sub/b.jsonl sub/deeper/c.jsonl z.jsonl
	resolve
	assert_success
	assert_output "default* train jsonl a.jsonl sub/b.jsonl sub/deeper/c.jsonl z.jsonl"
}

@test "*.eval files make a logs split first, which sluice cannot read" {
	# DEFAULT_PATTERNS_LOGS comes before the split names
	mk run.eval train.csv
	resolve
	assert_failure
	stderr_has "no data files that sluice reads"
}

@test "no files at all is an error" {
	mk README.md
	resolve
	assert_failure
	stderr_is "ds-resolve: no data files found"
}

# ---- what is not data (resolve_pattern, FILES_TO_IGNORE) --------------------

@test "hidden files and directories and __special__ directories are skipped; _single is not" {
	mk a.csv .b.csv .hidden/c.csv data/.cache/d.csv __pycache__/e.csv _private/f.csv x/__init__.csv
	resolve
	assert_success
	assert_output "default* train csv _private/f.csv a.csv x/__init__.csv"
}

@test "README.md, config.json and the other reserved names are not data" {
	mk README.md config.json dataset_info.json dataset_infos.json dataset_dict.json sub/README.md data.json
	resolve
	assert_success
	assert_output "default* train json data.json"
}

@test "files of formats sluice does not read are left out" {
	mk a.csv b.png c.parquet.gz d.gz e.csv.bak f.zip g.arrow
	resolve
	assert_success
	assert_output "default* train csv a.csv"
}

@test "a split whose files are all unreadable is dropped" {
	mk train.csv test.png
	resolve
	assert_success
	assert_output "default* train csv train.csv"
}

# ---- the format (load.py infer_module_for_data_files_list) ----------------

@test "the most common extension picks the reader, and files of other readers are dropped" {
	mk a.jsonl b.jsonl c.csv
	resolve
	assert_success
	assert_output "default* train jsonl a.jsonl b.jsonl"
}

@test "json, jsonl and ndjson are one reader; the most common names the format" {
	mk a.json b.json c.jsonl
	resolve
	assert_output "default* train json a.json b.json c.jsonl"
	rm a.json && mk d.ndjson e.ndjson
	resolve
	assert_output "default* train jsonl b.json c.jsonl d.ndjson e.ndjson"
}

@test "ties go to parquet, then jsonl, json, csv, then the extension that sorts last" {
	mk a.csv b.parquet
	resolve
	assert_output "default* train parquet b.parquet"
	rm b.parquet && mk b.txt
	resolve
	assert_output "default* train csv a.csv"
	rm a.csv && mk a.tsv
	resolve
	assert_output "default* train text b.txt"
	rm b.txt && mk b.csv
	resolve
	# csv and tsv are one reader; csv is the favourite
	assert_output "default* train csv a.tsv b.csv"
}

@test "compression suffixes do not count: data.jsonl.gz is jsonl" {
	mk a.jsonl.gz b.jsonl.zst c.jsonl.bz2 d.csv.xz e.csv.lz4
	resolve
	assert_success
	assert_output "default* train jsonl a.jsonl.gz b.jsonl.zst c.jsonl.bz2"
}

@test "each split picks its own format" {
	mk train.parquet test.csv
	resolve
	assert_output - <<-'EOF'
		default* train parquet train.parquet
		default* test csv test.csv
	EOF
}

@test "metadata.jsonl counts after every other extension" {
	mk a.csv metadata.jsonl
	resolve
	assert_output "default* train csv a.csv"
}

# ---- README.md configs (utils/metadata.py MetadataConfigs) --------------

@test "data_files as one pattern: a single train split" {
	mk data/a.csv data/b.csv other/c.csv
	readme 'configs:' '- config_name: default' '  data_files: data/*.csv'
	resolve
	assert_success
	assert_output "default* train csv data/a.csv data/b.csv"
}

@test "data_files as a list: patterns in order, each one's matches sorted" {
	mk b/2.csv b/1.csv a/1.csv
	readme 'configs:' '- config_name: default' '  data_files:' '  - b/*.csv' '  - a/*.csv'
	resolve
	assert_success
	assert_output "default* train csv b/1.csv b/2.csv a/1.csv"
}

@test "data_files as {split, path} entries, path a string or a list, splits in README order" {
	mk tr/1.jsonl tr/2.jsonl more/3.jsonl te/1.jsonl
	readme 'configs:' '- config_name: main' '  data_files:' \
		'  - split: test' '    path: te/*.jsonl' \
		'  - split: train' '    path:' '    - more/*.jsonl' '    - tr/*.jsonl'
	resolve
	assert_success
	assert_output - <<-'EOF'
		main* test jsonl te/1.jsonl
		main* train jsonl more/3.jsonl tr/1.jsonl tr/2.jsonl
	EOF
}

@test "a file two patterns of one split match is listed once" {
	mk d/a.csv d/b.csv
	readme 'configs:' '- config_name: x' '  data_files: ["d/a.csv", "d/*.csv"]'
	resolve
	assert_output "x* train csv d/a.csv d/b.csv"
}

@test "several configs; the one marked default: true is the default" {
	mk en/train.csv fr/train.csv
	readme 'configs:' '- config_name: en' '  data_files: en/*.csv' \
		'- config_name: fr' '  data_files: fr/*.csv' '  default: true'
	resolve
	assert_success
	assert_output - <<-'EOF'
		en train csv en/train.csv
		fr* train csv fr/train.csv
	EOF
	run --separate-stderr "$DS" --find - train .
	assert_output "fr train csv fr/train.csv"
}

@test "a config named default is the default" {
	mk a.csv b.csv
	readme 'configs:' '- config_name: other' '  data_files: a.csv' '- config_name: default' '  data_files: b.csv'
	resolve
	assert_output - <<-'EOF'
		other train csv a.csv
		default* train csv b.csv
	EOF
}

@test "several configs and no default: asking for the default lists them" {
	mk a.csv b.csv
	readme 'configs:' '- config_name: one' '  data_files: a.csv' '- config_name: two' '  data_files: b.csv'
	run --separate-stderr "$DS" --find - train .
	assert_failure
	stderr_is "ds-resolve: no default config: pick one of one, two"
}

@test "two default configs are an error" {
	mk a.csv
	readme 'configs:' '- config_name: default' '  data_files: a.csv' \
		'- config_name: b' '  data_files: a.csv' '  default: true'
	resolve
	assert_failure
	stderr_is "ds-resolve: README.md has several default configs: 'default' and 'b'"
}

@test "data_dir: data_files are relative to it, and output paths to the repository" {
	mk en/data/a.jsonl en/other.jsonl fr/a.jsonl
	readme 'configs:' '- config_name: en' '  data_dir: en' '  data_files: data/*.jsonl'
	resolve
	assert_success
	assert_output "en* train jsonl en/data/a.jsonl"
}

@test "data_dir without data_files: the default patterns inside it" {
	mk en/train.csv en/test.csv fr/train-0.csv fr/data/validation-00000-of-00001.csv
	readme 'configs:' '- config_name: en' '  data_dir: en/' '- config_name: fr' '  data_dir: ./fr'
	resolve
	assert_success
	assert_output - <<-'EOF'
		en train csv en/train.csv
		en test csv en/test.csv
		fr validation csv fr/data/validation-00000-of-00001.csv
	EOF
}

@test "a config without data_files or data_dir takes the whole repository's defaults" {
	mk train.csv test.csv
	readme 'pretty_name: x' 'configs:' '- config_name: plain' '  sep: ";"'
	resolve
	assert_output - <<-'EOF'
		plain* train csv train.csv
		plain* test csv test.csv
	EOF
}

@test "a data_dir with no data files is an error for the whole dataset" {
	mk a.csv
	readme 'configs:' '- config_name: x' '  data_dir: nowhere'
	resolve
	assert_failure
	stderr_is "ds-resolve: config 'x': no data files found in 'nowhere'"
}

@test "a data_files path that names no file fails that config only" {
	mk a.csv
	readme 'configs:' '- config_name: good' '  data_files: a.csv' '- config_name: bad' '  data_files: missing.csv'
	resolve
	assert_success
	assert_output - <<-'EOF'
		good train csv a.csv
		bad error: config 'bad': unable to find 'missing.csv'
	EOF
	run --separate-stderr "$DS" --find bad train .
	assert_failure
	stderr_is "ds-resolve: config 'bad': unable to find 'missing.csv'"
}

@test "a wildcard that matches nothing leaves the README's split empty" {
	mk a.csv
	readme 'configs:' '- config_name: x' '  data_files:' '  - split: train' '    path: a.csv' \
		'  - split: test' '    path: t/*.csv'
	resolve
	assert_output - <<-'EOF'
		x* train csv a.csv
		x* test none
	EOF
}

@test "explicit patterns may name hidden files and special directories" {
	mk .hidden/a.csv __x__/b.csv .hidden/.c.csv
	readme 'configs:' '- config_name: x' '  data_files: [".hidden/*.csv", "__x__/*"]'
	resolve
	assert_output "x* train csv .hidden/a.csv __x__/b.csv"
}

@test "unknown keys and other front matter are ignored; configs: [] means none" {
	mk train.csv
	readme 'license: mit' 'dataset_info:' '  features:' '  - name: text' '    dtype: string' 'configs: []'
	resolve
	assert_success
	assert_output "default* train csv train.csv"
}

@test "YAML anchors and merge keys work as in PyYAML" {
	mk a.csv b.csv
	readme 'base: &base' '  data_files: a.csv' 'configs:' '- config_name: one' '  <<: *base' \
		'- config_name: two' '  data_files: &pats [b.csv]' '  default: yes'
	resolve
	assert_output - <<-'EOF'
		one train csv a.csv
		two* train csv b.csv
	EOF
}

@test "YAML aliases cannot multiply the work: merges and pattern counts are bounded" {
	mk a.csv
	"$PY" - <<-'EOF'
		lines = ["---", "m0: &m0 {sep: x}"]
		for i in range(1, 16):
		    lines.append("m%d: &m%d {<<: [%s]}" % (i, i, ", ".join(["*m%d" % (i - 1)] * 50)))
		lines.append("pats: &p [" + ", ".join(["a.csv"] * 1000) + "]")
		lines.append("configs:")
		for i in range(200):
		    lines += ["- config_name: c%d" % i, "  <<: [" + ", ".join(["*m15"] * 50) + "]", "  data_files: *p"]
		open("README.md", "w").write("\n".join(lines + ["---"]) + "\n")
	EOF
	run --separate-stderr timeout 10 "$DS" --lines .
	assert_failure 1
	stderr_is "ds-resolve: README.md: more than 100000 data_files patterns or 16 MiB of them"
}

@test "front matter must open the file and be closed, or it is prose" {
	mk train.csv x.csv
	printf '# Title\n---\nconfigs:\n- config_name: x\n  data_files: x.csv\n---\n' > README.md
	resolve
	assert_output "default* train csv train.csv"
	printf -- '---\nconfigs:\n- config_name: x\n  data_files: x.csv\n' > README.md
	resolve
	assert_output "default* train csv train.csv"
	printf -- '\n---\r\nconfigs:\r\n- config_name: x\r\n  data_files: x.csv\r\n---\r\n' > README.md
	resolve
	assert_output "x* train csv x.csv"
}

@test "malformed YAML is an error naming the README line" {
	mk a.csv
	readme 'license: mit' 'configs:' '- config_name: a' '  data_files: a.csv' '   bad: 1'
	resolve
	assert_failure
	stderr_is "ds-resolve: README.md:6: malformed YAML front matter: mapping values are not allowed in this context"
}

@test "front matter that is not a mapping is an error" {
	mk a.csv
	readme '- a' '- b'
	resolve
	assert_failure
	stderr_is "ds-resolve: README.md:2: the YAML front matter is not a mapping"
}

@test "invalid configs entries are errors" {
	mk a.csv
	readme 'configs:' '  config_name: a'
	resolve
	stderr_is "ds-resolve: README.md:3: configs must be a list"
	readme 'configs:' '- data_files: a.csv'
	resolve
	stderr_is "ds-resolve: README.md:3: each entry of configs needs a config_name"
	readme 'configs:' '- config_name: a' '  data_files: {train: a.csv}'
	resolve
	assert_failure
	stderr_has "ds-resolve: config 'a': data_files must be a string, a list of strings, or a list of {split, path}"
	readme 'configs:' '- config_name: a' '  data_files:' '  - split: bad-name' '    path: a.csv'
	resolve
	assert_failure
	stderr_has "config 'a': data_files must be"
	readme 'configs:' '- config_name: a' '  data_files:' '  - split: train' '    path: a.csv' '  - b.csv'
	resolve
	stderr_is "ds-resolve: config 'a': data_files mixes {split, path} entries with plain patterns"
	readme 'configs:' '- config_name: a' '  data_files:' '  - {split: train, path: a.csv}' '  - {split: train, path: a.csv}'
	resolve
	stderr_is "ds-resolve: config 'a': split 'train' appears twice in data_files"
}

@test "'**' inside a component is refused, as fsspec does" {
	mk d/a.jsonl
	readme 'configs:' '- config_name: x' '  data_files: d/**.jsonl'
	resolve
	assert_output "x* error: config 'x': invalid pattern 'd/**.jsonl': '**' can only be an entire path component"
}

# ---- lookups ------------------------------------------------------------

@test "an unknown split or config names the ones there are" {
	mk train.csv validation.csv
	run --separate-stderr "$DS" --find default validaton .
	assert_failure
	stderr_is "ds-resolve: no split 'validaton' in config 'default' (splits: train, validation)"
	run --separate-stderr "$DS" --find nope train .
	stderr_is "ds-resolve: no config 'nope' (configs: default)"
	run --separate-stderr "$DS" --find - validation .
	assert_output "default validation csv validation.csv"
}

# ---- loading scripts (load.py dataset_module_factory) ----------------------

# script NAME: the loading script ds-resolve finds for repository NAME in
# the listing on stdin, or "none".
script() { "$DS" --script "$1" || echo none; }

@test "a script dataset: the top-level .py named after the repository's last part" {
	listing=$(printf 'RedPajama-Data-1T.py\nREADME.md\nurls/arxiv.txt\nurls/book.txt\n')
	assert_equal "$(script togethercomputer/RedPajama-Data-1T <<< "$listing")" RedPajama-Data-1T.py
	assert_equal "$(script RedPajama-Data-1T <<< "$listing")" RedPajama-Data-1T.py
	assert_equal "$(script some/dir/RedPajama-Data-1T// <<< "$listing")" RedPajama-Data-1T.py
	# a name that ends in .py already gets no second one
	assert_equal "$(script org/gen.py <<< "$(printf 'gen.py\ngen.py.py\n')")" gen.py
	# a local directory, by its name as given
	mk proof-pile-2/proof-pile-2.py proof-pile-2/arxiv/train/a.jsonl.zst
	assert_equal "$("$DS" --script proof-pile-2 proof-pile-2)" proof-pile-2.py
	assert_equal "$("$DS" --script ./proof-pile-2/ proof-pile-2)" proof-pile-2.py
}

@test "not a script dataset: another .py, one deeper down, another case, another suffix" {
	assert_equal "$(script org/lic <<< "$(printf 'build.py\ndata/train.jsonl\n')")" none
	assert_equal "$(script org/lic <<< "$(printf 'scripts/lic.py\ndata/lic.py\n')")" none
	assert_equal "$(script org/lic <<< "$(printf 'Lic.py\nLIC.PY\nlic.PY\n')")" none
	assert_equal "$(script org/lic <<< "$(printf 'lic.pyc\nlic.py.bak\nlic\nlic.json\nxlic.py\n')")" none
	# no name to go by
	assert_equal "$(script '' <<< "$(printf '.py\n')")" none
	assert_equal "$(script / <<< "$(printf '.py\n')")" none
	assert_equal "$(script org/ <<< "$(printf 'org.py\n')")" org.py
	assert_equal "$(script org/lic <<< '')" none
}

# ---- the listing -------------------------------------------------------------

@test "a listing on stdin: sizes kept, paths normalized, README from a file" {
	printf -- '---\nconfigs:\n- config_name: c\n  data_files: "data/*.parquet"\n---\n' > card.md
	printf './data/b.parquet\t20\ndata/a.parquet\t10\ndata/x.txt\t3\n' > listing
	run --separate-stderr "$DS" --readme card.md < listing
	assert_success
	assert_equal "$(echo "$output" | json_get /dev/stdin 'j["configs"][0]["splits"][0]')" \
		'{"name": "train", "format": "parquet", "files": ["data/a.parquet", "data/b.parquet"], "sizes": [10, 20]}'
	assert_equal "$(echo "$output" | json_get /dev/stdin '[j["yaml"], j["default"]]')" '[true, "c"]'
}

@test "the local walk: sorted, symlinked files kept, symlinked directories and fifos skipped" {
	mk real/b.csv real/a.csv
	mkdir -p other && : > other/c.csv
	ln -s ../other real/linkdir
	ln -s a.csv real/link.csv
	mkfifo real/fifo.csv
	printf 'xyz' > real/a.csv
	run --separate-stderr "$DS" real
	assert_success
	assert_equal "$(echo "$output" | json_get /dev/stdin 'j["configs"][0]["splits"][0]["files"]')" \
		'["a.csv", "b.csv", "link.csv"]'
	assert_equal "$(echo "$output" | json_get /dev/stdin 'j["configs"][0]["splits"][0]["sizes"]')" '[3, 0, 3]'
}

# ---- globs (fsspec glob_translate) ---------------------------------------------

@test "glob: '*' stays in one component, '**' crosses them and may match none" {
	m() { "$DS" --match "$1" "$2"; }
	assert_equal "$(m 'data/*.jsonl' data/a.jsonl)" 1
	assert_equal "$(m 'data/*.jsonl' data/sub/a.jsonl)" 0
	assert_equal "$(m 'data/**/*.jsonl' data/a.jsonl)" 1
	assert_equal "$(m 'data/**/*.jsonl' data/x/y/a.jsonl)" 1
	assert_equal "$(m 'data/**' data/x/y/a.jsonl)" 1
	assert_equal "$(m 'data/**' data)" 0
	assert_equal "$(m '**' a/b/c)" 1
	assert_equal "$(m '*' a/b)" 0
	assert_equal "$(m '**/train[-._ 0-9]*' x/y/train-1.csv)" 1
	assert_equal "$(m '**.jsonl' a.jsonl)" -1
}

@test "glob: '?', classes, negation, ranges, and characters not bytes" {
	m() { "$DS" --match "$1" "$2"; }
	assert_equal "$(m 'a?.csv' ab.csv)" 1
	assert_equal "$(m 'a?.csv' a/.csv)" 0
	assert_equal "$(m 'a?.csv' aé.csv)" 1
	assert_equal "$(m '[a-c]x' bx)" 1
	assert_equal "$(m '[a-c]x' dx)" 0
	assert_equal "$(m '[!a-c]x' dx)" 1
	assert_equal "$(m '[!a-c]x' ax)" 0
	assert_equal "$(m '[]]x' ']x')" 1
	assert_equal "$(m '[-a]x' -x)" 1
	assert_equal "$(m '[z-a]x' zx)" 0
	assert_equal "$(m '[x' '[x')" 1
	assert_equal "$(m 'a*b*c' aXbYbZc)" 1
	assert_equal "$(m 'a*b*c' aXbYbZ)" 0
}

@test "a local glob argument expands to sorted files; hidden ones only when named" {
	mk data/b.jsonl data/a.jsonl data/sub/c.jsonl data/.h.jsonl data/README.md data/x.csv
	run --separate-stderr "$DS" --glob 'data/*.jsonl'
	assert_output "$(printf 'data/a.jsonl\t0\ndata/b.jsonl\t0')"
	run --separate-stderr "$DS" --glob 'data/**/*.jsonl'
	assert_output "$(printf 'data/a.jsonl\t0\ndata/b.jsonl\t0\ndata/sub/c.jsonl\t0')"
	run --separate-stderr "$DS" --glob 'data/.*.jsonl'
	assert_output "$(printf 'data/.h.jsonl\t0')"
	run --separate-stderr "$DS" --glob "$PWD/d*/s?b/*"
	assert_output "$(printf '%s/data/sub/c.jsonl\t0' "$PWD")"
	run --separate-stderr "$DS" --glob 'data/*.parquet'
	assert_failure
	stderr_is "ds-resolve: no files match 'data/*.parquet'"
	run --separate-stderr "$DS" --glob 'data/x.csv'
	assert_output "$(printf 'data/x.csv\t0')"
}
