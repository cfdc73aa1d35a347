import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getTranslations } from 'next-intl/server';
import { requireActor } from '@/app/_lib/session';
import { CreateServiceForm } from '@/components/catalog/service-forms';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { can } from '@/lib/authz';
import { deletedServiceKey, listServices } from '@/lib/catalog';
import { createServiceAction } from './actions';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('catalog.services'))('title') };
}

type Props = { searchParams: Promise<{ deleted?: string | string[] }> };

/** /operator/services: the platform's service catalog, what uses each service, and a form to add one. */
export default async function ServicesPage({ searchParams }: Props) {
  const actor = await requireActor();
  const db = getDb();
  if (!(await can(db, actor, 'catalog.manage', { type: 'platform' }))) notFound();
  const { deleted } = await searchParams;
  const [t, rows, deletedKey] = await Promise.all([
    getTranslations('catalog'),
    listServices(db, actor),
    typeof deleted === 'string' ? deletedServiceKey(db, actor, deleted) : null,
  ]);

  return (
    <AppShell actor={actor} current="/operator/services">
      <PageHeader title={t('services.title')} description={t('services.description')} />
      {deletedKey && (
        <div className="mb-6">
          <Alert tone="success">{t('services.messages.deleted', { key: deletedKey })}</Alert>
        </div>
      )}
      <div className="grid items-start gap-6 lg:grid-cols-3">
        <Card title={t('services.listTitle')} className="lg:col-span-2">
          {rows.length === 0 ? (
            <p className="text-sm text-slate-500">{t('services.empty')}</p>
          ) : (
            <Table caption={t('services.caption')}>
              <thead>
                <tr>
                  <Th>{t('columns.key')}</Th>
                  <Th>{t('columns.name')}</Th>
                  <Th>{t('columns.nameJa')}</Th>
                  <Th>{t('columns.usage')}</Th>
                  <Th>
                    <span className="sr-only">{t('columns.actions')}</span>
                  </Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {rows.map((s) => {
                  const { usage } = s;
                  const extra = [
                    usage.contracts > 0 ? t('services.usageTenants', { tenants: usage.tenants }) : null,
                    usage.members > 0 ? t('services.usageMembers', { members: usage.members }) : null,
                    usage.groups > 0 ? t('services.usageGroups', { groups: usage.groups }) : null,
                  ].filter((x): x is string => x !== null);
                  return (
                    <tr key={s.id}>
                      <Td>
                        <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-800">{s.key}</code>
                      </Td>
                      <Td className="font-medium text-slate-900">{s.name}</Td>
                      <Td lang="ja">{s.nameJa ?? <span className="text-slate-400">{t('services.notJapanese')}</span>}</Td>
                      <Td>
                        <div className={usage.contracts > 0 ? 'text-slate-900' : 'text-slate-500'}>
                          {t('services.usage', { contracts: usage.contracts })}
                        </div>
                        {extra.length > 0 && <div className="text-xs text-slate-500">{extra.join(' · ')}</div>}
                      </Td>
                      <Td className="whitespace-nowrap text-right">
                        <Link
                          href={`/operator/services/${s.id}`}
                          aria-label={t('services.editLabel', { key: s.key })}
                          className="text-sm font-medium text-brand-700 hover:underline"
                        >
                          {t('services.edit')}
                        </Link>
                      </Td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
          )}
        </Card>
        <Card title={t('services.create.title')} description={t('services.create.description')}>
          <CreateServiceForm action={createServiceAction} />
        </Card>
      </div>
    </AppShell>
  );
}
