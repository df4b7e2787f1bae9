// `beacon projects create|list|update`: projects and their settings.
import { InvalidArgumentError, type Command } from 'commander';
import { isSupportedCountry } from 'libphonenumber-js';
import { createKey } from '../auth/keys.js';
import type { Project } from '../store/store.js';
import { CliError, isoTime, printJson, table, withContext } from './context.js';

const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DURATION = /^(\d+)\s*(s|m|h|d)?$/i;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A setting to store; `null` = unset. Boxed because commander turns a parsed `null` into "". */
interface Setting<T> {
  value: T | null;
}

/** `1800`, `30m`, `2h` → seconds; `default` → null (the server's BEACON_SESSION_TIMEOUT). */
export function parseSessionTimeout(value: string): Setting<number> {
  if (value.trim().toLowerCase() === 'default') return { value: null };
  const match = DURATION.exec(value.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[(match[2] ?? 's').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new InvalidArgumentError('use seconds (1800) or a duration (30m, 2h), or "default"');
  }
  return { value: seconds };
}

/** `US`, `gb` → `US`, `GB`; `none` → null (phone numbers must then be E.164). */
export function parseRegion(value: string): Setting<string> {
  const region = value.trim().toUpperCase();
  if (region === 'NONE') return { value: null };
  if (!/^[A-Z]{2}$/.test(region) || !isSupportedCountry(region)) {
    throw new InvalidArgumentError('use a two-letter region with phone numbering (US, GB, DE…), or "none"');
  }
  return { value: region };
}

function parseName(value: string): string {
  if (!PROJECT_NAME.test(value)) {
    throw new InvalidArgumentError('use 1 to 64 letters, digits, ".", "-" or "_", starting with a letter or digit');
  }
  return value;
}

interface SettingOptions {
  sessionTimeout?: Setting<number>;
  defaultRegion?: Setting<string>;
}

function settingsOf(options: SettingOptions): { sessionTimeout?: number | null; defaultRegion?: string | null } {
  return { sessionTimeout: options.sessionTimeout?.value, defaultRegion: options.defaultRegion?.value };
}

function describe(project: Project, activeKeys?: number) {
  return {
    name: project.name,
    session_timeout: project.sessionTimeout,
    default_region: project.defaultRegion,
    created_at: project.createdAt,
    ...(activeKeys === undefined ? {} : { active_keys: activeKeys }),
  };
}

export function registerProjects(program: Command): void {
  const projects = program.command('projects').description('create, list and configure projects');

  projects
    .command('create')
    .description('create a project and print its new public and secret keys (shown this once)')
    .argument('<name>', 'project name', parseName)
    .option('--session-timeout <duration>', 'inactivity that ends a session: seconds, 30m, 2h', parseSessionTimeout)
    .option('--default-region <region>', 'region for national phone formats (US, GB…)', parseRegion)
    .option('--no-keys', 'create the project without keys')
    .option('--json', 'print JSON')
    .action(async (name: string, options: SettingOptions & { keys: boolean; json?: boolean }, command: Command) => {
      await withContext(command, async ({ store, clock }) => {
        if (await store.projects.findByName(name)) throw new CliError(`A project named "${name}" already exists.`);
        const now = clock.now();
        let project = await store.projects.create({ name, now });
        if (options.sessionTimeout !== undefined || options.defaultRegion !== undefined) {
          project = (await store.projects.update(project.id, settingsOf(options))) ?? project;
        }
        const keys = options.keys
          ? {
              public: (await createKey(store, { projectId: project.id, kind: 'public', now })).key,
              secret: (await createKey(store, { projectId: project.id, kind: 'secret', now })).key,
            }
          : null;
        if (options.json) return printJson({ project: describe(project), keys });
        const lines = [`Created project "${name}".`];
        if (keys) {
          lines.push(
            'Its keys are shown this once; store them now.',
            `  public key (browsers, identify only): ${keys.public}`,
            `  secret key (servers, full access):    ${keys.secret}`,
          );
        }
        process.stdout.write(lines.join('\n') + '\n');
      });
    });

  projects
    .command('list')
    .description('list projects with their settings')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withContext(command, async ({ store, config }) => {
        const listed = [];
        for (const project of await store.projects.list()) {
          const active = (await store.keys.listForProject(project.id)).filter((key) => key.revokedAt === null).length;
          listed.push(describe(project, active));
        }
        if (options.json) return printJson(listed);
        if (listed.length === 0) return void process.stdout.write('No projects yet. Create one: beacon projects create NAME\n');
        const rows = [['NAME', 'SESSION TIMEOUT', 'DEFAULT REGION', 'ACTIVE KEYS', 'CREATED']];
        for (const project of listed) {
          rows.push([
            project.name,
            project.session_timeout === null ? `${config.sessionTimeout}s (server default)` : `${project.session_timeout}s`,
            project.default_region ?? '-',
            String(project.active_keys),
            isoTime(project.created_at),
          ]);
        }
        process.stdout.write(table(rows) + '\n');
      });
    });

  projects
    .command('update')
    .description("change a project's settings")
    .argument('<name>', 'project name')
    .option('--session-timeout <duration>', 'seconds, 30m, 2h, or "default" for the server setting', parseSessionTimeout)
    .option('--default-region <region>', 'region for national phone formats (US, GB…), or "none"', parseRegion)
    .option('--json', 'print JSON')
    .action(async (name: string, options: SettingOptions & { json?: boolean }, command: Command) => {
      if (options.sessionTimeout === undefined && options.defaultRegion === undefined) {
        throw new CliError('Nothing to change: pass --session-timeout and/or --default-region.');
      }
      await withContext(command, async ({ store }) => {
        const project = await store.projects.findByName(name);
        if (!project) throw new CliError(`No project is named "${name}".`);
        const updated = await store.projects.update(project.id, settingsOf(options));
        if (!updated) throw new CliError(`No project is named "${name}".`);
        if (options.json) return printJson(describe(updated));
        process.stdout.write(
          `Updated project "${name}": session timeout ${updated.sessionTimeout === null ? 'server default' : `${updated.sessionTimeout}s`}, default region ${updated.defaultRegion ?? 'none'}.\n`,
        );
      });
    });
}
