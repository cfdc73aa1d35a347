import { customType, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Primary key: random UUIDs, so ids reveal nothing and cannot be guessed across tenants. */
export const id = () => uuid('id').primaryKey().defaultRandom();

export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());

/** Raw bytes (uploaded files live in PostgreSQL so web and worker may run on different hosts). */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

export const LOCALES = ['en', 'ja'] as const;
export type Locale = (typeof LOCALES)[number];
