// First start: the default project and its keys.
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { KeyKind, Project, Store } from '../store/store.js';
import { createKey, hashKey } from './keys.js';

export const DEFAULT_PROJECT = 'default';

export interface Bootstrap {
  project: Project;
  /** Keys generated on this start (empty database, none configured): print them once. */
  generated: { publicKey: string; secretKey: string } | null;
}

export async function ensureDefaultProject(deps: { store: Store; config: Config; clock: Clock }): Promise<Bootstrap> {
  const { store, config, clock } = deps;
  const now = clock.now();
  let project = (await store.projects.findByName(DEFAULT_PROJECT)) ?? (await store.projects.create({ name: DEFAULT_PROJECT, now }));
  if (config.corsOrigins !== undefined) {
    project = (await store.projects.update(project.id, { corsOrigins: config.corsOrigins })) ?? project;
  }
  const configured: [KeyKind, string | undefined][] = [
    ['public', config.publicKey],
    ['secret', config.secretKey],
  ];
  for (const [kind, key] of configured) {
    if (key && !(await store.keys.findByHash(hashKey(key)))) {
      await createKey(store, { projectId: project.id, kind, now, key });
    }
  }
  const existing = await store.keys.listForProject(project.id);
  if (existing.length > 0) return { project, generated: null };
  const publicKey = (await createKey(store, { projectId: project.id, kind: 'public', now })).key;
  const secretKey = (await createKey(store, { projectId: project.id, kind: 'secret', now })).key;
  return { project, generated: { publicKey, secretKey } };
}
