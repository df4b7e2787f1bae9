// The writer thread: owns one SQLite connection and runs identify transactions for the main
// thread. A durable commit waits for an fsync; here that wait blocks only this thread, so the
// main thread keeps parsing and validating the next group while this one reaches the disk.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection, createCustomerWriter } from './sqlite-customer-writer.js';
import type { WriterReply, WriterRequest } from './sqlite-writer-client.js';

const port = parentPort;
if (!port) throw new Error('sqlite-writer.ts runs as a worker thread');

const db = new Database((workerData as { path: string }).path);
configureConnection(db);
const identify = createCustomerWriter(db);

port.on('message', (request: WriterRequest) => {
  if (request.kind === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { id: request.id, ok: true, outcome: identify(request.batch) };
  } catch (error) {
    const { message, code } = error as { message?: string; code?: string };
    reply = { id: request.id, ok: false, message: String(message ?? error), code: typeof code === 'string' ? code : undefined };
  }
  port.postMessage(reply);
});
