import type { Metadata } from 'next';
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import { cache } from 'react';
import { orNotFound } from '@/app/_lib/not-found';
import { requireActor } from '@/app/_lib/session';
import { GroupTabs } from '@/components/groups/group-tabs';
import { PermissionMatrix, type MatrixService } from '@/components/groups/permission-matrix';
import { AppShell } from '@/components/shell/app-shell';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { PageHeader } from '@/components/ui/page-header';
import { getDb } from '@/db/client';
import { loadGroupPermissions } from '@/lib/group-permissions';
import { serviceName } from '@/lib/catalog';
import { savePermissionsAction } from './actions';

type Props = { params: Promise<{ tenant: string; groupId: string }> };

/** The group's permission form, once per request; tenant administrators only (anyone else: not found). */
const load = cache(async (slug: string, groupId: string) => {
  const actor = await requireActor(slug);
  return { actor, view: await orNotFound(loadGroupPermissions(getDb(), actor, groupId)) };
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { tenant, groupId } = await params;
  const { view } = await load(tenant, groupId);
  const t = await getTranslations('permissions');
  return { title: t('metaTitle', { group: view.group.name }) };
}

/** One form for a group's permissions: a level per service, "Detail" for per-contract levels (SPEC §3.4). */
export default async function GroupPermissionsPage({ params }: Props) {
  const { tenant: slug, groupId } = await params;
  const { actor, view } = await load(slug, groupId);
  const [t, locale, format] = await Promise.all([getTranslations('permissions'), getLocale(), getFormatter()]);
  const base = `/t/${actor.tenant!.slug}/groups`;

  const day = (iso: string) => format.dateTime(new Date(`${iso}T00:00:00Z`), { dateStyle: 'medium', timeZone: 'UTC' });
  const period = (startsOn: string | null, endsOn: string | null) =>
    startsOn && endsOn
      ? t('period.between', { from: day(startsOn), to: day(endsOn) })
      : startsOn
        ? t('period.from', { from: day(startsOn) })
        : endsOn
          ? t('period.until', { to: day(endsOn) })
          : '';
  const services: MatrixService[] = view.services.map((s) => ({
    key: s.key,
    name: serviceName(s, locale),
    level: s.level,
    contracts: s.contracts.map((c) => ({ code: c.code, name: c.name, period: period(c.startsOn, c.endsOn), level: c.level })),
  }));

  return (
    <AppShell actor={actor} current={base}>
      <Breadcrumbs items={[{ label: t('breadcrumbGroups'), href: base }, { label: view.group.name, href: `${base}/${view.group.id}` }, { label: t('title') }]} />
      <PageHeader title={<span className="break-all">{view.group.name}</span>} description={t('description')} />
      <GroupTabs tenantSlug={actor.tenant!.slug} groupId={view.group.id} current="permissions" />
      <PermissionMatrix action={savePermissionsAction} tenant={actor.tenant!.slug} groupId={view.group.id} revision={view.revision} services={services} />
    </AppShell>
  );
}
