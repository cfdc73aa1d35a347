import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getLocale, getTimeZone, getTranslations } from 'next-intl/server';
import { canInTenant, requireActor } from '@/app/_lib/session';
import { ContractDate, ContractStateBadge } from '@/components/catalog/contract-display';
import { AppShell } from '@/components/shell/app-shell';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { type ContractWithService, contractState, listTenantContracts, serviceName, todayIn } from '@/lib/catalog';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('catalog.tenantContracts'))('title') };
}

/** /t/SLUG/contracts: the tenant's contracts by service, read-only (tenant administrators; the operator records them). */
export default async function TenantContractsPage({ params }: { params: Promise<{ tenant: string }> }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  // Org admins and members: this page does not exist for them.
  if (!(await canInTenant(actor, 'contracts.view'))) notFound();
  const [{ tenant, contracts }, t, locale, timeZone] = await Promise.all([
    listTenantContracts(getDb(), actor, actor.tenant!.id),
    getTranslations('catalog'),
    getLocale(),
    getTimeZone(),
  ]);
  const today = todayIn(timeZone);

  // One card per service, services by their name in the reader's language.
  const groups = new Map<string, { name: string; key: string; contracts: ContractWithService[] }>();
  for (const c of contracts) {
    const group = groups.get(c.service.id) ?? { name: serviceName(c.service, locale), key: c.service.key, contracts: [] };
    group.contracts.push(c);
    groups.set(c.service.id, group);
  }
  const sorted = [...groups.values()].sort((a, b) => a.name.localeCompare(b.name, locale));

  return (
    <AppShell actor={actor} current={`/t/${slug}/contracts`}>
      <PageHeader title={t('tenantContracts.title')} description={t('tenantContracts.description', { tenant: tenant.name })} />
      {sorted.length === 0 ? (
        <Card>
          <p className="text-sm text-slate-500">{t('tenantContracts.empty', { tenant: tenant.name })}</p>
        </Card>
      ) : (
        <div className="space-y-6">
          {sorted.map((group) => (
            <Card
              key={group.key}
              title={group.name}
              description={
                <>
                  <span className="font-mono text-xs">{group.key}</span> · {t('tenantContracts.count', { count: group.contracts.length })}
                </>
              }
            >
              <Table caption={t('tenantContracts.caption', { service: group.name })}>
                <thead>
                  <tr>
                    <Th className="w-48">{t('columns.code')}</Th>
                    <Th>{t('columns.contractName')}</Th>
                    <Th className="w-36">{t('columns.startsOn')}</Th>
                    <Th className="w-36">{t('columns.endsOn')}</Th>
                    <Th className="w-28">{t('columns.state')}</Th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {group.contracts.map((c) => (
                    <tr key={c.id}>
                      <Td className="font-mono text-xs font-medium text-slate-900">{c.code}</Td>
                      <Td>{c.name}</Td>
                      <Td className="whitespace-nowrap">
                        <ContractDate date={c.startsOn} edge="start" />
                      </Td>
                      <Td className="whitespace-nowrap">
                        <ContractDate date={c.endsOn} edge="end" />
                      </Td>
                      <Td>
                        <ContractStateBadge state={contractState(c, today)} />
                      </Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </Card>
          ))}
        </div>
      )}
    </AppShell>
  );
}
