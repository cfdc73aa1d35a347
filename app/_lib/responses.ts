/* Plain responses shared by route handlers (downloads, dev pages). */

/** The answer to anything the actor may not see: the same as for what does not exist. */
export function notFoundResponse(): Response {
  return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/** A Content-Disposition for a download: `filename="…"` (ASCII, for old clients) and `filename*` (RFC 5987, UTF-8). */
export function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
