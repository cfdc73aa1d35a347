'use client';

import clsx from 'clsx';
import { createContext, type ReactNode, useActionState, useContext, useEffect, useRef } from 'react';
import type { FormState } from '@/app/_lib/action';
import { Alert } from '@/components/ui/alert';

const FormStateContext = createContext<FormState>({ status: 'idle' });

/**
 * The last result of the enclosing ActionForm (fields read their errors and echoed values from it).
 * `D` names the `data` the form's action returns on success (`ActionResult<D>`), e.g.
 * `useFormResult<{ secret: string }>()`; the context cannot check it, so name the action's own.
 */
export function useFormResult<D = unknown>(): FormState<D> {
  return useContext(FormStateContext) as FormState<D>;
}

/** The error for a field of the enclosing form, if any. */
export function useFieldError(name: string): string | undefined {
  const state = useFormResult();
  return state.status === 'error' ? state.fieldErrors[name] : undefined;
}

/**
 * What a field shows: after a failed submit, what the user typed (React resets forms after an
 * action, and re-renders from defaultValue); otherwise the given default.
 */
export function useFieldValue(name: string, fallback: string | undefined): string | undefined {
  const state = useFormResult();
  if (state.status !== 'error') return fallback;
  const v = state.values[name];
  return typeof v === 'string' ? v : fallback;
}

export type FormAction = (state: FormState, form: FormData) => Promise<FormState>;

/**
 * A form bound to a server action built with `tenantAction`. Shows the form-level message (error
 * or success) above its fields and hands field errors down. `tenant` adds the hidden field the
 * action authenticates with; `hidden` adds other fixed values (ids).
 */
export function ActionForm({
  action,
  tenant,
  hidden,
  children,
  className,
  onSuccess,
  showSuccess = true,
  'aria-label': ariaLabel,
}: {
  action: FormAction;
  tenant?: string;
  hidden?: Record<string, string>;
  children: ReactNode;
  className?: string;
  onSuccess?: () => void;
  showSuccess?: boolean;
  'aria-label'?: string;
}) {
  const [state, formAction] = useActionState(action, { status: 'idle' } as FormState);
  const handled = useRef(0);
  useEffect(() => {
    if (state.status === 'success' && state.at !== handled.current) {
      handled.current = state.at;
      onSuccess?.();
    }
  }, [state, onSuccess]);
  return (
    <FormStateContext value={state}>
      <form action={formAction} className={clsx('space-y-4', className)} noValidate aria-label={ariaLabel}>
        {tenant !== undefined && <input type="hidden" name="tenant" value={tenant} />}
        {Object.entries(hidden ?? {}).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <FormMessage showSuccess={showSuccess} />
        {children}
      </form>
    </FormStateContext>
  );
}

function FormMessage({ showSuccess }: { showSuccess: boolean }) {
  const state = useFormResult();
  if (state.status === 'error' && state.message) return <Alert key={state.at}>{state.message}</Alert>;
  if (state.status === 'success' && state.message && showSuccess) {
    return (
      <Alert key={state.at} tone="success">
        {state.message}
      </Alert>
    );
  }
  return null;
}
