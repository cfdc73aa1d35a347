'use client';

import { useFormStatus } from 'react-dom';
import { Button } from '@/components/ui/button';

/*
 * The user page's group card is one form: each group's "Remove" button posts its group as
 * `removeGroupId`; "Add" posts the chosen `groupId`. Only the pressed button says "working".
 */

/** Removes the member from one group; labelled for assistive technology with that group. */
export function RemoveGroupButton({ groupId, label, ariaLabel, pendingLabel }: { groupId: string; label: string; ariaLabel: string; pendingLabel: string }) {
  const { pending, data } = useFormStatus();
  const mine = pending && data?.get('removeGroupId') === groupId;
  return (
    <Button type="submit" name="removeGroupId" value={groupId} variant="secondary" className="shrink-0 px-2.5 py-1 text-xs" disabled={pending} aria-busy={mine} aria-label={ariaLabel}>
      {mine ? pendingLabel : label}
    </Button>
  );
}

/** Adds the member to the group chosen in the select. */
export function AddGroupButton({ label, pendingLabel }: { label: string; pendingLabel: string }) {
  const { pending, data } = useFormStatus();
  const mine = pending && !data?.get('removeGroupId');
  return (
    <Button type="submit" variant="secondary" disabled={pending} aria-busy={mine}>
      {mine ? pendingLabel : label}
    </Button>
  );
}
