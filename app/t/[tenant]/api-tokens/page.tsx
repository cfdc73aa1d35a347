import type { Metadata } from 'next';
import { getFormatter, getTranslations } from 'next-intl/server';
import { notFound } from 'next/navigation';
import { canInTenant, requireActor } from '@/app/_lib/session';
import { CreatedSecret } from '@/components/api-tokens/created-secret';
import { ApiTokenStateBadge } from '@/components/api-tokens/state-badge';
import { ActionForm } from '@/components/forms/action-form';
import { ConfirmButton } from '@/components/forms/confirm-button';
import { Field, Select, SubmitButton } from '@/components/forms/fields';
import { AppShell } from '@/components/shell/app-shell';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { API_TOKEN_EXPIRY_DAYS, API_TOKEN_NAME_MAX, listApiTokens } from '@/lib/api-tokens';
import { env } from '@/lib/env';
import { createApiTokenAction, revokeApiTokenAction } from './actions';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('apiTokens'))('title') };
}

/** The lifetimes lib offers (days), then never. */
const EXPIRY_OPTIONS = [...API_TOKEN_EXPIRY_DAYS.map(String), 'none'];

/** /t/SLUG/api-tokens: what tokens are for, create one (its secret shown once), the tenant's tokens with revoke. Tenant admins only. */
export default async function ApiTokensPage({ params }: { params: Promise<{ tenant: string }> }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  if (!(await canInTenant(actor, 'apiTokens.manage'))) notFound();

  const [tokens, t, common, format] = await Promise.all([
    listApiTokens(getDb(), actor),
    getTranslations('apiTokens'),
    getTranslations('common'),
    getFormatter(),
  ]);
  const base = `/t/${slug}/api-tokens`;
  const day = (d: Date) => format.dateTime(d, { dateStyle: 'medium' });
  const moment = (d: Date) => format.dateTime(d, { dateStyle: 'medium', timeStyle: 'short' });
  const app = new URL(env().APP_URL);
  const example = `GET /api/v1/access?user=name@example.com&service=cloud&contract=C-001\nHost: ${app.host}\nAuthorization: Bearer tnt_…`;

  return (
    <AppShell actor={actor} current={base}>
      <PageHeader title={t('title')} description={t('description')} />
      <div className="mb-6 grid gap-6 lg:grid-cols-2">
        <Card title={t('about.title')}>
          <div className="space-y-3 text-sm text-slate-700">
            <p>{t('about.actsAs')}</p>
            <p>{t('about.secret')}</p>
            <p>{t('about.example')}</p>
            <pre
              aria-label={t('about.exampleLabel')}
              className="rounded-md bg-slate-900 px-3 py-2 font-mono text-xs leading-relaxed whitespace-pre-wrap text-slate-100 [overflow-wrap:anywhere]"
            >
              {example}
            </pre>
            <p className="text-slate-500">{t('about.docs')}</p>
          </div>
        </Card>
        <Card title={t('create.title')}>
          <ActionForm action={createApiTokenAction} tenant={slug} showSuccess={false} aria-label={t('create.title')}>
            <CreatedSecret />
            <Field label={t('create.name')} name="name" hint={t('create.nameHint')} maxLength={API_TOKEN_NAME_MAX} autoComplete="off" required />
            <Select
              label={t('create.expiresIn')}
              name="expiresIn"
              defaultValue="90"
              options={EXPIRY_OPTIONS.map((value) => ({ value, label: t(`create.expiry.${value}`) }))}
            />
            <SubmitButton pendingLabel={t('create.working')}>{t('create.submit')}</SubmitButton>
          </ActionForm>
        </Card>
      </div>
      <Card title={t('list.title')}>
        {tokens.length === 0 ? (
          <p className="py-10 text-center text-sm text-slate-500">{t('list.empty')}</p>
        ) : (
          <Table caption={t('list.caption')}>
            <thead>
              <tr>
                <Th>{t('list.columns.name')}</Th>
                <Th>{t('list.columns.prefix')}</Th>
                <Th>{t('list.columns.createdAt')}</Th>
                <Th>{t('list.columns.expiresAt')}</Th>
                <Th>{t('list.columns.lastUsedAt')}</Th>
                <Th>{t('list.columns.state')}</Th>
                <Th>
                  <span className="sr-only">{t('list.columns.actions')}</span>
                </Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {tokens.map((token) => (
                <tr key={token.id} className="align-middle hover:bg-slate-50">
                  <Td className="font-medium text-slate-900 [overflow-wrap:break-word]">{token.name}</Td>
                  <Td className="whitespace-nowrap">
                    <code className="font-mono text-xs text-slate-600" aria-label={t('list.prefixLabel', { prefix: token.prefix })}>
                      {token.prefix}…
                    </code>
                  </Td>
                  <Td>
                    <div className="whitespace-nowrap tabular-nums">{day(token.createdAt)}</div>
                    <div className="text-xs text-slate-500 [overflow-wrap:anywhere]">{t('list.createdBy', { email: token.owner.email })}</div>
                  </Td>
                  <Td className="whitespace-nowrap tabular-nums">{token.expiresAt ? day(token.expiresAt) : <span className="text-slate-500">{t('list.never')}</span>}</Td>
                  <Td className="whitespace-nowrap tabular-nums">
                    {token.lastUsedAt ? moment(token.lastUsedAt) : <span className="text-slate-400">{t('list.notUsed')}</span>}
                  </Td>
                  <Td className="whitespace-nowrap">
                    <ApiTokenStateBadge state={token.state} />
                  </Td>
                  <Td className="text-right">
                    {/* Kept for revoked rows too, so an error (revoked meanwhile) shows where the button was; success shows as the badge. */}
                    <ActionForm
                      action={revokeApiTokenAction}
                      tenant={slug}
                      hidden={{ tokenId: token.id }}
                      showSuccess={false}
                      className="text-left"
                      aria-label={t('revoke.buttonLabel', { name: token.name })}
                    >
                      {token.state === 'active' && (
                        <div className="flex justify-end">
                          <ConfirmButton
                            variant="secondary"
                            confirmVariant="danger"
                            title={t('revoke.title')}
                            body={t('revoke.body', { name: token.name, prefix: token.prefix })}
                            confirmLabel={t('revoke.confirm')}
                            cancelLabel={common('cancel')}
                          >
                            {t('revoke.button')}
                          </ConfirmButton>
                        </div>
                      )}
                    </ActionForm>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
    </AppShell>
  );
}
