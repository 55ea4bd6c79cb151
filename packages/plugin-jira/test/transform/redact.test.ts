// Credential parameters in URLs are blanked before text ships to laptops; nothing else changes.
import { describe, expect, it } from 'vitest';
import { REDACTED, isCredentialParam, redactJson, redactText } from '../../src/transform/redact.js';

describe('redactText', () => {
  it.each([
    'access_token',
    'X-Amz-Security-Token',
    'jwt',
    'client_secret',
    'password',
    'db_passwd',
    'X-Amz-Signature',
    'X-Amz-Credential',
    'apikey',
    'api_key',
    'API-KEY',
    'TOKEN',
  ])('blanks %s, a name that contains a credential word', (name) => {
    expect(redactText(`https://files.example.com/a.pdf?${name}=s3cr3t&v=2`)).toBe(`https://files.example.com/a.pdf?${name}=${REDACTED}&v=2`);
  });

  it.each(['tok', 'sig', 'key', 'pin', 'auth', 'code', 'sdata', 'KEY', 'Sig'])('blanks %s only as the whole name', (name) => {
    expect(redactText(`https://x.example.com/cb?${name}=abc123`)).toBe(`https://x.example.com/cb?${name}=${REDACTED}`);
  });

  it.each(['keyboard', 'monkey', 'spin', 'author', 'barcode', 'sdatabase', 'design', 'bytes'])('leaves %s alone', (name) => {
    const url = `https://x.example.com/p?${name}=1`;
    expect(redactText(url)).toBe(url);
  });

  it('blanks fragment parameters, including after a hash route', () => {
    expect(redactText('https://app.example.com/cb#access_token=eyJabc&state=xyz&expires_in=3600')).toBe(
      `https://app.example.com/cb#access_token=${REDACTED}&state=xyz&expires_in=3600`,
    );
    expect(redactText('https://app.example.com/#/reset?token=abc&lang=en')).toBe(`https://app.example.com/#/reset?token=${REDACTED}&lang=en`);
  });

  it('blanks a parameter of an unencoded URL nested in another parameter', () => {
    expect(redactText('https://sso.example.com/login?next=/cb?code=4/0Ab&x=1')).toBe(`https://sso.example.com/login?next=/cb?code=${REDACTED}&x=1`);
  });

  it('keeps the prose around URLs byte for byte, including the brackets and punctuation that close them', () => {
    const prose = 'Download (https://cdn.example.com/f?sig=AbC%2B&se=2024) or https://cdn.example.com/g?key=k1. Thanks!\n\tNext line: ok';
    expect(redactText(prose)).toBe(
      `Download (https://cdn.example.com/f?sig=${REDACTED}&se=2024) or https://cdn.example.com/g?key=${REDACTED}. Thanks!\n\tNext line: ok`,
    );
  });

  it('changes nothing in text without credential parameters', () => {
    const text = 'No secrets at https://example.com/path?q=token+reset&page=2#section, token=abc outside a URL, ?key=x without a scheme.';
    expect(redactText(text)).toBe(text);
  });

  it('leaves empty values and names without a value as they are', () => {
    const url = 'https://example.com/?token=&password&x=1';
    expect(redactText(url)).toBe(url);
  });

  it('redacts every URL in a text, whatever the scheme', () => {
    expect(redactText('a https://a.test/?jwt=1 b postgres://db.test/x?password=pw c')).toBe(
      `a https://a.test/?jwt=${REDACTED} b postgres://db.test/x?password=${REDACTED} c`,
    );
  });
});

describe('isCredentialParam', () => {
  it('reads percent-encoded names', () => {
    expect(isCredentialParam('access%5Ftoken')).toBe(true);
    expect(isCredentialParam('%E0%A4%A')).toBe(false);
  });
});

describe('redactJson', () => {
  it('redacts strings anywhere in a JSON value and keeps its structure and other types', () => {
    const value = { url: 'https://x.test/?token=a', nested: [{ link: 'see https://y.test/?sig=b', n: 3 }], ok: true, none: null };
    expect(redactJson(value)).toEqual({
      url: `https://x.test/?token=${REDACTED}`,
      nested: [{ link: `see https://y.test/?sig=${REDACTED}`, n: 3 }],
      ok: true,
      none: null,
    });
  });
});
