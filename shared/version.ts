/**
 * The pipeline's own version, the package's. It is part of every engine's `configHash`, so a
 * release that reads documents differently (a fixed decoder, a better splitter) never reuses
 * results of an older one from the content-hash index or the unchanged check. A test keeps it
 * equal to package.json's version.
 */
export const PIPELINE_VERSION = '0.2.0';
