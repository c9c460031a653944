#!/usr/bin/env bats
# datatrove's quality filters in C (libcommon/text/quality.h), driven by
# tests/helpers/quality-check, against tests/helpers/quality_oracle.py, an
# independent Python reading of datatrove's rules.  Decisions (and C4's
# rewritten text) must agree on every document of: a corpus built to sit
# just inside and just outside each threshold of each rule, whose expected
# decisions are worked out by hand (quality_corpus.py), so a wrong oracle
# fails too; real text (licences, manual pages, fortunes); parameters
# changed to flip decisions.  Then bad parameter strings.
#
# Words and sentences come from text/wordtok.h and spacy_en.py; the corpus
# keeps marks apart from words so its decisions hold for whitespace and
# spaCy splitting alike.

load test_helper

SLUICE_TEST_BIN=${SLUICE_TEST_BIN:-$TOP/build/tests}

setup() {
	QCHECK=$SLUICE_TEST_BIN/quality-check
	[ -x "$QCHECK" ] || fail "no quality-check in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

oracle() { "$PY" "$HELPERS/quality_oracle.py" "$@"; }

# agree DOCS ARGS...: C and the oracle print the same decisions for DOCS.
agree() {
	local docs=$1
	shift
	"$QCHECK" "$@" < "$docs" > c.out || fail "quality-check $* failed"
	oracle "$@" < "$docs" > py.out || fail "oracle $* failed"
	cmp -s c.out py.out || fail "C and oracle differ with $*: $(diff c.out py.out | head -n 6 | cut -c1-200)"
}

# decide ARGS... -- DOC(printf format) EXPECTED: both print EXPECTED for DOC.
decide() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	printf -- "$2" > doc
	printf '\0' >> doc
	agree doc "${args[@]}"
	[ "$(cat c.out)" = "$3" ] || fail "with ${args[*]}: got '$(cat c.out)', want '$3'"
}

