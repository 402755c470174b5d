const assert = require("node:assert");
const { isAdult, adults } = require("./eligibility.js");

assert.strictEqual(isAdult(18), true, "isAdult(18)");
assert.strictEqual(isAdult(17), false, "isAdult(17)");
assert.deepStrictEqual(adults([{ name: "a", age: 18 }, { name: "b", age: 3 }]), ["a"]);
