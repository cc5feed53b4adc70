// Reference ids from Hugging Face tokenizers (the `tokenizers` npm package, native bindings) for
// tests/unit/test_tokenizer_reference.cpp: proves that a tokenizer.json we read or write means
// the same to Hugging Face.
// usage: node hf_reference.js PACKAGE_DIR TOKENIZER_JSON TEXTS_JSON OUT_JSON
// Writes {"package", "ids", "ids_special", "decoded"}: per text, the ids without and with
// special tokens, and the decoding of the plain ids.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [packageDir, tokenizerPath, textsPath, outPath] = process.argv.slice(2);
  if (!outPath) {
    console.error('usage: node hf_reference.js PACKAGE_DIR TOKENIZER_JSON TEXTS_JSON OUT_JSON');
    process.exit(2);
  }
  const { Tokenizer } = require(path.resolve(packageDir));
  const version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  const tokenizer = Tokenizer.fromFile(tokenizerPath);
  const texts = JSON.parse(fs.readFileSync(textsPath, 'utf8'));
  const result = { package: 'tokenizers@' + version, ids: [], ids_special: [], decoded: [] };
  for (const text of texts) {
    const plain = Array.from((await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds());
    const special = Array.from((await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds());
    result.ids.push(plain);
    result.ids_special.push(special);
    result.decoded.push(await tokenizer.decode(plain, false));
  }
  const temp = outPath + '.tmp';
  fs.writeFileSync(temp, JSON.stringify(result) + '\n');
  fs.renameSync(temp, outPath);
}

main().catch((error) => {
  console.error(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
