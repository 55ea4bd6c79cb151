import { z } from 'zod';
import { ROLES } from '../contracts/routes.js';

/**
 * Response schemas that host and plugin routes share, for `RouteOutput.body`. They document
 * the JSON as it goes over the wire, so a `Date` is an ISO 8601 string.
 */
export const isoTimestamp = z.string().meta({ format: 'date-time' });

/** A role, lowest first: `viewer < analyst < km_admin < admin`. */
export const roleSchema = z.enum(ROLES);

/** What every sign-in answers (`IssuedSession`): the bearer token and who it is for. */
export const issuedSessionSchema = z.object({
  access_token: z.string().meta({ description: 'A session JWT: send it as `Authorization: Bearer …`' }),
  token_type: z.literal('bearer'),
  user_id: z.string(),
  email: z.string(),
  role: roleSchema,
  expires_at: isoTimestamp,
});
