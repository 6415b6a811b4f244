/**
 * What a DDL statement writes: the relations it creates, alters, renames,
 * drops or re-permissions (a rename writes both names: the new one may have
 * cached reads from a relation that had it before), and `unknownWrites` when
 * its reach goes beyond the names it spells (DROP SCHEMA, a CASCADE on a type).
 */
import {
  addRelation,
  createTarget,
  type Findings,
  nameList,
  relation,
  type Tree,
  walk,
} from './sql-walker.js';

const RELATION_OBJECTS: ReadonlySet<string> = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
  'OBJECT_INDEX',
]);

/** Record the writes of the DDL statement `node` of node type `type`. */
export function ddlWrites(type: string, node: Tree, f: Findings): void {
  switch (type) {
    case 'CreateStmt':
    case 'CreateForeignTableStmt': {
      const base = (type === 'CreateStmt' ? node : node.base) as Tree | undefined;
      createTarget(base?.relation as Tree | undefined, f);
      for (const key in base) if (key !== 'relation') walk(base[key], 'write', undefined, f);
      return;
    }
    case 'CreateTableAsStmt':
      createTarget((node.into as Tree | undefined)?.rel as Tree | undefined, f);
      walk(node.query, 'read', undefined, f);
      return;
    case 'ViewStmt':
      createTarget(node.view as Tree | undefined, f);
      walk(node.query, 'read', undefined, f);
      return;
    case 'CreateSeqStmt':
      createTarget(node.sequence as Tree | undefined, f);
      return;
    case 'DropStmt':
      drop(node, f);
      return;
    case 'DropOwnedStmt':
      f.unknownWrites = true;
      return;
    case 'RenameStmt':
      rename(node, f);
      return;
    case 'AlterObjectSchemaStmt': {
      const rel = node.relation as Tree | undefined;
      if (rel !== undefined && typeof node.newschema === 'string') {
        relation(rel, 'write', undefined, f);
        addRelation(f.writes, node.newschema, rel.relname as string);
      }
      return;
    }
    case 'CommentStmt':
      comment(node, f);
      return;
    case 'GrantStmt':
      if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') f.unknownWrites = true;
      walk(node.objects, 'write', undefined, f);
      return;
    case 'AlterExtensionStmt':
      // An extension update may rewrite its own tables.
      f.unknownWrites = true;
      return;
    case 'AlterEnumStmt':
      // Renaming a label changes the rows of every table using the type.
      if (typeof node.oldVal === 'string') f.unknownWrites = true;
      return;
  }
  walk(node, 'write', undefined, f);
}

function drop(node: Tree, f: Findings): void {
  const removeType = String(node.removeType);
  if (RELATION_OBJECTS.has(removeType)) {
    for (const object of (node.objects as unknown[] | undefined) ?? []) {
      const parts = nameList(((object as Tree).List as Tree | undefined)?.items);
      const name = parts.at(-1);
      if (name !== undefined) addRelation(f.writes, parts.length > 1 ? parts.at(-2) : undefined, name);
    }
    return;
  }
  // A schema or an extension takes its tables with it; CASCADE on a type, function or
  // domain drops the columns, defaults and views that use it.
  if (removeType === 'OBJECT_SCHEMA' || removeType === 'OBJECT_EXTENSION' || node.behavior === 'DROP_CASCADE')
    f.unknownWrites = true;
}

function rename(node: Tree, f: Findings): void {
  const renameType = String(node.renameType);
  const rel = node.relation as Tree | undefined;
  if (rel !== undefined) {
    relation(rel, 'write', undefined, f);
    // The new name may have been cached under before (a dropped table of that name).
    if (RELATION_OBJECTS.has(renameType) && typeof node.newname === 'string') {
      addRelation(f.writes, typeof rel.schemaname === 'string' ? rel.schemaname : undefined, node.newname);
    }
    return;
  }
  // A schema rename moves every table in it; a type or attribute rename changes rows of unnamed tables.
  if (renameType === 'OBJECT_SCHEMA' || renameType === 'OBJECT_TYPE' || renameType === 'OBJECT_ATTRIBUTE')
    f.unknownWrites = true;
}

function comment(node: Tree, f: Findings): void {
  const objtype = String(node.objtype);
  const parts = nameList(((node.object as Tree | undefined)?.List as Tree | undefined)?.items);
  // COMMENT ON COLUMN [schema.]table.column names the table before the column.
  const tableParts = objtype === 'OBJECT_COLUMN' ? parts.slice(0, -1) : parts;
  if (objtype !== 'OBJECT_COLUMN' && !RELATION_OBJECTS.has(objtype)) return;
  const name = tableParts.at(-1);
  if (name !== undefined) addRelation(f.writes, tableParts.length > 1 ? tableParts.at(-2) : undefined, name);
}
