// Credential-bearing URL parameters are blanked before text leaves for analysts' laptops
// (upstream #1481): a signed attachment link or an OAuth callback pasted into a comment must not
// ship its token. Only the values of matching query or fragment parameters change; every other
// byte of the text stays as it was.

export const REDACTED = 'REDACTED';

/** Names that give a credential away anywhere inside them (`client_secret`, `X-Amz-Signature`). */
const SUBSTRING_NAMES = ['token', 'jwt', 'secret', 'password', 'passwd', 'signature', 'credential', 'apikey'];
/** Names too short to match inside others (`key` but not `keyboard`, `sig` but not `design`). */
const WHOLE_NAMES = new Set(['tok', 'sig', 'key', 'pin', 'auth', 'code', 'sdata']);

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"'`]+/gi;
// A parameter starts after `?`, `&` or `#` and its value runs to the next `&` or `#`; a `?` inside
// a fragment (`#/route?token=…`) starts parameters too.
const PARAM = /([?&#])([^?&#=]*)=([^&#]*)/g;
const TRAILING_PUNCTUATION = /[.,;:!?'"]/;
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** True when a parameter of this name carries a credential (case-insensitive; `api_key` counts as `apikey`). */
export function isCredentialParam(rawName: string): boolean {
  const name = decodeName(rawName).toLowerCase();
  if (WHOLE_NAMES.has(name)) return true;
  const squashed = name.replace(/[-_.]/g, '');
  return SUBSTRING_NAMES.some((s) => squashed.includes(s));
}

/** The text with the values of credential parameters in every URL it contains replaced by REDACTED. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    const url = withoutTrailingPunctuation(match);
    return redactUrl(url) + match.slice(url.length);
  });
}

/** Redaction of every string inside a JSON value (a refresh field), keeping its structure. */
export function redactJson(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactJson);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactJson(v)]));
  return value;
}

function redactUrl(url: string): string {
  const start = url.search(/[?#]/);
  return start < 0 ? url : url.slice(0, start) + redactParams(url.slice(start));
}

function redactParams(part: string): string {
  return part.replace(PARAM, (whole: string, separator: string, name: string, value: string) => {
    if (value === '') return whole;
    if (isCredentialParam(name)) return `${separator}${name}=${REDACTED}`;
    // An unencoded URL inside a value (`next=/login?token=…`) has parameters of its own.
    const nested = value.indexOf('?');
    return nested < 0 ? whole : `${separator}${name}=${value.slice(0, nested)}${redactParams(value.slice(nested))}`;
  });
}

/** The URL without the sentence punctuation or unmatched closing bracket that follows it in prose. */
function withoutTrailingPunctuation(url: string): string {
  let end = url.length;
  for (;;) {
    const last = url[end - 1];
    const opener = CLOSERS[last];
    const unmatched = opener !== undefined && count(url.slice(0, end), last) > count(url.slice(0, end), opener);
    if (end > 1 && (TRAILING_PUNCTUATION.test(last) || unmatched)) end--;
    else return url.slice(0, end);
  }
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
