/**
 * A prefilter's declaration: what a record must show, before it is parsed, for a function to possibly find
 * something in it. A `Need` is a necessary condition, never a sufficient one: a record that meets it is
 * parsed and run through the detector as before; a record that does not is only counted (and checked for
 * what the normalizer would reject) without building its objects. When in doubt a need says `always`.
 *
 * Needs are read off the skim of a record list (shared/intake/decode-input.ts, RecordListSkim): the
 * top-level string members the scan noted, and the raw text of the record. The skim only answers for a
 * record that is an object with no backslash anywhere in it, so no escape (`\u0043onsoleLogin`, `\/`) can
 * hide a value from a byte comparison; any other record is parsed.
 */
export type Need =
  /** Cannot tell without parsing: every record is parsed. */
  | { readonly type: 'always' }
  /** No record of this kind can give a finding. */
  | { readonly type: 'never' }
  /**
   * The top-level member `name` is a string that passes `test`. A member that is absent fails; one that
   * is present but not a plain string (a number, an object, written twice) counts as passing.
   */
  | {
      readonly type: 'field';
      readonly name: string;
      /** Exact values; with `test`, either passing is enough. */
      readonly values?: ReadonlySet<string>;
      readonly test?: (value: string) => boolean;
      readonly label: string;
    }
  /** The record's text contains `text` (compared as UTF-8 bytes; the record has no escapes). */
  | { readonly type: 'contains'; readonly text: string }
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

export function contains(text: string): Need {
  return text === '' ? ALWAYS : { type: 'contains', text };
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
    if (need.type !== 'field') kept.push(need);
    else if (byName.has(need.name)) byName.get(need.name)?.push(need);
    else {
      byName.set(need.name, [need]);
      kept.push(need);
    }
  }
  const merged = kept.map((need) => {
    const group = need.type === 'field' ? (byName.get(need.name) ?? []) : [];
    if (group.length < 2) return need;
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
    case 'contains':
      return `contains ${JSON.stringify(need.text)}`;
    case 'all':
      return `(${need.needs.map(describeNeed).join(' && ')})`;
    case 'any':
      return `(${need.needs.map(describeNeed).join(' || ')})`;
  }
}
