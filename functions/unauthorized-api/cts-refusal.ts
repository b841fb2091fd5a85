/**
 * The wording of a CTS refusal (isRefusedCtsCall), and the words every such wording contains, for the
 * prefilter (prefilter.ts): a trace whose text has none of REFUSAL_WORDS cannot be refused on its wording.
 */

/**
 * Wording of a refusal for lack of permission, in an error code, a message or a response body, any
 * case: the generic HTTP words, IAM's policy refusal ("Policy doesn't allow ecs:servers:list to be
 * performed.", huawei-facts.md §5, SMN.00308), "No permission to request resources" (SMN.0001), and
 * the Chinese console texts (没有操作权限 "no operation permission", 权限不足 "insufficient permission").
 */
export const CTS_REFUSAL = new RegExp(
  [
    'unauthori[sz]ed',
    'forbidden',
    'access ?denied',
    'not ?authori[sz]ed',
    'no permission',
    'permission denied',
    'insufficient permission',
    "polic(?:y|ies) (?:does ?n[o'’]?t|do ?n[o'’]?t|did ?n[o'’]?t) allow",
    'not allowed to (?:be )?perform',
    '(?:does|do) not have (?:the )?(?:required |necessary )?(?:permission|authori[sz]ation|privilege)',
    'lacks? (?:the )?(?:required |necessary )?(?:permission|authori[sz]ation|privilege)',
    'not permitted',
    '没有.{0,4}权限',
    '无.{0,2}权限',
    '权限不足',
  ].join('|'),
  'i',
);

/**
 * Every text CTS_REFUSAL matches contains one of these, in some case (CTS_REFUSAL's `i` without `u` folds
 * ASCII letters only to ASCII letters): `authori` (unauthorized, not authorized, authorization), `forbidden`,
 * `denied` (access denied, permission denied), `permi` (permission, permitted), `allow` (policy doesn't
 * allow, not allowed), `privilege`, `权限`. Each is letters only, so it lies inside one JSON string, and no
 * JSON escape but `\u` writes a letter. test/prefilter.test.ts checks the claim on texts CTS_REFUSAL matches.
 * A wording added to CTS_REFUSAL must keep it (or add its word here).
 */
export const REFUSAL_WORDS = ['authori', 'forbidden', 'denied', 'permi', 'allow', 'privilege', '权限'] as const;

/** The `code` values isRefusedCtsCall reads as a refusal (String(code), or the status toHttpCode reads). */
export const REFUSED_STATUSES: ReadonlySet<string> = new Set(['401', '403']);

/** `Number(code)` is an HTTP status below 400: the call was not refused, whatever its wording. */
export function answeredBelow400(status: number): boolean {
  return Number.isInteger(status) && status >= 100 && status < 400;
}
