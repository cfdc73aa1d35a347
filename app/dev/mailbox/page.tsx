import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import clsx from 'clsx';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import type { EmailStatus } from '@/db/schema';
import { usesOutbox } from '@/lib/env';
import { getMailboxMessage, listMailboxMessages, mailboxReaderOf } from '@/lib/email/mailbox';
import { requireActor } from '@/app/_lib/session';

// A developer tool, shown only with the outbox transport: plain English on purpose, not in the
// i18n catalogue.
export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Dev mailbox', robots: { index: false, follow: false } };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Dates in UTC with seconds: unambiguous for whoever reads the page or a test log. */
function formatTime(date: Date | null): string {
  return date ? `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—';
}

const STATUS_TONE: Record<EmailStatus, 'amber' | 'green' | 'red'> = {
  queued: 'amber',
  sent: 'green',
  delivered: 'green',
  failed: 'red',
  bounced: 'red',
  complained: 'red',
};

function StatusBadge({ status }: { status: EmailStatus }) {
  return <Badge tone={STATUS_TONE[status]}>{status}</Badge>;
}

function mailboxHref(params: { id?: string; to?: string }): string {
  const query = new URLSearchParams();
  if (params.to) query.set('to', params.to);
  if (params.id) query.set('id', params.id);
  const qs = query.toString();
  return qs ? `/dev/mailbox?${qs}` : '/dev/mailbox';
}

export default async function DevMailboxPage({ searchParams }: { searchParams: SearchParams }) {
  if (!usesOutbox()) notFound();
  // Outbox messages hold live registration links: signed-in people only.
  const reader = await mailboxReaderOf(getDb(), await requireActor());
  const params = await searchParams;
  const to = single(params.to)?.trim() || undefined;
  const selectedId = single(params.id);
  const db = getDb();
  const [messages, selected] = await Promise.all([
    listMailboxMessages(db, reader, { to }),
    selectedId ? getMailboxMessage(db, reader, selectedId) : Promise.resolve(null),
  ]);

  return (
    <main className="mx-auto max-w-[96rem] px-4 py-8 sm:px-6">
      <PageHeader
        title="Dev mailbox"
        description="Emails kept by the outbox transport (RESEND_API_KEY is not set): yours, and those of the tenants you administer. Newest 100 first."
        actions={
          <form method="get" action="/dev/mailbox" className="flex items-end gap-2" role="search">
            <label className="flex flex-col text-xs font-medium text-slate-600">
              Recipient
              <input
                type="email"
                name="to"
                defaultValue={to}
                placeholder="someone@example.com"
                className="mt-1 w-64 rounded-md border border-slate-300 px-2.5 py-1.5 text-sm text-slate-900 shadow-xs focus:border-slate-500 focus:outline-none"
              />
            </label>
            <button
              type="submit"
              className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
            >
              Filter
            </button>
            {to && (
              <Link href="/dev/mailbox" className="px-2 py-1.5 text-sm text-slate-600 underline">
                Clear
              </Link>
            )}
          </form>
        }
      />

      <div className="grid gap-6 2xl:grid-cols-2">
        <Card title="Messages" description={to ? `To ${to}` : undefined}>
          {messages.length === 0 ? (
            <p className="text-sm text-slate-500">No messages.</p>
          ) : (
            <Table caption="Messages">
              <thead>
                <tr>
                  <Th>To</Th>
                  <Th>Subject</Th>
                  <Th>Template</Th>
                  <Th>Time</Th>
                  <Th>Status</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {messages.map((m) => {
                  const isSelected = m.id === selected?.id;
                  return (
                    <tr
                      key={m.id}
                      aria-current={isSelected ? 'true' : undefined}
                      className={clsx(isSelected && 'bg-slate-50')}
                    >
                      <Td className="whitespace-nowrap">{m.toAddress}</Td>
                      <Td className="min-w-64">
                        <Link href={mailboxHref({ id: m.id, to })} className="font-medium text-slate-900 underline-offset-2 hover:underline">
                          {m.subject ?? `(${m.template}, not rendered yet)`}
                        </Link>
                      </Td>
                      <Td className="whitespace-nowrap font-mono text-xs">
                        {m.template}.{m.locale}
                      </Td>
                      <Td className="whitespace-nowrap tabular-nums">{formatTime(m.createdAt)}</Td>
                      <Td>
                        <StatusBadge status={m.status} />
                      </Td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
          )}
        </Card>

        {selectedId && !selected && (
          <Card title="Message not found">
            <p className="text-sm text-slate-500">There is no message with this id.</p>
          </Card>
        )}
        {selected && (
          <Card title={selected.subject ?? '(not rendered yet)'}>
            <section aria-label="Selected message" className="space-y-4">
              <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                <dt className="text-slate-500">To</dt>
                <dd>{selected.toAddress}</dd>
                <dt className="text-slate-500">Template</dt>
                <dd className="font-mono text-xs">
                  {selected.template}.{selected.locale}
                </dd>
                <dt className="text-slate-500">Status</dt>
                <dd>
                  <StatusBadge status={selected.status} />
                </dd>
                <dt className="text-slate-500">Created</dt>
                <dd className="tabular-nums">{formatTime(selected.createdAt)}</dd>
                <dt className="text-slate-500">Sent</dt>
                <dd className="tabular-nums">{formatTime(selected.sentAt)}</dd>
                <dt className="text-slate-500">Attempts</dt>
                <dd className="tabular-nums">{selected.attempts}</dd>
                {selected.lastError && (
                  <>
                    <dt className="text-slate-500">Last error</dt>
                    <dd className="text-red-700">{selected.lastError}</dd>
                  </>
                )}
              </dl>
              {selected.html ? (
                <iframe
                  title="Message HTML"
                  src={`/dev/mailbox/${selected.id}`}
                  // No scripts, no same-origin access; links may open in a new tab.
                  sandbox="allow-popups allow-popups-to-escape-sandbox"
                  referrerPolicy="no-referrer"
                  className="h-[32rem] w-full rounded-md border border-slate-200 bg-white"
                />
              ) : (
                <p className="text-sm text-slate-500">Not rendered yet: the worker renders messages when it sends them.</p>
              )}
              {selected.text && (
                <div>
                  <h3 id="plain-text-heading" className="mb-1 text-sm font-semibold text-slate-700">
                    Plain text
                  </h3>
                  <pre
                    aria-labelledby="plain-text-heading"
                    className="overflow-x-auto whitespace-pre-wrap break-all rounded-md bg-slate-50 p-3 font-mono text-xs text-slate-800"
                  >
                    {selected.text}
                  </pre>
                </div>
              )}
            </section>
          </Card>
        )}
      </div>
    </main>
  );
}
