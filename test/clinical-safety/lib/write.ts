import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HAZARD_LOG_PAGE, HAZARD_LOG_YAML, readHazardLog } from './hazard-log.js';
import { renderHazardLog } from './render.js';
import { traceabilityProblems } from './traceability.js';

/**
 * `npm run hazard-log`: renders docs/clinical-safety/hazard-log.md from hazard-log.yaml, and
 * lists what makes the log untrue (the same check the test runs), exiting 1 if anything does.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const log = readHazardLog(`${root}${HAZARD_LOG_YAML}`);
writeFileSync(`${root}${HAZARD_LOG_PAGE}`, renderHazardLog(log));
console.log(`wrote ${HAZARD_LOG_PAGE} (${log.hazards.length} hazards)`);

const problems = traceabilityProblems(log, root);
for (const problem of problems) console.error(`- ${problem}`);
if (problems.length > 0) {
  console.error(`${problems.length} problem(s) in ${HAZARD_LOG_YAML}`);
  process.exitCode = 1;
}
