import Link from 'next/link';
import type { AuditQuery } from '@/app/t/[tenant]/audit/query';
import { getTranslations } from 'next-intl/server';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/forms/fields';
import { buttonClasses } from '@/components/ui/button';

const SELECT =
  'mt-1 block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-xs ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-inset focus:ring-brand-500';

/** The audit screen's filters: a plain GET form, so results are bookmarkable and work without JavaScript. */
export async function AuditFilterForm({
  action,
  values,
  actions,
  targetTypes,
}: {
  /** The page's path (the form submits to itself). */
  action: string;
  values: Omit<AuditQuery, 'page'>;
  actions: { value: string; label: string }[];
  targetTypes: { value: string; label: string }[];
}) {
  const t = await getTranslations('audit.filters');
  return (
    <form method="get" action={action} aria-label={t('title')} className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
      <Field label={t('actor')} name="actor" id="audit-actor" defaultValue={values.actor} hint={t('actorHint')} maxLength={200} autoComplete="off" />
      <div>
        <label htmlFor="audit-action" className="block text-sm font-medium text-slate-700">
          {t('action')}
        </label>
        <select id="audit-action" name="action" defaultValue={values.action} className={SELECT}>
          <option value="">{t('anyAction')}</option>
          {actions.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor="audit-target-type" className="block text-sm font-medium text-slate-700">
          {t('targetType')}
        </label>
        <select id="audit-target-type" name="targetType" defaultValue={values.targetType} className={SELECT}>
          <option value="">{t('anyTargetType')}</option>
          {targetTypes.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <Field label={t('target')} name="target" id="audit-target" defaultValue={values.target} hint={t('targetHint')} maxLength={200} autoComplete="off" />
      <Field label={t('from')} name="from" id="audit-from" type="date" defaultValue={values.from} />
      <Field label={t('to')} name="to" id="audit-to" type="date" defaultValue={values.to} />
      {values.importId ? (
        <Field label={t('importId')} name="importId" id="audit-import" defaultValue={values.importId} hint={t('importHint')} maxLength={200} />
      ) : (
        <div className="hidden lg:block" />
      )}
      <div className="flex items-end gap-2">
        <Button type="submit">{t('apply')}</Button>
        <Link href={action} className={buttonClasses('ghost')}>
          {t('clear')}
        </Link>
      </div>
    </form>
  );
}
