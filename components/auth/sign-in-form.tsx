'use client';

import { signIn } from 'next-auth/react';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/forms/fields';

const KNOWN_ERRORS = ['invalid', 'deactivated', 'sessionEnded', 'unavailable', 'required'] as const;

/** Turns the error code next-auth hands back ("invalid", "throttled:840", …) into a sentence. */
function useErrorMessage() {
  const t = useTranslations('signIn.errors');
  return (code: string | null): string | null => {
    if (!code) return null;
    if (code.startsWith('throttled')) {
      const seconds = Number(code.split(':')[1] ?? 60);
      return t('throttled', { minutes: Math.max(1, Math.ceil(seconds / 60)) });
    }
    const known = KNOWN_ERRORS.find((k) => k === code);
    return t(known ?? 'invalid');
  };
}

export function SignInForm({ initialError, callbackUrl }: { initialError: string | null; callbackUrl: string }) {
  const t = useTranslations('signIn');
  const message = useErrorMessage();
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = String(data.get('email') ?? '').trim();
    const password = String(data.get('password') ?? '');
    if (!email || !password) return setError('required');
    setPending(true);
    setError(null);
    const result = await signIn('credentials', { email, password, redirect: false });
    if (!result || result.error) {
      setPending(false);
      setError(result?.error ?? 'unavailable');
      return;
    }
    router.replace(callbackUrl);
    router.refresh();
  }

  const errorText = message(error);
  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {errorText && <Alert>{errorText}</Alert>}
      <Field label={t('email')} name="email" type="email" autoComplete="username" required autoFocus />
      <Field label={t('password')} name="password" type="password" autoComplete="current-password" required />
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? t('submitting') : t('submit')}
      </Button>
    </form>
  );
}
