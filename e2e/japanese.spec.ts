import { alertIn, expect, signIn, test } from './fixtures';

test.use({ locale: 'ja-JP' });

test('sign-in and the dashboard in Japanese, from the browser language', async ({ page, tenant }) => {
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Tenantry にサインイン' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await page.screenshot({ path: 'e2e/.artifacts/screens/sign-in-ja.png' });

  const email = await tenant.addMember({ isTenantAdmin: true, firstName: '花子', lastName: '山本' });
  await signIn(page, email, 'まちがったパスワードです');
  await expect(alertIn(page)).toHaveText('メールアドレスまたはパスワードが正しくありません。');

  await signIn(page, email);
  await expect(page.getByRole('heading', { name: /ようこそ/ })).toBeVisible();
  await expect(page.getByRole('list', { name: '組織ツリー' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'メインナビゲーション' })).toBeVisible();
  await page.screenshot({ path: 'e2e/.artifacts/screens/dashboard-ja.png', fullPage: true });
});

test('an English user switches to Japanese and the choice is kept', async ({ page, tenant }) => {
  const email = await tenant.addMember({ isTenantAdmin: true });
  await page.goto('/sign-in');
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Tenantry' })).toBeVisible();
  await signIn(page, email);
  await page.getByRole('button', { name: '日本語' }).first().click();
  await expect(page.getByRole('heading', { name: /ようこそ/ })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: /ようこそ/ })).toBeVisible();
});
