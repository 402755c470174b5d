"use strict";

/**
 * @param {string} text
 * @param {number} width
 * @returns {string}
 */
function padLeft(text, width) {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

/** @param {string[]} labels */
function rightAlign(labels) {
  const width = Math.max(...labels.map((l) => l.length));
  return labels.map((label) => padLeft(width, label));
}

module.exports = { rightAlign };
