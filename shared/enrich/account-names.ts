/**
 * Account names for alerts (`account 111122223333 (prod-payments)`): a map given as ACCOUNT_NAMES (JSON, or
 * the path of a JSON file), AWS Organizations ListAccounts when asked for (organizations-accounts.ts), and
 * on Huawei Cloud the domain name the trace itself carries. Pure parsing here.
 */

/** Account id → name. */
export type AccountNames = ReadonlyMap<string, string>;

/** Account ids as the clouds write them: AWS 12 digits, Huawei domain ids 32 hex; anything id-like up to 64. */
const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const MAX_NAME_CHARS = 128;
/** A name is shown in alerts: printable text only, no line breaks or controls. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const MAX_SHOWN = 60;

function shown(text: string): string {
  const json = JSON.stringify(text);
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN)}…` : json;
}

/** A name from any source, as alerts may show it; undefined when unusable. */
export function cleanAccountName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const trimmed = name.trim();
  if (trimmed === '' || UNPRINTABLE.test(trimmed)) return undefined;
  return trimmed.length > MAX_NAME_CHARS ? trimmed.slice(0, MAX_NAME_CHARS) : trimmed;
}

/**
 * `{"111122223333": "prod-payments", …}`: every key an account id, every value a non-empty printable
 * name of at most 128 characters. Each bad entry is one problem (prefixed with `source`).
 */
export function parseAccountNames(text: string, source: string, problems: string[]): Map<string, string> {
  const names = new Map<string, string>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(
      `${source}: not valid JSON (${(error as Error).message}): give an object such as {"111122223333": "prod-payments"}`,
    );
    return names;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`${source}: must be a JSON object of account id → name, such as {"111122223333": "prod-payments"}`);
    return names;
  }
  for (const [id, name] of Object.entries(parsed)) {
    if (!ACCOUNT_ID.test(id)) {
      problems.push(`${source}: ${shown(id)} is not an account id (AWS: 12 digits; Huawei: the domain id)`);
      continue;
    }
    if (typeof name !== 'string' || name.trim() === '') {
      problems.push(`${source}: the name of account ${id} must be a non-empty string`);
      continue;
    }
    if (UNPRINTABLE.test(name)) {
      problems.push(`${source}: the name of account ${id} holds a line break or control character`);
      continue;
    }
    if (name.trim().length > MAX_NAME_CHARS) {
      problems.push(`${source}: the name of account ${id} is longer than ${MAX_NAME_CHARS} characters`);
      continue;
    }
    names.set(id, name.trim());
  }
  return names;
}
