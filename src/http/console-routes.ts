// /console: the web console, a static bundle (packages/console, built by `npm run build`)
// read into memory at start. It talks to the server only through the public HTTP API.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { failure } from './envelope.js';

/** Same place from src/http (tests) and dist/http (the built server). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../packages/console/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset {
  body: Buffer;
  type: string;
  immutable: boolean;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const rel = relative(dir, path).split(sep).join('/');
        assets.set(rel, {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          // Vite puts content-hashed files under assets/.
          immutable: rel.startsWith('assets/'),
        });
      }
    }
  };
  walk(dir);
  return assets;
}

export function registerConsoleRoutes(app: FastifyInstance, options: { dir?: string } = {}) {
  const assets = loadAssets(options.dir ?? CONSOLE_DIST);

  function send(reply: FastifyReply, asset: Asset) {
    return reply
      .headers(HEADERS)
      .header('content-type', asset.type)
      .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(asset.body);
  }

  app.get('/console', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console/*', { schema: { hide: true }, config: { public: true } }, async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    const asset = assets.get(path === '' ? 'index.html' : path);
    if (asset) return send(reply, asset);
    const index = assets.get('index.html');
    if (!index) return reply.status(404).send(failure('not_found', 'The console is not built: run npm run build.'));
    // Unknown paths under /console that are not files are pages of the app (hash routing keeps
    // this rare); a missing asset is a 404.
    if (path.startsWith('assets/')) return reply.status(404).send(failure('not_found', `No file /console/${path}.`));
    return send(reply, index);
  });
}
