import { readFile } from 'node:fs/promises';
import type ExcelJS from 'exceljs';
import { loadWorkbook } from '@/lib/testing/workbook-fixtures';
import { expect, linkFromMailbox, signIn, test } from './fixtures';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The texts of a worksheet's rows (row 1: the header), cell by cell. */
function rowsOf(sheet: ExcelJS.Worksheet): string[][] {
  const rows: string[][] = [];
  sheet.eachRow((row) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => (cells[col - 1] = cell.text));
    rows.push(cells);
  });
  return rows;
}

test.describe('spreadsheet import (SPEC 3.5)', () => {
  test('template → fill → upload → preview → apply → 100% → results with the failed row’s message', async ({ page, tenant, browser }) => {
    const admin = await tenant.addMember({ isTenantAdmin: true, firstName: 'Ada', lastName: 'Admin' });
    const existing = await tenant.addMember({ org: `${tenant.name}__US`, firstName: 'Ken', lastName: 'Ito' });
    await signIn(page, admin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));

    // 1. The imports screen, from the navigation; the template in the admin's language.
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Imports' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Imports' })).toBeVisible();
    const [template] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download template' }).click()]);
    expect(template.suggestedFilename()).toBe('tenantry-import-template-en.xlsx');

    // 2. Fill it with exceljs: a new org, users in it (created by the same file), an update, and a row with an error.
    const workbook = await loadWorkbook(await readFile((await template.path())!));
    const orgs = workbook.getWorksheet('Organizations')!;
    const users = workbook.getWorksheet('Users')!;
    expect(rowsOf(orgs)[0]).toEqual(['Organization Name', 'Parent Organization', 'Description', 'Email Notifications']);
    expect(rowsOf(users)[0]?.slice(0, 4)).toEqual(['Email Address', 'First Name', 'Last Name', 'Organization']);
    orgs.getRow(2).values = ['Sales', tenant.name, 'Field sales', 'Y'];
    const hana = `hana.${tenant.slug}@e2e.example`;
    const ravi = `ravi.${tenant.slug}@e2e.example`;
    const lost = `lost.${tenant.slug}@e2e.example`;
    users.getRow(2).values = [hana, 'Hana', 'Mori', `${tenant.name}__Sales`, 'N', 'Y', '', '', 'ja'];
    users.getRow(3).values = [ravi, 'Ravi', 'Kumar', `${tenant.name}__Sales`, 'Y', 'Y', '', '', 'en'];
    users.getRow(4).values = [existing, 'Kenji', '', `${tenant.name}__US`, '', '', '', '', ''];
    users.getRow(5).values = [lost, 'Lost', 'Person', `${tenant.name}__Nowhere`, 'N', 'Y', '', '', ''];
    const filled = Buffer.from(await workbook.xlsx.writeBuffer());

    // 3. Upload: the import's page opens and the worker checks the file.
    await page.getByLabel('Spreadsheet file').setInputFiles({ name: 'staff.xlsx', mimeType: XLSX, buffer: filled });
    await expect(page.getByRole('radio', { name: /Add or update/ })).toBeChecked();
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'staff.xlsx' })).toBeVisible();

    // 4. The preview: counts per outcome, the changes, the failed row and why; nothing changed yet.
    await expect(page.getByRole('heading', { name: 'Preview' })).toBeVisible({ timeout: 30_000 });
    const counts = page.getByRole('list', { name: 'Rows by outcome' });
    await expect(counts.getByRole('listitem').filter({ hasText: 'Created' })).toContainText('3'); // Sales, Hana, Ravi
    await expect(counts.getByRole('listitem').filter({ hasText: 'Updated' })).toContainText('1'); // Ken's first name
    await expect(counts.getByRole('listitem').filter({ hasText: 'Error' })).toContainText('1');
    const rows = page.getByRole('table', { name: 'Rows of staff.xlsx' });
    await expect(rows.getByRole('row').filter({ hasText: existing })).toContainText('First Name: Ken → Kenji');
    const failed = rows.getByRole('row').filter({ hasText: lost });
    await expect(failed).toContainText('Error');
    await expect(failed).toContainText(`Organization: ${tenant.name}__Nowhere does not exist and is not created in this file.`);
    await expect(page.getByText('1 row has an error and will be skipped.', { exact: false })).toBeVisible();

    // 5. Apply (it asks first); the progress bar reaches 100% without reloading.
    await page.getByRole('button', { name: 'Apply 4 changes' }).click();
    const dialog = page.getByRole('dialog', { name: 'Apply this import?' });
    await expect(dialog).toContainText('1 row with an error is skipped.');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    const bar = page.getByRole('progressbar', { name: 'Rows applied' });
    await expect(bar).toHaveAttribute('aria-valuenow', '100', { timeout: 60_000 });
    await expect(page.getByText(/^Finished: 5 rows processed/)).toBeVisible();
    await expect(page.getByText('Completed', { exact: true })).toBeVisible();
    await expect(counts.getByRole('listitem').filter({ hasText: 'Created' })).toContainText('3');
    await page.screenshot({ path: 'e2e/.artifacts/screens/import-completed-en.png', fullPage: true });

    // The rows, filtered by outcome.
    await page.getByRole('navigation', { name: 'Show rows' }).getByRole('link', { name: /^Error/ }).click();
    await expect(rows.getByRole('row')).toHaveCount(2); // header + the failed row
    await expect(rows).toContainText(lost);

    // 6. The results workbook: the rows as uploaded plus Result and Message, the failed row's message.
    const [results] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download results' }).click()]);
    expect(results.suggestedFilename()).toBe('staff-results.xlsx');
    const book = await loadWorkbook(await readFile((await results.path())!));
    const userRows = rowsOf(book.getWorksheet('Users')!);
    const header = userRows[0]!;
    const result = header.indexOf('Result');
    const message = header.indexOf('Message');
    expect(result).toBeGreaterThan(0);
    const row = (email: string) => userRows.find((r) => r[0] === email)!;
    expect(row(hana)[result]).toBe('created');
    expect(row(existing)[result]).toBe('updated');
    expect(row(lost)[result]).toBe('error');
    expect(row(lost)[message]).toBe(`Organization: ${tenant.name}__Nowhere does not exist and is not created in this file.`);

    // The import is in the history with its counts.
    await page.getByRole('link', { name: 'Imports' }).first().click();
    const history = page.getByRole('table', { name: 'Import history' });
    const entry = history.getByRole('row').filter({ hasText: 'staff.xlsx' });
    await expect(entry).toContainText('Completed');
    await expect(entry).toContainText('3 created');
    await expect(entry).toContainText('1 error');

    // The new person's invitation, issued after the apply (in her language, Japanese), lets her
    // register, on a page in the email's language although this browser asks for English.
    const link = await linkFromMailbox(page, hana, /招待を承諾する/);
    const context = await browser.newContext({ locale: 'en-US' });
    const invitee = await context.newPage();
    await invitee.goto(link);
    await expect(invitee.getByLabel('メールアドレス')).toHaveValue(hana);
    await expect(invitee.getByRole('button', { name: 'アカウントを作成' })).toBeVisible();
    await invitee.screenshot({ path: 'e2e/.artifacts/screens/register-from-import-ja.png', fullPage: true });
    await context.close();
  });
});
