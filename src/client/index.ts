/**
 * `klaxon/client`: push metrics, events and alerts to Klaxon from a TypeScript or JavaScript bot.
 *
 *   import { KlaxonClient } from 'klaxon/client';
 *   const klaxon = new KlaxonClient({ url: 'http://127.0.0.1:8080', token, source: 'grid-1' });
 *
 * Only `node:` modules and the files of this folder: it ships to bots without the server.
 */
export {
  KlaxonClient,
  KlaxonError,
  type AlertInput,
  type ClientStats,
  type EventOptions,
  type FieldError,
  type KlaxonClientOptions,
  type KlaxonErrorKind,
  type KlaxonRoute,
  type MetricsOptions,
  type Severity,
  type Timestamp,
} from './client.js';
export type { Timers } from './queue.js';
export type { RetryOptions } from './retry.js';
