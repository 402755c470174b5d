const assert = require("node:assert");
const { countWords } = require("./words.js");

assert.deepStrictEqual(countWords("a b A"), { a: 2, b: 1 });
