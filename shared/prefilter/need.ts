/**
 * A prefilter's declaration: what a record must show, before it is parsed, for a function to possibly find
 * something in it. A `Need` is a necessary condition, never a sufficient one: a record that meets it is
 * parsed and run through the detector as before; a record that does not is only counted (and checked for
 * what the normalizer would reject) without building its objects. When in doubt a need says `always`.
 *
 * Needs are read off the skim of a record list (shared/intake/decode-input.ts, RecordListSkim): the
 * top-level string and number members the scan noted, and the raw text of the record. The skim only
 * answers for a record that is an object whose top-level member names have no escapes; a member value
 * with an escape is not compared as bytes (it passes), and a text search answers only where no escape can
 * hide the text (`\u0043onsoleLogin`, `\/`): see `contains`. Whatever cannot be told is parsed.
 */
export type Need =
  /** Cannot tell without parsing: every record is parsed. */
  | { readonly type: 'always' }
  /** No record of this kind can give a finding. */
  | { readonly type: 'never' }
  /**
   * The top-level member `name` is a string that passes `test`. A member that is absent gives `absent`
   * (default: fails); a number gives `numberTest` of its value as JSON.parse reads it (without one: passes);
   * anything else present but not a plain string (an object, an escaped string, written twice) passes.
   */
  | {
      readonly type: 'field';
      readonly name: string;
      /** Exact values; with `test`, either passing is enough. */
      readonly values?: ReadonlySet<string>;
      readonly test?: (value: string) => boolean;
      readonly numberTest?: (value: number) => boolean;
      readonly absent?: boolean;
      readonly label: string;
    }
  /**
   * The record's text contains one of `texts`, compared as UTF-8 bytes; with `anyCase`, ASCII letters in
   * either case (as a RegExp `i` flag without `u` compares them: only ASCII folds to ASCII). Asked only of
   * a record with no backslash, or, for texts no simple JSON escape can produce a character of (no `"`,
   * `\`, `/`, control character: escapeProof), of one with no `\u` anywhere (not even as `\\u`, which a
   * JSON text inside a string would read as an escape); any other record passes. With `members`, only the
   * raw text of those top-level members' values is searched (an absent one has none; one written twice
   * makes it the whole record).
   */
  | {
      readonly type: 'contains';
      readonly texts: readonly string[];
      readonly anyCase?: boolean;
      readonly members?: readonly string[];
    }
  | { readonly type: 'all'; readonly needs: readonly Need[] }
  | { readonly type: 'any'; readonly needs: readonly Need[] };

export const ALWAYS: Need = { type: 'always' };
export const NEVER: Need = { type: 'never' };

/** What a function declares, per record kind; a kind left out is always parsed. */
export interface RecordPrefilter {
  /** CloudTrail records of a `{"Records":[…]}` log file. */
  readonly cloudtrail?: Need;
  /** Huawei CTS traces of a `{"traces":[…]}` file. */
  readonly cts?: Need;
}

/** The top-level member `name` is a string that passes `test`. */
export function fieldWhere(name: string, label: string, test: (value: string) => boolean): Need {
  return { type: 'field', name, test, label };
}

/** The top-level member `name` is one of `values` (exact, case-sensitive). */
export function fieldIn(name: string, values: Iterable<string>): Need {
  const set = new Set(values);
  if (set.size === 0) return NEVER;
  return { type: 'field', name, values: set, label: `${name} in [${[...set].join(', ')}]` };
}

/** The record's text (with `members`: those members' values) contains `text`. */
export function contains(text: string, members?: readonly string[]): Need {
  return text === '' ? ALWAYS : { type: 'contains', texts: [text], ...(members ? { members } : {}) };
}

/** The record's text (with `members`: those members' values) contains one of `texts`, ASCII letters in either case. */
export function containsAnyCase(texts: readonly string[], members?: readonly string[]): Need {
  if (texts.length === 0) return NEVER;
  if (texts.includes('')) return ALWAYS;
  return { type: 'contains', texts, anyCase: true, ...(members ? { members } : {}) };
}

