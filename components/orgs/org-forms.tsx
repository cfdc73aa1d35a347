'use client';

import { useTranslations } from 'next-intl';
import { ActionForm, type FormAction, useFormResult } from '@/components/forms/action-form';
import { ConfirmButton } from '@/components/forms/confirm-button';
import { Checkbox, Field, Select, SubmitButton, TextArea } from '@/components/forms/fields';

/*
 * The org tree's forms (tenant administrators only; the server decides again). Each posts to a
 * server action from app/t/[tenant]/orgs/actions.ts, handed down by the page.
 */

export interface OrgOption {
  value: string;
  label: string;
}

/** The email-notifications checkbox, keeping what the user chose after a failed submit. */
function EmailNotifications({ form, defaultChecked }: { form: string; defaultChecked: boolean }) {
  const t = useTranslations('orgs.fields');
  const state = useFormResult();
  const checked = state.status === 'error' ? state.values.emailNotifications === 'on' : defaultChecked;
  return (
    <Checkbox
      key={state.status === 'error' ? state.at : 'initial'}
      id={`${form}-emailNotifications`}
      name="emailNotifications"
      label={t('emailNotifications')}
      hint={t('emailNotificationsHint')}
      defaultChecked={checked}
    />
  );
}

/** `form` prefixes the ids: one page holds several of these forms, and labels must find their own input. */
function NameAndDescription({ form, name, description, nameDisabledHint }: { form: string; name?: string; description?: string; nameDisabledHint?: string }) {
  const t = useTranslations('orgs.fields');
  return (
    <>
      {nameDisabledHint ? (
        <>
          {/* The root's name is the tenant's: shown, not editable, and posted unchanged. */}
          <Field id={`${form}-name`} label={t('name')} name="name-display" defaultValue={name} disabled hint={nameDisabledHint} />
          <input type="hidden" name="name" value={name} />
        </>
      ) : (
        <Field id={`${form}-name`} label={t('name')} name="name" defaultValue={name} required maxLength={64} autoComplete="off" hint={t('nameHint')} />
      )}
      <TextArea id={`${form}-description`} label={t('description')} name="description" defaultValue={description} maxLength={1000} hint={t('descriptionHint')} />
    </>
  );
}

/** A new organization under a chosen parent (`parents` lists paths) or under a fixed one (`parentId`). */
export function CreateOrgForm({
  action,
  tenant,
  parents,
  parentId,
  defaultParentId,
}: {
  action: FormAction;
  tenant: string;
  parents?: OrgOption[];
  parentId?: string;
  defaultParentId?: string;
}) {
  const t = useTranslations('orgs');
  return (
    <ActionForm action={action} tenant={tenant} hidden={parentId ? { parentId } : undefined} aria-label={parentId ? t('createChild.title') : t('create.title')}>
      {parents && <Select id="create-parentId" label={t('fields.parent')} name="parentId" options={parents} defaultValue={defaultParentId} />}
      <NameAndDescription form="create" />
      <EmailNotifications form="create" defaultChecked />
      <SubmitButton pendingLabel={t('create.pending')}>{t('create.submit')}</SubmitButton>
    </ActionForm>
  );
}

export function EditOrgForm({
  action,
  tenant,
  org,
}: {
  action: FormAction;
  tenant: string;
  org: { id: string; name: string; description: string; emailNotifications: boolean; isRoot: boolean };
}) {
  const t = useTranslations('orgs');
  return (
    <ActionForm action={action} tenant={tenant} hidden={{ orgId: org.id }} aria-label={t('edit.title')}>
      <NameAndDescription form="edit" name={org.name} description={org.description} nameDisabledHint={org.isRoot ? t('edit.rootNameHint') : undefined} />
      <EmailNotifications form="edit" defaultChecked={org.emailNotifications} />
      <SubmitButton pendingLabel={t('pending')}>{t('edit.submit')}</SubmitButton>
    </ActionForm>
  );
}

export function MoveOrgForm({ action, tenant, orgId, targets }: { action: FormAction; tenant: string; orgId: string; targets: OrgOption[] }) {
  const t = useTranslations('orgs');
  return (
    <ActionForm action={action} tenant={tenant} hidden={{ orgId }} aria-label={t('move.title')}>
      <Select id="move-parentId" label={t('fields.newParent')} name="parentId" options={[{ value: '', label: t('move.choose') }, ...targets]} defaultValue="" />
      <SubmitButton variant="secondary" pendingLabel={t('pending')}>
        {t('move.submit')}
      </SubmitButton>
    </ActionForm>
  );
}

export function DeleteOrgForm({ action, tenant, orgId, path }: { action: FormAction; tenant: string; orgId: string; path: string }) {
  const t = useTranslations('orgs.delete');
  const tc = useTranslations('common');
  return (
    <ActionForm action={action} tenant={tenant} hidden={{ orgId }} aria-label={t('title')}>
      <ConfirmButton title={t('confirmTitle', { path })} body={t('confirmBody')} confirmLabel={t('confirm')} cancelLabel={tc('cancel')}>
        {t('button')}
      </ConfirmButton>
    </ActionForm>
  );
}
