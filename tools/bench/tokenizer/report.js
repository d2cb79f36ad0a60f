#!/usr/bin/env node
// Prints the Markdown table of tools/bench/tokenizer.sh from the legs' JSON lines.
// Usage: node report.js FACTS.md LOG...
'use strict';
const fs = require('fs');
const [factsPath, ...logs] = process.argv.slice(2);
const median = a => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const legs = {};
for (const log of logs) {
  const r = JSON.parse(fs.readFileSync(log, 'utf8').trim().split('\n').pop());
  (legs[r.leg] = legs[r.leg] || []).push(r);
}
const cs = legs.csharp, js = legs.javascript;
if (!cs || !js) throw new Error('both legs are needed');
const all = cs.concat(js);
if (new Set(all.map(r => `${r.bytes}/${r.tokens}`)).size !== 1) {
  throw new Error(`the legs disagree on bytes/tokens per pass: ${all.map(r => `${r.leg} ${r.bytes}/${r.tokens}`).join(', ')}`);
}
const { bytes, tokens, texts } = all[0];
const mb = bytes / 1e6;
const row = rs => {
  const warmRounds = rs.map(r => mb / median(r.warm_s)); // per round: MB/s of the median timed pass
  const coldRounds = rs.map(r => mb / r.cold_s);
  return { warm: median(warmRounds), cold: median(coldRounds), warmRounds, runtime: rs[0].runtime, passes: rs[0].warm_s.length };
};
const c = row(cs), j = row(js);
const f = (x, d = 2) => x.toFixed(d);
process.stdout.write(fs.readFileSync(factsPath, 'utf8'));
console.log(`- corpus: ${texts} texts, ${bytes} UTF-8 bytes, ${tokens} tokens per pass (identical in both legs); ${c.passes} timed passes per leg per round after 3 s of warm-up passes (C# ${cs.map(r => r.warmup_passes).join('/')}, JavaScript ${js.map(r => r.warmup_passes).join('/')} passes)`);
console.log(`- runtimes: ${c.runtime}; ${j.runtime}`);
console.log('');
console.log(`| leg | warm MB/s (median) | per round | cold MB/s (first pass, empty cache) | warm × JS |`);
console.log(`|---|---:|---|---:|---:|`);
console.log(`| C# \`GptBpeTokenizer.Encode\` | **${f(c.warm)}** | ${c.warmRounds.map(x => f(x)).join(', ')} | ${f(c.cold)} | **${f(c.warm / j.warm)}** |`);
console.log(`| JavaScript \`gpt-3-encoder\` \`encode\` — baseline | **${f(j.warm)}** | ${j.warmRounds.map(x => f(x)).join(', ')} | ${f(j.cold)} | 1.00 |`);
console.log('');
console.log(`Ratio C# ÷ JavaScript: warm ${f(c.warm / j.warm)}×, cold ${f(c.cold / j.cold)}×.`);
const spread = rs => (Math.max(...rs) - Math.min(...rs)) / median(rs);
for (const [name, r] of [['C#', c], ['JavaScript', j]]) {
  if (r.warmRounds.length > 1 && spread(r.warmRounds) > 0.1) console.log(`\nwarning: the ${name} rounds differ by more than 10% (${r.warmRounds.map(x => f(x)).join(', ')} MB/s): a busy machine?`);
}
