/**
 * Secret scrubbing: what runs over an analyst's notes before any of their text leaves the host
 * (and before anything is stored). Each secret is replaced by `[REDACTED:<kind>]`; the label
 * in front of it (`password:`, `Bearer`, `postgres://…@host`) stays, so the sentence still
 * reads and a reviewer can see that something was removed.
 *
 * The patterns favour removing too much over leaking: a false positive costs one redacted
 * word (and the item that carries it, which the sensitivity check drops), a false negative a
 * credential in a vendor's logs. Values that look like references rather than secrets
 * (`${DB_PASSWORD}`, `<your key>`, `os.environ[...]`) are left alone.
 */

export const SECRET_KINDS = [
  'private_key',
  'connection_string',
  'jwt',
  'api_key',
  'aws_access_key',
  'github_token',
  'slack_token',
  'bearer_token',
  'basic_auth',
  'password',
  'secret',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

export interface ScrubResult {
  /** The text with every secret replaced by `[REDACTED:<kind>]`. */
  text: string;
  /** How many secrets were replaced. */
  count: number;
  /** The kinds found, each once, in the order of SECRET_KINDS. */
  kinds: SecretKind[];
}

/** What a redaction looks like; the sensitivity check looks for it in candidates. */
export const REDACTION_MARKER = /\[REDACTED(?::[a-z_]+)?\]/i;
const marker = (kind: SecretKind) => `[REDACTED:${kind}]`;

/** A value that names where a secret is instead of being one: `${X}`, `{{x}}`, `<key>`, `%X%`, `env(...)`, asterisks. */
function isReference(value: string): boolean {
  return /^(\$|\{\{|<|%|\*{3,}|\.{3}|x{4,}$|\[REDACTED|env\b|os\.|process\.|getenv|secrets?\.|vault:)/i.test(value);
}

/** Credential-shaped: long enough, and not a plain word (a digit or symbol in it, or very long). */
function looksSecret(value: string, minLength: number): boolean {
  if (value.length < minLength || isReference(value)) return false;
  return /\d/.test(value) || /[^A-Za-z]/.test(value) || value.length >= 20;
}

interface Rule {
  kind: SecretKind;
  pattern: RegExp;
  /** The replacement for one match (default: the whole match becomes the marker); the match itself to keep it. */
  replace?: (match: string, ...groups: string[]) => string;
}

// Assignment separators: `key: v`, `key = v`, `"key": "v"`, `key=>'v'`.
const SEP = String.raw`["']?\s*(?:[:=]|=>)\s*["']?`;
const VALUE = String.raw`[^\s"'\`,;)\]}]+`;

/** Keeps `label` + `sep` and redacts the value when it is credential-shaped. */
const assignment =
  (kind: SecretKind, minLength: number) =>
  (match: string, label: string, sep: string, value: string): string =>
    looksSecret(value, minLength) ? `${label}${sep}${marker(kind)}` : match;

/** In order: the multi-line and structured forms first, so a later rule never sees half of one. */
const RULES: Rule[] = [
  // PEM and PGP private keys (a header followed by key material, not a mention of one); an
  // unterminated block is cut at the next blank line (or the end).
  {
    kind: 'private_key',
    pattern:
      /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----(?=[\s\S]{0,200}?[A-Za-z0-9+/=]{32})[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?=\n[ \t]*\n)|$)/g,
  },
  // user:password@ in any URL (postgres://, mysql://, mongodb+srv://, redis://, amqp://, https://).
  {
    kind: 'connection_string',
    pattern: /\b([a-z][a-z0-9+.-]{1,30}:\/\/)([^\s:/@'"`]+):([^\s@/'"`]+)@(?=[^\s'"`@/]+)/gi,
    replace: (_m, scheme: string) => `${scheme}${marker('connection_string')}@`,
  },
  // JDBC / ADO.NET style: …;password=…, ?password=…&, Pwd=…
  {
    kind: 'connection_string',
    pattern: /((?:jdbc:[a-z0-9]+:[^\s'"`]*?|(?:Server|Data Source|Host)=[^\n'"`]*?)[?&;]\s*(?:password|pwd)\s*=\s*)([^&;\s'"`]+)/gi,
    replace: (m, head: string, value: string) => (isReference(value) ? m : `${head}${marker('connection_string')}`),
  },
  // JWTs: three base64url segments, the header starting `eyJ` (`{"`).
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  // Vendor keys with a recognisable prefix.
  { kind: 'api_key', pattern: /\bsk-(?:ant-|proj-|svcacct-|live-|test-)?[A-Za-z0-9_-]{16,}/g },
  { kind: 'api_key', pattern: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'api_key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: 'aws_access_key', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g },
  { kind: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { kind: 'slack_token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  // Authorization headers.
  {
    kind: 'bearer_token',
    pattern: /\b(Bearer|Token)(\s+)((?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{16,}=*)/g,
    replace: (_m, word: string, space: string) => `${word}${space}${marker('bearer_token')}`,
  },
  {
    kind: 'basic_auth',
    pattern: /(Authorization["']?\s*[:=]\s*["']?Basic\s+)([A-Za-z0-9+/]{8,}={0,2})/gi,
    replace: (_m, head: string) => `${head}${marker('basic_auth')}`,
  },
  // `api_key = …`, `X-Api-Key: …`, `apikey=…`.
  {
    kind: 'api_key',
    pattern: new RegExp(String.raw`((?:x-)?api[_-]?key|apikey|api[_-]?secret)(${SEP})(${VALUE})`, 'gi'),
    replace: assignment('api_key', 8),
  },
  // `password: …`, `DB_PASSWORD=…`, `pwd=…`, `"passphrase": "…"`.
  {
    kind: 'password',
    pattern: new RegExp(String.raw`([A-Za-z0-9_]*(?:password|passwd|passphrase|pwd)[A-Za-z0-9_]*)((?:\s+is)?${SEP})(${VALUE})`, 'gi'),
    replace: (match: string, label: string, sep: string, value: string) =>
      // A password is often a plain word: in config syntax (`=`, quotes) or when long, any value counts.
      value.length >= 4 && !isReference(value) && (/[="']/.test(sep) || value.length >= 12 || looksSecret(value, 4))
        ? `${label}${sep}${marker('password')}`
        : match,
  },
  // `client_secret: …`, `access_token=…`, `token: …`, `aws_secret_access_key = …`.
  {
    kind: 'secret',
    pattern: new RegExp(String.raw`([A-Za-z0-9_]*(?:secret|token|private[_-]?key|credentials?)[A-Za-z0-9_]*)(${SEP})(${VALUE})`, 'gi'),
    replace: assignment('secret', 10),
  },
];

/** `text` with every secret replaced by `[REDACTED:<kind>]`, and what was found. */
export function scrubSecrets(text: string): ScrubResult {
  let out = text;
  let count = 0;
  const found = new Set<SecretKind>();
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      // The replacer's trailing arguments are the offset, the whole string (and named groups): keep the captures only.
      const groups = rest.slice(0, -2).map((g) => (typeof g === 'string' ? g : ''));
      const next = rule.replace ? rule.replace(match, ...groups) : marker(rule.kind);
      if (next !== match) {
        count++;
        found.add(rule.kind);
      }
      return next;
    });
  }
  return { text: out, count, kinds: SECRET_KINDS.filter((k) => found.has(k)) };
}

/** Whether `text` still holds something secret-shaped (after scrubbing, nothing should). */
export function hasSecret(text: string): boolean {
  return scrubSecrets(text).count > 0;
}
