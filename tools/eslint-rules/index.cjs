// @ts-check
'use strict';

// The static half of the lost-deadline guard (DESIGN.md §2 "Deadline lost", §3 layer 2.5):
// patterns in app code that drop a request's deadline. Registered in eslint.config.mjs for apps/**.
module.exports = {
  meta: { name: 'deadline-relay' },
  rules: {
    'no-unlinked-abort': require('./no-unlinked-abort.rule.cjs'),
    'no-escaping-downstream-call': require('./no-escaping-downstream-call.rule.cjs'),
    'no-detached-deadline': require('./no-detached-deadline.rule.cjs'),
  },
};
