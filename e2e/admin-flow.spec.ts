import type { Page } from '@playwright/test';
import { alertIn, expect, linkFromMailbox, PASSWORD, signIn, test } from './fixtures';

/** Opens an org's page from the tree on the Organizations screen. */
async function openOrg(page: Page, path: string) {
  await page.locator(`[data-org-path="${path}"]`).getByRole('link').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(path);
}

test.describe('an administrator provisions a person, who gets in', () => {
  test('create an org, add a user, register from the email, deactivate and reactivate', async ({ page, browser, tenant }) => {
    const admin = await tenant.addMember({ isTenantAdmin: true });
    const newcomer = `newcomer-${tenant.slug}@e2e.example`;
    const sales = `${tenant.name}__India__Sales`;

    // The tenant admin creates India__Sales from India's page.
    await signIn(page, admin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Organizations' }).click();
    await openOrg(page, `${tenant.name}__India`);
    const createChild = page.getByRole('form', { name: 'New sub-organization' });
    await createChild.getByLabel('Name').fill('Sales');
    await createChild.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Organizations' }).click();
    await openOrg(page, sales);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(sales);

    // Adds a user to it: an invitation goes out.
    await page.getByRole('link', { name: 'Add user' }).click();
    await page.getByLabel('Email address').fill(newcomer);
    await page.getByLabel('First name').fill('Nora');
    await page.getByLabel('Last name').fill('Newcomer');
    await page.getByRole('button', { name: 'Add user' }).click();
    await expect(page.getByRole('main').getByRole('status').first()).toContainText(`${newcomer} was invited`);
    const userPage = page.url();
    await page.screenshot({ path: 'e2e/.artifacts/screens/user-invited-en.png', fullPage: true });

    // The invitee opens the link from the mailbox in their own browser and registers.
    const link = await linkFromMailbox(page, newcomer, /Accept the invitation/);
    const context = await browser.newContext();
    const invitee = await context.newPage();
    await invitee.goto(link);
    await expect(invitee.getByRole('heading', { level: 1 })).toContainText(tenant.name);
    await expect(invitee.getByLabel('Email address')).toHaveValue(newcomer);
    await invitee.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await invitee.getByLabel('Confirm the password').fill(PASSWORD);
    await invitee.getByRole('button', { name: 'Create my account' }).click();
    await expect(invitee).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await expect(invitee.getByRole('heading', { level: 1 })).toContainText('Nora');

    // The link is used up now.
    const reuse = await context.newPage();
    await reuse.goto(link);
    await expect(reuse.getByRole('main')).toContainText(/already/i);
    await reuse.close();

    // The admin deactivates them: the invitee's open session stops at its next request.
    await page.goto(userPage);
    await expect(page.getByRole('main')).toContainText('Active');
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await expect(page.getByRole('main')).toContainText('is deactivated');
    await invitee.reload();
    await expect(invitee).toHaveURL(/\/sign-in\?error=sessionEnded/);
    await signIn(invitee, newcomer);
    await expect(alertIn(invitee)).toContainText('deactivated');

    // Reactivated, they can sign in again.
    await page.getByRole('button', { name: 'Reactivate' }).click();
    await expect(page.getByRole('main')).toContainText('is active again');
    await signIn(invitee, newcomer);
    await expect(invitee).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await context.close();
  });
});
