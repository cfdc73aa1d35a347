import { alertIn, expect, linkFromMailbox, PASSWORD, signIn, test } from './fixtures';

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

test('a Japanese administrator provisions a user, who registers in Japanese', async ({ page, browser, tenant }) => {
  const admin = await tenant.addMember({ isTenantAdmin: true, firstName: '花子', lastName: '山本', locale: 'ja' });
  const invitee = `tanaka-${tenant.slug}@e2e.example`;
  await signIn(page, admin);
  await expect(page.getByRole('heading', { name: /ようこそ/ })).toBeVisible();

  // A sub-organization with a Japanese name under India; the same name again is refused in Japanese.
  await page.getByRole('navigation', { name: 'メインナビゲーション' }).getByRole('link', { name: '組織' }).click();
  await page.locator(`[data-org-path="${tenant.name}__India"]`).getByRole('link').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`${tenant.name}__India`);
  const form = page.getByRole('form', { name: '新しいサブ組織' });
  await form.getByLabel('名前').fill('営業部');
  await form.getByRole('button', { name: '組織を作成' }).click();
  await expect(page.locator(`a:has-text("営業部")`).first()).toBeVisible();
  await form.getByLabel('名前').fill('営業部');
  await form.getByRole('button', { name: '組織を作成' }).click();
  await expect(form.getByText(/「営業部」という名前のサブ組織がすでにあります/)).toBeVisible();
  await form.getByLabel('名前').fill('営業__東京');
  await form.getByRole('button', { name: '組織を作成' }).click();
  await expect(form.getByText(/「__」/)).toBeVisible();

  // Add a user there, with Japanese names.
  await page.locator('a:has-text("営業部")').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`${tenant.name}__India__営業部`);
  await page.getByRole('link', { name: 'ユーザーを追加' }).click();
  await page.getByLabel('メールアドレス').fill(invitee);
  await page.getByLabel('姓').fill('田中');
  await page.getByLabel('名', { exact: true }).fill('一郎');
  await page.getByRole('button', { name: 'ユーザーを追加' }).click();
  await expect(page.getByRole('main').getByRole('status').first()).toContainText(`${invitee} を招待しました`);
  await page.screenshot({ path: 'e2e/.artifacts/screens/user-invited-ja.png', fullPage: true });

  // The invitee registers in Japanese (their browser's language).
  const link = await linkFromMailbox(page, invitee, /Accept the invitation|招待を承諾する/);
  const context = await browser.newContext({ locale: 'ja-JP' });
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.getByRole('heading', { level: 1 })).toContainText(`${tenant.name} に参加`);
  await other.getByLabel('パスワード', { exact: true }).fill('short');
  await other.getByLabel('パスワード（確認）').fill('short');
  await other.getByRole('button', { name: 'アカウントを作成' }).click();
  await expect(other.getByText(/12文字/).first()).toBeVisible();
  // Passwords are never echoed back: wait for the form to settle (reset) before typing again.
  await expect(other.getByRole('button', { name: 'アカウントを作成' })).toBeEnabled();
  await expect(other.getByLabel('パスワード', { exact: true })).toHaveValue('');
  await other.getByLabel('パスワード', { exact: true }).fill(PASSWORD);
  await other.getByLabel('パスワード（確認）').fill(PASSWORD);
  await expect(other.getByLabel('パスワード', { exact: true })).toHaveValue(PASSWORD);
  await other.getByRole('button', { name: 'アカウントを作成' }).click();
  await expect(other).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
  await expect(other.getByRole('heading', { name: /ようこそ/ })).toContainText('田中');
  await other.screenshot({ path: 'e2e/.artifacts/screens/registered-ja.png', fullPage: true });
  await context.close();
});
