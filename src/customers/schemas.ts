// One TypeBox schema per payload: it validates (src/customers/normalise.ts compiles it),
// types the code (Static<>) and documents the API (GET /openapi.json).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DEFAULT_LIMITS, type Limits } from '../config.js';

/** Human sentence used when a value fails its schema. Read by normalise.ts. */
function message<T extends TSchema>(schema: T, text: string): T {
  return { ...schema, 'x-error-message': text };
}

export function attributeValueSchema(limits: Limits) {
  return message(
    Type.Union(
      [Type.String({ maxLength: limits.attributeValueChars }), Type.Number(), Type.Boolean(), Type.Null()],
      { description: 'A string, finite number or boolean; `null` removes the attribute.' },
    ),
    `must be a string of at most ${limits.attributeValueChars} characters, a finite number, a boolean or null (objects and arrays are not allowed)`,
  );
}

export function customerInputSchema(limits: Limits = DEFAULT_LIMITS) {
  const nullableText = (max: number, description: string) =>
    Type.Optional(
      message(Type.Union([Type.String({ maxLength: max }), Type.Null()], { description }), `must be a string of at most ${max} characters, or null`),
    );
  return Type.Object(
    {
      user_id: Type.Optional(
        message(
          Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Integer(), Type.Null()], {
            description: 'A unique ID for the customer. Required unless `email` is given. Integers are stored as their decimal string.',
            examples: ['1'],
          }),
          'must be a string of 1 to 255 characters or an integer',
        ),
      ),
      email: nullableText(254, 'Email address, matched case-insensitively. Required when `user_id` is absent.'),
      name: nullableText(limits.attributeValueChars, 'Full name; split into first_name (first word) and last_name (the rest).'),
      first_name: nullableText(limits.attributeValueChars, 'Wins over the first half of `name`.'),
      last_name: nullableText(limits.attributeValueChars, 'Wins over the second half of `name`.'),
      phone: nullableText(64, 'Phone number, stored in E.164. National formats use the project default region.'),
      signed_up_at: Type.Optional(
        message(
          Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
            description: 'When the customer signed up: UNIX timestamp in seconds.',
            examples: [1585775554],
          }),
          'must be a UNIX timestamp in whole seconds (an integer ≥ 0), or null',
        ),
      ),
      ip: nullableText(64, 'IPv4 or IPv6 address.'),
      custom_attributes: Type.Optional(
        message(
          Type.Record(Type.String(), attributeValueSchema(limits), {
            maxProperties: limits.attributesPerCall,
            description:
              'Key/value pairs merged key by key into the stored attributes. Keys: ≤ 50 characters, letters, digits, `-` and `_`.',
            examples: [{ username: 'billy', plan: 'pro', paid: true }],
          }),
          `must be an object with at most ${limits.attributesPerCall} attributes`,
        ),
      ),
      update_session: Type.Optional(
        message(Type.Boolean({ description: 'Count this call as activity (Last Seen, Sessions). Default true.' }), 'must be true or false'),
      ),
    },
    {
      additionalProperties: true,
      description: 'A customer identify call. Unknown fields are ignored.',
      examples: [
        {
          user_id: '1',
          email: 'billy@crowdpower.io',
          name: 'Billy Madison',
          phone: '+15555555555',
          signed_up_at: 1585775554,
          custom_attributes: { username: 'billy' },
        },
      ],
    },
  );
}

export function bulkInputSchema(limits: Limits = DEFAULT_LIMITS) {
  return Type.Object(
    {
      customers: Type.Array(customerInputSchema(limits), {
        minItems: 1,
        maxItems: limits.bulkItems,
        description: `1 to ${limits.bulkItems} customers, applied in array order in one transaction.`,
      }),
    },
    { additionalProperties: true },
  );
}

export type CustomerInput = Static<ReturnType<typeof customerInputSchema>>;
export type AttributeValue = string | number | boolean;

export const ProfileSchema = Type.Object(
  {
    id: Type.Integer(),
    user_id: Type.Union([Type.String(), Type.Null()]),
    anonymous_id: Type.Union([Type.String(), Type.Null()], {
      description: "Segment's anonymousId for a visitor identified before their user_id was known.",
    }),
    email: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
    first_name: Type.Union([Type.String(), Type.Null()]),
    last_name: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    signed_up_at: Type.Union([Type.Integer(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    custom_attributes: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    first_seen: Type.Integer({ description: 'UNIX seconds; set once when the profile is created.' }),
    last_seen: Type.Union([Type.Integer(), Type.Null()], { description: 'UNIX seconds of the last tracked call.' }),
    sessions: Type.Integer(),
    updated_at: Type.Integer(),
  },
  { description: 'One customer profile.' },
);
export type Profile = Static<typeof ProfileSchema>;

export const ListQuerySchema = Type.Object({
  anonymous_id: Type.Optional(Type.String({ description: "Exact anonymous_id (Segment's anonymousId)." })),
  email: Type.Optional(Type.String({ description: 'Exact email, case-insensitive.' })),
  q: Type.Optional(Type.String({ description: 'Substring of user_id, email or name, case-insensitive.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ description: 'The `next_cursor` of the previous page (of the same sort).' })),
  sort: Type.Optional(
    Type.Union([Type.Literal('created'), Type.Literal('last_seen')], {
      default: 'created',
      description: '`created`: newest profiles first. `last_seen`: most recently seen first, never-seen last.',
    }),
  ),
});
export type ListQuery = Static<typeof ListQuerySchema>;
