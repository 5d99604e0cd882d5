// Reminders and escalations: always a log line the worker's operator sees, and a JSON POST to the
// configured webhook when there is one. A failed webhook is retried by the activity's policy.
import { log } from '@temporalio/activity';
import { request } from 'undici';

export interface Notification {
  workflowId: string;
  runId: string;
  kind: 'reminder' | 'escalation' | 'expired' | 'ended' | 'watchdog';
  message: string;
}

export function notifyActivity(webhookUrl: string | undefined) {
  return async function notify(notification: Notification): Promise<{ delivered: 'log' | 'webhook' }> {
    log.warn(`ekm ${notification.kind}: ${notification.message}`, {
      workflowId: notification.workflowId,
      runId: notification.runId,
    });
    if (!webhookUrl) return { delivered: 'log' };
    const res = await request(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notification),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`webhook answered ${res.statusCode}`);
    return { delivered: 'webhook' };
  };
}
