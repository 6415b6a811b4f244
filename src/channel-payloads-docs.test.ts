/**
 * The diagnostics payloads the docs promise are the ones the code publishes:
 * every channel of `ChannelPayloads` (core) and `SqlChannelPayloads`
 * (larder/sql) is documented with its payload, and every documented payload
 * (`` `larder:x` `` followed by a `` `{ a, b? }` `` code span) lists exactly the
 * fields of its type. The publishes themselves are type-checked against those
 * types (core/events.ts, sql/sql-channels.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `{ channel: ['field', 'optional?'] }` from an interface of payloads keyed by channel name. */
function payloadFields(file: string, name: string): Map<string, string[]> {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(ROOT, file), 'utf8'),
    ts.ScriptTarget.Latest,
  );
  const declaration = source.statements.find(
    (statement): statement is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(statement) && statement.name.text === name,
  );
  assert.ok(declaration, `${name} not found in ${file}`);
  const fields = new Map<string, string[]>();
  for (const member of declaration.members) {
    if (!ts.isPropertySignature(member) || !ts.isStringLiteral(member.name) || member.type === undefined)
      continue;
    assert.ok(ts.isTypeLiteralNode(member.type), `${member.name.text}: write its payload as a type literal`);
    fields.set(
      member.name.text,
      member.type.members
        .filter(ts.isPropertySignature)
        .map((field) => `${field.name.getText(source)}${field.questionToken ? '?' : ''}`)
        .sort(),
    );
  }
  return fields;
}

/** Every payload the docs show: channel name, the fields of the code span after it, and where. */
function documentedPayloads(): Array<{ channel: string; fields: string[]; where: string }> {
  const pages = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((name) => `docs/${name}`)].filter(
    (page) => page.endsWith('.md'),
  );
  const found: Array<{ channel: string; fields: string[]; where: string }> = [];
  // A channel, then (before any other channel) a code span that opens with `{`.
  const pattern = /`(larder:[a-z:-]+)`((?:(?!`larder:)[\s\S]){0,80}?)`\{([^`]*)\}`/g;
  for (const page of pages) {
    const text = readFileSync(path.join(ROOT, page), 'utf8');
    for (const match of text.matchAll(pattern)) {
      const [, channel = '', , body = ''] = match;
      const fields = body
        .split(',')
        .map((part) => /^\s*([A-Za-z]+)(\?)?/.exec(part))
        .filter((field) => field !== null)
        .map(([, name, optional]) => `${name}${optional ?? ''}`)
        .sort();
      const line = text.slice(0, match.index).split('\n').length;
      found.push({ channel, fields, where: `${page}:${line}` });
    }
  }
  return found;
}

describe('diagnostics payloads in the docs', () => {
  const types = new Map([
    ...payloadFields('src/core/channel-payloads.ts', 'ChannelPayloads'),
    ...payloadFields('src/sql/sql-channels.ts', 'SqlChannelPayloads'),
  ]);
  const documented = documentedPayloads();

  it('reads the payload types and the documented payloads', () => {
    assert.deepEqual(types.get('larder:hit'), ['operation', 'prefix']);
    assert.deepEqual(types.get('larder:sql:query'), ['fingerprint', 'outcome', 'parseMs', 'reason?']);
    assert.ok(documented.length >= types.size, `only ${documented.length} documented payloads found`);
  });

  it('documents every channel with its payload', () => {
    const missing = [...types.keys()].filter((channel) => !documented.some((d) => d.channel === channel));
    assert.deepEqual(missing, [], 'channels whose payload no page shows as `{ … }`');
  });

  it('names the fields of the code in every documented payload', () => {
    const wrong = documented
      .filter(({ channel }) => types.has(channel))
      .filter(({ channel, fields }) => {
        const expected = types.get(channel) ?? [];
        // A doc may show a specific payload (`{ tables: 0, source: 'full' }`): fields given must
        // exist and be all the required ones; an optional field may be left out.
        const required = expected.filter((field) => !field.endsWith('?'));
        const known = new Set(expected.map((field) => field.replace('?', '')));
        const given = fields.map((field) => field.replace('?', ''));
        return given.some((field) => !known.has(field)) || required.some((field) => !given.includes(field));
      })
      .map(
        ({ channel, fields, where }) =>
          `${where}: ${channel} { ${fields.join(', ')} } vs { ${types.get(channel)?.join(', ')} }`,
      );
    assert.deepEqual(wrong, []);
  });

  it('documents no channel the code does not publish', () => {
    const unknown = documented
      .filter(({ channel }) => !types.has(channel))
      .map((d) => `${d.where}: ${d.channel}`);
    assert.deepEqual(unknown, []);
  });
});
