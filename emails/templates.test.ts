import { describe, expect, it } from 'vitest';
import { LOCALES } from '@/db/schema/columns';
import { renderEmail } from '@/lib/email/render';
import { EMAIL_TEMPLATE_NAMES, emailTemplates } from '.';

// The link each template must carry, as a button and as plain text.
const linkProp = {
  invitation: 'registrationUrl',
  'password-reset': 'resetUrl',
  'member-added': 'signInUrl',
  'import-finished': 'resultsUrl',
} as const;

describe('email templates', () => {
  it('registers every template with a link prop', () => {
    expect([...EMAIL_TEMPLATE_NAMES].sort()).toEqual(Object.keys(linkProp).sort());
  });

  for (const name of EMAIL_TEMPLATE_NAMES) {
    for (const locale of LOCALES) {
      it(`renders ${name} in ${locale} with its preview props`, async () => {
        const props = emailTemplates[name].previewProps;
        const link = String((props as Record<string, unknown>)[linkProp[name]]);
        const email = await renderEmail(name, locale, props);

        expect(email.subject.length).toBeGreaterThan(0);
        expect(email.html).toContain(`lang="${locale}"`);
        expect(email.html).toContain(`href="${link}"`);
        expect(email.text).toContain(link);
        // The text part is real text, not markup.
        expect(email.text).not.toMatch(/<\/?(html|body|table|a)\b/);
        if (locale === 'ja') expect(email.subject + email.text).toMatch(/[\u3040-\u30ff]/);
        else expect(email.subject + email.text).not.toMatch(/[\u3040-\u30ff]/);
      });
    }
  }

  it('formats the invitation expiry for the locale', async () => {
    const props = { ...emailTemplates.invitation.previewProps, expiresAt: new Date('2030-04-08T09:30:00Z') };
    const en = await renderEmail('invitation', 'en', props);
    const ja = await renderEmail('invitation', 'ja', props);
    expect(en.text).toContain('April 8, 2030 at 9:30 AM (UTC)');
    expect(ja.text).toContain('2030年4月8日 18:30 (Asia/Tokyo)');
    expect(en.subject).toBe('Hanako Yamada invited you to Acme Corporation on Tenantry');
    expect(ja.subject).toContain('Acme Corporation');
  });

  it('rejects props that do not fit the template', async () => {
    await expect(
      renderEmail('invitation', 'en', { ...emailTemplates.invitation.previewProps, registrationUrl: 'javascript:alert(1)' }),
    ).rejects.toThrow();
    await expect(renderEmail('password-reset', 'en', { resetUrl: 'https://x.test/r' })).rejects.toThrow();
  });

  it('survives a jsonb round trip (dates come back as strings)', async () => {
    const stored: unknown = JSON.parse(JSON.stringify(emailTemplates.invitation.previewProps));
    const email = await renderEmail('invitation', 'en', stored);
    expect(email.text).toContain('April 8, 2030');
  });
});
