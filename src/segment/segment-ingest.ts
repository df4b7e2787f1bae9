// Segment ingestion service: map → validate → store, the way Segment's own API behaves: the
// call succeeds, messages that cannot be used are skipped, and each skip is counted by reason.
import type { Clock } from '../clock.js';
import type { Limits } from '../config.js';
import type { CustomerChanges } from '../customers/merge.js';
import { normaliseCustomer } from '../customers/normalise.js';
import type { FieldError } from '../errors.js';
import type { IdentifyBatch, Project, Store } from '../store/store.js';
import { mapSegmentMessage, type MappedCustomer } from './map-message.js';

export interface SegmentIngestDeps {
  store: Store;
  clock: Clock;
  limits: Limits;
  /** Server-wide session timeout in seconds; a project's own setting wins. */
  sessionTimeout: number;
  /** How long a messageId is remembered (Segment: 24 hours). */
  dedupeSeconds?: number;
  /** Told about every stored batch after it commits (the traits catalog listens here). */
  onStored?: (batch: IdentifyBatch) => void;
}

export interface SegmentReport {
  received: number;
  identified: number;
  duplicates: number;
  /** Messages skipped, by reason (`type_track`, `missing_identity`, `invalid_user_id`, …). */
  ignored: Record<string, number>;
  /** Fields left out of otherwise stored identifies (bad phone, attribute key with a space, …). */
  droppedFields: number;
}

export const SEGMENT_DEDUPE_SECONDS = 24 * 60 * 60;

/** Removes the fields named by validation errors; false when the identity itself is invalid. */
function withoutBadFields(customer: MappedCustomer, errors: FieldError[]): MappedCustomer | null {
  const next: MappedCustomer = { ...customer, custom_attributes: { ...customer.custom_attributes } };
  for (const { field } of errors) {
    if (field === 'user_id' || field === 'body') return null;
    if (field === 'custom_attributes') next.custom_attributes = {};
    else if (field.startsWith('custom_attributes.')) delete next.custom_attributes[field.slice('custom_attributes.'.length)];
    else delete (next as unknown as Record<string, unknown>)[field];
  }
  return next;
}

export type SegmentIngest = ReturnType<typeof createSegmentIngest>;

export function createSegmentIngest(deps: SegmentIngestDeps) {
  const dedupeSeconds = deps.dedupeSeconds ?? SEGMENT_DEDUPE_SECONDS;

  function validate(project: Project, customer: MappedCustomer, anonymousOnly: boolean) {
    return normaliseCustomer(customer, { limits: deps.limits, defaultRegion: project.defaultRegion, identityOptional: anonymousOnly });
  }

  return {
    /** Stores the identify messages among `messages` in one transaction; never throws for message content. */
    async ingest(project: Project, messages: readonly unknown[], options: { defaultType?: string; context?: unknown } = {}) {
      const report: SegmentReport = { received: messages.length, identified: 0, duplicates: 0, ignored: {}, droppedFields: 0 };
      const ignore = (reason: string) => {
        report.ignored[reason] = (report.ignored[reason] ?? 0) + 1;
      };
      const items: CustomerChanges[] = [];
      const messageIds: (string | undefined)[] = [];
      for (const message of messages) {
        const mapped = mapSegmentMessage(message, options);
        if (mapped.kind === 'ignored') {
          ignore(mapped.reason);
          continue;
        }
        report.droppedFields += mapped.dropped.length;
        const anonymousOnly = mapped.customer.user_id === undefined && mapped.anonymousId !== undefined;
        let result = validate(project, mapped.customer, anonymousOnly);
        if (!result.ok) {
          // Segment accepts a message with one bad trait; Beacon keeps the rest of it.
          const repaired = withoutBadFields(mapped.customer, result.errors);
          if (repaired === null) {
            ignore(`invalid_${result.errors.find((error) => error.field === 'user_id' || error.field === 'body')?.field ?? 'message'}`);
            continue;
          }
          report.droppedFields += result.errors.length;
          result = validate(project, repaired, anonymousOnly);
          if (!result.ok) {
            ignore('invalid_message');
            continue;
          }
        }
        items.push(mapped.anonymousId === undefined ? result.value : { ...result.value, anonymousId: mapped.anonymousId });
        messageIds.push(mapped.messageId);
      }
      if (items.length > 0) {
        const batch: IdentifyBatch = {
          projectId: project.id,
          items,
          now: deps.clock.now(),
          sessionTimeout: project.sessionTimeout ?? deps.sessionTimeout,
          messageIds,
          dedupeSeconds,
        };
        const outcome = await deps.store.customers.identify(batch);
        deps.onStored?.(batch);
        report.duplicates = outcome.duplicates;
        report.identified = items.length - outcome.duplicates;
      }
      return report;
    },
  };
}
