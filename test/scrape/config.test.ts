import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../../src/config/load.js';
import { expectScrapedSources } from '../../src/scrape/expect.js';
import { mapPresets, readPresets } from '../../src/scrape/maps.js';

/** The problems the loader reports for a config with this `scrape:` section, as `path: message`. */
function problems(scrape: unknown, extra: Record<string, unknown> = {}): string[] {
  try {
    validateConfig({ scrape, ...extra }, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('the scrape section', () => {
  it('fills defaults: prometheus, every 15 s, 5 s timeout, source = name, heartbeat on', () => {
    const { config } = validateConfig(
      { scrape: [{ name: 'grid-1', url: 'http://10.0.0.5:9000/metrics', map: 'coinbase_trader' }] },
      'test.yaml',
    );
    const [t] = config.scrape;
    expect(t).toMatchObject({
      name: 'grid-1',
      format: 'prometheus',
      interval: 15_000,
      timeout: 5_000,
      source: 'grid-1',
      headers: {},
      labels: {},
      heartbeat: true,
    });
    expect(t?.map.coinbase_trader_equity).toEqual({ name: 'equity', scale: 1 });
    expect(t?.map.coinbase_trader_websocket_reconnects_total).toEqual({
      event: 'websocket_reconnect',
      scale: 1,
    });
    expect(validateConfig({}, 'test.yaml').config.scrape).toEqual([]);
  });

  it('merges a list of maps, later entries winning', () => {
    const { config } = validateConfig(
      {
        scrape: [
          {
            name: 'p',
            url: 'http://127.0.0.1:9102/metrics',
            map: ['perps_bot', { perps_bot_risk_daily_loss_limit: { name: 'daily_loss_limit', scale: 2 } }],
          },
        ],
      },
      'test.yaml',
    );
    expect(config.scrape[0]?.map.perps_bot_risk_daily_loss_limit).toEqual({
      name: 'daily_loss_limit',
      scale: 2,
    });
    expect(config.scrape[0]?.map.perps_bot_risk_daily_loss).toEqual({ name: 'daily_pnl', scale: -1 });
  });

  it('refuses bad targets, each problem with its path', () => {
    const url = 'http://127.0.0.1:9000/metrics';
    expect(
      problems([
        { name: 'a', url, interval: 'often' },
        { name: 'b', url: 'ftp://x/metrics' },
        { name: 'c', url, map: 'no_such_bot' },
        { name: 'd', url, source: 'x', source_label: 'bot' },
        { name: 'e', url, interval: '1s', timeout: '2s' },
        { name: 'f', url, format: 'health', map: 'perps_bot' },
        { name: 'a', url },
        { name: 'g', url, formt: 'health' },
        { name: 'h', url, map: { 'bad name': 'x', ok_metric: { name: 'x', as: 'share' } } },
        { name: 'i', url, map: { m: { name: 'x', event: 'y' } } },
        { name: 'j', url, source: '../up' },
        { name: 'k', url, format: 'json' },
        { name: 'l', url, map: ['perps_bot', { x: 'daily_pnl' }, { y: { name: 'z', surprise: 1 } }] },
      ]),
    ).toEqual([
      expect.stringMatching(/^scrape\[0\]\.interval: invalid duration/),
      'scrape[1].url: an http:// or https:// URL',
      expect.stringMatching(/^scrape\[7\]: unknown key\(s\) formt/),
      'scrape[8].map["bad name"]: "bad name" is not a Prometheus metric name',
      'scrape[8].map.ok_metric.match: `as: share` needs `match`: which series are the numerator',
      'scrape[9].map.m: give either `name` (a metric) or `event` (an event type), not both',
      expect.stringMatching(/^scrape\[10\]\.source: .*not a valid source/),
      'scrape[11].format: format is prometheus or health',
      'scrape[12].map[2].y: unknown key(s) surprise: check the spelling (see docs/scrape.md)',
    ]);
    // The checks across fields run once every target has the right shape.
    expect(
      problems([
        { name: 'a', url, map: 'no_such_bot' },
        { name: 'b', url, map: ['perps_bot', 'constructor'] },
        { name: 'd', url, source: 'x', source_label: 'bot' },
        { name: 'e', url, interval: '1s', timeout: '2s' },
        { name: 'f', url, format: 'health', map: 'perps_bot' },
        { name: 'a', url },
      ]),
    ).toEqual([
      expect.stringMatching(
        /^scrape\[0\]\.map: no map "no_such_bot"; shipped maps: coinbase_trader, gpt_trader, perps_bot, trading_bot/,
      ),
      expect.stringMatching(/^scrape\[1\]\.map\[1\]: no map "constructor"/),
      'scrape[2].source_label: give `source` or `source_label`, not both',
      'scrape[3].timeout: must not be longer than the interval (1000 ms): scrapes of a target never overlap',
      'scrape[4].map: map is for prometheus targets; a health target reads only {status, reason, checks}',
      'scrape[5].name: target name a is used twice (also scrape[0].name)',
    ]);
  });

  it('takes header values from the environment and never shows them in a problem', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scrape-config-'));
    const file = path.join(dir, 'klaxon.yaml');
    writeFileSync(
      file,
      [
        'scrape:',
        '  - name: grid-1',
        '    url: http://127.0.0.1:9000/metrics',
        '    headers: { authorization: "Bearer ${GRID_TOKEN}" }',
        '    map: coinbase_trader',
      ].join('\n'),
    );
    const { config } = loadConfig(file, { GRID_TOKEN: 's3cret-token-value' });
    expect(config.scrape[0]?.headers).toEqual({ authorization: 'Bearer s3cret-token-value' });

    writeFileSync(
      file,
      [
        'scrape:',
        '  - name: grid-1',
        '    url: http://127.0.0.1:9000/metrics',
        '    headers: { "x-key": "${KEY}" }',
      ].join('\n'),
    );
    let err: unknown;
    try {
      loadConfig(file, { KEY: 'abc\r\nInjected: s3cret-token-value' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('scrape[0].headers["x-key"]: must not hold a line break');
    expect((err as ConfigError).message).not.toContain('s3cret');
  });

  it('ships valid maps for the bots of the seeds', () => {
    const presets = mapPresets();
    if ('error' in presets) throw new Error(presets.error);
    expect(Object.keys(presets.maps).sort()).toEqual([
      'coinbase_trader',
      'gpt_trader',
      'perps_bot',
      'trading_bot',
    ]);
    expect(presets.maps.perps_bot?.perps_bot_market_data_staleness_seconds).toEqual({
      name: 'market_data_staleness_s',
      scale: 1,
    });
    expect(readPresets('/nonexistent/scrape-maps.yaml')).toMatchObject({
      error: expect.any(String) as unknown,
    });
  });
});

describe('expectScrapedSources', () => {
  it('adds the scraped sources to the absence rules a scrape keeps alive', () => {
    const { config } = validateConfig(
      {
        presets: ['trading'],
        rules: [
          { name: 'quiet', kind: 'absence', bands: { warning: '10m' }, expect: ['other'] },
          { name: 'no_trades', kind: 'absence', event: 'trade_closed', bands: { warning: '2h' } },
          { name: 'grid_only', kind: 'absence', match: { source: 'grid-*' }, bands: { warning: '10m' } },
        ],
        scrape: [
          { name: 'grid-1', url: 'http://127.0.0.1:9000/metrics', map: 'coinbase_trader' },
          { name: 'exporter', url: 'http://127.0.0.1:9102/metrics', map: 'perps_bot', heartbeat: false },
          { name: 'multi', url: 'http://127.0.0.1:9103/metrics', source_label: 'bot' },
        ],
      },
      'test.yaml',
    );
    const out = expectScrapedSources(config);
    const expectOf = (name: string) => out.rules.find((r) => r.name === name && r.kind === 'absence');
    expect(expectOf('bot_down')).toMatchObject({ expect: ['grid-1'] });
    expect(expectOf('quiet')).toMatchObject({ expect: ['other', 'grid-1', 'exporter'] });
    expect(expectOf('grid_only')).toMatchObject({ expect: ['grid-1'] });
    expect(expectOf('no_trades')).not.toHaveProperty('expect');
    expect(config.rules.find((r) => r.name === 'bot_down')).not.toHaveProperty('expect');
    const none = validateConfig({}, 'test.yaml').config;
    expect(expectScrapedSources(none)).toBe(none);
  });
});
