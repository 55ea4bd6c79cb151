import { InputError, LLM_SCHEMA_NAME_PATTERN, LlmInvalidAnswerError, type LlmRequest, type LlmUsage } from '@aida/core';
import { z } from 'zod';

/** A JSON schema object, as sent to a provider. */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON schema of the answer `schema` accepts, for the model: its output side, so every
 * property is listed as required and no other is allowed (what OpenAI's strict mode demands),
 * without the `$schema` marker. The root must be an object (a tool's input always is).
 */
export function answerJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { unrepresentable: 'any' }) as JsonSchema;
  if (json.type !== 'object') throw new InputError('The answer schema of an LLM request must be an object schema', { field: 'schema' });
  return json;
}

/** Refuses a request no provider could send: a bad schema name, no messages. */
export function checkRequest(request: LlmRequest<unknown>): void {
  if (!LLM_SCHEMA_NAME_PATTERN.test(request.schemaName)) {
    throw new InputError(`LLM schema name ${JSON.stringify(request.schemaName)} must be 1 to 64 letters, digits, _ or -`, { field: 'schemaName' });
  }
  if (request.messages.length === 0) throw new InputError('An LLM request needs at least one message', { field: 'messages' });
}

/** The answer `raw` validated by the request's schema, or an invalid-answer error carrying the schema's issues. */
export function validateAnswer<T>(schema: z.ZodType<T>, raw: unknown, o: { provider: string; usage: LlmUsage }): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const summary = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
  throw new LlmInvalidAnswerError(`The model's answer does not match the schema (${summary}${issues.length > 5 ? '; …' : ''})`, {
    reason: 'schema',
    issues,
    provider: o.provider,
    usage: o.usage,
  });
}
