// ADF bodies become plain text an analyst (or an agent) can read: one line per block, link
// targets kept inline, and no malformed node can stop the walk.
import { describe, expect, it } from 'vitest';
import { adfToText } from '../../src/transform/adf.js';

const doc = (...content: unknown[]) => ({ type: 'doc', version: 1, content });
const p = (...content: unknown[]) => ({ type: 'paragraph', content });
const text = (t: string, marks?: unknown[]) => (marks ? { type: 'text', text: t, marks } : { type: 'text', text: t });
const link = (href: string) => ({ type: 'link', attrs: { href } });
const item = (...content: unknown[]) => ({ type: 'listItem', content });

describe('adfToText', () => {
  it('puts paragraphs, headings, code lines, quotes and table cells on their own lines', () => {
    const body = doc(
      { type: 'heading', attrs: { level: 2 }, content: [text('Impact')] },
      p(text('First line'), { type: 'hardBreak' }, text('second line')),
      { type: 'codeBlock', attrs: { language: 'sql' }, content: [text('select 1;\nselect 2;')] },
      { type: 'blockquote', content: [p(text('quoted'))] },
      { type: 'rule' },
      {
        type: 'table',
        content: [
          {
            type: 'tableRow',
            content: [
              { type: 'tableHeader', content: [p(text('Region'))] },
              { type: 'tableHeader', content: [p(text('Orders'))] },
            ],
          },
          {
            type: 'tableRow',
            content: [
              { type: 'tableCell', content: [p(text('EU'))] },
              { type: 'tableCell', content: [p(text('42'))] },
            ],
          },
        ],
      },
    );
    expect(adfToText(body)).toBe(['Impact', 'First line', 'second line', 'select 1;', 'select 2;', 'quoted', 'Region', 'Orders', 'EU', '42'].join('\n'));
  });

  it('writes a link mark as its anchor text followed by the URL, or just the URL when they are the same', () => {
    const body = doc(
      p(text('See the '), text('runbook', [link('https://wiki.example.com/runbook')]), text(' first.')),
      p(text('https://status.example.com', [link('https://status.example.com')])),
    );
    expect(adfToText(body)).toBe('See the runbook (https://wiki.example.com/runbook) first.\nhttps://status.example.com');
  });

  it('keeps one anchor for a link whose text is split by other marks', () => {
    const href = 'https://example.com/doc';
    const body = doc(
      p(
        text('the ', [link(href)]),
        text('whole', [{ type: 'strong' }, link(href)]),
        text(' doc', [link(href)]),
        text(' and '),
        text('another', [link('https://x.test')]),
      ),
    );
    expect(adfToText(body)).toBe(`the whole doc (${href}) and another (https://x.test)`);
  });

  it('renders smart cards as their bare URL, inline and as blocks', () => {
    const body = doc(
      p(text('Related: '), { type: 'inlineCard', attrs: { url: 'https://acme.atlassian.net/browse/OPS-7' } }, text(' today')),
      { type: 'blockCard', attrs: { url: 'https://acme.atlassian.net/wiki/spaces/OPS/pages/1' } },
      { type: 'embedCard', attrs: { layout: 'center', url: 'https://www.youtube.com/watch?v=abc' } },
      p({ type: 'inlineCard', attrs: { data: { '@type': 'Document', url: 'https://docs.example.com/a' } } }),
    );
    expect(adfToText(body)).toBe(
      [
        'Related: https://acme.atlassian.net/browse/OPS-7 today',
        'https://acme.atlassian.net/wiki/spaces/OPS/pages/1',
        'https://www.youtube.com/watch?v=abc',
        'https://docs.example.com/a',
      ].join('\n'),
    );
  });

  it('writes mentions as @name, emoji as their character or short name, status lozenges and dates as text', () => {
    const body = doc(
      p(
        { type: 'mention', attrs: { id: '5b10ac8d82e05b22cc7d4ef5', text: '@Jane Doe', accessLevel: '' } },
        text(' and '),
        { type: 'mention', attrs: { id: '5b10a2844c20165700ede21g', text: 'Bob' } },
        text(' '),
        { type: 'emoji', attrs: { shortName: ':grinning:', id: '1f600', text: '😀' } },
        { type: 'emoji', attrs: { shortName: ':party-parrot:', id: 'atlassian-party' } },
        text(' '),
        { type: 'status', attrs: { text: 'BLOCKED', color: 'red', localId: 'x' } },
        text(' until '),
        { type: 'date', attrs: { timestamp: String(Date.UTC(2024, 4, 31)) } },
      ),
    );
    expect(adfToText(body)).toBe('@Jane Doe and @Bob 😀:party-parrot: BLOCKED until 2024-05-31');
  });

  it('walks past media nodes whose attrs are malformed (upstream #1483)', () => {
    const body = doc(
      { type: 'mediaSingle', content: [{ type: 'media', attrs: null }] },
      {
        type: 'mediaGroup',
        content: [
          { type: 'media', attrs: 'oops' },
          { type: 'media', attrs: ['x'] },
          { type: 'media', attrs: { type: 'external', url: 42 } },
          { type: 'media' },
        ],
      },
      { type: 'mediaSingle', content: [{ type: 'media', attrs: { type: 'external', url: 'https://img.example.com/a.png' } }] },
      { type: 'mediaSingle', content: [{ type: 'media', attrs: { type: 'file', id: 'abc', collection: '', alt: 'screenshot.png' } }] },
      p(text('after the media'), { type: 'mediaInline', attrs: 7 }),
    );
    expect(adfToText(body)).toBe('https://img.example.com/a.png\nscreenshot.png\nafter the media');
  });

  it('marks list items and indents nested lists under their item', () => {
    const body = doc({
      type: 'bulletList',
      content: [
        item(p(text('Check the export')), { type: 'orderedList', attrs: { order: 3 }, content: [item(p(text('open logs'))), item(p(text('rerun')))] }),
        item(p(text('Tell the team'))),
      ],
    });
    expect(adfToText(body)).toBe(['- Check the export', '  3. open logs', '  4. rerun', '- Tell the team'].join('\n'));
  });

  it('passes v2 plain text through and maps null or non-documents to null', () => {
    expect(adfToText('plain *wiki* text')).toBe('plain *wiki* text');
    expect(adfToText(null)).toBeNull();
    expect(adfToText(undefined)).toBeNull();
    expect(adfToText(42)).toBeNull();
  });

  it('ignores children that are not nodes and content that is not a list', () => {
    const body = {
      type: 'doc',
      version: 1,
      content: [null, 5, 'x', p(text('kept')), { type: 'paragraph', content: 'nope' }, { type: 'panel', content: [p({ type: 'text', text: 9 })] }],
    };
    expect(adfToText(body)).toBe('kept');
  });
});
