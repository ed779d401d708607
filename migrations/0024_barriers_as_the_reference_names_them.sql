-- Managers' barriers take the codes of the briefing programme's reference list: `it` becomes
-- `it_systems`, `another_department` `other_department`, `policy_or_regulation`
-- `policy_regulation` (and `time` and `doubt_benefit` are new). Positions already recorded keep
-- their meaning under the new codes; the audit trail keeps what was recorded, as recorded.
UPDATE "position_changes"
SET "barriers" = array_replace(array_replace(array_replace("barriers",
      'it', 'it_systems'), 'another_department', 'other_department'), 'policy_or_regulation', 'policy_regulation')
WHERE "barriers" && ARRAY['it', 'another_department', 'policy_or_regulation'];
--> statement-breakpoint
UPDATE "escalations"
SET "stance_barriers" = array_replace(array_replace(array_replace("stance_barriers",
      'it', 'it_systems'), 'another_department', 'other_department'), 'policy_or_regulation', 'policy_regulation')
WHERE "stance_barriers" && ARRAY['it', 'another_department', 'policy_or_regulation'];
