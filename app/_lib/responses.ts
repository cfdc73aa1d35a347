/* Plain responses shared by route handlers (downloads, dev pages). */

/** The answer to anything the actor may not see: the same as for what does not exist. */
export function notFoundResponse(): Response {
  return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

