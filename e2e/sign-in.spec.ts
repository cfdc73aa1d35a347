import { alertIn, expect, PASSWORD, signIn, test } from './fixtures';

test.describe('sign-in', () => {
  test('the demo tenant administrator signs in and sees the org tree', async ({ page }) => {
    // scripts/test.mjs seeds the e2e database with this password.
    const password = process.env.DEMO_PASSWORD;
    expect(password, 'DEMO_PASSWORD must be set (run e2e through `npm test`)').toBeTruthy();
    await signIn(page, 'admin@ca.example', password);
    await expect(page).toHaveURL(/\/t\/ca$/);
    const tree = page.getByRole('list', { name: 'Organization tree' });
    await expect(tree).toBeVisible();
    for (const path of ['CA', 'CA__India', 'CA__US', 'CA__India__HR', 'CA__US__HR']) {
      await expect(tree.locator(`[data-org-path="${path}"]`)).toBeVisible();
    }
    await page.screenshot({ path: 'e2e/.artifacts/screens/dashboard-en.png', fullPage: true });
  });

  test('a wrong password is refused and nothing is revealed', async ({ page, tenant }) => {
    const email = await tenant.addMember({});
    await signIn(page, email, 'not-the-password-123');
    await expect(alertIn(page)).toHaveText('The email address or password is incorrect.');
    await expect(page).toHaveURL(/\/sign-in/);
    // An unknown account gets the very same answer.
    await signIn(page, `nobody-${Date.now()}@e2e.example`, 'not-the-password-123');
    await expect(alertIn(page)).toHaveText('The email address or password is incorrect.');
  });

  test('a deactivated member is refused', async ({ page, tenant }) => {
    const email = await tenant.addMember({ status: 'deactivated' });
    await signIn(page, email);
    await expect(alertIn(page)).toContainText('deactivated');
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test('an open session stops working at the next request after deactivation', async ({ page, tenant }) => {
    const email = await tenant.addMember({});
    await signIn(page, email);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    await tenant.setStatus(email, 'deactivated');
    await page.reload();
    await expect(page).toHaveURL(/\/sign-in\?error=sessionEnded/);
    await expect(alertIn(page)).toContainText('Your access has ended');
  });

  test('repeated failures are throttled with a clear message', async ({ page, tenant }) => {
    const email = await tenant.addMember({});
    for (let i = 0; i < 5; i++) {
      await signIn(page, email, `wrong-password-${i}-xx`);
      await expect(alertIn(page)).toBeVisible();
    }
    // Even the right password waits now.
    await signIn(page, email, PASSWORD);
    await expect(alertIn(page)).toContainText(/Too many failed attempts\. Try again in \d+ minutes?\./);
  });

  test('an org administrator sees only their subtree', async ({ page, tenant }) => {
    const email = await tenant.addMember({ org: `${tenant.name}__India`, isAdmin: true });
    await signIn(page, email);
    const tree = page.getByRole('list', { name: 'Organization tree' });
    await expect(tree.locator(`[data-org-path="${tenant.name}__India__HR"]`)).toBeVisible();
    await expect(tree.locator(`[data-org-path="${tenant.name}__US"]`)).toHaveCount(0);
    // One role everywhere: the header and the account corner agree.
    await expect(page.getByText('Your role: Organization administrator')).toBeVisible();
    await expect(page.locator('aside').getByText('Organization administrator', { exact: true })).toBeVisible();
    await expect(page.getByText('The organizations you administer, with their members.')).toBeVisible();
    await expect(tree.locator(`[data-org-path="${tenant.name}"]`)).toHaveCount(0);
  });

  test('another tenant is not found', async ({ page, tenant }) => {
    const email = await tenant.addMember({ isTenantAdmin: true });
    await signIn(page, email);
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
    const response = await page.goto('/t/ca');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  });
});

test('someone in two tenants switches between them', async ({ page, tenant, otherTenant }) => {
  const email = await tenant.addMember({ isTenantAdmin: true });
  await otherTenant.addMember({ existingEmail: email, isTenantAdmin: true });
  await signIn(page, email);
  await expect(page).toHaveURL(/\/t\/t-[0-9a-f]+$/);
  await page.locator('summary[aria-label="Switch tenant"]').click();
  const target = page.url().endsWith(tenant.slug) ? otherTenant : tenant;
  await page.getByRole('link', { name: target.name }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${target.slug}$`));
  await expect(page.getByRole('list', { name: 'Organization tree' }).locator(`[data-org-path="${target.name}__India__HR"]`)).toBeVisible();
  // Deactivated in one tenant: that tenant leaves the switcher and answers not found; the other still works.
  await target.setStatus(email, 'deactivated');
  const response = await page.goto(`/t/${target.slug}`);
  expect(response?.status()).toBe(404);
  await page.goto('/');
  await expect(page).not.toHaveURL(new RegExp(`/t/${target.slug}$`));
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
});

test('the dev mailbox needs a signed-in user', async ({ page, tenant }) => {
  await page.goto('/dev/mailbox');
  await expect(page).toHaveURL(/\/sign-in/);
  const email = await tenant.addMember({});
  await signIn(page, email);
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
  await page.goto('/dev/mailbox');
  await expect(page.getByRole('heading', { name: 'Dev mailbox' })).toBeVisible();
});

test('the platform operator sees every tenant with its counts', async ({ page, tenant }) => {
  const password = process.env.DEMO_PASSWORD;
  expect(password, 'DEMO_PASSWORD must be set (run e2e through `npm test`)').toBeTruthy();
  await tenant.addMember({});
  await tenant.addMember({ org: `${tenant.name}__US` });
  await signIn(page, 'operator@tenantry.example', password);
  await expect(page).toHaveURL(/\/operator$/);
  const row = page.getByRole('row').filter({ hasText: tenant.slug });
  const cells = row.getByRole('cell');
  await expect(cells.nth(0)).toHaveText(tenant.name);
  await expect(cells.nth(2)).toHaveText('4'); // organizations: root, India, India__HR, US
  await expect(cells.nth(3)).toHaveText('2'); // members
  // Tenant pages are not the operator's.
  expect((await page.goto(`/t/${tenant.slug}`))?.status()).toBe(404);
});

test('a member who is not an administrator sees no org tree', async ({ page, tenant }) => {
  const email = await tenant.addMember({ org: `${tenant.name}__India__HR` });
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await expect(page.getByText('Your role: Member')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Organization tree' })).toHaveCount(0);
});

test('signing out ends the session', async ({ page, tenant }) => {
  const email = await tenant.addMember({ isTenantAdmin: true });
  await signIn(page, email);
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto(`/t/${tenant.slug}`);
  await expect(page).toHaveURL(/\/sign-in/);
});
