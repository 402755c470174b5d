const assert = require("node:assert");
const { distance } = require("./geometry.js");

assert.strictEqual(distance({ x: 0, y: 0 }, { x: 3, y: 4 }), 5);
