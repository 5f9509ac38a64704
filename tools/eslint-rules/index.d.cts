import type { ESLint, Rule } from 'eslint';

declare const plugin: ESLint.Plugin & {
  rules: {
    'no-unlinked-abort': Rule.RuleModule;
    'no-escaping-downstream-call': Rule.RuleModule;
    'no-detached-deadline': Rule.RuleModule;
  };
};
export = plugin;
