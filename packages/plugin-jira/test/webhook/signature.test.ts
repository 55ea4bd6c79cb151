import { describe, expect, it } from 'vitest';
import { sign } from '../../src/testing/index.js';
import { validSignature } from '../../src/webhook/signature.js';

const body = Buffer.from('{"webhookEvent":"jira:issue_updated","issue":{"key":"SUP-1"}}');
const secret = 's3cret';
const hex = sign(body.toString(), secret);

describe('webhook signatures', () => {
  it('accepts X-Hub-Signature with and without the sha256= prefix, in any case', () => {
    expect(validSignature(body, { 'x-hub-signature': `sha256=${hex}` }, secret)).toBe(true);
    expect(validSignature(body, { 'x-hub-signature': hex }, secret)).toBe(true);
    expect(validSignature(body, { 'x-hub-signature': `SHA256=${hex.toUpperCase()}` }, secret)).toBe(true);
  });

  it('prefers X-Hub-Signature-256 over X-Hub-Signature', () => {
    expect(validSignature(body, { 'x-hub-signature-256': `sha256=${hex}`, 'x-hub-signature': 'sha256=00' }, secret)).toBe(true);
    expect(validSignature(body, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, 'x-hub-signature': `sha256=${hex}` }, secret)).toBe(false);
  });

  it('refuses a missing, malformed or wrong signature, another secret, and one byte changed in the body', () => {
    expect(validSignature(body, {}, secret)).toBe(false);
    expect(validSignature(body, { 'x-hub-signature': 'sha256=' }, secret)).toBe(false);
    expect(validSignature(body, { 'x-hub-signature': `sha256=${hex.slice(2)}` }, secret)).toBe(false);
    expect(validSignature(body, { 'x-hub-signature': `sha256=${hex}` }, 'other')).toBe(false);
    const changed = Buffer.from(body);
    changed[changed.length - 3] = 0x32;
    expect(validSignature(changed, { 'x-hub-signature': `sha256=${hex}` }, secret)).toBe(false);
  });

  it('is computed over the raw bytes: the same JSON re-serialised does not pass', () => {
    const spaced = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(validSignature(spaced, { 'x-hub-signature': `sha256=${hex}` }, secret)).toBe(false);
  });
});
