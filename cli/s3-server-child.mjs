// The embedded S3 server of local mode, in a process of its own so that its file I/O runs on
// another core than the pipeline. Started by cli/local-s3.ts with fork(); speaks over IPC:
// it sends { type: 'ready', port } once listening and { type: 'event', notification } for every
// S3 event notification; it stops on { type: 'close' }.
import S3rver from 's3rver';

const [directory, bucket, port, notifyPrefix = ''] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port ?? 0),
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});
// Only ObjectCreated events under the watched prefix cross over, as an S3 notification filter.
server.on('event', (notification) => {
  const records = notification.Records.filter(
    (r) => r.eventName.startsWith('ObjectCreated:') && r.s3.object.key.startsWith(notifyPrefix),
  );
  if (records.length > 0)
    process.send?.({ type: 'event', notification: { ...notification, Records: records } });
});
const address = await server.run();
process.send?.({ type: 'ready', port: address.port });
process.on('message', async (message) => {
  if (message?.type === 'close') {
    await server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
