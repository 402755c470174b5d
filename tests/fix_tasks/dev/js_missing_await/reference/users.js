"use strict";

/** @returns {Promise<{name: string}>} */
async function getUser(id) {
  return { name: `user${id}` };
}

async function shoutName(id) {
  const user = await getUser(id);
  return user.name.toUpperCase();
}

module.exports = { shoutName };