/**
 * No character of `text` comes out of a simple JSON escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`), and
 * none is what invalid UTF-8 decodes to: so wherever the decoded text of a record without `\u` escapes holds
 * `text`, the raw bytes hold it too.
 */
export function escapeProof(text: string): boolean {
  return !/["\\/\u0000-\u001f\ufffd]|[\ud800-\udfff]/.test(text);
}

/** Every one of `needs` (an `always` among them adds nothing). */
export function allOf(needs: readonly Need[]): Need {
  if (needs.some((need) => need.type === 'never')) return NEVER;
  const kept = needs
    .flatMap((need) => (need.type === 'all' ? need.needs : [need]))
    .filter((need) => need.type !== 'always');
  if (kept.length === 0) return ALWAYS;
  return kept.length === 1 ? kept[0] : { type: 'all', needs: kept };
}

/** Any one of `needs` (an `always` among them makes the whole `always`). */
export function anyOf(needs: readonly Need[]): Need {
  if (needs.some((need) => need.type === 'always')) return ALWAYS;
  const flat = needs
    .flatMap((need) => (need.type === 'any' ? need.needs : [need]))
    .filter((need) => need.type !== 'never');
  // Tests of one member merge into one: a value set and the other tests, so `eventName = A || … || Z`
  // (CIS 4.4 has sixteen) is one read of the member and one set lookup.
  const byName = new Map<string, Extract<Need, { type: 'field' }>[]>();
  const kept: Need[] = [];
  for (const need of flat) {
    // A number or absence test has no union with another member test's: kept apart.
    if (need.type !== 'field' || need.numberTest !== undefined || need.absent !== undefined) kept.push(need);
    else if (byName.has(need.name)) byName.get(need.name)?.push(need);
    else {
      byName.set(need.name, [need]);
      kept.push(need);
    }
  }
  const merged = kept.map((need) => {
    const group = need.type === 'field' ? (byName.get(need.name) ?? []) : [];
    if (group.length < 2 || group[0] !== need) return need;
    const values = new Set(group.flatMap((field) => [...(field.values ?? [])]));
    const tests = group.flatMap((field) => (field.test ? [field.test] : []));
    const merged: Need = {
      type: 'field',
      name: group[0].name,
      ...(values.size > 0 ? { values } : {}),
      ...(tests.length > 0 ? { test: (value: string) => tests.some((test) => test(value)) } : {}),
      label: group.map((field) => field.label).join(' || '),
    };
    return merged;
  });
  if (merged.length === 0) return NEVER;
  return merged.length === 1 ? merged[0] : { type: 'any', needs: merged };
}

/** The top-level member names a need reads. */
export function fieldNames(need: Need, into: Set<string> = new Set()): Set<string> {
  if (need.type === 'field') into.add(need.name);
  else if (need.type === 'contains') for (const name of need.members ?? []) into.add(name);
  else if (need.type === 'all' || need.type === 'any') for (const inner of need.needs) fieldNames(inner, into);
  return into;
}

/** A readable form, for `check-config`-style output and test messages. */
export function describeNeed(need: Need): string {
  switch (need.type) {
    case 'always':
      return 'always';
    case 'never':
      return 'never';
    case 'field':
      return need.label;
    case 'contains': {
      const texts = need.texts.map((text) => JSON.stringify(text)).join(', ');
      const where = need.members ? ` in ${need.members.join(', ')}` : '';
      return `contains ${need.texts.length > 1 ? `any of ${texts}` : texts}${need.anyCase ? ' (any case)' : ''}${where}`;
    }
    case 'all':
      return `(${need.needs.map(describeNeed).join(' && ')})`;
    case 'any':
      return `(${need.needs.map(describeNeed).join(' || ')})`;
  }
}
