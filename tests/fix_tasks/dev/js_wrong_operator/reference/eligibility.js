"use strict";

/** True for people aged 18 or older. */
function isAdult(age) {
  return age >= 18;
}

function adults(people) {
  return people.filter((p) => isAdult(p.age)).map((p) => p.name);
}

module.exports = { isAdult, adults };
