'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { Checkbox, CheckboxGroup, Field, SubmitButton } from '@/components/forms/fields';
import { buttonClasses } from '@/components/ui/button';
import type { MemberLookup } from '@/lib/users';

const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const DEBOUNCE_MS = 350;

/**
 * The add-user form (SPEC 3.1). Typing the email of a member of this tenant fills the name fields
 * by itself (read-only: the names are theirs) and says they will be added to this org too.
 */
export function AddUserForm({
  action,
  lookup,
  tenant,
  tenantName,
  orgId,
  services,
  lastNameFirst,
  cancelHref,
}: {
  action: FormAction;
  lookup: (tenant: string, orgId: string, email: string) => Promise<MemberLookup | null>;
  tenant: string;
  tenantName: string;
  orgId: string;
  services: { value: string; label: string }[];
  /** Japanese order: family name first. */
  lastNameFirst: boolean;
  cancelHref: string;
}) {
  const t = useTranslations('addUser');
  const tu = useTranslations('users');
  const [email, setEmail] = useState('');
  const [found, setFound] = useState<MemberLookup | null>(null);
  const [checking, setChecking] = useState(false);
  // What the admin typed, restored when the address stops matching a member.
  const typed = useRef({ firstName: '', lastName: '' });
  const latest = useRef(0);

  useEffect(() => {
    const address = email.trim();
    const request = ++latest.current;
    if (!EMAIL_SHAPE.test(address)) {
      setFound(null);
      setChecking(false);
      return;
    }
    setChecking(true);
    const timer = setTimeout(() => {
      lookup(tenant, orgId, address)
        .catch(() => null)
        .then((result) => {
          // Only the answer to the latest keystroke counts.
          if (request !== latest.current) return;
          setFound(result);
          setChecking(false);
        });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [email, lookup, tenant, orgId]);

  const nameField = (name: 'firstName' | 'lastName') => (
    <Field
      // Remounted when a member is found or lost, so the default value shows.
      key={`${name}-${found ? `found:${found.firstName}|${found.lastName}` : 'typed'}`}
      label={tu(name)}
      name={name}
      defaultValue={found ? found[name] : typed.current[name]}
      readOnly={found !== null}
      aria-readonly={found !== null}
      onChange={(e) => {
        if (!found) typed.current[name] = e.target.value;
      }}
      autoComplete="off"
      required
      maxLength={100}
      className={found ? '[&_input]:bg-slate-50 [&_input]:text-slate-600' : undefined}
    />
  );
  const names = lastNameFirst ? [nameField('lastName'), nameField('firstName')] : [nameField('firstName'), nameField('lastName')];

  return (
    <ActionForm action={action} tenant={tenant} hidden={{ orgId }} aria-label={t('title')}>
      <Field
        label={tu('email')}
        name="email"
        type="email"
        autoComplete="off"
        required
        maxLength={254}
        onChange={(e) => setEmail(e.target.value)}
        hint={
          // One polite live region: the lookup's outcome is read out when it changes.
          <span aria-live="polite">
            {checking ? (
              t('lookingUp')
            ) : found ? (
              <span className={found.alreadyInOrg ? 'font-medium text-amber-700' : 'font-medium text-brand-700'}>
                {found.alreadyInOrg ? t('alreadyInOrg') : t('existingMember', { tenant: tenantName })}
              </span>
            ) : (
              t('emailHint', { tenant: tenantName })
            )}
          </span>
        }
      />
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">{names}</div>
      <Checkbox label={t('isAdmin')} name="isAdmin" hint={t('isAdminHint')} />
      {services.length > 0 ? (
        <CheckboxGroup legend={t('services')} name="serviceKeys" options={services} hint={found ? t('servicesHintExisting') : t('servicesHint')} />
      ) : (
        <p className="text-sm text-slate-500">{t('noServices')}</p>
      )}
      <div className="flex items-center gap-2 border-t border-slate-100 pt-4">
        <SubmitButton pendingLabel={t('submitting')}>{t('submit')}</SubmitButton>
        <Link href={cancelHref} className={buttonClasses('ghost')}>
          {t('cancel')}
        </Link>
      </div>
    </ActionForm>
  );
}
