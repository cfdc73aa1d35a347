import type { Locale } from '../config';
import accessEn from './access.en.json';
import accessJa from './access.ja.json';
import apiTokensEn from './api-tokens.en.json';
import apiTokensJa from './api-tokens.ja.json';
import auditEn from './audit.en.json';
import auditJa from './audit.ja.json';
import catalogEn from './catalog.en.json';
import catalogJa from './catalog.ja.json';
import en from './en.json';
import groupsEn from './groups.en.json';
import groupsJa from './groups.ja.json';
import importFileEn from './import-file.en.json';
import importFileJa from './import-file.ja.json';
import importRowsEn from './import-rows.en.json';
import importRowsJa from './import-rows.ja.json';
import importTemplateEn from './import-template.en.json';
import importTemplateJa from './import-template.ja.json';
import importsEn from './imports.en.json';
import importsJa from './imports.ja.json';
import invitationsEn from './invitations.en.json';
import invitationsJa from './invitations.ja.json';
import ja from './ja.json';
import memberListEn from './member-list.en.json';
import memberListJa from './member-list.ja.json';
import orgsEn from './orgs.en.json';
import orgsJa from './orgs.ja.json';
import permissionsEn from './permissions.en.json';
import permissionsJa from './permissions.ja.json';
import usersEn from './users.en.json';
import usersJa from './users.ja.json';

/*
 * The catalogue is split by feature (core + one file per area, each holding its own top-level
 * namespaces) so features can grow without editing one huge file. A namespace lives in exactly
 * one file: `buildCatalogue` refuses duplicates.
 */
type Messages = Record<string, unknown>;

function buildCatalogue(parts: Messages[]): Messages {
  const out: Messages = {};
  for (const part of parts) {
    for (const [ns, value] of Object.entries(part)) {
      if (ns in out) throw new Error(`i18n: namespace '${ns}' is defined twice`);
      out[ns] = value;
    }
  }
  return out;
}

export const catalogues: Record<Locale, Messages> = {
  en: buildCatalogue([en, orgsEn, usersEn, invitationsEn, auditEn, memberListEn, groupsEn, catalogEn, accessEn, apiTokensEn, permissionsEn, importTemplateEn, importRowsEn, importFileEn, importsEn]),
  ja: buildCatalogue([ja, orgsJa, usersJa, invitationsJa, auditJa, memberListJa, groupsJa, catalogJa, accessJa, apiTokensJa, permissionsJa, importTemplateJa, importRowsJa, importFileJa, importsJa]),
};
