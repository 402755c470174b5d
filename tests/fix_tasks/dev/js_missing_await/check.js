const assert = require("node:assert");
const { shoutName } = require("./users.js");

shoutName(3).then((v) => assert.strictEqual(v, "USER3")).catch((e) => {
  console.error(e);
  process.exit(1);
});
