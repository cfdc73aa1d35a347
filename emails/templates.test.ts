import { describe, expect, it } from 'vitest';
import { LOCALES, type Locale } from '@/db/schema/columns';
import { renderEmail } from '@/lib/email/render';
import { EMAIL_TEMPLATE_NAMES, emailTemplates, type EmailTemplateName } from '.';
import { formatDateTime, greetingName } from './layout';

// The link each template must carry, as a button and as plain text.
const linkProp = {
  invitation: 'registrationUrl',
  'password-reset': 'resetUrl',
  'password-changed': 'forgotPasswordUrl',
  'member-added': 'signInUrl',
  'import-finished': 'resultsUrl',
} as const satisfies Record<EmailTemplateName, string>;

/**
 * The facts each template must state, in both parts, from its preview props: tenant, inviter,
 * expiry or time of change, counts.
 */
const keyFacts: Record<EmailTemplateName, Record<Locale, string[]>> = {
  invitation: {
    en: ['Acme Corporation', 'Hanako Yamada', 'April 8, 2030 at 9:30 AM UTC'],
    ja: ['Acme Corporation', 'Hanako Yamada', '2030年4月8日 18:30 JST'],
  },
  'member-added': { en: ['Acme Corporation', 'Hanako Yamada'], ja: ['Acme Corporation', 'Hanako Yamada'] },
  'password-reset': { en: ['April 1, 2030 at 10:00 AM UTC'], ja: ['2030年4月1日 19:00 JST'] },
  'password-changed': {
    en: ['alex.morgan@acme.example', 'April 1, 2030 at 10:12 AM UTC', 'Acme Corporation'],
    ja: ['alex.morgan@acme.example', '2030年4月1日 19:12 JST', 'Acme Corporation'],
  },
  'import-finished': { en: ['Acme Corporation', 'people.xlsx', '11,840', '12,500'], ja: ['Acme Corporation', 'people.xlsx', '11,840', '12,500'] },
};

const previewLink = (name: EmailTemplateName) => String((emailTemplates[name].previewProps as Record<string, unknown>)[linkProp[name]]);

