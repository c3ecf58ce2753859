/**
 * The output contract as SQL: the tables over the digest and error record prefixes and the
 * `tasks` view (one row per task), for Athena (types in Glue's Hive notation, the view in Trino
 * SQL) and for DuckDB over local mode's `out/` folder.
 *
 * The column types are derived from the published JSON Schema of the zod contract, so a field
 * added to the contract reaches both catalogs without a second definition. The queries in
 * `sql/queries/` read only the `tasks` view and the `digests` and `errors` tables, and run
 * unchanged on both engines; the view is written once per engine because their `UNNEST` differs
 * (Trino expands the fields of a row, DuckDB keeps the struct).
 */
import { jsonSchemas } from './contract';

/** A column type, in neither engine's notation. */
export type SqlType =
  | { kind: 'string' | 'bigint' | 'double' | 'boolean' }
  | { kind: 'array'; of: SqlType }
  | { kind: 'struct'; fields: ReadonlyArray<readonly [name: string, type: SqlType]> };

/** A table column: its name as the JSON field (camelCase) and its type. */
export interface SqlColumn {
  name: string;
  type: SqlType;
}

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  $defs?: Record<string, JsonSchema>;
};

/**
 * The columns of a record type, from its JSON Schema (every integer as 64-bit: the contract
 * allows up to 2^53).
 * @throws {Error} for a schema construct that has no single SQL type (a union of two non-null
 *   types, a map); the contract has none today, and a new one needs a decision, not a guess.
 */
export function columnsOf(document: JsonSchema): SqlColumn[] {
  const defs = document.$defs ?? {};
  const resolve = (schema: JsonSchema): JsonSchema => {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/$defs/', '');
    const target = defs[name];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    return resolve(target);
  };
  const typeOf = (raw: JsonSchema, path: string): SqlType => {
    const schema = resolve(raw);
    const branches = schema.anyOf ?? schema.oneOf ?? schema.allOf;
    if (branches) {
      const values = branches.filter((b) => resolve(b).type !== 'null');
      if (values.length !== 1 || !values[0]) throw new Error(`${path}: no single SQL type`);
      return typeOf(values[0], path);
    }
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter(
      (t) => t !== 'null',
    );
    if (types.length !== 1) throw new Error(`${path}: no single SQL type (${String(types)})`);
    switch (types[0]) {
      case 'string':
        return { kind: 'string' };
      case 'integer':
        return { kind: 'bigint' };
      case 'number':
        return { kind: 'double' };
      case 'boolean':
        return { kind: 'boolean' };
      case 'array':
        if (!schema.items) throw new Error(`${path}: array without items`);
        return { kind: 'array', of: typeOf(schema.items, `${path}[]`) };
      case 'object':
        if (!schema.properties) throw new Error(`${path}: object without properties`);
        return {
          kind: 'struct',
          fields: Object.entries(schema.properties).map(
            ([name, field]) => [name, typeOf(field, `${path}.${name}`)] as const,
          ),
        };
      default:
        throw new Error(`${path}: unsupported type ${String(types[0])}`);
    }
  };
  const root = typeOf(document, '$');
  if (root.kind !== 'struct') throw new Error('a record schema must be an object');
  return root.fields.map(([name, type]) => ({ name, type }));
}

/** Columns of the `digests` table: one row per digest. */
export const DIGEST_COLUMNS = columnsOf(jsonSchemas()['digest.schema.json'] as JsonSchema);
/** Columns of the `errors` table: one row per error record. */
export const ERROR_COLUMNS = columnsOf(jsonSchemas()['error.schema.json'] as JsonSchema);

/**
 * A type in Glue's Hive notation, field names in lower case as Athena reads them (its Ion SerDe
 * matches JSON field names without regard to case).
 */
