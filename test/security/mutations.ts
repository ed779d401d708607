/**
 * Hostile variations of a valid request, as fast-check arbitraries. Bodies are mutated as a
 * JSON syntax tree rather than as JavaScript objects, so a mutant can hold what an object
 * cannot: duplicate keys, an own `__proto__` key, numbers JSON.parse turns into Infinity.
 * Shared by the fuzzing tests (not a test file itself).
 */
import fc from 'fast-check';

export type Json =
  | { k: 'obj'; e: [string, Json][] }
  | { k: 'arr'; a: Json[] }
  | { k: 'str'; v: string }
  /** A number as written: may be out of any range ("1e400", "-0", "9007199254740993"). */
  | { k: 'num'; raw: string }
  | { k: 'bool'; v: boolean }
  | { k: 'null' }
  /** Text placed as is (deep nesting is built this way, so serialising it never recurses). */
  | { k: 'raw'; text: string };

export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return { k: 'null' };
  if (Array.isArray(value)) return { k: 'arr', a: value.map(toJson) };
  if (typeof value === 'object') return { k: 'obj', e: Object.entries(value).map(([key, v]) => [key, toJson(v)]) };
  if (typeof value === 'string') return { k: 'str', v: value };
  if (typeof value === 'number') return { k: 'num', raw: Number.isFinite(value) ? JSON.stringify(value) : '0' };
  if (typeof value === 'boolean') return { k: 'bool', v: value };
  return { k: 'null' };
}

export function serialise(node: Json): string {
  switch (node.k) {
    case 'obj':
      return `{${node.e.map(([key, v]) => `${JSON.stringify(key)}:${serialise(v)}`).join(',')}}`;
    case 'arr':
      return `[${node.a.map(serialise).join(',')}]`;
    case 'str':
      return JSON.stringify(node.v); // lone surrogates come out as \ud800 escapes
    case 'num':
      return node.raw;
    case 'bool':
      return String(node.v);
    case 'null':
      return 'null';
    case 'raw':
      return node.text;
  }
}

const clone = (node: Json): Json => structuredClone(node);

/** Every node with a way to replace it, root first. */
function slots(root: { v: Json }): { node: Json; set(next: Json): void; parent: Json | null; key: string | null }[] {
  const out: { node: Json; set(next: Json): void; parent: Json | null; key: string | null }[] = [];
  const visit = (node: Json, set: (next: Json) => void, parent: Json | null, key: string | null) => {
    out.push({ node, set, parent, key });
    if (node.k === 'obj') {
      node.e.forEach((entry) => visit(entry[1], (next) => (entry[1] = next), node, entry[0]));
    } else if (node.k === 'arr') {
      node.a.forEach((child, i) => visit(child, (next) => (node.a[i] = next), node, String(i)));
    }
  };
  visit(root.v, (next) => (root.v = next), null, null);
  return out;
}

/** Strings that have broken parsers, databases and log pipelines before. */
export const NASTY_STRINGS = [
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  'pump \ud83d failing', // a truncated emoji pair
  '\u0000',
  'before\u0000after', // NUL: PostgreSQL text cannot hold it
  '\u202eevil\u202c', // right-to-left override
  '\ufeffBOM',
  'zero\u200bwidth',
  '𝕏𝕐ℤ 😀👩‍⚕️',
  'Z̷̧̛̖a̵͓̓l̴̰̈g̵̣̈́o̷',
  '\r\n\t\u000b\u000c',
  '\\u0000',
  "' or 1=1 --",
  '"; drop table items; --',
  '${7*7}{{7*7}}<%= 7*7 %>',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00%ff%',
  ' ',
  '',
  'null',
  'true',
  '1e400',
  'NaN',
  '2026-02-30',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

const NASTY_NUMBERS = [
  '-1',
  '0',
  '-0',
  '6',
  '26',
  '201',
  '241',
  '501',
  '1.5',
  '1e400',
  '-1e400',
  '1e308',
  '-1e308',
  '1E2',
  '5.0',
  '0.0000001',
  '9007199254740993',
  '2147483648',
  '-2147483649',
  '99999999999999999999999999999999',
  '2592001',
];

const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '',
];

const anyJsonValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map(toJson),
  fc.constantFrom(...NASTY_STRINGS).map((v): Json => ({ k: 'str', v })),
  fc.constantFrom(...NASTY_NUMBERS).map((raw): Json => ({ k: 'num', raw })),
  fc.constantFrom<Json>({ k: 'arr', a: [] }, { k: 'obj', e: [] }, { k: 'null' }, { k: 'bool', v: false }),
  fc.constant<Json>({ k: 'raw', text: '{"__proto__":{"isAdmin":true,"role":"org_admin"}}' }),
  fc.constant<Json>({ k: 'raw', text: '{"constructor":{"prototype":{"polluted":true}}}' }),
);

const unicodeString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(...NASTY_STRINGS),
  fc
    .tuple(fc.constantFrom(...NASTY_STRINGS), fc.constantFrom(...NASTY_STRINGS))
    .map(([a, b]) => `Pump ${a} in bay ${b}`),
);

/** One change to a body; `at` picks the node (modulo the number of candidates). */
export type Mutation =
  | { kind: 'drop'; at: number }
  | { kind: 'retype'; at: number; value: Json }
  | { kind: 'unknown-key'; at: number; key: string; value: Json }
  | { kind: 'duplicate-key'; at: number; value: Json; after: boolean }
  | { kind: 'deep-nesting'; at: number; depth: number; shape: 'array' | 'object' }
  | { kind: 'huge-string'; at: number; length: number; unit: string }
  | { kind: 'array-for-object'; at: number }
  | { kind: 'number'; at: number; raw: string }
  | { kind: 'unicode'; at: number; value: string }
  | { kind: 'root'; value: Json };

