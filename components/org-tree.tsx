import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { Badge } from '@/components/ui/badge';
import type { OrgTreeNode } from '@/lib/orgs';

/**
 * The organization tree as nested lists; each level folds with <details>, so it works without
 * client code and reads as a tree to assistive technology. Each name links to the org's page
 * under `linkBase` (`/t/slug/orgs`).
 */
export async function OrgTree({ roots, label, linkBase }: { roots: OrgTreeNode[]; label: string; linkBase: string }) {
  const t = await getTranslations('dashboard');
  if (roots.length === 0) return <p className="text-sm text-slate-500">{t('noOrgs')}</p>;
  const renderNode = (node: OrgTreeNode) => (
    <li key={node.id} data-org-path={node.namePath}>
      <details open={node.depth < 3} className="[&[open]>summary>.chevron]:rotate-90">
        <summary className="flex cursor-pointer list-none items-center gap-2 rounded-md px-2 py-1.5 hover:bg-slate-50 [&::-webkit-details-marker]:hidden">
          <span aria-hidden className={`chevron w-3 text-xs text-slate-400 transition-transform ${node.children.length === 0 ? 'invisible' : ''}`}>
            ▶
          </span>
          <Link href={`${linkBase}/${node.id}`} className="font-medium text-brand-700 hover:underline">
            {node.name}
          </Link>
          {node.depth > 0 && <span className="text-xs text-slate-400">{node.namePath}</span>}
          <span className="ml-auto flex items-center gap-1.5">
            {!node.emailNotifications && <Badge tone="amber">{t('emailOff')}</Badge>}
            <Badge>{t('members', { count: node.memberCount })}</Badge>
          </span>
        </summary>
        {node.children.length > 0 && <ul className="ml-4 border-l border-slate-200 pl-3">{node.children.map(renderNode)}</ul>}
      </details>
    </li>
  );
  return (
    <ul aria-label={label} className="space-y-0.5 text-sm">
      {roots.map(renderNode)}
    </ul>
  );
}
