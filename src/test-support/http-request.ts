/**
 * A plain HTTP request for tests, through `node:http`: unlike `fetch`, it
 * sends the fields given and nothing else (fetch drops `Host` and adds
 * `Cache-Control: no-cache` to conditional requests), and it can be aborted.
 */
import http from 'node:http';

/** A response, with its fields lowercase and joined. */
export interface PlainResponse {
  readonly status: number;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

/** Send one request. */
export function httpRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      agent: false,
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(response.headers))
          headers[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString() });
      });
    });
    request.on('error', reject);
    request.end(init.body);
  });
}
