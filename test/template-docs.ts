/**
 * Docs-vs-type check for the template context: every key of TemplateContext (src/template-context.ts),
 * and of the object types it uses, must have a row in TEMPLATES.md's context table, and every row
 * must name a key that exists. Keys come from the TypeScript compiler, not from a hand-kept list.
 */
import ts from 'typescript';

export interface ContextKey {
  /** Dotted path as a template writes it; `[]` marks an array element: `processes[].name`. */
  key: string;
  type: string;
  /** The JSDoc comment on the property, if any. */
  doc: string;
}

/**
 * Walk the type breadth-first. Object types are expanded once, where they first appear (so
 * `processes[].name` is listed, and `httpProcess`, the same type, is one key); functions,
 * primitives, literal unions and arrays of those are leaves. A map (`Record<Runtime, X>`, an index
 * signature) is one key, `name.*`, with X's keys under it: `project.runtimes.*.version`.
 */
export function contextKeys(file: string, typeName = 'TemplateContext'): ContextKey[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file}: not found`);
  const declaration = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === typeName,
  );
  if (!declaration) throw new Error(`${file}: no interface ${typeName}`);

  const keys: ContextKey[] = [];
  const expanded = new Set<ts.Type>();
  const expandable = (type: ts.Type) =>
    (type.flags & ts.TypeFlags.Object) !== 0 &&
    !checker.isArrayType(type) &&
    type.getCallSignatures().length === 0 &&
    type.getProperties().length > 0;
  /** The value type of a map, or undefined when the type is not one. */
  const mapValue = (type: ts.Type): ts.Type | undefined => {
    if ((type.flags & ts.TypeFlags.Object) === 0) return undefined;
    const index = checker.getIndexInfosOfType(type)[0];
    if (index && type.getProperties().length === 0) return index.type;
    if (((type as ts.ObjectType).objectFlags & ts.ObjectFlags.Mapped) === 0) return undefined;
    const first = type.getProperties()[0];
    return first && checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(first, declaration));
  };
  const queue: { prefix: string; type: ts.Type }[] = [
    { prefix: '', type: checker.getTypeAtLocation(declaration.name) },
  ];
  expanded.add(queue[0]!.type);
  const visit = (key: string, type: ts.Type, doc: string) => {
    keys.push({ key, type: checker.typeToString(type), doc });
    let path = key;
    let inner = type;
    if (checker.isArrayType(inner)) {
      inner = checker.getTypeArguments(inner as ts.TypeReference)[0]!;
      path += '[]';
    }
    const value = mapValue(inner);
    if (value) {
      visit(`${path}.*`, value, '');
      return;
    }
    if (expandable(inner) && !expanded.has(inner)) {
      expanded.add(inner);
      queue.push({ prefix: `${path}.`, type: inner });
    }
  };
  while (queue.length) {
    const { prefix, type } = queue.shift()!;
    for (const property of checker.getPropertiesOfType(type)) {
      const type = checker.getNonNullableType(
        checker.getTypeOfSymbolAtLocation(property, property.valueDeclaration ?? declaration),
      );
      visit(`${prefix}${property.name}`, type, ts.displayPartsToString(property.getDocumentationComment(checker)));
    }
  }
  return keys;
}

export const TABLE_START = '<!-- context:start -->';
export const TABLE_END = '<!-- context:end -->';

/** The keys TEMPLATES.md documents: the first cell of each table row between the markers, e.g. | `esc.shellQuote(word)` | ... */
export function documentedKeys(markdown: string): string[] {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`TEMPLATES.md: the context table must sit between ${TABLE_START} and ${TABLE_END}`);
  const keys: string[] = [];
  for (const line of markdown.slice(start, end).split('\n')) {
    const cell = /^\|\s*`([^`]+)`/.exec(line);
    if (cell) keys.push(cell[1]!.replace(/\(.*$/, '').trim());
  }
  return keys;
}

/** What is missing from the docs, and what the docs list that does not exist. Empty lists: in sync. */
export function compareDocs(
  keys: readonly ContextKey[],
  documented: readonly string[],
): { missing: ContextKey[]; stale: string[]; duplicated: string[] } {
  const known = new Set(keys.map((k) => k.key));
  const seen = new Set<string>();
  const duplicated = documented.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
  return {
    missing: keys.filter((k) => !seen.has(k.key)),
    stale: [...seen].filter((k) => !known.has(k)),
    duplicated,
  };
}

/** A readable failure message, with a row to paste for each missing key. */
export function describeDrift(drift: ReturnType<typeof compareDocs>): string {
  const lines: string[] = [];
  for (const k of drift.missing)
    lines.push(
      `TEMPLATES.md does not document ${k.key}; add a row: | \`${k.key}\` | \`${k.type}\` | ${k.doc || '...'} |`,
    );
  for (const k of drift.stale)
    lines.push(`TEMPLATES.md documents ${k}, which TemplateContext does not have: remove or rename the row`);
  for (const k of drift.duplicated) lines.push(`TEMPLATES.md documents ${k} twice`);
  return lines.join('\n');
}
