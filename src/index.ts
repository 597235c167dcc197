/**
 * Relaykit's public API: what plugins and embedders import.
 *
 * ```ts
 * import { definePlugin, t } from 'relaykit';
 * ```
 */

export type { Static, TObject } from '@sinclair/typebox';
export { Type } from '@sinclair/typebox';
export { Elysia, t } from 'elysia';
export type { Leadership } from './cluster/leadership.ts';
export { ConfigError } from './config/load.ts';
export type { HubConfig, PluginEntry } from './config/schema.ts';
export { secret } from './config/schema.ts';
export {
  accessFromClaims,
  adminAccess,
  anonymousAccess,
  type ClientAccess,
  isSystemChannel,
  SYSTEM_CHANNEL_PREFIX,
  systemEventPattern,
} from './kernel/access.ts';
export type { AuthService, TokenElsewhere } from './kernel/auth.ts';
export { bearerToken } from './kernel/auth.ts';
export type { AnyEventHandler, EventBus, EventHandler, Unsubscribe } from './kernel/bus.ts';
export { compilePatterns, matchesPattern } from './kernel/bus.ts';
export { MemoryEventBus } from './kernel/bus-memory.ts';
export { type Clock, ManualClock, systemClock } from './kernel/clock.ts';
export { CoreErrors, defineErrors, type ErrorSpec, HubError } from './kernel/errors.ts';
export type { BusEvent, EventName, RelaykitEvents } from './kernel/events.ts';
export { CoreEvents } from './kernel/events.ts';
export type { HealthCheck, HealthResult, HealthStatus } from './kernel/health.ts';
export { Hub, type HubOptions } from './kernel/hub.ts';
export { hashKey } from './kernel/identity/keys.ts';
export {
  authorizeSend,
  canChangeMessage,
  canReadMessage,
  requireInbox,
  requireReadable,
} from './kernel/identity/rules.ts';
export type { Logger } from './kernel/logger.ts';
export { createLogger, silentLogger } from './kernel/logger.ts';
export type { PluginMetrics } from './kernel/metrics.ts';
export { LATENCY_BUCKETS } from './kernel/metrics.ts';
export type {
  HubState,
  HubView,
  PluginContext,
  PluginDefinition,
  PluginInstance,
  PluginRuntime,
  PluginStatus,
  PluginStorage,
  StopReason,
  WebSocketEndpoint,
} from './kernel/plugin.ts';
export { definePlugin } from './kernel/plugin.ts';
export { ErrorResponse, errorResponses } from './kernel/schemas.ts';
export type { Retention } from './messages/retention.ts';
export { MessageSchema, NAME_PATTERN, requireCanonicalId } from './messages/routes.ts';
export { messages as messagesTable } from './messages/schema.ts';
export type { ListQuery, MessageHooks, MessageService, ReplayQuery } from './messages/service.ts';
export type { ExpiredRow } from './messages/store.ts';
export type { Message, MessageDraft, MessageInput } from './messages/types.ts';
export { detectRuntime } from './runtime/index.ts';
export type {
  HttpServer,
  RuntimeAdapter,
  WebSocketConnection,
  WebSocketHandlers,
} from './runtime/types.ts';
export type { Database, Dialect, DialectTables, MigrationFolders, RowGuard, Storage, Tx } from './storage/storage.ts';
export { VERSION } from './version.ts';
