import type { BotEvent } from '../../model/batch.js';
import { labelsKey } from '../../model/fingerprint.js';
import { eventLabels, eventMatches, inputFilter, ruleSignal } from './common.js';
import type { EventRule } from './schema.js';
import type { CompiledRule, RuleContext } from './types.js';

/** An event type raises an alert: every matching event is one occurrence. Keeps no state. */
export function eventRule(rule: EventRule): CompiledRule {
  const alert = rule.alert ?? rule.name;
  const accept = inputFilter(rule);
  const types = Array.isArray(rule.event) ? rule.event : [rule.event];
  return {
    name: rule.name,
    alert,
    events: types,
    keyForEvent: (e: BotEvent) => {
      if (!eventMatches(e, rule.data)) return undefined;
      const labels = eventLabels(e, rule.by);
      return accept(e.source, labels) ? `${rule.name}|${e.source}|${labelsKey(labels)}` : undefined;
    },
    onEvent(ctx: RuleContext, _key: string, e: BotEvent) {
      const reason = e.data.reason ?? e.data.guard ?? e.data.rule;
      ctx.emit(
        ruleSignal(
          rule,
          alert,
          'occurrence',
          {
            status: 'firing',
            severity: rule.severity ?? e.severity ?? 'warning',
            labels: eventLabels(e, rule.by),
            ts: e.ts,
            data: e.data,
            vars: {
              type: e.type,
              source: e.source,
              symbol: e.symbol,
              reason: typeof reason === 'string' ? reason : undefined,
            },
          },
          e.symbol ? '{{type}} on {{source}} ({{symbol}})' : '{{type}} on {{source}}',
        ),
      );
    },
  };
}
