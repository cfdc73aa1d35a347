import Link from 'next/link';
import type { AuditQuery } from '@/app/t/[tenant]/audit/query';
import { getTranslations } from 'next-intl/server';
import { Field, Select } from '@/components/forms/fields';
import { Button, buttonClasses } from '@/components/ui/button';

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
      <Select label={t('action')} name="action" id="audit-action" defaultValue={values.action} options={[{ value: '', label: t('anyAction') }, ...actions]} />
      <Select
        label={t('targetType')}
        name="targetType"
        id="audit-target-type"
        defaultValue={values.targetType}
        options={[{ value: '', label: t('anyTargetType') }, ...targetTypes]}
      />
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
