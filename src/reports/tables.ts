/**
 * The tables as report statements name them (see statementAlias): `${item.wardId}` renders
 * `"i"."ward_id"`, and `${tableAs(item)}` in a FROM or JOIN renders `"items" "i"`.
 */
import {
  briefings,
  escalationActions,
  escalationEvents,
  escalations,
  itemPriorities,
  items,
  positionChanges,
  priorities,
  staff,
} from '../db/schema.js';
import { statementAlias } from '../db/sql.js';

export const item = statementAlias(items, 'i');
export const escalation = statementAlias(escalations, 'e');
export const escalationEvent = statementAlias(escalationEvents, 'x');
export const escalationAction = statementAlias(escalationActions, 'a');
export const briefing = statementAlias(briefings, 'b');
export const staffMember = statementAlias(staff, 's');
export const priority = statementAlias(priorities, 'pr');
export const itemPriority = statementAlias(itemPriorities, 'ip');
export const positionChange = statementAlias(positionChanges, 'pc');
