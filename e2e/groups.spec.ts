import { expect, signIn, test, type SeededTenant } from './fixtures';

const CLOUD = { key: 'cloud', name: 'Enterprise Cloud 2.0' };

async function withCloudContracts(tenant: SeededTenant) {
  await tenant.addContract({ service: CLOUD, code: 'CLOUD-PROD', name: 'Enterprise Cloud 2.0 — Production' });
  await tenant.addContract({ service: CLOUD, code: 'CLOUD-DEV', name: 'Enterprise Cloud 2.0 — Development' });
}

test.describe('user groups and permissions (SPEC 3.4)', () => {
  test('the manual: create a group, add two users, cloud View, one contract Edit, one save; the users get edit there and view elsewhere', async ({ page, tenant }) => {
    await withCloudContracts(tenant);
    const admin = await tenant.addMember({ isTenantAdmin: true, firstName: 'Ada', lastName: 'Admin' });
    const hana = await tenant.addMember({ org: `${tenant.name}__India`, firstName: 'Hana', lastName: 'Mori', services: ['cloud'] });
    const ken = await tenant.addMember({ org: `${tenant.name}__US`, firstName: 'Ken', lastName: 'Ito', services: ['cloud'] });
    await tenant.addMember({ firstName: 'Olga', lastName: 'Outsider', services: ['cloud'] });

    await signIn(page, admin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));

    // 1. Create the group.
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('link', { name: 'New group' }).first().click(); // the header's (the empty state offers one too)
    await page.getByLabel('Name', { exact: true }).fill('Cloud team');
    await page.getByLabel('Description').fill('Runs the production cloud');
    await page.getByRole('button', { name: 'Create group' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Cloud team' })).toBeVisible();

    // 2. Add two users with the checkboxes of the picker.
    await page.getByRole('link', { name: 'Add members' }).first().click();
    await page.getByRole('checkbox', { name: 'Select Hana Mori' }).check();
    await page.getByRole('checkbox', { name: 'Select Ken Ito' }).check();
    await page.getByRole('button', { name: 'Add selected' }).click();
    await expect(page.getByText('Added 2 people to Cloud team.')).toBeVisible();

    // 3–5. Permissions: cloud View for all contracts, Detail, CLOUD-PROD Edit, one save.
    await page.goto(`/t/${tenant.slug}/groups`);
    await page.getByRole('link', { name: 'Cloud team' }).click();
    const members = page.getByRole('table', { name: 'Members of Cloud team' });
    await expect(members.getByRole('row')).toHaveCount(3); // header + Hana + Ken
    await page.getByRole('link', { name: 'Permissions' }).click();
    await page.getByRole('radiogroup', { name: CLOUD.name }).getByRole('radio', { name: 'View' }).check();
    await page.getByRole('button', { name: `Detail: ${CLOUD.name}` }).click();
    await page.getByRole('radiogroup', { name: 'Contract CLOUD-PROD' }).getByRole('radio', { name: 'Edit' }).check();
    await page.screenshot({ path: 'e2e/.artifacts/screens/group-permissions-en.png', fullPage: true });
    await page.getByRole('button', { name: 'Save permissions' }).click();
    await expect(page.getByText('Permissions saved.')).toBeVisible();

    // The user's page: edit on CLOUD-PROD, view on CLOUD-DEV, and why.
    for (const email of [hana, ken]) {
      await page.goto(`/t/${tenant.slug}/users/${tenant.memberId(email)}`);
      const card = page.getByRole('table', { name: `Effective access to the contracts of ${CLOUD.name}` });
      const prod = card.getByRole('row').filter({ hasText: 'CLOUD-PROD' });
      const dev = card.getByRole('row').filter({ hasText: 'CLOUD-DEV' });
      await expect(prod.getByRole('cell').nth(1)).toHaveText('Edit');
      await expect(prod).toContainText('Cloud team');
      await expect(prod).toContainText('setting for this contract');
      await expect(dev.getByRole('cell').nth(1)).toHaveText('View');
      await expect(dev).toContainText('service-wide setting');
    }
    await page.screenshot({ path: 'e2e/.artifacts/screens/effective-access-en.png', fullPage: true });

    // Someone outside the group gets nothing from it.
    await page.goto(`/t/${tenant.slug}/users?q=Olga`);
    await page.getByRole('link', { name: /Olga/ }).click();
    const outsider = page.getByRole('table', { name: `Effective access to the contracts of ${CLOUD.name}` });
    await expect(outsider.getByRole('row').filter({ hasText: 'CLOUD-PROD' }).getByRole('cell').nth(1)).toHaveText('None');

    // Every step is in the audit log.
    await page.goto(`/t/${tenant.slug}/audit`);
    for (const action of ['Group permissions changed', 'Members added to a group', 'Group created']) {
      await expect(page.getByRole('cell', { name: action })).toBeVisible();
    }
  });

  test('groups are for tenant administrators only: an org admin and another tenant get "not found"', async ({ page, tenant, otherTenant }) => {
    const groupId = await tenant.addGroup('Secret group');
    const foreignGroupId = await otherTenant.addGroup('Their group');
    const orgAdmin = await tenant.addMember({ org: `${tenant.name}__India`, isAdmin: true });
    const admin = await tenant.addMember({ isTenantAdmin: true });

    await signIn(page, orgAdmin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await expect(page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Groups' })).toHaveCount(0);
    for (const path of ['groups', `groups/${groupId}`, `groups/${groupId}/permissions`, 'contracts', 'api-tokens']) {
      const response = await page.goto(`/t/${tenant.slug}/${path}`);
      expect(response?.status(), path).toBe(404);
    }

    await page.context().clearCookies();
    await signIn(page, admin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    for (const path of [`groups/${foreignGroupId}`, `groups/${foreignGroupId}/permissions`]) {
      const response = await page.goto(`/t/${tenant.slug}/${path}`);
      expect(response?.status(), path).toBe(404);
      await expect(page.getByText('Their group')).toHaveCount(0);
    }
  });
});

test.describe('the effective access API (GET /api/v1/access)', () => {
  test('a token created on the API tokens page answers for its own tenant only, and stops working when revoked', async ({ page, tenant, otherTenant }) => {
    await withCloudContracts(tenant);
    const admin = await tenant.addMember({ isTenantAdmin: true });
    const viewer = await tenant.addMember({ services: ['cloud'] });
    const foreign = await otherTenant.addMember({ services: ['cloud'] });

    await signIn(page, admin);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('Cloud console');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('New API token').inputValue();
    expect(secret).toMatch(/^tnt_[A-Za-z0-9_-]{43}$/);

    const ask = (query: string, token = secret) =>
      page.request.get(`/api/v1/access?${query}`, { headers: { Authorization: `Bearer ${token}` } });

    // No group grants anything yet: none, and why.
    const none = await ask(`user=${encodeURIComponent(viewer)}&contract=CLOUD-PROD`);
    expect(none.status()).toBe(200);
    expect(await none.json()).toMatchObject({ user: viewer, status: 'active', level: 'none' });

    // Another tenant's member is "not found", exactly like someone who does not exist.
    const across = await ask(`user=${encodeURIComponent(foreign)}&contract=CLOUD-PROD`);
    const nobody = await ask(`user=${encodeURIComponent(`nobody-${tenant.slug}@e2e.example`)}&contract=CLOUD-PROD`);
    expect(across.status()).toBe(404);
    expect(await across.text()).toBe(await nobody.text());

    expect((await ask(`user=${encodeURIComponent(viewer)}`, 'tnt_wrong')).status()).toBe(401);

    // Revoked on the page: refused at once.
    const row = page.getByRole('form', { name: 'Revoke token Cloud console' });
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    await row.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await expect(page.getByRole('cell', { name: 'Revoked' })).toBeVisible();
    expect((await ask(`user=${encodeURIComponent(viewer)}`)).status()).toBe(401);
  });
});