@test "threshold corpus: C, oracle and the worked-out decisions agree on every document" {
	"$PY" "$HELPERS/quality_corpus.py" corpus
	local n=0 g
	for g in corpus/*.args; do
		g=${g%.args}
		mapfile -t args < "$g.args"
		agree "$g.docs" "${args[@]}"
		cmp -s py.out "$g.expected" ||
			fail "$g: oracle against the worked-out decisions: $(diff py.out "$g.expected" | head -n 6 | cut -c1-200)"
		n=$((n + $(wc -l < "$g.expected")))
	done
	[ "$n" -ge 80 ] || fail "only $n cases"
}

@test "real text: licences, manual pages, fortunes: each filter alone and all four" {
	"$PY" "$HELPERS/quality_realtext.py" 1500000 > real
	[ "$(tr -cd '\0' < real | wc -c)" -ge 100 ]
	agree real --gopher-repetition
	agree real --gopher-quality
	agree real --c4
	agree real --c4=split_paragraph=false
	agree real --fineweb
	agree real --gopher-repetition --gopher-quality --c4 --fineweb
	# not a corpus where everything is kept, or everything dropped
	grep -q '^keep' c.out
	grep -q '^fineweb/' c.out
}

@test "real text with every optional check off and odd settings" {
	"$PY" "$HELPERS/quality_realtext.py" 400000 > real
	agree real --gopher-quality=min_doc_words=none,max_symbol_word_ratio=0,stop_words=the:a:an,min_stop_words=3
	agree real --gopher-repetition=dup_para_frac=none,top_n_grams=1@0.3:2@0.1,dup_n_grams=3@0.2:4@0.05
	agree real --c4=remove_citations=false,filter_no_terminal_punct=false,min_words_per_line=1,min_num_sentences=-1
	agree real '--fineweb=stop_chars=.:;:\,,line_punct_exclude_zero=true,short_line_length=10'
}

@test "gopher-quality: every threshold is a parameter" {
	local doc='the and qaa qab qac qad qae qaf qag qah qai qaj'
	decide --gopher-quality -- "$doc" gopher-quality/gopher_short_doc
	decide --gopher-quality=min_doc_words=12 -- "$doc" keep
	decide --gopher-quality=min_doc_words=13 -- "$doc" gopher-quality/gopher_short_doc
	decide --gopher-quality=min_doc_words=5,max_doc_words=11 -- "$doc" gopher-quality/gopher_long_doc
	decide --gopher-quality=min_doc_words=none,min_avg_word_length=3.1 -- "$doc" gopher-quality/gopher_below_avg_threshold
	decide --gopher-quality=min_doc_words=0,max_avg_word_length=2.9 -- "$doc" gopher-quality/gopher_above_avg_threshold
	decide --gopher-quality=min_doc_words=0,max_symbol_word_ratio=0.05 -- "$doc # ... qzz" gopher-quality/gopher_too_many_hashes
	decide --gopher-quality=min_doc_words=0,max_symbol_word_ratio=0.1 -- "$doc # ... qzz" keep
	decide --gopher-quality=min_doc_words=0,max_bullet_lines_ratio=0.4 -- "- $doc\\n- qba qbb\\nqbc qbd" gopher-quality/gopher_too_many_bullets
	decide --gopher-quality=min_doc_words=0,max_symbol_word_ratio=0.2,max_ellipsis_lines_ratio=0.6 -- "$doc ...\\nqba qbb ...\\nqbc qbd" gopher-quality/gopher_too_many_end_ellipsis
	decide --gopher-quality=min_doc_words=0,max_symbol_word_ratio=0.2,max_ellipsis_lines_ratio=0.7 -- "$doc ...\\nqba qbb ...\\nqbc qbd" keep
	decide --gopher-quality=min_doc_words=0,max_non_alpha_words_ratio=0.9 -- "$doc 123 456" gopher-quality/gopher_below_alpha_threshold
	decide --gopher-quality=min_doc_words=0,max_non_alpha_words_ratio=0.85 -- "$doc 123 456" keep
	decide --gopher-quality=min_doc_words=0,min_stop_words=3 -- "$doc" gopher-quality/gopher_enough_stop_words
	decide --gopher-quality=min_doc_words=0,stop_words=qaa:qab:qzz -- "$doc" keep
	decide --gopher-quality=min_doc_words=0,stop_words=qaa:qzz -- "$doc" gopher-quality/gopher_enough_stop_words
}

@test "gopher-repetition: every threshold is a parameter" {
	decide --gopher-repetition -- 'qaa qab\nqaa qab\nqac qad qae qaf qag qah qai qaj qak' gopher-repetition/dup_line_frac
	decide --gopher-repetition=dup_line_frac=0.4,dup_line_char_frac=0.5,top_n_grams=,dup_n_grams= -- 'qaa qab\nqaa qab\nqac qad qae qaf qag qah qai qaj qak' keep
	decide --gopher-repetition=dup_line_frac=none,dup_line_char_frac=0.1,top_n_grams=,dup_n_grams= -- 'qaa qab\nqaa qab\nqac qad qae qaf qag qah qai qaj qak' gopher-repetition/dup_line_char_frac
	decide --gopher-repetition=dup_para_frac=0.6,top_n_grams=,dup_n_grams= -- 'qa\n\nqa\n\nqb' gopher-repetition/dup_line_frac
	decide --gopher-repetition=dup_para_frac=0.6,dup_para_char_frac=0.1,top_n_grams=,dup_n_grams= -- 'qa\n\nqa\n\nqb' gopher-repetition/dup_para_char_frac
	decide --gopher-repetition=dup_para_frac=0.3,top_n_grams=,dup_n_grams= -- 'qa\n\nqa\n\nqb' gopher-repetition/dup_para_frac
	decide --gopher-repetition=top_n_grams=1@0.5,dup_n_grams= -- 'qa qb qc qd qe qf qg qh' keep
	decide --gopher-repetition=top_n_grams=1@0.05,dup_n_grams= -- 'qa qb qc qd qe qf qg qh' gopher-repetition/top_1_gram
	decide --gopher-repetition=top_n_grams=,dup_n_grams=2@0.1 -- 'qa b qc q ab qd' gopher-repetition/duplicated_2_n_grams
	decide --gopher-repetition=top_n_grams=,dup_n_grams=2@0.2 -- 'qa b qc q ab qd' keep
}

@test "c4: every setting is a parameter, and the rewrite follows them" {
	local doc='qa qb qc.\nqd qe qf.\nno mark here\nqg [1] qh qi.'
	decide --c4 -- "$doc" c4/too_few_sentences
	decide --c4=min_num_sentences=3 -- "$doc" 'keep	qa qb qc.\nqd qe qf.\nqg  qh qi.'
	decide --c4=min_num_sentences=3,remove_citations=false -- "$doc" 'keep	qa qb qc.\nqd qe qf.\nqg [1] qh qi.'
	decide --c4=min_num_sentences=4,filter_no_terminal_punct=false -- "$doc" 'keep	qa qb qc.\nqd qe qf.\nno mark here\nqg  qh qi.'
	decide --c4=min_num_sentences=2,min_words_per_line=4 -- "$doc" c4/too_few_sentences
	decide --c4=min_num_sentences=3,max_word_length=3 -- "$doc" 'keep	qa qb qc.\nqd qe qf.\nqg  qh qi.'
	decide --c4=min_num_sentences=1,max_word_length=2 -- "$doc" c4/too_few_sentences
	decide --c4=min_num_sentences=-1 -- 'qa qb qc.' keep
	decide --c4=min_num_sentences=1 -- 'lorem ipsum qa qb.' c4/lorem_ipsum
	decide --c4=min_num_sentences=1,filter_lorem_ipsum=false -- 'lorem ipsum qa qb.' keep
	decide --c4=min_num_sentences=1 -- 'qa { qb.' c4/curly_bracket
	decide --c4=min_num_sentences=1,filter_curly_bracket=false -- 'qa { qb.' keep
	decide --c4=min_num_sentences=1 -- 'qa qb qc.\nuse javascript here.' 'keep	qa qb qc.'
	decide --c4=min_num_sentences=1,filter_javascript=false -- 'qa qb qc.\nuse javascript here.' keep
	decide --c4=min_num_sentences=1 -- 'qa qb qc.\nour terms of use apply.' 'keep	qa qb qc.'
	decide --c4=min_num_sentences=1,filter_policy=false -- 'qa qb qc.\nour terms of use apply.' keep
	decide --c4=min_num_sentences=2,split_paragraph=false -- 'qa qb qc.\nqd qe qf.' 'keep	qa qb qc. qd qe qf.'
}

@test "fineweb: every threshold is a parameter" {
	local doc='qaaa qbbb qccc qddd qeee qfff qggg\nqhhh qiii qjjj qkkk qlll qmmm qnnn .'
	decide --fineweb -- "$doc" keep
	decide --fineweb=line_punct_thr=0.6 -- "$doc" fineweb/line_punct_ratio
	decide --fineweb=stop_chars=. -- "$doc" keep
	decide --fineweb=stop_chars=! -- "$doc" fineweb/line_punct_ratio
	decide --fineweb=stop_chars=!,line_punct_exclude_zero=true -- "$doc" keep
	decide --fineweb=stop_chars=!:.,line_punct_thr=0.5 -- "$doc" keep
	decide --fineweb=stop_chars=!:.,line_punct_thr=0.51 -- "$doc" fineweb/line_punct_ratio
	decide '--fineweb=stop_chars=nnn:\,x' -- 'qaaa qbbb qccc qddd qeee qfff qggg,x\nqhhh qiii qjjj qkkk qlll qmmm qnnn' keep
	decide --fineweb=short_line_length=40 -- "$doc" fineweb/short_line_ratio
	decide --fineweb=short_line_length=40,short_line_thr=1 -- "$doc" keep
	decide --fineweb -- 'qaaa qbbb qccc qddd qeee qfff qggg .\nqaaa qbbb qccc qddd qeee qfff qggg .' fineweb/char_dup_ratio
	decide --fineweb=char_duplicates_ratio=0.5 -- 'qaaa qbbb qccc qddd qeee qfff qggg .\nqaaa qbbb qccc qddd qeee qfff qggg .' keep
	decide --fineweb=new_line_ratio=0.05 -- "$doc" fineweb/list_ratio
}

@test "the reasons each set of filters can give, in order" {
	run "$QCHECK" --reasons --fineweb --c4
	assert_success
	assert_output "$(printf '%s\n' c4/lorem_ipsum c4/curly_bracket c4/too_few_sentences fineweb/empty \
		fineweb/line_punct_ratio fineweb/short_line_ratio fineweb/char_dup_ratio fineweb/list_ratio)"
	run "$QCHECK" --reasons --gopher-repetition=top_n_grams=3@0.1:3@0.2,dup_n_grams=7@0.1
	assert_output "$(printf '%s\n' gopher-repetition/dup_para_frac gopher-repetition/dup_para_char_frac \
		gopher-repetition/dup_line_frac gopher-repetition/dup_line_char_frac \
		gopher-repetition/top_3_gram gopher-repetition/duplicated_7_n_grams)"
	run "$QCHECK" --reasons --gopher-quality
	[ "${#lines[@]}" -eq 10 ]
}

@test "bad filter names and parameter strings are refused with one clear line" {
	run -2 "$QCHECK" --gopher
	assert_output "quality-check: unknown quality filter 'gopher' (gopher-repetition, gopher-quality, c4, fineweb)"
	run -2 "$QCHECK" --c4=min_sentences=3
	assert_output --partial "quality-check: c4: unknown parameter 'min_sentences' (known: split_paragraph,"
	run -2 "$QCHECK" --gopher-quality=min_doc_words=4x
	assert_output "quality-check: gopher-quality: min_doc_words: '4x' is not a number (or none)"
	run -2 "$QCHECK" --fineweb=line_punct_thr=none
	assert_output "quality-check: fineweb: line_punct_thr: 'none' is not a number"
	run -2 "$QCHECK" --fineweb=line_punct_thr=nan
	assert_output "quality-check: fineweb: line_punct_thr: 'nan' is not a number"
	run -2 "$QCHECK" --c4=split_paragraph=yes
	assert_output "quality-check: c4: split_paragraph: 'yes' is not true or false"
	run -2 "$QCHECK" --gopher-repetition=top_n_grams=2:0.2
	assert_output --partial "quality-check: gopher-repetition: top_n_grams: each item must be N@FRACTION"
	run -2 "$QCHECK" --gopher-repetition=dup_n_grams=0@0.2
	assert_output --partial "each item must be N@FRACTION with N from 1 to 32"
	run -2 "$QCHECK" --gopher-repetition=dup_n_grams=33@0.2
	assert_output --partial "each item must be N@FRACTION"
	run -2 "$QCHECK" --fineweb=new_line_ratio
	assert_output "quality-check: fineweb: 'new_line_ratio' is not name=value"
	run -2 "$QCHECK" --fineweb=new_line_ratio=
	assert_output "quality-check: fineweb: new_line_ratio: '' is not a number"
}

@test "empty and odd documents: no crash, same decisions" {
	printf '\0\0 \0\n\0\n\n\n\0#\0...\0\xe2\x80\xa6\0[1]\0{\0\r\n\0\r\0x\n\n\ny\0' > odd
	agree odd --gopher-repetition --gopher-quality=min_doc_words=0 --c4=min_num_sentences=0,filter_no_terminal_punct=false,min_words_per_line=0 --fineweb
	agree odd --gopher-repetition
	agree odd --gopher-quality=min_doc_words=0
	agree odd --c4=min_num_sentences=0,min_words_per_line=0
	agree odd --fineweb
}