describe('email templates', () => {
  it('registers every template with a link prop', () => {
    expect([...EMAIL_TEMPLATE_NAMES].sort()).toEqual(Object.keys(linkProp).sort());
  });

  for (const name of EMAIL_TEMPLATE_NAMES) {
    for (const locale of LOCALES) {
      it(`renders ${name} in ${locale}: key facts, button and plain link in HTML and text`, async () => {
        const link = previewLink(name);
        const email = await renderEmail(name, locale, emailTemplates[name].previewProps);

        expect(email.subject.length).toBeGreaterThan(0);
        expect(email.html).toContain(`lang="${locale}"`);
        for (const fact of keyFacts[name][locale]) {
          expect(email.html, fact).toContain(fact);
          expect(email.text, fact).toContain(fact);
        }
        // The button and the same URL as visible text (for clients that strip buttons).
        expect(email.html.match(new RegExp(`href="${escapeRegExp(link)}"`, 'g'))).toHaveLength(2);
        expect(email.html).toContain(`>${link}</a>`);
        // Text: the button's label on its own line, then the URL alone on the next.
        const label = locale === 'ja' ? /\n\n[^\n]+：\n/ : /\n\n[^\n]+:\n/;
        expect(email.text).toMatch(new RegExp(`${label.source}${escapeRegExp(link)}\n`));
        // The text part is real text, not markup, and starts with the heading (no logo, no preview padding).
        expect(email.text).not.toMatch(/<\/?(html|body|table|tr|td|a|p|div)\b/);
        expect(email.text).not.toMatch(/\n{3,}/);
        expect(email.text).not.toMatch(/[\u200c\u00a0\u034f\u2007\u00ad]/);
        expect(email.text.split('\n')[0]).not.toBe('Tenantry');
        if (locale === 'ja') expect(email.subject + email.text).toMatch(/[\u3040-\u30ff]/);
        else expect(email.subject + email.text).not.toMatch(/[\u3040-\u30ff]/);
      });
    }
  }

  it('writes facts as "Label: value" lines in the text part', async () => {
    const props = emailTemplates.invitation.previewProps;
    const en = await renderEmail('invitation', 'en', props);
    expect(en.text).toContain('\n\nTenant: Acme Corporation\nInvited by: Hanako Yamada\nLink expires: April 8, 2030 at 9:30 AM UTC\n\n');
    expect(en.text).toContain('\n\nAccept the invitation:\nhttps://tenantry.example.com/register/');
    const ja = await renderEmail('invitation', 'ja', props);
    expect(ja.text).toContain('\n\nテナント：Acme Corporation\n招待者：Hanako Yamada\n有効期限：2030年4月8日 18:30 JST\n\n');
    expect(ja.text).toContain('\n\n招待を承諾する：\nhttps://tenantry.example.com/register/');
  });

  it('formats dates for the locale, with the time zone named', () => {
    const date = new Date('2026-11-28T14:05:00Z');
    expect(formatDateTime(date, 'en')).toBe('November 28, 2026 at 2:05 PM UTC');
    expect(formatDateTime(date, 'ja')).toBe('2026年11月28日 23:05 JST');
    expect(formatDateTime(date, 'en', 'America/New_York')).toBe('November 28, 2026 at 9:05 AM EST');
    expect(formatDateTime(date, 'ja', 'UTC')).toBe('2026年11月28日 14:05 UTC');
  });

  it('names the invitation expiry in the recipient time zone when given', async () => {
    const props = { ...emailTemplates.invitation.previewProps, expiresAt: new Date('2030-04-08T09:30:00Z'), timeZone: 'Europe/Berlin' };
    expect((await renderEmail('invitation', 'en', props)).text).toContain('Link expires: April 8, 2030 at 11:30 AM GMT+2');
    await expect(renderEmail('invitation', 'en', { ...props, timeZone: 'Mars/Olympus' })).rejects.toThrow();
  });

  it('says who invited, or that the tenant did when nobody did (imports)', async () => {
    const props = emailTemplates.invitation.previewProps;
    const en = await renderEmail('invitation', 'en', props);
    expect(en.subject).toBe('Hanako Yamada invited you to Acme Corporation on Tenantry');
    expect(en.text).toContain('Hanako Yamada has invited you to join Acme Corporation on Tenantry.');
    const ja = await renderEmail('invitation', 'ja', props);
    expect(ja.subject).toBe('Hanako Yamadaさんから Tenantry の「Acme Corporation」への招待が届いています');

    const byTenant = { ...props, inviterName: props.tenantName };
    const en2 = await renderEmail('invitation', 'en', byTenant);
    expect(en2.subject).toBe('You are invited to join Acme Corporation on Tenantry');
    expect(en2.text).toContain('You have been invited to join Acme Corporation on Tenantry.');
    expect(en2.text).not.toContain('Invited by');
    const ja2 = await renderEmail('invitation', 'ja', byTenant);
    expect(ja2.text).toContain('Tenantry の「Acme Corporation」に招待されました。');
    expect(ja2.text).not.toContain('さんから');
    const added = await renderEmail('member-added', 'ja', { ...emailTemplates['member-added'].previewProps, inviterName: 'Acme Corporation' });
    expect(added.text).toContain('Tenantry の「Acme Corporation」に追加されました。');
    expect(added.text).not.toContain('追加した管理者');
  });

  it('greets by first name, and by full name with 様 in Japanese', async () => {
    expect(greetingName({ firstName: 'Taro', lastName: 'Yamada' }, 'en')).toBe('Taro');
    expect(greetingName({ firstName: '太郎', lastName: '山田' }, 'ja')).toBe('山田 太郎');
    expect(greetingName({ firstName: ' ', lastName: '' }, 'en')).toBeUndefined();
    const props = { ...emailTemplates['password-reset'].previewProps, recipientName: '山田 太郎' };
    expect((await renderEmail('password-reset', 'ja', props)).text).toContain('\n\n山田 太郎 様\n\n');
    const nameless = { ...emailTemplates['password-reset'].previewProps, recipientName: undefined };
    expect((await renderEmail('password-reset', 'en', nameless)).text).not.toContain('Hello');
  });

  it('escapes user-provided values in HTML and keeps them literal in the text part', async () => {
    const evil = '<script>alert(1)</script> & "Co"';
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;';
    const cases: { name: EmailTemplateName; props: object }[] = [
      { name: 'invitation', props: { ...emailTemplates.invitation.previewProps, tenantName: evil, inviterName: `${evil}!`, recipientName: evil } },
      { name: 'member-added', props: { ...emailTemplates['member-added'].previewProps, tenantName: evil, inviterName: `${evil}!` } },
      { name: 'password-reset', props: { ...emailTemplates['password-reset'].previewProps, recipientName: evil } },
      { name: 'password-changed', props: { ...emailTemplates['password-changed'].previewProps, tenantNames: [evil], recipientName: evil } },
      { name: 'import-finished', props: { ...emailTemplates['import-finished'].previewProps, tenantName: evil, fileName: `${evil}.xlsx` } },
    ];
    for (const { name, props } of cases) {
      for (const locale of LOCALES) {
        const email = await renderEmail(name, locale, props);
        expect(email.html, `${name} ${locale}`).not.toMatch(/<script/i);
        expect(email.html, `${name} ${locale}`).toContain(escaped);
        expect(email.text, `${name} ${locale}`).toContain(evil);
      }
    }
  });

  it('rejects props that do not fit the template', async () => {
    await expect(
      renderEmail('invitation', 'en', { ...emailTemplates.invitation.previewProps, registrationUrl: 'javascript:alert(1)' }),
    ).rejects.toThrow();
    await expect(renderEmail('invitation', 'en', { ...emailTemplates.invitation.previewProps, tenantName: '' })).rejects.toThrow();
    await expect(renderEmail('password-reset', 'en', { resetUrl: 'https://x.test/r' })).rejects.toThrow();
    const changed = emailTemplates['password-changed'].previewProps;
    await expect(renderEmail('password-changed', 'en', { ...changed, method: 'guess' })).rejects.toThrow();
    await expect(renderEmail('password-changed', 'en', { ...changed, email: 'not an address' })).rejects.toThrow();
    await expect(renderEmail('password-changed', 'en', { ...changed, forgotPasswordUrl: 'data:text/html,hi' })).rejects.toThrow();
    await expect(renderEmail('password-changed', 'en', { ...changed, tenantNames: Array(21).fill('T') })).rejects.toThrow();
  });

  it('survives a jsonb round trip (dates come back as strings)', async () => {
    for (const name of EMAIL_TEMPLATE_NAMES) {
      const stored: unknown = JSON.parse(JSON.stringify(emailTemplates[name].previewProps));
      const before = await renderEmail(name, 'en', emailTemplates[name].previewProps);
      expect((await renderEmail(name, 'en', stored)).text).toBe(before.text);
    }
  });
});

