'use client';

import { signOut } from 'next-auth/react';
import { useTranslations } from 'next-intl';

export function SignOutButton() {
  const t = useTranslations('common');
  return (
    <button
      type="button"
      onClick={() => signOut({ callbackUrl: '/sign-in' })}
      className="w-full rounded-md px-2 py-1.5 text-left text-sm text-slate-600 hover:bg-slate-100"
    >
      {t('signOut')}
    </button>
  );
}
