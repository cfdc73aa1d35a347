'use client';

import { useTranslations } from 'next-intl';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { ConfirmButton } from '@/components/forms/confirm-button';
import { Field, SubmitButton } from '@/components/forms/fields';

/*
 * The service catalog's forms (platform operator only; lib/catalog decides again). Each posts to
 * a server action from app/operator/services/actions.ts, handed down by the page.
 */

/** `form` prefixes the ids: labels must find their own input when a page holds several forms. */
function Names({ form, name, nameJa }: { form: string; name?: string; nameJa?: string | null }) {
  const t = useTranslations('catalog.fields');
  return (
    <>
      <Field id={`${form}-name`} label={t('name')} name="name" defaultValue={name} required maxLength={100} autoComplete="off" hint={t('nameHint')} />
      <Field id={`${form}-nameJa`} label={t('nameJa')} name="nameJa" defaultValue={nameJa ?? ''} maxLength={100} autoComplete="off" lang="ja" hint={t('nameJaHint')} />
    </>
  );
}

export function CreateServiceForm({ action }: { action: FormAction }) {
  const t = useTranslations('catalog');
  return (
    <ActionForm action={action} aria-label={t('services.create.title')}>
      <Field
        id="create-key"
        label={t('fields.key')}
        name="key"
        required
        maxLength={40}
        autoComplete="off"
        spellCheck={false}
        autoCapitalize="off"
        className="[&_input]:font-mono"
        hint={t('fields.keyHint')}
      />
      <Names form="create" />
      <SubmitButton pendingLabel={t('services.create.pending')}>{t('services.create.submit')}</SubmitButton>
    </ActionForm>
  );
}

export function EditServiceForm({ action, service }: { action: FormAction; service: { id: string; key: string; name: string; nameJa: string | null } }) {
  const t = useTranslations('catalog');
  return (
    <ActionForm action={action} hidden={{ serviceId: service.id }} aria-label={t('service.edit.title')}>
      {/* Shown, never posted: the key is permanent. */}
      <Field id="edit-key" label={t('fields.key')} name="key-display" defaultValue={service.key} disabled className="[&_input]:font-mono" hint={t('fields.keyLocked')} />
      <Names form="edit" name={service.name} nameJa={service.nameJa} />
      <SubmitButton pendingLabel={t('pending')}>{t('service.edit.submit')}</SubmitButton>
    </ActionForm>
  );
}

export function DeleteServiceForm({ action, serviceId, serviceKey }: { action: FormAction; serviceId: string; serviceKey: string }) {
  const t = useTranslations('catalog.service.delete');
  const tc = useTranslations('common');
  return (
    <ActionForm action={action} hidden={{ serviceId }} aria-label={t('title')}>
      <ConfirmButton title={t('confirmTitle', { key: serviceKey })} body={t('confirmBody')} confirmLabel={t('confirm')} cancelLabel={tc('cancel')}>
        {t('button')}
      </ConfirmButton>
    </ActionForm>
  );
}
