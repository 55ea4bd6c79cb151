import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  askForCode,
  browser,
  csrfOf,
  eventually,
  getPage,
  postForm,
  status,
  telegramHost,
  telegramUser,
  type Browser,
  type TelegramTestHost,
} from './helpers.js';

let h: TelegramTestHost;
let ada: Browser;

beforeAll(async () => {
  h = await telegramHost();
  ada = await browser(h.t);
  // The box names the bot once it has reached Telegram (getMe runs in the background of the start).
  await eventually(async () => ((await status(ada.api)).bot_username ? true : undefined), 'the bot to connect');
});
afterAll(() => h?.stop());

/** The Telegram box of the dashboard, or undefined when the page has none. */
function box(page: string): string | undefined {
  return /<section class="card" data-panel="telegram"[\s\S]*?<\/section>/.exec(page)?.[0];
}

describe('the Telegram box on the dashboard', () => {
  it('invites an unlinked user to link, naming the bot, with a form for the code', async () => {
    const page = await getPage(h.t, '/dashboard', ada);
    expect(page.status).toBe(200);
    const html = box(page.text);
    expect(html, 'the dashboard has the Telegram box').toBeDefined();
    expect(html).toContain('data-telegram-unlinked');
    expect(html).toContain(`@${h.fake.botUsername}`);
    expect(html).toContain(`href="https://t.me/${h.fake.botUsername}"`);
    expect(html).toMatch(/<form method="post" action="\/telegram\/link"/);
    expect(html).toContain('name="code"');
    expect(html).toContain('name="_csrf"');
    expect(html).not.toContain('action="/telegram/unlink"');
  });

  it('links with the code entered in the box, then shows the linked chat and an Unlink button', async () => {
    const chat = telegramUser('Ada');
    const code = await askForCode(h.fake, chat);
    const page = await getPage(h.t, '/dashboard', ada);
    const res = await postForm(h.t, '/telegram/link', ada, { _csrf: csrfOf(page.text), code });
    expect(res.status).toBe(303);
    expect(res.location).toBe('/dashboard#telegram');

    const html = box((await getPage(h.t, '/dashboard', ada)).text)!;
    expect(html).toContain('data-telegram-linked');
    expect(html).toContain(`@${chat.username}`);
    expect(html).toMatch(/<form method="post" action="\/telegram\/unlink">[\s\S]*data-telegram-unlink[\s\S]*Unlink/);
    expect(await status(ada.api)).toMatchObject({ linked: true });
  });

  it('a wrong code shows the box again with why (400); a form without the CSRF token is refused', async () => {
    const page = await getPage(h.t, '/dashboard', ada);
    const wrong = await postForm(h.t, '/telegram/link', ada, { _csrf: csrfOf(page.text), code: 'ZZZZ-ZZZZ' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('data-telegram-error');
    expect(wrong.text).toContain('invalid, expired or already used');
    expect(box(wrong.text)).toBeDefined();

    const forged = await postForm(h.t, '/telegram/unlink', ada, {});
    expect(forged.status).toBe(403);
    expect(await status(ada.api)).toMatchObject({ linked: true });
  });

  it('Unlink in the box unlinks', async () => {
    const page = await getPage(h.t, '/dashboard', ada);
    const res = await postForm(h.t, '/telegram/unlink', ada, { _csrf: csrfOf(page.text) });
    expect(res.status).toBe(303);
    expect(await status(ada.api)).toMatchObject({ linked: false });
    expect(box((await getPage(h.t, '/dashboard', ada)).text)).toContain('data-telegram-unlinked');
  });

  it('shows a broken link as not delivering, with the form to link again', async () => {
    const grace = await browser(h.t);
    const chat = telegramUser('Grace');
    const code = await askForCode(h.fake, chat);
    const page = await getPage(h.t, '/dashboard', grace);
    expect((await postForm(h.t, '/telegram/link', grace, { _csrf: csrfOf(page.text), code })).status).toBe(303);
    h.fake.block(chat.id);
    const { tokens } = await import('@aida/core');
    await h.t.host.resolve(tokens.notifications).send({ userId: grace.api.user.id, title: 'x', body: 'y', origin: 'test', channels: ['telegram'] });
    const html = box((await getPage(h.t, '/dashboard', grace)).text)!;
    expect(html).toContain('data-telegram-broken');
    expect(html).toContain('bot was blocked by the user');
    expect(html).toContain('action="/telegram/link"');
  });
});
