import { createElement, type ReactElement } from 'react';
import type { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import {
  importFinishedEmail,
  importFinishedPreviewProps,
  zImportFinishedEmailProps,
  type ImportFinishedEmailProps,
} from './import-finished';
import { invitationEmail, invitationPreviewProps, zInvitationEmailProps, type InvitationEmailProps } from './invitation';
import { memberAddedEmail, memberAddedPreviewProps, zMemberAddedEmailProps, type MemberAddedEmailProps } from './member-added';
import {
  passwordChangedEmail,
  passwordChangedPreviewProps,
  zPasswordChangedEmailProps,
  type PasswordChangedEmailProps,
} from './password-changed';
import { passwordResetEmail, passwordResetPreviewProps, zPasswordResetEmailProps, type PasswordResetEmailProps } from './password-reset';

/** The template registry: what `sendEmail` accepts and what the email worker renders. */
export interface EmailTemplate<P> {
  /** Checks props when the email is saved and again when it is rendered (they come back from jsonb). */
  schema: z.ZodType<P>;
  component: (props: P & { locale: Locale }) => ReactElement;
  subject: (locale: Locale, props: P) => string;
  previewProps: P;
  /**
   * Props that grant access (links carrying tokens). Once the message has left through a real
   * provider they are removed from the stored row: only token hashes may stay in the database.
   */
  sensitiveProps: readonly (keyof P & string)[];
}

export interface RegisteredEmailTemplate<P> extends EmailTemplate<P> {
  /** Parses stored (untrusted) props and builds the subject and React element. */
  prepare(locale: Locale, props: unknown): { subject: string; element: ReactElement };
}

function defineEmailTemplate<P>(template: EmailTemplate<P>): RegisteredEmailTemplate<P> {
  return {
    ...template,
    prepare(locale, raw) {
      const props = template.schema.parse(raw);
      return { subject: template.subject(locale, props), element: createElement(template.component, { ...props, locale }) };
    },
  };
}

interface EmailPropsByTemplate {
  invitation: InvitationEmailProps;
  'password-reset': PasswordResetEmailProps;
  'password-changed': PasswordChangedEmailProps;
  'member-added': MemberAddedEmailProps;
  'import-finished': ImportFinishedEmailProps;
}

export type EmailTemplateName = keyof EmailPropsByTemplate;
export type EmailTemplateProps<N extends EmailTemplateName> = EmailPropsByTemplate[N];

export const emailTemplates: { [N in EmailTemplateName]: RegisteredEmailTemplate<EmailPropsByTemplate[N]> } = {
  invitation: defineEmailTemplate({
    schema: zInvitationEmailProps,
    ...invitationEmail,
    previewProps: invitationPreviewProps,
    sensitiveProps: ['registrationUrl'],
  }),
  'password-reset': defineEmailTemplate({
    schema: zPasswordResetEmailProps,
    ...passwordResetEmail,
    previewProps: passwordResetPreviewProps,
    sensitiveProps: ['resetUrl'],
  }),
  'password-changed': defineEmailTemplate({
    schema: zPasswordChangedEmailProps,
    ...passwordChangedEmail,
    previewProps: passwordChangedPreviewProps,
    // Its link is the public /forgot-password page: nothing to hide.
    sensitiveProps: [],
  }),
  'member-added': defineEmailTemplate({
    schema: zMemberAddedEmailProps,
    ...memberAddedEmail,
    previewProps: memberAddedPreviewProps,
    sensitiveProps: [],
  }),
  'import-finished': defineEmailTemplate({
    schema: zImportFinishedEmailProps,
    ...importFinishedEmail,
    previewProps: importFinishedPreviewProps,
    sensitiveProps: [],
  }),
};

export const EMAIL_TEMPLATE_NAMES = Object.keys(emailTemplates) as EmailTemplateName[];

/** True for a registered template name (rows store it as text). */
export function isEmailTemplateName(value: string): value is EmailTemplateName {
  return Object.hasOwn(emailTemplates, value);
}
