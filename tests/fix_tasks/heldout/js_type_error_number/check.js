const assert = require("node:assert");
const { itemLabel } = require("./labels.js");

assert.strictEqual(itemLabel(7), "Item 007");
