'use client';

import { useTranslations } from 'next-intl';
import { useRef, useState } from 'react';
import { useFormResult } from '@/components/forms/action-form';
import { Button } from '@/components/ui/button';

/**
 * Inside the create form: after a successful create, the new secret with a copy button, shown
 * this once (it lives only in this form's state; a reload forgets it).
 */
export function CreatedSecret() {
  const t = useTranslations('apiTokens.secret');
  const state = useFormResult<{ secret: string }>();
  const [copied, setCopied] = useState<{ at: number; ok: boolean } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  if (state.status !== 'success' || !state.data?.secret) return null;
  const secret = state.data.secret;
  const current = copied?.at === state.at ? copied : null;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied({ at: state.at, ok: true });
    } catch {
      // No clipboard (insecure origin, denied): select it for a manual copy.
      input.current?.select();
      setCopied({ at: state.at, ok: false });
    }
  };

  return (
    <div role="status" className="space-y-3 rounded-md bg-emerald-50 p-4 ring-1 ring-inset ring-emerald-200">
      <div>
        <p className="text-sm font-semibold text-emerald-900">{state.message}</p>
        <p className="text-sm font-semibold text-emerald-900">{t('title')}</p>
        <p className="mt-1 text-sm text-emerald-800">{t('once')}</p>
      </div>
      <div>
        <label htmlFor="api-token-secret" className="block text-xs font-medium text-emerald-900">
          {t('label')}
        </label>
        <input
          ref={input}
          id="api-token-secret"
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
          autoComplete="off"
          className="mt-1 block w-full min-w-0 rounded-md border-0 bg-white px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-inset ring-emerald-300 focus:ring-2 focus:ring-emerald-500"
        />
        <div className="mt-2 flex items-center gap-3">
          <Button type="button" variant="secondary" onClick={copy}>
            {current?.ok ? t('copied') : t('copy')}
          </Button>
          {/* Announces the copy; only a failure needs showing (the button says "Copied"). */}
          <p aria-live="polite" className={current?.ok ? 'sr-only' : 'text-xs text-emerald-800'}>
            {current ? (current.ok ? t('copied') : t('copyFailed')) : ''}
          </p>
        </div>
      </div>
    </div>
  );
}
