import { describe, expect, it } from 'vitest';
import { REDACTION_MARKER, hasSecret, scrubSecrets, type SecretKind } from '../../src/extract/scrub.js';

// Secrets assembled at run time, so no scanner mistakes this file for a leak.
const b64 = (n: number, seed = 'Qx7') => (seed + 'aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz').repeat(8).slice(0, n);
const jwt = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFuYSJ9.${b64(43)}`;
const pem = ['-----BEGIN RSA PRIVATE KEY-----', b64(64), b64(64, 'Zz9'), '-----END RSA PRIVATE KEY-----'].join('\n');

/** Each positive: the note text, the kind it must be reported as, and the secret that must be gone. */
const positives: { text: string; kind: SecretKind; secret: string }[] = [
  { text: `Use ANTHROPIC_API_KEY=sk-ant-api03-${b64(40)} for the demo`, kind: 'api_key', secret: b64(40) },
  { text: `openai: sk-proj-${b64(32)}`, kind: 'api_key', secret: b64(32) },
  { text: `stripe key sk_live_${b64(24)}`, kind: 'api_key', secret: b64(24) },
  { text: `aws key AKIA${'ABCDEFGHIJKLMNOP'} in eu-west-1`, kind: 'aws_access_key', secret: 'AKIAABCDEFGHIJKLMNOP' },
  { text: `clone with ghp_${b64(36)}`, kind: 'github_token', secret: b64(36) },
  { text: `fine-grained github_pat_${b64(30)}`, kind: 'github_token', secret: b64(30) },
  { text: `slack bot xoxb-1234567890-${b64(24)}`, kind: 'slack_token', secret: b64(24) },
  { text: `config: api_key: ${b64(20)}3`, kind: 'api_key', secret: `${b64(20)}3` },
  { text: `curl -H "X-Api-Key: k3y${b64(18)}" https://api.example.com`, kind: 'api_key', secret: `k3y${b64(18)}` },
  { text: `headers {"apikey": "9f8e7d6c5b4a39281706"}`, kind: 'api_key', secret: '9f8e7d6c5b4a39281706' },
  { text: `Authorization: Bearer ${b64(32)}`, kind: 'bearer_token', secret: b64(32) },
  { text: `Authorization: Basic YW5hOmh1bnRlcjI=`, kind: 'basic_auth', secret: 'YW5hOmh1bnRlcjI=' },
  { text: 'password: Summer2024!', kind: 'password', secret: 'Summer2024!' },
  { text: 'DB_PASSWORD=correcthorse', kind: 'password', secret: 'correcthorse' },
  { text: 'mysql -u ana pwd=s3cr3t', kind: 'password', secret: 's3cr3t' },
  { text: '{"passphrase": "purple monkey"}', kind: 'password', secret: 'purple' },
  { text: 'the vpn password is: longpassphraseword', kind: 'password', secret: 'longpassphraseword' },
  { text: 'connect to postgres://etl:Pa55word@db.internal:5432/sales', kind: 'connection_string', secret: 'Pa55word' },
  { text: 'atlas: mongodb+srv://reporting:hunter2@cluster0.abcde.mongodb.net/app', kind: 'connection_string', secret: 'hunter2' },
  { text: 'jdbc:postgresql://db:5432/dwh?user=etl&password=Xy9secret', kind: 'connection_string', secret: 'Xy9secret' },
  { text: 'jdbc:sqlserver://sql1:1433;databaseName=dwh;user=sa;password=Tr0ub4dor', kind: 'connection_string', secret: 'Tr0ub4dor' },
  { text: 'Server=tcp:sql1;Database=dwh;User Id=sa;Password=Tr0ub4dor&3;', kind: 'connection_string', secret: 'Tr0ub4dor' },
  { text: `debug token ${jwt} from the browser`, kind: 'jwt', secret: jwt.split('.')[2] },
  { text: `key:\n${pem}\nend`, kind: 'private_key', secret: b64(64, 'Zz9') },
  { text: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64(70)}\n\nafter`, kind: 'private_key', secret: b64(70) },
  { text: `client_secret: "${b64(30)}"`, kind: 'secret', secret: b64(30) },
  { text: `aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, kind: 'secret', secret: 'wJalrXUtnFEMI' },
  { text: `Keboola storage token: 1234-567890-${b64(30)}`, kind: 'secret', secret: b64(30) },
];

