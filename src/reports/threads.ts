/** How a report names a thread of raisings (an item and its repeats): by its latest raising. */
import type { ItemCategory, ItemKind } from '../domain/taxonomy.js';
import { wardOf, type ReportScope } from './scope.js';
import { screenedText } from './text.js';

export interface LatestRaising {
  id: string;
  ward_id: string;
  kind: string;
  category: string;
  description: string;
}

/** The ranked thread's first fields, as the board pack and the threat ranking show them. */
export function threadHeadline(scope: ReportScope, rank: number, threadId: string, latest: LatestRaising) {
  return {
    rank,
    threadId,
    latestItemId: latest.id,
    ward: wardOf(scope, latest.ward_id),
    kind: latest.kind as ItemKind,
    category: latest.category as ItemCategory,
    description: screenedText(latest.description),
  };
}
