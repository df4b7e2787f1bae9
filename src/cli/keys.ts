// `beacon keys create|list|revoke|rotate`. A new key is printed exactly once; listings show
// display prefixes only.
import { InvalidArgumentError, type Command } from 'commander';
import { createKey, listKeys, revokeKey, rotateKey, type KeyInfo } from '../auth/keys.js';
import type { KeyKind } from '../store/store.js';
import { CliError, isoTime, printJson, resolveProject, table, withContext, type CliContext } from './context.js';

function parseKind(value: string): KeyKind {
  if (value !== 'public' && value !== 'secret') throw new InvalidArgumentError('use "public" or "secret"');
  return value;
}

function describe(key: KeyInfo) {
  return {
    prefix: key.displayPrefix,
    kind: key.kind,
    project: key.project,
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
    status: key.revokedAt === null ? 'active' : 'revoked',
  };
}

async function projectOption(context: CliContext, name: string | undefined) {
  if (name === undefined) return undefined;
  const project = await context.store.projects.findByName(name);
  if (!project) throw new CliError(`No project is named "${name}".`);
  return project;
}

/** The key alone on stdout (so `KEY=$(beacon keys create …)` works); the words on stderr. */
function printNewKey(key: string, message: string, json: unknown | undefined): void {
  if (json !== undefined) return printJson(json);
  process.stderr.write(message + '\n');
  process.stdout.write(key + '\n');
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('create, list, revoke and rotate API keys');

  keys
    .command('create')
    .description('create a key and print it (shown this once)')
    .option('--project <name>', 'project', 'default')
    .requiredOption('--kind <kind>', 'public (browsers, identify only) or secret (servers, full access)', parseKind)
    .option('--json', 'print JSON')
    .action(async (options: { project: string; kind: KeyKind; json?: boolean }, command: Command) => {
      await withContext(command, async (context) => {
        const project = await resolveProject(context, options.project);
        const { key, record } = await createKey(context.store, { projectId: project.id, kind: options.kind, now: context.clock.now() });
        printNewKey(
          key,
          `Created a ${options.kind} key for project "${project.name}" (prefix ${record.displayPrefix}). It is shown this once; store it now.`,
          options.json ? { key, prefix: record.displayPrefix, kind: record.kind, project: project.name } : undefined,
        );
      });
    });

  keys
    .command('list')
    .description('list keys by display prefix (never the key itself)')
    .option('--project <name>', 'only this project')
    .option('--all', 'include revoked keys')
    .option('--json', 'print JSON')
    .action(async (options: { project?: string; all?: boolean; json?: boolean }, command: Command) => {
      await withContext(command, async (context) => {
        const project = await projectOption(context, options.project);
        const listed = (await listKeys(context.store, { project })).filter((key) => options.all || key.revokedAt === null).map(describe);
        if (options.json) return printJson(listed);
        if (listed.length === 0) return void process.stdout.write('No keys.\n');
        const rows = [['PREFIX', 'KIND', 'PROJECT', 'CREATED', 'STATUS']];
        for (const key of listed) {
          rows.push([`${key.prefix}…`, key.kind, key.project, isoTime(key.created_at), key.revoked_at === null ? 'active' : `revoked ${isoTime(key.revoked_at)}`]);
        }
        process.stdout.write(table(rows) + '\n');
      });
    });

  keys
    .command('revoke')
    .description('revoke a key; a running server refuses it from the next request')
    .argument('<prefix>', 'the display prefix shown by keys list (or the whole key)')
    .option('--project <name>', 'look only in this project')
    .option('--json', 'print JSON')
    .action(async (prefix: string, options: { project?: string; json?: boolean }, command: Command) => {
      await withContext(command, async (context) => {
        const project = await projectOption(context, options.project);
        const revoked = await revokeKey(context.store, { reference: prefix, project, now: context.clock.now() });
        if (options.json) return printJson(describe(revoked));
        process.stdout.write(`Revoked ${revoked.kind} key ${revoked.displayPrefix}… of project "${revoked.project}".\n`);
      });
    });

  keys
    .command('rotate')
    .description('create a new key of the same kind and project; the old one works until you revoke it')
    .argument('<prefix>', 'the display prefix of the key to replace (or the whole key)')
    .option('--project <name>', 'look only in this project')
    .option('--json', 'print JSON')
    .action(async (prefix: string, options: { project?: string; json?: boolean }, command: Command) => {
      await withContext(command, async (context) => {
        const project = await projectOption(context, options.project);
        const { key, created, replaces } = await rotateKey(context.store, { reference: prefix, project, now: context.clock.now() });
        printNewKey(
          key,
          [
            `Created a new ${created.kind} key for project "${created.project}" (prefix ${created.displayPrefix}). It is shown this once; store it now.`,
            `The old key ${replaces.displayPrefix}… keeps working until you revoke it: beacon keys revoke ${replaces.displayPrefix}`,
          ].join('\n'),
          options.json ? { key, prefix: created.displayPrefix, kind: created.kind, project: created.project, replaces: replaces.displayPrefix } : undefined,
        );
      });
    });
}
