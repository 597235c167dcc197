import { errorResponse, HubError } from './errors.ts';
import { jsonDepthWithin, tooDeep } from './json-guard.ts';

/** Methods whose bodies the kernel checks. */
export const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** What the kernel checks on every request body. */
export interface BodyLimits {
  maxBytes: number;
  /** Deepest nesting of arrays and objects (server.maxJsonDepth). */
  maxDepth: number;
  /** How long the whole body may take to arrive (server.bodyTimeoutMs). */
  timeoutMs: number;
  /** Schedules the body timeout (the hub's injectable clock); returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

/**
 * Enforces the body limit, the JSON content type and the nesting depth before a
 * request reaches a route. A non-empty body must be declared `application/json`
 * (so no web page can `sendBeacon` or post a form into the hub); a declared length
 * over the limit is refused at once, any body is read only up to the limit, and its
 * nesting is checked in one linear pass before anything parses it. Returns the
 * request to handle, or the error response.
 *
 * A body with a declared length (the common case) is read in one go: the runtime
 * never reads past the declared length, so it is bounded by the check above. A
 * chunked body is read chunk by chunk and refused as soon as it passes the limit.
 * Either way the whole body gets `timeoutMs` to arrive.
 */
export async function guardBody(request: Request, limits: BodyLimits): Promise<Request | Response> {
  if (!BODY_METHODS.has(request.method) || request.body === null) return request;
  const { maxBytes } = limits;
  const type = request.headers.get('content-type');
  if (type !== null && !JSON_TYPE.test(type)) {
    return errorResponse(
      new HubError(
        'RELAYKIT_ERR_UNSUPPORTED_MEDIA_TYPE',
        `The body must be application/json, not ${type.split(';')[0]}`,
      ),
    );
  }
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return tooLarge(maxBytes);
  const body = declared !== null ? await readDeclared(request, limits) : await readChunked(request, limits);
  if (body instanceof Response) return body;
  if (body.byteLength === 0) return new Request(request.url, { method: request.method, headers: request.headers });
  if (type === null) {
    return errorResponse(
      new HubError('RELAYKIT_ERR_UNSUPPORTED_MEDIA_TYPE', 'A request body needs content-type: application/json'),
    );
  }
  if (!jsonDepthWithin(body, limits.maxDepth)) return errorResponse(tooDeep(limits.maxDepth));
  return new Request(request.url, { method: request.method, headers: request.headers, body });
}

/** A body of declared length (at most the limit): one read, one timer. */
async function readDeclared(request: Request, limits: BodyLimits): Promise<Uint8Array<ArrayBuffer> | Response> {
  let stopTimer: () => void = () => {};
  const timedOut = new Promise<null>((resolve) => {
    stopTimer = limits.setTimeout(() => resolve(null), limits.timeoutMs);
  });
  const reading = request.arrayBuffer();
  const buffer = await Promise.race([reading, timedOut]).catch((err: unknown) => {
    stopTimer();
    throw err;
  });
  if (buffer === null) {
    // The connection is closed with the answer, which ends the read.
    reading.catch(() => {});
    return bodyTimeout(limits.timeoutMs);
  }
  stopTimer();
  // The runtime reads no more than the declared length; this only guards a runtime that would.
  if (buffer.byteLength > limits.maxBytes) return tooLarge(limits.maxBytes);
  return new Uint8Array(buffer);
}

/** A body without a declared length: read chunk by chunk, refused as soon as it passes the limit. */
async function readChunked(request: Request, limits: BodyLimits): Promise<Uint8Array<ArrayBuffer> | Response> {
  const { maxBytes } = limits;
  const reader = (request.body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  // A body that stalls holds a connection and a buffer: it gets the time it needs, no more.
  let stalled = false;
  let stopTimer: () => void = () => {};
  const timedOut = new Promise<null>((resolve) => {
    stopTimer = limits.setTimeout(() => {
      stalled = true;
      resolve(null);
    }, limits.timeoutMs);
  });
  for (;;) {
    const next = await Promise.race([reader.read(), timedOut]);
    if (next === null || stalled) {
      await reader.cancel().catch(() => {});
      return bodyTimeout(limits.timeoutMs);
    }
    const { done, value } = next;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      stopTimer();
      await reader.cancel().catch(() => {});
      return tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  stopTimer();
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function bodyTimeout(timeoutMs: number): Response {
  return errorResponse(
    new HubError(
      'RELAYKIT_ERR_BODY_TIMEOUT',
      `The request body did not arrive within ${timeoutMs} ms (server.bodyTimeoutMs)`,
    ),
    { connection: 'close' },
  );
}

function tooLarge(maxBytes: number): Response {
  return errorResponse(
    new HubError(
      'RELAYKIT_ERR_BODY_TOO_LARGE',
      `The request body is larger than ${maxBytes} bytes (server.maxBodyBytes)`,
    ),
    { connection: 'close' },
  );
}
