// ESLint's own max-lines-per-function, except for the callback of a vitest `describe(...)`
// (and `describe.each(...)(...)`, `describe.sequential(...)` ...): a describe block is a list
// of tests, not a function to split. Every other function, `it` bodies and hooks included,
// is measured as the core rule measures it, with the same options.
import { builtinRules } from 'eslint/use-at-your-own-risk';

const core = builtinRules.get('max-lines-per-function');

/** The identifier a call chain starts from: `describe` for `describe.skipIf(x)('name', fn)`. */
function calleeRoot(callee) {
  let node = callee;
  while (node.type === 'MemberExpression' || node.type === 'CallExpression') {
    node = node.type === 'MemberExpression' ? node.object : node.callee;
  }
  return node.type === 'Identifier' ? node.name : undefined;
}

function isDescribeCallback(node) {
  const parent = node.parent;
  return (
    parent?.type === 'CallExpression' && parent.arguments.includes(node) && calleeRoot(parent.callee) === 'describe'
  );
}

/** @type {import('eslint').Rule.RuleModule} */
const functionLength = {
  meta: { ...core.meta, docs: { description: 'max-lines-per-function, describe callbacks excepted' } },
  create(context) {
    const listeners = core.create(context);
    return Object.fromEntries(
      Object.entries(listeners).map(([selector, listener]) => [
        selector,
        (node) => (isDescribeCallback(node) ? undefined : listener(node)),
      ]),
    );
  },
};

export default { rules: { 'max-lines-per-function': functionLength } };
