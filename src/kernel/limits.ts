import { errorResponse, HubError } from './errors.ts';

/** Methods whose bodies the kernel checks. */
export const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Enforces the body limit and the JSON content type before a request reaches a
 * route. A declared length over the limit is refused at once; a chunked body is
 * read only up to the limit. Returns the request to handle, or the error response.
 */
export async function guardBody(request: Request, maxBytes: number): Promise<Request | Response> {
  if (!BODY_METHODS.has(request.method) || request.body === null) return request;
  const type = request.headers.get('content-type');
  if (type !== null && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    return errorResponse(
      new HubError(
        'RELAYKIT_ERR_UNSUPPORTED_MEDIA_TYPE',
        `The body must be application/json, not ${type.split(';')[0]}`,
      ),
    );
  }
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    return Number(declared) > maxBytes ? tooLarge(maxBytes) : request;
  }
  // No declared length (chunked): read at most maxBytes, then refuse.
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request.url, { method: request.method, headers: request.headers, body });
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
