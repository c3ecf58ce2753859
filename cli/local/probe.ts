import { connect } from 'node:net';

/**
 * Whether something accepts TCP connections on 127.0.0.1:`port`: a quick check before talking
 * to a watch server, so that "nothing is running" becomes a hint instead of ECONNREFUSED.
 */
export function isListening(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
