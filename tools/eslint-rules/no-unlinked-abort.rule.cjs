// @ts-check
'use strict';

/** Names whose use in the same function shows the new signal is tied to the request's deadline. */
const LINKS = new Set(['currentDeadline', 'currentScope', 'linkSignals']);

/**
 * Flags, in app code, a fresh `new AbortController()` in a function that never consults the current
 * deadline (`currentDeadline()`, `currentScope()`, `linkSignals()`), and every `AbortSignal.timeout()`:
 * each starts a clock of its own, so work bound to it outlives or ignores the request's deadline.
 * @type {import('eslint').Rule.RuleModule}
 */
module.exports = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'A fresh AbortController or AbortSignal.timeout() must be linked to the current deadline',
    },
    messages: {
      controller:
        'new AbortController() is not linked to the current deadline: derive it from currentDeadline() (deadline.child(), linkSignals(currentDeadline()?.signal, …)) so the request’s cancellation reaches it.',
      timeout:
        'AbortSignal.timeout() starts a clock of its own that ignores the request’s deadline (and its timer cannot be cleared): use currentDeadline()?.child({ capMs }) instead.',
    },
    schema: [],
  },
  create(context) {
    return {
      NewExpression(node) {
        if (
          node.callee.type !== 'Identifier' ||
          node.callee.name !== 'AbortController'
        )
          return;
        // A controller held by a long-lived object (stopping it on shutdown) is not a request's.
        const parent = context.sourceCode.getAncestors(node).at(-1);
        if (parent?.type === 'PropertyDefinition' && parent.value === node)
          return;
        if (!linkedInEnclosingFunction(context.sourceCode.getAncestors(node)))
          context.report({ node, messageId: 'controller' });
      },
      CallExpression(node) {
        const callee = node.callee;
        if (
          callee.type === 'MemberExpression' &&
          !callee.computed &&
          callee.object.type === 'Identifier' &&
          callee.object.name === 'AbortSignal' &&
          callee.property.type === 'Identifier' &&
          callee.property.name === 'timeout'
        ) {
          context.report({ node, messageId: 'timeout' });
        }
      },
    };
  },
};

/** @param {import('estree').Node[]} ancestors */
function linkedInEnclosingFunction(ancestors) {
  const fn = [...ancestors]
    .reverse()
    .find(
      (n) =>
        n.type === 'FunctionDeclaration' ||
        n.type === 'FunctionExpression' ||
        n.type === 'ArrowFunctionExpression',
    );
  if (!fn) return false;
  let found = false;
  walk(fn, (n) => {
    if (n.type === 'Identifier' && LINKS.has(n.name)) found = true;
  });
  return found;
}

/**
 * @param {any} node
 * @param {(n: any) => void} visit
 */
function walk(node, visit) {
  visit(node);
  for (const key of Object.keys(node)) {
    if (key === 'parent') continue;
    const child = node[key];
    if (Array.isArray(child))
      child.forEach((c) => c && typeof c.type === 'string' && walk(c, visit));
    else if (child && typeof child.type === 'string') walk(child, visit);
  }
}

module.exports.walk = walk;
