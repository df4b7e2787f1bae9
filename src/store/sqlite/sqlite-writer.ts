// The writer thread: owns one SQLite connection and runs identify transactions for the main
// thread, in the order they arrive.
//
// Durability without waiting in line: SQLite's synchronous=FULL would fsync the WAL inside
// every commit, so the next transaction could not start until the disk answered. Here the
// connection commits with synchronous=NORMAL (the WAL is written, not yet synced; checkpoints
// still sync before and after, as NORMAL does) and this thread makes the WAL durable itself:
// after a commit it starts an fdatasync of the WAL file and answers the commit only when that
// sync has completed. Meanwhile the next transactions run; their answers wait for the next
// sync, which covers every commit made before it started. A reply never precedes the sync of
// its commit, so a 200 means on disk exactly as with FULL — one sync now serves many groups.
import { close, fdatasync, open } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection, createCustomerWriter } from './sqlite-customer-writer.js';
import type { WriterData, WriterReply, WriterRequest } from './sqlite-writer-client.js';

if (!parentPort) throw new Error('sqlite-writer.ts runs as a worker thread');
const port = parentPort;

const { path, walSyncDelayMs = 0 } = workerData as WriterData;
const db = new Database(path);
configureConnection(db);
db.pragma('synchronous = NORMAL'); // commits are synced below, before they are answered
const identify = createCustomerWriter(db);
const walPath = `${path}-wal`;

/** Committed, waiting for a WAL sync that started after their commit. */
let unsynced: WriterReply[] = [];
let syncing = false;
let closing = false;

/** fdatasync of the WAL file (opened afresh: SQLite may have replaced it since). */
function syncWal(done: (error: Error | null) => void): void {
  if (walSyncDelayMs > 0) {
    setTimeout(() => syncWalNow(done), walSyncDelayMs);
    return;
  }
  syncWalNow(done);
}

function syncWalNow(done: (error: Error | null) => void): void {
  open(walPath, 'r', (openError, fd) => {
    if (openError) return done(openError);
    fdatasync(fd, (syncError) => close(fd, () => done(syncError)));
  });
}

function startSync(): void {
  if (syncing || unsynced.length === 0) return;
  syncing = true;
  const covered = unsynced;
  unsynced = [];
  syncWal((error) => {
    for (const reply of covered) {
      // A commit whose sync failed may or may not survive a power cut: never answer it with success.
      port.postMessage(error ? { id: reply.id, ok: false, message: `syncing the WAL failed: ${error.message}`, code: 'SQLITE_IOERR_FSYNC' } : reply);
    }
    syncing = false;
    if (unsynced.length > 0) startSync();
    else if (closing) finishClose();
  });
}

function finishClose(): void {
  db.close();
  port.close();
}

port.on('message', (request: WriterRequest) => {
  if (request.kind === 'close') {
    closing = true;
    if (!syncing && unsynced.length === 0) finishClose();
    return;
  }
  try {
    unsynced.push({ id: request.id, ok: true, outcome: identify(request.batch) });
    startSync();
  } catch (error) {
    // Rolled back: nothing to make durable, answer at once.
    const { message, code } = error as { message?: string; code?: string };
    port.postMessage({ id: request.id, ok: false, message: String(message ?? error), code: typeof code === 'string' ? code : undefined } satisfies WriterReply);
  }
});
