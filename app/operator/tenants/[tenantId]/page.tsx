import type { Metadata } from 'next';
import Link from 'next/link';
import { getLocale, getTimeZone, getTranslations } from 'next-intl/server';
import { cache } from 'react';
import { orNotFound } from '@/app/_lib/not-found';
import { requireActor } from '@/app/_lib/session';
import { ContractDate, ContractStateBadge, getContractDateFormatter } from '@/components/catalog/contract-display';
import { CreateContractForm, DeleteContractForm } from '@/components/catalog/contract-forms';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { authorize } from '@/lib/authz';
import { contractState, deletedContract, listServiceChoices, listTenantContracts, serviceName, todayIn } from '@/lib/catalog';
import { createContractAction, deleteContractAction } from './actions';

type Props = { params: Promise<{ tenantId: string }>; searchParams: Promise<{ deleted?: string | string[] }> };

/**
 * The tenant and its contracts, for the platform operator only (a tenant admin who may view
 * contracts still gets the 404 page here: this is the managing screen); once per request.
 */
const load = cache(async (tenantId: string) => {
  const actor = await requireActor();
  const db = getDb();
  await orNotFound(authorize(db, actor, 'catalog.manage', { type: 'tenant', id: tenantId }));
  return { actor, ...(await orNotFound(listTenantContracts(db, actor, tenantId))) };
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { tenantId } = await params;
  const { tenant } = await load(tenantId);
  return { title: tenant.name };
}

/** /operator/tenants/ID: a tenant's contracts, recorded, edited and deleted by the platform operator. */
export default async function OperatorTenantPage({ params, searchParams }: Props) {
  const { tenantId } = await params;
  const { deleted } = await searchParams;
  const { actor, tenant, contracts } = await load(tenantId);
  const db = getDb();
  const [t, tc, locale, timeZone, formatDate, services, gone] = await Promise.all([
    getTranslations('catalog'),
    getTranslations('operator'),
    getLocale(),
    getTimeZone(),
    getContractDateFormatter(),
    listServiceChoices(db, actor),
    typeof deleted === 'string' ? deletedContract(db, actor, tenant.id, deleted) : null,
  ]);
  const today = todayIn(timeZone);
  const serviceOptions = services.map((s) => ({ value: s.id, label: `${serviceName(s, locale)} (${s.key})` }));
  const base = `/operator/tenants/${tenant.id}`;

  return (
    <AppShell actor={actor} current="/operator">
      <Breadcrumbs items={[{ label: tc('title'), href: '/operator' }, { label: tenant.name }]} />
      <PageHeader
        title={tenant.name}
        description={
          <>
            {t('tenant.slug')} <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-800">{tenant.slug}</code>
          </>
        }
      />
      {gone && (
        <div className="mb-6">
          <Alert tone="success">
            {gone.permissions > 0
              ? t('tenant.messages.deletedWithPermissions', { code: gone.code, permissions: gone.permissions })
              : t('tenant.messages.deleted', { code: gone.code })}
          </Alert>
        </div>
      )}
      <div className="space-y-6">
        <Card
          title={t('tenant.contractsTitle')}
          description={t('tenant.contractsDescription', { count: contracts.length, today: formatDate(today) })}
        >
          {contracts.length === 0 ? (
            <p className="text-sm text-slate-500">{t('tenant.empty')}</p>
          ) : (
            <Table caption={t('tenant.caption', { tenant: tenant.name })}>
              <thead>
                <tr>
                  <Th>{t('columns.code')}</Th>
                  <Th>{t('columns.contractName')}</Th>
                  <Th>{t('columns.service')}</Th>
                  <Th>{t('columns.startsOn')}</Th>
                  <Th>{t('columns.endsOn')}</Th>
                  <Th>{t('columns.state')}</Th>
                  <Th>
                    <span className="sr-only">{t('columns.actions')}</span>
                  </Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {contracts.map((c) => (
                  <tr key={c.id}>
                    <Td className="whitespace-nowrap font-mono text-xs font-medium text-slate-900">{c.code}</Td>
                    <Td>{c.name}</Td>
                    <Td>
                      <div>{serviceName(c.service, locale)}</div>
                      <div className="font-mono text-xs text-slate-500">{c.service.key}</div>
                    </Td>
                    <Td className="whitespace-nowrap">
                      <ContractDate date={c.startsOn} edge="start" />
                    </Td>
                    <Td className="whitespace-nowrap">
                      <ContractDate date={c.endsOn} edge="end" />
                    </Td>
                    <Td>
                      <ContractStateBadge state={contractState(c, today)} />
                    </Td>
                    <Td>
                      {/* No nowrap on the cell: the confirmation dialog inside it must wrap its text. */}
                      <div className="flex items-center justify-end gap-3 [&>a]:whitespace-nowrap">
                        <Link
                          href={`${base}/contracts/${c.id}`}
                          aria-label={t('tenant.editLabel', { code: c.code })}
                          className="text-sm font-medium text-brand-700 hover:underline"
                        >
                          {t('services.edit')}
                        </Link>
                        <DeleteContractForm action={deleteContractAction} contractId={c.id} code={c.code} permissions={c.permissions} compact />
                      </div>
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </Card>
        <Card title={t('tenant.create.title')} description={t('tenant.create.description')} className="max-w-3xl">
          {services.length === 0 ? (
            <p className="text-sm text-slate-500">
              <Link href="/operator/services" className="text-brand-700 hover:underline">
                {t('tenant.noServices')}
              </Link>
            </p>
          ) : (
            <CreateContractForm action={createContractAction} tenantId={tenant.id} services={serviceOptions} />
          )}
        </Card>
      </div>
    </AppShell>
  );
}
