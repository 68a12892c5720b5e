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

/** What a receiver is told about an alert: a frozen copy of the parts that matter for rendering. */
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
  if (a.rule) v.rule = a.rule;
  if (a.links) v.links = a.links;
  if (a.value !== undefined) v.value = a.value;
  if (a.threshold !== undefined) v.threshold = a.threshold;
  if (a.op !== undefined) v.op = a.op;
  if (a.unit !== undefined) v.unit = a.unit;
  if (a.firingAt !== undefined) v.firingAt = a.firingAt;
  if (a.endsAt !== undefined && status === 'resolved') v.endsAt = a.endsAt;
  if (a.flapping) v.flapping = true;
  if (a.acknowledged) v.acknowledged = a.acknowledged;
  return v;
}

/**
 * Turns the life cycle's intents into one notification per receiver. Firing-side intents go to
 * the rule's own receivers or the route tree; a resolve goes to every receiver that was told the
 * alert fired (and wants resolves), whatever the routes say now. Each notification gets its place
 * in the alert's thread at that receiver (`after`: the one before it), and the fallback of the routes the alert
 * matches. Updates `alert.notified` and `alert.told`.
 */
export function route(
  alert: Alert,
  intents: readonly Intent[],
  policy: AlertPolicy,
  ctx: RoutingContext,
): Notification[] {
  const out: Notification[] = [];
  const destination = ctx.routes.destinationOf(alert);
  for (const intent of intents) {
    let targets: string[];
    if (intent.kind === 'resolved') {
      // Only receivers that still exist: a removed one has no delivery worker to take the job.
      targets = alert.notified.filter((r) => ctx.receivers.get(r)?.sendResolved === true);
      alert.notified = [];
    } else {
      const own = policy.receivers?.filter((r) => ctx.receivers.has(r));
      targets = (own && own.length > 0 ? own : destination.receivers).filter((r) => ctx.receivers.has(r));
      alert.notified = [...new Set([...alert.notified, ...targets])];
    }
    // A flapping notice shows the state the alert is in (it may start flapping on a resolve).
    const view = alertView(
      alert,
      intent.kind === 'resolved' ? 'resolved' : intent.kind === 'flapping' ? undefined : 'firing',
    );
    const kind = intent.kind === 'raised' ? 'firing' : intent.kind;
    for (const receiver of targets) {
      const n: Notification = {
        id: `${alert.fingerprint}.${alert.version}.${intent.kind}.${receiver}`,
        receiver,
        kind,
        alerts: [view],
        thread: alert.fingerprint,
        createdAt: ctx.now,
      };
      const after = alert.told?.[receiver];
      if (after !== undefined) n.after = after;
      alert.told = { ...alert.told, [receiver]: n.id };
      if (intent.kind === 'raised') n.raisedFrom = intent.from;
      const fallback = destination.fallback?.receivers.filter((r) => r !== receiver && ctx.receivers.has(r));
      if (destination.fallback && fallback && fallback.length > 0)
        n.fallback = { receivers: fallback, afterMs: destination.fallback.afterMs };
      if (ctx.correlationId) n.correlationId = ctx.correlationId;
      out.push(n);
    }
  }
  return out;
}
