'use client';

import { useTranslations } from 'next-intl';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { ConfirmButton } from '@/components/forms/confirm-button';
import { Field, SubmitButton, TextArea } from '@/components/forms/fields';
import { ButtonLink } from '@/components/ui/button';

/*
 * A group's forms (tenant administrators only; the server decides again). Each posts to a server
 * action from app/t/[tenant]/groups/actions.ts, handed down by the page.
 */

/** Create (no `group`) or edit a group: name and description. `cancelHref` adds a Cancel link. */
export function GroupForm({
  action,
  tenant,
  group,
  cancelHref,
}: {
  action: FormAction;
  tenant: string;
  group?: { id: string; name: string; description: string };
  cancelHref: string;
}) {
  const t = useTranslations('groups');
  const tc = useTranslations('common');
  const mode = group ? 'edit' : 'create';
  return (
    <ActionForm action={action} tenant={tenant} hidden={group ? { groupId: group.id } : undefined} aria-label={t(`${mode}.title`)}>
      <Field id={`${mode}-name`} label={t('fields.name')} name="name" defaultValue={group?.name} required maxLength={64} autoComplete="off" hint={t('fields.nameHint')} />
      <TextArea id={`${mode}-description`} label={t('fields.description')} name="description" defaultValue={group?.description} maxLength={1000} hint={t('fields.descriptionHint')} />
      <div className="flex flex-wrap items-center gap-2">
        <SubmitButton pendingLabel={t(`${mode}.pending`)}>{t(`${mode}.submit`)}</SubmitButton>
        <ButtonLink href={cancelHref} variant="ghost">
          {tc('cancel')}
        </ButtonLink>
      </div>
    </ActionForm>
  );
}

/** Deletes the group after a dialog that says how many memberships and permissions go with it. */
export function DeleteGroupForm({
  action,
  tenant,
  group,
}: {
  action: FormAction;
  tenant: string;
  group: { id: string; name: string; memberCount: number; permissionCount: number };
}) {
  const t = useTranslations('groups.delete');
  const tc = useTranslations('common');
  return (
    <ActionForm action={action} tenant={tenant} hidden={{ groupId: group.id }} aria-label={t('button')} className="[&_[role=alert]]:max-w-xs">
      <ConfirmButton
        title={t('confirmTitle', { name: group.name })}
        body={t('confirmBody', { members: group.memberCount, permissions: group.permissionCount })}
        confirmLabel={t('confirm')}
        cancelLabel={tc('cancel')}
      >
        {t('button')}
      </ConfirmButton>
    </ActionForm>
  );
}
