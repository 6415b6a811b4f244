/** A table (or any relation) by schema and name, as Postgres stores them. */
export interface TableName {
  readonly schema: string;
  readonly name: string;
}

/** A string that identifies a table in maps and sets: schema and name cannot run into each other. */
export function tableNameKey(table: TableName): string {
  return `${table.schema}\u0000${table.name}`;
}
