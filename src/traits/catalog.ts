// The traits catalog service: list (with exact customer counts) and owner edits.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BeaconError, validationError, type FieldError } from '../errors.js';
import type { Project, Store, TraitRecord, TraitUsage } from '../store/store.js';
import { defaultDisplayName, defaultFormat, formatFits, FORMATS_BY_TYPE, inferTrait, type TraitFormat, type TraitType } from './infer.js';
import type { TraitRecorder } from './recorder.js';
import { TraitPatchSchema, type Trait } from './schemas.js';

const patchChecker = TypeCompiler.Compile(TraitPatchSchema);

function toTrait(record: TraitRecord, customers: number): Trait {
  return {
    key: record.key,
    display_name: record.displayName,
    type: record.type,
    format: record.format,
    customers,
    first_seen: record.firstSeen,
    last_seen: record.lastSeen,
  };
}

/** A catalog entry for a key some profile holds but the catalog lacks (stored before the catalog existed, or lost in a crash before a flush). */
function fromUsage(usage: TraitUsage): TraitRecord {
  const { type, format } = inferTrait(usage.key, usage.sample);
  return { key: usage.key, displayName: defaultDisplayName(usage.key), type, format, firstSeen: usage.firstSeen, lastSeen: usage.lastSeen };
}

function patchErrors(body: unknown): FieldError[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [{ field: 'body', message: 'must be a JSON object' }];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of patchChecker.Errors(body)) {
    const field = error.path.slice(1) || 'body';
    if (seen.has(field)) continue;
    seen.add(field);
    const message =
      field === 'type'
        ? 'must be one of string, number, boolean, date'
        : field === 'format'
          ? 'must be one of text, email, url, numeric, currency, yes_no, true_false, on_off, date, datetime, relative'
          : field === 'display_name'
            ? 'must be a string of 1 to 100 characters'
            : error.message;
    errors.push({ field, message });
  }
  return errors;
}

export type TraitService = ReturnType<typeof createTraitService>;

export function createTraitService(deps: { store: Store; recorder: TraitRecorder }) {
  const { store, recorder } = deps;

  return {
    async list(project: Project): Promise<Trait[]> {
      // Whatever this process has batched is written first, so a read sees its own writes.
      await recorder.flush();
      const [catalog, usage] = await Promise.all([store.traits.list(project.id), store.traits.usage(project.id)]);
      const counts = new Map(usage.map((entry) => [entry.key, entry.customers]));
      const known = new Set(catalog.map((record) => record.key));
      const missing = usage.filter((entry) => !known.has(entry.key)).map(fromUsage);
      if (missing.length > 0) await store.traits.record({ projectId: project.id, traits: missing });
      const all = missing.length > 0 ? await store.traits.list(project.id) : catalog;
      return all.map((record) => toTrait(record, counts.get(record.key) ?? 0));
    },

    async update(project: Project, key: string, body: unknown): Promise<Trait> {
      const errors = patchErrors(body);
      if (errors.length > 0) throw validationError(errors);
      const patch = body as { display_name?: string; type?: TraitType; format?: TraitFormat };
      const displayName = patch.display_name?.trim();
      if (displayName === '') throw validationError([{ field: 'display_name', message: 'must not be blank' }]);
      await recorder.flush();
      // The format must fit the type the trait will have. The write is conditional on the type
      // this decision was based on; a concurrent type change makes us decide again.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const current = await store.traits.get(project.id, key);
        if (!current) throw new BeaconError('not_found', 'No trait has this key.');
        const type = patch.type ?? current.type;
        let format = patch.format;
        if (format !== undefined && !formatFits(type, format)) {
          throw validationError([
            { field: 'format', message: `does not fit type ${type}; use one of ${FORMATS_BY_TYPE[type].join(', ')}` },
          ]);
        }
        if (format === undefined && !formatFits(type, current.format)) format = defaultFormat(type);
        const updated = await store.traits.update({
          projectId: project.id,
          key,
          changes: { displayName, type: patch.type, format },
          expectedType: current.type,
        });
        if (updated) {
          const usage = await store.traits.usage(project.id);
          return toTrait(updated, usage.find((entry) => entry.key === key)?.customers ?? 0);
        }
      }
      throw new BeaconError('unavailable', 'The trait kept changing; try again.');
    },
  };
}
