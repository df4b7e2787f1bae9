// Every route the app registers, with the key scope that guards it, collected by an onRoute
// hook so routes added anywhere later are listed too (the security matrix tests all of them).
import type { FastifyInstance, RouteOptions } from 'fastify';
import { SCOPE_OF_HOOK, type Scope } from './auth.js';

export interface RouteEntry {
  method: string;
  url: string;
  /** The scope of the requireKey hook guarding the route; null = no key check. */
  scope: Scope | null;
  /** Declared open to anyone (`config: { public: true }`). */
  public: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

function scopeOf(route: RouteOptions): Scope | null {
  const hooks = [route.onRequest, route.preValidation, route.preHandler].flat().filter(Boolean);
  for (const hook of hooks) {
    const scope = (hook as unknown as Record<symbol, Scope | undefined>)[SCOPE_OF_HOOK];
    if (scope) return scope;
  }
  return null;
}

export function installRouteTable(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = route.config as { public?: boolean } | undefined;
    for (const method of methods) {
      table.push({ method, url: route.url, scope: scopeOf(route), public: config?.public === true });
    }
  });
}
