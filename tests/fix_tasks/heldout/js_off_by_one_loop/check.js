const assert = require("node:assert");
const { orderTotal } = require("./orders.js");

assert.strictEqual(orderTotal([{ price: 2, qty: 3 }, { price: 1, qty: 1 }]), 7);
assert.strictEqual(orderTotal([]), 0);
