#!/usr/bin/env node
// Tokenizer throughput, JavaScript leg (see tools/bench/tokenizer.sh): the reference encoder of npm
// gpt-3-encoder@1.1.4 (Encoder.js) on every text of the corpus, the same passes as the C# leg.
// Prints one JSON line like the C# leg. Usage: node tokenizer_bench.js CORPUS.jsonl ENCODER.js PASSES
'use strict';
const fs = require('fs');
const path = require('path');
const [corpusPath, encoderPath, passesArg] = process.argv.slice(2);
if (!passesArg) { console.error('usage: node tokenizer_bench.js CORPUS.jsonl ENCODER.js PASSES'); process.exit(2); }
const texts = fs.readFileSync(corpusPath, 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l).text);
const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t, 'utf8'), 0);
const passes = parseInt(passesArg, 10);
const resolved = path.resolve(encoderPath);

const load0 = process.hrtime.bigint();
const { encode } = require(resolved); // loads encoder.json and vocab.bpe (not timed below)
const loadS = Number(process.hrtime.bigint() - load0) / 1e9;
function pass() {
  let tokens = 0;
  for (const t of texts) tokens += encode(t).length;
  return tokens;
}
let t0 = process.hrtime.bigint();
const tokensPerPass = pass();
const cold = Number(process.hrtime.bigint() - t0) / 1e9;
// Warm-up: passes until 3 s have gone by (at least 2), as in the C# leg, so V8 has optimised the code.
let warmups = 0;
t0 = process.hrtime.bigint();
while (warmups < 2 || Number(process.hrtime.bigint() - t0) / 1e9 < 3) { pass(); warmups++; }
const warm = [];
for (let p = 0; p < passes; p++) {
  t0 = process.hrtime.bigint();
  const n = pass();
  warm.push(Number(process.hrtime.bigint() - t0) / 1e9);
  if (n !== tokensPerPass) throw new Error('token count changed between passes');
}
console.log(JSON.stringify({ leg: 'javascript', runtime: `node ${process.version}`, texts: texts.length, bytes, tokens: tokensPerPass, warmup_passes: warmups, load_s: loadS, cold_s: cold, warm_s: warm }));
