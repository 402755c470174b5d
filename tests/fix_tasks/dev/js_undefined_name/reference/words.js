"use strict";

function countWords(text) {
  const result = {};
  for (const word of text.toLowerCase().split(/\s+/)) {
    if (!word) continue;
    result[word] = (result[word] || 0) + 1;
  }
  return result;
}

module.exports = { countWords };
