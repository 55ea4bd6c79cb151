/**
 * The sensitivity check every candidate passes before it is stored: shared knowledge is read
 * by every analyst's agent, so an item must carry no secret (not even a redacted one: the
 * sentence around it is about a credential) and no one's personal data. Reasons name the
 * rule, never the matched text, so logging a verdict leaks nothing.
 */
import { REDACTION_MARKER, hasSecret } from './scrub.js';

export interface SensitivityVerdict {
  safe: boolean;
  /** Why it is unsafe; absent when safe. */
  reason?: string;
}

export interface CandidateText {
  title: string;
  content: string;
  tags?: readonly string[];
}

/** Mailboxes of a function, not of a person. */
const ROLE_MAILBOX =
  /^(?:no-?reply|do-?not-?reply|support|help(?:desk)?|info|admin|team|sales|billing|security|ops|devops|data|analytics|alerts?|notifications?|it|hr|finance|accounts?|contact|hello|privacy|legal|abuse|postmaster|webmaster|bot|robot|system|jobs|careers)$/i;
/** Documentation domains (RFC 2606) and obvious placeholders. */
const PLACEHOLDER_DOMAIN = /(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)$/i;
const EMAIL = /\b([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b/g;

function personalEmail(text: string): boolean {
  for (const m of text.matchAll(EMAIL)) {
    const [, local, domain] = m;
    if (ROLE_MAILBOX.test(local) || PLACEHOLDER_DOMAIN.test(domain)) continue;
    return true;
  }
  return false;
}

/** International (`+420 601 234 567`), North American (`(415) 555-0100`, `415-555-0100`) and labelled (`tel: 601234567`) numbers. */
const PHONES = [
  /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w])/g,
  /(?<!\w)\(\d{3}\)\s?\d{3}[ .-]\d{4}(?!\w)/g,
  /(?<![\w.-])\d{3}[.-]\d{3}[.-]\d{4}(?![\w.-])/g,
  /\b(?:tel|phone|mobile|mob|cell)\.?\s*[:=]?\s*\+?[\d ()./-]{9,}/gi,
];

function phoneNumber(text: string): boolean {
  return PHONES.some((re) =>
    [...text.matchAll(re)].some((m) => {
      const digits = m[0].replace(/\D/g, '').length;
      return digits >= 9 && digits <= 15;
    }),
  );
}

/** IBAN with a valid ISO 7064 mod-97 check, so a random code of letters and digits does not count. */
function iban(text: string): boolean {
  for (const m of text.matchAll(/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g)) {
    const raw = m[0].replace(/ /g, '');
    if (raw.length < 15 || raw.length > 34) continue;
    const rearranged = raw.slice(4) + raw.slice(0, 4);
    const numeric = rearranged.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
    let rem = 0;
    for (const d of numeric) rem = (rem * 10 + Number(d)) % 97;
    if (rem === 1) return true;
  }
  return false;
}

/** A payment card number: 13 to 19 digits (spaces or dashes between groups) passing the Luhn check. */
function cardNumber(text: string): boolean {
  for (const m of text.matchAll(/(?<![\w.])\d{4}(?:[ -]?\d{3,4}){2,4}(?:[ -]?\d{1,3})?(?![\w.])/g)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length < 13 || digits.length > 19) continue;
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    if (sum % 10 === 0) return true;
  }
  return false;
}

/** National ids: a US SSN (`123-45-6789`), a Czech/Slovak birth number (`850101/1234`), a UK NI number. */
const NATIONAL_IDS = [
  /(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/,
  /(?<![\w/])\d{6}\/\d{3,4}(?![\w/])/,
  /\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/,
];

/**
 * Words that start a sentence or name a thing rather than a person, so "Customer's health
 * score" or "Team bonus pool" is not read as someone's health or pay.
 */
const NOT_A_NAME = new Set(
  (
    'the a an this that these those our their his her its my your we they it customer customers client clients user users account accounts company ' +
    'team teams project product service system server table column dataset report dashboard model pipeline job metric partner vendor employee ' +
    'employees staff manager managers department store region country segment cohort portfolio fund api database cluster app application'
  ).split(' '),
);
const NAME = String.raw`([A-Z][a-z\u00C0-\u017F]+(?:[ -][A-Z][a-z\u00C0-\u017F]+)?)`;
/**
 * Topics that are a person's own business. Plain "performance" or "health" are not among them:
 * "Snowflake's performance" and "the cluster's health" are what analysts write about all day.
 */
const PERSONAL_TOPIC = String.raw`(?:salary|salaries|pay ?(?:check|rise|raise|cut|grade)|wages?|bonus|compensation|pay|performance (?:review|rating|issues?|problems?|plan)|PIP|illness|sickness|sick leave|diagnosis|medical (?:condition|leave|history)|mental health|pregnancy|therapy|disability|divorce|disciplinary(?: action)?|termination|dismissal)`;
const PERSON_PATTERNS: RegExp[] = [
  // "Jana's salary", "Petr Novák's performance review"
  new RegExp(String.raw`\b${NAME}['’]s ${PERSONAL_TOPIC}\b`, 'g'),
  // "the salary of Jana Nováková", "sick leave for Petr"
  new RegExp(String.raw`\b${PERSONAL_TOPIC} (?:of|for) ${NAME}\b`, 'g'),
  // "Jana is on sick leave", "Petr was diagnosed", "Tomáš earns 80k", "Eva is underperforming"
  new RegExp(
    String.raw`\b${NAME} (?:is|was|has been|got|gets|will be) (?:on (?:sick|medical|maternity|parental) leave|(?:being )?(?:put )?on (?:a )?(?:PIP|performance improvement plan)|diagnosed|pregnant|ill|sick|underperforming|fired|let go|paid|getting a (?:raise|bonus))`,
    'g',
  ),
  new RegExp(String.raw`\b${NAME} (?:earns|makes|is paid) (?:about |around |over |under )?[$€£]?\d`, 'g'),
];

function aboutNamedPerson(text: string): boolean {
  return PERSON_PATTERNS.some((re) =>
    [...text.matchAll(re)].some((m) => {
      const first = m[1].split(/[ -]/)[0].toLowerCase();
      return !NOT_A_NAME.has(first);
    }),
  );
}

/** The verdict on one candidate; the first rule that matches gives the reason. */
export function sensitivityVerdict(c: CandidateText): SensitivityVerdict {
  const text = [c.title, c.content, ...(c.tags ?? [])].join('\n');
  if (REDACTION_MARKER.test(text)) return { safe: false, reason: 'it mentions a secret that was redacted from the note' };
  if (hasSecret(text)) return { safe: false, reason: 'it contains secret-like text (a key, token, password or connection string)' };
  if (personalEmail(text)) return { safe: false, reason: "it contains a person's email address" };
  if (phoneNumber(text)) return { safe: false, reason: 'it contains a phone number' };
  if (iban(text)) return { safe: false, reason: 'it contains a bank account number (IBAN)' };
  if (cardNumber(text)) return { safe: false, reason: 'it contains a payment card number' };
  if (NATIONAL_IDS.some((re) => re.test(text))) return { safe: false, reason: 'it contains a national identification number' };
  if (aboutNamedPerson(text)) return { safe: false, reason: "it is about a named person's pay, performance or health" };
  return { safe: true };
}
