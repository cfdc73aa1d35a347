import { describe, expect, it } from 'vitest';
import { EMAIL_TEMPLATE_NAMES, emailTemplates } from '@/emails';
import { renderEmailSync } from './render';
import { renderEmailStencilled, stencilCounters } from './stencil';

// Values that exercise escaping and the text rules: markup characters, quotes, entities, Japanese,
// emoji (surrogate pairs), and whitespace html-to-text would collapse (those render in full).
const NAMES = [
  'Alice',
  'Zoë <script>alert(1)</script>',
  'O\'Brien & "Sons"',
  '&amp; &lt;b&gt; &#x27;',
  '山田 太郎',
  '佐藤　花子', // ideographic space
  'Mary  Ann', // two spaces
  ' padded ',
  'tab\there',
  'line\nbreak',
  'zero\u200bwidth',
  'emoji 🎉 ok',
  '>>> <<<',
  'a'.repeat(201),
  'x',
];
const URLS = [
  'https://tenantry.example.com/register/q7Vd2XcN8rT0bLm4sKp9wE1yHj6uFa3ZgR5nQx8CvB0',
  'http://localhost:3000/register/abc?x=1&y=<2>&z="3"',
  "https://example.com/register/it's-me",
];
const TENANTS = ['Acme Corporation', 'R&D <Labs> "Tokyo" \'West\' 研究所'];
const INVITERS = ['Hanako Yamada', '山田 花子 & Co.'];

function* invitationProps() {
  let i = 0;
  for (const tenantName of TENANTS) {
    for (const inviter of [...INVITERS, tenantName]) {
      for (const recipientName of [...NAMES, undefined]) {
        const registrationUrl = URLS[i++ % URLS.length]!;
        const expiresAt = new Date(Date.UTC(2030, 3, 8, 9, 30) + (i % 3) * 3_600_000).toISOString();
        yield { tenantName, inviterName: inviter, recipientName, registrationUrl, expiresAt, ...(i % 4 === 0 ? { timeZone: 'America/New_York' } : {}) };
      }
    }
  }
}

describe('emails filled in from a stencil are the emails renderEmailSync renders', () => {
  for (const locale of ['en', 'ja'] as const) {
    it(`invitation (${locale}): the same subject, HTML and text for every props`, () => {
      const before = { ...stencilCounters };
      let n = 0;
      // Twice: the first pass makes the stencils, the second fills them in.
      for (let pass = 0; pass < 2; pass++) {
        for (const props of invitationProps()) {
          expect(renderEmailStencilled('invitation', locale, props)).toEqual(renderEmailSync('invitation', locale, props));
          n++;
        }
      }
      // Most of them really came from a stencil (the test would prove nothing otherwise).
      expect(stencilCounters.filled - before.filled).toBeGreaterThan(n / 3);
    });
  }

  it('fills in many recipients of one shared shape from one stencil', () => {
    const shared = { tenantName: 'Bench Corporation', inviterName: 'Bench Corporation', expiresAt: '2030-01-01T00:00:00Z' };
    const before = { ...stencilCounters };
    for (let i = 0; i < 300; i++) {
      const props = { ...shared, recipientName: `${NAMES[i % NAMES.length]!.trim().slice(0, 190)} ${i}`, registrationUrl: `https://t.example.com/register/${i}-${'k'.repeat(i % 50)}` };
      const locale = i % 3 === 0 ? 'ja' : 'en';
      expect(renderEmailStencilled('invitation', locale, props)).toEqual(renderEmailSync('invitation', locale, props));
    }
    // The names with whitespace to collapse (6 of 15) render in full; the rest come from 2 stencils (en, ja).
    expect(stencilCounters.filled - before.filled).toBeGreaterThan(150);
  });

  it('renders templates without a stencil in full, and refuses props that do not fit as renderEmailSync does', () => {
    for (const name of EMAIL_TEMPLATE_NAMES) {
      for (const locale of ['en', 'ja'] as const) {
        const props = emailTemplates[name].previewProps;
        expect(renderEmailStencilled(name, locale, props)).toEqual(renderEmailSync(name, locale, props));
      }
    }
    expect(() => renderEmailStencilled('invitation', 'en', { tenantName: 'Acme' })).toThrow();
    expect(() => renderEmailStencilled('invitation', 'en', { ...emailTemplates.invitation.previewProps, registrationUrl: 'javascript:alert(1)' })).toThrow();
  });
});
