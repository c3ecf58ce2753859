// The local S3 server of ./strict-s3.ts in a process of its own, so that its work runs on
// another core than the pipeline's. Started by cli/local/s3.ts with fork() and one argument, the
// server's options as JSON; speaks over IPC: it sends { type: 'ready', port } once listening (or
// { type: 'failed', code, message }) and { type: 'event', notification } for every ObjectCreated
// notification; it stops on { type: 'close' } or when its parent goes away.
import { register } from 'tsx/esm/api';

register();
const { startStrictS3 } = await import('./strict-s3.ts');
const options = JSON.parse(process.argv[2] ?? '{}');
const server = await startStrictS3({
  ...options,
  onObjectCreated: (notification) => process.send?.({ type: 'event', notification }),
}).catch((error) => {
  process.send?.({ type: 'failed', code: error?.code ?? null, message: String(error) });
  process.exit(1);
});
process.send?.({ type: 'ready', port: Number(new URL(server.endpoint).port) });
process.on('message', async (message) => {
  if (message?.type === 'close') {
    await server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
