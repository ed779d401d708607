/**
 * The hazard log stays true: every test it cites exists under that exact name and runs, every
 * hazard has a design control a test shows to work, residual risks above tolerable are
 * justified, and the committed page is what the YAML renders to. No database is needed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  HAZARD_LOG_PAGE,
  HAZARD_LOG_YAML,
  parseHazardLog,
  readHazardLog,
  type Hazard,
  type HazardLog,
} from './lib/hazard-log.js';
import { renderHazardLog } from './lib/render.js';
import { LIKELIHOODS, SEVERITIES, acceptability, riskRating } from './lib/risk-matrix.js';
import { declaredTestsInSource } from './lib/test-names.js';
import { traceabilityProblems } from './lib/traceability.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const log = readHazardLog(join(root, HAZARD_LOG_YAML));

describe('the hazard log', () => {
  it('names only tests that exist under that exact name and run, and holds every rule of the plan', () => {
    expect(traceabilityProblems(log, root)).toEqual([]);
  });

  it('cites tests for every hazard the clinical risk management plan lists', () => {
    const titles = log.hazards.map((h) => h.title);
    // The hazards the plan requires at least (section 5); later work adds its own.
    for (const required of [
      /escalation is missed/,
      /escalation is late/,
      /duplicated/,
      /wrong person/,
      /acted on too early/,
      /repeat/,
      /[Ff]eedback to the ward/,
      /patient identifier/,
      /ward's or trust's data/,
      /board figure.*SPC/,
      /lost on a fault/,
      /clock change/,
      /has left keeps access/,
      /deputy cannot act/,
      /correction changes history/,
      /unavailable during the morning briefing/,
    ]) {
      expect(
        titles.filter((t) => required.test(t)),
        String(required),
      ).toHaveLength(1);
    }
  });

  it('is reviewed for the release in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(log.release).toBe(pkg.version);
  });

  it('is rendered to the committed page (run `npm run hazard-log` after editing the YAML)', () => {
    expect(readFileSync(join(root, HAZARD_LOG_PAGE), 'utf8')).toBe(renderHazardLog(log));
  });
});

describe('the traceability check', () => {
  // A small log whose every rule is broken once, checked against a test file written here.
  const dir = mkdtempSync(join(tmpdir(), 'hazard-log-'));
  writeFileSync(
    join(dir, 'sample.test.ts'),
    `describe('capture', () => {
       it('stores the briefing', () => {});
       it.skip('is skipped', () => {});
     });`,
  );
  const sample = (file: string, test: string) => ({ file, test });
  const base: Pick<Hazard, 'causes' | 'effect' | 'initialRisk' | 'status'> = {
    causes: ['a cause'],
    effect: 'an effect',
    initialRisk: { severity: 'Major', likelihood: 'High' },
    status: 'closed',
  };
  const broken: HazardLog = {
    system: 'sample',
    release: '0.0.0',
    reviewed: '2026-12-07',
    hazards: [
      {
        ...base,
        id: 'HAZ-001',
        title: 'cites a file and tests that do not exist, and a skipped one',
        controls: [
          {
            type: 'design',
            description: 'd',
            evidence: [
              sample('test/missing.test.ts', 'anything'),
              sample('sample.test.ts', 'stores the briefing'), // no describe path: not its name
              sample('sample.test.ts', 'capture > is skipped'),
            ],
          },
        ],
        residualRisk: { severity: 'Major', likelihood: 'Very low' },
      },
      {
        ...base,
        id: 'HAZ-002',
        title: 'has training only, and an unjustified unacceptable residual risk, closed',
        controls: [
          { type: 'training', description: 't' },
          { type: 'test', description: 'a test control without tests' },
        ],
        residualRisk: { severity: 'Major', likelihood: 'High' },
      },
      {
        ...base,
        id: 'HAZ-002',
        title: 'reuses an id, is open with no plan, and its residual risk is above the initial one',
        status: 'open',
        initialRisk: { severity: 'Minor', likelihood: 'Low' },
        controls: [
          { type: 'design', description: 'd', evidence: [sample('sample.test.ts', 'capture > stores the briefing')] },
        ],
        residualRisk: { severity: 'Considerable', likelihood: 'Medium' },
      },
    ],
  };

  it('names each broken rule, and passes a hazard that keeps them all', () => {
    expect(traceabilityProblems(broken, dir)).toEqual([
      'HAZ-001 control 1 (design): the test file test/missing.test.ts does not exist',
      'HAZ-001 control 1 (design): sample.test.ts has no test named "stores the briefing"',
      'HAZ-001 control 1 (design): the test "capture > is skipped" in sample.test.ts is skipped or todo, so it shows nothing',
      'HAZ-001: no design control is shown to work by a test',
      'HAZ-002 control 2 (test): a test control names no test that shows it works',
      'HAZ-002: no design control is shown to work by a test',
      'HAZ-002: the residual risk is 4 (unacceptable) and has no written justification',
      'HAZ-002: a hazard whose residual risk is unacceptable (4) cannot be closed',
      'HAZ-002: the residual risk is unacceptable (4) and no further control is planned',
      'HAZ-002: the id is used twice',
      'HAZ-002: the residual risk (3) is above the initial risk (1)',
      'HAZ-002: the residual risk is 3 (undesirable) and has no written justification',
      'HAZ-002: an open hazard needs the controls planned to close it',
    ]);

    const kept: HazardLog = {
      ...broken,
      hazards: [
        {
          ...base,
          id: 'HAZ-001',
          title: 'open, unacceptable, justified and planned',
          status: 'open',
          controls: [
            { type: 'design', description: 'd', evidence: [sample('sample.test.ts', 'capture > stores the briefing')] },
          ],
          residualRisk: { severity: 'Major', likelihood: 'High' },
          justification: 'Why it is accepted for now.',
          plannedControls: [{ type: 'design', description: 'What will reduce it.' }],
        },
      ],
    };
    expect(traceabilityProblems(kept, dir)).toEqual([]);
  });

  it('refuses a log with an unknown field, an unknown severity or a test outside test/', () => {
    const yaml = readFileSync(join(root, HAZARD_LOG_YAML), 'utf8');
    expect(() => parseHazardLog(yaml.replace('status: closed', 'status: closed\n    owner: someone'))).toThrow(/owner/);
    expect(() => parseHazardLog(yaml.replace('severity: Major', 'severity: Severe'))).toThrow(/severity/);
    expect(() => parseHazardLog(yaml.replace('file: test/api/', 'file: src/'))).toThrow(/file/);
  });
});

describe('reading test names from a test file', () => {
  it('names tests by their describe path as written, templates included, and leaves computed names unnamed', () => {
    const source = `
      import { describe, it, test } from 'vitest';
      const rows = [1, 2];
      describe('outer', () => {
        it('plain', () => {});
        test(\`a template without substitutions\`, () => {});
        describe.concurrent('inner', () => {
          it.each(rows)('refuses %s', () => {});
          it.each([{ a: 1 }])('$a is one', () => {});
          it.todo('later');
        });
        describe.skip('off', () => { it('never runs', () => {}); });
        describe.skipIf(process.env.X)('maybe', () => { it('runs unless X', () => {}); });
        for (const n of rows) it(\`computed \${n}\`, () => {});
      });
      it('top level', () => {});
      helper('not a test', () => {});`;
    expect(declaredTestsInSource('sample.test.ts', source).map(({ name, skipped }) => ({ name, skipped }))).toEqual([
      { name: 'outer > plain', skipped: false },
      { name: 'outer > a template without substitutions', skipped: false },
      { name: 'outer > inner > refuses %s', skipped: false },
      { name: 'outer > inner > $a is one', skipped: false },
      { name: 'outer > inner > later', skipped: true },
      { name: 'outer > off > never runs', skipped: true },
      { name: 'outer > maybe > runs unless X', skipped: false },
      { name: null, skipped: false },
      { name: 'top level', skipped: false },
    ]);
  });
});

describe('the DCB0129 risk matrix', () => {
  it('rates each severity and likelihood as the plan prints it', () => {
    const rows = [...LIKELIHOODS].reverse().map((l) => SEVERITIES.map((s) => riskRating(s, l)));
    expect(rows).toEqual([
      /* Very high */ [3, 4, 4, 5, 5],
      /* High      */ [2, 3, 3, 4, 5],
      /* Medium    */ [2, 2, 3, 3, 4],
      /* Low       */ [1, 2, 2, 3, 4],
      /* Very low  */ [1, 1, 2, 2, 3],
    ]);
    expect(readFileSync(join(root, 'docs/clinical-safety/clinical-risk-management-plan.md'), 'utf8')).toContain(
      [
        '| Very high | 3 | 4 | 4 | 5 | 5 |',
        '| High | 2 | 3 | 3 | 4 | 5 |',
        '| Medium | 2 | 2 | 3 | 3 | 4 |',
        '| Low | 1 | 2 | 2 | 3 | 4 |',
        '| Very low | 1 | 1 | 2 | 2 | 3 |',
      ].join('\n'),
    );
  });

  it('never rates a worse severity or a likelier hazard lower', () => {
    for (let s = 0; s < SEVERITIES.length; s++) {
      for (let l = 0; l < LIKELIHOODS.length; l++) {
        const here = riskRating(SEVERITIES[s]!, LIKELIHOODS[l]!);
        if (s > 0) expect(here).toBeGreaterThanOrEqual(riskRating(SEVERITIES[s - 1]!, LIKELIHOODS[l]!));
        if (l > 0) expect(here).toBeGreaterThanOrEqual(riskRating(SEVERITIES[s]!, LIKELIHOODS[l - 1]!));
      }
    }
  });

  it('bands ratings 1 acceptable, 2 tolerable, 3 undesirable, 4 and 5 unacceptable', () => {
    expect(([1, 2, 3, 4, 5] as const).map(acceptability)).toEqual([
      'acceptable',
      'tolerable',
      'undesirable',
      'unacceptable',
      'unacceptable',
    ]);
  });
});

describe('the clinical safety documents', () => {
  it('exist, link each other, and the README links all three', () => {
    const docs = ['clinical-risk-management-plan.md', 'hazard-log.md', 'safety-case-report.md'];
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const doc of docs) {
      expect(readme).toContain(`](docs/clinical-safety/${doc})`);
      const text = readFileSync(join(root, 'docs/clinical-safety', doc), 'utf8');
      for (const other of docs.filter((d) => d !== doc)) expect(text, `${doc} links ${other}`).toContain(`](${other}`);
    }
  });

  it('the safety case report justifies by name every hazard whose residual risk is 3 or more', () => {
    const report = readFileSync(join(root, 'docs/clinical-safety/safety-case-report.md'), 'utf8');
    const justified = report.slice(report.indexOf('**3.4'), report.indexOf('**3.5'));
    const high = log.hazards.filter((h) => riskRating(h.residualRisk.severity, h.residualRisk.likelihood) >= 3);
    expect(high.length).toBeGreaterThan(0);
    for (const h of high) expect(justified, h.id).toContain(`**${h.id},`);
  });
});
