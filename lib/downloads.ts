import { PassThrough, Readable, type Writable } from 'node:stream';

/* Downloads shared by the screens' route handlers and the API: file names and streamed workbooks. */

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A Content-Disposition for a download: `filename="…"` (ASCII, for old clients) and `filename*` (RFC 5987, UTF-8). */
export function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * A streamed xlsx download: `write` fills a Node stream that becomes the response body as it
 * goes (the workbook is never held whole). Backpressure flows back from the client: the web
 * stream pauses the PassThrough, whose full buffer makes the writers wait. A failure after the
 * headers went out can only abort the body (the client sees a failed download, never a truncated
 * file that looks complete); a cancelled download ends the writer.
 */
export function xlsxResponse(filename: string, write: (output: Writable) => Promise<void>, headers: Record<string, string> = {}): Response {
  const output = new PassThrough();
  write(output).catch((err: unknown) => {
    if (!output.destroyed) {
      console.error('xlsx download failed', err);
      output.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  });
  return new Response(Readable.toWeb(output) as ReadableStream<Uint8Array>, {
    headers: {
      'content-type': XLSX_CONTENT_TYPE,
      'content-disposition': attachment(filename),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    },
  });
}
