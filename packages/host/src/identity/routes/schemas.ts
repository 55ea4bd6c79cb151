import { z } from 'zod';
import { isoTimestamp, roleSchema as role } from '@aida/core';

/**
 * The JSON the identity routes answer with, for /api/openapi.json (`RouteOutput.body`). They
 * mirror `userJson`, `patJson` and the repositories' rows; the route tests pin the real answers.
 */

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role,
  active: z.boolean(),
  has_password: z.boolean().meta({ description: 'False until the user has followed an invite link' }),
  created_at: isoTimestamp.nullable(),
  updated_at: isoTimestamp.nullable(),
});

export const setupLinkSchema = z.object({
  token: z.string(),
  expires_at: isoTimestamp,
  setup_path: z.string().meta({ description: 'Path of the page that sets the password, with email and token; append it to the host URL' }),
});

export const createdUserSchema = userSchema.extend({
  invite: setupLinkSchema.nullable().meta({ description: 'Null when the user was created with a password' }),
});

export const patSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().meta({ description: 'The first characters of the token, to recognise it' }),
  user_id: z.string(),
  created_at: isoTimestamp.nullable(),
  expires_at: isoTimestamp.nullable(),
  revoked_at: isoTimestamp.nullable(),
  last_used_at: isoTimestamp.nullable(),
  last_used_ip: z.string().nullable(),
  status: z.enum(['active', 'revoked', 'expired']),
});

export const createdPatSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  token: z.string().meta({ description: 'The token itself; shown this once, stored only hashed' }),
  expires_at: isoTimestamp.nullable(),
});

export const grantSchema = z.object({
  user_id: z.string(),
  dataset: z.string().meta({ description: 'A table id, or `<bucket>.*`' }),
  access: z.enum(['read', 'none']),
  granted_by: z.string().nullable(),
  granted_at: isoTimestamp.nullable(),
});

export const accessRequestSchema = z.object({
  id: z.string(),
  user_id: z.string(),
  table_id: z.string(),
  reason: z.string().nullable(),
  status: z.enum(['pending', 'approved', 'denied']),
  created_at: isoTimestamp,
  decided_by: z.string().nullable(),
  decided_at: isoTimestamp.nullable(),
});

export const accessRequestViewSchema = accessRequestSchema.extend({
  user_email: z.string().nullable().meta({ description: "The requester's email (null once the user is deleted)" }),
  table_name: z.string().nullable().meta({ description: "The table's name in the registry (null once it is unregistered)" }),
});

export const auditRowSchema = z.object({
  id: z.string(),
  timestamp: isoTimestamp,
  user_id: z.string().nullable(),
  action: z.string().meta({ description: 'Method and route, e.g. `GET /api/users/:id`' }),
  resource: z.string().meta({ description: 'The path called' }),
  status: z.number().int(),
  duration_ms: z.number(),
  request_id: z.string(),
  bytes_scanned: z.number().nullable().meta({ description: 'Bytes a source scanned for the call (POST /api/query/remote, /api/query/hybrid), else null' }),
});
