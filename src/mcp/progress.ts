/**
 * MCP progress notifications for a long wait: only when the client asked for them (a progressToken in
 * the request's _meta), as elapsed seconds out of the timeout, every couple of seconds. A client that
 * resets its request timeout on progress (the SDK's resetTimeoutOnProgress) then lets a 120 s wait run.
 * Spec: https://modelcontextprotocol.io/specification/2025-06-18/basic/utilities/progress
 * (progress MUST increase with each notification; total and message are optional).
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ProgressReporter {
  stop(): void;
}

/** @default intervalMs 2000 */
export function startProgress(extra: ToolExtra, totalSeconds: number, describe: () => string, intervalMs = 2000): ProgressReporter {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { stop: () => undefined };
  const started = Date.now();
  let last = -1;
  const send = () => {
    const elapsed = Math.round((Date.now() - started) / 100) / 10;
    if (elapsed <= last) return;
    last = elapsed;
    const params = { progressToken: token, progress: elapsed, total: totalSeconds, message: describe() };
    // A client that went away cannot be told; the wait itself ends on cancellation or stdin's end.
    extra.sendNotification({ method: 'notifications/progress', params }).catch(() => undefined);
  };
  send();
  const timer = setInterval(send, intervalMs);
  return { stop: () => clearInterval(timer) };
}
