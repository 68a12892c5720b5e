/**
 * A TCP proxy in front of Redis that can lose one answer on purpose: `cutAfter(markers)` waits
 * for the next command whose bytes contain every marker, lets it through to Redis, and then cuts
 * that client's connection (both sides) without passing on anything Redis answered since. Redis
 * has run the command; the client never hears so, and reconnects. This is what a Redis restart
 * or a network blip does to a command in flight, made deterministic.
 */
import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** A marked command went up: drop Redis's answers and cut. */
  cutting: boolean;
}

export class RedisProxy {
  private server?: net.Server;
  private readonly pairs = new Set<Pair>();
  private armed?: { markers: string[]; unless: string[]; afterMs: number; done: () => void };
  port = 0;
  /** Connections cut so far. */
  cuts = 0;

  constructor(private readonly target: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.port = (server.address() as net.AddressInfo).port;
  }

  /**
   * Arms a one-shot cut: resolves once the next command containing all of `markers` (and none
   * of `unless`) has gone to Redis and its connection has been cut `afterMs` later (time for
   * Redis to run it).
   */
  cutAfter(
    markers: readonly string[],
    opts: { unless?: readonly string[]; afterMs?: number } = {},
  ): Promise<void> {
    return new Promise<void>((done) => {
      this.armed = {
        markers: [...markers],
        unless: [...(opts.unless ?? [])],
        afterMs: opts.afterMs ?? 100,
        done,
      };
    });
  }

  /** Disarms a cut that has not happened. */
  disarm(): void {
    this.armed = undefined;
  }

  async close(): Promise<void> {
    this.armed = undefined;
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    const pair: Pair = { client, upstream, cutting: false };
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.on('data', (chunk: Buffer) => {
      const armed = this.armed;
      if (
        armed &&
        !pair.cutting &&
        armed.markers.every((m) => chunk.includes(m)) &&
        !armed.unless.some((m) => chunk.includes(m))
      ) {
        this.armed = undefined;
        pair.cutting = true;
        upstream.write(chunk);
        setTimeout(() => {
          this.cuts += 1;
          end();
          armed.done();
        }, armed.afterMs);
        return;
      }
      if (!pair.cutting) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.cutting) client.write(chunk);
    });
  }
}
