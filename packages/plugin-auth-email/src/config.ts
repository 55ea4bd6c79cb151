import { zDuration, zSecretEnv } from '@aida/core';
import { z } from 'zod';

/** The SMTP server that delivers the links. The password is never in the YAML: `password_env` names the variable holding it. */
export const smtpConfigSchema = z
  .object({
    host: z.string().trim().min(1, 'name the SMTP server, e.g. smtp.example.com'),
    /** Defaults to 465 when `secure`, 587 otherwise. */
    port: z.number().int().min(1).max(65535).optional(),
    /** Implicit TLS from the first byte (usually port 465). Defaults to true on port 465, false otherwise. */
    secure: z.boolean().optional(),
    /**
     * STARTTLS on a plain connection: `required` (default) refuses to send over an unencrypted
     * connection, `opportunistic` upgrades when the server offers it, `off` never upgrades
     * (only for a relay on the same machine or a test server).
     */
    starttls: z.enum(['required', 'opportunistic', 'off']).default('required'),
    /** Verify the server's TLS certificate (default true). */
    reject_unauthorized: z.boolean().default(true),
    user: z.string().min(1).optional(),
    /** In the YAML, the name of the environment variable holding the SMTP password; once validated, the password (masked by the host). */
    password_env: zSecretEnv({ example: 'SMTP_PASSWORD', holds: 'the SMTP password' }).optional(),
    /** Sender, e.g. `AIDA <aida@example.com>`. */
    from: z.string().trim().min(3, 'give the sender address, e.g. "AIDA <aida@example.com>"'),
    /** Connection, greeting and socket timeout for one delivery. */
    timeout: zDuration({ min: '1s', max: '5m' }).prefault('15s'),
  })
  .strict()
  .superRefine((smtp, ctx) => {
    if (smtp.password_env && !smtp.user)
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'password_env is set but user is not: give the SMTP user name too' });
    if (smtp.user && !smtp.password_env)
      ctx.addIssue({
        code: 'custom',
        path: ['password_env'],
        message: 'user is set but password_env is not: name the environment variable holding the SMTP password',
      });
  });

export const emailConfigSchema = z
  .object({
    /** Without it, links are written to the log instead of mailed (the demo). */
    smtp: smtpConfigSchema.optional(),
    /**
     * Public URL of the instance, used to build the link (`https://aida.example.com`). Without it
     * the instance's `instance.base_url`, then the request's own origin, which trusts the Host header: set one of them in production.
     */
    base_url: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://aida.example.com' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    subject: z.string().trim().min(1).max(200).default('Your AIDA sign-in link'),
    /** How long a link stays valid (default 1h, at most 1 day). */
    link_ttl: zDuration({ min: '1s', max: '1d' }).prefault('1h'),
  })
  .strict();

export type EmailConfig = z.output<typeof emailConfigSchema>;
export type SmtpConfig = NonNullable<EmailConfig['smtp']>;