export function hiveType(type: SqlType): string {
  switch (type.kind) {
    case 'array':
      return `array<${hiveType(type.of)}>`;
    case 'struct':
      return `struct<${type.fields.map(([n, t]) => `${n.toLowerCase()}:${hiveType(t)}`).join(',')}>`;
    default:
      return type.kind;
  }
}

/** A type in DuckDB's notation; field names keep the JSON's case, which `read_json` matches. */
export function duckdbType(type: SqlType): string {
  switch (type.kind) {
    case 'array':
      return `${duckdbType(type.of)}[]`;
    case 'struct':
      return `STRUCT(${type.fields.map(([n, t]) => `${quoteIdentifier(n)} ${duckdbType(t)}`).join(', ')})`;
    case 'string':
      return 'VARCHAR';
    default:
      return type.kind.toUpperCase();
  }
}

/** The columns of the `tasks` view, with their Trino types (what Athena's view metadata holds). */
export const TASK_VIEW_COLUMNS = [
  { name: 'document', type: 'varchar', comment: 'Input key of the source object' },
  { name: 'language', type: 'varchar', comment: 'Primary language of the source' },
  { name: 'article', type: 'bigint', comment: 'Article number in the document, from 1' },
  { name: 'article_title', type: 'varchar', comment: 'Title of the article, if any' },
  { name: 'task', type: 'varchar', comment: 'The task' },
  { name: 'owner', type: 'varchar', comment: 'Who is responsible, as the text names it' },
  { name: 'deadline', type: 'varchar', comment: 'When it is due, as the text states it' },
  {
    name: 'due_date',
    type: 'date',
    comment: 'The deadline as a date when it names a year, month and day (or month: its last day)',
  },
  { name: 'quote', type: 'varchar', comment: 'Verbatim evidence from the source' },
  { name: 'quote_start', type: 'bigint', comment: 'Code-point offset of the evidence' },
  { name: 'quote_end', type: 'bigint', comment: 'Code-point offset after the evidence' },
  { name: 'processed_at', type: 'varchar', comment: 'When the digest was made (ISO 8601, UTC)' },
] as const;

/**
 * `due_date` from a deadline as the text states it: `2026-11-20`, `2026/11/20`, `2026.11.20`,
 * `2026年11月20日前` give that day; `2026年11月底前` or `2026-11` alone give the month's last
 * day; anything else (no year, "by Friday", "by 2026") gives null. Both engines have
 * `regexp_extract(text, pattern, group)`; Trino answers null where nothing matches, DuckDB an
 * empty string, which `try_cast` turns into null as well.
 */
function dueDateSql(deadline: string, lastDayOfMonth: string): string {
  const day = String.raw`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})`;
  const month = String.raw`(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*月|$|[^\d])`;
  const date = (pattern: string, withDay: boolean) =>
    `try_cast(regexp_extract(${deadline}, '${pattern}', 1) || '-' || lpad(regexp_extract(${deadline}, '${pattern}', 2), 2, '0') || '-' || ${
      withDay ? `lpad(regexp_extract(${deadline}, '${pattern}', 3), 2, '0')` : `'01'`
    } AS date)`;
  return `coalesce(${date(day, true)}, ${lastDayOfMonth.replace('$1', date(month, false))})`;
}

const select = (fields: Record<(typeof TASK_VIEW_COLUMNS)[number]['name'], string>) =>
  TASK_VIEW_COLUMNS.map((c) => `  ${fields[c.name]} AS ${c.name}`).join(',\n');

const fieldNames = (columns: SqlColumn[], name: string): string[] => {
  const column = columns.find((c) => c.name === name);
  const element = column?.type.kind === 'array' ? column.type.of : undefined;
  if (element?.kind !== 'struct') throw new Error(`${name} is not an array of records`);
  return element.fields.map(([field]) => field.toLowerCase());
};

/**
 * The `tasks` view in Trino SQL, as Athena runs it. Trino's `UNNEST` of an array of rows yields
 * one column per field, so the aliases list the contract's fields in order (derived, so a new
 * field keeps them aligned).
 */
