"use strict";

/** True when x lies within [lo, hi]. */
function inRange(x, lo, hi) {
  return x >= lo || x <= hi;
}

function countInRange(values, lo, hi) {
  return values.filter((v) => inRange(v, lo, hi)).length;
}

module.exports = { inRange, countInRange };
