import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * The tests a vitest file declares, read from its syntax tree (never by running it), so the
 * hazard log's references can be checked in a second without a database.
 *
 * A test's name is its path: the names of the enclosing `describe` blocks and of the `it`
 * (or `test`), joined by " > ", each exactly as written in the source. A parameterised test
 * (`it.each(rows)('refuses %s', ...)`) is named by its template. A name built at run time
 * (a template literal with substitutions, a variable) has no static name: it is listed with
 * `name: null` and cannot be referenced.
 */
export interface DeclaredTest {
  /** "describe > ... > it", or null when some part of the path is computed at run time. */
  name: string | null;
  /** `it.skip`, `it.todo`, `describe.skip` or inside one: declared but never run. */
  skipped: boolean;
  line: number;
}

export const NAME_SEPARATOR = ' > ';

const TEST_FUNCTIONS = new Set(['describe', 'it', 'test']);
const NEVER_RUN = new Set(['skip', 'todo']);

interface TestCall {
  kind: 'describe' | 'test';
  modifiers: string[];
}

/** `it`, `it.only`, `it.each(rows)`, `describe.skipIf(cond)`...: what the callee says, or null. */
function testCall(callee: ts.Expression): TestCall | null {
  const modifiers: string[] = [];
  let node: ts.Expression = callee;
  for (;;) {
    if (ts.isCallExpression(node)) {
      // `it.each(rows)(...)`, `describe.skipIf(cond)(...)`: the callee is itself a call.
      node = node.expression;
    } else if (ts.isPropertyAccessExpression(node)) {
      modifiers.unshift(node.name.text);
      node = node.expression;
    } else if (ts.isIdentifier(node)) {
      if (!TEST_FUNCTIONS.has(node.text)) return null;
      return { kind: node.text === 'describe' ? 'describe' : 'test', modifiers };
    } else {
      return null;
    }
  }
}

function staticName(node: ts.Expression | undefined): string | null {
  if (node === undefined) return null;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  return null;
}

export function declaredTestsInSource(fileName: string, source: string): DeclaredTest[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const tests: DeclaredTest[] = [];

  function visit(node: ts.Node, path: (string | null)[], skipped: boolean): void {
    if (ts.isCallExpression(node)) {
      const call = testCall(node.expression);
      if (call !== null) {
        const name = staticName(node.arguments[0]);
        const neverRun = skipped || call.modifiers.some((m) => NEVER_RUN.has(m));
        const here = [...path, name];
        if (call.kind === 'test') {
          const complete = here.every((part): part is string => part !== null);
          tests.push({
            name: complete ? here.join(NAME_SEPARATOR) : null,
            skipped: neverRun,
            line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1,
          });
        }
        for (const argument of node.arguments.slice(1))
          visit(argument, call.kind === 'describe' ? here : path, neverRun);
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, path, skipped));
  }

  visit(file, [], false);
  return tests;
}

export function declaredTests(path: string): DeclaredTest[] {
  return declaredTestsInSource(path, readFileSync(path, 'utf8'));
}