const at = fc.nat({ max: 10_000 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('drop' as const), at }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('retype' as const), at, value: anyJsonValue }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant('unknown-key' as const),
      at,
      key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 12 }), unicodeString),
      value: anyJsonValue,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('duplicate-key' as const), at, value: anyJsonValue, after: fc.boolean() }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('deep-nesting' as const),
      at,
      depth: fc.oneof(fc.integer({ min: 20, max: 2_000 }), fc.constantFrom(10_000, 50_000, 120_000)),
      shape: fc.constantFrom('array' as const, 'object' as const),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('huge-string' as const),
      at,
      length: fc.constantFrom(201, 501, 2_001, 65_536, 200_000, 300_000),
      unit: fc.constantFrom('x', 'é', '😀', '\u0000', '\ud800', ' '),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('array-for-object' as const), at }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('number' as const), at, raw: fc.constantFrom(...NASTY_NUMBERS) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('unicode' as const), at, value: unicodeString }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('root' as const), value: anyJsonValue }), weight: 1 },
);

function nest(depth: number, shape: 'array' | 'object', inner: string): string {
  return shape === 'array'
    ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

/** How many string values the body holds (a 'unicode' mutation at 0..n-1 replaces each in turn). */
export function stringCount(node: Json): number {
  return slots({ v: node }).filter((s) => s.node.k === 'str').length;
}

/** Applies the mutations in turn to a copy of the body. */
export function mutate(base: Json, mutations: Mutation[]): Json {
  const root = { v: clone(base) };
  for (const m of mutations) {
    const all = slots(root);
    const pick = <T>(list: T[], index: number) => (list.length ? list[index % list.length] : undefined);
    switch (m.kind) {
      case 'drop': {
        const fields = all.filter((s) => s.parent?.k === 'obj');
        const target = pick(fields, m.at);
        if (target && target.parent?.k === 'obj')
          target.parent.e = target.parent.e.filter(([key]) => key !== target.key);
        break;
      }
      case 'retype':
        pick(all, m.at)?.set(clone(m.value));
        break;
      case 'unknown-key': {
        const target = pick(
          all.filter((s) => s.node.k === 'obj'),
          m.at,
        );
        if (target?.node.k === 'obj')
          target.node.e.splice(m.at % (target.node.e.length + 1), 0, [m.key, clone(m.value)]);
        break;
      }
      case 'duplicate-key': {
        const target = pick(
          all.filter((s) => s.node.k === 'obj' && s.node.e.length > 0),
          m.at,
        );
        if (target?.node.k === 'obj') {
          const [key] = target.node.e[m.at % target.node.e.length]!;
          if (m.after) target.node.e.push([key, clone(m.value)]);
          else target.node.e.unshift([key, clone(m.value)]);
        }
        break;
      }
      case 'deep-nesting':
        pick(all, m.at)?.set({ k: 'raw', text: nest(m.depth, m.shape, '1') });
        break;
      case 'huge-string': {
        const strings = all.filter((s) => s.node.k === 'str');
        (pick(strings, m.at) ?? pick(all, m.at))?.set({
          k: 'str',
          v: m.unit.repeat(Math.ceil(m.length / m.unit.length)),
        });
        break;
      }
      case 'array-for-object': {
        const target = pick(
          all.filter((s) => s.node.k === 'obj' || s.node.k === 'arr'),
          m.at,
        );
        if (target?.node.k === 'obj') target.set({ k: 'arr', a: [target.node] });
        else if (target?.node.k === 'arr') target.set({ k: 'obj', e: target.node.a.map((v, i) => [String(i), v]) });
        break;
      }
      case 'number': {
        const numbers = all.filter((s) => s.node.k === 'num');
        (pick(numbers, m.at) ?? pick(all, m.at))?.set({ k: 'num', raw: m.raw });
        break;
      }
      case 'unicode': {
        const strings = all.filter((s) => s.node.k === 'str');
        (pick(strings, m.at) ?? pick(all, m.at))?.set({ k: 'str', v: m.value });
        break;
      }
      case 'root':
        root.v = clone(m.value);
        break;
    }
  }
  return root.v;
}

/** A short, log-safe description of a mutation list (huge values abbreviated). */
export function describeMutations(mutations: Mutation[]): string {
  return JSON.stringify(mutations, (key, value: unknown) => {
    if (typeof value === 'string' && value.length > 60) return `${value.slice(0, 40)}…(${value.length} chars)`;
    if (key === 'text' && typeof value === 'string') return value.slice(0, 40);
    return value;
  });
}

/** Bytes that are not UTF-8: stray continuation bytes, overlong forms, surrogates, truncation. */
export const INVALID_UTF8: number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xc0, 0x80], // overlong NUL
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xe2, 0x82], // truncated
  [0xf0, 0x9f, 0x98], // truncated emoji
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x00],
];

export const CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/xml',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json;;;',
  'application/json, text/plain',
  'application/jsonp',
  'application/vnd.api+json',
  'application/merge-patch+json',
  'APPLICATION/JSON',
  'application/json; charset="utf-8"; foo=bar',
  'image/png',
  '*/*',
  'text/json',
  'application/octet-stream',
  'application/problem+json',
  ' ',
  'json',
  '',
];
