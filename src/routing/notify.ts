import type { Alert, AlertView } from '../model/alert.js';
import type { Notification } from '../model/notification.js';
import type { Intent } from './lifecycle.js';
import type { AlertPolicy } from './policy.js';
import type { RouteTree } from './routes.js';

export interface RoutingContext {
  routes: RouteTree;
  /** Receivers that exist, with whether they want resolve notifications. */
  receivers: ReadonlyMap<string, { sendResolved: boolean }>;
  now: number;
  correlationId?: string;
}

export function alertView(
  a: Alert,
  status: 'firing' | 'resolved' = a.status === 'resolved' ? 'resolved' : 'firing',
): AlertView {
  const v: AlertView = {
    fingerprint: a.fingerprint,
    name: a.name,
    status,
    severity: a.severity,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    occurrences: a.occurrences,
  };
  if (a.links) v.links = a.links;
  if (a.value !== undefined) v.value = a.value;
  if (a.endsAt !== undefined && status === 'resolved') v.endsAt = a.endsAt;
  if (a.flapping) v.flapping = true;
  if (a.acknowledged) v.acknowledged = true;
  return v;
}

/**
 * Turns the life cycle's intents into one notification per receiver. Firing-side intents go to
 * the rule's own receivers or the route tree; a resolve goes to every receiver that was told the
 * alert fired (and wants resolves), whatever the routes say now. Updates `alert.notified`.
 */
export function route(
  alert: Alert,
  intents: readonly Intent[],
  policy: AlertPolicy,
  ctx: RoutingContext,
): Notification[] {
  const out: Notification[] = [];
  for (const intent of intents) {
    let targets: string[];
    if (intent.kind === 'resolved') {
      // Only receivers that still exist: a removed one has no delivery worker to take the job.
      targets = alert.notified.filter((r) => ctx.receivers.get(r)?.sendResolved === true);
      alert.notified = [];
    } else {
      const own = policy.receivers?.filter((r) => ctx.receivers.has(r));
      targets =
        own && own.length > 0 ? own : ctx.routes.receiversFor(alert).filter((r) => ctx.receivers.has(r));
      alert.notified = [...new Set([...alert.notified, ...targets])];
    }
    // A flapping notice shows the state the alert is in (it may start flapping on a resolve).
    const view = alertView(
      alert,
      intent.kind === 'resolved' ? 'resolved' : intent.kind === 'flapping' ? undefined : 'firing',
    );
    for (const receiver of targets) {
      const n: Notification = {
        id: `${alert.fingerprint}.${alert.version}.${intent.kind}.${receiver}`,
        receiver,
        kind: intent.kind,
        alert: view,
        createdAt: ctx.now,
      };
      if (ctx.correlationId) n.correlationId = ctx.correlationId;
      out.push(n);
    }
  }
  return out;
}
