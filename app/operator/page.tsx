import type { Metadata } from 'next';
import Link from 'next/link';
import { getFormatter, getTranslations } from 'next-intl/server';
import { orNotFound } from '@/app/_lib/not-found';
import { requireActor } from '@/app/_lib/session';
import { AppShell } from '@/components/shell/app-shell';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { listTenantsWithCounts } from '@/lib/tenants';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('operator'))('title') };
}

export default async function OperatorPage() {
  const actor = await requireActor();
  // Anyone but the platform operator gets the 404 page.
  const [t, format, rows] = await Promise.all([getTranslations(), getFormatter(), orNotFound(listTenantsWithCounts(getDb(), actor))]);
  return (
    <AppShell actor={actor} current="/operator">
      <PageHeader title={t('operator.title')} />
      <Card title={t('operator.tenants')} description={t('operator.tenantsHint')}>
        {rows.length === 0 ? (
          <p className="text-sm text-slate-500">{t('operator.empty')}</p>
        ) : (
          <Table caption={t('operator.tenants')}>
            <thead>
              <tr>
                <Th>{t('operator.columns.name')}</Th>
                <Th>{t('operator.columns.slug')}</Th>
                <Th className="text-right">{t('operator.columns.orgs')}</Th>
                <Th className="text-right">{t('operator.columns.members')}</Th>
                <Th>{t('operator.columns.created')}</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rows.map((row) => (
                <tr key={row.id}>
                  <Td>
                    <Link href={`/operator/tenants/${row.id}`} className="font-medium text-brand-700 hover:underline">
                      {row.name}
                    </Link>
                  </Td>
                  <Td className="font-mono text-xs">{row.slug}</Td>
                  <Td className="text-right tabular-nums">{row.orgs.toLocaleString()}</Td>
                  <Td className="text-right tabular-nums">{row.members.toLocaleString()}</Td>
                  <Td>{format.dateTime(row.createdAt, { dateStyle: 'medium' })}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
    </AppShell>
  );
}
