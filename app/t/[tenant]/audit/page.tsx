import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getTimeZone, getTranslations } from 'next-intl/server';
import { canInTenant, getAdminScope, requireActor } from '@/app/_lib/session';
import { AuditEventsTable } from '@/components/audit/events-table';
import { AuditFilterForm } from '@/components/audit/filter-form';
import { getAuditLabels } from '@/components/audit/labels';
import { AppShell } from '@/components/shell/app-shell';
import { buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Pagination } from '@/components/ui/pagination';
import { getDb } from '@/db/client';
import { AUDIT_ACTIONS } from '@/lib/audit';
import { listAuditEvents } from '@/lib/audit-log';
import { AUDIT_PAGE_SIZE, AUDIT_TARGET_TYPES, auditFiltersOf, auditQueryString, parseAuditQuery } from './query';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('audit'))('title') };
}

/** The audit log (SPEC 3.6): tenant admins see the tenant, org admins their subtrees; plain members get "not found". */
export default async function AuditPage({
  params,
  searchParams,
}: {
  params: Promise<{ tenant: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  const tenant = actor.tenant!;
  const db = getDb();
  if (!(await canInTenant(actor, 'audit.view'))) notFound();
  const scope = await getAdminScope(actor);

  const query = parseAuditQuery(await searchParams);
  const [t, labels, timeZone] = await Promise.all([getTranslations('audit'), getAuditLabels(), getTimeZone()]);
  const { rows, total } = await listAuditEvents(db, scope, auditFiltersOf(query, timeZone), query.page, AUDIT_PAGE_SIZE);

  const base = `/t/${tenant.slug}/audit`;
  const filtered = auditQueryString(query, 1) !== '';
  const actionOptions: { value: string; label: string }[] = AUDIT_ACTIONS.map((name) => ({ value: name, label: labels.action(name) }));
  // An action from the URL that is not in the vocabulary still shows as selected.
  if (query.action && !actionOptions.some((o) => o.value === query.action)) actionOptions.push({ value: query.action, label: query.action });
  const targetTypeOptions: { value: string; label: string }[] = AUDIT_TARGET_TYPES.map((type) => ({ value: type, label: labels.targetType(type) }));
  if (query.targetType && !targetTypeOptions.some((o) => o.value === query.targetType)) {
    targetTypeOptions.push({ value: query.targetType, label: query.targetType });
  }

  return (
    <AppShell actor={actor} current={base}>
      <PageHeader
        title={t('title')}
        description={scope.kind === 'tenant' ? t('description', { tenant: tenant.name }) : t('descriptionScoped')}
        actions={
          // A plain link: the route answers with a file, not a page.
          <a href={`${base}/export${auditQueryString(query, 1)}`} className={buttonClasses('secondary')} download>
            {t('download')}
          </a>
        }
      />
      <Card className="mb-6">
        <AuditFilterForm action={base} values={query} actions={actionOptions} targetTypes={targetTypeOptions} />
      </Card>
      <Card>
        {rows.length === 0 ? (
          <p className="py-8 text-center text-sm text-slate-500">{filtered || total > 0 ? t('empty') : t('emptyAll')}</p>
        ) : (
          <AuditEventsTable rows={rows} labels={labels} tenantSlug={tenant.slug} caption={t('caption')} />
        )}
        <div className="mt-3 flex flex-col gap-2">
          <Pagination page={query.page} pageSize={AUDIT_PAGE_SIZE} total={total} href={(page) => `${base}${auditQueryString(query, page)}`} />
          <p className="text-xs text-slate-400">{t('timeZoneNote', { zone: timeZone })}</p>
        </div>
      </Card>
    </AppShell>
  );
}
