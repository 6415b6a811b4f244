/**
 * The catalog lookups of the wrapper, each one round trip returning JSON text:
 * which relation a name means under a search_path, which relations a read or a
 * write really touches, and whether functions are immutable. Read-only queries
 * on catalogs every role may read, so they are safe inside a user transaction.
 */

import type { RelationRef } from './analyzer/sql-analysis.js';
import { queryText, type RawQueryable } from './session-state.js';

/** One relation as the catalog describes it. */
export interface RelationInfo {
  readonly schema: string;
  readonly name: string;
  readonly oid: string;
  /** `pg_class.relkind`: r table, p partitioned, v view, m materialized view, f foreign, S sequence... */
  readonly kind: string;
  readonly temp: boolean;
  readonly rowSecurity: boolean;
  /** A plain view's definition (`pg_get_viewdef`), to check the functions it calls. */
  readonly viewdef?: string;
}

const RELATION_FIELDS = `'schema', n.nspname, 'name', c.relname, 'oid', c.oid::int8::text, 'kind', c.relkind,
  'temp', c.relpersistence = 't', 'rowSecurity', c.relrowsecurity`;

/** The first relation of each name along its schema list (the one given, or the search_path). */
const RESOLVE_SQL = `SELECT coalesce(json_agg(json_build_object('i', r.i, ${RELATION_FIELDS})), '[]')::text
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(nsp, rel, i)
CROSS JOIN LATERAL (
  SELECT n.nspname, c.relname, c.oid, c.relkind, c.relpersistence, c.relrowsecurity
  FROM unnest(CASE WHEN r.nsp IS NULL THEN $3::text[] ELSE ARRAY[r.nsp] END) WITH ORDINALITY AS s(nspname, ord)
  JOIN pg_catalog.pg_namespace n ON n.nspname = s.nspname
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = r.rel
  ORDER BY s.ord LIMIT 1) AS c(nspname, relname, oid, relkind, relpersistence, relrowsecurity)
CROSS JOIN LATERAL (SELECT c.nspname) AS n(nspname)`;

/**
 * The relations a read or write of the given ones touches, found by walking edges:
 * - `v`: a view's or rule's rewrite, or a row-security policy, to the relations it references;
 * - `u` / `d`: a table to its inheritance parents / children (partitions);
 * - `f`: a table to the tables whose foreign keys cascade from it (ON DELETE/UPDATE CASCADE, SET NULL/DEFAULT).
 * A read follows `v`, then `u` only upward and `d` only downward: a read of a
 * partition depends on writes made through its parent, a read of the parent on
 * writes to any partition. A write follows `v` (auto-updatable views, rules) and `f`.
 */
const CLOSURE_SQL = `WITH RECURSIVE edges(src, dst, kind) AS (
  SELECT rw.ev_class, d.refobjid, 'v' FROM pg_catalog.pg_rewrite rw
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = rw.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> rw.ev_class
  UNION ALL SELECT p.polrelid, d.refobjid, 'v' FROM pg_catalog.pg_policy p
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_policy'::regclass AND d.objid = p.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> p.polrelid
  UNION ALL SELECT inhrelid, inhparent, 'u' FROM pg_catalog.pg_inherits
  UNION ALL SELECT inhparent, inhrelid, 'd' FROM pg_catalog.pg_inherits
  UNION ALL SELECT confrelid, conrelid, 'f' FROM pg_catalog.pg_constraint
    WHERE contype = 'f' AND (confdeltype IN ('c', 'n', 'd') OR confupdtype IN ('c', 'n', 'd'))
), walk(oid, dir) AS (
  SELECT unnest($1::oid[]), 's'
  UNION
  SELECT e.dst, CASE WHEN e.kind = 'v' THEN 's' ELSE e.kind END FROM walk w JOIN edges e ON e.src = w.oid AND (
    ($2 = 'read' AND ((w.dir = 's' AND e.kind IN ('v', 'u', 'd')) OR (w.dir = e.kind AND e.kind IN ('u', 'd'))))
    OR ($2 = 'write' AND ((w.dir = 's' AND e.kind IN ('v', 'f')) OR (w.dir = 'f' AND e.kind = 'f')))))
SELECT coalesce(json_agg(json_build_object(${RELATION_FIELDS},
  'viewdef', CASE WHEN $2 = 'read' AND c.relkind = 'v' THEN pg_catalog.pg_get_viewdef(c.oid) END)), '[]')::text
FROM (SELECT DISTINCT oid FROM walk) w
JOIN pg_catalog.pg_class c ON c.oid = w.oid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace`;

/** Whether every overload of each function name is IMMUTABLE (false when none exists). */
const IMMUTABLE_SQL = `SELECT coalesce(json_agg(v.ok ORDER BY r.i), '[]')::text
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(nsp, fn, i)
CROSS JOIN LATERAL (
  SELECT count(p.oid) > 0 AND coalesce(bool_and(p.provolatile = 'i'), false) AS ok
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE p.proname = r.fn AND n.nspname = ANY (CASE WHEN r.nsp IS NULL THEN $3::text[] ELSE ARRAY[r.nsp] END)) v`;

type Resolved = RelationInfo & { readonly i: number };

/** Resolve each name against `schemas` (or its own schema); `undefined` where no relation has that name. */
export async function resolveRelations(
  client: RawQueryable,
  schemas: readonly string[],
  refs: readonly RelationRef[],
): Promise<Array<RelationInfo | undefined>> {
  const rows = JSON.parse(
    await queryText(client, RESOLVE_SQL, [
      refs.map((ref) => ref.schema ?? null),
      refs.map((ref) => ref.name),
      schemas,
    ]),
  ) as Resolved[];
  const found: Array<RelationInfo | undefined> = refs.map(() => undefined);
  for (const { i, ...info } of rows) found[i - 1] = info;
  return found;
}

/** The relations a read or a write of the relations `oids` touches, themselves included. */
export async function relationClosure(
  client: RawQueryable,
  oids: readonly string[],
  mode: 'read' | 'write',
): Promise<RelationInfo[]> {
  const rows = JSON.parse(await queryText(client, CLOSURE_SQL, [oids, mode])) as Array<
    RelationInfo & { viewdef: string | null }
  >;
  return rows.map(({ viewdef, ...info }) => (viewdef === null ? info : { ...info, viewdef }));
}

/** Split `schema.name` as the analyzer writes qualified function names. */
export function splitQualified(name: string): { readonly schema: string | null; readonly name: string } {
  const dot = name.indexOf('.');
  return dot < 0 ? { schema: null, name } : { schema: name.slice(0, dot), name: name.slice(dot + 1) };
}

/** For each function name, whether every overload visible under `schemas` is IMMUTABLE. */
export async function immutableFunctions(
  client: RawQueryable,
  schemas: readonly string[],
  names: readonly string[],
): Promise<boolean[]> {
  const parts = names.map(splitQualified);
  return JSON.parse(
    await queryText(client, IMMUTABLE_SQL, [parts.map((p) => p.schema), parts.map((p) => p.name), schemas]),
  ) as boolean[];
}
