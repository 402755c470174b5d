"use strict";

/**
 * @param {number} n
 * @returns {string}
 */
function itemLabel(n) {
  return "Item " + n.padStart(3, "0");
}

module.exports = { itemLabel };
