// Changelog lines for `changeset version` (.changeset/config.json): the changeset's text as written
// for users, without commit hashes (they link nowhere for a reader of the npm page), and one line
// naming the harombe versions a release depends on (they are pinned exactly on publish) instead of
// a line per changeset.
'use strict';

function getReleaseLine(changeset) {
  const [first, ...rest] = changeset.summary.split('\n').map((line) => line.trimEnd());
  return [`- ${first}`, ...rest.map((line) => (line ? `  ${line}` : line))].join('\n');
}

function getDependencyReleaseLine(_changesets, dependenciesUpdated) {
  if (dependenciesUpdated.length === 0) return '';
  const names = dependenciesUpdated.map(({ name, newVersion }) => `\`${name}@${newVersion}\``);
  return `- Depends on ${names.join(', ')}.`;
}

module.exports = {
  default: {
    getReleaseLine: async (...args) => getReleaseLine(...args),
    getDependencyReleaseLine: async (...args) => getDependencyReleaseLine(...args),
  },
};
