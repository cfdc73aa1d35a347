import { describe, expect, it } from 'vitest';
import { renderEmail } from '@/lib/email/render';
import { emailTemplates, type EmailTemplateProps } from '.';

type Props = EmailTemplateProps<'import-finished'>;

const props = (overrides: Partial<Props> = {}): Props => ({
  tenantName: 'Acme Corporation',
  fileName: 'people.xlsx',
  status: 'completed',
  operation: 'upsert',
  totalRows: 12500,
  processedRows: 12500,
  counts: { created: 11840, updated: 602, unchanged: 55, deleted: 0, not_found: 0, error: 3 },
  resultsUrl: 'https://portal.example/t/acme/imports/8d0f6c1e-2b1a-4c55-9a0e-6f4d2f1b7a10',
  ...overrides,
});

describe('import-finished email', () => {
  it('tells an English reader what finished, how many rows, the counts and where the results are', async () => {
    const p = props();
    const email = await renderEmail('import-finished', 'en', p);

    expect(email.subject).toBe('Your import of people.xlsx has finished');
    expect(email.text).toContain('Import finished');
    expect(email.text).toContain(
      'The import of people.xlsx (add/update) into Acme Corporation has finished: 12,500 of 12,500 rows processed.',
    );
    // One row per non-zero outcome, in the import screens' order and words.
    expect(email.text).toContain('\n\nCreated: 11,840\nUpdated: 602\nUnchanged: 55\nError: 3\n\n');
    expect(email.text).not.toMatch(/Deleted|Not found/);
    expect(email.text).toContain('3 rows failed: download the failed rows from the results page, fix them and upload them again.');
    expect(email.text).toContain(`View the results:\n${p.resultsUrl}\n`);
    expect(email.html).toContain(`href="${p.resultsUrl}"`);
    expect(email.html).toContain('lang="en"');
  });

  it('tells a Japanese reader the same in Japanese', async () => {
    const p = props();
    const email = await renderEmail('import-finished', 'ja', p);

    expect(email.subject).toBe('people.xlsx のインポートが完了しました');
    expect(email.text).toContain('インポートが完了しました');
    expect(email.text).toContain(
      '「Acme Corporation」への people.xlsx のインポート（追加・更新）が完了しました。12,500行中12,500行を処理しました。',
    );
    expect(email.text).toContain('\n\n作成：11,840\n更新：602\n変更なし：55\nエラー：3\n\n');
    expect(email.text).not.toMatch(/削除|該当なし/);
    expect(email.text).toContain('3行がエラーになりました。結果ページから失敗した行をダウンロードし、修正してから再度アップロードしてください。');
    expect(email.text).toContain(`結果を見る：\n${p.resultsUrl}\n`);
    expect(email.html).toContain(`href="${p.resultsUrl}"`);
    expect(email.html).toContain('lang="ja"');
  });

  it('says so when the import failed or was cancelled, and that changes made before are kept', async () => {
    const partial = { processedRows: 4000, counts: { created: 3990, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 10 } };
    const failed = props({ ...partial, status: 'failed' });
    const cancelled = props({ ...partial, status: 'cancelled', operation: 'delete' });

    const failedEn = await renderEmail('import-finished', 'en', failed);
    expect(failedEn.subject).toBe('Your import of people.xlsx failed');
    expect(failedEn.text).toContain(
      'The import of people.xlsx (add/update) into Acme Corporation stopped because of an error: 4,000 of 12,500 rows processed.',
    );
    expect(failedEn.text).toContain('Changes made before the import stopped are kept.');
    const failedJa = await renderEmail('import-finished', 'ja', failed);
    expect(failedJa.subject).toBe('people.xlsx のインポートに失敗しました');
    expect(failedJa.text).toContain('は、エラーのため停止しました。12,500行中4,000行を処理しました。');
    expect(failedJa.text).toContain('停止する前に行われた変更は、そのまま残ります。');

    const cancelledEn = await renderEmail('import-finished', 'en', cancelled);
    expect(cancelledEn.subject).toBe('Your import of people.xlsx was cancelled');
    expect(cancelledEn.text).toContain('The import of people.xlsx (delete) into Acme Corporation was cancelled: 4,000 of 12,500 rows processed.');
    const cancelledJa = await renderEmail('import-finished', 'ja', cancelled);
    expect(cancelledJa.subject).toBe('people.xlsx のインポートはキャンセルされました');
    expect(cancelledJa.text).toContain('「Acme Corporation」への people.xlsx のインポート（削除）は、キャンセルされました。');

    // Nothing was processed: nothing to keep, so no such note.
    const none = await renderEmail('import-finished', 'en', props({ status: 'cancelled', processedRows: 0, counts: zeroCounts }));
    expect(none.text).toContain('0 of 12,500 rows processed.');
    expect(none.text).not.toContain('are kept');
  });

  it('shows deleted and not found counts, and no error note without errors', async () => {
    const p = props({ operation: 'delete', counts: { ...zeroCounts, deleted: 1, not_found: 2 }, totalRows: 3, processedRows: 3 });
    const en = await renderEmail('import-finished', 'en', p);
    expect(en.text).toContain('\n\nDeleted: 1\nNot found: 2\n\n');
    expect(en.text).not.toMatch(/Error|failed/);
    const ja = await renderEmail('import-finished', 'ja', p);
    expect(ja.text).toContain('\n\n削除：1\n該当なし：2\n\n');
    expect(ja.text).not.toContain('エラー');

    const oneError = await renderEmail('import-finished', 'en', props({ counts: { ...zeroCounts, error: 1 } }));
    expect(oneError.text).toContain('1 row failed: download');
  });

  it('escapes file and tenant names', async () => {
    const email = await renderEmail(
      'import-finished',
      'en',
      props({ fileName: '<img src=x onerror=alert(1)>.xlsx', tenantName: 'A & <b>B</b>' }),
    );
    expect(email.html).not.toContain('<img src=x');
    expect(email.html).not.toContain('<b>B</b>');
    expect(email.html).toContain('&lt;img src=x onerror=alert(1)&gt;.xlsx');
    expect(email.html).toContain('A &amp; &lt;b&gt;B&lt;/b&gt;');
    // The subject is a header, not HTML: it stays as given.
    expect(email.subject).toBe('Your import of <img src=x onerror=alert(1)>.xlsx has finished');
  });

  it('rejects props that do not fit', async () => {
    const bad: unknown[] = [
      { ...props(), resultsUrl: 'javascript:alert(1)' },
      { ...props(), status: 'applying' },
      { ...props(), operation: 'merge' },
      { ...props(), totalRows: -1 },
      { ...props(), processedRows: 1.5 },
      { ...props(), counts: { ...zeroCounts, error: -1 } },
      { ...props(), counts: { created: 1 } },
      { ...props(), fileName: '' },
      { ...props(), fileName: 'x'.repeat(256) },
      { ...props(), tenantName: 'x'.repeat(201) },
    ];
    for (const raw of bad) await expect(renderEmail('import-finished', 'en', raw)).rejects.toThrow();
  });

  it('survives a jsonb round trip and keeps its link when stored (no sensitive props)', async () => {
    const stored: unknown = JSON.parse(JSON.stringify(props()));
    const email = await renderEmail('import-finished', 'en', stored);
    expect(email.subject).toBe('Your import of people.xlsx has finished');
    expect(emailTemplates['import-finished'].sensitiveProps).toEqual([]);
  });
});

const zeroCounts: Props['counts'] = { created: 0, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 0 };
