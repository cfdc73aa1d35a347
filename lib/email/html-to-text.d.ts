// html-to-text ships no types; the email renderer uses only its compiled converter.
declare module 'html-to-text' {
  export function compile(options?: Record<string, unknown>): (html: string) => string;
}
