/**
 * How a query result is cached: the text Postgres sent for each value, not the
 * JS values node-postgres made of it. A hit parses the text again with the
 * caller's type parsers, so it returns exactly what the same query would have
 * returned — Dates, Buffers, int8 as strings or custom parsers (Drizzle passes
 * its own `types` on every query), objects or arrays per `rowMode` — and the
 * cached form is plain strings that any serializer keeps intact.
 */
import type { CustomTypesConfig, FieldDef, QueryResult } from 'pg';

/** A column as cached: node-postgres's FieldDef without the format (always text). */
export interface CachedField {
  readonly name: string;
  readonly tableID: number;
  readonly columnID: number;
  readonly dataTypeID: number;
  readonly dataTypeSize: number;
  readonly dataTypeModifier: number;
}

/** A result as cached. */
export interface CachedResult {
  readonly command: string;
  readonly rowCount: number | null;
  readonly oid: number | null;
  readonly fields: readonly CachedField[];
  /** Each row's values as Postgres sent them (text format), `null` for SQL NULL. */
  readonly rows: readonly (readonly (string | null)[])[];
}

/** What a hit returns: node-postgres's QueryResult shape. */
export interface DecodedResult extends QueryResult {
  readonly rowAsArray: boolean;
}

const keepText = (value: string): string => value;

/** Type parsers that keep every value as the text Postgres sent: how a miss reads what it caches. */
export const RAW_TYPES: CustomTypesConfig = {
  getTypeParser: (() => keepText) as unknown as CustomTypesConfig['getTypeParser'],
};

/** The raw result of a query run with `RAW_TYPES` and `rowMode: 'array'`, as cached. */
export function encodeResult(result: QueryResult<unknown[]>): CachedResult {
  return {
    command: result.command,
    rowCount: result.rowCount,
    oid: typeof result.oid === 'number' ? result.oid : null,
    fields: result.fields.map((field) => ({
      name: field.name,
      tableID: field.tableID,
      columnID: field.columnID,
      dataTypeID: field.dataTypeID,
      dataTypeSize: field.dataTypeSize,
      dataTypeModifier: field.dataTypeModifier,
    })),
    rows: result.rows as (string | null)[][],
  };
}

type Parser = (text: string) => unknown;

/**
 * The result the caller would have received: values parsed by `types` (the
 * query's own, else the connection's), rows as arrays or objects. Objects are
 * built as node-postgres builds them: keys in column order, and a later column
 * with a repeated name overwrites the earlier one.
 */
export function decodeResult(
  cached: CachedResult,
  rowMode: string | undefined,
  types: CustomTypesConfig,
): DecodedResult {
  const parsers: Parser[] = cached.fields.map(
    (field) => types.getTypeParser(field.dataTypeID, 'text') as unknown as Parser,
  );
  const asArray = rowMode === 'array';
  const template: Record<string, unknown> = {};
  for (const field of cached.fields) template[field.name] = null;
  const rows = cached.rows.map((raw) => {
    if (asArray) return raw.map((text, i) => (text === null ? null : (parsers[i] as Parser)(text)));
    const row: Record<string, unknown> = { ...template };
    for (let i = 0; i < raw.length; i++) {
      const text = raw[i];
      row[(cached.fields[i] as CachedField).name] =
        text === null || text === undefined ? null : (parsers[i] as Parser)(text);
    }
    return row;
  });
  const fields: FieldDef[] = cached.fields.map((field) => ({ ...field, format: 'text' }));
  // node-postgres leaves `oid` null unless the command tag carries one (INSERT); @types/pg says number.
  const oid = cached.oid as number;
  return { command: cached.command, rowCount: cached.rowCount, oid, fields, rows, rowAsArray: asArray };
}
