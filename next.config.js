// @ts-check
const createNextIntlPlugin = require('next-intl/plugin');

const withNextIntl = createNextIntlPlugin('./app/_lib/i18n-request.ts');

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and server-only packages stay out of the bundle.
  serverExternalPackages: ['@node-rs/argon2', 'bullmq', 'ioredis', 'postgres'],
  poweredByHeader: false,
  experimental: {
    // Spreadsheet imports are uploaded through a server action: files of up to 20 MB (SPEC 3.5)
    // plus the multipart envelope. The upload form refuses larger files before sending them.
    serverActions: { bodySizeLimit: '21mb' },
  },
};

module.exports = withNextIntl(nextConfig);
