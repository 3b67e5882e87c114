import { parentPort } from 'node:worker_threads';
import { runJob } from './job.js';

/** Verifier worker: { id, buf } in, { id, bits } out, both buffers transferred. */
export interface JobRequest {
  id: number;
  buf: ArrayBuffer;
}
export interface JobReply {
  id: number;
  bits: ArrayBuffer;
}

const port = parentPort;
if (port !== null) {
  port.on('message', (req: JobRequest) => {
    const bits = runJob(req.buf);
    const reply: JobReply = { id: req.id, bits };
    port.postMessage(reply, [bits]);
  });
}
