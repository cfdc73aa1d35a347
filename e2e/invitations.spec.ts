import type { Browser, Page } from '@playwright/test';
import { alertIn, expect, linkFromMailbox, PASSWORD, signIn, test } from './fixtures';

/** Adds a person to an org through the product's form: an invitation email goes out. */
async function inviteThroughForm(page: Page, slug: string, orgId: string, person: { email: string; first: string; last: string }) {
  await page.goto(`/t/${slug}/orgs/${orgId}/add-user`);
  await page.getByLabel('Email address').fill(person.email);
  await page.getByLabel('First name').fill(person.first);
  await page.getByLabel('Last name').fill(person.last);
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('main').getByRole('status').first()).toContainText(`${person.email} was invited`, { timeout: 30_000 });
}

/** Opens a registration link in a fresh browser (the invitee's, not the admin's session). */
async function openAsInvitee(browser: Browser, link: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  return page;
}

test.describe('the invitation console', () => {
  test('bulk resend from the invitation console, then the new links work and the old ones do not', async ({ page, browser, tenant }) => {
    // A long story (three invitations, the mailbox, four browsers): more than the default minute.
    test.slow();
    const admin = await tenant.addMember({ isTenantAdmin: true, firstName: 'Ines', lastName: 'Admin' });
    const india = tenant.orgId(`${tenant.name}__India`);
    const people = [
      { first: 'Ada', last: 'Lovelace' },
      { first: 'Grace', last: 'Hopper' },
      { first: 'Alan', last: 'Turing' },
    ].map((p) => ({ ...p, email: `${p.first.toLowerCase()}-${tenant.slug}@e2e.example` }));
    const [ada, grace, alan] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];

    await signIn(page, admin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`), { timeout: 30_000 });
    for (const person of people) await inviteThroughForm(page, tenant.slug, india, person);
    const oldLinks = new Map<string, string>();
    for (const person of people) oldLinks.set(person.email, await linkFromMailbox(page, person.email, /Accept the invitation/));

    // The console lists the three as pending; Ada and Grace are selected and resent.
    await page.goto(`/t/${tenant.slug}`);
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Invitations' }).click();
    await page.getByRole('navigation', { name: 'Show invitations' }).getByRole('link', { name: 'Pending' }).click();
    await expect(page).toHaveURL(/state=pending/);
    const table = page.getByRole('table', { name: 'Invitations, newest first' });
    for (const person of people) await expect(table.getByRole('row', { name: new RegExp(person.email) })).toContainText('Pending');
    await expect(page.getByRole('group', { name: 'With the selected invitations' })).toContainText('3 invitations');
    await table.getByRole('checkbox', { name: `Select the invitation of ${ada.first} ${ada.last}` }).check();
    await table.getByRole('checkbox', { name: `Select the invitation of ${grace.first} ${grace.last}` }).check();
    const bar = page.getByRole('group', { name: 'With the selected invitations' });
    await expect(bar).toContainText('2 invitations selected');
    await bar.getByRole('button', { name: 'Resend' }).click();
    const dialog = page.getByRole('dialog', { name: 'Resend invitations?' });
    await expect(dialog).toContainText('New invitation links go to the 2 selected people');
    await dialog.getByRole('button', { name: 'Resend' }).click();
    await expect(alertIn(page).or(page.getByRole('main').getByRole('status').first())).toContainText('Resending 2 invitations');

    // The batch's progress bar moves to the end on its own (polled, no reload), then says what it did.
    const batch = page.getByRole('group', { name: 'Resending 2 invitations' });
    await expect(batch.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100', { timeout: 30_000 });
    await expect(batch).toContainText('Done');
    await expect(batch).toContainText('2 invitations resent.');
    await page.screenshot({ path: 'e2e/.artifacts/screens/invitations-bulk-resend-en.png', fullPage: true });

    // New emails for Ada and Grace, none for Alan.
    const newLinks = new Map<string, string>();
    for (const person of [ada, grace]) {
      await expect(async () => {
        const link = await linkFromMailbox(page, person.email, /Accept the invitation/);
        expect(link).not.toBe(oldLinks.get(person.email));
        newLinks.set(person.email, link);
      }).toPass({ timeout: 30_000 });
    }
    expect(await linkFromMailbox(page, alan.email, /Accept the invitation/)).toBe(oldLinks.get(alan.email));

    // The old links say they are no longer valid; the new ones open the registration form.
    for (const person of [ada, grace]) {
      const stale = await openAsInvitee(browser, oldLinks.get(person.email)!);
      await expect(stale.getByRole('heading', { level: 1 })).toHaveText('This invitation link is no longer valid');
      await expect(stale.getByRole('button', { name: 'Create my account' })).toHaveCount(0);
      await stale.context().close();
    }
    const fresh = await openAsInvitee(browser, newLinks.get(ada.email)!);
    await expect(fresh.getByRole('heading', { level: 1 })).toContainText(tenant.name);
    await expect(fresh.getByLabel('Email address')).toHaveValue(ada.email);
    await fresh.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await fresh.getByLabel('Confirm the password').fill(PASSWORD);
    await fresh.getByRole('button', { name: 'Create my account' }).click();
    await expect(fresh).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await fresh.context().close();
    const graceFresh = await openAsInvitee(browser, newLinks.get(grace.email)!);
    await expect(graceFresh.getByRole('button', { name: 'Create my account' })).toBeVisible();
    await graceFresh.context().close();
    // Alan's link was not resent: it still works.
    const alanPage = await openAsInvitee(browser, oldLinks.get(alan.email)!);
    await expect(alanPage.getByRole('button', { name: 'Create my account' })).toBeVisible();
    await alanPage.context().close();

    // The console shows Ada accepted, Grace and Alan still pending.
    await page.goto(`/t/${tenant.slug}/invitations`);
    await expect(table.getByRole('row', { name: new RegExp(ada.email) })).toContainText('Accepted');
    await expect(table.getByRole('row', { name: new RegExp(grace.email) })).toContainText('Pending');
    await expect(table.getByRole('row', { name: new RegExp(alan.email) })).toContainText('Pending');
  });

  test('an org admin sees only their subtree; another tenant\'s batch and ids answer not found', async ({ page, tenant, otherTenant }) => {
    const root = tenant.name;
    const indiaAdmin = await tenant.addMember({ org: `${root}__India`, isAdmin: true, firstName: 'Isha', lastName: 'Admin' });
    const ta = await tenant.addMember({ isTenantAdmin: true });
    await signIn(page, ta);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`), { timeout: 30_000 });
    await inviteThroughForm(page, tenant.slug, tenant.orgId(`${root}__India__HR`), { email: `hr-${tenant.slug}@e2e.example`, first: 'Hari', last: 'Inscope' });
    await inviteThroughForm(page, tenant.slug, tenant.orgId(`${root}__US`), { email: `us-${tenant.slug}@e2e.example`, first: 'Uma', last: 'Outside' });
    await page.context().clearCookies();

    await signIn(page, indiaAdmin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`), { timeout: 30_000 });
    await page.goto(`/t/${tenant.slug}/invitations`);
    const table = page.getByRole('table', { name: 'Invitations, newest first' });
    await expect(table.getByRole('row', { name: /Hari Inscope/ })).toBeVisible();
    await expect(page.getByRole('main').getByText(`us-${tenant.slug}@e2e.example`)).toHaveCount(0);
    await page.goto(`/t/${tenant.slug}/invitations?q=${encodeURIComponent('Uma')}`);
    await expect(page.getByRole('main')).toContainText('No invitation matches your search.');

    // Someone else's tenant: the console and a batch id answer 404.
    expect((await page.goto(`/t/${otherTenant.slug}/invitations`))?.status()).toBe(404);
    const res = await page.request.get(`/t/${tenant.slug}/invitations/batches/00000000-0000-4000-8000-000000000000`);
    expect(res.status()).toBe(404);
  });
});
