/** PDF.js's worker module, imported so that its code runs in the same thread (no typings ship). */
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