/** Text that must come through unchanged: prose about secrets, SQL, URLs without credentials, numbers. */
const negatives = [
  'Revenue is net of refunds: use `orders.net_amount`, never `gross_amount`.',
  'Passwords: rotate them every 90 days and keep them in 1Password.',
  'Ask IT for the password: see the onboarding page.',
  'The API key lives in the vault; never paste it into notes.',
  'Set the api_key from ${KEBOOLA_TOKEN} or os.environ["KEBOOLA_TOKEN"].',
  'password: <your password>',
  'password = ${DB_PASSWORD}',
  "SELECT user_id, password_hash FROM auth.users WHERE token_type = 'refresh' AND api_key IS NULL;",
  "SELECT count(*) FROM events WHERE created_at >= DATE '2024-01-01' GROUP BY 1",
  'Dashboards: https://app.keboola.com/admin/projects/1234/storage and http://localhost:8080/health',
  'Connect to postgres://db.internal:5432/sales (credentials from the vault).',
  'Links like https://host:8080/a?email=ana@example.com are fine',
  'max_tokens: 4096, token_budget = 6000, tokens: 120000',
  'The bearer of bad news is the Bearer Authentication scheme in RFC 6750.',
  'Basic understanding of SQL is expected.',
  'Use the secret: always filter by `deleted_at IS NULL`.',
  'JWTs look like eyJ… but this note has none.',
  'Private keys (-----BEGIN PRIVATE KEY-----) must never be committed.',
  'The sk-learn package is spelled scikit-learn.',
  'Call the AKIA-prefixed keys "access key ids".',
];

describe('scrubSecrets', () => {
  it.each(positives)('redacts $kind in: $text', ({ text, kind, secret }) => {
    const out = scrubSecrets(text);
    expect(out.text).not.toContain(secret);
    expect(out.text).toContain(`[REDACTED:${kind}]`);
    expect(out.kinds).toContain(kind);
    expect(out.count).toBeGreaterThanOrEqual(1);
    expect(REDACTION_MARKER.test(out.text)).toBe(true);
  });

  it.each(negatives)('leaves alone: %s', (text) => {
    const out = scrubSecrets(text);
    expect(out.text).toBe(text);
    expect(out.count).toBe(0);
    expect(out.kinds).toEqual([]);
  });

  it('keeps the labels and the rest of the sentence, counts each secret, and reports each kind once', () => {
    const text = [
      'Warehouse: postgres://etl:Pa55word@db.internal:5432/sales',
      'Backup: postgres://bak:0ther-pass@db2.internal/sales',
      `Auth header: Bearer ${b64(32)}`,
      'Remember: revenue is net of refunds.',
    ].join('\n');
    const out = scrubSecrets(text);
    expect(out.text).toBe(
      [
        'Warehouse: postgres://[REDACTED:connection_string]@db.internal:5432/sales',
        'Backup: postgres://[REDACTED:connection_string]@db2.internal/sales',
        'Auth header: Bearer [REDACTED:bearer_token]',
        'Remember: revenue is net of refunds.',
      ].join('\n'),
    );
    expect(out.count).toBe(3);
    expect(out.kinds).toEqual(['connection_string', 'bearer_token']);
  });

  it('a whole private key block goes, and scrubbing twice changes nothing more', () => {
    const once = scrubSecrets(`before\n${pem}\nafter`);
    expect(once.text).toBe('before\n[REDACTED:private_key]\nafter');
    const twice = scrubSecrets(once.text);
    expect(twice.text).toBe(once.text);
    expect(twice.count).toBe(0);
  });

  it('hasSecret tells secret-shaped text from prose', () => {
    expect(hasSecret(`token=${b64(24)}`)).toBe(true);
    expect(hasSecret('Passwords must be rotated.')).toBe(false);
  });
});