export function athenaTasksViewSql(): string {
  const articleFields = fieldNames(DIGEST_COLUMNS, 'articles');
  const articles = DIGEST_COLUMNS.find((c) => c.name === 'articles');
  const taskType =
    articles?.type.kind === 'array' && articles.type.of.kind === 'struct'
      ? articles.type.of.fields.find(([n]) => n === 'tasks')?.[1]
      : undefined;
  if (taskType?.kind !== 'array' || taskType.of.kind !== 'struct') {
    throw new Error('articles[].tasks is not an array of records');
  }
  const taskFields = taskType.of.fields.map(([n]) => n.toLowerCase());
  return [
    'SELECT',
    select({
      document: 'd.source.key',
      language: 'd.language',
      article: 'a.article_number',
      article_title: 'a.title',
      task: 't.task',
      owner: 't.owner',
      deadline: 't.deadline',
      due_date: dueDateSql('t.deadline', 'last_day_of_month($1)'),
      quote: 't.evidence.quote',
      quote_start: 't.evidence.start',
      quote_end: 't.evidence."end"',
      processed_at: 'd.processedat',
    }),
    'FROM digests AS d',
    `CROSS JOIN UNNEST(d.articles) WITH ORDINALITY AS a (${[...articleFields, 'article_number'].join(', ')})`,
    `CROSS JOIN UNNEST(a.tasks) AS t (${taskFields.join(', ')})`,
  ].join('\n');
}

/** The `tasks` view in DuckDB SQL, over the local `digests` view. */
export function duckdbTasksViewSql(): string {
  return [
    'SELECT',
    select({
      document: 'd.source.key',
      language: 'd.language',
      article: 'a.article_number',
      article_title: 'a.article.title',
      task: 't.task.task',
      owner: 't.task.owner',
      deadline: 't.task.deadline',
      due_date: dueDateSql('t.task.deadline', 'last_day($1)'),
      quote: 't.task.evidence.quote',
      quote_start: 't.task.evidence.start',
      quote_end: 't.task.evidence."end"',
      processed_at: 'd.processedAt',
    }),
    'FROM digests AS d',
    'CROSS JOIN unnest(d.articles) WITH ORDINALITY AS a (article, article_number)',
    'CROSS JOIN unnest(a.article.tasks) AS t (task)',
  ].join('\n');
}

/**
 * The statements that make local mode's output folder queryable in DuckDB with the same names as
 * in Athena: `digests` and `errors` over `<dir>/digests/**` and `<dir>/errors/**` (a table that
 * has no files yet is empty), and the `tasks` view.
 * @param dir the output folder (`out/` by default in local mode).
 * @param present which of the two record folders hold files (`read_json` fails on none).
 */
export function duckdbSetupSql(
  dir: string,
  present: { digests: boolean; errors: boolean },
): string[] {
  const table = (name: 'digests' | 'errors', columns: SqlColumn[]) => {
    const types = columns.map((c) => `${quoteIdentifier(c.name)}: '${duckdbType(c.type)}'`);
    if (!present[name]) {
      const nulls = columns.map(
        (c) => `CAST(NULL AS ${duckdbType(c.type)}) AS ${quoteIdentifier(c.name)}`,
      );
      return `CREATE OR REPLACE VIEW ${name} AS SELECT ${nulls.join(', ')} WHERE false`;
    }
    const files = quoteString(`${dir.replace(/\/+$/, '')}/${name}/**/*.json`);
    return `CREATE OR REPLACE VIEW ${name} AS SELECT * FROM read_json(${files}, format = 'auto', columns = {${types.join(', ')}})`;
  };
  return [
    table('digests', DIGEST_COLUMNS),
    table('errors', ERROR_COLUMNS),
    `CREATE OR REPLACE VIEW tasks AS\n${duckdbTasksViewSql()}`,
  ];
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
