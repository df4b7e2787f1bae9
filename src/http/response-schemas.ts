// Envelope schemas for the OpenAPI document of the traits and keys routes.
import { Type, type TSchema } from '@sinclair/typebox';

export const okEnvelope = (data: TSchema) => Type.Object({ success: Type.Literal(true), code: Type.Literal(200), data });

export const FailureEnvelopeSchema = Type.Object({
  success: Type.Literal(false),
  code: Type.Integer(),
  data: Type.Any(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});

export const security: { [label: string]: string[] }[] = [{ bearer: [] }, { apiKeyQuery: [] }];
