import { alertIn, expect, signIn, test } from './fixtures';

test.describe('an organization administrator sees and manages only their subtree', () => {
  test('CA__India admin: CA__US members are invisible in lists, pages and forms', async ({ page, tenant, otherTenant }) => {
    const root = tenant.name;
    const indiaAdmin = await tenant.addMember({ org: `${root}__India`, isAdmin: true, firstName: 'Isha', lastName: 'Admin' });
    const hr = await tenant.addMember({ org: `${root}__India__HR`, firstName: 'Hari', lastName: 'Inscope' });
    const us = await tenant.addMember({ org: `${root}__US`, firstName: 'Uma', lastName: 'Outside' });
    const foreign = await otherTenant.addMember({ firstName: 'Fiona', lastName: 'Foreign' });

    await signIn(page, indiaAdmin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));

    // Lists: the HR member is there, the US member is not, not even by search.
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Users' }).click();
    const main = page.getByRole('main');
    await expect(main.getByRole('link', { name: /Hari/ })).toBeVisible();
    await expect(main.getByText(us)).toHaveCount(0);
    await expect(main.getByText(`${root}__US`)).toHaveCount(0);
    await page.goto(`/t/${tenant.slug}/users?q=${encodeURIComponent('Uma')}`);
    await expect(main.getByText(us)).toHaveCount(0);
    await page.screenshot({ path: 'e2e/.artifacts/screens/users-org-admin-en.png', fullPage: true });

    // Direct URLs: the US member, the US org and another tenant's member all answer "not found".
    for (const url of [
      `/t/${tenant.slug}/users/${tenant.memberId(us)}`,
      `/t/${tenant.slug}/orgs/${tenant.orgId(`${root}__US`)}`,
      `/t/${tenant.slug}/orgs/${tenant.orgId(`${root}__US`)}/add-user`,
      `/t/${tenant.slug}/users/${otherTenant.memberId(foreign)}`,
      `/t/${otherTenant.slug}/users/${otherTenant.memberId(foreign)}`,
    ]) {
      const response = await page.goto(url);
      expect(response?.status(), url).toBe(404);
      await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
    }

    // The in-scope member's page works; a form tampered to aim at the US member changes nothing.
    await page.goto(`/t/${tenant.slug}/users/${tenant.memberId(hr)}`);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Hari');
    await page.locator('input[type="hidden"][name="memberId"]').evaluateAll((inputs, id) => {
      for (const input of inputs) (input as HTMLInputElement).value = id;
    }, tenant.memberId(us));
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await expect(alertIn(page)).toContainText('Not found');

    // The same tampering towards another tenant's member fails the same way.
    await page.reload();
    await page.locator('input[type="hidden"][name="memberId"]').evaluateAll((inputs, id) => {
      for (const input of inputs) (input as HTMLInputElement).value = id;
    }, otherTenant.memberId(foreign));
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await expect(alertIn(page)).toContainText('Not found');

    // Nobody was deactivated: the US member still signs in.
    await page.context().clearCookies();
    await signIn(page, us);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await page.context().clearCookies();
    await signIn(page, foreign);
    await expect(page).toHaveURL(new RegExp(`/t/${otherTenant.slug}$`));
  });

  test('the org admin manages a member inside the subtree', async ({ page, tenant }) => {
    const root = tenant.name;
    const indiaAdmin = await tenant.addMember({ org: `${root}__India`, isAdmin: true });
    const hr = await tenant.addMember({ org: `${root}__India__HR`, firstName: 'Hari', lastName: 'Inscope' });
    await signIn(page, indiaAdmin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await page.goto(`/t/${tenant.slug}/users/${tenant.memberId(hr)}`);
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await expect(page.getByRole('main')).toContainText('is deactivated');
    // The audit log shows the change to the org admin (it is inside their subtree).
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Audit log' }).click();
    await expect(page.getByRole('main')).toContainText(hr);
  });
});
