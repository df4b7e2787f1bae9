// The traits catalog payloads: validation, types and OpenAPI text in one place.
import { Type, type Static } from '@sinclair/typebox';
import { TRAIT_FORMATS, TRAIT_TYPES } from './infer.js';

export const TraitTypeSchema = Type.Union(
  TRAIT_TYPES.map((type) => Type.Literal(type)),
  { description: 'How values are interpreted: string, number, boolean or date (UNIX seconds).' },
);

export const TraitFormatSchema = Type.Union(
  TRAIT_FORMATS.map((format) => Type.Literal(format)),
  {
    description:
      'How values are shown. string: text, email, url; number: numeric, currency; boolean: yes_no, true_false, on_off; date: date, datetime, relative.',
  },
);

export const TraitSchema = Type.Object(
  {
    key: Type.String({ description: 'The custom attribute key; never changes.', examples: ['plan_renews_at'] }),
    display_name: Type.String({ examples: ['Plan renews at'] }),
    type: TraitTypeSchema,
    format: TraitFormatSchema,
    customers: Type.Integer({ description: 'Profiles holding this attribute now (exact, computed on read).' }),
    first_seen: Type.Integer({ description: 'UNIX seconds when the key was first stored.' }),
    last_seen: Type.Integer({ description: 'UNIX seconds when the key was last stored (batched: up to a second late).' }),
  },
  { description: 'One trait of the project catalog.' },
);
export type Trait = Static<typeof TraitSchema>;

export const TraitPatchSchema = Type.Object(
  {
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    type: Type.Optional(TraitTypeSchema),
    format: Type.Optional(TraitFormatSchema),
  },
  {
    additionalProperties: true,
    description: 'Fields to change. Changing `type` without `format` picks the default format of the new type.',
    examples: [{ display_name: 'Renews', type: 'date', format: 'relative' }],
  },
);
export type TraitPatch = Static<typeof TraitPatchSchema>;

export const TraitKeyParams = Type.Object({ key: Type.String({ description: 'The trait key.' }) });