describe('password-changed email', () => {
  const props = emailTemplates['password-changed'].previewProps;

  it('says when and how, and what to do if it was not them, in English', async () => {
    const email = await renderEmail('password-changed', 'en', props);
    expect(email.subject).toBe('Your Tenantry password was reset');
    expect(email.text).toContain('Your password was changed');
    expect(email.text).toContain('Hello Alex,');
    expect(email.text).toContain(
      'Account: alex.morgan@acme.example\nChanged: April 1, 2030 at 10:12 AM UTC\nHow: With a password reset link\nTenant: Acme Corporation',
    );
    expect(email.text).toContain('devices signed in before the change were signed out');
    expect(email.text).toContain(
      "Didn't change your password? Someone else may know it. Reset it now and tell the administrators of Acme Corporation.",
    );
    expect(email.text).toContain('Reset your password:\nhttps://tenantry.example.com/forgot-password');
  });

  it('says the same in Japanese', async () => {
    const email = await renderEmail('password-changed', 'ja', props);
    expect(email.subject).toBe('Tenantry のパスワードが再設定されました');
    expect(email.text).toContain('パスワードが変更されました');
    expect(email.text).toContain('アカウント：alex.morgan@acme.example\n変更日時：2030年4月1日 19:12 JST\n変更方法：パスワード再設定リンク\nテナント：「Acme Corporation」');
    expect(email.text).toContain('すぐにパスワードを再設定し、「Acme Corporation」の管理者に連絡してください。');
    expect(email.text).toContain('パスワードを再設定する：\nhttps://tenantry.example.com/forgot-password');
  });

  it('words a change by the user, several tenants, and none', async () => {
    const changed = { ...props, method: 'change' as const, tenantNames: ['Acme Corporation', 'Globex'] };
    const en = await renderEmail('password-changed', 'en', changed);
    expect(en.subject).toBe('Your Tenantry password was changed');
    expect(en.text).toContain('How: From your profile, while signed in\nTenants: Acme Corporation, Globex');
    expect(en.text).toContain('tell the administrators of Acme Corporation, Globex.');
    const ja = await renderEmail('password-changed', 'ja', changed);
    expect(ja.subject).toBe('Tenantry のパスワードが変更されました');
    expect(ja.text).toContain('テナント：「Acme Corporation」「Globex」');

    const none = await renderEmail('password-changed', 'en', { ...props, tenantNames: [] });
    expect(none.text).not.toMatch(/^Tenants?:/m);
    expect(none.text).toContain('Reset it now and tell your administrator.');
    expect((await renderEmail('password-changed', 'ja', { ...props, tenantNames: [] })).text).toContain('すぐにパスワードを再設定し、管理者に連絡してください。');
  });

  it('carries no access-granting link (kept whole after delivery)', () => {
    expect(emailTemplates['password-changed'].sensitiveProps).toEqual([]);
  });
});

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
