import type { Metadata } from 'next';
import { getFormatter, getTranslations } from 'next-intl/server';
import { cache } from 'react';
import { orNotFound } from '@/app/_lib/not-found';
import { requireActor } from '@/app/_lib/session';
import { DeleteServiceForm, EditServiceForm } from '@/components/catalog/service-forms';
import { AppShell } from '@/components/shell/app-shell';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Detail, Details } from '@/components/ui/details';
import { PageHeader } from '@/components/ui/page-header';
import { getDb } from '@/db/client';
import { getService, serviceInUse } from '@/lib/catalog';
import { deleteServiceAction, updateServiceAction } from '../actions';

type Props = { params: Promise<{ serviceId: string }> };

/** The service, or the 404 page for non-operators and unknown ids; once per request. */
const load = cache(async (serviceId: string) => {
  const actor = await requireActor();
  return { actor, service: await orNotFound(getService(getDb(), actor, serviceId)) };
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { serviceId } = await params;
  const { service } = await load(serviceId);
  return { title: service.name };
}

/** /operator/services/ID: one service's names (the key is permanent), what uses it, and its deletion. */
export default async function ServicePage({ params }: Props) {
  const { serviceId } = await params;
  const { actor, service } = await load(serviceId);
  const [t, format] = await Promise.all([getTranslations('catalog'), getFormatter()]);
  const { usage } = service;
  const inUse = serviceInUse(usage);

  return (
    <AppShell actor={actor} current="/operator/services">
      <Breadcrumbs items={[{ label: t('services.title'), href: '/operator/services' }, { label: service.key }]} />
      <PageHeader title={service.name} description={service.nameJa ?? undefined} />
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card title={t('service.details')}>
            <Details>
              <Detail label={t('fields.key')}>
                <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-800">{service.key}</code>
              </Detail>
              <Detail label={t('fields.name')}>{service.name}</Detail>
              <Detail label={t('fields.nameJa')}>{service.nameJa ?? <span className="text-slate-400">{t('services.notJapanese')}</span>}</Detail>
            </Details>
          </Card>
          <Card title={t('service.usage')}>
            <Details className="grid-cols-2 sm:grid-cols-4">
              {(['contracts', 'tenants', 'members', 'groups'] as const).map((k) => (
                <Detail key={k} label={t(`service.usageLabels.${k}`)}>
                  <span className="tabular-nums">{format.number(usage[k])}</span>
                </Detail>
              ))}
            </Details>
          </Card>
        </div>
        <div className="space-y-6">
          <Card title={t('service.edit.title')}>
            <EditServiceForm action={updateServiceAction} service={service} />
          </Card>
          <Card title={t('service.delete.title')} description={t('service.delete.description')}>
            {inUse ? (
              <div className="space-y-3">
                <p className="text-sm text-amber-800">{t('service.delete.blocked', { key: service.key })}</p>
                <Button variant="danger" disabled className="opacity-50">
                  {t('service.delete.button')}
                </Button>
              </div>
            ) : (
              <DeleteServiceForm action={deleteServiceAction} serviceId={service.id} serviceKey={service.key} />
            )}
          </Card>
        </div>
      </div>
    </AppShell>
  );
}
