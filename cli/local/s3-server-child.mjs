// The embedded S3 server of local mode, in a process of its own so that its work runs on another
// core than the pipeline. Started by cli/local/s3.ts with fork(); speaks over IPC: it sends
// { type: 'ready', port } once listening and { type: 'event', notification } for every S3 event
// notification; it stops on { type: 'close' }.
//
// With a front port (5th argument), the strict front of strict-s3.ts runs here too, on that port
// (0: any free one), and `ready` gives the front's port: the front hands the requests it passes
// on unchanged to s3rver's request handler in this process, with no second HTTP hop. Without
// one, `ready` gives s3rver's own port and the parent runs the front (it does when a test checks
// requests against a policy or records them: the policy and the record live in the parent).
import S3rver from 's3rver';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

// S3 takes a key of 1,024 bytes without a slash, but a file name has at most 255 bytes here, and
// s3rver stores each key segment as a name (a longer one crashes it with ENAMETOOLONG). Segments
// over CHUNK_BYTES are stored as nested folders, each chunk but the last ending with MARK. Known
// limits: a key holding MARK followed by a slash reads back without them, and a listing that
// starts after (or pages past) such a key may order it differently from S3.
const MARK = '\u0001';
const CHUNK_BYTES = 200;
FilesystemStore.encodeKeyPath = (key) =>
  key
    .split('/')
    .map((segment) => {
      if (Buffer.byteLength(segment) <= CHUNK_BYTES) return segment;
      const chunks = [''];
      let bytes = 0;
      for (const char of segment) {
        const size = Buffer.byteLength(char);
        if (bytes + size > CHUNK_BYTES) {
          chunks.push('');
          bytes = 0;
        }
        chunks[chunks.length - 1] += char;
        bytes += size;
      }
      return chunks.join(`${MARK}/`);
    })
    .join('/');
FilesystemStore.decodeKeyPath = (path) => path.replaceAll(`${MARK}/`, '');

// s3rver does not descend into a folder that holds the delimiter below the prefix, so delimited
// listings missed keys two or more folders down (and long segments, stored as folders). List
// without the delimiter and group here instead; as in s3rver, only keys count toward maxKeys.
const listObjects = FilesystemStore.prototype.listObjects;
FilesystemStore.prototype.listObjects = async function (bucket, options) {
  const { delimiter = '', prefix = '', maxKeys = Number.POSITIVE_INFINITY } = options;
  if (!delimiter) return listObjects.call(this, bucket, options);
  const all = await listObjects.call(this, bucket, {
    ...options,
    delimiter: '',
    maxKeys: Number.POSITIVE_INFINITY,
  });
  const commonPrefixes = new Set();
  const objects = [];
  for (const object of all.objects) {
    const at = object.key.indexOf(delimiter, prefix.length);
    if (at === -1) objects.push(object);
    else commonPrefixes.add(object.key.slice(0, at + delimiter.length));
  }
  return {
    objects: objects.slice(0, maxKeys),
    commonPrefixes: [...commonPrefixes].sort(),
    isTruncated: objects.length > maxKeys,
  };
};

const [directory, bucket, port, notifyPrefix = '', frontPort = ''] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port ?? 0),
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});
// s3rver's first middleware formats a coloured log line for every request, even when silent,
// only for the silent logger to drop it: some 0.15 ms a request for nothing.
server.middleware[0] = (_ctx, next) => next();
// Only ObjectCreated events under the watched prefix cross over, as an S3 notification filter.
server.on('event', (notification) => {
  const records = notification.Records.filter(
    (r) => r.eventName.startsWith('ObjectCreated:') && r.s3.object.key.startsWith(notifyPrefix),
  );
  if (records.length > 0)
    process.send?.({ type: 'event', notification: { ...notification, Records: records } });
});
const address = await server.run();
let front;
if (frontPort !== '') {
  const { register } = await import('tsx/esm/api');
  register();
  const { startStrictS3 } = await import('./strict-s3.ts');
  const [upstreamAccessKeyId, functionAccessKeyId] = process.argv.slice(7);
  front = await startStrictS3({
    upstream: `http://127.0.0.1:${address.port}`,
    upstreamAccessKeyId,
    functionAccessKeyId,
    port: Number(frontPort),
    dispatch: server.callback(),
  }).catch((error) => {
    process.send?.({ type: 'failed', code: error?.code ?? null, message: String(error) });
    process.exit(1);
  });
}
process.send?.({
  type: 'ready',
  port: front ? Number(new URL(front.endpoint).port) : address.port,
});
process.on('message', async (message) => {
  if (message?.type === 'close') {
    await front?.close();
    await server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
