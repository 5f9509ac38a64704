// @ts-check
'use strict';

/**
 * Flags, in app code, an explicit "run without the request's deadline": a root deadline made with
 * `Deadline.after()` or work started under one with `runWithDeadline()` / `runInScope()`. Each cuts
 * the work loose from the caller's budget and cancellation. Legitimate uses (a saga follow-up that
 * must outlive the request, a sweeper, start-up work) belong on the allow-list in eslint.config.mjs.
 * @type {import('eslint').Rule.RuleModule}
 */
module.exports = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Work detached from the request’s deadline only where the allow-list says so',
    },
    messages: {
      detached:
        '{{what}} detaches this work from the request’s deadline. Use the current deadline (currentDeadline(), deadline.child()); if this work must outlive the request, add the file to the allow-list for this rule in eslint.config.mjs.',
    },
    schema: [],
  },
  create(context) {
    return {
      CallExpression(node) {
        const callee = node.callee;
        if (
          callee.type === 'Identifier' &&
          (callee.name === 'runWithDeadline' || callee.name === 'runInScope')
        ) {
          context.report({
            node,
            messageId: 'detached',
            data: { what: `${callee.name}()` },
          });
        }
        if (
          callee.type === 'MemberExpression' &&
          !callee.computed &&
          callee.object.type === 'Identifier' &&
          callee.object.name === 'Deadline' &&
          callee.property.type === 'Identifier' &&
          callee.property.name === 'after'
        ) {
          context.report({
            node,
            messageId: 'detached',
            data: { what: 'Deadline.after()' },
          });
        }
      },
    };
  },
};
