import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HazardLog } from './hazard-log.js';
import { ACCEPTABILITY, riskRating } from './risk-matrix.js';
import { declaredTests, type DeclaredTest } from './test-names.js';

/** The tests a file declares; by default read from the file's syntax tree. */
export type TestsOf = (path: string) => DeclaredTest[];

/**
 * Everything that makes the hazard log untrue, one sentence each; empty when it holds:
 * - every test it names exists, by file and exact name, and runs (is not skipped or todo);
 * - every design and test control names at least one test;
 * - every hazard has at least one design control backed by a test;
 * - ids are unique; a residual risk is never above the initial one;
 * - a residual risk rated 3 (undesirable) or more has a written justification;
 * - one rated 4 or 5 (unacceptable) is open and has a planned control; a closed hazard never is.
 */
export function traceabilityProblems(log: HazardLog, root: string, testsOf: TestsOf = declaredTests): string[] {
  const problems: string[] = [];
  const cache = new Map<string, DeclaredTest[] | null>();
  const testsIn = (file: string) => {
    if (!cache.has(file)) cache.set(file, existsSync(join(root, file)) ? testsOf(join(root, file)) : null);
    return cache.get(file)!;
  };

  const seen = new Set<string>();
  for (const hazard of log.hazards) {
    const where = hazard.id;
    if (seen.has(hazard.id)) problems.push(`${where}: the id is used twice`);
    seen.add(hazard.id);

    let testedDesignControls = 0;
    hazard.controls.forEach((control, index) => {
      const label = `${where} control ${index + 1} (${control.type})`;
      const evidence = control.evidence ?? [];
      if ((control.type === 'design' || control.type === 'test') && evidence.length === 0) {
        problems.push(`${label}: a ${control.type} control names no test that shows it works`);
      }
      if ((control.type === 'training' || control.type === 'deployment') && evidence.length > 0) {
        problems.push(
          `${label}: a ${control.type} control is not shown by a test; move the evidence to a design or test control`,
        );
      }
      let found = 0;
      for (const { file, test } of evidence) {
        const tests = testsIn(file);
        if (tests === null) {
          problems.push(`${label}: the test file ${file} does not exist`);
          continue;
        }
        const matches = tests.filter((t) => t.name === test);
        if (matches.length === 0) {
          problems.push(`${label}: ${file} has no test named "${test}"`);
        } else if (matches.every((t) => t.skipped)) {
          problems.push(`${label}: the test "${test}" in ${file} is skipped or todo, so it shows nothing`);
        } else {
          found++;
        }
      }
      if (control.type === 'design' && found > 0 && found === evidence.length) testedDesignControls++;
    });
    if (testedDesignControls === 0) problems.push(`${where}: no design control is shown to work by a test`);

    const initial = riskRating(hazard.initialRisk.severity, hazard.initialRisk.likelihood);
    const residual = riskRating(hazard.residualRisk.severity, hazard.residualRisk.likelihood);
    if (residual > initial)
      problems.push(`${where}: the residual risk (${residual}) is above the initial risk (${initial})`);
    const band = ACCEPTABILITY[residual].band;
    if (residual >= 3 && !hazard.justification) {
      problems.push(`${where}: the residual risk is ${residual} (${band}) and has no written justification`);
    }
    if (band === 'unacceptable') {
      if (hazard.status !== 'open')
        problems.push(`${where}: a hazard whose residual risk is unacceptable (${residual}) cannot be closed`);
      if (!hazard.plannedControls?.length) {
        problems.push(`${where}: the residual risk is unacceptable (${residual}) and no further control is planned`);
      }
    }
    if (hazard.status === 'open' && !hazard.plannedControls?.length) {
      problems.push(`${where}: an open hazard needs the controls planned to close it`);
    }
  }
  return problems;
}
