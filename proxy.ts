import { type NextRequest, NextResponse } from 'next/server';
import { isLocale, LINK_LOCALE_HEADER, LINK_LOCALE_PARAM } from '@/lib/i18n/config';

/**
 * The language of an emailed link (`/register/TOKEN?lang=ja`, `/reset-password/TOKEN?lang=ja`)
 * reaches the locale resolver (app/_lib/i18n-request.ts) as a request header: the invitee sees the
 * page in the language of the email they opened, unless they chose one on this browser.
 */
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.delete(LINK_LOCALE_HEADER); // only this proxy sets it
  const lang = request.nextUrl.searchParams.get(LINK_LOCALE_PARAM);
  if (isLocale(lang)) headers.set(LINK_LOCALE_HEADER, lang);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ['/register/:path*', '/reset-password/:path*'] };
