import { isIP } from 'node:net';
import tls from 'node:tls';
import { SendError } from '../channel.js';
import { formatServer, type ServerAddress } from './schema.js';

/**
 * What `klaxon test-channel` can honestly check of a PagerDuty receiver. The Events API has no
 * call that checks a routing key without sending an event, so this opens one TLS connection to
 * the server (certificate and host name checked against the system's CAs), closes it, and says
 * that the key was not checked.
 */
export async function verifyServer(
  where: string,
  server: ServerAddress,
  signal: AbortSignal,
): Promise<string> {
  const shown = formatServer(server);
  if (signal.aborted) throw new SendError(`${where}: verify aborted`, { retryable: true, status: 'aborted' });
  const protocol = await new Promise<string>((resolve, reject) => {
    const socket = tls.connect({
      host: server.host,
      port: server.port,
      // SNI takes names only; the certificate is still checked against an IP address.
      servername: isIP(server.host) ? undefined : server.host,
    });
    const onAbort = (): void => {
      socket.destroy();
      reject(
        new SendError(`${where}: verify aborted before ${shown} answered`, {
          retryable: true,
          status: 'aborted',
        }),
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      const p = socket.getProtocol() ?? 'TLS';
      socket.end();
      resolve(p);
    });
    socket.once('error', (err: Error & { code?: string }) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      const code = typeof err.code === 'string' ? err.code : 'network error';
      reject(
        new SendError(`${where}: cannot reach ${shown} over TLS (${code})`, {
          retryable: true,
          status: code,
        }),
      );
    });
  });
  return `${shown} reachable (TLS ok, ${protocol}); routing key not checked: PagerDuty has no way to check it without an event`;
}
