/**
 * From changed relations to the tags to bump: the tag of each relation
 * pgoutput named, nothing more. pgoutput names the table a row went to — a
 * partition, or the root under `publish_via_partition_root` — and the wrapper
 * tags every read with the inheritance family of what it read (a read of a
 * partitioned table carries its partitions' tags, a read of a partition its
 * ancestors'), so the named table's tag reaches every read that saw the row.
 * Bumping the family here as well would invalidate sibling partitions for
 * nothing. The same holds for foreign-key cascades: the cascaded rows are
 * changes of their own in the WAL.
 */
import { type DatabaseIdentity, databaseTag, tableTag } from '../table-tags.js';
import type { RelationName } from './transaction-collector.js';

/** The tags to bump for these relations. */
export function relationTags(
  db: DatabaseIdentity,
  relations: ReadonlyMap<number, RelationName | undefined>,
): string[] {
  const tags = new Set<string>();
  for (const name of relations.values()) {
    // A change to a relation no Relation message named: only the database tag is sure to cover it.
    if (name === undefined) return [databaseTag(db)];
    tags.add(tableTag(db, name.schema, name.table));
  }
  return [...tags];
}
