// @ts-check
'use strict';

const { walk } = require('./no-unlinked-abort.rule.cjs');

/** Callbacks that run after the request has moved on, or in whoever-emitted's context. */
const TIMERS = new Set([
  'setTimeout',
  'setInterval',
  'setImmediate',
  'queueMicrotask',
]);
const EMITTER_METHODS = new Set([
  'on',
  'once',
  'addListener',
  'prependListener',
  'prependOnceListener',
  'addEventListener',
]);
/** Calling one of these inside the callback re-binds it to a deadline of its own. */
const REBIND = new Set(['runWithDeadline', 'runInScope']);
/** Constructor-parameter types that reach another process. */
const DOWNSTREAM_TYPE = /^(DeadlineClient|Database|QueryRunner)$|Repository$/;

/**
 * Flags, in app code, a downstream call (an injected gRPC client, the database, a repository) made
 * inside a callback that escapes the request: a timer (`setTimeout`, `setInterval`, `setImmediate`,
 * `queueMicrotask`, `process.nextTick`) or an event listener (`.on`, `.once`, `addEventListener`, …),
 * unless the callback re-binds itself with `runWithDeadline()` / `runInScope()`. Such a call runs after
 * the request's deadline is spent or under someone else's: the deadline is lost.
 * @type {import('eslint').Rule.RuleModule}
 */
module.exports = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'A downstream call inside a timer or event callback must re-bind a deadline',
    },
    messages: {
      escaping:
        '{{call}} runs inside a {{via}} callback that outlives the request, so it carries a spent deadline or none: wrap the callback’s work in runWithDeadline(…) with a budget of its own.',
    },
    schema: [],
  },
  create(context) {
    /** Names of `this.<name>` properties that are downstream clients, per class. */
    /** @type {Set<string>[]} */
    const classes = [];
    return {
      ClassBody(node) {
        classes.push(downstreamProperties(node));
      },
      'ClassBody:exit'() {
        classes.pop();
      },
      CallExpression(node) {
        const via = escapingCallback(node);
        if (!via) return;
        const callback = node.arguments.find(
          (a) =>
            a.type === 'ArrowFunctionExpression' ||
            a.type === 'FunctionExpression',
        );
        if (!callback) return;
        const downstream = classes[classes.length - 1] ?? new Set();
        let rebound = false;
        /** @type {any[]} */
        const calls = [];
        walk(callback, (n) => {
          if (n.type !== 'CallExpression') return;
          if (n.callee.type === 'Identifier' && REBIND.has(n.callee.name))
            rebound = true;
          const name = downstreamCall(n, downstream);
          if (name) calls.push({ node: n, name });
        });
        if (rebound) return;
        for (const call of calls)
          context.report({
            node: call.node,
            messageId: 'escaping',
            data: { call: call.name, via },
          });
      },
    };
  },
};

/** @param {any} node a CallExpression */
function escapingCallback(node) {
  const callee = node.callee;
  if (callee.type === 'Identifier' && TIMERS.has(callee.name))
    return callee.name;
  if (
    callee.type === 'MemberExpression' &&
    !callee.computed &&
    callee.property.type === 'Identifier'
  ) {
    const method = callee.property.name;
    if (
      method === 'nextTick' &&
      callee.object.type === 'Identifier' &&
      callee.object.name === 'process'
    )
      return 'process.nextTick';
    if (
      TIMERS.has(method) &&
      callee.object.type === 'Identifier' &&
      ['globalThis', 'global', 'window'].includes(callee.object.name)
    )
      return method;
    if (EMITTER_METHODS.has(method)) return `.${method}()`;
  }
  return undefined;
}

/**
 * `this.inventory.reserve(…)` where `inventory` is a downstream property, or a call on the database.
 * @param {any} node
 * @param {Set<string>} downstream
 */
function downstreamCall(node, downstream) {
  const callee = node.callee;
  if (callee.type !== 'MemberExpression' || callee.computed) return undefined;
  const target = callee.object;
  if (
    target.type === 'MemberExpression' &&
    !target.computed &&
    target.object.type === 'ThisExpression' &&
    target.property.type === 'Identifier' &&
    downstream.has(target.property.name)
  ) {
    return `this.${target.property.name}.${callee.property.name}()`;
  }
  return undefined;
}

/**
 * Constructor parameter properties typed as a downstream (or injected with `@InjectGrpcClient`).
 * @param {any} body a ClassBody
 */
function downstreamProperties(body) {
  const names = new Set();
  for (const member of body.body) {
    if (member.type === 'MethodDefinition' && member.kind === 'constructor') {
      for (const param of member.value.params) {
        if (param.type !== 'TSParameterProperty') continue;
        const id = param.parameter;
        if (id.type !== 'Identifier') continue;
        const injected = (param.decorators ?? []).some(
          (d) =>
            d.expression.type === 'CallExpression' &&
            d.expression.callee.type === 'Identifier' &&
            d.expression.callee.name === 'InjectGrpcClient',
        );
        if (
          injected ||
          DOWNSTREAM_TYPE.test(typeName(id.typeAnnotation?.typeAnnotation))
        )
          names.add(id.name);
      }
    }
    if (
      member.type === 'PropertyDefinition' &&
      member.key.type === 'Identifier' &&
      DOWNSTREAM_TYPE.test(typeName(member.typeAnnotation?.typeAnnotation))
    )
      names.add(member.key.name);
  }
  return names;
}

/** @param {any} type */
function typeName(type) {
  if (type?.type === 'TSTypeReference' && type.typeName.type === 'Identifier')
    return type.typeName.name;
  return '';
}
