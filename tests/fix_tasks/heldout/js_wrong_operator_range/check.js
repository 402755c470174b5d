const assert = require("node:assert");
const { inRange, countInRange } = require("./ranges.js");

assert.strictEqual(inRange(15, 0, 10), false, "inRange(15, 0, 10)");
assert.strictEqual(inRange(5, 0, 10), true);
assert.strictEqual(countInRange([-1, 0, 5, 10, 11], 0, 10), 3);
