/**
 * How a query result is cached: the text Postgres sent for each value, not the
 * JS values node-postgres made of it. A hit parses the text again with the
 * caller's type parsers, so it returns exactly what the same query would have
 * returned — Dates, Buffers, int8 as strings or custom parsers (Drizzle passes
 * its own `types` on every query), objects or arrays per `rowMode` — and the
 * cached form is plain strings and numbers that any serializer keeps intact.
 *
 * The cached form is read on every hit, so it is kept lean: each column's
 * numbers travel as one array rather than five named fields, which halves what
 * MessagePack decodes for a one-row result.
 */
import pg, { type CustomTypesConfig, type FieldDef, type QueryResult } from 'pg';

/** A column as cached: its name, and node-postgres's FieldDef numbers in one array (the format is always text). */
export interface CachedField {
  readonly name: string;
  /** `[tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier]`. */
  readonly column: readonly [number, number, number, number, number];
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
  const fields: CachedField[] = new Array(result.fields.length);
  for (let i = 0; i < fields.length; i++) {
    const field = result.fields[i] as FieldDef;
    fields[i] = {
      name: field.name,
      column: [field.tableID, field.columnID, field.dataTypeID, field.dataTypeSize, field.dataTypeModifier],
    };
  }
  return {
    command: result.command,
    rowCount: result.rowCount,
    oid: typeof result.oid === 'number' ? result.oid : null,
    fields,
    rows: result.rows as (string | null)[][],
  };
}

type Parser = (text: string) => unknown;

const TIMESTAMPTZ = 1184;
/** node-postgres's parser of timestamptz text, as loaded: the one `parseTimestamptz` may stand in for. */
const builtinTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as unknown as Parser;
/** An explicit UTC offset ends the text: its instant does not depend on the process's time zone. */
const WITH_OFFSET = /[+-]\d\d(?::\d\d){0,2}$/;
const MAX_KNOWN_DATES = 10_000;
/** Instants of timestamptz texts already parsed: a hit returns the same rows again and again. */
const knownDates = new Map<string, number>();

/**
 * node-postgres's timestamptz parser, remembering each text's instant: a new
 * Date of the same instant is what that parser returns for the same text, at
 * about a seventh of the cost of parsing it again (the regular expressions).
 */
function parseTimestamptz(text: string): unknown {
  const known = knownDates.get(text);
  if (known !== undefined) return new Date(known);
  const parsed = builtinTimestamptz(text);
  if (parsed instanceof Date && Object.getPrototypeOf(parsed) === Date.prototype && WITH_OFFSET.test(text)) {
    if (knownDates.size >= MAX_KNOWN_DATES) knownDates.clear();
    knownDates.set(text, parsed.getTime());
  }
  return parsed;
}

/** How one cached column list decodes under one set of type parsers. */
interface Decoder {
  readonly types: CustomTypesConfig;
  readonly names: readonly string[];
  readonly parsers: readonly Parser[];
  /** Every column name, null: rows start from a copy, so their keys come in column order. */
  readonly template: Readonly<Record<string, unknown>>;
  /** node-postgres's field descriptions (frozen when shared): every result gets its own array of them. */
  readonly fields: readonly FieldDef[];
}

/**
 * Decoders by cached column list. A cached result decoded once is shared by
 * every hit on it (core keeps decoded entries, frozen, on the bytes an
 * in-process store hands out), so its hits look their parsers up once; a
 * result read from Redis is decoded afresh and builds its decoder per call.
 */
const decoders = new WeakMap<readonly CachedField[], Decoder>();

function decoderOf(cachedFields: readonly CachedField[], types: CustomTypesConfig): Decoder {
  // Core freezes what it shares between hits; anything else is decoded once, so remembering costs more than it saves.
  const shared = Object.isFrozen(cachedFields);
  const known = shared ? decoders.get(cachedFields) : undefined;
  if (known !== undefined && known.types === types) return known;
  const width = cachedFields.length;
  const names: string[] = new Array(width);
  const parsers: Parser[] = new Array(width);
  const template: Record<string, unknown> = {};
  const fields: FieldDef[] = new Array(width);
  for (let i = 0; i < width; i++) {
    const { name, column } = cachedFields[i] as CachedField;
    const dataTypeID = column[2];
    names[i] = name;
    const parser = types.getTypeParser(dataTypeID, 'text') as unknown as Parser;
    parsers[i] = dataTypeID === TIMESTAMPTZ && parser === builtinTimestamptz ? parseTimestamptz : parser;
    template[name] = null;
    const description: FieldDef = {
      name,
      tableID: column[0],
      columnID: column[1],
      dataTypeID,
      dataTypeSize: column[3],
      dataTypeModifier: column[4],
      format: 'text',
    };
    fields[i] = shared ? Object.freeze(description) : description;
  }
  const decoder = { types, names, parsers, template, fields };
  // Custom `types` are usually one object per pool or ORM; a per-query one just replaces the entry.
  if (shared) decoders.set(cachedFields, decoder);
  return decoder;
}

/**
 * The result the caller would have received: values parsed by `types` (the
 * query's own, else the connection's), rows as arrays or objects. Objects are
 * built as node-postgres builds them: keys in column order, and a later column
 * with a repeated name overwrites the earlier one. Rows and the fields array
 * are new on every call, so the caller may change them; the field descriptions
 * in it are shared and frozen.
 */
export function decodeResult(
  cached: CachedResult,
  rowMode: string | undefined,
  types: CustomTypesConfig,
): DecodedResult {
  const cachedFields = cached.fields;
  const decoder = decoderOf(cachedFields, types);
  const { names, parsers, template } = decoder;
  const fields = decoder.fields.slice();
  const asArray = rowMode === 'array';
  const cachedRows = cached.rows;
  const rows: unknown[] = new Array(cachedRows.length);
  for (let r = 0; r < rows.length; r++) {
    const raw = cachedRows[r] as readonly (string | null)[];
    if (asArray) {
      const row: unknown[] = new Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const text = raw[i];
        row[i] = text === null || text === undefined ? null : (parsers[i] as Parser)(text);
      }
      rows[r] = row;
    } else {
      const row: Record<string, unknown> = { ...template };
      for (let i = 0; i < raw.length; i++) {
        const text = raw[i];
        row[names[i] as string] = text === null || text === undefined ? null : (parsers[i] as Parser)(text);
      }
      rows[r] = row;
    }
  }
  // node-postgres leaves `oid` null unless the command tag carries one (INSERT); @types/pg says number.
  const oid = cached.oid as number;
  return { command: cached.command, rowCount: cached.rowCount, oid, fields, rows, rowAsArray: asArray };
}
