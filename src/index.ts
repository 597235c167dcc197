/**
 * Relaykit's public API: what plugins and embedders import.
 *
 * ```ts
 * import { definePlugin, t } from 'relaykit';
 * ```
 */
export { t } from 'elysia';
export { Type } from '@sinclair/typebox';
export type { Static, TObject } from '@sinclair/typebox';
export { secret } from './config/schema.ts';
export type { HubConfig, PluginEntry } from './config/schema.ts';
export { ConfigError } from './config/load.ts';
export { definePlugin } from './kernel/plugin.ts';
export type {
  HubState,
  HubView,
  PluginContext,
  PluginDefinition,
  PluginInstance,
  PluginStatus,
  StopReason,
  WebSocketEndpoint,
} from './kernel/plugin.ts';
export { Hub, type HubOptions } from './kernel/hub.ts';
export type { EventBus, EventHandler, AnyEventHandler, Unsubscribe } from './kernel/bus.ts';
export { matchesPattern } from './kernel/bus.ts';
export { MemoryEventBus } from './kernel/bus-memory.ts';
export type { RelaykitEvents, EventName, BusEvent } from './kernel/events.ts';
export { CoreEvents } from './kernel/events.ts';
export { type Clock, ManualClock, systemClock } from './kernel/clock.ts';
export { HubError, defineErrors, CoreErrors, type ErrorSpec } from './kernel/errors.ts';
export { ErrorResponse, errorResponses } from './kernel/schemas.ts';
export type { HealthCheck, HealthResult, HealthStatus } from './kernel/health.ts';
export type { Logger } from './kernel/logger.ts';
export { createLogger, silentLogger } from './kernel/logger.ts';
export type { PluginMetrics } from './kernel/metrics.ts';
export { LATENCY_BUCKETS } from './kernel/metrics.ts';
export type { AuthService } from './kernel/auth.ts';
export { bearerToken } from './kernel/auth.ts';
export type { Message, MessageDraft, MessageInput } from './messages/types.ts';
export type { MessageHooks, MessageService, ListQuery, ReplayQuery, Transaction } from './messages/service.ts';
export { messages as messagesTable } from './messages/schema.ts';
export { MessageSchema, NAME_PATTERN } from './messages/routes.ts';
export type {
  HttpServer,
  RuntimeAdapter,
  SqliteDatabase,
  WebSocketConnection,
  WebSocketHandlers,
} from './runtime/types.ts';
export { VERSION } from './version.ts';
