import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getFormatter, getLocale, getTimeZone, getTranslations } from 'next-intl/server';
import { cache } from 'react';
import { orNotFound } from '@/app/_lib/not-found';
import { requireActor } from '@/app/_lib/session';
import { ContractDate, ContractStateBadge } from '@/components/catalog/contract-display';
import { DeleteContractForm, EditContractForm } from '@/components/catalog/contract-forms';
import { AppShell } from '@/components/shell/app-shell';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Card } from '@/components/ui/card';
import { Detail, Details } from '@/components/ui/details';
import { PageHeader } from '@/components/ui/page-header';
import { getDb } from '@/db/client';
import { contractState, getContract, listServiceChoices, serviceName, todayIn } from '@/lib/catalog';
import { deleteContractAction, updateContractAction } from '../../actions';

type Props = { params: Promise<{ tenantId: string; contractId: string }> };

/** The contract (404 for non-operators, unknown ids, or a contract of another tenant than the URL's); once per request. */
const load = cache(async (tenantId: string, contractId: string) => {
  const actor = await requireActor();
  const found = await orNotFound(getContract(getDb(), actor, contractId));
  if (found.tenant.id !== tenantId) notFound();
  return { actor, ...found };
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { tenantId, contractId } = await params;
  const { contract, tenant } = await load(tenantId, contractId);
  return { title: `${contract.code} · ${tenant.name}` };
}

/** /operator/tenants/ID/contracts/ID: edit one contract of a tenant, or delete it. */
export default async function ContractPage({ params }: Props) {
  const { tenantId, contractId } = await params;
  const { actor, contract, tenant } = await load(tenantId, contractId);
  const [t, tc, locale, timeZone, format, services] = await Promise.all([
    getTranslations('catalog'),
    getTranslations('operator'),
    getLocale(),
    getTimeZone(),
    getFormatter(),
    listServiceChoices(getDb(), actor),
  ]);
  const base = `/operator/tenants/${tenant.id}`;
  const serviceOptions = services.map((s) => ({ value: s.id, label: `${serviceName(s, locale)} (${s.key})` }));

  return (
    <AppShell actor={actor} current="/operator">
      <Breadcrumbs items={[{ label: tc('title'), href: '/operator' }, { label: tenant.name, href: base }, { label: contract.code }]} />
      <PageHeader title={<span className="break-all font-mono">{contract.code}</span>} description={contract.name} />
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card title={t('contract.details')}>
            <Details>
              <Detail label={t('contract.tenant')}>{tenant.name}</Detail>
              <Detail label={t('fields.service')}>
                {serviceName(contract.service, locale)} <span className="font-mono text-xs text-slate-500">({contract.service.key})</span>
              </Detail>
              <Detail label={t('fields.startsOn')}>
                <ContractDate date={contract.startsOn} edge="start" />
              </Detail>
              <Detail label={t('fields.endsOn')}>
                <ContractDate date={contract.endsOn} edge="end" />
              </Detail>
              <Detail label={t('columns.state')}>
                <ContractStateBadge state={contractState(contract, todayIn(timeZone))} />
              </Detail>
              <Detail label={t('contract.permissions')}>
                <span className="tabular-nums">{format.number(contract.permissions)}</span>
              </Detail>
            </Details>
          </Card>
        </div>
        <div className="space-y-6">
          <Card title={t('contract.edit.title')}>
            <EditContractForm
              action={updateContractAction}
              contractId={contract.id}
              services={serviceOptions}
              values={{ serviceId: contract.serviceId, code: contract.code, name: contract.name, startsOn: contract.startsOn, endsOn: contract.endsOn }}
            />
          </Card>
          <Card title={t('contract.delete.title')} description={t('contract.delete.description')}>
            <DeleteContractForm action={deleteContractAction} contractId={contract.id} code={contract.code} permissions={contract.permissions} />
          </Card>
        </div>
      </div>
    </AppShell>
  );
}
