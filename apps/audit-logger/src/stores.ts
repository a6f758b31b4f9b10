// Where the audit store is, as plain data (the detection worker opens its own store from it), and
// opening it: a SQLite file by default, PostgreSQL when given a connection.
import type { AuditStore } from './audit-store.js';
import { PostgresAuditStore, type PostgresConnection } from './postgres-store.js';
import { type Durability, SqliteAuditStore, type StoreMode } from './sqlite-store.js';

/** A SQLite file (`path`) or a PostgreSQL database (`postgres`). */
export type StoreLocation = { readonly path: string } | { readonly postgres: PostgresConnection };

/**
 * Opens the store at `location`: SQLite in `mode` (see {@link StoreMode}) with `durability`;
 * PostgreSQL connected and migrated (its options are SQLite's only).
 */
export async function openAuditStore(
  location: StoreLocation,
  options: { durability?: Durability; mode?: StoreMode } = {},
): Promise<AuditStore> {
  if ('postgres' in location) return PostgresAuditStore.open(location.postgres);
  return SqliteAuditStore.open(location.path, options);
}
