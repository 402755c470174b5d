const assert = require("node:assert");
const { rightAlign } = require("./table.js");

assert.deepStrictEqual(rightAlign(["a", "abc"]), ["  a", "abc"]);
