import { createToken } from '../tokens.js';

/** One mail: plain text for every client, HTML for those that show it. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Sends mail for the host and other plugins (an invitation's setup link). The email plugin
 * provides it; without such a plugin nothing is mailed and the host shows links instead.
 */
export interface Mailer {
  /** Resolves once the message is handed to the mail server; rejects with a readable reason otherwise. */
  send(message: MailMessage): Promise<void>;
}

/** Provided by a plugin (`provides: [mailerToken]`); optional for everyone who uses it. */
export const mailerToken = createToken<Mailer>('core.mailer');
